//! Documents that are not sound clearsigned messages: the error says what
//! is wrong in words and names the file; it never dumps raw bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use whittle_sig::{cleartext_unverified, verify_cleartext, Keyring, SigError};
use whittle_test_env::fixtures;

const ORIGIN: &str = "http://mirror.invalid/debian/dists/x/InRelease";

/// The message for `doc`, the same through both entry points.
fn message(doc: &[u8]) -> String {
    let err = verify_cleartext(doc, &Keyring::default(), ORIGIN).expect_err("malformed");
    assert!(matches!(err, SigError::Malformed { .. }), "{err:?}");
    let unverified = cleartext_unverified(doc, ORIGIN).expect_err("malformed");
    assert_eq!(unverified.to_string(), err.to_string());
    let msg = err.to_string();
    assert!(msg.starts_with(ORIGIN), "{msg}");
    // No `Debug` of a byte vector: `[45, 45, 45, …]`.
    let digits_list = msg.split('[').skip(1).any(|s| {
        s.split(']').next().is_some_and(|l| {
            l.contains(", ")
                && l.bytes()
                    .all(|b| b.is_ascii_digit() || b == b',' || b == b' ')
        })
    });
    assert!(!digits_list, "raw bytes in: {msg}");
    msg
}

fn real_inrelease() -> Vec<u8> {
    fs_err::read(fixtures::path(
        "debian-bookworm-mirror/debian/dists/bookworm/InRelease",
    ))
    .unwrap()
}

#[test]
fn plain_text_says_the_header_line_is_missing() {
    let msg = message(b"Origin: Debian\nSuite: stable\n");
    assert!(
        msg.contains(
            "not an OpenPGP cleartext-signed message: no `-----BEGIN PGP SIGNED MESSAGE-----` line"
        ) && msg.contains("\"Origin: Debian\""),
        "{msg}"
    );
    let msg = message(b"<html><body>Not Found</body></html>\n");
    assert!(msg.contains("looks like HTML"), "{msg}");
    let msg = message(b"");
    assert!(msg.contains("the file is empty"), "{msg}");
    let msg = message(b"-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n");
    assert!(msg.contains("another kind of OpenPGP block"), "{msg}");
}

#[test]
fn truncated_documents_say_truncated() {
    let real = real_inrelease();
    let text_end = real
        .windows(29)
        .position(|w| w == b"-----BEGIN PGP SIGNATURE-----")
        .unwrap();
    let msg = message(&real[..text_end / 2]);
    assert!(msg.contains("cut off before its signature"), "{msg}");
    let msg = message(&real[..real.len() - 40]);
    assert!(msg.contains("cut off inside its signature"), "{msg}");
    let msg = message(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n");
    assert!(msg.contains("ends inside its armor headers"), "{msg}");
}

#[test]
fn a_damaged_signature_block_is_described_without_bytes() {
    // This damage made rpgp's error carry 100 raw bytes.
    let mut real = real_inrelease();
    let n = real.len();
    real[n - 100] = b'!';
    let msg = message(&real);
    assert!(
        msg.contains("the signature block does not decode as OpenPGP signatures"),
        "{msg}"
    );
    let mut real = real_inrelease();
    let n = real.len();
    real[n - 200] = b'!';
    let msg = message(&real);
    assert!(msg.contains("does not decode"), "{msg}");
}
