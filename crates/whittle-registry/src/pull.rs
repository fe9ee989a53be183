//! Pull one image into an OCI image layout (image-spec `image-layout.md`):
//! its manifest (or index, narrowed to one architecture), configs and
//! layers, each checked against its digest on the way in.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::client::{Client, Repository};
use crate::error::RegistryError;
use crate::manifest::{sha256_digest, Manifest};
use crate::reference::Reference;

/// Nested indexes followed at most.
const MAX_DEPTH: usize = 4;

/// Pull `reference` into the empty directory `dir` as an OCI layout whose
/// `index.json` names the image. From an image index, only the manifests
/// for `architecture` (OCI spelling, `amd64`) are kept, or every one when
/// `None`; attestations (`unknown` platforms) are left out.
pub fn pull_to_layout(
    client: &Client,
    reference: &Reference,
    architecture: Option<&str>,
    dir: &Path,
) -> Result<(), RegistryError> {
    let repo = client.repository(&reference.registry, &reference.repository);
    let wanted = reference
        .digest
        .clone()
        .or_else(|| reference.tag_or_latest().map(str::to_string))
        .unwrap_or_else(|| "latest".into());
    let top = repo
        .get_manifest(&wanted)?
        .ok_or_else(|| RegistryError::NotFound {
            registry: reference.registry.clone(),
            repository: reference.repository.clone(),
            what: format!("manifest {wanted}"),
        })?;
    let blobs = dir.join("blobs/sha256");
    fs_err::create_dir_all(&blobs).map_err(|source| io(&blobs, source))?;
    let top = store_tree(&repo, top, architecture, &blobs, 0)?;
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": top.media_type,
            "digest": top.digest,
            "size": top.bytes.len(),
        }],
    });
    write(
        &dir.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    write(&dir.join("index.json"), index.to_string().as_bytes())
}

/// Store a manifest and what it names; an index is rewritten to the
/// manifests kept (and stored under its new digest).
fn store_tree(
    repo: &Repository<'_>,
    manifest: Manifest,
    architecture: Option<&str>,
    blobs: &Path,
    depth: usize,
) -> Result<Manifest, RegistryError> {
    let mut doc: Value = serde_json::from_slice(&manifest.bytes)
        .map_err(|e| repo.protocol(format!("manifest {} is not JSON: {e}", manifest.digest)))?;
    if let Some(children) = doc.get_mut("manifests").and_then(Value::as_array_mut) {
        if depth > MAX_DEPTH {
            return Err(repo.protocol(format!("image indexes nest deeper than {MAX_DEPTH} levels")));
        }
        let keep = |d: &Value| {
            let arch = d.pointer("/platform/architecture").and_then(Value::as_str);
            let os = d.pointer("/platform/os").and_then(Value::as_str);
            os != Some("unknown") && architecture.is_none_or(|a| arch.is_none_or(|x| x == a))
        };
        children.retain(keep);
        for child in children.iter() {
            let digest = child
                .get("digest")
                .and_then(Value::as_str)
                .ok_or_else(|| repo.protocol("an index entry has no digest"))?;
            checked(repo, digest)?;
            let m = repo.get_manifest(digest)?.ok_or_else(|| {
                repo.protocol(format!("the index names manifest {digest}, which is gone"))
            })?;
            store_tree(repo, m, architecture, blobs, depth + 1)?;
        }
        let bytes = serde_json::to_vec(&doc)
            .map_err(|e| repo.protocol(format!("cannot write the narrowed index: {e}")))?;
        let digest = sha256_digest(&bytes);
        write(&blob_path(blobs, &digest), &bytes)?;
        return Ok(Manifest {
            media_type: manifest.media_type,
            bytes,
            digest,
        });
    }
    let mut named = BTreeSet::new();
    for d in doc.get("config").into_iter().chain(
        doc.get("layers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    ) {
        if let Some(digest) = d.get("digest").and_then(Value::as_str) {
            named.insert(digest.to_string());
        }
    }
    for digest in named {
        checked(repo, &digest)?;
        let path = blob_path(blobs, &digest);
        let mut file = fs_err::File::create(&path).map_err(|source| io(&path, source))?;
        repo.get_blob(&digest, &mut file)?;
    }
    write(&blob_path(blobs, &manifest.digest), &manifest.bytes)?;
    Ok(manifest)
}

/// Only well-formed sha256 digests name files.
fn checked(repo: &Repository<'_>, digest: &str) -> Result<(), RegistryError> {
    crate::reference::check_digest(digest)
        .map_err(|reason| repo.protocol(format!("bad digest {digest:?}: {reason}")))?;
    if digest.starts_with("sha256:") {
        Ok(())
    } else {
        Err(repo.protocol(format!("cannot verify {digest}: only sha256 is supported")))
    }
}

fn blob_path(blobs: &Path, digest: &str) -> std::path::PathBuf {
    blobs.join(digest.trim_start_matches("sha256:"))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    fs_err::write(path, bytes).map_err(|source| io(path, source))
}

fn io(path: &Path, source: std::io::Error) -> RegistryError {
    RegistryError::Io {
        path: path.to_path_buf(),
        source,
    }
}
