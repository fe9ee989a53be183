//! The cache's error type.

use std::path::PathBuf;

/// Everything that can go wrong while using the cache.
#[derive(thiserror::Error, Debug)]
pub enum CacheError {
    /// A filesystem operation failed. The `fs_err` error's message names the
    /// path, the operation and the cause, so it is the message here, not a
    /// source the CLI would print a second time.
    #[error("download cache: {0}; check that the cache directory is writable (or set WHITTLE_CACHE_DIR)")]
    Fs(std::io::Error),

    /// An I/O operation on a cache file failed.
    #[error("download cache: cannot {action} {}; check that the cache directory is writable (or set WHITTLE_CACHE_DIR)", path.display())]
    Io {
        /// What was being done ("write", "rename into place", ...).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A digest string is not 64 lowercase or uppercase hex characters.
    #[error("`{digest}` is not a sha256 digest (expected 64 hexadecimal characters)")]
    InvalidDigest {
        /// The offending string.
        digest: String,
    },

    /// The content written to a [`crate::BlobWriter`] does not hash to the expected digest.
    #[error("sha256 mismatch for cache entry {}: expected {expected}, got {actual}; nothing was stored", path.display())]
    DigestMismatch {
        /// Where the blob would have been stored.
        path: PathBuf,
        /// The expected sha256 (hex).
        expected: String,
        /// The sha256 of what was actually written (hex).
        actual: String,
    },

    /// The content written to a [`crate::BlobWriter`] does not have the expected size.
    #[error("size mismatch for cache entry {}: expected {expected} bytes, got {actual} (sha256 expected {expected_sha256}, got {actual_sha256}); nothing was stored", path.display())]
    SizeMismatch {
        /// Where the blob would have been stored.
        path: PathBuf,
        /// The expected size in bytes.
        expected: u64,
        /// The number of bytes actually written.
        actual: u64,
        /// The expected sha256 (hex).
        expected_sha256: String,
        /// The sha256 of what was actually written (hex).
        actual_sha256: String,
    },
}

impl From<std::io::Error> for CacheError {
    /// Only for errors from `fs_err`, whose messages already name the path.
    fn from(e: std::io::Error) -> Self {
        CacheError::Fs(e)
    }
}
