//! The OCI artifacts: the bundle referrer as cosign's BUNDLE_SPEC lays it
//! out, and cosign v2's legacy `sha256-<hex>.sig` signature image.
#![allow(clippy::unwrap_used)]

mod common;

use common::{sign_statement, DIGEST, OTHER_DIGEST};
use whittle_sign::simple_signing::{self, read_signature_artifact, SIGNATURE_ANNOTATION};
use whittle_sign::{
    bundle_artifact, read_bundle_artifact, sha256_digest, Bundle, BundleError, Descriptor,
    SigningKey, VerifyError, BUNDLE_MEDIA_TYPE, EMPTY_DIGEST, OCI_MANIFEST,
};

const INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn subject() -> Descriptor {
    Descriptor::new(INDEX, DIGEST, 1234)
}

#[test]
fn the_bundle_referrer_follows_cosigns_bundle_spec() {
    let key = SigningKey::generate();
    let bundle = Bundle::sign_statement(&key, &sign_statement(DIGEST));
    let artifact = bundle_artifact(&subject(), &bundle, "2026-12-04T10:00:00Z");
    let m: serde_json::Value = serde_json::from_slice(&artifact.manifest).unwrap();
    assert_eq!(m["schemaVersion"], 2);
    assert_eq!(m["mediaType"], OCI_MANIFEST);
    assert_eq!(m["artifactType"], BUNDLE_MEDIA_TYPE);
    assert_eq!(
        m["config"],
        serde_json::json!({"mediaType": "application/vnd.oci.empty.v1+json", "digest": EMPTY_DIGEST, "size": 2})
    );
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0]["mediaType"], BUNDLE_MEDIA_TYPE);
    assert_eq!(
        m["subject"],
        serde_json::json!({"mediaType": INDEX, "digest": DIGEST, "size": 1234})
    );
    assert_eq!(
        m["annotations"],
        serde_json::json!({
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1",
            "org.opencontainers.image.created": "2026-12-04T10:00:00Z",
        })
    );
    // Every blob is named by its digest, and the layer is the bundle.
    assert_eq!(artifact.blobs.len(), 2);
    for (digest, data) in &artifact.blobs {
        assert_eq!(*digest, sha256_digest(data));
    }
    assert_eq!(artifact.blobs[0].1, b"{}");
    assert_eq!(artifact.blobs[1].0, layers[0]["digest"]);
    assert_eq!(Bundle::from_json(&artifact.blobs[1].1).unwrap(), bundle);
    // An index lists it with its artifact type and annotations.
    let listed = artifact.descriptor();
    assert_eq!(listed.digest, artifact.digest());
    assert_eq!(listed.artifact_type.as_deref(), Some(BUNDLE_MEDIA_TYPE));
    assert_eq!(listed.annotations, artifact.annotations);

    let layer = read_bundle_artifact(&artifact.manifest).unwrap();
    assert_eq!(layer.digest, artifact.blobs[1].0);
    assert_eq!(layer.size, artifact.blobs[1].1.len() as u64);
    assert_eq!(
        layer.predicate_type.as_deref(),
        Some("https://sigstore.dev/cosign/sign/v1")
    );
    assert_eq!(layer.subject.as_deref(), Some(DIGEST));
}

#[test]
fn other_referrers_are_not_read_as_bundles() {
    let sbom = serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/spdx+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": EMPTY_DIGEST, "size": 2},
        "layers": [{"mediaType": "application/spdx+json", "digest": DIGEST, "size": 3}],
    });
    let err = read_bundle_artifact(&serde_json::to_vec(&sbom).unwrap()).unwrap_err();
    assert!(
        matches!(err, BundleError::NotABundleArtifact { .. }),
        "{err}"
    );
    assert!(matches!(
        read_bundle_artifact(b"[]"),
        Err(BundleError::Malformed { .. })
    ));
}

#[test]
fn the_legacy_payload_is_byte_for_byte_cosigns() {
    let payload = simple_signing::payload("registry.test/app", DIGEST);
    assert_eq!(
        String::from_utf8(payload).unwrap(),
        format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"registry.test/app"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":null}}"#
        )
    );
    assert_eq!(
        simple_signing::signature_tag(DIGEST),
        format!("sha256-{}.sig", DIGEST.trim_start_matches("sha256:"))
    );
}

#[test]
fn the_legacy_signature_image_carries_each_payload_and_signature() {
    use base64::Engine as _;
    let key = SigningKey::generate();
    let entries: Vec<(Vec<u8>, String)> = [DIGEST, OTHER_DIGEST]
        .iter()
        .map(|d| {
            let payload = simple_signing::payload("registry.test/app", d);
            let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(&payload));
            (payload, sig)
        })
        .collect();
    let artifact = simple_signing::signature_artifact(&entries, None);
    let m: serde_json::Value = serde_json::from_slice(&artifact.manifest).unwrap();
    assert_eq!(m["mediaType"], OCI_MANIFEST);
    assert!(m.get("subject").is_none() && m.get("artifactType").is_none());
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );
    let config: serde_json::Value = serde_json::from_slice(&artifact.blobs[0].1).unwrap();
    assert_eq!(config["created"], "0001-01-01T00:00:00Z");
    assert_eq!(config["rootfs"]["type"], "layers");
    let layers = read_signature_artifact(&artifact.manifest).unwrap();
    assert_eq!(layers.len(), 2);
    for ((payload, sig), layer) in entries.iter().zip(&layers) {
        assert_eq!(layer.digest, sha256_digest(payload));
        assert_eq!(&layer.signature, sig);
        let blob = &artifact
            .blobs
            .iter()
            .find(|(d, _)| *d == layer.digest)
            .unwrap()
            .1;
        assert_eq!(blob, payload);
        assert!(config["rootfs"]["diff_ids"]
            .as_array()
            .unwrap()
            .contains(&layer.digest.clone().into()));
    }
    assert_eq!(
        m["layers"][0]["annotations"][SIGNATURE_ANNOTATION],
        entries[0].1.as_str()
    );
    let dated = simple_signing::signature_artifact(&entries, Some("2026-12-04T10:00:00Z"));
    assert_ne!(dated.manifest, artifact.manifest);

    // Each verifies for its own digest only, and with its key only.
    let public = key.public_key();
    let (payload, sig) = &entries[0];
    simple_signing::verify_payload(&public, payload, sig, DIGEST).unwrap();
    let err = simple_signing::verify_payload(&public, payload, sig, OTHER_DIGEST).unwrap_err();
    assert!(matches!(err, VerifyError::OtherDigest { .. }), "{err}");
    let other = SigningKey::generate().public_key();
    let err = simple_signing::verify_payload(&other, payload, sig, DIGEST).unwrap_err();
    assert!(matches!(err, VerifyError::NotVerified), "{err}");
    let err = simple_signing::verify_payload(&public, payload, "%%%", DIGEST).unwrap_err();
    assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
    let mut edited = payload.clone();
    edited[20] ^= 0x20;
    assert!(simple_signing::verify_payload(&public, &edited, sig, DIGEST).is_err());
}
