//! The checks, over the merged tree and the package database. The rules
//! are stated in the crate documentation; the lists they use are here.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{Database, DbKind};
use crate::report::{OwnerGroup, PathFinding, Program, ScriptOnly, ScriptOnlyReason};
use crate::tree::{display, EntryKind, Node, Tree};

/// Directories whose programs are found on a usual `PATH`.
pub const BIN_DIRS: &[&str] = &[
    "bin",
    "sbin",
    "usr/bin",
    "usr/sbin",
    "usr/local/bin",
    "usr/local/sbin",
];

/// Program names that are command interpreters a user can type into.
pub const SHELLS: &[&str] = &[
    "sh", "bash", "rbash", "dash", "ash", "busybox", "zsh", "ksh", "ksh93", "mksh", "lksh",
    "pdksh", "oksh", "yash", "posh", "csh", "tcsh", "fish",
];

/// Programs that install or remove operating-system packages.
pub const PACKAGE_MANAGERS: &[&str] = &[
    "dpkg", "dpkg-deb", "apt", "apt-get", "aptitude", "apk", "rpm", "dnf", "dnf5", "yum",
    "microdnf", "tdnf", "zypper", "pacman", "opkg",
];

/// Debian packages that exist to serve maintainer scripts (which whittle
/// does not run): account, configuration, alternatives and diversion tools.
pub const DPKG_SCRIPT_HELPERS: &[&str] = &[
    "adduser",
    "debconf",
    "debconf-i18n",
    "debianutils",
    "dpkg",
    "init-system-helpers",
    "install-info",
    "login",
    "lsb-base",
    "passwd",
    "sensible-utils",
    "ucf",
];

/// Trees that hold documentation and package metadata only.
pub const DOC_DIRS: &[&str] = &[
    "usr/share/doc",
    "usr/share/doc-base",
    "usr/share/man",
    "usr/share/info",
    "usr/share/lintian",
    "usr/share/bug",
    "usr/share/gtk-doc",
    "usr/share/help",
    "usr/share/licenses",
];

/// Which packages list each path (keys canonical in the tree).
pub(crate) struct Owners(BTreeMap<String, Vec<String>>);

impl Owners {
    pub(crate) fn new(tree: &Tree, db: &Database) -> Owners {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in &db.packages {
            for f in &p.files {
                let names = map.entry(tree.canonical(f)).or_default();
                if !names.contains(&p.name) {
                    names.push(p.name.clone());
                }
            }
        }
        Owners(map)
    }

    pub(crate) fn of(&self, key: &str) -> Vec<String> {
        self.0.get(key).cloned().unwrap_or_default()
    }
}

/// The file a path runs: itself, or what its symlinks reach; for a hard
/// link, the first name of the inode. None when it is not a regular file.
fn inode(tree: &Tree, key: &str) -> Option<String> {
    let target = tree.resolve(key, true)?;
    let node = tree.get(&target)?;
    if node.kind != EntryKind::File {
        return None;
    }
    Some(node.hardlink.clone().unwrap_or(target))
}

fn in_bin_dir(key: &str) -> Option<&str> {
    let (dir, name) = key.rsplit_once('/')?;
    BIN_DIRS.contains(&dir).then_some(name)
}

/// Shells and package managers, with busybox applet links gathered onto
/// their busybox.
pub(crate) fn programs(tree: &Tree, owners: &Owners) -> (Vec<Program>, Vec<Program>) {
    // Busybox binaries, by inode.
    let busyboxes: BTreeSet<String> = tree
        .iter()
        .filter(|(k, _)| in_bin_dir(k) == Some("busybox"))
        .filter_map(|(k, _)| inode(tree, k))
        .collect();
    let mut applets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut found: Vec<(String, String, &Node, String)> = Vec::new();
    for (key, node) in tree.iter() {
        let Some(name) = in_bin_dir(key) else {
            continue;
        };
        let Some(ino) = inode(tree, key) else {
            continue;
        };
        if name != "busybox" && busyboxes.contains(&ino) {
            applets.entry(ino.clone()).or_default().push(display(key));
        }
        if SHELLS.contains(&name) || PACKAGE_MANAGERS.contains(&name) {
            found.push((key.clone(), name.to_string(), node, ino));
        }
    }
    let mut shells = Vec::new();
    let mut managers = Vec::new();
    for (key, name, node, ino) in found {
        let program = Program {
            path: display(&key),
            target: (ino != key).then(|| display(&ino)),
            applets: if name == "busybox" {
                applets.get(&ino).cloned().unwrap_or_default()
            } else {
                Vec::new()
            },
            kind: node.kind,
            packages: owners.of(&key),
            name,
        };
        if SHELLS.contains(&program.name.as_str()) {
            shells.push(program);
        } else {
            managers.push(program);
        }
    }
    (shells, managers)
}

fn finding(key: &str, node: &Node, owners: &Owners) -> PathFinding {
    PathFinding {
        path: display(key),
        kind: node.kind,
        mode: node.mode,
        uid: node.uid,
        gid: node.gid,
        packages: owners.of(key),
    }
}

/// setuid/setgid regular files; world-writable paths, sticky directories
/// apart; non-root owned paths by owner. Symlinks are never findings:
/// their mode is meaningless and their owner cannot change their target.
pub(crate) struct ModeFindings {
    pub setuid: Vec<PathFinding>,
    pub world_writable: Vec<PathFinding>,
    pub sticky: Vec<PathFinding>,
    pub non_root: Vec<OwnerGroup>,
}

pub(crate) fn modes(tree: &Tree, owners: &Owners) -> ModeFindings {
    let mut out = ModeFindings {
        setuid: Vec::new(),
        world_writable: Vec::new(),
        sticky: Vec::new(),
        non_root: Vec::new(),
    };
    let mut by_owner: BTreeMap<(u64, u64), Vec<PathFinding>> = BTreeMap::new();
    for (key, node) in tree.iter() {
        if node.kind == EntryKind::Symlink {
            continue;
        }
        if node.kind == EntryKind::File && node.mode & 0o6000 != 0 {
            out.setuid.push(finding(key, node, owners));
        }
        if node.mode & 0o002 != 0 && !runtime_device(key, node) {
            if node.kind == EntryKind::Dir && node.mode & 0o1000 != 0 {
                out.sticky.push(finding(key, node, owners));
            } else {
                out.world_writable.push(finding(key, node, owners));
            }
        }
        if node.uid != 0 || node.gid != 0 {
            by_owner
                .entry((node.uid, node.gid))
                .or_default()
                .push(finding(key, node, owners));
        }
    }
    let users = names(tree, "etc/passwd");
    let groups = names(tree, "etc/group");
    out.non_root = by_owner
        .into_iter()
        .map(|((uid, gid), paths)| OwnerGroup {
            uid,
            gid,
            user: users.get(&uid).cloned(),
            group: groups.get(&gid).cloned(),
            paths,
        })
        .collect();
    out
}

/// A device node under `/dev`: container runtimes mount their own `/dev`
/// over the image's, so its nodes (apko writes `/dev/null` 0666) are never
/// what a container opens.
fn runtime_device(key: &str, node: &Node) -> bool {
    matches!(node.kind, EntryKind::CharDevice | EntryKind::BlockDevice) && key.starts_with("dev/")
}

/// `name:x:id:…` lines of `/etc/passwd` or `/etc/group`: id → first name.
fn names(tree: &Tree, key: &str) -> BTreeMap<u64, String> {
    let mut out = BTreeMap::new();
    let Some(text) = tree.get(key).and_then(|n| n.content.as_deref()) else {
        return out;
    };
    for line in String::from_utf8_lossy(text).lines() {
        let mut fields = line.split(':');
        let (Some(name), Some(_), Some(id)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if let Ok(id) = id.trim().parse::<u64>() {
            out.entry(id).or_insert_with(|| name.to_string());
        }
    }
    out
}

fn is_doc(key: &str) -> bool {
    DOC_DIRS
        .iter()
        .any(|d| key == *d || key.strip_prefix(d).is_some_and(|r| r.starts_with('/')))
}

/// Packages present only for their scripts (the rule is in the crate
/// docs). Packages without a file list are not judged; the count of them
/// goes to `notes`.
pub(crate) fn script_only(tree: &Tree, db: &Database, notes: &mut Vec<String>) -> Vec<ScriptOnly> {
    let mut out = Vec::new();
    let mut unlisted = Vec::new();
    for p in &db.packages {
        let dpkg = matches!(p.db, DbKind::Dpkg | DbKind::DpkgStatusD);
        if dpkg && DPKG_SCRIPT_HELPERS.contains(&p.name.as_str()) {
            out.push(ScriptOnly {
                package: p.name.clone(),
                version: p.version.clone(),
                reason: ScriptOnlyReason::ScriptHelper,
                files: present_files(tree, &p.files).len(),
            });
            continue;
        }
        if !p.listed {
            unlisted.push(p.name.as_str());
            continue;
        }
        let present = present_files(tree, &p.files);
        if present.iter().all(|k| is_doc(k)) {
            out.push(ScriptOnly {
                package: p.name.clone(),
                version: p.version.clone(),
                reason: ScriptOnlyReason::NoRuntimeFiles,
                files: present.len(),
            });
        }
    }
    if !unlisted.is_empty() {
        notes.push(format!(
            "{} package(s) have no file list in the database, so whether they are present only for their scripts was not judged: {}",
            unlisted.len(),
            unlisted.join(", ")
        ));
    }
    out
}

/// The listed paths that are in the image as something other than a
/// directory, as tree keys.
fn present_files(tree: &Tree, files: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = files
        .iter()
        .map(|f| tree.canonical(f))
        .filter(|k| tree.get(k).is_some_and(|n| n.kind != EntryKind::Dir))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::is_doc;

    #[test]
    fn doc_trees_are_whole_components() {
        assert!(is_doc("usr/share/doc/libc6/copyright"));
        assert!(is_doc("usr/share/man/man1/ls.1.gz"));
        assert!(!is_doc("usr/share/docker/x"));
        assert!(!is_doc("usr/bin/python3"));
    }
}
