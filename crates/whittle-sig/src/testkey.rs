//! Throw-away keys for tests (cargo feature `test-keys`): generate a key, clearsign
//! an `InRelease` or detached-sign a `Release`, and export the public key.
//!
//! Not for production use: keys are unprotected and helpers panic on failure.

use pgp::{
    composed::{
        ArmorOptions, DetachedSignature, KeyType, SecretKeyParamsBuilder, SignedPublicKey,
        SignedSecretKey, SubkeyParamsBuilder,
    },
    crypto::hash::HashAlgorithm,
    ser::Serialize,
    types::{KeyDetails, Password},
};

use crate::Keyring;

/// An unprotected OpenPGP secret key: an Ed25519 certification-only primary key
/// with one Ed25519 signing subkey (the layout of Debian's archive keys).
#[derive(Debug, Clone)]
pub struct SecretKeyBlob {
    key: SignedSecretKey,
}

impl SecretKeyBlob {
    /// Upper-case hex fingerprint of the primary key.
    pub fn fingerprint(&self) -> String {
        format!("{:X}", self.key.primary_key.fingerprint())
    }

    /// Upper-case hex fingerprint of the signing subkey (what
    /// [`Verified::signer_fingerprint`](crate::Verified) reports).
    pub fn signing_fingerprint(&self) -> String {
        format!("{:X}", self.signing_key().fingerprint())
    }

    /// The public key as a binary keyring (the format of `/usr/share/keyrings/*.gpg`).
    pub fn public_key_bytes(&self) -> Vec<u8> {
        SignedPublicKey::from(self.key.clone())
            .to_bytes()
            .expect("serialize public key")
    }

    /// A keyring holding just this key's public part.
    pub fn keyring(&self) -> Keyring {
        let mut ring = Keyring::default();
        ring.add_key(&SignedPublicKey::from(self.key.clone()));
        ring
    }

    fn signing_key(&self) -> &pgp::composed::SignedSecretSubKey {
        self.key
            .secret_subkeys
            .first()
            .expect("test key has a signing subkey")
    }
}

/// Generate a throw-away key for `user_id` (e.g. `"Test Archive <test@example.invalid>"`)
/// and a keyring trusting it.
pub fn generate_test_key(user_id: &str) -> (SecretKeyBlob, Keyring) {
    let sub = SubkeyParamsBuilder::default()
        .key_type(KeyType::Ed25519Legacy)
        .can_sign(true)
        .build()
        .expect("signing subkey parameters");
    let params = SecretKeyParamsBuilder::default()
        .key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .primary_user_id(user_id.to_string())
        .subkeys(vec![sub])
        .build()
        .expect("key parameters");
    let key = params
        .generate(rand::thread_rng())
        .expect("generate test key");
    let blob = SecretKeyBlob { key };
    let ring = blob.keyring();
    (blob, ring)
}

/// The public key, ASCII-armored (`-----BEGIN PGP PUBLIC KEY BLOCK-----`).
pub fn armored_public_key(key: &SecretKeyBlob) -> String {
    SignedPublicKey::from(key.key.clone())
        .to_armored_string(ArmorOptions::default())
        .expect("armor public key")
}

/// Clearsign `text` as GnuPG does (`gpg --clearsign`): an `InRelease` whose
/// verified text (by this crate or `gpgv --output`) is `text` with LF line
/// endings, trailing spaces/tabs removed, and a final newline.
pub fn clearsign(text: &[u8], key: &SecretKeyBlob) -> Vec<u8> {
    let mut body = Vec::new();
    let mut canonical = Vec::new();
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    // A final newline ends the last line; it is not an extra empty line.
    let n = if text.ends_with(b"\n") {
        lines.len() - 1
    } else {
        lines.len()
    };
    for (i, line) in lines[..n].iter().enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let end = line
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |p| p + 1);
        let line = &line[..end];
        if line.starts_with(b"-") {
            body.extend_from_slice(b"- ");
        }
        body.extend_from_slice(line);
        body.push(b'\n');
        if i > 0 {
            canonical.extend_from_slice(b"\r\n");
        }
        canonical.extend_from_slice(line);
    }
    let sig = DetachedSignature::sign_text_data(
        rand::thread_rng(),
        &**key.signing_key(),
        &Password::empty(),
        HashAlgorithm::Sha256,
        &canonical[..],
    )
    .expect("sign text");
    let mut doc = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n".to_vec();
    doc.extend_from_slice(&body);
    doc.extend_from_slice(
        sig.to_armored_string(ArmorOptions::default())
            .expect("armor signature")
            .as_bytes(),
    );
    doc
}

/// Make an armored detached signature of `data` (a `Release.gpg` for a `Release`).
pub fn detached_sign(data: &[u8], key: &SecretKeyBlob) -> Vec<u8> {
    DetachedSignature::sign_binary_data(
        rand::thread_rng(),
        &**key.signing_key(),
        &Password::empty(),
        HashAlgorithm::Sha256,
        data,
    )
    .expect("sign data")
    .to_armored_bytes(ArmorOptions::default())
    .expect("armor signature")
}
