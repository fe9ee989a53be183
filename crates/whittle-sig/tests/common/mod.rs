//! Shared test helpers: host keyrings, the Ubuntu key from the fixtures,
//! GnuPG runs. Fixtures and tools come from `whittle_test_env`.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use whittle_sig::Keyring;
use whittle_test_env::fixtures;

pub fn read(path: &Path) -> Vec<u8> {
    fs_err::read(path).expect("read fixture")
}

/// Load one of the Debian keyrings the test command installs
/// (`debian-archive-keyring`): `None` after a loud SKIP when it is missing,
/// a panic under `CI=true`.
pub fn host_keyring(path: &str) -> Option<Keyring> {
    let found = whittle_test_env::host::require_file(
        Path::new(path),
        "apt-get install debian-archive-keyring",
    );
    found.then(|| Keyring::from_bytes(&read(Path::new(path)), path).expect("parse host keyring"))
}

/// The armored "Ubuntu Archive Automatic Signing Key (2018)" from the chisel fixture.
pub fn ubuntu_key_armored() -> String {
    let yaml = String::from_utf8(read(&fixtures::path(
        "chisel-releases-ubuntu-24.04/chisel.yaml",
    )))
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
