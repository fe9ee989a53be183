//! The installed database against files written by apk-tools and apko.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "db_common.rs"]
mod db_common;

use std::io::Read;

use db_common::parse_installed;
use whittle_apk::db::{installed_text, write_installed_db, InstalledApk, OwnedPath};
use whittle_rootfs::{NodeKind, RootFs};
use whittle_test_env::fixtures;

fn fixture(name: &str) -> Vec<u8> {
    fs_err::read(fixtures::path(format!("apk/installed-db/{name}"))).unwrap()
}

fn alpine_installed() -> String {
    String::from_utf8(fixture("alpine-root/installed")).unwrap()
}

/// The tags of one record, in order, without repeats from the file list.
fn header_tags(record: &str) -> Vec<char> {
    record
        .lines()
        .map(|l| l.chars().next().unwrap())
        .take_while(|t| !matches!(t, 'F' | 'M' | 'R' | 'a' | 'Z'))
        .collect()
}

#[test]
fn apk_tools_installed_round_trips_byte_for_byte() {
    let original = alpine_installed();
    let pkgs = parse_installed(&original);
    assert_eq!(pkgs.len(), 14);
    let rendered = installed_text(&pkgs);
    if rendered != original {
        for (i, (a, b)) in rendered.lines().zip(original.lines()).enumerate() {
            if a != b {
                panic!("first difference at line {}: {a:?} vs {b:?}", i + 1);
            }
        }
        panic!("lengths differ: {} vs {}", rendered.len(), original.len());
    }
}

#[test]
fn field_order_is_apk_tools_and_origin_follows_version() {
    let rendered = installed_text(&parse_installed(&alpine_installed()));
    let canonical = "CPVASITULomtckDpir";
    for record in rendered.split("\n\n").filter(|r| !r.is_empty()) {
        let tags = header_tags(record);
        let positions: Vec<usize> = tags
            .iter()
            .map(|t| canonical.find(*t).expect("known tag"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "order {tags:?}");
        let v = tags.iter().position(|t| *t == 'V').unwrap();
        let o = tags.iter().position(|t| *t == 'o').unwrap();
        assert!(v < o, "o: must come after V: for Trivy");
    }
}

#[test]
fn provider_priority_goes_right_after_commit() {
    let pkg = InstalledApk {
        name: "a".into(),
        version: "1-r0".into(),
        checksum: "Q1x".into(),
        origin: "a".into(),
        commit: "abc".into(),
        provider_priority: Some(10),
        depends: vec!["b".into()],
        replaces: vec!["c".into()],
        ..InstalledApk::default()
    };
    assert_eq!(
        installed_text(&[pkg]),
        "C:Q1x\nP:a\nV:1-r0\nS:0\nI:0\nT:\nU:\nL:\no:a\nc:abc\nk:10\nD:b\nr:c\n\n"
    );
}

#[test]
fn apko_written_databases_keep_their_content_in_apk_tools_order() {
    for name in ["wolfi-base.installed", "redis-operator-compat.installed"] {
        let original = String::from_utf8(fixture(name)).unwrap();
        let pkgs = parse_installed(&original);
        assert!(!pkgs.is_empty());
        let rendered = installed_text(&pkgs);
        // Same information after a round trip through the apk-tools form.
        assert_eq!(parse_installed(&rendered), pkgs, "{name}");
        // apko's quirks are gone.
        assert!(!rendered.contains("i:[]"));
        assert!(!rendered.contains(":0777\n"));
        assert!(rendered.starts_with("C:Q1"));
        for record in rendered.split("\n\n").filter(|r| !r.is_empty()) {
            let tags = header_tags(record);
            let v = tags.iter().position(|t| *t == 'V').unwrap();
            let o = tags.iter().position(|t| *t == 'o').unwrap();
            assert!(v < o);
        }
    }
}

#[test]
fn files_group_under_their_directory_with_root_files_under_empty_f() {
    let file = |path: &str, mode: u32| OwnedPath {
        path: path.into(),
        is_dir: false,
        mode,
        sha1: Some("00".repeat(20)),
        ..OwnedPath::default()
    };
    let dir = |path: &str, mode: u32| OwnedPath {
        path: path.into(),
        is_dir: true,
        mode,
        ..OwnedPath::default()
    };
    let pkg = InstalledApk {
        name: "x".into(),
        checksum: "Q1x".into(),
        paths: vec![
            file("/operator", 0o777),
            dir("./tmp", 0o1777),
            dir("etc", 0o755),
            file("etc/a", 0o644),
            dir("usr/bin", 0o755),
            file("usr/bin/x", 0o755),
            // A file whose directory was declared earlier lands in that block.
            file("etc/b", 0o600),
        ],
        ..InstalledApk::default()
    };
    let text = installed_text(&[pkg]);
    let files = text.split_once("L:\n").unwrap().1;
    assert_eq!(
        files,
        "F:\nR:operator\na:0:0:777\nZ:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\
         F:tmp\nM:0:0:1777\n\
         F:etc\nR:a\nZ:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nR:b\na:0:0:600\nZ:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\
         F:usr/bin\nR:x\na:0:0:755\nZ:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"
    );
}

/// Scripts for `pkg` from the real scripts.tar, in archive order.
fn fixture_scripts(pkg: &InstalledApk) -> Vec<(String, Vec<u8>)> {
    let prefix = format!("{}-{}.{}", pkg.name, pkg.version, pkg.checksum);
    let tar_bytes = fixture("alpine-root/scripts.tar");
    let mut archive = tar::Archive::new(tar_bytes.as_slice());
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = String::from_utf8(entry.path_bytes().to_vec()).unwrap();
        if let Some(script) = name.strip_prefix(&prefix) {
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            out.push((script.to_string(), content));
        }
    }
    out
}

#[test]
fn scripts_tar_and_triggers_match_apk_tools_bytes() {
    let mut pkgs = parse_installed(&alpine_installed());
    let triggers_file = String::from_utf8(fixture("alpine-root/triggers")).unwrap();
    for pkg in &mut pkgs {
        pkg.scripts = fixture_scripts(pkg);
        for line in triggers_file.lines() {
            let (sum, globs) = line.split_once(' ').unwrap();
            if sum == pkg.checksum {
                pkg.triggers = globs.split(' ').map(str::to_string).collect();
            }
        }
    }
    assert_eq!(pkgs.iter().map(|p| p.scripts.len()).sum::<usize>(), 7);
    // apk-tools stamped the entries with the time it ran; whittle uses the epoch.
    let epoch = 0o14261274033;
    let mut fs = RootFs::new();
    write_installed_db(&mut fs, "lib/apk/db", &pkgs, epoch).unwrap();

    let scripts = fs.read_file("lib/apk/db/scripts.tar").unwrap();
    assert_eq!(scripts, fixture("alpine-root/scripts.tar").as_slice());
    let triggers = fs.read_file("lib/apk/db/triggers").unwrap();
    assert_eq!(triggers, fixture("alpine-root/triggers").as_slice());
    let installed = fs.read_file("lib/apk/db/installed").unwrap();
    assert_eq!(installed, alpine_installed().as_bytes());

    let lock = fs.get("lib/apk/db/lock").unwrap();
    assert!(lock.content().unwrap().is_empty());
    assert_eq!(lock.mode, 0o600);
    for name in ["installed", "scripts.tar", "triggers"] {
        let node = fs.get(&format!("lib/apk/db/{name}")).unwrap();
        assert_eq!(
            (node.mode, node.uid, node.gid, node.mtime),
            (0o644, 0, 0, epoch)
        );
    }
    assert!(fs.get("lib/apk/db").unwrap().is_dir());
}

#[test]
fn empty_database_is_what_apko_writes() {
    let mut fs = RootFs::new();
    write_installed_db(&mut fs, "usr/lib/apk/db", &[], 0).unwrap();
    assert_eq!(
        &*fs.read_file("usr/lib/apk/db/scripts.tar").unwrap(),
        &[0u8; 1024][..]
    );
    assert_eq!(&*fs.read_file("usr/lib/apk/db/installed").unwrap(), b"");
    assert_eq!(&*fs.read_file("usr/lib/apk/db/triggers").unwrap(), b"");
    assert_eq!(&*fs.read_file("usr/lib/apk/db/lock").unwrap(), b"");
}

#[test]
fn long_script_names_use_gnu_longlink_and_read_back() {
    let pkg = InstalledApk {
        name: "a-package-with-a-really-quite-long-name-for-testing".into(),
        version: "1.2.3.4.5.6-r123".into(),
        checksum: "Q1Meo+LHGPSi3uY9gIouEVb9z8Fbo=".into(),
        scripts: vec![
            (".post-install".into(), b"#!/bin/sh\nexit 0\n".to_vec()),
            ("trigger".into(), b"x".to_vec()),
        ],
        ..InstalledApk::default()
    };
    let mut fs = RootFs::new();
    write_installed_db(&mut fs, "lib/apk/db", std::slice::from_ref(&pkg), 1234).unwrap();
    let bytes = fs.read_file("lib/apk/db/scripts.tar").unwrap().to_vec();
    let mut archive = tar::Archive::new(bytes.as_slice());
    let mut seen = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header().clone();
        let name = String::from_utf8(entry.path_bytes().to_vec()).unwrap();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        assert_eq!(header.mode().unwrap(), 0o755);
        assert_eq!(header.mtime().unwrap(), 1234);
        assert_eq!(header.username().unwrap(), Some("root"));
        seen.push((name, content));
    }
    let base = format!("{}-{}.{}", pkg.name, pkg.version, pkg.checksum);
    assert!(base.len() + ".post-install".len() > 99);
    assert_eq!(
        seen,
        vec![
            (
                format!("{base}.post-install"),
                b"#!/bin/sh\nexit 0\n".to_vec()
            ),
            (format!("{base}.trigger"), b"x".to_vec()),
        ]
    );
}

#[test]
fn bad_checksum_and_newlines_are_rejected_by_name() {
    let mut pkg = InstalledApk {
        name: "broken".into(),
        paths: vec![OwnedPath {
            path: "usr/bin/x".into(),
            mode: 0o755,
            sha1: Some("not-hex".into()),
            ..OwnedPath::default()
        }],
        ..InstalledApk::default()
    };
    let mut fs = RootFs::new();
    let err = write_installed_db(&mut fs, "lib/apk/db", std::slice::from_ref(&pkg), 0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("broken") && err.contains("/usr/bin/x"),
        "{err}"
    );

    pkg.paths.clear();
    pkg.description = "two\nlines".into();
    let err = write_installed_db(&mut fs, "lib/apk/db", &[pkg], 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("broken") && err.contains('T'), "{err}");
}

#[test]
fn database_under_a_file_names_the_path() {
    let mut fs = RootFs::new();
    fs.insert("lib", whittle_rootfs::Node::file(b"x".to_vec(), 0o644))
        .unwrap();
    let err = write_installed_db(&mut fs, "lib/apk/db", &[], 0).unwrap_err();
    assert!(err.to_string().contains("/lib/apk/db"), "{err}");
    assert!(matches!(
        fs.get("lib").map(|n| &n.kind),
        Some(NodeKind::File(_))
    ));
}
