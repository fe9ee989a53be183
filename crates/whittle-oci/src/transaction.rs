//! Outputs as one transaction: every file (archive, layout blobs and
//! `index.json`, SBOMs) is first written to a temporary beside its target;
//! only when all are written are they renamed into place, in order, with
//! what was there before kept until the last rename succeeds. A failure, or
//! dropping the transaction, leaves every target as it was.

use std::io::{self, BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::error::OciError;
use crate::temp::{self, commit_lock, TempFile};

/// Mode of output files (before the umask).
pub(crate) const FILE_MODE: u32 = 0o644;

/// Files written to temporaries, to be put in place together by
/// [`Transaction::commit`]. Dropped without a commit, it removes every
/// temporary (and directory) it made.
#[derive(Debug, Default)]
pub struct Transaction {
    steps: Vec<Step>,
    /// Directories made for outputs (removed again, when empty, on abort).
    dirs: Vec<PathBuf>,
}

#[derive(Debug)]
struct Step {
    temp: TempFile,
    target: PathBuf,
    /// A content-addressed file: kept if already there, removed again on
    /// rollback if this transaction added it.
    add_only: bool,
}

/// What one rename did, to undo it.
enum Done {
    Nothing,
    Added(PathBuf),
    Replaced {
        target: PathBuf,
        backup: Option<PathBuf>,
    },
}

/// Putting the outputs in place failed.
#[derive(Debug)]
pub struct CommitError {
    /// Why (names the file).
    pub source: OciError,
    /// What could not be put back as it was (empty: every target is as it
    /// was before, checked).
    pub unrestored: Vec<PathBuf>,
}

impl Transaction {
    /// An empty transaction.
    pub fn new() -> Transaction {
        Transaction::default()
    }

    /// Write a file that replaces `target` at commit: `write` fills a
    /// temporary beside it (mode 0644), which is then flushed to disk.
    pub fn stage_file(
        &mut self,
        target: &Path,
        write: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), OciError> {
        self.stage(target, false, write)
    }

    /// Like [`stage_file`](Self::stage_file) for a content-addressed file
    /// (a blob): left alone at commit if one is there already.
    pub(crate) fn stage_blob(
        &mut self,
        target: &Path,
        write: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), OciError> {
        self.stage(target, true, write)
    }

    fn stage(
        &mut self,
        target: &Path,
        add_only: bool,
        write: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), OciError> {
        let temp = TempFile::beside(target, FILE_MODE)
            .map_err(|e| OciError::at(temp::parent_dir(target), e))?;
        {
            let mut out = BufWriter::with_capacity(1 << 20, temp.file());
            write(&mut out)
                .and_then(|()| out.flush())
                .map_err(|e| OciError::at(temp.path(), e))?;
        }
        temp.file()
            .sync_all()
            .map_err(|e| OciError::at(temp.path(), e))?;
        self.steps.push(Step {
            temp,
            target: target.to_path_buf(),
            add_only,
        });
        Ok(())
    }

    /// Create `dir` (and its missing parents) for the outputs; those
    /// created are removed again if the transaction is not committed.
    pub(crate) fn create_dir_all(&mut self, dir: &Path) -> Result<(), OciError> {
        let mut missing = Vec::new();
        let mut cur = Some(dir);
        while let Some(d) = cur.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            missing.push(d.to_path_buf());
            cur = d.parent();
        }
        for d in missing.into_iter().rev() {
            match fs_err::create_dir(&d) {
                Ok(()) => {
                    temp::register_dir(&d);
                    self.dirs.push(d);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Rename every staged file into place, in the order staged. If one
    /// fails, the ones already renamed are undone (replaced files restored,
    /// added blobs removed) and the rest removed. Interrupts wait until the
    /// renames are done (see [`crate::remove_temporaries`]).
    pub fn commit(mut self) -> Result<(), CommitError> {
        let _commit = commit_lock();
        let steps = std::mem::take(&mut self.steps);
        let mut done = Vec::with_capacity(steps.len());
        let mut steps = steps.into_iter();
        for step in steps.by_ref() {
            match apply(step) {
                Ok(d) => done.push(d),
                Err(source) => {
                    let mut unrestored = rollback(done);
                    unrestored.extend(remove_all(steps.map(|s| s.temp)));
                    unrestored.extend(self.remove_dirs());
                    return Err(CommitError { source, unrestored });
                }
            }
        }
        let mut dirs = Vec::new();
        for d in done {
            match d {
                Done::Replaced {
                    target,
                    backup: Some(b),
                } => {
                    let _ = fs_err::remove_file(&b);
                    dirs.push(temp::parent_dir(&target).to_path_buf());
                }
                Done::Replaced { target, .. } | Done::Added(target) => {
                    dirs.push(temp::parent_dir(&target).to_path_buf());
                }
                Done::Nothing => {}
            }
        }
        for d in std::mem::take(&mut self.dirs) {
            temp::unregister_dir(&d);
        }
        // Make the renames durable; best effort (not every file system can
        // sync a directory).
        dirs.sort();
        dirs.dedup();
        for d in dirs {
            if let Ok(f) = fs_err::File::open(&d) {
                let _ = f.sync_all();
            }
        }
        Ok(())
    }

    /// Remove every temporary and created directory; returns what could
    /// not be removed (so a caller can say truthfully what was left).
    pub fn abort(mut self) -> Vec<PathBuf> {
        let steps = std::mem::take(&mut self.steps);
        let mut left = remove_all(steps.into_iter().map(|s| s.temp));
        left.extend(self.remove_dirs());
        left
    }

    fn remove_dirs(&mut self) -> Vec<PathBuf> {
        let mut left = Vec::new();
        for d in std::mem::take(&mut self.dirs).into_iter().rev() {
            match fs_err::remove_dir(&d) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                // Someone else put files there meanwhile: theirs to keep.
                Err(_) if fs_err::read_dir(&d).is_ok_and(|mut r| r.next().is_some()) => {}
                Err(_) => left.push(d.clone()),
            }
            temp::unregister_dir(&d);
        }
        left
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        let steps = std::mem::take(&mut self.steps);
        let _ = remove_all(steps.into_iter().map(|s| s.temp));
        let _ = self.remove_dirs();
    }
}

fn remove_all(temps: impl Iterator<Item = TempFile>) -> Vec<PathBuf> {
    temps.filter_map(|t| t.remove().err()).collect()
}

/// Rename one staged file into place, keeping what it replaces.
fn apply(step: Step) -> Result<Done, OciError> {
    let Step {
        temp,
        target,
        add_only,
    } = step;
    let existing = fs_err::symlink_metadata(&target).ok();
    if add_only {
        let len = temp.file().metadata().map(|m| m.len()).ok();
        if existing
            .as_ref()
            .is_some_and(|m| m.is_file() && Some(m.len()) == len)
        {
            // The same blob is there already (content-addressed).
            temp.remove()
                .map_err(|p| OciError::at(p, io::Error::other("cannot remove a temporary file")))?;
            return Ok(Done::Nothing);
        }
        temp.persist(&target)
            .map_err(|e| OciError::at(&target, e))?;
        return Ok(if existing.is_none() {
            Done::Added(target)
        } else {
            // A damaged blob of that name was replaced by a sound one.
            Done::Nothing
        });
    }
    // Only a file is kept aside: a directory in the way makes the rename
    // fail, as it should.
    let backup = match existing {
        Some(m) if !m.is_dir() => Some(backup(&target)?),
        _ => None,
    };
    match temp.persist(&target) {
        Ok(()) => Ok(Done::Replaced { target, backup }),
        Err(e) => {
            if let Some(b) = &backup {
                let _ = fs_err::rename(b, &target).or_else(|_| fs_err::remove_file(b));
            }
            Err(OciError::at(&target, e))
        }
    }
}

/// Keep what is at `target` under a temporary name: a hard link (the
/// target stays in place), or a rename where links are not supported.
fn backup(target: &Path) -> Result<PathBuf, OciError> {
    let stem = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = temp::unused_name(temp::parent_dir(target), &stem);
    match std::fs::hard_link(target, &path) {
        Ok(()) => Ok(path),
        Err(_) => {
            fs_err::rename(target, &path)?;
            Ok(path)
        }
    }
}

/// Undo renames, newest first; returns what could not be undone.
fn rollback(done: Vec<Done>) -> Vec<PathBuf> {
    let mut left = Vec::new();
    for d in done.into_iter().rev() {
        let undone = match &d {
            Done::Nothing => Ok(()),
            Done::Added(target)
            | Done::Replaced {
                target,
                backup: None,
            } => fs_err::remove_file(target),
            Done::Replaced {
                target,
                backup: Some(b),
            } => fs_err::rename(b, target),
        };
        if undone.is_err() {
            match d {
                Done::Added(t) | Done::Replaced { target: t, .. } => left.push(t),
                Done::Nothing => {}
            }
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs_err::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        fs_err::write(&a, b"old a").unwrap();
        fs_err::write(&b, b"old b").unwrap();

        // Commit: all three in place, no temporaries or backups.
        let mut tx = Transaction::new();
        for (p, text) in [(&a, "new a"), (&b, "new b"), (&c, "new c")] {
            tx.stage_file(p, &mut |w| w.write_all(text.as_bytes()))
                .unwrap();
        }
        tx.commit().unwrap();
        assert_eq!(names(dir.path()), ["a", "b", "c"]);
        assert_eq!(fs_err::read(&c).unwrap(), b"new c");

        // The last rename fails (its target became a directory): the first
        // two are put back, the new blob removed, nothing else left.
        let mut tx = Transaction::new();
        let blob = dir.path().join("blob");
        tx.stage_file(&a, &mut |w| w.write_all(b"newer a")).unwrap();
        tx.stage_blob(&blob, &mut |w| w.write_all(b"blob")).unwrap();
        tx.stage_file(&c, &mut |w| w.write_all(b"newer c")).unwrap();
        fs_err::remove_file(&c).unwrap();
        fs_err::create_dir_all(c.join("inside")).unwrap();
        let err = tx.commit().unwrap_err();
        assert!(err.unrestored.is_empty(), "{:?}", err.unrestored);
        assert!(err.source.to_string().contains("/c"), "{}", err.source);
        assert_eq!(fs_err::read(&a).unwrap(), b"new a");
        assert_eq!(names(dir.path()), ["a", "b", "c"]);

        // Dropped uncommitted: temporaries and created directories go.
        let mut tx = Transaction::new();
        let deep = dir.path().join("x/y");
        tx.create_dir_all(&deep).unwrap();
        tx.stage_blob(&deep.join("z"), &mut |w| w.write_all(b"z"))
            .unwrap();
        tx.stage_file(&b, &mut |w| w.write_all(b"newer b")).unwrap();
        assert_eq!(tx.abort(), Vec::<PathBuf>::new());
        assert_eq!(names(dir.path()), ["a", "b", "c"]);
        assert_eq!(fs_err::read(&b).unwrap(), b"new b");
    }
}
