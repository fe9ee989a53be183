//! Reading a `.rpm` into memory without running anything: headers checked
//! (digests, signature), payload decompressed and walked as cpio in one
//! pass, every byte hashed on the way.
//!
//! The chain of trust is rpm's (`rpmvs`): the header signature covers the
//! main header, the main header holds `PAYLOADDIGEST` (of the compressed
//! payload) and each file's digest (`FILEDIGESTS`). On top, the whole
//! file's SHA-256 and size are checked against the repository's metadata
//! when the caller has them ([`Expect`]).
//!
//! File metadata comes from the header, never from cpio: the path
//! (`DIRNAMES` + `BASENAMES`), mode, size, mtime, owner *names* (mapped
//! through the image's own account files later), symlink target, device
//! numbers. Payload members are matched to header files by name (newc) or
//! index (rpm's stripped cpio); hard-link sets (equal `FILEDEVICES` and
//! `FILEINODES`) carry their data on one member only, the others becoming
//! links to it. `%ghost` files are never in the payload: ghost directories
//! are created, other ghosts are only listed. Everything goes through the
//! shared walk of [`whittle_rootfs::unpack`].

use std::collections::HashMap;
use std::io::{self, Read};

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use whittle_rootfs::unpack::{self as walk, Entry, EntryHeader, EntryKind, Unpacker};
use whittle_rootfs::ContentStore;

use crate::caps;
use crate::cpio::{CpioError, CpioMember, CpioReader};
use crate::header::{Header, HeaderError, PackageHeaders, LEAD_SIZE};
use crate::tags;
use crate::verify::{self, RpmKeyring, SignatureStatus, VerifyError};

/// Largest package read when the repository does not give its size.
pub const MAX_PACKAGE_SIZE: u64 = 2 << 30;
/// Most decompressed bytes accepted after the cpio trailer.
const MAX_TRAILING: u64 = 1 << 20;
/// Longest symlink target.
const MAX_LINK_TARGET: u64 = 4096;
/// Memory a `.xz` or `.lzma` payload's decoder may use (`xz -9` needs 65 MiB).
const LZMA_MEMLIMIT: u64 = 512 << 20;

/// What the repository's metadata says about the file (`primary.xml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    /// Hex SHA-256 of the whole file.
    pub sha256: Option<String>,
    /// Size of the whole file in bytes.
    pub size: Option<u64>,
}

/// One file the header lists, in header order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmFile {
    /// Absolute path (`/usr/bin/x`).
    pub path: String,
    /// Mode with type bits.
    pub mode: u32,
    /// Size.
    pub size: u64,
    /// `FILEFLAGS` (`%config` 1, `%doc` 2, `%ghost` 64, …).
    pub flags: u32,
    /// Owner name.
    pub user: String,
    /// Group name.
    pub group: String,
    /// Hex digest (empty for non-files).
    pub digest: String,
    /// Symlink target (empty for non-links).
    pub linkto: String,
    /// A `%ghost`: owned, not shipped.
    pub ghost: bool,
    /// Whether the payload had it.
    pub in_payload: bool,
}

/// What a `.rpm` holds, read and checked.
#[derive(Debug, Clone)]
pub struct RpmContents {
    /// The headers, bytes kept as read (for the rpmdb).
    pub headers: PackageHeaders,
    /// Entries for the tree: payload order, then directories created from
    /// the header alone (ghost directories, directories missing from the
    /// payload).
    pub entries: Vec<Entry>,
    /// Every file the header lists, in header order.
    pub files: Vec<RpmFile>,
    /// File capabilities: entry path (as [`Entry::path`]) and the
    /// `security.capability` attribute ([`caps::vfs_cap_data`]).
    pub caps: Vec<(String, Vec<u8>)>,
    /// What the header signatures say.
    pub signature: SignatureStatus,
    /// Hex SHA-256 of the whole file.
    pub file_sha256: String,
    /// Size of the whole file.
    pub size: u64,
    /// Total size of the regular files' contents.
    pub data_size: u64,
}

/// A `.rpm` could not be read, or failed a check.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// Reading or decompressing failed: a truncated or interrupted
    /// download, a dropped connection, damaged compressed data.
    #[error(
        "{origin}: reading {what} failed: {source}; the download is truncated or was \
         interrupted, or the file is damaged: fetch it again"
    )]
    Io {
        /// The package file.
        origin: String,
        /// Which part.
        what: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file does not follow the RPM format.
    #[error("{origin}: {reason}; is this a complete RPM package?")]
    Format {
        /// The package file.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A payload format or compression whittle does not read.
    #[error("{origin}: {what} is not supported; whittle reads cpio payloads compressed with gzip, xz, lzma or zstd, or uncompressed")]
    Unsupported {
        /// The package file.
        origin: String,
        /// What.
        what: String,
    },
    /// Larger than the repository says, or than whittle reads.
    #[error("{origin}: the file is larger than {limit} bytes{}", too_large_hint(.from_metadata))]
    TooLarge {
        /// The package file.
        origin: String,
        /// The limit.
        limit: u64,
        /// Whether the limit is the repository's size for it.
        from_metadata: bool,
    },
    /// The file's SHA-256 differs from the repository's metadata.
    #[error(
        "{origin}: the file's SHA-256 is {actual}, but the repository's metadata says \
         {expected}: the package differs from the repository's metadata; fetch it again, and if \
         this persists the repository is inconsistent or tampered with"
    )]
    FileChecksum {
        /// The package file.
        origin: String,
        /// From the metadata.
        expected: String,
        /// Of the bytes read.
        actual: String,
    },
    /// The main header differs from its recorded digest.
    #[error(transparent)]
    HeaderDigest(VerifyError),
    /// The compressed payload differs from the header's `PAYLOADDIGEST`.
    #[error(
        "{origin}: the payload's {algorithm} is {actual}, but the header says {expected}: the \
         payload was modified or corrupted; fetch the package again, and if this persists the \
         repository serves a damaged or tampered package"
    )]
    PayloadDigest {
        /// The package file.
        origin: String,
        /// The algorithm.
        algorithm: &'static str,
        /// From the header.
        expected: String,
        /// Of the bytes read.
        actual: String,
    },
    /// A file's content differs from the header's digest for it.
    #[error(
        "{origin}: the content of {path} has {algorithm} {actual}, but the header says \
         {expected}: the package was modified or corrupted; fetch it again"
    )]
    FileDigest {
        /// The package file.
        origin: String,
        /// The file.
        path: String,
        /// The algorithm.
        algorithm: &'static str,
        /// From the header.
        expected: String,
        /// Of the content read.
        actual: String,
    },
    /// A header signature by a trusted key does not match: tampering.
    #[error(transparent)]
    BadSignature(VerifyError),
    /// `gpgcheck` is on and the package has no header signature.
    #[error(
        "{origin}: the package is not signed; set `gpgcheck: false` on the repository to \
         accept unsigned packages"
    )]
    Unsigned {
        /// The package file.
        origin: String,
    },
    /// `gpgcheck` is on and no signature is by a key of the keyring.
    #[error(
        "{origin}: the package is signed by key {}, which is not among the repository's keys; \
         add that key to the repository's `gpgkey` (or set `gpgcheck: false`)",
        .key_ids.join(", ")
    )]
    UnknownKey {
        /// The package file.
        origin: String,
        /// Upper-case hex key ids or fingerprints.
        key_ids: Vec<String>,
    },
    /// `gpgcheck` is on and no signature could be checked.
    #[error(
        "{origin}: no header signature could be checked: {}; use a key and signature \
         whittle can verify, or set `gpgcheck: false` on the repository",
        .reasons.join("; ")
    )]
    Unverifiable {
        /// The package file.
        origin: String,
        /// Why, per signature.
        reasons: Vec<String>,
    },
    /// An entry could not be placed (path, kind, size budget, room).
    #[error(transparent)]
    Walk(#[from] walk::UnpackError),
}

impl UnpackError {
    /// The I/O error underneath, for a caller that looks inside it.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            UnpackError::Io { source, .. } => Some(source),
            UnpackError::Walk(w) => w.io_error(),
            _ => None,
        }
    }

    /// Whether the build ran out of room (see
    /// [`whittle_rootfs::unpack::UnpackError::is_out_of_room`]) rather
    /// than the package being at fault.
    pub fn is_out_of_room(&self) -> bool {
        matches!(self, UnpackError::Walk(w) if w.is_out_of_room())
    }

    /// Whether the package's bytes are not what was signed or listed
    /// (a digest, checksum or signature mismatch).
    pub fn is_integrity_failure(&self) -> bool {
        matches!(
            self,
            UnpackError::FileChecksum { .. }
                | UnpackError::HeaderDigest(_)
                | UnpackError::PayloadDigest { .. }
                | UnpackError::FileDigest { .. }
                | UnpackError::BadSignature(_)
        )
    }

    fn from_verify(e: VerifyError) -> UnpackError {
        match e {
            VerifyError::HeaderDigest { .. } => UnpackError::HeaderDigest(e),
            VerifyError::BadSignature { .. } => UnpackError::BadSignature(e),
            VerifyError::Malformed { ref origin, .. } => UnpackError::Format {
                origin: origin.clone(),
                reason: e.to_string(),
            },
        }
    }
}

fn too_large_hint(from_metadata: &bool) -> &'static str {
    if *from_metadata {
        ", the size the repository's metadata gives: the package differs from the metadata; \
         fetch it again, and if this persists the repository is inconsistent or tampered with"
    } else {
        ", whittle's limit for one package"
    }
}

fn format_error(origin: &str, reason: impl Into<String>) -> UnpackError {
    UnpackError::Format {
        origin: origin.to_string(),
        reason: reason.into(),
    }
}

/// Read a `.rpm` from `reader` into `store`: headers, digests, signature
/// (required to verify when `gpgcheck`), payload. `origin` names the
/// package in errors. The reader is read to its end.
///
/// A signature by a key of `keyring` that does not match is refused even
/// without `gpgcheck`: it means the package was tampered with.
pub fn unpack_rpm(
    reader: &mut dyn Read,
    expect: &Expect,
    keyring: &RpmKeyring,
    gpgcheck: bool,
    origin: &str,
    store: &ContentStore,
) -> Result<RpmContents, UnpackError> {
    let limit = expect.size.unwrap_or(MAX_PACKAGE_SIZE);
    let mut file = FileTee::new(reader, limit);

    // The headers, their digests and signature.
    let headers = match PackageHeaders::read(&mut file) {
        Ok(h) => h,
        Err(e) => return Err(file.header_failure(e, expect, origin)),
    };
    verify::check_header_digests(&headers, origin).map_err(UnpackError::from_verify)?;
    let signature = verify::check_header_signature(&headers, keyring, origin)
        .map_err(UnpackError::from_verify)?;
    if gpgcheck {
        require_verified(&signature, origin)?;
    }

    // What the header promises.
    let list = FileList::read(&headers.main, origin)?;
    let payload = PayloadInfo::read(&headers.main, origin)?;
    let expected_total = expect.size.or_else(|| signed_size(&headers));

    // The payload: decompressed and walked in one pass, hashed as read.
    let mut walker = Walk::new(origin, &list, store);
    let mut tee = PayloadTee::new(&mut file, payload.digest.as_ref().map(|d| d.1));
    let walked = walk_payload(&mut tee, payload.compression, &mut walker, origin)
        .and_then(|()| walker.finish());
    let eof_at_failure = walked.is_err() && tee.inner.eof;
    let walked = match walked {
        // The shared walk's refusals (path, kind, budget, room) come from
        // the signed header, not from damaged bytes.
        Err(e @ UnpackError::Walk(_)) => return Err(e),
        other => other,
    };
    // Read what is left, so the digests cover the whole file.
    let drained = io::copy(&mut tee, &mut io::sink());
    let payload_actual = tee.finish();
    let summary = file.finish();

    // Name the fault for what it is: size and truncation first, then the
    // digests, then whatever the walk found.
    if summary.over {
        return Err(UnpackError::TooLarge {
            origin: origin.to_string(),
            limit,
            from_metadata: expect.size.is_some(),
        });
    }
    // A reader that failed underneath: its error is the one to report.
    let walked = match walked {
        Err(e) if summary.failed => return Err(e),
        other => other,
    };
    let drained = match drained {
        Err(source) if summary.failed => {
            return Err(UnpackError::Io {
                origin: origin.to_string(),
                what: "the package".to_string(),
                source,
            })
        }
        other => other,
    };
    if let Some(total) = expected_total.filter(|t| summary.count < *t) {
        return Err(truncated(
            origin,
            format!(
                "the file ends after {} bytes where {total} were expected",
                summary.count
            ),
        ));
    }
    let payload_bad = match (&payload.digest, &payload_actual) {
        (Some((expected, algo)), Some(actual)) if !expected.eq_ignore_ascii_case(actual) => {
            Some(UnpackError::PayloadDigest {
                origin: origin.to_string(),
                algorithm: digest_name(*algo),
                expected: expected.clone(),
                actual: actual.clone(),
            })
        }
        _ => None,
    };
    if expected_total.is_none()
        && eof_at_failure
        && (payload_bad.is_some() || payload.digest.is_none())
    {
        return Err(truncated(origin, "the payload ends early".to_string()));
    }
    if let Some(expected) = &expect.sha256 {
        if !expected.trim().eq_ignore_ascii_case(&summary.sha256) {
            return Err(UnpackError::FileChecksum {
                origin: origin.to_string(),
                expected: expected.clone(),
                actual: summary.sha256,
            });
        }
    }
    if let Some(e) = payload_bad {
        return Err(e);
    }
    let done = walked?;
    drained.map_err(|source| UnpackError::Io {
        origin: origin.to_string(),
        what: "the package".to_string(),
        source,
    })?;
    let files = list.report(&done.seen);
    Ok(RpmContents {
        headers,
        entries: done.entries,
        files,
        caps: done.caps,
        signature,
        file_sha256: summary.sha256,
        size: summary.count,
        data_size: done.data_size,
    })
}

fn truncated(origin: &str, what: String) -> UnpackError {
    UnpackError::Io {
        origin: origin.to_string(),
        what: "the package".to_string(),
        source: io::Error::new(io::ErrorKind::UnexpectedEof, format!("{what} (truncated)")),
    }
}

/// With `gpgcheck`, only a verified signature will do.
fn require_verified(status: &SignatureStatus, origin: &str) -> Result<(), UnpackError> {
    let origin = origin.to_string();
    match status {
        SignatureStatus::Verified { .. } => Ok(()),
        SignatureStatus::Unsigned => Err(UnpackError::Unsigned { origin }),
        SignatureStatus::UnknownKey { key_ids } => Err(UnpackError::UnknownKey {
            origin,
            key_ids: key_ids.clone(),
        }),
        SignatureStatus::Unverifiable { reasons } => Err(UnpackError::Unverifiable {
            origin,
            reasons: reasons.clone(),
        }),
    }
}

/// The whole file's size as the signature header records it (lead,
/// signature header and its padding, then the signed `SIZE` of main
/// header + payload), when it does (v4 packages).
fn signed_size(headers: &PackageHeaders) -> Option<u64> {
    let sig = &headers.signature;
    let signed = sig
        .int(tags::LONGSIGSIZE)
        .or_else(|| sig.int(tags::SIG_SIZE))?;
    let pad = (8 - sig.data_len() % 8) % 8;
    Some((LEAD_SIZE + sig.bytes().len() + pad) as u64 + signed)
}

// ---------------------------------------------------------------------
// Digests.

/// A running digest of one of rpm's algorithms (`pgpHashAlgo` numbers).
enum Hasher {
    Md5(Md5),
    Sha1(Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    fn new(algo: u32) -> Option<Hasher> {
        Some(match algo {
            1 => Hasher::Md5(Md5::new()),
            2 => Hasher::Sha1(Sha1::new()),
            8 => Hasher::Sha256(Sha256::new()),
            9 => Hasher::Sha384(Sha384::new()),
            10 => Hasher::Sha512(Sha512::new()),
            _ => return None,
        })
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(bytes),
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha384(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    fn hex(self) -> String {
        match self {
            Hasher::Md5(h) => hex::encode(h.finalize()),
            Hasher::Sha1(h) => hex::encode(h.finalize()),
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sha384(h) => hex::encode(h.finalize()),
            Hasher::Sha512(h) => hex::encode(h.finalize()),
        }
    }
}

fn digest_name(algo: u32) -> &'static str {
    match algo {
        1 => "MD5",
        2 => "SHA-1",
        8 => "SHA-256",
        9 => "SHA-384",
        10 => "SHA-512",
        _ => "digest",
    }
}

// ---------------------------------------------------------------------
// Readers: the whole file, the payload, a member's content.

/// The package as read: counted, bounded, hashed.
struct FileTee<'a> {
    inner: &'a mut dyn Read,
    sha: Sha256,
    count: u64,
    limit: u64,
    /// More than `limit` bytes were offered.
    over: bool,
    /// The reader reported its end.
    eof: bool,
    /// The reader failed (not an end of file).
    failed: bool,
}

/// What the whole file came to.
struct FileSummary {
    sha256: String,
    count: u64,
    over: bool,
    failed: bool,
}

impl<'a> FileTee<'a> {
    fn new(inner: &'a mut dyn Read, limit: u64) -> FileTee<'a> {
        FileTee {
            inner,
            sha: Sha256::new(),
            count: 0,
            limit,
            over: false,
            eof: false,
            failed: false,
        }
    }

    fn finish(self) -> FileSummary {
        FileSummary {
            sha256: hex::encode(self.sha.finalize()),
            count: self.count,
            over: self.over,
            failed: self.failed,
        }
    }

    /// The error for headers that could not be read.
    fn header_failure(&self, e: HeaderError, expect: &Expect, origin: &str) -> UnpackError {
        if self.over {
            return UnpackError::TooLarge {
                origin: origin.to_string(),
                limit: self.limit,
                from_metadata: expect.size.is_some(),
            };
        }
        match e {
            HeaderError::Io { what, source } => UnpackError::Io {
                origin: origin.to_string(),
                what: format!("the {what}"),
                source,
            },
            HeaderError::Malformed { .. } if self.eof => truncated(origin, e.to_string()),
            HeaderError::Malformed { .. } => format_error(origin, e.to_string()),
        }
    }
}

impl Read for FileTee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.over {
            return Err(io::Error::other("the package is over its size limit"));
        }
        let room = self.limit.saturating_add(1).saturating_sub(self.count);
        let want = usize::try_from(room).map_or(buf.len(), |r| r.min(buf.len()));
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                self.failed = true;
                return Err(e);
            }
        };
        if n == 0 && want > 0 {
            self.eof = true;
        }
        self.count += n as u64;
        if self.count > self.limit {
            self.over = true;
            return Err(io::Error::other("the package is over its size limit"));
        }
        self.sha.update(&buf[..n]);
        Ok(n)
    }
}

/// The compressed payload as read, hashed for `PAYLOADDIGEST`.
struct PayloadTee<'a, 'b> {
    inner: &'a mut FileTee<'b>,
    hasher: Option<Hasher>,
}

impl<'a, 'b> PayloadTee<'a, 'b> {
    fn new(inner: &'a mut FileTee<'b>, algo: Option<u32>) -> PayloadTee<'a, 'b> {
        PayloadTee {
            inner,
            hasher: algo.and_then(Hasher::new),
        }
    }

    fn finish(self) -> Option<String> {
        self.hasher.map(Hasher::hex)
    }
}

impl Read for PayloadTee<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// A member's content, hashed for its `FILEDIGESTS` entry.
struct Hashing<'a, R> {
    inner: &'a mut R,
    hasher: Option<&'a mut Hasher>,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------------
// What the header says about the payload and the files.

/// Payload compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Xz,
    Lzma,
    Zstd,
}

struct PayloadInfo {
    compression: Compression,
    /// Expected hex digest and its algorithm.
    digest: Option<(String, u32)>,
}

impl PayloadInfo {
    fn read(h: &Header, origin: &str) -> Result<PayloadInfo, UnpackError> {
        let unsupported = |what: String| UnpackError::Unsupported {
            origin: origin.to_string(),
            what,
        };
        match h.string(tags::PAYLOADFORMAT).as_deref() {
            None | Some("cpio") => {}
            Some(other) => return Err(unsupported(format!("payload format {other:?}"))),
        }
        let compression = match h.string(tags::PAYLOADCOMPRESSOR).as_deref() {
            None | Some("" | "identity") => Compression::None,
            Some("gzip") => Compression::Gzip,
            Some("xz") => Compression::Xz,
            Some("lzma") => Compression::Lzma,
            Some("zstd") => Compression::Zstd,
            Some(other) => {
                return Err(unsupported(format!("payload compression {other:?}")));
            }
        };
        let digest = match h.string(tags::PAYLOADDIGEST) {
            None => None,
            Some(hex) => {
                // rpm 6 leaves the algorithm out when it is SHA-256.
                let algo = h.int(tags::PAYLOADDIGESTALGO).unwrap_or(8);
                if !matches!(algo, 8 | 10) {
                    return Err(unsupported(format!("payload digest algorithm {algo}")));
                }
                Some((hex.trim().to_ascii_lowercase(), algo as u32))
            }
        };
        Ok(PayloadInfo {
            compression,
            digest,
        })
    }
}

/// File type bits.
const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFCHR: u32 = 0o020_000;
const S_IFIFO: u32 = 0o010_000;
const S_IFBLK: u32 = 0o060_000;
const S_IFSOCK: u32 = 0o140_000;

/// One file of the header.
#[derive(Debug, Clone)]
struct HeaderFile {
    path: String,
    mode: u32,
    size: u64,
    mtime: u64,
    flags: u32,
    user: String,
    group: String,
    digest: String,
    linkto: Vec<u8>,
    rdev: u64,
    /// `FILEDEVICES` and `FILEINODES`.
    inode: (u64, u64),
    caps: String,
    /// Its hard-link set, by index into [`FileList::sets`].
    set: Option<usize>,
}

impl HeaderFile {
    fn ghost(&self) -> bool {
        self.flags & tags::FILE_GHOST != 0
    }

    fn kind(&self) -> u32 {
        self.mode & S_IFMT
    }
}

/// The header's file list.
struct FileList {
    files: Vec<HeaderFile>,
    by_path: HashMap<String, usize>,
    /// Hard-link sets: header indices, ascending.
    sets: Vec<Vec<usize>>,
    /// `FILEDIGESTALGO`.
    digest_algo: u32,
}

impl FileList {
    fn read(h: &Header, origin: &str) -> Result<FileList, UnpackError> {
        let bad = |reason: String| format_error(origin, reason);
        let paths = header_paths(h, origin)?;
        let n = paths.len();
        let ints = |tag: u32, name: &str, required: bool| -> Result<Vec<u64>, UnpackError> {
            if !h.has(tag) {
                return if required && n > 0 {
                    Err(bad(format!("the header lists files without {name}")))
                } else {
                    Ok(vec![0; n])
                };
            }
            let v = h.ints(tag);
            if v.len() == n {
                Ok(v)
            } else {
                Err(bad(format!(
                    "the header has {} {name} for {n} files",
                    v.len()
                )))
            }
        };
        let strings = |tag: u32, name: &str, default: &str| -> Result<Vec<String>, UnpackError> {
            if !h.has(tag) {
                return Ok(vec![default.to_string(); n]);
            }
            let v = h.strings(tag);
            if v.len() == n {
                Ok(v)
            } else {
                Err(bad(format!(
                    "the header has {} {name} for {n} files",
                    v.len()
                )))
            }
        };
        let sizes = if h.has(tags::LONGFILESIZES) {
            ints(tags::LONGFILESIZES, "file sizes", true)?
        } else {
            ints(tags::FILESIZES, "file sizes", true)?
        };
        let modes = ints(tags::FILEMODES, "file modes", true)?;
        let mtimes = ints(tags::FILEMTIMES, "file times", false)?;
        let flags = ints(tags::FILEFLAGS, "file flags", false)?;
        let rdevs = ints(tags::FILERDEVS, "device numbers", false)?;
        let devices = ints(tags::FILEDEVICES, "file devices", false)?;
        let inodes = ints(tags::FILEINODES, "file inodes", false)?;
        let users = strings(tags::FILEUSERNAME, "owners", "root")?;
        let groups = strings(tags::FILEGROUPNAME, "groups", "root")?;
        let digests = strings(tags::FILEDIGESTS, "file digests", "")?;
        let caps = strings(tags::FILECAPS, "file capabilities", "")?;
        let mut linktos: Vec<Vec<u8>> = h
            .raw_strings(tags::FILELINKTOS)
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        if !h.has(tags::FILELINKTOS) {
            linktos = vec![Vec::new(); n];
        } else if linktos.len() != n {
            return Err(bad(format!(
                "the header has {} link targets for {n} files",
                linktos.len()
            )));
        }
        let digest_algo = h.int(tags::FILEDIGESTALGO).unwrap_or(1);
        if Hasher::new(u32::try_from(digest_algo).unwrap_or(0)).is_none()
            && digests.iter().any(|d| !d.is_empty())
        {
            return Err(UnpackError::Unsupported {
                origin: origin.to_string(),
                what: format!("file digest algorithm {digest_algo}"),
            });
        }
        let files = paths
            .into_iter()
            .enumerate()
            .map(|(i, path)| HeaderFile {
                path,
                mode: (modes[i] & 0xffff) as u32,
                size: sizes[i],
                mtime: mtimes[i],
                flags: (flags[i] & 0xffff_ffff) as u32,
                user: users[i].clone(),
                group: groups[i].clone(),
                digest: digests[i].trim().to_ascii_lowercase(),
                linkto: std::mem::take(&mut linktos[i]),
                rdev: rdevs[i],
                inode: (devices[i], inodes[i]),
                caps: caps[i].clone(),
                set: None,
            })
            .collect();
        FileList::new(files, u32::try_from(digest_algo).unwrap_or(0), origin)
    }

    /// Index the files by path and find the hard-link sets: regular,
    /// shipped files with equal device and inode numbers.
    fn new(
        mut files: Vec<HeaderFile>,
        digest_algo: u32,
        origin: &str,
    ) -> Result<FileList, UnpackError> {
        let mut by_path = HashMap::with_capacity(files.len());
        let mut inode_sets: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
        for (i, file) in files.iter().enumerate() {
            if by_path.insert(file.path.clone(), i).is_some() {
                return Err(format_error(
                    origin,
                    format!("the header lists {} twice", file.path),
                ));
            }
            if file.kind() == S_IFREG && !file.ghost() && file.inode.1 != 0 {
                inode_sets.entry(file.inode).or_default().push(i);
            }
        }
        let mut sets: Vec<Vec<usize>> = inode_sets.into_values().filter(|s| s.len() > 1).collect();
        sets.sort();
        for (s, members) in sets.iter().enumerate() {
            for &i in members {
                files[i].set = Some(s);
            }
        }
        Ok(FileList {
            files,
            by_path,
            sets,
            digest_algo,
        })
    }

    fn report(&self, seen: &[bool]) -> Vec<RpmFile> {
        self.files
            .iter()
            .zip(seen)
            .map(|(f, &in_payload)| RpmFile {
                path: f.path.clone(),
                mode: f.mode,
                size: f.size,
                flags: f.flags,
                user: f.user.clone(),
                group: f.group.clone(),
                digest: f.digest.clone(),
                linkto: String::from_utf8_lossy(&f.linkto).into_owned(),
                ghost: f.ghost(),
                in_payload,
            })
            .collect()
    }
}

/// The header's file paths, absolute (`DIRNAMES[DIRINDEXES[i]] +
/// BASENAMES[i]`, or `OLDFILENAMES` in old packages).
fn header_paths(h: &Header, origin: &str) -> Result<Vec<String>, UnpackError> {
    let bad = |reason: String| format_error(origin, reason);
    let raw: Vec<Vec<u8>> = if h.has(tags::BASENAMES) {
        let basenames = h.raw_strings(tags::BASENAMES);
        let dirnames = h.raw_strings(tags::DIRNAMES);
        let indexes = h.ints(tags::DIRINDEXES);
        if indexes.len() != basenames.len() {
            return Err(bad(format!(
                "the header has {} directory indexes for {} file names",
                indexes.len(),
                basenames.len()
            )));
        }
        let mut out = Vec::with_capacity(basenames.len());
        for (base, d) in basenames.iter().zip(indexes) {
            let dir = usize::try_from(d)
                .ok()
                .and_then(|d| dirnames.get(d))
                .ok_or_else(|| bad(format!("a file's directory index {d} is out of range")))?;
            let mut p = dir.to_vec();
            p.extend_from_slice(base);
            out.push(p);
        }
        out
    } else {
        h.raw_strings(tags::OLDFILENAMES)
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect()
    };
    raw.into_iter()
        .map(|p| {
            let text = String::from_utf8(p).map_err(|e| {
                bad(format!(
                    "file name {:?} is not UTF-8, which whittle cannot place",
                    String::from_utf8_lossy(e.as_bytes())
                ))
            })?;
            Ok(absolute(&text))
        })
        .collect()
}

/// `./usr/x`, `/usr/x` and `usr/x` all as `/usr/x`.
fn absolute(path: &str) -> String {
    let rest = path
        .strip_prefix('.')
        .filter(|r| r.starts_with('/'))
        .unwrap_or(path);
    if rest.starts_with('/') {
        rest.to_string()
    } else {
        format!("/{rest}")
    }
}

// ---------------------------------------------------------------------
// The walk over the payload.

/// The decompressor for the payload.
fn decoder<'r, R: Read + 'r>(c: Compression, r: R) -> io::Result<Box<dyn Read + 'r>> {
    use liblzma::stream::{Stream, CONCATENATED};
    Ok(match c {
        Compression::None => Box::new(r),
        Compression::Gzip => Box::new(flate2::read::GzDecoder::new(r)),
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new_stream(
            r,
            Stream::new_stream_decoder(LZMA_MEMLIMIT, CONCATENATED)?,
        )),
        Compression::Lzma => Box::new(liblzma::read::XzDecoder::new_stream(
            r,
            Stream::new_lzma_decoder(LZMA_MEMLIMIT)?,
        )),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(r)?),
    })
}

/// Decompress and walk the archive to its trailer, then read the rest of
/// the decompressed stream (bounded) so the decompressor checks its end.
fn walk_payload(
    source: &mut dyn Read,
    compression: Compression,
    walker: &mut Walk<'_>,
    origin: &str,
) -> Result<(), UnpackError> {
    let io_err = |what: &str, source: io::Error| UnpackError::Io {
        origin: origin.to_string(),
        what: what.to_string(),
        source,
    };
    let decoder = decoder(compression, source).map_err(|e| io_err("the payload", e))?;
    let mut cpio = CpioReader::new(decoder);
    loop {
        let member = cpio.next_member().map_err(|e| match e {
            CpioError::Io(source) => io_err("the payload", source),
            CpioError::Truncated(_) => truncated(origin, e.to_string()),
            CpioError::Malformed(_) => format_error(origin, e.to_string()),
        })?;
        match member {
            Some(m) => walker.member(&mut cpio, m)?,
            None => break,
        }
    }
    let mut rest = cpio.into_inner();
    let extra = io::copy(&mut (&mut rest).take(MAX_TRAILING + 1), &mut io::sink())
        .map_err(|e| io_err("the end of the payload", e))?;
    if extra > MAX_TRAILING {
        return Err(format_error(
            origin,
            format!("more than {MAX_TRAILING} bytes follow the payload archive's trailer"),
        ));
    }
    Ok(())
}

/// What the walk produced.
#[derive(Debug)]
struct Walked {
    entries: Vec<Entry>,
    data_size: u64,
    caps: Vec<(String, Vec<u8>)>,
    seen: Vec<bool>,
}

/// Matching payload members to header files, and adding them.
struct Walk<'f> {
    origin: &'f str,
    list: &'f FileList,
    unpacker: Unpacker,
    seen: Vec<bool>,
    /// Per hard-link set: the path of the member that carried the data.
    holders: Vec<Option<String>>,
    /// Per hard-link set: members seen before the one carrying the data.
    pending: Vec<Vec<usize>>,
    caps: Vec<(String, Vec<u8>)>,
}

impl<'f> Walk<'f> {
    fn new(origin: &'f str, list: &'f FileList, store: &ContentStore) -> Walk<'f> {
        Walk {
            origin,
            list,
            unpacker: Unpacker::new(origin, store),
            seen: vec![false; list.files.len()],
            holders: vec![None; list.sets.len()],
            pending: vec![Vec::new(); list.sets.len()],
            caps: Vec::new(),
        }
    }

    fn format(&self, reason: String) -> UnpackError {
        format_error(self.origin, reason)
    }

    /// One payload member.
    fn member<R: Read>(
        &mut self,
        cpio: &mut CpioReader<R>,
        member: CpioMember,
    ) -> Result<(), UnpackError> {
        let list = self.list;
        let (i, newc_size) = match member {
            CpioMember::Newc(h) => {
                let name = String::from_utf8_lossy(&h.name);
                let path = absolute(&name);
                let i = *list.by_path.get(&path).ok_or_else(|| {
                    self.format(format!(
                        "payload member {path} is not in the header's file list"
                    ))
                })?;
                (i, Some(h.size))
            }
            CpioMember::Stripped { index } => {
                let i = index as usize;
                if i >= list.files.len() {
                    return Err(self.format(format!(
                        "payload member {index} is past the header's {} files",
                        list.files.len()
                    )));
                }
                (i, None)
            }
        };
        let file = &list.files[i];
        if std::mem::replace(&mut self.seen[i], true) {
            return Err(self.format(format!("the payload holds {} twice", file.path)));
        }
        // How many bytes the member carries.
        let carries = match file.set {
            None => true,
            Some(s) => match newc_size {
                Some(size) => size > 0 || (file.size == 0 && list.sets[s].last() == Some(&i)),
                None => list.sets[s].last() == Some(&i),
            },
        };
        let data = match file.kind() {
            S_IFREG if carries => file.size,
            S_IFLNK => newc_size.unwrap_or(file.size),
            _ => 0,
        };
        if let Some(size) = newc_size.filter(|s| *s != data) {
            return Err(self.format(format!(
                "the payload has {size} bytes for {}, the header {data}",
                file.path
            )));
        }
        if newc_size.is_none() {
            cpio.set_size(data);
        }
        if file.ghost() && file.kind() != S_IFDIR {
            return Ok(()); // rpm skips a ghost file even when it is shipped
        }
        match file.kind() {
            S_IFREG if carries => self.add_file(i, cpio),
            S_IFREG => {
                let s = file.set.unwrap_or(0);
                match self.holders[s].clone() {
                    Some(target) => self.add_link(i, &target),
                    None => {
                        self.pending[s].push(i);
                        Ok(())
                    }
                }
            }
            S_IFLNK => {
                if data > MAX_LINK_TARGET {
                    return Err(
                        self.format(format!("symlink {} has a {data}-byte target", file.path))
                    );
                }
                let mut shipped = Vec::new();
                cpio.take(data)
                    .read_to_end(&mut shipped)
                    .map_err(|source| UnpackError::Io {
                        origin: self.origin.to_string(),
                        what: format!("the payload's target of {}", file.path),
                        source,
                    })?;
                let target = if file.linkto.is_empty() {
                    shipped
                } else {
                    file.linkto.clone()
                };
                self.add(i, EntryKind::Symlink, Some(target), &mut io::empty())
                    .map(drop)
            }
            _ => self.add_other(i),
        }
    }

    /// A regular file carrying data, then the links waiting for it.
    fn add_file<R: Read>(&mut self, i: usize, cpio: &mut CpioReader<R>) -> Result<(), UnpackError> {
        let list = self.list;
        let file = &list.files[i];
        let mut hasher = if file.digest.is_empty() {
            None
        } else {
            Hasher::new(list.digest_algo)
        };
        let mut content = Hashing {
            inner: cpio,
            hasher: hasher.as_mut(),
        };
        self.add(i, EntryKind::File, None, &mut content)?;
        if let Some(actual) = hasher.map(Hasher::hex) {
            if actual != file.digest {
                return Err(UnpackError::FileDigest {
                    origin: self.origin.to_string(),
                    path: file.path.clone(),
                    algorithm: digest_name(list.digest_algo),
                    expected: file.digest.clone(),
                    actual,
                });
            }
        }
        if let Some(s) = file.set {
            self.holders[s] = Some(file.path.clone());
            for j in std::mem::take(&mut self.pending[s]) {
                self.add_link(j, &file.path)?;
            }
        }
        Ok(())
    }

    fn add_link(&mut self, i: usize, target: &str) -> Result<(), UnpackError> {
        self.add(
            i,
            EntryKind::Hardlink,
            Some(target.as_bytes().to_vec()),
            &mut io::empty(),
        )
        .map(drop)
    }

    /// Directories, devices, pipes; block devices and sockets refused.
    fn add_other(&mut self, i: usize) -> Result<(), UnpackError> {
        let file = &self.list.files[i];
        let kind = match file.kind() {
            S_IFDIR => EntryKind::Dir,
            S_IFIFO => EntryKind::Fifo,
            S_IFCHR => {
                // Linux's encoding (`new_decode_dev`), which covers the
                // 16-bit one `FILERDEVS` usually holds.
                let dev = file.rdev;
                EntryKind::CharDevice {
                    major: ((dev >> 8) & 0xfff) as u32,
                    minor: ((dev & 0xff) | ((dev >> 12) & 0xfff00)) as u32,
                }
            }
            other => {
                let kind = match other {
                    S_IFBLK => "block device".to_string(),
                    S_IFSOCK => "socket".to_string(),
                    _ => format!("file of type {:o}", other >> 12),
                };
                return Err(UnpackError::Walk(walk::UnpackError::UnsupportedEntry {
                    origin: self.origin.to_string(),
                    path: file.path.clone(),
                    kind,
                }));
            }
        };
        self.add(i, kind, None, &mut io::empty()).map(drop)
    }

    /// Hand file `i` to the shared walk, with its header metadata; note
    /// its capabilities.
    fn add(
        &mut self,
        i: usize,
        kind: EntryKind,
        link_target: Option<Vec<u8>>,
        content: &mut dyn Read,
    ) -> Result<Option<String>, UnpackError> {
        let file = &self.list.files[i];
        let header = EntryHeader {
            path: file.path.as_bytes().to_vec(),
            kind,
            mode: file.mode & 0o7777,
            uid: 0,
            gid: 0,
            user: Some(file.user.clone()),
            group: Some(file.group.clone()),
            mtime: file.mtime,
            size: if kind == EntryKind::File {
                file.size
            } else {
                0
            },
            link_target,
        };
        let added = self.unpacker.add(header, content).map_err(|e| match e {
            walk::UnpackError::Io { source, .. } => UnpackError::Io {
                origin: self.origin.to_string(),
                what: format!("the payload's content of {}", file.path),
                source,
            },
            other => UnpackError::Walk(other),
        })?;
        let path = added.map(|e| e.path.clone());
        if let (Some(path), false) = (&path, file.caps.is_empty()) {
            let bytes = caps::vfs_cap_data(&file.caps)
                .map_err(|e| self.format(format!("{}: {e}", file.path)))?;
            if let Some(bytes) = bytes {
                self.caps.push((path.clone(), bytes));
            }
        }
        Ok(path)
    }

    /// After the trailer: create what the header alone describes, refuse
    /// what went missing.
    fn finish(mut self) -> Result<Walked, UnpackError> {
        let list = self.list;
        for (i, file) in list.files.iter().enumerate() {
            if self.seen[i] {
                continue;
            }
            if file.kind() == S_IFDIR {
                // rpm creates directories the payload lacks, ghosts too.
                self.add(i, EntryKind::Dir, None, &mut io::empty())?;
            } else if !file.ghost() {
                return Err(self.format(format!(
                    "the payload has no {}, which the header lists (a truncated or malformed payload)",
                    file.path
                )));
            }
        }
        if let Some(s) = self.pending.iter().position(|p| !p.is_empty()) {
            let first = list.sets[s]
                .first()
                .map_or("", |&i| list.files[i].path.as_str());
            return Err(self.format(format!(
                "no payload member carries the data of {first} and its hard links"
            )));
        }
        let (entries, data_size) = self.unpacker.finish();
        Ok(Walked {
            entries,
            data_size,
            caps: self.caps,
            seen: self.seen,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use whittle_rootfs::NodeKind;

    use super::*;

    const RS: &str = "rpm/rpms/rpm-rs/RPMS/";
    const KEYS: &str = "rpm/keys/rpm-rs/";

    fn fixture(rel: &str) -> Vec<u8> {
        fs_err::read(whittle_test_env::fixtures::path(rel)).expect("fixture")
    }

    fn ring(rel: &str) -> RpmKeyring {
        RpmKeyring::from_bytes(&fixture(rel), rel).expect("key")
    }

    fn all_rpms() -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in fs_err::read_dir(dir).expect("dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rpm") {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(&whittle_test_env::fixtures::path("rpm/rpms"), &mut out);
        out.sort();
        out
    }

    fn exact(bytes: &[u8]) -> Expect {
        Expect {
            sha256: Some(hex::encode(Sha256::digest(bytes))),
            size: Some(bytes.len() as u64),
        }
    }

    fn unpack(bytes: &[u8], expect: &Expect) -> Result<RpmContents, UnpackError> {
        unpack_rpm(
            &mut &bytes[..],
            expect,
            &RpmKeyring::empty(),
            false,
            "test.rpm",
            &ContentStore::in_memory(),
        )
    }

    fn content(c: &RpmContents, path: &str) -> Vec<u8> {
        let e = c
            .entries
            .iter()
            .find(|e| e.path == path)
            .unwrap_or_else(|| panic!("no {path}"));
        match &e.node.kind {
            NodeKind::File(data) => data.to_vec().expect("content"),
            NodeKind::Hardlink(target) => content(c, target),
            other => panic!("{path} is a {}", other.word()),
        }
    }

    #[test]
    fn every_fixture_unpacks() {
        let mut compressions = std::collections::BTreeSet::new();
        let mut compared = 0;
        let rpms = all_rpms();
        assert!(rpms.len() > 25, "{} packages", rpms.len());
        for path in rpms {
            let bytes = fs_err::read(&path).expect("read");
            let shown = path.display().to_string();
            let c = unpack(&bytes, &exact(&bytes)).unwrap_or_else(|e| panic!("{shown}: {e}"));
            // Also without the repository's figures.
            unpack(&bytes, &Expect::default()).unwrap_or_else(|e| panic!("{shown}: {e}"));
            assert_eq!(c.size, bytes.len() as u64);
            let info = PayloadInfo::read(&c.headers.main, "x").expect("payload");
            if info.digest.is_some() {
                compressions.insert(format!("{:?}", info.compression));
            }
            for f in &c.files {
                assert!(
                    f.in_payload || f.ghost || f.mode & S_IFMT == S_IFDIR,
                    "{shown}: {f:?}"
                );
                let placed = c.entries.iter().any(|e| format!("/{}", e.path) == f.path);
                assert_eq!(
                    placed,
                    !f.ghost || f.mode & S_IFMT == S_IFDIR,
                    "{shown}: {f:?}"
                );
            }
            compared += usize::from(compare_with_host(&path, &c));
        }
        let host_has_rpm2archive = std::process::Command::new("rpm2archive")
            .arg("--help")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            !host_has_rpm2archive || compared > 25,
            "compared {compared}"
        );
        let seen: Vec<_> = compressions.into_iter().collect();
        assert_eq!(
            seen,
            ["Gzip", "None", "Xz", "Zstd"],
            "payload digests checked"
        );
    }

    /// Compare with what rpm itself extracts (`rpm2archive`), when the
    /// host has it.
    fn compare_with_host(pkg: &Path, c: &RpmContents) -> bool {
        let dir = tempfile::tempdir().expect("tmp");
        let tar = dir.path().join("payload.tar");
        let made = std::process::Command::new("sh")
            .arg("-c")
            .arg("rpm2archive -n - < \"$1\" > \"$2\" && mkdir \"$3\" && tar -xf \"$2\" -C \"$3\"")
            .arg("sh")
            .arg(pkg)
            .arg(&tar)
            .arg(dir.path().join("root"))
            .output();
        if !made.is_ok_and(|o| o.status.success()) {
            return false;
        }
        let root = dir.path().join("root");
        for e in &c.entries {
            let host = root.join(&e.path);
            match &e.node.kind {
                NodeKind::File(_) | NodeKind::Hardlink(_) => {
                    let theirs = fs_err::read(&host).expect("rpm2archive has it");
                    assert_eq!(content(c, &e.path), theirs, "{}: {}", pkg.display(), e.path);
                }
                NodeKind::Symlink(target) => {
                    let theirs = fs_err::read_link(&host).expect("a link");
                    assert_eq!(Path::new(target), theirs, "{}", e.path);
                }
                _ => {}
            }
        }
        true
    }

    #[test]
    fn hard_links_share_the_last_members_data() {
        let bytes = fixture(&format!("{RS}v6/rpm-hardlinks-1.0-1.noarch.rpm"));
        let c = unpack(&bytes, &exact(&bytes)).expect("unpacks");
        let dir = "opt/rpm-hardlinks";
        let kind = |name: &str| {
            c.entries
                .iter()
                .find(|e| e.path == format!("{dir}/{name}"))
                .map(|e| e.node.kind.clone())
        };
        let link = |t: &str| Some(NodeKind::Hardlink(format!("{dir}/{t}")));
        assert_eq!(c.entries[0].path, format!("{dir}/standalone"));
        assert_eq!(kind("alpha-1"), link("alpha-3"));
        assert_eq!(kind("alpha-2"), link("alpha-3"));
        assert_eq!(kind("beta-1"), link("beta-2"));
        assert!(matches!(kind("alpha-3"), Some(NodeKind::File(_))));
        for name in ["alpha-1", "alpha-2", "alpha-3"] {
            assert_eq!(
                content(&c, &format!("{dir}/{name}")),
                b"shared-content-alpha\n"
            );
        }
        for name in ["beta-1", "beta-2"] {
            assert_eq!(
                content(&c, &format!("{dir}/{name}")),
                b"shared-content-beta\n"
            );
        }
        assert_eq!(content(&c, &format!("{dir}/standalone")), b"standalone\n");
        // Each target comes before its links.
        let at = |p: &str| c.entries.iter().position(|e| e.path == p).expect(p);
        assert!(at(&format!("{dir}/alpha-3")) < at(&format!("{dir}/alpha-1")));
    }

    #[test]
    fn file_attributes_ghosts_caps_and_owners() {
        let bytes = fixture(&format!("{RS}v6/rpm-file-attrs-1.0-1.noarch.rpm"));
        let c = unpack(&bytes, &Expect::default()).expect("unpacks");
        let dir = "opt/rpm-file-attrs";
        let entry = |p: &str| c.entries.iter().find(|e| e.path == format!("{dir}/{p}"));
        // The ghost is listed, not created.
        assert!(entry("ghost").is_none());
        let ghost = c
            .files
            .iter()
            .find(|f| f.path == format!("/{dir}/ghost"))
            .expect("listed");
        assert!(ghost.ghost && !ghost.in_payload);
        // Capabilities, as the kernel stores them.
        let attrs: HashMap<_, _> = c.caps.iter().cloned().collect();
        assert_eq!(
            attrs.get(&format!("{dir}/with_caps")),
            caps::vfs_cap_data("cap_sys_ptrace,cap_sys_admin=ep")
                .expect("caps")
                .as_ref()
        );
        assert_eq!(
            attrs
                .get(&format!("{dir}/empty_caps"))
                .map(|v| v[..4].to_vec()),
            Some(vec![0, 0, 0, 2])
        );
        assert!(!attrs.contains_key(&format!("{dir}/normal")));
        // Owners by name, numeric root until the image's accounts map them.
        let owned = entry("different-owner-and-group").expect("created");
        let names = owned.owner_names.as_ref().expect("names");
        assert_eq!((names.user.as_str(), names.group.as_str()), ("jane", "bob"));
        assert_eq!(
            (owned.node.uid, owned.node.gid, owned.node.mode),
            (0, 0, 0o655)
        );
        assert!(entry("normal").expect("created").owner_names.is_none());
        // Symlinks from the header.
        assert_eq!(
            entry("symlink_dir/dir").map(|e| &e.node.kind),
            Some(&NodeKind::Symlink("../dir".to_string()))
        );
        assert_eq!(content(&c, &format!("{dir}/config")), b"config\n");
        let config = c
            .files
            .iter()
            .find(|f| f.path == format!("/{dir}/config"))
            .expect("listed");
        assert_eq!(config.flags & tags::FILE_CONFIG, tags::FILE_CONFIG);
    }

    #[test]
    fn signed_packages_verify_with_their_keys() {
        for (pkg, key) in [
            (
                "v4/signed/rpm-basic-with-rsa4096",
                "v4/rpm-testkey-v4-rsa4096.asc",
            ),
            (
                "v4/signed/rpm-basic-with-ed25519",
                "v4/rpm-testkey-v4-ed25519.asc",
            ),
            (
                "v4/signed/rpm-basic-with-ecdsa",
                "v4/rpm-testkey-v4-ecdsa-nistp256.asc",
            ),
            (
                "v6/signed/rpm-basic-with-rsa4k",
                "v6/rpm-testkey-v6-rsa4k.asc",
            ),
            (
                "v6/signed/rpm-basic-with-ed25519",
                "v6/rpm-testkey-v6-ed25519.asc",
            ),
        ] {
            let bytes = fixture(&format!("{RS}{pkg}-2.3.4-5.el9.noarch.rpm"));
            let keys = ring(&format!("{KEYS}{key}"));
            let store = ContentStore::in_memory();
            let c = unpack_rpm(&mut &bytes[..], &exact(&bytes), &keys, true, pkg, &store)
                .unwrap_or_else(|e| panic!("{pkg}: {e}"));
            assert!(c.signature.is_verified(), "{pkg}");
            // Another key: refused with gpgcheck, naming the signer.
            let other = ring(&format!("{KEYS}v4/rpm-testkey-v4-rsa3072-protected.asc"));
            let err = unpack_rpm(&mut &bytes[..], &exact(&bytes), &other, true, pkg, &store)
                .expect_err("unknown key");
            assert!(
                matches!(&err, UnpackError::UnknownKey { key_ids, .. } if !key_ids.is_empty()),
                "{pkg}: {err}"
            );
            assert!(err.to_string().contains("gpgkey"), "{err}");
        }
        let bytes = fixture(&format!("{RS}v6/rpm-basic-2.3.4-5.el9.noarch.rpm"));
        let keys = ring(&format!("{KEYS}v4/rpm-testkey-v4-keyring.asc"));
        let err = unpack_rpm(
            &mut &bytes[..],
            &Expect::default(),
            &keys,
            true,
            "basic",
            &ContentStore::in_memory(),
        )
        .expect_err("unsigned");
        assert!(matches!(err, UnpackError::Unsigned { .. }), "{err}");
        assert!(err.to_string().contains("gpgcheck: false"), "{err}");
    }

    /// Where the payload starts.
    fn payload_offset(bytes: &[u8]) -> usize {
        let h = PackageHeaders::read(&mut &bytes[..]).expect("headers");
        LEAD_SIZE
            + h.signature.bytes().len()
            + (8 - h.signature.data_len() % 8) % 8
            + h.main.bytes().len()
    }

    fn compressed_fixtures() -> Vec<String> {
        ["", "gzip/", "xz/", "zstd/"]
            .iter()
            .map(|c| format!("{RS}v6/{c}rpm-basic-2.3.4-5.el9.noarch.rpm"))
            .chain([
                format!("{RS}v4/rpm-basic-2.3.4-5.el9.noarch.rpm"),
                "rpm/rpms/createrepo_c/Archer-3.4.5-6.x86_64.rpm".to_string(),
            ])
            .collect()
    }

    #[test]
    fn a_changed_payload_fails_its_digest() {
        for rel in compressed_fixtures() {
            let bytes = fixture(&rel);
            let start = payload_offset(&bytes);
            for at in [start + 20, (start + bytes.len()) / 2, bytes.len() - 5] {
                let mut bad = bytes.clone();
                bad[at] ^= 0x01;
                for expect in [Expect::default(), exact(&bytes)] {
                    let err = unpack(&bad, &expect).expect_err("changed");
                    let want = if expect.sha256.is_some() {
                        matches!(err, UnpackError::FileChecksum { .. })
                    } else {
                        matches!(err, UnpackError::PayloadDigest { .. })
                    };
                    assert!(want, "{rel} at {at}: {err}");
                }
            }
        }
    }

    #[test]
    fn a_changed_header_is_caught() {
        for rel in compressed_fixtures() {
            let bytes = fixture(&rel);
            let start = payload_offset(&bytes);
            let mut bad = bytes.clone();
            bad[start - 3] ^= 0x01;
            let err = unpack(&bad, &Expect::default()).expect_err("changed");
            assert!(
                matches!(
                    err,
                    UnpackError::HeaderDigest(_) | UnpackError::BadSignature(_)
                ),
                "{rel}: {err}"
            );
        }
        // Signed: a header changed under a trusted key is a bad signature
        // once the digest is patched to match.
        let rel = format!("{RS}v4/signed/rpm-basic-with-rsa4096-2.3.4-5.el9.noarch.rpm");
        let bytes = fixture(&rel);
        let keys = ring(&format!("{KEYS}v4/rpm-testkey-v4-rsa4096.asc"));
        let mut bad = bytes.clone();
        bad[payload_offset(&bytes) - 3] ^= 0x01;
        let err = unpack_rpm(
            &mut &bad[..],
            &Expect::default(),
            &keys,
            false,
            "p",
            &ContentStore::in_memory(),
        )
        .expect_err("changed");
        assert!(err.is_integrity_failure(), "{err}");
    }

    #[test]
    fn truncation_is_never_called_a_checksum_failure() {
        for rel in compressed_fixtures()
            .into_iter()
            .chain([format!("{RS}v6/rpm-hardlinks-1.0-1.noarch.rpm")])
        {
            let bytes = fixture(&rel);
            let step = (bytes.len() / 97).max(1);
            for cut in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
                for expect in [Expect::default(), exact(&bytes)] {
                    let err = unpack(&bytes[..cut], &expect).expect_err("truncated");
                    assert!(
                        matches!(err, UnpackError::Io { .. } | UnpackError::Format { .. }),
                        "{rel} cut at {cut}: {err}"
                    );
                    assert!(
                        err.to_string().contains("truncated"),
                        "{rel} cut at {cut}: {err}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_repository_figures_are_enforced() {
        let bytes = fixture(&format!("{RS}v6/xz/rpm-basic-2.3.4-5.el9.noarch.rpm"));
        let mut expect = exact(&bytes);
        expect.sha256 = Some("00".repeat(32));
        let err = unpack(&bytes, &expect).expect_err("sha");
        assert!(matches!(err, UnpackError::FileChecksum { .. }), "{err}");
        assert!(err.to_string().contains("metadata"), "{err}");
        let mut expect = exact(&bytes);
        expect.size = Some(bytes.len() as u64 - 1);
        let err = unpack(&bytes, &expect).expect_err("size");
        assert!(
            matches!(
                err,
                UnpackError::TooLarge {
                    from_metadata: true,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn running_out_of_room_is_its_own_fault() {
        let bytes = fixture(&format!("{RS}v6/zstd/rpm-basic-2.3.4-5.el9.noarch.rpm"));
        let store = ContentStore::in_memory().with_total_limit(16);
        let err = unpack_rpm(
            &mut &bytes[..],
            &Expect::default(),
            &RpmKeyring::empty(),
            false,
            "p",
            &store,
        )
        .expect_err("no room");
        assert!(err.is_out_of_room(), "{err}");
    }

    /// The v6 gzip package with its payload recompressed by `compress`
    /// under the name `compressor` (four letters, like `gzip`), its
    /// `PAYLOADDIGEST` and `SHA256HEADER` patched to match.
    fn repackaged(compressor: &str, compress: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
        let bytes = fixture(&format!("{RS}v6/gzip/rpm-basic-2.3.4-5.el9.noarch.rpm"));
        let h = PackageHeaders::read(&mut &bytes[..]).expect("headers");
        let start = payload_offset(&bytes);
        let mut cpio = Vec::new();
        flate2::read::GzDecoder::new(&bytes[start..])
            .read_to_end(&mut cpio)
            .expect("gunzip");
        let payload = compress(&cpio);
        let value_at = |hdr: &Header, base: usize, tag: u32| {
            let e = hdr.entry(tag).expect("tag");
            base + 16 + hdr.entries().len() * 16 + e.offset as usize
        };
        let main_at = start - h.main.bytes().len();
        let mut out = bytes[..start].to_vec();
        let at = value_at(&h.main, main_at, tags::PAYLOADCOMPRESSOR);
        out[at..at + 4].copy_from_slice(compressor.as_bytes());
        let at = value_at(&h.main, main_at, tags::PAYLOADDIGEST);
        out[at..at + 64].copy_from_slice(hex::encode(Sha256::digest(&payload)).as_bytes());
        let digest = hex::encode(Sha256::digest(&out[main_at..start]));
        let at = value_at(&h.signature, LEAD_SIZE, tags::SHA256HEADER);
        out[at..at + 64].copy_from_slice(digest.as_bytes());
        out.extend_from_slice(&payload);
        out
    }

    #[test]
    fn lzma_payloads_unpack() {
        use liblzma::stream::{LzmaOptions, Stream};
        let lzma = |data: &[u8]| {
            let options = LzmaOptions::new_preset(6).expect("preset");
            let stream = Stream::new_lzma_encoder(&options).expect("encoder");
            let mut out = Vec::new();
            liblzma::read::XzEncoder::new_stream(data, stream)
                .read_to_end(&mut out)
                .expect("compress");
            out
        };
        let bytes = repackaged("lzma", lzma);
        let c = unpack(&bytes, &Expect::default()).expect("unpacks");
        assert_eq!(content(&c, "etc/rpm-basic/example_config.toml").len(), 31);
        // The same through the gzip path, to show the patching is sound.
        let gz = |data: &[u8]| {
            let mut out = Vec::new();
            flate2::read::GzEncoder::new(data, flate2::Compression::default())
                .read_to_end(&mut out)
                .expect("gzip");
            out
        };
        unpack(&repackaged("gzip", gz), &Expect::default()).expect("unpacks");
        // bzip2 (five letters) cannot be patched in; "bzip" stands for any
        // compressor whittle does not read.
        let err = unpack(&repackaged("bzip", gz), &Expect::default()).expect_err("bzip");
        assert!(matches!(err, UnpackError::Unsupported { .. }), "{err}");
    }

    fn hfile(path: &str, mode: u32, size: u64, flags: u32, inode: u64) -> HeaderFile {
        HeaderFile {
            path: path.to_string(),
            mode,
            size,
            mtime: 7,
            flags,
            user: "root".to_string(),
            group: "root".to_string(),
            digest: String::new(),
            linkto: Vec::new(),
            rdev: 0,
            inode: (1, inode),
            caps: String::new(),
            set: None,
        }
    }

    fn newc(name: &str, mode: u32, data: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "070701{:08x}{mode:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            1,
            0,
            0,
            1,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        )
        .into_bytes();
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.resize(out.len().div_ceil(4) * 4, 0);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(4) * 4, 0);
        out
    }

    fn synthetic(
        files: Vec<HeaderFile>,
        members: &[(&str, u32, &[u8])],
    ) -> Result<Walked, UnpackError> {
        let mut archive = Vec::new();
        for (name, mode, data) in members.iter().copied().chain([("TRAILER!!!", 0, &b""[..])]) {
            archive.extend(newc(name, mode, data));
        }
        let list = FileList::new(files, 8, "synthetic")?;
        let store = ContentStore::in_memory();
        let mut w = Walk::new("synthetic", &list, &store);
        walk_payload(&mut &archive[..], Compression::None, &mut w, "synthetic")?;
        w.finish()
    }

    fn kinds(w: &Walked) -> Vec<(String, NodeKind)> {
        w.entries
            .iter()
            .map(|e| (e.path.clone(), e.node.kind.clone()))
            .collect()
    }

    const REG: u32 = 0o100_644;

    #[test]
    fn newc_hard_links_whichever_member_carries_the_data() {
        let files = || {
            vec![
                hfile("/a", REG, 3, 0, 5),
                hfile("/b", REG, 3, 0, 5),
                hfile("/c", REG, 3, 0, 5),
            ]
        };
        let link = |t: &str| NodeKind::Hardlink(t.to_string());
        // rpm's way: data on the last.
        let w = synthetic(
            files(),
            &[("./a", REG, b""), ("./b", REG, b""), ("./c", REG, b"xyz")],
        )
        .expect("walks");
        let k = kinds(&w);
        assert_eq!(k[0].0, "c");
        assert_eq!(
            &k[1..],
            [("a".to_string(), link("c")), ("b".to_string(), link("c"))]
        );
        // Data on the first: the others link to it.
        let w = synthetic(
            files(),
            &[("./a", REG, b"xyz"), ("./b", REG, b""), ("./c", REG, b"")],
        )
        .expect("walks");
        assert_eq!(
            &kinds(&w)[1..],
            [("b".to_string(), link("a")), ("c".to_string(), link("a"))]
        );
        // Nobody carries it.
        let err = synthetic(
            files(),
            &[("./a", REG, b""), ("./b", REG, b""), ("./c", REG, b"")],
        )
        .expect_err("no data");
        assert!(
            err.to_string()
                .contains("no payload member carries the data of /a"),
            "{err}"
        );
    }

    #[test]
    fn header_only_directories_ghosts_and_missing_files() {
        let files = vec![
            hfile("/d", 0o040_755, 0, 0, 1),
            hfile("/d/f", REG, 1, 0, 2),
            hfile("/run", 0o040_700, 0, tags::FILE_GHOST, 3),
            hfile("/run/x.pid", REG, 0, tags::FILE_GHOST, 4),
            hfile("/owned", 0o040_755, 0, 0, 5),
        ];
        let w = synthetic(
            files.clone(),
            &[("./d", 0o040_755, b""), ("./d/f", REG, b"1")],
        )
        .expect("walks");
        let paths: Vec<_> = kinds(&w).into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["d", "d/f", "run", "owned"]);
        assert_eq!(w.entries[2].node.mode, 0o700);
        assert_eq!(w.seen, [true, true, false, false, false]);
        let err = synthetic(files, &[("./d", 0o040_755, b"")]).expect_err("missing");
        assert!(err.to_string().contains("the payload has no /d/f"), "{err}");
    }

    #[test]
    fn devices_and_refusals() {
        let mut tty = hfile("/dev/null", 0o020_666, 0, 0, 1);
        tty.rdev = 0x0103;
        let w = synthetic(vec![tty], &[("./dev/null", 0o020_666, b"")]).expect("walks");
        assert_eq!(kinds(&w)[0].1, NodeKind::CharDevice { major: 1, minor: 3 });
        for mode in [0o060_660, 0o140_755] {
            let err = synthetic(vec![hfile("/x", mode, 0, 0, 1)], &[("./x", mode, b"")])
                .expect_err("refused");
            assert!(
                matches!(
                    err,
                    UnpackError::Walk(walk::UnpackError::UnsupportedEntry { .. })
                ),
                "{err}"
            );
        }
        let err =
            synthetic(vec![hfile("/x", REG, 0, 0, 1)], &[("./y", REG, b"")]).expect_err("stray");
        assert!(err.to_string().contains("not in the header"), "{err}");
        let err = synthetic(
            vec![hfile("/x", REG, 0, 0, 1)],
            &[("./x", REG, b""), ("./x", REG, b"")],
        )
        .expect_err("twice");
        assert!(err.to_string().contains("twice"), "{err}");
        let err =
            synthetic(vec![hfile("/x", REG, 2, 0, 1)], &[("./x", REG, b"abc")]).expect_err("size");
        assert!(err.to_string().contains("3 bytes for /x"), "{err}");
    }

    #[test]
    fn damaged_packages_never_panic() {
        for rel in compressed_fixtures() {
            let bytes = fixture(&rel);
            let step = (bytes.len() / 61).max(1);
            for at in (0..bytes.len()).step_by(step) {
                for x in [0x01u8, 0x80, 0xff] {
                    let mut bad = bytes.clone();
                    bad[at] ^= x;
                    let _ = unpack(&bad, &Expect::default());
                }
            }
        }
    }
}
