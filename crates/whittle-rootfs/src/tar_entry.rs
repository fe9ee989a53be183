//! What a tar entry from a package stands for, shared by every package
//! world's unpacker (`.deb` data.tar, `.apk` data member): the same entry
//! types are accepted and refused everywhere.

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
