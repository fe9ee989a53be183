//! Checking a package's header: its OpenPGP header-only signatures and its
//! header digests (rpm's `rpmvs` checks, the part that covers everything).
//!
//! Header-only signatures sign the main header's bytes exactly as stored
//! (16-byte intro, index and data): `RSAHEADER` (268, RSA),
//! `DSAHEADER` (267: DSA, and EdDSA or ECDSA since rpm 4.16) and rpm 6's
//! `OPENPGP` (278, an array of base64 signature packets, possibly by
//! several keys). The main header carries `PAYLOADDIGEST`, so a verified
//! header vouches for the payload too, once that digest is checked (see
//! [`crate::unpack`]). The legacy header+payload signatures (`PGP` 1002,
//! `GPG` 1005) and the header+payload MD5 (1004) are not checked: they add
//! nothing over the header-only ones, rpm itself no longer needs them, and
//! MD5 proves nothing. Of the header digests, SHA-256 (273) and SHA-1 (269)
//! are checked; rpm 6's SHA3-256 (279) is not (no SHA-3 implementation
//! among whittle's dependencies), which leaves v6 packages with SHA-256.

use base64::Engine as _;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use whittle_sig::{Keyring, SigError};

use crate::header::PackageHeaders;
use crate::tags;

/// The keys packages may be signed with (a repository's `gpgkey` files).
/// Empty is allowed: every signed package is then [`SignatureStatus::UnknownKey`].
#[derive(Debug, Clone, Default)]
pub struct RpmKeyring {
    ring: Keyring,
}

impl RpmKeyring {
    /// A keyring with no key.
    pub fn empty() -> RpmKeyring {
        RpmKeyring::default()
    }

    /// Keys from an armored (`RPM-GPG-KEY-…`) or binary key file; `origin`
    /// names it in errors.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<RpmKeyring, SigError> {
        Ok(RpmKeyring {
            ring: Keyring::from_bytes(bytes, origin)?,
        })
    }

    /// Wrap a keyring loaded elsewhere.
    pub fn from_keyring(ring: Keyring) -> RpmKeyring {
        RpmKeyring { ring }
    }

    /// Add the keys of another key file.
    pub fn add(&mut self, bytes: &[u8], origin: &str) -> Result<(), SigError> {
        self.ring.extend(Keyring::from_bytes(bytes, origin)?);
        Ok(())
    }

    /// The keys.
    pub fn keyring(&self) -> &Keyring {
        &self.ring
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }
}

/// What a package's header signatures say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// A signature by a key of the keyring verifies.
    Verified {
        /// Upper-case hex fingerprint of the signing (sub)key.
        fingerprint: String,
    },
    /// Signed, but by no key of the keyring.
    UnknownKey {
        /// Upper-case hex key ids (or fingerprints) the signatures name.
        key_ids: Vec<String>,
    },
    /// Signed, but no signature could be checked: each is unreadable (an
    /// algorithm or packet version the OpenPGP library does not handle) or
    /// was made by a known key that policy refuses (expired, revoked, weak
    /// digest).
    Unverifiable {
        /// Why, per signature.
        reasons: Vec<String>,
    },
    /// No header-only signature.
    Unsigned,
}

impl SignatureStatus {
    /// Whether a key of the keyring vouches for the header.
    pub fn is_verified(&self) -> bool {
        matches!(self, SignatureStatus::Verified { .. })
    }
}

/// The header is not what was signed or digested.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A signature by a key of the keyring does not match the header.
    #[error(
        "{origin}: BAD header signature by trusted key {key}: {reason}; the package was \
         modified or corrupted after signing: do not use it, fetch it again from a trusted mirror"
    )]
    BadSignature {
        /// The package file.
        origin: String,
        /// Fingerprint of the key.
        key: String,
        /// What failed.
        reason: String,
    },
    /// A header digest does not match the header.
    #[error(
        "{origin}: the main header's {algorithm} is {actual}, but the signature header says \
         {expected}: the header was modified or corrupted; fetch the package again, and if this \
         persists the repository serves a damaged or tampered package"
    )]
    HeaderDigest {
        /// The package file.
        origin: String,
        /// `SHA-256` or `SHA-1`.
        algorithm: &'static str,
        /// The digest the signature header records.
        expected: String,
        /// The digest of the header read.
        actual: String,
    },
    /// A signature entry cannot be decoded at all.
    #[error(
        "{origin}: the signature in header tag {tag} is malformed: {reason}; the package is \
         damaged, fetch it again"
    )]
    Malformed {
        /// The package file.
        origin: String,
        /// The tag.
        tag: u32,
        /// What is wrong.
        reason: String,
    },
}

/// The header-only signature packets of a package (binary OpenPGP), in tag
/// order 268, 267, 278, without duplicates.
pub fn header_signatures(
    headers: &PackageHeaders,
    origin: &str,
) -> Result<Vec<Vec<u8>>, VerifyError> {
    let sig = &headers.signature;
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut push = |p: Vec<u8>| {
        if !p.is_empty() && !packets.contains(&p) {
            packets.push(p);
        }
    };
    for tag in [tags::RSAHEADER, tags::DSAHEADER] {
        if let Some(bytes) = sig.bin(tag) {
            push(bytes.to_vec());
        }
    }
    for text in sig.strings(tags::OPENPGP) {
        let compact: String = text.split_ascii_whitespace().collect();
        let packet = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| VerifyError::Malformed {
                origin: origin.to_string(),
                tag: tags::OPENPGP,
                reason: format!("not base64: {e}"),
            })?;
        push(packet);
    }
    Ok(packets)
}

/// Check a package's header-only signatures against `keyring`: accepted
/// when any one verifies by a key of the keyring. A signature by a key of
/// the keyring that does not match is an error whatever the others say.
pub fn check_header_signature(
    headers: &PackageHeaders,
    keyring: &RpmKeyring,
    origin: &str,
) -> Result<SignatureStatus, VerifyError> {
    let packets = header_signatures(headers, origin)?;
    verify_header_bytes(headers.main.bytes(), &packets, keyring, origin)
}

/// Check signature packets over a main header's bytes (with its magic):
/// what [`check_header_signature`] does, for a header from elsewhere (an
/// rpmdb blob rebuilt into its signed form).
pub fn verify_header_bytes(
    header: &[u8],
    packets: &[Vec<u8>],
    keyring: &RpmKeyring,
    origin: &str,
) -> Result<SignatureStatus, VerifyError> {
    if packets.is_empty() {
        return Ok(SignatureStatus::Unsigned);
    }
    let mut key_ids: Vec<String> = Vec::new();
    let mut reasons = Vec::new();
    let mut bad = None;
    for packet in packets {
        match whittle_sig::verify_detached(header, packet, keyring.keyring(), origin) {
            Ok(v) => {
                return Ok(SignatureStatus::Verified {
                    fingerprint: v.signer_fingerprint,
                })
            }
            Err(SigError::NoTrustedSignature { issuers, .. }) => {
                for id in issuers {
                    if !key_ids.contains(&id) {
                        key_ids.push(id);
                    }
                }
            }
            Err(SigError::BadSignature { key, reason, .. }) => {
                bad.get_or_insert((key, reason));
            }
            Err(SigError::Rejected { key, reason, .. }) => {
                reasons.push(format!("the signature by key {key} is refused: {reason}"));
            }
            Err(SigError::Malformed { reason, .. } | SigError::MalformedKeyring { reason, .. }) => {
                reasons.push(format!("a signature cannot be read: {reason}"));
            }
        }
    }
    if let Some((key, reason)) = bad {
        return Err(VerifyError::BadSignature {
            origin: origin.to_string(),
            key,
            reason,
        });
    }
    Ok(if key_ids.is_empty() {
        SignatureStatus::Unverifiable { reasons }
    } else {
        SignatureStatus::UnknownKey { key_ids }
    })
}

/// Check the main header against the SHA-256 and SHA-1 digests the
/// signature header records (those present; none is no error).
pub fn check_header_digests(headers: &PackageHeaders, origin: &str) -> Result<(), VerifyError> {
    let bytes = headers.main.bytes();
    let sha256 = || hex::encode(Sha256::digest(bytes));
    let sha1 = || hex::encode(Sha1::digest(bytes));
    let checks: [(u32, &'static str, &dyn Fn() -> String); 2] = [
        (tags::SHA256HEADER, "SHA-256", &sha256),
        (tags::SHA1HEADER, "SHA-1", &sha1),
    ];
    for (tag, algorithm, digest) in checks {
        let Some(expected) = headers.signature.string(tag) else {
            continue;
        };
        let actual = digest();
        if !expected.trim().eq_ignore_ascii_case(&actual) {
            return Err(VerifyError::HeaderDigest {
                origin: origin.to_string(),
                algorithm,
                expected: expected.chars().take(128).collect(),
                actual,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::Header;

    fn fixture(rel: &str) -> Vec<u8> {
        fs_err::read(whittle_test_env::fixtures::path(rel)).expect("fixture")
    }

    fn headers(rel: &str) -> PackageHeaders {
        PackageHeaders::read(&mut &fixture(rel)[..]).expect("headers")
    }

    fn ring(rel: &str) -> RpmKeyring {
        RpmKeyring::from_bytes(&fixture(rel), rel).expect("key")
    }

    const V4: &str = "rpm/rpms/rpm-rs/RPMS/v4/signed/rpm-basic-with-";
    const V6: &str = "rpm/rpms/rpm-rs/RPMS/v6/signed/rpm-basic-";
    const KEYS: &str = "rpm/keys/rpm-rs/";

    #[test]
    fn the_real_microsoft_signature_verifies() {
        let header = fixture("rpm/rpmdb/mariner2-filesystem-1.1-8.cm2-header.bin");
        let sig = fixture("rpm/rpmdb/mariner2-filesystem-1.1-8.cm2-header.rsaheader.sig");
        let key = ring("rpm/azurelinux/MICROSOFT-RPM-GPG-KEY");
        let status = verify_header_bytes(&header, std::slice::from_ref(&sig), &key, "filesystem")
            .expect("ok");
        assert_eq!(
            status,
            SignatureStatus::Verified {
                fingerprint: "2BC94FFF7015A5F28F1537AD0CD9FED33135CE90".to_string()
            }
        );
        // The same header from the rpmdb blob: what the blob's own
        // RSAHEADER says.
        let blob = fixture("rpm/rpmdb/mariner2-filesystem-1.1-8.cm2-installed-blob.bin");
        let installed = Header::from_blob(&blob, "blob").expect("blob");
        assert_eq!(installed.bin(tags::RSAHEADER), Some(&sig[..]));
        // One flipped bit is a bad signature by a trusted key.
        let mut bad = header.clone();
        bad[200] ^= 1;
        let err = verify_header_bytes(&bad, std::slice::from_ref(&sig), &key, "filesystem")
            .expect_err("bad");
        assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
        assert!(err.to_string().contains("modified or corrupted"), "{err}");
        // Another key: unknown, naming Microsoft's key id.
        let other = ring(&format!("{KEYS}v4/rpm-testkey-v4-rsa4096.asc"));
        let status = verify_header_bytes(&header, &[sig], &other, "filesystem").expect("ok");
        assert_eq!(
            status,
            SignatureStatus::UnknownKey {
                key_ids: vec!["0CD9FED33135CE90".to_string()]
            }
        );
    }

    #[test]
    fn v4_signatures_verify_with_their_keys() {
        for (pkg, key, fpr) in [
            (
                "rsa4096",
                "rpm-testkey-v4-rsa4096.asc",
                "D996AEDC0D64D1E621B95AD2E964F9FB30D073B5",
            ),
            (
                "ed25519",
                "rpm-testkey-v4-ed25519.asc",
                "77CEF535745D5AF04ECD115F522E846427933839",
            ),
            (
                "ecdsa",
                "rpm-testkey-v4-ecdsa-nistp256.asc",
                "560F3EDD5D483FCF2E206993105C3DB6D139A931",
            ),
            (
                "ima",
                "rpm-testkey-v4-ed25519.asc",
                "77CEF535745D5AF04ECD115F522E846427933839",
            ),
        ] {
            let h = headers(&format!("{V4}{pkg}-2.3.4-5.el9.noarch.rpm"));
            check_header_digests(&h, pkg).expect("digests");
            let k = ring(&format!("{KEYS}v4/{key}"));
            let status = check_header_signature(&h, &k, pkg).expect(pkg);
            assert_eq!(
                status,
                SignatureStatus::Verified {
                    fingerprint: fpr.to_string()
                },
                "{pkg}"
            );
            // The v4 keyring (RSA 4096, RSA 3072, Ed25519; no ECDSA key).
            let all = ring(&format!("{KEYS}v4/rpm-testkey-v4-keyring.asc"));
            let status = check_header_signature(&h, &all, pkg).expect(pkg);
            assert_eq!(status.is_verified(), pkg != "ecdsa", "{pkg}: {status:?}");
            // No key: unknown.
            let status = check_header_signature(&h, &RpmKeyring::empty(), pkg).expect(pkg);
            assert!(
                matches!(&status, SignatureStatus::UnknownKey { key_ids } if !key_ids.is_empty()),
                "{pkg}: {status:?}"
            );
        }
    }

    /// What rpgp 0.21 makes of rpm 6's signatures by v6 keys.
    #[test]
    fn v6_signatures() {
        for (pkg, key) in [
            ("with-rsa4k", "rpm-testkey-v6-rsa4k.asc"),
            ("with-ed25519", "rpm-testkey-v6-ed25519.asc"),
            ("multiple-signatures", "rpm-testkey-v6-keyring.asc"),
        ] {
            let h = headers(&format!("{V6}{pkg}-2.3.4-5.el9.noarch.rpm"));
            check_header_digests(&h, pkg).expect("digests");
            let k = ring(&format!("{KEYS}v6/{key}"));
            let status = check_header_signature(&h, &k, pkg).expect(pkg);
            assert!(status.is_verified(), "{pkg}: {status:?}");
        }
        // ML-DSA-65+Ed25519 (a composite signing subkey): rpgp 0.21 without
        // its `pqc` feature skips that subkey, so the signature names a key
        // the keyring does not hold. Never a panic, never "verified".
        let pkg = "with-mldsa65-ed25519";
        let h = headers(&format!("{V6}{pkg}-2.3.4-5.el9.noarch.rpm"));
        check_header_digests(&h, pkg).expect("digests");
        let k = ring(&format!("{KEYS}v6/rpm-testkey-v6-mldsa65-ed25519.asc"));
        let status = check_header_signature(&h, &k, pkg).expect(pkg);
        assert!(
            matches!(&status, SignatureStatus::UnknownKey { key_ids } if key_ids.len() == 1),
            "{status:?}"
        );
    }

    #[test]
    fn unsigned_and_unknown() {
        let h = headers("rpm/rpms/rpm-rs/RPMS/v6/rpm-basic-2.3.4-5.el9.noarch.rpm");
        check_header_digests(&h, "basic").expect("digests");
        let k = ring(&format!("{KEYS}v4/rpm-testkey-v4-keyring.asc"));
        assert_eq!(
            check_header_signature(&h, &k, "basic").expect("ok"),
            SignatureStatus::Unsigned
        );
        for (pkg, id) in [
            ("empty-signed-rsa", "183F6899719CE7A5"),
            ("empty-signed-eddsa", "9B34BEBB1F1D8F8A"),
        ] {
            let h = headers(&format!("rpm/rpms/createrepo_c/{pkg}-0-0.x86_64.rpm"));
            let status = check_header_signature(&h, &k, pkg).expect(pkg);
            let SignatureStatus::UnknownKey { key_ids } = status else {
                panic!("{pkg}: {status:?}")
            };
            assert!(
                key_ids.iter().any(|k| k.ends_with(id)),
                "{pkg}: {key_ids:?}"
            );
        }
    }

    #[test]
    fn a_changed_header_fails_its_digest_and_signature() {
        let rel = format!("{V4}rsa4096-2.3.4-5.el9.noarch.rpm");
        let bytes = fixture(&rel);
        let h = headers(&rel);
        let k = ring(&format!("{KEYS}v4/rpm-testkey-v4-rsa4096.asc"));
        // Flip a byte inside the main header's data (its last byte).
        let at = LEAD + h.signature.bytes().len() + pad(&h) + h.main.bytes().len() - 1;
        let mut bad = bytes.clone();
        bad[at] ^= 0x20;
        let changed = PackageHeaders::read(&mut &bad[..]).expect("still parses");
        let err = check_header_digests(&changed, "pkg").expect_err("digest");
        assert!(matches!(err, VerifyError::HeaderDigest { .. }), "{err}");
        let err = check_header_signature(&changed, &k, "pkg").expect_err("signature");
        assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
    }

    const LEAD: usize = crate::header::LEAD_SIZE;

    fn pad(h: &PackageHeaders) -> usize {
        (8 - h.signature.data_len() % 8) % 8
    }
}
