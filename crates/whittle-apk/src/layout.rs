//! What apk-tools and apko leave in the root besides package files: base
//! directories and device nodes, `etc/apk/*`, the database directories and busybox
//! applet links. It follows apko's `InitDB`/`buildImage` (see `notes/apko.md` §4).
//!
//! # Order of use
//!
//! 1. [`prepare_root`] on the empty tree, before any package is unpacked.
//! 2. Unpack the packages.
//! 3. [`db_dir`] to learn where the database goes, then
//!    [`crate::db::write_installed_db`] there and [`finish_layout`] (in either order).
//!
//! # Where the database lives, and how this differs from apko
//!
//! apko keeps the database in `usr/lib/apk/db` and makes `lib/apk` a symlink to
//! `../usr/lib/apk` (a real `lib` directory holding only that link when no package
//! ships `/lib`). Trivy reads exactly `lib/apk/db/installed` from the layer and does
//! not follow that symlink, so it sees no packages in such an image. whittle
//! therefore turns it around when `/lib` is a real directory (or absent): the
//! database is in a real `lib/apk/db`, as apk-tools itself keeps it, and
//! `usr/lib/apk` is a symlink `../../lib/apk` so apko's path reads the same files.
//! When `/lib` is a symlink to `usr/lib` (Wolfi's merged `/lib`), the database is in
//! `usr/lib/apk/db` and `lib/apk` already resolves there; nothing else is added.
//!
//! Compared with apko's golden image (`shared/fixtures/apk/apko-golden`, checked by
//! `tests/layout.rs`) the non-package paths are the same except for:
//!
//! * `usr/lib/apk/{,db,exec}` are real directories there and `lib/apk` is the link;
//!   here `lib/apk/{,db,exec}` are real and `usr/lib/apk` is the link (above).
//! * apko stamps the files it creates with mtime 0 whatever the build date; here
//!   everything created gets the `epoch` passed in (equal for the golden build, 0).
//! * `etc/apko.json`, `etc/passwd` and `etc/ld.so.cache` come from other modules.
//!
//! If a package left a real `usr/lib/apk` directory in an Alpine-like tree, its
//! entries are moved into `lib/apk` (an entry present in both must be an equal file
//! or a directory in both) before the link replaces it; a relative symlink moved
//! that way keeps its target text unchanged. A `lib/apk` symlink shipped by a
//! package is replaced by the real directory.

use whittle_rootfs::{clean_relative, FsError, Node, NodeKind, RootFs};

/// What [`finish_layout`] writes besides what is already in the tree.
#[derive(Debug, Clone, Copy)]
pub struct ApkLayoutInput<'a> {
    /// The apk architecture, e.g. `x86_64`, written to `etc/apk/arch`.
    pub arch: &'a str,
    /// The keyring: file name (`melange.rsa.pub`) and PEM content, written to
    /// `etc/apk/keys/<name>`.
    pub keys: &'a [(String, Vec<u8>)],
    /// Repositories the image should use at run time, one per line in
    /// `etc/apk/repositories` (build-only repositories do not belong here).
    pub runtime_repositories: &'a [String],
    /// Every installed package and its version, written as sorted `name=version`
    /// lines to `etc/apk/world` (apko pins the whole locked set there).
    pub world: &'a [(String, String)],
    /// Modification time for everything created.
    pub epoch: i64,
}

/// The apk layout could not be created.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// An entry could not be placed in the tree.
    #[error("cannot create /{path} in the image; a package ships something in the way, remove it with a path mutation or drop the package")]
    Fs {
        /// The path being created.
        path: String,
        /// What the tree reported.
        source: FsError,
    },
    /// Something other than the expected kind of entry is at a path apk needs.
    #[error("/{path} must be {wanted} for apk, but the image has a {found} there; remove it with a path mutation or drop the package that ships it")]
    InTheWay {
        /// The path.
        path: String,
        /// What is needed there.
        wanted: &'static str,
        /// What was found.
        found: String,
    },
    /// A keyring file name is not a plain file name.
    #[error("the keyring file name {name:?} cannot be used under /etc/apk/keys; give the key a plain file name such as `wolfi-signing.rsa.pub`")]
    BadKeyName {
        /// The name given.
        name: String,
    },
    /// `usr/lib/apk` and `lib/apk` hold different entries at the same place.
    #[error("/{from} and /{to} both exist and differ, so the apk database directories cannot be merged; remove one of them with a path mutation")]
    MergeConflict {
        /// The entry under `usr/lib/apk`.
        from: String,
        /// The entry under `lib/apk` it collides with.
        to: String,
    },
    /// A busybox applet link could not be created.
    #[error("cannot create the busybox applet link {applet} listed in /{list}; fix or drop the package that ships that list")]
    Applet {
        /// The applet path as listed.
        applet: String,
        /// The list file under `etc/busybox-paths.d`.
        list: String,
        /// What the tree reported.
        source: FsError,
    },
}

/// Directories apko creates before any package: `(path, mode)`.
const BASE_DIRS: &[(&str, u32)] = &[
    ("tmp", 0o1777),
    ("dev", 0o755),
    ("etc", 0o755),
    ("opt", 0o755),
    ("proc", 0o555),
    ("var", 0o755),
    ("usr", 0o755),
    ("etc/apk", 0o755),
    ("etc/apk/keys", 0o755),
    ("var/cache", 0o755),
    ("var/cache/apk", 0o755),
    ("var/cache/misc", 0o755),
];

/// Character devices apko creates: `(path, major, minor, mode)`.
const DEVICES: &[(&str, u32, u32, u32)] = &[
    ("dev/null", 1, 3, 0o666),
    ("dev/zero", 1, 5, 0o666),
    ("dev/random", 1, 8, 0o666),
    ("dev/urandom", 1, 9, 0o666),
    ("dev/console", 5, 1, 0o620),
];

/// Before packages: the base directories apko creates (`tmp` 1777, `dev`, `etc`,
/// `opt`, `proc` 0555, `var`, `usr`, plus `etc/apk{,/keys}` and
/// `var/cache{,/apk,/misc}` from `InitDB`) and the character devices
/// `/dev/{null 1:3, zero 1:5, random 1:8, urandom 1:9}` (0666) and
/// `/dev/console 5:1` (0620), all root-owned with mtime `epoch`.
/// A directory already present is left as it is (a symlink to a directory
/// counts as one); a device node replaces whatever is at its path.
pub fn prepare_root(fs: &mut RootFs, epoch: i64) -> Result<(), LayoutError> {
    for (path, mode) in BASE_DIRS {
        ensure_dir(fs, path, *mode, epoch)?;
    }
    for (path, major, minor, mode) in DEVICES {
        let node = Node::with_kind(
            NodeKind::CharDevice {
                major: *major,
                minor: *minor,
            },
            *mode,
        )
        .at(epoch);
        put(fs, path, node)?;
    }
    Ok(())
}

/// Where the database goes: `usr/lib/apk/db` when `/lib` is a symlink resolving
/// to `usr/lib` (then `lib/apk` already leads there), else `lib/apk/db`, which
/// [`finish_layout`] makes a real directory with `usr/lib/apk -> ../../lib/apk`
/// beside it (see the module docs for why this differs from apko).
/// Call it after every package is in the tree.
pub fn db_dir(fs: &RootFs) -> String {
    let lib_is_link = matches!(fs.get("lib").map(|n| &n.kind), Some(NodeKind::Symlink(_)));
    if lib_is_link && fs.resolve("lib", true).is_ok_and(|k| k == "usr/lib") {
        "usr/lib/apk/db".to_string()
    } else {
        "lib/apk/db".to_string()
    }
}

/// After packages: `etc/apk/world` (sorted `name=version` lines),
/// `etc/apk/repositories` (one per line; `"\n"` when there are none, as apko's
/// `InitDB` leaves it), `etc/apk/arch` (`<arch>\n`) and `etc/apk/keys/<name>`,
/// all 0644; the database directories (`apk`, `apk/db`, `apk/exec` at the place
/// [`db_dir`] picks, and the compatibility symlink); and the busybox applet links:
/// when `bin/busybox` is a file, every line of every file in
/// `etc/busybox-paths.d/` names an absolute path (blank lines and `#` comments are
/// skipped) that becomes a symlink to `/bin/busybox` unless something, even a
/// dangling link, is already there. Returns the number of applet links made.
pub fn finish_layout(fs: &mut RootFs, input: &ApkLayoutInput) -> Result<usize, LayoutError> {
    let epoch = input.epoch;
    ensure_dir(fs, "etc", 0o755, epoch)?;
    ensure_dir(fs, "etc/apk", 0o755, epoch)?;
    ensure_dir(fs, "etc/apk/keys", 0o755, epoch)?;

    let mut world: Vec<String> = input
        .world
        .iter()
        .map(|(name, version)| format!("{name}={version}"))
        .collect();
    world.sort();
    world.dedup();
    put_file(fs, "etc/apk/world", lines(&world), 0o644, epoch)?;
    put_file(
        fs,
        "etc/apk/repositories",
        lines(input.runtime_repositories),
        0o644,
        epoch,
    )?;
    put_file(
        fs,
        "etc/apk/arch",
        format!("{}\n", input.arch),
        0o644,
        epoch,
    )?;
    for (name, content) in input.keys {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
            return Err(LayoutError::BadKeyName { name: name.clone() });
        }
        put(
            fs,
            &format!("etc/apk/keys/{name}"),
            Node::file(content.clone(), 0o644).at(epoch),
        )?;
    }

    make_db_dirs(fs, epoch)?;
    busybox_applets(fs, epoch)
}

/// `items` one per line with a final newline; a lone newline when empty.
fn lines<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::new();
    for item in items {
        out.push_str(item.as_ref());
        out.push('\n');
    }
    if out.is_empty() {
        out.push('\n');
    }
    out
}

fn make_db_dirs(fs: &mut RootFs, epoch: i64) -> Result<(), LayoutError> {
    let db = db_dir(fs);
    let Some(apk) = db.strip_suffix("/db") else {
        return Ok(());
    };
    if apk == "usr/lib/apk" {
        ensure_dir(fs, "usr", 0o755, epoch)?;
        ensure_dir(fs, "usr/lib", 0o755, epoch)?;
        for dir in ["usr/lib/apk", "usr/lib/apk/db", "usr/lib/apk/exec"] {
            ensure_dir(fs, dir, 0o755, epoch)?;
        }
        return Ok(());
    }

    // Alpine-like: a real lib/apk, with usr/lib/apk pointing at it.
    if matches!(
        fs.get("lib/apk").map(|n| &n.kind),
        Some(NodeKind::Symlink(_))
    ) {
        fs.remove("lib/apk");
    }
    ensure_dir(fs, "lib", 0o755, epoch)?;
    for dir in ["lib/apk", "lib/apk/db", "lib/apk/exec"] {
        ensure_dir(fs, dir, 0o755, epoch)?;
    }
    let lib_apk = resolve(fs, "lib/apk", false)?;
    let usr_apk = resolve(fs, "usr/lib/apk", false)?;
    if usr_apk == lib_apk {
        return Ok(()); // usr/lib leads to lib already
    }
    match fs.get(&usr_apk).map(|n| n.kind.clone()) {
        None => {}
        Some(NodeKind::Dir) => {
            merge_into(fs, &usr_apk, &lib_apk)?;
            fs.remove(&usr_apk);
        }
        Some(NodeKind::Symlink(_)) if resolve(fs, "usr/lib/apk", true)? == lib_apk => {
            return Ok(());
        }
        Some(other) => {
            return Err(LayoutError::InTheWay {
                path: usr_apk,
                wanted: "a directory or a symlink to /lib/apk",
                found: other.word().to_string(),
            })
        }
    }
    ensure_dir(fs, "usr", 0o755, epoch)?;
    ensure_dir(fs, "usr/lib", 0o755, epoch)?;
    put(fs, "usr/lib/apk", Node::symlink("../../lib/apk").at(epoch))?;
    Ok(())
}

/// Move everything below `from` to the same place below `to`.
fn merge_into(fs: &mut RootFs, from: &str, to: &str) -> Result<(), LayoutError> {
    let prefix = format!("{from}/");
    let entries: Vec<(String, Node)> = fs
        .descendants(from)
        .map(|(k, n)| (k.to_string(), n.clone()))
        .collect();
    let mut hardlinks = Vec::new();
    for (key, node) in entries {
        let rel = key.strip_prefix(&prefix).unwrap_or(&key);
        let target = format!("{to}/{rel}");
        if let Some(existing) = fs.get(&target) {
            let same = match (&existing.kind, &node.kind) {
                (NodeKind::Dir, NodeKind::Dir) => true,
                (a, b) => a == b,
            };
            if same {
                continue;
            }
            return Err(LayoutError::MergeConflict {
                from: key,
                to: target,
            });
        }
        match &node.kind {
            NodeKind::Hardlink(link) => {
                let link = match link.strip_prefix(&prefix) {
                    Some(rest) => format!("{to}/{rest}"),
                    None => link.clone(),
                };
                hardlinks.push((
                    target,
                    Node {
                        kind: NodeKind::Hardlink(link),
                        ..node
                    },
                ));
            }
            _ => put(fs, &target, node)?,
        }
    }
    for (target, node) in hardlinks {
        put(fs, &target, node)?;
    }
    Ok(())
}

fn busybox_applets(fs: &mut RootFs, epoch: i64) -> Result<usize, LayoutError> {
    if !matches!(
        fs.lookup("bin/busybox").map(|n| &n.kind),
        Some(NodeKind::File(_))
    ) {
        return Ok(0);
    }
    let Ok(dir) = fs.resolve("etc/busybox-paths.d", true) else {
        return Ok(0);
    };
    if !fs.get(&dir).is_some_and(Node::is_dir) {
        return Ok(0);
    }
    let lists: Vec<(String, String)> = fs
        .children(&dir)
        .filter_map(|(key, _)| {
            let content = fs.read_file(key)?;
            Some((
                key.to_string(),
                String::from_utf8_lossy(&content).into_owned(),
            ))
        })
        .collect();
    let mut made = 0;
    for (list, content) in lists {
        for line in content.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let path = clean_relative(line);
            if path.is_empty() || fs.exists(&path) {
                continue;
            }
            fs.insert(&path, Node::symlink("/bin/busybox").at(epoch))
                .map_err(|source| LayoutError::Applet {
                    applet: line.to_string(),
                    list: list.clone(),
                    source,
                })?;
            made += 1;
        }
    }
    Ok(made)
}

/// Create a directory unless a directory (or a link to one) is already there.
fn ensure_dir(fs: &mut RootFs, path: &str, mode: u32, epoch: i64) -> Result<(), LayoutError> {
    match fs.lookup(path) {
        Some(n) if n.is_dir() => Ok(()),
        None if !fs.exists(path) => put(fs, path, Node::dir(mode).at(epoch)),
        _ => Err(LayoutError::InTheWay {
            path: clean_relative(path),
            wanted: "a directory",
            found: fs
                .get(path)
                .map_or("dangling symlink", |n| n.kind.word())
                .to_string(),
        }),
    }
}

fn put_file(
    fs: &mut RootFs,
    path: &str,
    content: String,
    mode: u32,
    epoch: i64,
) -> Result<(), LayoutError> {
    put(fs, path, Node::file(content.into_bytes(), mode).at(epoch))
}

fn put(fs: &mut RootFs, path: &str, node: Node) -> Result<(), LayoutError> {
    fs.insert(path, node)
        .map(|_| ())
        .map_err(|source| LayoutError::Fs {
            path: path.to_string(),
            source,
        })
}

fn resolve(fs: &RootFs, path: &str, follow: bool) -> Result<String, LayoutError> {
    fs.resolve(path, follow).map_err(|source| LayoutError::Fs {
        path: path.to_string(),
        source,
    })
}
