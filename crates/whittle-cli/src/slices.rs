//! `whittle slices`: Chisel slice definitions without building anything —
//! `check` a whole release (Chisel's conflict rules over every slice),
//! `find` slices by name (as `chisel find`), `info` prints their
//! definitions (as `chisel info`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use whittle_slices::{find, info_parts, load};

/// Arguments of `whittle slices`.
#[derive(Debug, Args)]
pub struct SlicesArgs {
    #[command(subcommand)]
    command: SlicesCommand,
}

#[derive(Debug, Subcommand)]
enum SlicesCommand {
    /// Load a release (chisel.yaml + slices/) and check every slice
    /// against Chisel's conflict rules; exit 1 on any problem.
    Check {
        /// Release trees; later ones overlay earlier ones, package by
        /// package.
        #[arg(required = true)]
        release: Vec<PathBuf>,
    },
    /// Slices whose names match every query term (within one edit; `*`
    /// and `?` wildcards; `pkg_slice` compares whole names, `_slice` slice
    /// names only).
    Find {
        /// Release trees (repeatable; later ones overlay earlier ones).
        #[arg(long, required = true, value_name = "DIR")]
        release: Vec<PathBuf>,
        /// Query terms.
        #[arg(required = true)]
        query: Vec<String>,
    },
    /// Print the definitions of packages (`pkg`) or slices (`pkg_slice`)
    /// as YAML.
    Info {
        /// Release trees (repeatable; later ones overlay earlier ones).
        #[arg(long, required = true, value_name = "DIR")]
        release: Vec<PathBuf>,
        /// Package or slice names.
        #[arg(required = true)]
        names: Vec<String>,
    },
}

/// Run `whittle slices`: 0 when all is well, 1 when a check found
/// problems or a name was not found, 2 when a release cannot be read.
pub fn main(args: &SlicesArgs) -> ExitCode {
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => crate::report_error(&err, 2),
    }
}

fn run(args: &SlicesArgs) -> Result<bool> {
    match &args.command {
        SlicesCommand::Check { release } => {
            let started = Instant::now();
            let loaded = load(release).context("could not load the release")?;
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            let slices = loaded.slices().count();
            match loaded.check() {
                Ok(()) => {
                    println!(
                        "{}: {} packages, {} slices: no conflicts ({:.3} s)",
                        loaded.source.display(),
                        loaded.packages.len(),
                        slices,
                        started.elapsed().as_secs_f64()
                    );
                    Ok(true)
                }
                Err(e) => {
                    let problems = e.problems();
                    for p in &problems {
                        println!("{p}");
                    }
                    eprintln!(
                        "{}: {} problem(s) in {} packages, {} slices",
                        loaded.source.display(),
                        problems.len(),
                        loaded.packages.len(),
                        slices
                    );
                    Ok(false)
                }
            }
        }
        SlicesCommand::Find { release, query } => {
            let loaded = load(release).context("could not load the release")?;
            let found = find(&loaded, query);
            if found.is_empty() {
                eprintln!("no slice matches {}", query.join(" "));
                return Ok(false);
            }
            println!("Slice\tSummary");
            for key in found {
                let hint = loaded
                    .slice(&key)
                    .and_then(|s| s.hint.clone())
                    .unwrap_or_else(|| "-".to_string());
                println!("{key}\t{hint}");
            }
            Ok(true)
        }
        SlicesCommand::Info { release, names } => {
            let loaded = load(release).context("could not load the release")?;
            let (yaml, not_found) = info_parts(&loaded, names);
            print!("{yaml}");
            if not_found.is_empty() {
                Ok(true)
            } else {
                eprintln!("no slice definitions found for: {}", not_found.join(", "));
                Ok(false)
            }
        }
    }
}
