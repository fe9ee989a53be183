//! Detached signatures (Debian `Release` + `Release.gpg`).

use std::io::Cursor;

use pgp::{
    composed::{Deserializable, DetachedSignature},
    packet::Signature,
};

use crate::error::without_byte_dumps;
use crate::{keyring::is_armored, Keyring, SigError, Verified};

/// Verify a detached signature (`Release` + `Release.gpg`; the signature binary or
/// armored, holding one or several signature packets).
///
/// Accepts `data` if at least one signature was made by a key (primary or
/// signing subkey) in `keyring` and is valid; `Verified::text` is `data`
/// unchanged. `origin` names the file in errors.
pub fn verify_detached(
    data: &[u8],
    signature: &[u8],
    keyring: &Keyring,
    origin: &str,
) -> Result<Verified, SigError> {
    let malformed = |e: pgp::errors::Error| SigError::Malformed {
        origin: origin.to_string(),
        reason: format!(
            "cannot parse the detached signature: {}",
            without_byte_dumps(&e.to_string())
        ),
    };
    let iter = if is_armored(signature) {
        DetachedSignature::from_armor_many_buf(Cursor::new(signature))
            .map_err(malformed)?
            .0
    } else {
        DetachedSignature::from_bytes_many(Cursor::new(signature)).map_err(malformed)?
    };
    let sigs = iter
        .map(|s| s.map(|d| d.signature))
        .collect::<Result<Vec<Signature>, _>>()
        .map_err(malformed)?;
    let signer_fingerprint = keyring.check(&sigs, data, origin)?;
    Ok(Verified {
        text: data.to_vec(),
        signer_fingerprint,
    })
}
