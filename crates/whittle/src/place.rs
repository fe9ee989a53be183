//! Placing unpacked packages in the tree: the one file-conflict rule every
//! world shares, and owner names mapped through the image's accounts.
//!
//! A file another package already placed may only be overwritten when the
//! two share an origin (source package), one replaces the other (dpkg's and
//! apk-tools' rule), or the two files are byte-identical with the same
//! mode (RPM and sliced packages share files that way).

use std::collections::HashMap;

use whittle_rootfs::accounts::AccountIds;
use whittle_rootfs::unpack::OwnerNames;
use whittle_rootfs::{Node, NodeKind, RootFs};
use whittle_world::{Installed, Unpacked};

use crate::error::BuildError;

/// A placed entry whose archive named its owner.
#[derive(Debug, Clone)]
pub struct NamedOwner {
    /// Its key in the tree.
    pub key: String,
    /// The names.
    pub names: OwnerNames,
}

/// Places packages one after another and remembers who placed what.
pub struct Placer {
    root: RootFs,
    installed: Vec<Installed>,
    /// Non-directory key → index of the package that placed it.
    owners: HashMap<String, usize>,
    named: Vec<NamedOwner>,
}

impl Placer {
    /// Start from the world's base tree.
    pub fn new(root: RootFs) -> Placer {
        Placer {
            root,
            installed: Vec::new(),
            owners: HashMap::new(),
            named: Vec::new(),
        }
    }

    /// The tree, the packages in order, and the entries with owner names.
    pub fn finish(self) -> (RootFs, Vec<Installed>, Vec<NamedOwner>) {
        (self.root, self.installed, self.named)
    }

    /// Place one package's entries; hard links are resolved against the
    /// tree as it is at that point (their targets come earlier in the
    /// archive).
    pub fn place(&mut self, pkg: Unpacked) -> Result<(), BuildError> {
        let me = self.installed.len();
        let mut paths = Vec::with_capacity(pkg.entries.len());
        let mut keys = Vec::with_capacity(pkg.entries.len());
        for entry in pkg.entries {
            let is_link = matches!(entry.node.kind, NodeKind::Hardlink(_));
            let is_dir = entry.node.is_dir();
            if !is_dir && self.identical_elsewhere(&entry.path, &entry.node, &pkg.record)? {
                // Same bytes already there: the path is this package's too.
                if let Ok(key) = self.root.resolve(&entry.path, false) {
                    paths.push(format!("/{}", entry.path));
                    keys.push(key);
                }
                continue;
            }
            let key = self
                .root
                .insert(&entry.path, entry.node)
                .map_err(|source| BuildError::Place {
                    package: pkg.record.label(),
                    path: entry.path.clone(),
                    source,
                })?;
            if !is_dir {
                self.owners.insert(key.clone(), me);
            }
            if let Some(names) = entry.owner_names {
                self.named.push(NamedOwner {
                    key: key.clone(),
                    names,
                });
            }
            if !is_link || !key.is_empty() {
                paths.push(format!("/{}", entry.path));
                keys.push(key);
            }
        }
        self.installed.push(Installed {
            record: pkg.record,
            paths,
            keys,
            payload: pkg.payload,
        });
        Ok(())
    }

    /// Whether `path` already holds, from another package, a file that
    /// `record` may not overwrite: an error, unless the two are identical
    /// (then `true`: leave it). `false` when `record` may place its own.
    fn identical_elsewhere(
        &self,
        path: &str,
        node: &Node,
        record: &whittle_model::PackageRecord,
    ) -> Result<bool, BuildError> {
        let Ok(key) = self.root.resolve(path, false) else {
            return Ok(false);
        };
        let Some(other) = self.owners.get(&key).and_then(|&i| self.installed.get(i)) else {
            return Ok(false);
        };
        let theirs = &other.record;
        let same_origin = theirs.source_name() == record.source_name();
        let replaces =
            record.replaces.contains(&theirs.name) || theirs.replaces.contains(&record.name);
        if same_origin || replaces || theirs.name == record.name {
            return Ok(false);
        }
        let identical = self
            .root
            .get(&key)
            .is_some_and(|existing| same_file(existing, node));
        if identical {
            return Ok(true);
        }
        Err(BuildError::FileConflict {
            path: key,
            package: record.label(),
            owner: theirs.label(),
        })
    }
}

/// Same kind, content (or link target) and mode.
fn same_file(a: &Node, b: &Node) -> bool {
    a.mode == b.mode
        && match (&a.kind, &b.kind) {
            (NodeKind::File(x), NodeKind::File(y)) => x == y,
            (NodeKind::Symlink(x), NodeKind::Symlink(y)) => x == y,
            _ => false,
        }
}

/// Give entries whose archive named their owner the ids the image's own
/// `/etc/passwd` and `/etc/group` define for those names, as dpkg and
/// apk-tools do; names the image does not know keep the archive's ids.
/// Returns how many entries changed.
pub fn map_owner_names(root: &mut RootFs, named: &[NamedOwner]) -> usize {
    if named.is_empty() {
        return 0;
    }
    let ids = AccountIds::from_tree(root);
    let mut changed = 0;
    for n in named {
        let uid = ids.user(&n.names.user).map(|(uid, _)| uid);
        let gid = ids.group(&n.names.group);
        if let Some(node) = root.node_mut(&n.key) {
            let before = (node.uid, node.gid);
            node.uid = uid.unwrap_or(node.uid);
            node.gid = gid.unwrap_or(node.gid);
            changed += usize::from(before != (node.uid, node.gid));
        }
    }
    changed
}
