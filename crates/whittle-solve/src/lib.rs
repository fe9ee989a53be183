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
//! The satisfaction rule is Debian's and fits APK and RPM too: a record
//! satisfies `name (op v)` when it has that name and a matching version, or
//! provides the name with a matching version; an unversioned provide only
//! satisfies an unversioned requirement.
//!
//! When resolution fails, the `explain` module walks the preferred candidates
//! itself to produce one readable chain such as
//! `python3 → libpython3.11-stdlib → libffi8 (>= 3.4) not available (available: 3.3-1)`,
//! while resolvo's complete explanation is kept as details.
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
mod task;

use resolvo::{ConditionalRequirement, Problem, Solver, UnsolvableOrCancelled};
use whittle_model::{Dependency, Requirement};

pub use error::SolveError;
pub use task::{Solution, SolveTask};

use index::Index;
use provider::Provider;

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
        if let Some(record) = index.excluded_match(std::slice::from_ref(request)) {
            excluded.extend(record);
            continue;
        }
        if !index.is_known(&request.name) {
            return Err(explain::not_found(&index, &request.name));
        }
        requests.push(request);
    }

    let provider = Provider::new(&index);
    let requirements: Vec<ConditionalRequirement> = requests
        .iter()
        .map(|r| {
            ConditionalRequirement::from(provider.requirement(&Dependency::single((*r).clone())))
        })
        .collect();
    let mut solver = Solver::new(provider);
    let chosen = match solver.solve(Problem::new().requirements(requirements)) {
        Ok(chosen) => chosen,
        Err(UnsolvableOrCancelled::Unsolvable(conflict)) => {
            let details = conflict.display_user_friendly(&solver).to_string();
            return Err(SolveError::Unsatisfiable {
                chain: explain::chain(&index, &task.requests),
                details,
            });
        }
        Err(UnsolvableOrCancelled::Cancelled(_)) => return Err(SolveError::Cancelled),
    };

    let provider = solver.provider();
    let mut installed: Vec<usize> = chosen.into_iter().map(|s| provider.record(s)).collect();
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
            if let Some(Some(provided_by)) = index.excluded_match(&dep.alternatives) {
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
