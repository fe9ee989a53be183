//! Lookup tables over a [`SolveTask`]: records by name, by provided name,
//! candidate preference, and the satisfaction rule every other module uses.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use whittle_model::{PackageRecord, Requirement, VersionScheme};

use crate::task::SolveTask;

/// Precomputed views of one task. Built once per [`crate::solve`] call.
pub(crate) struct Index<'t> {
    /// Every candidate record.
    pub packages: &'t [PackageRecord],
    /// The world's version rules.
    pub scheme: &'t dyn VersionScheme,
    /// Record indices per package name, most preferred first.
    by_name: HashMap<&'t str, Vec<usize>>,
    /// Record indices per provided (virtual) name, ordered by the providing
    /// package's name, then preference.
    providers: HashMap<&'t str, Vec<usize>>,
    /// Position of each record in its name's preference order.
    rank: Vec<u32>,
    /// Names treated as already provided.
    exclude: HashSet<&'t str>,
    /// Locked names → the record that must be chosen (`None`: the locked
    /// version is not among the candidates).
    locked: HashMap<&'t str, Option<usize>>,
    /// Locked names → the locked version, for messages.
    locked_version: HashMap<&'t str, &'t str>,
}

impl<'t> Index<'t> {
    /// Build the tables for `task`.
    pub fn new(task: &'t SolveTask<'_>) -> Self {
        let packages: &'t [PackageRecord] = task.packages;
        let scheme: &'t dyn VersionScheme = task.scheme;

        let mut by_name: HashMap<&'t str, Vec<usize>> = HashMap::new();
        let mut providers: HashMap<&'t str, Vec<usize>> = HashMap::new();
        for (i, rec) in packages.iter().enumerate() {
            by_name.entry(rec.name.as_str()).or_default().push(i);
            let mut seen: Vec<&str> = Vec::new();
            for p in &rec.provides {
                if !seen.contains(&p.name.as_str()) {
                    seen.push(p.name.as_str());
                    providers.entry(p.name.as_str()).or_default().push(i);
                }
            }
        }

        let mut rank = vec![0u32; packages.len()];
        for list in by_name.values_mut() {
            list.sort_by(|&a, &b| prefer(packages, scheme, a, b));
            for (pos, &i) in list.iter().enumerate() {
                rank[i] = u32::try_from(pos).unwrap_or(u32::MAX);
            }
        }
        for list in providers.values_mut() {
            // Providers: higher provider priority first, then by name.
            list.sort_by(|&a, &b| {
                packages[b]
                    .provider_priority
                    .cmp(&packages[a].provider_priority)
                    .then(packages[a].name.cmp(&packages[b].name))
                    .then(rank[a].cmp(&rank[b]))
            });
        }

        let exclude = task.exclude.iter().map(String::as_str).collect();

        let mut locked = HashMap::new();
        let mut locked_version = HashMap::new();
        for (name, version) in &task.locked {
            let choice = by_name.get(name.as_str()).and_then(|list| {
                list.iter()
                    .copied()
                    .find(|&i| scheme.compare(&packages[i].version, version) == Ordering::Equal)
            });
            locked.insert(name.as_str(), choice);
            locked_version.insert(name.as_str(), version.as_str());
        }

        Index {
            packages,
            scheme,
            by_name,
            providers,
            rank,
            exclude,
            locked,
            locked_version,
        }
    }

    /// Records named `name`, most preferred first.
    pub fn named(&self, name: &str) -> &[usize] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// Records providing `name`: higher provider priority first, then by name.
    pub fn providing(&self, name: &str) -> &[usize] {
        self.providers.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether `name` is a package or a provided name of any record.
    pub fn is_known(&self, name: &str) -> bool {
        self.by_name.contains_key(name) || self.providers.contains_key(name)
    }

    /// Every real and virtual name, unordered.
    pub fn known_names(&self) -> impl Iterator<Item = &'t str> + '_ {
        self.by_name.keys().chain(self.providers.keys()).copied()
    }

    /// Preference position of a record among records of the same name.
    pub fn rank(&self, record: usize) -> u32 {
        self.rank.get(record).copied().unwrap_or(u32::MAX)
    }

    /// Whether `name` is treated as already provided.
    pub fn is_excluded(&self, name: &str) -> bool {
        self.exclude.contains(name)
    }

    /// The lock on `name`: `None` when unlocked, `Some(None)` when locked to
    /// a version no record has, `Some(Some(i))` when record `i` must be used.
    pub fn lock(&self, name: &str) -> Option<Option<usize>> {
        self.locked.get(name).copied()
    }

    /// The version `name` is locked to, if any.
    pub fn locked_version(&self, name: &str) -> Option<&'t str> {
        self.locked_version.get(name).copied()
    }

    /// Whether the record may be installed at all (not excluded, and the
    /// locked record if its name is locked).
    pub fn allowed(&self, record: usize) -> bool {
        let name = self.packages[record].name.as_str();
        if self.is_excluded(name) {
            return false;
        }
        match self.lock(name) {
            None => true,
            Some(choice) => choice == Some(record),
        }
    }

    /// The satisfaction rule: `record` satisfies `req` when it has the name
    /// and a matching version, or provides the name and either the
    /// requirement is unversioned or the provide is versioned and matches.
    pub fn satisfies(&self, record: usize, req: &Requirement) -> bool {
        let rec = &self.packages[record];
        if rec.name == req.name {
            let ok = match &req.constraint {
                None => true,
                Some((op, wanted)) => self.scheme.matches(&rec.version, *op, wanted),
            };
            if ok {
                return true;
            }
        }
        rec.provides.iter().any(|p| {
            p.name == req.name
                && match (&req.constraint, &p.version) {
                    (None, _) => true,
                    (Some((op, wanted)), Some(version)) => {
                        self.scheme.matches(version, *op, wanted)
                    }
                    (Some(_), None) => false,
                }
        })
    }

    /// Every record satisfying `req`: records of that name first (most
    /// preferred first), then providers ordered by name.
    pub fn satisfiers(&self, req: &Requirement) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .named(&req.name)
            .iter()
            .copied()
            .filter(|&i| self.satisfies(i, req))
            .collect();
        out.extend(
            self.providing(&req.name)
                .iter()
                .copied()
                .filter(|&i| self.packages[i].name != req.name && self.satisfies(i, req)),
        );
        out
    }

    /// Real package names with at least one record satisfying `req`, in
    /// preference order (the requirement's own name first).
    pub fn satisfier_names(&self, req: &Requirement) -> Vec<&'t str> {
        let mut names: Vec<&'t str> = Vec::new();
        for i in self.satisfiers(req) {
            let name = self.packages[i].name.as_str();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// Whether a dependency (its alternatives) is satisfied by an excluded
    /// name, and so is dropped.
    ///
    /// An alternative naming an excluded package is satisfied whatever its
    /// version relation (the name is treated as provided); an alternative
    /// naming something else is satisfied when a record of an excluded name
    /// provides it by the usual rule. Returns `None` when not satisfied by
    /// an exclusion, otherwise `Some(record)` with the best record
    /// responsible (`Some(None)` when the excluded name has no record).
    pub fn excluded_match(&self, alternatives: &[Requirement]) -> Option<Option<usize>> {
        if self.exclude.is_empty() {
            return None;
        }
        for alt in alternatives {
            if self.is_excluded(&alt.name) {
                let named = self.named(&alt.name);
                let best = named
                    .iter()
                    .copied()
                    .find(|&i| self.satisfies(i, alt))
                    .or_else(|| named.first().copied());
                return Some(best);
            }
            let provider = self
                .providing(&alt.name)
                .iter()
                .copied()
                .find(|&i| self.is_excluded(&self.packages[i].name) && self.satisfies(i, alt));
            if let Some(p) = provider {
                return Some(Some(p));
            }
        }
        None
    }
}

/// Preference between two records of the same name: higher version first,
/// then lower repository index, then input order.
fn prefer(packages: &[PackageRecord], scheme: &dyn VersionScheme, a: usize, b: usize) -> Ordering {
    let (ra, rb) = (&packages[a], &packages[b]);
    scheme
        .compare(&rb.version, &ra.version)
        .then(ra.repo.cmp(&rb.repo))
        .then(a.cmp(&b))
}
