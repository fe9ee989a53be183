//! A recipe derived from a package set (an image's, an SBOM's): the
//! smallest list of requested packages whose resolved closure is that set,
//! and how the closure of a recipe differs from it.
//!
//! The steps, world-neutral (the world gives the records, its version
//! scheme and its solver rules):
//!
//! 1. each target package is matched to a record of the same name and
//!    version, else (the version is no longer served) the newest one;
//! 2. roots: the target packages no other target package needs (a
//!    requirement satisfied by name or provide), plus one per dependency
//!    cycle no root reaches ([`graph::roots`]);
//! 3. the roots are solved with the recipe's settings; wherever the closure
//!    lacks a target package (the solver picked another provider), that
//!    package is requested explicitly and the roots solved again;
//! 4. a request whose package the rest already pull in is dropped when the
//!    closure stays the same without it, so the list is minimal.

mod difference;
mod graph;

use std::collections::{BTreeMap, BTreeSet};

use whittle_model::{Op, PackageRecord, Requirement, VersionScheme};
use whittle_recipe::{Arch, BuildPlan};
use whittle_solve::{solve, Rules, SolveError, SolveTask};

pub use difference::{Changed, Difference, Extra, Unserved};

use crate::error::BuildError;
use crate::resolve::{load_indexes, make_task};
use crate::session::Session;

/// One package of the target set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TargetPackage {
    /// Package name.
    pub name: String,
    /// Version in the world's syntax.
    pub version: String,
}

/// One package the derived recipe requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedRequest {
    /// Package name.
    pub name: String,
    /// The version it is pinned to (`--pin`), if any.
    pub pin: Option<String>,
}

impl DerivedRequest {
    /// The recipe entry: `name`, or `name=version` when pinned.
    pub fn spec(&self) -> String {
        match &self.pin {
            Some(v) => format!("{}={v}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What [`derive_recipe`] found.
#[derive(Debug, Clone)]
pub struct Derivation {
    /// The architecture derived for.
    pub arch: Arch,
    /// The packages to request, sorted by name.
    pub requests: Vec<DerivedRequest>,
    /// How many roots the target set has (before repairs and
    /// minimisation).
    pub roots: usize,
    /// How many packages were requested explicitly because the solver
    /// would otherwise have chosen another.
    pub repaired: usize,
    /// How the requests' closure differs from the target set.
    pub difference: Difference,
}

impl Derivation {
    /// Whether versions were to be pinned and some target versions are no
    /// longer served: the pinned recipe cannot reproduce the target.
    pub fn pin_failed(&self, pin: bool) -> bool {
        pin && !self.difference.unserved.is_empty()
    }
}

/// Derive the requests whose closure is `target`, for `arch`, with the
/// repositories and settings (`exclude`) of `plan`; `pin` pins each request
/// to the target's version.
pub fn derive_recipe(
    session: &Session,
    plan: &BuildPlan,
    arch: Arch,
    target: &[TargetPackage],
    pin: bool,
) -> Result<Derivation, BuildError> {
    session
        .reporter()
        .on_step(&format!("reading package indexes ({arch})"));
    let (records, _) = load_indexes(session, arch)?;
    let world = session.world();
    let inputs = Inputs {
        records: &records,
        scheme: world.version_scheme(),
        rules: world.solve_rules(),
        exclude: &plan.exclude,
    };
    derive_from(&inputs, arch, target, pin).map_err(|source| BuildError::Solve {
        arch: arch.to_string(),
        source,
    })
}

/// How `plan`'s closure for `arch` differs from `target`: what
/// `whittle show-packages --compare` prints.
pub fn compare_packages(
    session: &Session,
    plan: &BuildPlan,
    arch: Arch,
    target: &[TargetPackage],
) -> Result<Difference, BuildError> {
    let (records, _) = load_indexes(session, arch)?;
    let world = session.world();
    let split = world.split_requests(&plan.packages, arch)?;
    let scheme = world.version_scheme();
    let task = make_task(
        &records,
        scheme,
        world.solve_rules(),
        plan,
        &split.whole,
        BTreeMap::new(),
    );
    let solution = solve(&task).map_err(|source| BuildError::Solve {
        arch: arch.to_string(),
        source,
    })?;
    let closure: Vec<&PackageRecord> = solution
        .installed
        .iter()
        .filter_map(|&i| records.get(i))
        .collect();
    let requests: Vec<String> = split.whole.iter().map(|r| r.name.clone()).collect();
    Ok(difference::difference(
        &records, scheme, target, &requests, &closure,
    ))
}

/// What a derivation works on.
pub(crate) struct Inputs<'a> {
    pub records: &'a [PackageRecord],
    pub scheme: &'a dyn VersionScheme,
    pub rules: Rules,
    pub exclude: &'a [String],
}

impl Inputs<'_> {
    /// The closure of `requests`, as indices into the records.
    fn closure(&self, requests: &[DerivedRequest]) -> Result<Vec<usize>, SolveError> {
        let mut task = SolveTask::new(self.records, self.scheme);
        task.rules = self.rules;
        task.exclude = self.exclude.to_vec();
        task.requests = requests
            .iter()
            .map(|r| match &r.pin {
                Some(v) => Requirement::with(&r.name, Op::Eq, v),
                None => Requirement::any(&r.name),
            })
            .collect();
        Ok(solve(&task)?.installed)
    }

    /// `name → version` of a closure.
    fn versions(&self, closure: &[usize]) -> BTreeMap<&str, &str> {
        closure
            .iter()
            .filter_map(|&i| self.records.get(i))
            .map(|r| (r.name.as_str(), r.version.as_str()))
            .collect()
    }
}

/// The derivation on records already loaded.
pub(crate) fn derive_from(
    inputs: &Inputs<'_>,
    arch: Arch,
    target: &[TargetPackage],
    pin: bool,
) -> Result<Derivation, SolveError> {
    let scheme = inputs.scheme;
    // 1. The record standing for each target package.
    let chosen: Vec<(&TargetPackage, &PackageRecord)> = target
        .iter()
        .filter_map(|t| match_record(inputs.records, scheme, t).map(|r| (t, r)))
        .collect();
    let request_for = |t: &TargetPackage, r: &PackageRecord| DerivedRequest {
        name: t.name.clone(),
        pin: (pin && scheme.compare(&r.version, &t.version).is_eq()).then(|| r.version.clone()),
    };
    // 2. Roots of the target's own graph.
    let set: Vec<&PackageRecord> = chosen.iter().map(|(_, r)| *r).collect();
    let edges = graph::edges(&set, scheme);
    let root_ids = graph::roots(&edges);
    let mut requests: Vec<DerivedRequest> = root_ids
        .iter()
        .filter_map(|&i| chosen.get(i))
        .map(|(t, r)| request_for(t, r))
        .collect();
    let roots = requests.len();
    // 3. Solve, and request what the solver left out (or, pinned, chose
    // at another version) until nothing changes.
    let mut closure = inputs.closure(&requests)?;
    let mut repaired = 0;
    for _ in 0..=chosen.len() {
        let have = inputs.versions(&closure);
        let asked: BTreeSet<String> = requests.iter().map(|r| r.name.clone()).collect();
        let wrong: Vec<DerivedRequest> = chosen
            .iter()
            .filter(|(t, r)| {
                !asked.contains(&t.name)
                    && match have.get(t.name.as_str()) {
                        None => true,
                        Some(v) => pin && !scheme.compare(v, &r.version).is_eq(),
                    }
            })
            .map(|(t, r)| request_for(t, r))
            .collect();
        if wrong.is_empty() {
            break;
        }
        let mut progress = false;
        let mut all = requests.clone();
        all.extend(wrong.iter().cloned());
        if let Ok(c) = inputs.closure(&all) {
            repaired += wrong.len();
            (requests, closure, progress) = (all, c, true);
        } else {
            // Together they cannot be installed: add those that can be.
            for w in wrong {
                let mut more = requests.clone();
                more.push(w);
                if let Ok(c) = inputs.closure(&more) {
                    repaired += 1;
                    (requests, closure, progress) = (more, c, true);
                }
            }
        }
        if !progress {
            break;
        }
    }
    // 4. Drop requests the others already pull in.
    requests.sort_by(|a, b| a.name.cmp(&b.name));
    let mut i = requests.len();
    while i > 0 {
        i -= 1;
        let mut fewer = requests.clone();
        fewer.remove(i);
        if fewer.is_empty() {
            continue;
        }
        if let Ok(c) = inputs.closure(&fewer) {
            if inputs.versions(&c) == inputs.versions(&closure) {
                (requests, closure) = (fewer, c);
            }
        }
    }
    let closure_records: Vec<&PackageRecord> = closure
        .iter()
        .filter_map(|&i| inputs.records.get(i))
        .collect();
    let names: Vec<String> = requests.iter().map(|r| r.name.clone()).collect();
    let difference =
        difference::difference(inputs.records, scheme, target, &names, &closure_records);
    Ok(Derivation {
        arch,
        requests,
        roots,
        repaired,
        difference,
    })
}

/// The record of `t`'s name and version (the first repository's), else
/// the newest of its name.
fn match_record<'a>(
    records: &'a [PackageRecord],
    scheme: &dyn VersionScheme,
    t: &TargetPackage,
) -> Option<&'a PackageRecord> {
    let named = || records.iter().filter(|r| r.name == t.name);
    named()
        .find(|r| scheme.compare(&r.version, &t.version).is_eq())
        .or_else(|| named().max_by(|a, b| scheme.compare(&a.version, &b.version)))
}

#[cfg(test)]
mod tests;
