//! `whittle diff A B`: how two images, two lock files or one of each
//! differ. Exit codes as `diff(1)`'s: 0 when nothing compared differs, 1
//! when something does, 2 when a side cannot be read.

use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Args;
use whittle_audit::{diff, lock_platform, DiffInput, DiffOptions, Platform};

use crate::audit::Format;

/// Arguments of `whittle diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// A: an image (an archive, `app.tar`, or an OCI layout directory,
    /// optionally `PATH:TAG`) or a lock file (`recipe.lock.json`).
    pub a: String,
    /// B: an image or a lock file, as A.
    pub b: String,
    /// Also compare files, between two images: added, removed, changed
    /// (content, mode, owner, link target).
    #[arg(long)]
    pub files: bool,
    /// Compare only these platforms (`linux/arm64`; comma-separated or
    /// repeated). Default: every platform both have.
    #[arg(long, value_delimiter = ',', value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Vec<String>,
    /// Compare only these architectures (`amd64`, `aarch64`…;
    /// comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub arch: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Compare; the exit code says whether A and B differ.
pub fn main(args: &DiffArgs) -> ExitCode {
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => crate::report_error(&err, 2),
    }
}

/// Whether A and B are identical in everything compared.
fn run(args: &DiffArgs) -> anyhow::Result<bool> {
    let mut platforms = Vec::new();
    for p in &args.platform {
        platforms.push(Platform::parse(p)?);
    }
    for a in &args.arch {
        if whittle::Arch::parse(a).is_none() {
            bail!("unknown architecture `{a}` given to --arch: use amd64, arm64, armv7, 386, ppc64le, s390x or riscv64");
        }
        platforms.push(Platform::parse(&lock_platform(a))?);
    }
    let options = DiffOptions {
        platforms,
        files: args.files,
    };
    let a = DiffInput::open(&args.a).with_context(|| format!("reading A, {}", args.a))?;
    let b = DiffInput::open(&args.b).with_context(|| format!("reading B, {}", args.b))?;
    let report = diff(&a, &b, &options)?;
    match args.format {
        crate::audit::Format::Text => print!("{}", report.to_text()),
        crate::audit::Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(report.identical)
}
