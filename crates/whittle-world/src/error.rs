//! [`WorldError`]: what a package world reports, typed by what kind of
//! failure it is, so that a fault is never mistaken for tampering.

use whittle_recipe::RecipeError;

/// What kind of failure a [`WorldError`] is. A front end may branch on it
/// (exit codes, retry advice); messages must agree with it: a dropped
/// connection is a [`Fetch`](Self::Fetch), never a
/// [`Verification`](Self::Verification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// The world's settings are wrong (a key that cannot be read, a suite
    /// the host's apt sources do not list).
    Config,
    /// The network, a server or the cache failed; retrying may help.
    Fetch,
    /// A signature or digest did not verify: tampering or a broken mirror.
    Verification,
    /// An index or package does not follow its format.
    Format,
    /// Placing files or writing the package database in the tree failed.
    Assembly,
    /// Something this world does not support.
    Unsupported,
}

/// A package world failed.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// A repository entry of the recipe is wrong (file, line and key named).
    #[error(transparent)]
    Recipe(#[from] RecipeError),
    /// Anything else, with what failed, where, and what to do.
    #[error("{message}")]
    Failed {
        /// The kind of failure.
        kind: FailureKind,
        /// One paragraph: what failed, where, and what to do.
        message: String,
        /// The underlying cause (printed by the front end's cause chain).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl WorldError {
    /// A failure of `kind` with no underlying cause.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> WorldError {
        WorldError::Failed {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attach the underlying cause.
    #[must_use]
    pub fn because(self, cause: impl std::error::Error + Send + Sync + 'static) -> WorldError {
        match self {
            WorldError::Failed { kind, message, .. } => WorldError::Failed {
                kind,
                message,
                source: Some(Box::new(cause)),
            },
            recipe => recipe,
        }
    }

    /// [`FailureKind::Config`].
    pub fn config(message: impl Into<String>) -> WorldError {
        WorldError::new(FailureKind::Config, message)
    }

    /// [`FailureKind::Fetch`].
    pub fn fetch(message: impl Into<String>) -> WorldError {
        WorldError::new(FailureKind::Fetch, message)
    }

    /// [`FailureKind::Verification`].
    pub fn verification(message: impl Into<String>) -> WorldError {
        WorldError::new(FailureKind::Verification, message)
    }

    /// [`FailureKind::Format`].
    pub fn format(message: impl Into<String>) -> WorldError {
        WorldError::new(FailureKind::Format, message)
    }

    /// [`FailureKind::Assembly`].
    pub fn assembly(message: impl Into<String>) -> WorldError {
        WorldError::new(FailureKind::Assembly, message)
    }

    /// [`FailureKind::Unsupported`].
    pub fn unsupported(message: impl Into<String>) -> WorldError {
        WorldError::new(FailureKind::Unsupported, message)
    }

    /// The kind of failure ([`FailureKind::Config`] for recipe errors).
    pub fn kind(&self) -> FailureKind {
        match self {
            WorldError::Recipe(_) => FailureKind::Config,
            WorldError::Failed { kind, .. } => *kind,
        }
    }
}
