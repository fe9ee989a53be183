//! [`BlobWriter`]: fill a blob, verify it, publish it atomically.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::error::CacheError;
use crate::shared::Shared;

/// A writer into a temporary file inside the cache that hashes everything written.
///
/// [`BlobWriter::commit`] checks the digest (and size, if one was given) and renames the file
/// into place atomically. Dropping the writer without committing deletes the temporary file, so
/// an interrupted or failed download never leaves a partial blob behind.
#[derive(Debug)]
pub struct BlobWriter {
    tmp: BufWriter<NamedTempFile>,
    hasher: Sha256,
    written: u64,
    dest: Dest,
    expected_size: Option<u64>,
    /// The shared store that also keeps this blob once committed.
    share: Option<Shared>,
}

/// Where a blob goes: a known digest's path, or the directory it is named
/// in once its digest is known.
#[derive(Debug)]
enum Dest {
    Known { path: PathBuf, sha256: String },
    Unknown { dir: PathBuf },
}

impl BlobWriter {
    pub(crate) fn new(
        tmp_dir: &Path,
        dest: PathBuf,
        expected_sha256: String,
        expected_size: Option<u64>,
    ) -> Result<BlobWriter, CacheError> {
        BlobWriter::create(
            tmp_dir,
            Dest::Known {
                path: dest,
                sha256: expected_sha256,
            },
            expected_size,
        )
    }

    /// A writer for a blob whose digest is only known once it is written
    /// (it is named after what it hashes to).
    pub(crate) fn unnamed(tmp_dir: &Path, blobs_dir: PathBuf) -> Result<BlobWriter, CacheError> {
        BlobWriter::create(tmp_dir, Dest::Unknown { dir: blobs_dir }, None)
    }

    fn create(
        tmp_dir: &Path,
        dest: Dest,
        expected_size: Option<u64>,
    ) -> Result<BlobWriter, CacheError> {
        let tmp = tempfile::Builder::new()
            .prefix("blob-")
            .suffix(".part")
            .tempfile_in(tmp_dir)
            .map_err(|source| CacheError::Io {
                action: "create a temporary file in",
                path: tmp_dir.to_path_buf(),
                source,
            })?;
        Ok(BlobWriter {
            tmp: BufWriter::with_capacity(64 * 1024, tmp),
            hasher: Sha256::new(),
            written: 0,
            dest,
            expected_size,
            share: None,
        })
    }

    pub(crate) fn sharing(mut self, share: Option<Shared>) -> BlobWriter {
        self.share = share;
        self
    }

    /// Keep this blob in the local cache only, not in a shared store
    /// (for blobs only this machine can use, such as those a MAC-checked
    /// keyed entry names).
    pub fn local_only(mut self) -> BlobWriter {
        self.share = None;
        self
    }

    /// Number of bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The digest this blob must have (lowercase hex), when known upfront.
    pub fn expected_sha256(&self) -> Option<&str> {
        match &self.dest {
            Dest::Known { sha256, .. } => Some(sha256),
            Dest::Unknown { .. } => None,
        }
    }

    /// The size this blob must have, if known.
    pub fn expected_size(&self) -> Option<u64> {
        self.expected_size
    }

    /// Check the digest and size, then atomically rename the file into place; returns the blob's
    /// path. If another writer committed the same blob meanwhile, that is fine (the content is
    /// identical). On a mismatch nothing is left behind and [`CacheError::DigestMismatch`] or
    /// [`CacheError::SizeMismatch`] is returned.
    pub fn commit(self) -> Result<PathBuf, CacheError> {
        self.commit_named().map(|(path, _)| path)
    }

    /// Like [`commit`](Self::commit), also returning the blob's sha256
    /// (for a writer made without one, the name it was published under).
    pub fn commit_named(self) -> Result<(PathBuf, String), CacheError> {
        let tmp_path = self.tmp.get_ref().path().to_path_buf();
        let tmp = self.tmp.into_inner().map_err(|e| CacheError::Io {
            action: "write",
            path: tmp_path,
            source: e.into_error(),
        })?;
        let actual = hex::encode(self.hasher.finalize());
        let (dest, expected) = match self.dest {
            Dest::Known { path, sha256 } => (path, sha256),
            Dest::Unknown { dir } => (dir.join(&actual), actual.clone()),
        };
        if let Some(size) = self.expected_size {
            if size != self.written {
                return Err(CacheError::SizeMismatch {
                    path: dest,
                    expected: size,
                    actual: self.written,
                    expected_sha256: expected,
                    actual_sha256: actual,
                });
            }
        }
        if actual != expected {
            return Err(CacheError::DigestMismatch {
                path: dest,
                expected,
                actual,
            });
        }
        match tmp.persist(&dest) {
            Ok(_) => {}
            // Platforms where rename does not replace: another writer got there first.
            Err(_) if dest.is_file() => {}
            Err(e) => {
                return Err(CacheError::Io {
                    action: "rename a temporary file onto",
                    path: dest,
                    source: e.error,
                })
            }
        }
        if let Some(share) = &self.share {
            share.upload(&actual, &dest);
        }
        Ok((dest, actual))
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.tmp.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}
