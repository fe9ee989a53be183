//! What can go wrong while placing entries in the tree.

/// An entry could not be placed in the root filesystem.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// A path component that must be a directory is a file.
    #[error("/{path} is not a directory, so /{wanted} cannot be created under it")]
    NotADirectory {
        /// The non-directory on the way.
        path: String,
        /// The path that was being placed.
        wanted: String,
    },
    /// Symbolic links loop or nest too deeply.
    #[error("too many levels of symbolic links resolving /{path}")]
    SymlinkLoop {
        /// The path being resolved.
        path: String,
    },
    /// A non-directory would replace a directory that has entries.
    #[error("/{path} is a non-empty directory and cannot be replaced by a {kind}")]
    ReplacesDirectory {
        /// The directory.
        path: String,
        /// What was to replace it.
        kind: &'static str,
    },
    /// A hard link names a target that is not a regular file in the tree.
    #[error("hard link /{path} points to /{target}, which is not a regular file in the image")]
    BadHardlink {
        /// The link.
        path: String,
        /// Its target.
        target: String,
    },
    /// The path is empty or names the root itself.
    #[error("the path {0:?} names the root directory; an entry needs a name")]
    EmptyPath(String),
}
