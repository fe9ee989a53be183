//! Attest an image in memory, then verify it through an in-memory
//! referrer store.

use std::collections::BTreeMap;

use whittle_oci::Referrer;
use whittle_sign::sha256_digest;

use crate::*;

fn subject(n: u8) -> Subject {
    Subject {
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        digest: format!("sha256:{}", format!("{n:02x}").repeat(32)),
        size: 100 + u64::from(n),
    }
}

fn facts() -> ImageFacts {
    let spdx = serde_json::json!({"spdxVersion": "SPDX-2.3", "packages": []});
    ImageFacts {
        top: Subject {
            media_type: "application/vnd.oci.image.index.v1+json".into(),
            ..subject(1)
        },
        platforms: [(2, "linux/amd64"), (3, "linux/arm64")]
            .into_iter()
            .map(|(n, p)| PlatformFacts {
                platform: p.into(),
                manifest: subject(n),
                sboms: vec![SbomDocument {
                    predicate_type: predicate::SPDX,
                    json: serde_json::to_vec(&spdx).unwrap_or_default(),
                }],
            })
            .collect(),
        repository: "registry.example/team/app".into(),
        created: "2024-01-01T00:00:00Z".into(),
        provenance: Provenance {
            recipe: "app.yaml".into(),
            recipe_digest: subject(9).digest,
            lock_digest: None,
            archs: vec!["amd64".into(), "arm64".into()],
            build_date: "2024-01-01T00:00:00Z".into(),
            packages: BTreeMap::new(),
            whittle_version: "0".into(),
        },
    }
}

/// Referrers kept in memory, as a layout keeps them.
struct Memory(Vec<Referrer>);

fn subject_of(r: &Referrer) -> Option<String> {
    let m: serde_json::Value = serde_json::from_slice(&r.manifest).ok()?;
    m["subject"]["digest"].as_str().map(str::to_string)
}

impl ReferrerSource for Memory {
    fn referrers(&self, digest: &str) -> Result<Vec<ListedReferrer>, String> {
        Ok(self
            .0
            .iter()
            .filter(|r| subject_of(r).as_deref() == Some(digest))
            .map(|r| ListedReferrer {
                digest: r.digest(),
                artifact_type: r.artifact_type.clone(),
            })
            .collect())
    }
    fn manifest(&self, digest: &str) -> Result<Vec<u8>, String> {
        self.0
            .iter()
            .find(|r| r.digest() == digest)
            .map(|r| r.manifest.clone())
            .ok_or_else(|| format!("no manifest {digest}"))
    }
    fn blob(&self, digest: &str) -> Result<Vec<u8>, String> {
        self.0
            .iter()
            .flat_map(|r| &r.blobs)
            .find(|b| sha256_digest(b) == digest)
            .cloned()
            .ok_or_else(|| format!("no blob {digest}"))
    }
    fn tagged(&self, tag: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self
            .0
            .iter()
            .find(|r| r.tag.as_deref() == Some(tag))
            .map(|r| r.manifest.clone()))
    }
}

fn platforms(f: &ImageFacts) -> Vec<(String, Subject)> {
    f.platforms
        .iter()
        .map(|p| (p.platform.clone(), p.manifest.clone()))
        .collect()
}

#[test]
fn attested_images_verify_and_say_what_was_checked() {
    let key = SigningKey::generate();
    let f = facts();
    let options = SignOptions {
        key: &key,
        recursive: true,
        format: SignFormat::Bundle,
    };
    let referrers = attest(&f, &options).expect("attest");
    // Index + 2 platform signatures, 2 SBOMs, 1 provenance.
    assert_eq!(referrers.len(), 6);
    let verified = verify_image(
        &Memory(referrers.clone()),
        &f.top,
        &platforms(&f),
        &key.public_key(),
    )
    .expect("verify");
    assert_eq!(verified.signatures.len(), 1);
    assert_eq!(
        verified
            .about(&f.top.digest, predicate::SLSA_PROVENANCE_V1)
            .count(),
        1
    );
    assert_eq!(
        verified.about(&subject(3).digest, predicate::SPDX).count(),
        1
    );

    // Another key: refused.
    let other = SigningKey::generate().public_key();
    let err = verify_image(&Memory(referrers.clone()), &f.top, &platforms(&f), &other)
        .expect_err("another key");
    assert!(matches!(err, VerifyFailure::BadAttestation { .. }), "{err}");

    // No SBOM attestation for arm64: named as missing.
    let without: Vec<Referrer> = referrers
        .iter()
        .filter(|r| {
            !(subject_of(r).as_deref() == Some(subject(3).digest.as_str())
                && r.annotations.values().any(|v| v == predicate::SPDX))
        })
        .cloned()
        .collect();
    let err = verify_image(&Memory(without), &f.top, &platforms(&f), &key.public_key())
        .expect_err("missing SBOM");
    assert!(
        matches!(&err, VerifyFailure::MissingAttestation { what, .. } if what == "linux/arm64"),
        "{err}"
    );
}

#[test]
fn legacy_signatures_verify_from_their_tag_and_only_for_their_digest() {
    let key = SigningKey::generate();
    let f = facts();
    let referrers = attest(
        &f,
        &SignOptions {
            key: &key,
            recursive: false,
            format: SignFormat::Legacy,
        },
    )
    .expect("attest");
    let sig = referrers
        .iter()
        .find(|r| r.tag.is_some())
        .expect("a .sig tag");
    assert_eq!(
        sig.tag.as_deref(),
        Some(format!("sha256-{}.sig", "01".repeat(32)).as_str())
    );
    let verified = verify_image(
        &Memory(referrers.clone()),
        &f.top,
        &platforms(&f),
        &key.public_key(),
    )
    .expect("verify");
    assert_eq!(verified.signatures[0].1, "cosign legacy .sig tag");

    // The same signature under another image's tag does not verify for it.
    let mut moved = referrers.clone();
    let other_top = Subject {
        digest: format!("sha256:{}", "0f".repeat(32)),
        ..f.top.clone()
    };
    for r in &mut moved {
        if r.tag.is_some() {
            r.tag = Some(format!("sha256-{}.sig", "0f".repeat(32)));
        }
    }
    let err = verify_image(&Memory(moved), &other_top, &[], &key.public_key()).expect_err("moved");
    assert!(matches!(err, VerifyFailure::BadSignature { .. }), "{err}");
}
