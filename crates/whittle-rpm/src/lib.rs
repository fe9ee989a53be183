//! The RPM package world of whittle.
//!
//! Repository metadata (`repomd.xml`, `primary.xml`, `filelists.xml`) is
//! read by a small hand-written streaming reader over quick-xml rather
//! than a repodata crate: the most complete one, `rpmrepo_metadata`, is
//! MPL-2.0 and brings its own quick-xml release and decompression stack,
//! while whittle needs only the fields the resolver uses, with bounded
//! memory on hostile input.
#![deny(missing_docs)]

pub mod caps;
pub mod cpio;
pub mod entry;
pub mod filelists;
pub mod finish;
pub mod header;
pub mod index_error;
pub mod manifest;
pub mod primary;
mod repo;
mod repodata_xml;
pub mod repomd;
pub mod rich;
pub mod rpmdb;
pub mod tags;
pub mod unpack;
pub mod verify;
pub mod version;
pub mod world;
