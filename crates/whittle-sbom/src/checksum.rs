//! Package file checksums, checked once and named as each format spells
//! its algorithms (SPDX 2.3 `ChecksumAlgorithm`, CycloneDX 1.6 `hash-alg`).

/// One checksum algorithm: SPDX name, CycloneDX name (if CycloneDX has
/// it), digest length in hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Algorithm {
    pub spdx: &'static str,
    pub cyclonedx: Option<&'static str>,
    len: usize,
}

const fn alg(spdx: &'static str, cyclonedx: Option<&'static str>, len: usize) -> Algorithm {
    Algorithm {
        spdx,
        cyclonedx,
        len,
    }
}

/// Every algorithm SPDX 2.3 knows. CycloneDX 1.6 has no SHA-224, MD2, MD4
/// or Adler-32 (and SPDX 2.3 no BLAKE3).
const ALGORITHMS: &[Algorithm] = &[
    alg("SHA1", Some("SHA-1"), 40),
    alg("SHA224", None, 56),
    alg("SHA256", Some("SHA-256"), 64),
    alg("SHA384", Some("SHA-384"), 96),
    alg("SHA512", Some("SHA-512"), 128),
    alg("SHA3-256", Some("SHA3-256"), 64),
    alg("SHA3-384", Some("SHA3-384"), 96),
    alg("SHA3-512", Some("SHA3-512"), 128),
    alg("BLAKE2b-256", Some("BLAKE2b-256"), 64),
    alg("BLAKE2b-384", Some("BLAKE2b-384"), 96),
    alg("BLAKE2b-512", Some("BLAKE2b-512"), 128),
    alg("MD2", None, 32),
    alg("MD4", None, 32),
    alg("MD5", Some("MD5"), 32),
    alg("ADLER32", None, 8),
];

/// The SHA-256 algorithm (of OCI digests).
pub(crate) const SHA256: Algorithm = ALGORITHMS[2];

/// A checked checksum: a known algorithm and a lowercase hex digest of its
/// length.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Checksum {
    pub algorithm: Algorithm,
    pub value: String,
}

/// Normalize checksums: the algorithm recognised however it is spelled
/// (`sha-256`, `SHA256`), the digest lowercased; unknown algorithms or
/// malformed digests dropped; sorted by SPDX name and deduplicated.
pub(crate) fn normalize(input: &[(String, String)]) -> Vec<Checksum> {
    let squash = |s: &str| s.trim().to_ascii_uppercase().replace('-', "");
    let mut out: Vec<Checksum> = input
        .iter()
        .filter_map(|(algorithm, value)| {
            let wanted = squash(algorithm);
            let &algorithm = ALGORITHMS.iter().find(|a| squash(a.spdx) == wanted)?;
            let value = value.trim().to_ascii_lowercase();
            (value.len() == algorithm.len && value.bytes().all(|b| b.is_ascii_hexdigit()))
                .then_some(Checksum { algorithm, value })
        })
        .collect();
    out.sort_by(|a, b| (a.algorithm.spdx, &a.value).cmp(&(b.algorithm.spdx, &b.value)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        let got = normalize(&[
            ("sha256".into(), "AB".repeat(32)),
            ("SHA-1".into(), "cd".repeat(20)),
            ("SHA256".into(), "ab".repeat(32)),
            ("CRC32".into(), "00000000".into()),
            ("MD5".into(), "zz".repeat(16)),
            ("SHA512".into(), "00".into()),
        ]);
        let got: Vec<_> = got
            .iter()
            .map(|c| (c.algorithm.spdx, c.value.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("SHA1", "cd".repeat(20).as_str()),
                ("SHA256", "ab".repeat(32).as_str())
            ]
        );
    }

    #[test]
    fn names_follow_each_format() {
        assert_eq!(SHA256.spdx, "SHA256");
        for a in ALGORITHMS {
            // SPDX names have no dash after SHA; CycloneDX's SHA-1/SHA-2 do.
            if let Some(c) = a.cyclonedx {
                assert_eq!(c.replace('-', ""), a.spdx.replace('-', ""), "{a:?}");
            }
            // Every digest length is whole bytes.
            assert_eq!(a.len % 2, 0);
        }
        let cdx_sha3 = normalize(&[("sha3-256".into(), "0".repeat(64))]);
        assert_eq!(cdx_sha3[0].algorithm.cyclonedx, Some("SHA3-256"));
        assert_eq!(
            normalize(&[("SHA224".into(), "0".repeat(56))])[0]
                .algorithm
                .cyclonedx,
            None
        );
    }
}
