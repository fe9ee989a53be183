//! [`Fetcher`]: downloads through the cache.

use std::io::Read;
use std::sync::Arc;

use whittle_cache::Cache;

use crate::error::NetError;
use crate::location::Location;
use crate::redact;
use crate::retry::with_retries;
use crate::transport::{open_local, read_body, read_local, Body, Transport};
use crate::verify::{ProgressReader, VerifyingReader};

/// A progress callback: bytes so far, and the total if known.
pub type Progress = Box<dyn FnMut(u64, Option<u64>) + Send>;

#[derive(Debug)]
struct Inner {
    cache: Cache,
    offline: bool,
    transport: Transport,
}

/// Fetches URLs (http, https, file, local paths) through a [`Cache`]. Cheap to clone; `Send` and
/// `Sync`.
#[derive(Clone, Debug)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

/// Key under which a URL's absence (a 404 seen online) is remembered for offline runs.
fn absent_key(url: &str) -> String {
    format!("absent:{url}")
}

impl Fetcher {
    /// A fetcher using `cache`. With `offline`, nothing is downloaded: only cached data and local
    /// files are used.
    pub fn new(cache: Cache, offline: bool) -> Result<Fetcher, NetError> {
        Ok(Fetcher {
            inner: Arc::new(Inner {
                transport: Transport::new(offline)?,
                cache,
                offline,
            }),
        })
    }

    /// Whether this fetcher never touches the network.
    pub fn offline(&self) -> bool {
        self.inner.offline
    }

    /// The cache behind this fetcher.
    pub fn cache(&self) -> &Cache {
        &self.inner.cache
    }

    /// Fetch a small file whose digest is not known in advance (e.g. `InRelease`).
    ///
    /// Online, the file is downloaded and remembered with [`Cache::put_keyed`] under `url`;
    /// offline, that copy is returned, or [`NetError::NotCached`]. Local files are read directly.
    pub fn fetch_unverified(&self, url: &str) -> Result<Vec<u8>, NetError> {
        self.fetch_optional_inner(url, false)?
            .ok_or_else(|| NetError::NotFound { url: redact(url) })
    }

    /// Like [`Fetcher::fetch_unverified`], but a missing file (HTTP 404/410, no such local file)
    /// yields `Ok(None)`. Absence seen online is remembered, so offline runs answer the same.
    pub fn fetch_optional(&self, url: &str) -> Result<Option<Vec<u8>>, NetError> {
        self.fetch_optional_inner(url, true)
    }

    fn fetch_optional_inner(
        &self,
        url: &str,
        remember_absence: bool,
    ) -> Result<Option<Vec<u8>>, NetError> {
        let cache = &self.inner.cache;
        if let Location::Local(path) = Location::parse(url)? {
            return match read_local(url, &path) {
                Ok(data) => Ok(Some(data)),
                Err(NetError::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            };
        }
        if self.inner.offline {
            if let Some(data) = cache.get_keyed(url)? {
                return Ok(Some(data));
            }
            if cache.get_keyed(&absent_key(url))?.is_some() {
                return Ok(None);
            }
            return Err(NetError::NotCached { url: redact(url) });
        }
        let fetched = with_retries(|| {
            let mut body = self.inner.transport.get(url)?;
            read_body(url, &mut body, None)
        });
        match fetched {
            Ok(data) => {
                cache.put_keyed(url, &data)?;
                Ok(Some(data))
            }
            Err(NetError::NotFound { .. }) if remember_absence => {
                cache.put_keyed(&absent_key(url), b"")?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Fetch a file that must have this sha256 (and size, if given).
    ///
    /// A cache hit (re-verified) is read from the cache; otherwise the file is downloaded, checked
    /// and stored. Offline and not cached: [`NetError::NotCached`]. Local files are read and
    /// checked but not copied into the cache.
    pub fn fetch_verified(
        &self,
        url: &str,
        sha256: &str,
        size: Option<u64>,
    ) -> Result<Vec<u8>, NetError> {
        let cache = &self.inner.cache;
        let location = Location::parse(url)?;
        if let Some(path) = cache.blob(sha256)? {
            return Ok(fs_err::read(path).map_err(whittle_cache::CacheError::Fs)?);
        }
        if let Location::Local(path) = location {
            let body = open_local(url, &path)?;
            let mut reader =
                VerifyingReader::new(body.reader, url, sha256, size, body.len, None, None);
            let mut data = Vec::new();
            reader
                .read_to_end(&mut data)
                .map_err(|e| into_net_error(url, e))?;
            return Ok(data);
        }
        if self.inner.offline {
            return Err(NetError::NotCached { url: redact(url) });
        }
        with_retries(|| {
            let mut body = self.inner.transport.get(url)?;
            check_announced_len(url, sha256, size, &body)?;
            let data = read_body(url, &mut body, size)?;
            let mut writer = cache.blob_writer(sha256, size)?;
            std::io::Write::write_all(&mut writer, &data).map_err(whittle_cache::CacheError::Fs)?;
            writer.commit().map_err(|e| NetError::from_commit(url, e))?;
            Ok(data)
        })
    }

    /// Open a file whose digest is not known in advance for streaming, not
    /// through the cache (the caller checks it and may keep it with a
    /// [`crate::CachingReader`]). Offline: [`NetError::NotCached`]. Local
    /// files are opened directly.
    pub fn open_unverified(
        &self,
        url: &str,
        progress: Option<Progress>,
    ) -> Result<Box<dyn Read + Send>, NetError> {
        let body = match Location::parse(url)? {
            Location::Local(path) => open_local(url, &path)?,
            Location::Remote if self.inner.offline => {
                return Err(NetError::NotCached { url: redact(url) })
            }
            Location::Remote => with_retries(|| self.inner.transport.get(url))?,
        };
        Ok(Box::new(ProgressReader::new(
            body.reader,
            body.len,
            progress,
        )))
    }

    /// Open a (possibly big) file that must have this sha256 (and size, if given) for streaming.
    ///
    /// On a cache hit the cached file is read. On a miss the body is streamed and every byte is
    /// teed into the cache; at EOF the digest and size are checked: a mismatch makes that read
    /// fail with an [`std::io::Error`] of kind `InvalidData` wrapping a [`NetError`] that names
    /// the URL and both digests, and nothing is cached; on success the blob is committed
    /// atomically. A reader dropped before EOF leaves nothing in the cache. `progress` is called
    /// after every read with the bytes so far and the total, if known.
    pub fn open_verified(
        &self,
        url: &str,
        sha256: &str,
        size: Option<u64>,
        progress: Option<Progress>,
    ) -> Result<Box<dyn Read + Send>, NetError> {
        let cache = &self.inner.cache;
        let location = Location::parse(url)?;
        if let Some(path) = cache.blob(sha256)? {
            let body = open_local(&path.display().to_string(), &path)?;
            let total = size.or(body.len);
            return Ok(Box::new(ProgressReader::new(body.reader, total, progress)));
        }
        let (body, writer) = match location {
            Location::Local(path) => (open_local(url, &path)?, None),
            Location::Remote if self.inner.offline => {
                return Err(NetError::NotCached { url: redact(url) })
            }
            Location::Remote => {
                let body = with_retries(|| {
                    let body = self.inner.transport.get(url)?;
                    check_announced_len(url, sha256, size, &body)?;
                    Ok(body)
                })?;
                (body, Some(cache.blob_writer(sha256, size)?))
            }
        };
        let total = size.or(body.len);
        Ok(Box::new(VerifyingReader::new(
            body.reader,
            url,
            sha256,
            size,
            total,
            writer,
            progress,
        )))
    }
}

/// Fail early when the server announces a length other than the expected size.
fn check_announced_len(
    url: &str,
    sha256: &str,
    size: Option<u64>,
    body: &Body,
) -> Result<(), NetError> {
    match (size, body.len) {
        (Some(expected), Some(announced)) if expected != announced => Err(NetError::SizeMismatch {
            url: redact(url),
            expected,
            actual: announced,
            expected_sha256: sha256.to_ascii_lowercase(),
            actual_sha256: None,
        }),
        _ => Ok(()),
    }
}

/// Unwrap the [`NetError`] a [`VerifyingReader`] failed with.
fn into_net_error(url: &str, e: std::io::Error) -> NetError {
    let message = e.to_string();
    match e.into_inner().map(|inner| inner.downcast::<NetError>()) {
        Some(Ok(net)) => *net,
        _ => NetError::Transfer {
            url: redact(url),
            reason: message,
        },
    }
}
