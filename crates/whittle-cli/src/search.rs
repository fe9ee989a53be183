//! `whittle search`: names, summaries and provides in the recipe's
//! repositories, every version with the one the recipe would pick and
//! why, and (`--file`) which package ships a path. Text as a compact
//! table per package, or `--json` (shape in README, "Searching for
//! packages").

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::Args;
use serde_json::{json, Value};
use whittle::{Matched, PackageMatch, Pick, SearchOutcome, SearchRequest};

use crate::args::CommonArgs;
use crate::report::TermReporter;

/// Arguments of `whittle search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// A name, summary or provide to look for: a substring, or a glob over
    /// the whole name when it holds `*`, `?` or `[` (`'py*3'`).
    pub query: Option<String>,
    /// The recipe whose repositories are searched.
    #[arg(long, value_name = "RECIPE")]
    pub recipe: PathBuf,
    /// Which packages ship this path (repeatable; globs allowed): Debian's
    /// Contents-ARCH, RPM's filelists.xml, APK's cmd:/so:/pc: provides.
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<String>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Run `whittle search`: 0 when something was found, 1 when nothing was,
/// 2 on an error.
pub fn main(args: &SearchArgs) -> ExitCode {
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => crate::report_error(&err, 2),
    }
}

fn run(args: &SearchArgs) -> Result<bool> {
    if args.query.is_none() && args.files.is_empty() {
        bail!("give a query (`whittle search python3 --recipe app.yaml`) or --file PATH");
    }
    let plan = crate::load_plan(&args.recipe, &args.common)?;
    let reporter = Arc::new(TermReporter::quiet());
    let session = crate::open_session(&plan, &args.common, reporter.clone())?;
    let archs = args.common.archs()?.unwrap_or_else(|| plan.archs.clone());
    let request = SearchRequest {
        query: args.query.clone(),
        files: args.files.clone(),
    };
    let outcomes = whittle::search(&session, &plan, &archs, &request)?;
    reporter.finish();
    let found = outcomes.iter().any(|o| {
        !o.packages.is_empty()
            || !o.parts.is_empty()
            || o.provided_by.is_some()
            || o.files.as_ref().is_some_and(|f| !f.owners.is_empty())
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&outcomes))?);
    } else {
        print!("{}", render(&outcomes));
        if !found {
            eprintln!("nothing found");
        }
    }
    Ok(found)
}

/// The JSON document: `{"archs": [{arch, packages, provided_by, slices,
/// files, notes}]}`.
pub fn to_json(outcomes: &[SearchOutcome]) -> Value {
    let archs: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            json!({
                "arch": o.arch.to_string(),
                "packages": o.packages.iter().map(package_json).collect::<Vec<_>>(),
                "provided_by": o.provided_by.as_ref().map(pick_json),
                "slices": o.parts.iter().map(|p| json!({
                    "name": p.name, "package": p.package, "summary": p.summary,
                })).collect::<Vec<_>>(),
                "files": o.files.as_ref().map(|f| json!({
                    "complete": f.complete,
                    "notes": f.notes,
                    "owners": f.owners.iter().map(|(w, repo)| json!({
                        "query": w.query,
                        "path": w.path,
                        "package": w.package,
                        "version": w.version.clone().or_else(|| picked_version(o, &w.package)),
                        "arch": w.arch,
                        "repository": if w.part.is_some() { None } else { Some(repo) },
                        "slice": w.part,
                        "evidence": w.evidence,
                    })).collect::<Vec<_>>(),
                })),
                "notes": o.notes,
            })
        })
        .collect();
    json!({ "archs": archs })
}

fn package_json(p: &PackageMatch) -> Value {
    json!({
        "name": p.name,
        "summary": p.summary,
        "matched": p.matched.iter().map(matched_text).collect::<Vec<_>>(),
        "versions": p.versions.iter().map(|v| json!({
            "version": v.version, "arch": v.arch, "repository": v.repository, "source": v.source,
        })).collect::<Vec<_>>(),
        "pick": p.pick.as_ref().map(pick_json),
    })
}

fn pick_json(p: &Pick) -> Value {
    json!({
        "name": p.name,
        "version": p.version,
        "repository": p.repository,
        "reason": p.reason.key(),
        "why": p.reason.to_string(),
        "in_recipe": p.in_recipe,
    })
}

fn matched_text(m: &Matched) -> String {
    match m {
        Matched::ExactName | Matched::Name => "name".to_string(),
        Matched::Provides(p) => format!("provides:{p}"),
        Matched::Summary => "summary".to_string(),
        Matched::File(p) => format!("file:{p}"),
    }
}

/// The version the recipe would pick of `package`, for owners the file
/// index names without one (Debian's Contents).
fn picked_version(o: &SearchOutcome, package: &str) -> Option<String> {
    o.packages
        .iter()
        .find(|p| p.name == package)
        .and_then(|p| p.pick.as_ref().map(|k| k.version.clone()))
}

/// The text output: per package a line with its summary and why it
/// matched, then one row per version (`*` marks the pick); then slices,
/// the paths asked for and notes.
pub fn render(outcomes: &[SearchOutcome]) -> String {
    let mut out = String::new();
    for (i, o) in outcomes.iter().enumerate() {
        if outcomes.len() > 1 {
            let _ = writeln!(out, "{}# {}", if i > 0 { "\n" } else { "" }, o.arch);
        }
        render_packages(&mut out, o);
        if let Some(p) = &o.provided_by {
            let _ = writeln!(
                out,
                "provided by {} {} ({}{})",
                p.name,
                p.version,
                p.reason,
                if p.in_recipe { ", in the recipe" } else { "" }
            );
        }
        if !o.parts.is_empty() {
            let _ = writeln!(out, "slices:");
            let width = o.parts.iter().map(|p| p.name.len()).max().unwrap_or(0);
            for p in &o.parts {
                let _ = writeln!(
                    out,
                    "  {:width$}  {}",
                    p.name,
                    p.summary.as_deref().unwrap_or("-")
                );
            }
        }
        if let Some(files) = &o.files {
            render_files(&mut out, o, files);
        }
        for n in &o.notes {
            let _ = writeln!(out, "note: {n}");
        }
    }
    out
}

fn render_packages(out: &mut String, o: &SearchOutcome) {
    let vw = o
        .packages
        .iter()
        .flat_map(|p| &p.versions)
        .map(|v| v.version.len())
        .max()
        .unwrap_or(0);
    let aw = o
        .packages
        .iter()
        .flat_map(|p| &p.versions)
        .map(|v| v.arch.len())
        .max()
        .unwrap_or(0);
    for p in &o.packages {
        let mut why: Vec<String> = p.matched.iter().map(matched_text).collect();
        why.dedup();
        let _ = writeln!(
            out,
            "{}  [{}]  {}",
            p.name,
            why.join(", "),
            p.summary.as_deref().unwrap_or("")
        );
        for v in &p.versions {
            let picked = p
                .pick
                .as_ref()
                .filter(|k| k.version == v.version && k.repository == v.repository);
            let tail = picked.map_or(String::new(), |k| {
                format!(
                    "  {}{}",
                    k.reason,
                    if k.in_recipe { ", in the recipe" } else { "" }
                )
            });
            let _ = writeln!(
                out,
                "  {} {:vw$}  {:aw$}  {}{tail}",
                if picked.is_some() { '*' } else { ' ' },
                v.version,
                v.arch,
                v.repository
            );
        }
    }
}

fn render_files(out: &mut String, o: &SearchOutcome, files: &whittle::FileAnswer) {
    for (w, repo) in &files.owners {
        let what = match &w.part {
            Some(slice) => format!("{} (slice {slice})", w.package),
            None => {
                let version = w
                    .version
                    .clone()
                    .or_else(|| picked_version(o, &w.package))
                    .unwrap_or_default();
                format!("{} {version}", w.package)
            }
        };
        let place = if w.part.is_some() {
            w.evidence.clone()
        } else {
            format!("{}, {repo}", w.evidence)
        };
        let _ = writeln!(out, "{}  {}  ({place})", w.path, what.trim_end());
    }
    if files.owners.is_empty() {
        let _ = writeln!(out, "no package ships the paths asked for");
    }
    for n in &files.notes {
        let _ = writeln!(out, "note: {n}");
    }
}
