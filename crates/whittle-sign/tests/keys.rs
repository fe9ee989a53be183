//! Keys: whittle's encrypted PEM read back, plain PKCS#8 and SEC1 PEMs
//! (made by OpenSSL where it is installed, so not by the code that reads
//! them), public PEM round trips, and the errors that say why a key is
//! refused.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use p256::pkcs8::{EncodePrivateKey, LineEnding};
use sha2::{Digest, Sha256};
use whittle_sign::{KeyError, PublicKey, SigningKey, ENCRYPTED_SIGSTORE_LABEL};
use whittle_test_env::host;

#[test]
fn encrypted_pem_reads_back_with_its_password_only() {
    let key = SigningKey::generate();
    for password in [&b"correct horse"[..], b""] {
        let pem = key.to_encrypted_pem(password).unwrap();
        assert!(pem.starts_with(&format!("-----BEGIN {ENCRYPTED_SIGSTORE_LABEL}-----\n")));
        assert!(
            pem.lines().all(|l| l.len() <= 64),
            "64-column lines, as Go writes"
        );
        let back = SigningKey::from_pem(&pem, password).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let wrong = SigningKey::from_pem(&pem, b"wrong").unwrap_err();
        assert!(matches!(wrong, KeyError::WrongPassword), "{wrong}");
    }
    // An empty password is not "no password".
    let pem = key.to_encrypted_pem(b"pw").unwrap();
    assert!(matches!(
        SigningKey::from_pem(&pem, b""),
        Err(KeyError::WrongPassword)
    ));
}

#[test]
fn the_older_cosign_label_reads_too() {
    let key = SigningKey::generate();
    let pem = key
        .to_encrypted_pem(b"pw")
        .unwrap()
        .replace("SIGSTORE PRIVATE KEY", "COSIGN PRIVATE KEY");
    assert_eq!(
        SigningKey::from_pem(&pem, b"pw").unwrap().public_key(),
        key.public_key()
    );
}

#[test]
fn a_damaged_encrypted_key_is_not_a_wrong_password() {
    let pem = SigningKey::generate().to_encrypted_pem(b"pw").unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let json = String::from_utf8(base64_decode(&body)).unwrap();
    let broken = json.replace("nacl/secretbox", "aes-256-gcm");
    let err = SigningKey::from_pem(&pem_of(ENCRYPTED_SIGSTORE_LABEL, broken.as_bytes()), b"pw")
        .unwrap_err();
    assert!(
        matches!(err, KeyError::UnsupportedEncryption { .. }),
        "{err}"
    );
    let err =
        SigningKey::from_pem(&pem_of(ENCRYPTED_SIGSTORE_LABEL, b"not json"), b"pw").unwrap_err();
    assert!(matches!(err, KeyError::NotAKey { .. }), "{err}");
}

#[test]
fn plain_pkcs8_and_sec1_pems_read_without_a_password() {
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let expected = PublicKey::from_pem(
        &p256::pkcs8::EncodePublicKey::to_public_key_pem(&secret.public_key(), LineEnding::LF)
            .unwrap(),
    )
    .unwrap();
    let pkcs8 = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
    let sec1 = secret.to_sec1_pem(LineEnding::LF).unwrap();
    for pem in [pkcs8.as_str(), sec1.as_str()] {
        let key = SigningKey::from_pem(pem, b"ignored").unwrap();
        assert_eq!(key.public_key(), expected);
    }
}

#[test]
fn openssl_keys_read_and_other_curves_are_refused_by_name() {
    if !host::require_tool("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // `ecparam -genkey` writes EC PARAMETERS, then the SEC1 key.
    let sec1 = openssl(&["ecparam", "-name", "prime256v1", "-genkey"]);
    assert!(sec1.contains("EC PARAMETERS") && sec1.contains("BEGIN EC PRIVATE KEY"));
    fs_err::write(dir.path().join("sec1.pem"), &sec1).unwrap();
    let public = openssl(&["ec", "-in", "sec1.pem", "-pubout"]);
    let pkcs8 = openssl(&["pkcs8", "-topk8", "-nocrypt", "-in", "sec1.pem"]);

    let from_sec1 = SigningKey::from_pem(&sec1, b"").unwrap();
    let from_pkcs8 = SigningKey::from_pem(&pkcs8, b"").unwrap();
    let openssl_public = PublicKey::from_pem(&public).unwrap();
    assert_eq!(from_sec1.public_key(), openssl_public);
    assert_eq!(from_pkcs8.public_key(), openssl_public);
    // whittle writes the public key byte for byte as OpenSSL does.
    assert_eq!(openssl_public.to_pem(), public);

    // A signature by the key read verifies under OpenSSL.
    fs_err::write(dir.path().join("msg"), b"signed by whittle").unwrap();
    fs_err::write(dir.path().join("pub.pem"), &public).unwrap();
    fs_err::write(
        dir.path().join("sig"),
        from_pkcs8.sign(b"signed by whittle"),
    )
    .unwrap();
    let verified = openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        "pub.pem",
        "-signature",
        "sig",
        "msg",
    ]);
    assert_eq!(verified.trim(), "Verified OK");

    for (args, curve) in [
        (
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
            ][..],
            "P-384",
        ),
        (&["genpkey", "-algorithm", "ED25519"][..], "Ed25519"),
        (
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:1024",
            ][..],
            "rsaEncryption",
        ),
    ] {
        let pem = openssl(args);
        let err = SigningKey::from_pem(&pem, b"").unwrap_err();
        assert!(
            matches!(err, KeyError::UnsupportedCurve { .. }),
            "{curve}: {err}"
        );
        assert!(err.to_string().contains(curve), "{err}");
        fs_err::write(dir.path().join("other.pem"), &pem).unwrap();
        let public = openssl(&["pkey", "-in", "other.pem", "-pubout"]);
        let err = PublicKey::from_pem(&public).unwrap_err();
        assert!(
            matches!(err, KeyError::UnsupportedCurve { .. }),
            "{curve}: {err}"
        );
    }
}

#[test]
fn public_pem_round_trips_and_its_hint_is_the_spki_digest() {
    let key = SigningKey::generate().public_key();
    let pem = key.to_pem();
    assert!(
        pem.starts_with("-----BEGIN PUBLIC KEY-----\n")
            && pem.ends_with("-----END PUBLIC KEY-----\n")
    );
    assert_eq!(PublicKey::from_pem(&pem).unwrap(), key);
    let der = base64_decode(
        &pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>(),
    );
    assert_eq!(base64_decode(&key.hint()), Sha256::digest(&der).to_vec());
}

#[test]
fn a_key_of_the_wrong_kind_says_so() {
    let key = SigningKey::generate();
    let err = SigningKey::from_pem(&key.public_key().to_pem(), b"").unwrap_err();
    assert!(
        matches!(err, KeyError::NotAKey { .. }) && err.to_string().contains("public key"),
        "{err}"
    );
    let err = PublicKey::from_pem(&key.to_encrypted_pem(b"").unwrap()).unwrap_err();
    assert!(err.to_string().contains("private key"), "{err}");
    let err = SigningKey::from_pem("hello", b"").unwrap_err();
    assert!(matches!(err, KeyError::NotAKey { .. }), "{err}");
    let err = SigningKey::from_pem(&pem_of("CERTIFICATE", b"x"), b"").unwrap_err();
    assert!(err.to_string().contains("CERTIFICATE"), "{err}");
    let err =
        SigningKey::from_pem(&pem_of("PRIVATE KEY", b"\x30\x03\x02\x01\x00"), b"").unwrap_err();
    assert!(matches!(err, KeyError::NotAKey { .. }), "{err}");
}

#[test]
fn signatures_are_der_and_verify_only_their_message() {
    let key = SigningKey::generate();
    let sig = key.sign(b"message");
    assert_eq!(sig[0], 0x30, "an ASN.1 SEQUENCE");
    assert_eq!(key.sign(b"message"), sig, "RFC 6979: deterministic");
    let public = key.public_key();
    public.verify(b"message", &sig).unwrap();
    assert!(matches!(
        public.verify(b"other", &sig),
        Err(whittle_sign::VerifyError::NotVerified)
    ));
    assert!(matches!(
        public.verify(b"message", &sig[..sig.len() - 1]),
        Err(whittle_sign::VerifyError::BadSignature { .. })
    ));
    assert!(SigningKey::generate()
        .public_key()
        .verify(b"message", &sig)
        .is_err());
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn pem_of(label: &str, body: &[u8]) -> String {
    pem::encode(&pem::Pem::new(label, body.to_vec()))
}
