//! [`CachingReader`]: a download copied into the cache as it is read, for
//! files whose digest is not known in advance (an `.apk`, checked inside
//! by its world), and kept only when the caller says it checked out.

use std::io::{self, Read, Write};

use whittle_cache::{BlobWriter, Cache, CacheError};

/// Passes a body through while writing it to a new cache blob. Nothing is
/// published unless [`commit`](Self::commit) is called after the body was
/// read to its end; dropping it deletes the temporary file.
pub struct CachingReader<R> {
    inner: R,
    writer: Option<BlobWriter>,
}

impl<R: Read> CachingReader<R> {
    /// Copy `inner` into `cache` as it is read. When the cache cannot take
    /// a new blob, the body is still passed through, just not kept.
    pub fn new(inner: R, cache: &Cache) -> CachingReader<R> {
        CachingReader {
            inner,
            writer: cache.new_blob().ok(),
        }
    }

    /// Publish the blob; returns its sha256 (the key to find it again with
    /// [`Cache::blob`]).
    pub fn commit(self) -> Result<String, CacheError> {
        match self.writer {
            Some(w) => w.commit_named().map(|(_, digest)| digest),
            None => Err(CacheError::Io {
                action: "write",
                path: Default::default(),
                source: io::Error::other("the cache could not take a new file"),
            }),
        }
    }
}

impl<R: Read> Read for CachingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(w) = &mut self.writer {
            if w.write_all(&buf[..n]).is_err() {
                // A full cache only costs the next build time.
                self.writer = None;
            }
        }
        Ok(n)
    }
}
