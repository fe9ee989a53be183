//! The [`Cache`] handle.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::digest::{hash_reader, is_sha256_hex, sha256_hex, BlobReader};
use crate::error::CacheError;
use crate::keyed::{self, Secret, Trust};
use crate::root;
use crate::shared::{pointer_hex, Shared, SharedStore};
use crate::writer::BlobWriter;

/// Contents of `CACHEDIR.TAG` (see <https://bford.info/cachedir/>).
const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by whittle.\n\
# For information about cache directory tags, see:\n\
#\thttps://bford.info/cachedir/\n";

/// Temporary files older than this are left over from crashed runs and removed on open.
const STALE_TMP_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The on-disk format version; entries of other versions are ignored.
const BUCKET: &str = "v2";

#[derive(Debug)]
pub(crate) struct Inner {
    root: PathBuf,
    blobs: PathBuf,
    keyed: PathBuf,
    pub(crate) tmp: PathBuf,
    trust: Trust,
    /// Present when the cache is trusted.
    secret: Option<Secret>,
}

/// A cheap-to-clone handle on a cache root; see the crate docs for the layout.
#[derive(Clone, Debug)]
pub struct Cache {
    inner: Arc<Inner>,
    /// A store shared with other machines, consulted on a miss.
    shared: Option<Shared>,
}

impl Cache {
    /// Open the cache at `root`, creating it if needed: writes `CACHEDIR.TAG` and the versioned
    /// bucket directory `v2/` (with `blobs/sha256`, `keyed`, `tmp` and the secret `key` inside),
    /// and decides whether keyed entries are trusted ([`Cache::trust`]).
    pub fn open(root: impl Into<PathBuf>) -> Result<Cache, CacheError> {
        let root: PathBuf = root.into();
        let bucket = root.join(BUCKET);
        let blobs = bucket.join("blobs").join("sha256");
        let keyed = bucket.join("keyed");
        let tmp = bucket.join("tmp");
        for dir in [&blobs, &keyed, &tmp] {
            fs_err::create_dir_all(dir)?;
        }
        let (trust, secret) = keyed::load(&root, &bucket, &tmp);
        let inner = Inner {
            blobs,
            keyed,
            tmp,
            root,
            trust,
            secret,
        };
        let cache = Cache {
            inner: Arc::new(inner),
            shared: None,
        };
        let tag = cache.inner.root.join("CACHEDIR.TAG");
        let tag_ok = match fs_err::read(&tag) {
            Ok(existing) => existing.starts_with(&CACHEDIR_TAG.as_bytes()[..43]),
            Err(e) if e.kind() == ErrorKind::NotFound => false,
            Err(e) => return Err(e.into()),
        };
        if !tag_ok {
            cache.write_atomic(&tag, CACHEDIR_TAG.as_bytes())?;
        }
        cache.remove_stale_tmp();
        Ok(cache)
    }

    /// This cache with a store shared between machines behind it: blobs
    /// missing here are looked for there (and checked by digest), blobs
    /// committed here are kept there too, and so are pointers
    /// ([`Cache::put_pointer`]). See the `shared` module docs for what is
    /// shared and why that is safe.
    pub fn with_shared(mut self, store: Arc<dyn SharedStore>) -> Cache {
        self.shared = Some(Shared::new(store));
        self
    }

    /// What went wrong with the shared store so far (at most 20 messages)
    /// and how many failures there were in all. Each cost time only.
    pub fn shared_failures(&self) -> (Vec<String>, usize) {
        self.shared
            .as_ref()
            .map_or((Vec::new(), 0), Shared::failures)
    }

    /// Bring the blob with this (normalized) sha256 from the shared store
    /// into the local cache; whether it is now here.
    fn pull_shared(&self, expected: &str) -> bool {
        let Some(shared) = &self.shared else {
            return false;
        };
        let Ok(mut writer) = BlobWriter::new(
            &self.inner.tmp,
            self.inner.blobs.join(expected),
            expected.to_string(),
            None,
        ) else {
            return false;
        };
        match shared.store.fetch_blob(expected, &mut writer) {
            Ok(true) => match writer.commit() {
                Ok(_) => true,
                Err(e) => {
                    shared.failed(&format!("could not use sha256:{expected}"), &e.to_string());
                    false
                }
            },
            Ok(false) => false,
            Err(e) => {
                shared.failed(&format!("could not read sha256:{expected}"), &e);
                false
            }
        }
    }

    /// The default cache root: `$WHITTLE_CACHE_DIR` if set and non-empty, else the platform's
    /// per-user cache directory (`$XDG_CACHE_HOME` or `$HOME/.cache` on Linux,
    /// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows) followed by `whittle`.
    pub fn default_root() -> Option<PathBuf> {
        root::default_root()
    }

    /// The cache root directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Whether keyed entries ([`Cache::get_keyed`]) are used, and if not, why.
    pub fn trust(&self) -> &Trust {
        &self.inner.trust
    }

    /// The cache's directory for temporary files (`v2/tmp`): scratch space
    /// on the cache's disk, where leftovers older than a day are removed
    /// when a cache is opened.
    pub fn tmp_dir(&self) -> &Path {
        &self.inner.tmp
    }

    /// Path of the blob with this sha256 (hex) if it is present and its content still hashes to
    /// it. The hash is recomputed on every call; a corrupt entry is deleted and `None` returned.
    pub fn blob(&self, sha256: &str) -> Result<Option<PathBuf>, CacheError> {
        let expected = normalize_digest(sha256)?;
        let path = self.inner.blobs.join(&expected);
        let file = match fs_err::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if !self.pull_shared(&expected) {
                    return Ok(None);
                }
                fs_err::File::open(&path)?
            }
            Err(e) => return Err(e.into()),
        };
        let (actual, _) = hash_reader(file)?;
        if actual == expected {
            return Ok(Some(path));
        }
        remove_if_present(&path)?;
        Ok(None)
    }

    /// The content of the blob with this sha256 (hex), read once and hashed in memory, if it is
    /// present and still hashes to it; like [`Cache::blob`], a corrupt entry is deleted and `None`
    /// returned. For blobs the caller reads whole anyway: one read instead of two.
    pub fn read_blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let expected = normalize_digest(sha256)?;
        let path = self.inner.blobs.join(&expected);
        let data = match fs_err::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if !self.pull_shared(&expected) {
                    return Ok(None);
                }
                fs_err::read(&path)?
            }
            Err(e) => return Err(e.into()),
        };
        if sha256_hex(&data) == expected {
            return Ok(Some(data));
        }
        remove_if_present(&path)?;
        Ok(None)
    }

    /// A stream over the blob with this sha256 (hex), if it is present. The
    /// bytes are hashed as they are read; at the end of the stream a blob
    /// that no longer hashes to its name is deleted and the last read fails
    /// with [`std::io::ErrorKind::InvalidData`]. For large blobs read once:
    /// no second pass and no copy in memory, and the check covers exactly
    /// the bytes the caller saw. Callers must read to the end.
    pub fn open_blob(&self, sha256: &str) -> Result<Option<BlobReader>, CacheError> {
        let expected = normalize_digest(sha256)?;
        let path = self.inner.blobs.join(&expected);
        let file = match fs_err::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if !self.pull_shared(&expected) {
                    return Ok(None);
                }
                fs_err::File::open(&path)?
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Some(BlobReader::new(file, path, expected)))
    }

    /// Begin writing a blob that must hash to `sha256` (and be `size` bytes long, if given).
    /// See [`BlobWriter`].
    pub fn blob_writer(&self, sha256: &str, size: Option<u64>) -> Result<BlobWriter, CacheError> {
        let expected = normalize_digest(sha256)?;
        let dest = self.inner.blobs.join(&expected);
        Ok(BlobWriter::new(&self.inner.tmp, dest, expected, size)?.sharing(self.shared.clone()))
    }

    /// Begin writing a blob whose digest is not known in advance; it is
    /// published under what it hashes to ([`BlobWriter::commit_named`]).
    pub fn new_blob(&self) -> Result<BlobWriter, CacheError> {
        Ok(
            BlobWriter::unnamed(&self.inner.tmp, self.inner.blobs.clone())?
                .sharing(self.shared.clone()),
        )
    }

    /// Store a pointer: `value` (`sha256:<hex>` or `<hex>`) names a blob
    /// already in this cache, and whoever reads it back checks that blob
    /// against something it trusts before use. Kept locally like
    /// [`Cache::put_keyed`], and in the shared store if there is one.
    pub fn put_pointer(&self, key: &str, value: &str) -> Result<(), CacheError> {
        let hex = pointer_hex(value).ok_or_else(|| CacheError::InvalidDigest {
            digest: value.to_string(),
        })?;
        self.put_keyed(key, value.as_bytes())?;
        if let Some(shared) = &self.shared {
            if let Err(e) = shared.store.put_pointer(key, &hex.to_ascii_lowercase()) {
                shared.failed(&format!("could not store the entry for {key}"), &e);
            }
        }
        Ok(())
    }

    /// A pointer stored with [`Cache::put_pointer`]: the local entry, else
    /// the shared store's (as `sha256:<hex>`, kept locally from then on).
    /// The value names a blob; check the blob before trusting it.
    pub fn get_pointer(&self, key: &str) -> Result<Option<String>, CacheError> {
        if let Some(local) = self.get_keyed(key)? {
            if let Ok(value) = String::from_utf8(local) {
                if pointer_hex(&value).is_some() {
                    return Ok(Some(value));
                }
            }
        }
        let Some(shared) = &self.shared else {
            return Ok(None);
        };
        match shared.store.get_pointer(key) {
            Ok(Some(value)) => match pointer_hex(&value) {
                Some(hex) => {
                    let value = format!("sha256:{}", hex.to_ascii_lowercase());
                    self.put_keyed(key, value.as_bytes())?;
                    Ok(Some(value))
                }
                None => {
                    shared.failed(
                        &format!("could not use the entry for {key}"),
                        "it names no sha256 digest",
                    );
                    Ok(None)
                }
            },
            Ok(None) => Ok(None),
            Err(e) => {
                shared.failed(&format!("could not read the entry for {key}"), &e);
                Ok(None)
            }
        }
    }

    fn keyed_path(&self, key: &str) -> PathBuf {
        self.inner.keyed.join(sha256_hex(key.as_bytes()))
    }

    /// Store small data under an arbitrary string key (e.g. an index URL), replacing any previous
    /// value atomically. The file is `v2/keyed/<sha256(key)>`: an HMAC-SHA256 of the key and data
    /// under the cache's secret, then the data. In an untrusted cache nothing is stored.
    pub fn put_keyed(&self, key: &str, data: &[u8]) -> Result<(), CacheError> {
        let Some(sealed) = self.inner.secret.as_ref().and_then(|s| s.seal(key, data)) else {
            return Ok(());
        };
        self.write_atomic(&self.keyed_path(key), &sealed)
    }

    /// Data previously stored with [`Cache::put_keyed`] under `key`, if any and if its MAC
    /// verifies. An entry that does not verify (edited or forged) is deleted and reported as
    /// absent; in an untrusted cache every lookup is a miss.
    pub fn get_keyed(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let Some(secret) = &self.inner.secret else {
            return Ok(None);
        };
        let path = self.keyed_path(key);
        let stored = match fs_err::read(&path) {
            Ok(data) => data,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match secret.open(key, stored) {
            Some(data) => Ok(Some(data)),
            None => {
                remove_if_present(&path)?;
                Ok(None)
            }
        }
    }

    /// Write `data` to `dest` through a temporary file and an atomic rename.
    fn write_atomic(&self, dest: &Path, data: &[u8]) -> Result<(), CacheError> {
        let tmp_dir = &self.inner.tmp;
        let mut tmp = tempfile::Builder::new()
            .prefix("keyed-")
            .suffix(".part")
            .tempfile_in(tmp_dir)
            .map_err(|source| CacheError::Io {
                action: "create a temporary file in",
                path: tmp_dir.clone(),
                source,
            })?;
        tmp.write_all(data)
            .and_then(|()| tmp.flush())
            .map_err(|source| CacheError::Io {
                action: "write",
                path: tmp.path().to_path_buf(),
                source,
            })?;
        tmp.persist(dest).map_err(|e| CacheError::Io {
            action: "rename a temporary file onto",
            path: dest.to_path_buf(),
            source: e.error,
        })?;
        Ok(())
    }

    /// Best effort: remove temporary files left behind by crashed runs.
    fn remove_stale_tmp(&self) {
        let Ok(entries) = fs_err::read_dir(&self.inner.tmp) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > STALE_TMP_AGE);
            if old {
                let _ = fs_err::remove_file(entry.path());
            }
        }
    }
}

/// Delete a corrupt entry; one already gone (another process got there first) is fine.
fn remove_if_present(path: &Path) -> Result<(), CacheError> {
    match fs_err::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Validate a hex sha256 and lowercase it.
fn normalize_digest(sha256: &str) -> Result<String, CacheError> {
    if is_sha256_hex(sha256) {
        Ok(sha256.to_ascii_lowercase())
    } else {
        Err(CacheError::InvalidDigest {
            digest: sha256.to_string(),
        })
    }
}
