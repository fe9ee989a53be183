//! A reader that checks the sha256 (and size) of a stream at EOF, optionally filling the cache.

use std::io::{self, ErrorKind, Read, Write};

use sha2::{Digest, Sha256};
use whittle_cache::BlobWriter;

use crate::error::NetError;
use crate::fetcher::Progress;
use crate::redact;

/// Where the bytes go while they are checked.
enum Sink {
    /// Tee into the cache; the writer hashes and verifies on commit.
    Cache(BlobWriter),
    /// Only hash (local files are not copied into the cache).
    Hash(Sha256),
}

enum State {
    Reading(Box<Sink>),
    Verified,
    /// Failed for good: every later read reports the same error.
    Failed(ErrorKind, NetError),
}

/// Wraps a body; at EOF verifies it and, for [`Sink::Cache`], commits the blob.
pub(crate) struct VerifyingReader {
    inner: Box<dyn Read + Send>,
    url: String,
    expected_sha256: String,
    expected_size: Option<u64>,
    total: Option<u64>,
    read: u64,
    state: State,
    progress: Option<Progress>,
}

impl VerifyingReader {
    /// Verify `inner` against `sha256`/`size`, teeing into `writer` if given.
    pub(crate) fn new(
        inner: Box<dyn Read + Send>,
        url: &str,
        sha256: &str,
        size: Option<u64>,
        total: Option<u64>,
        writer: Option<BlobWriter>,
        progress: Option<Progress>,
    ) -> VerifyingReader {
        let sink = match writer {
            Some(w) => Sink::Cache(w),
            None => Sink::Hash(Sha256::new()),
        };
        VerifyingReader {
            inner,
            url: url.to_string(),
            expected_sha256: sha256.to_ascii_lowercase(),
            expected_size: size,
            total,
            read: 0,
            state: State::Reading(Box::new(sink)),
            progress,
        }
    }

    /// Fail for good with `error`: the blob writer (if any) is dropped, deleting its temp file.
    fn fail(&mut self, kind: ErrorKind, error: NetError) -> io::Error {
        self.state = State::Failed(kind, error.replay());
        io::Error::new(kind, error)
    }

    /// At EOF: check size and digest, commit to the cache.
    fn finish(&mut self, sink: Sink) -> Result<(), NetError> {
        match sink {
            Sink::Cache(writer) => writer
                .commit()
                .map(|_| ())
                .map_err(|e| NetError::from_commit(&self.url, e)),
            Sink::Hash(hasher) => {
                let actual = hex::encode(hasher.finalize());
                if let Some(expected) = self.expected_size {
                    if self.read < expected {
                        return Err(NetError::Truncated {
                            url: redact(&self.url),
                            got: self.read,
                            expected,
                        });
                    }
                    if expected != self.read {
                        return Err(NetError::SizeMismatch {
                            url: redact(&self.url),
                            expected,
                            actual: self.read,
                            expected_sha256: self.expected_sha256.clone(),
                            actual_sha256: Some(actual),
                        });
                    }
                }
                if actual != self.expected_sha256 {
                    return Err(NetError::DigestMismatch {
                        url: redact(&self.url),
                        expected: self.expected_sha256.clone(),
                        actual,
                    });
                }
                Ok(())
            }
        }
    }
}

impl Read for VerifyingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.state {
            State::Reading(_) => {}
            State::Verified => return Ok(0),
            State::Failed(kind, error) => return Err(io::Error::new(*kind, error.replay())),
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                let kind = e.kind();
                // A download failure passes through as it was classified.
                let error = match e.get_ref().and_then(|i| i.downcast_ref::<NetError>()) {
                    Some(net) => net.replay(),
                    None => NetError::Transfer {
                        url: redact(&self.url),
                        reason: crate::error::chain(&e, &self.url),
                    },
                };
                return Err(self.fail(kind, error));
            }
        };
        if n == 0 {
            let State::Reading(sink) = std::mem::replace(&mut self.state, State::Verified) else {
                return Ok(0);
            };
            return match self.finish(*sink) {
                Ok(()) => Ok(0),
                Err(e) => Err(self.fail(ErrorKind::InvalidData, e)),
            };
        }
        let chunk = &buf[..n];
        self.read += n as u64;
        let sink_result = match &mut self.state {
            State::Reading(sink) => match sink.as_mut() {
                // The temporary file's write errors already name its path.
                Sink::Cache(writer) => writer
                    .write_all(chunk)
                    .map_err(|e| NetError::Cache(whittle_cache::CacheError::Fs(e))),
                Sink::Hash(hasher) => {
                    hasher.update(chunk);
                    Ok(())
                }
            },
            State::Verified | State::Failed(..) => Ok(()),
        };
        if let Err(e) = sink_result {
            return Err(self.fail(ErrorKind::Other, e));
        }
        if let Some(expected) = self.expected_size {
            if self.read > expected {
                let error = NetError::SizeMismatch {
                    url: redact(&self.url),
                    expected,
                    actual: self.read,
                    expected_sha256: self.expected_sha256.clone(),
                    actual_sha256: None,
                };
                return Err(self.fail(ErrorKind::InvalidData, error));
            }
        }
        if let Some(progress) = &mut self.progress {
            progress(self.read, self.total);
        }
        Ok(n)
    }
}

/// Reports progress while passing bytes through (used for cache hits, already verified).
pub(crate) struct ProgressReader {
    inner: Box<dyn Read + Send>,
    total: Option<u64>,
    read: u64,
    progress: Option<Progress>,
}

impl ProgressReader {
    pub(crate) fn new(
        inner: Box<dyn Read + Send>,
        total: Option<u64>,
        progress: Option<Progress>,
    ) -> ProgressReader {
        ProgressReader {
            inner,
            total,
            read: 0,
            progress,
        }
    }
}

impl Read for ProgressReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.read += n as u64;
            if let Some(progress) = &mut self.progress {
                progress(self.read, self.total);
            }
        }
        Ok(n)
    }
}

/// Passes at most `limit` bytes of a local file on; one more fails the
/// read with [`NetError::TooLarge`].
pub(crate) struct CappedReader {
    inner: Box<dyn Read + Send>,
    url: String,
    limit: u64,
    what: &'static str,
    read: u64,
}

impl CappedReader {
    pub(crate) fn new(
        inner: Box<dyn Read + Send>,
        url: &str,
        limit: u64,
        what: &'static str,
    ) -> CappedReader {
        CappedReader {
            inner,
            url: url.to_string(),
            limit,
            what,
            read: 0,
        }
    }
}

impl Read for CappedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.limit.saturating_add(1).saturating_sub(self.read);
        if room == 0 {
            let error = NetError::TooLarge {
                url: redact(&self.url),
                limit: self.limit,
                what: self.what,
            };
            return Err(io::Error::new(ErrorKind::InvalidData, error));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        Ok(n)
    }
}
