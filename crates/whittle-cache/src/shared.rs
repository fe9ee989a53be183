//! A second cache that several machines share (whittle's `--cache-registry`
//! keeps it in an OCI registry), consulted when the local cache misses.
//!
//! Only what can be checked without trusting the shared store goes
//! through it:
//!
//! - **blobs**, named by their sha256: a blob pulled from the store is
//!   written through a [`crate::BlobWriter`] that refuses any other
//!   content;
//! - **pointers**, small entries whose value names a blob and whose user
//!   checks that blob against something it trusts before using it (a
//!   compressed layer must decompress to the tar just built; an APK must
//!   match its signed index's checksum). Keyed entries that are trusted
//!   because of the local cache's MAC (index URLs, unpacked `.deb`s) never
//!   leave the machine.
//!
//! The store is best effort: a failure costs time, never a build. Failures
//! are kept ([`crate::Cache::shared_failures`]) for the front end to report.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// What a shared store can do. Errors are plain messages: the cache only
/// reports them.
pub trait SharedStore: Send + Sync {
    /// Where the store is, for messages (`registry.example/cache`).
    fn describe(&self) -> String;
    /// Copy the blob with this sha256 (lowercase hex) into `out`.
    /// `Ok(false)` when the store does not have it.
    fn fetch_blob(&self, sha256: &str, out: &mut dyn Write) -> Result<bool, String>;
    /// Keep the blob at `path` (whose content hashes to `sha256`).
    fn store_blob(&self, sha256: &str, path: &Path) -> Result<(), String>;
    /// The blob digest stored under `key`, if any.
    fn get_pointer(&self, key: &str) -> Result<Option<String>, String>;
    /// Store `sha256` (lowercase hex, a blob already stored) under `key`.
    fn put_pointer(&self, key: &str, sha256: &str) -> Result<(), String>;
}

/// Failures kept at most; more are counted only.
const MAX_KEPT: usize = 20;

/// The store a cache uses, and what went wrong with it.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn SharedStore>,
    failures: Arc<Mutex<(Vec<String>, usize)>>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("store", &self.store.describe())
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(store: Arc<dyn SharedStore>) -> Shared {
        Shared {
            store,
            failures: Arc::default(),
        }
    }

    /// Remember a failure (`what` went wrong doing `action`).
    pub(crate) fn failed(&self, action: &str, what: &str) {
        let mut kept = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        kept.1 += 1;
        if kept.0.len() < MAX_KEPT {
            let line = format!(
                "{action} in the shared cache {}: {what}",
                self.store.describe()
            );
            kept.0.push(line);
        }
    }

    /// The failures so far, and how many there were in all.
    pub(crate) fn failures(&self) -> (Vec<String>, usize) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Keep a committed blob in the store.
    pub(crate) fn upload(&self, sha256: &str, path: &Path) {
        if let Err(e) = self.store.store_blob(sha256, path) {
            self.failed(&format!("could not store sha256:{sha256}"), &e);
        }
    }
}

/// The hex of a pointer value (`sha256:<hex>` or `<hex>`), if it is one.
pub(crate) fn pointer_hex(value: &str) -> Option<&str> {
    let hex = value.strip_prefix("sha256:").unwrap_or(value);
    crate::is_sha256_hex(hex).then_some(hex)
}
