//! A session: the recipe's package world with its fetcher and cache.

use std::path::PathBuf;
use std::sync::Arc;

use whittle_apk::ApkWorld;
use whittle_cache::Cache;
use whittle_deb::world::DebWorld;
use whittle_net::Fetcher;
use whittle_recipe::{Arch, BuildPlan, Repository};
use whittle_world::{PackageWorld, Reporter, WorldContext};

use crate::error::BuildError;

/// How to reach packages.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Cache root; `None` takes `$WHITTLE_CACHE_DIR` or the platform cache dir.
    pub cache_dir: Option<PathBuf>,
    /// Build from the cache alone, without any network access.
    pub offline: bool,
    /// Root of the apt configuration that supplies mirrors for Debian
    /// suites without a URL (`/` on a real host).
    pub apt_root: PathBuf,
    /// Accept Debian Release files past their `Valid-Until` (snapshots).
    pub ignore_valid_until: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            cache_dir: None,
            offline: false,
            apt_root: PathBuf::from("/"),
            ignore_valid_until: false,
        }
    }
}

/// The package world a recipe uses, ready to fetch. Cheap to share by
/// reference across threads.
pub struct Session {
    fetcher: Fetcher,
    world: Box<dyn PackageWorld>,
    reporter: Arc<dyn Reporter>,
}

impl Session {
    /// Open the cache and set up the recipe's package world.
    pub fn open(
        plan: &BuildPlan,
        options: &SessionOptions,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Session, BuildError> {
        let root = options
            .cache_dir
            .clone()
            .or_else(Cache::default_root)
            .unwrap_or_else(|| PathBuf::from(".whittle-cache"));
        let cache = Cache::open(&root).map_err(|source| BuildError::Cache {
            path: root.display().to_string(),
            source,
        })?;
        let fetcher = Fetcher::new(cache, options.offline)?;
        let world = choose_world(plan, &fetcher, options)?;
        Ok(Session {
            fetcher,
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
        }
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

/// One recipe, one package world: mixing worlds in one image is refused.
fn choose_world(
    plan: &BuildPlan,
    fetcher: &Fetcher,
    options: &SessionOptions,
) -> Result<Box<dyn PackageWorld>, BuildError> {
    let all = plan.repositories_for_resolving();
    let debs: Vec<_> = all
        .iter()
        .filter_map(|r| match r {
            Repository::Deb(d) => Some(d.clone()),
            Repository::Apk(_) => None,
        })
        .collect();
    let apks = all.len() - debs.len();
    match (debs.is_empty(), apks) {
        (false, 0) => {
            let world = DebWorld::new(&debs, fetcher, &options.apt_root)?;
            Ok(Box::new(if options.ignore_valid_until {
                world.ignoring_valid_until()
            } else {
                world
            }))
        }
        (true, 0) => Err(BuildError::Unsupported(format!(
            "{}: the recipe lists no repositories; add one under contents.repositories",
            plan.source.display()
        ))),
        (false, _) => Err(BuildError::Unsupported(format!(
            "{}: the recipe mixes Debian and APK repositories; one image takes packages from one \
             package world",
            plan.source.display()
        ))),
        (true, _) => Ok(Box::new(ApkWorld::new(plan, fetcher)?)),
    }
}
