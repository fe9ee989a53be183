//! OCI image-layout directories and their `index.json`.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::archive::atomic_write;
use crate::error::OciError;
use crate::manifest::{
    render, validate, Descriptor, ImageSet, PlatformJson, Rendered, MEDIA_TYPE_INDEX,
};

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

/// The `index.json` with the set's top descriptor added to `existing` (or
/// to an empty index), replacing any descriptor with the same ref name (an
/// untagged set replaces untagged descriptors of the same digest).
pub(crate) fn index_json(
    existing: Option<&[u8]>,
    rendered: &Rendered<'_>,
    tag: &str,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut index = match existing {
        Some(bytes) => serde_json::from_slice(bytes)?,
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
            Some(name) => !tag.is_empty() && name == tag,
            None => tag.is_empty() && old.digest == rendered.top.digest,
        };
        if !replaced {
            manifests.push(raw);
        }
    }
    let mut annotations = BTreeMap::new();
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
        annotations,
    };
    manifests.push(serde_json::value::to_raw_value(&descriptor)?);
    index.manifests = manifests;
    serde_json::to_vec(&index)
}

/// Write the set into an existing OCI image-layout directory: create
/// `oci-layout` if missing, add the blobs under `blobs/sha256/` (blobs
/// already there with the right size are kept), and add the set's top
/// descriptor to `index.json`, replacing any descriptor with the same
/// `org.opencontainers.image.ref.name`. Each file is replaced atomically and
/// `index.json` is written last, so it never names a missing blob. There is
/// no locking against concurrent writers of the same layout.
pub fn write_layout(set: &ImageSet, dir: &Path) -> Result<(), OciError> {
    validate(set)?;
    if !fs_err::metadata(dir)?.is_dir() {
        return Err(OciError::InvalidLayout {
            path: dir.to_path_buf(),
            reason: "not a directory".into(),
        });
    }
    let rendered = render(set)?;

    let layout_path = dir.join("oci-layout");
    match fs_err::read(&layout_path) {
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
                    reason: "no imageLayoutVersion".into(),
                });
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            atomic_write(&layout_path, &mut |w| w.write_all(OCI_LAYOUT))?;
        }
        Err(e) => return Err(e.into()),
    }

    let blob_dir = dir.join("blobs").join("sha256");
    fs_err::create_dir_all(&blob_dir)?;
    for (hex, bytes) in &rendered.blobs {
        let path = blob_dir.join(hex);
        match fs_err::metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => continue,
            _ => atomic_write(&path, &mut |w| w.write_all(bytes))?,
        }
    }

    let index_path = dir.join("index.json");
    let existing = match fs_err::read(&index_path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let index = index_json(existing.as_deref(), &rendered, &set.tag).map_err(|e| {
        OciError::InvalidLayout {
            path: index_path.clone(),
            reason: e.to_string(),
        }
    })?;
    atomic_write(&index_path, &mut |w| w.write_all(&index))
}
