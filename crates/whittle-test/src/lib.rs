//! Test support: Debian repositories made at test time with real formats
//! (ar, tar, xz, deb822) and an `InRelease` signed with a throw-away
//! OpenPGP key, served over HTTP on 127.0.0.1; APK repositories likewise;
//! RPM repositories built with the real rpmbuild, rpmsign and createrepo_c;
//! a real OCI registry (distribution's `docker-registry`) for push tests
//! ([`registry`]).
//!
//! Panics on failure: this crate only runs inside tests.
//!
//! Base64 (the APK `Q1…` checksums) is the `base64` crate's.
#![deny(missing_docs)]
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod apk;
mod busybox;
mod deb;
pub mod registry;
mod repo;
mod rpm;

pub use apk::{
    build_apk, build_apk_parts, wolfi_baselayout_spec, ApkAlgo, ApkEntry, ApkKey, ApkParts,
    ApkRepo, ApkSpec,
};
pub use busybox::{busybox_static_apk_spec, BUSYBOX_APPLETS};
pub use deb::{build_deb, dep5_copyright, DebEntry, DebSpec};
pub use repo::DebRepo;
pub use rpm::{
    azurelinux_release_rpm_spec, build_rpm, busybox_static_rpm_spec, distroless_packages_rpm_specs,
    filesystem_rpm_spec, tzdata_rpm_spec, RepoCompression, RpmEntry, RpmEntryKind, RpmKey,
    RpmKeyAlgo, RpmPayload, RpmRepo, RpmScript, RpmSpec, FILESYSTEM_GROUP, FILESYSTEM_PASSWD,
};
