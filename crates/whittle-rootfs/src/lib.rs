//! The in-memory root filesystem an image is assembled in.
//!
//! Packages are unpacked into a [`RootFs`], never onto the host. Every path
//! is resolved inside the root the way a chroot would: `..` stops at `/`,
//! absolute symlink targets start again at the root, and links are followed
//! through the tree itself, so a hostile package cannot reach outside.
//! [`RootFs::write_tar`] turns the tree into a layer tar whose bytes depend
//! only on the tree (sorted entries, normalised headers, numeric owners).
//! [`ldcache`] matches `ld.so.conf` `include` globs with the `globset` crate.
//!
//! ```
//! use whittle_rootfs::{Node, RootFs};
//! let mut fs = RootFs::new();
//! fs.insert("usr/bin", Node::dir(0o755)).unwrap();
//! fs.insert("bin", Node::symlink("usr/bin")).unwrap();
//! // A file shipped under /bin lands in /usr/bin, as on a merged-/usr system.
//! let at = fs.insert("/bin/true", Node::file(b"#!".to_vec(), 0o755)).unwrap();
//! assert_eq!(at, "usr/bin/true");
//! ```
#![deny(missing_docs)]

pub mod accounts;
mod content;
pub mod elf;
mod error;
pub mod ldcache;
mod node;
mod path;
mod tree;
pub mod unpack;
mod write_tar;

pub use content::{
    Content, ContentReader, ContentStore, StoreError, DEFAULT_TOTAL_LIMIT, INLINE_BUDGET,
    INLINE_FILE_MAX,
};
pub use error::FsError;
pub use node::{Node, NodeKind};
pub use path::{clean_relative, join_display};
pub use tree::RootFs;
