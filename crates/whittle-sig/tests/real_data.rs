//! Verification of real archive data and of documents signed by GnuPG.
#![allow(clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{host_keyring, read};
use whittle_sig::{verify_cleartext, verify_detached, Keyring, SigError};
use whittle_test_env::fixtures;
use whittle_test_env::host::{require_tool, skip};

const DEBIAN_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
/// The three keys gpgv reports for the fixture: bookworm + trixie automatic
/// (RSA subkeys) and the bookworm stable release key (EdDSA).
const BOOKWORM_SIGNERS: [&str; 3] = [
    "4CB50190207B4758A3F73A796ED0E7B82643E131",
    "B8E5F13176D2A7A75220028078DBA3BC47EF2265",
    "4D64FEC119C2029067D6E791F8D2585B8783D481",
];

fn bookworm_inrelease() -> Vec<u8> {
    read(&fixtures::path(
        "debian-bookworm-mirror/debian/dists/bookworm/InRelease",
    ))
}

/// The lines between the armor header and the signature: what gpgv outputs
/// for a document without dash-escapes or trailing whitespace.
fn naive_cleartext(doc: &[u8]) -> Vec<u8> {
    let s = std::str::from_utf8(doc).expect("utf-8");
    let start = s.find("\n\n").expect("header end") + 2;
    let end = s.find("-----BEGIN PGP SIGNATURE-----").expect("sig");
    doc[start..end].to_vec()
}

#[test]
fn debian_bookworm_inrelease_verifies() {
    let Some(ring) = host_keyring(DEBIAN_KEYRING) else {
        return;
    };
    let doc = bookworm_inrelease();
    let v = verify_cleartext(&doc, &ring, "bookworm/InRelease").expect("verifies");
    assert!(BOOKWORM_SIGNERS.contains(&v.signer_fingerprint.as_str()));
    assert_eq!(v.text, naive_cleartext(&doc));
    assert!(v.text.starts_with(b"Origin: Debian\n"));
    if require_tool("gpgv") {
        assert_eq!(
            v.text,
            common::gpgv_cleartext(&read(DEBIAN_KEYRING.as_ref()), &doc)
        );
    }
}

#[test]
fn debian_skips_untrusted_signatures_to_find_a_trusted_one() {
    // Only the EdDSA release key: the two RSA signatures before it are skipped.
    let path = "/usr/share/keyrings/debian-archive-bookworm-stable.gpg";
    let Some(ring) = host_keyring(path) else {
        return;
    };
    let v = verify_cleartext(&bookworm_inrelease(), &ring, "InRelease").expect("verifies");
    assert_eq!(v.signer_fingerprint, BOOKWORM_SIGNERS[2]);
    // Only the bookworm automatic key: a signing subkey of an RSA 4096 key.
    let path = "/usr/share/keyrings/debian-archive-bookworm-automatic.gpg";
    let Some(ring) = host_keyring(path) else {
        return;
    };
    let v = verify_cleartext(&bookworm_inrelease(), &ring, "InRelease").expect("verifies");
    assert_eq!(v.signer_fingerprint, BOOKWORM_SIGNERS[0]);
}

#[test]
fn debian_tampered_inrelease_fails() {
    let Some(ring) = host_keyring(DEBIAN_KEYRING) else {
        return;
    };
    let mut doc = bookworm_inrelease();
    let pos = doc
        .windows(7)
        .position(|w| w == b"12.15\nC")
        .expect("Version line");
    doc[pos + 4] = b'6'; // Version: 12.16
    let err = verify_cleartext(&doc, &ring, "bookworm/InRelease").expect_err("tampered");
    assert!(matches!(err, SigError::BadSignature { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("bookworm/InRelease") && msg.contains("BAD signature"),
        "{msg}"
    );

    // Appending a line to the signed text is caught too.
    let mut doc = bookworm_inrelease();
    let pos = doc
        .windows(30)
        .position(|w| w == b"-----BEGIN PGP SIGNATURE-----\n")
        .expect("sig");
    doc.splice(pos..pos, b"Acquire-By-Hash: no\n".iter().copied());
    assert!(verify_cleartext(&doc, &ring, "x").is_err());
}

#[test]
fn debian_inrelease_with_unrelated_key_is_untrusted() {
    let ring = Keyring::from_bytes(common::ubuntu_key_armored().as_bytes(), "chisel.yaml")
        .expect("ubuntu key");
    let err = verify_cleartext(&bookworm_inrelease(), &ring, "bookworm/InRelease")
        .expect_err("untrusted");
    let SigError::NoTrustedSignature { issuers, .. } = &err else {
        panic!("unexpected error: {err}");
    };
    assert_eq!(issuers.len(), 3, "{issuers:?}");
    let msg = err.to_string();
    assert!(msg.contains("no signature by a trusted key"), "{msg}");
    assert!(msg.contains("keyring"), "{msg}");
    assert!(BOOKWORM_SIGNERS.iter().all(|fp| msg.contains(fp)), "{msg}");
}

#[test]
fn ubuntu_noble_inreleases_verify() {
    let ring = Keyring::from_bytes(common::ubuntu_key_armored().as_bytes(), "chisel.yaml")
        .expect("ubuntu key");
    assert_eq!(ring.len(), 1);
    assert_eq!(
        ring.fingerprints()[0],
        "F6ECB3762474EDA9D21B7022871920D1991BC93C"
    );
    for suite in ["noble", "noble-updates", "noble-security"] {
        let path = fixtures::path(format!(
            "ubuntu-noble-mirror/ubuntu/dists/{suite}/InRelease"
        ));
        let doc = read(&path);
        let v = verify_cleartext(&doc, &ring, suite).expect("verifies");
        assert_eq!(
            v.signer_fingerprint,
            "F6ECB3762474EDA9D21B7022871920D1991BC93C"
        );
        assert_eq!(v.text, naive_cleartext(&doc));
    }
    // The host's Ubuntu keyring, if installed: an extra the test command
    // does not provide (Debian 12 has no ubuntu-keyring package), so its
    // absence is a SKIP even under CI.
    let path = Path::new("/usr/share/keyrings/ubuntu-archive-keyring.gpg");
    if path.exists() {
        let host = Keyring::from_bytes(&read(path), "ubuntu-archive-keyring.gpg").expect("parse");
        let doc = read(&fixtures::path(
            "ubuntu-noble-mirror/ubuntu/dists/noble/InRelease",
        ));
        verify_cleartext(&doc, &host, "noble").expect("verifies with host keyring");
    } else {
        skip(&format!(
            "{} is not installed; the check against the host's Ubuntu keyring did NOT run",
            path.display()
        ));
    }
    // And a Debian keyring does not trust Ubuntu.
    if let Some(debian) = host_keyring(DEBIAN_KEYRING) {
        let doc = read(&fixtures::path(
            "ubuntu-noble-mirror/ubuntu/dists/noble/InRelease",
        ));
        let err = verify_cleartext(&doc, &debian, "noble").expect_err("untrusted");
        assert!(err.to_string().contains("871920D1991BC93C"), "{err}");
    }
}

#[test]
fn host_keyrings_parse_and_merge() {
    let Some(mut ring) = host_keyring(DEBIAN_KEYRING) else {
        return;
    };
    assert!(ring.len() >= 3, "{}", ring.len());
    let before = ring.len();
    let entries = fs_err::read_dir("/usr/share/keyrings").expect("read dir");
    for entry in entries {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "gpg" || e == "asc") {
            let other = Keyring::from_bytes(&read(&path), &path.display().to_string())
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!other.is_empty());
            ring.extend(other);
        }
    }
    assert!(ring.len() >= before);
    // Merging a keyring into itself does not duplicate keys.
    let again = host_keyring(DEBIAN_KEYRING).expect("exists");
    let n = ring.len();
    ring.extend(again);
    assert_eq!(ring.len(), n);
}

#[test]
fn malformed_inputs_are_reported() {
    let ring = Keyring::from_bytes(common::ubuntu_key_armored().as_bytes(), "k").expect("key");
    let err = verify_cleartext(b"Origin: Debian\n", &ring, "InRelease").expect_err("malformed");
    assert!(matches!(err, SigError::Malformed { .. }), "{err}");
    assert!(err.to_string().starts_with("InRelease: malformed"), "{err}");
    // Text outside the signed part is refused.
    let mut doc = bookworm_inrelease();
    doc.extend_from_slice(b"Injected: yes\n");
    assert!(verify_cleartext(&doc, &ring, "x").is_err());
    let err = Keyring::from_bytes(b"garbage", "ring.gpg").expect_err("bad keyring");
    assert!(
        err.to_string()
            .starts_with("ring.gpg: malformed OpenPGP keyring"),
        "{err}"
    );
    let err = verify_detached(b"data", b"\x00\x01", &ring, "Release.gpg").expect_err("bad sig");
    assert!(matches!(err, SigError::Malformed { .. }), "{err}");
}

/// Documents made by GnuPG (RSA key): clearsign text normalisation (trailing
/// whitespace, dash-escaping, CRLF) and detached signatures, binary and armored.
#[test]
fn gnupg_made_signatures_verify() {
    if !require_tool("gpg") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg")
            .arg("--homedir")
            .arg(dir.path())
            .args([
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
            ])
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("run gpg");
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    gpg(&[
        "--quick-gen-key",
        "Whittle Test <t@example.invalid>",
        "rsa2048",
        "sign",
        "never",
    ]);
    let pubkey = gpg(&["--export"]);
    let armored = gpg(&["--armor", "--export"]);
    let ring = Keyring::from_bytes(&pubkey, "gpg export").expect("binary keyring");
    assert_eq!(
        Keyring::from_bytes(&armored, "asc").expect("armored").len(),
        1
    );

    let text =
        b"Origin: Test  \n- dashed\n-----BEGIN fake\nTabs:\t\t\r\nCRLF: yes\r\n\nFrom me\nlast\n";
    fs_err::write(dir.path().join("Release"), text).expect("write");
    gpg(&["--clearsign", "--output", "InRelease", "Release"]);
    let doc = read(&dir.path().join("InRelease"));
    let v = verify_cleartext(&doc, &ring, "InRelease").expect("gpg clearsign verifies");
    assert_eq!(
        v.text,
        common::gpgv_cleartext(&pubkey, &doc),
        "same text as gpgv"
    );
    assert_eq!(
        v.text,
        b"Origin: Test\n- dashed\n-----BEGIN fake\nTabs:\r\nCRLF: yes\r\n\nFrom me\nlast\n"
    );
    // Changing unsigned trailing whitespace keeps the signature valid; changing text does not.
    let s = String::from_utf8(doc.clone()).expect("utf-8");
    let ws = s.replacen("Origin: Test", "Origin: Test \t", 1);
    assert!(verify_cleartext(ws.as_bytes(), &ring, "x").is_ok());
    let bad = s.replacen("last", "lest", 1);
    assert!(matches!(
        verify_cleartext(bad.as_bytes(), &ring, "x"),
        Err(SigError::BadSignature { .. })
    ));

    for (args, name) in [
        (
            &["--detach-sign", "--output", "Release.sig", "Release"][..],
            "Release.sig",
        ),
        (
            &[
                "--armor",
                "--detach-sign",
                "--output",
                "Release.gpg",
                "Release",
            ][..],
            "Release.gpg",
        ),
    ] {
        gpg(args);
        let sig = read(&dir.path().join(name));
        let v = verify_detached(text, &sig, &ring, name).expect("detached verifies");
        assert_eq!(v.text, text);
        let mut tampered = text.to_vec();
        tampered[0] ^= 1;
        let err = verify_detached(&tampered, &sig, &ring, name).expect_err("tampered");
        assert!(matches!(err, SigError::BadSignature { .. }), "{err}");
    }
}

/// Key expiry and revocation, using GnuPG with a faked clock: a signature made
/// while the key was valid verifies, one made after it expired does not.
#[test]
fn expired_and_revoked_keys() {
    if !require_tool("gpg") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let gpg = |time: &str, args: &[&str]| {
        let out = Command::new("gpg")
            .arg("--homedir")
            .arg(dir.path())
            .args([
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
            ])
            .args(["--faked-system-time", time])
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("run gpg");
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    gpg(
        "20200101T000000!",
        &[
            "--quick-gen-key",
            "Exp <e@example.invalid>",
            "ed25519",
            "sign",
            "never",
        ],
    );
    fs_err::write(dir.path().join("Release"), b"Suite: old\n").expect("write");
    gpg(
        "20200101T120000!",
        &["--clearsign", "--output", "early", "Release"],
    );
    gpg(
        "20200103T000000!",
        &["--clearsign", "--output", "late", "Release"],
    );
    let list = String::from_utf8(gpg("20200101T000000!", &["--with-colons", "--list-keys"]))
        .expect("utf-8");
    let fpr = list
        .lines()
        .find_map(|l| l.strip_prefix("fpr:::::::::"))
        .expect("fpr");
    let fpr = fpr.trim_end_matches(':').to_string();
    // Expire the key one day after 2020-01-01 06:00.
    gpg("20200101T060000!", &["--quick-set-expire", &fpr, "1d"]);
    let ring =
        Keyring::from_bytes(&gpg("20200102T000000!", &["--export"]), "exp.gpg").expect("key");
    let early = read(&dir.path().join("early"));
    let v = verify_cleartext(&early, &ring, "early").expect("signed before expiry");
    assert_eq!(v.text, b"Suite: old\n");
    let err =
        verify_cleartext(&read(&dir.path().join("late")), &ring, "late").expect_err("expired");
    assert!(matches!(err, SigError::Rejected { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("after the key expired on 2020-01-02"),
        "{err}"
    );

    // Revoke the key: nothing it signed is accepted any more.
    gpg("20200101T070000!", &["--quick-set-expire", &fpr, "0"]);
    let rev = dir.path().join(format!("openpgp-revocs.d/{fpr}.rev"));
    let rev = String::from_utf8(read(&rev))
        .expect("utf-8")
        .replace(":-----", "-----");
    fs_err::write(dir.path().join("rev.asc"), rev).expect("write");
    gpg("20200101T080000!", &["--import", "rev.asc"]);
    let ring =
        Keyring::from_bytes(&gpg("20200102T000000!", &["--export"]), "rev.gpg").expect("key");
    let err = verify_cleartext(&early, &ring, "early").expect_err("revoked");
    assert!(err.to_string().contains("revoked"), "{err}");
}
