//! Artifacts that refer to an image of the set — signatures and
//! attestations — stored in the same archive or layout, so an image can be
//! verified before it is pushed. Each is a manifest whose `subject` names
//! the image (OCI 1.1), listed in `index.json` without a ref name as the
//! image-layout spec allows; cosign's legacy signatures have no subject and
//! are listed under their tag (`sha256-<hex>.sig`) instead.

use std::collections::BTreeMap;

use crate::layer::sha256_digest;

/// One artifact to store beside the images: its manifest and every blob
/// the manifest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    /// The manifest (JSON), written as it is.
    pub manifest: Vec<u8>,
    /// The manifest's media type.
    pub media_type: String,
    /// The artifact type listed in `index.json` (OCI 1.1), if any.
    pub artifact_type: Option<String>,
    /// The blobs the manifest names (config, layers).
    pub blobs: Vec<Vec<u8>>,
    /// A ref name for `index.json` (cosign's `sha256-<hex>.sig` tag); `None`
    /// for a referrer found through its `subject`.
    pub tag: Option<String>,
    /// Annotations for its `index.json` descriptor (the manifest's own, so
    /// a reader can tell signatures from attestations without opening it).
    pub annotations: BTreeMap<String, String>,
}

impl Referrer {
    /// The `sha256:` digest of the manifest.
    pub fn digest(&self) -> String {
        sha256_digest(&self.manifest)
    }
}
