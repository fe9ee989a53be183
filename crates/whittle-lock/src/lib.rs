//! whittle's lock file: what a recipe resolved to, for every architecture.
//!
//! `whittle lock recipe.yaml` writes `recipe.lock.json`; `whittle build
//! --lockfile` installs exactly the packages it names without reading any
//! index; `whittle check` resolves afresh and compares. This crate holds
//! the file's types, reads and writes it, and compares package sets. It
//! does no I/O beyond the text it is handed.
//!
//! # The format
//!
//! The file is apko's `apko.lock.json` (version `v1`) with whittle's
//! additions, so tools that read apko's locks keep working on APK images
//! and apko's own locks are accepted as input ([`Lock::parse`]):
//!
//! * `config`: the recipe's file name and `checksum` (`sha256-<base64>` of
//!   its bytes, for people; the build checks [`Inputs`] instead).
//! * `contents.keyring[]`: `{name, url, fingerprints}`: every key a
//!   repository's index was checked with.
//! * `contents.repositories[]`: `{name, url, architecture}` as apko writes
//!   them, plus `world`, `source` (the index source's position in the
//!   recipe), `base` (the repository URL package URLs hang off), `digest`
//!   (`sha256:<hex>` of the signed index file that was read: `InRelease`,
//!   `APKINDEX.tar.gz`, `repomd.xml`) and `security` (a security suite).
//! * `contents.packages[]`: in install order, one entry per architecture:
//!   `{name, url, version, architecture}` as apko writes them, APK's
//!   `checksum` (`Q1…`) and the `signature`/`control`/`data` ranges as apko
//!   records them; `size` and `sha256` where the index states a whole-file
//!   digest (Debian, RPM); `parts` (Chisel slices); `excluded`; and
//!   `record`, the resolved index record (relationships included), so a
//!   build from the lock is the same image as a build from the index.
//! * `whittle`: the world, the architectures, the requested packages and
//!   [`Inputs`] (checksums of what the resolution depended on), and
//!   `trees` (content digests of trees the resolution read, e.g. a Chisel
//!   release).
#![deny(missing_docs)]

mod compare;
mod file;
mod inputs;

pub use compare::{compare, Change, ChangeKind};
pub use file::{
    Contents, Lock, LockConfig, LockError, LockedKey, LockedPackage, LockedRepository, LockedTree,
    MemberRange, WhittleSection, LOCK_VERSION,
};
pub use inputs::{sha256_digest, sri_sha256, Inputs};
