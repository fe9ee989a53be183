//! What a world tells a lock file (see [`PackageWorld::lock_state`] and
//! [`PackageWorld::lock_package`](crate::PackageWorld::lock_package)).

use whittle_lock::{LockedKey, LockedRepository, LockedTree};

/// One architecture's trust roots and indexes, as a world read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockState {
    /// The architecture as the world names it (`amd64`, `x86_64`).
    pub arch: String,
    /// Every index source, in [`PackageWorld::index_sources`](crate::PackageWorld::index_sources)
    /// order, with `source` set to its position and `digest` to the
    /// digest of the signed index file read for this architecture (none
    /// when the index was not read, e.g. in a build from a lock).
    pub sources: Vec<LockedRepository>,
    /// The keys those indexes are checked with.
    pub keys: Vec<LockedKey>,
    /// Trees the world read besides indexes (a Chisel release).
    pub trees: Vec<LockedTree>,
}
