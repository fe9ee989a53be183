//! The combined OCI image-layout / docker-archive tar, and atomic file
//! writes.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use crate::error::OciError;
use crate::layout::{index_json, OCI_LAYOUT};
use crate::manifest::{platform_tag, render, validate, ImageSet, Rendered};

/// Permissions of every file we create (before the umask).
const FILE_MODE: u32 = 0o644;

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
    validate(set)?;
    let rendered = render(set)?;
    let index = index_json(None, &rendered, &set.tag)?;
    let docker = docker_manifest(set, &rendered)?;
    let mtime = u64::try_from(set.images[0].config.created_epoch).unwrap_or(0);

    // (path, None for a directory / Some(content) for a file), sorted.
    let mut entries: Vec<(String, Option<&[u8]>)> = vec![
        ("blobs/".into(), None),
        ("blobs/sha256/".into(), None),
        ("index.json".into(), Some(&index)),
        ("manifest.json".into(), Some(&docker)),
        ("oci-layout".into(), Some(OCI_LAYOUT)),
    ];
    for (hex, bytes) in &rendered.blobs {
        entries.push((blob_path(hex), Some(bytes)));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    atomic_write(path, &mut |w| {
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
                    header.set_size(data.len() as u64);
                    header.set_cksum();
                    builder.append(&header, *data)?;
                }
            }
        }
        builder.into_inner()?;
        Ok(())
    })
}

/// Write a file atomically: into a temp file beside `path`, fsync, rename
/// over `path`, then (best effort) fsync the directory. On any error the
/// temp file is removed and `path` is untouched.
pub(crate) fn atomic_write(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
) -> Result<(), OciError> {
    let name = path
        .file_name()
        .ok_or_else(|| OciError::InvalidSet(format!("{} has no file name", path.display())))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");

    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(FILE_MODE));
    }
    let tmp = builder.tempfile_in(dir).map_err(|e| OciError::at(dir, e))?;
    let tmp_path = tmp.path().to_path_buf();
    {
        let mut out = BufWriter::with_capacity(1 << 20, tmp.as_file());
        write(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| OciError::at(&tmp_path, e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| OciError::at(&tmp_path, e))?;
    // On failure the PersistError owns the temp file and deletes it on drop.
    tmp.persist(path).map_err(|e| OciError::at(path, e.error))?;
    if let Ok(d) = fs_err::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
