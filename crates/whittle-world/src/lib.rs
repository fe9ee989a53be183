//! The boundary between whittle's engine and a package world.
//!
//! A package world (Debian `.deb`, APK, RPM) knows its repository format,
//! its version rules, how to unpack its packages and what its package
//! database looks like. The engine knows everything else: solving, the
//! order of work, the root filesystem, the image and the SBOM. The
//! [`PackageWorld`] trait is all the engine sees of a world.
//!
//! Libraries never print: long work is reported through [`Reporter`], which
//! the command-line front end implements with progress bars or log lines.
#![deny(missing_docs)]

mod reporter;
mod world;

pub use reporter::{NullReporter, Reporter};
pub use world::{
    account_spec, Distro, FinishInput, Installed, PackageFacts, PackageWorld, Unpacked,
    WorldContext, WorldError,
};
