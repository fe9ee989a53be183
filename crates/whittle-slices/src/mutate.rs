//! Chisel's `mutate:` scripts: Starlark run against a sandboxed view of the
//! cut tree, as `internal/scripts/scripts.go` and `internal/slicer/slicer.go`
//! in canonical/chisel (v1.4.1) run them.
//!
//! # The language
//!
//! Starlark with Chisel's file options: `if` and `for` at the top level
//! and reassignment of globals allowed; no `while`, no `load`, no `set`.
//! The only global besides the standard built-ins is `content`. Each job
//! runs in a fresh module, in the order given (the selection order, so
//! essentials first).
//!
//! # `content`
//!
//! Every path is absolute in the image. A path is cleaned (Go's
//! `filepath.Clean`, a trailing `/` kept for a directory) and then checked
//! against the [`MutateRules`]:
//!
//! * `content.read(path)` → `str`: `path` must be known (listed by a
//!   selected slice, or a parent directory of one). Asking for a known
//!   directory without its `/` fails with "content is not a file".
//! * `content.list(path)` → `list` of `str`: a `/` is appended to `path`,
//!   which must then be a known directory. The names are all the
//!   directory's entries (not only known ones), sorted by name, with a `/`
//!   after directories (not after symlinks to directories).
//! * `content.write(path, data)`, `data` a `str` → `None`: `path` must be
//!   known `mutable: true` and not a hard link. The file keeps its mode.
//!
//! Arguments may be given by position or by name (`path=`, `data=`). When
//! the last component of a path is a symlink, the target (relative to the
//! link's directory) is checked by the same rule and read, listed or
//! written instead; so is a chain of them. A symlink never leads out of
//! the root: `..` stops at `/`, and an absolute target starts at the root
//! (Chisel's "Absolute symlinks do not escape the root" rule). A link
//! target is checked without a trailing `/`, so, as in Chisel,
//! `content.list` through a symlink to a directory fails with "content is
//! not a file".
//!
//! # Where whittle differs, on purpose
//!
//! * Chisel joins an absolute symlink target to the link's own directory
//!   (a Go `filepath.Join` quirk); whittle starts it at the root, as the
//!   link means. A script only sees the difference where Chisel fails.
//! * Starlark strings here are UTF-8: reading a file that is not UTF-8
//!   text fails ([`ContentError::NotUtf8`]) where Go's byte strings would
//!   carry it.
//! * Recursion, which Go's Starlark refuses, is not refused; instead every
//!   script is bounded: [`MAX_TICKS`] function calls and loop iterations,
//!   a call stack of [`MAX_CALL_DEPTH`] and a heap of [`MAX_HEAP_BYTES`]
//!   (Chisel has no bound; without `while` and recursion its scripts end,
//!   but may take long).
//! * `print` output is collected in [`MutateOutcome::printed`], never
//!   written anywhere.
//!
//! # Example
//!
//! ```
//! use std::collections::BTreeMap;
//! use whittle_slices::mutate::{self, EntryKind, MutateJob, MutateRules, MutateTree, PathFlags};
//!
//! #[derive(Default)]
//! struct Tree(BTreeMap<String, Vec<u8>>);
//! impl MutateTree for Tree {
//!     fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
//!         Ok(self.0.get(path).cloned())
//!     }
//!     fn entry_kind(&self, path: &str) -> Option<EntryKind> {
//!         if self.0.contains_key(path) {
//!             Some(EntryKind::File)
//!         } else if path == "/" || self.0.keys().any(|k| k.starts_with(&format!("{path}/"))) {
//!             Some(EntryKind::Dir)
//!         } else {
//!             None
//!         }
//!     }
//!     fn list_dir(&self, _dir: &str) -> Result<Vec<String>, String> {
//!         Ok(Vec::new())
//!     }
//!     fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), String> {
//!         self.0.insert(path.to_owned(), data.to_vec());
//!         Ok(())
//!     }
//! }
//!
//! let mut tree = Tree::default();
//! tree.0.insert("/etc/hostname".into(), b"FIXME".to_vec());
//! let mut rules = MutateRules::new();
//! rules.add("/etc/hostname", PathFlags { mutable: true, hard_link: false })?;
//! let job = MutateJob {
//!     slice: "base-files_host".into(),
//!     script: "content.write('/etc/hostname', 'box\\n')".into(),
//! };
//! let outcome = mutate::run(&mut tree, &rules, &[job])?;
//! assert_eq!(tree.0["/etc/hostname"], b"box\n");
//! assert_eq!(outcome.written, ["/etc/hostname"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod content;
mod paths;
mod rules;
mod script;

pub use rules::{MutateRules, PathFlags};

/// Function calls plus loop iterations one script may run.
pub const MAX_TICKS: u64 = 50_000_000;
/// Nested calls one script may make.
pub const MAX_CALL_DEPTH: usize = 200;
/// Bytes one script's Starlark heap may hold (checked now and then by the
/// interpreter, so a best effort).
pub const MAX_HEAP_BYTES: usize = 1 << 30;

/// What a mutation script may see and touch. Implemented by the integrator
/// over the image tree.
///
/// Paths are absolute and clean, with no trailing `/`, and have no symlink
/// in a directory component (the sandbox resolves those first).
pub trait MutateTree {
    /// The content of the regular file at `path`; `None` when there is no
    /// entry. Symlinks are not followed here.
    ///
    /// # Errors
    ///
    /// A message for a file that exists but cannot be read.
    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, String>;

    /// What is at `path`, not following a symlink there; `None` when
    /// nothing is.
    fn entry_kind(&self, path: &str) -> Option<EntryKind>;

    /// The names in directory `dir`, subdirectories with a trailing `/`
    /// (symlinks without one); any order.
    ///
    /// # Errors
    ///
    /// A message when the directory cannot be listed.
    fn list_dir(&self, dir: &str) -> Result<Vec<String>, String>;

    /// Replace the content of the file at `path`, keeping its mode (a file
    /// that does not exist is created with mode 0644, as Chisel's
    /// `O_CREATE` would).
    ///
    /// # Errors
    ///
    /// A message when the file cannot be written.
    fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), String>;
}

/// The kind of a tree entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file (a hard link included).
    File,
    /// A directory.
    Dir,
    /// A symbolic link, with its target as stored.
    Symlink(String),
}

/// One slice's script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutateJob {
    /// The slice, as `pkg_slice`.
    pub slice: String,
    /// The `mutate:` text.
    pub script: String,
}

/// What running the scripts did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MutateOutcome {
    /// Every file written, as resolved in the tree (a write through a
    /// symlink names the target), sorted. Chisel records a written file's
    /// new digest as the manifest's `final_sha256` (with its new `size`)
    /// when it differs from the file's original `sha256`.
    pub written: Vec<String>,
    /// What the scripts printed, in order: the slice and the line.
    pub printed: Vec<(String, String)>,
}

/// A `content` call refused or failed. The messages are Chisel's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// The path does not start with `/`.
    #[error("content path must be absolute, got: {path}")]
    NotAbsolute {
        /// The path as given.
        path: String,
    },
    /// A file no selected slice lists.
    #[error("cannot read file which is not selected: {path}")]
    FileNotSelected {
        /// The clean path.
        path: String,
    },
    /// A directory no selected slice lists (or has below it).
    #[error("cannot list directory which is not selected: {path}")]
    DirectoryNotSelected {
        /// The clean path, with its `/`.
        path: String,
    },
    /// A known directory asked for as a file.
    #[error("content is not a file: {path}")]
    NotAFile {
        /// The clean path.
        path: String,
    },
    /// A known file asked for as a directory.
    #[error("content is not a directory: {path}")]
    NotADirectory {
        /// The clean path.
        path: String,
    },
    /// A write to a path not listed `mutable: true`.
    #[error("cannot write file which is not mutable: {path}")]
    NotMutable {
        /// The clean path.
        path: String,
    },
    /// A write to a hard link.
    #[error("cannot mutate a hard link: {path}")]
    HardLink {
        /// The clean path.
        path: String,
    },
    /// Nothing at the path.
    #[error("{op} {path}: no such file or directory")]
    NotFound {
        /// The operation, as Go names it (`open`).
        op: &'static str,
        /// The path as given.
        path: String,
    },
    /// A directory where a file is needed.
    #[error("{op} {path}: is a directory")]
    IsADirectory {
        /// The operation, as Go names it (`open`, `read`).
        op: &'static str,
        /// The path as given.
        path: String,
    },
    /// A file where a directory is needed.
    #[error("open {path}: not a directory")]
    NotADirectoryOs {
        /// The path as given.
        path: String,
    },
    /// A symlink chain too long, or a loop.
    #[error("open {path}: too many levels of symbolic links")]
    SymlinkLoop {
        /// The path as given.
        path: String,
    },
    /// A file read whose content is not UTF-8 (Starlark strings here are).
    #[error("read {path}: content is not UTF-8 text")]
    NotUtf8 {
        /// The path as given.
        path: String,
    },
    /// The tree failed.
    #[error("{path}: {message}")]
    Tree {
        /// The path as given.
        path: String,
        /// The tree's message.
        message: String,
    },
}

impl ContentError {
    /// The path the error is about.
    #[must_use]
    pub fn path(&self) -> &str {
        match self {
            Self::NotAbsolute { path }
            | Self::FileNotSelected { path }
            | Self::DirectoryNotSelected { path }
            | Self::NotAFile { path }
            | Self::NotADirectory { path }
            | Self::NotMutable { path }
            | Self::HardLink { path }
            | Self::NotFound { path, .. }
            | Self::IsADirectory { path, .. }
            | Self::NotADirectoryOs { path }
            | Self::SymlinkLoop { path }
            | Self::NotUtf8 { path }
            | Self::Tree { path, .. } => path,
        }
    }
}

/// A script that failed: where, and why.
#[derive(Debug, thiserror::Error)]
pub enum MutateError {
    /// The script does not parse (or uses what the dialect forbids).
    #[error("slice {slice}: mutate{}: {message}", at_line(*.line))]
    Syntax {
        /// The slice, `pkg_slice`.
        slice: String,
        /// The script line (1-based).
        line: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// A `content` call was refused or failed.
    #[error("slice {slice}: mutate{}: {source}", at_line(*.line))]
    Content {
        /// The slice, `pkg_slice`.
        slice: String,
        /// The script line of the call (1-based).
        line: Option<usize>,
        /// What went wrong, with the path.
        #[source]
        source: ContentError,
    },
    /// The script failed otherwise: `fail()`, a type error, a bound hit.
    #[error("slice {slice}: mutate{}: {message}", at_line(*.line))]
    Eval {
        /// The slice, `pkg_slice`.
        slice: String,
        /// The script line (1-based), when known.
        line: Option<usize>,
        /// The interpreter's message.
        message: String,
    },
}

impl MutateError {
    /// The slice whose script failed.
    #[must_use]
    pub fn slice(&self) -> &str {
        match self {
            Self::Syntax { slice, .. } | Self::Content { slice, .. } | Self::Eval { slice, .. } => {
                slice
            }
        }
    }

    /// The script line, when known.
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Syntax { line, .. } | Self::Content { line, .. } | Self::Eval { line, .. } => {
                *line
            }
        }
    }
}

fn at_line(line: Option<usize>) -> String {
    line.map(|n| format!(" line {n}")).unwrap_or_default()
}

/// Run the `jobs`' scripts in order against `tree`, with `rules` deciding
/// what each may read, list and write. Stops at the first failure; what
/// earlier scripts (and the failing one, up to its failure) wrote stays
/// written.
///
/// # Errors
///
/// [`MutateError`] naming the slice and the script line.
pub fn run(
    tree: &mut dyn MutateTree,
    rules: &MutateRules,
    jobs: &[MutateJob],
) -> Result<MutateOutcome, MutateError> {
    let mut content = content::Content::new(tree, rules);
    let printed = script::run_all(&mut content, jobs)?;
    Ok(MutateOutcome {
        written: content.written.into_iter().collect(),
        printed,
    })
}
