//! The trait a package world implements, and what it is given to work.

use std::sync::Arc;

use whittle_effects::Placed;
use whittle_model::{PackageRecord, VersionScheme};
use whittle_net::Fetcher;
use whittle_recipe::{Accounts, Arch, PackageRequest};
use whittle_rootfs::{ContentStore, RootFs};
use whittle_solve::Rules;

use crate::error::WorldError;
use crate::lock::LockState;
use crate::package::{Distro, Installed, PackageFacts, Unpacked};
use crate::reporter::Reporter;
use crate::search::{FileSearch, PartMatch, PathQuery};
use whittle_lock::LockedPackage;

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

/// A recipe's package entries as a world splits them (see
/// [`PackageWorld::split_requests`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitRequests {
    /// Entries naming whole packages, solved with their dependencies.
    pub whole: Vec<PackageRequest>,
    /// Packages of which only parts are wanted, each with the parts (their
    /// closure) and any version constraint an entry gave; their own
    /// dependencies are not followed.
    pub parts: Vec<(PackageRequest, Vec<String>)>,
    /// Where a part's package may come from, by package: groups of index
    /// sources (see [`PackageWorld::index_sources`]) in order of
    /// preference; the package comes from the first group that has it
    /// (Chisel's archive priorities and `archive:` pins). A package not
    /// named here may come from any source.
    pub sources: std::collections::BTreeMap<String, Vec<Vec<usize>>>,
}

/// One index source read for one architecture.
#[derive(Debug, Clone, Default)]
pub struct LoadedIndex {
    /// Every candidate package in it.
    pub records: Vec<PackageRecord>,
    /// `sha256:<hex>` of the signed index file the records came from
    /// (Debian's verified `Release` text, `APKINDEX.tar.gz`,
    /// `repomd.xml`): what a lock file records the resolution against.
    pub digest: String,
}

/// One maintainer script of a package, for the engine to read (never run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptSource {
    /// Its name in reports (`preinst`, `postinst`, `%post`).
    pub name: String,
    /// Its text.
    pub text: String,
    /// The arguments a fresh install runs it with (`configure`, `""`).
    pub args: Vec<String>,
    /// Answers to the questions it asks (Debian: each debconf template's
    /// default, which is what a non-interactive install gets), by question.
    pub answers: Vec<(String, String)>,
    /// Why the script cannot be read as a shell script (an RPM scriptlet in
    /// Lua or another interpreter): it is then reported as one action not
    /// emulated, with this reason.
    pub unreadable: Option<String>,
}

/// How a world wants script effects applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EffectsSetup {
    /// The architecture as the package manager names it (`amd64`), for
    /// `dpkg --print-architecture` in scripts.
    pub arch: String,
    /// Where the alternatives database goes (`/var/lib/dpkg/alternatives`).
    pub alternatives_db: Option<String>,
    /// Where the stat-override database goes (`/var/lib/dpkg/statoverride`).
    pub statoverride_db: Option<String>,
    /// Whether `tmpfiles.d` lines under `/run` are applied: the image keeps
    /// what it ships in `/run` (no runtime mounts a tmpfs there by default).
    pub keep_run: bool,
    /// The package that defines the distribution's static users and groups
    /// (`base-passwd`), named in a warning when scripts need accounts the
    /// image lacks because the recipe left it out.
    pub accounts_package: Option<String>,
    /// Whole scripts whose work the world does natively in
    /// [`PackageWorld::finish`], as (package, script, what it does): they
    /// are reported as one harmless action and not read.
    pub native_scripts: Vec<(String, String, String)>,
    /// Commands whose effect the world produces by other means, as
    /// (prefix of the expanded command, why).
    pub elsewhere: Vec<(String, String)>,
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
/// 3. [`finish`](Self::finish): accounts and the caches the world rebuilds
///    natively; then the engine reads every package's
///    [`scripts`](Self::scripts) (and its `sysusers.d`/`tmpfiles.d` files)
///    in dependency order and applies their effects, then the world's
///    [`builtin_effects`](Self::builtin_effects);
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
    fn load_index(&self, cx: &WorldContext, source: usize) -> Result<LoadedIndex, WorldError>;

    /// Fetch (through the cache), verify and unpack one package. Called
    /// from several threads at once.
    fn install(&self, cx: &WorldContext, record: &PackageRecord) -> Result<Unpacked, WorldError>;

    /// Split the recipe's package entries into whole packages (solved with
    /// their dependencies) and parts of packages (Chisel slices in the
    /// Debian world: `pkg_slice`), the latter closed over the parts' own
    /// dependencies for `arch`. A world without parts takes every entry
    /// whole (the default).
    fn split_requests(
        &self,
        requests: &[PackageRequest],
        arch: Arch,
    ) -> Result<SplitRequests, WorldError> {
        let _ = arch;
        Ok(SplitRequests {
            whole: requests.to_vec(),
            ..SplitRequests::default()
        })
    }

    /// Fetch, verify and unpack only the named parts of one package (see
    /// [`split_requests`](Self::split_requests)). Called from several
    /// threads at once; only worlds that return parts are asked.
    fn install_parts(
        &self,
        cx: &WorldContext,
        record: &PackageRecord,
        parts: &[String],
    ) -> Result<Unpacked, WorldError> {
        let _ = (cx, parts);
        Err(WorldError::new(
            crate::error::FailureKind::Format,
            format!(
                "{}: this package world has no parts of packages",
                record.name
            ),
        ))
    }

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

    /// How this world's script effects are applied (its package
    /// manager's database locations). Default: no databases.
    fn effects_setup(&self, cx: &WorldContext) -> EffectsSetup {
        let _ = cx;
        EffectsSetup::default()
    }

    /// Whether `pkg` is configured before the packages that do not depend
    /// on it (Debian's essential set, on which no package declares a
    /// dependency). Default: no.
    fn configured_first(&self, pkg: &Installed) -> bool {
        let _ = pkg;
        false
    }

    /// The scripts of `pkg` that a fresh install runs, in the order they
    /// run, for the engine to read. Default: none.
    fn scripts(&self, pkg: &Installed) -> Vec<ScriptSource> {
        let _ = pkg;
        Vec::new()
    }

    /// Effects the world adds after every package's scripts were read
    /// (what a script does through a program whittle replaces natively,
    /// e.g. a Java trust store, or a default file the world's images
    /// need). Default: none.
    fn builtin_effects(&self, root: &RootFs, installed: &[Installed]) -> Vec<Placed> {
        let _ = (root, installed);
        Vec::new()
    }

    /// Write the package database scanners read, from the final tree
    /// (owners already mapped).
    fn write_database(
        &self,
        cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<(), WorldError>;

    /// What a lock file records of this world for `cx.arch`: its index
    /// sources (with the digest of each index read by
    /// [`load_index`](Self::load_index) for this architecture), keys and
    /// other trees. Every world implements it: a world without lock
    /// support would make `whittle lock` and `--lockfile` silently weaker.
    fn lock_state(&self, cx: &WorldContext) -> Result<LockState, WorldError>;

    /// The lock entry for one resolved package (start from
    /// [`LockedPackage::from_record`]; APK adds its checksum and member
    /// ranges, which may mean fetching the package through the cache).
    fn lock_package(
        &self,
        cx: &WorldContext,
        record: &PackageRecord,
    ) -> Result<LockedPackage, WorldError>;

    /// The record to install for a lock entry that carries none (a lock
    /// written by another tool, such as apko's). Default: refused.
    fn record_from_lock(&self, locked: &LockedPackage) -> Result<PackageRecord, WorldError> {
        Err(WorldError::config(format!(
            "the lock entry for {} carries no package record, which this package world needs; \
             write the lock again with `whittle lock`",
            locked.label()
        )))
    }

    /// How search results name index source `source` (a repository URL
    /// and suite). Default: `repository N`.
    fn source_label(&self, source: usize) -> String {
        format!("repository {source}")
    }

    /// The one-line summary of a package, as its index gives it
    /// (Debian's `Description` first line, APK's `T:`, RPM's
    /// `<summary>`). Default: none.
    fn summary<'r>(&self, record: &'r PackageRecord) -> Option<&'r str> {
        let _ = record;
        None
    }

    /// Which packages ship each of `paths` for `cx.arch`, from the
    /// world's verified file indexes (`records`: every record
    /// [`load_index`](Self::load_index) returned, in source order).
    /// Default: the world cannot say, and the answer says so.
    fn find_files(
        &self,
        cx: &WorldContext,
        paths: &[PathQuery],
        records: &[PackageRecord],
    ) -> Result<FileSearch, WorldError> {
        let _ = (cx, paths, records);
        Ok(FileSearch::unsupported(
            "this package world has no file index to search",
        ))
    }

    /// The parts of packages (Chisel slices) whose names match `query`
    /// (a substring, or a glob over the whole name). Default: none.
    fn search_parts(&self, query: &str) -> Vec<PartMatch> {
        let _ = query;
        Vec::new()
    }

    /// SBOM facts for one installed (or excluded) package.
    fn facts(&self, root: &RootFs, pkg: &Installed, distro: Option<&Distro>) -> PackageFacts;
}
