//! `prefer:` relationships (Chisel's `prefers` and `preferredPathPackage`
//! in `internal/setup/setup.go`): per path, each package prefers at most
//! one other and is preferred by at most one, so the edges form chains;
//! two packages sharing a path are fine when one is reachable from the
//! other. Once a path has any edge, every package listing it must be in
//! the chain.

use std::collections::{HashMap, HashSet};

use crate::error::SliceError;
use crate::release::Release;

/// The prefer edges of a release.
#[derive(Default)]
pub(crate) struct Prefers<'r> {
    /// (path, package) → the package it prefers.
    target: HashMap<(&'r str, &'r str), &'r str>,
    /// (path, preferred package) → the package preferring it.
    source: HashMap<(&'r str, &'r str), &'r str>,
    /// Paths with at least one edge.
    paths: HashSet<&'r str>,
}

impl<'r> Prefers<'r> {
    /// The edges of every slice of `release`. Problems with edges declared
    /// by packages for which `report(package)` holds go to `errors`; such
    /// an edge is left out.
    pub(crate) fn build(
        release: &'r Release,
        report: impl Fn(&str) -> bool,
        errors: &mut Vec<SliceError>,
    ) -> Prefers<'r> {
        let mut p = Prefers::default();
        for slice in release.slices() {
            for (path, info) in &slice.contents {
                let Some(preferred) = info.prefer.as_deref() else {
                    continue;
                };
                let pkg = slice.package.as_str();
                let problem = if !release.packages.contains_key(preferred) {
                    Some(format!(
                        "slice {slice} path {path} 'prefer' refers to undefined package {preferred:?}"
                    ))
                } else if let Some(&old) = p.target.get(&(path.as_str(), pkg)) {
                    (old != preferred).then(|| {
                        let (a, b) = sorted(old, preferred);
                        format!("package {pkg:?} has conflicting prefers for {path}: {a} != {b}")
                    })
                } else if let Some(&old) = p.source.get(&(path.as_str(), preferred)) {
                    (old != pkg).then(|| {
                        let (a, b) = sorted(old, pkg);
                        format!(
                            "packages {a:?} and {b:?} cannot both prefer {preferred:?} for {path}"
                        )
                    })
                } else {
                    p.target.insert((path, pkg), preferred);
                    p.source.insert((path, preferred), pkg);
                    p.paths.insert(path);
                    None
                };
                if let Some(message) = problem {
                    if report(pkg) {
                        errors.push(SliceError::Definition {
                            file: release.file_of(pkg),
                            message,
                            hint: "each package prefers at most one other per path, and is \
                                   preferred by at most one"
                                .to_owned(),
                        });
                    }
                }
            }
        }
        p
    }

    /// Whether `path` has any prefer edge.
    pub(crate) fn has(&self, path: &str) -> bool {
        self.paths.contains(path)
    }

    /// The (path, preferring package, preferred package) edges.
    pub(crate) fn edges(&self) -> impl Iterator<Item = (&'r str, &'r str, &'r str)> + '_ {
        self.target
            .iter()
            .map(|(&(path, pkg), &preferred)| (path, pkg, preferred))
    }

    /// Which of two packages listing `path` provides it: `Ok(Some)` when a
    /// chain links them, `Ok(None)` when the path has no prefer edges at
    /// all, and the reason otherwise (a loop, or a package outside the
    /// chain).
    pub(crate) fn preferred(
        &self,
        path: &'r str,
        a: &'r str,
        b: &'r str,
    ) -> Result<Option<&'r str>, String> {
        let (a, b) = sorted(a, b);
        let a_wins = self.reaches(path, b, a)?;
        let b_wins = self.reaches(path, a, b)?;
        match (a_wins, b_wins) {
            (true, true) => Err(format!("package {a:?} is part of a prefer loop on {path}")),
            (true, false) => Ok(Some(a)),
            (false, true) => Ok(Some(b)),
            (false, false) if self.has(path) => Err(format!(
                "packages {a:?} and {b:?} conflict on {path} without prefer relationship; \
                 add them to the path's `prefer:` chain"
            )),
            (false, false) => Ok(None),
        }
    }

    /// Whether following `from`'s prefer edges on `path` reaches `to`.
    fn reaches(&self, path: &'r str, from: &'r str, to: &str) -> Result<bool, String> {
        let mut pkg = from;
        for _ in 0..=self.target.len() {
            let Some(&next) = self.target.get(&(path, pkg)) else {
                return Ok(false);
            };
            if next == to {
                return Ok(true);
            }
            pkg = next;
        }
        Err(format!(
            "package {pkg:?} is part of a prefer loop on {path}"
        ))
    }
}

fn sorted<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}
