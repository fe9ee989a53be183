//! The resolvo adapter.
//!
//! Real package names are resolvo names and every record is a solvable. A
//! requirement on a (possibly virtual) name `r` becomes, for every real name
//! `N` with a record satisfying it, the version set `(N, Satisfies(r))`; a
//! dependency with alternatives becomes the union of those version sets in
//! alternative order, so resolvo (which walks a union's version sets in
//! order and takes the first undecided candidate) honours the preference.
//! A conflict on `r` becomes, for every other real name `N` that could
//! satisfy it, the constraint `(N, Violates(r))`; an obsolete on `r` the
//! constraint `(r.name, NotObsoleted(r))` on the real name alone. A
//! dependency's `with` requirements narrow each alternative's version set;
//! an `if` condition becomes a resolvo condition over the version sets of
//! the names that could satisfy it; `unless` adds the lifting names to the
//! union after the alternatives.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Display;

use resolvo::utils::{Pool, VersionSet};
use resolvo::{
    Candidates, Condition, ConditionId, ConditionalRequirement, Dependencies, DependencyProvider,
    Interner, KnownDependencies, LogicalOperator, NameId, SolvableId, SolverCache, StringId,
    VersionSetId, VersionSetUnionId,
};
use whittle_model::{Condition as When, Dependency, Requirement};

use crate::index::Index;

/// A resolvo version set: the records of one real name that satisfy (or,
/// for conflicts, do not satisfy) a requirement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Spec {
    /// Records satisfying the requirement.
    Satisfies(Requirement),
    /// Records satisfying the requirement and every one of the others.
    SatisfiesWith(Requirement, Vec<Requirement>),
    /// Records that are not the required name at a matching version
    /// (provides do not count): what an obsolete leaves installable.
    NotObsoleted(Requirement),
    /// Records not satisfying the requirement.
    Violates(Requirement),
    /// Records that do not clash (apk-tools rules) with a package holding
    /// `name`, with a version when `versioned`.
    NoClash {
        /// The held name.
        name: String,
        /// Whether the holder has it with a version (or as its own name).
        versioned: bool,
    },
    /// Exactly these records (sorted): an install_if-triggered request.
    OneOf(Vec<usize>),
}

impl VersionSet for Spec {
    /// A solvable's payload is the index of its record.
    type V = usize;
}

/// The [`DependencyProvider`] over an [`Index`].
pub(crate) struct Provider<'i, 't> {
    index: &'i Index<'t>,
    pool: Pool<Spec, String>,
    /// Solvables per resolvo name index (record order).
    candidates: Vec<Vec<SolvableId>>,
    /// Record index → solvable.
    solvables: Vec<SolvableId>,
    /// Interned resolvo requirement per dependency, so unions are built once.
    requirements: RefCell<HashMap<Dependency, resolvo::Requirement>>,
    reason_excluded: StringId,
    /// Records excluded for this run only (tag not inherited in the
    /// solution that was found), with the reason.
    banned: BTreeSet<usize>,
    reason_banned: StringId,
}

impl<'i, 't> Provider<'i, 't> {
    /// Intern every record as a solvable.
    pub fn new(index: &'i Index<'t>, banned: BTreeSet<usize>) -> Self {
        let pool: Pool<Spec, String> = Pool::new();
        let mut candidates: Vec<Vec<SolvableId>> = Vec::new();
        let mut solvables = Vec::with_capacity(index.packages.len());
        for (i, rec) in index.packages.iter().enumerate() {
            let name = pool.intern_package_name(rec.name.as_str());
            let solvable = pool.intern_solvable(name, i);
            let slot = name_slot(name);
            if candidates.len() <= slot {
                candidates.resize_with(slot + 1, Vec::new);
            }
            candidates[slot].push(solvable);
            solvables.push(solvable);
        }
        let reason_excluded = pool.intern_string("excluded: treated as already provided");
        let reason_banned = pool.intern_string(
            "from a tagged repository, but not needed by any package chosen through that tag",
        );
        Provider {
            index,
            pool,
            candidates,
            solvables,
            requirements: RefCell::new(HashMap::new()),
            reason_excluded,
            banned,
            reason_banned,
        }
    }

    /// The record index behind a solvable.
    pub fn record(&self, solvable: SolvableId) -> usize {
        self.pool.resolve_solvable(solvable).record
    }

    /// The resolvo requirement for a dependency: the union over its
    /// alternatives' satisfying real names, in order (then, for `unless`,
    /// the lifting names). When nothing satisfies any alternative, a single
    /// version set on the first alternative's own name (which then has no
    /// matching candidate).
    pub fn requirement(&self, dep: &Dependency) -> resolvo::Requirement {
        if let Some(req) = self.requirements.borrow().get(dep) {
            return *req;
        }
        let mut sets: Vec<VersionSetId> = Vec::new();
        let lifting = match &dep.when {
            Some(When::NotInstalled(reqs)) => reqs.as_slice(),
            _ => &[],
        };
        let options = dep
            .alternatives
            .iter()
            .map(|a| (a, dep.with.as_slice()))
            .chain(lifting.iter().map(|l| (l, &[][..])));
        for (alt, with) in options {
            for name in self.index.satisfier_names(alt) {
                if self.index.is_excluded(name) {
                    continue;
                }
                let name_id = self.pool.intern_package_name(name);
                let spec = if with.is_empty() {
                    Spec::Satisfies(alt.clone())
                } else {
                    Spec::SatisfiesWith(alt.clone(), with.to_vec())
                };
                let set = self.pool.intern_version_set(name_id, spec);
                if !sets.contains(&set) {
                    sets.push(set);
                }
            }
        }
        let req = match sets.split_first() {
            Some((&first, [])) => resolvo::Requirement::Single(first),
            Some((&first, rest)) => resolvo::Requirement::Union(
                self.pool
                    .intern_version_set_union(first, rest.iter().copied()),
            ),
            None => {
                let fallback = dep
                    .alternatives
                    .first()
                    .cloned()
                    .unwrap_or_else(|| Requirement::any(""));
                let name_id = self.pool.intern_package_name(fallback.name.as_str());
                resolvo::Requirement::Single(
                    self.pool
                        .intern_version_set(name_id, Spec::Satisfies(fallback)),
                )
            }
        };
        self.requirements.borrow_mut().insert(dep.clone(), req);
        req
    }

    /// A dependency as resolvo takes it: its requirement, with the `if`
    /// condition when it has one. `None` when the condition can never hold
    /// (nothing could satisfy it), so the dependency never applies.
    pub fn conditional(&self, dep: &Dependency) -> Option<ConditionalRequirement> {
        let requirement = self.requirement(dep);
        let Some(When::Installed(reqs)) = &dep.when else {
            return Some(ConditionalRequirement::from(requirement));
        };
        let mut condition: Option<ConditionId> = None;
        for req in reqs {
            for name in self.index.satisfier_names(req) {
                let name_id = self.pool.intern_package_name(name);
                let set = self
                    .pool
                    .intern_version_set(name_id, Spec::Satisfies(req.clone()));
                let leaf = self.pool.intern_condition(Condition::Requirement(set));
                condition = Some(match condition {
                    None => leaf,
                    Some(c) => {
                        self.pool
                            .intern_condition(Condition::Binary(LogicalOperator::Or, c, leaf))
                    }
                });
            }
        }
        condition.map(|c| ConditionalRequirement {
            condition: Some(c),
            requirement,
        })
    }

    /// A requirement on exactly `records` (all of one name, sorted).
    pub fn one_of(&self, name: &str, records: Vec<usize>) -> resolvo::Requirement {
        let name_id = self.pool.intern_package_name(name);
        resolvo::Requirement::Single(self.pool.intern_version_set(name_id, Spec::OneOf(records)))
    }

    /// Exclusive names: constraints keeping other packages that hold `name`
    /// away from `record` (which holds it, with a version when `versioned`).
    fn clash_constraints(
        &self,
        record: usize,
        name: &str,
        versioned: bool,
        out: &mut Vec<VersionSetId>,
    ) {
        let own = self.index.packages[record].name.as_str();
        let holders = self
            .index
            .named(name)
            .iter()
            .chain(self.index.providing(name))
            .copied();
        let mut names: Vec<&str> = Vec::new();
        for other in holders {
            let other_name = self.index.packages[other].name.as_str();
            if other_name == own
                || names.contains(&other_name)
                || self.index.is_excluded(other_name)
                || !self.index.clashes(other, name, versioned)
            {
                continue;
            }
            names.push(other_name);
        }
        for other_name in names {
            let name_id = self.pool.intern_package_name(other_name);
            let set = self.pool.intern_version_set(
                name_id,
                Spec::NoClash {
                    name: name.to_string(),
                    versioned,
                },
            );
            if !out.contains(&set) {
                out.push(set);
            }
        }
    }

    fn name_of_set(&self, set: VersionSetId) -> &str {
        self.pool
            .resolve_package_name(self.pool.resolve_version_set_package_name(set))
    }
}

fn name_slot(name: NameId) -> usize {
    resolvo::DenseIndex::to_index(name)
}

impl Interner for Provider<'_, '_> {
    type NameId = NameId;
    type SolvableId = SolvableId;

    fn display_solvable(&self, solvable: SolvableId) -> impl Display + '_ {
        self.index.packages[self.record(solvable)].label()
    }

    fn display_merged_solvables(&self, solvables: &[SolvableId]) -> impl Display + '_ {
        let Some(&first) = solvables.first() else {
            return String::new();
        };
        let mut records: Vec<usize> = solvables.iter().map(|&s| self.record(s)).collect();
        records.sort_by_key(|&r| self.index.rank(r));
        records.dedup();
        let versions: Vec<&str> = records
            .iter()
            .map(|&r| self.index.packages[r].version.as_str())
            .collect();
        format!(
            "{} {}",
            self.index.packages[self.record(first)].name,
            versions.join(" | ")
        )
    }

    fn display_name(&self, name: NameId) -> impl Display + '_ {
        self.pool.resolve_package_name(name).as_str()
    }

    fn display_version_set(&self, version_set: VersionSetId) -> impl Display + '_ {
        let own = self.name_of_set(version_set);
        let describe = |req: &Requirement| -> String {
            if req.name == own {
                match &req.constraint {
                    None => "*".to_string(),
                    Some((op, v)) => format!("{op} {v}"),
                }
            } else {
                format!("providing {}", self.index.show(req))
            }
        };
        match self.pool.resolve_version_set(version_set) {
            Spec::Satisfies(req) => describe(req),
            Spec::SatisfiesWith(req, with) => {
                let with: Vec<String> = with.iter().map(|w| self.index.show(w)).collect();
                format!("{} with {}", describe(req), with.join(" with "))
            }
            Spec::NotObsoleted(req) => format!("not obsoleted by {}", self.index.show(req)),
            Spec::Violates(req) if req.name == own && req.constraint.is_none() => {
                "(must not be installed)".to_string()
            }
            Spec::Violates(req) => format!("not {}", describe(req)),
            Spec::NoClash { name, .. } => format!("not holding {name}"),
            Spec::OneOf(records) => {
                let versions: Vec<&str> = records
                    .iter()
                    .map(|&r| self.index.packages[r].version.as_str())
                    .collect();
                format!("{} (install_if)", versions.join(" | "))
            }
        }
    }

    fn display_string(&self, string_id: StringId) -> impl Display + '_ {
        self.pool.resolve_string(string_id)
    }

    fn version_set_name(&self, version_set: VersionSetId) -> NameId {
        self.pool.resolve_version_set_package_name(version_set)
    }

    fn solvable_name(&self, solvable: SolvableId) -> NameId {
        self.pool.resolve_solvable(solvable).name
    }

    fn version_sets_in_union(
        &self,
        version_set_union: VersionSetUnionId,
    ) -> impl Iterator<Item = VersionSetId> {
        self.pool.resolve_version_set_union(version_set_union)
    }

    fn resolve_condition(&self, condition: ConditionId) -> Condition {
        self.pool.resolve_condition(condition).clone()
    }
}

impl DependencyProvider for Provider<'_, '_> {
    async fn filter_candidates(
        &self,
        candidates: &[SolvableId],
        version_set: VersionSetId,
        inverse: bool,
    ) -> Vec<SolvableId> {
        let matches = |record: usize| -> bool {
            match self.pool.resolve_version_set(version_set) {
                Spec::Satisfies(req) => self.index.satisfies(record, req),
                Spec::SatisfiesWith(req, with) => self.index.satisfies_with(record, req, with),
                Spec::NotObsoleted(req) => {
                    let rec = &self.index.packages[record];
                    !(rec.name == req.name
                        && req
                            .constraint
                            .as_ref()
                            .is_none_or(|(op, v)| self.index.scheme.matches(&rec.version, *op, v)))
                }
                Spec::Violates(req) => !self.index.satisfies(record, req),
                Spec::NoClash { name, versioned } => !self.index.clashes(record, name, *versioned),
                Spec::OneOf(records) => records.binary_search(&record).is_ok(),
            }
        };
        candidates
            .iter()
            .copied()
            .filter(|&s| matches(self.record(s)) != inverse)
            .collect()
    }

    async fn get_candidates(&self, name: NameId) -> Option<Candidates<SolvableId>> {
        let list = self.candidates.get(name_slot(name))?;
        let name_str = self.pool.resolve_package_name(name).as_str();
        let mut out = Candidates {
            candidates: list.clone(),
            ..Candidates::default()
        };
        if self.index.is_excluded(name_str) {
            out.excluded = list.iter().map(|&s| (s, self.reason_excluded)).collect();
            return Some(out);
        }
        for &s in list {
            let record = self.record(s);
            if let Some(reason) = self.index.unusable(record) {
                out.excluded.push((s, self.pool.intern_string(reason)));
            } else if self.banned.contains(&record) {
                out.excluded.push((s, self.reason_banned));
            }
        }
        if let Some(lock) = self.index.lock(name_str) {
            match lock {
                Some(record) => out.locked = self.solvables.get(record).copied(),
                None => {
                    let version = self.index.locked_version(name_str).unwrap_or_default();
                    let reason = self
                        .pool
                        .intern_string(format!("locked to {version}, which no repository offers"));
                    out.excluded = list.iter().map(|&s| (s, reason)).collect();
                }
            }
        }
        Some(out)
    }

    async fn sort_candidates(&self, _solver: &SolverCache<Self>, solvables: &mut [SolvableId]) {
        solvables.sort_by_key(|&s| {
            let record = self.record(s);
            (self.index.rank(record), record)
        });
    }

    async fn get_dependencies(&self, solvable: SolvableId) -> Dependencies {
        let record = self.record(solvable);
        let rec = &self.index.packages[record];
        let mut known = KnownDependencies::default();
        for dep in &rec.depends {
            if self
                .index
                .excluded_match(self.index.dependency_options(dep))
                .is_some()
            {
                continue;
            }
            if let Some(req) = self.conditional(dep) {
                known.requirements.push(req);
            }
        }
        for conflict in &rec.conflicts {
            for name in self.index.satisfier_names(conflict) {
                if name == rec.name || self.index.is_excluded(name) {
                    continue;
                }
                let name_id = self.pool.intern_package_name(name);
                let set = self
                    .pool
                    .intern_version_set(name_id, Spec::Violates(conflict.clone()));
                if !known.constrains.contains(&set) {
                    known.constrains.push(set);
                }
            }
        }
        for obsolete in &rec.obsoletes {
            if obsolete.name == rec.name || self.index.named(&obsolete.name).is_empty() {
                continue;
            }
            let name_id = self.pool.intern_package_name(obsolete.name.as_str());
            let set = self
                .pool
                .intern_version_set(name_id, Spec::NotObsoleted(obsolete.clone()));
            if !known.constrains.contains(&set) {
                known.constrains.push(set);
            }
        }
        if self.index.rules.exclusive_names {
            let own = rec.name.as_str();
            self.clash_constraints(record, own, true, &mut known.constrains);
            for p in &rec.provides {
                self.clash_constraints(record, &p.name, p.version.is_some(), &mut known.constrains);
            }
        }
        Dependencies::Known(known)
    }
}
