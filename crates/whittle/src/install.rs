//! Fetch and unpack the resolved packages in parallel, then place them in
//! the root filesystem one after another in name order (`place`), so the
//! tree never depends on which download finished first.

use std::collections::BTreeMap;

use rayon::prelude::*;
use whittle_model::PackageRecord;
use whittle_world::{Installed, Unpacked, WorldContext};

use crate::error::BuildError;
use crate::place::{NamedOwner, Placer};
use crate::session::Session;
use crate::trim::PathFilter;

/// Downloads in flight at once: network-bound, so more than the cores.
const PARALLEL_FETCHES: usize = 8;

/// The root filesystem with every package placed, and what each installed.
pub struct Placed {
    /// The tree.
    pub root: whittle_rootfs::RootFs,
    /// Each package and the paths it shipped, in name order.
    pub installed: Vec<Installed>,
    /// Entries whose archive named their owner, to map through the
    /// image's accounts once they exist.
    pub named_owners: Vec<NamedOwner>,
    /// The newest file time any package carried (the default build date).
    pub newest_mtime: i64,
    /// Seconds spent fetching, verifying and unpacking (before placing).
    pub fetch_unpack_secs: f64,
}

/// Fetch, verify, unpack and place `packages` (already sorted by name);
/// those in `parts` only in the parts named there, each trimmed by the
/// recipe's path filter.
pub fn install(
    session: &Session,
    cx: &WorldContext,
    packages: &[PackageRecord],
    parts: &BTreeMap<String, Vec<String>>,
    filter: Option<&PathFilter>,
) -> Result<Placed, BuildError> {
    session.reporter().on_step(&format!(
        "fetching and unpacking {} packages ({})",
        packages.len(),
        cx.arch
    ));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(PARALLEL_FETCHES)
        .build()
        .map_err(BuildError::Threads)?;
    let started = std::time::Instant::now();
    let unpacked: Vec<Result<Unpacked, whittle_world::WorldError>> = pool.install(|| {
        packages
            .par_iter()
            .map(|record| match parts.get(&record.name) {
                Some(parts) => session.world().install_parts(cx, record, parts),
                None => session.world().install(cx, record),
            })
            .collect()
    });
    let fetch_unpack_secs = started.elapsed().as_secs_f64();
    session
        .reporter()
        .on_step(&format!("assembling the root filesystem ({})", cx.arch));
    let mut placer = Placer::new(session.world().new_root(cx));
    let mut newest_mtime = 0;
    for result in unpacked {
        let mut pkg = result?;
        if let Some(filter) = filter {
            filter.apply(&mut pkg.entries);
        }
        newest_mtime =
            newest_mtime.max(pkg.entries.iter().map(|e| e.node.mtime).max().unwrap_or(0));
        placer.place(pkg)?;
    }
    let (root, installed, named_owners) = placer.finish();
    Ok(Placed {
        root,
        installed,
        named_owners,
        newest_mtime,
        fetch_unpack_secs,
    })
}
