//! Reading RPM headers: the lead, the signature header and the main header
//! of a `.rpm`, and the header blobs an rpmdb stores.
//!
//! A header is a 16-byte intro (magic `8e ad e8 01`, four reserved bytes,
//! the index count `il` and the data length `dl`, big-endian), `il` index
//! entries of 16 bytes (tag, type, offset, count) and `dl` bytes of data.
//! [`Header`] keeps those bytes exactly as read, because signatures and
//! the header digests cover them and the rpmdb stores them.
//!
//! Bounds follow rpm's own (`hdrchkTags`, `hdrchkData`): at most 65535
//! entries and 256 MiB of data, every entry's data inside the store.

use std::io::{self, Read};

use crate::tags;

/// The header magic.
pub const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];
/// The lead magic.
pub const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
/// Size of the lead.
pub const LEAD_SIZE: usize = 96;
/// Most index entries a header may have.
pub const MAX_ENTRIES: u32 = 0xffff;
/// Most data bytes a header may have.
pub const MAX_DATA: u32 = 256 << 20;

/// Value types of header entries.
pub mod kind {
    /// No value.
    pub const NULL: u32 = 0;
    /// Characters.
    pub const CHAR: u32 = 1;
    /// 8-bit integers.
    pub const INT8: u32 = 2;
    /// 16-bit integers.
    pub const INT16: u32 = 3;
    /// 32-bit integers.
    pub const INT32: u32 = 4;
    /// 64-bit integers.
    pub const INT64: u32 = 5;
    /// One NUL-terminated string.
    pub const STRING: u32 = 6;
    /// Bytes.
    pub const BIN: u32 = 7;
    /// NUL-terminated strings.
    pub const STRING_ARRAY: u32 = 8;
    /// NUL-terminated strings, one per locale.
    pub const I18NSTRING: u32 = 9;
}

/// A header or lead could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// Reading failed (a truncated download, a dropped connection).
    #[error("reading the {what} failed")]
    Io {
        /// Which part.
        what: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The bytes are not an RPM header.
    #[error("the {what} is malformed: {reason}")]
    Malformed {
        /// Which part.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl HeaderError {
    fn malformed(what: &'static str, reason: impl Into<String>) -> HeaderError {
        HeaderError::Malformed {
            what,
            reason: reason.into(),
        }
    }
}

/// One index entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    /// The tag.
    pub tag: u32,
    /// The value type ([`kind`]).
    pub kind: u32,
    /// Offset of the value in the data store.
    pub offset: u32,
    /// Number of values.
    pub count: u32,
}

/// A header, its bytes kept as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Intro + index + store, exactly as read (with the magic).
    bytes: Vec<u8>,
    entries: Vec<IndexEntry>,
    /// Byte length of each entry's value, by position in `entries`.
    lengths: Vec<usize>,
}

/// What the lead says (informational only: never trusted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lead {
    /// Format major: 3 for v4 packages, 4 for rpm 6's v6.
    pub major: u8,
    /// 0 binary, 1 source.
    pub package_type: u16,
}

/// The headers at the front of a `.rpm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageHeaders {
    /// The lead.
    pub lead: Lead,
    /// The signature header.
    pub signature: Header,
    /// The main header.
    pub main: Header,
}

impl PackageHeaders {
    /// Read the lead, the signature header (and its padding) and the main
    /// header from the front of a `.rpm`, leaving `reader` at the payload.
    pub fn read(reader: &mut dyn Read) -> Result<PackageHeaders, HeaderError> {
        let mut lead = [0u8; LEAD_SIZE];
        read_exact(reader, &mut lead, "lead")?;
        if lead[..4] != LEAD_MAGIC {
            return Err(HeaderError::malformed(
                "lead",
                "no RPM lead magic at the start of the file",
            ));
        }
        let lead = Lead {
            major: lead[4],
            package_type: u16::from_be_bytes([lead[6], lead[7]]),
        };
        let signature = Header::read(reader, "signature header")?;
        let pad = (8 - signature.data_len() % 8) % 8;
        let mut skip = [0u8; 8];
        read_exact(reader, &mut skip[..pad], "signature header")?;
        let main = Header::read(reader, "main header")?;
        Ok(PackageHeaders {
            lead,
            signature,
            main,
        })
    }
}

fn read_exact(
    reader: &mut dyn Read,
    buf: &mut [u8],
    what: &'static str,
) -> Result<(), HeaderError> {
    reader
        .read_exact(buf)
        .map_err(|source| match source.kind() {
            io::ErrorKind::UnexpectedEof => {
                HeaderError::malformed(what, "the file ends inside it (truncated?)")
            }
            _ => HeaderError::Io { what, source },
        })
}

impl Header {
    /// Read one header (with its magic) from `reader`.
    pub fn read(reader: &mut dyn Read, what: &'static str) -> Result<Header, HeaderError> {
        let mut intro = [0u8; 16];
        read_exact(reader, &mut intro, what)?;
        if intro[..4] != HEADER_MAGIC {
            return Err(HeaderError::malformed(what, "no header magic"));
        }
        let (il, dl) = counts(&intro[8..16], what)?;
        let mut bytes = Vec::with_capacity(16 + il as usize * 16 + dl as usize);
        bytes.extend_from_slice(&intro);
        bytes.resize(16 + il as usize * 16 + dl as usize, 0);
        read_exact(reader, &mut bytes[16..], what)?;
        Header::from_bytes(bytes, what)
    }

    /// A header from its bytes with the magic (`8e ad e8 01 …`).
    pub fn parse(bytes: &[u8], what: &'static str) -> Result<Header, HeaderError> {
        if bytes.len() < 16 || bytes[..4] != HEADER_MAGIC {
            return Err(HeaderError::malformed(what, "no header magic"));
        }
        Header::from_bytes(bytes.to_vec(), what)
    }

    /// A header from an rpmdb blob (no magic: it starts at `il`).
    pub fn from_blob(blob: &[u8], what: &'static str) -> Result<Header, HeaderError> {
        let mut bytes = Vec::with_capacity(blob.len() + 8);
        bytes.extend_from_slice(&HEADER_MAGIC);
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(blob);
        Header::from_bytes(bytes, what)
    }

    fn from_bytes(bytes: Vec<u8>, what: &'static str) -> Result<Header, HeaderError> {
        let (il, dl) = counts(bytes.get(8..16).unwrap_or(&[]), what)?;
        let (il, dl) = (il as usize, dl as usize);
        if bytes.len() != 16 + il * 16 + dl {
            return Err(HeaderError::malformed(
                what,
                format!(
                    "{} bytes where its counts say {}",
                    bytes.len(),
                    16 + il * 16 + dl
                ),
            ));
        }
        let store = &bytes[16 + il * 16..];
        let mut entries = Vec::with_capacity(il);
        let mut lengths = Vec::with_capacity(il);
        for i in 0..il {
            let at = 16 + i * 16;
            let word = |k: usize| {
                let b = &bytes[at + k * 4..at + k * 4 + 4];
                u32::from_be_bytes([b[0], b[1], b[2], b[3]])
            };
            let e = IndexEntry {
                tag: word(0),
                kind: word(1),
                offset: word(2),
                count: word(3),
            };
            let len = value_len(&e, store).ok_or_else(|| {
                HeaderError::malformed(
                    what,
                    format!(
                        "entry {} (tag {}, type {}) points outside the header's data",
                        i, e.tag, e.kind
                    ),
                )
            })?;
            entries.push(e);
            lengths.push(len);
        }
        Ok(Header {
            bytes,
            entries,
            lengths,
        })
    }

    /// The header's bytes exactly as read, with the magic: what header
    /// signatures and digests cover.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes without the 8-byte magic and reserved word: the form an
    /// rpmdb stores.
    pub fn blob(&self) -> &[u8] {
        &self.bytes[8..]
    }

    /// The data store.
    pub fn store(&self) -> &[u8] {
        &self.bytes[16 + self.entries.len() * 16..]
    }

    /// Length of the data store (`dl`).
    pub fn data_len(&self) -> usize {
        self.store().len()
    }

    /// The index entries in order.
    pub fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    /// The raw value bytes of entry `i` (by position).
    pub fn value_bytes(&self, i: usize) -> Option<&[u8]> {
        let e = self.entries.get(i)?;
        let len = *self.lengths.get(i)?;
        self.store().get(e.offset as usize..e.offset as usize + len)
    }

    fn find(&self, tag: u32) -> Option<(usize, &IndexEntry)> {
        self.entries.iter().enumerate().find(|(_, e)| e.tag == tag)
    }

    /// Whether the header has `tag`.
    pub fn has(&self, tag: u32) -> bool {
        self.find(tag).is_some()
    }

    /// The entry for `tag`.
    pub fn entry(&self, tag: u32) -> Option<&IndexEntry> {
        self.find(tag).map(|(_, e)| e)
    }

    /// The strings of `tag` (STRING, STRING_ARRAY or I18NSTRING; for
    /// I18NSTRING every locale's value), lossily decoded.
    pub fn strings(&self, tag: u32) -> Vec<String> {
        let Some((i, e)) = self.find(tag) else {
            return Vec::new();
        };
        if !matches!(e.kind, kind::STRING | kind::STRING_ARRAY | kind::I18NSTRING) {
            return Vec::new();
        }
        let Some(bytes) = self.value_bytes(i) else {
            return Vec::new();
        };
        bytes
            .split(|b| *b == 0)
            .take(e.count as usize)
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }

    /// The strings of `tag` (STRING, STRING_ARRAY or I18NSTRING) as raw
    /// bytes without their NULs: what rpm compares and indexes, whatever
    /// their encoding.
    pub fn raw_strings(&self, tag: u32) -> Vec<&[u8]> {
        let Some((i, e)) = self.find(tag) else {
            return Vec::new();
        };
        if !matches!(e.kind, kind::STRING | kind::STRING_ARRAY | kind::I18NSTRING) {
            return Vec::new();
        }
        self.value_bytes(i)
            .map(|bytes| bytes.split(|b| *b == 0).take(e.count as usize).collect())
            .unwrap_or_default()
    }

    /// The (first) string of `tag`.
    pub fn string(&self, tag: u32) -> Option<String> {
        self.strings(tag).into_iter().next()
    }

    /// The integers of `tag`, whatever their width.
    pub fn ints(&self, tag: u32) -> Vec<u64> {
        let Some((i, e)) = self.find(tag) else {
            return Vec::new();
        };
        let width = match e.kind {
            kind::CHAR | kind::INT8 => 1,
            kind::INT16 => 2,
            kind::INT32 => 4,
            kind::INT64 => 8,
            _ => return Vec::new(),
        };
        let Some(bytes) = self.value_bytes(i) else {
            return Vec::new();
        };
        bytes
            .chunks_exact(width)
            .map(|c| c.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
            .collect()
    }

    /// The first integer of `tag`.
    pub fn int(&self, tag: u32) -> Option<u64> {
        self.ints(tag).into_iter().next()
    }

    /// The bytes of a BIN `tag`.
    pub fn bin(&self, tag: u32) -> Option<&[u8]> {
        let (i, e) = self.find(tag)?;
        (e.kind == kind::BIN).then(|| self.value_bytes(i)).flatten()
    }

    /// The immutable region: (index entries in it, data bytes in it), when
    /// the header starts with a region tag ([`tags::IMMUTABLE`] or
    /// [`tags::SIGNATURES`]).
    pub fn region(&self) -> Option<(usize, usize)> {
        let first = self.entries.first()?;
        if !matches!(first.tag, tags::IMMUTABLE | tags::SIGNATURES)
            || first.kind != kind::BIN
            || first.count != 16
        {
            return None;
        }
        let trailer = self.value_bytes(0)?;
        let offset = i32::from_be_bytes([trailer[8], trailer[9], trailer[10], trailer[11]]);
        let ril = usize::try_from(-i64::from(offset)).ok()? / 16;
        let rdl = first.offset as usize + 16;
        (ril <= self.entries.len() && rdl <= self.data_len()).then_some((ril, rdl))
    }
}

fn counts(bytes: &[u8], what: &'static str) -> Result<(u32, u32), HeaderError> {
    let word = |k: usize| {
        bytes
            .get(k * 4..k * 4 + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(il), Some(dl)) = (word(0), word(1)) else {
        return Err(HeaderError::malformed(what, "too short"));
    };
    if il == 0 || il > MAX_ENTRIES {
        return Err(HeaderError::malformed(
            what,
            format!("{il} index entries (rpm allows 1 to {MAX_ENTRIES})"),
        ));
    }
    if dl > MAX_DATA {
        return Err(HeaderError::malformed(
            what,
            format!("{dl} bytes of data (rpm allows at most {MAX_DATA})"),
        ));
    }
    Ok((il, dl))
}

/// The byte length of an entry's value, `None` when it does not fit.
fn value_len(e: &IndexEntry, store: &[u8]) -> Option<usize> {
    let start = e.offset as usize;
    let count = e.count as usize;
    let rest = store.get(start..)?;
    let fixed = |width: usize| {
        let len = count.checked_mul(width)?;
        (len <= rest.len()).then_some(len)
    };
    match e.kind {
        kind::NULL => Some(0),
        kind::CHAR | kind::INT8 | kind::BIN => fixed(1),
        kind::INT16 => fixed(2),
        kind::INT32 => fixed(4),
        kind::INT64 => fixed(8),
        kind::STRING | kind::STRING_ARRAY | kind::I18NSTRING => {
            if e.kind == kind::STRING && count != 1 {
                return None;
            }
            let mut len = 0;
            for _ in 0..count {
                let nul = rest.get(len..)?.iter().position(|b| *b == 0)?;
                len += nul + 1;
            }
            Some(len)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> Vec<u8> {
        fs_err::read(whittle_test_env::fixtures::path(rel)).unwrap()
    }

    #[test]
    fn reads_the_mariner_installed_blob() {
        let blob = fixture("rpm/rpmdb/mariner2-filesystem-1.1-8.cm2-installed-blob.bin");
        let h = Header::from_blob(&blob, "blob").unwrap();
        assert_eq!(h.string(tags::NAME).as_deref(), Some("filesystem"));
        assert_eq!(h.string(tags::VERSION).as_deref(), Some("1.1"));
        assert_eq!(h.string(tags::RELEASE).as_deref(), Some("8.cm2"));
        assert_eq!(h.entries().len(), 71);
        assert_eq!(h.region().map(|r| r.0), Some(60));
        assert!(h.has(tags::RSAHEADER));
        assert_eq!(h.blob(), &blob[..]);
    }

    #[test]
    fn reads_package_headers_of_every_fixture() {
        let dir = whittle_test_env::fixtures::path("rpm/rpms");
        let mut n = 0;
        for path in walk(&dir) {
            if !path.to_string_lossy().ends_with(".rpm") {
                continue;
            }
            let mut f = fs_err::File::open(&path).unwrap();
            let h =
                PackageHeaders::read(&mut f).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(h.main.string(tags::NAME).is_some(), "{}", path.display());
            assert!(h.main.region().is_some(), "{}", path.display());
            n += 1;
        }
        assert!(n > 20, "only {n} packages found");
    }

    #[test]
    fn garbage_is_refused_never_a_panic() {
        let blob = fixture("rpm/rpmdb/mariner2-filesystem-1.1-8.cm2-installed-blob.bin");
        for cut in (0..blob.len()).step_by(97) {
            let _ = Header::from_blob(&blob[..cut], "blob");
        }
        let mut bad = blob.clone();
        for i in (8..bad.len()).step_by(13) {
            bad[i] ^= 0xa5;
            let _ = Header::from_blob(&bad, "blob").map(|h| {
                for e in h.entries() {
                    let _ = (h.strings(e.tag), h.ints(e.tag), h.region());
                }
            });
        }
        assert!(Header::from_blob(&[0, 0, 0, 0, 0, 0, 0, 0], "blob").is_err());
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in fs_err::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }
}
