//! A Java keystore (JKS) of trusted certificates, written byte by byte, as
//! ca-certificates-java builds `/etc/ssl/certs/java/cacerts`: one
//! trusted-certificate entry per `/etc/ssl/certs/*.pem` link (the
//! certificates of the CA bundle), aliased `debian:<file name, lowercased>`.
//! Debian 12's JRE reads it through `lib/security/cacerts`; `keytool -list`
//! reports `Keystore type: JKS`, so JKS is what is written.
//!
//! The format is the one `sun.security.provider.JavaKeyStore` reads: the
//! magic `0xFEEDFEED`, version 2, the entry count, then per entry the tag 2
//! (trusted certificate), the alias and the certificate type (`X.509`) as
//! Java's `writeUTF` (a big-endian 16-bit length and modified UTF-8), the
//! creation time in milliseconds, the DER length and bytes; last, a SHA-1
//! over the password as UTF-16BE, the words `Mighty Aphrodite` and every
//! byte before it. Entries are sorted by alias and dated with the build
//! date, so equal certificates give equal bytes.

use base64::Engine;
use sha1::{Digest, Sha1};
use whittle_rootfs::{NodeKind, RootFs};

/// Where ca-certificates-java keeps the store.
pub const CACERTS_PATH: &str = "/etc/ssl/certs/java/cacerts";

/// The store password every JRE defaults to.
pub const DEFAULT_PASSWORD: &str = "changeit";

/// Where the certificate links are.
const CERTS_DIR: &str = "/etc/ssl/certs";

/// One trusted certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedCert {
    /// Its alias in the store.
    pub alias: String,
    /// The certificate, DER-encoded.
    pub der: Vec<u8>,
}

/// Why a PEM text held no usable certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// No `BEGIN CERTIFICATE` block.
    #[error("no certificate in PEM form")]
    NoCertificate,
    /// A block without its end line.
    #[error("a certificate block is not terminated")]
    Unterminated,
    /// The body is not base64.
    #[error("a certificate block is not valid base64")]
    BadBase64,
}

/// The DER bytes of every `CERTIFICATE` block of a PEM text, in order.
pub fn pem_certificates(text: &[u8]) -> Result<Vec<Vec<u8>>, PemError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(text);
    let mut certs = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines().map(str::trim) {
        match &mut body {
            None if line == BEGIN => body = Some(String::new()),
            None => {}
            Some(b) if line == END => {
                let der = base64::engine::general_purpose::STANDARD
                    .decode(b.as_bytes())
                    .map_err(|_| PemError::BadBase64)?;
                certs.push(der);
                body = None;
            }
            Some(b) => b.push_str(line),
        }
    }
    if body.is_some() {
        return Err(PemError::Unterminated);
    }
    if certs.is_empty() {
        return Err(PemError::NoCertificate);
    }
    Ok(certs)
}

/// Java's `DataOutput.writeUTF`: a big-endian length, then modified UTF-8
/// (NUL as two bytes, characters beyond the BMP as two 3-byte surrogates).
fn write_java_utf(out: &mut Vec<u8>, s: &str) {
    let mut bytes = Vec::with_capacity(s.len());
    for unit in s.encode_utf16() {
        match unit {
            0x0001..=0x007f => bytes.push(unit as u8),
            0x0000 | 0x0080..=0x07ff => {
                bytes.push(0xc0 | (unit >> 6) as u8);
                bytes.push(0x80 | (unit & 0x3f) as u8);
            }
            _ => {
                bytes.push(0xe0 | (unit >> 12) as u8);
                bytes.push(0x80 | ((unit >> 6) & 0x3f) as u8);
                bytes.push(0x80 | (unit & 0x3f) as u8);
            }
        }
    }
    // Aliases are file names and never near 64 KiB; cut rather than wrap.
    bytes.truncate(usize::from(u16::MAX));
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&bytes);
}

/// A JKS keystore of `certs` (sorted by alias here), each dated `date_ms`,
/// sealed with `password`.
pub fn write_jks(certs: &[TrustedCert], date_ms: i64, password: &str) -> Vec<u8> {
    let mut sorted: Vec<&TrustedCert> = certs.iter().collect();
    sorted.sort_by(|a, b| a.alias.cmp(&b.alias));
    let mut out = Vec::new();
    out.extend_from_slice(&0xfeed_feed_u32.to_be_bytes());
    out.extend_from_slice(&2_u32.to_be_bytes());
    let count = u32::try_from(sorted.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for cert in sorted {
        out.extend_from_slice(&2_u32.to_be_bytes());
        write_java_utf(&mut out, &cert.alias);
        out.extend_from_slice(&date_ms.to_be_bytes());
        write_java_utf(&mut out, "X.509");
        let len = u32::try_from(cert.der.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&cert.der);
    }
    let mut sha = Sha1::new();
    for unit in password.encode_utf16() {
        sha.update(unit.to_be_bytes());
    }
    sha.update(b"Mighty Aphrodite");
    sha.update(&out);
    out.extend_from_slice(&sha.finalize());
    out
}

/// A store built from a tree, and what was skipped.
#[derive(Debug, Clone, Default)]
pub struct BuiltStore {
    /// The keystore's bytes.
    pub keystore: Vec<u8>,
    /// How many certificates it holds.
    pub count: usize,
    /// Certificate links that could not be read, for the user.
    pub warnings: Vec<String>,
}

/// The certificates ca-certificates-java would put in its store: those of
/// the `*.pem` links in `/etc/ssl/certs` (the CA bundle's; plain files such
/// as a snakeoil certificate are not part of it), in alias order.
pub fn bundle_certificates(fs: &RootFs) -> (Vec<TrustedCert>, Vec<String>) {
    let mut certs = Vec::new();
    let mut warnings = Vec::new();
    let Ok(dir) = fs.resolve(CERTS_DIR, true) else {
        return (certs, warnings);
    };
    for (key, node) in fs.children(&dir) {
        let name = key.rsplit('/').next().unwrap_or(key);
        if !name.ends_with(".pem") || !matches!(node.kind, NodeKind::Symlink(_)) {
            continue;
        }
        let Some(bytes) = fs.read_file(key) else {
            warnings.push(format!(
                "Java trust store: {CERTS_DIR}/{name} points to nothing readable; left out"
            ));
            continue;
        };
        match pem_certificates(&bytes) {
            Ok(mut ders) => certs.push(TrustedCert {
                alias: format!("debian:{}", name.to_lowercase()),
                der: ders.swap_remove(0),
            }),
            Err(e) => warnings.push(format!(
                "Java trust store: {CERTS_DIR}/{name}: {e}; left out"
            )),
        }
    }
    certs.sort_by(|a, b| a.alias.cmp(&b.alias));
    (certs, warnings)
}

/// `/etc/ssl/certs/java/cacerts` for the tree, dated `epoch` (seconds).
pub fn cacerts_from_tree(fs: &RootFs, epoch: i64) -> BuiltStore {
    let (certs, mut warnings) = bundle_certificates(fs);
    if certs.is_empty() {
        warnings.push(format!(
            "Java trust store: no certificate links in {CERTS_DIR}; {CACERTS_PATH} trusts nothing (is ca-certificates in the image?)"
        ));
    }
    BuiltStore {
        keystore: write_jks(&certs, epoch.saturating_mul(1000), DEFAULT_PASSWORD),
        count: certs.len(),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_utf_matches_modified_utf8() {
        let mut out = Vec::new();
        write_java_utf(&mut out, "a\0é€😀");
        assert_eq!(
            out,
            [
                0, 14, b'a', 0xc0, 0x80, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0xbd, 0xed,
                0xb8, 0x80
            ]
        );
    }

    #[test]
    fn empty_store_layout() {
        let jks = write_jks(&[], 0, "changeit");
        assert_eq!(
            &jks[..12],
            &[0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 0]
        );
        assert_eq!(jks.len(), 12 + 20);
    }

    #[test]
    fn pem_blocks_decode_and_errors_say_why() {
        let pem = b"junk\n-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_certificates(pem).unwrap(), vec![vec![0, 1, 2, 3]]);
        assert_eq!(pem_certificates(b"nothing"), Err(PemError::NoCertificate));
        assert_eq!(
            pem_certificates(b"-----BEGIN CERTIFICATE-----\nAAEC\n"),
            Err(PemError::Unterminated)
        );
        assert_eq!(
            pem_certificates(b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----"),
            Err(PemError::BadBase64)
        );
    }
}
