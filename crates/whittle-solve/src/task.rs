//! What the solver is asked ([`SolveTask`]) and what it answers ([`Solution`]).

use std::collections::BTreeMap;

use whittle_model::{PackageRecord, Requirement, VersionScheme};

/// The resolution semantics a package world asks for, as features rather
/// than as world names. [`Rules::default`] is dpkg/apt's (and rpm's) model:
/// any number of packages may provide a name, providers are preferred by
/// `provider_priority` then name, and any provider may be picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rules {
    /// A name is held by one installed package only (apk-tools): two
    /// packages may not both be installed when one is named, or provides
    /// with a version, a name the other is named or provides (unversioned
    /// provides may be shared); a package providing its own name, or one
    /// name with two versions, is uninstallable.
    pub exclusive_names: bool,
    /// How the packages able to satisfy one requirement are ordered.
    pub provider_order: ProviderOrder,
    /// A package offering a name only as an unversioned provide, with
    /// `provider_priority` 0, is never chosen just to satisfy that name: it
    /// must be asked for (or depended on) by its own name, or be installed
    /// for another reason (apk-tools).
    pub explicit_virtuals: bool,
}

/// How providers of a requirement are preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProviderOrder {
    /// Higher `provider_priority` first, then by name (apt; Debian's
    /// `Priority` is mapped onto it so that `awk` means mawk).
    #[default]
    Priority,
    /// Highest version given to the required name first (a record's own
    /// version for its own name, a provide's version; unversioned provides
    /// last), then higher `provider_priority`, then name (apk-tools).
    ProvidedVersion,
}

/// One dependency-resolution problem.
///
/// `packages` holds every candidate of every repository; the solver picks at
/// most one record per package name. The solution is the `requests`, their
/// dependency closure, and the records pulled in by `install_if`: a record
/// whose `install_if` requirements all hold in the solution is installed too
/// (a requirement named `!x` holds when nothing satisfying `x` is installed).
/// Such a record is added only if the whole can still be resolved; the
/// closure is recomputed until no further record is triggered.
///
/// Records may also obsolete others ([`PackageRecord::obsoletes`]: the named
/// packages are kept out), and dependencies may carry `with` requirements
/// and conditions ([`whittle_model::Dependency`]).
///
/// Records from tagged repositories (`repo_tag`) are candidates only when
/// reached through a tag: a request listed in `request_tags` makes the
/// records of that tag satisfying it candidates, and so, transitively, the
/// records of that tag satisfying the dependencies (or whose `install_if`
/// refers to a package) of any record so reached (apk-tools' pinning
/// inheritance). A request with a tag prefers records of that tag; every
/// other name prefers untagged records, even over a higher tagged version.
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
    /// Request name → repository tag (`name@tag`): the tagged records become
    /// candidates for this request and its closure, and are preferred for it.
    pub request_tags: BTreeMap<String, String>,
    /// The world's resolution semantics.
    pub rules: Rules,
}

impl<'a> SolveTask<'a> {
    /// A task over `packages` with no requests, exclusions, locks or tags
    /// yet, under the default [`Rules`].
    pub fn new(packages: &'a [PackageRecord], scheme: &'a dyn VersionScheme) -> Self {
        SolveTask {
            packages,
            requests: Vec::new(),
            exclude: Vec::new(),
            scheme,
            locked: BTreeMap::new(),
            request_tags: BTreeMap::new(),
            rules: Rules::default(),
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
