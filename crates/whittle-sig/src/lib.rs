//! OpenPGP signature checks for Debian repositories, built on [`pgp`] (rpgp).
//!
//! - [`Keyring::from_bytes`] loads trusted keys from a binary keyring (such as
//!   `/usr/share/keyrings/debian-archive-keyring.gpg`) or from ASCII-armored blocks.
//! - [`verify_cleartext`] checks a clearsigned `InRelease` and returns the signed
//!   text as `gpgv --output` would write it.
//! - [`verify_detached`] checks `Release` against `Release.gpg`.
//!
//! A document is accepted when **any one** of its signatures (Debian's carry two or
//! three) is cryptographically valid and made by a key of the keyring; signatures
//! by other keys are skipped and, if nothing trusted signed, their issuer key ids
//! are listed in [`SigError::NoTrustedSignature`].
//!
//! # Policy
//!
//! - Usable signers: a primary key with a valid self-signature (user-ID
//!   certification or direct-key signature) whose key flags allow signing (or which
//!   has no key flags), and subkeys with a valid binding signature carrying the
//!   signing flag. Third-party certifications are ignored.
//! - A component is refused if it (or its primary key) carries a valid
//!   self-revocation, if the primary has no valid self-signature, or if a signing
//!   subkey lacks a valid back-signature.
//! - **Expiry**: the newest valid self-signature (subkey: binding signature) sets
//!   the key's expiry; a subkey never outlives its primary. A signature is
//!   rejected if its creation time is *after* the key's expiry, or before the key
//!   was created. Expiry is judged at signing time, not "now": an old snapshot
//!   signed while the key was valid still verifies (unlike apt, which refuses keys
//!   expired today). Signature-expiration subpackets are checked against the clock.
//! - Digests MD5, SHA-1 and RIPEMD-160 are rejected (as apt does).
//! - Clearsign text is hashed per RFC 4880 §7.1: dash-escaping undone, trailing
//!   spaces and tabs stripped, line endings canonicalised to CRLF, and the line
//!   break before the signature block excluded.
//!
//! With the cargo feature `test-keys`, [`testkey`] makes throw-away keys and
//! signed documents for other crates' tests.
#![deny(missing_docs)]

mod cleartext;
mod detached;
mod error;
mod keyring;
#[cfg(feature = "test-keys")]
pub mod testkey;

pub use cleartext::{cleartext_unverified, verify_cleartext};
pub use detached::verify_detached;
pub use error::SigError;
pub use keyring::Keyring;

/// A successfully verified document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signed content: for a clearsigned document the cleartext (as `gpgv
    /// --output` writes it), for a detached signature the data itself.
    pub text: Vec<u8>,
    /// Upper-case hex fingerprint of the key (primary or subkey) that made the
    /// accepted signature, as `gpgv` reports it ("using RSA key ...").
    pub signer_fingerprint: String,
}
