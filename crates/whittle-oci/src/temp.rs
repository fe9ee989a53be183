//! Temporary files: where outputs and layers are written before they are
//! renamed into place, and how they are removed when the process is
//! interrupted or an earlier one crashed.
//!
//! Every temporary is named `.{target}.whittle-{pid}-{n}.tmp`, so a later run
//! can tell whose it is: [`sweep_stale`] removes those whose process is gone.
//! Every temporary is also on a process-wide list until it is renamed into
//! place or removed, so that a signal handler can remove them all
//! ([`remove_temporaries`]) before the process exits.

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A temporary whose process is still running is swept only when it is
/// older than this (its pid may have been reused by another process).
const STALE_AGE: Duration = Duration::from_secs(60 * 60);

/// The temporaries (and directories) this process created and has not yet
/// renamed or removed, in creation order.
struct Registry {
    /// Set by [`remove_temporaries`]: nothing more may be created.
    closed: bool,
    entries: Vec<(PathBuf, bool)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    closed: false,
    entries: Vec::new(),
});

/// Held while a transaction renames its files into place, so that an
/// interrupt sees all of them renamed or none.
static COMMIT: Mutex<()> = Mutex::new(());

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn commit_lock() -> MutexGuard<'static, ()> {
    COMMIT.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unregister(path: &Path) {
    let mut reg = registry();
    if let Some(i) = reg.entries.iter().rposition(|(p, _)| p == path) {
        reg.entries.remove(i);
    }
}

/// Remove every temporary file (and directory created for outputs) this
/// process still has, and refuse to create more; for a SIGINT/SIGTERM
/// handler, which then exits. Waits for a transaction that is renaming its
/// files into place to finish, so outputs are either all in place or all
/// as they were. Returns the paths that could not be removed.
pub fn remove_temporaries() -> Vec<PathBuf> {
    let _commit = commit_lock();
    let mut reg = registry();
    reg.closed = true;
    let mut failed = Vec::new();
    // Newest first: files inside a created directory go before it.
    for (path, is_dir) in reg.entries.drain(..).rev() {
        let removed = if is_dir {
            fs_err::remove_dir(&path)
        } else {
            fs_err::remove_file(&path)
        };
        match removed {
            Err(e) if e.kind() != ErrorKind::NotFound && !is_dir => failed.push(path),
            _ => {}
        }
    }
    failed
}

/// A directory created for an output: removed again if the output is not
/// committed (when empty).
pub(crate) fn register_dir(path: &Path) {
    registry().entries.push((path.to_path_buf(), true));
}

pub(crate) fn unregister_dir(path: &Path) {
    unregister(path);
}

/// A registered temporary file, removed when dropped unless it was renamed
/// into place with [`TempFile::persist`].
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    file: File,
    /// False once renamed or removed.
    live: bool,
}

impl TempFile {
    /// A new temporary beside `target`, named after it.
    pub(crate) fn beside(target: &Path, mode: u32) -> io::Result<TempFile> {
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(
                ErrorKind::InvalidInput,
                format!("{} has no file name", target.display()),
            )
        })?;
        TempFile::create(parent_dir(target), &name.to_string_lossy(), mode)
    }

    /// A new temporary in `dir`, named `.{stem}.whittle-{pid}-{n}.tmp`.
    pub(crate) fn create(dir: &Path, stem: &str, mode: u32) -> io::Result<TempFile> {
        let mut reg = registry();
        if reg.closed {
            return Err(io::Error::new(
                ErrorKind::Interrupted,
                "interrupted: no new temporary files",
            ));
        }
        loop {
            let path = temp_name(dir, stem);
            let mut options = OpenOptions::new();
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
            #[cfg(not(unix))]
            let _ = mode;
            match options.open(&path) {
                Ok(file) => {
                    reg.entries.push((path.clone(), false));
                    return Ok(TempFile {
                        path,
                        file,
                        live: true,
                    });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot create a temporary file in {}: {e}", dir.display()),
                    ))
                }
            }
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file (read and write).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Rename over `target`. On failure the temporary is still there (and
    /// removed on drop).
    pub(crate) fn persist(mut self, target: &Path) -> io::Result<()> {
        fs_err::rename(&self.path, target)?;
        self.live = false;
        unregister(&self.path);
        Ok(())
    }

    /// Remove it now; the path is returned if that failed.
    pub(crate) fn remove(mut self) -> Result<(), PathBuf> {
        self.live = false;
        let result = match fs_err::remove_file(&self.path) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(self.path.clone()),
            _ => Ok(()),
        };
        unregister(&self.path);
        result
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.live {
            let _ = fs_err::remove_file(&self.path);
            unregister(&self.path);
        }
    }
}

/// `dir/.{stem}.whittle-{pid}-{unique}.tmp`.
fn temp_name(dir: &Path, stem: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let salt = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    dir.join(format!(
        ".{stem}.whittle-{}-{n:x}{salt:08x}.tmp",
        std::process::id()
    ))
}

/// A name of that form that nothing has yet (for a backup during a
/// commit, which a signal cannot interrupt; swept like a temporary if the
/// process is killed).
pub(crate) fn unused_name(dir: &Path, stem: &str) -> PathBuf {
    loop {
        let path = temp_name(dir, stem);
        if fs_err::symlink_metadata(&path).is_err() {
            return path;
        }
    }
}

/// The directory a path is in (`.` for a bare name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Remove temporaries left in `dir` by whittle runs that crashed or were
/// killed: ours (`.NAME.whittle-PID-N.tmp`) when process PID is gone (or
/// the file is over an hour old), and those of older whittle versions
/// (`.NAME.XXXXXX.tmp` for a `NAME` in `legacy`, `.whittle-sbom-XXXXXX.tmp`,
/// and `.HEX.XXXXXX.tmp` in a layout's `blobs/sha256`) when over an hour
/// old. Best effort; returns what was removed.
pub fn sweep_stale(dir: &Path, legacy: &[&str]) -> Vec<PathBuf> {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return Vec::new();
    };
    let now = SystemTime::now();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let old = || {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > STALE_AGE)
        };
        let stale = match owner_pid(name) {
            Some(pid) => pid != std::process::id() && (!process_alive(pid) || old()),
            None => is_legacy_temp(name, legacy) && old(),
        };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if stale && is_file && fs_err::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

/// The pid in `.NAME.whittle-PID-N.tmp`.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, tail) = rest.rsplit_once(".whittle-")?;
    let (pid, n) = tail.split_once('-')?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_hexdigit())).then_some(())?;
    pid.parse().ok()
}

/// A temporary file name of an older whittle (`tempfile`'s six random
/// characters).
fn is_legacy_temp(name: &str, legacy: &[&str]) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|r| r.strip_suffix(".tmp")) else {
        return false;
    };
    let Some((stem, random)) = rest.rsplit_once(['.', '-']) else {
        return false;
    };
    if random.len() != 6 || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let is_blob = stem.len() == 64 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    stem == "whittle-sbom" || is_blob || legacy.contains(&stem)
}

/// Whether process `pid` exists. Where that cannot be told (no `/proc`),
/// it is assumed to, and only age makes a temporary stale.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_parsed() {
        assert_eq!(owner_pid(".out.tar.whittle-123-0abc.tmp"), Some(123));
        assert_eq!(owner_pid(".out.tar.whittle-x-0.tmp"), None);
        assert_eq!(owner_pid("out.tar.whittle-1-0.tmp"), None);
        assert!(is_legacy_temp(".out.tar.Ab12Cd.tmp", &["out.tar"]));
        assert!(!is_legacy_temp(".out.tar.Ab12Cd.tmp", &["other.tar"]));
        assert!(is_legacy_temp(".whittle-sbom-Ab12Cd.tmp", &[]));
        assert!(is_legacy_temp(
            &format!(".{}.Ab12Cd.tmp", "a".repeat(64)),
            &[]
        ));
        assert!(!is_legacy_temp(".out.tar.Ab12C.tmp", &["out.tar"]));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn dead_owners_are_swept_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A pid above the kernel's maximum (4194304) never exists.
        let dead = dir.path().join(".out.tar.whittle-99999999-0.tmp");
        fs_err::write(&dead, b"x").unwrap();
        let mine = TempFile::create(dir.path(), "out.tar", 0o600).unwrap();
        let parent = dir.path().join(format!(
            ".out.tar.whittle-{}-0.tmp",
            std::os::unix::process::parent_id()
        ));
        fs_err::write(&parent, b"x").unwrap();
        let fresh_legacy = dir.path().join(".out.tar.Ab12Cd.tmp");
        fs_err::write(&fresh_legacy, b"x").unwrap();
        let removed = sweep_stale(dir.path(), &["out.tar"]);
        assert_eq!(removed, [dead]);
        assert!(mine.path().exists() && parent.exists() && fresh_legacy.exists());
        drop(mine);
        let mut left: Vec<_> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        left.sort();
        let mut want = vec![parent, fresh_legacy];
        want.sort();
        assert_eq!(left, want);
    }
}
