//! Lookup tables over a [`SolveTask`]: records by name, by provided name,
//! candidate preference, and the satisfaction rule every other module uses.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use whittle_model::{Condition, Dependency, PackageRecord, Requirement, VersionScheme};

use crate::task::{ProviderOrder, Rules, SolveTask};

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
    /// The world's resolution semantics.
    pub rules: Rules,
    /// Per record: whether its repository tag (if any) was reached from a
    /// tagged request, so that it may be a candidate.
    tag_ok: Vec<bool>,
    /// Per record: why it can never be installed (APK self-conflicts).
    broken: Vec<Option<String>>,
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

        // Names asked for with a tag prefer that tag's records; every other
        // name prefers untagged records.
        let mut name_tag: HashMap<&'t str, &'t str> = HashMap::new();
        for request in &task.requests {
            let Some(tag) = task.request_tags.get(&request.name) else {
                continue;
            };
            for i in raw_satisfiers(packages, scheme, &by_name, &providers, request) {
                name_tag.insert(packages[i].name.as_str(), tag.as_str());
            }
        }
        let preferred = |i: usize| -> bool {
            packages[i].repo_tag.as_deref() == name_tag.get(packages[i].name.as_str()).copied()
        };

        let mut rank = vec![0u32; packages.len()];
        for list in by_name.values_mut() {
            list.sort_by(|&a, &b| {
                preferred(b)
                    .cmp(&preferred(a))
                    .then_with(|| prefer(packages, scheme, a, b))
            });
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

        let broken = if task.rules.exclusive_names {
            packages.iter().map(self_conflict).collect()
        } else {
            vec![None; packages.len()]
        };

        let mut index = Index {
            packages,
            scheme,
            by_name,
            providers,
            rank,
            exclude,
            locked,
            locked_version,
            rules: task.rules,
            tag_ok: packages.iter().map(|p| p.repo_tag.is_none()).collect(),
            broken,
        };
        index.reach_tags(task);
        index
    }

    /// Pinning inheritance, computed over every candidate: a tagged record
    /// becomes a candidate when its tag reaches it from a tagged request
    /// through dependencies of records that are themselves candidates, or
    /// through the packages its `install_if` refers to.
    fn reach_tags(&mut self, task: &SolveTask<'_>) {
        if self.tag_ok.iter().all(|&ok| ok) || task.request_tags.is_empty() {
            return;
        }
        // Record → records whose install_if it (partly) satisfies.
        let mut reverse_iif: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, rec) in self.packages.iter().enumerate() {
            for atom in &rec.install_if {
                if atom.name.starts_with('!') {
                    continue;
                }
                for s in self.satisfiers(atom) {
                    reverse_iif.entry(s).or_default().push(i);
                }
            }
        }
        let mut pins: HashMap<usize, BTreeSet<&str>> = HashMap::new();
        let mut queue: VecDeque<(usize, &str)> = VecDeque::new();
        for request in &task.requests {
            if let Some(tag) = task.request_tags.get(&request.name) {
                for s in self.satisfiers(request) {
                    queue.push_back((s, tag.as_str()));
                }
            }
        }
        let packages = self.packages;
        while let Some((record, tag)) = queue.pop_front() {
            let set = pins.entry(record).or_default();
            if !set.insert(tag) {
                continue;
            }
            let own = packages[record].repo_tag.as_deref();
            let allowed = own.is_none_or(|t| set.contains(t));
            if !allowed {
                continue;
            }
            // The record just became a candidate: pins that arrived before
            // its own tag propagate now too.
            let spread: Vec<&str> = if own == Some(tag) {
                set.iter().copied().collect()
            } else {
                vec![tag]
            };
            let mut next: Vec<usize> = Vec::new();
            for dep in &packages[record].depends {
                for alt in &dep.alternatives {
                    next.extend(self.satisfiers(alt));
                }
            }
            if let Some(list) = reverse_iif.get(&record) {
                next.extend(list.iter().copied());
            }
            for n in next {
                for &t in &spread {
                    queue.push_back((n, t));
                }
            }
        }
        for (record, set) in pins {
            if let Some(tag) = packages[record].repo_tag.as_deref() {
                if set.contains(tag) {
                    self.tag_ok[record] = true;
                }
            }
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

    /// Whether a tagged record was reached from a request with its tag.
    pub fn tag_ok(&self, record: usize) -> bool {
        self.tag_ok.get(record).copied().unwrap_or(false)
    }

    /// Why a record can never be chosen, apart from exclusion and locks: its
    /// repository tag was not asked for, or it conflicts with itself.
    pub fn unusable(&self, record: usize) -> Option<String> {
        if let Some(reason) = self.broken.get(record).cloned().flatten() {
            return Some(reason);
        }
        if !self.tag_ok(record) {
            let rec = &self.packages[record];
            let tag = rec.repo_tag.as_deref().unwrap_or_default();
            return Some(format!(
                "available only in the tagged repository @{tag}; ask for it as {}@{tag}",
                rec.name
            ));
        }
        None
    }

    /// Whether the record may be installed at all (not excluded, reachable
    /// through its repository tag, not self-conflicting, and the locked
    /// record if its name is locked).
    pub fn allowed(&self, record: usize) -> bool {
        let name = self.packages[record].name.as_str();
        if self.is_excluded(name) || self.unusable(record).is_some() {
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
        record_satisfies(self.scheme, &self.packages[record], req)
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

    /// Whether `record` satisfies `alt` and every `with` requirement of a
    /// dependency (RPM's `(a with b)`: one package satisfies all).
    pub fn satisfies_with(&self, record: usize, alt: &Requirement, with: &[Requirement]) -> bool {
        self.satisfies(record, alt) && with.iter().all(|w| self.satisfies(record, w))
    }

    /// The requirements any of which satisfies `dep`, in preference order:
    /// its alternatives, then, for `unless` dependencies, the packages whose
    /// presence lifts it (`a unless b` holds when `a` or `b` is installed).
    pub fn dependency_options<'d>(&self, dep: &'d Dependency) -> Vec<&'d Requirement> {
        let mut out: Vec<&Requirement> = dep.alternatives.iter().collect();
        if let Some(Condition::NotInstalled(lifting)) = &dep.when {
            out.extend(lifting);
        }
        out
    }

    /// Every record satisfying `dep` (alternatives in order, each record
    /// once), honouring `with` for the alternatives. Conditions of the
    /// `if` kind are not evaluated here.
    pub fn dependency_satisfiers(&self, dep: &Dependency) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for alt in &dep.alternatives {
            for s in self.satisfiers(alt) {
                if self.satisfies_with(s, alt, &dep.with) && !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        if let Some(Condition::NotInstalled(lifting)) = &dep.when {
            for req in lifting {
                for s in self.satisfiers(req) {
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
        }
        out
    }

    /// A requirement in the world's own syntax.
    pub fn show(&self, req: &Requirement) -> String {
        self.scheme.show_requirement(req)
    }

    /// A dependency in the world's own syntax (`a | b with c`).
    pub fn show_dependency(&self, dep: &Dependency) -> String {
        let mut text = dep
            .alternatives
            .iter()
            .map(|r| self.show(r))
            .collect::<Vec<_>>()
            .join(" | ");
        for w in &dep.with {
            text.push_str(&format!(" with {}", self.show(w)));
        }
        text
    }

    /// Real package names with at least one record satisfying `req`, in
    /// preference order (the requirement's own name first).
    ///
    /// Under [`ProviderOrder::ProvidedVersion`] the names are ordered by the
    /// highest version given to the required name (a record's own version
    /// for its own name, a provide's version; an unversioned provide last),
    /// then higher provider priority, then name.
    pub fn satisfier_names(&self, req: &Requirement) -> Vec<&'t str> {
        let mut names: Vec<&'t str> = Vec::new();
        // Per name: best version given to `req.name`, best priority.
        let mut best: Vec<(Option<&'t str>, i64)> = Vec::new();
        for i in self.satisfiers(req) {
            let rec = &self.packages[i];
            let name = rec.name.as_str();
            let given: Option<&'t str> = if rec.name == req.name {
                Some(rec.version.as_str())
            } else {
                rec.provides
                    .iter()
                    .filter(|p| p.name == req.name)
                    .filter_map(|p| p.version.as_deref())
                    .max_by(|a, b| self.scheme.compare(a, b))
            };
            match names.iter().position(|n| *n == name) {
                None => {
                    names.push(name);
                    best.push((given, rec.provider_priority));
                }
                Some(pos) => {
                    let slot = &mut best[pos];
                    if let Some(g) = given {
                        if slot
                            .0
                            .is_none_or(|b| self.scheme.compare(g, b) == Ordering::Greater)
                        {
                            slot.0 = Some(g);
                        }
                    }
                    slot.1 = slot.1.max(rec.provider_priority);
                }
            }
        }
        if self.rules.provider_order == ProviderOrder::ProvidedVersion && names.len() > 1 {
            let mut order: Vec<usize> = (0..names.len()).collect();
            order.sort_by(|&a, &b| {
                let ((va, pa), (vb, pb)) = (best[a], best[b]);
                let by_version = match (va, vb) {
                    (Some(x), Some(y)) => self.scheme.compare(y, x),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                };
                by_version.then(pb.cmp(&pa)).then(names[a].cmp(names[b]))
            });
            return order.into_iter().map(|i| names[i]).collect();
        }
        names
    }

    /// Under [`Rules::exclusive_names`]: whether `record` holds the name `name` in a way
    /// that clashes with another package holding it (`versioned`: the other
    /// holds it with a version). A package's own name counts as versioned.
    pub fn clashes(&self, record: usize, name: &str, versioned: bool) -> bool {
        let rec = &self.packages[record];
        rec.name == name
            || rec
                .provides
                .iter()
                .any(|p| p.name == name && (versioned || p.version.is_some()))
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
    pub fn excluded_match<'r>(
        &self,
        alternatives: impl IntoIterator<Item = &'r Requirement>,
    ) -> Option<Option<usize>> {
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

/// Every record satisfying `req`, before the [`Index`] exists (no order).
fn raw_satisfiers(
    packages: &[PackageRecord],
    scheme: &dyn VersionScheme,
    by_name: &HashMap<&str, Vec<usize>>,
    providers: &HashMap<&str, Vec<usize>>,
    req: &Requirement,
) -> Vec<usize> {
    let named = by_name
        .get(req.name.as_str())
        .map_or(&[][..], Vec::as_slice);
    let provided = providers
        .get(req.name.as_str())
        .map_or(&[][..], Vec::as_slice);
    named
        .iter()
        .chain(provided)
        .copied()
        .filter(|&i| record_satisfies(scheme, &packages[i], req))
        .collect()
}

/// The satisfaction rule on one record (see [`Index::satisfies`]).
fn record_satisfies(scheme: &dyn VersionScheme, rec: &PackageRecord, req: &Requirement) -> bool {
    if rec.name == req.name {
        let ok = match &req.constraint {
            None => true,
            Some((op, wanted)) => scheme.matches(&rec.version, *op, wanted),
        };
        if ok {
            return true;
        }
    }
    rec.provides.iter().any(|p| {
        p.name == req.name
            && match (&req.constraint, &p.version) {
                (None, _) => true,
                (Some((op, wanted)), Some(version)) => scheme.matches(version, *op, wanted),
                (Some(_), None) => false,
            }
    })
}

/// With exclusive names, a package that provides its own name, or one
/// name twice, can never be installed (it would hold a name twice).
fn self_conflict(rec: &PackageRecord) -> Option<String> {
    let mut seen: Vec<&str> = Vec::new();
    for p in &rec.provides {
        if p.name == rec.name {
            return Some("provides its own name".to_string());
        }
        if seen.contains(&p.name.as_str()) {
            let same = rec
                .provides
                .iter()
                .filter(|q| q.name == p.name)
                .all(|q| q.version.is_none());
            if !same {
                return Some(format!("provides {} twice", p.name));
            }
        }
        seen.push(p.name.as_str());
    }
    None
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
