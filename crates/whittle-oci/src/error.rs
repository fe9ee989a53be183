//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong writing an image.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// An I/O error from `fs_err`, whose message already names the path.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// An I/O error on a path (from calls that do not name it themselves).
    #[error("cannot write {}", path.display())]
    IoAt {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The image set cannot be written (no images, duplicate platforms,
    /// a layer whose size does not match its blob…).
    #[error("invalid image set: {0}")]
    InvalidSet(String),
    /// An existing image layout could not be understood.
    #[error("invalid OCI image layout at {}: {reason}", path.display())]
    InvalidLayout {
        /// The offending file or directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// JSON serialisation failed.
    #[error("JSON serialisation failed")]
    Json(#[from] serde_json::Error),
}

impl OciError {
    pub(crate) fn at(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        OciError::IoAt {
            path: path.into(),
            source,
        }
    }
}
