//! The errors, one enum per operation: reading or writing a key
//! ([`KeyError`]), checking a signature ([`VerifyError`]) and reading a
//! bundle or its OCI artifact ([`BundleError`]). Callers add the file or
//! reference the bytes came from.

use thiserror::Error;

/// Reading, decrypting or writing a key.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The text is not a key whittle reads (another PEM block, a damaged
    /// one, or DER that is not a key).
    #[error(
        "not a key: {found}; expected a PEM `PUBLIC KEY`, `PRIVATE KEY`, `EC PRIVATE KEY` or \
         `ENCRYPTED SIGSTORE PRIVATE KEY` (as `cosign generate-key-pair` or `whittle keygen` write)"
    )]
    NotAKey {
        /// What was found instead.
        found: String,
    },
    /// An encrypted key did not open with the password given.
    #[error(
        "wrong password for the encrypted private key (set COSIGN_PASSWORD or give the password \
         the key was written with; an empty password is a password too)"
    )]
    WrongPassword,
    /// A key on a curve other than P-256, or not an EC key.
    #[error(
        "unsupported key: {found}; whittle signs with ECDSA P-256 keys only (`whittle keygen`)"
    )]
    UnsupportedCurve {
        /// The algorithm or curve found.
        found: String,
    },
    /// An encrypted key whose key derivation or cipher is not cosign's.
    #[error(
        "unsupported encrypted key: {what}; cosign's format is scrypt (N 2^15, 2^16 or 2^17, r 8, \
         p 1) with nacl/secretbox"
    )]
    UnsupportedEncryption {
        /// What is not supported.
        what: String,
    },
    /// The key could not be encrypted (scrypt refused its parameters).
    #[error("cannot encrypt the private key: {what}")]
    Encrypt {
        /// Why.
        what: String,
    },
}

/// Checking a signature, an envelope or a bundle.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// The signature does not verify with this key, and the bundle's key
    /// hint names another key: it was signed with a different key.
    #[error(
        "signed with another key: the bundle names key {signer_hint}, the key given is \
         {key_hint}; verify with the public key of the key that signed"
    )]
    WrongKey {
        /// The hint of the key given (see [`crate::PublicKey::hint`]).
        key_hint: String,
        /// The hint the bundle carries.
        signer_hint: String,
    },
    /// The signature does not verify with this key, and nothing says which
    /// key signed (no hint): another key signed, or the content changed.
    #[error(
        "the signature does not verify with this key: another key signed it, or the signed \
         content or the signature changed after signing"
    )]
    NotVerified,
    /// The signature is not an ECDSA signature at all (not DER, not
    /// base64, missing, or more than one where one is required).
    #[error("bad signature: {reason}; the signature was damaged or replaced")]
    BadSignature {
        /// Why.
        reason: String,
    },
    /// The bundle's signer is this key (by its hint) and the signature is
    /// well-formed, but it does not verify over the payload: the payload
    /// (or the signature's numbers) changed after signing. ECDSA cannot
    /// tell a changed payload from a changed well-formed signature.
    #[error(
        "the signed payload was changed after signing: the signature by this key does not verify \
         over it"
    )]
    PayloadTampered,
    /// The envelope's payload type is not the in-toto one.
    #[error("the envelope's payload type is {found:?}, not {expected:?}")]
    WrongPayloadType {
        /// The type required.
        expected: String,
        /// The type found.
        found: String,
    },
    /// The payload is not an in-toto Statement v1.
    #[error("the payload's _type is {found:?}, not an in-toto Statement v1")]
    WrongStatementType {
        /// The `_type` found.
        found: String,
    },
    /// The signature is valid but for another image.
    #[error("the signature is for {found}, not for {expected}")]
    OtherDigest {
        /// The digest asked about.
        expected: String,
        /// The digests the signed payload names.
        found: String,
    },
    /// The signed payload cannot be read.
    #[error("malformed {what}")]
    Malformed {
        /// What and why.
        what: String,
    },
}

/// Reading a bundle or the OCI artifact that carries one.
#[derive(Debug, Error)]
pub enum BundleError {
    /// Not JSON of the expected shape.
    #[error("malformed {what}")]
    Malformed {
        /// What and why.
        what: String,
    },
    /// A bundle of another version.
    #[error(
        "unsupported bundle media type {found:?}; whittle reads Sigstore bundles v0.3 \
         (application/vnd.dev.sigstore.bundle.v0.3+json)"
    )]
    UnsupportedMediaType {
        /// The media type found.
        found: String,
    },
    /// A bundle whose content is a message signature, not a DSSE envelope.
    #[error("the bundle holds a {found}, not a DSSE envelope; whittle signs and reads in-toto attestations")]
    NotDsse {
        /// What it holds.
        found: String,
    },
    /// An OCI manifest that is not a Sigstore bundle artifact.
    #[error("not a Sigstore bundle artifact: {what}")]
    NotABundleArtifact {
        /// What was found instead.
        what: String,
    },
}
