//! Index signatures and keyrings against the fixtures (PROVENANCE.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use whittle_apk::index::{read_index_archive, SignatureAlgorithm};
use whittle_apk::keys::ApkKeyring;
use whittle_apk::verify::{verify_index, VerifyError};
use whittle_test_env::fixtures;

const K316: &str = "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub";
const K317: &str = "alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub";
const KOLD: &str = "alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub";

fn read(rel: &str) -> Vec<u8> {
    fs_err::read(fixtures::path(format!("apk/{rel}"))).unwrap()
}

fn keyring(files: &[&str]) -> ApkKeyring {
    let pairs: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|rel| (rel.rsplit('/').next().unwrap().to_string(), read(rel)))
        .collect();
    ApkKeyring::from_files(&pairs).unwrap()
}

fn alpine_key(name: &str) -> String {
    format!("alpine/keys/{name}")
}

#[test]
fn sha1_indexes_verify() {
    let all = keyring(&[&alpine_key(K316), &alpine_key(K317), &alpine_key(KOLD)]);
    for (rel, key) in [
        ("alpine/v3.16-main-x86_64/APKINDEX.tar.gz", K316),
        ("alpine/v3.17-main-aarch64/APKINDEX.tar.gz", K317),
    ] {
        let ar = read_index_archive(&read(rel), rel).unwrap();
        for ring in [keyring(&[&alpine_key(key)]), all.clone()] {
            let v = verify_index(&ar, &ring, rel).unwrap();
            assert_eq!(v.key_name, key);
            assert_eq!(v.algorithm, SignatureAlgorithm::Sha1);
            assert!(v.skipped_unknown.is_empty());
        }
    }
    for arch in ["x86_64", "aarch64"] {
        let rel = format!("rsa-sha1-repo/{arch}/APKINDEX.tar.gz");
        let ar = read_index_archive(&read(&rel), &rel).unwrap();
        let v = verify_index(
            &ar,
            &keyring(&["rsa-sha1-repo/private_pkg_key.rsa.pub"]),
            &rel,
        )
        .unwrap();
        assert_eq!(v.algorithm, SignatureAlgorithm::Sha1);
        assert_eq!(v.key_name, "private_pkg_key.rsa.pub");
    }
}

#[test]
fn sha256_indexes_verify() {
    let rel = "rsa256-index/APKINDEX.tar.gz";
    let ar = read_index_archive(&read(rel), rel).unwrap();
    let v = verify_index(&ar, &keyring(&["rsa256-index/test-rsa256.rsa.pub"]), rel).unwrap();
    assert_eq!(v.algorithm, SignatureAlgorithm::Sha256);
    assert_eq!(v.key_name, "test-rsa256.rsa.pub");
    for arch in ["x86_64", "aarch64"] {
        let rel = format!("melange-rsa256-repo/{arch}/APKINDEX.tar.gz");
        let ar = read_index_archive(&read(&rel), &rel).unwrap();
        let v = verify_index(
            &ar,
            &keyring(&["melange-rsa256-repo/melange.rsa.pub"]),
            &rel,
        )
        .unwrap();
        assert_eq!(v.algorithm, SignatureAlgorithm::Sha256);
        assert_eq!(v.key_name, "melange.rsa.pub");
    }
}

#[test]
fn multisig_each_key_verifies() {
    let rel = "multisig-index/APKINDEX.tar.gz";
    let ar = read_index_archive(&read(rel), rel).unwrap();
    let mut keys: Vec<String> = fs_err::read_dir(fixtures::path("apk/multisig-index/keys"))
        .unwrap()
        .map(|e| {
            format!(
                "multisig-index/keys/{}",
                e.unwrap().file_name().to_string_lossy()
            )
        })
        .collect();
    keys.sort();
    assert_eq!(keys.len(), 3);
    for k in &keys {
        let v = verify_index(&ar, &keyring(&[k]), rel).unwrap();
        assert_eq!(v.algorithm, SignatureAlgorithm::Sha256);
        assert!(k.ends_with(&v.key_name), "{k} vs {}", v.key_name);
        assert_eq!(v.skipped_unknown.len(), 2);
    }
    let all: Vec<&str> = keys.iter().map(String::as_str).collect();
    let v = verify_index(&ar, &keyring(&all), rel).unwrap();
    assert!(v.skipped_unknown.is_empty());
}

#[test]
fn wrong_and_unknown_keys_fail() {
    let rel = "alpine/v3.16-main-x86_64/APKINDEX.tar.gz";
    let ar = read_index_archive(&read(rel), rel).unwrap();
    for k in [KOLD, K317] {
        let err = verify_index(&ar, &keyring(&[&alpine_key(k)]), rel).unwrap_err();
        assert!(matches!(err, VerifyError::NoKnownKey { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains(rel) && msg.contains(k) && msg.contains(K316),
            "{msg}"
        );
        assert!(
            msg.contains("--keyring-append") && msg.contains("keyring:"),
            "{msg}"
        );
    }
    // An empty keyring.
    assert!(matches!(
        verify_index(&ar, &ApkKeyring::new(), rel).unwrap_err(),
        VerifyError::NoKnownKey { .. }
    ));
    // A key stored under the signer's name but with other key material: tampering.
    let mut ring = ApkKeyring::new();
    ring.add(K316, &read(&alpine_key(KOLD))).unwrap();
    let err = verify_index(&ar, &ring, rel).unwrap_err();
    assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
    // Another repository's key on melange's index.
    let rel2 = "melange-rsa256-repo/x86_64/APKINDEX.tar.gz";
    let ar2 = read_index_archive(&read(rel2), rel2).unwrap();
    let mut ring = ApkKeyring::new();
    ring.add(
        "melange.rsa.pub",
        &read("rsa-sha1-repo/private_pkg_key.rsa.pub"),
    )
    .unwrap();
    assert!(matches!(
        verify_index(&ar2, &ring, rel2).unwrap_err(),
        VerifyError::BadSignature { .. }
    ));
}

#[test]
fn tampered_index_fails() {
    let rel = "melange-rsa256-repo/aarch64/APKINDEX.tar.gz";
    let mut ar = read_index_archive(&read(rel), rel).unwrap();
    let ring = keyring(&["melange-rsa256-repo/melange.rsa.pub"]);
    verify_index(&ar, &ring, rel).unwrap();
    let mid = ar.signed_member.len() / 2;
    ar.signed_member[mid] ^= 0x01;
    let err = verify_index(&ar, &ring, rel).unwrap_err();
    assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
    // Flipping a byte in the file itself also fails (at read or at verify).
    let mut bytes = read(rel);
    let n = bytes.len();
    bytes[n - 40] ^= 0x01;
    match read_index_archive(&bytes, rel) {
        Err(_) => {}
        Ok(ar) => assert!(verify_index(&ar, &ring, rel).is_err()),
    }
}

#[test]
fn unsigned_index_fails() {
    let rel = "unsigned/APKINDEX.tar.gz";
    let ar = read_index_archive(&read(rel), rel).unwrap();
    let err =
        verify_index(&ar, &keyring(&["melange-rsa256-repo/melange.rsa.pub"]), rel).unwrap_err();
    assert!(matches!(err, VerifyError::Unsigned { .. }), "{err}");
    assert!(err.to_string().contains(rel));
}

#[test]
fn keyring_name_rules() {
    let pem = read("melange-rsa256-repo/melange.rsa.pub");
    let mut ring = ApkKeyring::new();
    ring.add("https://example.com/keys/melange.rsa.pub", &pem)
        .unwrap();
    assert_eq!(ring.names(), vec!["melange.rsa.pub"]);
    assert!(ring.get("melange.rsa.pub").is_some());
    assert!(ring.get("melange").is_some());
    assert!(ring.get("melange2.rsa.pub").is_none());
    let mut ring = ApkKeyring::new();
    ring.add("melange", &pem).unwrap();
    assert!(ring.get("melange.rsa.pub").is_some());
    assert_eq!(ring.len(), 1);
    let err = ring.add("junk.rsa.pub", b"not a key").unwrap_err();
    assert!(err.to_string().contains("junk.rsa.pub"));
    // Every fixture key parses.
    for k in [K316, K317, KOLD] {
        ring.add(k, &read(&alpine_key(k))).unwrap();
    }
    ring.add("x", &read("rsa256-index/test-rsa256.rsa.pub"))
        .unwrap();
    assert_eq!(ring.len(), 5);
}
