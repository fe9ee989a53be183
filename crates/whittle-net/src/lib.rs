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
//! verifier; proxies from `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY`). URLs in error
//! messages have their userinfo (`user:password@`) replaced by `***@` (see [`redact`]).
//!
//! # Every download is bounded
//!
//! [`Limits`] (set with [`Fetcher::with_limits`]) holds, with these defaults:
//!
//! | bound | default |
//! | --- | --- |
//! | size of a file fetched whole without a signed size (`InRelease`, `APKINDEX.tar.gz`, keyrings) | [`MAX_METADATA_SIZE`], 64 MiB |
//! | size of a file with a signed size | that size: one byte more is refused |
//! | size of a streamed file without one | the caller's bound, at most [`MAX_STREAM_SIZE`] (8 GiB) |
//! | connect | 30 s |
//! | first byte (headers), and any stall during a transfer | 30 s |
//! | minimum rate (like curl's `--speed-limit`/`--speed-time`) | 1 KiB/s over a 30 s window |
//! | attempts per transfer | 3, sleeping 250 ms × n between them |
//!
//! A refused connection, a reset or truncated body (fewer bytes than announced or signed), a
//! too slow transfer and 5xx/408/429 answers are tried again; a body that broke off is resumed
//! with a `Range` request from where it stopped (digests are checked over the whole stream). A
//! 404, a wrong digest of a complete body and a body over its cap are never retried. A body
//! that stays short is [`NetError::Truncated`] ("truncated: got N of M bytes"), a fault of the
//! transfer, never a digest mismatch.
//!
//! With the `test-server` feature, `TestServer` serves a directory over HTTP on 127.0.0.1 for
//! tests and can misbehave on purpose (`Fault`: endless, dripping, truncated or reset bodies,
//! error statuses, no answer).
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
mod turns;
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
pub use turns::Turn;
pub use whittle_cache::{Cache, CacheError, Trust};
