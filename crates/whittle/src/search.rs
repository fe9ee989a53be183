//! `whittle search`: what the recipe's repositories offer, in any world.
//! Packages whose name, summary or provides match a query (a substring,
//! or a glob over the whole name when the query holds `*`, `?` or `[`),
//! every version with its repository and architecture, the version the
//! recipe would pick and why, parts of packages (slices) by name, and
//! which packages ship a path (from the world's file index). Indexes are
//! read as a build reads them ([`crate::resolve`]), so `--offline` answers
//! from the cache.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use whittle_model::{PackageRecord, VersionScheme};
use whittle_recipe::{Arch, BuildPlan, PackageRequest};
use whittle_solve::solve;
use whittle_world::{is_glob, matcher, FileOwner, PackageWorld, PartMatch, PathQuery};

use crate::error::BuildError;
use crate::resolve::{load_indexes, make_task, requirement};
use crate::session::Session;

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// Matched against names, summaries, provides and part names.
    pub query: Option<String>,
    /// Paths (or globs over paths) whose packages are wanted.
    pub files: Vec<String>,
}

/// Why a package matched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Matched {
    /// Its name is the query.
    ExactName,
    /// Its name holds (or matches) the query.
    Name,
    /// It provides this name, which holds (or matches) the query.
    Provides(String),
    /// Its summary holds (or matches) the query.
    Summary,
    /// It ships this path (see [`FileAnswer`]).
    File(String),
}

/// One version of a package in one index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    /// The version, in the world's syntax.
    pub version: String,
    /// The world's architecture name (`amd64`, `all`, `noarch`).
    pub arch: String,
    /// The repository, as the world names it (URL and suite).
    pub repository: String,
    /// The index source (recipe order).
    pub source: usize,
}

/// Why the recipe would install the version it would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickReason {
    /// The recipe asks for this version (`name=1.2`, `name>=1`).
    Pinned(String),
    /// The recipe asks for it from a tagged repository (`name@edge`).
    Tagged(String),
    /// The newest version, from the first repository that has it.
    Newest,
    /// Not the newest: a newer version is only in a tagged repository,
    /// which serves only entries naming its tag.
    RepositoryPriority(String),
    /// Not the newest the indexes hold: the recipe's other packages (their
    /// dependencies, conflicts, the other architectures) hold it back.
    HeldBack,
    /// The query is a name no package has; this is the provider the
    /// solver prefers (provider priority, then name).
    ProviderPriority(String),
}

impl fmt::Display for PickReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PickReason::Pinned(spec) => write!(f, "pinned by the recipe (`{spec}`)"),
            PickReason::Tagged(tag) => {
                write!(
                    f,
                    "repository priority: asked for from the @{tag} repository"
                )
            }
            PickReason::Newest => f.write_str("newest"),
            PickReason::RepositoryPriority(why) => write!(f, "repository priority: {why}"),
            PickReason::HeldBack => f.write_str(
                "held back by the recipe's other packages (dependencies, conflicts, architectures)",
            ),
            PickReason::ProviderPriority(name) => {
                write!(f, "provider priority: preferred provider of `{name}`")
            }
        }
    }
}

impl PickReason {
    /// A short stable key for machine-readable output (`pin`, `tag`,
    /// `newest`, `repository-priority`, `held-back`, `provider-priority`).
    pub fn key(&self) -> &'static str {
        match self {
            PickReason::Pinned(_) => "pin",
            PickReason::Tagged(_) => "tag",
            PickReason::Newest => "newest",
            PickReason::RepositoryPriority(_) => "repository-priority",
            PickReason::HeldBack => "held-back",
            PickReason::ProviderPriority(_) => "provider-priority",
        }
    }
}

/// The version the recipe would install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    /// The package (a provider, for a virtual name).
    pub name: String,
    /// Its version.
    pub version: String,
    /// The repository it would come from.
    pub repository: String,
    /// Why this one.
    pub reason: PickReason,
    /// Whether the recipe's resolved set already holds it.
    pub in_recipe: bool,
}

/// One package that matched, with every version the indexes hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageMatch {
    /// The package name.
    pub name: String,
    /// Its summary (from the version picked, else the newest).
    pub summary: Option<String>,
    /// Why it matched, strongest first.
    pub matched: Vec<Matched>,
    /// Every version, newest first.
    pub versions: Vec<Available>,
    /// What the recipe would install of it, when it can be installed.
    pub pick: Option<Pick>,
}

/// Which packages ship the paths asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileAnswer {
    /// Every owner, with the repository it was found in.
    pub owners: Vec<(FileOwner, String)>,
    /// Whether the answers come from complete file lists (see
    /// [`whittle_world::FileSearch::complete`]).
    pub complete: bool,
    /// How the world found them (APK: that it has no file lists).
    pub notes: Vec<String>,
}

/// The answer for one architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchOutcome {
    /// The architecture searched.
    pub arch: Arch,
    /// Matching packages: exact name first, then by name.
    pub packages: Vec<PackageMatch>,
    /// For a query that is no package's name but is provided: the
    /// provider the recipe would get.
    pub provided_by: Option<Pick>,
    /// Matching parts of packages (slices).
    pub parts: Vec<PartMatch>,
    /// With `files`: who ships them.
    pub files: Option<FileAnswer>,
    /// What the reader should know (the recipe does not resolve, …).
    pub notes: Vec<String>,
}

/// Search the recipe's repositories for each of `archs`.
pub fn search(
    session: &Session,
    plan: &BuildPlan,
    archs: &[Arch],
    request: &SearchRequest,
) -> Result<Vec<SearchOutcome>, BuildError> {
    let queries = request
        .files
        .iter()
        .map(|p| PathQuery::new(p))
        .collect::<Result<Vec<_>, _>>()?;
    let name_query = request.query.as_deref().map(TextQuery::new).transpose()?;
    archs
        .iter()
        .map(|&arch| search_arch(session, plan, arch, name_query.as_ref(), &queries))
        .collect()
}

fn search_arch(
    session: &Session,
    plan: &BuildPlan,
    arch: Arch,
    query: Option<&TextQuery>,
    files: &[PathQuery],
) -> Result<SearchOutcome, BuildError> {
    let world = session.world();
    session
        .reporter()
        .on_step(&format!("reading package indexes ({arch})"));
    let (records, _) = load_indexes(session, arch)?;
    let mut notes = Vec::new();
    // What the recipe itself resolves to, to mark packages already in it.
    let resolved = match recipe_set(session, plan, arch, &records) {
        Ok(set) => set,
        Err(why) => {
            notes.push(format!(
                "the recipe does not resolve for {arch} ({why}); each pick is what the recipe \
                 would get asking for that name alone"
            ));
            BTreeMap::new()
        }
    };
    // Matches by name, provides and summary.
    let mut matched: BTreeMap<String, BTreeSet<Matched>> = BTreeMap::new();
    if let Some(q) = query {
        for r in &records {
            for m in q.match_record(world, r) {
                matched.entry(r.name.clone()).or_default().insert(m);
            }
        }
    }
    // Owners of the paths asked for.
    let file_answer = if files.is_empty() {
        None
    } else {
        let cx = session.context(arch);
        let found = world.find_files(&cx, files, &records)?;
        for o in found.owners.iter().filter(|o| o.part.is_none()) {
            matched
                .entry(o.package.clone())
                .or_default()
                .insert(Matched::File(o.path.clone()));
        }
        Some(FileAnswer {
            owners: found
                .owners
                .into_iter()
                .map(|o| {
                    let label = world.source_label(o.source);
                    (o, label)
                })
                .collect(),
            complete: found.complete,
            notes: found.notes,
        })
    };
    let by_name = group_by_name(&records);
    let scheme = world.version_scheme();
    let mut packages: Vec<PackageMatch> = matched
        .into_iter()
        .map(|(name, why)| {
            let candidates = by_name.get(name.as_str()).cloned().unwrap_or_default();
            let pick = pick(
                world,
                plan,
                &name,
                &candidates,
                resolved.get(name.as_str()).copied(),
            );
            let summary = pick
                .as_ref()
                .and_then(|p| candidates.iter().copied().find(|r| r.version == p.version))
                .or_else(|| newest(scheme, &candidates))
                .and_then(|r| world.summary(r))
                .map(str::to_string);
            PackageMatch {
                versions: versions(world, &candidates),
                name,
                summary,
                matched: why.into_iter().collect(),
                pick,
            }
        })
        .collect();
    packages.sort_by(|a, b| {
        a.matched
            .first()
            .cmp(&b.matched.first())
            .then(a.name.cmp(&b.name))
    });
    let provided_by = query
        .filter(|q| !q.is_glob() && !by_name.contains_key(q.text.as_str()))
        .and_then(|q| provider_pick(world, &records, &q.text, &resolved));
    let parts = query
        .map(|q| world.search_parts(&q.text))
        .unwrap_or_default();
    Ok(SearchOutcome {
        arch,
        packages,
        provided_by,
        parts,
        files: file_answer,
        notes,
    })
}

/// A name query: a case-insensitive substring (of names, provides and
/// summaries), or a glob over whole names and provides and anywhere in a
/// summary.
struct TextQuery {
    text: String,
    lower: String,
    /// The glob over whole names, and the same glob anywhere in a summary.
    glob: Option<(globset::GlobMatcher, globset::GlobMatcher)>,
}

impl TextQuery {
    fn new(text: &str) -> Result<TextQuery, whittle_world::WorldError> {
        let lower = text.to_lowercase();
        let glob = if is_glob(text) {
            Some((matcher(&lower)?, matcher(&format!("*{lower}*"))?))
        } else {
            None
        };
        Ok(TextQuery {
            text: text.to_string(),
            lower,
            glob,
        })
    }

    fn is_glob(&self) -> bool {
        self.glob.is_some()
    }

    fn name_matches(&self, name: &str) -> bool {
        let name = name.to_lowercase();
        match &self.glob {
            Some((whole, _)) => whole.is_match(&name),
            None => name.contains(&self.lower),
        }
    }

    fn match_record(&self, world: &dyn PackageWorld, r: &PackageRecord) -> Vec<Matched> {
        let mut out = Vec::new();
        if r.name == self.text {
            out.push(Matched::ExactName);
        } else if self.name_matches(&r.name) {
            out.push(Matched::Name);
        }
        for p in r.provides.iter().filter(|p| self.name_matches(&p.name)) {
            out.push(Matched::Provides(p.name.clone()));
        }
        if let Some(summary) = world.summary(r).map(str::to_lowercase) {
            let hit = match &self.glob {
                Some((_, anywhere)) => anywhere.is_match(&summary),
                None => summary.contains(&self.lower),
            };
            if hit {
                out.push(Matched::Summary);
            }
        }
        out
    }
}

/// The recipe's resolved set for `arch`, by name (whole packages).
fn recipe_set<'r>(
    session: &Session,
    plan: &BuildPlan,
    arch: Arch,
    records: &'r [PackageRecord],
) -> Result<BTreeMap<&'r str, &'r PackageRecord>, String> {
    let world = session.world();
    let split = world
        .split_requests(&plan.packages, arch)
        .map_err(|e| e.to_string())?;
    let task = make_task(
        records,
        world.version_scheme(),
        world.solve_rules(),
        plan,
        &split.whole,
        BTreeMap::new(),
    );
    let solution = solve(&task).map_err(|e| e.to_string())?;
    Ok(solution
        .installed
        .iter()
        .filter_map(|&i| records.get(i))
        .map(|r| (r.name.as_str(), r))
        .collect())
}

fn group_by_name(records: &[PackageRecord]) -> BTreeMap<&str, Vec<&PackageRecord>> {
    let mut m: BTreeMap<&str, Vec<&PackageRecord>> = BTreeMap::new();
    for r in records {
        m.entry(r.name.as_str()).or_default().push(r);
    }
    m
}

/// Every version, newest first, then in recipe order of repositories.
fn versions(world: &dyn PackageWorld, candidates: &[&PackageRecord]) -> Vec<Available> {
    let scheme = world.version_scheme();
    let mut sorted = candidates.to_vec();
    sorted.sort_by(|a, b| {
        scheme
            .compare(&b.version, &a.version)
            .then(a.repo.cmp(&b.repo))
            .then(a.arch.cmp(&b.arch))
    });
    sorted.dedup_by(|a, b| a.version == b.version && a.repo == b.repo && a.arch == b.arch);
    sorted
        .into_iter()
        .map(|r| Available {
            version: r.version.clone(),
            arch: r.arch.clone(),
            repository: world.source_label(r.repo),
            source: r.repo,
        })
        .collect()
}

/// The solver's preference among records of one name: higher version,
/// then the earlier repository.
fn newest<'r>(
    scheme: &dyn VersionScheme,
    candidates: &[&'r PackageRecord],
) -> Option<&'r PackageRecord> {
    candidates.iter().copied().min_by(|a, b| {
        scheme
            .compare(&b.version, &a.version)
            .then(a.repo.cmp(&b.repo))
    })
}

/// What the recipe would install of `name`, and why: its resolved set's
/// choice when it holds the package, else the solver's preference among
/// the candidates the recipe's entry (if any) allows.
fn pick(
    world: &dyn PackageWorld,
    plan: &BuildPlan,
    name: &str,
    candidates: &[&PackageRecord],
    resolved: Option<&PackageRecord>,
) -> Option<Pick> {
    let scheme = world.version_scheme();
    let entry = plan.packages.iter().find(|p| p.name == name);
    let tag = entry.and_then(|e| e.tag.clone());
    // Tagged repositories serve only entries naming their tag.
    let reachable: Vec<&PackageRecord> = candidates
        .iter()
        .copied()
        .filter(|r| r.repo_tag.is_none() || r.repo_tag == tag)
        .collect();
    let allowed: Vec<&PackageRecord> = match entry.and_then(|e| e.constraint.as_ref()) {
        Some(_) => {
            let req = entry.map(requirement);
            reachable
                .iter()
                .copied()
                .filter(|r| {
                    req.as_ref()
                        .and_then(|q| q.constraint.as_ref())
                        .is_none_or(|(op, v)| scheme.matches(&r.version, *op, v))
                })
                .collect()
        }
        None => reachable.clone(),
    };
    let preferred = match &tag {
        Some(t) => {
            let tagged: Vec<&PackageRecord> = allowed
                .iter()
                .copied()
                .filter(|r| r.repo_tag.as_deref() == Some(t.as_str()))
                .collect();
            newest(scheme, &tagged).or_else(|| newest(scheme, &allowed))
        }
        None => newest(scheme, &allowed),
    };
    let chosen = resolved.or(preferred)?;
    let overall = newest(scheme, candidates);
    let reason = if let Some(e) = entry.filter(|e| e.constraint.is_some()) {
        PickReason::Pinned(render_entry(e))
    } else if let Some(t) = &tag {
        PickReason::Tagged(t.clone())
    } else if resolved.is_some() && preferred.is_some_and(|p| p.version != chosen.version) {
        PickReason::HeldBack
    } else if overall.is_some_and(|o| o.version != chosen.version) {
        let newer = overall.map_or(String::new(), |o| {
            format!(
                "{} is only in {}, which serves entries naming its tag",
                o.version,
                world.source_label(o.repo)
            )
        });
        PickReason::RepositoryPriority(newer)
    } else {
        PickReason::Newest
    };
    Some(Pick {
        name: chosen.name.clone(),
        version: chosen.version.clone(),
        repository: world.source_label(chosen.repo),
        reason,
        in_recipe: resolved.is_some(),
    })
}

/// The provider of virtual name `name` the recipe would get: the one its
/// resolved set holds, else the highest provider priority, then the
/// first name.
fn provider_pick(
    world: &dyn PackageWorld,
    records: &[PackageRecord],
    name: &str,
    resolved: &BTreeMap<&str, &PackageRecord>,
) -> Option<Pick> {
    let providers: Vec<&PackageRecord> = records
        .iter()
        .filter(|r| r.repo_tag.is_none() && r.provides.iter().any(|p| p.name == name))
        .collect();
    let in_recipe = providers.iter().copied().find(|r| {
        resolved
            .get(r.name.as_str())
            .is_some_and(|x| x.version == r.version)
    });
    let scheme = world.version_scheme();
    let chosen = in_recipe.or_else(|| {
        providers.iter().copied().min_by(|a, b| {
            b.provider_priority
                .cmp(&a.provider_priority)
                .then(a.name.cmp(&b.name))
                .then(scheme.compare(&b.version, &a.version))
                .then(a.repo.cmp(&b.repo))
        })
    })?;
    Some(Pick {
        name: chosen.name.clone(),
        version: chosen.version.clone(),
        repository: world.source_label(chosen.repo),
        reason: PickReason::ProviderPriority(name.to_string()),
        in_recipe: in_recipe.is_some(),
    })
}

/// A recipe entry as written (`tzdata=2025a-0+deb12u1`, `python3@edge`).
fn render_entry(e: &PackageRequest) -> String {
    let mut s = e.name.clone();
    if let Some((op, v)) = &e.constraint {
        s.push_str(op.as_str());
        s.push_str(v);
    }
    if let Some(t) = &e.tag {
        s.push('@');
        s.push_str(t);
    }
    s
}
