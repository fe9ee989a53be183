//! What the solver is asked ([`SolveTask`]) and what it answers ([`Solution`]).

use std::collections::BTreeMap;

use whittle_model::{PackageRecord, Requirement, VersionScheme};

/// One dependency-resolution problem.
///
/// `packages` holds every candidate of every repository; the solver picks at
/// most one record per package name. Nothing is installed implicitly: the
/// solution is the `requests` and their dependency closure.
pub struct SolveTask<'a> {
    /// Every candidate from every repository (recipe order in `repo`).
    pub packages: &'a [PackageRecord],
    /// What the recipe asked for; each may carry a version relation.
    pub requests: Vec<Requirement>,
    /// Names treated as already provided: they are never installed, and any
    /// dependency they satisfy (by name, or through their `provides`) is
    /// dropped.
    pub exclude: Vec<String>,
    /// How versions of this world are ordered and matched.
    pub scheme: &'a dyn VersionScheme,
    /// Name → version that must be chosen if the package is installed
    /// (lock files). A locked name whose version is not among the candidates
    /// cannot be installed at all.
    pub locked: BTreeMap<String, String>,
}

impl<'a> SolveTask<'a> {
    /// A task over `packages` with no requests, exclusions or locks yet.
    pub fn new(packages: &'a [PackageRecord], scheme: &'a dyn VersionScheme) -> Self {
        SolveTask {
            packages,
            requests: Vec::new(),
            exclude: Vec::new(),
            scheme,
            locked: BTreeMap::new(),
        }
    }
}

/// A successful resolution.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Solution {
    /// Indices into [`SolveTask::packages`] of the records to install, sorted
    /// by package name (one record per name).
    pub installed: Vec<usize>,
    /// Indices of records of excluded names that the closure needed (the
    /// best matching version per name), sorted by package name.
    pub excluded: Vec<usize>,
}
