//! APK repository indexes: the `APKINDEX.tar.gz` archive (an optional
//! signature gzip member followed by a member holding `APKINDEX` and
//! `DESCRIPTION`) and the `APKINDEX` text format, per apk-tools' apk-v2 docs.

use std::io::{self, Read};

use flate2::bufread::GzDecoder;
use whittle_model::{Dependency, Download, PackageRecord, Provide, Requirement, SourceRef};

use crate::atom::{self, Atom};

/// The largest decompressed size of one index gzip member (512 MiB).
pub const MAX_INDEX_MEMBER: u64 = 512 << 20;

/// The hash an RSA signature (PKCS#1 v1.5) was made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// `.SIGN.RSA.<key>`: SHA-1 (abuild, older melange).
    Sha1,
    /// `.SIGN.RSA256.<key>`: SHA-256 (current melange).
    Sha256,
}

/// One `.SIGN.*` entry of a signature gzip member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The digest the signature is over.
    pub algorithm: SignatureAlgorithm,
    /// The key file name as written (`melange.rsa.pub`).
    pub key_name: String,
    /// The raw signature.
    pub bytes: Vec<u8>,
}

/// An `APKINDEX.tar.gz` taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexArchive {
    /// The signatures of the first gzip member, empty when unsigned.
    pub signatures: Vec<Signature>,
    /// The raw (compressed) bytes of the member the signatures cover: the
    /// gzip member holding `APKINDEX`.
    pub signed_member: Vec<u8>,
    /// The `APKINDEX` text.
    pub apkindex: String,
    /// The `DESCRIPTION` line (`v3.16.3-13-g4d933a1fa3`), when present.
    pub description: Option<String>,
}

/// An index could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Decompressing or reading the archive failed.
    #[error(
        "{origin}: reading the index archive failed; the download may be truncated, fetch it again"
    )]
    Io {
        /// The index file or URL.
        origin: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The archive does not have the `APKINDEX.tar.gz` layout.
    #[error("{origin}: {reason}; is this really an APKINDEX.tar.gz?")]
    Format {
        /// The index file or URL.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A record of the `APKINDEX` text is malformed.
    #[error("index {origin}, line {line}: {reason}")]
    Record {
        /// The repository URL (or file) the text came from.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Every record of the `APKINDEX` text was malformed: the index is not
    /// usable even though it is signed.
    #[error(
        "every record of the APKINDEX is malformed ({skipped} skipped, none usable); the \
         first is below"
    )]
    AllMalformed {
        /// How many records were skipped.
        skipped: usize,
        /// Why the first one was.
        #[source]
        first: Box<IndexError>,
    },
}

/// Decode the gzip member at the start of `input` (at most `limit` bytes of
/// output). Returns the decompressed bytes and how many input bytes the
/// member occupies, so the caller can slice out its raw bytes.
pub fn decode_gzip_member(input: &[u8], limit: u64) -> io::Result<(Vec<u8>, usize)> {
    let mut dec = GzDecoder::new(input);
    let mut out = Vec::new();
    (&mut dec).take(limit + 1).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a gzip member decompresses to more than {limit} bytes"),
        ));
    }
    let rest = dec.into_inner().len();
    Ok((out, input.len() - rest))
}

/// Split concatenated gzip members into their raw byte ranges (each member
/// is fully decoded to find where it ends; at most `limit` bytes each).
pub fn split_gzip_members(input: &[u8], limit: u64) -> io::Result<Vec<&[u8]>> {
    let mut members = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let (_, used) = decode_gzip_member(rest, limit)?;
        if used == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "empty gzip member",
            ));
        }
        let (member, tail) = rest.split_at(used);
        members.push(member);
        rest = tail;
    }
    Ok(members)
}

/// Parse a `.SIGN.<ALG>.<key>` entry name. `None` for other names; DSA and
/// RSA512 signatures are recognised but not supported (as in apko) and
/// yield `Some(None)`.
pub(crate) fn parse_sign_name(name: &str) -> Option<Option<(SignatureAlgorithm, String)>> {
    let rest = name.strip_prefix(".SIGN.")?;
    let (alg, key) = rest.split_once('.')?;
    if key.is_empty() {
        return None;
    }
    Some(match alg {
        "RSA" => Some((SignatureAlgorithm::Sha1, key.to_string())),
        "RSA256" => Some((SignatureAlgorithm::Sha256, key.to_string())),
        "DSA" | "RSA512" => None,
        _ => return None,
    })
}

/// The entries of a (possibly unterminated) tar: `(path, content)`.
pub(crate) fn tar_entries(bytes: &[u8], limit: u64) -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut ar = tar::Archive::new(bytes);
    for entry in ar.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mut data = Vec::new();
        (&mut entry).take(limit + 1).read_to_end(&mut data)?;
        if data.len() as u64 > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("tar entry {path} is larger than {limit} bytes"),
            ));
        }
        out.push((path, data));
    }
    Ok(out)
}

/// Take an `APKINDEX.tar.gz` apart: its signatures, the raw signed member,
/// the `APKINDEX` text and `DESCRIPTION`. Verifying is
/// [`crate::verify::verify_index`]'s job. Also reads the unsigned
/// single-member layout (any `.SIGN` entry *inside* the index member signs
/// nothing and is ignored).
pub fn read_index_archive(bytes: &[u8], origin: &str) -> Result<IndexArchive, IndexError> {
    let io_err = |source| IndexError::Io {
        origin: origin.to_string(),
        source,
    };
    let format = |reason: String| IndexError::Format {
        origin: origin.to_string(),
        reason,
    };
    let (first, used) = decode_gzip_member(bytes, MAX_INDEX_MEMBER).map_err(io_err)?;
    let first_entries = tar_entries(&first, MAX_INDEX_MEMBER).map_err(io_err)?;
    let is_sig_member = !first_entries.is_empty()
        && first_entries
            .iter()
            .all(|(name, _)| name.starts_with(".SIGN."));
    let (signatures, member_start, entries) = if is_sig_member {
        let sigs = first_entries
            .into_iter()
            .filter_map(|(name, data)| {
                parse_sign_name(&name)
                    .flatten()
                    .map(|(algorithm, key_name)| Signature {
                        algorithm,
                        key_name,
                        bytes: data,
                    })
            })
            .collect();
        let rest = &bytes[used..];
        if rest.is_empty() {
            return Err(format(
                "the archive holds only a signature member, no index".to_string(),
            ));
        }
        let (second, used2) = decode_gzip_member(rest, MAX_INDEX_MEMBER).map_err(io_err)?;
        let entries = tar_entries(&second, MAX_INDEX_MEMBER).map_err(io_err)?;
        (sigs, used..used + used2, entries)
    } else {
        (Vec::new(), 0..used, first_entries)
    };
    if member_start.end != bytes.len() {
        return Err(format(format!(
            "{} unexpected bytes after the index member",
            bytes.len() - member_start.end
        )));
    }
    let mut apkindex = None;
    let mut description = None;
    for (name, data) in entries {
        let text = || {
            String::from_utf8(data.clone())
                .map_err(|_| format(format!("{name} is not valid UTF-8 text")))
        };
        match name.as_str() {
            "APKINDEX" => apkindex = Some(text()?),
            "DESCRIPTION" => description = Some(text()?.trim_end().to_string()),
            _ => {}
        }
    }
    let apkindex = apkindex.ok_or_else(|| format("no APKINDEX entry".to_string()))?;
    Ok(IndexArchive {
        signatures,
        signed_member: bytes[member_start].to_vec(),
        apkindex,
        description,
    })
}

/// Fields kept verbatim in [`PackageRecord::extra`].
const EXTRA_FIELDS: &[char] = &['C', 'L', 'm', 'U', 'T', 't', 'c', 'I', 'o', 'q'];

/// Parse `APKINDEX` text into package records, failing on the first
/// malformed record; [`parse_index_text_skipping`] sets malformed records
/// aside instead and says what each record holds.
pub fn parse_index_text(
    text: &str,
    base_url: &str,
    repo: usize,
    arch: &str,
    tag: Option<&str>,
) -> Result<Vec<PackageRecord>, IndexError> {
    let parsed = parse_index_text_skipping(text, base_url, repo, arch, tag);
    match parsed.skipped.into_iter().next() {
        Some(first) => Err(first.error),
        None => Ok(parsed.records),
    }
}

/// `APKINDEX` text read with its malformed records set aside.
#[derive(Debug, Default)]
pub struct ParsedIndex {
    /// The records that parsed, in order.
    pub records: Vec<PackageRecord>,
    /// The records set aside, in order.
    pub skipped: Vec<SkippedRecord>,
}

/// A record of an `APKINDEX` that was set aside.
#[derive(Debug)]
pub struct SkippedRecord {
    /// Its `P:` (`(unnamed)` when it has none).
    pub package: String,
    /// What is wrong, naming the line and field.
    pub error: IndexError,
}

impl ParsedIndex {
    /// The parse, unless records were set aside and none was sound: an
    /// index of nothing but malformed records is an error, not an empty
    /// repository.
    pub fn check_usable(mut self) -> Result<ParsedIndex, IndexError> {
        if self.records.is_empty() && !self.skipped.is_empty() {
            let skipped = self.skipped.len();
            return Err(IndexError::AllMalformed {
                skipped,
                first: Box::new(self.skipped.swap_remove(0).error),
            });
        }
        Ok(self)
    }
}

/// Parse `APKINDEX` text into package records, setting each malformed
/// record aside in [`ParsedIndex::skipped`] with why: a line that is not
/// `X:value`, no `P:` or `V:`, or an `S:`, `I:` or `k:` that is not a
/// number. The caller decides what a skipped record means (in a signed
/// index: a warning).
///
/// `base_url` is the repository URL (without the arch), `repo` its position
/// in the recipe, `arch` the architecture directory the index was fetched
/// from (used for download URLs, `{base_url}/{arch}/{P}-{V}.apk`, and for
/// records without `A:`), and `tag` the repository's `@tag`, if any.
///
/// `i:` atoms become [`PackageRecord::install_if`]; a negated one (`!x`)
/// is kept as a requirement whose name is `!x`.
///
/// A record whose dependency atom does not parse (apk-tools calls such
/// packages "broken") is kept, with the atom as an unsatisfiable dependency
/// on its raw text and the reason in `extra["broken"]`, so a solver reports
/// it as uninstallable instead of the whole index failing.
pub fn parse_index_text_skipping(
    text: &str,
    base_url: &str,
    repo: usize,
    arch: &str,
    tag: Option<&str>,
) -> ParsedIndex {
    let base = base_url.trim_end_matches('/');
    let mut out = ParsedIndex::default();
    let mut fields: Vec<(char, &str, usize)> = Vec::new();
    // The first malformed line of the record being read.
    let mut bad_line: Option<IndexError> = None;
    let mut start_line = 1;
    let mut end_record = |fields: &mut Vec<(char, &str, usize)>,
                          bad_line: &mut Option<IndexError>,
                          start_line: usize| {
        let result = match bad_line.take() {
            Some(e) => Err(e),
            None => build_record(fields, start_line, base, repo, arch, tag),
        };
        match result {
            Ok(record) => out.records.push(record),
            Err(error) => out.skipped.push(SkippedRecord {
                package: fields
                    .iter()
                    .find(|(k, v, _)| *k == 'P' && !v.trim().is_empty())
                    .map_or("(unnamed)", |(_, v, _)| v.trim())
                    .to_string(),
                error,
            }),
        }
        fields.clear();
    };
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !fields.is_empty() || bad_line.is_some() {
                end_record(&mut fields, &mut bad_line, start_line);
            }
            start_line = line_no + 1;
            continue;
        }
        let mut chars = line.chars();
        let (Some(key), Some(':')) = (chars.next(), chars.next()) else {
            if bad_line.is_none() {
                bad_line = Some(IndexError::Record {
                    origin: base.to_string(),
                    line: line_no,
                    reason: format!("expected `X:value`, found {:?}", shorten(line)),
                });
            }
            continue;
        };
        fields.push((key, &line[key.len_utf8() + 1..], line_no));
    }
    if !fields.is_empty() || bad_line.is_some() {
        end_record(&mut fields, &mut bad_line, start_line);
    }
    out
}

/// At most 80 characters of `line`, for a message.
fn shorten(line: &str) -> String {
    match line.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

fn build_record(
    fields: &[(char, &str, usize)],
    start_line: usize,
    base: &str,
    repo: usize,
    arch: &str,
    tag: Option<&str>,
) -> Result<PackageRecord, IndexError> {
    let err = |line: usize, reason: String| IndexError::Record {
        origin: base.to_string(),
        line,
        reason,
    };
    let get = |k: char| fields.iter().find(|(key, _, _)| *key == k);
    let name = get('P')
        .map(|(_, v, _)| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| err(start_line, "record has no package name (P:)".to_string()))?;
    let version = get('V')
        .map(|(_, v, _)| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| err(start_line, format!("record for {name} has no version (V:)")))?;
    let mut rec = PackageRecord::new(name, version);
    rec.repo = repo;
    rec.repo_tag = tag.map(str::to_string);
    rec.arch = get('A').map_or(arch, |(_, v, _)| v.trim()).to_string();
    let origin = get('o').map_or(name, |(_, v, _)| v.trim());
    rec.source = Some(SourceRef {
        name: origin.to_string(),
        version: version.to_string(),
    });
    let parse_u64 = |k: char| -> Result<Option<u64>, IndexError> {
        match get(k) {
            None => Ok(None),
            Some((_, v, line)) => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| err(*line, format!("{name}: {k}:{v} is not a number"))),
        }
    };
    let size = parse_u64('S')?;
    rec.installed_size = parse_u64('I')?;
    if let Some((_, v, line)) = get('k') {
        rec.provider_priority = v
            .trim()
            .parse::<i64>()
            .map_err(|_| err(*line, format!("{name}: k:{v} is not a number")))?;
    }
    rec.download = Download {
        url: format!("{base}/{arch}/{name}-{version}.apk"),
        size,
        sha256: None,
    };
    let mut broken = Vec::new();
    for (key, value, _) in fields {
        match key {
            'D' => {
                for word in value.split_whitespace() {
                    match atom::parse_atom(word) {
                        Ok(Atom::Depend(r)) => rec.depends.push(Dependency::single(r)),
                        Ok(Atom::Conflict(r)) => rec.conflicts.push(r),
                        Err(e) => {
                            broken.push(e.to_string());
                            rec.depends.push(Dependency::single(Requirement::any(word)));
                        }
                    }
                }
            }
            'p' => rec
                .provides
                .extend(value.split_whitespace().map(atom::parse_provide)),
            'i' => {
                for word in value.split_whitespace() {
                    match atom::parse_atom(word) {
                        Ok(Atom::Depend(r)) => rec.install_if.push(r),
                        // `!x` in install_if: "only while x is not installed";
                        // kept as a requirement named `!x` for the solver.
                        Ok(Atom::Conflict(r)) => rec.install_if.push(Requirement {
                            name: format!("!{}", r.name),
                            constraint: r.constraint,
                        }),
                        Err(e) => broken.push(e.to_string()),
                    }
                }
            }
            'r' => rec
                .replaces
                .extend(value.split_whitespace().map(str::to_string)),
            k if EXTRA_FIELDS.contains(k) => {
                rec.extra.insert(k.to_string(), value.to_string());
            }
            _ => {}
        }
    }
    if !broken.is_empty() {
        rec.extra.insert("broken".to_string(), broken.join("; "));
    }
    // Keep provides sorted-stable and de-duplicated as written.
    dedup_provides(&mut rec.provides);
    Ok(rec)
}

fn dedup_provides(p: &mut Vec<Provide>) {
    let mut seen = std::collections::BTreeSet::new();
    p.retain(|x| seen.insert(x.clone()));
}
