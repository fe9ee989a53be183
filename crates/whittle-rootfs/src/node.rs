//! One entry of the tree: its kind, permissions, owner and time.

use std::collections::BTreeMap;

use crate::content::Content;

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A directory.
    Dir,
    /// A regular file and its content (in memory or spilled to disk).
    File(Content),
    /// A symbolic link and its target as written (relative or absolute).
    Symlink(String),
    /// A hard link to another regular file, by its canonical path in the tree.
    Hardlink(String),
    /// A character device.
    CharDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A named pipe.
    Fifo,
}

impl NodeKind {
    /// A short word for messages.
    pub fn word(&self) -> &'static str {
        match self {
            NodeKind::Dir => "directory",
            NodeKind::File(_) => "file",
            NodeKind::Symlink(_) => "symlink",
            NodeKind::Hardlink(_) => "hard link",
            NodeKind::CharDevice { .. } => "character device",
            NodeKind::Fifo => "fifo",
        }
    }
}

/// An entry with its metadata. Owners are numeric; there are no names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// What the entry is.
    pub kind: NodeKind,
    /// Permission bits including setuid/setgid/sticky (`0o7777` mask).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Extended attributes by name (`security.capability` holds a file's
    /// capabilities), written to layers as `SCHILY.xattr.*` PAX records.
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

impl Node {
    /// A root-owned directory.
    pub fn dir(mode: u32) -> Node {
        Node::with_kind(NodeKind::Dir, mode)
    }

    /// A root-owned regular file.
    pub fn file(content: impl Into<Content>, mode: u32) -> Node {
        Node::with_kind(NodeKind::File(content.into()), mode)
    }

    /// A root-owned symbolic link (mode 0777, as links always are).
    pub fn symlink(target: impl Into<String>) -> Node {
        Node::with_kind(NodeKind::Symlink(target.into()), 0o777)
    }

    /// A node of any kind, root-owned, time 0.
    pub fn with_kind(kind: NodeKind, mode: u32) -> Node {
        Node {
            kind,
            mode: mode & 0o7777,
            uid: 0,
            gid: 0,
            mtime: 0,
            xattrs: BTreeMap::new(),
        }
    }

    /// Set the owner.
    #[must_use]
    pub fn owned(mut self, uid: u32, gid: u32) -> Node {
        self.uid = uid;
        self.gid = gid;
        self
    }

    /// Set the modification time.
    #[must_use]
    pub fn at(mut self, mtime: i64) -> Node {
        self.mtime = mtime;
        self
    }

    /// Set an extended attribute.
    #[must_use]
    pub fn xattr(mut self, name: impl Into<String>, value: Vec<u8>) -> Node {
        self.xattrs.insert(name.into(), value);
        self
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, NodeKind::Dir)
    }

    /// File content, for regular files.
    pub fn content(&self) -> Option<&Content> {
        match &self.kind {
            NodeKind::File(c) => Some(c),
            _ => None,
        }
    }
}
