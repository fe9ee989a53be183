//! The resolvo adapter.
//!
//! Real package names are resolvo names and every record is a solvable. A
//! requirement on a (possibly virtual) name `r` becomes, for every real name
//! `N` with a record satisfying it, the version set `(N, Satisfies(r))`; a
//! dependency with alternatives becomes the union of those version sets in
//! alternative order, so resolvo (which walks a union's version sets in
//! order and takes the first undecided candidate) honours the preference.
//! A conflict on `r` becomes, for every other real name `N` that could
//! satisfy it, the constraint `(N, Violates(r))`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Display;

use resolvo::utils::{Pool, VersionSet};
use resolvo::{
    Candidates, Condition, ConditionId, ConditionalRequirement, Dependencies, DependencyProvider,
    Interner, KnownDependencies, NameId, SolvableId, SolverCache, StringId, VersionSetId,
    VersionSetUnionId,
};
use whittle_model::{Dependency, Requirement};

use crate::index::Index;

/// A resolvo version set: the records of one real name that satisfy (or,
/// for conflicts, do not satisfy) a requirement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Spec {
    /// Records satisfying the requirement.
    Satisfies(Requirement),
    /// Records not satisfying the requirement.
    Violates(Requirement),
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
}

impl<'i, 't> Provider<'i, 't> {
    /// Intern every record as a solvable.
    pub fn new(index: &'i Index<'t>) -> Self {
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
        Provider {
            index,
            pool,
            candidates,
            solvables,
            requirements: RefCell::new(HashMap::new()),
            reason_excluded,
        }
    }

    /// The record index behind a solvable.
    pub fn record(&self, solvable: SolvableId) -> usize {
        self.pool.resolve_solvable(solvable).record
    }

    /// The resolvo requirement for a dependency: the union over its
    /// alternatives' satisfying real names, in order. When nothing satisfies
    /// any alternative, a single version set on the first alternative's own
    /// name (which then has no matching candidate).
    pub fn requirement(&self, dep: &Dependency) -> resolvo::Requirement {
        if let Some(req) = self.requirements.borrow().get(dep) {
            return *req;
        }
        let mut sets: Vec<VersionSetId> = Vec::new();
        for alt in &dep.alternatives {
            for name in self.index.satisfier_names(alt) {
                if self.index.is_excluded(name) {
                    continue;
                }
                let name_id = self.pool.intern_package_name(name);
                let set = self
                    .pool
                    .intern_version_set(name_id, Spec::Satisfies(alt.clone()));
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
                    Some((op, v)) => format!("{} {}", op.as_deb_str(), v),
                }
            } else {
                format!("providing {req}")
            }
        };
        match self.pool.resolve_version_set(version_set) {
            Spec::Satisfies(req) => describe(req),
            Spec::Violates(req) if req.name == own && req.constraint.is_none() => {
                "(must not be installed)".to_string()
            }
            Spec::Violates(req) => format!("not {}", describe(req)),
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
        let (req, want) = match self.pool.resolve_version_set(version_set) {
            Spec::Satisfies(req) => (req, !inverse),
            Spec::Violates(req) => (req, inverse),
        };
        candidates
            .iter()
            .copied()
            .filter(|&s| self.index.satisfies(self.record(s), req) == want)
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
        } else if let Some(lock) = self.index.lock(name_str) {
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
            if self.index.excluded_match(&dep.alternatives).is_some() {
                continue;
            }
            known
                .requirements
                .push(ConditionalRequirement::from(self.requirement(dep)));
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
        Dependencies::Known(known)
    }
}
