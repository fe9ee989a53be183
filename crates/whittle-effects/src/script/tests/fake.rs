//! An in-memory tree that records the effects applied to it.

use std::collections::{BTreeMap, BTreeSet};

use crate::effect::{Effect, FileContent, Placed};
use crate::host::{Host, PathState};

/// Paths, accounts and the effects applied, in order.
#[derive(Debug, Default)]
pub(crate) struct FakeHost {
    pub(crate) paths: BTreeMap<String, PathState>,
    pub(crate) texts: BTreeMap<String, String>,
    pub(crate) users: BTreeSet<String>,
    pub(crate) groups: BTreeSet<String>,
    pub(crate) commands: BTreeSet<String>,
    /// What each installed package ships, as `dpkg -L` prints it.
    pub(crate) packages: BTreeMap<String, Vec<String>>,
    pub(crate) applied: Vec<Placed>,
}

impl FakeHost {
    /// A tree with root, a few base directories and these entries.
    pub(crate) fn new() -> FakeHost {
        let mut h = FakeHost::default();
        for d in [
            "/",
            "/etc",
            "/usr",
            "/usr/bin",
            "/usr/share",
            "/var",
            "/var/lib",
            "/var/log",
            "/run",
            "/var/run",
            "/var/lock",
        ] {
            h.dir(d);
        }
        for u in ["root", "daemon", "www-data"] {
            h.users.insert(u.into());
        }
        for g in ["root", "adm", "staff", "mail", "www-data"] {
            h.groups.insert(g.into());
        }
        h
    }

    pub(crate) fn dir(&mut self, p: &str) -> &mut Self {
        self.paths.insert(p.into(), PathState::Dir);
        self
    }

    pub(crate) fn file(&mut self, p: &str) -> &mut Self {
        self.paths.insert(
            p.into(),
            PathState::File {
                executable: false,
                size: 1,
            },
        );
        self
    }

    pub(crate) fn text(&mut self, p: &str, text: &str) -> &mut Self {
        self.file(p);
        self.texts.insert(p.into(), text.into());
        self
    }

    /// The effects applied, without their origins.
    pub(crate) fn effects(&self) -> Vec<&Effect> {
        self.applied.iter().map(|p| &p.effect).collect()
    }
}

impl Host for FakeHost {
    fn stat(&self, path: &str, follow: bool) -> PathState {
        match self.paths.get(path).cloned().unwrap_or(PathState::Missing) {
            PathState::Symlink { target } if follow => {
                let t = if target.starts_with('/') {
                    target
                } else {
                    format!("{}/{target}", super::super::subst::dirname(path))
                };
                self.paths.get(&t).cloned().unwrap_or(PathState::Missing)
            }
            s => s,
        }
    }

    fn user_exists(&self, name: &str) -> bool {
        self.users.contains(name)
    }

    fn group_exists(&self, name: &str) -> bool {
        self.groups.contains(name)
    }

    fn on_path(&self, command: &str) -> bool {
        self.commands.contains(command)
    }

    fn read_text(&self, path: &str) -> Option<String> {
        self.texts.get(path).cloned()
    }

    fn arch(&self) -> &str {
        "amd64"
    }

    fn package_files(&self, package: &str) -> Option<Vec<String>> {
        self.packages.get(package).cloned()
    }

    fn apply(&mut self, placed: Placed) -> Result<(), String> {
        match &placed.effect {
            Effect::Directory { path, .. } => {
                self.paths.insert(path.clone(), PathState::Dir);
            }
            Effect::Symlink {
                path,
                target,
                replace,
            } if *replace || !self.paths.contains_key(path) => {
                self.paths.insert(
                    path.clone(),
                    PathState::Symlink {
                        target: target.clone(),
                    },
                );
            }
            Effect::File {
                path,
                content,
                replace,
                ..
            } => {
                if let FileContent::CopyOf(src) = content {
                    if !self.paths.contains_key(src) {
                        return Err(format!("{src} is missing"));
                    }
                }
                if *replace || !self.paths.contains_key(path) {
                    self.paths.insert(
                        path.clone(),
                        PathState::File {
                            executable: false,
                            size: 0,
                        },
                    );
                }
            }
            Effect::Chown { path, .. } | Effect::Chmod { path, .. }
                if !self.paths.contains_key(path) =>
            {
                return Err(format!("{path} does not exist"));
            }
            Effect::Remove { path, .. } => {
                self.paths.remove(path);
            }
            Effect::User(u) => {
                self.users.insert(u.name.clone());
                if matches!(u.group, crate::PrimaryGroup::OwnName) {
                    self.groups.insert(u.name.clone());
                }
            }
            Effect::Group(g) => {
                self.groups.insert(g.name.clone());
            }
            _ => {}
        }
        self.applied.push(placed);
        Ok(())
    }
}
