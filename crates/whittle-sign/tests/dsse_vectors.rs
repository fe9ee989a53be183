//! DSSE against the test vector published with the protocol
//! (secure-systems-lab/dsse `protocol.md`, "Test Vectors"): PAE bytes, and
//! the signature itself, since ECDSA with RFC 6979 is deterministic.
#![allow(clippy::unwrap_used)]

use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use whittle_sign::{pae, Envelope, EnvelopeSignature, SigningKey};

const PAYLOAD_TYPE: &str = "http://example.com/HelloWorld";
const PAYLOAD: &[u8] = b"hello world";
const PAE: &[u8] = b"DSSEv1 29 http://example.com/HelloWorld 11 hello world";
/// The key, in decimal as published.
const D: &str = "97358161215184420915383655311931858321456579547487070936769975997791359926199";
const X: &str = "46950820868899156662930047687818585632848591499744589407958293238635476079160";
const Y: &str = "5640078356564379163099075877009565129882514886557779369047442380624545832820";
/// The published signature: raw r || s, base64.
const SIG: &str =
    "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==";
/// The published envelope (its `keyid` is the reference code's own).
const ENVELOPE: &str = r#"{"payload": "aGVsbG8gd29ybGQ=",
 "payloadType": "http://example.com/HelloWorld",
 "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]}"#;

/// A decimal number as 32 big-endian bytes.
fn be32(decimal: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for digit in decimal.bytes() {
        let mut carry = u32::from(digit - b'0');
        for byte in out.iter_mut().rev() {
            let v = u32::from(*byte) * 10 + carry;
            *byte = (v & 0xff) as u8;
            carry = v >> 8;
        }
        assert_eq!(carry, 0, "{decimal} overflows 256 bits");
    }
    out
}

fn vector_key() -> SigningKey {
    let secret = p256::SecretKey::from_slice(&be32(D)).unwrap();
    let pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
    SigningKey::from_pem(&pem, b"").unwrap()
}

fn raw_to_der(raw: &[u8]) -> Vec<u8> {
    let sig = p256::ecdsa::Signature::from_slice(raw).unwrap();
    sig.to_der().as_bytes().to_vec()
}

#[test]
fn pae_matches_the_published_vector() {
    assert_eq!(pae(PAYLOAD_TYPE, PAYLOAD), PAE);
}

#[test]
fn the_vector_key_is_the_published_point() {
    let secret = p256::SecretKey::from_slice(&be32(D)).unwrap();
    let point = secret.public_key().to_encoded_point(false);
    assert_eq!(point.x().unwrap().as_slice(), be32(X));
    assert_eq!(point.y().unwrap().as_slice(), be32(Y));
    // And the PEM path whittle reads yields the same public key.
    let from_pem = vector_key().public_key();
    let expected = whittle_sign::PublicKey::from_pem(
        &p256::pkcs8::EncodePublicKey::to_public_key_pem(&secret.public_key(), LineEnding::LF)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(from_pem, expected);
}

#[test]
fn signing_the_vector_gives_the_published_signature() {
    use base64::Engine as _;
    let published = base64::engine::general_purpose::STANDARD
        .decode(SIG)
        .unwrap();
    let envelope = Envelope::sign(&vector_key(), PAYLOAD_TYPE, PAYLOAD.to_vec());
    let der = &envelope.signatures[0].sig;
    let raw = p256::ecdsa::Signature::from_der(der).unwrap().to_bytes();
    assert_eq!(raw.as_slice(), published.as_slice());
}

#[test]
fn the_published_envelope_verifies_and_a_changed_one_does_not() {
    let mut envelope: Envelope = serde_json::from_str(ENVELOPE).unwrap();
    assert_eq!(envelope.payload, PAYLOAD);
    assert_eq!(envelope.payload_type, PAYLOAD_TYPE);
    // The vector's signature is raw r || s; cosign and whittle use DER.
    envelope.signatures[0].sig = raw_to_der(&envelope.signatures[0].sig);
    let key = vector_key().public_key();
    envelope.verify(&key).unwrap();

    let mut other_type = envelope.clone();
    other_type.payload_type = "http://example.com/Other".into();
    assert!(
        other_type.verify(&key).is_err(),
        "the payload type is signed too"
    );
    let mut other_payload = envelope.clone();
    other_payload.payload = b"hello world!".to_vec();
    assert!(other_payload.verify(&key).is_err());
    assert!(envelope
        .verify(&SigningKey::generate().public_key())
        .is_err());
}

#[test]
fn envelope_json_round_trips_in_the_published_shape() {
    let envelope = Envelope::sign(&vector_key(), PAYLOAD_TYPE, PAYLOAD.to_vec());
    let json: serde_json::Value = serde_json::to_value(&envelope).unwrap();
    let published: serde_json::Value = serde_json::from_str(ENVELOPE).unwrap();
    assert_eq!(json["payload"], published["payload"]);
    assert_eq!(json["payloadType"], published["payloadType"]);
    let sig = json["signatures"][0].as_object().unwrap();
    assert_eq!(
        sig.keys().collect::<Vec<_>>(),
        ["sig"],
        "no keyid when unset"
    );
    let back: Envelope = serde_json::from_value(json).unwrap();
    assert_eq!(back, envelope);
    back.verify(&vector_key().public_key()).unwrap();

    // A key id, when set, is written and read back.
    let with_keyid = Envelope {
        signatures: vec![EnvelopeSignature {
            keyid: "66301bbf".into(),
            sig: envelope.signatures[0].sig.clone(),
        }],
        ..envelope
    };
    let text = serde_json::to_string(&with_keyid).unwrap();
    assert!(text.contains(r#""keyid":"66301bbf""#), "{text}");
    assert_eq!(serde_json::from_str::<Envelope>(&text).unwrap(), with_keyid);
}
