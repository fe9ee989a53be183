//! Throw-away keys made with rpgp (feature `test-keys`).
#![cfg(feature = "test-keys")]
#![allow(clippy::print_stderr)]

mod common;

use whittle_sig::testkey::{armored_public_key, clearsign, detached_sign, generate_test_key};
use whittle_sig::{verify_cleartext, verify_detached, Keyring, SigError};
use whittle_test_env::host::require_tool;

const TEXT: &[u8] = b"Origin: Test\nSuite: stable  \n- dash\n-----BEGIN PGP SIGNATURE-----\n\nSHA256:\n abc 1 main/binary-amd64/Packages\r\nFrom here\n";
/// `TEXT` as verified: trailing whitespace dropped, LF line endings.
const EXPECTED: &[u8] = b"Origin: Test\nSuite: stable\n- dash\n-----BEGIN PGP SIGNATURE-----\n\nSHA256:\n abc 1 main/binary-amd64/Packages\nFrom here\n";

#[test]
fn clearsign_round_trip() {
    let (key, ring) = generate_test_key("Whittle Test <test@example.invalid>");
    assert_eq!(ring.len(), 1);
    assert_eq!(ring.fingerprints(), [key.fingerprint()]);
    let doc = clearsign(TEXT, &key);
    assert!(doc.starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"));
    let v = verify_cleartext(&doc, &ring, "InRelease").expect("verifies");
    assert_eq!(v.text, EXPECTED);
    assert_eq!(v.signer_fingerprint, key.signing_fingerprint());
    // Signing the verified text again gives the same text back.
    let again = verify_cleartext(&clearsign(&v.text, &key), &ring, "x").expect("verifies");
    assert_eq!(again.text, EXPECTED);
    // No final newline, and the empty document.
    let v = verify_cleartext(&clearsign(b"a\nb", &key), &ring, "x").expect("verifies");
    assert_eq!(v.text, b"a\nb\n");
    let v = verify_cleartext(&clearsign(b"", &key), &ring, "x").expect("verifies");
    assert_eq!(v.text, b"");
}

#[test]
fn tampered_or_foreign_documents_fail() {
    let (key, ring) = generate_test_key("Signer <a@example.invalid>");
    let (_other, other_ring) = generate_test_key("Other <b@example.invalid>");
    let doc = clearsign(TEXT, &key);

    let mut bad = doc.clone();
    let pos = bad.windows(6).position(|w| w == b"stable").expect("text");
    bad[pos] = b'S';
    let err = verify_cleartext(&bad, &ring, "InRelease").expect_err("tampered");
    assert!(matches!(err, SigError::BadSignature { .. }), "{err}");

    let err = verify_cleartext(&doc, &other_ring, "InRelease").expect_err("wrong key");
    let SigError::NoTrustedSignature { issuers, .. } = &err else {
        panic!("unexpected error: {err}");
    };
    assert_eq!(issuers, &[key.signing_fingerprint()]);
    assert!(
        err.to_string().contains("no signature by a trusted key"),
        "{err}"
    );

    // A merged keyring trusts both.
    let mut both = other_ring.clone();
    both.extend(ring);
    assert_eq!(both.len(), 2);
    verify_cleartext(&doc, &both, "InRelease").expect("verifies with merged keyring");
}

#[test]
fn detached_round_trip() {
    let (key, ring) = generate_test_key("Signer <a@example.invalid>");
    let (_, other_ring) = generate_test_key("Other <b@example.invalid>");
    let sig = detached_sign(TEXT, &key);
    assert!(sig.starts_with(b"-----BEGIN PGP SIGNATURE-----"));
    let v = verify_detached(TEXT, &sig, &ring, "Release.gpg").expect("verifies");
    assert_eq!(v.text, TEXT);
    assert_eq!(v.signer_fingerprint, key.signing_fingerprint());
    // A binary-type signature covers line endings too.
    let mut crlf = TEXT.to_vec();
    crlf.pop();
    crlf.extend_from_slice(b"\r\n");
    let err = verify_detached(&crlf, &sig, &ring, "Release.gpg").expect_err("tampered");
    assert!(matches!(err, SigError::BadSignature { .. }), "{err}");
    let err = verify_detached(TEXT, &sig, &other_ring, "Release.gpg").expect_err("wrong key");
    assert!(matches!(err, SigError::NoTrustedSignature { .. }), "{err}");
}

#[test]
fn public_key_exports_parse() {
    let (a, _) = generate_test_key("A <a@example.invalid>");
    let (b, _) = generate_test_key("B <b@example.invalid>");
    let armored = format!("{}\n{}", armored_public_key(&a), armored_public_key(&b));
    let ring = Keyring::from_bytes(armored.as_bytes(), "keys.asc").expect("two armored blocks");
    assert_eq!(ring.fingerprints(), [a.fingerprint(), b.fingerprint()]);
    let mut binary = a.public_key_bytes();
    binary.extend(b.public_key_bytes());
    let ring = Keyring::from_bytes(&binary, "keys.gpg").expect("binary keyring");
    assert_eq!(ring.len(), 2);
    verify_cleartext(&clearsign(TEXT, &b), &ring, "x").expect("verifies");
}

#[test]
fn gpgv_accepts_our_signatures() {
    if !require_tool("gpgv") {
        return;
    }
    let (key, ring) = generate_test_key("Whittle Test <test@example.invalid>");
    let doc = clearsign(TEXT, &key);
    let ours = verify_cleartext(&doc, &ring, "InRelease").expect("verifies");
    let theirs = common::gpgv_cleartext(&key.public_key_bytes(), &doc);
    assert_eq!(theirs, ours.text);
    let sig = detached_sign(TEXT, &key);
    assert!(common::gpgv_detached(&key.public_key_bytes(), TEXT, &sig));
    assert!(!common::gpgv_detached(
        &key.public_key_bytes(),
        b"other",
        &sig
    ));
}
