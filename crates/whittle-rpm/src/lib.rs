//! The RPM package world of whittle.
#![deny(missing_docs)]

pub mod header;
pub mod manifest;
pub mod rpmdb;
pub mod tags;
