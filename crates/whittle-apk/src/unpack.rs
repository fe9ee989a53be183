//! Reading and verifying an APK v2 package (`.apk`) in memory, never running
//! its scripts. The format is apk-tools' apk-v2: concatenated gzip members —
//! an optional signature tar, the control tar (`.PKGINFO`, scripts) and the data tar.

use std::io::{self, Read};

use base64::Engine as _;
use flate2::bufread::GzDecoder;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use whittle_rootfs::tar_entry::{entry_kind, ContentBudget, ContentError, EntryKind};
pub use whittle_rootfs::tar_entry::{MAX_DATA_SIZE, MAX_FILE_SIZE};
use whittle_rootfs::{clean_relative, Node, NodeKind};

use crate::index::{decode_gzip_member, parse_sign_name, tar_entries, SignatureAlgorithm};
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
    /// Data entries in archive order: cleaned path (no `./`), node, and the
    /// hex SHA-1 from the PAX header (regular files only).
    pub entries: Vec<(String, Node, Option<String>)>,
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
    #[error("{origin}: reading the {member} failed: {source}; the download may be truncated or corrupt, fetch it again")]
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
    /// A file's content differs from its PAX SHA-1.
    #[error("{origin}: file {path} has SHA-1 {actual}, but its header says {expected}; the package is corrupted or tampered with")]
    FileChecksum {
        /// The package file or URL.
        origin: String,
        /// The file's cleaned path.
        path: String,
        /// The PAX checksum.
        expected: String,
        /// The content's SHA-1.
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
    /// A data entry of a kind whittle cannot represent.
    #[error("{origin}: entry {path} is a {kind}, which whittle does not install")]
    UnsupportedEntry {
        /// The package file or URL.
        origin: String,
        /// The entry path.
        path: String,
        /// The entry kind.
        kind: String,
    },
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

/// Read, verify and unpack an `.apk`. The whole file is read into memory
/// (at most [`MAX_APK_SIZE`]).
///
/// Checks, in order: the package's own signature over the raw control
/// member (when its key is in the keyring; a known key that does not verify
/// is an error), `Q1` (SHA-1 of the raw control member) against
/// `expect.q1`, SHA-256 of the raw data member against `.PKGINFO`
/// `datahash`, and each regular file's PAX `APK-TOOLS.checksum.SHA1`
/// against its content.
pub fn unpack_apk<R: Read>(
    reader: R,
    expect: &Expect,
    keyring: &ApkKeyring,
    origin: &str,
) -> Result<ApkContents, UnpackError> {
    let ctx = Ctx { origin };
    let mut bytes = Vec::new();
    reader
        .take(MAX_APK_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ctx.io("package file", e))?;
    let size = bytes.len() as u64;
    if size > MAX_APK_SIZE {
        return Err(ctx.too_large("the package file", size, MAX_APK_SIZE));
    }

    // Signature member (optional) and control member.
    let (first, used1) =
        decode_gzip_member(&bytes, MAX_CONTROL_SIZE).map_err(|e| ctx.io("first gzip member", e))?;
    let first_entries =
        tar_entries(&first, MAX_CONTROL_SIZE).map_err(|e| ctx.io("first gzip member", e))?;
    let is_sig =
        !first_entries.is_empty() && first_entries.iter().all(|(n, _)| n.starts_with(".SIGN."));
    let (signatures, sig_raw, control_range, control_entries) = if is_sig {
        let rest = &bytes[used1..];
        let (control, used2) =
            decode_gzip_member(rest, MAX_CONTROL_SIZE).map_err(|e| ctx.io("control member", e))?;
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
        (sigs, Some(&bytes[..used1]), used1..used1 + used2, entries)
    } else {
        (Vec::new(), None, 0..used1, first_entries)
    };
    let control_raw = &bytes[control_range.clone()];

    // The package's own signature.
    let mut signature = SignatureStatus::Unsigned;
    for (alg, key_name, sig) in &signatures {
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

    // Q1 against the index.
    let control_sha1_b64 = b64(&Sha1::digest(control_raw));
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

    // Data member: hash first, then read.
    let data_all = &bytes[control_range.end..];
    if data_all.is_empty() {
        return Err(ctx.format("there is no data member after the control member"));
    }
    let data_sha256 = hex::encode(Sha256::digest(data_all));
    let datahash = pkginfo
        .iter()
        .find(|(k, _)| k == "datahash")
        .map(|(_, v)| v.to_ascii_lowercase())
        .ok_or_else(|| ctx.format(".PKGINFO has no datahash, so the data cannot be verified"))?;
    if datahash != data_sha256 {
        return Err(UnpackError::DataHash {
            origin: origin.to_string(),
            expected: datahash,
            actual: data_sha256,
        });
    }
    let mut dec = GzDecoder::new(data_all);
    let entries = read_data(&mut dec, &ctx)?;
    io::copy(&mut dec, &mut io::sink()).map_err(|e| ctx.io("data member", e))?;
    let trailing = dec.into_inner().len();
    if trailing != 0 {
        return Err(ctx.format(format!(
            "{trailing} unexpected bytes follow the data member"
        )));
    }

    Ok(ApkContents {
        q1,
        pkginfo,
        scripts,
        triggers,
        entries,
        signature,
        data_sha256,
        control_sha1_b64,
        signature_member_sha1_b64: sig_raw.map(|s| b64(&Sha1::digest(s))),
        size,
    })
}

type Entry = (String, Node, Option<String>);

fn read_data<R: Read>(reader: R, ctx: &Ctx<'_>) -> Result<Vec<Entry>, UnpackError> {
    let io = |e| ctx.io("data member", e);
    let mut out = Vec::new();
    let mut budget = ContentBudget::default();
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        let ty = entry.header().entry_type();
        if ty.is_pax_global_extensions() || ty.is_pax_local_extensions() {
            continue;
        }
        let raw_path = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| ctx.format("a data entry's path is not UTF-8"))?;
        let path = clean_relative(&raw_path);
        let header = entry.header();
        let bad = |what: &str, e: io::Error| {
            ctx.format(format!("entry {raw_path:?} has a bad {what}: {e}"))
        };
        let mode = header.mode().map_err(|e| bad("mode", e))? & 0o7777;
        let uid = header.uid().map_err(|e| bad("uid", e))?;
        let gid = header.gid().map_err(|e| bad("gid", e))?;
        let mtime = header.mtime().map_err(|e| bad("mtime", e))?;
        let id = |v: u64, what: &str| {
            u32::try_from(v)
                .map_err(|_| ctx.format(format!("entry {raw_path:?} has {what} {v}, over 32 bits")))
        };
        let (uid, gid) = (id(uid, "uid")?, id(gid, "gid")?);
        let pax_sha1 = entry.pax_extensions().map_err(io)?.and_then(|exts| {
            exts.filter_map(Result::ok)
                .find(|e| e.key() == Ok(PAX_SHA1))
                .and_then(|e| e.value().ok().map(|v| v.trim().to_ascii_lowercase()))
        });
        let unsupported = |kind: &str| UnpackError::UnsupportedEntry {
            origin: ctx.origin.to_string(),
            path: raw_path.clone(),
            kind: kind.to_string(),
        };
        let link_target = |entry: &tar::Entry<'_, _>| -> Result<String, UnpackError> {
            let bytes = entry
                .link_name_bytes()
                .ok_or_else(|| ctx.format(format!("link {raw_path:?} has no target")))?;
            String::from_utf8(bytes.into_owned()).map_err(|_| {
                ctx.format(format!("link {raw_path:?} has a target that is not UTF-8"))
            })
        };
        let mut sha1 = None;
        let kind = match entry_kind(entry.header()).map_err(|what| unsupported(&what))? {
            EntryKind::Dir => NodeKind::Dir,
            EntryKind::File => {
                let size = entry.size();
                let content = budget.read(&mut entry, size).map_err(|e| match e {
                    ContentError::File { size, limit } => {
                        ctx.too_large(format!("file {raw_path}"), size, limit)
                    }
                    ContentError::Total { total, limit } => {
                        ctx.too_large("the package's data", total, limit)
                    }
                    ContentError::Io(e) => io(e),
                })?;
                if let Some(expected) = &pax_sha1 {
                    let actual = hex::encode(Sha1::digest(&content));
                    if &actual != expected {
                        return Err(UnpackError::FileChecksum {
                            origin: ctx.origin.to_string(),
                            path: path.clone(),
                            expected: expected.clone(),
                            actual,
                        });
                    }
                }
                sha1 = pax_sha1;
                NodeKind::File(content.into())
            }
            EntryKind::Symlink => NodeKind::Symlink(link_target(&entry)?),
            EntryKind::Hardlink => NodeKind::Hardlink(clean_relative(&link_target(&entry)?)),
            EntryKind::CharDevice { major, minor } => NodeKind::CharDevice { major, minor },
            EntryKind::Fifo => NodeKind::Fifo,
        };
        if path.is_empty() {
            continue;
        }
        let node = Node::with_kind(kind, mode)
            .owned(uid, gid)
            .at(i64::try_from(mtime).unwrap_or(i64::MAX));
        out.push((path, node, sha1));
    }
    Ok(out)
}
