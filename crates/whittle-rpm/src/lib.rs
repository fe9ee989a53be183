//! The RPM package world of whittle: Azure Linux and other dnf/tdnf
//! repositories, read natively (no rpm, tdnf or chroot), behind the
//! engine's `PackageWorld` trait ([`world::RpmKind`], `type: rpm`).
//!
//! The pipeline, by module: [`entry`] (the recipe's repository keys) →
//! [`repomd`], [`primary`], [`filelists`] (the index, with [`rich`]
//! dependencies and [`version`]'s rpmvercmp) → [`header`], [`verify`],
//! [`cpio`], [`caps`], [`unpack`] (one `.rpm`, streamed) → [`finish`]
//! (accounts, ld.so.cache) → [`rpmdb`] and [`manifest`] (what `rpm`,
//! Syft and Trivy read).
//!
//! `.rpm` files are read by this crate's own [`header`] and [`cpio`]
//! readers rather than the `rpm` crate: that crate holds a package's whole
//! payload in memory (whittle streams it into the build's content store),
//! cannot write the installed-header blobs an rpmdb stores, ignores
//! owners, capabilities and hard links when extracting, and pairs payload
//! members with header files by position, which puts wrong contents into
//! hard-linked files (rpm writes a link set's data on its last member).
//! OpenPGP stays with the workspace's rPGP through `whittle-sig`.
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
