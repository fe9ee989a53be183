//! The error type of `whittle-net`.

use whittle_cache::CacheError;

/// What a fetch can fail with. Every URL stored here is already redacted (see [`crate::redact`]).
#[derive(thiserror::Error, Debug)]
pub enum NetError {
    /// The server answered with an unexpected HTTP status.
    #[error("HTTP {status} fetching {url}: check the repository URL and credentials, or retry later if the server is having trouble")]
    Http {
        /// The redacted URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },

    /// The file does not exist (HTTP 404/410, or a missing local file).
    #[error("{url} was not found: check the repository URL, suite, component and architecture")]
    NotFound {
        /// The redacted URL.
        url: String,
    },

    /// The server could not be reached (DNS, connect, TLS or timeout failure).
    #[error("cannot reach {url}: {reason}; check the repository URL, your network and proxy settings, or use --offline with a filled cache")]
    Connect {
        /// The redacted URL.
        url: String,
        /// What went wrong, with its causes.
        reason: String,
    },

    /// The connection broke while the body was being received.
    #[error("download of {url} was interrupted: {reason}; check your network and retry")]
    Transfer {
        /// The redacted URL.
        url: String,
        /// What went wrong, with its causes.
        reason: String,
    },

    /// `--offline` was given and the file is not in the cache.
    #[error("{url} is not in the download cache and --offline was given: run once without --offline to fill the cache")]
    NotCached {
        /// The redacted URL.
        url: String,
    },

    /// The content does not hash to the expected sha256. Nothing was cached.
    #[error("sha256 mismatch for {url}: expected {expected}, got {actual}; nothing was cached. The mirror may be out of sync or the download corrupted: retry later or use another mirror")]
    DigestMismatch {
        /// The redacted URL.
        url: String,
        /// The expected sha256 (hex).
        expected: String,
        /// The sha256 of what was received (hex).
        actual: String,
    },

    /// The content does not have the expected size. Nothing was cached.
    #[error("size mismatch for {url}: expected {expected} bytes with sha256 {expected_sha256}, got {}; nothing was cached. The file may be truncated or the mirror out of sync: retry later or use another mirror", describe_received(*actual, actual_sha256.as_deref()))]
    SizeMismatch {
        /// The redacted URL.
        url: String,
        /// The expected size in bytes.
        expected: u64,
        /// The size received or announced by the server (for an over-long body: the count at
        /// which reading stopped).
        actual: u64,
        /// The expected sha256 (hex).
        expected_sha256: String,
        /// The sha256 of what was received, when the whole body was read.
        actual_sha256: Option<String>,
    },

    /// Reading a local file (a `file://` URL or a path) failed.
    #[error("cannot read {url}: {error}")]
    Io {
        /// The URL or path as given.
        url: String,
        /// The underlying error (its message names the path).
        error: std::io::Error,
    },

    /// The URL is malformed or its scheme is not supported.
    #[error(
        "invalid URL {url}: {reason}; use an http://, https:// or file:// URL or a local path"
    )]
    InvalidUrl {
        /// The redacted URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The HTTP client could not be set up (e.g. TLS initialisation failed).
    #[error("cannot set up the HTTP client: {reason}")]
    Client {
        /// What went wrong.
        reason: String,
    },

    /// The download cache failed.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl NetError {
    /// Whether retrying the same request might succeed (network trouble, 5xx, 408, 429).
    pub fn is_transient(&self) -> bool {
        match self {
            NetError::Connect { .. } | NetError::Transfer { .. } => true,
            NetError::Http { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    /// Whether the bytes arrived whole but are not the expected ones (a
    /// wrong digest, or more bytes than expected): a mirror or attacker
    /// problem, as opposed to a short or broken download, which is a fault
    /// of the transfer.
    pub fn is_digest_mismatch(&self) -> bool {
        match self {
            NetError::DigestMismatch { .. } => true,
            NetError::SizeMismatch {
                expected, actual, ..
            } => actual > expected,
            _ => false,
        }
    }

    /// Build the mismatch error for `url` from a failed cache commit, or wrap other cache errors.
    pub(crate) fn from_commit(url: &str, e: CacheError) -> NetError {
        match e {
            CacheError::DigestMismatch {
                expected, actual, ..
            } => NetError::DigestMismatch {
                url: crate::redact(url),
                expected,
                actual,
            },
            CacheError::SizeMismatch {
                expected,
                actual,
                expected_sha256,
                actual_sha256,
                ..
            } => NetError::SizeMismatch {
                url: crate::redact(url),
                expected,
                actual,
                expected_sha256,
                actual_sha256: Some(actual_sha256),
            },
            other => NetError::Cache(other),
        }
    }
}

fn describe_received(actual: u64, sha256: Option<&str>) -> String {
    match sha256 {
        Some(sha256) => format!("{actual} bytes with sha256 {sha256}"),
        None => format!("{actual} bytes"),
    }
}

/// An error and its chain of causes, joined by ": ", with `url`'s credentials (if any) hidden.
pub(crate) fn chain(e: &dyn std::error::Error, url: &str) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(cause) = cur {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = cause.source();
    }
    let redacted = crate::redact(url);
    if redacted != url {
        out = out.replace(url, &redacted);
    }
    out
}
