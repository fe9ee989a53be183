//! The apk root layout: synthetic Wolfi-like and Alpine-like trees, and apko's
//! golden image.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "db_common.rs"]
mod db_common;

use std::collections::BTreeMap;
use std::io::Read;

use whittle_apk::db::write_installed_db;
use whittle_apk::layout::{db_dir, finish_layout, prepare_root, ApkLayoutInput, LayoutError};
use whittle_rootfs::{Node, NodeKind, RootFs};
use whittle_test_env::fixtures;

fn key() -> (String, Vec<u8>) {
    let content = fs_err::read(fixtures::path("apk/melange-rsa256-repo/melange.rsa.pub")).unwrap();
    ("melange.rsa.pub".to_string(), content)
}

fn finish(fs: &mut RootFs, world: &[(String, String)]) -> usize {
    let keys = [key()];
    let repos = ["https://wolfi.mirror.invalid/os".to_string()];
    finish_layout(
        fs,
        &ApkLayoutInput {
            arch: "x86_64",
            keys: &keys,
            runtime_repositories: &repos,
            world,
            epoch: 7,
        },
    )
    .unwrap()
}

fn kind(fs: &RootFs, path: &str) -> Option<NodeKind> {
    fs.get(path).map(|n| n.kind.clone())
}

fn wolfi_like() -> RootFs {
    let mut fs = RootFs::new();
    prepare_root(&mut fs, 7).unwrap();
    fs.insert("usr/lib/libc.so.6", Node::file(b"elf".to_vec(), 0o755))
        .unwrap();
    fs.insert("lib", Node::symlink("usr/lib")).unwrap();
    fs
}

fn alpine_like() -> RootFs {
    let mut fs = RootFs::new();
    prepare_root(&mut fs, 7).unwrap();
    fs.insert(
        "lib/ld-musl-x86_64.so.1",
        Node::file(b"elf".to_vec(), 0o755),
    )
    .unwrap();
    fs
}

#[test]
fn devices_and_base_directories() {
    let mut fs = RootFs::new();
    prepare_root(&mut fs, 7).unwrap();
    for (path, major, minor, mode) in [
        ("dev/null", 1, 3, 0o666),
        ("dev/zero", 1, 5, 0o666),
        ("dev/random", 1, 8, 0o666),
        ("dev/urandom", 1, 9, 0o666),
        ("dev/console", 5, 1, 0o620),
    ] {
        let node = fs.get(path).unwrap();
        assert_eq!(node.kind, NodeKind::CharDevice { major, minor }, "{path}");
        assert_eq!((node.mode, node.uid, node.gid, node.mtime), (mode, 0, 0, 7));
    }
    for (path, mode) in [
        ("tmp", 0o1777),
        ("dev", 0o755),
        ("etc", 0o755),
        ("opt", 0o755),
        ("proc", 0o555),
        ("var", 0o755),
        ("usr", 0o755),
        ("etc/apk/keys", 0o755),
        ("var/cache/apk", 0o755),
        ("var/cache/misc", 0o755),
    ] {
        let node = fs.get(path).unwrap();
        assert!(node.is_dir(), "{path}");
        assert_eq!((node.mode, node.mtime), (mode, 7), "{path}");
    }
    // Nothing about lib yet: that depends on the packages.
    assert!(!fs.exists("lib"));
}

#[test]
fn wolfi_like_tree_keeps_the_database_in_usr_lib() {
    let mut fs = wolfi_like();
    assert_eq!(db_dir(&fs), "usr/lib/apk/db");
    let db = db_dir(&fs);
    write_installed_db(&mut fs, &db, &[], 7).unwrap();
    finish(&mut fs, &[]);
    for dir in ["usr/lib/apk", "usr/lib/apk/db", "usr/lib/apk/exec"] {
        assert_eq!(kind(&fs, dir), Some(NodeKind::Dir), "{dir}");
    }
    // lib/apk reaches it through the lib symlink; no extra link is made.
    assert_eq!(
        fs.resolve("lib/apk/db/installed", true).unwrap(),
        "usr/lib/apk/db/installed"
    );
    assert_eq!(kind(&fs, "lib"), Some(NodeKind::Symlink("usr/lib".into())));
    assert!(fs.iter().all(|(k, _)| !k.starts_with("lib/")));
}

#[test]
fn alpine_like_tree_gets_a_real_lib_apk_and_a_usr_lib_link() {
    let mut fs = alpine_like();
    assert_eq!(db_dir(&fs), "lib/apk/db");
    let db = db_dir(&fs);
    write_installed_db(&mut fs, &db, &[], 7).unwrap();
    finish(&mut fs, &[]);
    for dir in ["lib/apk", "lib/apk/db", "lib/apk/exec"] {
        assert_eq!(kind(&fs, dir), Some(NodeKind::Dir), "{dir}");
    }
    assert_eq!(
        kind(&fs, "usr/lib/apk"),
        Some(NodeKind::Symlink("../../lib/apk".into()))
    );
    assert_eq!(kind(&fs, "usr/lib"), Some(NodeKind::Dir));
    assert_eq!(
        fs.resolve("usr/lib/apk/db/installed", true).unwrap(),
        "lib/apk/db/installed"
    );
    // Trivy's exact path is a real file in the layer.
    assert!(matches!(
        kind(&fs, "lib/apk/db/installed"),
        Some(NodeKind::File(_))
    ));
    // Running it again changes nothing.
    let before: Vec<(String, Node)> = fs.iter().map(|(k, n)| (k.to_string(), n.clone())).collect();
    finish(&mut fs, &[]);
    let after: Vec<(String, Node)> = fs.iter().map(|(k, n)| (k.to_string(), n.clone())).collect();
    assert_eq!(before, after);
}

#[test]
fn no_lib_at_all_is_treated_like_alpine() {
    let mut fs = RootFs::new();
    prepare_root(&mut fs, 0).unwrap();
    assert_eq!(db_dir(&fs), "lib/apk/db");
    finish(&mut fs, &[]);
    assert_eq!(kind(&fs, "lib"), Some(NodeKind::Dir));
    assert_eq!(kind(&fs, "lib/apk/db"), Some(NodeKind::Dir));
}

#[test]
fn apko_style_usr_lib_apk_is_merged_into_lib_apk() {
    let mut fs = alpine_like();
    // A base left by apko: the real directory in usr/lib, lib/apk a link to it.
    fs.insert(
        "usr/lib/apk/db/installed",
        Node::file(b"old".to_vec(), 0o644),
    )
    .unwrap();
    fs.insert("usr/lib/apk/exec/helper", Node::file(b"#!".to_vec(), 0o755))
        .unwrap();
    fs.insert("lib/apk", Node::symlink("../usr/lib/apk"))
        .unwrap();
    assert_eq!(db_dir(&fs), "lib/apk/db");
    finish(&mut fs, &[]);
    assert_eq!(kind(&fs, "lib/apk"), Some(NodeKind::Dir));
    assert_eq!(&*fs.read_file("lib/apk/db/installed").unwrap(), b"old");
    assert_eq!(fs.get("lib/apk/exec/helper").unwrap().mode, 0o755);
    assert_eq!(
        kind(&fs, "usr/lib/apk"),
        Some(NodeKind::Symlink("../../lib/apk".into()))
    );
    assert_eq!(&*fs.read_file("usr/lib/apk/exec/helper").unwrap(), b"#!");
}

#[test]
fn differing_entries_in_both_apk_dirs_are_a_named_conflict() {
    let mut fs = alpine_like();
    fs.insert(
        "usr/lib/apk/exec/helper",
        Node::file(b"one".to_vec(), 0o755),
    )
    .unwrap();
    fs.insert("lib/apk/exec/helper", Node::file(b"two".to_vec(), 0o755))
        .unwrap();
    let keys = [key()];
    let err = finish_layout(
        &mut fs,
        &ApkLayoutInput {
            arch: "x86_64",
            keys: &keys,
            runtime_repositories: &[],
            world: &[],
            epoch: 0,
        },
    )
    .unwrap_err();
    assert!(matches!(err, LayoutError::MergeConflict { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("/usr/lib/apk/exec/helper") && msg.contains("/lib/apk/exec/helper"));
}

#[test]
fn etc_apk_files_have_exact_content() {
    let mut fs = alpine_like();
    let world = [
        ("zlib".to_string(), "1.3-r0".to_string()),
        ("busybox".to_string(), "1.36.1-r2".to_string()),
        (
            "ca-certificates-bundle".to_string(),
            "20240226-r0".to_string(),
        ),
    ];
    finish(&mut fs, &world);
    assert_eq!(
        &*fs.read_file("etc/apk/world").unwrap(),
        b"busybox=1.36.1-r2\nca-certificates-bundle=20240226-r0\nzlib=1.3-r0\n"
    );
    assert_eq!(
        &*fs.read_file("etc/apk/repositories").unwrap(),
        b"https://wolfi.mirror.invalid/os\n"
    );
    assert_eq!(&*fs.read_file("etc/apk/arch").unwrap(), b"x86_64\n");
    assert_eq!(
        &*fs.read_file("etc/apk/keys/melange.rsa.pub").unwrap(),
        key().1.as_slice()
    );
    for path in [
        "etc/apk/world",
        "etc/apk/repositories",
        "etc/apk/arch",
        "etc/apk/keys/melange.rsa.pub",
    ] {
        let n = fs.get(path).unwrap();
        assert_eq!((n.mode, n.uid, n.gid, n.mtime), (0o644, 0, 0, 7), "{path}");
    }

    // With no repositories and no world apko's InitDB leaves a lone newline.
    let mut fs = alpine_like();
    finish_layout(
        &mut fs,
        &ApkLayoutInput {
            arch: "aarch64",
            keys: &[],
            runtime_repositories: &[],
            world: &[],
            epoch: 0,
        },
    )
    .unwrap();
    assert_eq!(&*fs.read_file("etc/apk/world").unwrap(), b"\n");
    assert_eq!(&*fs.read_file("etc/apk/repositories").unwrap(), b"\n");
    assert_eq!(&*fs.read_file("etc/apk/arch").unwrap(), b"aarch64\n");
}

#[test]
fn key_names_must_be_plain() {
    for bad in ["../evil", "a/b", "", ".."] {
        let mut fs = alpine_like();
        let keys = [(bad.to_string(), b"k".to_vec())];
        let err = finish_layout(
            &mut fs,
            &ApkLayoutInput {
                arch: "x86_64",
                keys: &keys,
                runtime_repositories: &[],
                world: &[],
                epoch: 0,
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, LayoutError::BadKeyName { .. }),
            "{bad}: {err}"
        );
    }
}

#[test]
fn busybox_applets_from_paths_d_never_overwrite() {
    let mut fs = wolfi_like();
    fs.insert("usr/bin/busybox", Node::file(b"elf".to_vec(), 0o755))
        .unwrap();
    fs.insert("bin", Node::symlink("usr/bin")).unwrap();
    fs.insert("usr/bin/ls", Node::file(b"real ls".to_vec(), 0o755))
        .unwrap();
    fs.insert("usr/bin/dangling", Node::symlink("/nowhere"))
        .unwrap();
    fs.insert(
        "etc/busybox-paths.d/busybox",
        Node::file(
            b"/bin/sh\n/usr/bin/ls\n\n# comment\n/usr/bin/dangling\n/usr/sbin/ifconfig\n/bin/sh\n"
                .to_vec(),
            0o644,
        ),
    )
    .unwrap();
    fs.insert(
        "etc/busybox-paths.d/extra",
        Node::file(b"/sbin/init\n".to_vec(), 0o644),
    )
    .unwrap();
    let made = finish(&mut fs, &[]);
    assert_eq!(made, 3, "sh, ifconfig, init");
    for applet in ["usr/bin/sh", "usr/sbin/ifconfig", "sbin/init"] {
        let n = fs.get(applet).unwrap();
        assert_eq!(n.kind, NodeKind::Symlink("/bin/busybox".into()), "{applet}");
        assert_eq!(n.mtime, 7);
    }
    assert_eq!(&*fs.read_file("usr/bin/ls").unwrap(), b"real ls");
    assert_eq!(
        kind(&fs, "usr/bin/dangling"),
        Some(NodeKind::Symlink("/nowhere".into()))
    );
    // Resolves to busybox through the links.
    assert_eq!(&*fs.read_file("bin/sh").unwrap(), b"elf");
}

#[test]
fn no_busybox_no_applets() {
    let mut fs = alpine_like();
    fs.insert(
        "etc/busybox-paths.d/busybox",
        Node::file(b"/bin/sh\n".to_vec(), 0o644),
    )
    .unwrap();
    assert_eq!(finish(&mut fs, &[]), 0);
    assert!(!fs.exists("bin/sh"));
}

// ---------------------------------------------------------------------------
// apko's golden image

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Dir,
    File(Vec<u8>),
    Symlink(String),
    Char(u32, u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: Kind,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
}

fn golden_layer() -> BTreeMap<String, Entry> {
    let dir = fixtures::path("apk/apko-golden/golden");
    let blob = |digest: &str| {
        let hex = digest.strip_prefix("sha256:").unwrap();
        fs_err::read(dir.join("blobs/sha256").join(hex)).unwrap()
    };
    let index: serde_json::Value =
        serde_json::from_slice(&fs_err::read(dir.join("index.json")).unwrap()).unwrap();
    let manifest = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == "amd64")
        .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&blob(manifest["digest"].as_str().unwrap())).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    let gz = blob(layers[0]["digest"].as_str().unwrap());
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz.as_slice()));
    let mut out = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let h = entry.header().clone();
        let path = String::from_utf8(entry.path_bytes().to_vec()).unwrap();
        let path = path.trim_end_matches('/').to_string();
        let kind = match h.entry_type() {
            tar::EntryType::Directory => Kind::Dir,
            tar::EntryType::Regular => {
                let mut c = Vec::new();
                entry.read_to_end(&mut c).unwrap();
                Kind::File(c)
            }
            tar::EntryType::Symlink => {
                Kind::Symlink(String::from_utf8(h.link_name_bytes().unwrap().to_vec()).unwrap())
            }
            tar::EntryType::Char => Kind::Char(
                h.device_major().unwrap().unwrap(),
                h.device_minor().unwrap().unwrap(),
            ),
            other => panic!("unexpected {other:?} at {path}"),
        };
        out.insert(
            path,
            Entry {
                kind,
                mode: h.mode().unwrap() & 0o7777,
                uid: h.uid().unwrap() as u32,
                gid: h.gid().unwrap() as u32,
                mtime: h.mtime().unwrap() as i64,
            },
        );
    }
    out
}

/// Our path as apko names it: the database directories swap places.
fn apko_name(path: &str) -> String {
    if path == "usr/lib/apk" {
        "lib/apk".to_string()
    } else if path == "lib/apk" || path.starts_with("lib/apk/") {
        format!("usr/{path}")
    } else {
        path.to_string()
    }
}

#[test]
fn matches_apkos_golden_image_except_the_database_location() {
    let golden = golden_layer();
    let Kind::File(installed) = &golden["usr/lib/apk/db/installed"].kind else {
        panic!("no installed db");
    };
    let pkgs = db_common::parse_installed(std::str::from_utf8(installed).unwrap());
    assert_eq!(
        pkgs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["pretend-baselayout", "replayout"]
    );

    // Build the same image: layout before, the packages' own paths (taken from
    // the golden layer), database and layout after.
    let mut fs = RootFs::new();
    prepare_root(&mut fs, 0).unwrap();
    for pkg in &pkgs {
        for owned in &pkg.paths {
            // Package entries as the golden layer has them: apko records
            // `a:501:20:0644` for etc/os-release in the db but writes 0:0.
            let entry = &golden[&owned.path];
            let node = match &entry.kind {
                Kind::Dir => Node::dir(entry.mode),
                Kind::File(c) => Node::file(c.clone(), entry.mode),
                other => panic!("unexpected package entry {other:?}"),
            };
            fs.insert(&owned.path, node.owned(entry.uid, entry.gid))
                .unwrap();
        }
    }
    let db = db_dir(&fs);
    assert_eq!(db, "lib/apk/db");
    write_installed_db(&mut fs, &db, &pkgs, 0).unwrap();
    let keys = [key()];
    let world: Vec<(String, String)> = pkgs
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let made = finish_layout(
        &mut fs,
        &ApkLayoutInput {
            arch: "x86_64",
            keys: &keys,
            runtime_repositories: &["./testdata/packages".to_string()],
            world: &world,
            epoch: 0,
        },
    )
    .unwrap();
    assert_eq!(made, 0);

    let ours: BTreeMap<String, Entry> = fs
        .iter()
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, n)| {
            let kind = match &n.kind {
                NodeKind::Dir => Kind::Dir,
                NodeKind::File(c) => Kind::File(c.to_vec().unwrap()),
                NodeKind::Symlink(t) => Kind::Symlink(t.clone()),
                NodeKind::CharDevice { major, minor } => Kind::Char(*major, *minor),
                other => panic!("unexpected {other:?}"),
            };
            let entry = Entry {
                kind,
                mode: n.mode,
                uid: n.uid,
                gid: n.gid,
                mtime: n.mtime,
            };
            (apko_name(k), entry)
        })
        .collect();

    // Written by other modules (accounts, the locked config).
    let not_ours = ["etc/apko.json", "etc/passwd"];
    let golden_paths: Vec<&String> = golden
        .keys()
        .filter(|k| !not_ours.contains(&k.as_str()))
        .collect();
    let our_paths: Vec<&String> = ours.keys().collect();
    assert_eq!(our_paths, golden_paths);

    for (path, theirs) in &golden {
        let Some(mine) = ours.get(path) else { continue };
        match path.as_str() {
            // The deliberate difference: the link points the other way.
            "lib/apk" => {
                assert_eq!(theirs.kind, Kind::Symlink("../usr/lib/apk".into()));
                assert_eq!(mine.kind, Kind::Symlink("../../lib/apk".into()));
                assert_eq!(
                    (mine.mode, mine.uid, mine.gid),
                    (theirs.mode, theirs.uid, theirs.gid)
                );
            }
            // Same packages, apk-tools' field order instead of apko's.
            "usr/lib/apk/db/installed" => {
                let (Kind::File(a), Kind::File(b)) = (&mine.kind, &theirs.kind) else {
                    panic!("installed is not a file");
                };
                let a = db_common::parse_installed(std::str::from_utf8(a).unwrap());
                let b = db_common::parse_installed(std::str::from_utf8(b).unwrap());
                assert_eq!(a, b);
                assert_eq!((mine.mode, mine.mtime), (theirs.mode, theirs.mtime));
            }
            _ => assert_eq!(mine, theirs, "{path}"),
        }
    }
}
