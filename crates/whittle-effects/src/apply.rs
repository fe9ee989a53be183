//! Applying effects to the tree: accounts with deterministic ids,
//! directories, links, files, owners and modes, alternatives (links and
//! dpkg's database), stat overrides and trust stores.
//!
//! (Stub: the applier lands in its own change.)

use std::collections::BTreeMap;

use whittle_rootfs::RootFs;

use crate::effect::Placed;
use crate::host::{Host, PathState};

/// How the effects are applied.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Time of every created entry (the build date).
    pub epoch: i64,
    /// The architecture as the package manager names it (`amd64`).
    pub arch: String,
    /// Where the alternatives database goes (`/var/lib/dpkg/alternatives`;
    /// RPM: `/var/lib/alternatives`); `None` writes none.
    pub alternatives_db: Option<String>,
    /// Where the stat-override database goes (`/var/lib/dpkg/statoverride`);
    /// `None` writes none.
    pub statoverride_db: Option<String>,
    /// Providers the recipe chose, by alternative name (`java` →
    /// `/usr/lib/jvm/…/bin/java`), instead of the highest priority.
    pub choices: BTreeMap<String, String>,
    /// The image's `PATH` directories, for `which` and `command -v`.
    pub path: Vec<String>,
}

/// What applying did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Warnings for the user.
    pub warnings: Vec<String>,
}

/// An effect that cannot be applied at all (as opposed to one a script
/// asked for that the tree does not allow, which is reported per command).
#[derive(Debug, thiserror::Error)]
pub enum EffectsError {
    /// The recipe chose a provider no package registered.
    #[error("alternatives: {name}: {path} is not a provider of {name} (registered: {registered}); pick one of those in the recipe's `alternatives:`")]
    UnknownChoice {
        /// The alternative.
        name: String,
        /// The path the recipe chose.
        path: String,
        /// The registered providers, comma-separated.
        registered: String,
    },
    /// Any other failure, with what was being done.
    #[error("{what}: {why}")]
    Failed {
        /// What was being done (names the origin).
        what: String,
        /// Why it failed.
        why: String,
    },
}

/// Applies effects to one tree, in the order given.
pub struct Applier<'a> {
    root: &'a mut RootFs,
    options: ApplyOptions,
}

impl<'a> Applier<'a> {
    /// An applier over `root`.
    pub fn new(root: &'a mut RootFs, options: ApplyOptions) -> Applier<'a> {
        Applier { root, options }
    }

    /// Apply one effect now (see [`Host::apply`]).
    pub fn apply_effect(&mut self, effect: &Placed) -> Result<(), String> {
        let _ = (&self.root, effect);
        Ok(())
    }

    /// The deferred work: alternatives' links and database, the
    /// stat-override database, trust stores.
    pub fn finish(self) -> Result<Applied, EffectsError> {
        let _ = (self.root, self.options);
        Ok(Applied::default())
    }
}

impl Host for Applier<'_> {
    fn stat(&self, _path: &str, _follow: bool) -> PathState {
        PathState::Missing
    }
    fn user_exists(&self, _name: &str) -> bool {
        false
    }
    fn group_exists(&self, _name: &str) -> bool {
        false
    }
    fn on_path(&self, _command: &str) -> bool {
        false
    }
    fn read_text(&self, _path: &str) -> Option<String> {
        None
    }
    fn arch(&self) -> &str {
        &self.options.arch
    }
    fn apply(&mut self, effect: Placed) -> Result<(), String> {
        self.apply_effect(&effect)
    }
}
