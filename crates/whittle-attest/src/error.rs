//! The errors of attesting and of verifying.

/// Making the signatures and attestations of an image failed.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// A digest is not `sha256:<hex>`.
    #[error("cannot sign {digest}: it is not a sha256 digest")]
    Digest {
        /// The digest.
        digest: String,
    },
    /// An SBOM given to attest is not JSON.
    #[error("the {what} SBOM is not JSON, so it cannot be attested: {source}")]
    SbomJson {
        /// Which SBOM.
        what: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

/// Why an image did not verify. Every variant names the manifest and what
/// to do about it.
#[derive(Debug, thiserror::Error)]
pub enum VerifyFailure {
    /// Reading a referrer, manifest or blob failed.
    #[error("could not read {what}: {reason}")]
    Read {
        /// What was read.
        what: String,
        /// Why it failed (the source's own message).
        reason: String,
    },
    /// No signature for the image was found at all.
    #[error(
        "{digest} has no signature: no Sigstore bundle with predicate type {predicate} and no \
         cosign sha256-<hex>.sig signature. Sign it with `whittle publish --sign --key KEY` \
         (or `whittle build --sign`)"
    )]
    Unsigned {
        /// The manifest.
        digest: String,
        /// The predicate type looked for.
        predicate: String,
    },
    /// Signatures were found, but none verified with the key.
    #[error("no signature of {digest} verifies with the key given: {reasons}")]
    BadSignature {
        /// The manifest.
        digest: String,
        /// Why each failed.
        reasons: String,
    },
    /// A required attestation is missing.
    #[error(
        "{digest} ({what}) has no {predicate} attestation. Publish with --sign to attach SBOM \
         and provenance attestations"
    )]
    MissingAttestation {
        /// The manifest.
        digest: String,
        /// Which manifest it is (`linux/amd64`, `index`).
        what: String,
        /// The predicate type looked for.
        predicate: String,
    },
    /// An attestation is there but does not verify.
    #[error("the {predicate} attestation of {digest} does not verify: {reason}")]
    BadAttestation {
        /// The manifest.
        digest: String,
        /// Its predicate type.
        predicate: String,
        /// Why.
        reason: String,
    },
}
