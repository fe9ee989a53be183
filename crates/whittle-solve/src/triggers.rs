//! Conditional installs (APK `install_if`): records whose conditions all
//! hold in a solution are added to it, to a fixpoint (see `crate::solve`).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use whittle_model::Requirement;

use crate::index::Index;

/// The records of one name that install_if triggers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Trigger<'t> {
    /// The package name.
    pub name: &'t str,
    /// Its triggered records, sorted.
    pub records: Vec<usize>,
}

/// Whether one install_if atom holds in `installed` (`!x`: nothing
/// satisfying `x` is installed, and `x` is not treated as provided).
fn atom_holds(index: &Index<'_>, installed: &[usize], atom: &Requirement) -> bool {
    if let Some(name) = atom.name.strip_prefix('!') {
        let positive = Requirement {
            name: name.to_string(),
            constraint: atom.constraint.clone(),
        };
        return index.excluded_match([&positive]).is_none()
            && !installed.iter().any(|&i| index.satisfies(i, &positive));
    }
    index.excluded_match([atom]).is_some() || installed.iter().any(|&i| index.satisfies(i, atom))
}

/// Records, by name, whose install_if holds in `installed` and whose name is
/// neither installed nor already triggered or given up on.
pub(crate) fn new_triggers<'t>(
    index: &Index<'t>,
    installed: &[usize],
    known: &BTreeSet<&'t str>,
) -> Vec<Trigger<'t>> {
    let installed_names: HashSet<&str> = installed
        .iter()
        .map(|&i| index.packages[i].name.as_str())
        .collect();
    let mut out: BTreeMap<&'t str, Vec<usize>> = BTreeMap::new();
    for (i, rec) in index.packages.iter().enumerate() {
        if rec.install_if.is_empty()
            || installed_names.contains(rec.name.as_str())
            || known.contains(rec.name.as_str())
            || !index.allowed(i)
        {
            continue;
        }
        if rec
            .install_if
            .iter()
            .all(|atom| atom_holds(index, installed, atom))
        {
            out.entry(rec.name.as_str()).or_default().push(i);
        }
    }
    out.into_iter()
        .map(|(name, mut records)| {
            records.sort_unstable();
            Trigger { name, records }
        })
        .collect()
}
