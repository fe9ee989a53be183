//! Image manifests and image indexes, and the set of blobs an image set
//! consists of.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};

use serde::Serialize;

use crate::blob::Blob;
use crate::config::{config_json, ImageConfig, Platform};
use crate::error::OciError;
use crate::layer::{sha256_digest, Layer};

/// Media type of an OCI image manifest.
pub const MEDIA_TYPE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image index.
pub const MEDIA_TYPE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Media type of an OCI image config.
pub const MEDIA_TYPE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Media type of a gzip-compressed OCI layer.
pub const MEDIA_TYPE_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// One platform's image: its config and its layers, bottom first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformImage {
    /// The image config.
    pub config: ImageConfig,
    /// The layers, bottom first.
    pub layers: Vec<Layer>,
}

/// Everything written for one build: one image per platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSet {
    /// One image per platform. One image gives a manifest, several an
    /// image index.
    pub images: Vec<PlatformImage>,
    /// Annotations (`org.opencontainers.image.*`) copied into every
    /// manifest and the image index; the caller adds `…created` if wanted.
    pub annotations: BTreeMap<String, String>,
    /// The reference the image is tagged with, e.g.
    /// `registry.example/python:3.11`. May be empty (untagged).
    pub tag: String,
    /// Signatures and attestations of the images, stored beside them.
    pub referrers: Vec<crate::Referrer>,
    /// Annotations on the image's entry in the archive's or layout's
    /// `index.json` only (beside its ref name): outside the image digest,
    /// and not pushed to a registry.
    pub entry_annotations: BTreeMap<String, String>,
}

/// The digest of what [`crate::write_archive`] and [`crate::write_layout`]
/// write for this set: the manifest digest for one image, the image index
/// digest otherwise. For printing and reproducibility checks; it does not
/// validate the set (the writers do).
pub fn image_digest(set: &ImageSet) -> String {
    // Serialising these structs (string keys only) cannot fail.
    render(set).map(|r| r.top.digest).unwrap_or_default()
}

/// A manifest (or index) the writers write: media type, digest, size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRef {
    /// Its media type.
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The set's top manifest (the index, or the one manifest) and each
/// platform's manifest with its platform, in the set's order: what a
/// signature or an attestation names as its subject.
pub fn image_manifests(
    set: &ImageSet,
) -> Result<(ManifestRef, Vec<(Platform, ManifestRef)>), OciError> {
    validate(set)?;
    let rendered = render(set)?;
    let top = ManifestRef {
        media_type: rendered.top.media_type.to_string(),
        digest: rendered.top.digest.clone(),
        size: rendered.top.size,
    };
    let platforms = rendered
        .images
        .iter()
        .map(|image| {
            (
                image.platform.clone(),
                ManifestRef {
                    media_type: MEDIA_TYPE_MANIFEST.to_string(),
                    digest: image.manifest_digest.clone(),
                    size: image.manifest_size,
                },
            )
        })
        .collect();
    Ok((top, platforms))
}

/// The docker-archive tag of one platform's image in a multi-platform set,
/// as apko does: `reg/app:latest` → `reg/app:latest-arm64`
/// (`…-arm-v7` with a variant). A tag without a tag part gets `latest-…`.
pub fn platform_tag(tag: &str, platform: &Platform) -> String {
    let mut suffix = platform.architecture.clone();
    // arm64 is always v8, so apko's tags leave the variant out; 32-bit arm
    // keeps it (`-arm-v7`).
    if let Some(variant) = platform
        .variant
        .as_ref()
        .filter(|_| platform.architecture != "arm64")
    {
        suffix.push('-');
        suffix.push_str(variant);
    }
    let name_start = tag.rfind('/').map_or(0, |i| i + 1);
    if tag[name_start..].contains(':') {
        format!("{tag}-{suffix}")
    } else {
        format!("{tag}:latest-{suffix}")
    }
}

#[derive(Serialize)]
pub(crate) struct PlatformJson<'a> {
    pub architecture: &'a str,
    pub os: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<&'a str>,
}

impl<'a> From<&'a Platform> for PlatformJson<'a> {
    fn from(p: &'a Platform) -> Self {
        PlatformJson {
            architecture: &p.architecture,
            os: &p.os,
            variant: p.variant.as_deref(),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct Descriptor<'a> {
    #[serde(rename = "mediaType")]
    pub media_type: &'a str,
    pub digest: &'a str,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<PlatformJson<'a>>,
    #[serde(rename = "artifactType", skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct ManifestJson<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    config: Descriptor<'a>,
    layers: Vec<Descriptor<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct IndexJson<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    manifests: Vec<Descriptor<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: &'a BTreeMap<String, String>,
}

/// The descriptor that `index.json` points at.
pub(crate) struct Top<'a> {
    pub media_type: &'static str,
    pub digest: String,
    pub size: u64,
    /// Set for a single-platform image.
    pub platform: Option<&'a Platform>,
}

/// One platform image as written: blob hexes for docker's manifest.json.
pub(crate) struct RenderedImage<'a> {
    pub platform: &'a Platform,
    pub config_hex: String,
    pub layer_hexes: Vec<String>,
    pub manifest_digest: String,
    pub manifest_size: u64,
}

/// The content of one blob: JSON made here, or a layer.
pub(crate) enum BlobData<'a> {
    Owned(Vec<u8>),
    Bytes(&'a [u8]),
    Layer(&'a Blob),
}

impl BlobData<'_> {
    pub fn len(&self) -> u64 {
        match self {
            BlobData::Owned(b) => b.len() as u64,
            BlobData::Bytes(b) => b.len() as u64,
            BlobData::Layer(b) => b.len(),
        }
    }

    /// The same content, borrowed.
    pub fn borrowed(&self) -> BlobData<'_> {
        match self {
            BlobData::Owned(b) => BlobData::Bytes(b),
            BlobData::Bytes(b) => BlobData::Bytes(b),
            BlobData::Layer(b) => BlobData::Layer(b),
        }
    }

    pub fn reader(&self) -> Box<dyn Read + '_> {
        match self {
            BlobData::Owned(b) => Box::new(&b[..]),
            BlobData::Bytes(b) => Box::new(*b),
            BlobData::Layer(b) => Box::new(b.reader()),
        }
    }

    pub fn copy_to(&self, out: &mut dyn io::Write) -> io::Result<()> {
        io::copy(&mut self.reader(), out).map(drop)
    }
}

/// All blobs of a set, keyed by sha256 hex, plus what points at them.
pub(crate) struct Rendered<'a> {
    pub blobs: BTreeMap<String, BlobData<'a>>,
    pub top: Top<'a>,
    pub images: Vec<RenderedImage<'a>>,
    /// The set's referrers, in order, for `index.json`.
    pub referrers: &'a [crate::Referrer],
}

/// The hex part of a `sha256:<64 hex>` digest, if it is one.
pub(crate) fn digest_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(hex)
}

/// Check what the writers rely on: at least one image, well-formed digests
/// (they become file names), sizes that match the blobs, distinct
/// platforms.
pub(crate) fn validate(set: &ImageSet) -> Result<(), OciError> {
    let invalid = |m: String| Err(OciError::InvalidSet(m));
    if set.images.is_empty() {
        return invalid("no images".into());
    }
    let mut platforms = BTreeSet::new();
    for image in &set.images {
        if !platforms.insert(&image.config.platform) {
            return invalid(format!(
                "platform {:?} appears twice",
                image.config.platform
            ));
        }
        for layer in &image.layers {
            if digest_hex(&layer.digest).is_none() || digest_hex(&layer.diff_id).is_none() {
                return invalid(format!(
                    "layer digest {:?} / diff_id {:?} is not sha256:<64 lowercase hex>",
                    layer.digest, layer.diff_id
                ));
            }
            if layer.size != layer.blob.len() {
                return invalid(format!(
                    "layer {} has size {} but its blob has {} bytes",
                    layer.digest,
                    layer.size,
                    layer.blob.len()
                ));
            }
        }
    }
    Ok(())
}

fn hex_of(digest: &str) -> String {
    digest.strip_prefix("sha256:").unwrap_or(digest).to_string()
}

/// Build every config, manifest and (for several images) the index.
pub(crate) fn render(set: &ImageSet) -> Result<Rendered<'_>, serde_json::Error> {
    let mut blobs: BTreeMap<String, BlobData<'_>> = BTreeMap::new();
    let mut images = Vec::with_capacity(set.images.len());
    let mut manifests = Vec::with_capacity(set.images.len());
    for image in &set.images {
        let diff_ids: Vec<&str> = image.layers.iter().map(|l| l.diff_id.as_str()).collect();
        let config = config_json(&image.config, &diff_ids)?;
        let config_digest = sha256_digest(&config);
        let manifest = ManifestJson {
            schema_version: 2,
            media_type: MEDIA_TYPE_MANIFEST,
            config: Descriptor {
                media_type: MEDIA_TYPE_CONFIG,
                digest: &config_digest,
                size: config.len() as u64,
                platform: None,
                artifact_type: None,
                annotations: BTreeMap::new(),
            },
            layers: image
                .layers
                .iter()
                .map(|l| Descriptor {
                    media_type: MEDIA_TYPE_LAYER_GZIP,
                    digest: &l.digest,
                    size: l.size,
                    platform: None,
                    artifact_type: None,
                    annotations: BTreeMap::new(),
                })
                .collect(),
            annotations: &set.annotations,
        };
        let manifest = serde_json::to_vec(&manifest)?;
        let manifest_digest = sha256_digest(&manifest);
        let layer_hexes: Vec<String> = image.layers.iter().map(|l| hex_of(&l.digest)).collect();
        for (layer, hex) in image.layers.iter().zip(&layer_hexes) {
            blobs.insert(hex.clone(), BlobData::Layer(&layer.blob));
        }
        images.push(RenderedImage {
            platform: &image.config.platform,
            config_hex: hex_of(&config_digest),
            layer_hexes,
            manifest_digest: manifest_digest.clone(),
            manifest_size: manifest.len() as u64,
        });
        blobs.insert(hex_of(&config_digest), BlobData::Owned(config));
        manifests.push((
            manifest_digest,
            manifest.len() as u64,
            &image.config.platform,
        ));
        blobs.insert(
            hex_of(&manifests[manifests.len() - 1].0),
            BlobData::Owned(manifest),
        );
    }
    let top = if let [(digest, size, platform)] = manifests.as_slice() {
        Top {
            media_type: MEDIA_TYPE_MANIFEST,
            digest: digest.clone(),
            size: *size,
            platform: Some(platform),
        }
    } else {
        let index = IndexJson {
            schema_version: 2,
            media_type: MEDIA_TYPE_INDEX,
            manifests: manifests
                .iter()
                .map(|(digest, size, platform)| Descriptor {
                    media_type: MEDIA_TYPE_MANIFEST,
                    digest,
                    size: *size,
                    platform: Some(PlatformJson::from(*platform)),
                    artifact_type: None,
                    annotations: BTreeMap::new(),
                })
                .collect(),
            annotations: &set.annotations,
        };
        let index = serde_json::to_vec(&index)?;
        let digest = sha256_digest(&index);
        let size = index.len() as u64;
        blobs.insert(hex_of(&digest), BlobData::Owned(index));
        Top {
            media_type: MEDIA_TYPE_INDEX,
            digest,
            size,
            platform: None,
        }
    };
    for referrer in &set.referrers {
        for blob in &referrer.blobs {
            blobs.insert(hex_of(&sha256_digest(blob)), BlobData::Bytes(blob));
        }
        blobs.insert(
            hex_of(&referrer.digest()),
            BlobData::Bytes(&referrer.manifest),
        );
    }
    Ok(Rendered {
        blobs,
        top,
        images,
        referrers: &set.referrers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::compress_layer;

    fn image(arch: &str, tar: &[u8]) -> PlatformImage {
        PlatformImage {
            config: ImageConfig {
                platform: Platform::linux(arch),
                entrypoint: vec!["/bin/app".into()],
                cmd: vec![],
                env: vec![],
                user: None,
                working_dir: None,
                stop_signal: None,
                labels: BTreeMap::new(),
                volumes: vec![],
                created_epoch: 0,
                history_comment: String::new(),
            },
            layers: vec![compress_layer(tar)],
        }
    }

    #[test]
    fn platform_tags() {
        let amd = Platform::linux("amd64");
        let arm = Platform {
            variant: Some("v7".into()),
            ..Platform::linux("arm")
        };
        assert_eq!(platform_tag("reg/app:latest", &amd), "reg/app:latest-amd64");
        assert_eq!(
            platform_tag("reg:5000/app", &amd),
            "reg:5000/app:latest-amd64"
        );
        assert_eq!(
            platform_tag("reg:5000/app:1.2", &arm),
            "reg:5000/app:1.2-arm-v7"
        );
    }

    #[test]
    fn single_and_multi_render() {
        let mut annotations = BTreeMap::new();
        annotations.insert(
            "org.opencontainers.image.title".to_string(),
            "x".to_string(),
        );
        let set = ImageSet {
            images: vec![image("amd64", b"a")],
            annotations,
            tag: "r/a:1".into(),
            referrers: Vec::new(),
            entry_annotations: BTreeMap::new(),
        };
        let r = render(&set).unwrap();
        assert_eq!(r.top.media_type, MEDIA_TYPE_MANIFEST);
        assert_eq!(r.blobs.len(), 3);
        let m: oci_spec::image::ImageManifest =
            serde_json::from_reader(r.blobs[&hex_of(&r.top.digest)].reader()).unwrap();
        assert_eq!(m.layers().len(), 1);
        assert_eq!(
            m.annotations().as_ref().unwrap()["org.opencontainers.image.title"],
            "x"
        );
        assert_eq!(image_digest(&set), r.top.digest);

        let mut multi = set.clone();
        multi.images.push(image("arm64", b"a"));
        let r = render(&multi).unwrap();
        assert_eq!(r.top.media_type, MEDIA_TYPE_INDEX);
        // Shared layer stored once: 1 layer + 2 configs + 2 manifests + index.
        assert_eq!(r.blobs.len(), 6);
        let i: oci_spec::image::ImageIndex =
            serde_json::from_reader(r.blobs[&hex_of(&r.top.digest)].reader()).unwrap();
        let archs: Vec<String> = i
            .manifests()
            .iter()
            .map(|d| d.platform().as_ref().unwrap().architecture().to_string())
            .collect();
        assert_eq!(archs, ["amd64", "arm64"]);
        validate(&multi).unwrap();

        multi.images.push(image("arm64", b"b"));
        assert!(validate(&multi).is_err());
        let mut bad = set.clone();
        bad.images[0].layers[0].digest = "sha256:../../etc/passwd".into();
        assert!(validate(&bad).is_err());
        bad = set;
        bad.images[0].layers[0].size += 1;
        assert!(validate(&bad).is_err());
    }
}
