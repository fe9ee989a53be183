//! Repository indexes: the `Release` file of a suite and its `Packages`
//! files.
//!
//! Nothing here checks signatures: [`parse_release`] takes the text that a
//! verified `InRelease` signs (or a `Release` whose detached signature was
//! checked), and [`parse_packages_skipping`] takes a `Packages` file whose
//! SHA-256 the caller has compared with the [`Release::files`] entry. One
//! malformed stanza of such an index costs that package, not the whole
//! index: it is set aside for the caller to warn about.

use std::collections::BTreeMap;
use std::io::Read;

use whittle_model::{Download, PackageRecord, SourceRef};

use crate::control::{ControlError, Paragraphs};
use crate::relations::{self, RelationError};

/// The largest index [`decompress_index`] will produce (1 GiB).
pub const MAX_INDEX_SIZE: u64 = 1 << 30;

/// Why a `Release` or `Packages` index could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The deb822 syntax is broken.
    #[error("the {what} is not valid deb822")]
    Syntax {
        /// Which index ("Release file", "Packages index").
        what: &'static str,
        /// The syntax error, naming the line.
        #[source]
        source: ControlError,
    },
    /// The text still carries its OpenPGP armor.
    #[error("the Release text still has its OpenPGP armor (`-----BEGIN PGP SIGNED MESSAGE-----`); verify the InRelease signature first and pass the signed text")]
    StillSigned,
    /// A Release file has no usable `SHA256:` section.
    #[error("the Release file has no SHA256 section; whittle only trusts SHA-256 checksums")]
    NoSha256,
    /// A line of the Release `SHA256:` section is malformed.
    #[error("Release file line {line}: bad SHA256 entry {text:?}; expected `<64 hex digits> <size> <path>`")]
    BadChecksumLine {
        /// 1-based line number in the Release text.
        line: usize,
        /// The offending line.
        text: String,
    },
    /// A `Packages` paragraph lacks a required field.
    #[error("Packages index line {line}: paragraph {package} has no {field} field")]
    MissingField {
        /// The paragraph's package name (or `(unnamed)`).
        package: String,
        /// 1-based line where the paragraph starts.
        line: usize,
        /// The missing field.
        field: &'static str,
    },
    /// A `Packages` field has a value that cannot be used.
    #[error(
        "Packages index line {line}: package {package}: bad {field} value {value:?}: {reason}"
    )]
    BadField {
        /// The paragraph's package name.
        package: String,
        /// 1-based line of the field.
        line: usize,
        /// The field name.
        field: &'static str,
        /// The value found (shortened).
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A relationship field does not parse.
    #[error("Packages index line {line}: package {package}: the {field} field does not parse")]
    Relation {
        /// The paragraph's package name.
        package: String,
        /// 1-based line of the field.
        line: usize,
        /// The field name.
        field: &'static str,
        /// The relation error.
        #[source]
        source: RelationError,
    },
    /// Every stanza for the architecture was malformed: the index is not
    /// usable even though it is signed.
    #[error(
        "every stanza of the Packages index for this architecture is malformed ({skipped} \
         skipped, none usable); the first is below"
    )]
    AllMalformed {
        /// How many stanzas were skipped.
        skipped: usize,
        /// Why the first one was.
        #[source]
        first: Box<IndexError>,
    },
    /// Decompression failed.
    #[error("cannot decompress {name}")]
    Decompress {
        /// The index file name.
        name: String,
        /// The decoder's error.
        #[source]
        source: std::io::Error,
    },
    /// The decompressed index is larger than [`MAX_INDEX_SIZE`].
    #[error(
        "{name} decompresses to more than {limit} bytes; refusing it (a corrupt or hostile index?)"
    )]
    TooLarge {
        /// The index file name.
        name: String,
        /// The limit in bytes.
        limit: u64,
    },
}

/// One file listed in a `Release` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// The content of a suite's `Release` (or the signed text of `InRelease`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Release {
    /// `Origin` (e.g. `Debian`).
    pub origin: Option<String>,
    /// `Label`.
    pub label: Option<String>,
    /// `Suite` (e.g. `oldstable`).
    pub suite: Option<String>,
    /// `Codename` (e.g. `bookworm`).
    pub codename: Option<String>,
    /// `Version` (e.g. `12.15`).
    pub version: Option<String>,
    /// `Date`, as written (RFC 2822).
    pub date: Option<String>,
    /// `Valid-Until`, as written (RFC 2822).
    pub valid_until: Option<String>,
    /// `Architectures`.
    pub architectures: Vec<String>,
    /// `Components`.
    pub components: Vec<String>,
    /// `Acquire-By-Hash: yes`: files may be fetched as
    /// [`Release::by_hash_path`].
    pub acquire_by_hash: bool,
    /// The `SHA256:` section: path relative to the suite directory
    /// (`main/binary-amd64/Packages.xz`) → checksum and size.
    pub files: BTreeMap<String, FileEntry>,
}

impl Release {
    /// The entry for `path` (relative to the suite directory), if listed.
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.get(path)
    }

    /// The by-hash location of a listed file
    /// (`main/binary-amd64/by-hash/SHA256/<hex>`), if the file is listed.
    pub fn by_hash_path(&self, path: &str) -> Option<String> {
        let entry = self.files.get(path)?;
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        Some(if dir.is_empty() {
            format!("by-hash/SHA256/{}", entry.sha256)
        } else {
            format!("{dir}/by-hash/SHA256/{}", entry.sha256)
        })
    }
}

/// Parse the text of a `Release` file (or the verified signed text of an
/// `InRelease` file, armor removed).
pub fn parse_release(text: &str) -> Result<Release, IndexError> {
    if text.trim_start().starts_with("-----BEGIN PGP") {
        return Err(IndexError::StillSigned);
    }
    let syntax = |source| IndexError::Syntax {
        what: "Release file",
        source,
    };
    let mut paragraphs = Paragraphs::new(text);
    let p = match paragraphs.next() {
        Some(p) => p.map_err(syntax)?,
        None => return Err(IndexError::NoSha256),
    };
    let owned = |name: &str| p.get(name).map(str::to_string);
    let words = |name: &str| {
        p.get(name)
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let mut files = BTreeMap::new();
    let sha = p.get_raw("SHA256").ok_or(IndexError::NoSha256)?;
    let first_line = p.line_of("SHA256").unwrap_or(0);
    // Raw value: its first line is the rest of the `SHA256:` line itself.
    for (i, line) in sha.split('\n').enumerate() {
        let line_no = first_line + i;
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let bad = || IndexError::BadChecksumLine {
            line: line_no,
            text: l.to_string(),
        };
        let mut parts = l.split_whitespace();
        let (Some(hash), Some(size), Some(path), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let size: u64 = size.parse().map_err(|_| bad())?;
        files.insert(
            path.to_string(),
            FileEntry {
                sha256: hash.to_ascii_lowercase(),
                size,
            },
        );
    }
    if files.is_empty() {
        return Err(IndexError::NoSha256);
    }
    Ok(Release {
        origin: owned("Origin"),
        label: owned("Label"),
        suite: owned("Suite"),
        codename: owned("Codename"),
        version: owned("Version"),
        date: owned("Date"),
        valid_until: owned("Valid-Until"),
        architectures: words("Architectures"),
        components: words("Components"),
        acquire_by_hash: p
            .get("Acquire-By-Hash")
            .is_some_and(|v| v.eq_ignore_ascii_case("yes")),
        files,
    })
}

/// Fields of a `Packages` paragraph copied into [`PackageRecord::extra`]
/// when present. `Replaces` matters for unpacking (file takeovers) and
/// `Maintainer`/`Homepage`/`Description` for SBOMs; `Description` keeps
/// only its first line (the synopsis).
pub const EXTRA_FIELDS: &[&str] = &[
    "Multi-Arch",
    "Essential",
    "Protected",
    "Priority",
    "Section",
    "Filename",
    "MD5sum",
    "Replaces",
    "Maintainer",
    "Homepage",
    "Description",
];

/// Parse a `Packages` index into records for `arch` (paragraphs whose
/// `Architecture` is `arch` or `all`; others are skipped), failing on the
/// first malformed stanza. [`parse_packages_skipping`] sets malformed
/// stanzas aside instead; see it for what each record holds.
///
/// Errors name the package and line.
pub fn parse_packages(
    text: &str,
    base_url: &str,
    repo: usize,
    arch: &str,
) -> Result<Vec<PackageRecord>, IndexError> {
    let parsed = parse_packages_skipping(text, base_url, repo, arch);
    match parsed.skipped.into_iter().next() {
        Some(first) => Err(first.error),
        None => Ok(parsed.records),
    }
}

/// A `Packages` index read with its malformed stanzas set aside.
#[derive(Debug, Default)]
pub struct ParsedPackages {
    /// The records of the sound stanzas for the architecture, in order.
    pub records: Vec<PackageRecord>,
    /// The stanzas set aside, in order.
    pub skipped: Vec<SkippedStanza>,
}

/// A stanza of a `Packages` index that was set aside.
#[derive(Debug)]
pub struct SkippedStanza {
    /// Its `Package` (`(unnamed)` when it has none, or when a syntax
    /// error came before it).
    pub package: String,
    /// What is wrong, naming the line and field.
    pub error: IndexError,
}

impl ParsedPackages {
    /// Append the parse of a later part of the same index.
    pub fn extend(&mut self, later: ParsedPackages) {
        self.records.extend(later.records);
        self.skipped.extend(later.skipped);
    }

    /// The parse, unless stanzas were set aside and none was sound: an
    /// index of nothing but malformed stanzas is an error, not an empty
    /// repository.
    pub fn check_usable(mut self) -> Result<ParsedPackages, IndexError> {
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

/// Parse a `Packages` index into records for `arch` (paragraphs whose
/// `Architecture` is `arch` or `all`; others are skipped), setting each
/// malformed stanza aside in [`ParsedPackages::skipped`] with why: broken
/// deb822 syntax (the stanza is skipped to its end), a missing `Package`,
/// `Version`, `Architecture` or `Filename`, a version that is not a valid
/// Debian version (Policy §5.6.12, [`crate::version::parse`]), or a field
/// that does not parse. The caller decides what a skipped stanza means
/// (a signed index whose digest matched: a warning).
///
/// `base_url` is the repository root that `Filename` is relative to (the
/// URL before `dists/`), without a trailing slash (one is tolerated); `repo`
/// is stored in each record. Record fields: `depends` = `Pre-Depends` then
/// `Depends`; `conflicts` = `Conflicts` then `Breaks`; `installed_size` =
/// `Installed-Size` KiB × 1024; `source` from `Source: name [(version)]`
/// (version defaults to the binary's), `None` when absent; `extra` holds
/// [`EXTRA_FIELDS`]. Versions in relationship fields are not validated
/// (they are compared as dpkg compares any string).
pub fn parse_packages_skipping(
    text: &str,
    base_url: &str,
    repo: usize,
    arch: &str,
) -> ParsedPackages {
    parse_packages_from_line(text, 1, base_url, repo, arch)
}

/// [`parse_packages_skipping`] of a text that starts at line `first_line`
/// of the index (its later part, parsed on another core).
pub(crate) fn parse_packages_from_line(
    text: &str,
    first_line: usize,
    base_url: &str,
    repo: usize,
    arch: &str,
) -> ParsedPackages {
    let base = base_url.trim_end_matches('/');
    let mut out = ParsedPackages::default();
    let mut paragraphs = Paragraphs::new(text).starting_at_line(first_line);
    loop {
        let paragraph = match paragraphs.next_borrowed() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(source) => {
                let package = paragraphs
                    .partial_field("Package")
                    .unwrap_or("(unnamed)")
                    .to_string();
                out.skipped.push(SkippedStanza {
                    package,
                    error: IndexError::Syntax {
                        what: "Packages index",
                        source,
                    },
                });
                paragraphs.skip_rest_of_paragraph();
                continue;
            }
        };
        let mut f = Fields {
            line: paragraph.line(),
            ..Fields::default()
        };
        for (name, value, line) in paragraph.fields() {
            f.take(name, value, line);
        }
        let result = match f.get(key::ARCHITECTURE) {
            None => Err(f.missing("Architecture")),
            Some(a) if a != arch && a != "all" => continue,
            Some(_) => f.record(base, repo, arch),
        };
        match result {
            Ok(record) => out.records.push(record),
            Err(error) => out.skipped.push(SkippedStanza {
                package: f.package().to_string(),
                error,
            }),
        }
    }
    out
}

/// The `Packages` fields the parser uses, as slots: the named ones below,
/// then [`EXTRA_FIELDS`] from [`key::FIRST_EXTRA`] on.
mod key {
    pub const PACKAGE: usize = 0;
    pub const VERSION: usize = 1;
    pub const ARCHITECTURE: usize = 2;
    pub const SOURCE: usize = 3;
    pub const PRE_DEPENDS: usize = 4;
    pub const DEPENDS: usize = 5;
    pub const CONFLICTS: usize = 6;
    pub const BREAKS: usize = 7;
    pub const PROVIDES: usize = 8;
    pub const FILENAME: usize = 9;
    pub const SIZE: usize = 10;
    pub const INSTALLED_SIZE: usize = 11;
    pub const SHA256: usize = 12;
    pub const FIRST_EXTRA: usize = 13;
    pub const NAMED: [&str; FIRST_EXTRA] = [
        "Package",
        "Version",
        "Architecture",
        "Source",
        "Pre-Depends",
        "Depends",
        "Conflicts",
        "Breaks",
        "Provides",
        "Filename",
        "Size",
        "Installed-Size",
        "SHA256",
    ];
}

fn key_lookup(name: &str) -> Option<usize> {
    let eq = |n: &&str| n.len() == name.len() && n.eq_ignore_ascii_case(name);
    key::NAMED.iter().position(eq).or_else(|| {
        EXTRA_FIELDS
            .iter()
            .position(eq)
            .map(|i| key::FIRST_EXTRA + i)
    })
}

fn key_name(k: usize) -> &'static str {
    match k.checked_sub(key::FIRST_EXTRA) {
        Some(i) => EXTRA_FIELDS[i],
        None => key::NAMED[k],
    }
}

const SLOTS: usize = key::FIRST_EXTRA + EXTRA_FIELDS.len();

/// One paragraph's interesting fields: value and line.
#[derive(Default)]
struct Fields<'a> {
    line: usize,
    values: [Option<(&'a str, usize)>; SLOTS],
}

impl<'a> Fields<'a> {
    fn take(&mut self, name: &str, value: &'a str, line: usize) {
        if let Some(k) = key_lookup(name) {
            self.values[k] = Some((value, line));
        }
    }

    fn get(&self, k: usize) -> Option<&'a str> {
        self.values[k].map(|(v, _)| v)
    }

    fn line_of(&self, k: usize) -> usize {
        self.values[k].map_or(self.line, |(_, l)| l)
    }

    fn package(&self) -> &'a str {
        self.get(key::PACKAGE).unwrap_or("(unnamed)")
    }

    fn missing(&self, field: &'static str) -> IndexError {
        IndexError::MissingField {
            package: self.package().to_string(),
            line: self.line,
            field,
        }
    }

    fn bad(&self, k: usize, reason: String) -> IndexError {
        IndexError::BadField {
            package: self.package().to_string(),
            line: self.line_of(k),
            field: key_name(k),
            value: self.get(k).unwrap_or("").chars().take(80).collect(),
            reason,
        }
    }

    fn number(&self, k: usize) -> Result<Option<u64>, IndexError> {
        self.get(k)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|e| self.bad(k, format!("not a whole number ({e})")))
            })
            .transpose()
    }

    fn relation_error(&self, k: usize, source: RelationError) -> IndexError {
        IndexError::Relation {
            package: self.package().to_string(),
            line: self.line_of(k),
            field: key_name(k),
            source,
        }
    }

    /// Build the record of a paragraph already known to be for `arch`.
    fn record(&self, base: &str, repo: usize, arch: &str) -> Result<PackageRecord, IndexError> {
        let name = self
            .get(key::PACKAGE)
            .ok_or_else(|| self.missing("Package"))?;
        let version = self
            .get(key::VERSION)
            .ok_or_else(|| self.missing("Version"))?;
        crate::version::parse(version).map_err(|e| self.bad(key::VERSION, e.reason.to_string()))?;
        let filename = self
            .get(key::FILENAME)
            .ok_or_else(|| self.missing("Filename"))?;
        let pkg_arch = self.get(key::ARCHITECTURE).unwrap_or(arch);

        let source = match self.get(key::SOURCE) {
            None => None,
            Some(s) => {
                let (n, v) = match s.split_once('(') {
                    None => (s.trim(), version),
                    Some((n, v)) => {
                        let v = v.trim_end().strip_suffix(')').unwrap_or("");
                        (n.trim(), v.trim())
                    }
                };
                if n.is_empty() || v.is_empty() || n.contains(char::is_whitespace) {
                    return Err(self.bad(
                        key::SOURCE,
                        "expected `name` or `name (version)`".to_string(),
                    ));
                }
                crate::version::parse(v)
                    .map_err(|e| self.bad(key::SOURCE, format!("source version: {}", e.reason)))?;
                Some(SourceRef {
                    name: n.to_string(),
                    version: v.to_string(),
                })
            }
        };

        let mut depends = Vec::new();
        for k in [key::PRE_DEPENDS, key::DEPENDS] {
            if let Some(v) = self.get(k) {
                let deps = relations::parse_dependencies(v, arch)
                    .map_err(|e| self.relation_error(k, e))?;
                depends.extend(deps);
            }
        }
        let mut conflicts = Vec::new();
        for k in [key::CONFLICTS, key::BREAKS] {
            if let Some(v) = self.get(k) {
                let c =
                    relations::parse_conflicts(v, arch).map_err(|e| self.relation_error(k, e))?;
                conflicts.extend(c);
            }
        }
        let provides = match self.get(key::PROVIDES) {
            Some(v) => relations::parse_provides(v, arch)
                .map_err(|e| self.relation_error(key::PROVIDES, e))?,
            None => Vec::new(),
        };

        let size = self.number(key::SIZE)?;
        let installed_size = self
            .number(key::INSTALLED_SIZE)?
            .map(|kib| {
                kib.checked_mul(1024)
                    .ok_or_else(|| self.bad(key::INSTALLED_SIZE, "too large".to_string()))
            })
            .transpose()?;
        let sha256 = match self.get(key::SHA256) {
            None => None,
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(h.to_ascii_lowercase())
            }
            Some(_) => return Err(self.bad(key::SHA256, "expected 64 hex digits".to_string())),
        };

        let mut extra = BTreeMap::new();
        for (i, &field) in EXTRA_FIELDS.iter().enumerate() {
            if let Some(v) = self.get(key::FIRST_EXTRA + i) {
                let v = if field == "Description" {
                    v.lines().next().unwrap_or("")
                } else {
                    v
                };
                extra.insert(field.to_string(), v.to_string());
            }
        }

        Ok(PackageRecord {
            name: name.to_string(),
            version: version.to_string(),
            arch: pkg_arch.to_string(),
            source,
            depends,
            provides,
            conflicts,
            obsoletes: Vec::new(),
            download: Download {
                url: format!("{base}/{}", filename.trim_start_matches('/')),
                size,
                sha256,
            },
            repo,
            installed_size,
            provider_priority: extra.get("Priority").map_or(0, |p| priority_rank(p)),
            install_if: Vec::new(),
            replaces: extra
                .get("Replaces")
                .map(|r| {
                    r.split(',')
                        .filter_map(|x| x.split_whitespace().next())
                        .map(|n| n.split(':').next().unwrap_or(n).to_string())
                        .filter(|n| !n.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            repo_tag: None,
            extra,
        })
    }
}

/// How apt ranks a package's `Priority` when several provide one virtual
/// name: required first, then important, standard, optional, extra.
fn priority_rank(priority: &str) -> i64 {
    match priority {
        "required" => 5,
        "important" => 4,
        "standard" => 3,
        "optional" => 2,
        "extra" => 1,
        _ => 0,
    }
}

/// Decompress an index file by its name's suffix: `.xz`, `.gz`, `.zst`, or
/// anything else as plain bytes. The output is limited to
/// [`MAX_INDEX_SIZE`].
pub fn decompress_index(name: &str, bytes: &[u8]) -> Result<Vec<u8>, IndexError> {
    let limit = MAX_INDEX_SIZE;
    let too_large = || IndexError::TooLarge {
        name: name.to_string(),
        limit,
    };
    let reader: Box<dyn Read + '_> = if name.ends_with(".xz") {
        Box::new(liblzma::read::XzDecoder::new_multi_decoder(bytes))
    } else if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(bytes))
    } else if name.ends_with(".zst") {
        Box::new(zstd::stream::read::Decoder::new(bytes).map_err(|source| {
            IndexError::Decompress {
                name: name.to_string(),
                source,
            }
        })?)
    } else {
        if bytes.len() as u64 > limit {
            return Err(too_large());
        }
        return Ok(bytes.to_vec());
    };
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    reader
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|source| IndexError::Decompress {
            name: name.to_string(),
            source,
        })?;
    if out.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(out)
}
