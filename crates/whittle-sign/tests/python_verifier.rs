//! whittle's signatures checked by an independent verifier written in
//! Python (`crates/whittle-test/py/sigstore_verify.py`: `cryptography`,
//! PyNaCl, `sigstore_protobuf_specs`), and keys written by its own cosign
//! format code read by whittle, and the other way round.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use common::{sign_statement, tampered_cases, DIGEST, OTHER_DIGEST};
use whittle_sign::{
    predicate, simple_signing, Bundle, KeyError, PublicKey, SigningKey, Statement, Subject,
};
use whittle_test_env::host;

/// The test venv's Python and the checker script, or a loud skip.
fn python() -> Option<(PathBuf, PathBuf)> {
    host::sigstore_verifier()
}

fn run((python, script): &(PathBuf, PathBuf), args: &[&str]) -> Output {
    Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    fs_err::write(&path, data).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn python_accepts_whittles_bundles_and_reads_the_same_statement() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate();
    let public = write(dir.path(), "cosign.pub", key.public_key().to_pem());
    let platform = format!("sha256:{}", "12".repeat(32));
    let sbom = serde_json::json!({"spdxVersion": "SPDX-2.3", "name": "app", "packages": [{"name": "zlib"}]});
    let cases = [
        (sign_statement(DIGEST), predicate::COSIGN_SIGN),
        (
            Statement::new(
                vec![
                    Subject::from_oci_digest("registry.test/app", DIGEST).unwrap(),
                    Subject::from_oci_digest("", &platform).unwrap(),
                ],
                predicate::SPDX,
                sbom,
            ),
            predicate::SPDX,
        ),
    ];
    for (statement, predicate_type) in cases {
        let bundle = write(
            dir.path(),
            "b.json",
            Bundle::sign_statement(&key, &statement).to_json(),
        );
        let out = run(
            &py,
            &[
                "verify",
                "--key",
                &public,
                "--bundle",
                &bundle,
                "--digest",
                DIGEST,
                "--predicate-type",
                predicate_type,
            ],
        );
        assert!(
            out.status.success(),
            "{predicate_type}: {}",
            text(&out.stderr)
        );
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(printed, serde_json::to_value(&statement).unwrap());
        // A platform manifest in the subject verifies too; a predicate
        // type asked for and not signed does not.
        if predicate_type == predicate::SPDX {
            let out = run(
                &py,
                &[
                    "verify", "--key", &public, "--bundle", &bundle, "--digest", &platform,
                ],
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        let out = run(
            &py,
            &[
                "verify",
                "--key",
                &public,
                "--bundle",
                &bundle,
                "--digest",
                DIGEST,
                "--predicate-type",
                predicate::CYCLONEDX,
            ],
        );
        assert!(!out.status.success() && text(&out.stderr).contains("REJECT: predicate type"));
    }
}

#[test]
fn python_rejects_every_tampered_bundle_whittle_rejects() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_, bundle, cases) = tampered_cases();
    let good = write(dir.path(), "good.json", bundle.to_json());
    for case in cases {
        let key = write(dir.path(), "key.pub", case.key.to_pem());
        let path = write(dir.path(), "tampered.json", &case.bundle);
        let out = run(
            &py,
            &[
                "verify",
                "--key",
                &key,
                "--bundle",
                &path,
                "--digest",
                case.digest,
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: python accepted it: {}",
            case.name,
            text(&out.stdout)
        );
        let reason = text(&out.stderr);
        assert!(
            reason.starts_with("REJECT: ") && reason.contains(case.python_reason),
            "{}: {reason}",
            case.name
        );
        let whittle = Bundle::from_json(&case.bundle)
            .unwrap()
            .verify(&case.key, case.digest);
        assert!(whittle.is_err(), "{}", case.name);
        // The untouched bundle passes with the same key (the case is the
        // tampering, not the setup) unless the key itself is the case.
        if case.name != "wrong key" {
            let out = run(
                &py,
                &[
                    "verify", "--key", &key, "--bundle", &good, "--digest", DIGEST,
                ],
            );
            assert!(out.status.success(), "{}: {}", case.name, text(&out.stderr));
        }
    }
}

#[test]
fn python_accepts_whittles_legacy_signatures_for_their_digest_only() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate();
    let public = write(dir.path(), "cosign.pub", key.public_key().to_pem());
    let payload = simple_signing::payload("registry.test/app", DIGEST);
    let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(&payload));
    let file = write(dir.path(), "payload.json", &payload);
    let out = run(
        &py,
        &[
            "verify-legacy",
            "--key",
            &public,
            "--payload",
            &file,
            "--signature",
            &sig,
            "--digest",
            DIGEST,
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        &py,
        &[
            "verify-legacy",
            "--key",
            &public,
            "--payload",
            &file,
            "--signature",
            &sig,
            "--digest",
            OTHER_DIGEST,
        ],
    );
    assert!(
        text(&out.stderr).contains("REJECT: the payload is for"),
        "{}",
        text(&out.stderr)
    );
    let other = write(
        dir.path(),
        "other.pub",
        SigningKey::generate().public_key().to_pem(),
    );
    let out = run(
        &py,
        &[
            "verify-legacy",
            "--key",
            &other,
            "--payload",
            &file,
            "--signature",
            &sig,
            "--digest",
            DIGEST,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn whittle_reads_keys_in_cosigns_format_written_independently() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // cosign today (N 2^16, SIGSTORE label) and before (N 2^15, COSIGN).
    for (password, extra) in [
        ("s3cret", &[][..]),
        ("", &["--log-n", "15", "--cosign-label"][..]),
    ] {
        let out_dir = dir.path().join(format!("k{}", extra.len()));
        let out_str = out_dir.to_str().unwrap();
        let mut args = vec!["keygen-cosign", "--password", password, "--out", out_str];
        args.extend_from_slice(extra);
        let out = run(&py, &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let private = fs_err::read_to_string(out_dir.join("cosign.key")).unwrap();
        let public_pem = fs_err::read_to_string(out_dir.join("cosign.pub")).unwrap();
        let key = SigningKey::from_pem(&private, password.as_bytes()).unwrap();
        let public = PublicKey::from_pem(&public_pem).unwrap();
        assert_eq!(key.public_key(), public);
        assert_eq!(
            public.to_pem(),
            public_pem,
            "the same PEM bytes as Python's"
        );
        let err = SigningKey::from_pem(&private, b"not it").unwrap_err();
        assert!(matches!(err, KeyError::WrongPassword), "{err}");
        // A bundle signed with the key Python made verifies in Python.
        let bundle = write(
            dir.path(),
            "b.json",
            Bundle::sign_statement(&key, &sign_statement(DIGEST)).to_json(),
        );
        let pub_path = out_dir.join("cosign.pub");
        let out = run(
            &py,
            &[
                "verify",
                "--key",
                pub_path.to_str().unwrap(),
                "--bundle",
                &bundle,
                "--digest",
                DIGEST,
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

#[test]
fn whittles_encrypted_key_opens_with_the_independent_code() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate();
    for password in ["pässword", ""] {
        let path = write(
            dir.path(),
            "cosign.key",
            key.to_encrypted_pem(password.as_bytes()).unwrap(),
        );
        let out = run(
            &py,
            &["decrypt-cosign", "--password", password, "--key", &path],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), key.public_key().to_pem());
        let out = run(
            &py,
            &["decrypt-cosign", "--password", "wrong", "--key", &path],
        );
        assert!(
            text(&out.stderr).contains("REJECT: wrong password"),
            "{}",
            text(&out.stderr)
        );
    }
}
