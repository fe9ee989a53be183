//! The package model shared by every whittle package world.
//!
//! A package world (Debian, APK, RPM) parses its repository indexes into
//! [`PackageRecord`]s: a name, a version, what it depends on (each
//! [`Dependency`] a list of alternatives), what it provides and what it
//! conflicts with. Versions stay strings; each world supplies a
//! [`VersionScheme`] that orders and matches them and prints requirements in
//! the world's syntax. [`Purl`] is how every world names a package in an
//! SBOM. Nothing here does I/O. [`time`] formats the build epoch; its
//! calendar is the `jiff` crate's.
//!
//! ```
//! use whittle_model::{Requirement, Op};
//! let r = Requirement::parse_simple("libffi8 (>= 3.4)").unwrap();
//! assert_eq!(r.name, "libffi8");
//! assert_eq!(r.constraint, Some((Op::Ge, "3.4".to_string())));
//! ```
#![deny(missing_docs)]

mod package;
mod purl;
mod requirement;
pub mod time;
mod version;

pub use package::{Download, PackageRecord, Provide, SourceRef};
pub use purl::{purl_encode, Purl};
pub use requirement::{Condition, Dependency, Op, Requirement};
pub use version::{prefix_matches, VersionScheme};
