//! How a resolved closure differs from a target package set, every
//! difference named: packages the repositories lack, versions they no
//! longer serve, packages the target has and the closure lacks, versions
//! that differ, and packages the closure adds, each with the requested
//! package that pulls it in.

use std::collections::BTreeMap;

use whittle_model::{PackageRecord, VersionScheme};

use super::graph;
use super::TargetPackage;

/// Everything in which a resolved closure differs from a target set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Difference {
    /// Target packages no repository has under that name.
    pub absent: Vec<TargetPackage>,
    /// Target packages whose version the repositories no longer serve.
    pub unserved: Vec<Unserved>,
    /// Target packages the closure lacks (the repositories have them).
    pub missing: Vec<TargetPackage>,
    /// Packages in both, at another version in the closure (besides the
    /// unserved ones).
    pub changed: Vec<Changed>,
    /// Packages the closure adds, with what pulls each in.
    pub extra: Vec<Extra>,
}

/// A target version the repositories no longer serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unserved {
    /// The package.
    pub name: String,
    /// The target's version.
    pub wanted: String,
    /// The newest version served, used instead unless versions are pinned.
    pub newest: String,
}

/// A package at another version in the closure than in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The package.
    pub name: String,
    /// The target's version.
    pub target: String,
    /// The closure's version.
    pub closure: String,
}

/// A package the closure has and the target lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    /// The package.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The requested package that pulls it in, then each package on the
    /// way to it (the last is the extra itself); only the extra itself
    /// when nothing requested reaches it (a package installed because of
    /// others, such as an APK `install_if`).
    pub chain: Vec<String>,
}

impl Difference {
    /// Whether closure and target are the same set at the same versions.
    pub fn is_empty(&self) -> bool {
        self.absent.is_empty()
            && self.unserved.is_empty()
            && self.missing.is_empty()
            && self.changed.is_empty()
            && self.extra.is_empty()
    }

    /// The report, one line per difference, or `""` when there is none.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for p in &self.absent {
            out.push_str(&format!(
                "absent: {} {} (no repository has this package)\n",
                p.name, p.version
            ));
        }
        for u in &self.unserved {
            out.push_str(&format!(
                "unserved: {} {} (no longer served; newest is {})\n",
                u.name, u.wanted, u.newest
            ));
        }
        for p in &self.missing {
            out.push_str(&format!(
                "missing: {} {} (in the target, not in the closure)\n",
                p.name, p.version
            ));
        }
        for c in &self.changed {
            out.push_str(&format!(
                "changed: {} {} in the target, {} in the closure\n",
                c.name, c.target, c.closure
            ));
        }
        for e in &self.extra {
            let by = match e.chain.as_slice() {
                [_] | [] => "installed automatically, nothing requested needs it".to_string(),
                chain => format!("pulled in by {}: {}", chain[0], chain.join(" → ")),
            };
            out.push_str(&format!("extra: {} {} ({by})\n", e.name, e.version));
        }
        out
    }
}

/// Compare `closure` (the records a solve chose for `requests`, names in
/// recipe order) with `target`; `records` are every candidate, to tell an
/// absent package from a missing one.
pub(crate) fn difference(
    records: &[PackageRecord],
    scheme: &dyn VersionScheme,
    target: &[TargetPackage],
    requests: &[String],
    closure: &[&PackageRecord],
) -> Difference {
    let mut served: BTreeMap<&str, Vec<&PackageRecord>> = BTreeMap::new();
    for r in records {
        served.entry(r.name.as_str()).or_default().push(r);
    }
    let in_closure: BTreeMap<&str, &PackageRecord> =
        closure.iter().map(|r| (r.name.as_str(), *r)).collect();
    let in_target: BTreeMap<&str, &TargetPackage> =
        target.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut diff = Difference::default();
    for t in target {
        let Some(candidates) = served.get(t.name.as_str()) else {
            diff.absent.push(t.clone());
            continue;
        };
        let is_served = candidates
            .iter()
            .any(|r| scheme.compare(&r.version, &t.version).is_eq());
        if !is_served {
            let newest = candidates
                .iter()
                .max_by(|a, b| scheme.compare(&a.version, &b.version))
                .map(|r| r.version.clone())
                .unwrap_or_default();
            diff.unserved.push(Unserved {
                name: t.name.clone(),
                wanted: t.version.clone(),
                newest,
            });
        }
        match in_closure.get(t.name.as_str()) {
            None => diff.missing.push(t.clone()),
            Some(r) if is_served && !scheme.compare(&r.version, &t.version).is_eq() => {
                diff.changed.push(Changed {
                    name: t.name.clone(),
                    target: t.version.clone(),
                    closure: r.version.clone(),
                });
            }
            Some(_) => {}
        }
    }
    // Extras, each traced back to the first request that reaches it.
    let edges = graph::edges(closure, scheme);
    let starts: Vec<usize> = requests
        .iter()
        .filter_map(|name| closure.iter().position(|r| r.name == *name))
        .collect();
    let paths = graph::paths_from(&edges, &starts);
    for (i, r) in closure.iter().enumerate() {
        if in_target.contains_key(r.name.as_str()) {
            continue;
        }
        let chain = paths.get(&i).map_or_else(
            || vec![r.name.clone()],
            |p| {
                p.iter()
                    .filter_map(|&j| closure.get(j).map(|c| c.name.clone()))
                    .collect()
            },
        );
        diff.extra.push(Extra {
            name: r.name.clone(),
            version: r.version.clone(),
            chain,
        });
    }
    diff
}
