//! Which paths a script may read, list and write: Chisel's "known paths"
//! (`internal/slicer/slicer.go`: `addKnownPath`, `checkKnown`,
//! `checkMutable`).

use std::collections::BTreeMap;

use super::paths;
use super::ContentError;

/// What a known path allows besides reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PathFlags {
    /// Listed `mutable: true` by a selected slice: `content.write` may
    /// replace it.
    pub mutable: bool,
    /// A hard link (a regular file made from a tar hard-link entry): never
    /// writable, even when mutable.
    pub hard_link: bool,
}

/// The permission rules of one cut.
///
/// Build it from every path the cut created **for a selected slice's
/// contents** (extracted paths, glob matches, `text`, `make` and `symlink`
/// entries, `until: mutate` ones included; arch-filtered and
/// `prefer`-overridden ones excluded), in Chisel's spelling: absolute,
/// directories ending in `/`. Each path's parent directories become known
/// too, as readable directories; `/` is always known. Paths created only
/// as implicit parents are known only that way.
#[derive(Debug, Clone)]
pub struct MutateRules {
    known: BTreeMap<String, PathFlags>,
}

impl Default for MutateRules {
    fn default() -> Self {
        Self::new()
    }
}

impl MutateRules {
    /// Rules knowing only `/`.
    #[must_use]
    pub fn new() -> Self {
        let mut known = BTreeMap::new();
        known.insert("/".to_owned(), PathFlags::default());
        Self { known }
    }

    /// Record a readable path created for a selected slice (see
    /// [`add`](Self::add)).
    ///
    /// # Errors
    ///
    /// When `path` is not absolute.
    pub fn add_path(&mut self, path: &str) -> Result<(), ContentError> {
        self.add(path, PathFlags::default())
    }

    /// Record a path created for a selected slice, with its flags, and its
    /// parent directories as readable ones.
    ///
    /// A path recorded twice keeps the union of its flags: Chisel merges
    /// `mutable` over every slice listing a path before recording it once.
    ///
    /// # Errors
    ///
    /// When `path` is not absolute.
    pub fn add(&mut self, path: &str, flags: PathFlags) -> Result<(), ContentError> {
        if !path.starts_with('/') {
            return Err(ContentError::NotAbsolute {
                path: path.to_owned(),
            });
        }
        let key = paths::clean_keep_slash(path);
        let entry = self.known.entry(key.clone()).or_default();
        entry.mutable |= flags.mutable;
        entry.hard_link |= flags.hard_link;
        // The parents, as directories, up to the first one already known.
        let mut dir = paths::clean(&key);
        while dir != "/" {
            dir = paths::parent(&dir).to_owned();
            if dir == "/" {
                break;
            }
            let slashed = format!("{dir}/");
            if self.known.contains_key(&slashed) {
                break;
            }
            self.known.insert(slashed, PathFlags::default());
        }
        Ok(())
    }

    /// Whether `path` (Chisel's spelling) is known.
    #[must_use]
    pub fn is_known(&self, path: &str) -> bool {
        self.known.contains_key(path)
    }

    /// Chisel's `checkKnown`: `cpath` (clean, `/`-terminated for a
    /// directory) may be read or listed.
    pub(crate) fn check_read(&self, cpath: &str) -> Result<(), ContentError> {
        if self.known.contains_key(cpath) {
            return Ok(());
        }
        let path = cpath.to_owned();
        Err(if let Some(dir) = cpath.strip_suffix('/') {
            if self.known.contains_key(dir) {
                ContentError::NotADirectory {
                    path: dir.to_owned(),
                }
            } else {
                ContentError::DirectoryNotSelected { path }
            }
        } else if self.known.contains_key(&format!("{cpath}/")) {
            ContentError::NotAFile { path }
        } else {
            ContentError::FileNotSelected { path }
        })
    }

    /// Chisel's `checkMutable`: `cpath` may be written.
    pub(crate) fn check_write(&self, cpath: &str) -> Result<(), ContentError> {
        let flags = self.known.get(cpath).copied().unwrap_or_default();
        let path = cpath.to_owned();
        if !flags.mutable {
            return Err(ContentError::NotMutable { path });
        }
        if flags.hard_link {
            return Err(ContentError::HardLink { path });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_become_known_directories() {
        let mut rules = MutateRules::new();
        rules.add_path("/usr/share/doc/x/copyright").unwrap();
        for known in ["/", "/usr/", "/usr/share/", "/usr/share/doc/x/"] {
            assert!(rules.is_known(known), "{known}");
        }
        assert!(!rules.is_known("/usr"));
        assert!(rules.check_read("/usr/share/").is_ok());
    }

    #[test]
    fn read_messages_follow_chisel() {
        let mut rules = MutateRules::new();
        rules.add_path("/etc/passwd").unwrap();
        rules.add_path("/etc/ssl/").unwrap();
        let msg = |p: &str| rules.check_read(p).unwrap_err().to_string();
        assert_eq!(
            msg("/etc/passwd/"),
            "content is not a directory: /etc/passwd"
        );
        assert_eq!(msg("/etc/ssl"), "content is not a file: /etc/ssl");
        assert_eq!(
            msg("/etc/shadow"),
            "cannot read file which is not selected: /etc/shadow"
        );
        assert_eq!(
            msg("/var/"),
            "cannot list directory which is not selected: /var/"
        );
    }

    #[test]
    fn write_needs_mutable_and_not_hard_link() {
        let mut rules = MutateRules::new();
        rules.add_path("/a").unwrap();
        let mutable = PathFlags {
            mutable: true,
            hard_link: false,
        };
        rules.add("/b", mutable).unwrap();
        rules
            .add(
                "/c",
                PathFlags {
                    mutable: true,
                    hard_link: true,
                },
            )
            .unwrap();
        assert!(rules.check_write("/b").is_ok());
        assert_eq!(
            rules.check_write("/a").unwrap_err().to_string(),
            "cannot write file which is not mutable: /a"
        );
        assert_eq!(
            rules.check_write("/zz").unwrap_err().to_string(),
            "cannot write file which is not mutable: /zz"
        );
        assert_eq!(
            rules.check_write("/c").unwrap_err().to_string(),
            "cannot mutate a hard link: /c"
        );
        // Flags merge over repeated records.
        rules.add("/a", mutable).unwrap();
        assert!(rules.check_write("/a").is_ok());
    }
}
