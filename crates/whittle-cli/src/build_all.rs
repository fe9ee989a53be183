//! `whittle build-all DIR`: every recipe of a directory in one process.
//!
//! The recipes share one fetcher, so each index is read once for all of
//! them and every package and compressed layer is fetched or made once
//! (the cache is content-addressed). `--jobs` builds several at a time.
//! `--cache-registry` puts a registry repository behind the local cache:
//! packages and compressed layers another machine already fetched or made
//! come from there (checked by digest, and layers against the tar just
//! built), and what this machine makes goes there. Each image is the one
//! `whittle build` makes of that recipe alone.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use whittle::{BuildRequest, Reporter, Session, SessionOptions, SharedCache};
use whittle_registry::{push_layout, Reference, RegistryCache};

use crate::args::CommonArgs;
use crate::registry::{PushLog, RegistryArgs};

/// `whittle build-all`.
#[derive(Debug, Args)]
pub struct BuildAllArgs {
    /// The directory of recipes (`*.yaml`, `*.yml`).
    pub dir: PathBuf,
    /// Where the images go: `OUTPUT/NAME/`, an OCI layout per recipe, and
    /// its SBOMs beside it (`NAME.sbom-amd64.spdx.json`).
    #[arg(short, long, value_name = "DIR", default_value = "out")]
    pub output: PathBuf,
    /// Recipes built at once.
    #[arg(short, long, default_value_t = 2)]
    pub jobs: usize,
    /// A registry repository shared between machines as a cache of
    /// packages and compressed layers (`registry.example/whittle-cache`).
    #[arg(long, value_name = "REF")]
    pub cache_registry: Option<String>,
    /// Also push each image to `PREFIX/NAME:latest`, SBOMs attached.
    #[arg(long, value_name = "PREFIX")]
    pub publish: Option<String>,
    /// Each image is tagged `TAG_PREFIXNAME:latest`.
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub tag_prefix: String,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub image: crate::publish::ImageArgs,
}

/// One recipe's result.
struct Built {
    name: String,
    result: Result<(String, f64)>,
}

/// Build them all; exit code 1 when any failed.
pub fn run(args: &BuildAllArgs) -> Result<()> {
    let recipes = recipes(&args.dir)?;
    if recipes.is_empty() {
        bail!("{} holds no recipe (*.yaml, *.yml)", args.dir.display());
    }
    fs_err::create_dir_all(&args.output)?;
    let build_date = crate::build_date_arg(args.image.build_date.as_deref())?;
    let client = match (&args.cache_registry, &args.publish) {
        (None, None) => None,
        _ => Some(args.registry.client()?),
    };
    let shared_cache = match (&args.cache_registry, &client) {
        (Some(reference), Some(client)) if !args.common.offline => {
            let reference = Reference::parse(reference)
                .with_context(|| format!("--cache-registry {reference}"))?;
            Some(SharedCache(Arc::new(RegistryCache::new(
                client.clone(),
                &reference,
            ))))
        }
        _ => None,
    };
    let options = SessionOptions {
        cache_dir: args.common.cache_dir.clone(),
        offline: args.common.offline,
        max_unpacked_size: args.common.max_unpacked_size,
        shared_cache,
    };
    let started = Instant::now();
    let fetcher =
        Session::open_fetcher(&options, &Prefixed(String::new()))?.remembering_metadata()?;
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..args.jobs.clamp(1, recipes.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(recipe) = recipes.get(i) else {
                    break;
                };
                let name = stem(recipe);
                let t = Instant::now();
                let result = build_one(
                    args,
                    recipe,
                    &name,
                    &fetcher,
                    &options,
                    build_date,
                    client.as_ref(),
                )
                .map(|digest| (digest, t.elapsed().as_secs_f64()));
                match &result {
                    Ok((digest, secs)) => eprintln!("{name}: {digest} ({secs:.1}s)"),
                    Err(e) => eprintln!("{name}: failed: {e:#}"),
                }
                results
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(Built { name, result });
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
    results.sort_by(|a, b| a.name.cmp(&b.name));
    let (failures, count) = fetcher.cache().shared_failures();
    for f in &failures {
        eprintln!("warning: {f}");
    }
    if count > failures.len() {
        eprintln!(
            "warning: … and {} more shared-cache failures",
            count - failures.len()
        );
    }
    let failed = results.iter().filter(|r| r.result.is_err()).count();
    for r in &results {
        if let Ok((digest, _)) = &r.result {
            println!("{} {digest}", r.name);
        }
    }
    eprintln!(
        "{} recipe(s) in {:.1}s: {} built, {failed} failed",
        results.len(),
        started.elapsed().as_secs_f64(),
        results.len() - failed
    );
    if failed > 0 {
        bail!("{failed} recipe(s) failed: see above");
    }
    Ok(())
}

/// The recipes in `dir`, sorted by name.
fn recipes(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let path = entry?.path();
        let is_recipe = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if is_recipe && path.is_file() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Build one recipe into `OUTPUT/NAME/` (and push it when asked); its digest.
fn build_one(
    args: &BuildAllArgs,
    recipe: &Path,
    name: &str,
    fetcher: &whittle::Fetcher,
    options: &SessionOptions,
    build_date: Option<i64>,
    client: Option<&whittle_registry::Client>,
) -> Result<String> {
    let plan = crate::load_plan(recipe, &args.common)?;
    let reporter: Arc<dyn Reporter> = Arc::new(Prefixed(name.to_string()));
    let session = Session::open_with(
        &plan,
        fetcher.clone(),
        options,
        &crate::worlds::worlds(&args.common),
        reporter,
    )?;
    let layout = args.output.join(name);
    fs_err::create_dir_all(&layout)?;
    let request = BuildRequest {
        plan,
        tag: format!("{}{name}:latest", args.tag_prefix),
        output: layout.clone(),
        archs: args.common.archs()?,
        sbom_dir: Some(args.output.clone()),
        sbom_prefix: format!("{name}."),
        sbom_formats: args.image.sbom_formats.clone(),
        build_date,
        check_entrypoint: true,
        lock: None,
        signing: None,
    };
    let outcome = whittle::build(&session, &request)?;
    if let (Some(prefix), Some(client)) = (&args.publish, client) {
        let target = Reference::parse(&format!("{}/{name}:latest", prefix.trim_end_matches('/')))
            .with_context(|| format!("--publish {prefix}"))?;
        let targets = [target];
        let pushed = push_layout(client, &layout, &targets, &PushLog::quiet())?;
        let sboms = crate::publish::SbomFiles {
            dir: &args.output,
            prefix: &format!("{name}."),
            formats: &args.image.sbom_formats,
            mode: args.image.sbom_attach,
            epoch: outcome.epoch,
            single: match &outcome.platforms[..] {
                [only] => Some(only.arch.oci_arch()),
                _ => None,
            },
        };
        crate::publish::attach_sboms(client, &targets, &pushed, &sboms, false)?;
    }
    Ok(outcome.digest)
}

/// Warnings on stderr, each with its recipe's name.
struct Prefixed(String);

impl Reporter for Prefixed {
    fn on_warning(&self, message: &str) {
        if self.0.is_empty() {
            eprintln!("warning: {message}");
        } else {
            eprintln!("{}: warning: {message}", self.0);
        }
    }
}
