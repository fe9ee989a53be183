//! `whittle init --from SBOM|IMAGE`: write a recipe whose packages resolve
//! to an existing image's package set, and `whittle show-packages
//! --compare`: how a recipe's packages differ from such a set.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use whittle::{Arch, BuildPlan, Derivation, DerivedRequest};

use crate::args::CommonArgs;
use crate::registry::RegistryArgs;
use crate::report::TermReporter;
use crate::target::{folder_of, Target};

/// Arguments of `whittle init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// What to match: an SBOM (SPDX 2.3 or CycloneDX 1.5/1.6 JSON), an
    /// image (`oci-archive:FILE`, `oci:DIR`, an archive or a layout
    /// directory, optionally `:TAG`) or a registry reference.
    #[arg(long = "from", value_name = "SBOM|IMAGE")]
    pub from: String,
    /// The recipe whose repositories and settings the new one keeps
    /// (its package list is replaced). Default: the repositories whittle
    /// recorded in the image it built.
    #[arg(long, value_name = "RECIPE")]
    pub repos: Option<PathBuf>,
    /// Where to write the recipe.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: PathBuf,
    /// Pin every requested package to the target's version
    /// (`name=version`); a version the repositories no longer serve is then
    /// an error.
    #[arg(long)]
    pub pin: bool,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `whittle init`: exit 0 with the recipe written (differences, if any,
/// reported), 1 when pinned versions are no longer served.
pub fn run(args: &InitArgs) -> Result<ExitCode> {
    let asked = args.common.archs()?.and_then(|a| a.first().copied());
    let target = Target::read(&args.from, asked, &args.registry)?;
    let names: Vec<String> = target.packages.iter().map(|p| p.name.clone()).collect();
    // The recipe to start from, and the file its relative paths belong to.
    let (text, source) = match (&args.repos, &target.contents) {
        (Some(repos), _) => {
            if folder_of(repos) != folder_of(&args.output) {
                eprintln!(
                    "note: {} keeps the entries of {} as written; relative paths in them are taken against {}",
                    args.output.display(),
                    repos.display(),
                    folder_of(&args.output).display()
                );
            }
            (fs_err::read_to_string(repos)?, repos.clone())
        }
        (None, Some(record)) => {
            let archs: Vec<Arch> = asked.or(target.arch).into_iter().collect();
            (
                whittle::recipe_from_record(record, &names, &archs)?,
                args.output.clone(),
            )
        }
        (None, None) => bail!(
            "{} records no repositories (an SBOM, an image from a registry, or one whittle did not build): pass --repos RECIPE, a recipe whose repositories serve its packages",
            args.from
        ),
    };
    let start = whittle::with_packages(&text, &source, &names)?;
    let mut plan = BuildPlan::from_str_with_env(&start, &source, &|n| std::env::var(n).ok())?;
    args.common.apply_to(&mut plan)?;
    let arch = pick_arch(asked, &target, &plan)?;
    let reporter = Arc::new(TermReporter::quiet());
    let session = crate::open_session(&plan, &args.common, reporter.clone())?;
    target.check_world(session.world().id(), &source)?;
    let derived = whittle::derive_recipe(&session, &plan, arch, &target.packages, args.pin)?;
    reporter.finish();
    print!("{}", summary(&target, &derived));
    if derived.pin_failed(args.pin) {
        eprintln!(
            "error: {} of the target's versions are no longer served, so a pinned recipe cannot reproduce it; {} is not written (run without --pin to take the newest)",
            derived.difference.unserved.len(),
            args.output.display()
        );
        return Ok(ExitCode::from(1));
    }
    let specs: Vec<String> = derived.requests.iter().map(DerivedRequest::spec).collect();
    let body = whittle::with_packages(&text, &source, &specs)?;
    let out = format!(
        "# Written by `whittle init --from {}` ({arch}): the fewest packages whose\n# closure is its {} packages.\n{body}",
        target.source,
        target.packages.len()
    );
    whittle_sbom::write_atomic(&args.output, &out)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!("wrote {}", args.output.display());
    Ok(ExitCode::SUCCESS)
}

/// `whittle show-packages RECIPE --compare SRC`: exit 0 when the recipe's
/// closure is the target set, 1 when it differs.
pub fn compare(recipe: &Path, common: &CommonArgs, source: &str) -> Result<ExitCode> {
    let plan = crate::load_plan(recipe, common)?;
    let asked = common.archs()?.and_then(|a| a.first().copied());
    let target = Target::read(source, asked, &RegistryArgs::default())?;
    let arch = pick_arch(asked, &target, &plan)?;
    let reporter = Arc::new(TermReporter::quiet());
    let session = crate::open_session(&plan, common, reporter.clone())?;
    target.check_world(session.world().id(), recipe)?;
    let difference = whittle::compare_packages(&session, &plan, arch, &target.packages)?;
    reporter.finish();
    if difference.is_empty() {
        println!(
            "same packages: {} resolves to the {} packages of {} ({arch})",
            recipe.display(),
            target.packages.len(),
            target.source
        );
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", difference.to_text());
    Ok(ExitCode::from(1))
}

/// `--arch`, else the target's, else the recipe's first.
fn pick_arch(asked: Option<Arch>, target: &Target, plan: &BuildPlan) -> Result<Arch> {
    asked
        .or(target.arch)
        .or_else(|| plan.archs.first().copied())
        .context("no architecture: pass --arch")
}

fn summary(target: &Target, d: &Derivation) -> String {
    let mut out = format!(
        "target: {} {} packages ({}) from {}\n",
        target.packages.len(),
        target.world,
        d.arch,
        target.source
    );
    let specs: Vec<String> = d.requests.iter().map(DerivedRequest::spec).collect();
    out.push_str(&format!(
        "requested: {} packages ({} roots, {} requested because the solver would choose another): {}\n",
        specs.len(),
        d.roots,
        d.repaired,
        specs.join(" ")
    ));
    if d.difference.is_empty() {
        out.push_str("the closure equals the target\n");
    } else {
        out.push_str(&d.difference.to_text());
    }
    out
}
