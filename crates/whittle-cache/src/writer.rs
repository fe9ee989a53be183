//! [`BlobWriter`]: fill a blob, verify it, publish it atomically.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::error::CacheError;

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
    dest: PathBuf,
    expected_sha256: String,
    expected_size: Option<u64>,
}

impl BlobWriter {
    pub(crate) fn new(
        tmp_dir: &Path,
        dest: PathBuf,
        expected_sha256: String,
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
            expected_sha256,
            expected_size,
        })
    }

    /// Number of bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The digest this blob must have (lowercase hex).
    pub fn expected_sha256(&self) -> &str {
        &self.expected_sha256
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
        let tmp_path = self.tmp.get_ref().path().to_path_buf();
        let tmp = self.tmp.into_inner().map_err(|e| CacheError::Io {
            action: "write",
            path: tmp_path,
            source: e.into_error(),
        })?;
        let actual = hex::encode(self.hasher.finalize());
        if let Some(expected) = self.expected_size {
            if expected != self.written {
                return Err(CacheError::SizeMismatch {
                    path: self.dest,
                    expected,
                    actual: self.written,
                    expected_sha256: self.expected_sha256,
                    actual_sha256: actual,
                });
            }
        }
        if actual != self.expected_sha256 {
            return Err(CacheError::DigestMismatch {
                path: self.dest,
                expected: self.expected_sha256,
                actual,
            });
        }
        match tmp.persist(&self.dest) {
            Ok(_) => Ok(self.dest),
            // Platforms where rename does not replace: another writer got there first.
            Err(_) if self.dest.is_file() => Ok(self.dest),
            Err(e) => Err(CacheError::Io {
                action: "rename a temporary file onto",
                path: self.dest,
                source: e.error,
            }),
        }
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
