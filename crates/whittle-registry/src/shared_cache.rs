//! A registry repository as the cache several machines share
//! (`--cache-registry REF`): [`RegistryCache`] is a
//! [`whittle_cache::SharedStore`].
//!
//! - A blob is a registry blob under its own digest, and an artifact
//!   manifest tagged `blob-<hex>` names it, so a registry's garbage
//!   collector keeps it.
//! - A pointer (a key naming a blob, e.g. the compressed layer of a layer
//!   tar) is an artifact manifest tagged `key-<sha256 of the key>` whose
//!   one layer is the blob and whose `dev.whittle.cache.key` annotation is
//!   the key itself, checked on read.
//!
//! Nothing read from here is trusted: the local cache checks every blob's
//! digest, and the users of a pointer check the blob it names.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::attach::{EMPTY_DIGEST, EMPTY_MEDIA_TYPE};
use crate::manifest::{sha256_digest, Descriptor, OCI_MANIFEST};
use crate::{BlobSource, Client, Reference, RegistryError};

/// The artifact type of whittle's cache manifests.
pub const CACHE_ARTIFACT_TYPE: &str = "application/vnd.whittle.cache.v1";
/// The annotation holding a pointer's key.
const KEY_ANNOTATION: &str = "dev.whittle.cache.key";
/// Media type the cached blobs are described with.
const BLOB_MEDIA_TYPE: &str = "application/octet-stream";

/// A shared cache in one registry repository.
pub struct RegistryCache {
    client: Client,
    registry: String,
    repository: String,
    /// Whether the empty config blob is known to be there.
    empty_pushed: OnceLock<()>,
}

impl RegistryCache {
    /// The cache in the repository `reference` names (its tag, if any, is
    /// not used).
    pub fn new(client: Client, reference: &Reference) -> RegistryCache {
        RegistryCache {
            client,
            registry: reference.registry.clone(),
            repository: reference.repository.clone(),
            empty_pushed: OnceLock::new(),
        }
    }

    fn repo(&self) -> crate::Repository<'_> {
        self.client.repository(&self.registry, &self.repository)
    }

    /// Tag `tag` with an artifact manifest whose one layer is `blob`.
    fn put_artifact(
        &self,
        tag: &str,
        blob: Descriptor,
        annotations: BTreeMap<String, String>,
    ) -> Result<(), RegistryError> {
        let repo = self.repo();
        if self.empty_pushed.get().is_none() {
            repo.push_blob(
                &BlobSource::Bytes {
                    digest: EMPTY_DIGEST.to_string(),
                    data: b"{}",
                },
                &[],
            )?;
            let _ = self.empty_pushed.set(());
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": CACHE_ARTIFACT_TYPE,
            "config": Descriptor::of_parts(EMPTY_MEDIA_TYPE, EMPTY_DIGEST, 2),
            "layers": [blob],
            "annotations": annotations,
        });
        let bytes = serde_json::to_vec(&manifest).map_err(|e| RegistryError::Protocol {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            reason: format!("could not write a cache manifest: {e}"),
        })?;
        if let Some(existing) = repo.manifest_exists(tag)? {
            if existing.digest == sha256_digest(&bytes) {
                return Ok(());
            }
        }
        repo.put_manifest(tag, OCI_MANIFEST, &bytes).map(drop)
    }
}

/// The tag a pointer's key is kept under.
fn key_tag(key: &str) -> String {
    format!("key-{}", &sha256_digest(key.as_bytes())["sha256:".len()..])
}

#[derive(Deserialize)]
struct CacheManifest {
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

impl whittle_cache::SharedStore for RegistryCache {
    fn describe(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    fn fetch_blob(&self, sha256: &str, out: &mut dyn Write) -> Result<bool, String> {
        match self.repo().get_blob(&format!("sha256:{sha256}"), out) {
            Ok(_) => Ok(true),
            Err(RegistryError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }

    fn store_blob(&self, sha256: &str, path: &Path) -> Result<(), String> {
        let digest = format!("sha256:{sha256}");
        let size = fs_err::metadata(path).map_err(|e| e.to_string())?.len();
        self.repo()
            .push_blob(
                &BlobSource::File {
                    digest: digest.clone(),
                    size,
                    path,
                },
                &[],
            )
            .map_err(|e| e.to_string())?;
        let blob = Descriptor::of_parts(BLOB_MEDIA_TYPE, &digest, size);
        self.put_artifact(&format!("blob-{sha256}"), blob, BTreeMap::new())
            .map_err(|e| e.to_string())
    }

    fn get_pointer(&self, key: &str) -> Result<Option<String>, String> {
        let Some(manifest) = (match self.repo().get_manifest(&key_tag(key)) {
            Ok(m) => m,
            Err(RegistryError::NotFound { .. }) => None,
            Err(e) => return Err(e.to_string()),
        }) else {
            return Ok(None);
        };
        let parsed: CacheManifest = serde_json::from_slice(&manifest.bytes)
            .map_err(|e| format!("the entry for {key} is not a cache manifest: {e}"))?;
        if parsed.annotations.get(KEY_ANNOTATION).map(String::as_str) != Some(key) {
            return Err(format!(
                "the entry tagged {} is for another key",
                key_tag(key)
            ));
        }
        Ok(parsed.layers.first().map(|l| l.digest.clone()))
    }

    fn put_pointer(&self, key: &str, sha256: &str) -> Result<(), String> {
        let digest = format!("sha256:{sha256}");
        let size = self
            .repo()
            .blob_exists(&digest)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{digest} is not in the cache registry"))?;
        let blob = Descriptor::of_parts(BLOB_MEDIA_TYPE, &digest, size);
        let annotations = BTreeMap::from([(KEY_ANNOTATION.to_string(), key.to_string())]);
        self.put_artifact(&key_tag(key), blob, annotations)
            .map_err(|e| e.to_string())
    }
}
