//! The combined OCI image-layout / docker-archive tar.

use std::io;
use std::path::Path;

use serde::Serialize;

use crate::error::OciError;
use crate::layout::{index_json, OCI_LAYOUT};
use crate::manifest::{platform_tag, render, validate, BlobData, ImageSet, Rendered};
use crate::transaction::Transaction;

/// One entry of docker's `manifest.json`.
#[derive(Serialize)]
struct DockerEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags")]
    repo_tags: Vec<String>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

fn blob_path(hex: &str) -> String {
    format!("blobs/sha256/{hex}")
}

/// docker's `manifest.json`: one entry per platform image. A single image
/// is tagged with the set's tag; several are tagged `TAG-ARCH` each.
fn docker_manifest(set: &ImageSet, rendered: &Rendered<'_>) -> Result<Vec<u8>, serde_json::Error> {
    let single = rendered.images.len() == 1;
    let entries: Vec<DockerEntry> = rendered
        .images
        .iter()
        .map(|image| DockerEntry {
            config: blob_path(&image.config_hex),
            repo_tags: match (set.tag.is_empty(), single) {
                (true, _) => Vec::new(),
                (false, true) => vec![set.tag.clone()],
                (false, false) => vec![platform_tag(&set.tag, image.platform)],
            },
            layers: image.layer_hexes.iter().map(|h| blob_path(h)).collect(),
        })
        .collect();
    serde_json::to_vec(&entries)
}

/// Write the set as one tar at `path` that is both an OCI image-layout
/// archive (`oci-layout`, `index.json`, `blobs/sha256/<hex>`; see
/// [`crate::write_layout`] for `index.json`) and a docker-archive
/// (`manifest.json` whose `Config` and `Layers` point into `blobs/`).
///
/// Entries are sorted by path (directories `blobs/` and `blobs/sha256/`
/// first), ustar headers with uid/gid 0, no user/group names, mode 0644
/// (files) or 0755 (directories) and mtime = the first image's
/// `created_epoch` (0 if negative), so equal sets give byte-identical
/// archives. Written atomically: to a temp file beside `path`, fsynced, then
/// renamed; on error nothing is left at `path` (a file already there stays
/// as it was) and the temp file is removed.
pub fn write_archive(set: &ImageSet, path: &Path) -> Result<(), OciError> {
    let mut tx = Transaction::new();
    stage_archive(set, path, &mut tx)?;
    tx.commit().map_err(|e| e.source)
}

/// [`write_archive`] as part of a [`Transaction`]: the archive is written
/// to a temporary beside `path` and renamed over it when the transaction
/// commits.
pub fn stage_archive(set: &ImageSet, path: &Path, tx: &mut Transaction) -> Result<(), OciError> {
    validate(set)?;
    let rendered = render(set)?;
    let index = index_json(None, &rendered, set)?;
    let docker = docker_manifest(set, &rendered)?;
    let mtime = u64::try_from(set.images[0].config.created_epoch).unwrap_or(0);

    // (path, None for a directory / Some(content) for a file), sorted.
    let mut entries: Vec<(String, Option<BlobData<'_>>)> = vec![
        ("blobs/".into(), None),
        ("blobs/sha256/".into(), None),
        ("index.json".into(), Some(BlobData::Bytes(&index))),
        ("manifest.json".into(), Some(BlobData::Bytes(&docker))),
        ("oci-layout".into(), Some(BlobData::Bytes(OCI_LAYOUT))),
    ];
    for (hex, data) in &rendered.blobs {
        entries.push((blob_path(hex), Some(data.borrowed())));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    tx.stage_file(path, &mut |w| {
        let mut builder = tar::Builder::new(w);
        for (name, content) in &entries {
            let mut header = tar::Header::new_ustar();
            header.set_path(name)?;
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(mtime);
            match content {
                None => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_mode(0o755);
                    header.set_size(0);
                    header.set_cksum();
                    builder.append(&header, io::empty())?;
                }
                Some(data) => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_mode(0o644);
                    header.set_size(data.len());
                    header.set_cksum();
                    builder.append(&header, data.reader())?;
                }
            }
        }
        builder.into_inner()?;
        Ok(())
    })
}
