//! The OCI 1.1 referrer that carries one Sigstore bundle, as cosign's
//! `specs/BUNDLE_SPEC.md` lays it out and `cosign sign --new-bundle-format`
//! and `cosign attest` write it: artifact type and layer media type the
//! bundle's, the empty config, the image as `subject`, and the annotations
//! `dev.sigstore.bundle.content`, `dev.sigstore.bundle.predicateType` and
//! `org.opencontainers.image.created`. Pure data: pushing is elsewhere.

use std::collections::BTreeMap;

use crate::artifact::{
    Artifact, Descriptor, ManifestJson, EMPTY_DATA, EMPTY_MEDIA_TYPE, OCI_MANIFEST,
};
use crate::bundle::{Bundle, BUNDLE_MEDIA_TYPE};
use crate::error::BundleError;

/// Annotation: what the bundle holds (`dsse-envelope`).
pub const CONTENT_ANNOTATION: &str = "dev.sigstore.bundle.content";
/// Annotation: the in-toto predicate type of the bundle's statement.
pub const PREDICATE_TYPE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";
/// Annotation: when the bundle was made (RFC 3339).
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";

/// The bundle layer of a referrer manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleLayer {
    /// The bundle blob's digest.
    pub digest: String,
    /// Its size.
    pub size: u64,
    /// The `dev.sigstore.bundle.predicateType` annotation, if set.
    pub predicate_type: Option<String>,
    /// The manifest's subject digest, if it has one.
    pub subject: Option<String>,
}

/// The referrer artifact for `bundle` about `subject` (its annotations and
/// artifact type are not copied), made at `created` (RFC 3339).
pub fn bundle_artifact(subject: &Descriptor, bundle: &Bundle, created: &str) -> Artifact {
    let bundle_json = bundle.to_json();
    let config = Descriptor::of(EMPTY_MEDIA_TYPE, EMPTY_DATA);
    let layer = Descriptor::of(BUNDLE_MEDIA_TYPE, &bundle_json);
    let mut annotations = BTreeMap::from([
        (CONTENT_ANNOTATION.to_owned(), "dsse-envelope".to_owned()),
        (CREATED_ANNOTATION.to_owned(), created.to_owned()),
    ]);
    if let Some(predicate_type) = bundle.predicate_type() {
        annotations.insert(PREDICATE_TYPE_ANNOTATION.to_owned(), predicate_type);
    }
    let manifest = ManifestJson {
        schema_version: 2,
        media_type: OCI_MANIFEST.to_owned(),
        artifact_type: Some(BUNDLE_MEDIA_TYPE.to_owned()),
        config: config.clone(),
        layers: vec![layer.clone()],
        subject: Some(Descriptor {
            annotations: BTreeMap::new(),
            artifact_type: None,
            ..subject.clone()
        }),
        annotations: annotations.clone(),
    };
    Artifact {
        manifest: manifest.to_vec(),
        media_type: OCI_MANIFEST.to_owned(),
        artifact_type: BUNDLE_MEDIA_TYPE.to_owned(),
        blobs: vec![
            (config.digest, EMPTY_DATA.to_vec()),
            (layer.digest, bundle_json),
        ],
        annotations,
    }
}

/// Read a referrer manifest: its bundle layer (the first layer of the
/// bundle media type) when its artifact type is a v0.3 bundle's.
pub fn read_bundle_artifact(manifest: &[u8]) -> Result<BundleLayer, BundleError> {
    let manifest: ManifestJson =
        serde_json::from_slice(manifest).map_err(|e| BundleError::Malformed {
            what: format!("referrer manifest JSON: {e}"),
        })?;
    let artifact_type = manifest.artifact_type.as_deref().unwrap_or_default();
    if artifact_type != BUNDLE_MEDIA_TYPE {
        return Err(BundleError::NotABundleArtifact {
            what: format!("its artifact type is {artifact_type:?}"),
        });
    }
    let layer = manifest
        .layers
        .iter()
        .find(|l| l.media_type == BUNDLE_MEDIA_TYPE)
        .ok_or_else(|| BundleError::NotABundleArtifact {
            what: format!("no layer of media type {BUNDLE_MEDIA_TYPE}"),
        })?;
    Ok(BundleLayer {
        digest: layer.digest.clone(),
        size: layer.size,
        predicate_type: manifest.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned(),
        subject: manifest.subject.map(|s| s.digest),
    })
}
