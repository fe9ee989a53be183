//! What whittle signs and attests about an image it built, and checking
//! that again. The formats (keys, DSSE, in-toto, Sigstore bundles,
//! cosign's legacy signatures) are `whittle-sign`'s; this crate decides
//! what is said about which manifest:
//!
//! - a **signature**: a bundle whose statement has cosign's predicate type
//!   `https://sigstore.dev/cosign/sign/v1` and the image's top manifest
//!   (the index, or the one manifest) as its subject; with `recursive`,
//!   one more on every platform manifest (as `cosign sign --recursive`);
//!   or cosign v2's legacy simple-signing signature under
//!   `sha256-<hex>.sig`;
//! - an **SBOM attestation** per platform and SBOM format, about that
//!   platform's manifest (`https://spdx.dev/Document`,
//!   `https://cyclonedx.org/bom`);
//! - a **provenance** statement (`https://slsa.dev/provenance/v1`) about
//!   the top manifest and every platform manifest: the recipe's and the
//!   lock's digests, every package with its checksum, the whittle version.
//!
//! Each becomes a [`whittle_oci::Referrer`]: stored in the image's archive
//! or layout by the build, and pushed as an OCI 1.1 referrer by publish.
//! [`verify_image`] reads them back through a [`ReferrerSource`] (a
//! layout, an archive or a registry) and checks every one against a key.

mod error;
mod provenance;
mod sign;
mod verify;

pub use error::{AttestError, VerifyFailure};
pub use provenance::{Provenance, ProvenancePackage, BUILD_TYPE};
pub use sign::{attest, ImageFacts, PlatformFacts, SbomDocument, SignFormat, SignOptions, Subject};
pub use verify::{
    verify_image, ListedReferrer, ReferrerSource, VerifiedAttestation, VerifiedImage,
};
pub use whittle_sign::{predicate, PublicKey, SigningKey, Statement};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
