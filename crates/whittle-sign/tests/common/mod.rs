//! Signed bundles and their tampered variants, shared by the Rust checks
//! (`bundle.rs`) and the independent Python verifier (`python_verifier.rs`).
#![allow(dead_code, clippy::unwrap_used)]

use whittle_sign::{
    dsse::Envelope, predicate, Bundle, PublicKey, SigningKey, Statement, Subject, VerifyError,
    PAYLOAD_TYPE,
};

/// An image index digest to sign.
pub const DIGEST: &str = "sha256:0f3a1c9a2b4d6e8f00112233445566778899aabbccddeeff0011223344556677";
/// Another image's.
pub const OTHER_DIGEST: &str =
    "sha256:99887766554433221100ffeeddccbbaa99887766554433221100ffeeddccbbaa";

/// A statement about `digest` as `cosign sign --new-bundle-format` makes it.
pub fn sign_statement(digest: &str) -> Statement {
    Statement::new(
        vec![Subject::from_oci_digest("", digest).unwrap()],
        predicate::COSIGN_SIGN,
        serde_json::json!({}),
    )
}

/// A bundle with its envelope replaced by `envelope`.
pub fn with_envelope(bundle: &Bundle, envelope: &Envelope) -> Vec<u8> {
    let mut json: serde_json::Value = serde_json::from_slice(&bundle.to_json()).unwrap();
    json["dsseEnvelope"] = serde_json::to_value(envelope).unwrap();
    serde_json::to_vec(&json).unwrap()
}

/// One way a bundle can be wrong.
pub struct Tampered {
    pub name: &'static str,
    pub bundle: Vec<u8>,
    /// The key to verify with.
    pub key: PublicKey,
    /// The digest to verify for.
    pub digest: &'static str,
    /// The error whittle must give.
    pub expect: fn(&VerifyError) -> bool,
    /// What the Python verifier's reason must say.
    pub python_reason: &'static str,
}

/// The signer, its good bundle for [`DIGEST`], and every tampered case.
pub fn tampered_cases() -> (SigningKey, Bundle, Vec<Tampered>) {
    let key = SigningKey::generate();
    let public = key.public_key();
    let bundle = Bundle::sign_statement(&key, &sign_statement(DIGEST));
    let envelope = bundle.envelope().clone();
    let mut cases = Vec::new();

    cases.push(Tampered {
        name: "wrong key",
        bundle: bundle.to_json(),
        key: SigningKey::generate().public_key(),
        digest: DIGEST,
        expect: |e| matches!(e, VerifyError::WrongKey { .. }),
        python_reason: "the bundle names key",
    });

    // The attacker points the signed statement at another image.
    let mut edited = envelope.clone();
    let text = String::from_utf8(edited.payload.clone()).unwrap();
    let (_, hex) = DIGEST.split_once(':').unwrap();
    let (_, other_hex) = OTHER_DIGEST.split_once(':').unwrap();
    edited.payload = text.replace(hex, other_hex).into_bytes();
    assert_ne!(edited.payload, envelope.payload);
    cases.push(Tampered {
        name: "edited payload",
        bundle: with_envelope(&bundle, &edited),
        key: public.clone(),
        digest: OTHER_DIGEST,
        expect: |e| matches!(e, VerifyError::PayloadTampered),
        python_reason: "DSSE: the signature does not verify",
    });

    // A signature that is no longer DER.
    let mut edited = envelope.clone();
    edited.signatures[0].sig[0] ^= 0x01;
    cases.push(Tampered {
        name: "edited signature (not DER)",
        bundle: with_envelope(&bundle, &edited),
        key: public.clone(),
        digest: DIGEST,
        expect: |e| matches!(e, VerifyError::BadSignature { .. }),
        python_reason: "DSSE: the signature",
    });

    // A signature whose numbers changed: still DER, no longer valid.
    let mut edited = envelope.clone();
    let last = edited.signatures[0].sig.len() - 1;
    edited.signatures[0].sig[last] ^= 0x01;
    cases.push(Tampered {
        name: "edited signature (its s)",
        bundle: with_envelope(&bundle, &edited),
        key: public.clone(),
        digest: DIGEST,
        expect: |e| matches!(e, VerifyError::PayloadTampered),
        python_reason: "DSSE: the signature does not verify",
    });

    // A genuine signature, for another image.
    cases.push(Tampered {
        name: "subject is another digest",
        bundle: Bundle::sign_statement(&key, &sign_statement(OTHER_DIGEST)).to_json(),
        key: public.clone(),
        digest: DIGEST,
        expect: |e| matches!(e, VerifyError::OtherDigest { .. }),
        python_reason: "the statement is about",
    });

    // Validly signed, but not as an in-toto statement.
    let other_type = Envelope::sign(&key, "application/json", envelope.payload.clone());
    cases.push(Tampered {
        name: "wrong payload type",
        bundle: with_envelope(&bundle, &other_type),
        key: public.clone(),
        digest: DIGEST,
        expect: |e| matches!(e, VerifyError::WrongPayloadType { .. }),
        python_reason: "payload type 'application/json'",
    });

    // Validly signed, but an in-toto statement of another version.
    let mut old = sign_statement(DIGEST);
    old.statement_type = "https://in-toto.io/Statement/v0.1".into();
    let old = Envelope::sign(&key, PAYLOAD_TYPE, old.to_json());
    cases.push(Tampered {
        name: "statement v0.1",
        bundle: with_envelope(&bundle, &old),
        key: public.clone(),
        digest: DIGEST,
        expect: |e| matches!(e, VerifyError::WrongStatementType { .. }),
        python_reason: "statement _type",
    });

    // A second signature: a bundle's envelope carries exactly one.
    let mut two = envelope.clone();
    two.signatures.push(two.signatures[0].clone());
    cases.push(Tampered {
        name: "two signatures",
        bundle: with_envelope(&bundle, &two),
        key: public,
        digest: DIGEST,
        expect: |e| matches!(e, VerifyError::BadSignature { .. }),
        python_reason: "exactly one signature",
    });

    (key, bundle, cases)
}
