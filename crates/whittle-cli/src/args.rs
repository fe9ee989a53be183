//! Command-line arguments, following apko's names and argument order.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use whittle::{Arch, BuildPlan};

/// Build minimal OCI images from distribution packages.
#[derive(Debug, Parser)]
#[command(name = "whittle", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an image from a recipe: `whittle build RECIPE TAG OUTPUT`.
    Build {
        /// The recipe (YAML).
        recipe: PathBuf,
        /// The reference to tag the image with (`registry.example/app:1.0`).
        tag: String,
        /// `NAME.tar` (an OCI archive that is also a docker-archive) or an
        /// existing directory (an OCI image layout).
        output: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
        /// Directory for the SBOMs (default: the output's directory).
        #[arg(long, value_name = "DIR")]
        sbom_path: Option<PathBuf>,
        /// Write no SBOM.
        #[arg(long)]
        no_sbom: bool,
        /// Build date: seconds since the epoch or RFC 3339
        /// (default: $SOURCE_DATE_EPOCH, else the newest file in the packages).
        #[arg(long, value_name = "DATE")]
        build_date: Option<String>,
    },
    /// Print the resolved package set, one `name version` per line.
    ShowPackages {
        /// The recipe (YAML).
        recipe: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// Options shared by every subcommand that reads a recipe.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Architectures, comma-separated or repeated (`amd64,arm64`; apko's
    /// `x86_64`/`aarch64` work too). Default: the recipe's `archs`.
    #[arg(long = "arch", value_delimiter = ',')]
    pub arch: Vec<String>,
    /// Cache directory (default: $WHITTLE_CACHE_DIR, else the user cache dir).
    #[arg(long, value_name = "DIR", env = "WHITTLE_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Use only the cache; never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Add a package to the recipe's list (repeatable).
    #[arg(short = 'p', long = "package-append", value_name = "PKG")]
    pub package_append: Vec<String>,
}

impl CommonArgs {
    /// The architectures asked for on the command line, if any.
    pub fn archs(&self) -> Result<Option<Vec<Arch>>> {
        if self.arch.is_empty() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for a in &self.arch {
            let Some(arch) = Arch::parse(a.trim()) else {
                bail!("unknown architecture `{a}` given to --arch: use amd64, arm64, armv7, 386, ppc64le, s390x or riscv64");
            };
            if !out.contains(&arch) {
                out.push(arch);
            }
        }
        Ok(Some(out))
    }

    /// Apply command-line additions to the recipe.
    pub fn apply_to(&self, plan: &mut BuildPlan) -> Result<()> {
        for p in &self.package_append {
            let req = whittle_recipe_request(p)?;
            plan.packages.push(req);
        }
        Ok(())
    }
}

fn whittle_recipe_request(spec: &str) -> Result<whittle::PackageRequest> {
    whittle::PackageRequest::parse(spec, 0)
        .map_err(|e| anyhow::anyhow!("--package-append {spec}: {e}"))
}
