//! Bundles: signed, written, read and verified; the JSON in the shape
//! cosign writes offline; every tampered variant refused with its own
//! error; the statement in the in-toto v1 shape.
#![allow(clippy::unwrap_used)]

mod common;

use common::{sign_statement, tampered_cases, DIGEST};
use whittle_sign::{
    predicate, Bundle, BundleError, SigningKey, Statement, Subject, BUNDLE_MEDIA_TYPE,
    PAYLOAD_TYPE, STATEMENT_TYPE,
};

#[test]
fn sign_write_read_verify() {
    let key = SigningKey::generate();
    let statement = sign_statement(DIGEST);
    let bundle = Bundle::sign_statement(&key, &statement);
    let read = Bundle::from_json(&bundle.to_json()).unwrap();
    assert_eq!(read, bundle);
    assert_eq!(read.verify(&key.public_key(), DIGEST).unwrap(), statement);
    assert_eq!(
        read.predicate_type().as_deref(),
        Some(predicate::COSIGN_SIGN)
    );
    // Digests compare without case, as hex does.
    read.verify(
        &key.public_key(),
        &DIGEST.to_ascii_uppercase().replace("SHA256", "sha256"),
    )
    .unwrap();
}

#[test]
fn the_json_is_what_cosign_writes_offline() {
    let key = SigningKey::generate();
    let bundle = Bundle::sign_statement(&key, &sign_statement(DIGEST));
    let json: serde_json::Value = serde_json::from_slice(&bundle.to_json()).unwrap();
    let top: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(top, ["dsseEnvelope", "mediaType", "verificationMaterial"]);
    assert_eq!(json["mediaType"], BUNDLE_MEDIA_TYPE);
    // Only the key's hint: no tlogEntries, no timestampVerificationData.
    assert_eq!(
        json["verificationMaterial"],
        serde_json::json!({"publicKey": {"hint": key.public_key().hint()}})
    );
    let envelope = &json["dsseEnvelope"];
    assert_eq!(envelope["payloadType"], PAYLOAD_TYPE);
    assert_eq!(envelope["signatures"].as_array().unwrap().len(), 1);
    assert!(envelope["signatures"][0].get("keyid").is_none());
    // The payload is the statement, compact, fields in spec order.
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let (_, hex) = DIGEST.split_once(':').unwrap();
    assert_eq!(
        String::from_utf8(payload).unwrap(),
        format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"{hex}"}}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{{}}}}"#
        )
    );
}

#[test]
fn every_tampered_bundle_is_refused_with_its_own_error() {
    let (_, _, cases) = tampered_cases();
    for case in cases {
        let bundle = Bundle::from_json(&case.bundle).unwrap();
        let err = bundle.verify(&case.key, case.digest).unwrap_err();
        assert!(
            (case.expect)(&err),
            "{}: unexpected error: {err:?}",
            case.name
        );
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn bundles_of_another_kind_are_refused_on_reading() {
    let key = SigningKey::generate();
    let good: serde_json::Value =
        serde_json::from_slice(&Bundle::sign_statement(&key, &sign_statement(DIGEST)).to_json())
            .unwrap();
    let mut v02 = good.clone();
    v02["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2".into();
    let err = Bundle::from_json(&serde_json::to_vec(&v02).unwrap()).unwrap_err();
    assert!(
        matches!(err, BundleError::UnsupportedMediaType { .. }),
        "{err}"
    );

    let mut message = good.clone();
    message.as_object_mut().unwrap().remove("dsseEnvelope");
    message["messageSignature"] = serde_json::json!({"messageDigest": {}, "signature": "AA=="});
    let err = Bundle::from_json(&serde_json::to_vec(&message).unwrap()).unwrap_err();
    assert!(matches!(err, BundleError::NotDsse { .. }), "{err}");

    let err = Bundle::from_json(b"{\"mediaType\": 3}").unwrap_err();
    assert!(matches!(err, BundleError::Malformed { .. }), "{err}");
    let mut bad_b64 = good;
    bad_b64["dsseEnvelope"]["payload"] = "not base64!".into();
    assert!(Bundle::from_json(&serde_json::to_vec(&bad_b64).unwrap()).is_err());
}

#[test]
fn a_bundle_with_transparency_data_still_reads_and_verifies_by_key() {
    // Another signer's bundle may carry log entries; whittle checks the
    // key and the digest and ignores them, as --insecure-ignore-tlog.
    let key = SigningKey::generate();
    let mut json: serde_json::Value =
        serde_json::from_slice(&Bundle::sign_statement(&key, &sign_statement(DIGEST)).to_json())
            .unwrap();
    json["verificationMaterial"]["tlogEntries"] = serde_json::json!([{"logIndex": "1"}]);
    json["verificationMaterial"]["timestampVerificationData"] = serde_json::json!({});
    let bundle = Bundle::from_json(&serde_json::to_vec(&json).unwrap()).unwrap();
    bundle.verify(&key.public_key(), DIGEST).unwrap();
    // Written again, only whittle's own fields remain.
    let again: serde_json::Value = serde_json::from_slice(&bundle.to_json()).unwrap();
    assert!(again["verificationMaterial"].get("tlogEntries").is_none());
}

#[test]
fn statements_have_the_in_toto_v1_shape() {
    let mut index = Subject::from_oci_digest("registry.test/app", DIGEST).unwrap();
    index
        .digest
        .insert("sha512".into(), "AB".repeat(64).to_ascii_lowercase());
    let platform = Subject::from_oci_digest("", &format!("sha256:{}", "CD".repeat(32))).unwrap();
    let sbom = serde_json::json!({"spdxVersion": "SPDX-2.3", "packages": []});
    let statement = Statement::new(vec![index, platform], predicate::SPDX, sbom.clone());
    let json: serde_json::Value = serde_json::from_slice(&statement.to_json()).unwrap();
    assert_eq!(json["_type"], STATEMENT_TYPE);
    assert_eq!(json["predicateType"], "https://spdx.dev/Document");
    assert_eq!(json["predicate"], sbom);
    assert_eq!(json["subject"][0]["name"], "registry.test/app");
    assert!(
        json["subject"][1].get("name").is_none(),
        "an unset name is not written"
    );
    assert_eq!(
        json["subject"][1]["digest"]["sha256"],
        "cd".repeat(32),
        "lowercase hex"
    );
    assert_eq!(
        statement.subject_digests(),
        [
            DIGEST.to_owned(),
            format!("sha256:{}", "cd".repeat(32)),
            format!("sha512:{}", "ab".repeat(64))
        ]
    );
    assert!(statement.has_subject_digest(&format!("sha256:{}", "cd".repeat(32))));
    assert!(!statement.has_subject_digest("sha256:00"));
    assert_eq!(
        Statement::new(
            vec![],
            predicate::SLSA_PROVENANCE_V1,
            serde_json::Value::Null
        )
        .predicate,
        serde_json::json!({})
    );
    assert_eq!(predicate::CYCLONEDX, "https://cyclonedx.org/bom");
    // A statement from another producer, with fields whittle does not
    // know, still reads (in-toto: consumers ignore unknown fields).
    let foreign = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"00"},"annotations":{"a":1}}],"predicateType":"p","extra":true}"#;
    let read: Statement = serde_json::from_str(foreign).unwrap();
    assert_eq!(read.predicate, serde_json::json!({}));
}
