//! The image's file system after all layers: metadata only (type, mode,
//! owner, link target, size, and a content digest when asked for) keyed by
//! path, plus the contents of the few files the readers use (package
//! databases, os-release, `/etc/passwd`, `/etc/group`; licences when
//! asked for). Keys are relative paths without `./` (`usr/bin/sh`); the
//! root is `""`.

use std::collections::BTreeMap;

use serde::Serialize;

/// The most bytes kept of one database or account file.
pub(crate) const CONTENT_LIMIT: u64 = 64 << 20;

/// What kind of file system object a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A regular file (hard links included).
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A named pipe.
    Fifo,
}

impl EntryKind {
    /// A short word for reports.
    pub fn word(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::CharDevice => "char device",
            EntryKind::BlockDevice => "block device",
            EntryKind::Fifo => "fifo",
        }
    }
}

/// One path of the image.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: EntryKind,
    /// Permission bits with setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// A symlink's target, as written.
    pub link: Option<String>,
    /// For a hard link: the key of the name it links to.
    pub hardlink: Option<String>,
    /// A regular file's size in bytes (a hard link's is its target's).
    pub size: u64,
    /// SHA-256 of a regular file's content, when the read asked for
    /// digests (a hard link's is its target's).
    pub digest: Option<[u8; 32]>,
    /// The content, for the files the readers use.
    pub content: Option<Vec<u8>>,
}

/// The merged file system.
#[derive(Default)]
pub(crate) struct Tree {
    nodes: BTreeMap<String, Node>,
}

/// The most symlinks followed resolving one path (Linux's limit).
const MAX_LINKS: usize = 40;

impl Tree {
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.nodes.get(key)
    }

    /// The kept content of the file `path` reaches: symlinks followed
    /// inside the image, a hard link read through the name it links to.
    pub(crate) fn read(&self, path: &str) -> Option<&[u8]> {
        let key = self.resolve(path, true)?;
        let node = self.get(&key)?;
        let node = match &node.hardlink {
            Some(target) => self.get(target)?,
            None => node,
        };
        node.content.as_deref()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &Node)> {
        self.nodes.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Remove `key` and everything below it.
    pub(crate) fn remove_subtree(&mut self, key: &str) {
        self.nodes.remove(key);
        self.remove_children(key);
    }

    /// Remove everything below `key`, keeping `key`.
    pub(crate) fn remove_children(&mut self, key: &str) {
        let below: Vec<String> = self.children_keys(key);
        for k in below {
            self.nodes.remove(&k);
        }
    }

    fn children_keys(&self, key: &str) -> Vec<String> {
        if key.is_empty() {
            return self
                .nodes
                .keys()
                .filter(|k| !k.is_empty())
                .cloned()
                .collect();
        }
        let prefix = format!("{key}/");
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Place `node` at `key`, as extracting it would: anything but a
    /// directory replacing a directory removes what was below it.
    pub(crate) fn insert(&mut self, key: String, node: Node) {
        if node.kind != EntryKind::Dir
            && self
                .nodes
                .get(&key)
                .is_some_and(|n| n.kind == EntryKind::Dir)
        {
            self.remove_children(&key);
        }
        self.nodes.insert(key, node);
    }

    /// The key `path` reaches with symlinks followed in every component
    /// (the last too when `follow_last`), confined to the image the way a
    /// container sees it (`..` stops at the root). None when a component is
    /// missing or the links loop.
    pub(crate) fn resolve(&self, path: &str, follow_last: bool) -> Option<String> {
        let mut todo: Vec<String> = split(path).rev().map(str::to_string).collect();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = todo.pop() {
            if part == ".." {
                done.pop();
                continue;
            }
            let mut candidate = done.clone();
            candidate.push(part);
            let key = candidate.join("/");
            let last = todo.is_empty();
            // Layers need not list parent directories: a missing one is an
            // implicit directory, a missing last component is missing.
            let node = match self.nodes.get(&key) {
                Some(n) => n,
                None if last => return None,
                None => {
                    done = candidate;
                    continue;
                }
            };
            match &node.link {
                Some(target) if node.kind == EntryKind::Symlink && (!last || follow_last) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return None;
                    }
                    if target.starts_with('/') {
                        done.clear();
                    }
                    todo.extend(split(target).rev().map(str::to_string));
                }
                _ => done = candidate,
            }
        }
        Some(done.join("/"))
    }

    /// `path` with symlinks followed in its directories but not in its last
    /// component: where the image really keeps a path a package lists
    /// (`/bin/dash` is `usr/bin/dash` when `/bin` links to `usr/bin`). A
    /// path whose directory does not resolve is returned cleaned.
    pub(crate) fn canonical(&self, path: &str) -> String {
        let clean: Vec<&str> = split(path).collect();
        let Some((last, dirs)) = clean.split_last() else {
            return String::new();
        };
        let dir = dirs.join("/");
        match self.resolve(&dir, true) {
            Some(d) if d.is_empty() => (*last).to_string(),
            Some(d) => format!("{d}/{last}"),
            None => clean.join("/"),
        }
    }
}

/// The components of a path, without empty ones and `.`.
fn split(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|p| !p.is_empty() && *p != ".")
}

/// What a read keeps beyond metadata.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Wanted {
    /// A SHA-256 of every regular file, hashed while it streams past.
    pub digests: bool,
    /// The content of `usr/share/doc/*/copyright` (Debian licences).
    pub licences: bool,
}

impl Wanted {
    /// Whether the content of the file at `key` is kept: the package
    /// databases (dpkg's `status`, `status.d/*`, `info/*.list`; apk's
    /// `installed`; rpm's `rpmdb.sqlite` and container manifests; Chisel's
    /// `manifest.wall`), os-release, the account files, and with
    /// `licences` Debian's copyright files.
    pub(crate) fn content(self, key: &str) -> bool {
        matches!(
            key,
            "var/lib/dpkg/status"
                | "lib/apk/db/installed"
                | "usr/lib/apk/db/installed"
                | "var/lib/rpm/rpmdb.sqlite"
                | "usr/lib/sysimage/rpm/rpmdb.sqlite"
                | "var/lib/rpmmanifest/container-manifest-1"
                | "var/lib/rpmmanifest/container-manifest-2"
                | "var/lib/chisel/manifest.wall"
                | "etc/os-release"
                | "usr/lib/os-release"
                | "etc/passwd"
                | "etc/group"
        ) || key
            .strip_prefix("var/lib/dpkg/status.d/")
            .is_some_and(|rest| !rest.contains('/'))
            || key
                .strip_prefix("var/lib/dpkg/info/")
                .is_some_and(|rest| !rest.contains('/') && rest.ends_with(".list"))
            || (self.licences
                && key
                    .strip_prefix("usr/share/doc/")
                    .and_then(|rest| rest.strip_suffix("/copyright"))
                    .is_some_and(|pkg| !pkg.is_empty() && !pkg.contains('/')))
    }
}

/// `/` + key, the path as users write it.
pub(crate) fn display(key: &str) -> String {
    format!("/{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: EntryKind, link: Option<&str>) -> Node {
        Node {
            kind,
            mode: 0o755,
            uid: 0,
            gid: 0,
            link: link.map(str::to_string),
            hardlink: None,
            size: 0,
            digest: None,
            content: None,
        }
    }

    #[test]
    fn resolves_usrmerge_links_and_stops_at_loops() {
        let mut t = Tree::default();
        t.insert("usr".into(), node(EntryKind::Dir, None));
        t.insert("usr/bin".into(), node(EntryKind::Dir, None));
        t.insert("bin".into(), node(EntryKind::Symlink, Some("usr/bin")));
        t.insert("usr/bin/dash".into(), node(EntryKind::File, None));
        t.insert("usr/bin/sh".into(), node(EntryKind::Symlink, Some("dash")));
        t.insert("loop".into(), node(EntryKind::Symlink, Some("/loop")));
        t.insert(
            "up".into(),
            node(EntryKind::Symlink, Some("../../usr/bin/sh")),
        );
        assert_eq!(t.canonical("/bin/dash"), "usr/bin/dash");
        assert_eq!(t.canonical("/bin/sh"), "usr/bin/sh");
        assert_eq!(t.resolve("/bin/sh", true).as_deref(), Some("usr/bin/dash"));
        assert_eq!(t.resolve("up", true).as_deref(), Some("usr/bin/dash"));
        assert_eq!(t.resolve("loop", true), None);
        assert_eq!(t.resolve("bin/missing", true), None);
    }

    #[test]
    fn a_file_over_a_directory_removes_what_was_below() {
        let mut t = Tree::default();
        t.insert("a".into(), node(EntryKind::Dir, None));
        t.insert("a/b".into(), node(EntryKind::File, None));
        t.insert("ab".into(), node(EntryKind::File, None));
        t.insert("a".into(), node(EntryKind::File, None));
        assert!(t.get("a/b").is_none() && t.get("ab").is_some());
    }

    #[test]
    fn content_kept_only_for_databases_and_accounts() {
        let audit = Wanted::default();
        assert!(audit.content("var/lib/dpkg/status"));
        assert!(audit.content("var/lib/dpkg/status.d/libc6"));
        assert!(audit.content("var/lib/dpkg/info/libc6:amd64.list"));
        assert!(audit.content("var/lib/rpm/rpmdb.sqlite"));
        assert!(!audit.content("var/lib/dpkg/info/libc6.md5sums"));
        assert!(!audit.content("usr/bin/python3"));
        assert!(!audit.content("usr/share/doc/libc6/copyright"));
        let licences = Wanted {
            licences: true,
            ..Wanted::default()
        };
        assert!(licences.content("usr/share/doc/libc6/copyright"));
        assert!(!licences.content("usr/share/doc/libc6/x/copyright"));
    }
}
