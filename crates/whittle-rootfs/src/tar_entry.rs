//! What a tar entry from a package stands for, shared by every package
//! world's unpacker (`.deb` data.tar, `.apk` data member): the same entry
//! types are accepted and refused everywhere.

use std::io::Read;

use tar::Header;

/// The kind of a package tar entry, before its content or link target is read.
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

/// Classify a header. The error names what is refused (block devices,
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

/// Largest single file a package may carry.
pub const MAX_FILE_SIZE: u64 = 2 << 30;
/// Largest total of file contents one package may carry.
pub const MAX_DATA_SIZE: u64 = 8 << 30;
/// Most memory reserved up front for one file; larger files grow as read,
/// so a lying size header cannot make us allocate what is not there.
const MAX_PREALLOC: u64 = 16 << 20;

/// A file's content could not be read within the limits.
#[derive(Debug)]
pub enum ContentError {
    /// The file alone is over [`MAX_FILE_SIZE`].
    File {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The package's files together are over [`MAX_DATA_SIZE`].
    Total {
        /// The total so far.
        total: u64,
        /// The limit.
        limit: u64,
    },
    /// Reading failed.
    Io(std::io::Error),
}

/// Reads package file contents, bounding each file and their sum before
/// anything is allocated.
#[derive(Debug, Default)]
pub struct ContentBudget {
    used: u64,
}

impl ContentBudget {
    /// Bytes of file content read so far.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Read `size` bytes of file content from `reader`.
    pub fn read<R: Read>(&mut self, reader: R, size: u64) -> Result<Vec<u8>, ContentError> {
        if size > MAX_FILE_SIZE {
            return Err(ContentError::File {
                size,
                limit: MAX_FILE_SIZE,
            });
        }
        self.used = self.used.saturating_add(size);
        if self.used > MAX_DATA_SIZE {
            return Err(ContentError::Total {
                total: self.used,
                limit: MAX_DATA_SIZE,
            });
        }
        let capacity = usize::try_from(size.min(MAX_PREALLOC)).unwrap_or(0);
        let mut content = Vec::with_capacity(capacity);
        reader
            .take(size)
            .read_to_end(&mut content)
            .map_err(ContentError::Io)?;
        Ok(content)
    }
}
