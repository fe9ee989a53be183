//! Trusted keys, their signing-capable components, and the per-signature checks.

use std::io::Cursor;

use pgp::{
    composed::{Deserializable, SignedPublicKey},
    crypto::hash::HashAlgorithm,
    packet::{PublicKey, PublicSubkey, Signature, SignatureType, SubpacketData},
    types::{Fingerprint, KeyDetails, KeyId, Tag},
};

use crate::SigError;

/// A set of trusted OpenPGP public keys.
///
/// Only the signing-capable components of each key are used: the primary key
/// (unless its self-signature's key flags forbid signing) and every subkey with a
/// valid binding signature that has the signing flag and a valid back-signature.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    /// Fingerprints of the primary keys (deduplicated).
    primaries: Vec<String>,
    signers: Vec<Signer>,
}

/// One key packet that may make data signatures, with what we learnt from its
/// self-signatures.
#[derive(Debug, Clone)]
struct Signer {
    packet: KeyPacket,
    key_id: KeyId,
    fingerprint: Fingerprint,
    /// Unix time after which signatures are no longer accepted.
    expires: Option<u64>,
    /// Why the component may not sign at all (revoked, unbound, not signing-capable).
    problem: Option<String>,
}

#[derive(Debug, Clone)]
enum KeyPacket {
    Primary(PublicKey),
    Sub(PublicSubkey),
}

impl Keyring {
    /// Parse a keyring from bytes: binary (a `.gpg` file made of concatenated
    /// transferable public keys, like `/usr/share/keyrings/debian-archive-keyring.gpg`)
    /// or ASCII-armored (one or several armored blocks). `origin` is a label
    /// (path or URL) used in errors.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Keyring, SigError> {
        let malformed = |reason: String| SigError::MalformedKeyring {
            origin: origin.to_string(),
            reason,
        };
        let mut keys = Vec::new();
        if is_armored(bytes) {
            const BEGIN: &[u8] = b"-----BEGIN PGP PUBLIC KEY BLOCK-----";
            let starts: Vec<usize> = (0..bytes.len())
                .filter(|&i| bytes[i..].starts_with(BEGIN))
                .collect();
            if starts.is_empty() {
                return Err(malformed(
                    "no `-----BEGIN PGP PUBLIC KEY BLOCK-----` found".into(),
                ));
            }
            for (n, &start) in starts.iter().enumerate() {
                let end = starts.get(n + 1).copied().unwrap_or(bytes.len());
                let (iter, _headers) =
                    SignedPublicKey::from_armor_many_buf(Cursor::new(&bytes[start..end]))
                        .map_err(|e| malformed(format!("armored block {}: {e}", n + 1)))?;
                for key in iter {
                    keys.push(key.map_err(|e| malformed(format!("armored block {}: {e}", n + 1)))?);
                }
            }
        } else {
            let iter = SignedPublicKey::from_bytes_many(Cursor::new(bytes))
                .map_err(|e| malformed(e.to_string()))?;
            for key in iter {
                keys.push(key.map_err(|e| malformed(e.to_string()))?);
            }
        }
        if keys.is_empty() {
            return Err(malformed("it contains no public key".into()));
        }
        let mut ring = Keyring::default();
        for key in &keys {
            ring.add_key(key);
        }
        Ok(ring)
    }

    /// Add one transferable public key.
    pub(crate) fn add_key(&mut self, key: &SignedPublicKey) {
        let fpr = format!("{:X}", key.primary_key.fingerprint());
        if !self.primaries.contains(&fpr) {
            self.primaries.push(fpr);
        }
        self.signers.extend(analyse(key));
    }

    /// Merge another keyring in.
    pub fn extend(&mut self, other: Keyring) {
        for fpr in other.primaries {
            if !self.primaries.contains(&fpr) {
                self.primaries.push(fpr);
            }
        }
        self.signers.extend(other.signers);
    }

    /// Whether the keyring holds no key.
    pub fn is_empty(&self) -> bool {
        self.primaries.is_empty()
    }

    /// Number of primary keys.
    pub fn len(&self) -> usize {
        self.primaries.len()
    }

    /// Upper-case hex fingerprints of the primary keys.
    pub fn fingerprints(&self) -> &[String] {
        &self.primaries
    }

    /// Accept `data` if any of `sigs` is a valid signature by a key of this
    /// keyring; returns the signing (sub)key's fingerprint.
    pub(crate) fn check(
        &self,
        sigs: &[Signature],
        data: &[u8],
        origin: &str,
    ) -> Result<String, SigError> {
        if sigs.is_empty() {
            return Err(SigError::Malformed {
                origin: origin.to_string(),
                reason: "it contains no signature".into(),
            });
        }
        let mut issuers = Vec::new();
        let mut failure: Option<SigError> = None;
        for sig in sigs {
            let named = !sig.issuer_key_id().is_empty() || !sig.issuer_fingerprint().is_empty();
            let mut matched = false;
            for signer in self.signers.iter().filter(|s| s.is_named_by(sig)) {
                match signer.check(sig, data, origin) {
                    Ok(()) => return Ok(format!("{:X}", signer.fingerprint)),
                    // Without an issuer subpacket every key is tried: a mismatch
                    // only means "not this key".
                    Err(SigError::BadSignature { .. }) if !named => {}
                    Err(e) => {
                        matched = true;
                        // Keep the most alarming failure: a bad signature.
                        if !matches!(failure, Some(SigError::BadSignature { .. })) {
                            failure = Some(e);
                        }
                    }
                }
            }
            if !matched {
                issuers.push(describe_issuer(sig));
            }
        }
        Err(failure.unwrap_or(SigError::NoTrustedSignature {
            origin: origin.to_string(),
            issuers,
        }))
    }
}

impl Signer {
    fn new(packet: KeyPacket, expires: Option<u64>, problem: Option<String>) -> Signer {
        let (key_id, fingerprint) = match &packet {
            KeyPacket::Primary(k) => (k.legacy_key_id(), k.fingerprint()),
            KeyPacket::Sub(k) => (k.legacy_key_id(), k.fingerprint()),
        };
        Signer {
            packet,
            key_id,
            fingerprint,
            expires,
            problem,
        }
    }

    fn is_named_by(&self, sig: &Signature) -> bool {
        let ids = sig.issuer_key_id();
        let fps = sig.issuer_fingerprint();
        (ids.is_empty() && fps.is_empty())
            || ids.contains(&&self.key_id)
            || fps.contains(&&self.fingerprint)
    }

    fn created_at(&self) -> u64 {
        match &self.packet {
            KeyPacket::Primary(k) => k.created_at().as_secs().into(),
            KeyPacket::Sub(k) => k.created_at().as_secs().into(),
        }
    }

    fn check(&self, sig: &Signature, data: &[u8], origin: &str) -> Result<(), SigError> {
        let key = format!("{:X}", self.fingerprint);
        let rejected = |reason: String| SigError::Rejected {
            key: key.clone(),
            origin: origin.to_string(),
            reason,
        };
        let verified = match &self.packet {
            KeyPacket::Primary(k) => sig.verify(k, data),
            KeyPacket::Sub(k) => sig.verify(k, data),
        };
        if let Err(e) = verified {
            return Err(SigError::BadSignature {
                key,
                origin: origin.to_string(),
                reason: format!(
                    "it does not match the signed content ({})",
                    e.to_string().lines().last().unwrap_or_default()
                ),
            });
        }
        if !matches!(sig.typ(), Some(SignatureType::Binary | SignatureType::Text)) {
            return Err(rejected(format!(
                "signature type {:?} is not a document signature",
                sig.typ()
            )));
        }
        if let Some(problem) = &self.problem {
            return Err(rejected(problem.clone()));
        }
        if let Some(hash @ (HashAlgorithm::Md5 | HashAlgorithm::Sha1 | HashAlgorithm::Ripemd160)) =
            sig.hash_alg()
        {
            return Err(rejected(format!("it uses the weak digest {hash}")));
        }
        let Some(created) = sig.created() else {
            return Err(rejected("the signature has no creation time".into()));
        };
        let created = u64::from(created.as_secs());
        if created < self.created_at() {
            return Err(rejected(format!(
                "the signature ({}) predates the key ({})",
                date(created),
                date(self.created_at())
            )));
        }
        if let Some(expires) = self.expires.filter(|&e| created > e) {
            return Err(rejected(format!(
                "the signature was made on {}, after the key expired on {}",
                date(created),
                date(expires)
            )));
        }
        if let Some(d) = sig.signature_expiration_time().filter(|d| d.as_secs() != 0) {
            let end = created + u64::from(d.as_secs());
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            if now > end {
                return Err(rejected(format!("the signature expired on {}", date(end))));
            }
        }
        Ok(())
    }
}

/// Work out which components of `key` may sign data, and until when.
fn analyse(key: &SignedPublicKey) -> Vec<Signer> {
    let primary = &key.primary_key;
    let mut self_sig: Option<&Signature> = None;
    for user in &key.details.users {
        for sig in user.signatures.iter().filter(|s| might_be_by(s, primary)) {
            if sig
                .verify_certification(primary, Tag::UserId, &user.id)
                .is_ok()
            {
                self_sig = newest(self_sig, sig);
            }
        }
    }
    for sig in &key.details.direct_signatures {
        if might_be_by(sig, primary) && sig.verify_key(primary).is_ok() {
            self_sig = newest(self_sig, sig);
        }
    }
    let revoked = key.details.revocation_signatures.iter().any(|sig| {
        sig.typ() == Some(SignatureType::KeyRevocation)
            && might_be_by(sig, primary)
            && sig.verify_key(primary).is_ok()
    });
    let primary_problem = if revoked {
        Some("the primary key is revoked".to_string())
    } else if self_sig.is_none() {
        Some("the key has no valid self-signature".to_string())
    } else {
        None
    };
    let primary_expires = self_sig.and_then(|s| expiry(s, primary.created_at().as_secs().into()));

    let mut signers = Vec::new();
    let primary_can_sign = self_sig.is_none_or(|s| !has_key_flags(s) || s.key_flags().sign());
    if primary_can_sign {
        signers.push(Signer::new(
            KeyPacket::Primary(primary.clone()),
            primary_expires,
            primary_problem.clone(),
        ));
    }
    for sub in &key.public_subkeys {
        let mut binding: Option<&Signature> = None;
        let mut revoked = false;
        for sig in sub.signatures.iter().filter(|s| might_be_by(s, primary)) {
            if sig.verify_subkey_binding(primary, &sub.key).is_err() {
                continue;
            }
            match sig.typ() {
                Some(SignatureType::SubkeyBinding) => binding = newest(binding, sig),
                Some(SignatureType::SubkeyRevocation) => revoked = true,
                _ => {}
            }
        }
        let Some(binding) = binding else { continue };
        if !binding.key_flags().sign() {
            continue; // an encryption or authentication subkey
        }
        let backsig_ok = binding
            .embedded_signature()
            .is_some_and(|b| b.verify_primary_key_binding(&sub.key, primary).is_ok());
        let problem = primary_problem.clone().or_else(|| {
            if revoked {
                Some("the subkey is revoked".into())
            } else if !backsig_ok {
                Some("the signing subkey has no valid back-signature (primary key binding)".into())
            } else {
                None
            }
        });
        let own = expiry(binding, sub.key.created_at().as_secs().into());
        let expires = match (own, primary_expires) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        signers.push(Signer::new(
            KeyPacket::Sub(sub.key.clone()),
            expires,
            problem,
        ));
    }
    signers
}

fn might_be_by(sig: &Signature, key: &impl KeyDetails) -> bool {
    let ids = sig.issuer_key_id();
    let fps = sig.issuer_fingerprint();
    (ids.is_empty() && fps.is_empty())
        || ids.contains(&&key.legacy_key_id())
        || fps.contains(&&key.fingerprint())
}

fn newest<'a>(old: Option<&'a Signature>, new: &'a Signature) -> Option<&'a Signature> {
    let time = |s: &Signature| s.created().map_or(0, |t| t.as_secs());
    match old {
        Some(old) if time(old) > time(new) => Some(old),
        _ => Some(new),
    }
}

fn has_key_flags(sig: &Signature) -> bool {
    sig.config().is_some_and(|c| {
        c.hashed_subpackets()
            .any(|p| matches!(p.data, SubpacketData::KeyFlags(_)))
    })
}

/// Expiry (Unix time) that a self-signature sets for a key created at `created`.
fn expiry(sig: &Signature, created: u64) -> Option<u64> {
    sig.key_expiration_time()
        .filter(|d| d.as_secs() != 0)
        .map(|d| created + u64::from(d.as_secs()))
}

fn describe_issuer(sig: &Signature) -> String {
    if let Some(fp) = sig.issuer_fingerprint().first() {
        format!("{fp:X}")
    } else if let Some(id) = sig.issuer_key_id().first() {
        id.as_ref().iter().map(|b| format!("{b:02X}")).collect()
    } else {
        "(unnamed issuer)".to_string()
    }
}

/// Whether `bytes` look like ASCII armor rather than binary packets.
pub(crate) fn is_armored(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'-')
}

/// Format a Unix time as an ISO date (UTC).
fn date(secs: u64) -> String {
    whittle_model::time::iso_date(i64::try_from(secs).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::date(0), "1970-01-01");
        assert_eq!(super::date(1_783_765_031), "2026-07-11");
        assert_eq!(super::date(951_782_400), "2000-02-29");
    }
}
