//! The APK package world: Alpine, Wolfi and Chainguard packages from signed
//! `APKINDEX.tar.gz` repositories, as apk-tools and apko read them.
#![deny(missing_docs)]

pub mod atom;
pub mod db;
pub mod index;
pub mod keys;
pub mod layout;
pub mod unpack;
pub mod verify;
pub mod version;
