//! Explicit virtuals ([`Rules::explicit_virtuals`](crate::Rules)): a name
//! offered only as an unversioned provide by packages without a provider
//! priority does not pick a provider on its own.

use std::collections::HashSet;

use whittle_model::Requirement;

use crate::index::Index;

/// Every requirement satisfied only through an unversioned
/// provide of a package with provider priority 0 needs that package to be
/// installed for another reason (asked for or depended on by its own name,
/// or holding a required name with a version). Returns the first violation
/// as a readable line.
pub(crate) fn unselectable_virtual(
    index: &Index<'_>,
    requests: &[&Requirement],
    installed: &[usize],
) -> Option<String> {
    if !index.rules.explicit_virtuals {
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
        .filter(|(_, alts)| index.excluded_match(*alts).is_none())
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
            "{} (needed by {who}) is a virtual name provided by {} without a provider \
             priority; ask for one of them explicitly",
            index.show(alt),
            providers.join(", ")
        ));
    }
    None
}
