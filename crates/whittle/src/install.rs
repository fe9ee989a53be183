//! Fetch and unpack the resolved packages in parallel, then place them in
//! the root filesystem one after another in name order, so the tree never
//! depends on which download finished first.

use std::collections::HashMap;

use rayon::prelude::*;
use whittle_model::PackageRecord;
use whittle_rootfs::{NodeKind, RootFs};
use whittle_world::{Installed, Unpacked, WorldContext};

use crate::error::BuildError;
use crate::session::Session;

/// Downloads in flight at once: network-bound, so more than the cores.
const PARALLEL_FETCHES: usize = 8;

/// The root filesystem with every package placed, and what each installed.
pub struct Placed {
    /// The tree.
    pub root: RootFs,
    /// Each package and the paths it shipped, in name order.
    pub installed: Vec<Installed>,
    /// The newest file time any package carried (the default build date).
    pub newest_mtime: i64,
    /// Seconds spent fetching, verifying and unpacking (before placing).
    pub fetch_unpack_secs: f64,
}

/// Fetch, verify, unpack and place `packages` (already sorted by name).
pub fn install(
    session: &Session,
    cx: &WorldContext,
    packages: &[PackageRecord],
) -> Result<Placed, BuildError> {
    session.reporter().on_step(&format!(
        "fetching and unpacking {} packages ({})",
        packages.len(),
        cx.arch
    ));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(PARALLEL_FETCHES)
        .build()
        .map_err(|e| BuildError::Unsupported(format!("could not start worker threads: {e}")))?;
    let started = std::time::Instant::now();
    let unpacked: Vec<Result<Unpacked, whittle_world::WorldError>> = pool.install(|| {
        packages
            .par_iter()
            .map(|record| session.world().install(cx, record))
            .collect()
    });
    let fetch_unpack_secs = started.elapsed().as_secs_f64();
    session
        .reporter()
        .on_step(&format!("assembling the root filesystem ({})", cx.arch));
    let mut root = session.world().new_root(cx);
    let mut installed = Vec::with_capacity(unpacked.len());
    let mut newest_mtime = 0;
    let mut owners = HashMap::new();
    for result in unpacked {
        let pkg = result?;
        newest_mtime =
            newest_mtime.max(pkg.entries.iter().map(|(_, n)| n.mtime).max().unwrap_or(0));
        let placed = place(&mut root, pkg, &mut owners, &installed)?;
        installed.push(placed);
    }
    Ok(Placed {
        root,
        installed,
        newest_mtime,
        fetch_unpack_secs,
    })
}

/// Place one package's entries; hard links are resolved against the tree
/// as it is at that point (their targets come earlier in the archive).
/// A file another package already placed may only be overwritten when the
/// two share an origin or one replaces the other (dpkg's and apk-tools'
/// rule); `owners` maps each non-directory key to the package that put it
/// there, as an index into `earlier`.
fn place(
    root: &mut RootFs,
    pkg: Unpacked,
    owners: &mut HashMap<String, usize>,
    earlier: &[Installed],
) -> Result<Installed, BuildError> {
    let me = earlier.len();
    let mut paths = Vec::with_capacity(pkg.entries.len());
    let mut keys = Vec::with_capacity(pkg.entries.len());
    for (path, node) in pkg.entries {
        if path.is_empty() {
            continue;
        }
        let is_link = matches!(node.kind, NodeKind::Hardlink(_));
        if !node.is_dir() {
            check_overwrite(root, &path, &pkg.record, owners, earlier)?;
        }
        let is_dir = node.is_dir();
        let key = root
            .insert(&path, node)
            .map_err(|source| BuildError::Place {
                package: pkg.record.label(),
                path: path.clone(),
                source,
            })?;
        if !is_dir {
            owners.insert(key.clone(), me);
        }
        if !is_link || !key.is_empty() {
            paths.push(format!("/{path}"));
            keys.push(key);
        }
    }
    Ok(Installed {
        record: pkg.record,
        paths,
        keys,
        meta: pkg.meta,
    })
}

/// Refuse to let `record` overwrite a file of an unrelated package.
fn check_overwrite(
    root: &RootFs,
    path: &str,
    record: &PackageRecord,
    owners: &HashMap<String, usize>,
    earlier: &[Installed],
) -> Result<(), BuildError> {
    let Ok(key) = root.resolve(path, false) else {
        return Ok(());
    };
    let Some(other) = owners.get(&key).and_then(|&i| earlier.get(i)) else {
        return Ok(());
    };
    let theirs = &other.record;
    let same_origin = theirs.source_name() == record.source_name();
    let replaces = record.replaces.contains(&theirs.name) || theirs.replaces.contains(&record.name);
    if same_origin || replaces || theirs.name == record.name {
        return Ok(());
    }
    Err(BuildError::FileConflict {
        path: key,
        package: record.label(),
        owner: theirs.label(),
    })
}
