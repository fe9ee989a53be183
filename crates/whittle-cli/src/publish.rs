//! `whittle publish RECIPE REF...`: apko's publish. Build every
//! architecture into a temporary OCI layout, push it to each reference
//! (blobs, then the per-platform manifests, then the index, then the tags),
//! and hang the SBOMs on what was pushed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use whittle::{BuildRequest, SbomFormat};
use whittle_registry::{attach, Artifact, AttachMode, Descriptor, PushedImage, Reference};

use crate::args::CommonArgs;
use crate::registry::{PushLog, RegistryArgs};
use crate::report::TermReporter;

/// How the SBOMs travel with the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomAttach {
    /// OCI 1.1 referrers: an artifact per SBOM whose subject is the image;
    /// on registries without the referrers API, the `sha256-<digest>`
    /// fallback tag lists them.
    Referrers,
    /// cosign's and apko's `sha256-<digest>.sbom` tag (one SBOM per image:
    /// the first format).
    Tag,
    /// No SBOM in the registry.
    None,
}

/// What `publish` and `build-all --publish` make and attach.
#[derive(Debug, Args)]
pub struct ImageArgs {
    /// How to attach the SBOMs in the registry.
    #[arg(long, value_enum, default_value = "referrers")]
    pub sbom_attach: SbomAttach,
    /// SBOM formats, comma-separated or repeated: `spdx`, `cyclonedx`.
    #[arg(
        long,
        value_name = "FORMATS",
        value_delimiter = ',',
        default_value = "spdx"
    )]
    pub sbom_formats: Vec<SbomFormat>,
    /// Build date: seconds since the epoch or RFC 3339 (default:
    /// $SOURCE_DATE_EPOCH, else each image's newest file in its packages).
    #[arg(long, value_name = "DATE")]
    pub build_date: Option<String>,
}

/// `whittle publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The recipe (YAML).
    pub recipe: PathBuf,
    /// Where to push (`registry.example/team/app:1.2`), one or more.
    #[arg(required = true, value_name = "REF")]
    pub refs: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub image: ImageArgs,
    /// Also keep the SBOMs in this directory (apko's names).
    #[arg(long, value_name = "DIR")]
    pub sbom_path: Option<PathBuf>,
    /// Write the pushed images' digest references here, one per line
    /// (`registry.example/team/app@sha256:…`).
    #[arg(long, value_name = "FILE")]
    pub image_refs: Option<PathBuf>,
    /// Publish even when the entrypoint (or command) program is not in the image.
    #[arg(long)]
    pub allow_missing_entrypoint: bool,
    /// Install exactly the packages of this lock file.
    #[arg(long, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,
    #[command(flatten)]
    pub sign: crate::signing::SignArgs,
}

/// Build, push, attach; print the digest reference of the first target.
pub fn run(args: &PublishArgs) -> Result<()> {
    let targets = args
        .refs
        .iter()
        .map(|r| Reference::parse(r).with_context(|| format!("{r} is not an image reference")))
        .collect::<Result<Vec<_>>>()?;
    let client = args.registry.client()?;
    let plan = crate::load_plan(&args.recipe, &args.common)?;
    let lock = args
        .lockfile
        .as_deref()
        .map(crate::lockfile::read_lock)
        .transpose()?;
    let build_date = crate::build_date_arg(args.image.build_date.as_deref())?;
    let reporter = Arc::new(TermReporter::new());
    let session = crate::open_session(&plan, &args.common, reporter.clone())?;
    let scratch = tempfile::Builder::new()
        .prefix("publish-")
        .tempdir_in(session.fetcher().cache().tmp_dir())
        .context("could not make a temporary directory in the cache")?;
    let layout = scratch.path().join("layout");
    fs_err::create_dir(&layout)?;
    let sbom_dir = args
        .sbom_path
        .clone()
        .unwrap_or_else(|| scratch.path().join("sbom"));
    fs_err::create_dir_all(&sbom_dir)?;
    let request = BuildRequest {
        plan,
        tag: targets[0].to_string(),
        output: layout.clone(),
        archs: args.common.archs()?,
        sbom_dir: Some(sbom_dir.clone()),
        sbom_prefix: String::new(),
        sbom_formats: args.image.sbom_formats.clone(),
        build_date,
        check_entrypoint: !args.allow_missing_entrypoint,
        lock,
        signing: args.sign.signing(&args.recipe, args.lockfile.as_deref())?,
    };
    let outcome = whittle::build(&session, &request)?;
    reporter.finish();
    eprintln!(
        "built {} ({} platform(s))",
        outcome.digest,
        outcome.platforms.len()
    );
    let pushed = whittle_registry::push_layout(&client, &layout, &targets, &PushLog::new())?;
    eprintln!(
        "pushed {}: {} blob(s) uploaded ({} bytes), {} already there",
        pushed.digest, pushed.uploaded_blobs, pushed.uploaded_bytes, pushed.existing_blobs
    );
    let sboms = SbomFiles {
        dir: &sbom_dir,
        prefix: "",
        formats: &args.image.sbom_formats,
        mode: args.image.sbom_attach,
        epoch: outcome.epoch,
        single: match &outcome.platforms[..] {
            [only] => Some(only.arch.oci_arch()),
            _ => None,
        },
    };
    attach_sboms(&client, &targets, &pushed, &sboms, true)?;
    push_referrers(&client, &targets, &outcome.referrers)?;
    let refs = digest_refs(&targets, &pushed.digest);
    if let Some(path) = &args.image_refs {
        let mut text = refs.join("\n");
        text.push('\n');
        fs_err::write(path, text)?;
    }
    println!("{}", refs[0]);
    Ok(())
}

/// `registry/repository@digest` for each distinct repository, in order.
fn digest_refs(targets: &[Reference], digest: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in targets {
        let r = t.with_digest(digest).to_string();
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// The SBOM files a build wrote, and how to attach them.
pub struct SbomFiles<'a> {
    /// Where they are.
    pub dir: &'a Path,
    /// Before each name (`NAME.` for build-all's, empty for apko's names).
    pub prefix: &'a str,
    /// The formats written.
    pub formats: &'a [SbomFormat],
    /// How to attach them.
    pub mode: SbomAttach,
    /// The build date, for the artifacts' `created` annotation.
    pub epoch: i64,
    /// The architecture of a single-platform image (`amd64`); `None` for
    /// an index.
    pub single: Option<&'a str>,
}

/// The SBOMs of each platform on its manifest, the index's on the index,
/// in every target repository; a line for each when `verbose`.
pub fn attach_sboms(
    client: &whittle_registry::Client,
    targets: &[Reference],
    pushed: &PushedImage,
    files: &SbomFiles<'_>,
    verbose: bool,
) -> Result<()> {
    let (sbom_dir, epoch, single) = (files.dir, files.epoch, files.single);
    if files.mode == SbomAttach::None {
        return Ok(());
    }
    let mut formats = files.formats.to_vec();
    formats.sort();
    formats.dedup();
    if formats.is_empty() {
        return Ok(());
    }
    if files.mode == SbomAttach::Tag && formats.len() > 1 {
        eprintln!(
            "warning: --sbom-attach tag holds one SBOM per image: attaching {}, not {}",
            formats[0],
            formats[1..]
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
        formats.truncate(1);
    }
    // (subject, SBOM file stem) pairs.
    let top = Descriptor::of_parts(&pushed.media_type, &pushed.digest, pushed.size);
    let mut subjects: Vec<(Descriptor, String)> = Vec::new();
    if let Some(arch) = single {
        subjects.push((top, format!("sbom-{arch}")));
    } else {
        for m in &pushed.manifests {
            let arch = m
                .platform
                .as_ref()
                .and_then(|p| p.get("architecture"))
                .and_then(|a| a.as_str())
                .context("the pushed index lists a manifest without a platform")?;
            subjects.push((m.clone(), format!("sbom-{arch}")));
        }
        subjects.push((top, "sbom-index".to_string()));
    }
    let mode = match files.mode {
        SbomAttach::Tag => AttachMode::Tag,
        _ => AttachMode::Referrers,
    };
    let created = crate::date::rfc3339(epoch);
    let mut seen = Vec::new();
    for target in targets {
        let key = (target.registry.clone(), target.repository.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let repo = client.repository(&target.registry, &target.repository);
        for (subject, stem) in &subjects {
            for format in &formats {
                let file = sbom_dir.join(format!("{}{stem}{}", files.prefix, format.suffix()));
                let data = fs_err::read(&file)?;
                let artifact_type = match format {
                    SbomFormat::Spdx => "application/spdx+json",
                    SbomFormat::CycloneDx => "application/vnd.cyclonedx+json",
                };
                // The tag scheme's layer carries cosign's (and apko's) SBOM
                // media types; a referrer is typed by its artifact type.
                let media_type = match mode {
                    AttachMode::Tag => whittle_registry::cosign_sbom_media_type(artifact_type),
                    AttachMode::Referrers => artifact_type,
                };
                let artifact = Artifact {
                    artifact_type,
                    media_type,
                    data: &data,
                    annotations: BTreeMap::from([(
                        "org.opencontainers.image.created".to_string(),
                        created.clone(),
                    )]),
                };
                let attached = attach(&repo, subject, &artifact, mode)?;
                let how = match (&attached.tag, attached.via_referrers_api) {
                    (_, true) => "referrers API".to_string(),
                    (Some(tag), false) => format!("tag {tag}"),
                    (None, false) => "referrers".to_string(),
                };
                if !verbose {
                    continue;
                }
                eprintln!(
                    "sbom {} ({format}) on {}: {} ({how})",
                    stem.trim_start_matches("sbom-"),
                    subject.digest,
                    attached.digest
                );
            }
        }
    }
    Ok(())
}

/// Push the signatures and attestations the build made beside the image
/// to every target repository.
pub fn push_referrers(
    client: &whittle_registry::Client,
    targets: &[Reference],
    referrers: &[whittle_oci::Referrer],
) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Subjected {
        subject: Option<Descriptor>,
    }
    let mut seen = Vec::new();
    for target in targets {
        let key = (target.registry.clone(), target.repository.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let repo = client.repository(&target.registry, &target.repository);
        for referrer in referrers {
            let subject = serde_json::from_slice::<Subjected>(&referrer.manifest)
                .ok()
                .and_then(|s| s.subject);
            let subject = match (subject, &referrer.tag) {
                (Some(s), _) => s,
                (None, Some(_)) => Descriptor::of_parts("", "", 0),
                (None, None) => {
                    anyhow::bail!("a signature made by the build names no subject and no tag")
                }
            };
            let prepared = whittle_registry::PreparedReferrer {
                manifest: &referrer.manifest,
                media_type: &referrer.media_type,
                artifact_type: referrer.artifact_type.as_deref(),
                annotations: &referrer.annotations,
                blobs: &referrer.blobs,
                tag: referrer.tag.as_deref(),
            };
            let attached = whittle_registry::put_referrer(&repo, &subject, &prepared)?;
            let what = referrer
                .annotations
                .get("dev.sigstore.bundle.predicateType")
                .map(String::as_str)
                .unwrap_or("cosign signature");
            let how = match (&attached.tag, attached.via_referrers_api) {
                (_, true) => "referrers API".to_string(),
                (Some(tag), false) => format!("tag {tag}"),
                (None, false) => "referrers".to_string(),
            };
            eprintln!(
                "signed {what} on {}: {} ({how})",
                if subject.digest.is_empty() {
                    "the image"
                } else {
                    &subject.digest
                },
                attached.digest
            );
        }
    }
    Ok(())
}
