//! The recipe's `paths:` entries, applied after every package is in place
//! (apko's semantics: directory, empty-file, symlink, hardlink, permissions;
//! whittle's own `file`, with contents).

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
        PathMutation::File {
            path,
            content,
            uid,
            gid,
            permissions,
        } => {
            // Replaces a file or link there; a directory, even empty, is
            // not silently turned into a file.
            if root.get(path).is_some_and(Node::is_dir) {
                return Err(format!(
                    "{path} is a directory in the image, so a file cannot be written there"
                ));
            }
            insert(
                root,
                path,
                Node::file(content.clone().into_bytes(), *permissions)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &str) -> PathMutation {
        PathMutation::File {
            path: path.into(),
            content: content.into(),
            uid: 65532,
            gid: 65533,
            permissions: 0o640,
        }
    }

    #[test]
    fn file_is_written_with_owner_mode_and_parents() {
        let mut root = RootFs::new();
        apply_paths(
            &mut root,
            &[file("/etc/app/conf.d/app.conf", "listen 80\n")],
            1234,
        )
        .unwrap();
        let node = root.get("/etc/app/conf.d/app.conf").unwrap();
        assert_eq!(
            root.read_file("/etc/app/conf.d/app.conf").unwrap().as_ref(),
            b"listen 80\n"
        );
        assert_eq!(
            (node.uid, node.gid, node.mode, node.mtime),
            (65532, 65533, 0o640, 1234)
        );
        let parent = root.get("/etc/app/conf.d").unwrap();
        assert!(parent.is_dir());
        assert_eq!((parent.uid, parent.gid, parent.mode), (0, 0, 0o755));
    }

    #[test]
    fn file_replaces_a_file_or_link_but_not_a_directory() {
        let mut root = RootFs::new();
        root.insert("/etc/old", Node::file(b"old".to_vec(), 0o600))
            .unwrap();
        root.insert("/etc/link", Node::symlink("/etc/old")).unwrap();
        root.insert("/etc/dir", Node::dir(0o755)).unwrap();
        apply_paths(
            &mut root,
            &[file("/etc/old", "new"), file("/etc/link", "own")],
            0,
        )
        .unwrap();
        assert_eq!(root.read_file("/etc/old").unwrap().as_ref(), b"new");
        assert_eq!(root.get("/etc/old").unwrap().mode, 0o640);
        assert_eq!(root.read_file("/etc/link").unwrap().as_ref(), b"own");
        assert!(matches!(
            root.get("/etc/link").unwrap().kind,
            NodeKind::File(_)
        ));

        let err = apply_paths(&mut root, &[file("/etc/dir", "x")], 0).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("paths: /etc/dir: /etc/dir is a directory in the image, so a file cannot be written there"), "{msg}");
        assert!(root.get("/etc/dir").unwrap().is_dir());
    }
}
