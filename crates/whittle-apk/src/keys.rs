//! The keyring of trusted APK signing keys: RSA public keys in PEM
//! (`-----BEGIN PUBLIC KEY-----`, SPKI, as `*.rsa.pub` files are), named by
//! their file name, which is how `.SIGN.RSA*.<name>` entries refer to them.

use std::collections::BTreeMap;

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;

/// A key could not be added.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The bytes are not an RSA public key in PEM.
    #[error(
        "signing key {name}: not an RSA public key in PEM ({reason}); \
         APK keys are `-----BEGIN PUBLIC KEY-----` files named like `melange.rsa.pub`"
    )]
    BadKey {
        /// The key's file name.
        name: String,
        /// What the decoder said.
        reason: String,
    },
}

/// Named RSA public keys trusted for APK signatures.
#[derive(Debug, Clone, Default)]
pub struct ApkKeyring {
    keys: BTreeMap<String, RsaPublicKey>,
}

/// The key's file name: the last path component (keys often arrive as
/// paths or URLs).
fn file_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

fn stem(name: &str) -> &str {
    name.strip_suffix(".rsa.pub").unwrap_or(name)
}

impl ApkKeyring {
    /// An empty keyring.
    pub fn new() -> Self {
        ApkKeyring::default()
    }

    /// A keyring of `(name, pem bytes)` pairs, e.g. the files of `/etc/apk/keys`.
    pub fn from_files<N: AsRef<str>, B: AsRef<[u8]>>(files: &[(N, B)]) -> Result<Self, KeyError> {
        let mut k = ApkKeyring::new();
        for (name, pem) in files {
            k.add(name.as_ref(), pem.as_ref())?;
        }
        Ok(k)
    }

    /// Add (or replace) one key. `name` is its file name (a path or URL is
    /// cut to its last component); `pem` is SPKI `PUBLIC KEY` PEM, or
    /// PKCS#1 `RSA PUBLIC KEY` PEM.
    pub fn add(&mut self, name: &str, pem: &[u8]) -> Result<(), KeyError> {
        let name = file_name(name.trim());
        let bad = |reason: String| KeyError::BadKey {
            name: name.to_string(),
            reason,
        };
        let text = std::str::from_utf8(pem).map_err(|_| bad("not UTF-8 text".to_string()))?;
        let key = match RsaPublicKey::from_public_key_pem(text.trim()) {
            Ok(k) => k,
            Err(e) => RsaPublicKey::from_pkcs1_pem(text.trim()).map_err(|_| bad(e.to_string()))?,
        };
        self.keys.insert(name.to_string(), key);
        Ok(())
    }

    /// The key a signature names, by apko's rule: the exact file name, or
    /// the same name with or without the `.rsa.pub` ending.
    pub fn get(&self, name: &str) -> Option<&RsaPublicKey> {
        let name = file_name(name);
        if let Some(k) = self.keys.get(name) {
            return Some(k);
        }
        let want = stem(name);
        self.keys
            .iter()
            .find(|(n, _)| stem(n) == want)
            .map(|(_, k)| k)
    }

    /// The key file names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.keys.keys().map(String::as_str).collect()
    }

    /// Whether the keyring holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many keys the keyring holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
}
