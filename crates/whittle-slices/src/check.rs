//! The conflict rules Chisel enforces when it reads a release
//! (`internal/setup/setup.go`, `validate`), for the whole release or for
//! a selection's slices:
//!
//! * a path listed by two slices of one package must have the same
//!   content (kind, source, text or target, mode, `mutable`);
//! * a path listed by two packages needs a `prefer:` chain between them,
//!   unless both create it identically;
//! * a glob or `generate:` path may not overlap another path of another
//!   package, nor a created path of its own package;
//! * prefer chains are acyclic and only name packages that list the path;
//! * essentials name defined slices and form no cycle;
//! * archive priorities are unique, pinned archives exist.
//!
//! Unlike Chisel, every problem is reported (up to a cap), and overlaps
//! are found through a segment trie (the private `index` module) instead of comparing every
//! pattern with every path, which keeps a whole release well under a
//! tenth of a second.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::error::{Conflict, SliceError};
use crate::glob::{is_pattern, Pattern};
use crate::graph::components;
use crate::release::{PathInfo, PathKind, Release, Slice, SliceKey};
use crate::select::Selection;

mod index;
pub(crate) mod prefer;

use prefer::Prefers;

/// Stop collecting beyond this many problems (the message lists fewer).
const MAX_COLLECTED: usize = 10_000;

impl Release {
    /// Checks the whole release against every conflict rule.
    ///
    /// # Errors
    ///
    /// Every problem found (a [`SliceError::Many`] when there are
    /// several), each naming both slices, the path and the files.
    pub fn check(&self) -> Result<(), SliceError> {
        let slices: Vec<&Slice> = self.slices().collect();
        let packages = self.packages.keys().map(String::as_str).collect();
        check_slices(self, &slices, &packages)
    }
}

/// The same rules as [`Release::check`], restricted to the slices of
/// `selection` (what a build needs; cheaper than checking everything).
///
/// # Errors
///
/// As [`Release::check`]; also a selected slice the release lacks.
pub fn check_selection(release: &Release, selection: &Selection) -> Result<(), SliceError> {
    let mut slices = Vec::with_capacity(selection.slices.len());
    for key in &selection.slices {
        release.known(key)?;
        if let Some(s) = release.slice(key) {
            slices.push(s);
        }
    }
    let packages = slices.iter().map(|s| s.package.as_str()).collect();
    check_slices(release, &slices, &packages)
}

/// One path entry of one slice.
type Entry<'r> = (&'r Slice, &'r PathInfo);

/// The rules for `slices`; `packages` are the packages in scope (for
/// prefer edges and archive pins).
fn check_slices(
    release: &Release,
    slices: &[&Slice],
    packages: &HashSet<&str>,
) -> Result<(), SliceError> {
    let mut errors = Vec::new();
    let prefers = Prefers::build(release, |p| packages.contains(p), &mut errors);
    let mut by_path: HashMap<&str, Vec<Entry<'_>>> = HashMap::new();
    for slice in slices {
        for (path, info) in &slice.contents {
            by_path
                .entry(path.as_str())
                .or_default()
                .push((slice, info));
        }
    }
    same_paths(release, &by_path, &prefers, &mut errors);
    prefer_targets(release, &prefers, packages, &mut errors);
    overlaps(release, &by_path, &mut errors);
    essentials(release, slices, &mut errors);
    archives(release, packages, &mut errors);
    SliceError::collect(errors)
}

fn conflict(release: &Release, a: (&Slice, &str), b: (&Slice, &str), reason: String) -> SliceError {
    let order = |s: &Slice, p: &str| (s.package.clone(), s.name.clone(), p.to_owned());
    let (first, second) = if order(a.0, a.1) <= order(b.0, b.1) {
        (a, b)
    } else {
        (b, a)
    };
    SliceError::Conflict(Box::new(Conflict {
        first: first.0.key(),
        first_path: first.1.to_owned(),
        file: release.file_of(&first.0.package),
        second: second.0.key(),
        second_path: second.1.to_owned(),
        second_file: release.file_of(&second.0.package),
        reason,
    }))
}

fn push(errors: &mut Vec<SliceError>, e: SliceError) {
    if errors.len() < MAX_COLLECTED {
        errors.push(e);
    }
}

/// Rule 1 and 2: one path listed by several slices.
fn same_paths(
    release: &Release,
    by_path: &HashMap<&str, Vec<Entry<'_>>>,
    prefers: &Prefers<'_>,
    errors: &mut Vec<SliceError>,
) {
    for (&path, entries) in by_path {
        for (i, &(old, old_info)) in entries.iter().enumerate() {
            for &(new, new_info) in &entries[i + 1..] {
                let other_package = old.package != new.package;
                if other_package {
                    // Paths come from the release; look them up there so
                    // the prefer graph's lifetimes line up.
                    let path_r: &str = path;
                    match prefers.preferred(path_r, &old.package, &new.package) {
                        Ok(Some(_)) => continue,
                        Ok(None) => {}
                        Err(reason) => {
                            push(errors, conflict(release, (old, path), (new, path), reason));
                            continue;
                        }
                    }
                }
                let (old_x, new_x) = (old_info.kind.is_extracted(), new_info.kind.is_extracted());
                let reason = if other_package && old_x && new_x {
                    "both extract it from their packages, which may differ; keep it in one \
                     package, or add `prefer:` to choose"
                } else if other_package && (old_x || new_x) {
                    "one package extracts it and the other creates it, which cannot be proven \
                     the same; keep it in one package"
                } else if !old_info.same_content(new_info) {
                    "the entries differ (kind, source, text, target, mode or mutable); make \
                     them identical"
                } else {
                    continue;
                };
                push(
                    errors,
                    conflict(release, (old, path), (new, path), reason.to_owned()),
                );
            }
        }
    }
}

/// A package named by `prefer:` must list the path.
fn prefer_targets(
    release: &Release,
    prefers: &Prefers<'_>,
    packages: &HashSet<&str>,
    errors: &mut Vec<SliceError>,
) {
    let mut edges: Vec<_> = prefers.edges().collect();
    edges.sort_unstable();
    for (path, pkg, preferred) in edges {
        if !packages.contains(pkg) {
            continue;
        }
        let lists = release
            .packages
            .get(preferred)
            .is_some_and(|p| p.slices.values().any(|s| s.contents.contains_key(path)));
        if !lists {
            push(
                errors,
                SliceError::Definition {
                    file: release.file_of(pkg),
                    message: format!(
                        "package {pkg} prefers package {preferred:?} which does not contain path {path}"
                    ),
                    hint: "list the path in a slice of the preferred package, or drop `prefer:`"
                        .to_owned(),
                },
            );
        }
    }
}

/// Rule 3: globs and generate paths against every other path.
fn overlaps(
    release: &Release,
    by_path: &HashMap<&str, Vec<Entry<'_>>>,
    errors: &mut Vec<SliceError>,
) {
    let mut paths: Vec<&str> = by_path.keys().copied().collect();
    paths.sort_unstable();
    let patterns: Vec<Pattern> = paths.iter().map(|p| Pattern::new(p)).collect();
    let index = index::Index::new(&paths);
    let mut candidates = Vec::new();
    for (i, &path) in paths.iter().enumerate() {
        if !is_pattern(path) {
            continue;
        }
        candidates.clear();
        index.candidates(path, &mut candidates);
        for &j in &candidates {
            // Each pair of patterns once; pattern against plain path from
            // the pattern's side.
            if j == i || (j < i && is_pattern(paths[j])) {
                continue;
            }
            let other = paths[j];
            let mut pairs = Vec::new();
            for &(a, a_info) in &by_path[path] {
                for &(b, b_info) in &by_path[other] {
                    let same_package_extracts = a.package == b.package
                        && a_info.kind.is_extracted()
                        && b_info.kind.is_extracted();
                    if !same_package_extracts {
                        pairs.push((a, a_info, b, b_info));
                    }
                }
            }
            if pairs.is_empty() || !patterns[i].overlaps(&patterns[j]) {
                continue;
            }
            for (a, a_info, b, b_info) in pairs {
                let reason = overlap_reason(path, a_info, other, b_info, a.package == b.package);
                push(errors, conflict(release, (a, path), (b, other), reason));
            }
        }
    }
}

fn overlap_reason(a: &str, ai: &PathInfo, b: &str, bi: &PathInfo, same_package: bool) -> String {
    let (glob, other) =
        if ai.kind.is_generate() || (ai.kind == PathKind::Glob && !bi.kind.is_generate()) {
            (a, b)
        } else {
            (b, a)
        };
    let generate = ai.kind.is_generate() || bi.kind.is_generate();
    if generate {
        format!("the generate path {glob} covers {other}; move one of them")
    } else if same_package {
        format!(
            "the pattern {glob} also matches {other}, which its own package creates; narrow the \
             pattern"
        )
    } else {
        format!(
            "the pattern {glob} may match {other}, which another package provides; narrow the \
             pattern or move the path"
        )
    }
}

/// Rule 4: essentials exist and form no cycle (arch-qualified edges count
/// unconditionally, as in Chisel).
fn essentials(release: &Release, slices: &[&Slice], errors: &mut Vec<SliceError>) {
    let keys: Vec<SliceKey> = {
        let mut k: Vec<SliceKey> = slices.iter().map(|s| s.key()).collect();
        k.sort();
        k.dedup();
        k
    };
    let index: BTreeMap<&SliceKey, usize> = keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let mut succ = vec![Vec::new(); keys.len()];
    for slice in slices {
        let key = slice.key();
        let Some(&from) = index.get(&key) else {
            continue;
        };
        for e in &slice.essential {
            if release.slice(&e.slice).is_none() {
                push(
                    errors,
                    SliceError::MissingEssential {
                        file: release.file_of(&slice.package),
                        slice: key.clone(),
                        missing: e.slice.clone(),
                    },
                );
            } else if let Some(&to) = index.get(&e.slice) {
                succ[from].push(to);
            }
        }
    }
    for component in components(&succ) {
        if component.len() > 1 {
            let mut cycle: Vec<SliceKey> = component.iter().map(|&i| keys[i].clone()).collect();
            cycle.sort_by_key(ToString::to_string);
            let files = cycle
                .iter()
                .map(|k| release.file_of(&k.package))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            push(errors, SliceError::EssentialLoop { cycle, files });
        }
    }
}

/// Rule 5: archive priorities are unique; pinned archives exist.
fn archives(release: &Release, packages: &HashSet<&str>, errors: &mut Vec<SliceError>) {
    let mut by_priority: BTreeMap<i32, &str> = BTreeMap::new();
    for (name, archive) in &release.archives {
        if let Some(old) = by_priority.insert(archive.priority, name) {
            push(
                errors,
                SliceError::Release {
                    file: release.source.clone(),
                    message: format!(
                        "archives {old:?} and {name:?} have the same priority value of {}",
                        archive.priority
                    ),
                    hint: "give each archive its own priority".to_owned(),
                },
            );
        }
    }
    for (name, pkg) in &release.packages {
        let Some(pinned) = &pkg.archive else { continue };
        if packages.contains(name.as_str()) && !release.archives.contains_key(pinned) {
            push(
                errors,
                SliceError::Definition {
                    file: pkg.source.clone(),
                    message: format!("package refers to undefined archive {pinned:?}"),
                    hint: "name an archive defined in chisel.yaml in `archive:`".to_owned(),
                },
            );
        }
    }
}
