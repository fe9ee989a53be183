//! The recipe's `paths:` entries, applied after every package is in place
//! (apko's semantics: directory, empty-file, symlink, hardlink, permissions).

use whittle_recipe::PathMutation;
use whittle_rootfs::{Node, NodeKind, RootFs};

use crate::error::BuildError;

/// Apply each mutation in recipe order; generated entries get time `epoch`.
pub fn apply_paths(
    root: &mut RootFs,
    paths: &[PathMutation],
    epoch: i64,
) -> Result<(), BuildError> {
    for m in paths {
        apply_one(root, m, epoch).map_err(|message| BuildError::PathMutation {
            path: m.path().to_string(),
            message,
        })?;
    }
    Ok(())
}

fn apply_one(root: &mut RootFs, m: &PathMutation, epoch: i64) -> Result<(), String> {
    match m {
        PathMutation::Directory {
            path,
            uid,
            gid,
            permissions,
            recursive,
        } => {
            let key = insert(
                root,
                path,
                Node::dir(*permissions).owned(*uid, *gid).at(epoch),
            )?;
            if *recursive {
                set_below(root, &key, Some(*permissions), Some(*uid), Some(*gid));
            }
        }
        PathMutation::EmptyFile {
            path,
            uid,
            gid,
            permissions,
        } => {
            insert(
                root,
                path,
                Node::file(Vec::new(), *permissions)
                    .owned(*uid, *gid)
                    .at(epoch),
            )?;
        }
        PathMutation::Symlink {
            path,
            source,
            uid,
            gid,
        } => {
            insert(
                root,
                path,
                Node::symlink(source.clone()).owned(*uid, *gid).at(epoch),
            )?;
        }
        PathMutation::Hardlink { path, source } => {
            let target = root
                .lookup(source)
                .ok_or_else(|| {
                    format!("the hard link's source {source} does not exist in the image")
                })?
                .clone();
            let node = Node {
                kind: NodeKind::Hardlink(source.clone()),
                ..target
            };
            insert(root, path, node)?;
        }
        PathMutation::Permissions {
            path,
            permissions,
            uid,
            gid,
            recursive,
        } => {
            let key = root.resolve(path, true).map_err(|e| e.to_string())?;
            let node = root
                .node_mut(&key)
                .ok_or_else(|| "the path does not exist in the image".to_string())?;
            node.mode = *permissions & 0o7777;
            node.uid = uid.unwrap_or(node.uid);
            node.gid = gid.unwrap_or(node.gid);
            if *recursive {
                set_below(root, &key, Some(*permissions), *uid, *gid);
            }
        }
    }
    Ok(())
}

fn insert(root: &mut RootFs, path: &str, node: Node) -> Result<String, String> {
    root.insert(path, node).map_err(|e| e.to_string())
}

/// Set mode and owner on everything below `key` (links keep their mode).
fn set_below(root: &mut RootFs, key: &str, mode: Option<u32>, uid: Option<u32>, gid: Option<u32>) {
    let below: Vec<String> = root.descendants(key).map(|(k, _)| k.to_string()).collect();
    for k in below {
        if let Some(node) = root.node_mut(&k) {
            if let Some(mode) = mode {
                if !matches!(node.kind, NodeKind::Symlink(_)) {
                    node.mode = mode & 0o7777;
                }
            }
            node.uid = uid.unwrap_or(node.uid);
            node.gid = gid.unwrap_or(node.gid);
        }
    }
}
