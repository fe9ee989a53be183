//! Checking APK RSA signatures: PKCS#1 v1.5 over the raw bytes of the gzip
//! member after the signature member, SHA-1 for `.SIGN.RSA.` and SHA-256 for
//! `.SIGN.RSA256.` (abuild-sign / melange; apko's trust rules).

use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha1::{Digest, Sha1};
use sha2::Sha256;

use crate::index::{IndexArchive, SignatureAlgorithm};
use crate::keys::ApkKeyring;

/// Which signature vouched for an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBy {
    /// The key file name the verifying signature names.
    pub key_name: String,
    /// Its digest algorithm.
    pub algorithm: SignatureAlgorithm,
    /// Signatures by keys the keyring does not hold, skipped (the caller may
    /// warn about them).
    pub skipped_unknown: Vec<String>,
}

/// A signature check failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The file carries no RSA signature at all.
    #[error(
        "{origin} is not signed; whittle only installs from signed indexes. \
         If this repository is deliberately unsigned, it cannot be used as is"
    )]
    Unsigned {
        /// The file or URL.
        origin: String,
    },
    /// No signature was made by a key in the keyring.
    #[error(
        "{origin} is signed by {signed_by:?}, but none of these is in the keyring \
         (keys tried: {keyring:?}); add the repository's key with \
         --keyring-append / keyring: in the recipe"
    )]
    NoKnownKey {
        /// The file or URL.
        origin: String,
        /// The key names the signatures name.
        signed_by: Vec<String>,
        /// The key names in the keyring.
        keyring: Vec<String>,
    },
    /// A signature by a known key does not match the content.
    #[error(
        "{origin}: the signature by {key} does not verify: the file was modified or \
         corrupted after signing, or the keyring's {key} is not the key that signed it; \
         download it again and check the key"
    )]
    BadSignature {
        /// The file or URL.
        origin: String,
        /// The key name.
        key: String,
    },
}

/// Whether `signature` over `message` verifies with `key` using `algorithm`.
pub fn signature_valid(
    key: &RsaPublicKey,
    algorithm: SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> bool {
    match algorithm {
        SignatureAlgorithm::Sha1 => key
            .verify(
                Pkcs1v15Sign::new::<Sha1>(),
                &Sha1::digest(message),
                signature,
            )
            .is_ok(),
        SignatureAlgorithm::Sha256 => key
            .verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(message),
                signature,
            )
            .is_ok(),
    }
}

/// Verify an index: signatures by keys the keyring lacks are skipped; a
/// signature by a known key must verify (one that does not is treated as
/// tampering and fails the whole index); at least one must verify.
pub fn verify_index(
    archive: &IndexArchive,
    keyring: &ApkKeyring,
    origin: &str,
) -> Result<VerifiedBy, VerifyError> {
    let mut verified = None;
    let mut skipped_unknown = Vec::new();
    if archive.signatures.is_empty() {
        return Err(VerifyError::Unsigned {
            origin: origin.to_string(),
        });
    }
    for sig in &archive.signatures {
        let Some(key) = keyring.get(&sig.key_name) else {
            skipped_unknown.push(sig.key_name.clone());
            continue;
        };
        if !signature_valid(key, sig.algorithm, &archive.signed_member, &sig.bytes) {
            return Err(VerifyError::BadSignature {
                origin: origin.to_string(),
                key: sig.key_name.clone(),
            });
        }
        if verified.is_none() {
            verified = Some((sig.key_name.clone(), sig.algorithm));
        }
    }
    match verified {
        Some((key_name, algorithm)) => Ok(VerifiedBy {
            key_name,
            algorithm,
            skipped_unknown,
        }),
        None => Err(VerifyError::NoKnownKey {
            origin: origin.to_string(),
            signed_by: skipped_unknown,
            keyring: keyring.names().into_iter().map(str::to_string).collect(),
        }),
    }
}
