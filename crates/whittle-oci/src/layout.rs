//! OCI image-layout directories and their `index.json`.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::OciError;
use crate::manifest::{
    render, validate, Descriptor, ImageSet, PlatformJson, Rendered, MEDIA_TYPE_INDEX,
};
use crate::transaction::Transaction;

/// The content of the `oci-layout` file.
pub(crate) const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

/// The annotation naming a reference in an image layout's `index.json`.
pub(crate) const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation containerd's importer reads the image name from.
pub(crate) const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// `index.json`. Existing descriptors are kept byte for byte; unknown
/// top-level fields of an existing file are dropped.
#[derive(Serialize, Deserialize)]
struct LayoutIndex {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<Box<RawValue>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

/// Just what we need to know about an existing descriptor.
#[derive(Deserialize)]
struct ExistingDescriptor {
    #[serde(default)]
    digest: String,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

/// Parse an existing `index.json`, descriptors included.
fn parse_index(bytes: &[u8]) -> Result<LayoutIndex, serde_json::Error> {
    let index: LayoutIndex = serde_json::from_slice(bytes)?;
    for raw in &index.manifests {
        serde_json::from_str::<ExistingDescriptor>(raw.get())?;
    }
    Ok(index)
}

/// The `index.json` with the set's top descriptor added to `existing` (or
/// to an empty index), replacing any descriptor with the same ref name (an
/// untagged set replaces untagged descriptors of the same digest).
pub(crate) fn index_json(
    existing: Option<&[u8]>,
    rendered: &Rendered<'_>,
    set: &ImageSet,
) -> Result<Vec<u8>, serde_json::Error> {
    let tag = set.tag.as_str();
    let mut index = match existing {
        Some(bytes) => parse_index(bytes)?,
        None => LayoutIndex {
            schema_version: 2,
            media_type: Some(MEDIA_TYPE_INDEX.to_string()),
            manifests: Vec::new(),
            annotations: BTreeMap::new(),
        },
    };
    let mut manifests = Vec::with_capacity(index.manifests.len() + 1);
    for raw in index.manifests {
        let old: ExistingDescriptor = serde_json::from_str(raw.get())?;
        let old_ref = old.annotations.as_ref().and_then(|a| a.get(REF_NAME));
        let replaced = match old_ref {
            Some(name) => {
                (!tag.is_empty() && name == tag)
                    || rendered
                        .referrers
                        .iter()
                        .any(|r| r.tag.as_deref() == Some(name.as_str()))
            }
            None => {
                (tag.is_empty() && old.digest == rendered.top.digest)
                    || rendered.referrers.iter().any(|r| r.digest() == old.digest)
            }
        };
        if !replaced {
            manifests.push(raw);
        }
    }
    let mut annotations: BTreeMap<&str, &str> = set
        .entry_annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if !tag.is_empty() {
        annotations.insert(REF_NAME, tag);
        annotations.insert(CONTAINERD_NAME, tag);
    }
    let top = &rendered.top;
    let descriptor = Descriptor {
        media_type: top.media_type,
        digest: &top.digest,
        size: top.size,
        platform: top.platform.map(PlatformJson::from),
        artifact_type: None,
        annotations,
    };
    manifests.push(serde_json::value::to_raw_value(&descriptor)?);
    for referrer in rendered.referrers {
        let digest = referrer.digest();
        let mut annotations: BTreeMap<&str, &str> = referrer
            .annotations
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(tag) = &referrer.tag {
            annotations.insert(REF_NAME, tag);
        }
        let descriptor = Descriptor {
            media_type: &referrer.media_type,
            digest: &digest,
            size: referrer.manifest.len() as u64,
            platform: None,
            artifact_type: referrer.artifact_type.as_deref(),
            annotations,
        };
        manifests.push(serde_json::value::to_raw_value(&descriptor)?);
    }
    index.manifests = manifests;
    serde_json::to_vec(&index)
}

/// What an existing layout directory holds: whether it has `oci-layout`,
/// and its `index.json` if any. Both are checked; nothing is written.
fn read_layout(dir: &Path) -> Result<(bool, Option<Vec<u8>>), OciError> {
    let meta = fs_err::metadata(dir)?;
    if !meta.is_dir() {
        return Err(OciError::InvalidLayout {
            path: dir.to_path_buf(),
            reason: "it is not a directory".into(),
        });
    }
    let layout_path = dir.join("oci-layout");
    let has_layout = match fs_err::read(&layout_path) {
        Ok(bytes) => {
            let version = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| {
                    v.get("imageLayoutVersion")
                        .and_then(|v| v.as_str().map(str::to_owned))
                });
            if version.is_none() {
                return Err(OciError::InvalidLayout {
                    path: layout_path,
                    reason: "it has no imageLayoutVersion. Repair or remove it, or write the \
                             image to another directory"
                        .into(),
                });
            }
            true
        }
        Err(e) if e.kind() == ErrorKind::NotFound => false,
        Err(e) => return Err(e.into()),
    };
    let index_path = dir.join("index.json");
    let existing = match fs_err::read(&index_path) {
        Ok(bytes) => {
            if let Err(e) = parse_index(&bytes) {
                return Err(OciError::InvalidLayout {
                    path: index_path,
                    reason: format!(
                        "it is not a valid image index ({e}). Repair or remove it (removing it \
                         forgets the images it names), or write the image to another directory"
                    ),
                });
            }
            Some(bytes)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    Ok((has_layout, existing))
}

/// Check that `dir` is an OCI image-layout directory [`write_layout`] can
/// add to (an empty directory is one): its `oci-layout` and `index.json`,
/// if present, are valid. Reads only.
pub fn check_layout(dir: &Path) -> Result<(), OciError> {
    read_layout(dir).map(drop)
}

/// Write the set into an existing OCI image-layout directory: create
/// `oci-layout` if missing, add the blobs under `blobs/sha256/` (blobs
/// already there with the right size are kept), and add the set's top
/// descriptor to `index.json`, replacing any descriptor with the same
/// `org.opencontainers.image.ref.name`. An invalid `oci-layout` or
/// `index.json` is refused before anything is written; new blobs are put
/// in place first and `index.json` is swapped last, so it never names a
/// missing blob; on failure the blobs this write added are removed again.
/// There is no locking against concurrent writers of the same layout.
pub fn write_layout(set: &ImageSet, dir: &Path) -> Result<(), OciError> {
    let mut tx = Transaction::new();
    stage_layout(set, dir, &mut tx)?;
    tx.commit().map_err(|e| e.source)
}

/// [`write_layout`] as part of a [`Transaction`]: new blobs, `oci-layout`
/// (if missing) and the new `index.json` are written to temporaries in the
/// layout, and renamed into place (`index.json` last) when the transaction
/// commits.
pub fn stage_layout(set: &ImageSet, dir: &Path, tx: &mut Transaction) -> Result<(), OciError> {
    validate(set)?;
    let rendered = render(set)?;
    // Everything is checked, and the new index.json made, before anything
    // is written.
    let (has_layout, existing) = read_layout(dir)?;
    let index_path = dir.join("index.json");
    let index =
        index_json(existing.as_deref(), &rendered, set).map_err(|e| OciError::InvalidLayout {
            path: index_path.clone(),
            reason: e.to_string(),
        })?;

    let blob_dir = dir.join("blobs").join("sha256");
    tx.create_dir_all(&blob_dir)?;
    for (hex, data) in &rendered.blobs {
        let path = blob_dir.join(hex);
        match fs_err::metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() == data.len() => continue,
            _ => tx.stage_blob(&path, &mut |w| data.copy_to(w))?,
        }
    }
    if !has_layout {
        tx.stage_blob(&dir.join("oci-layout"), &mut |w| w.write_all(OCI_LAYOUT))?;
    }
    tx.stage_file(&index_path, &mut |w| w.write_all(&index))
}
