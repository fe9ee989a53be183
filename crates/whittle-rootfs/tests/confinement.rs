//! Paths from hostile archives stay inside the root; links resolve inside it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use whittle_rootfs::{FsError, Node, NodeKind, RootFs};

fn merged_usr() -> RootFs {
    let mut fs = RootFs::new();
    for d in ["usr/bin", "usr/sbin", "usr/lib"] {
        fs.insert(d, Node::dir(0o755)).unwrap();
    }
    fs.insert("bin", Node::symlink("usr/bin")).unwrap();
    fs.insert("lib", Node::symlink("usr/lib")).unwrap();
    fs
}

#[test]
fn dotdot_never_leaves_the_root() {
    let mut fs = RootFs::new();
    let key = fs
        .insert("../../../etc/passwd", Node::file(b"x".to_vec(), 0o644))
        .unwrap();
    assert_eq!(key, "etc/passwd");
    let key = fs
        .insert("usr/../../../../tmp/evil", Node::file(b"x".to_vec(), 0o644))
        .unwrap();
    assert_eq!(key, "tmp/evil");
}

#[test]
fn absolute_symlinks_resolve_inside_the_root() {
    let mut fs = RootFs::new();
    fs.insert("escape", Node::symlink("/etc")).unwrap();
    let key = fs
        .insert("escape/shadow", Node::file(b"x".to_vec(), 0o600))
        .unwrap();
    assert_eq!(key, "etc/shadow");
    fs.insert("up", Node::symlink("../../../../")).unwrap();
    let key = fs
        .insert("up/root-file", Node::file(b"y".to_vec(), 0o600))
        .unwrap();
    assert_eq!(key, "root-file");
}

#[test]
fn merged_usr_redirects_and_keeps_the_links() {
    let mut fs = merged_usr();
    let key = fs
        .insert("./bin/ls", Node::file(b"ELF".to_vec(), 0o755))
        .unwrap();
    assert_eq!(key, "usr/bin/ls");
    // A package declaring ./lib/ as a directory keeps the merged-/usr link.
    fs.insert("lib", Node::dir(0o755)).unwrap();
    assert!(matches!(fs.get("lib").unwrap().kind, NodeKind::Symlink(_)));
    let key = fs
        .insert(
            "lib/x86_64-linux-gnu/libc.so.6",
            Node::file(b"ELF".to_vec(), 0o755),
        )
        .unwrap();
    assert_eq!(key, "usr/lib/x86_64-linux-gnu/libc.so.6");
    assert_eq!(
        fs.read_file("/lib/x86_64-linux-gnu/libc.so.6").as_deref(),
        Some(&b"ELF"[..])
    );
}

#[test]
fn symlink_loops_are_errors() {
    let mut fs = RootFs::new();
    fs.insert("a", Node::symlink("b")).unwrap();
    fs.insert("b", Node::symlink("a")).unwrap();
    let err = fs
        .insert("a/x", Node::file(b"".to_vec(), 0o644))
        .unwrap_err();
    assert!(matches!(err, FsError::SymlinkLoop { .. }), "{err}");
}

#[test]
fn files_do_not_become_directories() {
    let mut fs = RootFs::new();
    fs.insert("etc/hostname", Node::file(b"h".to_vec(), 0o644))
        .unwrap();
    let err = fs
        .insert("etc/hostname/x", Node::file(b"".to_vec(), 0o644))
        .unwrap_err();
    assert!(
        err.to_string().contains("/etc/hostname is not a directory"),
        "{err}"
    );
}

#[test]
fn hardlinks_must_point_at_files_in_the_tree() {
    let mut fs = merged_usr();
    fs.insert("usr/bin/python3.11", Node::file(b"ELF".to_vec(), 0o755))
        .unwrap();
    fs.insert(
        "usr/bin/python3",
        Node::with_kind(NodeKind::Hardlink("/bin/python3.11".into()), 0o755),
    )
    .unwrap();
    assert_eq!(
        fs.read_file("usr/bin/python3").as_deref(),
        Some(&b"ELF"[..])
    );
    let err = fs
        .insert(
            "x",
            Node::with_kind(NodeKind::Hardlink("/nope".into()), 0o644),
        )
        .unwrap_err();
    assert!(matches!(err, FsError::BadHardlink { .. }));
}

#[test]
fn tar_is_deterministic_and_links_follow_their_targets() {
    let build = |order: &[&str]| {
        let mut fs = RootFs::new();
        for p in order {
            fs.insert(
                p,
                Node::file(p.as_bytes().to_vec(), 0o644).at(1_700_000_000),
            )
            .unwrap();
        }
        fs.insert("z/target", Node::file(b"data".to_vec(), 0o755))
            .unwrap();
        fs.insert(
            "a/link",
            Node::with_kind(NodeKind::Hardlink("z/target".into()), 0o755),
        )
        .unwrap();
        fs.write_tar(Vec::new()).unwrap()
    };
    let one = build(&["etc/b", "etc/a", "usr/share/x"]);
    let two = build(&["usr/share/x", "etc/a", "etc/b"]);
    assert_eq!(one, two);

    let mut archive = tar::Archive::new(&one[..]);
    let mut seen = Vec::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let kind = entry.header().entry_type();
        if path == "z/target" {
            assert_eq!(kind, tar::EntryType::Link);
            assert_eq!(entry.link_name().unwrap().unwrap().to_str(), Some("a/link"));
        }
        if path == "a/link" {
            assert_eq!(kind, tar::EntryType::Regular);
            assert_eq!(entry.header().size().unwrap(), 4);
        }
        seen.push(path);
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    assert!(seen.contains(&"etc/".to_string()));
}

#[test]
fn clamping_and_newest() {
    let mut fs = RootFs::new();
    fs.insert("a", Node::file(b"".to_vec(), 0o644).at(50))
        .unwrap();
    fs.insert("b", Node::file(b"".to_vec(), 0o644).at(500))
        .unwrap();
    assert_eq!(fs.newest_mtime(), 500);
    fs.clamp_mtimes(100);
    assert_eq!(fs.newest_mtime(), 100);
    assert_eq!(fs.get("a").unwrap().mtime, 50);
}

#[test]
fn remove_takes_the_subtree() {
    let mut fs = RootFs::new();
    fs.insert("var/lib/x/y", Node::file(b"".to_vec(), 0o644))
        .unwrap();
    assert!(fs.remove("var/lib"));
    assert!(!fs.exists("var/lib/x/y"));
    assert!(fs.exists("var"));
}
