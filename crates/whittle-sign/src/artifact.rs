//! The OCI pieces an attached signature is made of (image-spec
//! `descriptor.md`, `manifest.md`): descriptors, and an [`Artifact`] (a
//! manifest and the blobs it names) ready for a registry client to push.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The OCI empty descriptor's media type (a config that says nothing).
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// The digest of the empty blob `{}`.
pub const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
pub(crate) const EMPTY_DATA: &[u8] = b"{}";

/// An OCI content descriptor: what a manifest says about a blob or another
/// manifest. Annotations are written only when there are some.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Its media type.
    pub media_type: String,
    /// The artifact type of the manifest it points at (index entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Its length in bytes.
    pub size: u64,
    /// Its annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// A descriptor of what a registry reported (no artifact type, no
    /// annotations), such as the image being signed.
    pub fn new(media_type: &str, digest: &str, size: u64) -> Self {
        Self {
            media_type: media_type.to_owned(),
            artifact_type: None,
            digest: digest.to_owned(),
            size,
            annotations: BTreeMap::new(),
        }
    }

    /// A descriptor of `data` as `media_type`.
    pub fn of(media_type: &str, data: &[u8]) -> Self {
        Self {
            media_type: media_type.to_owned(),
            artifact_type: None,
            digest: sha256_digest(data),
            size: data.len() as u64,
            annotations: BTreeMap::new(),
        }
    }
}

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// An OCI artifact to push: its blobs first, then its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// The manifest's bytes (push them as they are: their digest is the
    /// artifact's).
    pub manifest: Vec<u8>,
    /// The manifest's media type.
    pub media_type: String,
    /// What the artifact is: the manifest's `artifactType` (cosign's legacy
    /// signature has none; this is then its layers' media type).
    pub artifact_type: String,
    /// Every blob the manifest names, config first: `(sha256:…, bytes)`.
    pub blobs: Vec<(String, Vec<u8>)>,
    /// The manifest's annotations (for a referrers fallback index entry).
    pub annotations: BTreeMap<String, String>,
}

impl Artifact {
    /// The digest of the manifest.
    pub fn digest(&self) -> String {
        sha256_digest(&self.manifest)
    }

    /// A descriptor of the manifest, with its artifact type and annotations
    /// as an index lists it.
    pub fn descriptor(&self) -> Descriptor {
        let mut d = Descriptor::of(&self.media_type, &self.manifest);
        d.annotations = self.annotations.clone();
        d.artifact_type = Some(self.artifact_type.clone());
        d
    }
}

/// An image manifest as written (fields in image-spec order).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ManifestJson {
    pub(crate) schema_version: u32,
    pub(crate) media_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) artifact_type: Option<String>,
    pub(crate) config: Descriptor,
    pub(crate) layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) annotations: BTreeMap<String, String>,
}

impl ManifestJson {
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        // Strings, numbers and string maps always serialise.
        serde_json::to_vec(self).unwrap_or_default()
    }
}
