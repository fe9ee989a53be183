//! Where an image's files are: an OCI layout directory, or a tar archive
//! (OCI archive, docker-archive, or whittle's archive that is both). The
//! archive is indexed once (member name → offset and size, reading headers
//! only) and each member is then read in place, so a layer is streamed from
//! the archive without being copied out.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::AuditError;

/// The largest JSON document (index, manifest, config) read.
const JSON_LIMIT: u64 = 16 << 20;

/// An image's files.
pub(crate) struct Store {
    image: PathBuf,
    kind: Kind,
}

enum Kind {
    Dir,
    /// The members, and whether tar's end-of-archive block follows them.
    Tar(BTreeMap<String, Member>, bool),
}

/// A regular file inside an archive.
#[derive(Clone, Copy)]
struct Member {
    offset: u64,
    size: u64,
}

impl Store {
    /// Open `path`: a directory is an OCI layout, a file an image archive.
    pub(crate) fn open(path: &Path) -> Result<Store, AuditError> {
        let io_err = |source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = fs_err::metadata(path).map_err(io_err)?;
        let kind = if meta.is_dir() {
            Kind::Dir
        } else {
            let (members, ended) = index_archive(path, meta.len())?;
            Kind::Tar(members, ended)
        };
        Ok(Store {
            image: path.to_path_buf(),
            kind,
        })
    }

    /// The image as given.
    pub(crate) fn image(&self) -> &Path {
        &self.image
    }

    /// Whether the image has the file `name` (`index.json`, `blobs/…`).
    pub(crate) fn has(&self, name: &str) -> bool {
        match &self.kind {
            Kind::Dir => clean(name).is_some_and(|n| self.image.join(n).is_file()),
            Kind::Tar(members, _) => clean(name).is_some_and(|n| members.contains_key(&n)),
        }
    }

    /// Open the file `name` for reading; returns it and its size.
    pub(crate) fn open_member(&self, name: &str) -> Result<(Box<dyn Read>, u64), AuditError> {
        let missing = || AuditError::MissingBlob {
            image: self.image.clone(),
            member: name.to_string(),
        };
        let rel = clean(name).ok_or_else(missing)?;
        match &self.kind {
            Kind::Dir => {
                let path = self.image.join(&rel);
                let file = match fs_err::File::open(&path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(missing()),
                    Err(source) => return Err(AuditError::Io { path, source }),
                };
                let size = file
                    .metadata()
                    .map_err(|source| AuditError::Io {
                        path: path.clone(),
                        source,
                    })?
                    .len();
                Ok((Box::new(io::BufReader::with_capacity(1 << 16, file)), size))
            }
            Kind::Tar(members, _) => {
                let m = *members.get(&rel).ok_or_else(missing)?;
                let io_err = |source| AuditError::Io {
                    path: self.image.clone(),
                    source,
                };
                let mut file = fs_err::File::open(&self.image).map_err(io_err)?;
                file.seek(SeekFrom::Start(m.offset)).map_err(io_err)?;
                let reader = io::BufReader::with_capacity(1 << 16, file).take(m.size);
                Ok((Box::new(reader), m.size))
            }
        }
    }

    /// Read and parse the JSON document `name`.
    pub(crate) fn read_json<T: DeserializeOwned>(
        &self,
        name: &str,
        what: &'static str,
    ) -> Result<T, AuditError> {
        let bytes = self.read_small(name, JSON_LIMIT, "JSON document")?;
        serde_json::from_slice(&bytes).map_err(|e| AuditError::BadJson {
            image: self.image.clone(),
            member: name.to_string(),
            what,
            problem: e.to_string(),
        })
    }

    /// Read the whole file `name`, refusing one larger than `limit`.
    pub(crate) fn read_small(
        &self,
        name: &str,
        limit: u64,
        what: &'static str,
    ) -> Result<Vec<u8>, AuditError> {
        let (mut reader, size) = self.open_member(name)?;
        if size > limit {
            return Err(AuditError::TooLarge {
                image: self.image.clone(),
                member: name.to_string(),
                size,
                limit,
                what,
            });
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| self.stream_error(name, &e))?;
        if (bytes.len() as u64) < size {
            return Err(AuditError::BadArchive {
                path: self.image.clone(),
                problem: format!("{name} ends early"),
            });
        }
        Ok(bytes)
    }

    /// An archive cut off between two members looks like a shorter
    /// archive, except that tar's end-of-archive block is missing. The
    /// error for files missing from one.
    pub(crate) fn missing_from_cut_archive(&self) -> Option<AuditError> {
        match &self.kind {
            Kind::Tar(_, false) => Some(AuditError::BadArchive {
                path: self.image.clone(),
                problem: "it ends without tar's end-of-archive block, and files it needs are not there: it is cut off (truncated)".into(),
            }),
            _ => None,
        }
    }

    /// The error for a failed read of member `name`.
    pub(crate) fn stream_error(&self, name: &str, e: &io::Error) -> AuditError {
        match &self.kind {
            Kind::Dir => AuditError::Io {
                path: self.image.join(name),
                source: io::Error::new(e.kind(), e.to_string()),
            },
            Kind::Tar(..) => AuditError::BadArchive {
                path: self.image.clone(),
                problem: format!("reading {name}: {e}"),
            },
        }
    }
}

/// A member name as a relative path without `.` or `..` components, or
/// None when it would leave the image.
fn clean(name: &str) -> Option<String> {
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Index an archive's regular files (and the symlinks legacy `docker save`
/// writes for repeated layers), reading headers only.
fn index_archive(path: &Path, len: u64) -> Result<(BTreeMap<String, Member>, bool), AuditError> {
    let bad = |problem: String| AuditError::BadArchive {
        path: path.to_path_buf(),
        problem,
    };
    let mut file = fs_err::File::open(path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut file, &mut magic).map_err(|e| bad(e.to_string()))?;
    let compressed = match &magic[..got] {
        [0x1f, 0x8b, ..] => Some("gzip"),
        [0x28, 0xb5, 0x2f, 0xfd] => Some("zstd"),
        _ => None,
    };
    if let Some(format) = compressed {
        return Err(AuditError::NotAnImage {
            path: path.to_path_buf(),
            reason: format!(
                "it is {format}-compressed; decompress it first (an image archive is a plain tar)"
            ),
        });
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| bad(e.to_string()))?;

    let mut archive = tar::Archive::new(file);
    let mut members = BTreeMap::new();
    let mut links = Vec::new();
    // Where the last entry's data ends, rounded up to a 512-byte block.
    let mut end = 0u64;
    let entries = archive
        .entries_with_seek()
        .map_err(|e| bad(e.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| bad(e.to_string()))?;
        end = (entry.raw_file_position() + entry.size()).div_ceil(512) * 512;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(name) = clean(&name) else { continue };
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let m = Member {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                };
                if m.offset.saturating_add(m.size) > len {
                    return Err(bad(format!(
                        "{name} needs {} bytes but the file ends after {}: it is cut off (truncated)",
                        m.size,
                        len.saturating_sub(m.offset)
                    )));
                }
                members.insert(name, m);
            }
            tar::EntryType::Symlink => {
                if let Some(target) = entry.link_name_bytes() {
                    let target = String::from_utf8_lossy(&target).into_owned();
                    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                    let resolved = format!("{dir}/{target}");
                    links.push((name, resolved));
                }
            }
            _ => {}
        }
    }
    for (name, target) in links {
        if let Some(m) = clean(&target).and_then(|t| members.get(&t).copied()) {
            members.entry(name).or_insert(m);
        }
    }
    if members.is_empty() {
        return Err(AuditError::NotAnImage {
            path: path.to_path_buf(),
            reason: "it is not a tar archive with files in it".into(),
        });
    }
    let mut file = archive.into_inner();
    let mut block = [0u8; 512];
    let ended = file.seek(SeekFrom::Start(end)).is_ok()
        && read_up_to(&mut file, &mut block).is_ok_and(|n| n == block.len())
        && block.iter().all(|b| *b == 0);
    Ok((members, ended))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// An image's files for readers outside this crate (signature checks):
/// `index.json` and blobs by digest, from a layout directory or an
/// archive, each refused above 16 MiB.
pub struct ImageFiles(Store);

impl ImageFiles {
    /// Open an OCI layout directory or an image archive.
    pub fn open(path: &Path) -> Result<ImageFiles, AuditError> {
        Store::open(path).map(ImageFiles)
    }

    /// The bytes of `index.json`.
    pub fn index_json(&self) -> Result<Vec<u8>, AuditError> {
        self.0.read_small("index.json", JSON_LIMIT, "image index")
    }

    /// The bytes of the blob `sha256:<hex>`.
    pub fn blob(&self, digest: &str) -> Result<Vec<u8>, AuditError> {
        let member = crate::select::blob_member(&self.0, digest, "index.json")?;
        self.0.read_small(&member, JSON_LIMIT, "blob")
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn member_names_stay_inside() {
        assert_eq!(
            clean("./blobs/sha256/ab").as_deref(),
            Some("blobs/sha256/ab")
        );
        assert_eq!(clean("/index.json").as_deref(), Some("index.json"));
        assert_eq!(clean("../etc/passwd"), None);
        assert_eq!(clean("a/../../b"), None);
        assert_eq!(clean("a/../b/layer.tar").as_deref(), Some("b/layer.tar"));
        assert_eq!(clean("."), None);
    }
}
