//! The Debian package world: `.deb` packages from signed apt repositories.
//!
//! Modules follow the pipeline: [`entry`] reads the recipe's `type: deb`
//! entries, [`sources`] finds mirrors in the host's apt
//! configuration, [`repo`] reads a suite with its trust chain checked
//! ([`control`] reads deb822 paragraphs, [`index`] turns `Release` and
//! `Packages` files into package records, [`contents`] answers which
//! package ships a path from `Contents-ARCH`, [`snapshot`] keeps them parsed
//! in the cache for the next build, [`relations`] parses
//! `Depends`-style fields, [`version`] orders versions as dpkg does),
//! [`unpack`] reads a `.deb` into memory, [`finish`] does what maintainer
//! scripts would have done ([`certs`] builds the CA bundle) and [`db`]
//! writes the dpkg database scanners read. [`world`] ties it together as a
//! [`whittle_world::PackageWorld`].
//!
//! # Crates doing the work
//!
//! - PEM certificates: `pem`; DER is walked by hand in [`certs`] (the
//!   `der` crate refuses string types X.509 names may hold).
//! - The SPDX License List and expressions: `spdx`, through [`whittle_sbom`].
//! - `Release` dates (RFC 2822): `jiff`.
#![deny(missing_docs)]

pub mod certs;
pub mod contents;
pub mod control;
pub mod db;
pub mod entry;
pub mod finish;
pub mod index;
pub mod license;
pub mod relations;
pub mod repo;
pub mod reuse;
pub mod scripts;
mod search;
pub mod slices;
pub mod snapshot;
pub mod sources;
pub mod unpack;
pub mod version;
pub mod world;

pub use entry::DebRepository;
pub use world::{DebKind, DebPayload, DebWorld};
