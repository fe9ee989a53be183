//! Fetch and unpack the resolved packages in parallel, then place them in
//! the root filesystem one after another in name order, so the tree never
//! depends on which download finished first.

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
    for result in unpacked {
        let pkg = result?;
        newest_mtime =
            newest_mtime.max(pkg.entries.iter().map(|(_, n)| n.mtime).max().unwrap_or(0));
        installed.push(place(&mut root, pkg)?);
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
fn place(root: &mut RootFs, pkg: Unpacked) -> Result<Installed, BuildError> {
    let mut paths = Vec::with_capacity(pkg.entries.len());
    let mut keys = Vec::with_capacity(pkg.entries.len());
    for (path, node) in pkg.entries {
        if path.is_empty() {
            continue;
        }
        let is_link = matches!(node.kind, NodeKind::Hardlink(_));
        let key = root
            .insert(&path, node)
            .map_err(|source| BuildError::Place {
                package: pkg.record.label(),
                path: path.clone(),
                source,
            })?;
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
