//! Finding a recipe's package world: each world registers a [`WorldKind`]
//! under its repository `type:`; [`Worlds::open`] picks the one the
//! recipe's repositories name and sets it up.

use std::sync::Arc;

use whittle_net::Fetcher;
use whittle_recipe::{BuildPlan, ErrorKind, RecipeError, RepositorySpec};

use crate::error::WorldError;
use crate::reporter::Reporter;
use crate::world::PackageWorld;

/// What a world kind gets to set itself up for one recipe.
pub struct OpenContext<'a> {
    /// The whole recipe (keyrings, `ignore_signatures`, …).
    pub plan: &'a BuildPlan,
    /// The recipe's repository entries of this world, every role, in plan
    /// order. Their position among those with a role other than
    /// runtime-only is the `repo` rank records carry.
    pub repositories: Vec<&'a RepositorySpec>,
    /// For keys and indexes that must be fetched while setting up.
    pub fetcher: &'a Fetcher,
    /// Where warnings go.
    pub reporter: &'a dyn Reporter,
}

/// A kind of package world, as registered by a front end. Its options
/// (say, where the host's apt sources are) are the implementor's fields.
pub trait WorldKind: Send + Sync {
    /// The repository `type:` this world reads (`deb`, `apk`).
    fn name(&self) -> &'static str;

    /// Whether plain-string repository entries (apko's `- https://…`)
    /// belong to this world. At most one registered world says yes.
    fn takes_plain_repositories(&self) -> bool {
        false
    }

    /// Parse and check this world's repository entries (errors name the
    /// entry's file and line) and set the world up.
    fn open(&self, cx: &OpenContext<'_>) -> Result<Box<dyn PackageWorld>, WorldError>;
}

/// The package worlds a front end offers. Cheap to clone.
#[derive(Clone, Default)]
pub struct Worlds {
    kinds: Vec<Arc<dyn WorldKind>>,
}

impl Worlds {
    /// No worlds yet.
    pub fn new() -> Worlds {
        Worlds::default()
    }

    /// Register one more world.
    #[must_use]
    pub fn with(mut self, kind: impl WorldKind + 'static) -> Worlds {
        self.kinds.push(Arc::new(kind));
        self
    }

    /// The registered `type:` names, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.kinds.iter().map(|k| k.name()).collect()
    }

    /// The world kind a repository entry belongs to.
    fn kind_of(&self, spec: &RepositorySpec) -> Result<&Arc<dyn WorldKind>, RecipeError> {
        let found = match &spec.kind {
            Some(kind) => self.kinds.iter().find(|k| k.name() == kind),
            None => self.kinds.iter().find(|k| k.takes_plain_repositories()),
        };
        found.ok_or_else(|| {
            let what = match &spec.kind {
                Some(kind) => format!("unknown repository type `{kind}`"),
                None => "a plain repository string belongs to no package world here".to_string(),
            };
            spec.origin
                .error(ErrorKind::Invalid, what)
                .with_key("type")
                .with_hint(format!(
                    "known repository types: {}",
                    self.names().join(", ")
                ))
        })
    }

    /// Set up the one package world the recipe's repositories name. A
    /// recipe without repositories, or mixing worlds, is an error naming
    /// the entries.
    pub fn open(
        &self,
        plan: &BuildPlan,
        fetcher: &Fetcher,
        reporter: &dyn Reporter,
    ) -> Result<Box<dyn PackageWorld>, WorldError> {
        let Some(first) = plan.repositories.first() else {
            return Err(RecipeError::new_at(
                ErrorKind::MissingKey,
                &plan.source,
                "the recipe lists no repositories",
            )
            .with_key("repositories")
            .with_hint("add one under contents.repositories")
            .into());
        };
        let kind = self.kind_of(first)?;
        let mut mine = Vec::new();
        for spec in &plan.repositories {
            let other = self.kind_of(spec)?;
            if !Arc::ptr_eq(other, kind) {
                return Err(spec
                    .origin
                    .error(
                        ErrorKind::Invalid,
                        format!(
                            "this repository is of type `{}`, but the recipe's first repository \
                             ({}) is of type `{}`",
                            other.name(),
                            first.origin.describe(),
                            kind.name()
                        ),
                    )
                    .with_key("repositories")
                    .with_hint(
                        "one image takes packages from one package world; remove one of them",
                    )
                    .into());
            }
            mine.push(spec);
        }
        kind.open(&OpenContext {
            plan,
            repositories: mine,
            fetcher,
            reporter,
        })
    }
}
