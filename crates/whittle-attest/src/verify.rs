//! Checking an image's signatures and attestations against a public key,
//! wherever its referrers are kept.

use std::collections::BTreeMap;

use whittle_sign::{
    predicate, read_bundle_artifact, simple_signing, Bundle, PublicKey, Statement,
    BUNDLE_MEDIA_TYPE,
};

use crate::error::VerifyFailure;
use crate::sign::Subject;

/// A referrer as its subject's listing names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedReferrer {
    /// The referrer manifest's digest.
    pub digest: String,
    /// Its artifact type, if listed.
    pub artifact_type: Option<String>,
}

/// Where an image's referrers are read from: an OCI layout or archive, or
/// a registry. Errors are the source's own messages.
pub trait ReferrerSource {
    /// The referrers whose subject is `digest`.
    fn referrers(&self, digest: &str) -> Result<Vec<ListedReferrer>, String>;
    /// A manifest by digest.
    fn manifest(&self, digest: &str) -> Result<Vec<u8>, String>;
    /// A blob by digest.
    fn blob(&self, digest: &str) -> Result<Vec<u8>, String>;
    /// The manifest under `tag`, if there is one (cosign's `.sig` tag).
    fn tagged(&self, tag: &str) -> Result<Option<Vec<u8>>, String>;
}

/// A statement that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedAttestation {
    /// The manifest it is attached to.
    pub subject: String,
    /// `linux/amd64`, or `index`.
    pub platform: String,
    /// The referrer manifest it came in.
    pub referrer: String,
    /// The statement.
    pub statement: Statement,
}

/// What [`verify_image`] checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VerifiedImage {
    /// Each signature that verified: (manifest, how it is stored).
    pub signatures: Vec<(String, String)>,
    /// Every attestation that verified (signatures in bundle form too).
    pub attestations: Vec<VerifiedAttestation>,
}

impl VerifiedImage {
    /// The verified statements of `predicate_type` about `subject`.
    pub fn about<'a>(
        &'a self,
        subject: &'a str,
        predicate_type: &'a str,
    ) -> impl Iterator<Item = &'a VerifiedAttestation> + 'a {
        self.attestations
            .iter()
            .filter(move |a| a.subject == subject && a.statement.predicate_type == predicate_type)
    }
}

fn read_err(what: String) -> impl FnOnce(String) -> VerifyFailure {
    move |reason| VerifyFailure::Read { what, reason }
}

/// Check `top` (the index, or the one manifest) and its `platforms`
/// (`(linux/amd64, manifest)`): a signature of `top` that verifies with
/// `key` (a bundle, or a legacy `.sig`), an SBOM attestation of every
/// platform, a provenance attestation of `top`; and every Sigstore bundle
/// attached to any of them must verify with `key` for that manifest —
/// one that does not (tampered, signed by another key, or about another
/// digest) fails the whole check.
pub fn verify_image(
    source: &dyn ReferrerSource,
    top: &Subject,
    platforms: &[(String, Subject)],
    key: &PublicKey,
) -> Result<VerifiedImage, VerifyFailure> {
    let mut out = VerifiedImage::default();
    let mut manifests: Vec<(String, &Subject)> = vec![("index".to_string(), top)];
    for (name, subject) in platforms {
        if subject == top {
            manifests[0].0 = name.clone();
        } else {
            manifests.push((name.clone(), subject));
        }
    }
    for (name, subject) in &manifests {
        check_bundles(source, name, subject, key, &mut out)?;
    }
    // The image signature: a bundle, else a legacy one.
    let bundle_signed = out.about(&top.digest, predicate::COSIGN_SIGN).count() > 0;
    if bundle_signed {
        out.signatures
            .push((top.digest.clone(), "Sigstore bundle (referrer)".to_string()));
    } else {
        match check_legacy(source, top, key)? {
            LegacyResult::Verified => out
                .signatures
                .push((top.digest.clone(), "cosign legacy .sig tag".to_string())),
            LegacyResult::Absent => {
                return Err(VerifyFailure::Unsigned {
                    digest: top.digest.clone(),
                    predicate: predicate::COSIGN_SIGN.to_string(),
                })
            }
            LegacyResult::Failed(reasons) => {
                return Err(VerifyFailure::BadSignature {
                    digest: top.digest.clone(),
                    reasons,
                })
            }
        }
    }
    for (name, subject) in platforms {
        let sboms = out.about(&subject.digest, predicate::SPDX).count()
            + out.about(&subject.digest, predicate::CYCLONEDX).count();
        if sboms == 0 {
            return Err(VerifyFailure::MissingAttestation {
                digest: subject.digest.clone(),
                what: name.clone(),
                predicate: format!("SBOM ({} or {})", predicate::SPDX, predicate::CYCLONEDX),
            });
        }
    }
    if out
        .about(&top.digest, predicate::SLSA_PROVENANCE_V1)
        .count()
        == 0
    {
        return Err(VerifyFailure::MissingAttestation {
            digest: top.digest.clone(),
            what: manifests[0].0.clone(),
            predicate: predicate::SLSA_PROVENANCE_V1.to_string(),
        });
    }
    Ok(out)
}

/// Verify every bundle referrer of `subject`.
fn check_bundles(
    source: &dyn ReferrerSource,
    name: &str,
    subject: &Subject,
    key: &PublicKey,
    out: &mut VerifiedImage,
) -> Result<(), VerifyFailure> {
    let listed = source
        .referrers(&subject.digest)
        .map_err(read_err(format!("the referrers of {}", subject.digest)))?;
    for referrer in listed {
        if referrer
            .artifact_type
            .as_deref()
            .is_some_and(|t| t != BUNDLE_MEDIA_TYPE)
        {
            continue;
        }
        let manifest = source
            .manifest(&referrer.digest)
            .map_err(read_err(format!("the referrer {}", referrer.digest)))?;
        let Ok(layer) = read_bundle_artifact(&manifest) else {
            // Another kind of artifact (an SBOM attached as is).
            continue;
        };
        let claimed = layer
            .predicate_type
            .clone()
            .unwrap_or_else(|| "(unnamed)".to_string());
        let bad = |reason: String| VerifyFailure::BadAttestation {
            digest: subject.digest.clone(),
            predicate: claimed.clone(),
            reason: format!("{reason} (referrer {})", referrer.digest),
        };
        if layer.subject.as_deref() != Some(subject.digest.as_str()) {
            return Err(bad(format!(
                "its manifest's subject is {}",
                layer.subject.as_deref().unwrap_or("missing")
            )));
        }
        let bytes = source
            .blob(&layer.digest)
            .map_err(read_err(format!("the bundle {}", layer.digest)))?;
        if whittle_sign::sha256_digest(&bytes) != layer.digest {
            return Err(bad(format!(
                "the bundle blob does not match its digest {}",
                layer.digest
            )));
        }
        let bundle = Bundle::from_json(&bytes).map_err(|e| bad(e.to_string()))?;
        let statement = bundle
            .verify(key, &subject.digest)
            .map_err(|e| bad(e.to_string()))?;
        if layer.predicate_type.is_some()
            && layer.predicate_type.as_deref() != Some(&statement.predicate_type)
        {
            return Err(bad(format!(
                "its annotation says {claimed} but the signed statement is {}",
                statement.predicate_type
            )));
        }
        out.attestations.push(VerifiedAttestation {
            subject: subject.digest.clone(),
            platform: name.to_string(),
            referrer: referrer.digest.clone(),
            statement,
        });
    }
    Ok(())
}

enum LegacyResult {
    Verified,
    Absent,
    Failed(String),
}

fn check_legacy(
    source: &dyn ReferrerSource,
    top: &Subject,
    key: &PublicKey,
) -> Result<LegacyResult, VerifyFailure> {
    let tag = simple_signing::signature_tag(&top.digest);
    let Some(manifest) = source
        .tagged(&tag)
        .map_err(read_err(format!("the signature tag {tag}")))?
    else {
        return Ok(LegacyResult::Absent);
    };
    let layers = simple_signing::read_signature_artifact(&manifest).map_err(|e| {
        VerifyFailure::BadSignature {
            digest: top.digest.clone(),
            reasons: format!("{tag}: {e}"),
        }
    })?;
    let mut reasons = BTreeMap::new();
    for layer in layers {
        let payload = source
            .blob(&layer.digest)
            .map_err(read_err(format!("the signature payload {}", layer.digest)))?;
        match simple_signing::verify_payload(key, &payload, &layer.signature, &top.digest) {
            Ok(()) => return Ok(LegacyResult::Verified),
            Err(e) => {
                reasons.insert(layer.digest.clone(), e.to_string());
            }
        }
    }
    if reasons.is_empty() {
        return Ok(LegacyResult::Absent);
    }
    Ok(LegacyResult::Failed(
        reasons
            .into_iter()
            .map(|(d, r)| format!("{d}: {r}"))
            .collect::<Vec<_>>()
            .join("; "),
    ))
}
