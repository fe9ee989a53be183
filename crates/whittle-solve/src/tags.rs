//! Repository tags (apko's `@tag URL`): a tagged record may only be
//! installed when a `name@tag` request reaches it through the chosen
//! packages (pinning inheritance). The candidate filter in `Index`
//! over-approximates; this module checks a solution.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use whittle_model::Requirement;

use crate::index::Index;

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
