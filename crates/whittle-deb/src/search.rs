//! What the Debian world answers `whittle search`: paths from each suite's
//! `Contents-ARCH` ([`crate::contents`]) and, for a recipe with Chisel
//! slice definitions, from the slices' paths; slice names for a query
//! (Chisel's `find`, plus plain substrings and globs).

use whittle_slices::{find, glob, Release};
use whittle_world::{
    is_glob, matcher, FileOwner, FileSearch, PartMatch, PathQuery, WorldContext, WorldError,
};

use crate::contents::search_suite;
use crate::repo::SuiteSource;

/// Which packages ship `queries`: every suite's Contents indexes, then the
/// slice definitions (when the recipe has a release).
pub(crate) fn find_files(
    suites: &[SuiteSource],
    release: Option<&Release>,
    now: Option<i64>,
    cx: &WorldContext,
    arch: &str,
    queries: &[PathQuery],
) -> Result<FileSearch, WorldError> {
    let mut answer = FileSearch {
        complete: true,
        ..FileSearch::default()
    };
    for (source, suite) in suites.iter().enumerate() {
        let (owners, note) = search_suite(
            &cx.fetcher,
            suite,
            source,
            arch,
            now,
            cx.reporter.as_ref(),
            queries,
        )?;
        answer.owners.extend(owners);
        if let Some(note) = note {
            answer.complete = false;
            answer.notes.push(note);
        }
    }
    if let Some(release) = release {
        answer.owners.extend(slice_owners(release, arch, queries));
        answer.notes.push(format!(
            "slices: paths from the slice definitions in {}",
            release.source.display()
        ));
    }
    Ok(answer)
}

/// The slices whose `contents` name a path asked for (a slice path may be
/// a glob itself: `/usr/lib/*/libc.so.*`).
fn slice_owners(release: &Release, arch: &str, queries: &[PathQuery]) -> Vec<FileOwner> {
    let mut out = Vec::new();
    for slice in release.slices() {
        for (path, info) in &slice.contents {
            if !info.applies_to(arch) {
                continue;
            }
            for q in queries {
                let hit = if q.is_glob() {
                    q.matches(path)
                } else {
                    glob::matches(path, &q.path)
                };
                if hit {
                    out.push(FileOwner {
                        query: q.path.clone(),
                        path: path.clone(),
                        package: slice.package.clone(),
                        version: None,
                        arch: None,
                        source: 0,
                        part: Some(slice.key().to_string()),
                        evidence: "slice definitions".to_string(),
                    });
                }
            }
        }
    }
    out
}

/// Slices whose names match `query`: Chisel's `find` (within one edit)
/// and any slice whose full name holds it (or matches it, for a glob).
pub(crate) fn slice_parts(release: &Release, query: &str) -> Vec<PartMatch> {
    let glob = if is_glob(query) {
        matcher(query).ok()
    } else {
        None
    };
    let fuzzy = find(release, &[query.to_string()]);
    let mut out: Vec<PartMatch> = release
        .slices()
        .filter(|s| {
            let name = s.key().to_string();
            fuzzy.contains(&s.key())
                || match &glob {
                    Some(g) => g.is_match(&name),
                    None => name.contains(query),
                }
        })
        .map(|s| PartMatch {
            package: s.package.clone(),
            name: s.key().to_string(),
            summary: s.hint.clone(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
