//! `whittle sbom IMAGE`: the SBOM of an existing image, made again from
//! the package databases it carries.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use whittle_audit::{ImageRef, ImageSet, Platform};
use whittle_sbom::SbomFormat;

/// Arguments of `whittle sbom`.
#[derive(Debug, Args)]
pub struct SbomArgs {
    /// The image: an archive (`app.tar`: OCI archive or docker-archive) or
    /// an OCI layout directory, optionally `PATH:TAG`.
    pub image: String,
    /// Document format: `spdx` (SPDX 2.3 JSON) or `cyclonedx` (CycloneDX
    /// 1.6 JSON).
    #[arg(long, value_name = "FORMAT", default_value = "spdx")]
    pub format: SbomFormat,
    /// Write the document here (atomically) instead of to stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The platform whose image to describe (`linux/arm64`); default: the
    /// only one, else the host's.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
}

/// Read the image, write its SBOM.
pub fn run(args: &SbomArgs) -> anyhow::Result<()> {
    let platform = args.platform.as_deref().map(Platform::parse).transpose()?;
    let set = ImageSet::open(&ImageRef::parse(&args.image))?;
    let inventory = set.inventory(platform.as_ref())?;
    for note in &inventory.notes {
        eprintln!("note: {note}");
    }
    if inventory.databases.is_empty() {
        eprintln!(
            "warning: {} ({}) has no package database whittle reads; the SBOM lists no packages",
            inventory.source, inventory.platform
        );
    }
    let input = whittle_audit::sbom_input(&inventory);
    let document = whittle_sbom::render(args.format, &input);
    match &args.output {
        Some(path) => {
            whittle_sbom::write_atomic(path, &document)
                .with_context(|| format!("writing the SBOM {}", path.display()))?;
            eprintln!(
                "{}: {} packages ({}) → {}",
                inventory.source,
                inventory.packages.len(),
                inventory.platform,
                path.display()
            );
        }
        None => print!("{document}"),
    }
    Ok(())
}
