//! `whittle-net`: fetching repository files through the `whittle-cache` download cache.
//!
//! A [`Fetcher`] downloads `http://` and `https://` URLs and reads `file://` URLs and plain local
//! paths. Files with a known sha256 ([`Fetcher::fetch_verified`], [`Fetcher::open_verified`])
//! are served from the cache when present (re-verified on every reuse) and are only ever
//! committed to the cache after their digest (and size, if known) checked out. Files without a
//! known digest, such as `InRelease`, are fetched with [`Fetcher::fetch_unverified`] /
//! [`Fetcher::fetch_optional`] and remembered under their URL so that `--offline` runs can reuse
//! them.
//!
//! HTTP is done with `reqwest`'s blocking client (rustls with the platform's certificate
//! verifier; proxies from `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY`). Connection
//! failures, timeouts, interrupted transfers and 5xx/408/429 answers are retried up to three
//! attempts in total with a short backoff; a 404 is never retried. URLs in error messages have
//! their userinfo (`user:password@`) replaced by `***@` (see [`redact`]).
//!
//! With the `test-server` feature, `TestServer` serves a directory over HTTP on 127.0.0.1 for
//! tests.
#![deny(missing_docs)]

mod download;
mod error;
mod fetcher;
mod limits;
mod location;
mod redact;
mod retry;
mod tee;
mod transport;
mod verify;

#[cfg(feature = "test-server")]
mod test_server;

pub use error::NetError;
pub use fetcher::{Fetcher, Progress};
pub use limits::{Limits, MAX_METADATA_SIZE, MAX_STREAM_SIZE};
pub use redact::redact;
pub use tee::CachingReader;
#[cfg(feature = "test-server")]
pub use test_server::{Fault, TestServer};
pub use whittle_cache::{Cache, CacheError, Trust};
