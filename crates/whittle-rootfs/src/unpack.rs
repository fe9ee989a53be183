//! The one walk from archive entries to tree entries, shared by every
//! package world's unpacker (`.deb` data.tar, `.apk` data member, and the
//! RPM payload to come): the same checks everywhere.
//!
//! A world's reader turns each archive member into an [`EntryHeader`] (tar
//! through [`unpack_tar`], cpio or an RPM header by hand) and hands it to an
//! [`Unpacker`], which
//!
//! * confines the path (lexically: `..` never climbs above the root; the
//!   tree resolves symlinks later) and refuses names an OCI consumer cannot
//!   extract (NUL or newline, a component over 255 bytes, a path over 4096);
//! * accepts only the entry kinds an image may hold ([`entry_kind`]);
//! * reads file contents within per-file and per-package budgets, checked
//!   before anything is allocated;
//! * keeps hard links as links to the cleaned target path (the tree checks
//!   the target is a regular file when they are placed);
//! * keeps the numeric owner and, when the archive names them, the owner's
//!   user and group names, which the engine maps through the image's own
//!   `/etc/passwd` and `/etc/group` once those exist (as dpkg and apk-tools
//!   do), falling back to the numbers.

use std::io::{self, Read};

use tar::Header;

use crate::content::{Content, ContentStore, StoreError};
use crate::node::{Node, NodeKind};
use crate::path::clean_relative;

/// Largest single file a package may carry.
pub const MAX_FILE_SIZE: u64 = 2 << 30;
/// Largest total of file contents one package may carry.
pub const MAX_DATA_SIZE: u64 = 8 << 30;
/// Longest path an entry may have, in bytes (Linux `PATH_MAX`).
pub const MAX_PATH_LEN: usize = 4096;
/// Longest path component, in bytes (Linux `NAME_MAX`).
pub const MAX_NAME_LEN: usize = 255;

/// The kind of a package archive entry, before its content is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A directory.
    Dir,
    /// A regular (or contiguous) file: its content follows.
    File,
    /// A symbolic link.
    Symlink,
    /// A hard link to an earlier entry.
    Hardlink,
    /// A character device with its numbers.
    CharDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A named pipe.
    Fifo,
}

/// Classify a tar header. The error names what is refused (block devices,
/// sparse files, unknown types, devices without numbers): a minimal image
/// has no use for them and unpacking them safely would need special care.
pub fn entry_kind(header: &Header) -> Result<EntryKind, String> {
    let ty = header.entry_type();
    Ok(if ty.is_dir() {
        EntryKind::Dir
    } else if ty.is_file() || ty.is_contiguous() {
        EntryKind::File
    } else if ty.is_symlink() {
        EntryKind::Symlink
    } else if ty.is_hard_link() {
        EntryKind::Hardlink
    } else if ty.is_character_special() {
        match (
            header.device_major().ok().flatten(),
            header.device_minor().ok().flatten(),
        ) {
            (Some(major), Some(minor)) => EntryKind::CharDevice { major, minor },
            _ => return Err("character device without device numbers".to_string()),
        }
    } else if ty.is_fifo() {
        EntryKind::Fifo
    } else if ty.is_block_special() {
        return Err("block device".to_string());
    } else if ty.is_gnu_sparse() {
        return Err("GNU sparse file".to_string());
    } else {
        return Err(format!("tar entry of type {:?}", char::from(ty.as_byte())));
    })
}

/// One archive entry as its header describes it, format-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryHeader {
    /// The path as the archive spells it.
    pub path: Vec<u8>,
    /// What it is.
    pub kind: EntryKind,
    /// Permission bits (masked to `0o7777`).
    pub mode: u32,
    /// Numeric owner.
    pub uid: u64,
    /// Numeric group.
    pub gid: u64,
    /// Owner name, when the archive records one.
    pub user: Option<String>,
    /// Group name, when the archive records one.
    pub group: Option<String>,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
    /// Content size in bytes (files).
    pub size: u64,
    /// Link target (symlinks and hard links).
    pub link_target: Option<Vec<u8>>,
}

/// Owner names an archive gave an entry, for mapping through the image's
/// account files.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnerNames {
    /// User name (empty when the archive gave only a group name).
    pub user: String,
    /// Group name (empty when the archive gave only a user name).
    pub group: String,
}

/// One entry ready to be placed in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The cleaned relative path (`usr/bin/python3.11`).
    pub path: String,
    /// The node, with numeric owner.
    pub node: Node,
    /// Owner names from the archive, when they say more than `root:root`
    /// on a root-owned entry.
    pub owner_names: Option<OwnerNames>,
}

/// An archive entry could not be unpacked.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// Reading or decompressing failed (including a digest mismatch
    /// reported by a verifying reader underneath).
    #[error("{origin}: reading failed")]
    Io {
        /// The package and member.
        origin: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The archive does not follow its format.
    #[error("{origin}: {reason}")]
    Format {
        /// The package and member.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// An entry has a kind an image cannot hold.
    #[error("{origin}: entry {path:?} is a {kind}, which whittle cannot place in an image")]
    UnsupportedEntry {
        /// The package and member.
        origin: String,
        /// The entry's path as written.
        path: String,
        /// The entry's kind.
        kind: String,
    },
    /// A path an OCI consumer could not extract.
    #[error("{origin}: entry {path:?} {problem}; the package cannot be placed in an image")]
    BadPath {
        /// The package and member.
        origin: String,
        /// The entry's path as written (possibly shortened).
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Over a size budget.
    #[error("{origin}: {what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The package and member.
        origin: String,
        /// What is too large.
        what: String,
        /// Its size (or the total reached).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Over the build's total (see [`ContentStore`]).
    #[error("{origin}: {source}; if the image really is this large, raise the limit (`--max-unpacked-size`)")]
    OverBuildTotal {
        /// The package and member.
        origin: String,
        /// The store's error, with the figures.
        #[source]
        source: StoreError,
    },
    /// File contents could not be written to the spill area on disk.
    #[error("{origin}: {source}")]
    Spill {
        /// The package and member.
        origin: String,
        /// The store's error, naming the directory and what the file
        /// system said (a full disk, say).
        #[source]
        source: StoreError,
    },
    /// A check of the world's own (e.g. a per-file checksum) failed.
    #[error("{origin}: {message}")]
    Check {
        /// The package and member.
        origin: String,
        /// What failed, and what to do.
        message: String,
    },
}

impl UnpackError {
    /// The I/O error underneath, for a caller that looks inside it (a
    /// verifying reader's error is wrapped in one).
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            UnpackError::Io { source, .. } => Some(source),
            _ => None,
        }
    }

    /// Whether the build ran out of room (its total limit, or the disk
    /// under the spill area) rather than the package being at fault.
    pub fn is_out_of_room(&self) -> bool {
        matches!(
            self,
            UnpackError::OverBuildTotal { .. } | UnpackError::Spill { .. }
        )
    }
}

/// Turns entry headers and contents into [`Entry`]s within the budgets.
#[derive(Debug)]
pub struct Unpacker {
    origin: String,
    store: ContentStore,
    used: u64,
    max_file: u64,
    max_total: u64,
    entries: Vec<Entry>,
}

impl Unpacker {
    /// An unpacker for the package (and member) named `origin` in errors,
    /// with the default budgets ([`MAX_FILE_SIZE`], [`MAX_DATA_SIZE`]),
    /// keeping file contents in `store` (which holds the build's total).
    pub fn new(origin: impl Into<String>, store: &ContentStore) -> Unpacker {
        Unpacker {
            origin: origin.into(),
            store: store.clone(),
            used: 0,
            max_file: MAX_FILE_SIZE,
            max_total: MAX_DATA_SIZE,
            entries: Vec::new(),
        }
    }

    /// With other budgets (tests, or a caller with a smaller cap).
    #[must_use]
    pub fn with_limits(mut self, max_file: u64, max_total: u64) -> Unpacker {
        self.max_file = max_file;
        self.max_total = max_total;
        self
    }

    /// What errors name.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Bytes of file content read so far.
    pub fn data_size(&self) -> u64 {
        self.used
    }

    /// The entries so far, in archive order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries, in archive order, and the total file content size.
    pub fn finish(self) -> (Vec<Entry>, u64) {
        (self.entries, self.used)
    }

    /// An error of the world's own checks, named like the walk's.
    pub fn check_failed(&self, message: impl Into<String>) -> UnpackError {
        UnpackError::Check {
            origin: self.origin.clone(),
            message: message.into(),
        }
    }

    /// A format error, named like the walk's.
    pub fn format_error(&self, reason: impl Into<String>) -> UnpackError {
        UnpackError::Format {
            origin: self.origin.clone(),
            reason: reason.into(),
        }
    }

    /// Add one entry, reading `header.size` bytes of `content` for a file.
    /// Returns the entry added, or `None` for the root directory itself
    /// (`./`), which packages list but which is never replaced.
    pub fn add(
        &mut self,
        header: EntryHeader,
        content: &mut dyn Read,
    ) -> Result<Option<&Entry>, UnpackError> {
        let raw = String::from_utf8(header.path)
            .map_err(|_| self.format_error("an entry's path is not UTF-8"))?;
        self.check_path(&raw)?;
        let id = |v: u64, what: &str| {
            u32::try_from(v).map_err(|_| {
                self.format_error(format!("entry {raw:?} has {what} {v}, over 32 bits"))
            })
        };
        let (uid, gid) = (id(header.uid, "uid")?, id(header.gid, "gid")?);
        let target = |t: Option<Vec<u8>>| -> Result<String, UnpackError> {
            let bytes =
                t.ok_or_else(|| self.format_error(format!("link {raw:?} has no target")))?;
            String::from_utf8(bytes).map_err(|_| {
                self.format_error(format!("link {raw:?} has a target that is not UTF-8"))
            })
        };
        let kind = match header.kind {
            EntryKind::Dir => NodeKind::Dir,
            EntryKind::File => NodeKind::File(self.read_content(content, header.size, &raw)?),
            EntryKind::Symlink => {
                let t = target(header.link_target)?;
                self.check_path(&t)?;
                NodeKind::Symlink(t)
            }
            EntryKind::Hardlink => NodeKind::Hardlink(clean_relative(&target(header.link_target)?)),
            EntryKind::CharDevice { major, minor } => NodeKind::CharDevice { major, minor },
            EntryKind::Fifo => NodeKind::Fifo,
        };
        let path = clean_relative(&raw);
        if path.is_empty() {
            return Ok(None);
        }
        let owner_names = owner_names(header.user, header.group, uid, gid);
        let node = Node::with_kind(kind, header.mode)
            .owned(uid, gid)
            .at(i64::try_from(header.mtime).unwrap_or(i64::MAX));
        self.entries.push(Entry {
            path,
            node,
            owner_names,
        });
        Ok(self.entries.last())
    }

    /// Refuse what no OCI consumer can extract (GNU tar, containerd).
    fn check_path(&self, raw: &str) -> Result<(), UnpackError> {
        let shown: String = raw.chars().take(120).collect();
        let bad = |problem: String| UnpackError::BadPath {
            origin: self.origin.clone(),
            path: shown.clone(),
            problem,
        };
        if raw.contains(['\0', '\n']) {
            return Err(bad("contains a NUL or newline character".to_string()));
        }
        if raw.len() > MAX_PATH_LEN {
            return Err(bad(format!(
                "is {} bytes long, over PATH_MAX ({MAX_PATH_LEN})",
                raw.len()
            )));
        }
        if let Some(long) = raw.split('/').find(|c| c.len() > MAX_NAME_LEN) {
            return Err(bad(format!(
                "has a {}-byte component, over NAME_MAX ({MAX_NAME_LEN})",
                long.len()
            )));
        }
        Ok(())
    }

    fn read_content(
        &mut self,
        reader: &mut dyn Read,
        size: u64,
        path: &str,
    ) -> Result<Content, UnpackError> {
        let too_large = |what: String, size: u64, limit: u64| UnpackError::TooLarge {
            origin: self.origin.clone(),
            what,
            size,
            limit,
        };
        if size > self.max_file {
            return Err(too_large(format!("file {path}"), size, self.max_file));
        }
        let total = self.used.saturating_add(size);
        if total > self.max_total {
            return Err(too_large(
                "the package's data".to_string(),
                total,
                self.max_total,
            ));
        }
        self.used = total;
        self.store.read(reader, size).map_err(|error| match error {
            StoreError::Read(source) => UnpackError::Io {
                origin: self.origin.clone(),
                source,
            },
            StoreError::Short { got, .. } => self.format_error(format!(
                "file {path:?} ends after {got} of its {size} bytes"
            )),
            over @ StoreError::OverTotal { .. } => UnpackError::OverBuildTotal {
                origin: self.origin.clone(),
                source: over,
            },
            spill @ StoreError::Spill { .. } => UnpackError::Spill {
                origin: self.origin.clone(),
                source: spill,
            },
        })
    }
}

/// Names worth mapping: anything but `root:root` on a root-owned entry.
fn owner_names(
    user: Option<String>,
    group: Option<String>,
    uid: u32,
    gid: u32,
) -> Option<OwnerNames> {
    let user = user.filter(|u| !u.is_empty()).unwrap_or_default();
    let group = group.filter(|g| !g.is_empty()).unwrap_or_default();
    let plain_root = (user.is_empty() || (user == "root" && uid == 0))
        && (group.is_empty() || (group == "root" && gid == 0));
    (!plain_root).then_some(OwnerNames { user, group })
}

/// PAX extension records of one tar entry (`key`, `value`).
pub type PaxRecords = Vec<(String, String)>;

/// Walk a tar stream through `unpacker`, then read the stream to its end so
/// a decompressor or verifying reader underneath checks its trailer.
/// `inspect` sees each added entry with its PAX records (APK reads its
/// per-file checksums there) and may refuse it.
pub fn unpack_tar<R: Read>(
    reader: R,
    unpacker: &mut Unpacker,
    mut inspect: impl FnMut(&PaxRecords, &Entry) -> Result<(), UnpackError>,
) -> Result<(), UnpackError> {
    let origin = unpacker.origin().to_string();
    let io = |source: io::Error| UnpackError::Io {
        origin: origin.clone(),
        source,
    };
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        let ty = entry.header().entry_type();
        if ty.is_pax_global_extensions() || ty.is_pax_local_extensions() {
            continue;
        }
        let pax: PaxRecords = match entry.pax_extensions().map_err(io)? {
            Some(exts) => exts
                .filter_map(Result::ok)
                .filter_map(|e| Some((e.key().ok()?.to_string(), e.value().ok()?.to_string())))
                .collect(),
            None => Vec::new(),
        };
        let header = tar_header(&entry, unpacker)?;
        if let Some(added) = unpacker.add(header, &mut entry)? {
            inspect(&pax, added)?;
        }
    }
    let mut inner = tar.into_inner();
    io::copy(&mut inner, &mut io::sink()).map_err(io)?;
    Ok(())
}

/// The format-neutral header of a tar entry.
fn tar_header<R: Read>(
    entry: &tar::Entry<'_, R>,
    unpacker: &Unpacker,
) -> Result<EntryHeader, UnpackError> {
    let path = entry.path_bytes().into_owned();
    let shown = String::from_utf8_lossy(&path).into_owned();
    let header = entry.header();
    let bad = |what: &str, e: io::Error| {
        unpacker.format_error(format!("entry {shown:?} has a bad {what}: {e}"))
    };
    let kind = entry_kind(header).map_err(|kind| UnpackError::UnsupportedEntry {
        origin: unpacker.origin().to_string(),
        path: shown.clone(),
        kind,
    })?;
    let name = |n: Result<Option<&str>, std::str::Utf8Error>| n.ok().flatten().map(str::to_string);
    Ok(EntryHeader {
        kind,
        mode: header.mode().map_err(|e| bad("mode", e))? & 0o7777,
        uid: header.uid().map_err(|e| bad("uid", e))?,
        gid: header.gid().map_err(|e| bad("gid", e))?,
        user: name(header.username()),
        group: name(header.groupname()),
        mtime: header.mtime().map_err(|e| bad("mtime", e))?,
        size: entry.size(),
        link_target: entry.link_name_bytes().map(|b| b.into_owned()),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> EntryHeader {
        EntryHeader {
            path: path.as_bytes().to_vec(),
            kind: EntryKind::File,
            mode: 0o644,
            uid: 0,
            gid: 0,
            user: Some("root".into()),
            group: Some("root".into()),
            mtime: 1,
            size,
            link_target: None,
        }
    }

    #[test]
    fn confines_and_budgets() {
        let mut u = Unpacker::new("pkg", &ContentStore::in_memory()).with_limits(8, 10);
        let e = u
            .add(file("./../../etc/x", 3), &mut &b"abc"[..])
            .expect("ok")
            .expect("entry");
        assert_eq!(e.path, "etc/x");
        assert_eq!(e.owner_names, None);
        assert!(matches!(
            u.add(file("big", 9), &mut &[0u8; 9][..]),
            Err(UnpackError::TooLarge { .. })
        ));
        u.add(file("b", 7), &mut &[0u8; 7][..]).expect("fits");
        assert!(matches!(
            u.add(file("c", 1), &mut &[0u8; 1][..]),
            Err(UnpackError::TooLarge { .. })
        ));
    }

    #[test]
    fn refuses_unextractable_names() {
        let mut u = Unpacker::new("pkg", &ContentStore::in_memory());
        for path in [
            "a\nb".to_string(),
            "x/".repeat(2100),
            format!("d/{}", "n".repeat(256)),
        ] {
            let err = u.add(file(&path, 0), &mut &b""[..]).expect_err("refused");
            assert!(matches!(err, UnpackError::BadPath { .. }), "{err}");
        }
    }

    #[test]
    fn short_content_is_a_format_error() {
        let mut u = Unpacker::new("pkg", &ContentStore::in_memory());
        let err = u.add(file("f", 5), &mut &b"ab"[..]).expect_err("short");
        assert!(
            err.to_string().contains("ends after 2 of its 5 bytes"),
            "{err}"
        );
    }

    #[test]
    fn owner_names_kept_when_they_say_something() {
        let mut h = file("var/log/app", 0);
        h.kind = EntryKind::Dir;
        h.user = Some("root".into());
        h.group = Some("adm".into());
        h.gid = 4;
        let mut u = Unpacker::new("pkg", &ContentStore::in_memory());
        let e = u.add(h, &mut &b""[..]).expect("ok").expect("entry");
        assert_eq!(
            e.owner_names,
            Some(OwnerNames {
                user: "root".into(),
                group: "adm".into()
            })
        );
        assert_eq!((e.node.uid, e.node.gid), (0, 4));
    }
}
