//! Manifests by tag or digest (OCI distribution spec, "Pulling manifests",
//! "Pushing manifests") and the OCI descriptor type.

use std::collections::BTreeMap;

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::client::{header_str, header_u64, Repository};
use crate::error::RegistryError;
use crate::transport::{read_small, status_error};

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Media type of an OCI image config (apko also gives it as the artifact
/// type of images in a layout's `index.json`).
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Every manifest type this client asks for.
pub(crate) const ACCEPTED: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

/// An OCI content descriptor (image-spec `descriptor.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The content's media type.
    pub media_type: String,
    /// `sha256:…`.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
    /// The artifact type (OCI 1.1), for artifact manifests and referrers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The platform (in an index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<serde_json::Value>,
}

impl Descriptor {
    /// A descriptor of `bytes` with `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
            artifact_type: None,
            annotations: BTreeMap::new(),
            platform: None,
        }
    }

    /// A descriptor with just these three fields.
    pub fn of_parts(media_type: &str, digest: &str, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: digest.to_string(),
            size,
            artifact_type: None,
            annotations: BTreeMap::new(),
            platform: None,
        }
    }
}

/// A manifest as the registry sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The `Content-Type` the registry answered (else the body's `mediaType`).
    pub media_type: String,
    /// The exact bytes (their hash is the digest).
    pub bytes: Vec<u8>,
    /// `sha256:…` of `bytes`.
    pub digest: String,
}

/// `sha256:` and the hex SHA-256 of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl Repository<'_> {
    /// Store a manifest under `reference` (a tag or its digest); returns
    /// its digest, checked against the registry's `Docker-Content-Digest`.
    pub fn put_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<String, RegistryError> {
        let digest = sha256_digest(bytes);
        let url = self.url(&format!("manifests/{reference}"));
        let response =
            self.transport()
                .send(&self.target(), &self.scopes(true), true, &|http| {
                    Ok(http
                        .put(&url)
                        .header(CONTENT_TYPE, media_type)
                        .body(bytes.to_vec()))
                })?;
        if !response.status().is_success() {
            return Err(status_error(
                &self.target(),
                response,
                &format!("manifest {reference}"),
            ));
        }
        if let Some(answered) = header_str(&response, "docker-content-digest") {
            if answered.starts_with("sha256:") && answered != digest {
                return Err(RegistryError::DigestMismatch {
                    registry: self.registry.clone(),
                    repository: self.name.clone(),
                    what: format!("the stored manifest {reference}"),
                    expected: digest,
                    actual: answered,
                });
            }
        }
        Ok(digest)
    }

    /// The manifest `reference` (tag or digest), or `None` if absent. A
    /// manifest fetched by digest is checked against it.
    pub fn get_manifest(&self, reference: &str) -> Result<Option<Manifest>, RegistryError> {
        let what = format!("manifest {reference}");
        let path = format!("manifests/{reference}");
        let Some(response) = self.read(&path, false, Some(ACCEPTED), &what)? else {
            return Ok(None);
        };
        let content_type = header_str(&response, CONTENT_TYPE.as_str());
        let bytes = read_small(&self.target(), response, "manifest")?;
        let digest = sha256_digest(&bytes);
        if reference.starts_with("sha256:") && reference != digest {
            return Err(RegistryError::DigestMismatch {
                registry: self.registry.clone(),
                repository: self.name.clone(),
                what: format!("manifest {reference}"),
                expected: reference.to_string(),
                actual: digest,
            });
        }
        let media_type = content_type
            .map(|t| t.split(';').next().unwrap_or_default().trim().to_string())
            .filter(|t| !t.is_empty() && t != "application/json")
            .or_else(|| media_type_in(&bytes))
            .unwrap_or_default();
        Ok(Some(Manifest {
            media_type,
            bytes,
            digest,
        }))
    }

    /// The descriptor of manifest `reference` if it exists (`HEAD`). The
    /// digest is the registry's `Docker-Content-Digest` (or the reference
    /// itself if that is a digest); without either, the manifest is fetched.
    pub fn manifest_exists(&self, reference: &str) -> Result<Option<Descriptor>, RegistryError> {
        let what = format!("manifest {reference}");
        let path = format!("manifests/{reference}");
        let Some(response) = self.read(&path, true, Some(ACCEPTED), &what)? else {
            return Ok(None);
        };
        let digest = header_str(&response, "docker-content-digest").or_else(|| {
            reference
                .starts_with("sha256:")
                .then(|| reference.to_string())
        });
        let (Some(digest), Some(size), Some(media_type)) = (
            digest,
            header_u64(&response, CONTENT_LENGTH.as_str()),
            header_str(&response, CONTENT_TYPE.as_str()),
        ) else {
            return Ok(self
                .get_manifest(reference)?
                .map(|m| Descriptor::of(&m.media_type, &m.bytes)));
        };
        Ok(Some(Descriptor::of_parts(&media_type, &digest, size)))
    }
}

/// The `mediaType` field of a JSON manifest.
pub(crate) fn media_type_in(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
    }
    serde_json::from_slice::<Head>(bytes).ok()?.media_type
}

/// The parts of an image index this crate reads.
#[derive(Debug, Deserialize)]
pub(crate) struct Index {
    pub(crate) manifests: Vec<Descriptor>,
}

/// The parts of an image manifest this crate reads.
#[derive(Debug, Deserialize)]
pub(crate) struct ImageManifest {
    pub(crate) config: Descriptor,
    #[serde(default)]
    pub(crate) layers: Vec<Descriptor>,
}

/// Is `media_type` an index (OCI index or docker manifest list)?
pub(crate) fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
}
