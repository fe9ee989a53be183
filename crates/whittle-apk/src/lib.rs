//! The APK package world: Alpine, Wolfi and Chainguard packages from signed
//! `APKINDEX.tar.gz` repositories, as apk-tools and apko read them.
//!
//! [`entry`] reads the recipe's APK repository entries, [`index`] reads
//! an index archive and its records ([`atom`] parses
//! dependency atoms, [`version`] orders versions as apk-tools does),
//! [`verify`] checks index signatures against [`keys`], [`unpack`] reads and
//! verifies a `.apk`, [`layout`] lays out what apk-tools and apko leave
//! besides package files, [`db`] writes the installed database, [`finish`]
//! does natively what install scripts would have done, [`provides`] answers
//! `whittle search --file` from `cmd:`/`so:`/`pc:` provides, and [`world`] ties it
//! together as a [`whittle_world::PackageWorld`].
//!
//! # Crates doing the work
//!
//! - Base64 of the `Q1…` checksums: `base64`.
#![deny(missing_docs)]

pub mod atom;
pub mod db;
pub mod entry;
pub mod finish;
pub mod index;
pub mod keys;
pub mod layout;
pub mod provides;
pub mod unpack;
pub mod verify;
pub mod version;
pub mod world;

pub use entry::{ApkRepositories, ApkRepository};
pub use world::{ApkKind, ApkPayload, ApkWorld, SOLVE_RULES};
