//! Shared test helpers: fixture paths, host keyrings, GnuPG runs.
#![allow(dead_code, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

use whittle_sig::Keyring;

/// `<repo>/../shared/fixtures`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

pub fn read(path: &Path) -> Vec<u8> {
    fs_err::read(path).expect("read fixture")
}

/// Load a host keyring, or print a loud SKIP and return `None`.
pub fn host_keyring(path: &str, test: &str) -> Option<Keyring> {
    if !Path::new(path).exists() {
        eprintln!("\n*** SKIP {test}: {path} does not exist on this host ***\n");
        return None;
    }
    Some(Keyring::from_bytes(&read(Path::new(path)), path).expect("parse host keyring"))
}

/// The armored "Ubuntu Archive Automatic Signing Key (2018)" from the chisel fixture.
pub fn ubuntu_key_armored() -> String {
    let yaml = String::from_utf8(read(
        &fixtures().join("chisel-releases-ubuntu-24.04/chisel.yaml"),
    ))
    .expect("utf-8");
    let start = yaml.find("ubuntu-archive-key-2018:").expect("key entry");
    let rest = &yaml[start..];
    let begin = rest
        .find("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        .expect("begin");
    let end = rest
        .find("-----END PGP PUBLIC KEY BLOCK-----")
        .expect("end");
    rest[begin..end + "-----END PGP PUBLIC KEY BLOCK-----".len()]
        .lines()
        .map(|l| format!("{}\n", l.trim()))
        .collect()
}

/// Is `prog` runnable? Prints a loud SKIP otherwise.
pub fn have(prog: &str, test: &str) -> bool {
    let ok = Command::new(prog).arg("--version").output().is_ok();
    if !ok {
        eprintln!("\n*** SKIP {test}: `{prog}` is not installed ***\n");
    }
    ok
}

/// Run `gpgv --output` on a clearsigned `doc` with the binary keyring `pubkey`;
/// returns the output text, or panics if gpgv rejects the document.
pub fn gpgv_cleartext(pubkey: &[u8], doc: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ring, docf, out) = (
        dir.path().join("ring.gpg"),
        dir.path().join("doc"),
        dir.path().join("out"),
    );
    fs_err::write(&ring, pubkey).expect("write");
    fs_err::write(&docf, doc).expect("write");
    let res = Command::new("gpgv")
        .arg("--homedir")
        .arg(dir.path())
        .arg("--keyring")
        .arg(&ring)
        .arg("--output")
        .arg(&out)
        .arg(&docf)
        .output()
        .expect("run gpgv");
    assert!(
        res.status.success(),
        "gpgv rejected the document: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    read(&out)
}

/// Run `gpgv` on a detached signature; returns whether it accepted.
pub fn gpgv_detached(pubkey: &[u8], data: &[u8], sig: &[u8]) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ring, dataf, sigf) = (
        dir.path().join("ring.gpg"),
        dir.path().join("Release"),
        dir.path().join("Release.gpg"),
    );
    fs_err::write(&ring, pubkey).expect("write");
    fs_err::write(&dataf, data).expect("write");
    fs_err::write(&sigf, sig).expect("write");
    Command::new("gpgv")
        .arg("--homedir")
        .arg(dir.path())
        .arg("--keyring")
        .arg(&ring)
        .arg(&sigf)
        .arg(&dataf)
        .output()
        .expect("run gpgv")
        .status
        .success()
}
