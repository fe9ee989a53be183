//! The Sigstore bundle v0.3 (sigstore/protobuf-specs `sigstore_bundle.proto`,
//! in its protobuf JSON form) as `cosign sign --key … --new-bundle-format
//! --tlog-upload=false` writes it: `mediaType`, `verificationMaterial`
//! with only `publicKey.hint` (no transparency-log entries, no timestamps,
//! so neither field is written), and a `dsseEnvelope` over an in-toto
//! statement.

use serde::{Deserialize, Serialize};

use crate::dsse::{pae, Envelope};
use crate::error::{BundleError, VerifyError};
use crate::key::{PublicKey, SigningKey};
use crate::statement::{Statement, PAYLOAD_TYPE, STATEMENT_TYPE};

/// The media type of a v0.3 bundle (its `mediaType` field, the OCI
/// artifact type and the layer media type of its referrer).
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A Sigstore bundle holding a DSSE envelope signed with a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    envelope: Envelope,
    hint: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BundleJson {
    media_type: String,
    verification_material: VerificationMaterial,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dsse_envelope: Option<Envelope>,
    #[serde(default, skip_serializing)]
    message_signature: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct VerificationMaterial {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<PublicKeyIdentifier>,
    // Read so that a bundle by another signer parses; whittle checks
    // neither (offline signing, like `--insecure-ignore-tlog`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tlog_entries: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timestamp_verification_data: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    certificate: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x509_certificate_chain: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct PublicKeyIdentifier {
    #[serde(default)]
    hint: String,
}

impl Bundle {
    /// Sign `statement` with `key`: a DSSE envelope of payload type
    /// [`PAYLOAD_TYPE`] in a bundle naming the key by its hint.
    pub fn sign_statement(key: &SigningKey, statement: &Statement) -> Self {
        Self {
            envelope: Envelope::sign(key, PAYLOAD_TYPE, statement.to_json()),
            hint: Some(key.public_key().hint()),
        }
    }

    /// The bundle's JSON (the blob of its OCI artifact).
    pub fn to_json(&self) -> Vec<u8> {
        let json = BundleJson {
            media_type: BUNDLE_MEDIA_TYPE.to_owned(),
            verification_material: VerificationMaterial {
                public_key: self.hint.clone().map(|hint| PublicKeyIdentifier { hint }),
                ..VerificationMaterial::default()
            },
            dsse_envelope: Some(self.envelope.clone()),
            message_signature: None,
        };
        // Strings and byte vectors always serialise.
        serde_json::to_vec(&json).unwrap_or_default()
    }

    /// Read a bundle: v0.3, holding a DSSE envelope.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        let json: BundleJson =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Malformed {
                what: format!("Sigstore bundle JSON: {e}"),
            })?;
        if json.media_type != BUNDLE_MEDIA_TYPE {
            return Err(BundleError::UnsupportedMediaType {
                found: json.media_type,
            });
        }
        let envelope = match (json.dsse_envelope, json.message_signature) {
            (Some(envelope), _) => envelope,
            (None, Some(_)) => {
                return Err(BundleError::NotDsse {
                    found: "message signature".into(),
                })
            }
            (None, None) => {
                return Err(BundleError::Malformed {
                    what: "Sigstore bundle: it holds neither a DSSE envelope nor a signature"
                        .into(),
                })
            }
        };
        let hint = json
            .verification_material
            .public_key
            .map(|k| k.hint)
            .filter(|h| !h.is_empty());
        Ok(Self { envelope, hint })
    }

    /// The DSSE envelope inside.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The signer's key hint, if the bundle names one.
    pub fn key_hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Check the bundle against `key` and the image `digest`
    /// (`sha256:<hex>`), as cosign v3 does: one signature, the in-toto
    /// payload type, the signature over the PAE, a v1 statement, and a
    /// subject with the digest. Returns the verified statement.
    pub fn verify(&self, key: &PublicKey, digest: &str) -> Result<Statement, VerifyError> {
        let envelope = &self.envelope;
        let [signature] = envelope.signatures.as_slice() else {
            return Err(VerifyError::BadSignature {
                reason: format!(
                    "a Sigstore bundle's envelope carries exactly one signature, this one has {}",
                    envelope.signatures.len()
                ),
            });
        };
        if envelope.payload_type != PAYLOAD_TYPE {
            return Err(VerifyError::WrongPayloadType {
                expected: PAYLOAD_TYPE.to_owned(),
                found: envelope.payload_type.clone(),
            });
        }
        match key.verify(
            &pae(&envelope.payload_type, &envelope.payload),
            &signature.sig,
        ) {
            Ok(()) => {}
            Err(VerifyError::NotVerified) => return Err(self.why_not_verified(key)),
            Err(e) => return Err(e),
        }
        let statement: Statement =
            serde_json::from_slice(&envelope.payload).map_err(|e| VerifyError::Malformed {
                what: format!("in-toto statement in the bundle: {e}"),
            })?;
        if statement.statement_type != STATEMENT_TYPE {
            return Err(VerifyError::WrongStatementType {
                found: statement.statement_type,
            });
        }
        if !statement.predicate.is_object() {
            return Err(VerifyError::Malformed {
                what: "in-toto statement in the bundle: its predicate is not a JSON object".into(),
            });
        }
        if !statement.has_subject_digest(digest) {
            return Err(VerifyError::OtherDigest {
                expected: digest.to_owned(),
                found: statement.subject_digests().join(", "),
            });
        }
        Ok(statement)
    }

    /// A signature that did not verify: by another key if the hint names
    /// one, else the payload (or the signature) changed.
    fn why_not_verified(&self, key: &PublicKey) -> VerifyError {
        let key_hint = key.hint();
        match &self.hint {
            Some(signer_hint) if *signer_hint != key_hint => VerifyError::WrongKey {
                key_hint,
                signer_hint: signer_hint.clone(),
            },
            _ => VerifyError::PayloadTampered,
        }
    }

    /// The statement's predicate type, read without verifying (for
    /// listing); `None` if the payload is not an in-toto statement.
    pub fn predicate_type(&self) -> Option<String> {
        if self.envelope.payload_type != PAYLOAD_TYPE {
            return None;
        }
        let statement: Statement = serde_json::from_slice(&self.envelope.payload).ok()?;
        Some(statement.predicate_type)
    }
}
