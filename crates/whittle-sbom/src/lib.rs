//! SPDX 2.3 and CycloneDX 1.6 JSON SBOMs for whittle images, deterministic
//! byte for byte.
//!
//! [`spdx_json`] and [`cyclonedx_json`] describe one image (one
//! architecture) and the distribution packages in it, from one
//! [`SbomInput`]; [`spdx_index_json`] and [`cyclonedx_index_json`] describe
//! a multi-arch image index and its per-arch images, from one
//! [`SbomIndexInput`]. [`SbomFormat`] names the formats (`spdx`,
//! `cyclonedx`) and their file suffixes (`.spdx.json`, `.cdx.json`), and
//! [`render`] / [`render_index`] pick the writer. All are pure functions of
//! their input: packages are sorted, keys come in a fixed order, the
//! timestamp is the build date the caller passes, and SPDX's
//! `documentNamespace` and CycloneDX's `serialNumber` are derived from a
//! SHA-256 of the document's content rather than a random UUID.
//! [`write_atomic`] is the only I/O besides [`read_sbom`], which reads an
//! SBOM (whittle's, apko's, any SPDX 2.3 or CycloneDX 1.5/1.6 JSON) back
//! into the distribution packages it lists.
//!
//! # Suppliers
//!
//! Every component names a supplier, as the NTIA minimum elements ask: a
//! package's own (Debian's `Maintainer`, Alpine's `m:`, an RPM `Vendor`),
//! else the distribution from the image's os-release (`NAME`, else `ID`:
//! Wolfi's index has no maintainer, many RPMs no vendor), as apko does. The
//! image (and the index) is supplied by [`SbomInput::supplier`] when the
//! caller knows one (whittle passes the recipe's
//! `org.opencontainers.image.vendor` annotation), else by the distribution;
//! the operating system by the distribution. Only when the image has no
//! os-release either does a supplier stay `NOASSERTION` (SPDX) or absent
//! (CycloneDX). Download URLs lose any `user:password@` on the way in.
//!
//! # SPDX layout (one image)
//!
//! * `SPDXRef-DOCUMENT DESCRIBES SPDXRef-Package-image`: the image, with
//!   `primaryPackagePurpose: CONTAINER`, its manifest digest as `versionInfo`
//!   and `SHA256` checksum, and a `pkg:oci/NAME@DIGEST?arch=…&repository_url=…&tag=…`
//!   purl when the digest is known (`repository_url` only when the image
//!   reference names a registry).
//! * `SPDXRef-OperatingSystem` (`OPERATING-SYSTEM`), CONTAINed by the image,
//!   when the distro (os-release `ID`, `VERSION_ID`) is known.
//! * One package per distribution package, `SPDXRef-Package-<purl type>-<name>-<hash>`
//!   (name sanitized to `[A-Za-z0-9.-]`, hash over name/version/arch/purl),
//!   with `versionInfo`, `supplier`, `downloadLocation`, `filesAnalyzed: false`,
//!   `checksums`, `licenseConcluded: NOASSERTION`, `licenseDeclared`,
//!   `copyrightText` and a `PACKAGE-MANAGER` purl reference. The image
//!   CONTAINS each installed one.
//! * The source package is recorded as `sourceInfo: "built package from: SRC VERSION"`
//!   when it differs from the binary package (not as a separate package).
//! * Packages excluded by the recipe (treated as provided, not installed) are
//!   still listed, with the comment `excluded by the recipe: treated as
//!   provided, not installed`, but are not CONTAINed: instead
//!   `PKG PROVIDED_DEPENDENCY_OF SPDXRef-Package-image` ("a dependency to be
//!   provided by the environment"), and the document comment lists them.
//! * Declared licenses are parsed as SPDX expressions and checked against the
//!   SPDX License List; deprecated spellings (`GPL-2.0+`) are rewritten,
//!   anything unlisted becomes a `LicenseRef-…` ([`license_ref`]) declared in
//!   `hasExtractedLicensingInfos`, so the document passes `pyspdxtools`.
//!   Distribution names (Debian's `GPL-2+`) are mapped by the package worlds.
//!
//! # CycloneDX layout (one image)
//!
//! * `metadata.component`: the image (`type: container`, the manifest
//!   digest as `version` and `SHA-256` hash, the same `pkg:oci` purl as
//!   above, also its `bom-ref`); `metadata.supplier` its supplier;
//!   `metadata.tools.components` whittle; `metadata.timestamp` the build
//!   date; `metadata.lifecycles` `build`.
//! * `components`: the operating system (`operating-system`) when the
//!   distro is known, then one `library` per distribution package, with its
//!   purl as `bom-ref`, `supplier`, `hashes` (SPDX names mapped to
//!   CycloneDX's `SHA-256`, `SHA-1`…; algorithms CycloneDX lacks are left
//!   out), `licenses` (the same normalised expression as in SPDX, with
//!   `acknowledgement: declared`; text that is no expression becomes a
//!   named license), `copyright`, a `distribution` external reference for
//!   its download URL, and the source package it was built from as its
//!   `pedigree.ancestors` entry.
//! * Packages excluded by the recipe are listed with `scope: excluded` and a
//!   `whittle:excluded` property; install-script actions not emulated are
//!   `whittle:not-emulated` properties, one per action.
//! * `dependencies`: the image depends on the operating system and every
//!   installed package. Dependencies between packages are not known here,
//!   so they are left out (CycloneDX reads a missing entry as unknown).
//! * The index document: the index is `metadata.component`, each per-arch
//!   image a `container` component it depends on.
//!
//! ```
//! use whittle_sbom::{spdx_json, SbomInput, SbomPackage};
//! let input = SbomInput {
//!     image_name: "example.com/hello:1".into(),
//!     arch: "amd64".into(),
//!     tool: "whittle-0.1.0".into(),
//!     packages: vec![SbomPackage {
//!         name: "zlib1g".into(),
//!         version: "1:1.2.13.dfsg-1".into(),
//!         arch: "amd64".into(),
//!         purl: "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64".into(),
//!         license_declared: Some("Zlib".into()),
//!         ..Default::default()
//!     }],
//!     ..Default::default()
//! };
//! let json = spdx_json(&input);
//! assert!(json.contains("\"licenseDeclared\": \"Zlib\""));
//! assert_eq!(json, spdx_json(&input));
//! let cdx = whittle_sbom::render(whittle_sbom::SbomFormat::CycloneDx, &input);
//! assert!(cdx.contains("\"expression\": \"Zlib\""));
//! ```
//!
//! # Crates doing the work
//!
//! - The SPDX License List and expression parsing: `spdx`. Its list follows
//!   SPDX releases, so it can name licenses that an older validator (the
//!   `license-expression` database behind `pyspdxtools`) does not know yet.
#![deny(missing_docs)]

mod actor;
mod checksum;
mod common;
mod cyclonedx;
mod format;
mod input;
mod license;
mod purl;
mod read;
mod spdx;
mod write;

pub use crate::cyclonedx::{cyclonedx_index_json, cyclonedx_json};
pub use crate::format::{render, render_index, SbomFormat, UnknownSbomFormat};
pub use crate::input::{SbomIndexInput, SbomInput, SbomPackage};
pub use crate::read::{
    looks_like_sbom, parse_purl, parse_sbom, read_sbom, ListedPackage, ListedPackages, ReadError,
};
pub use crate::spdx::{spdx_index_json, spdx_json};
pub use license::{license_ref, spdx_license_id};
pub use purl::purl_encode;
pub use write::write_atomic;
