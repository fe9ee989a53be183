//! The body of cosign's encrypted private key PEM (`ENCRYPTED SIGSTORE
//! PRIVATE KEY`, earlier `ENCRYPTED COSIGN PRIVATE KEY`): the JSON of
//! go-securesystemslib's `encrypted` package. The PKCS#8 DER is sealed
//! with NaCl secretbox (XSalsa20-Poly1305, tag first) under a key that
//! scrypt derives from the password and a 32-byte salt; bytes are standard
//! base64 with padding, as Go's `encoding/json` writes `[]byte`.

use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::KeyError;

/// The scrypt cost cosign writes (go-securesystemslib's "standard").
const LOG_N_WRITE: u8 = 16;
/// The cost parameters go-securesystemslib accepts: N = 2^15, 2^16, 2^17
/// with r = 8, p = 1. Anything else is refused before scrypt allocates.
const LOG_N_ACCEPTED: [u8; 3] = [15, 16, 17];
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

#[derive(Serialize, Deserialize)]
struct Sealed {
    kdf: Kdf,
    cipher: Cipher,
    #[serde(with = "crate::b64")]
    ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: KdfParams,
    #[serde(with = "crate::b64")]
    salt: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct KdfParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    #[serde(with = "crate::b64")]
    nonce: Vec<u8>,
}

/// Seal `plaintext` (PKCS#8 DER) under `password`: the JSON cosign writes.
pub(crate) fn seal(plaintext: &[u8], password: &[u8]) -> Result<Vec<u8>, KeyError> {
    let mut salt = vec![0u8; SALT_LEN];
    let mut nonce = vec![0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let key = derive(password, &salt, LOG_N_WRITE)?;
    let ciphertext = XSalsa20Poly1305::new(&key.into())
        .encrypt(nonce.as_slice().into(), plaintext)
        .map_err(|_| KeyError::Encrypt {
            what: "secretbox refused the plaintext".into(),
        })?;
    let sealed = Sealed {
        kdf: Kdf {
            name: "scrypt".into(),
            params: KdfParams {
                n: 1 << LOG_N_WRITE,
                r: 8,
                p: 1,
            },
            salt,
        },
        cipher: Cipher {
            name: "nacl/secretbox".into(),
            nonce,
        },
        ciphertext,
    };
    serde_json::to_vec(&sealed).map_err(|e| KeyError::Encrypt {
        what: e.to_string(),
    })
}

/// Open the JSON `body` with `password`; the PKCS#8 DER inside.
pub(crate) fn open(body: &[u8], password: &[u8]) -> Result<Vec<u8>, KeyError> {
    let sealed: Sealed = serde_json::from_slice(body).map_err(|e| KeyError::NotAKey {
        found: format!("an encrypted key whose JSON does not read ({e})"),
    })?;
    if sealed.kdf.name != "scrypt" {
        return Err(unsupported(format!("key derivation {:?}", sealed.kdf.name)));
    }
    if sealed.cipher.name != "nacl/secretbox" {
        return Err(unsupported(format!("cipher {:?}", sealed.cipher.name)));
    }
    let KdfParams { n, r, p } = sealed.kdf.params;
    let log_n = LOG_N_ACCEPTED
        .into_iter()
        .find(|l| 1u64 << l == n)
        .filter(|_| r == 8 && p == 1)
        .ok_or_else(|| unsupported(format!("scrypt parameters N {n}, r {r}, p {p}")))?;
    if sealed.cipher.nonce.len() != NONCE_LEN {
        return Err(unsupported(format!(
            "a {}-byte nonce (secretbox takes {NONCE_LEN})",
            sealed.cipher.nonce.len()
        )));
    }
    let key = derive(password, &sealed.kdf.salt, log_n)?;
    XSalsa20Poly1305::new(&key.into())
        .decrypt(
            sealed.cipher.nonce.as_slice().into(),
            sealed.ciphertext.as_slice(),
        )
        .map_err(|_| KeyError::WrongPassword)
}

fn derive(password: &[u8], salt: &[u8], log_n: u8) -> Result<[u8; KEY_LEN], KeyError> {
    let params = scrypt::Params::new(log_n, 8, 1, KEY_LEN).map_err(|e| KeyError::Encrypt {
        what: e.to_string(),
    })?;
    let mut key = [0u8; KEY_LEN];
    scrypt::scrypt(password, salt, &params, &mut key).map_err(|e| KeyError::Encrypt {
        what: e.to_string(),
    })?;
    Ok(key)
}

fn unsupported(what: String) -> KeyError {
    KeyError::UnsupportedEncryption { what }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    #[test]
    fn seals_and_opens_with_the_same_password_only() {
        let sealed = seal(b"secret der", b"pw").unwrap();
        assert_eq!(open(&sealed, b"pw").unwrap(), b"secret der");
        assert!(matches!(
            open(&sealed, b"other"),
            Err(KeyError::WrongPassword)
        ));
        let json: serde_json::Value = serde_json::from_slice(&sealed).unwrap();
        assert_eq!(json["kdf"]["name"], "scrypt");
        assert_eq!(json["kdf"]["params"]["N"], 65536);
        assert_eq!(json["cipher"]["name"], "nacl/secretbox");
        let nonce = STANDARD
            .decode(json["cipher"]["nonce"].as_str().unwrap())
            .unwrap();
        assert_eq!(nonce.len(), NONCE_LEN);
        // secretbox adds its 16-byte tag.
        let ct = STANDARD
            .decode(json["ciphertext"].as_str().unwrap())
            .unwrap();
        assert_eq!(ct.len(), b"secret der".len() + 16);
    }

    #[test]
    fn refuses_costs_outside_cosigns_before_deriving() {
        let sealed = seal(b"x", b"").unwrap();
        let mut json: serde_json::Value = serde_json::from_slice(&sealed).unwrap();
        json["kdf"]["params"]["N"] = serde_json::json!(1u64 << 30);
        let err = open(&serde_json::to_vec(&json).unwrap(), b"").unwrap_err();
        assert!(
            matches!(err, KeyError::UnsupportedEncryption { .. }),
            "{err}"
        );
        json["kdf"]["params"]["N"] = serde_json::json!(65536);
        json["cipher"]["name"] = serde_json::json!("aes-gcm");
        let err = open(&serde_json::to_vec(&json).unwrap(), b"").unwrap_err();
        assert!(err.to_string().contains("aes-gcm"), "{err}");
    }
}
