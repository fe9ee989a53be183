//! `repodata/repomd.xml`, the root of an RPM repository's metadata (the
//! createrepo_c format): which files exist, where, and their checksums;
//! and [`metadata_bytes`], which verifies and decompresses one of them.

use std::io::Read;

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::index_error::{MetadataError, RepoMdError};
use crate::repodata_xml::{attr, Step, Walker};

/// Decompressed metadata larger than this is refused (2 GiB; CentOS
/// Stream's largest filelists is about 130 MiB).
pub const MAX_METADATA_SIZE: u64 = 2 << 30;

/// A parsed `repomd.xml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoMd {
    /// `<revision>`: often a Unix time, but any text (`9-stream`).
    pub revision: Option<String>,
    /// `<tags>`: `(tag, cpeid, text)`, e.g. `("distro", Some(cpe), "CentOS Stream 9")`.
    pub tags: Vec<RepoMdTag>,
    /// The `<data>` entries, in file order.
    pub data: Vec<RepoMdData>,
}

/// One entry of `<tags>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoMdTag {
    /// `content`, `repo` or `distro`.
    pub kind: String,
    /// The `cpeid` attribute of a `distro` tag.
    pub cpeid: Option<String>,
    /// The text.
    pub value: String,
}

/// A checksum as repomd and primary write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// The algorithm (`sha256`, `sha`, `sha1`, `sha512`, `md5`).
    pub kind: String,
    /// The digest in lower-case hex.
    pub hex: String,
}

/// One `<data type="...">` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoMdData {
    /// `primary`, `filelists`, `other`, `primary_db`, `updateinfo`, ...
    pub kind: String,
    /// `<location href>`, relative to the repository base (or to `base`).
    pub href: String,
    /// `<location xml:base>`, when the file lives elsewhere.
    pub base: Option<String>,
    /// Checksum of the file as stored (compressed).
    pub checksum: Option<Checksum>,
    /// Checksum of the decompressed content.
    pub open_checksum: Option<Checksum>,
    /// Size of the file as stored.
    pub size: Option<u64>,
    /// Size of the decompressed content.
    pub open_size: Option<u64>,
    /// `<timestamp>`, Unix seconds.
    pub timestamp: Option<u64>,
    /// `<database_version>` of the `*_db` entries.
    pub database_version: Option<u64>,
}

impl RepoMd {
    /// The first entry of `kind` (`primary`, `filelists`, ...).
    pub fn get(&self, kind: &str) -> Option<&RepoMdData> {
        self.data.iter().find(|d| d.kind == kind)
    }
}

impl RepoMdData {
    /// The file's URL: `xml:base` (else `repo_base`) joined with `href`.
    pub fn url(&self, repo_base: &str) -> String {
        join_url(self.base.as_deref().unwrap_or(repo_base), &self.href)
    }
}

/// `base` and a relative `href` joined by exactly one `/`.
pub fn join_url(base: &str, href: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        href.trim_start_matches('/')
    )
}

/// Parse `repomd.xml`; `origin` (a URL or path) names it in errors.
pub fn parse_repomd(xml: &[u8], origin: &str) -> Result<RepoMd, RepoMdError> {
    let xml_error = |source| RepoMdError::Xml {
        origin: origin.to_string(),
        source,
    };
    let mut walker = Walker::new(xml);
    let mut md = RepoMd::default();
    let mut data: Option<RepoMdData> = None;
    let mut cpeid = None;
    let mut digest_kind = String::new();
    loop {
        match walker.next().map_err(xml_error)? {
            Step::End => break,
            Step::Open { name, attrs } => {
                let depth = walker.depth();
                if depth == 1 && name != b"repomd" {
                    return Err(RepoMdError::NotRepoMd {
                        origin: origin.to_string(),
                        root: String::from_utf8_lossy(&name).into_owned(),
                    });
                }
                match (name.as_slice(), data.as_mut()) {
                    (b"data", None) if depth == 2 => {
                        data = Some(RepoMdData {
                            kind: attr(&attrs, "type").unwrap_or_default().to_string(),
                            ..RepoMdData::default()
                        });
                    }
                    (b"location", Some(d)) => {
                        d.href = attr(&attrs, "href").unwrap_or_default().to_string();
                        d.base = attr(&attrs, "xml:base").map(str::to_string);
                    }
                    (b"checksum" | b"open-checksum", Some(_)) => {
                        digest_kind = attr(&attrs, "type").unwrap_or_default().to_string();
                    }
                    _ if depth == 3 => cpeid = attr(&attrs, "cpeid").map(str::to_string),
                    _ => {}
                }
            }
            Step::Close { name, text } => {
                let depth = walker.depth();
                if let Some(d) = data.as_mut() {
                    let number = text.parse::<u64>().ok();
                    match name.as_slice() {
                        b"checksum" => d.checksum = Some(checksum(&digest_kind, &text)),
                        b"open-checksum" => d.open_checksum = Some(checksum(&digest_kind, &text)),
                        b"size" => d.size = number,
                        b"open-size" => d.open_size = number,
                        b"timestamp" => d.timestamp = number,
                        b"database_version" => d.database_version = number,
                        b"data" if depth == 1 => {
                            md.data.push(finish_data(data.take(), origin)?);
                        }
                        _ => {}
                    }
                } else if name == b"revision" && depth == 1 {
                    md.revision = Some(text);
                } else if depth == 2 {
                    md.tags.push(RepoMdTag {
                        kind: String::from_utf8_lossy(&name).into_owned(),
                        cpeid: cpeid.take(),
                        value: text,
                    });
                }
            }
        }
    }
    Ok(md)
}

fn checksum(kind: &str, hex: &str) -> Checksum {
    Checksum {
        kind: kind.to_ascii_lowercase(),
        hex: hex.to_ascii_lowercase(),
    }
}

fn finish_data(data: Option<RepoMdData>, origin: &str) -> Result<RepoMdData, RepoMdError> {
    let incomplete = |what| RepoMdError::Incomplete {
        origin: origin.to_string(),
        what,
    };
    let d = data.ok_or_else(|| incomplete("content"))?;
    if d.kind.is_empty() {
        return Err(incomplete("type attribute"));
    }
    if d.href.is_empty() {
        return Err(incomplete("<location href>"));
    }
    Ok(d)
}

/// Verify and decompress the metadata file `entry` describes, given its
/// bytes as downloaded; `origin` (the repository URL or path) names it in
/// errors.
///
/// The stored checksum is checked first, then the content is decompressed
/// by the file's extension (`.gz`, `.xz`, `.zst`; others as they are;
/// `.bz2` and `.zck` refused), at most [`MAX_METADATA_SIZE`] bytes, and
/// checked against the open-checksum when repomd.xml gives one.
pub fn metadata_bytes(
    raw: &[u8],
    entry: &RepoMdData,
    origin: &str,
) -> Result<Vec<u8>, MetadataError> {
    let file = join_url(origin, &entry.href);
    let stored = entry
        .checksum
        .as_ref()
        .ok_or_else(|| MetadataError::NoChecksum { file: file.clone() })?;
    let actual = digest(&stored.kind, raw, &file)?;
    if actual != stored.hex {
        return Err(MetadataError::ChecksumMismatch {
            file,
            kind: stored.kind.clone(),
            expected: stored.hex.clone(),
            actual,
        });
    }
    let content = decompress(raw, &entry.href, &file)?;
    if let Some(open) = &entry.open_checksum {
        let actual = digest(&open.kind, &content, &file)?;
        if actual != open.hex {
            return Err(MetadataError::OpenChecksumMismatch {
                file,
                kind: open.kind.clone(),
                expected: open.hex.clone(),
                actual,
            });
        }
    }
    Ok(content)
}

/// The hex digest of `bytes` with the algorithm repomd names.
pub(crate) fn digest(kind: &str, bytes: &[u8], file: &str) -> Result<String, MetadataError> {
    Ok(match kind {
        "sha256" => hex::encode(Sha256::digest(bytes)),
        "sha512" => hex::encode(Sha512::digest(bytes)),
        "sha" | "sha1" => hex::encode(Sha1::digest(bytes)),
        _ => {
            return Err(MetadataError::UnsupportedChecksum {
                file: file.to_string(),
                kind: kind.to_string(),
            })
        }
    })
}

fn decompress(raw: &[u8], href: &str, file: &str) -> Result<Vec<u8>, MetadataError> {
    let limit = MAX_METADATA_SIZE;
    let too_large = || MetadataError::TooLarge {
        file: file.to_string(),
        limit,
    };
    let broken = |source| MetadataError::Decompress {
        file: file.to_string(),
        source,
    };
    let ext = href.rsplit_once('.').map_or("", |(_, ext)| ext);
    let reader: Box<dyn Read + '_> = match ext {
        "gz" => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        "xz" => Box::new(liblzma::read::XzDecoder::new_multi_decoder(raw)),
        "zst" | "zstd" => Box::new(zstd::stream::read::Decoder::new(raw).map_err(broken)?),
        "bz2" | "zck" | "lz4" | "lzma" => {
            return Err(MetadataError::UnsupportedCompression {
                file: file.to_string(),
                ext: format!(".{ext}"),
            })
        }
        _ => {
            if raw.len() as u64 > limit {
                return Err(too_large());
            }
            return Ok(raw.to_vec());
        }
    };
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4).min(64 << 20));
    reader
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(broken)?;
    if out.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use whittle_test_env::fixtures;

    fn repo(name: &str) -> (std::path::PathBuf, RepoMd) {
        let dir = fixtures::path(format!("rpm/repodata/{name}"));
        let file = if dir.join("repodata").exists() {
            dir.join("repodata/repomd.xml")
        } else {
            dir.join("repomd.xml")
        };
        let xml = fs_err::read(file).unwrap();
        let md = parse_repomd(&xml, &dir.display().to_string()).unwrap();
        (dir, md)
    }

    fn load(dir: &std::path::Path, md: &RepoMd, kind: &str) -> Result<Vec<u8>, MetadataError> {
        let entry = md.get(kind).unwrap();
        let raw = fs_err::read(dir.join(&entry.href)).unwrap();
        metadata_bytes(&raw, entry, &dir.display().to_string())
    }

    #[test]
    fn repo_01_quirk_is_a_checksum_mismatch() {
        let (dir, md) = repo("createrepo_c-repo_01");
        assert_eq!(md.revision.as_deref(), Some("1334667230"));
        assert_eq!(md.data.len(), 3);
        let primary = md.get("primary").unwrap();
        assert_eq!(primary.size, Some(782));
        assert_eq!(primary.open_size, Some(2085));
        assert_eq!(primary.timestamp, Some(1334667230));
        let err = load(&dir, &md, "primary").unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, MetadataError::ChecksumMismatch { .. }),
            "{text}"
        );
        assert!(text.contains("checksum mismatch"), "{text}");
        assert!(text.contains("primary.xml.gz"), "{text}");
        assert!(
            text.contains("6c662d665c24de9a0f62c17d8fa50622307739d7376f0d19097ca96c6d7f5e3e"),
            "{text}"
        );
        // The other files of the same repository are sound.
        assert!(load(&dir, &md, "filelists").is_ok());
    }

    #[test]
    fn sound_repositories_load() {
        for name in [
            "createrepo_c-repo_02",
            "osbuild-custom-zstd",
            "createrepo_c-repo_with_additional_metadata",
        ] {
            let (dir, md) = repo(name);
            for kind in ["primary", "filelists", "other"] {
                let xml = load(&dir, &md, kind).unwrap_or_else(|e| panic!("{name} {kind}: {e}"));
                assert!(xml.starts_with(b"<?xml"), "{name} {kind}");
            }
        }
    }

    #[test]
    fn additional_metadata_is_listed_and_bz2_refused() {
        let (dir, md) = repo("createrepo_c-repo_with_additional_metadata");
        let db = md.get("primary_db").unwrap();
        assert_eq!(db.database_version, Some(10));
        assert!(md.get("updateinfo").is_some());
        let err = load(&dir, &md, "primary_db").unwrap_err();
        assert!(
            matches!(err, MetadataError::UnsupportedCompression { .. }),
            "{err}"
        );
        assert!(err.to_string().contains(".bz2"));
    }

    #[test]
    fn cs9_repomd_with_tags() {
        let (_, md) = repo("cs9-appstream");
        assert_eq!(md.revision.as_deref(), Some("9-stream"));
        assert_eq!(
            md.tags,
            vec![RepoMdTag {
                kind: "distro".into(),
                cpeid: Some("cpe:/o:centos-stream:centos-stream:9".into()),
                value: "CentOS Stream 9".into(),
            }]
        );
        let primary = md.get("primary").unwrap();
        assert_eq!(primary.size, Some(3597627));
        assert_eq!(
            primary.url("https://mirror.example/9-stream/AppStream/x86_64/os/"),
            format!(
                "https://mirror.example/9-stream/AppStream/x86_64/os/{}",
                primary.href
            )
        );
        assert!(md.get("group").unwrap().open_checksum.is_none());
    }

    #[test]
    fn md5_is_refused_and_open_checksum_checked() {
        let entry = |kind: &str, hex: &str, open: Option<Checksum>| RepoMdData {
            kind: "primary".into(),
            href: "repodata/primary.xml".into(),
            checksum: Some(checksum(kind, hex)),
            open_checksum: open,
            ..RepoMdData::default()
        };
        let err = metadata_bytes(b"x", &entry("md5", "00", None), "repo").unwrap_err();
        assert!(
            matches!(err, MetadataError::UnsupportedChecksum { .. }),
            "{err}"
        );
        let sha1 = "11f6ad8ec52a2984abaafd7c3b516503785c2072";
        assert_eq!(
            metadata_bytes(b"x", &entry("sha", sha1, None), "repo").unwrap(),
            b"x"
        );
        let wrong_open = Some(checksum("sha256", "00"));
        let err = metadata_bytes(b"x", &entry("sha1", sha1, wrong_open), "repo").unwrap_err();
        assert!(
            matches!(err, MetadataError::OpenChecksumMismatch { .. }),
            "{err}"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let (dir, _) = repo("cs9-appstream");
        let xml = fs_err::read(dir.join("repomd.xml")).unwrap();
        for end in 0..xml.len() {
            let _ = parse_repomd(&xml[..end], "cut");
        }
        let mut flipped = xml.clone();
        for i in (0..flipped.len()).step_by(7) {
            flipped[i] = flipped[i].wrapping_add(0x55);
        }
        let _ = parse_repomd(&flipped, "garbled");
        assert!(parse_repomd(b"<metadata/>", "x").is_err());
    }
}
