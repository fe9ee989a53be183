//! The Debian package world: `.deb` packages from signed apt repositories.
//!
//! Modules follow the pipeline: [`sources`] finds mirrors in the host's apt
//! configuration, [`control`] reads deb822 paragraphs, [`index`] turns
//! `Release` and `Packages` files into package records, [`version`] orders
//! versions as dpkg does, [`relations`] parses `Depends`-style fields.
#![deny(missing_docs)]

pub mod control;
pub mod index;
pub mod relations;
pub mod sources;
pub mod version;
pub mod unpack;
pub mod db;
