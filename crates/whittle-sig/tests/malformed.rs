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
        msg.contains("the header or signature block does not decode"),
        "{msg}"
    );
    let mut real = real_inrelease();
    let n = real.len();
    real[n - 200] = b'!';
    let msg = message(&real);
    assert!(msg.contains("does not decode"), "{msg}");
}

/// Found by fuzzing (target `inrelease`): rpgp's clearsign reader searched
/// everything read so far again after each line, so parsing was quadratic
/// (a 1.2 MB document took 8.5 s; a hostile mirror could stall a build for
/// hours). The text is now split in one pass: 16 copies of a real text
/// (2.4 MB) parse in milliseconds; the bound leaves room for a slow machine.
#[test]
fn a_large_document_parses_in_linear_time() {
    let real = real_inrelease();
    let text_start = real.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let sig_start = real
        .windows(29)
        .position(|w| w == b"-----BEGIN PGP SIGNATURE-----")
        .unwrap();
    let text = &real[text_start..sig_start];
    let mut doc = real[..text_start].to_vec();
    for _ in 0..16 {
        doc.extend_from_slice(text);
    }
    doc.extend_from_slice(&real[sig_start..]);
    let started = std::time::Instant::now();
    let out = cleartext_unverified(&doc, ORIGIN).unwrap();
    let took = started.elapsed();
    assert!(took.as_secs() < 5, "{} bytes took {took:?}", doc.len());
    assert_eq!(out.len(), text.len() * 16);
    // The signature is over one copy: it does not verify for 16.
    if let Ok(bytes) = fs_err::read("/usr/share/keyrings/debian-archive-keyring.gpg") {
        let ring = Keyring::from_bytes(&bytes, "debian").unwrap();
        assert!(verify_cleartext(&real, &ring, ORIGIN).is_ok());
        assert!(verify_cleartext(&doc, &ring, ORIGIN).is_err());
    }
}

#[test]
fn layout_faults_are_named() {
    let real = real_inrelease();
    // Data before the header line is outside the signature: refused.
    let mut leading = b"Injected: yes\n".to_vec();
    leading.extend_from_slice(&real);
    let msg = message(&leading);
    assert!(
        msg.contains("no `-----BEGIN PGP SIGNED MESSAGE-----` line"),
        "{msg}"
    );
    // A signed line starting with dashes that is not dash-escaped.
    let text_start = real.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let mut unescaped = real[..text_start].to_vec();
    unescaped.extend_from_slice(b"-----not escaped\n");
    unescaped.extend_from_slice(&real[text_start..]);
    let msg = message(&unescaped);
    assert!(
        msg.contains("\"-----not escaped\"") && msg.contains("dash-escaped"),
        "{msg}"
    );
    // Text that is not UTF-8.
    let mut latin1 = real[..text_start].to_vec();
    latin1.extend_from_slice(b"Label: caf\xe9\n");
    latin1.extend_from_slice(&real[text_start..]);
    let msg = message(&latin1);
    assert!(msg.contains("not UTF-8"), "{msg}");
}
