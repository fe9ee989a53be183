//! `whittle audit IMAGE`: the report on stdout, and an exit code for CI:
//! 0 when no finding of a `--fail-on` category exists, 1 when one does, 2
//! when the image cannot be read.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use whittle_audit::{audit, AuditOptions, Category, ImageRef, Platform};

/// Arguments of `whittle audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The image: an archive (`app.tar`: OCI archive or docker-archive) or
    /// an OCI layout directory, optionally `PATH:TAG`.
    pub image: String,
    /// The platform to audit (`linux/arm64`); default: the only one, else
    /// the host's.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Categories that fail the audit (exit 1), comma-separated: shells,
    /// package-managers, setuid, world-writable, world-writable-sticky,
    /// non-root, script-only; `none` for none.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "CATEGORIES",
        default_value = "shells,package-managers,setuid,world-writable",
        value_parser = parse_category
    )]
    pub fail_on: Vec<Option<Category>>,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Grouped text for people.
    Text,
    /// JSON for tools.
    Json,
}

fn parse_category(s: &str) -> Result<Option<Category>, String> {
    if s.trim() == "none" {
        return Ok(None);
    }
    s.parse().map(Some)
}

/// Run the audit; the exit code is the CI verdict.
pub fn main(args: &AuditArgs) -> ExitCode {
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => crate::report_error(&err, 2),
    }
}

/// Whether the image passes.
fn run(args: &AuditArgs) -> anyhow::Result<bool> {
    let options = AuditOptions {
        platform: args.platform.as_deref().map(Platform::parse).transpose()?,
    };
    let report = audit(&ImageRef::parse(&args.image), &options)?;
    let fail_on: Vec<Category> = args.fail_on.iter().flatten().copied().collect();
    let failures = report.failures(&fail_on);
    match args.format {
        Format::Text => print!("{}", report.to_text()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    if failures.is_empty() {
        let names: Vec<&str> = fail_on.iter().map(|c| c.name()).collect();
        eprintln!(
            "audit passed: no findings of {}",
            if names.is_empty() {
                "any failing category (--fail-on none)".to_string()
            } else {
                names.join(", ")
            }
        );
        Ok(true)
    } else {
        let found: Vec<String> = failures.iter().map(|(c, n)| format!("{c} ({n})")).collect();
        eprintln!(
            "audit failed: {} (choose what fails with --fail-on)",
            found.join(", ")
        );
        Ok(false)
    }
}
