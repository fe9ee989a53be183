//! Making an image's signatures and attestations: statements about its
//! manifests, signed into bundles, packed as referrers.

use base64::Engine as _;
use whittle_oci::Referrer;
use whittle_sign::{
    bundle_artifact, predicate, simple_signing, Artifact, Bundle, Descriptor, SigningKey, Statement,
};

use crate::error::AttestError;
use crate::provenance::Provenance;

/// How image signatures are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignFormat {
    /// A Sigstore bundle v0.3 referrer (cosign v3's default).
    #[default]
    Bundle,
    /// cosign v2's simple-signing manifest under `sha256-<hex>.sig`, for
    /// older verifiers. Attestations are bundles either way.
    Legacy,
}

/// What to sign with, and how.
pub struct SignOptions<'a> {
    /// The key.
    pub key: &'a SigningKey,
    /// Sign every platform manifest too, not only the top one.
    pub recursive: bool,
    /// How the image signatures are written.
    pub format: SignFormat,
}

/// A manifest of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Its media type.
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Its size.
    pub size: u64,
}

impl Subject {
    fn descriptor(&self) -> Descriptor {
        Descriptor {
            media_type: self.media_type.clone(),
            artifact_type: None,
            digest: self.digest.clone(),
            size: self.size,
            annotations: Default::default(),
        }
    }

    fn statement_subject(&self) -> Result<whittle_sign::Subject, AttestError> {
        whittle_sign::Subject::from_oci_digest("", &self.digest).ok_or_else(|| {
            AttestError::Digest {
                digest: self.digest.clone(),
            }
        })
    }
}

/// One SBOM to attest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomDocument {
    /// [`predicate::SPDX`] or [`predicate::CYCLONEDX`].
    pub predicate_type: &'static str,
    /// The document.
    pub json: Vec<u8>,
}

/// One platform's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformFacts {
    /// `linux/amd64`.
    pub platform: String,
    /// Its manifest.
    pub manifest: Subject,
    /// Its SBOMs.
    pub sboms: Vec<SbomDocument>,
}

/// What is signed and attested about one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    /// The index (several platforms) or the one manifest.
    pub top: Subject,
    /// Every platform.
    pub platforms: Vec<PlatformFacts>,
    /// The repository the image is tagged in (`registry.example/team/app`),
    /// for the legacy signature's `docker-reference`.
    pub repository: String,
    /// When (RFC 3339), for the artifacts' `created` annotation.
    pub created: String,
    /// How it was built.
    pub provenance: Provenance,
}

/// Every signature and attestation of the image, as referrers, in a
/// fixed order: signatures, SBOM attestations, provenance.
pub fn attest(facts: &ImageFacts, options: &SignOptions<'_>) -> Result<Vec<Referrer>, AttestError> {
    let mut out = Vec::new();
    let mut signed = vec![&facts.top];
    if options.recursive {
        signed.extend(
            facts
                .platforms
                .iter()
                .map(|p| &p.manifest)
                .filter(|m| **m != facts.top),
        );
    }
    for subject in signed {
        out.push(match options.format {
            SignFormat::Bundle => bundle_referrer(
                options.key,
                subject,
                vec![subject.statement_subject()?],
                predicate::COSIGN_SIGN,
                serde_json::json!({}),
                &facts.created,
            ),
            SignFormat::Legacy => legacy_referrer(options.key, subject, facts),
        });
    }
    for platform in &facts.platforms {
        for sbom in &platform.sboms {
            let document: serde_json::Value =
                serde_json::from_slice(&sbom.json).map_err(|source| AttestError::SbomJson {
                    what: platform.platform.clone(),
                    source,
                })?;
            out.push(bundle_referrer(
                options.key,
                &platform.manifest,
                vec![platform.manifest.statement_subject()?],
                sbom.predicate_type,
                document,
                &facts.created,
            ));
        }
    }
    let mut subjects = vec![facts.top.statement_subject()?];
    for p in &facts.platforms {
        if p.manifest != facts.top {
            subjects.push(p.manifest.statement_subject()?);
        }
    }
    out.push(bundle_referrer(
        options.key,
        &facts.top,
        subjects,
        predicate::SLSA_PROVENANCE_V1,
        facts.provenance.predicate(),
        &facts.created,
    ));
    Ok(out)
}

fn bundle_referrer(
    key: &SigningKey,
    attached_to: &Subject,
    subjects: Vec<whittle_sign::Subject>,
    predicate_type: &str,
    predicate: serde_json::Value,
    created: &str,
) -> Referrer {
    let statement = Statement::new(subjects, predicate_type, predicate);
    let bundle = Bundle::sign_statement(key, &statement);
    referrer(
        bundle_artifact(&attached_to.descriptor(), &bundle, created),
        None,
    )
}

fn legacy_referrer(key: &SigningKey, subject: &Subject, facts: &ImageFacts) -> Referrer {
    let payload = simple_signing::payload(&facts.repository, &subject.digest);
    let signature = base64::engine::general_purpose::STANDARD.encode(key.sign(&payload));
    let artifact =
        simple_signing::signature_artifact(&[(payload, signature)], Some(&facts.created));
    referrer(
        artifact,
        Some(simple_signing::signature_tag(&subject.digest)),
    )
}

fn referrer(artifact: Artifact, tag: Option<String>) -> Referrer {
    Referrer {
        media_type: artifact.media_type,
        artifact_type: tag.is_none().then_some(artifact.artifact_type),
        blobs: artifact.blobs.into_iter().map(|(_, bytes)| bytes).collect(),
        tag,
        annotations: artifact.annotations,
        manifest: artifact.manifest,
    }
}
