//! The trait a package world implements, and what it is given to work.

use std::sync::Arc;

use whittle_model::{PackageRecord, VersionScheme};
use whittle_net::Fetcher;
use whittle_recipe::{Accounts, Arch};
use whittle_rootfs::{ContentStore, RootFs};
use whittle_solve::Rules;

use crate::error::WorldError;
use crate::package::{Distro, Installed, PackageFacts, Unpacked};
use crate::reporter::Reporter;

/// What a world gets to do its work: the fetcher (cache, offline mode), the
/// architecture being built and the reporter.
#[derive(Clone)]
pub struct WorldContext {
    /// Fetches indexes and packages through the cache.
    pub fetcher: Fetcher,
    /// The architecture being built.
    pub arch: Arch,
    /// Where progress and warnings go.
    pub reporter: Arc<dyn Reporter>,
    /// Where unpacked file contents go (memory up to a budget, then a
    /// spill file on disk), and the build's cap on their total.
    pub contents: ContentStore,
}

/// What the recipe asks of the finishing steps.
#[derive(Debug, Clone)]
pub struct FinishInput<'a> {
    /// Users, groups and run-as from the recipe.
    pub accounts: &'a Accounts,
    /// The build date: every generated file gets this time.
    pub epoch: i64,
}

/// One package world, set up for one recipe (see
/// [`WorldKind::open`](crate::WorldKind::open)). The engine calls, per
/// architecture:
///
/// 1. [`load_index`](Self::load_index) for each of its
///    [`index_sources`](Self::index_sources) (in parallel, concatenated in
///    order), then solves with
///    [`version_scheme`](Self::version_scheme) and
///    [`solve_rules`](Self::solve_rules);
/// 2. [`install`](Self::install) for every chosen package (in parallel),
///    placing the entries in the tree from [`new_root`](Self::new_root) in
///    name order with the shared conflict rule;
/// 3. [`finish`](Self::finish): what the packages' scripts would have done
///    (accounts among them);
/// 4. maps owner names from the archives through the accounts now in the
///    tree, then [`write_database`](Self::write_database);
/// 5. [`facts`](Self::facts) for the SBOM, and
///    [`default_env`](Self::default_env) for the image config.
pub trait PackageWorld: Send + Sync {
    /// Short name (`deb`), the repository `type:` it reads.
    fn id(&self) -> &'static str;

    /// How this world orders versions and writes requirements.
    fn version_scheme(&self) -> &dyn VersionScheme;

    /// The resolution semantics of this world's package manager.
    fn solve_rules(&self) -> Rules;

    /// Environment every image of this world gets unless the recipe sets
    /// the variable (e.g. `SSL_CERT_FILE` where the world's CA bundle is).
    fn default_env(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// How many indexes (suites, repositories) this world reads; the
    /// engine loads them in parallel.
    fn index_sources(&self) -> usize;

    /// Every candidate package of index `source` (in `0..index_sources()`,
    /// recipe order; records carry it as their `repo` rank) for `cx.arch`,
    /// with the index's trust chain verified. Called from several threads
    /// at once.
    fn load_index(
        &self,
        cx: &WorldContext,
        source: usize,
    ) -> Result<Vec<PackageRecord>, WorldError>;

    /// Fetch (through the cache), verify and unpack one package. Called
    /// from several threads at once.
    fn install(&self, cx: &WorldContext, record: &PackageRecord) -> Result<Unpacked, WorldError>;

    /// The tree packages are unpacked into (e.g. merged-/usr links).
    fn new_root(&self, cx: &WorldContext) -> RootFs;

    /// After every package is in place: do natively what the packages'
    /// scripts would have done, accounts included. Returns warnings.
    fn finish(
        &self,
        cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<Vec<String>, WorldError>;

    /// Write the package database scanners read, from the final tree
    /// (owners already mapped).
    fn write_database(
        &self,
        cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<(), WorldError>;

    /// SBOM facts for one installed (or excluded) package.
    fn facts(&self, root: &RootFs, pkg: &Installed, distro: Option<&Distro>) -> PackageFacts;
}
