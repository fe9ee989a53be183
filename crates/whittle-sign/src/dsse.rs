//! DSSE, the Dead Simple Signing Envelope (secure-systems-lab/dsse
//! `protocol.md`, `envelope.md`): the signature covers the
//! pre-authentication encoding of the payload type and the payload, so the
//! type cannot be swapped; the JSON envelope carries the payload and each
//! signature in base64.

use serde::{Deserialize, Serialize};

use crate::error::VerifyError;
use crate::key::{PublicKey, SigningKey};

/// `PAE(type, body)`: `"DSSEv1" SP len(type) SP type SP len(body) SP body`,
/// lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// A DSSE JSON envelope.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The signed bytes (base64 in JSON).
    #[serde(with = "crate::b64")]
    pub payload: Vec<u8>,
    /// How to read them, e.g. [`crate::PAYLOAD_TYPE`].
    pub payload_type: String,
    /// The signatures (Sigstore bundles carry exactly one).
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeSignature {
    /// An unauthenticated hint at the key; empty when unset (not written).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
    /// The signature over [`pae`] (base64 in JSON).
    #[serde(with = "crate::b64")]
    pub sig: Vec<u8>,
}

impl Envelope {
    /// Sign `payload` as `payload_type` with `key`: one signature, no key
    /// id (as sigstore-go writes it into a bundle).
    pub fn sign(key: &SigningKey, payload_type: &str, payload: Vec<u8>) -> Self {
        let sig = key.sign(&pae(payload_type, &payload));
        Self {
            payload,
            payload_type: payload_type.to_owned(),
            signatures: vec![EnvelopeSignature {
                keyid: String::new(),
                sig,
            }],
        }
    }

    /// Accept when a signature verifies over the PAE with `key`. With none
    /// that does, the error is the first signature's.
    pub fn verify(&self, key: &PublicKey) -> Result<(), VerifyError> {
        let message = pae(&self.payload_type, &self.payload);
        let mut first = None;
        for signature in &self.signatures {
            match key.verify(&message, &signature.sig) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        Err(first.unwrap_or_else(|| VerifyError::BadSignature {
            reason: "the envelope has no signature".into(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_counts_bytes_not_characters() {
        assert_eq!(pae("t", "é".as_bytes()), b"DSSEv1 1 t 2 \xc3\xa9");
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }
}
