//! Reading and verifying an APK v2 package (`.apk`) as it streams in, never
//! running its scripts. The format is apk-tools' apk-v2: concatenated gzip
//! members — an optional signature tar, the control tar (`.PKGINFO`,
//! scripts) and the data tar.
//!
//! The file is never held whole: the two small members are kept (they are
//! what the signatures cover), and the data member is hashed (`datahash`)
//! while it is decompressed and walked into tree entries through the walk
//! every world shares ([`whittle_rootfs::unpack`]), which also keeps each
//! file's owner as the package records it, as apk-tools does.

use std::io::{self, BufRead, BufReader, Read};

use base64::Engine as _;
use flate2::bufread::GzDecoder;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use whittle_rootfs::unpack::{unpack_tar, Entry, Unpacker};
pub use whittle_rootfs::unpack::{MAX_DATA_SIZE, MAX_FILE_SIZE};
use whittle_rootfs::{Content, ContentStore};

use crate::index::{parse_sign_name, tar_entries, SignatureAlgorithm};
use crate::keys::ApkKeyring;
use crate::verify::signature_valid;

/// The largest `.apk` file read (2 GiB).
pub const MAX_APK_SIZE: u64 = 2 << 30;
/// The largest decompressed signature or control member (64 MiB).
const MAX_CONTROL_SIZE: u64 = 64 << 20;
/// The PAX record apk-tools uses for a file's SHA-1.
const PAX_SHA1: &str = "APK-TOOLS.checksum.SHA1";
/// Control-member script names apk knows.
const SCRIPTS: &[&str] = &[
    ".pre-install",
    ".post-install",
    ".pre-upgrade",
    ".post-upgrade",
    ".pre-deinstall",
    ".post-deinstall",
    ".trigger",
];

/// What the caller already knows about the package (from the signed index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    /// The index's `C:` checksum (`Q1` + base64 SHA-1 of the control member).
    pub q1: Option<String>,
    /// The index's `S:` size: more bytes than this are refused.
    pub size: Option<u64>,
}

/// The outcome of checking the package's own signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// Verified with this keyring key.
    Verified(String),
    /// Signed by a key the keyring does not hold (the first such name).
    UnknownKey(String),
    /// The package carries no RSA signature.
    Unsigned,
}

/// A verified package, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkContents {
    /// `Q1` + base64 SHA-1 of the raw control member (the index's `C:`).
    pub q1: String,
    /// `.PKGINFO` as `(key, value)` pairs in file order, repeated keys kept.
    pub pkginfo: Vec<(String, String)>,
    /// Scripts of the control member (`.post-install`, `.trigger`, …), never run.
    pub scripts: Vec<(String, Vec<u8>)>,
    /// The `triggers` of `.PKGINFO` (directory globs), split.
    pub triggers: Vec<String>,
    /// Data entries in archive order, through the shared walk.
    pub entries: Vec<Entry>,
    /// Per entry (same order), the hex SHA-1 from its PAX header.
    pub sha1s: Vec<Option<String>>,
    /// The package's own signature.
    pub signature: SignatureStatus,
    /// Hex SHA-256 of the raw data member (equals `datahash`).
    pub data_sha256: String,
    /// Base64 SHA-1 of the raw control member (the `Q1` without its prefix).
    pub control_sha1_b64: String,
    /// Base64 SHA-1 of the raw signature member, when there is one.
    pub signature_member_sha1_b64: Option<String>,
    /// Size of the `.apk` file in bytes.
    pub size: u64,
    /// Compressed length of the signature member (0 when unsigned) and of
    /// the control member: with `size`, the members' byte ranges, which
    /// apko's lock files record.
    pub member_lengths: (u64, u64),
}

impl ApkContents {
    /// The first `.PKGINFO` value for `key`.
    pub fn pkginfo_get(&self, key: &str) -> Option<&str> {
        self.pkginfo
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every `.PKGINFO` value for `key` (`depend`, `provides`, `replaces`…).
    pub fn pkginfo_all(&self, key: &str) -> Vec<&str> {
        self.pkginfo
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// An `.apk` could not be read or failed a check.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// Reading or decompressing failed.
    #[error("{origin}: reading the {member} failed; the download may be truncated or corrupt, fetch it again")]
    Io {
        /// The package file or URL.
        origin: String,
        /// Which part (`signature member`, `control member`, `data member`).
        member: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file does not follow the `.apk` format.
    #[error("{origin}: {reason}; is this really an APK v2 package?")]
    Format {
        /// The package file or URL.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// Something exceeds whittle's size bounds.
    #[error("{origin}: {what} is {size} bytes, over the limit of {limit}; refusing to unpack it")]
    TooLarge {
        /// The package file or URL.
        origin: String,
        /// What is too large.
        what: String,
        /// Its size (or the size reached).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The control member's SHA-1 differs from the signed index's `C:`.
    #[error("{origin}: checksum does not match the signed index (index says {expected}, package has {actual}); the package was replaced or corrupted — fetch it again, and if it persists the repository is inconsistent")]
    IndexChecksum {
        /// The package file or URL.
        origin: String,
        /// The index's `C:`.
        expected: String,
        /// The package's `Q1`.
        actual: String,
    },
    /// The data member's SHA-256 differs from `.PKGINFO` `datahash`.
    #[error("{origin}: the data member's SHA-256 {actual} does not match datahash {expected} in .PKGINFO; the package is corrupted or tampered with")]
    DataHash {
        /// The package file or URL.
        origin: String,
        /// `datahash`.
        expected: String,
        /// What the data member hashes to.
        actual: String,
    },
    /// The package's signature by a key in the keyring does not verify.
    #[error("{origin}: the package signature by {key} does not verify; the package was modified after signing, or the keyring's {key} is a different key — fetch it again and check the key")]
    BadSignature {
        /// The package file or URL.
        origin: String,
        /// The key name.
        key: String,
    },
    /// A data entry could not be unpacked (path, kind, size budget, its
    /// checksum).
    #[error(transparent)]
    Walk(#[from] whittle_rootfs::unpack::UnpackError),
}

struct Ctx<'a> {
    origin: &'a str,
}

impl Ctx<'_> {
    fn io(&self, member: &str, source: io::Error) -> UnpackError {
        UnpackError::Io {
            origin: self.origin.to_string(),
            member: member.to_string(),
            source,
        }
    }
    fn format(&self, reason: impl Into<String>) -> UnpackError {
        UnpackError::Format {
            origin: self.origin.to_string(),
            reason: reason.into(),
        }
    }
    fn too_large(&self, what: impl Into<String>, size: u64, limit: u64) -> UnpackError {
        UnpackError::TooLarge {
            origin: self.origin.to_string(),
            what: what.into(),
            size,
            limit,
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Parse `.PKGINFO`: `key = value` lines, `#` comments, order and repeats kept.
pub fn parse_pkginfo(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Read, verify and unpack an `.apk` as it streams from `reader` (at most
/// [`MAX_APK_SIZE`] bytes, or the index's size).
///
/// Checks, in order: the package's own signature over the raw control
/// member (when its key is in the keyring; a known key that does not verify
/// is an error), `Q1` (SHA-1 of the raw control member) against
/// `expect.q1`, each regular file's PAX `APK-TOOLS.checksum.SHA1` against
/// its content, and the SHA-256 of the raw data member against `.PKGINFO`
/// `datahash` once it has been read.
pub fn unpack_apk<R: Read>(
    reader: R,
    expect: &Expect,
    keyring: &ApkKeyring,
    origin: &str,
    store: &ContentStore,
) -> Result<ApkContents, UnpackError> {
    let ctx = Ctx { origin };
    let limit = expect.size.unwrap_or(MAX_APK_SIZE).min(MAX_APK_SIZE);
    let mut input = BufReader::with_capacity(64 << 10, Counted::new(reader, limit));

    // Signature member (optional) and control member, kept raw.
    let (first_raw, first) = read_member(&mut input, &ctx, "first gzip member")?;
    let first_entries =
        tar_entries(&first, MAX_CONTROL_SIZE).map_err(|e| ctx.io("first gzip member", e))?;
    let is_sig =
        !first_entries.is_empty() && first_entries.iter().all(|(n, _)| n.starts_with(".SIGN."));
    let (signatures, sig_raw, control_raw, control_entries) = if is_sig {
        let (raw, control) = read_member(&mut input, &ctx, "control member")?;
        let entries =
            tar_entries(&control, MAX_CONTROL_SIZE).map_err(|e| ctx.io("control member", e))?;
        let sigs: Vec<(SignatureAlgorithm, String, Vec<u8>)> = first_entries
            .into_iter()
            .filter_map(|(name, data)| {
                parse_sign_name(&name)
                    .flatten()
                    .map(|(alg, key)| (alg, key, data))
            })
            .collect();
        (sigs, Some(first_raw), raw, entries)
    } else {
        (Vec::new(), None, first_raw, first_entries)
    };

    let signature = check_signatures(&signatures, keyring, &control_raw, origin)?;

    // Q1 against the index.
    let control_sha1_b64 = b64(&Sha1::digest(&control_raw));
    let q1 = format!("Q1{control_sha1_b64}");
    if let Some(want) = &expect.q1 {
        if want.trim() != q1 {
            return Err(UnpackError::IndexChecksum {
                origin: origin.to_string(),
                expected: want.trim().to_string(),
                actual: q1,
            });
        }
    }

    // Control files.
    let mut pkginfo = None;
    let mut scripts = Vec::new();
    for (name, data) in control_entries {
        let name = name.trim_start_matches("./");
        if name == ".PKGINFO" {
            let text =
                String::from_utf8(data).map_err(|_| ctx.format(".PKGINFO is not UTF-8 text"))?;
            pkginfo = Some(parse_pkginfo(&text));
        } else if SCRIPTS.contains(&name) {
            scripts.push((name.to_string(), data));
        }
    }
    let pkginfo = pkginfo.ok_or_else(|| ctx.format("the control member has no .PKGINFO"))?;
    let triggers = pkginfo
        .iter()
        .filter(|(k, _)| k == "triggers")
        .flat_map(|(_, v)| v.split_whitespace().map(str::to_string))
        .collect();
    let datahash = pkginfo
        .iter()
        .find(|(k, _)| k == "datahash")
        .map(|(_, v)| v.to_ascii_lowercase())
        .ok_or_else(|| ctx.format(".PKGINFO has no datahash, so the data cannot be verified"))?;

    // Data member: hashed raw while it is decompressed and walked.
    if input
        .fill_buf()
        .map_err(|e| ctx.io("data member", e))?
        .is_empty()
    {
        return Err(ctx.format("there is no data member after the control member"));
    }
    let mut hash = Sha256::new();
    let mut hashed = Tap {
        inner: &mut input,
        sink: |bytes: &[u8]| hash.update(bytes),
    };
    let (entries, sha1s) = read_data(GzDecoder::new(&mut hashed), &ctx, store)?;
    let data_sha256 = hex::encode(hash.finalize());
    if !input
        .fill_buf()
        .map_err(|e| ctx.io("data member", e))?
        .is_empty()
    {
        return Err(ctx.format("unexpected bytes follow the data member"));
    }
    let size = input.get_ref().count;
    if size > limit {
        return Err(ctx.too_large("the package file", size, limit));
    }
    if datahash != data_sha256 {
        return Err(UnpackError::DataHash {
            origin: origin.to_string(),
            expected: datahash,
            actual: data_sha256,
        });
    }

    Ok(ApkContents {
        q1,
        pkginfo,
        scripts,
        triggers,
        entries,
        sha1s,
        signature,
        data_sha256,
        control_sha1_b64,
        member_lengths: (
            sig_raw.as_ref().map_or(0, |s| s.len() as u64),
            control_raw.len() as u64,
        ),
        signature_member_sha1_b64: sig_raw.map(|s| b64(&Sha1::digest(&s))),
        size,
    })
}

/// The package's own signatures over the raw control member.
fn check_signatures(
    signatures: &[(SignatureAlgorithm, String, Vec<u8>)],
    keyring: &ApkKeyring,
    control_raw: &[u8],
    origin: &str,
) -> Result<SignatureStatus, UnpackError> {
    let mut signature = SignatureStatus::Unsigned;
    for (alg, key_name, sig) in signatures {
        match keyring.get(key_name) {
            Some(key) => {
                if !signature_valid(key, *alg, control_raw, sig) {
                    return Err(UnpackError::BadSignature {
                        origin: origin.to_string(),
                        key: key_name.clone(),
                    });
                }
                if !matches!(signature, SignatureStatus::Verified(_)) {
                    signature = SignatureStatus::Verified(key_name.clone());
                }
            }
            None => {
                if signature == SignatureStatus::Unsigned {
                    signature = SignatureStatus::UnknownKey(key_name.clone());
                }
            }
        }
    }
    Ok(signature)
}

/// One small gzip member from `input`: its raw bytes and its content (each
/// at most [`MAX_CONTROL_SIZE`]).
fn read_member<R: BufRead>(
    input: &mut R,
    ctx: &Ctx<'_>,
    member: &str,
) -> Result<(Vec<u8>, Vec<u8>), UnpackError> {
    let mut raw = Vec::new();
    let mut content = Vec::new();
    let mut tap = Tap {
        inner: input,
        sink: |bytes: &[u8]| raw.extend_from_slice(bytes),
    };
    GzDecoder::new(&mut tap)
        .take(MAX_CONTROL_SIZE + 1)
        .read_to_end(&mut content)
        .map_err(|e| ctx.io(member, e))?;
    if content.len() as u64 > MAX_CONTROL_SIZE || raw.len() as u64 > MAX_CONTROL_SIZE {
        return Err(ctx.too_large(
            format!("the {member}"),
            content.len() as u64,
            MAX_CONTROL_SIZE,
        ));
    }
    if raw.is_empty() {
        return Err(ctx.format(format!("the {member} is missing")));
    }
    Ok((raw, content))
}

/// A `BufRead` that shows every byte its reader consumes to `sink`: a gzip
/// decoder over it consumes exactly one member, so the sink sees the raw
/// member (kept for the signatures, or hashed for `datahash`).
struct Tap<'a, R: BufRead, F: FnMut(&[u8])> {
    inner: &'a mut R,
    sink: F,
}

impl<R: BufRead, F: FnMut(&[u8])> Read for Tap<'_, R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let avail = self.fill_buf()?;
            let n = avail.len().min(buf.len());
            buf[..n].copy_from_slice(&avail[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead, F: FnMut(&[u8])> BufRead for Tap<'_, R, F> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            (self.sink)(&buf[..amt.min(buf.len())]);
        }
        self.inner.consume(amt);
    }
}

/// Counts the bytes read from the package file and fails once more than
/// `limit` arrive (the index's size, or [`MAX_APK_SIZE`]).
struct Counted<R> {
    inner: R,
    count: u64,
    limit: u64,
}

impl<R> Counted<R> {
    fn new(inner: R, limit: u64) -> Counted<R> {
        Counted {
            inner,
            count: 0,
            limit,
        }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the package file is larger than the {} bytes the index states",
                    self.limit
                ),
            ));
        }
        Ok(n)
    }
}

/// The SHA-1 of a file's content, streamed (apk's per-file checksum).
pub(crate) fn sha1_hex(content: &Content) -> std::io::Result<String> {
    let mut sha1 = Sha1::new();
    content.for_each_chunk(|b| sha1.update(b))?;
    Ok(hex::encode(sha1.finalize()))
}

/// The data member through the shared walk, checking each file's PAX
/// SHA-1 against its content.
fn read_data<R: Read>(
    reader: R,
    ctx: &Ctx<'_>,
    store: &ContentStore,
) -> Result<(Vec<Entry>, Vec<Option<String>>), UnpackError> {
    let mut unpacker = Unpacker::new(format!("{}: data member", ctx.origin), store);
    let mut sha1s = Vec::new();
    unpack_tar(reader, &mut unpacker, |pax, entry| {
        let pax_sha1 = pax
            .iter()
            .find(|(k, _)| k == PAX_SHA1)
            .map(|(_, v)| v.trim().to_ascii_lowercase());
        if let (Some(expected), Some(content)) = (&pax_sha1, entry.node.content()) {
            let actual =
                sha1_hex(content).map_err(|source| whittle_rootfs::unpack::UnpackError::Io {
                    origin: ctx.origin.to_string(),
                    source,
                })?;
            if &actual != expected {
                return Err(whittle_rootfs::unpack::UnpackError::Check {
                    origin: ctx.origin.to_string(),
                    message: format!(
                        "file {} has SHA-1 {actual}, but its header says {expected}; the \
                         package is corrupted or tampered with",
                        entry.path
                    ),
                });
            }
        }
        sha1s.push(entry.node.content().and(pax_sha1));
        Ok(())
    })?;
    Ok((unpacker.finish().0, sha1s))
}
