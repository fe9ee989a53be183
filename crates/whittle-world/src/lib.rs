//! The boundary between whittle's engine and a package world.
//!
//! A package world (Debian `.deb`, APK, RPM) knows its repository format,
//! its version rules and requirement syntax, its solver semantics, how to
//! unpack its packages, what its packages' scripts would have done and
//! what its package database looks like. The engine knows everything
//! else: solving, the order of work, the root filesystem, the image and
//! the SBOM. It sees a world only through two traits:
//!
//! * [`WorldKind`]: registered by a front end in a [`Worlds`] list under
//!   its repository `type:`; it parses its own repository entries and
//!   options and opens a
//! * [`PackageWorld`]: the world set up for one recipe.
//!
//! World-specific data about a package travels as a typed [`Payload`].
//! Libraries never print: long work is reported through [`Reporter`],
//! which the command-line front end implements with progress bars or log
//! lines.
#![deny(missing_docs)]

mod accounts;
mod error;
mod lock;
mod package;
mod payload;
mod registry;
mod reporter;
mod search;
mod world;

pub use accounts::account_spec;
pub use error::{FailureKind, WorldError};
pub use lock::LockState;
pub use package::{Distro, Installed, PackageFacts, Unpacked};
pub use payload::Payload;
pub use registry::{OpenContext, WorldKind, Worlds};
pub use reporter::{warn_skipped, NullReporter, Reporter, MAX_SKIP_WARNINGS};
pub use search::{is_glob, matcher, FileOwner, FileSearch, PartMatch, PathQuery};
pub use world::{
    EffectsSetup, FinishInput, LoadedIndex, PackageWorld, ScriptSource, SplitRequests, WorldContext,
};
