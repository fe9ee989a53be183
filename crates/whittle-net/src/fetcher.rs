//! [`Fetcher`]: downloads through the cache.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

use whittle_cache::{Cache, Trust};

use crate::download::{Download, Request};
use crate::error::NetError;
use crate::limits::{Limits, MAX_STREAM_SIZE};
use crate::location::Location;
use crate::redact;
use crate::transport::{open_local, read_local, Body, Transport};
use crate::turns::{Holding, Turn, Turns};
use crate::verify::{CappedReader, ProgressReader, VerifyingReader};

/// A progress callback: bytes so far, and the total if known.
pub type Progress = Box<dyn FnMut(u64, Option<u64>) + Send>;

/// What the cap on a file fetched whole is for, in messages.
const METADATA: &str = "signed metadata";

#[derive(Debug)]
struct Inner {
    cache: Cache,
    offline: bool,
    transport: Transport,
    limits: Limits,
    /// Metadata fetched by URL in this process, when remembered (see
    /// [`Fetcher::remembering_metadata`]).
    memo: Option<Mutex<HashMap<String, Slot>>>,
    /// Files being fetched now, when builds share this fetcher (same
    /// condition as `memo`).
    turns: Option<Arc<Turns>>,
}

/// One URL's remembered answer (`Some(None)`: found absent). Its lock is
/// held while the URL is fetched, so callers asking at once wait for one
/// download and all see the same file.
type Slot = Arc<Mutex<Option<Option<Vec<u8>>>>>;

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
    /// A fetcher using `cache`, with the default [`Limits`]. With `offline`, nothing is
    /// downloaded: only cached data and local files are used.
    pub fn new(cache: Cache, offline: bool) -> Result<Fetcher, NetError> {
        Fetcher::build(cache, offline, Limits::default(), false)
    }

    /// This fetcher with other size, time and retry limits (tests use short windows).
    pub fn with_limits(self, limits: Limits) -> Result<Fetcher, NetError> {
        let remember = self.inner.memo.is_some();
        Fetcher::build(
            self.inner.cache.clone(),
            self.inner.offline,
            limits,
            remember,
        )
    }

    /// This fetcher, remembering for the rest of the process every file
    /// fetched by URL without a known digest (`InRelease`, `APKINDEX.tar.gz`,
    /// `repomd.xml`), so that many builds in one run (`whittle build-all`)
    /// read each index once and all see the same one, as one `apt update`
    /// serves many installs. Such a fetcher also fetches each file once at
    /// a time: a build about to fetch a package another build is fetching
    /// waits for it and reads it from the cache ([`Fetcher::turn`]).
    pub fn remembering_metadata(self) -> Result<Fetcher, NetError> {
        let limits = self.inner.limits;
        Fetcher::build(self.inner.cache.clone(), self.inner.offline, limits, true)
    }

    fn build(
        cache: Cache,
        offline: bool,
        limits: Limits,
        remember: bool,
    ) -> Result<Fetcher, NetError> {
        Ok(Fetcher {
            inner: Arc::new(Inner {
                transport: Transport::new(offline, &limits)?,
                cache,
                offline,
                limits,
                memo: remember.then(Mutex::default),
                turns: remember.then(Arc::default),
            }),
        })
    }

    /// The limits every download of this fetcher keeps to.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Whether this fetcher never touches the network.
    pub fn offline(&self) -> bool {
        self.inner.offline
    }

    /// The cache behind this fetcher.
    pub fn cache(&self) -> &Cache {
        &self.inner.cache
    }

    /// Fetch a small file whose digest is not known in advance (e.g. `InRelease`), of at most
    /// [`Limits::max_metadata_size`] bytes ([`NetError::TooLarge`] beyond).
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
        let cap = self.inner.limits.max_metadata_size;
        if let Location::Local(path) = Location::parse(url)? {
            return match read_local(url, &path, cap, METADATA) {
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
            if let Trust::Untrusted { reason } = cache.trust() {
                return Err(NetError::UntrustedCache {
                    url: redact(url),
                    reason: reason.clone(),
                });
            }
            return Err(NetError::NotCached { url: redact(url) });
        }
        let slot: Option<Slot> = self.inner.memo.as_ref().map(|memo| {
            let mut memo = memo.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(memo.entry(url.to_string()).or_default())
        });
        let mut remembered = slot
            .as_ref()
            .map(|slot| slot.lock().unwrap_or_else(PoisonError::into_inner));
        if let Some(Some(known)) = remembered.as_deref() {
            if known.is_some() || remember_absence {
                return Ok(known.clone());
            }
        }
        let fetched = self.download_metadata(url, cap);
        if let Some(remembered) = remembered.as_mut() {
            match &fetched {
                Ok(data) => **remembered = Some(Some(data.clone())),
                Err(NetError::NotFound { .. }) => **remembered = Some(None),
                Err(_) => {}
            }
        }
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

    fn download_metadata(&self, url: &str, cap: u64) -> Result<Vec<u8>, NetError> {
        let request = Request {
            url,
            cap,
            what: METADATA,
            size: None,
        };
        Download::start(&self.inner.transport, &self.inner.limits, &request).and_then(
            |mut download| {
                let expected = download.len().unwrap_or(0).min(cap);
                read_all(url, &mut download, expected)
            },
        )
    }

    /// The turn to fetch `key` (a URL, or a digest): with a fetcher that
    /// builds share ([`Fetcher::remembering_metadata`]), waits while another
    /// caller holds it; otherwise returns at once. Hold it from the cache
    /// lookup until the file is in the cache, so that the second caller
    /// finds it there. Files opened by digest take their turn themselves.
    pub fn turn(&self, key: &str) -> Turn {
        match &self.inner.turns {
            Some(turns) => turns.take(key),
            None => Turn::free(),
        }
    }

    /// Fetch a file that must have this sha256 (and size, if given), whole.
    ///
    /// A cache hit (re-verified) is read from the cache; otherwise the file is downloaded, checked
    /// and stored. Without a size, at most [`Limits::max_metadata_size`] bytes are read. Offline
    /// and not cached: [`NetError::NotCached`]. Local files are read and checked but not copied
    /// into the cache.
    pub fn fetch_verified(
        &self,
        url: &str,
        sha256: &str,
        size: Option<u64>,
    ) -> Result<Vec<u8>, NetError> {
        Location::parse(url)?;
        if let Some(data) = self.inner.cache.read_blob(sha256)? {
            return Ok(data);
        }
        let cap = size.unwrap_or(self.inner.limits.max_metadata_size);
        let mut reader = self.open_verified_within(url, sha256, size, cap, None)?;
        read_all(url, &mut reader, size.unwrap_or(0).min(cap))
    }

    /// Open a file whose digest is not known in advance for streaming, not
    /// through the cache (the caller checks it and may keep it with a
    /// [`crate::CachingReader`]). More than `max_size` bytes fail the read
    /// with [`NetError::TooLarge`] (pass the size signed metadata gives, or
    /// [`crate::MAX_STREAM_SIZE`]). Offline: [`NetError::NotCached`]. Local
    /// files are opened directly.
    pub fn open_unverified(
        &self,
        url: &str,
        max_size: u64,
        progress: Option<Progress>,
    ) -> Result<Box<dyn Read + Send>, NetError> {
        const WHAT: &str = "a package";
        let (reader, len): (Box<dyn Read + Send>, _) = match Location::parse(url)? {
            Location::Local(path) => {
                let body = open_local(url, &path)?;
                let capped = CappedReader::new(body.reader, url, max_size, WHAT);
                (Box::new(capped), body.len)
            }
            Location::Remote if self.inner.offline => {
                return Err(NetError::NotCached { url: redact(url) })
            }
            Location::Remote => {
                let request = Request {
                    url,
                    cap: max_size,
                    what: WHAT,
                    size: None,
                };
                let download =
                    Download::start(&self.inner.transport, &self.inner.limits, &request)?;
                let len = download.len();
                (Box::new(download), len)
            }
        };
        Ok(Box::new(ProgressReader::new(reader, len, progress)))
    }

    /// Open a (possibly big) file that must have this sha256 (and size, if given) for streaming.
    ///
    /// On a cache hit the cached file is read. On a miss the body is streamed and every byte is
    /// teed into the cache; at EOF the digest and size are checked: a mismatch makes that read
    /// fail with an [`std::io::Error`] of kind `InvalidData` wrapping a [`NetError`] that names
    /// the URL and both digests, and nothing is cached; on success the blob is committed
    /// atomically. A body longer than `size` is cut after one byte too many and refused
    /// ([`NetError::SizeMismatch`]); one cut short is resumed, and if it stays short the read
    /// fails with [`NetError::Truncated`]. Without a size, more than [`MAX_STREAM_SIZE`] bytes
    /// are refused. A reader dropped before EOF leaves nothing in the cache. `progress` is called
    /// after every read with the bytes so far and the total, if known.
    pub fn open_verified(
        &self,
        url: &str,
        sha256: &str,
        size: Option<u64>,
        progress: Option<Progress>,
    ) -> Result<Box<dyn Read + Send>, NetError> {
        let cap = size.unwrap_or(MAX_STREAM_SIZE);
        self.open_verified_within(url, sha256, size, cap, progress)
    }

    fn open_verified_within(
        &self,
        url: &str,
        sha256: &str,
        size: Option<u64>,
        cap: u64,
        progress: Option<Progress>,
    ) -> Result<Box<dyn Read + Send>, NetError> {
        let cache = &self.inner.cache;
        let location = Location::parse(url)?;
        let turn = self.turn(&format!("sha256:{}", sha256.to_ascii_lowercase()));
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
                let request = Request {
                    url,
                    cap,
                    what: "a file whose size is not in signed metadata",
                    size,
                };
                let download =
                    Download::start(&self.inner.transport, &self.inner.limits, &request)?;
                check_announced_len(url, sha256, size, download.announced())?;
                let len = download.len();
                let body = Body {
                    reader: Box::new(download),
                    len,
                    start: 0,
                };
                (body, Some(cache.blob_writer(sha256, size)?))
            }
        };
        let total = size.or(body.len);
        let reader = VerifyingReader::new(body.reader, url, sha256, size, total, writer, progress);
        // The turn is held until the reader is dropped, when the blob is
        // in the cache (or the download failed).
        Ok(Box::new(Holding {
            inner: Box::new(reader),
            _turn: turn,
        }))
    }
}

/// Read `reader` to its end (reserving `expected` bytes), unwrapping the
/// [`NetError`] a failed read carries.
fn read_all(url: &str, reader: &mut dyn Read, expected: u64) -> Result<Vec<u8>, NetError> {
    let mut out = Vec::with_capacity(usize::try_from(expected.min(64 << 20)).unwrap_or(0));
    reader
        .read_to_end(&mut out)
        .map_err(|e| into_net_error(url, e))?;
    Ok(out)
}

/// Fail early when the server announces a length other than the expected size.
fn check_announced_len(
    url: &str,
    sha256: &str,
    size: Option<u64>,
    announced: Option<u64>,
) -> Result<(), NetError> {
    match (size, announced) {
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
    let message = crate::error::chain(&e, url);
    match e.into_inner().map(|inner| inner.downcast::<NetError>()) {
        Some(Ok(net)) => *net,
        _ => NetError::Transfer {
            url: redact(url),
            reason: message,
        },
    }
}
