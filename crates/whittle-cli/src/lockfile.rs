//! `whittle lock` and `whittle check`: write a recipe's lock file, and
//! decide in CI whether an image needs rebuilding.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use whittle::{ChangeKind, Lock, RecipeFile};

use crate::args::CommonArgs;
use crate::report::TermReporter;

/// `whittle check` exits with this when a rebuild is due.
pub const REBUILD_NEEDED: u8 = 10;

/// `whittle lock RECIPE`.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// The recipe (YAML).
    pub recipe: PathBuf,
    /// Where to write the lock (default: `RECIPE-STEM.lock.json` beside
    /// the recipe).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// How `whittle check` prints its finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One line per changed package.
    Text,
    /// One JSON document (see the README for its keys).
    Json,
}

/// `whittle check RECIPE --lockfile LOCK`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The recipe (YAML).
    pub recipe: PathBuf,
    /// The lock to compare with (default: `RECIPE-STEM.lock.json` beside
    /// the recipe).
    #[arg(long, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Where a recipe's lock lives unless told: `app.yaml` → `app.lock.json`.
pub fn default_lock_path(recipe: &Path) -> PathBuf {
    let stem = recipe
        .file_stem()
        .map_or_else(|| "recipe".into(), |s| s.to_string_lossy().into_owned());
    recipe.with_file_name(format!("{stem}.lock.json"))
}

/// Read a lock file (whittle's or apko's).
pub fn read_lock(path: &Path) -> Result<Lock> {
    let text = fs_err::read_to_string(path)
        .with_context(|| format!("cannot read the lock file {}", path.display()))?;
    Lock::parse(&text).with_context(|| format!("cannot use the lock file {}", path.display()))
}

/// `whittle lock`.
pub fn lock(args: &LockArgs) -> Result<()> {
    let plan = crate::load_plan(&args.recipe, &args.common)?;
    let bytes = fs_err::read(&args.recipe)
        .with_context(|| format!("cannot read {}", args.recipe.display()))?;
    let reporter = Arc::new(TermReporter::new());
    let session = crate::open_session(&plan, &args.common, reporter.clone())?;
    let archs = args.common.archs()?.unwrap_or_else(|| plan.archs.clone());
    let name = args
        .recipe
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let lock = whittle::lock(
        &session,
        &plan,
        &archs,
        &RecipeFile {
            name: &name,
            bytes: &bytes,
        },
    )?;
    reporter.finish();
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| default_lock_path(&args.recipe));
    whittle_sbom::write_atomic(&out, &lock.to_json())
        .with_context(|| format!("cannot write the lock file {}", out.display()))?;
    for arch in lock.architectures() {
        eprintln!("{arch}: {} packages", lock.packages_for(&arch).count());
    }
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// `whittle check`: 0 when the lock is current, [`REBUILD_NEEDED`] when a
/// fresh resolution differs or the recipe changed, 1 on an error.
pub fn check(args: &CheckArgs) -> Result<ExitCode> {
    let plan = crate::load_plan(&args.recipe, &args.common)?;
    let path = args
        .lockfile
        .clone()
        .unwrap_or_else(|| default_lock_path(&args.recipe));
    let locked = read_lock(&path)?;
    let reporter = Arc::new(TermReporter::quiet());
    let session = crate::open_session(&plan, &args.common, reporter.clone())?;
    let archs = args.common.archs()?.unwrap_or_else(|| plan.archs.clone());
    let outcome = whittle::check(&session, &plan, &archs, &locked)?;
    reporter.finish();
    match args.format {
        CheckFormat::Json => {
            let doc = serde_json::json!({
                "lockfile": path.display().to_string(),
                "rebuild": outcome.rebuild_needed(),
                "mismatch": outcome.mismatch,
                "changes": outcome.changes,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        CheckFormat::Text => {
            if let Some(reason) = &outcome.mismatch {
                println!("the lock no longer matches the recipe: {reason}");
            }
            for c in &outcome.changes {
                let from = c.repository.as_deref().map_or(String::new(), |r| {
                    format!(
                        " ({r}{})",
                        if c.security { ", security update" } else { "" }
                    )
                });
                let line = match c.kind {
                    ChangeKind::Changed => format!(
                        "{} {} → {}",
                        c.name,
                        c.old.as_deref().unwrap_or("?"),
                        c.new.as_deref().unwrap_or("?")
                    ),
                    ChangeKind::Added => {
                        format!("{} (new) → {}", c.name, c.new.as_deref().unwrap_or("?"))
                    }
                    ChangeKind::Removed => {
                        format!("{} {} → (removed)", c.name, c.old.as_deref().unwrap_or("?"))
                    }
                };
                println!("{}: {line}{from}", c.arch);
            }
            if !outcome.rebuild_needed() {
                println!("{} is current", path.display());
            }
        }
    }
    Ok(if outcome.rebuild_needed() {
        ExitCode::from(REBUILD_NEEDED)
    } else {
        ExitCode::SUCCESS
    })
}
