//! Chisel's manifest, `<dir>/manifest.wall`, byte for byte as Chisel v1.4.1
//! writes it: a zstd-compressed "jsonwall" file (canonical/chisel
//! `public/jsonwall/jsonwall.go`, `public/manifest/manifest.go`,
//! `internal/manifestutil/manifestutil.go`; Apache-2.0 formats).
//!
//! # The format
//!
//! The first line is `{"jsonwall":"1.0","schema":"1.0","count":N}`, N being
//! the number of records plus one. Then one JSON object per line, each
//! line ending in `\n`, the lines sorted bytewise on their exact text.
//! Fields come in a fixed order and empty ones (`""`, `0`, `[]`) are left
//! out, so that readers can binary-search on a JSON prefix:
//!
//! * `{"kind":"package","name","version","sha256","arch"}`: `sha256` of the
//!   `.deb`; `arch` as the package index gives it (`all` included).
//! * `{"kind":"slice","name"}`: `pkg_slice`.
//! * `{"kind":"path","path","mode","slices","sha256","final_sha256","size","link","inode"}`:
//!   `mode` is `0` and the octal permission bits plus the sticky bit
//!   (setuid and setgid dropped: `02775` is written `0775`); `slices` is
//!   sorted.
//! * `{"kind":"content","slice","path"}`: one per (slice, path) pair.
//!
//! Strings are escaped as Go's `encoding/json` does (`<`, `>`, `&` as
//! `\u003c`…), which the sort order sees.
//!
//! # Building a [`ManifestInput`] the way Chisel does
//!
//! (`internal/slicer/slicer.go`, `internal/manifestutil/report.go`.)
//!
//! * **Packages**: one per package the selection cut from (every package
//!   with a selected slice, a copyright-only one included).
//! * **Slices**: every selected slice, the essentials closure included.
//! * **Paths**: every entry created for a selected slice's `contents`:
//!   extracted paths (`copy` sources land at their target), every glob
//!   match (directories the glob matches included), `text`, `make` and
//!   `symlink` entries. Directories end in `/`. Left out:
//!   - entries created only as parents, whether extracted from the package
//!     to keep its modes or made with mode 0755 (e.g. `/var/lib/chisel/`
//!     for the manifest itself), unless some selected slice lists them;
//!   - arch-filtered entries, and paths a `prefer:` gives to another
//!     package (they are not created);
//!   - `until: mutate` entries. For an extracted path this is per slice:
//!     the path is attributed to each slice whose entry is not
//!     `until: mutate`, and left out if none. For a created (`text`,
//!     `make`, `symlink`) path it is all or nothing: left out only if every
//!     listing slice says `until: mutate`, otherwise attributed to all of
//!     them.
//! * Path fields: `mode` is the mode on disk (the tar mode for extracted
//!   entries, `mode:` or 0644/0755 for created ones, 0777 for symlinks);
//!   regular files carry `sha256` and `size` of the content as created
//!   (`size` left out when 0); symlinks carry `link`, the target as stored;
//!   directories carry neither.
//! * **Mutation**: when a `mutate` script wrote a file and its new digest
//!   differs from `sha256`, `final_sha256` is the new digest and `size` the
//!   new size (`sha256` stays the original, e.g. that of `FIXME`).
//! * **Hard links**: every member of a set (the first-extracted target
//!   included) gets `inode` = the set's number, numbered from 1 in the
//!   order the first link of each set was extracted, and the target's
//!   `sha256` and `size`; no `link`.
//! * **The manifest itself**: for each `generate: manifest` entry
//!   `<dir>/**` of a selected slice, the path `<dir>/manifest.wall`, mode
//!   0644, attributed to the slices declaring it, with **no** `sha256` and
//!   no `size` (Chisel records the entry before writing the file). Its
//!   parent directory is not listed unless a slice lists it.
//! * **Contents**: one (slice, path) pair per slice of each path.
//!
//! ```
//! use whittle_slices::manifest::{self, ManifestInput, ManifestPackage, ManifestPath};
//!
//! let input = ManifestInput {
//!     packages: vec![ManifestPackage {
//!         name: "base-files".into(),
//!         version: "13ubuntu10".into(),
//!         sha256: "87e8c41e".into(),
//!         arch: "amd64".into(),
//!     }],
//!     slices: vec!["base-files_chisel".into()],
//!     paths: vec![ManifestPath {
//!         path: "/var/lib/chisel/manifest.wall".into(),
//!         mode: 0o644,
//!         slices: vec!["base-files_chisel".into()],
//!         ..ManifestPath::default()
//!     }],
//!     contents: vec![("base-files_chisel".into(), "/var/lib/chisel/manifest.wall".into())],
//! };
//! let text = manifest::render_manifest(&input)?;
//! assert!(text.starts_with(b"{\"jsonwall\":\"1.0\",\"schema\":\"1.0\",\"count\":5}\n"));
//! let records = manifest::read_manifest(&manifest::write_manifest(&input)?)?;
//! assert_eq!(records.len(), 4);
//! # Ok::<(), manifest::ManifestError>(())
//! ```

mod json;
mod validate;

use std::io::Read as _;

use serde_json::Value;

/// The zstd level (Chisel's encoder default is the equivalent of 3).
const ZSTD_LEVEL: i32 = 3;

/// The most bytes [`read_manifest`] decompresses.
pub const MAX_MANIFEST_BYTES: u64 = 256 << 20;

/// Everything one manifest records (see the module docs for how Chisel
/// fills it). Order does not matter: records are sorted on writing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestInput {
    /// The packages cut from.
    pub packages: Vec<ManifestPackage>,
    /// The selected slices, `pkg_slice`.
    pub slices: Vec<String>,
    /// The paths.
    pub paths: Vec<ManifestPath>,
    /// (slice, path) pairs: each path once for each of its slices.
    pub contents: Vec<(String, String)>,
}

/// A `package` record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestPackage {
    /// The package name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The `.deb` file's SHA-256, hex.
    pub sha256: String,
    /// The package's architecture (`all` included).
    pub arch: String,
}

/// A `path` record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestPath {
    /// Absolute; directories end in `/`.
    pub path: String,
    /// The mode (only the permission and sticky bits are written).
    pub mode: u32,
    /// The slices listing the path (sorted on writing).
    pub slices: Vec<String>,
    /// The content's SHA-256 as created, hex (regular files).
    pub sha256: Option<String>,
    /// The content's SHA-256 after mutation, when it changed.
    pub final_sha256: Option<String>,
    /// The size in bytes (after mutation); 0 is left out.
    pub size: Option<u64>,
    /// The symlink target.
    pub link: Option<String>,
    /// The hard-link set's number (from 1); 0 is left out.
    pub inode: Option<u64>,
}

/// A manifest that cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The input is not a consistent manifest (Chisel's "internal error:
    /// invalid manifest"); the message says which record.
    #[error("invalid manifest: {message}")]
    Invalid {
        /// What is wrong.
        message: String,
    },
    /// zstd failed.
    #[error("manifest: zstd: {0}")]
    Zstd(#[source] std::io::Error),
    /// Decompressed, the manifest is larger than [`MAX_MANIFEST_BYTES`].
    #[error("manifest: larger than {MAX_MANIFEST_BYTES} bytes decompressed")]
    TooLarge,
    /// A line that is not what the format allows.
    #[error("manifest line {line}: {message}")]
    Format {
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// The manifest as jsonwall text, uncompressed; deterministic.
///
/// # Errors
///
/// [`ManifestError::Invalid`] when the input is inconsistent (a slice of a
/// package not listed, a path of a slice not listed, a directory or symlink
/// with a digest, a broken hard-link set, contents not matching the paths'
/// slices, a path listed twice).
pub fn render_manifest(input: &ManifestInput) -> Result<Vec<u8>, ManifestError> {
    validate::validate(input)?;
    let mut lines: Vec<String> = Vec::with_capacity(
        input.packages.len() + input.slices.len() + input.paths.len() + input.contents.len(),
    );
    lines.extend(input.packages.iter().map(json::package));
    lines.extend(input.slices.iter().map(|s| json::slice(s)));
    for p in &input.paths {
        let mut slices = p.slices.clone();
        slices.sort();
        lines.push(json::path(p, &slices));
    }
    lines.extend(input.contents.iter().map(|(s, p)| json::content(s, p)));
    // jsonwall: bytewise order of the serialized lines.
    lines.sort_unstable();
    let mut out = json::header(lines.len() + 1).into_bytes();
    out.push(b'\n');
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// The manifest file's bytes: [`render_manifest`] compressed with zstd;
/// deterministic.
///
/// # Errors
///
/// As [`render_manifest`], or [`ManifestError::Zstd`].
pub fn write_manifest(input: &ManifestInput) -> Result<Vec<u8>, ManifestError> {
    let text = render_manifest(input)?;
    zstd::encode_all(text.as_slice(), ZSTD_LEVEL).map_err(ManifestError::Zstd)
}

/// The records of a manifest (zstd-compressed or not), in file order,
/// without the header; each a JSON object.
///
/// # Errors
///
/// When the bytes do not decompress, exceed [`MAX_MANIFEST_BYTES`], or are
/// not jsonwall 1.x with schema 1.0 and a matching count.
pub fn read_manifest(bytes: &[u8]) -> Result<Vec<Value>, ManifestError> {
    let text = decompress(bytes)?;
    let format = |line: usize, message: String| ManifestError::Format { line, message };
    let text = std::str::from_utf8(&text).map_err(|e| format(1, format!("not UTF-8: {e}")))?;
    let body = text
        .strip_suffix('\n')
        .ok_or_else(|| format(1, "the file does not end with a newline".into()))?;
    let mut lines = body.split('\n');
    let header: Value = serde_json::from_str(lines.next().unwrap_or_default())
        .map_err(|e| format(1, format!("invalid header: {e}")))?;
    let version = header["jsonwall"].as_str().unwrap_or_default();
    if !version.starts_with("1.") {
        return Err(format(
            1,
            format!("unsupported jsonwall version {version:?}"),
        ));
    }
    if header["schema"] != "1.0" {
        return Err(format(1, format!("unknown schema {}", header["schema"])));
    }
    let mut records = Vec::new();
    for (i, line) in lines.enumerate() {
        let value: Value = serde_json::from_str(line)
            .map_err(|e| format(i + 2, format!("invalid record: {e}")))?;
        if !value.is_object() {
            return Err(format(i + 2, "a record is not an object".into()));
        }
        records.push(value);
    }
    let count = header["count"].as_u64().unwrap_or(0);
    if count != records.len() as u64 + 1 {
        return Err(format(
            1,
            format!("count {count} but {} records", records.len()),
        ));
    }
    Ok(records)
}

/// `bytes`, zstd-decoded when they start with zstd's magic number.
fn decompress(bytes: &[u8]) -> Result<Vec<u8>, ManifestError> {
    if !bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge);
        }
        return Ok(bytes.to_vec());
    }
    let decoder = zstd::stream::read::Decoder::new(bytes).map_err(ManifestError::Zstd)?;
    let mut out = Vec::new();
    decoder
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(ManifestError::Zstd)?;
    if out.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge);
    }
    Ok(out)
}

impl ManifestInput {
    /// The input that gives `records` back (what [`read_manifest`]
    /// returns): the inverse of writing, for checking a manifest or
    /// rewriting one.
    ///
    /// # Errors
    ///
    /// [`ManifestError::Format`] for a record of unknown kind or with a
    /// field of the wrong type; the line counts the header.
    pub fn from_records(records: &[Value]) -> Result<Self, ManifestError> {
        let mut input = Self::default();
        for (i, r) in records.iter().enumerate() {
            let line = i + 2;
            let field = Field { record: r, line };
            match r["kind"].as_str() {
                Some("package") => input.packages.push(ManifestPackage {
                    name: field.string("name")?.unwrap_or_default(),
                    version: field.string("version")?.unwrap_or_default(),
                    sha256: field.string("sha256")?.unwrap_or_default(),
                    arch: field.string("arch")?.unwrap_or_default(),
                }),
                Some("slice") => input.slices.push(field.string("name")?.unwrap_or_default()),
                Some("content") => input.contents.push((
                    field.string("slice")?.unwrap_or_default(),
                    field.string("path")?.unwrap_or_default(),
                )),
                Some("path") => input.paths.push(field.path()?),
                other => {
                    return Err(ManifestError::Format {
                        line,
                        message: format!("unknown record kind {other:?}"),
                    })
                }
            }
        }
        Ok(input)
    }
}

/// Typed access to one record's fields.
struct Field<'r> {
    record: &'r Value,
    line: usize,
}

impl Field<'_> {
    fn wrong(&self, key: &str, want: &str) -> ManifestError {
        ManifestError::Format {
            line: self.line,
            message: format!("field {key:?} is not {want}"),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>, ManifestError> {
        match self.record.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    fn number(&self, key: &str) -> Result<Option<u64>, ManifestError> {
        match self.record.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a number")),
        }
    }

    fn path(&self) -> Result<ManifestPath, ManifestError> {
        let mode = self.string("mode")?.unwrap_or_default();
        let mode = u32::from_str_radix(&mode, 8).map_err(|_| self.wrong("mode", "octal"))?;
        let slices = match self.record.get("slices") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| self.wrong("slices", "a list of strings"))?,
            Some(_) => return Err(self.wrong("slices", "a list")),
        };
        Ok(ManifestPath {
            path: self.string("path")?.unwrap_or_default(),
            mode,
            slices,
            sha256: self.string("sha256")?,
            final_sha256: self.string("final_sha256")?,
            size: self.number("size")?,
            link: self.string("link")?,
            inode: self.number("inode")?,
        })
    }
}
