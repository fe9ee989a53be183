//! Applying one layer to the tree, streamed: blob → sha256 → gzip/zstd (by
//! magic number; plain tar otherwise) → sha256 → tar headers. File
//! contents are skipped, except for the few files the readers use, or
//! hashed as they pass when digests are wanted (never held). The
//! whiteouts of the OCI image spec (`layer.md`: `.wh.NAME` hides NAME of
//! the layers below, `.wh..wh..opq` hides everything below its directory)
//! apply to the lower layers only, so a layer's changes are gathered first
//! and merged when it ends.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};

use sha2::{Digest, Sha256};

use crate::error::{describe_stream_error, AuditError};
use crate::select::LayerRef;
use crate::store::Store;
use crate::tree::{display, EntryKind, Node, Tree, Wanted, CONTENT_LIMIT};

/// A reader that hashes and counts what passes through it.
struct HashReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashReader<R> {
    fn new(inner: R) -> Self {
        HashReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Read to the end, then return the digest and byte count.
    fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((
            format!("sha256:{}", hex::encode(self.hasher.finalize())),
            self.bytes,
        ))
    }
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A layer as read: what its bytes hash to, whatever the manifest says
/// (the two are checked to agree when the manifest says anything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayerFacts {
    /// Digest of the blob as stored (compressed, usually).
    pub digest: String,
    /// Bytes of the blob as stored.
    pub size: u64,
    /// Digest of the uncompressed tar (the config's diff ID).
    pub diff_id: String,
    /// Bytes of the uncompressed tar.
    pub diff_size: u64,
}

/// What one layer changes.
#[derive(Default)]
struct Changes {
    added: BTreeMap<String, Node>,
    whiteouts: Vec<String>,
    opaque: Vec<String>,
}

/// Read the layer `layer` of `store` and apply it to `tree`, keeping what
/// `wanted` asks for. Notes (a database file too large to read) go to
/// `notes`.
pub(crate) fn apply(
    store: &Store,
    layer: &LayerRef,
    wanted: Wanted,
    tree: &mut Tree,
    notes: &mut Vec<String>,
) -> Result<LayerFacts, AuditError> {
    let (raw, _) = store.open_member(&layer.member)?;
    let bad_layer = |problem: String| AuditError::BadLayer {
        image: store.image().to_path_buf(),
        member: layer.member.clone(),
        problem,
    };
    let mut blob = HashReader::new(raw);
    let mut buffered = BufReader::with_capacity(1 << 16, &mut blob);
    let head = buffered
        .fill_buf()
        .map_err(|e| bad_layer(describe_stream_error(&e, "data")))?;
    let (decoder, format): (Box<dyn Read + '_>, &str) = match head {
        [0x1f, 0x8b, ..] => (
            Box::new(flate2::bufread::MultiGzDecoder::new(&mut buffered)),
            "gzip-compressed tar",
        ),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => (
            Box::new(
                zstd::stream::read::Decoder::with_buffer(&mut buffered)
                    .map_err(|e| bad_layer(describe_stream_error(&e, "zstd")))?,
            ),
            "zstd-compressed tar",
        ),
        _ => (Box::new(&mut buffered), "tar"),
    };
    let mut tar_stream = HashReader::new(decoder);
    let mut changes = Changes::default();
    let read = read_entries(
        store,
        layer,
        wanted,
        tree,
        &mut tar_stream,
        &mut changes,
        notes,
    );
    let diff = match read {
        Ok(()) => tar_stream.finish().map_err(|e| (e, format)),
        Err(ReadError::Stream(e)) => {
            drop(tar_stream);
            Err((e, format))
        }
        Err(ReadError::Audit(e)) => return Err(e),
    };
    // Whatever went wrong while decoding, say first whether the blob is
    // cut off or is not the blob the manifest names.
    io::copy(&mut buffered, &mut io::sink())
        .map_err(|e| bad_layer(describe_stream_error(&e, "data")))?;
    drop(buffered);
    let (blob_digest, blob_bytes) = blob
        .finish()
        .map_err(|e| bad_layer(describe_stream_error(&e, "data")))?;
    if let Some(size) = layer.size.filter(|s| blob_bytes < *s) {
        return Err(bad_layer(format!(
            "is cut off (truncated): {blob_bytes} of its {size} bytes are there"
        )));
    }
    check_digest(store, &layer.member, layer.digest.as_deref(), &blob_digest)?;
    let (diff_id, diff_size) =
        diff.map_err(|(e, format)| bad_layer(describe_stream_error(&e, format)))?;
    check_digest(store, &layer.member, layer.diff_id.as_deref(), &diff_id)?;

    for w in &changes.whiteouts {
        tree.remove_subtree(w);
    }
    for d in &changes.opaque {
        tree.remove_children(d);
    }
    for (key, node) in changes.added {
        tree.insert(key, node);
    }
    Ok(LayerFacts {
        digest: blob_digest,
        size: blob_bytes,
        diff_id,
        diff_size,
    })
}

fn check_digest(
    store: &Store,
    member: &str,
    expected: Option<&str>,
    actual: &str,
) -> Result<(), AuditError> {
    match expected {
        Some(e) if e != actual => Err(AuditError::DigestMismatch {
            image: store.image().to_path_buf(),
            member: member.to_string(),
            expected: e.to_string(),
            actual: actual.to_string(),
        }),
        _ => Ok(()),
    }
}

enum ReadError {
    /// The byte stream failed (decompression, tar structure, I/O).
    Stream(io::Error),
    /// An entry is unusable.
    Audit(AuditError),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Stream(e)
    }
}

fn read_entries(
    store: &Store,
    layer: &LayerRef,
    wanted: Wanted,
    tree: &Tree,
    stream: &mut dyn Read,
    changes: &mut Changes,
    notes: &mut Vec<String>,
) -> Result<(), ReadError> {
    let bad_entry = |entry: &str, problem: String| {
        ReadError::Audit(AuditError::BadEntry {
            image: store.image().to_path_buf(),
            member: layer.member.clone(),
            entry: entry.to_string(),
            problem,
        })
    };
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(key) = normalize(&raw) else {
            return Err(bad_entry(&raw, "leaves the image's root (`..`)".into()));
        };
        let kind = match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                EntryKind::File
            }
            tar::EntryType::Link => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Char => EntryKind::CharDevice,
            tar::EntryType::Block => EntryKind::BlockDevice,
            tar::EntryType::Fifo => EntryKind::Fifo,
            _ => continue,
        };
        let (dir, base) = key.rsplit_once('/').unwrap_or(("", key.as_str()));
        if let Some(hidden) = base.strip_prefix(".wh.") {
            if hidden == ".wh..opq" {
                changes.opaque.push(dir.to_string());
            } else if dir.is_empty() {
                changes.whiteouts.push(hidden.to_string());
            } else {
                changes.whiteouts.push(format!("{dir}/{hidden}"));
            }
            continue;
        }
        let header = entry.header();
        let field = |name: &str, e: io::Error| bad_entry(&raw, format!("has a bad {name}: {e}"));
        let mut node = Node {
            kind,
            mode: header.mode().map_err(|e| field("mode", e))? & 0o7777,
            uid: header.uid().map_err(|e| field("uid", e))?,
            gid: header.gid().map_err(|e| field("gid", e))?,
            link: None,
            hardlink: None,
            size: 0,
            digest: None,
            content: None,
        };
        let is_hardlink = header.entry_type() == tar::EntryType::Link;
        let link = entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned());
        pax_owner(&mut entry, &mut node).map_err(|e| field("PAX header", e))?;
        if is_hardlink {
            let target = link
                .as_deref()
                .and_then(normalize)
                .ok_or_else(|| bad_entry(&raw, "is a hard link out of the image's root".into()))?;
            // A hard link shares its target's inode: mode, owner, data.
            if let Some(t) = changes.added.get(&target).or_else(|| tree.get(&target)) {
                node.mode = t.mode;
                node.uid = t.uid;
                node.gid = t.gid;
                node.size = t.size;
                node.digest = t.digest;
            }
            node.hardlink = Some(target);
        } else if kind == EntryKind::Symlink {
            node.link = link;
        } else if kind == EntryKind::File {
            read_file(&mut entry, &key, wanted, &mut node, notes)?;
        }
        changes.added.insert(key, node);
    }
    Ok(())
}

/// Take a regular file's size, and its content or digest when wanted:
/// the content is read only for the few files kept (bounded), the digest
/// is hashed as the bytes stream past.
fn read_file<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    key: &str,
    wanted: Wanted,
    node: &mut Node,
    notes: &mut Vec<String>,
) -> io::Result<()> {
    node.size = entry.size();
    let keep = wanted.content(key);
    if keep && node.size > CONTENT_LIMIT {
        notes.push(format!(
            "{} is {} bytes, more than the {CONTENT_LIMIT} read; what it says is not used",
            display(key),
            node.size
        ));
    } else if keep {
        let mut content = Vec::new();
        entry.read_to_end(&mut content)?;
        if wanted.digests {
            node.digest = Some(Sha256::digest(&content).into());
        }
        node.content = Some(content);
        return Ok(());
    }
    if wanted.digests {
        let mut hasher = Sha256::new();
        io::copy(entry, &mut hasher)?;
        node.digest = Some(hasher.finalize().into());
    }
    Ok(())
}

/// Numeric owners too large for the ustar fields come in PAX records.
fn pax_owner<R: Read>(entry: &mut tar::Entry<'_, R>, node: &mut Node) -> io::Result<()> {
    let Some(exts) = entry.pax_extensions()? else {
        return Ok(());
    };
    for ext in exts {
        let ext = ext?;
        let value = || ext.value().ok().and_then(|v| v.trim().parse::<u64>().ok());
        match ext.key() {
            Ok("uid") => node.uid = value().unwrap_or(node.uid),
            Ok("gid") => node.gid = value().unwrap_or(node.gid),
            _ => {}
        }
    }
    Ok(())
}

/// A layer path as a tree key: no leading `/` or `./`, no trailing `/`;
/// `""` for the root. None when `..` would leave the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn layer_paths_become_keys() {
        assert_eq!(normalize("./usr/bin/").as_deref(), Some("usr/bin"));
        assert_eq!(normalize("/etc//passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(normalize("./").as_deref(), Some(""));
        assert_eq!(normalize("a/../../etc"), None);
    }
}
