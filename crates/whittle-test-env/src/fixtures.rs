//! The shared fixtures: real upstream data (mirror slices, packages,
//! indexes, test vectors), kept beside the repository in
//! `../shared/fixtures` rather than in it. Each folder there has a
//! `PROVENANCE.md` saying where its files come from.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

/// The variable that points the tests at the fixtures when they are not in
/// `../shared/fixtures` beside the repository.
pub const ENV: &str = "WHITTLE_FIXTURES";

/// The fixtures folder: `$WHITTLE_FIXTURES` when set (absolute, or relative
/// to the repository root), else `../shared/fixtures` beside the repository.
///
/// # Panics
///
/// When that folder does not exist; the message says where the fixtures
/// are expected and how to point at them.
#[track_caller]
pub fn dir() -> PathBuf {
    let value = std::env::var_os(ENV);
    match locate(value.as_deref(), &default_dir()) {
        Ok(dir) => dir,
        Err(e) => panic!("{e}"),
    }
}

/// `rel` inside the fixtures folder.
///
/// # Panics
///
/// When the folder is missing (see [`dir`]) or has no `rel`.
#[track_caller]
pub fn path(rel: impl AsRef<Path>) -> PathBuf {
    let dir = dir();
    let path = dir.join(rel.as_ref());
    assert!(
        path.exists(),
        "the fixture {} is not in {}: that copy of the fixtures is incomplete or older than \
         these tests (each folder's PROVENANCE.md says what it should hold)",
        rel.as_ref().display(),
        dir.display()
    );
    path
}

/// The repository root (the workspace this crate belongs to).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/whittle-test-env → crates → the root.
    manifest
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| manifest.join("../.."), Path::to_path_buf)
}

/// `../shared/fixtures` beside the repository root.
pub fn default_dir() -> PathBuf {
    let root = repo_root();
    root.parent()
        .map_or_else(|| root.join(".."), Path::to_path_buf)
        .join("shared/fixtures")
}

/// Where the fixtures are, given the value of [`ENV`] (if set) and the
/// default folder; [`dir`] without the environment, for tests.
///
/// # Errors
///
/// [`NotFound`] when the chosen folder is not a directory.
pub fn locate(env_value: Option<&OsStr>, default: &Path) -> Result<PathBuf, NotFound> {
    let (dir, from_env) = match env_value.filter(|v| !v.is_empty()) {
        Some(v) => (repo_root().join(v), true),
        None => (default.to_path_buf(), false),
    };
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(NotFound {
            expected: dir,
            from_env,
        })
    }
}

/// The fixtures folder does not exist.
#[derive(Debug)]
pub struct NotFound {
    /// The folder that was looked for.
    pub expected: PathBuf,
    /// Whether it came from [`ENV`] (else it is the default).
    pub from_env: bool,
}

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.expected.display();
        if self.from_env {
            write!(
                f,
                "test fixtures not found: {ENV} points at {shown}, which is not a directory. \
                 Set {ENV} to the shared fixtures folder (absolute, or relative to the \
                 repository root), or unset it to use ../shared/fixtures beside the repository"
            )
        } else {
            write!(
                f,
                "test fixtures not found: expected them in {shown} (../shared/fixtures beside \
                 the repository root). Put the shared fixtures there, or set {ENV}=/path/to/fixtures"
            )
        }
    }
}

impl std::error::Error for NotFound {}
