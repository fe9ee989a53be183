//! Dependency resolution for whittle.
//!
//! [`solve`] takes every candidate record of every repository, the recipe's
//! requests and the names to treat as already provided, and picks one record
//! per package name such that every dependency of every chosen record is
//! satisfied and no two chosen records conflict. Nothing is installed
//! implicitly: the answer is the requests plus their closure.
//!
//! The SAT search is done by [`resolvo`], which only this crate knows about:
//!
//! * real package names are resolvo names and records are solvables;
//! * a requirement on a possibly virtual name becomes a union of version sets
//!   over every real name able to satisfy it (`provider` module), and
//!   alternatives `a | b` a union in alternative order, so the first
//!   satisfiable alternative is preferred;
//! * conflicts and breaks become constraints on the other real names that
//!   could satisfy them (never on the package itself);
//! * candidates are tried highest version first, then lowest repository.
//!
//! The satisfaction rule fits every world: a record satisfies `name (op v)`
//! when it has that name and a matching version, or provides the name with
//! a matching version; an unversioned provide only satisfies an unversioned
//! requirement.
//!
//! What differs between package managers is expressed as features, never
//! as world names ([`Rules`], and fields of the model):
//!
//! * **one package per name** ([`Rules::exclusive_names`]) and **explicit
//!   virtuals** ([`Rules::explicit_virtuals`], `virtuals` module);
//! * **provider order** ([`ProviderOrder`]): priority, or the version a
//!   provider gives the name;
//! * **conditional installs** (`install_if`, `triggers` module): after a
//!   solution is found, records whose `install_if` requirements all hold
//!   are added as extra requests and the problem is solved again, until
//!   nothing new is triggered; a triggered package that cannot be installed
//!   with the rest is left out;
//! * **conditional and compound dependencies**
//!   ([`Dependency::when`](whittle_model::Dependency), `with`): resolvo
//!   conditions for `if`, a wider union for `unless`, narrower version sets
//!   for `with` (which also expresses version ranges);
//! * **conflicts** (names and provides) and **obsoletes** (real names only);
//! * **tagged repositories** (`tags` module): records with a `repo_tag` are
//!   candidates only when the tag reaches them from a `name@tag` request
//!   through dependencies (and install_if); the reach is first computed over
//!   every candidate, then checked along the chosen packages, and records the
//!   solution reached only through unchosen packages are dropped and the
//!   problem solved again.
//!
//! When resolution fails, the `explain` module walks the preferred candidates
//! itself to produce one readable chain such as
//! `python3 → libpython3.11-stdlib → libffi8 (>= 3.4) not available (available: 3.3-1)`
//! (requirements printed in the world's syntax, through its
//! [`VersionScheme`](whittle_model::VersionScheme)), while resolvo's complete
//! explanation is kept as details.
//!
//! ```
//! use std::cmp::Ordering;
//! use whittle_model::{Dependency, PackageRecord, Requirement, VersionScheme};
//! use whittle_solve::{solve, SolveTask};
//!
//! struct Lexical;
//! impl VersionScheme for Lexical {
//!     fn compare(&self, a: &str, b: &str) -> Ordering {
//!         a.cmp(b)
//!     }
//! }
//!
//! let mut app = PackageRecord::new("app", "1");
//! app.depends.push(Dependency::single(Requirement::any("libc")));
//! let packages = vec![app, PackageRecord::new("libc", "2"), PackageRecord::new("extra", "1")];
//! let mut task = SolveTask::new(&packages, &Lexical);
//! task.requests.push(Requirement::any("app"));
//! let solution = solve(&task).unwrap();
//! assert_eq!(solution.installed, vec![0, 1]);
//! ```
#![deny(missing_docs)]

mod error;
mod explain;
mod index;
mod provider;
mod tags;
mod task;
mod triggers;
mod virtuals;

use std::collections::BTreeSet;

use resolvo::{ConditionalRequirement, Problem, Solver, UnsolvableOrCancelled};
use whittle_model::{Dependency, Requirement};

pub use error::SolveError;
pub use task::{ProviderOrder, Rules, Solution, SolveTask};

use index::Index;
use provider::Provider;
use triggers::Trigger;

/// Resolve `task`: the records to install, and the excluded records the
/// closure relied on.
///
/// # Errors
///
/// [`SolveError::NotFound`] when a request names nothing known,
/// [`SolveError::Unsatisfiable`] when the requests cannot be satisfied.
pub fn solve(task: &SolveTask<'_>) -> Result<Solution, SolveError> {
    let index = Index::new(task);

    let mut excluded: Vec<usize> = Vec::new();
    let mut requests: Vec<&Requirement> = Vec::new();
    for request in &task.requests {
        if index.is_excluded(&request.name) {
            excluded.extend(index.excluded_match([request]).flatten());
            continue;
        }
        if !index.is_known(&request.name) {
            return Err(explain::not_found(&index, &request.name));
        }
        if let Some(err) = explain::only_excluded(&index, request) {
            return Err(err);
        }
        requests.push(request);
    }

    // The plain closure first; its failure is the answer.
    let mut triggers: Vec<Trigger<'_>> = Vec::new();
    let mut installed = attempt(task, &index, &requests, &triggers)?;

    // install_if, to a fixpoint. Names are triggered at most once; a name
    // whose records cannot be added is given up on.
    let mut known: BTreeSet<&str> = BTreeSet::new();
    loop {
        let new = triggers::new_triggers(&index, &installed, &known);
        if new.is_empty() {
            break;
        }
        known.extend(new.iter().map(|t| t.name));
        let mut all = triggers.clone();
        all.extend(new.iter().cloned());
        if let Ok(found) = attempt(task, &index, &requests, &all) {
            triggers = all;
            installed = found;
            continue;
        }
        // Together they fail: add them one at a time, in name order.
        for trigger in new {
            let mut one = triggers.clone();
            one.push(trigger);
            if let Ok(found) = attempt(task, &index, &requests, &one) {
                triggers = one;
                installed = found;
            }
        }
    }

    let by_name_then_preference = |&a: &usize, &b: &usize| {
        index.packages[a]
            .name
            .cmp(&index.packages[b].name)
            .then(index.rank(a).cmp(&index.rank(b)))
            .then(a.cmp(&b))
    };
    installed.sort_by(by_name_then_preference);
    installed.dedup();

    for &record in &installed {
        for dep in &index.packages[record].depends {
            if let Some(Some(provided_by)) = index.excluded_match(index.dependency_options(dep)) {
                excluded.push(provided_by);
            }
        }
    }
    excluded.sort_by(by_name_then_preference);
    excluded
        .dedup_by(|later, earlier| index.packages[*later].name == index.packages[*earlier].name);

    Ok(Solution {
        installed,
        excluded,
    })
}

/// Solve `requests` plus the install_if `triggers`, dropping tagged records
/// the solution does not reach through their tag until it does, and apply
/// the explicit-virtuals rule.
fn attempt(
    task: &SolveTask<'_>,
    index: &Index<'_>,
    requests: &[&Requirement],
    triggers: &[Trigger<'_>],
) -> Result<Vec<usize>, SolveError> {
    let mut banned: BTreeSet<usize> = BTreeSet::new();
    loop {
        let installed = solve_once(task, index, requests, triggers, banned.clone())?;
        let unreached = tags::unreached_tagged(index, requests, &task.request_tags, &installed);
        if !unreached.is_empty() && unreached.iter().any(|r| !banned.contains(r)) {
            banned.extend(unreached);
            continue;
        }
        if let Some(chain) = virtuals::unselectable_virtual(index, requests, &installed) {
            return Err(SolveError::Unsatisfiable {
                chain,
                details: String::new(),
            });
        }
        return Ok(installed);
    }
}

/// One resolvo run.
fn solve_once(
    task: &SolveTask<'_>,
    index: &Index<'_>,
    requests: &[&Requirement],
    triggers: &[Trigger<'_>],
    banned: BTreeSet<usize>,
) -> Result<Vec<usize>, SolveError> {
    let provider = Provider::new(index, banned);
    // Requests naming a real package first: resolvo then decides them
    // before virtual names, which they may already satisfy (apk-tools
    // resolves `mail-reader mymailreader` to mymailreader alone).
    let mut ordered: Vec<&Requirement> = requests.to_vec();
    ordered.sort_by_key(|r| index.named(&r.name).is_empty());
    let mut requirements: Vec<ConditionalRequirement> = ordered
        .iter()
        .map(|r| {
            ConditionalRequirement::from(provider.requirement(&Dependency::single((*r).clone())))
        })
        .collect();
    for trigger in triggers {
        requirements.push(ConditionalRequirement::from(
            provider.one_of(trigger.name, trigger.records.clone()),
        ));
    }
    let mut solver = Solver::new(provider);
    match solver.solve(Problem::new().requirements(requirements)) {
        Ok(chosen) => {
            let provider = solver.provider();
            Ok(chosen.into_iter().map(|s| provider.record(s)).collect())
        }
        Err(UnsolvableOrCancelled::Unsolvable(conflict)) => {
            let details = conflict.display_user_friendly(&solver).to_string();
            Err(SolveError::Unsatisfiable {
                chain: explain::chain(index, &task.requests),
                details,
            })
        }
        Err(UnsolvableOrCancelled::Cancelled(_)) => Err(SolveError::Cancelled),
    }
}
