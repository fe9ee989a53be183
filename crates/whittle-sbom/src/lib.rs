//! SPDX 2.3 JSON SBOMs for whittle images, deterministic byte for byte.
//!
//! [`spdx_json`] describes one image (one architecture) and the distribution
//! packages in it; [`spdx_index_json`] describes a multi-arch image index and
//! its per-arch images. Both are pure functions of their input: packages are
//! sorted, keys come in a fixed order, the timestamp is the build date the
//! caller passes, and `documentNamespace` is derived from a SHA-256 of the
//! document's content rather than a random UUID. [`write_atomic`] is the only
//! I/O.
//!
//! # Document layout (one image)
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
//! ```
//!
//! # Crates doing the work
//!
//! - The SPDX License List and expression parsing: `spdx`. Its list follows
//!   SPDX releases, so it can name licenses that an older validator (the
//!   `license-expression` database behind `pyspdxtools`) does not know yet.
#![deny(missing_docs)]

mod license;
mod purl;
mod spdx;
mod write;

pub use crate::spdx::{spdx_index_json, spdx_json, SbomInput, SbomPackage};
pub use license::{license_ref, spdx_license_id};
pub use purl::purl_encode;
pub use write::write_atomic;
