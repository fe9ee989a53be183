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

    /// The body ended (or the connection closed) before all the bytes the
    /// server announced, or the signed metadata promised, arrived. Nothing
    /// was cached. A fault of the transfer, not of the file.
    #[error("download of {url} was truncated: got {got} of {expected} bytes; nothing was cached. Check your network and retry")]
    Truncated {
        /// The redacted URL.
        url: String,
        /// Bytes received.
        got: u64,
        /// Bytes announced by the server or promised by the signed metadata.
        expected: u64,
    },

    /// The transfer was slower than the fetcher's minimum rate, or stalled
    /// (see [`crate::Limits`]).
    #[error("download of {url} is too slow: {detail}; check your network or use another mirror")]
    TooSlow {
        /// The redacted URL.
        url: String,
        /// How slow it was.
        detail: String,
    },

    /// The body is larger than whittle accepts for this kind of file.
    #[error("{url} is larger than the {} whittle accepts for {what}; nothing was kept. Check the repository URL: the server may be broken or hostile", human_size(*limit))]
    TooLarge {
        /// The redacted URL.
        url: String,
        /// The cap, in bytes.
        limit: u64,
        /// What kind of file it is ("signed metadata", "a package").
        what: &'static str,
    },

    /// The same failure as an earlier read of this stream reported (a
    /// stream that failed keeps failing); for failures that cannot be
    /// copied as they were.
    #[error("{message}")]
    Again {
        /// The earlier failure's message.
        message: String,
    },

    /// The cache is not trusted for entries kept by URL (see
    /// `Cache::trust`), so `--offline` cannot use them.
    #[error("{url} cannot be taken from the download cache with --offline: {reason}")]
    UntrustedCache {
        /// The redacted URL.
        url: String,
        /// Why the cache is not trusted, and what to do.
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
    /// Whether retrying the same request might succeed (network trouble, a
    /// truncated or too slow body, 5xx, 408, 429). Never a 404, a wrong
    /// digest or a body over its cap.
    pub fn is_transient(&self) -> bool {
        match self {
            NetError::Connect { .. }
            | NetError::Transfer { .. }
            | NetError::Truncated { .. }
            | NetError::TooSlow { .. } => true,
            NetError::Http { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    /// Whether the server said the file is not there (404, 410).
    pub fn is_not_found(&self) -> bool {
        match self {
            NetError::NotFound { .. } => true,
            NetError::Http { status, .. } => *status == 404 || *status == 410,
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

    /// A copy of this error, to report again from a stream that already
    /// failed with it. Errors holding an I/O error keep only its message.
    pub(crate) fn replay(&self) -> NetError {
        let url = |u: &String| u.clone();
        match self {
            NetError::Http { url: u, status } => NetError::Http {
                url: url(u),
                status: *status,
            },
            NetError::NotFound { url: u } => NetError::NotFound { url: url(u) },
            NetError::Connect { url: u, reason } => NetError::Connect {
                url: url(u),
                reason: reason.clone(),
            },
            NetError::Transfer { url: u, reason } => NetError::Transfer {
                url: url(u),
                reason: reason.clone(),
            },
            NetError::Truncated {
                url: u,
                got,
                expected,
            } => NetError::Truncated {
                url: url(u),
                got: *got,
                expected: *expected,
            },
            NetError::TooSlow { url: u, detail } => NetError::TooSlow {
                url: url(u),
                detail: detail.clone(),
            },
            NetError::TooLarge {
                url: u,
                limit,
                what,
            } => NetError::TooLarge {
                url: url(u),
                limit: *limit,
                what,
            },
            NetError::DigestMismatch {
                url: u,
                expected,
                actual,
            } => NetError::DigestMismatch {
                url: url(u),
                expected: expected.clone(),
                actual: actual.clone(),
            },
            NetError::SizeMismatch {
                url: u,
                expected,
                actual,
                expected_sha256,
                actual_sha256,
            } => NetError::SizeMismatch {
                url: url(u),
                expected: *expected,
                actual: *actual,
                expected_sha256: expected_sha256.clone(),
                actual_sha256: actual_sha256.clone(),
            },
            other => NetError::Again {
                message: other.to_string(),
            },
        }
    }

    /// Build the mismatch error for `url` from a failed cache commit, or wrap other cache errors.
    /// Fewer bytes than the signed size is a truncated download, not a mismatch.
    pub(crate) fn from_commit(url: &str, e: CacheError) -> NetError {
        match e {
            CacheError::SizeMismatch {
                expected, actual, ..
            } if actual < expected => NetError::Truncated {
                url: crate::redact(url),
                got: actual,
                expected,
            },
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

/// `n` bytes as the largest binary unit that divides it (64 MiB, 1500 bytes).
pub(crate) fn human_size(n: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n % (1 << shift) == 0 {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
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
