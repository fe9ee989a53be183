//! The RPM package world of whittle.
#![deny(missing_docs)]

pub mod caps;
pub mod cpio;
pub mod header;
pub mod tags;
pub mod unpack;
pub mod verify;
