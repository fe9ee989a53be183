//! The tree itself: insertion and lookup with chroot-style path resolution.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::content::Content;
use crate::error::FsError;
use crate::node::{Node, NodeKind};
use crate::path::components;

/// How many symbolic links one lookup may pass through, as Linux allows.
const MAX_SYMLINK_HOPS: usize = 40;

/// An in-memory root filesystem. Keys are clean relative paths (`usr/bin`);
/// the root directory itself has the key `""`.
#[derive(Debug, Clone)]
pub struct RootFs {
    nodes: BTreeMap<String, Node>,
}

impl Default for RootFs {
    fn default() -> Self {
        RootFs::new()
    }
}

impl RootFs {
    /// An empty tree holding only the root directory (0755, root-owned).
    pub fn new() -> RootFs {
        let mut nodes = BTreeMap::new();
        nodes.insert(String::new(), Node::dir(0o755));
        RootFs { nodes }
    }

    /// Place `node` at `path`, creating missing parent directories
    /// (0755, root-owned, time 0) and following symlinks in the parents
    /// inside the tree. The last component is not followed, except that a
    /// directory placed over a symlink to a directory leaves the link (as
    /// dpkg does on merged-/usr systems). Returns the key it was stored at.
    pub fn insert(&mut self, path: &str, node: Node) -> Result<String, FsError> {
        let (parent, name) = self.resolve_parent(path, true)?;
        let key = join(&parent, &name);
        if let NodeKind::Hardlink(target) = &node.kind {
            let target = self.resolve(target, false)?;
            if !matches!(
                self.nodes.get(&target).map(|n| &n.kind),
                Some(NodeKind::File(_))
            ) {
                return Err(FsError::BadHardlink { path: key, target });
            }
            let node = Node {
                kind: NodeKind::Hardlink(target),
                ..node
            };
            return self.place(key, node);
        }
        self.place(key, node)
    }

    fn place(&mut self, key: String, node: Node) -> Result<String, FsError> {
        match self.nodes.get(&key) {
            Some(existing) if existing.is_dir() && node.is_dir() => {
                // Re-declaring a directory updates its metadata.
                self.nodes.insert(key.clone(), node);
            }
            Some(existing) if existing.is_dir() => {
                if self.children(&key).next().is_some() {
                    return Err(FsError::ReplacesDirectory {
                        path: key,
                        kind: node.kind.word(),
                    });
                }
                self.nodes.insert(key.clone(), node);
            }
            Some(Node {
                kind: NodeKind::Symlink(_),
                ..
            }) if node.is_dir() && self.is_dir_following(&key) => {}
            _ => {
                self.nodes.insert(key.clone(), node);
            }
        }
        Ok(key)
    }

    fn is_dir_following(&self, key: &str) -> bool {
        self.resolve(key, true)
            .ok()
            .and_then(|k| self.nodes.get(&k))
            .is_some_and(Node::is_dir)
    }

    /// Resolve `path` to its key in the tree, following symlinks inside the
    /// root; the last component is followed only when `follow_last` is set.
    /// Missing components are allowed (the key is where they would be).
    pub fn resolve(&self, path: &str, follow_last: bool) -> Result<String, FsError> {
        let mut probe = self.clone_shallow();
        let (parent, name) = probe.resolve_parent_inner(path, false, follow_last)?;
        Ok(join(&parent, &name))
    }

    /// The node at `path`, not following a final symlink.
    pub fn get(&self, path: &str) -> Option<&Node> {
        let key = self.resolve(path, false).ok()?;
        self.nodes.get(&key)
    }

    /// The node at `path` after following symlinks (and hard links).
    pub fn lookup(&self, path: &str) -> Option<&Node> {
        let key = self.resolve(path, true).ok()?;
        let node = self.nodes.get(&key)?;
        match &node.kind {
            NodeKind::Hardlink(target) => self.nodes.get(target),
            _ => Some(node),
        }
    }

    /// The content of the regular file at `path`, following links.
    pub fn file_content(&self, path: &str) -> Option<&Content> {
        self.lookup(path).and_then(Node::content)
    }

    /// The bytes of the regular file at `path`, following links: for
    /// small files (configuration, account databases, certificates). A
    /// spilled file that cannot be read back counts as absent; stream large
    /// ones through [`RootFs::file_content`] instead.
    pub fn read_file(&self, path: &str) -> Option<Cow<'_, [u8]>> {
        self.file_content(path)?.view().ok()
    }

    /// Whether anything (even a dangling symlink) is at `path`.
    pub fn exists(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// Remove the entry at `path` (not following a final symlink) and,
    /// for a directory, everything below it. Returns whether anything went.
    pub fn remove(&mut self, path: &str) -> bool {
        let Ok(key) = self.resolve(path, false) else {
            return false;
        };
        if key.is_empty() {
            return false;
        }
        let below: Vec<String> = self.descendants(&key).map(|(k, _)| k.to_string()).collect();
        for k in below {
            self.nodes.remove(&k);
        }
        self.nodes.remove(&key).is_some()
    }

    /// Mutable access to the node stored at exactly `key` (a resolved key).
    pub fn node_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.nodes.get_mut(key)
    }

    /// Every entry, sorted by key; the root directory comes first as `""`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Every entry below the directory `key` (exclusive), sorted.
    pub fn descendants<'a>(&'a self, key: &str) -> impl Iterator<Item = (&'a str, &'a Node)> {
        let prefix = if key.is_empty() {
            String::new()
        } else {
            format!("{key}/")
        };
        self.nodes
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The direct children of the directory `key`.
    pub fn children<'a>(&'a self, key: &'a str) -> impl Iterator<Item = (&'a str, &'a Node)> {
        let depth = if key.is_empty() {
            0
        } else {
            key.matches('/').count() + 1
        };
        self.descendants(key)
            .filter(move |(k, _)| k.matches('/').count() == depth)
    }

    /// Number of entries, the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether only the root is present.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// Lower every modification time newer than `epoch` to `epoch`.
    pub fn clamp_mtimes(&mut self, epoch: i64) {
        for node in self.nodes.values_mut() {
            node.mtime = node.mtime.min(epoch);
        }
    }

    /// The newest modification time in the tree (0 when empty).
    pub fn newest_mtime(&self) -> i64 {
        self.nodes.values().map(|n| n.mtime).max().unwrap_or(0)
    }

    pub(crate) fn node_map(&self) -> &BTreeMap<String, Node> {
        &self.nodes
    }

    /// A view for read-only resolution (shares nothing mutable).
    fn clone_shallow(&self) -> Resolver<'_> {
        Resolver { fs: self }
    }

    fn resolve_parent(&mut self, path: &str, create: bool) -> Result<(String, String), FsError> {
        let (parent, name) = Resolver { fs: self }.resolve_parent_inner(path, true, false)?;
        if create {
            self.create_dirs(&parent, path)?;
        }
        Ok((parent, name))
    }

    /// Create every missing directory on the way to `key` (already resolved).
    fn create_dirs(&mut self, key: &str, wanted: &str) -> Result<(), FsError> {
        let mut cur = String::new();
        for c in components(key) {
            cur = join(&cur, c);
            match self.nodes.get(&cur) {
                None => {
                    self.nodes.insert(cur.clone(), Node::dir(0o755));
                }
                Some(n) if n.is_dir() => {}
                Some(_) => {
                    return Err(FsError::NotADirectory {
                        path: cur,
                        wanted: wanted.trim_start_matches('/').to_string(),
                    })
                }
            }
        }
        Ok(())
    }
}

/// Path resolution over a borrowed tree.
struct Resolver<'a> {
    fs: &'a RootFs,
}

impl Resolver<'_> {
    /// Resolve all but the last component (or all, with `follow_last`),
    /// returning the parent key and the final name. Missing parents are
    /// fine when `allow_missing` is set: they will be created.
    fn resolve_parent_inner(
        &mut self,
        path: &str,
        allow_missing: bool,
        follow_last: bool,
    ) -> Result<(String, String), FsError> {
        let mut pending: Vec<String> = components(path).rev().map(str::to_string).collect();
        let mut cur = String::new();
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                cur = parent_of(&cur).to_string();
                if pending.is_empty() {
                    return split_last(&cur, path);
                }
                continue;
            }
            let next = join(&cur, &comp);
            let last = pending.is_empty();
            match self.fs.nodes.get(&next).map(|n| &n.kind) {
                Some(NodeKind::Symlink(target)) if !last || follow_last => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(FsError::SymlinkLoop {
                            path: path.trim_start_matches('/').to_string(),
                        });
                    }
                    if target.starts_with('/') {
                        cur = String::new();
                    }
                    pending.extend(components(target).rev().map(str::to_string));
                    if pending.is_empty() {
                        // A link to "/" or ".": the name is where it points.
                        return split_last(&cur, path);
                    }
                }
                _ if last => return Ok((cur, comp)),
                Some(NodeKind::Dir) => cur = next,
                None if allow_missing => cur = next,
                None => cur = next,
                Some(_) => {
                    return Err(FsError::NotADirectory {
                        path: next,
                        wanted: path.trim_start_matches('/').to_string(),
                    })
                }
            }
        }
        split_last(&cur, path)
    }
}

fn split_last(key: &str, path: &str) -> Result<(String, String), FsError> {
    if key.is_empty() {
        return Err(FsError::EmptyPath(path.to_string()));
    }
    Ok((
        parent_of(key).to_string(),
        key.rsplit('/').next().unwrap_or(key).to_string(),
    ))
}

fn parent_of(key: &str) -> &str {
    key.rfind('/').map_or("", |i| &key[..i])
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}
