//! Parsed-index snapshots: the records of one verified `Packages` file, kept
//! in the cache so that a warm build loads them instead of parsing the text.
//!
//! Why: bookworm `main` alone is 63,000 paragraphs (50 MB). Measured on the
//! 2-core build host, parsing it takes ~500 ms of CPU after ~90 ms to hash
//! the cached text and check its UTF-8; loading this snapshot takes ~300 ms
//! of CPU after ~35 ms to hash it, in [`CHUNK_RECORDS`]-record chunks that
//! run on every core. What is left is allocating the records' strings,
//! which no encoding avoids. The format is [postcard] (serde, compact,
//! maintained); the records are derived, so new model fields follow.
//!
//! Trust: a snapshot is found only through a [`SnapshotKey`] naming the
//! SHA-256 that the signed `InRelease` gives for the `Packages` file, so it
//! is looked up only after `InRelease` was fetched and verified, and a new
//! `InRelease` naming a new index never finds the old snapshot. The key also
//! holds every other input of the parse (architecture, base URL, repository
//! index) and a [`fingerprint`] of the parser and the record layout, so a
//! whittle that parses differently never reads another's snapshot. The bytes
//! are a content-addressed blob whose SHA-256, kept in the keyed entry, is
//! checked on every load ([`Cache::read_blob`]), and they repeat their key:
//! a corrupt, edited or misfiled snapshot is rejected, and the caller parses
//! the verified index again.
//!
//! Layout of a snapshot blob: a postcard `Header` (format version, key,
//! record count, byte length of each chunk), then the chunks back to back,
//! each a postcard `Vec<PackageRecord>`.

use std::sync::OnceLock;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use whittle_cache::{is_sha256_hex, sha256_hex, Cache, CacheError};
use whittle_model::PackageRecord;

use crate::index::{parse_packages_skipping, ParsedPackages, EXTRA_FIELDS};

/// Version of the snapshot layout; part of every key and header.
pub const FORMAT: u32 = 1;

/// Records per chunk: chunks are encoded and decoded in parallel.
pub const CHUNK_RECORDS: usize = 8192;

/// What a snapshot is the parse of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotKey {
    text: String,
}

impl SnapshotKey {
    /// The snapshot of the index whose SHA-256 the signed `InRelease` lists
    /// as `index_sha256`, parsed for `arch` with `base_url` and `repo` as
    /// [`crate::index::parse_packages`] takes them. `None` when this build cannot
    /// fingerprint its parser (snapshots are then not used at all).
    pub fn new(index_sha256: &str, arch: &str, base_url: &str, repo: usize) -> Option<Self> {
        let fp = fingerprint()?;
        let sha = index_sha256.to_ascii_lowercase();
        let base = base_url.trim_end_matches('/');
        Some(SnapshotKey {
            text: format!("deb-index-snapshot/v{FORMAT}/{fp}/{sha}/{arch}/{repo}/{base}"),
        })
    }

    /// The key as stored in the cache's keyed entries.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Why a snapshot was not used or not stored. None of these is fatal: the
/// caller parses the verified index instead.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The cache could not be read or written.
    #[error("the cache could not be used for index snapshots")]
    Cache(#[from] CacheError),
    /// The keyed entry does not name a snapshot blob.
    #[error("the cache entry for the snapshot is damaged (not a SHA-256)")]
    BadEntry,
    /// The blob is gone or failed its SHA-256 check (and was removed).
    #[error("snapshot {digest} is missing or failed its SHA-256 check")]
    Corrupt {
        /// The SHA-256 the keyed entry expected.
        digest: String,
    },
    /// The blob is intact but was made for another key or format.
    #[error("snapshot {digest} was made for another index or format")]
    OtherKey {
        /// The blob's SHA-256.
        digest: String,
    },
    /// The blob is intact but its content does not decode.
    #[error("snapshot {digest} does not decode: {reason}")]
    Decode {
        /// The blob's SHA-256.
        digest: String,
        /// What was wrong.
        reason: String,
    },
    /// The records could not be encoded.
    #[error("the records could not be encoded as a snapshot")]
    Encode(#[source] postcard::Error),
}

/// What precedes the chunks.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    key: String,
    records: u64,
    chunk_lens: Vec<u64>,
}

/// The records stored under `key`, if a snapshot is there and passes every
/// check. `Ok(None)`: no snapshot; `Err`: one was there and was rejected.
pub fn load(cache: &Cache, key: &SnapshotKey) -> Result<Option<Vec<PackageRecord>>, SnapshotError> {
    let Some(entry) = cache.get_keyed(key.as_str())? else {
        return Ok(None);
    };
    let digest = std::str::from_utf8(&entry)
        .ok()
        .filter(|d| is_sha256_hex(d))
        .ok_or(SnapshotError::BadEntry)?;
    let bytes = cache
        .read_blob(digest)?
        .ok_or_else(|| SnapshotError::Corrupt {
            digest: digest.to_string(),
        })?;
    decode(&bytes, key, digest).map(Some)
}

/// Encode `records` as the snapshot for `key` and store it (blob first, then
/// the keyed entry naming it, so the entry never names a missing blob).
pub fn store(
    cache: &Cache,
    key: &SnapshotKey,
    records: &[PackageRecord],
) -> Result<(), SnapshotError> {
    let bytes = encode(key, records)?;
    let digest = sha256_hex(&bytes);
    let mut writer = cache.blob_writer(&digest, Some(bytes.len() as u64))?;
    std::io::Write::write_all(&mut writer, &bytes).map_err(CacheError::Fs)?;
    writer.commit()?;
    cache.put_keyed(key.as_str(), digest.as_bytes())?;
    Ok(())
}

/// The snapshot bytes of `records` under `key`.
pub fn encode(key: &SnapshotKey, records: &[PackageRecord]) -> Result<Vec<u8>, SnapshotError> {
    let chunks = records
        .par_chunks(CHUNK_RECORDS)
        .map(postcard::to_stdvec)
        .collect::<Result<Vec<_>, _>>()
        .map_err(SnapshotError::Encode)?;
    let header = Header {
        format: FORMAT,
        key: key.as_str().to_string(),
        records: records.len() as u64,
        chunk_lens: chunks.iter().map(|c| c.len() as u64).collect(),
    };
    let mut out = postcard::to_stdvec(&header).map_err(SnapshotError::Encode)?;
    for chunk in &chunks {
        out.extend_from_slice(chunk);
    }
    Ok(out)
}

/// The records in snapshot `bytes` (whose SHA-256 is `digest`), checked
/// against `key`: the header must name it, the chunks must fill the rest
/// exactly, and each must decode to the end.
pub fn decode(
    bytes: &[u8],
    key: &SnapshotKey,
    digest: &str,
) -> Result<Vec<PackageRecord>, SnapshotError> {
    let bad = |reason: String| SnapshotError::Decode {
        digest: digest.to_string(),
        reason,
    };
    let (header, mut rest) =
        postcard::take_from_bytes::<Header>(bytes).map_err(|e| bad(format!("header: {e}")))?;
    if header.format != FORMAT || header.key != key.as_str() {
        return Err(SnapshotError::OtherKey {
            digest: digest.to_string(),
        });
    }
    let mut chunks = Vec::with_capacity(header.chunk_lens.len());
    for &len in &header.chunk_lens {
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= rest.len())
            .ok_or_else(|| bad("a chunk runs past the end".to_string()))?;
        let (chunk, tail) = rest.split_at(len);
        chunks.push(chunk);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(bad(format!("{} bytes after the last chunk", rest.len())));
    }
    let decoded = chunks
        .par_iter()
        .map(
            |chunk| match postcard::take_from_bytes::<Vec<PackageRecord>>(chunk) {
                Ok((records, [])) => Ok(records),
                Ok((_, tail)) => Err(bad(format!("{} bytes left in a chunk", tail.len()))),
                Err(e) => Err(bad(e.to_string())),
            },
        )
        .collect::<Result<Vec<_>, _>>()?;
    let total: usize = decoded.iter().map(Vec::len).sum();
    if total as u64 != header.records {
        return Err(bad(format!(
            "{total} records, the header says {}",
            header.records
        )));
    }
    // Grow the first chunk rather than copy every chunk into a new vector.
    let mut parts = decoded.into_iter();
    let mut records = parts.next().unwrap_or_default();
    records.reserve_exact(total - records.len());
    for part in parts {
        records.extend(part);
    }
    Ok(records)
}

/// What the parser reads differently than before, in ways [`SAMPLE`] may
/// not show: bump it whenever a stanza would be accepted, set aside or
/// read differently. (2: versions are validated and malformed stanzas are
/// skipped instead of failing the index.)
const PARSER_REVISION: u32 = 2;

/// A digest of how this build turns `Packages` text into stored records:
/// the snapshot format, `PARSER_REVISION`, `EXTRA_FIELDS`, and both
/// the `Debug` form (field names) and the postcard bytes (encoding) of the
/// records parsed from `SAMPLE` (stanzas using every field the parser
/// reads, and malformed ones), with the packages it set aside. A change to
/// the parser, to what it skips, or to `PackageRecord` changes it, so old
/// snapshots are not read by a whittle that would parse differently.
/// Computed once.
pub fn fingerprint() -> Option<&'static str> {
    static FINGERPRINT: OnceLock<Option<String>> = OnceLock::new();
    FINGERPRINT
        .get_or_init(|| {
            fingerprint_of(&parse_packages_skipping(
                SAMPLE,
                "http://sample.invalid/debian",
                7,
                "amd64",
            ))
        })
        .as_deref()
}

/// The fingerprint of a parse of [`SAMPLE`] (see [`fingerprint`]).
fn fingerprint_of(parsed: &ParsedPackages) -> Option<String> {
    let encoded = postcard::to_stdvec(&parsed.records).ok()?;
    let skipped: Vec<&str> = parsed.skipped.iter().map(|s| s.package.as_str()).collect();
    let mut text = format!(
        "{FORMAT}\n{PARSER_REVISION}\n{EXTRA_FIELDS:?}\n{:?}\n{skipped:?}\n",
        parsed.records
    )
    .into_bytes();
    text.extend_from_slice(&encoded);
    Some(sha256_hex(&text)[..32].to_string())
}

/// Two `Packages` paragraphs covering every field the parser reads, then
/// one malformed stanza per reason the parser sets one aside.
const SAMPLE: &str = "\
Package: sample
Source: sample-src (1:2.0-1)
Version: 1:2.0-1+b1
Installed-Size: 123
Maintainer: Sample Maintainers <sample@example.invalid>
Architecture: amd64
Multi-Arch: same
Essential: yes
Protected: yes
Replaces: old-sample (<< 1.0), other:any
Provides: virtual-a, virtual-b (= 1:2.0)
Pre-Depends: libc6 (>= 2.36)
Depends: liba | libb (>= 1~), libc:any, libd [amd64], libe <!nocheck>
Breaks: broken (<< 0.9)
Conflicts: conflicting
Description: a sample package
 with a long description
Homepage: https://example.invalid/sample
Section: libs
Priority: important
Filename: pool/main/s/sample/sample_2.0-1+b1_amd64.deb
Size: 4567
MD5sum: 0123456789abcdef0123456789abcdef
SHA256: 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef

Package: sample-doc
Version: 2.0-1
Architecture: all
Priority: optional
Filename: /pool/main/s/sample/sample-doc_2.0-1_all.deb

Package: bad-size
Version: 1.0
Architecture: amd64
Filename: pool/b/bad-size_1.0_amd64.deb
Size: abc

Package: bad-version
Version: :::
Architecture: amd64
Filename: pool/b/bad-version_amd64.deb

Package: no-version
Architecture: amd64
Filename: pool/n/no-version_amd64.deb

Package: bad-source-version
Source: src (:::)
Version: 1.0
Architecture: amd64
Filename: pool/b/bad-source-version_1.0_amd64.deb

Package: bad-syntax
Version: 1.0
Architecture amd64
Filename: pool/b/bad-syntax_1.0_amd64.deb

Package: bad-depends
Version: 1.0
Architecture: amd64
Depends: libc6 (>= 2.36
Filename: pool/b/bad-depends_1.0_amd64.deb

Package: other-arch
Version: :::
Architecture: arm64
";

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SnapshotKey {
        SnapshotKey::new(&"ab".repeat(32), "amd64", "http://x.invalid/debian/", 1).unwrap()
    }

    fn sample() -> Vec<PackageRecord> {
        parse_packages_skipping(SAMPLE, "http://x.invalid/debian", 1, "amd64").records
    }

    fn fingerprint_of_text(text: &str) -> Option<String> {
        fingerprint_of(&parse_packages_skipping(
            text,
            "http://sample.invalid/debian",
            7,
            "amd64",
        ))
    }

    #[test]
    fn sample_covers_every_skip_reason() {
        let parsed = parse_packages_skipping(SAMPLE, "http://x.invalid/debian", 1, "amd64");
        let skipped: Vec<&str> = parsed.skipped.iter().map(|s| s.package.as_str()).collect();
        assert_eq!(
            skipped,
            [
                "bad-size",
                "bad-version",
                "no-version",
                "bad-source-version",
                "bad-syntax",
                "bad-depends"
            ]
        );
    }

    #[test]
    fn fingerprint_follows_the_record_set() {
        let base = fingerprint_of_text(SAMPLE).unwrap();
        assert_eq!(fingerprint(), Some(base.as_str()));
        // A parser that accepted one of the stanzas it now sets aside, or
        // read a field differently, produces other records: the
        // fingerprint changes with them.
        for (from, to) in [
            (
                "Version: :::\nArchitecture: amd64",
                "Version: 1\nArchitecture: amd64",
            ),
            ("Size: abc", "Size: 1"),
            ("Size: 4567", "Size: 4568"),
            ("Priority: important", "Priority: optional"),
            ("Architecture amd64", "Architecture: amd64"),
        ] {
            assert!(SAMPLE.contains(from), "{from}");
            let other = fingerprint_of_text(&SAMPLE.replacen(from, to, 1)).unwrap();
            assert_ne!(other, base, "{from} -> {to}");
        }
        // Stanzas for another architecture are not read at all.
        let other_arch = SAMPLE.replace(
            "Package: other-arch\nVersion: :::",
            "Package: other-arch\nVersion: 1",
        );
        assert_eq!(fingerprint_of_text(&other_arch).unwrap(), base);
    }

    #[test]
    fn sample_covers_the_parser() {
        let records = sample();
        assert_eq!(records.len(), 2);
        let r = &records[0];
        assert!(r.source.is_some() && r.installed_size.is_some());
        assert_eq!(r.depends.len(), 5);
        assert_eq!(r.conflicts.len(), 2);
        assert_eq!(r.provides.len(), 2);
        assert_eq!(r.replaces.len(), 2);
        // Every extra field (`Filename` is read as a named field first).
        let expected: Vec<&str> = EXTRA_FIELDS
            .iter()
            .copied()
            .filter(|f| *f != "Filename")
            .collect();
        let mut found: Vec<&str> = r.extra.keys().map(String::as_str).collect();
        found.sort_by_key(|f| EXTRA_FIELDS.iter().position(|e| e == f));
        assert_eq!(found, expected);
        assert!(fingerprint().is_some());
    }

    #[test]
    fn round_trip_in_several_chunks() {
        let mut records = Vec::new();
        for i in 0..(CHUNK_RECORDS * 2 + 3) {
            let mut r = sample()[i % 2].clone();
            r.name = format!("p{i}");
            records.push(r);
        }
        let bytes = encode(&key(), &records).unwrap();
        assert_eq!(decode(&bytes, &key(), "d").unwrap(), records);
        assert_eq!(
            decode(&encode(&key(), &[]).unwrap(), &key(), "d").unwrap(),
            []
        );
    }

    #[test]
    fn key_names_every_input() {
        let sha = "cd".repeat(32);
        let base = SnapshotKey::new(&sha, "amd64", "http://x.invalid/debian", 0).unwrap();
        assert_eq!(
            base,
            SnapshotKey::new(&sha.to_uppercase(), "amd64", "http://x.invalid/debian/", 0).unwrap()
        );
        for other in [
            SnapshotKey::new(&"ce".repeat(32), "amd64", "http://x.invalid/debian", 0),
            SnapshotKey::new(&sha, "arm64", "http://x.invalid/debian", 0),
            SnapshotKey::new(&sha, "amd64", "http://y.invalid/debian", 0),
            SnapshotKey::new(&sha, "amd64", "http://x.invalid/debian", 1),
        ] {
            assert_ne!(other.unwrap(), base);
        }
    }

    #[test]
    fn damaged_bytes_are_rejected() {
        let records = sample();
        let bytes = encode(&key(), &records).unwrap();
        let other =
            SnapshotKey::new(&"ef".repeat(32), "amd64", "http://x.invalid/debian", 1).unwrap();
        assert!(matches!(
            decode(&bytes, &other, "d"),
            Err(SnapshotError::OtherKey { .. })
        ));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            decode(&longer, &key(), "d"),
            Err(SnapshotError::Decode { .. })
        ));
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut], &key(), "d").is_err(), "cut at {cut}");
        }
    }
}
