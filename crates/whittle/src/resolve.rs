//! Resolve a recipe's package list, per architecture, with one rule across
//! architectures: a multi-arch build installs the same version of a package
//! on every architecture that has it (apko's rule: a version missing on one
//! requested architecture is not chosen on any).

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use whittle_model::{Op, PackageRecord, Requirement};
use whittle_recipe::{Arch, BuildPlan, PackageRequest};
use whittle_solve::{solve, SolveError, SolveTask};

use crate::error::BuildError;
use crate::session::Session;

/// The packages an image of one architecture will hold.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// The architecture.
    pub arch: Arch,
    /// Packages to install, sorted by name.
    pub installed: Vec<PackageRecord>,
    /// Packages the closure needed but the recipe excluded (treated as
    /// provided, not installed), sorted by name.
    pub excluded: Vec<PackageRecord>,
    /// Installed packages of which only parts go in (Chisel slices), with
    /// those parts; every other installed package goes in whole.
    pub parts: BTreeMap<String, Vec<String>>,
    /// `sha256:<hex>` of each index source read, in source order (empty
    /// when the packages came from a lock).
    pub index_digests: Vec<String>,
}

/// Load the indexes of every architecture and solve the recipe for each,
/// keeping versions consistent across them.
pub fn resolve_all(
    session: &Session,
    plan: &BuildPlan,
    archs: &[Arch],
) -> Result<Vec<Resolution>, BuildError> {
    let mut indexes = Vec::new();
    let mut digests = Vec::new();
    for &arch in archs {
        session
            .reporter()
            .on_step(&format!("reading package indexes ({arch})"));
        let (records, d) = load_indexes(session, arch)?;
        indexes.push(records);
        digests.push(d);
    }
    let dropped = if archs.len() > 1 {
        drop_inconsistent(&mut indexes)
    } else {
        BTreeSet::new()
    };
    let mut out: Vec<Resolution> = Vec::new();
    for ((&arch, records), index_digests) in archs.iter().zip(&indexes).zip(digests) {
        session.reporter().on_step(&format!(
            "resolving {} requested packages among {} ({arch})",
            plan.packages.len(),
            records.len()
        ));
        let split = session.world().split_requests(&plan.packages, arch)?;
        let scheme = session.world().version_scheme();
        let rules = session.world().solve_rules();
        let task = make_task(records, scheme, rules, plan, &split.whole, BTreeMap::new());
        let first_locks: Option<BTreeMap<String, String>> = out.first().map(|first| {
            first
                .installed
                .iter()
                .map(|p| (p.name.clone(), p.version.clone()))
                .collect()
        });
        // Later architectures take the versions the first one chose.
        let solution = match &first_locks {
            None => solve(&task).map_err(|source| solve_error(arch, source, &dropped))?,
            Some(locks) => {
                let locked_task =
                    make_task(records, scheme, rules, plan, &split.whole, locks.clone());
                match solve(&locked_task) {
                    Ok(s) => s,
                    Err(locked_err) => match solve(&task) {
                        Ok(_) => {
                            return Err(inconsistent(
                                arch,
                                out.first().map_or(arch, |f| f.arch),
                                locked_err,
                            ))
                        }
                        Err(source) => return Err(solve_error(arch, source, &dropped)),
                    },
                }
            }
        };
        let pick = |ids: &[usize]| -> Vec<PackageRecord> {
            ids.iter()
                .filter_map(|&i| records.get(i).cloned())
                .collect()
        };
        let mut installed = pick(&solution.installed);
        let parts = resolve_parts(
            session,
            records,
            &split,
            &mut installed,
            first_locks.unwrap_or_default(),
        )
        .map_err(|source| solve_error(arch, source, &dropped))?;
        out.push(Resolution {
            arch,
            installed,
            excluded: pick(&solution.excluded),
            parts,
            index_digests,
        });
    }
    Ok(out)
}

/// Indexes in flight at once: fetching them is network-bound, verifying
/// and parsing them CPU-bound.
const PARALLEL_INDEXES: usize = 8;

/// Every index of the world for `arch`, loaded in parallel and
/// concatenated in recipe order (so records keep their ranks), with each
/// index's digest.
pub(crate) fn load_indexes(
    session: &Session,
    arch: Arch,
) -> Result<(Vec<PackageRecord>, Vec<String>), BuildError> {
    let cx = session.context(arch);
    let world = session.world();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(PARALLEL_INDEXES.min(world.index_sources().max(1)))
        .build()
        .map_err(BuildError::Threads)?;
    let per_source: Vec<Result<whittle_world::LoadedIndex, whittle_world::WorldError>> = pool
        .install(|| {
            (0..world.index_sources())
                .into_par_iter()
                .map(|i| world.load_index(&cx, i))
                .collect()
        });
    let mut all = Vec::new();
    let mut digests = Vec::new();
    for loaded in per_source {
        let loaded = loaded?;
        digests.push(loaded.digest);
        if all.is_empty() {
            all = loaded.records;
        } else {
            all.extend(loaded.records);
        }
    }
    Ok((all, digests))
}

/// The resolved sets without building anything: what
/// `whittle show-packages` prints.
pub fn show_packages(
    session: &Session,
    plan: &BuildPlan,
    archs: &[Arch],
) -> Result<Vec<Resolution>, BuildError> {
    resolve_all(session, plan, archs)
}

/// Remove every record whose exact version is missing on another
/// architecture that has the package at all; returns `name version`s dropped.
fn drop_inconsistent(indexes: &mut [Vec<PackageRecord>]) -> BTreeSet<String> {
    let versions: Vec<BTreeMap<&str, BTreeSet<&str>>> = indexes
        .iter()
        .map(|records| {
            let mut m: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for r in records {
                m.entry(r.name.as_str())
                    .or_default()
                    .insert(r.version.as_str());
            }
            m
        })
        .collect();
    let keep: Vec<Vec<bool>> = indexes
        .iter()
        .map(|records| {
            records
                .iter()
                .map(|r| {
                    versions.iter().all(|other| {
                        other
                            .get(r.name.as_str())
                            .is_none_or(|vs| vs.contains(r.version.as_str()))
                    })
                })
                .collect()
        })
        .collect();
    let mut dropped = BTreeSet::new();
    for (records, keep) in indexes.iter_mut().zip(keep) {
        let mut it = keep.into_iter();
        records.retain(|r| {
            let k = it.next().unwrap_or(true);
            if !k {
                dropped.insert(format!("{} {}", r.name, r.version));
            }
            k
        });
    }
    dropped
}

fn solve_error(arch: Arch, source: SolveError, dropped: &BTreeSet<String>) -> BuildError {
    let text = source.to_string();
    let mentioned: Vec<String> = dropped
        .iter()
        .filter(|d| text.contains(d.split(' ').next().unwrap_or("")))
        .cloned()
        .collect();
    if mentioned.is_empty() {
        BuildError::Solve {
            arch: arch.to_string(),
            source,
        }
    } else {
        BuildError::MissingOnOtherArch {
            arch: arch.to_string(),
            dropped: mentioned,
            source,
        }
    }
}

fn inconsistent(arch: Arch, first: Arch, source: SolveError) -> BuildError {
    BuildError::ArchsDisagree {
        first: first.to_string(),
        arch: arch.to_string(),
        source,
    }
}

/// Choose a version for each package wanted only in parts: the one the
/// whole-package solution already holds (which then goes in whole), else
/// the best candidate meeting the entries' constraints, its own
/// dependencies not followed (a part names what it needs as other parts).
/// Adds the chosen records to `installed` (kept sorted by name) and returns
/// the packages that go in as parts.
fn resolve_parts(
    session: &Session,
    records: &[PackageRecord],
    split: &whittle_world::SplitRequests,
    installed: &mut Vec<PackageRecord>,
    locked: BTreeMap<String, String>,
) -> Result<BTreeMap<String, Vec<String>>, SolveError> {
    let wanted = &split.parts;
    let mut parts = BTreeMap::new();
    let whole: BTreeSet<String> = installed.iter().map(|p| p.name.clone()).collect();
    let mut open: Vec<&(PackageRequest, Vec<String>)> = Vec::new();
    for entry in wanted {
        if whole.contains(&entry.0.name) {
            session.reporter().on_warning(&format!(
                "{} goes in whole (another package depends on it), so its parts {} add nothing",
                entry.0.name,
                entry.1.join(", ")
            ));
        } else {
            open.push(entry);
        }
    }
    if open.is_empty() {
        return Ok(parts);
    }
    let names: BTreeSet<&str> = open.iter().map(|e| e.0.name.as_str()).collect();
    // Where each package may come from: the first preferred group of
    // sources that has it.
    let allowed: BTreeMap<&str, BTreeSet<usize>> = split
        .sources
        .iter()
        .filter(|(name, _)| names.contains(name.as_str()))
        .filter_map(|(name, groups)| {
            let group = groups.iter().find(|g| {
                records
                    .iter()
                    .any(|r| r.name == *name && g.contains(&r.repo))
            })?;
            Some((name.as_str(), group.iter().copied().collect()))
        })
        .collect();
    // The candidates, stripped of their relationships.
    let bare: Vec<PackageRecord> = records
        .iter()
        .filter(|r| names.contains(r.name.as_str()))
        .filter(|r| {
            allowed
                .get(r.name.as_str())
                .is_none_or(|sources| sources.contains(&r.repo))
        })
        .map(|r| {
            let mut r = r.clone();
            r.depends.clear();
            r.conflicts.clear();
            r.obsoletes.clear();
            r.install_if.clear();
            r.provides.clear();
            r
        })
        .collect();
    let world = session.world();
    let mut task = SolveTask::new(&bare, world.version_scheme());
    task.rules = world.solve_rules();
    task.requests = open.iter().map(|e| requirement(&e.0)).collect();
    task.locked = locked;
    let solution = solve(&task)?;
    for &i in &solution.installed {
        if let Some(r) = bare.get(i) {
            if let Some(original) = records
                .iter()
                .find(|o| o.name == r.name && o.version == r.version && o.repo == r.repo)
            {
                installed.push(original.clone());
            }
        }
    }
    installed.sort_by(|a, b| a.name.cmp(&b.name));
    for entry in open {
        parts.insert(entry.0.name.clone(), entry.1.clone());
    }
    Ok(parts)
}

pub(crate) fn make_task<'a>(
    records: &'a [PackageRecord],
    scheme: &'a dyn whittle_model::VersionScheme,
    rules: whittle_solve::Rules,
    plan: &BuildPlan,
    requests: &[PackageRequest],
    locked: BTreeMap<String, String>,
) -> SolveTask<'a> {
    let mut task = SolveTask::new(records, scheme);
    task.rules = rules;
    task.requests = requests.iter().map(requirement).collect();
    task.exclude = plan.exclude.clone();
    task.request_tags = request_tags(plan);
    task.locked = locked;
    task
}

fn request_tags(plan: &BuildPlan) -> BTreeMap<String, String> {
    plan.packages
        .iter()
        .filter_map(|p| p.tag.clone().map(|t| (p.name.clone(), t)))
        .collect()
}

pub(crate) fn requirement(req: &PackageRequest) -> Requirement {
    use whittle_recipe::Op as R;
    let constraint = req.constraint.as_ref().map(|(op, v)| {
        let op = match op {
            R::Eq => Op::Eq,
            R::Prefix => Op::Prefix,
            R::Gt => Op::Gt,
            R::Ge => Op::Ge,
            R::Lt => Op::Lt,
            R::Le => Op::Le,
        };
        (op, v.clone())
    });
    Requirement {
        name: req.name.clone(),
        constraint,
    }
}
