//! Checks and extensions applied to a solution found by resolvo: install_if
//! triggers, pinning inheritance along the chosen packages, and apk-tools'
//! rule that unversioned virtual providers are not picked automatically.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use whittle_model::Requirement;

use crate::index::Index;
use crate::task::Rules;

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
        return index
            .excluded_match(std::slice::from_ref(&positive))
            .is_none()
            && !installed.iter().any(|&i| index.satisfies(i, &positive));
    }
    index.excluded_match(std::slice::from_ref(atom)).is_some()
        || installed.iter().any(|&i| index.satisfies(i, atom))
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

/// Tagged records of `installed` that the tags do not actually reach along
/// the chosen packages (the candidate filter over-approximates, following
/// every candidate's dependencies).
pub(crate) fn unreached_tagged(
    index: &Index<'_>,
    requests: &[&Requirement],
    request_tags: &BTreeMap<String, String>,
    installed: &[usize],
) -> Vec<usize> {
    if installed
        .iter()
        .all(|&i| index.packages[i].repo_tag.is_none())
    {
        return Vec::new();
    }
    let mut pins: HashMap<usize, BTreeSet<&str>> = HashMap::new();
    let mut queue: VecDeque<(usize, &str)> = VecDeque::new();
    for request in requests {
        if let Some(tag) = request_tags.get(&request.name) {
            for &i in installed {
                if index.satisfies(i, request) {
                    queue.push_back((i, tag.as_str()));
                }
            }
        }
    }
    while let Some((record, tag)) = queue.pop_front() {
        if !pins.entry(record).or_default().insert(tag) {
            continue;
        }
        let rec = &index.packages[record];
        for dep in &rec.depends {
            for alt in &dep.alternatives {
                for &i in installed {
                    if index.satisfies(i, alt) {
                        queue.push_back((i, tag));
                    }
                }
            }
        }
        // install_if packages inherit from the packages that trigger them.
        for &i in installed {
            let triggered_by_record = index.packages[i]
                .install_if
                .iter()
                .any(|atom| !atom.name.starts_with('!') && index.satisfies(record, atom));
            if triggered_by_record {
                queue.push_back((i, tag));
            }
        }
    }
    installed
        .iter()
        .copied()
        .filter(|&i| {
            index.packages[i]
                .repo_tag
                .as_deref()
                .is_some_and(|t| !pins.get(&i).is_some_and(|set| set.contains(t)))
        })
        .collect()
}

/// apk-tools: every requirement satisfied only through an unversioned
/// provide of a package with provider priority 0 needs that package to be
/// installed for another reason (asked for or depended on by its own name,
/// or holding a required name with a version). Returns the first violation
/// as a readable line.
pub(crate) fn unselectable_virtual(
    index: &Index<'_>,
    requests: &[&Requirement],
    installed: &[usize],
) -> Option<String> {
    if index.rules != Rules::Apk {
        return None;
    }
    // Requirement edges: (who needs it, its alternatives).
    let mut edges: Vec<(String, &[Requirement])> = requests
        .iter()
        .map(|r| ("the requests".to_string(), std::slice::from_ref(*r)))
        .collect();
    for &i in installed {
        for dep in &index.packages[i].depends {
            edges.push((index.packages[i].label(), dep.alternatives.as_slice()));
        }
    }
    let edges: Vec<(String, &[Requirement])> = edges
        .into_iter()
        .filter(|(_, alts)| index.excluded_match(alts).is_none())
        .collect();

    let direct = |record: usize, alt: &Requirement| -> bool {
        let rec = &index.packages[record];
        rec.name == alt.name
            || rec.provider_priority != 0
            || rec
                .provides
                .iter()
                .any(|p| p.name == alt.name && p.version.is_some())
    };
    let anchored: HashSet<usize> = installed
        .iter()
        .copied()
        .filter(|&i| {
            edges.iter().any(|(_, alts)| {
                alts.iter()
                    .any(|alt| index.satisfies(i, alt) && direct(i, alt))
            })
        })
        .collect();

    for (who, alts) in &edges {
        let sats: Vec<usize> = installed
            .iter()
            .copied()
            .filter(|&i| alts.iter().any(|alt| index.satisfies(i, alt)))
            .collect();
        if sats.is_empty() || sats.iter().any(|s| anchored.contains(s)) {
            continue;
        }
        let Some(alt) = alts.first() else { continue };
        let mut providers: Vec<&str> = index
            .providing(&alt.name)
            .iter()
            .map(|&i| index.packages[i].name.as_str())
            .collect();
        providers.dedup();
        return Some(format!(
            "{alt} (needed by {who}) is a virtual name provided by {} without a provider \
             priority; ask for one of them explicitly",
            providers.join(", ")
        ));
    }
    None
}
