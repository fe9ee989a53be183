//! whittle's engine: a recipe becomes an OCI image and its SBOMs.
//!
//! The pipeline, one module per step:
//!
//! ```text
//! recipe ─► session (world, cache) ─► resolve ─► install (fetch, unpack, place)
//!        ─► finish (script effects, accounts) ─► owners ─► package db, paths
//!        ─► checks ─► image (layers, config) ─► sbom
//! ```
//!
//! [`build`] runs all of it; [`show_packages`] stops after resolving
//! ([`compare_packages`] compares that with an image's set, and
//! [`derive_recipe`] finds the fewest requests that resolve to it);
//! [`search`] reads the indexes and answers what they offer;
//! [`explain_scripts`] after reading the packages' install scripts. The
//! engine knows no package world by name: the front end registers the
//! worlds it offers in a [`Worlds`] list. The engine never prints: progress and warnings go to a
//! [`Reporter`].
#![deny(missing_docs)]

mod attest;
mod build;
mod checks;
mod derive;
mod effects;
mod error;
mod explain;
mod image;
mod install;
mod layering;
mod lock;
mod mutate;
mod output;
mod place;
mod resolve;
mod sbom;
mod search;
mod session;
mod trim;
mod warnings;

pub use attest::Signing;
pub use build::{build, BuildOutcome, BuildRequest, PlatformOutcome, Timings};
pub use checks::check_output;
pub use derive::{
    compare_packages, derive_recipe, Changed, Derivation, DerivedRequest, Difference, Extra,
    TargetPackage, Unserved,
};
pub use effects::ScriptOutcome;
pub use error::{BuildError, Leftovers};
pub use explain::explain_scripts;
pub use lock::{check, lock, recipe_inputs, CheckOutcome, RecipeFile};
pub use resolve::{show_packages, Resolution};
pub use search::{
    search, Available, FileAnswer, Matched, PackageMatch, Pick, PickReason, SearchOutcome,
    SearchRequest,
};
pub use session::{Session, SessionOptions, SharedCache};
pub use whittle_attest::{PublicKey, SignFormat, SigningKey};
pub use whittle_effects::{Action, Class, ScriptReport};
pub use whittle_lock::{Change, ChangeKind, Lock};
pub use whittle_net::Fetcher;
pub use whittle_oci::remove_temporaries;
pub use whittle_recipe::{
    recipe_from_record, with_packages, Arch, BuildPlan, DerivedRecipeError, PackageRequest,
    RepositorySpec,
};
pub use whittle_sbom::SbomFormat;
pub use whittle_world::{FileOwner, NullReporter, PartMatch, Reporter, WorldKind, Worlds};
