//! Human-readable reasons for a failed resolution.
//!
//! resolvo's own explanation is complete but long; the engine wants one
//! line: the path from a request through the preferred candidates down to
//! the first dependency nothing can satisfy. This module computes that path
//! itself over the [`Index`], independently of the SAT search.

use std::collections::{HashMap, HashSet, VecDeque};

use whittle_model::{Dependency, Requirement};

use crate::error::SolveError;
use crate::index::Index;

/// Largest edit distance for a "did you mean" suggestion.
const MAX_DISTANCE: usize = 3;
/// Most suggestions offered.
const MAX_SUGGESTIONS: usize = 5;

/// A [`SolveError::NotFound`] for `name`, with the closest known names.
pub(crate) fn not_found(index: &Index<'_>, name: &str) -> SolveError {
    let wanted: Vec<char> = name.chars().collect();
    let mut close: Vec<(usize, &str)> = index
        .known_names()
        .filter_map(|known| {
            let len = known.chars().count();
            if len.abs_diff(wanted.len()) > MAX_DISTANCE {
                return None;
            }
            let d = edit_distance(&wanted, known);
            (d <= MAX_DISTANCE).then_some((d, known))
        })
        .collect();
    close.sort_unstable();
    close.dedup();
    SolveError::NotFound {
        name: name.to_string(),
        suggestions: close
            .into_iter()
            .take(MAX_SUGGESTIONS)
            .map(|(_, n)| n.to_string())
            .collect(),
    }
}

/// A [`SolveError::OnlyExcluded`] when every package able to satisfy the
/// request (a virtual name) is excluded; `None` otherwise.
pub(crate) fn only_excluded(index: &Index<'_>, request: &Requirement) -> Option<SolveError> {
    let satisfiers = index.satisfiers(request);
    if satisfiers.is_empty()
        || satisfiers
            .iter()
            .any(|&s| !index.is_excluded(&index.packages[s].name))
    {
        return None;
    }
    let mut providers: Vec<String> = satisfiers
        .iter()
        .map(|&s| index.packages[s].name.clone())
        .collect();
    providers.dedup();
    Some(SolveError::OnlyExcluded {
        name: index.show(request),
        providers,
    })
}

/// Levenshtein distance between `a` and `b`.
fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// One line explaining why `requests` cannot be satisfied.
pub(crate) fn chain(index: &Index<'_>, requests: &[Requirement]) -> String {
    let requests: Vec<&Requirement> = requests
        .iter()
        .filter(|r| index.excluded_match([*r]).is_none())
        .collect();
    let graph = Graph::build(index, &requests);
    for request in &requests {
        if let Some(line) = graph.missing_chain(index, request) {
            return line;
        }
    }
    if let Some(line) = graph.conflict_chain(index, &requests) {
        return line;
    }
    let names: Vec<String> = requests.iter().map(|r| index.show(r)).collect();
    format!("{} cannot be installed together", names.join(", "))
}

/// The installable part of the problem: every allowed record reachable from
/// the requests, with the allowed satisfiers of each kept dependency, and
/// which records are certainly uninstallable because some dependency has no
/// installable satisfier (conflicts ignored).
struct Graph {
    /// Record → (dependency index, allowed satisfiers over all alternatives).
    deps: HashMap<usize, Vec<(usize, Vec<usize>)>>,
    /// Uninstallable record → (order it was found in, dependency responsible).
    dead: HashMap<usize, (usize, usize)>,
}

/// Allowed records satisfying `dep`, alternative order.
fn dep_satisfiers(index: &Index<'_>, dep: &Dependency) -> Vec<usize> {
    index
        .dependency_satisfiers(dep)
        .into_iter()
        .filter(|&s| index.allowed(s))
        .collect()
}

fn request_satisfiers(index: &Index<'_>, request: &Requirement) -> Vec<usize> {
    index
        .satisfiers(request)
        .into_iter()
        .filter(|&s| index.allowed(s))
        .collect()
}

impl Graph {
    fn build(index: &Index<'_>, requests: &[&Requirement]) -> Graph {
        let mut deps: HashMap<usize, Vec<(usize, Vec<usize>)>> = HashMap::new();
        let mut queue: VecDeque<usize> = requests
            .iter()
            .flat_map(|r| request_satisfiers(index, r))
            .collect();
        let mut order: Vec<usize> = Vec::new();
        while let Some(record) = queue.pop_front() {
            if deps.contains_key(&record) {
                continue;
            }
            let mut list = Vec::new();
            for (di, dep) in index.packages[record].depends.iter().enumerate() {
                // Conditional (`if`) dependencies may not apply: not a cause.
                if matches!(dep.when, Some(whittle_model::Condition::Installed(_)))
                    || index
                        .excluded_match(index.dependency_options(dep))
                        .is_some()
                {
                    continue;
                }
                let sats = dep_satisfiers(index, dep);
                queue.extend(sats.iter().copied());
                list.push((di, sats));
            }
            deps.insert(record, list);
            order.push(record);
        }

        let mut dead: HashMap<usize, (usize, usize)> = HashMap::new();
        loop {
            let mut changed = false;
            for &record in &order {
                if dead.contains_key(&record) {
                    continue;
                }
                let Some(list) = deps.get(&record) else {
                    continue;
                };
                let culprit = list
                    .iter()
                    .find(|(_, sats)| sats.iter().all(|s| dead.contains_key(s)))
                    .map(|(di, _)| *di);
                if let Some(di) = culprit {
                    let n = dead.len();
                    dead.insert(record, (n, di));
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        Graph { deps, dead }
    }

    /// `request → pkg → … → dep not available (…)` when every candidate of
    /// `request` is uninstallable.
    fn missing_chain(&self, index: &Index<'_>, request: &Requirement) -> Option<String> {
        let sats = request_satisfiers(index, request);
        let mut path = vec![index.show(request)];
        let Some(&first) = sats.first() else {
            return Some(format!(
                "{} not available{}",
                index.show(request),
                available(index, std::slice::from_ref(request))
            ));
        };
        if !sats.iter().all(|s| self.dead.contains_key(s)) {
            return None;
        }
        let mut current = first;
        if index.packages[current].name != request.name {
            path.push(index.packages[current].name.clone());
        }
        for _ in 0..=self.dead.len() {
            let &(_, di) = self.dead.get(&current)?;
            let dep = &index.packages[current].depends[di];
            let sats = self
                .deps
                .get(&current)
                .and_then(|list| list.iter().find(|(d, _)| *d == di))
                .map(|(_, sats)| sats.as_slice())
                .unwrap_or_default();
            match sats.first() {
                None => {
                    path.push(format!(
                        "{} not available{}",
                        index.show_dependency(dep),
                        available(index, &dep.alternatives)
                    ));
                    return Some(path.join(" → "));
                }
                Some(&next) => {
                    current = next;
                    path.push(index.packages[current].name.clone());
                }
            }
        }
        None
    }

    /// Walk the preferred installable candidates from the requests and name
    /// the first conflict (or version clash) between two of them.
    fn conflict_chain(&self, index: &Index<'_>, requests: &[&Requirement]) -> Option<String> {
        let live = |s: &usize| !self.dead.contains_key(s);
        let mut chosen: HashMap<&str, usize> = HashMap::new();
        let mut paths: HashMap<usize, Vec<String>> = HashMap::new();
        let mut order: Vec<usize> = Vec::new();
        let mut queue: VecDeque<usize> = VecDeque::new();

        for request in requests {
            let sats = request_satisfiers(index, request);
            if sats.iter().any(|s| chosen.values().any(|c| c == s)) {
                continue;
            }
            let Some(&pick) = sats.iter().find(|s| live(s)) else {
                continue;
            };
            let name = index.packages[pick].name.as_str();
            if let Some(&other) = chosen.get(name) {
                return Some(format!(
                    "{} needs {name} other than {} chosen via {}",
                    index.show(request),
                    index.packages[other].version,
                    paths.get(&other).map(|p| p.join(" → ")).unwrap_or_default()
                ));
            }
            let mut path = vec![index.show(request)];
            if name != request.name {
                path.push(name.to_string());
            }
            chosen.insert(name, pick);
            paths.insert(pick, path);
            queue.push_back(pick);
        }

        let mut seen: HashSet<usize> = HashSet::new();
        while let Some(record) = queue.pop_front() {
            if !seen.insert(record) {
                continue;
            }
            order.push(record);
            let base = paths.get(&record).cloned().unwrap_or_default();
            for (_, sats) in self
                .deps
                .get(&record)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if sats
                    .iter()
                    .any(|s| chosen.get(index.packages[*s].name.as_str()) == Some(s))
                {
                    continue;
                }
                let Some(&pick) = sats.iter().find(|s| live(s)) else {
                    continue;
                };
                let name = index.packages[pick].name.as_str();
                if let Some(&other) = chosen.get(name) {
                    return Some(format!(
                        "{} needs {name} other than {} chosen via {}",
                        base.join(" → "),
                        index.packages[other].version,
                        paths.get(&other).map(|p| p.join(" → ")).unwrap_or_default()
                    ));
                }
                let mut path = base.clone();
                path.push(name.to_string());
                chosen.insert(name, pick);
                paths.insert(pick, path);
                queue.push_back(pick);
            }
        }

        for &record in &order {
            let rec = &index.packages[record];
            for conflict in &rec.conflicts {
                for name in index.satisfier_names(conflict) {
                    if name == rec.name {
                        continue;
                    }
                    let Some(&other) = chosen.get(name) else {
                        continue;
                    };
                    if index.satisfies(other, conflict) {
                        return Some(format!(
                            "{} conflicts with {}: {} is needed via {}",
                            paths
                                .get(&record)
                                .map(|p| p.join(" → "))
                                .unwrap_or_default(),
                            index.show(conflict),
                            index.packages[other].label(),
                            paths.get(&other).map(|p| p.join(" → ")).unwrap_or_default()
                        ));
                    }
                }
            }
        }
        None
    }
}

/// ` (available: …)` listing what exists under the alternatives' names, or
/// an empty string when nothing does.
fn available(index: &Index<'_>, alternatives: &[Requirement]) -> String {
    let mut per_name: Vec<(&str, Vec<String>)> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for alt in alternatives {
        if per_name.iter().any(|(n, _)| *n == alt.name) {
            continue;
        }
        let mut versions: Vec<String> = Vec::new();
        for &i in index.named(&alt.name) {
            let v = &index.packages[i].version;
            if !versions.contains(v) {
                versions.push(v.clone());
            }
        }
        if versions.is_empty() {
            for &i in index.providing(&alt.name) {
                let rec = &index.packages[i];
                for p in rec.provides.iter().filter(|p| p.name == alt.name) {
                    notes.push(match &p.version {
                        Some(v) => format!("{} provides {} {v}", rec.label(), alt.name),
                        None => format!("{} provides {}", rec.label(), alt.name),
                    });
                }
            }
        } else {
            per_name.push((alt.name.as_str(), versions));
        }
        for &i in index
            .named(&alt.name)
            .iter()
            .chain(index.providing(&alt.name))
        {
            if let Some(reason) = index.unusable(i) {
                let note = format!("{}: {reason}", index.packages[i].label());
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
        }
        if index.is_excluded(&alt.name) {
            notes.push(format!("{} is excluded", alt.name));
        }
        if let Some(v) = index.locked_version(&alt.name) {
            notes.push(format!("{} is locked to {v}", alt.name));
        }
    }
    let mut parts: Vec<String> = match per_name.as_slice() {
        [] => Vec::new(),
        [(_, versions)] => vec![versions.join(", ")],
        many => many
            .iter()
            .map(|(n, vs)| format!("{n} {}", vs.join(", ")))
            .collect(),
    };
    parts.extend(notes);
    if parts.is_empty() {
        String::new()
    } else {
        format!(" (available: {})", parts.join("; "))
    }
}
