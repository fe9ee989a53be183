//! Applying effects to the tree: accounts with deterministic ids,
//! directories, links, files, owners and modes, alternatives (links and
//! dpkg's database), stat overrides and trust stores.
//!
//! Effects on paths and accounts change the tree at once, so a script read
//! later sees them ([`Host`]). Alternatives, the stat-override database and
//! trust stores depend on everything registered, so [`Applier::finish`]
//! builds them at the end, in a fixed order: alternatives by name, then the
//! stat-override database, then trust stores. Every entry created or
//! changed gets the build date ([`ApplyOptions::epoch`]) as its time, so
//! equal trees and equal effects give byte-equal trees.

mod accounts;
mod alternatives;
mod paths;
mod statoverride;

use std::collections::{BTreeMap, BTreeSet};

use whittle_rootfs::{NodeKind, RootFs};

use crate::effect::{Effect, Placed, TrustStore};
use crate::host::{Host, PathState};

use alternatives::Registry;
use statoverride::Override;

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
    /// The paths each installed package ships, by package name, as
    /// `dpkg -L` prints them (absolute, directories included).
    pub package_files: BTreeMap<String, Vec<String>>,
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
    /// Providers registered so far, by alternative name.
    alternatives: Registry,
    /// Stat overrides by path.
    overrides: BTreeMap<String, Override>,
    /// Trust stores to build at the end.
    trust_stores: BTreeSet<TrustStoreKey>,
    /// Warnings gathered on the way.
    warnings: Vec<String>,
}

/// [`TrustStore`] in a sortable form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TrustStoreKey {
    JavaCacerts,
}

impl<'a> Applier<'a> {
    /// An applier over `root`.
    pub fn new(root: &'a mut RootFs, options: ApplyOptions) -> Applier<'a> {
        Applier {
            root,
            options,
            alternatives: Registry::default(),
            overrides: BTreeMap::new(),
            trust_stores: BTreeSet::new(),
            warnings: Vec::new(),
        }
    }

    /// Apply one effect now (see [`Host::apply`]). `Err` says why it could
    /// not be applied, in the words of the command that would have failed.
    pub fn apply_effect(&mut self, effect: &Placed) -> Result<(), String> {
        match &effect.effect {
            Effect::Group(g) => self.add_group(g),
            Effect::User(u) => self.add_user(u),
            Effect::Member { user, group } => self.add_member(user, group),
            Effect::Directory {
                path,
                mode,
                owner,
                group,
                parents,
            } => self.make_directory(path, *mode, owner.as_ref(), group.as_ref(), *parents),
            Effect::Symlink {
                path,
                target,
                replace,
            } => self.make_symlink(path, target, *replace),
            Effect::File {
                path,
                content,
                mode,
                owner,
                group,
                replace,
            } => self.make_file(
                path,
                content,
                *mode,
                owner.as_ref(),
                group.as_ref(),
                *replace,
            ),
            Effect::Chown {
                path,
                owner,
                group,
                recursive,
            } => self.chown(path, owner.as_ref(), group.as_ref(), *recursive),
            Effect::Chmod {
                path,
                mode,
                recursive,
            } => self.chmod(path, *mode, *recursive),
            Effect::Remove { path, recursive } => self.remove(path, *recursive),
            Effect::Alternative(alt) => self.register_alternative(alt),
            Effect::StatOverride {
                path,
                owner,
                group,
                mode,
            } => self.add_override(path, owner, group, *mode),
            Effect::TrustStore(TrustStore::JavaCacerts) => {
                self.trust_stores.insert(TrustStoreKey::JavaCacerts);
                Ok(())
            }
        }
    }

    /// The deferred work: alternatives' links and database, the
    /// stat-override database, trust stores.
    pub fn finish(mut self) -> Result<Applied, EffectsError> {
        // Alternatives by name (the registry is ordered), then choices for
        // names nobody registered.
        self.finish_alternatives()?;
        // The stat-override database.
        self.write_override_db()
            .map_err(|why| EffectsError::Failed {
                what: "writing the stat-override database".to_string(),
                why,
            })?;
        // Trust stores.
        for store in std::mem::take(&mut self.trust_stores) {
            match store {
                TrustStoreKey::JavaCacerts => {
                    self.build_java_cacerts()
                        .map_err(|why| EffectsError::Failed {
                            what: "building the Java trust store /etc/ssl/certs/java/cacerts"
                                .to_string(),
                            why,
                        })?;
                }
            }
        }
        Ok(Applied {
            warnings: self.warnings,
        })
    }

    /// ca-certificates-java's store, from the certificates the CA bundle
    /// links under `/etc/ssl/certs`.
    fn build_java_cacerts(&mut self) -> Result<(), String> {
        let built = crate::java_keystore::cacerts_from_tree(self.root, self.options.epoch);
        self.warnings.extend(built.warnings);
        self.write_file_bytes(
            crate::java_keystore::CACERTS_PATH,
            built.keystore,
            0o644,
            (0, 0),
        )
    }
}

impl Host for Applier<'_> {
    fn stat(&self, path: &str, follow: bool) -> PathState {
        let node = if follow {
            self.root.lookup(path)
        } else {
            self.root.get(path)
        };
        let Some(node) = node else {
            return PathState::Missing;
        };
        match &node.kind {
            NodeKind::Dir => PathState::Dir,
            NodeKind::File(c) => PathState::File {
                executable: node.mode & 0o111 != 0,
                size: c.len(),
            },
            NodeKind::Hardlink(target) => match self.root.lookup(target) {
                Some(t) => PathState::File {
                    executable: t.mode & 0o111 != 0,
                    size: t.content().map_or(0, whittle_rootfs::Content::len),
                },
                None => PathState::Missing,
            },
            NodeKind::Symlink(target) => PathState::Symlink {
                target: target.clone(),
            },
            NodeKind::CharDevice { .. } | NodeKind::Fifo => PathState::Other,
        }
    }

    fn user_exists(&self, name: &str) -> bool {
        self.accounts().user(name).is_some()
    }

    fn group_exists(&self, name: &str) -> bool {
        self.accounts().group(name).is_some()
    }

    fn on_path(&self, command: &str) -> bool {
        let executable = |p: &str| {
            matches!(
                self.stat(p, true),
                PathState::File {
                    executable: true,
                    ..
                }
            )
        };
        if command.contains('/') {
            return executable(command);
        }
        self.options
            .path
            .iter()
            .any(|dir| executable(&format!("{}/{command}", dir.trim_end_matches('/'))))
    }

    fn read_text(&self, path: &str) -> Option<String> {
        let bytes = self.root.read_file(path)?;
        String::from_utf8(bytes.into_owned()).ok()
    }

    fn arch(&self) -> &str {
        &self.options.arch
    }

    fn package_files(&self, package: &str) -> Option<Vec<String>> {
        self.options.package_files.get(package).cloned()
    }

    fn apply(&mut self, effect: Placed) -> Result<(), String> {
        self.apply_effect(&effect)
    }
}

#[cfg(test)]
mod tests;
