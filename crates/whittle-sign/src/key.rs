//! ECDSA P-256 keys in the formats cosign reads and writes: the private key
//! as an encrypted PEM ([`crate::encrypted`]), plain PKCS#8 (`PRIVATE KEY`,
//! RFC 5958) or SEC1 (`EC PRIVATE KEY`, RFC 5915); the public key as an
//! X.509 SubjectPublicKeyInfo (`PUBLIC KEY`, RFC 5480). Signatures are
//! ECDSA over SHA-256 of the message, ASN.1 DER, deterministic (RFC 6979).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::spki::SubjectPublicKeyInfoRef;
use p256::pkcs8::{
    AssociatedOid, DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey,
    ObjectIdentifier, PrivateKeyInfo,
};
use p256::NistP256;
use sha2::{Digest, Sha256};

use crate::encrypted;
use crate::error::{KeyError, VerifyError};

/// The PEM label cosign writes for its encrypted private keys.
pub const ENCRYPTED_SIGSTORE_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The label cosign wrote before (still read by cosign and whittle).
pub const ENCRYPTED_COSIGN_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// `id-ecPublicKey` (RFC 5480): the algorithm of every EC key.
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// A P-256 private key. Its `Debug` shows the public key's hint only.
#[derive(Clone)]
pub struct SigningKey {
    inner: p256::ecdsa::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public_key_hint", &self.public_key().hint())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        Self {
            inner: p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng),
        }
    }

    /// Read a private key: cosign's encrypted PEM (opened with `password`),
    /// PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY` (the password is then
    /// ignored). Other PEM blocks before the key (`EC PARAMETERS`, as
    /// `openssl ecparam -genkey` writes) are skipped.
    pub fn from_pem(pem: &str, password: &[u8]) -> Result<Self, KeyError> {
        let block = key_block(pem)?;
        let secret = match block.tag() {
            ENCRYPTED_SIGSTORE_LABEL | ENCRYPTED_COSIGN_LABEL => {
                let der = encrypted::open(block.contents(), password)?;
                // cosign seals PKCS#8; a sealed SEC1 key (which cosign
                // itself refuses) is read too.
                from_pkcs8(&der).or_else(|e| from_sec1(&der).map_err(|_| e))?
            }
            "PRIVATE KEY" => from_pkcs8(block.contents())?,
            "EC PRIVATE KEY" => from_sec1(block.contents())?,
            "ENCRYPTED PRIVATE KEY" => {
                return Err(KeyError::UnsupportedEncryption {
                    what: "a PKCS#8 encrypted key (`ENCRYPTED PRIVATE KEY`); decrypt it with \
                           `openssl pkcs8` or import it with `cosign import-key-pair`"
                        .into(),
                })
            }
            "PUBLIC KEY" => {
                return Err(KeyError::NotAKey {
                    found: "a public key where the private key is needed".into(),
                })
            }
            other => {
                return Err(KeyError::NotAKey {
                    found: format!("a PEM `{other}` block"),
                })
            }
        };
        Ok(Self {
            inner: secret.into(),
        })
    }

    /// The key as cosign writes it today: `ENCRYPTED SIGSTORE PRIVATE KEY`
    /// around the scrypt + secretbox JSON of its PKCS#8 DER.
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<String, KeyError> {
        let der = p256::SecretKey::from(&self.inner)
            .to_pkcs8_der()
            .map_err(|e| KeyError::Encrypt {
                what: format!("cannot write PKCS#8: {e}"),
            })?;
        let body = encrypted::seal(der.as_bytes(), password)?;
        Ok(pem_lf(ENCRYPTED_SIGSTORE_LABEL, body))
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_verifying_key(*self.inner.verifying_key())
    }

    /// Sign `message`: ECDSA P-256 over its SHA-256, ASN.1 DER, as cosign.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.inner.sign(message);
        signature.to_der().as_bytes().to_vec()
    }
}

/// A P-256 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    inner: VerifyingKey,
    /// The SubjectPublicKeyInfo DER, as hashed for the hint.
    spki: Vec<u8>,
}

impl PublicKey {
    fn from_verifying_key(inner: VerifyingKey) -> Self {
        // A P-256 point always encodes; the error case is for curves without
        // an OID, which P-256 has.
        let spki = inner
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        Self { inner, spki }
    }

    /// Read a `PUBLIC KEY` PEM (SubjectPublicKeyInfo), as `cosign.pub`.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let block = key_block(pem)?;
        match block.tag() {
            "PUBLIC KEY" => {}
            tag if tag.contains("PRIVATE KEY") => {
                return Err(KeyError::NotAKey {
                    found: format!(
                        "a private key (`{tag}`) where the public key is needed (cosign.pub)"
                    ),
                })
            }
            other => {
                return Err(KeyError::NotAKey {
                    found: format!("a PEM `{other}` block"),
                })
            }
        }
        let der = block.contents();
        let info = SubjectPublicKeyInfoRef::try_from(der).map_err(|e| KeyError::NotAKey {
            found: format!("a `PUBLIC KEY` whose DER does not read ({e})"),
        })?;
        check_curve(info.algorithm.oid, info.algorithm.parameters_oid().ok())?;
        let inner = VerifyingKey::from_public_key_der(der).map_err(|e| KeyError::NotAKey {
            found: format!("a `PUBLIC KEY` that is not a P-256 point ({e})"),
        })?;
        Ok(Self::from_verifying_key(inner))
    }

    /// The key as a `PUBLIC KEY` PEM, as cosign writes `cosign.pub`.
    pub fn to_pem(&self) -> String {
        pem_lf("PUBLIC KEY", self.spki.clone())
    }

    /// Check an ASN.1 DER ECDSA signature over SHA-256 of `message`.
    pub fn verify(&self, message: &[u8], der_sig: &[u8]) -> Result<(), VerifyError> {
        let signature = Signature::from_der(der_sig).map_err(|_| VerifyError::BadSignature {
            reason: format!(
                "{} bytes that are not an ASN.1 DER ECDSA P-256 signature",
                der_sig.len()
            ),
        })?;
        self.inner
            .verify(message, &signature)
            .map_err(|_| VerifyError::NotVerified)
    }

    /// What cosign puts in a bundle's `verificationMaterial.publicKey.hint`:
    /// the standard base64 of the SHA-256 of the SubjectPublicKeyInfo DER.
    pub fn hint(&self) -> String {
        STANDARD.encode(Sha256::digest(&self.spki))
    }
}

/// The first PEM block that is not `EC PARAMETERS`.
fn key_block(text: &str) -> Result<pem::Pem, KeyError> {
    let blocks = pem::parse_many(text).map_err(|e| KeyError::NotAKey {
        found: format!("text that is not PEM ({e})"),
    })?;
    blocks
        .into_iter()
        .find(|b| b.tag() != "EC PARAMETERS")
        .ok_or_else(|| KeyError::NotAKey {
            found: "no PEM block".into(),
        })
}

fn from_pkcs8(der: &[u8]) -> Result<p256::SecretKey, KeyError> {
    let info = PrivateKeyInfo::try_from(der).map_err(|e| KeyError::NotAKey {
        found: format!("PKCS#8 DER that does not read ({e})"),
    })?;
    check_curve(info.algorithm.oid, info.algorithm.parameters_oid().ok())?;
    p256::SecretKey::from_pkcs8_der(der).map_err(|e| KeyError::NotAKey {
        found: format!("a PKCS#8 P-256 key that does not read ({e})"),
    })
}

fn from_sec1(der: &[u8]) -> Result<p256::SecretKey, KeyError> {
    let key = sec1::EcPrivateKey::try_from(der).map_err(|e| KeyError::NotAKey {
        found: format!("SEC1 DER that does not read ({e})"),
    })?;
    // The curve is named in the key, or (RFC 5915) known from context; a
    // key without it must at least be a P-256 scalar's length.
    let curve = key.parameters.and_then(|p| p.named_curve());
    if curve.is_some() || key.private_key.len() != 32 {
        check_curve(EC_PUBLIC_KEY, curve)?;
    }
    p256::SecretKey::from_sec1_der(der).map_err(|e| KeyError::NotAKey {
        found: format!("a SEC1 P-256 key that does not read ({e})"),
    })
}

fn check_curve(
    algorithm: ObjectIdentifier,
    curve: Option<ObjectIdentifier>,
) -> Result<(), KeyError> {
    if algorithm != EC_PUBLIC_KEY {
        return Err(KeyError::UnsupportedCurve {
            found: format!("a non-EC key (algorithm {})", oid_name(algorithm)),
        });
    }
    match curve {
        Some(c) if c == NistP256::OID => Ok(()),
        Some(c) => Err(KeyError::UnsupportedCurve {
            found: format!("an EC key on curve {}", oid_name(c)),
        }),
        None => Err(KeyError::UnsupportedCurve {
            found: "an EC key without a named curve".into(),
        }),
    }
}

/// Common names for the OIDs a key file is likely to hold.
fn oid_name(oid: ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.3.101.112" => "Ed25519",
        "1.3.132.0.34" => "P-384 (secp384r1)",
        "1.3.132.0.35" => "P-521 (secp521r1)",
        "1.3.132.0.10" => "secp256k1",
        _ => return oid.to_string(),
    };
    format!("{name} ({oid})")
}

/// PEM with `\n` line ends and 64-character lines, as Go's `pem.Encode`.
fn pem_lf(label: &str, contents: Vec<u8>) -> String {
    pem::encode_config(
        &pem::Pem::new(label, contents),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}
