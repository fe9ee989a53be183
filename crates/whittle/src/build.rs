//! `whittle build`: every step from recipe to written image, in order.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use whittle_model::PackageRecord;
use whittle_oci::{image_digest, ImageSet, PlatformImage};
use whittle_recipe::{Arch, BuildPlan};
use whittle_world::FinishInput;

use crate::attest::{sign_set, PlatformSbom};
use crate::checks::{check_output, check_programs, run_as_user};
use crate::effects::{apply_script_effects, EffectsInput, ScriptOutcome};
use crate::error::BuildError;
use crate::image::{config, layers};
use crate::install::install;
use crate::layering::{plan_by_origin, single_layer};
use crate::lock::resolve_from_lock;
use crate::mutate::apply_paths;
use crate::output::{self, write_outputs, Sbom};
use crate::place::map_owner_names;
use crate::resolve::{resolve_all, Resolution};
use crate::sbom::sbom_input;
use crate::session::Session;
use crate::trim::PathFilter;
use crate::warnings::{missing_libraries, missing_locales, unwanted_programs};

/// What to build and where to put it.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// The validated recipe.
    pub plan: BuildPlan,
    /// The reference the image is tagged with.
    pub tag: String,
    /// A `.tar` path (OCI + docker archive) or an existing directory (OCI layout).
    pub output: PathBuf,
    /// Architectures; `None` takes the recipe's.
    pub archs: Option<Vec<Arch>>,
    /// Where SBOMs go; `None` writes none.
    pub sbom_dir: Option<PathBuf>,
    /// Put before each SBOM's file name (`sbom-amd64.spdx.json`), so that
    /// builds sharing a directory do not overwrite each other's (the CLI
    /// uses the output's name when no SBOM directory is given).
    pub sbom_prefix: String,
    /// The SBOM formats to write, one file each per architecture (and per
    /// index): `sbom-amd64.spdx.json`, `sbom-amd64.cdx.json`. Empty writes
    /// none.
    pub sbom_formats: Vec<whittle_sbom::SbomFormat>,
    /// Build date (seconds since the epoch); `None` takes the newest file
    /// time found in the installed packages.
    pub build_date: Option<i64>,
    /// Refuse an image whose entrypoint (or command) program it lacks. Off
    /// only for base images whose program a later layer adds.
    pub check_entrypoint: bool,
    /// Install exactly the packages of this lock (whittle's or apko's)
    /// instead of reading any index.
    pub lock: Option<whittle_lock::Lock>,
    /// Sign the image and attest its SBOMs and provenance; the signatures
    /// are written into the archive or layout beside the image.
    pub signing: Option<crate::attest::Signing>,
}

/// What one platform's image holds.
#[derive(Debug, Clone)]
pub struct PlatformOutcome {
    /// Its architecture.
    pub arch: Arch,
    /// Installed packages, sorted by name.
    pub installed: Vec<PackageRecord>,
    /// Excluded packages the closure needed.
    pub excluded: Vec<PackageRecord>,
    /// Its layers, bottom first: what each holds, its `sha256:` digest, and
    /// whether it came from the cache rather than being compressed.
    pub layers: Vec<(String, String, bool)>,
    /// Number of entries in the root filesystem.
    pub entries: usize,
    /// What reading each package's install scripts found, in the order
    /// read (see `whittle show-scripts`).
    pub scripts: Vec<whittle_effects::ScriptReport>,
}

/// Where a build's time went, in seconds (all architectures together).
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// Reading and verifying indexes, and solving.
    pub resolve: f64,
    /// Fetching (or reading from the cache), verifying and unpacking
    /// packages into memory: streamed together, so one figure.
    pub fetch_unpack: f64,
    /// Placing entries in the tree, package database, accounts, certificates.
    pub assemble: f64,
    /// Writing and compressing the layer tars (or reusing them).
    pub layers: f64,
    /// Writing the archive or layout and the SBOMs.
    pub output: f64,
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    /// Where the time went.
    pub timings: Timings,
    /// Digest of the manifest (one platform) or image index (several).
    pub digest: String,
    /// The build date used.
    pub epoch: i64,
    /// Per platform, in the order built.
    pub platforms: Vec<PlatformOutcome>,
    /// SBOM files written.
    pub sboms: Vec<PathBuf>,
    /// The signatures and attestations written beside the image (empty
    /// unless the request signs).
    pub referrers: Vec<whittle_oci::Referrer>,
}

/// One platform, built in memory.
struct Built {
    image: PlatformImage,
    outcome: PlatformOutcome,
    sbom: whittle_sbom::SbomInput,
}

/// Build the image the request describes and write it, with its SBOMs, as
/// one change (see the `output` module).
pub fn build(session: &Session, req: &BuildRequest) -> Result<BuildOutcome, BuildError> {
    let archs = req.archs.clone().unwrap_or_else(|| req.plan.archs.clone());
    // Everything that can be checked before any work is.
    let output_is_dir = check_output(&req.output, req.sbom_dir.as_deref())?;
    output::sweep(
        req,
        output_is_dir,
        session.fetcher().cache().tmp_dir(),
        session.reporter(),
    );
    // Build date: the request's, else the newest time in any platform's packages.
    let mut timings = Timings::default();
    let started = Instant::now();
    let resolutions = match &req.lock {
        Some(lock) => resolve_from_lock(session, &req.plan, &archs, lock)?,
        None => resolve_all(session, &req.plan, &archs)?,
    };
    timings.resolve = started.elapsed().as_secs_f64();
    let mut built = Vec::new();
    let mut epoch = req.build_date;
    for resolution in resolutions {
        let b = match build_platform(session, req, resolution, &mut epoch, &mut timings) {
            Err(BuildError::World(e))
                if req.lock.is_some() && e.kind() == whittle_world::FailureKind::Fetch =>
            {
                return Err(BuildError::LockedPackageGone(e))
            }
            other => other?,
        };
        built.push(b);
    }
    let output_started = Instant::now();
    let epoch = epoch.unwrap_or(0);
    let mut annotations: BTreeMap<String, String> = req.plan.annotations.clone();
    if let Some((source, revision)) = req.plan.vcs_source_revision() {
        annotations
            .entry("org.opencontainers.image.source".to_string())
            .or_insert_with(|| source.to_string());
        if let Some(r) = revision {
            annotations
                .entry("org.opencontainers.image.revision".to_string())
                .or_insert_with(|| r.to_string());
        }
    }
    annotations
        .entry("org.opencontainers.image.created".to_string())
        .or_insert_with(|| whittle_oci::rfc3339(epoch));
    // Where the packages came from, so that `whittle init --from IMAGE`
    // can find the repositories again: on the image's entry in index.json,
    // outside the image digest (the same packages from another mirror
    // make the same image).
    let entry_annotations = BTreeMap::from([(
        whittle_recipe::CONTENTS_ANNOTATION.to_string(),
        whittle_recipe::contents_record(&req.plan),
    )]);
    let single = |b: &Built| ImageSet {
        images: vec![b.image.clone()],
        annotations: annotations.clone(),
        tag: req.tag.clone(),
        referrers: Vec::new(),
        entry_annotations: entry_annotations.clone(),
    };
    let per_arch_digests: Vec<String> = built.iter().map(|b| image_digest(&single(b))).collect();
    let mut set = ImageSet {
        images: built.iter().map(|b| b.image.clone()).collect(),
        annotations,
        tag: req.tag.clone(),
        referrers: Vec::new(),
        entry_annotations,
    };
    let digest = image_digest(&set);
    if let Some(signing) = &req.signing {
        session
            .reporter()
            .on_step("signing the image and attesting its SBOMs and provenance");
        let platforms: Vec<PlatformSbom<'_>> = built
            .iter()
            .map(|b| PlatformSbom { input: &b.sbom })
            .collect();
        set.referrers = sign_set(req, signing, &set, &platforms, epoch)?;
    }
    let sboms = sbom_documents(req, &built, &per_arch_digests, &digest, epoch);
    session
        .reporter()
        .on_step(&format!("writing {}", req.output.display()));
    write_outputs(&set, &req.output, output_is_dir, &sboms)?;
    let sboms = sboms.into_iter().map(|s| s.path).collect();
    timings.output = output_started.elapsed().as_secs_f64();
    Ok(BuildOutcome {
        timings,
        digest,
        epoch,
        platforms: built.into_iter().map(|b| b.outcome).collect(),
        sboms,
        referrers: set.referrers,
    })
}

fn build_platform(
    session: &Session,
    req: &BuildRequest,
    resolution: Resolution,
    epoch: &mut Option<i64>,
    timings: &mut Timings,
) -> Result<Built, BuildError> {
    let (plan, tag, check_entrypoint) = (&req.plan, req.tag.as_str(), req.check_entrypoint);
    let arch = resolution.arch;
    let cx = session.context(arch);
    let step = Instant::now();
    let placed = install(
        session,
        &cx,
        &resolution.installed,
        &resolution.parts,
        PathFilter::from_plan(&req.plan)?.as_ref(),
    )?;
    timings.fetch_unpack += placed.fetch_unpack_secs;
    timings.assemble += step.elapsed().as_secs_f64() - placed.fetch_unpack_secs;
    let step = Instant::now();
    let mut root = placed.root;
    let build_epoch = *epoch.get_or_insert(placed.newest_mtime);
    let world = session.world();
    let env = image_env(plan, world.default_env());
    let scripts = finish_root(
        session,
        &cx,
        plan,
        &mut root,
        (&placed.installed, &placed.named_owners),
        &env,
        build_epoch,
    )?;
    for w in &scripts.warnings {
        session.reporter().on_warning(w);
    }
    for line in scripts.reports.iter().filter_map(|r| r.summary()) {
        session.reporter().on_warning(&line);
    }
    let user = run_as_user(plan, &root)?;
    if check_entrypoint {
        check_programs(plan, &root, &env)?;
    }
    for w in unwanted_programs(&root, &placed.installed)
        .into_iter()
        .chain(missing_libraries(
            &root,
            &placed.installed,
            &resolution.excluded,
        ))
        .chain(missing_locales(&root, &env))
    {
        session.reporter().on_warning(&w);
    }
    root.clamp_mtimes(build_epoch);
    timings.assemble += step.elapsed().as_secs_f64();
    let step = Instant::now();
    let plans = match &plan.layering {
        Some(l) => plan_by_origin(&root, &placed.installed, l.budget),
        None => single_layer(&root),
    };
    session
        .reporter()
        .on_step(&format!("writing {} layer(s) ({arch})", plans.len()));
    let written = layers(&root, &plans, session)?;
    timings.layers += step.elapsed().as_secs_f64();
    let config = config(plan, arch, build_epoch, env, user);
    let image = PlatformImage {
        config,
        layers: written.iter().map(|(l, _)| l.clone()).collect(),
    };
    let sbom = sbom_input(
        session.world(),
        &root,
        &placed.installed,
        &resolution.excluded,
        &scripts.reports,
        (tag, None, arch.oci_arch()),
        build_epoch,
    );
    Ok(Built {
        image,
        outcome: PlatformOutcome {
            arch,
            installed: resolution.installed,
            excluded: resolution.excluded,
            layers: plans
                .iter()
                .zip(&written)
                .map(|(p, (l, reused))| (p.name.clone(), l.digest.clone(), *reused))
                .collect(),
            entries: root.len(),
            scripts: scripts.reports,
        },
        sbom,
    })
}

/// Everything after placing the packages' files: what their scripts would
/// have done (the world's native steps, accounts among them, then every
/// package's scripts read in dependency order), owners by name through the
/// accounts now in the tree, the package database, then the recipe's
/// `paths:`.
pub(crate) fn finish_root(
    session: &Session,
    cx: &whittle_world::WorldContext,
    plan: &BuildPlan,
    root: &mut whittle_rootfs::RootFs,
    packages: (&[whittle_world::Installed], &[crate::place::NamedOwner]),
    env: &BTreeMap<String, String>,
    epoch: i64,
) -> Result<ScriptOutcome, BuildError> {
    let world = session.world();
    let (installed, named_owners) = packages;
    let input = FinishInput {
        accounts: &plan.accounts,
        epoch,
    };
    for w in world.finish(cx, root, installed, &input)? {
        session.reporter().on_warning(&w);
    }
    let scripts = apply_script_effects(
        world,
        root,
        installed,
        &EffectsInput {
            epoch,
            setup: world.effects_setup(cx),
            choices: &plan.alternatives,
            path: env.get("PATH").map_or("", String::as_str),
        },
    )?;
    map_owner_names(root, named_owners);
    world.write_database(cx, root, installed, &input)?;
    apply_paths(root, &plan.paths, epoch)?;
    Ok(scripts)
}

/// The image's environment: PATH, the world's defaults (the CA bundle),
/// then the recipe's, which wins.
pub(crate) fn image_env(
    plan: &BuildPlan,
    world_env: Vec<(String, String)>,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert(
        "PATH".to_string(),
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
    );
    env.extend(world_env);
    env.extend(plan.environment.clone());
    env
}

/// The SBOMs of the build, in each requested format: one per
/// architecture, and one for the index when there are several.
/// The image's supplier, when the recipe names its vendor.
pub(crate) fn image_supplier(req: &BuildRequest) -> Option<String> {
    req.plan
        .annotations
        .get("org.opencontainers.image.vendor")
        .filter(|v| !v.trim().is_empty())
        .map(|v| format!("Organization: {}", v.trim()))
}

fn sbom_documents(
    req: &BuildRequest,
    built: &[Built],
    digests: &[String],
    index_digest: &str,
    epoch: i64,
) -> Vec<Sbom> {
    let Some(dir) = &req.sbom_dir else {
        return Vec::new();
    };
    let mut formats = req.sbom_formats.clone();
    formats.sort();
    formats.dedup();
    let supplier = image_supplier(req);
    let mut out = Vec::new();
    for (b, digest) in built.iter().zip(digests) {
        let mut input = b.sbom.clone();
        input.image_digest = Some(digest.clone());
        input.supplier.clone_from(&supplier);
        for &format in &formats {
            out.push(Sbom {
                path: dir.join(format!(
                    "{}sbom-{}{}",
                    req.sbom_prefix,
                    b.outcome.arch.oci_arch(),
                    format.suffix()
                )),
                text: whittle_sbom::render(format, &input),
            });
        }
    }
    if built.len() > 1 {
        let input = whittle_sbom::SbomIndexInput {
            image_name: req.tag.clone(),
            index_digest: index_digest.to_string(),
            per_arch: built
                .iter()
                .zip(digests)
                .map(|(b, d)| (b.outcome.arch.oci_arch().to_string(), d.clone()))
                .collect(),
            distro_name: built.iter().find_map(|b| b.sbom.distro_name.clone()),
            supplier,
            created_epoch: epoch,
            tool: format!("whittle-{}", env!("CARGO_PKG_VERSION")),
        };
        for &format in &formats {
            out.push(Sbom {
                path: dir.join(format!("{}sbom-index{}", req.sbom_prefix, format.suffix())),
                text: whittle_sbom::render_index(format, &input),
            });
        }
    }
    out
}
