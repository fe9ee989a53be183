//! Paths added, removed and changed between two images' merged file
//! systems. A path changed when its kind, content (SHA-256, hashed while
//! the layers streamed), permission bits, owner or link target differ.

use std::cmp::Ordering;

use serde::Serialize;

use crate::report::octal;
use crate::tree::{display, EntryKind, Node, Tree};

/// How the files of one platform differ.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileChanges {
    /// Only B has them.
    pub added: Vec<FileInfo>,
    /// Only A has them.
    pub removed: Vec<FileInfo>,
    /// Both have them, differently.
    pub changed: Vec<FileChange>,
    /// How many paths both have alike.
    pub unchanged: usize,
}

impl FileChanges {
    /// Whether the two file systems are alike.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// One path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    /// The path (`/usr/bin/python3`).
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// Permission bits, in octal (`0755`).
    #[serde(serialize_with = "octal")]
    pub mode: u32,
    /// Numeric owner.
    pub uid: u64,
    /// Numeric group.
    pub gid: u64,
    /// A regular file's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// A regular file's content digest (`sha256:…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// A symlink's target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// A path both images have, differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// The path.
    pub path: String,
    /// What differs, in this order: kind, content, mode, owner, link.
    pub changes: Vec<FileAspect>,
    /// A's.
    pub old: FileInfo,
    /// B's.
    pub new: FileInfo,
}

/// One way a path can differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileAspect {
    /// File, directory, symlink…
    Kind,
    /// A regular file's bytes.
    Content,
    /// Permission bits (setuid, setgid, sticky included).
    Mode,
    /// uid or gid.
    Owner,
    /// A symlink's target.
    Link,
}

impl FileAspect {
    /// The word for reports.
    pub fn word(self) -> &'static str {
        match self {
            FileAspect::Kind => "kind",
            FileAspect::Content => "content",
            FileAspect::Mode => "mode",
            FileAspect::Owner => "owner",
            FileAspect::Link => "link",
        }
    }
}

/// Compare every path of A's tree with B's (the root excluded).
pub(crate) fn compare(a: &Tree, b: &Tree) -> FileChanges {
    let mut out = FileChanges::default();
    let mut left = a.iter().filter(|(k, _)| !k.is_empty()).peekable();
    let mut right = b.iter().filter(|(k, _)| !k.is_empty()).peekable();
    loop {
        let order = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((ka, _)), Some((kb, _))) => ka.cmp(kb),
        };
        match order {
            Ordering::Less => {
                if let Some((k, n)) = left.next() {
                    out.removed.push(info(k, n));
                }
            }
            Ordering::Greater => {
                if let Some((k, n)) = right.next() {
                    out.added.push(info(k, n));
                }
            }
            Ordering::Equal => {
                if let (Some((k, old)), Some((_, new))) = (left.next(), right.next()) {
                    let changes = aspects(old, new);
                    if changes.is_empty() {
                        out.unchanged += 1;
                    } else {
                        out.changed.push(FileChange {
                            path: display(k),
                            changes,
                            old: info(k, old),
                            new: info(k, new),
                        });
                    }
                }
            }
        }
    }
    out
}

fn aspects(old: &Node, new: &Node) -> Vec<FileAspect> {
    let mut out = Vec::new();
    if old.kind != new.kind {
        out.push(FileAspect::Kind);
    } else if old.kind == EntryKind::File && (old.digest != new.digest || old.size != new.size) {
        out.push(FileAspect::Content);
    }
    if old.mode != new.mode {
        out.push(FileAspect::Mode);
    }
    if (old.uid, old.gid) != (new.uid, new.gid) {
        out.push(FileAspect::Owner);
    }
    if old.kind == new.kind && old.link != new.link {
        out.push(FileAspect::Link);
    }
    out
}

fn info(key: &str, n: &Node) -> FileInfo {
    let file = n.kind == EntryKind::File;
    FileInfo {
        path: display(key),
        kind: n.kind,
        mode: n.mode,
        uid: n.uid,
        gid: n.gid,
        size: file.then_some(n.size),
        digest: n
            .digest
            .filter(|_| file)
            .map(|d| format!("sha256:{}", hex::encode(d))),
        link: n.link.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: EntryKind, mode: u32, digest: u8, link: Option<&str>) -> Node {
        Node {
            kind,
            mode,
            uid: 0,
            gid: 0,
            link: link.map(str::to_string),
            hardlink: None,
            size: 1,
            digest: (kind == EntryKind::File).then_some([digest; 32]),
            content: None,
        }
    }

    #[test]
    fn paths_added_removed_and_changed_by_aspect() {
        let mut a = Tree::default();
        let mut b = Tree::default();
        a.insert(String::new(), node(EntryKind::Dir, 0o755, 0, None));
        a.insert("etc".into(), node(EntryKind::Dir, 0o755, 0, None));
        b.insert("etc".into(), node(EntryKind::Dir, 0o700, 0, None));
        a.insert(
            "bin".into(),
            node(EntryKind::Symlink, 0o777, 0, Some("usr/bin")),
        );
        b.insert(
            "bin".into(),
            node(EntryKind::Symlink, 0o777, 0, Some("usr/sbin")),
        );
        a.insert("gone".into(), node(EntryKind::File, 0o644, 1, None));
        b.insert("new".into(), node(EntryKind::File, 0o644, 1, None));
        a.insert("same".into(), node(EntryKind::File, 0o644, 1, None));
        b.insert("same".into(), node(EntryKind::File, 0o644, 1, None));
        a.insert("x".into(), node(EntryKind::File, 0o644, 1, None));
        b.insert("x".into(), node(EntryKind::File, 0o755, 2, None));
        let d = compare(&a, &b);
        assert_eq!(d.unchanged, 1);
        assert_eq!(d.removed[0].path, "/gone");
        assert_eq!(d.added[0].path, "/new");
        let changed: Vec<(&str, &[FileAspect])> = d
            .changed
            .iter()
            .map(|c| (c.path.as_str(), c.changes.as_slice()))
            .collect();
        assert_eq!(
            changed,
            [
                ("/bin", &[FileAspect::Link][..]),
                ("/etc", &[FileAspect::Mode][..]),
                ("/x", &[FileAspect::Content, FileAspect::Mode][..]),
            ]
        );
    }
}
