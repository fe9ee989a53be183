//! Attaching an artifact (an SBOM) to an image already in the registry:
//! OCI 1.1 referrers (image-spec `manifest.md` "Guidelines for Artifact
//! Usage", distribution-spec "Referrers Tag Schema"), or cosign's tag.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::client::Repository;
use crate::error::RegistryError;
use crate::manifest::{is_index, sha256_digest, Descriptor, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST};
use crate::upload::BlobSource;

/// The OCI empty descriptor's media type (a config that says nothing).
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// The digest of the empty blob `{}`.
pub const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const EMPTY_DATA: &[u8] = b"{}";

/// How an artifact is attached to its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachMode {
    /// An OCI 1.1 artifact manifest with a `subject`, found through the
    /// referrers API; on a registry without it, also listed in the image
    /// index under the fallback tag `sha256-<hex>` (read, extended, written
    /// back).
    Referrers,
    /// cosign's (and apko's) `attach sbom` layout: an image manifest under
    /// the tag `sha256-<hex>.sbom` whose single layer is the SBOM. cosign
    /// names the layer media types `spdx+json` (SPDX JSON) and
    /// `application/vnd.cyclonedx+json` (CycloneDX JSON); see
    /// [`cosign_sbom_media_type`].
    Tag,
}

/// An artifact to attach.
#[derive(Debug, Clone)]
pub struct Artifact<'a> {
    /// What it is, e.g. `application/spdx+json`.
    pub artifact_type: &'a str,
    /// The media type of its blob (the layer).
    pub media_type: &'a str,
    /// The content.
    pub data: &'a [u8],
    /// Annotations for the artifact's manifest.
    pub annotations: BTreeMap<String, String>,
}

/// Where an artifact went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// The digest of the artifact's manifest.
    pub digest: String,
    /// The tag written or kept: the fallback `sha256-<hex>` or `sha256-<hex>.sbom`.
    pub tag: Option<String>,
    /// The registry lists it through the referrers API.
    pub via_referrers_api: bool,
}

/// The layer media type cosign's `attach sbom` uses for an SBOM of
/// `artifact_type` (its `pkg/types`): `spdx+json`, or
/// `application/vnd.cyclonedx+json`; other types are used as they are.
pub fn cosign_sbom_media_type(artifact_type: &str) -> &str {
    match artifact_type {
        "application/spdx+json" | "text/spdx+json" => "spdx+json",
        "application/vnd.cyclonedx+json" => "application/vnd.cyclonedx+json",
        other => other,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestOut<'a> {
    schema_version: u32,
    media_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_type: Option<&'a str>,
    config: Descriptor,
    layers: Vec<Descriptor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<Descriptor>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: &'a BTreeMap<String, String>,
}

/// Attach `artifact` to `subject` (a manifest in `repo`). Idempotent: a
/// second call uploads nothing and adds no second index entry.
pub fn attach(
    repo: &Repository<'_>,
    subject: &Descriptor,
    artifact: &Artifact<'_>,
    mode: AttachMode,
) -> Result<Attached, RegistryError> {
    let layer_digest = sha256_digest(artifact.data);
    repo.push_blob(
        &BlobSource::Bytes {
            digest: layer_digest.clone(),
            data: artifact.data,
        },
        &[],
    )?;
    let layer = Descriptor::of(artifact.media_type, artifact.data);
    let subject_hex = subject.digest.strip_prefix("sha256:").ok_or_else(|| {
        repo.protocol(format!(
            "cannot attach to {}: only sha256 subjects are supported",
            subject.digest
        ))
    })?;
    match mode {
        AttachMode::Referrers => attach_referrer(repo, subject, artifact, layer, subject_hex),
        AttachMode::Tag => attach_tag(repo, artifact, layer, subject_hex),
    }
}

fn attach_referrer(
    repo: &Repository<'_>,
    subject: &Descriptor,
    artifact: &Artifact<'_>,
    layer: Descriptor,
    subject_hex: &str,
) -> Result<Attached, RegistryError> {
    // The config is the empty descriptor; its blob `{}` must exist too.
    let config = Descriptor::of(EMPTY_MEDIA_TYPE, EMPTY_DATA);
    repo.push_blob(
        &BlobSource::Bytes {
            digest: EMPTY_DIGEST.to_string(),
            data: EMPTY_DATA,
        },
        &[],
    )?;
    let manifest = ManifestOut {
        schema_version: 2,
        media_type: OCI_MANIFEST,
        artifact_type: Some(artifact.artifact_type),
        config,
        layers: vec![layer],
        subject: Some(Descriptor::of_parts(
            &subject.media_type,
            &subject.digest,
            subject.size,
        )),
        annotations: &artifact.annotations,
    };
    let bytes = to_json(repo, &manifest)?;
    let entry = Descriptor {
        artifact_type: Some(artifact.artifact_type.to_string()),
        annotations: artifact.annotations.clone(),
        ..Descriptor::of(OCI_MANIFEST, &bytes)
    };
    list_referrer(repo, subject_hex, &subject.digest, entry, &bytes)
}

/// A manifest made elsewhere (a signature or an attestation stored beside
/// an image in its archive) to store in a registry: see [`put_referrer`].
#[derive(Debug, Clone, Copy)]
pub struct PreparedReferrer<'a> {
    /// The manifest, pushed byte for byte.
    pub manifest: &'a [u8],
    /// Its media type.
    pub media_type: &'a str,
    /// Its artifact type, for the fallback tag's index entry.
    pub artifact_type: Option<&'a str>,
    /// Its annotations, for the fallback tag's index entry.
    pub annotations: &'a BTreeMap<String, String>,
    /// Every blob it names.
    pub blobs: &'a [Vec<u8>],
    /// Store it under this tag (cosign's `sha256-<hex>.sig`) instead of as
    /// a referrer of `subject`.
    pub tag: Option<&'a str>,
}

/// Push a prepared referrer's blobs and manifest, and make it findable
/// from `subject`: through the referrers API, else the `sha256-<hex>`
/// fallback tag's index, or under its own tag. Idempotent.
pub fn put_referrer(
    repo: &Repository<'_>,
    subject: &Descriptor,
    referrer: &PreparedReferrer<'_>,
) -> Result<Attached, RegistryError> {
    for blob in referrer.blobs {
        repo.push_blob(
            &BlobSource::Bytes {
                digest: sha256_digest(blob),
                data: blob,
            },
            &[],
        )?;
    }
    if let Some(tag) = referrer.tag {
        let digest = put_if_absent(repo, tag, referrer.media_type, referrer.manifest)?;
        return Ok(Attached {
            digest,
            tag: Some(tag.to_string()),
            via_referrers_api: false,
        });
    }
    let subject_hex = subject.digest.strip_prefix("sha256:").ok_or_else(|| {
        repo.protocol(format!(
            "cannot attach to {}: only sha256 subjects are supported",
            subject.digest
        ))
    })?;
    let entry = Descriptor {
        artifact_type: referrer.artifact_type.map(str::to_string),
        annotations: referrer.annotations.clone(),
        ..Descriptor::of(referrer.media_type, referrer.manifest)
    };
    list_referrer(repo, subject_hex, &subject.digest, entry, referrer.manifest)
}

/// Put the manifest `bytes` by digest; when the registry has no referrers
/// API, also list `entry` in the fallback tag's index.
fn list_referrer(
    repo: &Repository<'_>,
    subject_hex: &str,
    subject_digest: &str,
    entry: Descriptor,
    bytes: &[u8],
) -> Result<Attached, RegistryError> {
    let digest = put_if_absent(repo, &sha256_digest(bytes), &entry.media_type, bytes)?;
    if repo.referrers(subject_digest)?.is_some() {
        return Ok(Attached {
            digest,
            tag: None,
            via_referrers_api: true,
        });
    }
    // No referrers API: keep the fallback tag's index up to date.
    let tag = format!("sha256-{subject_hex}");
    let mut index = match repo.get_manifest(&tag)? {
        Some(existing) if is_index(&existing.media_type) => serde_json::from_slice::<
            serde_json::Value,
        >(&existing.bytes)
        .map_err(|e| repo.protocol(format!("the referrers tag {tag} is not valid JSON: {e}")))?,
        Some(existing) => {
            return Err(repo.protocol(format!(
                "the referrers fallback tag {tag} holds a {}, not an image index",
                existing.media_type
            )))
        }
        None => serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}),
    };
    let manifests = index
        .get_mut("manifests")
        .and_then(serde_json::Value::as_array_mut)
        .ok_or_else(|| repo.protocol(format!("the referrers tag {tag} has no manifests list")))?;
    let listed = manifests
        .iter()
        .any(|m| m.get("digest").and_then(serde_json::Value::as_str) == Some(digest.as_str()));
    if !listed {
        manifests.push(serde_json::to_value(&entry).map_err(|e| repo.protocol(e.to_string()))?);
        let bytes = to_json(repo, &index)?;
        repo.put_manifest(&tag, OCI_INDEX, &bytes)?;
    }
    Ok(Attached {
        digest,
        tag: Some(tag),
        via_referrers_api: false,
    })
}

fn attach_tag(
    repo: &Repository<'_>,
    artifact: &Artifact<'_>,
    layer: Descriptor,
    subject_hex: &str,
) -> Result<Attached, RegistryError> {
    #[derive(Serialize)]
    struct Rootfs<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        diff_ids: [&'a str; 1],
    }
    #[derive(Serialize)]
    struct Config<'a> {
        architecture: &'static str,
        os: &'static str,
        config: BTreeMap<String, String>,
        rootfs: Rootfs<'a>,
    }
    let config_bytes = to_json(
        repo,
        &Config {
            architecture: "",
            os: "",
            config: BTreeMap::new(),
            rootfs: Rootfs {
                kind: "layers",
                diff_ids: [&layer.digest],
            },
        },
    )?;
    let config = Descriptor::of(OCI_CONFIG, &config_bytes);
    repo.push_blob(
        &BlobSource::Bytes {
            digest: config.digest.clone(),
            data: &config_bytes,
        },
        &[],
    )?;
    let manifest = ManifestOut {
        schema_version: 2,
        media_type: OCI_MANIFEST,
        artifact_type: None,
        config,
        layers: vec![layer],
        subject: None,
        annotations: &artifact.annotations,
    };
    let bytes = to_json(repo, &manifest)?;
    let tag = format!("sha256-{subject_hex}.sbom");
    let digest = put_if_absent(repo, &tag, OCI_MANIFEST, &bytes)?;
    Ok(Attached {
        digest,
        tag: Some(tag),
        via_referrers_api: false,
    })
}

/// PUT `bytes` under `reference` unless it already names exactly them.
fn put_if_absent(
    repo: &Repository<'_>,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<String, RegistryError> {
    let digest = sha256_digest(bytes);
    match repo.manifest_exists(reference)? {
        Some(existing) if existing.digest == digest => Ok(digest),
        _ => repo.put_manifest(reference, media_type, bytes),
    }
}

fn to_json(repo: &Repository<'_>, value: &impl Serialize) -> Result<Vec<u8>, RegistryError> {
    serde_json::to_vec(value).map_err(|e| repo.protocol(format!("cannot write JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_descriptor_digest() {
        assert_eq!(sha256_digest(EMPTY_DATA), EMPTY_DIGEST);
        assert_eq!(cosign_sbom_media_type("application/spdx+json"), "spdx+json");
    }
}
