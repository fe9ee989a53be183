//! Integrity of keyed entries: a per-cache secret and an HMAC-SHA256 over
//! each entry's key and data (RFC 2104 HMAC with SHA-256).
//!
//! Keyed entries map URLs and other strings to data, so unlike blobs they
//! cannot be checked against their name. The secret (32 random bytes) lives
//! in `<root>/v2/key`, created `0600` through a temporary file and a
//! no-clobber rename. A cache whose key another user owns or can read, or
//! whose directories others can write, is not trusted: its keyed entries
//! are ignored ([`Trust::Untrusted`]).

use std::io::{ErrorKind, Read, Write};
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Length of the secret and of each entry's MAC.
pub(crate) const KEY_LEN: usize = 32;

/// Bound into every MAC, so it cannot be confused with another use of the key.
const DOMAIN: &[u8] = b"whittle-cache keyed entry v2\0";

/// Whether the cache's keyed entries can be believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// The key is this user's and private: entries that verify are used.
    Own,
    /// Keyed entries are ignored (every lookup misses, nothing is stored);
    /// blobs, checked by their digest, are still used.
    Untrusted {
        /// Why, naming the path, and what to do about it.
        reason: String,
    },
}

/// The cache's secret, once its file checked out.
#[derive(Clone)]
pub(crate) struct Secret([u8; KEY_LEN]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    fn mac(&self, key: &str, data: &[u8]) -> Option<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).ok()?;
        mac.update(DOMAIN);
        mac.update(&(key.len() as u64).to_le_bytes());
        mac.update(key.as_bytes());
        mac.update(data);
        Some(mac)
    }

    /// The stored form of an entry: its MAC, then the data.
    pub(crate) fn seal(&self, key: &str, data: &[u8]) -> Option<Vec<u8>> {
        let tag = self.mac(key, data)?.finalize().into_bytes();
        let mut out = Vec::with_capacity(KEY_LEN + data.len());
        out.extend_from_slice(&tag);
        out.extend_from_slice(data);
        Some(out)
    }

    /// The data of a stored entry if its MAC verifies for `key`.
    pub(crate) fn open(&self, key: &str, mut stored: Vec<u8>) -> Option<Vec<u8>> {
        if stored.len() < KEY_LEN {
            return None;
        }
        let data = stored.split_off(KEY_LEN);
        self.mac(key, &data)?.verify_slice(&stored).ok()?;
        Some(data)
    }
}

/// Read the secret at `path` (creating it through `tmp_dir` if absent) and
/// decide whether the cache at `root`, bucket `bucket`, is trusted.
pub(crate) fn load(root: &Path, bucket: &Path, tmp_dir: &Path) -> (Trust, Option<Secret>) {
    let path = bucket.join("key");
    let untrusted = |reason: String| (Trust::Untrusted { reason }, None);
    for dir in [root, bucket] {
        if let Some(reason) = others_can_write(dir) {
            return untrusted(reason);
        }
    }
    let file = match fs_err::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => match create(&path, tmp_dir) {
            Ok(f) => f,
            Err(e) => {
                return untrusted(format!(
                    "its key could not be created ({e}); check that the cache directory is \
                     writable"
                ))
            }
        },
        Err(e) => return untrusted(format!("its key could not be read ({e})")),
    };
    if let Some(reason) = not_private(&file, &path) {
        return untrusted(reason);
    }
    let mut secret = [0u8; KEY_LEN];
    let mut extra = [0u8; 1];
    let mut file = file;
    let read = file
        .read_exact(&mut secret)
        .and_then(|()| file.read(&mut extra));
    match read {
        Ok(0) => (Trust::Own, Some(Secret(secret))),
        _ => untrusted(format!(
            "its key {} is not {KEY_LEN} bytes long; delete it to start afresh (entries kept \
             by URL are then fetched again)",
            path.display()
        )),
    }
}

/// Write a new random secret to `path`, unless another process got there
/// first; either way, open the key that is there.
fn create(path: &Path, tmp_dir: &Path) -> std::io::Result<fs_err::File> {
    let mut secret = [0u8; KEY_LEN];
    getrandom::fill(&mut secret).map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix("key-").suffix(".part");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let mut tmp = builder.tempfile_in(tmp_dir)?;
    tmp.write_all(&secret)?;
    tmp.as_file().sync_all()?;
    match tmp.persist_noclobber(path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.error),
    }
    fs_err::File::open(path)
}

/// Why `dir` is not safe for keyed entries, if other users can write it.
#[cfg(unix)]
fn others_can_write(dir: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs_err::metadata(dir).ok()?.permissions().mode();
    (mode & 0o002 != 0).then(|| {
        format!(
            "{} is writable by every user (mode {:o}), so anyone could change what is cached; \
             run chmod o-w on it, or use a cache directory of your own (--cache-dir or \
             WHITTLE_CACHE_DIR)",
            dir.display(),
            mode & 0o7777
        )
    })
}

#[cfg(not(unix))]
fn others_can_write(_dir: &Path) -> Option<String> {
    None
}

/// Why the opened key file `file` at `path` is not this user's secret, if it is not.
#[cfg(unix)]
fn not_private(file: &fs_err::File, path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => return Some(format!("its key could not be read ({e})")),
    };
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Some(format!(
            "its key {} belongs to user {}, not to you (user {me}): a cache another user \
             writes cannot be trusted; use a cache directory of your own (--cache-dir or \
             WHITTLE_CACHE_DIR)",
            path.display(),
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o7777;
    if !meta.is_file() || mode & 0o077 != 0 {
        return Some(format!(
            "its key {} can be read or written by other users (mode {mode:o}); run \
             chmod 600 {0}, or delete it to start afresh",
            path.display()
        ));
    }
    None
}

#[cfg(not(unix))]
fn not_private(_file: &fs_err::File, _path: &Path) -> Option<String> {
    None
}
