//! Test support: Debian repositories made at test time with real formats
//! (ar, tar, xz, deb822) and an `InRelease` signed with a throw-away
//! OpenPGP key, served over HTTP on 127.0.0.1.
//!
//! Panics on failure: this crate only runs inside tests.
//!
//! Base64 (the APK `Q1…` checksums) is the `base64` crate's.
#![deny(missing_docs)]
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod apk;
mod busybox;
mod deb;
mod repo;

pub use apk::{build_apk, build_apk_parts, ApkAlgo, ApkEntry, ApkKey, ApkParts, ApkRepo, ApkSpec};
pub use busybox::{busybox_static_apk_spec, BUSYBOX_APPLETS};
pub use deb::{build_deb, DebEntry, DebSpec};
pub use repo::DebRepo;
