//! The CA store from the real ca-certificates package, checked against the
//! package's own update-ca-certificates script and the host's openssl.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // helpers outside #[test] fns; mismatch listings

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use whittle_deb::certs::build_ca_bundle;
use whittle_deb::unpack::unpack_deb;
use whittle_rootfs::ContentStore;
use whittle_rootfs::{Node, NodeKind, RootFs};
use whittle_test_env::fixtures;

/// The real package, relative to the fixtures folder.
const CA_DEB: &str = "debian-bookworm-mirror/debian-security/pool/updates/main/c/ca-certificates/ca-certificates_20250419~deb12u2_all.deb";

fn installed() -> RootFs {
    let deb = fixtures::path(CA_DEB);
    let c = unpack_deb(
        fs_err::File::open(&deb).unwrap(),
        CA_DEB,
        &ContentStore::in_memory(),
    )
    .unwrap();
    let mut fs = RootFs::new();
    for e in c.entries {
        fs.insert(&e.path, e.node).unwrap();
    }
    fs
}

fn openssl_count(bundle: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.crt");
    fs_err::write(&file, bundle).unwrap();
    let mut p7 = Command::new("openssl")
        .args(["crl2pkcs7", "-nocrl", "-certfile"])
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = Command::new("openssl")
        .args(["pkcs7", "-print_certs", "-noout"])
        .stdin(p7.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(p7.wait().unwrap().success());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("subject="))
        .count()
}

/// Symlinks in a tree directory: name -> target.
fn tree_links(fs: &RootFs, dir: &str) -> BTreeMap<String, String> {
    fs.children(dir)
        .filter_map(|(k, n)| match &n.kind {
            NodeKind::Symlink(t) => Some((k.rsplit('/').next().unwrap().to_string(), t.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn real_package_first_install() {
    let mut fs = installed();
    assert!(!fs.exists("etc/ca-certificates.conf"));
    let count = build_ca_bundle(&mut fs, 1_700_000_000).unwrap().unwrap();
    assert!(count > 100, "{count}");
    let bundle = fs
        .read_file("etc/ssl/certs/ca-certificates.crt")
        .unwrap()
        .to_vec();
    assert_eq!(openssl_count(&bundle), count);
    let node = fs.get("etc/ssl/certs/ca-certificates.crt").unwrap();
    assert_eq!((node.mode, node.mtime), (0o644, 1_700_000_000));

    let conf =
        String::from_utf8(fs.read_file("etc/ca-certificates.conf").unwrap().to_vec()).unwrap();
    assert!(conf.starts_with("# This file lists certificates"));
    let listed: Vec<&str> = conf.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(listed.len(), count);
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted);
    assert_eq!(
        fs.get("etc/ssl/certs/ISRG_Root_X1.pem").unwrap().kind,
        NodeKind::Symlink("/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt".into())
    );
    // The store resolves inside the tree.
    assert!(fs.read_file("etc/ssl/certs/ISRG_Root_X1.pem").is_some());
    assert_eq!(
        fs.get("etc/ssl/certs/4042bcee.0").unwrap().kind,
        NodeKind::Symlink("ISRG_Root_X1.pem".into())
    );
}

/// Our store equals what the package's own update-ca-certificates script
/// (with the host's `openssl rehash`) makes from the same files and conf.
#[test]
fn same_as_update_ca_certificates() {
    let mut fs = installed();
    // A local certificate too, named the awkward way.
    let local = fs
        .read_file("usr/share/ca-certificates/mozilla/GTS_Root_R1.crt")
        .unwrap()
        .to_vec();
    fs.insert(
        "usr/local/share/ca-certificates/corp/My CA (test),1.crt",
        Node::file(local, 0o644),
    )
    .unwrap();
    build_ca_bundle(&mut fs, 0).unwrap().unwrap();

    let root = tempfile::tempdir().unwrap();
    let st = Command::new("dpkg-deb")
        .arg("-x")
        .arg(fixtures::path(CA_DEB))
        .arg(root.path())
        .status()
        .unwrap();
    assert!(st.success());
    let conf = fs.read_file("etc/ca-certificates.conf").unwrap();
    fs_err::write(root.path().join("etc/ca-certificates.conf"), conf).unwrap();
    let localdir = root.path().join("usr/local/share/ca-certificates/corp");
    fs_err::create_dir_all(&localdir).unwrap();
    fs_err::write(
        localdir.join("My CA (test),1.crt"),
        fs.read_file("usr/local/share/ca-certificates/corp/My CA (test),1.crt")
            .unwrap(),
    )
    .unwrap();
    let out = Command::new("sh")
        .arg(root.path().join("usr/sbin/update-ca-certificates"))
        .arg("--sysroot")
        .arg(root.path())
        .args(["--hooksdir", ""])
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let certs = root.path().join("etc/ssl/certs");
    let theirs_bundle = fs_err::read(certs.join("ca-certificates.crt")).unwrap();
    assert_eq!(
        &*fs.read_file("etc/ssl/certs/ca-certificates.crt").unwrap(),
        &theirs_bundle[..]
    );

    let prefix = root.path().display().to_string();
    let mut theirs = BTreeMap::new();
    for e in fs_err::read_dir(&certs).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_symlink() {
            let target = fs_err::read_link(e.path()).unwrap().display().to_string();
            // --sysroot makes the script link to "$SYSROOT//usr/share/...".
            let target = match target.strip_prefix(&prefix) {
                Some(t) => format!("/{}", t.trim_start_matches('/')),
                None => target,
            };
            theirs.insert(e.file_name().to_string_lossy().into_owned(), target);
        }
    }
    let ours = tree_links(&fs, "etc/ssl/certs");
    assert!(ours.len() > 200, "{}", ours.len());
    for (k, v) in &ours {
        if theirs.get(k) != Some(v) {
            println!("ours only: {k} -> {v} (theirs {:?})", theirs.get(k));
        }
    }
    for (k, v) in &theirs {
        if !ours.contains_key(k) {
            println!("theirs only: {k} -> {v}");
        }
    }
    assert_eq!(ours, theirs);
    // The duplicate local certificate has a .pem link but no second hash link.
    assert!(ours.contains_key("My_CA_=test=_1.pem"));
}

#[test]
fn existing_conf_is_honoured() {
    let mut fs = installed();
    let conf = "# mine\nmozilla/ISRG_Root_X1.crt\n!mozilla/GTS_Root_R1.crt\nmozilla/does_not_exist.crt\n\n  mozilla/GTS_Root_R2.crt  \n";
    fs.insert(
        "etc/ca-certificates.conf",
        Node::file(conf.as_bytes().to_vec(), 0o644),
    )
    .unwrap();
    let count = build_ca_bundle(&mut fs, 0).unwrap().unwrap();
    assert_eq!(count, 2);
    let bundle = fs.read_file("etc/ssl/certs/ca-certificates.crt").unwrap();
    let x1 = fs
        .read_file("usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt")
        .unwrap();
    assert!(bundle.starts_with(&x1));
    assert_eq!(
        &*fs.read_file("etc/ca-certificates.conf").unwrap(),
        conf.as_bytes(),
        "left unchanged"
    );
    assert!(!fs.exists("etc/ssl/certs/GTS_Root_R1.pem"));
    assert_eq!(tree_links(&fs, "etc/ssl/certs").len(), 4);
}

#[test]
fn not_installed_and_missing_newline() {
    let mut fs = RootFs::new();
    assert_eq!(build_ca_bundle(&mut fs, 0).unwrap(), None);
    assert!(fs.is_empty());

    let mut fs = installed();
    let pem = fs
        .read_file("usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt")
        .unwrap()
        .to_vec();
    let mut fs2 = RootFs::new();
    let trimmed = pem.strip_suffix(b"\n").unwrap().to_vec();
    fs2.insert(
        "usr/share/ca-certificates/a/one.crt",
        Node::file(trimmed.clone(), 0o644),
    )
    .unwrap();
    fs2.insert(
        "usr/share/ca-certificates/a/two.crt",
        Node::file(trimmed, 0o644),
    )
    .unwrap();
    fs2.insert(
        "usr/share/ca-certificates/a/readme.txt",
        Node::file(b"x".to_vec(), 0o644),
    )
    .unwrap();
    assert_eq!(build_ca_bundle(&mut fs2, 0).unwrap(), Some(2));
    let bundle = fs2.read_file("etc/ssl/certs/ca-certificates.crt").unwrap();
    assert_eq!(bundle.len(), 2 * pem.len());
    // Identical certificates: one hash link.
    let links = tree_links(&fs2, "etc/ssl/certs");
    assert_eq!(links.get("4042bcee.0").map(String::as_str), Some("one.pem"));
    assert!(!links.contains_key("4042bcee.1"));
    let _ = build_ca_bundle(&mut fs, 0);
}
