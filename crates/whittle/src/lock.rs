//! Lock files: write what a recipe resolves to (`whittle lock`), build
//! from exactly that without reading an index (`build --lockfile`), and
//! say what a fresh resolution would change (`whittle check`).
//!
//! A lock matches its recipe when the parts of the recipe that decide the
//! resolution are unchanged ([`recipe_inputs`]), every index source is
//! still there under the same name, and every tree the world read (a
//! Chisel release) has the same digest. A repository's URL may change: the
//! lock's package URLs are moved onto the recipe's current URL (a
//! snapshot mirror, another host's apt mirror), and the locked digests
//! keep the image exact.

use rayon::prelude::*;
use whittle_lock::{
    compare, sri_sha256, Change, Contents, Inputs, Lock, LockConfig, LockedPackage,
    LockedRepository, WhittleSection, LOCK_VERSION,
};
use whittle_model::PackageRecord;
use whittle_recipe::{Arch, BuildPlan, PackageRequest};
use whittle_world::LockState;

use crate::error::BuildError;
use crate::resolve::{resolve_all, Resolution};
use crate::session::Session;

/// The recipe file a lock is made from.
#[derive(Debug, Clone)]
pub struct RecipeFile<'a> {
    /// Its file name, as the lock records it.
    pub name: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// Resolve `plan` for `archs` and describe the result as a lock.
pub fn lock(
    session: &Session,
    plan: &BuildPlan,
    archs: &[Arch],
    recipe: &RecipeFile<'_>,
) -> Result<Lock, BuildError> {
    let resolutions = resolve_all(session, plan, archs)?;
    describe(session, plan, &resolutions, recipe, true)
}

/// What a fresh resolution of `plan` changes against `locked`.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// Why the lock no longer describes the recipe, when it does not
    /// (then the packages are not compared).
    pub mismatch: Option<String>,
    /// Packages a fresh resolution changes.
    pub changes: Vec<Change>,
}

impl CheckOutcome {
    /// Whether the image should be rebuilt.
    pub fn rebuild_needed(&self) -> bool {
        self.mismatch.is_some() || !self.changes.is_empty()
    }
}

/// Resolve `plan` afresh and compare with `locked`.
pub fn check(
    session: &Session,
    plan: &BuildPlan,
    archs: &[Arch],
    locked: &Lock,
) -> Result<CheckOutcome, BuildError> {
    if let Err(BuildError::LockMismatch { reason, .. }) = matches_recipe(session, plan, locked) {
        return Ok(CheckOutcome {
            mismatch: Some(reason),
            changes: Vec::new(),
        });
    }
    let resolutions = resolve_all(session, plan, archs)?;
    let recipe = RecipeFile {
        name: &locked.config.name,
        bytes: &[],
    };
    // Versions and index digests are what is compared: APK's member
    // ranges (which need every package fetched) are not worked out.
    let fresh = describe(session, plan, &resolutions, &recipe, false)?;
    Ok(CheckOutcome {
        mismatch: None,
        changes: compare(locked, &fresh),
    })
}

/// The packages of `locked` for each of `archs`, as resolutions to
/// install, after checking that the lock still describes `plan`. No index
/// is read.
pub fn resolve_from_lock(
    session: &Session,
    plan: &BuildPlan,
    archs: &[Arch],
    locked: &Lock,
) -> Result<Vec<Resolution>, BuildError> {
    matches_recipe(session, plan, locked)?;
    let world = session.world();
    let mut out = Vec::new();
    for &arch in archs {
        let cx = session.context(arch);
        let state = world.lock_state(&cx)?;
        // Slices: the world's selection for this architecture is made
        // from the release, which the lock's tree digest pins.
        let _ = world.split_requests(&plan.packages, arch)?;
        let entries: Vec<&LockedPackage> = locked.packages_for(&state.arch).collect();
        if entries.is_empty() {
            return Err(mismatch(
                locked,
                format!(
                    "it has no packages for {arch} ({}); it was written for {}",
                    state.arch,
                    locked.architectures().join(", ")
                ),
            ));
        }
        let mut installed = Vec::new();
        let mut excluded = Vec::new();
        let mut parts = std::collections::BTreeMap::new();
        for p in entries {
            let record = record_for(world, locked, &state, p)?;
            if p.excluded {
                excluded.push(record);
                continue;
            }
            if !p.parts.is_empty() {
                parts.insert(p.name.clone(), p.parts.clone());
            }
            installed.push(record);
        }
        installed.sort_by(|a, b| a.name.cmp(&b.name));
        excluded.sort_by(|a, b| a.name.cmp(&b.name));
        out.push(Resolution {
            arch,
            installed,
            excluded,
            parts,
            index_digests: Vec::new(),
        });
    }
    Ok(out)
}

/// The parts of `plan` that decide which packages are chosen, each
/// checksummed, for the lock's `whittle.inputs`.
pub fn recipe_inputs(plan: &BuildPlan, world: &str) -> Inputs {
    let mut inputs = Inputs::default();
    inputs.add("world", world);
    inputs.add("packages", &requested(plan));
    let mut exclude = plan.exclude.clone();
    exclude.sort();
    inputs.add("exclude", &exclude);
    if !plan.slices.is_empty() {
        inputs.add("slices", &plan.slices.len());
    }
    if let Some(rpmdb) = plan.rpmdb {
        inputs.add("rpmdb", &rpmdb);
    }
    inputs
}

/// The recipe's package entries as text (`name`, `name=1.2-r0`,
/// `name@tag`), sorted.
fn requested(plan: &BuildPlan) -> Vec<String> {
    let mut out: Vec<String> = plan.packages.iter().map(request_text).collect();
    out.sort();
    out
}

fn request_text(r: &PackageRequest) -> String {
    use whittle_recipe::Op;
    let mut s = r.name.clone();
    if let Some((op, v)) = &r.constraint {
        s.push_str(match op {
            Op::Eq => "=",
            Op::Prefix => "~",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        });
        s.push_str(v);
    }
    if let Some(tag) = &r.tag {
        s.push('@');
        s.push_str(tag);
    }
    s
}

/// The lock describing `resolutions`. With `full`, each world completes
/// its package entries (APK's member ranges fetch the packages).
fn describe(
    session: &Session,
    plan: &BuildPlan,
    resolutions: &[Resolution],
    recipe: &RecipeFile<'_>,
    full: bool,
) -> Result<Lock, BuildError> {
    let world = session.world();
    let mut contents = Contents::default();
    let mut archs = Vec::new();
    let mut trees = Vec::new();
    for resolution in resolutions {
        let cx = session.context(resolution.arch);
        let state = world.lock_state(&cx)?;
        for (mut source, digest) in state
            .sources
            .iter()
            .cloned()
            .zip(resolution.index_digests.iter())
        {
            source.digest = Some(digest.clone());
            contents.repositories.push(source);
        }
        for key in &state.keys {
            if !contents.keyring.contains(key) {
                contents.keyring.push(key.clone());
            }
        }
        if trees.is_empty() {
            trees = state.trees.clone();
        }
        if full {
            session.reporter().on_step(&format!(
                "locking {} packages ({})",
                resolution.installed.len(),
                resolution.arch
            ));
        }
        let locked: Vec<Result<LockedPackage, whittle_world::WorldError>> = resolution
            .installed
            .par_iter()
            .map(|r| {
                let mut p = if full {
                    world.lock_package(&cx, r)?
                } else {
                    LockedPackage::from_record(r, &state.arch)
                };
                if let Some(parts) = resolution.parts.get(&r.name) {
                    p.parts = parts.clone();
                }
                Ok(p)
            })
            .collect();
        for p in locked {
            contents.packages.push(p?);
        }
        for r in &resolution.excluded {
            let mut p = LockedPackage::from_record(r, &state.arch);
            p.excluded = true;
            contents.packages.push(p);
        }
        archs.push(state.arch);
    }
    Ok(Lock {
        version: LOCK_VERSION.to_string(),
        config: LockConfig {
            name: recipe.name.to_string(),
            checksum: sri_sha256(recipe.bytes),
        },
        contents,
        whittle: Some(WhittleSection {
            world: world.id().to_string(),
            archs,
            requested: requested(plan),
            inputs: recipe_inputs(plan, world.id()),
            trees,
            generator: format!("whittle {}", env!("CARGO_PKG_VERSION")),
        }),
    })
}

/// Refuse a lock that no longer describes the recipe, naming what changed.
fn matches_recipe(session: &Session, plan: &BuildPlan, locked: &Lock) -> Result<(), BuildError> {
    let world = session.world();
    let Some(ours) = &locked.whittle else {
        // apko's lock: its checksum covers apko's own options, which
        // whittle cannot recompute; every requested package must be in it.
        let names: std::collections::BTreeSet<&str> = locked
            .contents
            .packages
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let missing: Vec<&str> = plan
            .packages
            .iter()
            .map(|p| p.name.as_str())
            .filter(|n| !names.contains(n))
            .collect();
        if !missing.is_empty() {
            return Err(mismatch(
                locked,
                format!(
                    "the recipe asks for {} which the lock does not hold",
                    missing.join(", ")
                ),
            ));
        }
        return Ok(());
    };
    if ours.world != world.id() {
        return Err(mismatch(
            locked,
            format!(
                "it is for the {} world, the recipe's repositories are {}",
                ours.world,
                world.id()
            ),
        ));
    }
    let now = recipe_inputs(plan, world.id());
    let changed = ours.inputs.changed_parts(&now);
    if !changed.is_empty() {
        let mut reason = format!("the recipe's {} changed", changed.join(", "));
        if changed.iter().any(|c| c == "packages") {
            let now_req = requested(plan);
            let added: Vec<&String> = now_req
                .iter()
                .filter(|r| !ours.requested.contains(r))
                .collect();
            let removed: Vec<&String> = ours
                .requested
                .iter()
                .filter(|r| !now_req.contains(r))
                .collect();
            reason.push_str(&format!(
                " (added: {}; removed: {})",
                list_or_none(&added),
                list_or_none(&removed)
            ));
        }
        return Err(mismatch(locked, reason));
    }
    let Some(&first) = plan.archs.first() else {
        return Ok(());
    };
    let state = world.lock_state(&session.context(first))?;
    for tree in &state.trees {
        match ours.trees.iter().find(|t| t.name == tree.name) {
            Some(t) if t.digest == tree.digest => {}
            Some(t) => {
                return Err(mismatch(
                    locked,
                    format!(
                        "the {} at {} has changed since the lock was written ({} → {})",
                        tree.name, tree.path, t.digest, tree.digest
                    ),
                ))
            }
            None => {
                return Err(mismatch(
                    locked,
                    format!("it records no {} digest", tree.name),
                ))
            }
        }
    }
    let locked_sources: Vec<&LockedRepository> = locked.repositories_for(&state.arch).collect();
    if !locked_sources.is_empty() {
        let then: Vec<&str> = locked_sources.iter().map(|r| r.name.as_str()).collect();
        let now: Vec<&str> = state.sources.iter().map(|r| r.name.as_str()).collect();
        if then != now {
            return Err(mismatch(
                locked,
                format!(
                    "the recipe's repositories are [{}], the lock's [{}]",
                    now.join(", "),
                    then.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn list_or_none(items: &[&String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn mismatch(locked: &Lock, reason: String) -> BuildError {
    BuildError::LockMismatch {
        lock: locked.config.name.clone(),
        reason,
    }
}

/// The record to install for one lock entry: the one the lock carries (or
/// the world makes from an apko entry), with the entry's download, moved
/// onto the repository's current URL when the recipe now points elsewhere.
fn record_for(
    world: &dyn whittle_world::PackageWorld,
    locked: &Lock,
    state: &LockState,
    p: &LockedPackage,
) -> Result<PackageRecord, BuildError> {
    let mut record = match &p.record {
        Some(r) => r.clone(),
        None => world.record_from_lock(p)?,
    };
    let url = match moved_base(locked, state, p, record.repo) {
        Some((then, now)) => match p.url.strip_prefix(&then) {
            Some(rest) if then != now => format!("{now}{rest}"),
            _ => p.url.clone(),
        },
        None => p.url.clone(),
    };
    record.download.url = url;
    if p.sha256.is_some() {
        record.download.sha256 = p.sha256.clone();
    }
    if p.size.is_some() {
        record.download.size = p.size;
    }
    Ok(record)
}

/// Where the repository of `p` was when the lock was written and where
/// the recipe puts it now, as URL prefixes of its packages. whittle's
/// locks record each source's position and base; apko's record only the
/// index URL, whose directory holds the packages too.
fn moved_base(
    locked: &Lock,
    state: &LockState,
    p: &LockedPackage,
    source: usize,
) -> Option<(String, String)> {
    let mut ours = locked.repositories_for(&p.architecture);
    if p.record.is_some() {
        let then = ours.find(|r| r.source == Some(source))?.base.clone()?;
        let now = state
            .sources
            .iter()
            .find(|r| r.source == Some(source))?
            .base
            .clone()?;
        return Some((then, now));
    }
    let parent = |url: &str| url.rsplit_once('/').map(|(dir, _)| format!("{dir}/"));
    let then_repo = ours.find(|r| parent(&r.url).is_some_and(|d| p.url.starts_with(&d)))?;
    // apko names a repository `REPO/ARCH`; the recipe writes `REPO`.
    let now_repo = state.sources.iter().find(|now| {
        then_repo
            .url
            .strip_prefix(now.name.as_str())
            .is_some_and(|rest| now.url.ends_with(rest))
    })?;
    Some((parent(&then_repo.url)?, parent(&now_repo.url)?))
}
