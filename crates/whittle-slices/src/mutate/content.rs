//! The `content` object's three operations over a [`MutateTree`], with
//! Chisel's path rules (`internal/scripts/scripts.go`: `RealPath`, `Read`,
//! `Write`, `List`).
//!
//! A path is checked as the script spells it (cleaned, a trailing `/`
//! kept), then resolved. A symlink in the **last** component is followed
//! and its target checked again, as Chisel does; a symlink in an earlier
//! component is followed by the file system in Chisel, and here by
//! [`Content::physical`]. Both resolve inside the image root: `..` stops at
//! `/` and an absolute target starts at the root, so no link leads out.

use std::collections::BTreeSet;

use super::paths;
use super::{ContentError, EntryKind, MutateRules, MutateTree};

/// Symlinks followed for one path before giving up (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// What a permission check is for.
#[derive(Clone, Copy)]
enum Check {
    Read,
    Write,
}

/// The tree as one run of scripts sees it.
pub(crate) struct Content<'t> {
    tree: &'t mut dyn MutateTree,
    rules: &'t MutateRules,
    /// Resolved paths written so far.
    pub(crate) written: BTreeSet<String>,
}

impl<'t> Content<'t> {
    pub(crate) fn new(tree: &'t mut dyn MutateTree, rules: &'t MutateRules) -> Self {
        Self {
            tree,
            rules,
            written: BTreeSet::new(),
        }
    }

    /// `content.read(path)`: the file's text.
    pub(crate) fn read(&self, path: &str) -> Result<String, ContentError> {
        let real = self.real_path(path, Check::Read)?;
        match self.tree.entry_kind(&real) {
            None => Err(ContentError::NotFound {
                op: "open",
                path: path.to_owned(),
            }),
            Some(EntryKind::Dir) => Err(ContentError::IsADirectory {
                op: "read",
                path: path.to_owned(),
            }),
            Some(_) => {
                let data = self
                    .tree
                    .read_file(&real)
                    .map_err(|message| ContentError::Tree {
                        path: path.to_owned(),
                        message,
                    })?
                    .ok_or_else(|| ContentError::NotFound {
                        op: "open",
                        path: path.to_owned(),
                    })?;
                String::from_utf8(data).map_err(|_| ContentError::NotUtf8 {
                    path: path.to_owned(),
                })
            }
        }
    }

    /// `content.write(path, data)`: replace the file's content.
    pub(crate) fn write(&mut self, path: &str, data: &str) -> Result<(), ContentError> {
        let real = self.real_path(path, Check::Write)?;
        if self.tree.entry_kind(&real) == Some(EntryKind::Dir) {
            return Err(ContentError::IsADirectory {
                op: "open",
                path: path.to_owned(),
            });
        }
        self.tree
            .write_file(&real, data.as_bytes())
            .map_err(|message| ContentError::Tree {
                path: path.to_owned(),
                message,
            })?;
        self.written.insert(real);
        Ok(())
    }

    /// `content.list(path)`: the directory's entry names, sorted as Go's
    /// `os.ReadDir` sorts them (by name), directories with a `/` suffix.
    pub(crate) fn list(&self, path: &str) -> Result<Vec<String>, ContentError> {
        let mut dpath = path.to_owned();
        if !dpath.ends_with('/') {
            dpath.push('/');
        }
        let real = self.real_path(&dpath, Check::Read)?;
        match self.tree.entry_kind(&real) {
            Some(EntryKind::Dir) => {}
            None => {
                return Err(ContentError::NotFound {
                    op: "open",
                    path: path.to_owned(),
                })
            }
            Some(_) => {
                return Err(ContentError::NotADirectoryOs {
                    path: path.to_owned(),
                })
            }
        }
        let mut names = self
            .tree
            .list_dir(&real)
            .map_err(|message| ContentError::Tree {
                path: path.to_owned(),
                message,
            })?;
        names.sort_by(|a, b| {
            let key = |s: &String| s.strip_suffix('/').unwrap_or(s).to_owned();
            key(a).cmp(&key(b))
        });
        Ok(names)
    }

    /// Chisel's `RealPath`: check `path`, then follow a symlink in its last
    /// component (checking the target again), and return the entry's path
    /// in the tree, with no symlink left in it.
    fn real_path(&self, path: &str, check: Check) -> Result<String, ContentError> {
        let mut current = path.to_owned();
        for _ in 0..=MAX_LINKS {
            if !current.starts_with('/') {
                return Err(ContentError::NotAbsolute { path: current });
            }
            let cpath = paths::clean_keep_slash(&current);
            match check {
                Check::Read => self.rules.check_read(&cpath)?,
                Check::Write => self.rules.check_write(&cpath)?,
            }
            let logical = paths::clean(&cpath);
            if logical == "/" {
                return Ok(logical);
            }
            let dir = paths::parent(&logical);
            let name = logical.rsplit('/').next().unwrap_or_default();
            let real = paths::join(&self.physical(dir, path)?, name);
            match self.tree.entry_kind(&real) {
                Some(EntryKind::Symlink(target)) => {
                    // Chisel resolves the target from the link's directory as
                    // spelled, and re-checks the result without a trailing
                    // slash.
                    current = if target.starts_with('/') {
                        paths::clean(&target)
                    } else {
                        paths::clean(&format!("{dir}/{target}"))
                    };
                }
                _ => return Ok(real),
            }
        }
        Err(ContentError::SymlinkLoop {
            path: path.to_owned(),
        })
    }

    /// The tree path of the clean directory `dir`, every symlink in it
    /// followed inside the root (what the file system does for Chisel).
    fn physical(&self, dir: &str, original: &str) -> Result<String, ContentError> {
        // Components still to walk, last first.
        let mut todo: Vec<String> = dir
            .split('/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(str::to_owned)
            .collect();
        let mut done = String::from("/");
        let mut links = 0;
        while let Some(part) = todo.pop() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    done = paths::parent(&done).to_owned();
                    continue;
                }
                _ => {}
            }
            let next = paths::join(&done, &part);
            match self.tree.entry_kind(&next) {
                Some(EntryKind::Symlink(target)) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(ContentError::SymlinkLoop {
                            path: original.to_owned(),
                        });
                    }
                    if target.starts_with('/') {
                        done = String::from("/");
                    }
                    todo.extend(
                        target
                            .split('/')
                            .filter(|c| !c.is_empty())
                            .rev()
                            .map(str::to_owned),
                    );
                }
                Some(EntryKind::File) => {
                    return Err(ContentError::NotADirectoryOs {
                        path: original.to_owned(),
                    })
                }
                Some(EntryKind::Dir) | None => done = next,
            }
        }
        Ok(done)
    }
}
