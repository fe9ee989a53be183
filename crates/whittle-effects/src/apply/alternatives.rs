//! Alternatives as dpkg's `update-alternatives` (utils/update-alternatives.c)
//! leaves them after a run of `--install` calls in automatic mode.
//!
//! Choosing: each registration is followed by dpkg's pick: start from the
//! current provider (the first one registered, at first), then take any
//! provider with a strictly higher priority, scanning the providers in
//! dpkg's list order (sorted by path as the database stores them, a newly
//! registered path last). So on equal priorities the provider registered
//! first stays. Registering a path again replaces its priority and slaves.
//!
//! Links: `LINK → /etc/alternatives/NAME → PATH`, and for each slave the
//! chosen provider has whose file exists in the tree (dpkg `stat`s it and
//! skips the slave otherwise) `SLINK → /etc/alternatives/SNAME → SPATH`.
//! A generic link where a real file or directory stands is left alone with a
//! warning, as dpkg does without `--force`.
//!
//! The database file `<admindir>/NAME`: the status (`auto`, or `manual` when
//! the recipe chose, as `--set` leaves it), the master link, `slave name` and
//! `slave link` pairs sorted by name (only slaves some provider has), an
//! empty line, then per provider sorted by path: its path, its priority, and
//! per slave its file or an empty line; an empty line ends the file.

use std::collections::BTreeMap;

use whittle_rootfs::NodeKind;

use crate::effect::Alternative;
use crate::host::{Host, PathState};

use super::{Applier, EffectsError};

const ALT_DIR: &str = "/etc/alternatives";

/// The providers registered for one alternative name.
#[derive(Debug, Clone, Default)]
struct Group {
    /// The generic link (the latest registration's).
    link: String,
    /// Slave links by slave name (the latest registration's).
    slave_links: BTreeMap<String, String>,
    /// Providers in dpkg's list order.
    providers: Vec<Alternative>,
    /// The provider automatic mode has picked so far.
    current: String,
}

impl Group {
    fn provider(&self, path: &str) -> Option<&Alternative> {
        self.providers.iter().find(|p| p.path == path)
    }

    /// Register (or re-register) a provider and redo dpkg's pick.
    fn register(&mut self, alt: &Alternative) {
        self.link.clone_from(&alt.link);
        for slave in &alt.slaves {
            self.slave_links
                .insert(slave.name.clone(), slave.link.clone());
        }
        // Between runs dpkg reloads its database, sorted by path.
        self.providers.sort_by(|a, b| a.path.cmp(&b.path));
        match self.providers.iter_mut().find(|p| p.path == alt.path) {
            Some(existing) => *existing = alt.clone(),
            None => self.providers.push(alt.clone()),
        }
        let Some(first) = self.providers.first() else {
            return;
        };
        let mut best = self.provider(&self.current).unwrap_or(first);
        for p in &self.providers {
            if p.priority > best.priority {
                best = p;
            }
        }
        self.current = best.path.clone();
    }

    /// The slave names some provider has a file for, sorted.
    fn live_slaves(&self) -> Vec<(&str, &str)> {
        self.slave_links
            .iter()
            .filter(|(name, _)| {
                self.providers.iter().any(|p| {
                    p.slaves
                        .iter()
                        .any(|s| &s.name == *name && !s.path.is_empty())
                })
            })
            .map(|(n, l)| (n.as_str(), l.as_str()))
            .collect()
    }

    /// dpkg's administrative file for this group.
    fn database_text(&self, manual: bool) -> String {
        let slaves = self.live_slaves();
        let mut out = String::new();
        out.push_str(if manual { "manual\n" } else { "auto\n" });
        out.push_str(&self.link);
        out.push('\n');
        for (name, link) in &slaves {
            out.push_str(&format!("{name}\n{link}\n"));
        }
        out.push('\n');
        let mut providers: Vec<&Alternative> = self.providers.iter().collect();
        providers.sort_by(|a, b| a.path.cmp(&b.path));
        for p in providers {
            out.push_str(&format!("{}\n{}\n", p.path, p.priority));
            for (name, _) in &slaves {
                let file = p
                    .slaves
                    .iter()
                    .find(|s| s.name == *name)
                    .map_or("", |s| s.path.as_str());
                out.push_str(file);
                out.push('\n');
            }
        }
        out.push('\n');
        out
    }
}

/// Every alternative registered, by name.
#[derive(Debug, Clone, Default)]
pub(super) struct Registry {
    groups: BTreeMap<String, Group>,
}

impl Applier<'_> {
    /// `update-alternatives --install`: record the provider.
    pub(super) fn register_alternative(&mut self, alt: &Alternative) -> Result<(), String> {
        for (what, value) in [
            ("name", &alt.name),
            ("link", &alt.link),
            ("path", &alt.path),
        ] {
            if value.is_empty() || value.contains('\n') {
                return Err(format!("invalid alternative {what} {value:?}"));
            }
        }
        if alt.name.contains('/') {
            return Err(format!(
                "alternative name ({}) must not contain '/'",
                alt.name
            ));
        }
        if self.stat(&alt.path, true) == PathState::Missing {
            return Err(format!("alternative path {} doesn't exist", alt.path));
        }
        self.alternatives
            .groups
            .entry(alt.name.clone())
            .or_default()
            .register(alt);
        Ok(())
    }

    /// The links and database of every alternative, by name.
    pub(super) fn finish_alternatives(&mut self) -> Result<(), EffectsError> {
        if let Some((name, path)) = self
            .options
            .choices
            .iter()
            .find(|(name, _)| !self.alternatives.groups.contains_key(*name))
        {
            return Err(EffectsError::UnknownChoice {
                name: name.clone(),
                path: path.clone(),
                registered: "none".to_string(),
            });
        }
        let groups = std::mem::take(&mut self.alternatives.groups);
        for (name, group) in &groups {
            let failed = |why: String| EffectsError::Failed {
                what: format!("alternatives: {name}"),
                why,
            };
            let (chosen, manual) = match self.options.choices.get(name) {
                Some(path) => match group.provider(path) {
                    Some(p) => (p, true),
                    None => {
                        let mut registered: Vec<&str> =
                            group.providers.iter().map(|p| p.path.as_str()).collect();
                        registered.sort_unstable();
                        return Err(EffectsError::UnknownChoice {
                            name: name.clone(),
                            path: path.clone(),
                            registered: registered.join(", "),
                        });
                    }
                },
                None => match group.provider(&group.current) {
                    Some(p) => (p, false),
                    None => continue,
                },
            };
            self.link_alternative(name, group, chosen).map_err(failed)?;
            if let Some(dir) = self.options.alternatives_db.clone() {
                let path = format!("{}/{name}", dir.trim_end_matches('/'));
                self.write_file_bytes(
                    &path,
                    group.database_text(manual).into_bytes(),
                    0o644,
                    (0, 0),
                )
                .map_err(failed)?;
            }
        }
        Ok(())
    }

    /// The links for the chosen provider and its slaves.
    fn link_alternative(
        &mut self,
        name: &str,
        group: &Group,
        chosen: &Alternative,
    ) -> Result<(), String> {
        let dir_key = self.real_key(ALT_DIR, true)?;
        self.ensure_dirs(&dir_key)?;
        self.generic_link(&group.link, &format!("{ALT_DIR}/{name}"))?;
        self.make_symlink(&format!("{ALT_DIR}/{name}"), &chosen.path, true)?;
        for (slave, link) in group.live_slaves() {
            let file = chosen
                .slaves
                .iter()
                .find(|s| s.name == slave && !s.path.is_empty())
                .map(|s| s.path.as_str());
            let alt_link = format!("{ALT_DIR}/{slave}");
            match file {
                Some(file) if self.stat(file, true) != PathState::Missing => {
                    self.generic_link(link, &alt_link)?;
                    self.make_symlink(&alt_link, file, true)?;
                }
                _ => {
                    // dpkg removes the links of a slave it cannot set up.
                    self.remove(&alt_link, false)?;
                    if matches!(self.stat(link, false), PathState::Symlink { .. }) {
                        self.remove(link, false)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `link → target`, unless something other than a link is at `link`.
    fn generic_link(&mut self, link: &str, target: &str) -> Result<(), String> {
        match self.root.get(link).map(|n| &n.kind) {
            None | Some(NodeKind::Symlink(_)) => self.make_symlink(link, target, true),
            Some(kind) => {
                self.warnings.push(format!(
                    "alternatives: not replacing {link} with a link to {target}: a {} is there in the image",
                    kind.word()
                ));
                Ok(())
            }
        }
    }
}
