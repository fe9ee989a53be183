//! A session: the recipe's package world with its fetcher and cache.

use std::path::PathBuf;
use std::sync::Arc;

use whittle_cache::Cache;
use whittle_net::Fetcher;
use whittle_recipe::{Arch, BuildPlan};
use whittle_rootfs::ContentStore;
use whittle_world::{PackageWorld, Reporter, WorldContext, Worlds};

use crate::error::BuildError;

/// A cache shared between machines (`--cache-registry`), behind the
/// local one: see [`whittle_cache::SharedStore`].
#[derive(Clone)]
pub struct SharedCache(pub Arc<dyn whittle_cache::SharedStore>);

impl std::fmt::Debug for SharedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedCache")
            .field(&self.0.describe())
            .finish()
    }
}

/// How to reach packages.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Cache root; `None` takes `$WHITTLE_CACHE_DIR` or the platform cache dir.
    pub cache_dir: Option<PathBuf>,
    /// Build from the cache alone, without any network access.
    pub offline: bool,
    /// Cap on the file contents one build unpacks, all packages and
    /// architectures together; `None` takes
    /// [`whittle_rootfs::DEFAULT_TOTAL_LIMIT`].
    pub max_unpacked_size: Option<u64>,
    /// A cache shared with other machines, consulted when the local one
    /// misses and filled with what this build downloads and compresses.
    pub shared_cache: Option<SharedCache>,
}

/// The package world a recipe uses, ready to fetch. Cheap to share by
/// reference across threads.
pub struct Session {
    fetcher: Fetcher,
    contents: ContentStore,
    world: Box<dyn PackageWorld>,
    reporter: Arc<dyn Reporter>,
}

impl Session {
    /// Open the cache and set up the recipe's package world, one of
    /// `worlds` (the front end registers them).
    pub fn open(
        plan: &BuildPlan,
        options: &SessionOptions,
        worlds: &Worlds,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Session, BuildError> {
        let fetcher = Session::open_fetcher(options, reporter.as_ref())?;
        Session::open_with(plan, fetcher, options, worlds, reporter)
    }

    /// The fetcher [`Session::open`] uses: the cache at the options' root
    /// (with the shared cache behind it, if any), online unless offline.
    pub fn open_fetcher(
        options: &SessionOptions,
        reporter: &dyn Reporter,
    ) -> Result<Fetcher, BuildError> {
        let root = options
            .cache_dir
            .clone()
            .or_else(Cache::default_root)
            .unwrap_or_else(|| PathBuf::from(".whittle-cache"));
        let mut cache = Cache::open(&root).map_err(|source| BuildError::Cache {
            path: root.display().to_string(),
            source,
        })?;
        if let Some(shared) = options.shared_cache.as_ref().filter(|_| !options.offline) {
            cache = cache.with_shared(shared.0.clone());
        }
        if let whittle_cache::Trust::Untrusted { reason } = cache.trust() {
            reporter.on_warning(&format!("the download cache at {} is not trusted, so indexes and packages kept in it by URL are not reused (builds are slower and --offline cannot use them): {reason}", root.display()));
        }
        Ok(Fetcher::new(cache, options.offline)?)
    }

    /// Like [`Session::open`], with a fetcher (and its cache) that several
    /// sessions share: `whittle build-all` reads each index once for all
    /// its recipes ([`Fetcher::remembering_metadata`]).
    pub fn open_with(
        plan: &BuildPlan,
        fetcher: Fetcher,
        options: &SessionOptions,
        worlds: &Worlds,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Session, BuildError> {
        let cache = fetcher.cache();
        // Large file contents are spilled next to the cache: on disk (not
        // a tmpfs), and on the file system the user chose for bulk data.
        let contents = ContentStore::spilling_to(cache.root().join("spill")).with_total_limit(
            options
                .max_unpacked_size
                .unwrap_or(whittle_rootfs::DEFAULT_TOTAL_LIMIT),
        );
        let world = worlds.open(plan, &fetcher, reporter.as_ref())?;
        Ok(Session {
            fetcher,
            contents,
            world,
            reporter,
        })
    }

    /// The world's context for one architecture.
    pub fn context(&self, arch: Arch) -> WorldContext {
        WorldContext {
            fetcher: self.fetcher.clone(),
            arch,
            reporter: self.reporter.clone(),
            contents: self.contents.clone(),
        }
    }

    /// Where the build's file contents are kept.
    pub fn contents(&self) -> &ContentStore {
        &self.contents
    }

    /// The package world.
    pub fn world(&self) -> &dyn PackageWorld {
        self.world.as_ref()
    }

    /// The fetcher (and through it the cache).
    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// Where progress goes.
    pub fn reporter(&self) -> &dyn Reporter {
        self.reporter.as_ref()
    }
}
