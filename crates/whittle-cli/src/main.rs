//! `whittle`: build minimal ("distroless") OCI images from distribution
//! packages, declaratively, without Docker, root or package scripts.
//!
//! This is the only crate that prints. Progress arrives through the
//! engine's `Reporter`, drawn as bars on a terminal and as plain lines
//! otherwise.
//!
//! `--build-date` is parsed and checked by `jiff`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod audit;
mod build_all;
mod date;
mod diff;
mod init;
mod interrupt;
mod lockfile;
mod publish;
mod pull;
mod registry;
mod report;
mod sbom;
mod script_report;
mod search;
mod signing;
mod size;
mod slices;
mod target;
mod verify;
mod worlds;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;
use whittle::{BuildPlan, BuildRequest, Session, SessionOptions};

use crate::args::{Cli, Command, CommonArgs};
use crate::report::TermReporter;

fn main() -> ExitCode {
    // First, before any thread starts: threads inherit the signal mask.
    if let Err(e) = interrupt::install() {
        eprintln!("warning: cannot handle SIGINT/SIGTERM ({e}); an interrupted build may leave temporary files");
    }
    let cli = Cli::parse();
    if let Command::Audit(args) = &cli.command {
        return audit::main(args);
    }
    if let Command::Diff(args) = &cli.command {
        return diff::main(args);
    }
    if let Command::Slices(args) = &cli.command {
        return slices::main(args);
    }
    if let Command::Search(args) = &cli.command {
        return search::main(args);
    }
    let init = match &cli.command {
        Command::Init(args) => Some(init::run(args)),
        Command::ShowPackages {
            recipe,
            common,
            compare: Some(source),
        } => Some(init::compare(recipe, common, source)),
        _ => None,
    };
    if let Some(result) = init {
        return result.unwrap_or_else(|err| report_error(&err, 2));
    }
    if let Command::Check(args) = &cli.command {
        return match lockfile::check(args) {
            Ok(code) => code,
            Err(err) => report_error(&err, 1),
        };
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report_error(&err, 1),
    }
}

/// Print an error with each cause once, and give `code` as the exit code.
pub(crate) fn report_error(err: &anyhow::Error, code: u8) -> ExitCode {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    ExitCode::from(code)
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Build {
            recipe,
            tag,
            output,
            common,
            sbom_path,
            no_sbom,
            sbom_formats,
            build_date,
            allow_missing_entrypoint,
            lockfile,
            sign,
        } => {
            let plan = load_plan(&recipe, &common)?;
            let lock = lockfile.as_deref().map(lockfile::read_lock).transpose()?;
            let build_date = build_date_arg(build_date.as_deref())?;
            // The output and SBOM directory are checked before any
            // repository is contacted.
            let (sbom_dir, sbom_prefix) = sbom_place(&output, sbom_path, no_sbom);
            whittle::check_output(&output, sbom_dir.as_deref())?;
            let reporter = Arc::new(TermReporter::new());
            let session = open_session(&plan, &common, reporter.clone())?;
            let request = BuildRequest {
                plan,
                tag,
                output: output.clone(),
                archs: common.archs()?,
                sbom_dir,
                sbom_prefix,
                sbom_formats,
                build_date,
                check_entrypoint: !allow_missing_entrypoint,
                signing: sign.signing(&recipe, lockfile.as_deref())?,
                lock,
            };
            let outcome = whittle::build(&session, &request)?;
            reporter.finish();
            for p in &outcome.platforms {
                eprintln!(
                    "{}: {} packages, {} excluded, {} entries, {} layer(s)",
                    p.arch,
                    p.installed.len(),
                    p.excluded.len(),
                    p.entries,
                    p.layers.len()
                );
                for (name, digest, reused) in &p.layers {
                    eprintln!(
                        "  layer {digest}{} ({name})",
                        if *reused { " (reused)" } else { "" }
                    );
                }
            }
            let t = &outcome.timings;
            eprintln!(
                "timings: resolve {:.2}s, fetch+verify+unpack {:.2}s, assemble {:.2}s, layers {:.2}s, output {:.2}s",
                t.resolve, t.fetch_unpack, t.assemble, t.layers, t.output
            );
            for s in &outcome.sboms {
                eprintln!("sbom: {}", s.display());
            }
            if !outcome.referrers.is_empty() {
                eprintln!(
                    "signed: {} signature(s) and attestation(s) stored in {}",
                    outcome.referrers.len(),
                    output.display()
                );
            }
            eprintln!("wrote {} ({})", output.display(), outcome.digest);
            println!("{}", outcome.digest);
            Ok(())
        }
        Command::Lock(args) => lockfile::lock(&args),
        Command::Publish(args) => publish::run(&args),
        Command::BuildAll(args) => build_all::run(&args),
        Command::Login(args) => registry::login(&args),
        Command::Keygen(args) => signing::keygen(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Check(_) => unreachable!("`whittle check` is run from main"),
        Command::Init(_) => unreachable!("`whittle init` is run from main"),
        Command::Audit(_) => unreachable!("`whittle audit` is run from main"),
        Command::Diff(_) => unreachable!("`whittle diff` is run from main"),
        Command::Sbom(args) => sbom::run(&args),
        Command::Slices(_) => unreachable!("`whittle slices` is run from main"),
        Command::Search(_) => unreachable!("`whittle search` is run from main"),
        Command::ShowScripts {
            recipe,
            common,
            not_emulated,
        } => {
            let plan = load_plan(&recipe, &common)?;
            let reporter = Arc::new(TermReporter::quiet());
            let session = open_session(&plan, &common, reporter.clone())?;
            let archs = common.archs()?.unwrap_or_else(|| plan.archs.clone());
            let explained = whittle::explain_scripts(&session, &plan, &archs)?;
            reporter.finish();
            let many = explained.len() > 1;
            for (i, (arch, reports)) in explained.iter().enumerate() {
                if many {
                    println!("{}# {arch}", if i > 0 { "\n" } else { "" });
                }
                print!("{}", script_report::render(reports, not_emulated));
            }
            Ok(())
        }
        Command::ShowPackages { recipe, common, .. } => {
            let plan = load_plan(&recipe, &common)?;
            let reporter = Arc::new(TermReporter::quiet());
            let session = open_session(&plan, &common, reporter)?;
            let archs = common.archs()?.unwrap_or_else(|| plan.archs.clone());
            for (i, resolution) in whittle::show_packages(&session, &plan, &archs)?
                .iter()
                .enumerate()
            {
                if archs.len() > 1 {
                    println!("{}# {}", if i > 0 { "\n" } else { "" }, resolution.arch);
                }
                for p in &resolution.installed {
                    println!("{} {}", p.name, p.version);
                }
                for (name, parts) in &resolution.parts {
                    println!("# cut to slices: {name}: {}", parts.join(" "));
                }
                for p in &resolution.excluded {
                    println!(
                        "# excluded (treated as provided, not installed): {} {}",
                        p.name, p.version
                    );
                }
            }
            Ok(())
        }
    }
}

pub(crate) fn load_plan(recipe: &std::path::Path, common: &CommonArgs) -> Result<BuildPlan> {
    let mut plan = BuildPlan::from_file(recipe).map_err(anyhow::Error::new)?;
    common.apply_to(&mut plan)?;
    Ok(plan)
}

pub(crate) fn open_session(
    plan: &BuildPlan,
    common: &CommonArgs,
    reporter: Arc<TermReporter>,
) -> Result<Session> {
    let options = SessionOptions {
        cache_dir: common.cache_dir.clone(),
        offline: common.offline,
        max_unpacked_size: common.max_unpacked_size,
        shared_cache: None,
    };
    let session = Session::open(plan, &options, &worlds::worlds(common), reporter)?;
    if common.ignore_valid_until && session.world().id() != "deb" {
        anyhow::bail!(
            "--ignore-valid-until applies to Debian repositories, and {} has none; remove the flag",
            plan.source.display()
        );
    }
    Ok(session)
}

/// Where SBOMs go and how they are named: apko's names in `--sbom-path`;
/// beside the output, prefixed with its name (`app.tar` →
/// `app.sbom-amd64.spdx.json`), so that builds sharing a directory keep
/// their own.
fn sbom_place(
    output: &std::path::Path,
    sbom_path: Option<std::path::PathBuf>,
    no_sbom: bool,
) -> (Option<std::path::PathBuf>, String) {
    if no_sbom {
        return (None, String::new());
    }
    if let Some(dir) = sbom_path {
        return (Some(dir), String::new());
    }
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| ".".into(), |p| p.to_path_buf());
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = if stem.is_empty() || stem == "." {
        String::new()
    } else {
        format!("{stem}.")
    };
    (Some(dir), prefix)
}

/// `--build-date`, else SOURCE_DATE_EPOCH.
pub(crate) fn build_date_arg(arg: Option<&str>) -> Result<Option<i64>> {
    match arg {
        Some(d) => Ok(Some(date::parse_build_date(d)?)),
        None => source_date_epoch(),
    }
}

/// SOURCE_DATE_EPOCH, the reproducible-builds convention, when set.
fn source_date_epoch() -> Result<Option<i64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => {
            Ok(Some(v.trim().parse().with_context(|| {
                format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds")
            })?))
        }
        _ => Ok(None),
    }
}
