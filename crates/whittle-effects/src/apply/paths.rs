//! Effects on paths: directories, links, files, owners, modes, removal.
//!
//! Paths are absolute as the script wrote them; parents go through the
//! tree's own symlinks (`/var/run/x` lands in `/run/x` when `/var/run` links
//! there). Error texts are those of the command that would have failed, so
//! the script report can quote them.

use whittle_rootfs::{Node, NodeKind};

use crate::effect::{FileContent, Who};

use super::Applier;

/// The parent of a tree key (`""` for a top-level entry).
pub(super) fn parent_key(key: &str) -> &str {
    key.rfind('/').map_or("", |i| &key[..i])
}

impl Applier<'_> {
    /// The key `path` resolves to, following a final symlink when `follow`,
    /// and a hard link to the file it shares content with.
    pub(super) fn real_key(&self, path: &str, follow: bool) -> Result<String, String> {
        let key = self
            .root
            .resolve(path, follow)
            .map_err(|e| format!("cannot access '{path}': {e}"))?;
        match self.root.get(&key).map(|n| &n.kind) {
            Some(NodeKind::Hardlink(target)) => Ok(target.clone()),
            _ => Ok(key),
        }
    }

    /// Create the directory at `key` (already resolved, so free of links)
    /// and its missing parents: 0755, root, the build date.
    pub(super) fn ensure_dirs(&mut self, key: &str) -> Result<(), String> {
        let mut cur = String::new();
        for comp in key.split('/').filter(|c| !c.is_empty()) {
            if !cur.is_empty() {
                cur.push('/');
            }
            cur.push_str(comp);
            match self.root.get(&cur) {
                Some(n) if n.is_dir() => {}
                Some(n) if matches!(n.kind, NodeKind::Symlink(_)) => {
                    // A link the resolver kept as a last component: follow it.
                    let target = self.real_key(&cur, true)?;
                    if target != cur {
                        self.ensure_dirs(&target)?;
                    }
                }
                Some(n) => {
                    return Err(format!(
                        "cannot create directory '/{cur}': a {} is in the way",
                        n.kind.word()
                    ))
                }
                None => {
                    self.root
                        .insert(&cur, Node::dir(0o755).at(self.options.epoch))
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(())
    }

    /// Place a regular file at `path` (through a final symlink), creating
    /// missing parents; `(uid, gid)` owns it.
    pub(super) fn write_file_bytes(
        &mut self,
        path: &str,
        bytes: Vec<u8>,
        mode: u32,
        (uid, gid): (u32, u32),
    ) -> Result<(), String> {
        let key = self.real_key(path, true)?;
        if self.root.get(&key).is_some_and(Node::is_dir) {
            return Err(format!("cannot write '{path}': it is a directory"));
        }
        self.ensure_dirs(parent_key(&key))?;
        self.root
            .insert(
                &key,
                Node::file(bytes, mode)
                    .owned(uid, gid)
                    .at(self.options.epoch),
            )
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Resolve an optional owner.
    fn owner_id(&self, who: Option<&Who>) -> Result<Option<u32>, String> {
        who.map(|w| self.user_id(w)).transpose()
    }

    /// Resolve an optional group.
    fn group_id(&self, who: Option<&Who>) -> Result<Option<u32>, String> {
        who.map(|w| self.group_id_of(w)).transpose()
    }

    /// `mkdir [-p]`, `install -d`, tmpfiles `d`.
    pub(super) fn make_directory(
        &mut self,
        path: &str,
        mode: Option<u32>,
        owner: Option<&Who>,
        group: Option<&Who>,
        parents: bool,
    ) -> Result<(), String> {
        let uid = self.owner_id(owner)?;
        let gid = self.group_id(group)?;
        let key = self.real_key(path, true)?;
        let epoch = self.options.epoch;
        match self.root.node_mut(&key) {
            Some(node) if node.is_dir() => {
                if mode.is_some() || uid.is_some() || gid.is_some() {
                    node.mode = mode.map_or(node.mode, |m| m & 0o7777);
                    node.uid = uid.unwrap_or(node.uid);
                    node.gid = gid.unwrap_or(node.gid);
                    node.mtime = epoch;
                }
                Ok(())
            }
            Some(_) => Err(format!("cannot create directory '{path}': File exists")),
            None => {
                let parent = parent_key(&key);
                if !parents
                    && !parent.is_empty()
                    && !self.root.lookup(parent).is_some_and(Node::is_dir)
                {
                    return Err(format!(
                        "cannot create directory '{path}': No such file or directory"
                    ));
                }
                self.ensure_dirs(parent)?;
                let node = Node::dir(mode.unwrap_or(0o755))
                    .owned(uid.unwrap_or(0), gid.unwrap_or(0))
                    .at(epoch);
                self.root
                    .insert(&key, node)
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// `ln -s[f]`, tmpfiles `L`. Missing parents are created.
    pub(super) fn make_symlink(
        &mut self,
        path: &str,
        target: &str,
        replace: bool,
    ) -> Result<(), String> {
        let key = self.real_key(path, false)?;
        if let Some(existing) = self.root.get(&key) {
            if !replace {
                return Ok(());
            }
            if existing.is_dir() && self.root.children(&key).next().is_some() {
                return Err(format!(
                    "cannot overwrite directory '{path}' with a link: it is not empty"
                ));
            }
            self.root.remove(&key);
        }
        self.ensure_dirs(parent_key(&key))?;
        self.root
            .insert(&key, Node::symlink(target).at(self.options.epoch))
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// `cp`, `install`, `touch`, tmpfiles `f`, the recipe's files. Missing
    /// parents are created.
    pub(super) fn make_file(
        &mut self,
        path: &str,
        content: &FileContent,
        mode: Option<u32>,
        owner: Option<&Who>,
        group: Option<&Who>,
        replace: bool,
    ) -> Result<(), String> {
        let uid = self.owner_id(owner)?.unwrap_or(0);
        let gid = self.group_id(group)?.unwrap_or(0);
        let (content, source_mode) = match content {
            FileContent::Bytes(bytes) => (bytes.clone().into(), 0o644),
            FileContent::CopyOf(source) => match self.root.lookup(source) {
                Some(node) => match node.content() {
                    Some(c) => (c.clone(), node.mode),
                    None => return Err(format!("{source} is not a regular file in the image")),
                },
                None => return Err(format!("{source} does not exist in the image")),
            },
        };
        let key = self.real_key(path, true)?;
        if let Some(existing) = self.root.get(&key) {
            if existing.is_dir() {
                return Err(format!("cannot create '{path}': it is a directory"));
            }
            if !replace {
                return Ok(());
            }
        }
        self.ensure_dirs(parent_key(&key))?;
        let node = Node::file(content, mode.unwrap_or(source_mode))
            .owned(uid, gid)
            .at(self.options.epoch);
        self.root
            .insert(&key, node)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// The keys a change to `path` touches: the path itself (through a final
    /// link unless `recursive`, as `chown -R`/`chmod -R` do not follow it)
    /// and, when `recursive`, everything below it.
    fn keys_for(&self, path: &str, recursive: bool) -> Result<Vec<String>, String> {
        let key = self.real_key(path, !recursive)?;
        if self.root.get(&key).is_none() {
            return Err(format!("cannot access '{path}': No such file or directory"));
        }
        let mut keys = vec![key.clone()];
        if recursive {
            keys.extend(self.root.descendants(&key).map(|(k, _)| k.to_string()));
        }
        Ok(keys)
    }

    /// `chown [-R]`, tmpfiles `z`.
    pub(super) fn chown(
        &mut self,
        path: &str,
        owner: Option<&Who>,
        group: Option<&Who>,
        recursive: bool,
    ) -> Result<(), String> {
        let uid = self.owner_id(owner)?;
        let gid = self.group_id(group)?;
        let epoch = self.options.epoch;
        for key in self.keys_for(path, recursive)? {
            if let Some(node) = self.root.node_mut(&key) {
                node.uid = uid.unwrap_or(node.uid);
                node.gid = gid.unwrap_or(node.gid);
                node.mtime = epoch;
            }
        }
        Ok(())
    }

    /// `chmod [-R]` (links met on the way down are skipped, as chmod does).
    pub(super) fn chmod(&mut self, path: &str, mode: u32, recursive: bool) -> Result<(), String> {
        let epoch = self.options.epoch;
        for key in self.keys_for(path, recursive)? {
            if let Some(node) = self.root.node_mut(&key) {
                if matches!(node.kind, NodeKind::Symlink(_)) {
                    continue;
                }
                node.mode = mode & 0o7777;
                node.mtime = epoch;
            }
        }
        Ok(())
    }

    /// `rm [-r]`, `rmdir`. What is absent is fine.
    pub(super) fn remove(&mut self, path: &str, recursive: bool) -> Result<(), String> {
        let Ok(key) = self.root.resolve(path, false) else {
            return Ok(());
        };
        let Some(node) = self.root.get(&key) else {
            return Ok(());
        };
        if key.is_empty() {
            return Err("refusing to remove '/'".to_string());
        }
        if node.is_dir() && !recursive && self.root.children(&key).next().is_some() {
            return Err(format!("cannot remove '{path}': Directory not empty"));
        }
        self.root.remove(&key);
        Ok(())
    }
}
