//! What a script reader may ask of the tree it reads the script against,
//! and how it hands over the effects it found.

use crate::effect::Placed;

/// What is at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathState {
    /// Nothing.
    Missing,
    /// A regular file.
    File {
        /// Any execute bit is set.
        executable: bool,
        /// Its size in bytes.
        size: u64,
    },
    /// A directory.
    Dir,
    /// A symbolic link (only when asked not to follow it).
    Symlink {
        /// Its target, verbatim.
        target: String,
    },
    /// A device, fifo or socket.
    Other,
}

/// The tree as a script sees it while it runs: every effect applied so far
/// (this script's earlier commands and every earlier package's) is visible.
pub trait Host {
    /// What is at `path` (absolute), following a final symlink when `follow`.
    fn stat(&self, path: &str, follow: bool) -> PathState;

    /// Whether the user exists in the tree's `/etc/passwd`.
    fn user_exists(&self, name: &str) -> bool;

    /// Whether the group exists in the tree's `/etc/group`.
    fn group_exists(&self, name: &str) -> bool;

    /// Whether `command` is found on the image's `PATH` (for `which`,
    /// `command -v`, `[ -x "$(command -v …)" ]`).
    fn on_path(&self, command: &str) -> bool;

    /// The text of a file in the tree (for `.` of a defaults file).
    fn read_text(&self, path: &str) -> Option<String>;

    /// The architecture as the package manager names it (`amd64`), for
    /// `dpkg --print-architecture`.
    fn arch(&self) -> &str;

    /// The paths an installed package ships, as `dpkg -L` prints them
    /// (absolute, directories included); `None` when the package is not
    /// installed or the host does not know.
    fn package_files(&self, package: &str) -> Option<Vec<String>> {
        let _ = package;
        None
    }

    /// Apply an effect now. `Err` says why it could not be (a missing
    /// source file, a name that does not resolve); the reader then reports
    /// the command as not emulated with that reason.
    fn apply(&mut self, effect: Placed) -> Result<(), String>;
}
