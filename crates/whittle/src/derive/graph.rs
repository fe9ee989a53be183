//! The dependency graph among a set of chosen records, and its roots: the
//! records nothing else in the set needs, plus one record for each cycle
//! no root reaches.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use whittle_model::{Condition, PackageRecord, Requirement, VersionScheme};

/// Edges `from → to` among `set` (indices into it): `to` satisfies a
/// dependency of `from` (by name or provide, through the world's version
/// scheme), or `to` is installed automatically once `from` and the rest of
/// its `install_if` are there. A dependency whose alternatives several
/// members satisfy gives an edge to each.
pub(crate) fn edges(set: &[&PackageRecord], scheme: &dyn VersionScheme) -> Vec<BTreeSet<usize>> {
    let by_name = Satisfiers::new(set);
    let mut out = vec![BTreeSet::new(); set.len()];
    for (from, record) in set.iter().enumerate() {
        for dep in &record.depends {
            if let Some(Condition::Installed(when)) = &dep.when {
                if !when.iter().any(|r| !by_name.of(r, scheme).is_empty()) {
                    continue;
                }
            }
            for alt in &dep.alternatives {
                for to in by_name.of(alt, scheme) {
                    let fits = set
                        .get(to)
                        .is_some_and(|r| dep.with.iter().all(|w| satisfies(r, w, scheme)));
                    if to != from && fits {
                        out[from].insert(to);
                    }
                }
            }
        }
    }
    // A triggered package hangs off whatever triggers it.
    for (to, record) in set.iter().enumerate() {
        if record.install_if.is_empty() {
            continue;
        }
        let triggers: Vec<Vec<usize>> = record
            .install_if
            .iter()
            .map(|r| by_name.of(r, scheme))
            .collect();
        if triggers.iter().all(|t| !t.is_empty()) {
            for from in triggers.into_iter().flatten() {
                if from != to {
                    out[from].insert(to);
                }
            }
        }
    }
    out
}

/// The roots of a graph, in ascending index order: every node without an
/// incoming edge, then, for each strongly connected part that no root
/// reaches and nothing outside it points into, its lowest node.
pub(crate) fn roots(edges: &[BTreeSet<usize>]) -> Vec<usize> {
    let n = edges.len();
    let mut incoming = vec![false; n];
    for targets in edges {
        for &t in targets {
            incoming[t] = true;
        }
    }
    let mut roots: Vec<usize> = (0..n).filter(|&v| !incoming[v]).collect();
    let mut covered = vec![false; n];
    for &r in &roots {
        for v in reach(edges, r) {
            covered[v] = true;
        }
    }
    let reaches: Vec<BTreeSet<usize>> = (0..n)
        .map(|v| {
            if covered[v] {
                BTreeSet::new()
            } else {
                reach(edges, v)
            }
        })
        .collect();
    for v in 0..n {
        if covered[v] {
            continue;
        }
        // `v` heads a source cycle when everything that reaches it is
        // reached from it.
        let heads = (0..n)
            .filter(|&u| !covered[u] && reaches[u].contains(&v))
            .all(|u| reaches[v].contains(&u));
        if heads {
            roots.push(v);
            for &w in &reaches[v] {
                covered[w] = true;
            }
        }
    }
    roots.sort_unstable();
    roots
}

/// Every node reachable from `start`, itself included.
pub(crate) fn reach(edges: &[BTreeSet<usize>], start: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in edges.get(v).into_iter().flatten() {
            if seen.insert(w) {
                queue.push_back(w);
            }
        }
    }
    seen
}

/// The path to each node reachable from `starts`, from the first start
/// (in order) that reaches it, shortest from that start: the list of
/// nodes from the start to the node.
pub(crate) fn paths_from(
    edges: &[BTreeSet<usize>],
    starts: &[usize],
) -> BTreeMap<usize, Vec<usize>> {
    let mut out: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &s in starts {
        let mut parent: BTreeMap<usize, Option<usize>> = BTreeMap::from([(s, None)]);
        let mut queue = VecDeque::from([s]);
        while let Some(v) = queue.pop_front() {
            for &w in edges.get(v).into_iter().flatten() {
                if let std::collections::btree_map::Entry::Vacant(e) = parent.entry(w) {
                    e.insert(Some(v));
                    queue.push_back(w);
                }
            }
        }
        for &v in parent.keys() {
            if out.contains_key(&v) {
                continue;
            }
            let mut path = vec![v];
            let mut at = v;
            while let Some(Some(p)) = parent.get(&at) {
                path.push(*p);
                at = *p;
            }
            path.reverse();
            out.insert(v, path);
        }
    }
    out
}

/// Whether `record` satisfies `req`: by its name, or by a provide (an
/// unversioned provide satisfies only an unversioned requirement), as the
/// solver decides.
pub(crate) fn satisfies(
    record: &PackageRecord,
    req: &Requirement,
    scheme: &dyn VersionScheme,
) -> bool {
    let fits = |version: &str| {
        req.constraint
            .as_ref()
            .is_none_or(|(op, wanted)| scheme.matches(version, *op, wanted))
    };
    if record.name == req.name && fits(&record.version) {
        return true;
    }
    record.provides.iter().any(|p| {
        p.name == req.name
            && match (&req.constraint, &p.version) {
                (None, _) => true,
                (Some(_), Some(v)) => fits(v),
                (Some(_), None) => false,
            }
    })
}

/// Members of a set by the names they answer to (their own and their
/// provides).
struct Satisfiers<'a> {
    set: &'a [&'a PackageRecord],
    names: BTreeMap<&'a str, Vec<usize>>,
}

impl<'a> Satisfiers<'a> {
    fn new(set: &'a [&'a PackageRecord]) -> Self {
        let mut names: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, r) in set.iter().enumerate() {
            names.entry(r.name.as_str()).or_default().push(i);
            for p in &r.provides {
                names.entry(p.name.as_str()).or_default().push(i);
            }
        }
        Satisfiers { set, names }
    }

    fn of(&self, req: &Requirement, scheme: &dyn VersionScheme) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .names
            .get(req.name.as_str())
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| self.set.get(i).is_some_and(|r| satisfies(r, req, scheme)))
            .collect();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(n: usize, list: &[(usize, usize)]) -> Vec<BTreeSet<usize>> {
        let mut e = vec![BTreeSet::new(); n];
        for &(a, b) in list {
            e[a].insert(b);
        }
        e
    }

    #[test]
    fn roots_are_the_unneeded_nodes() {
        // 0 → 1 → 2, 3 → 2: roots 0 and 3.
        assert_eq!(roots(&g(4, &[(0, 1), (1, 2), (3, 2)])), [0, 3]);
    }

    #[test]
    fn a_cycle_no_root_reaches_gets_one_root() {
        // 0 → 1; the cycle 2 ⇄ 3 → 4 is reached by nothing: 2 stands for it.
        assert_eq!(roots(&g(5, &[(0, 1), (2, 3), (3, 2), (3, 4)])), [0, 2]);
        // A cycle a root reaches needs no root of its own.
        assert_eq!(roots(&g(3, &[(0, 1), (1, 2), (2, 1)])), [0]);
        // A cycle fed by another cycle: only the upstream one counts.
        assert_eq!(roots(&g(4, &[(0, 1), (1, 0), (1, 2), (2, 3), (3, 2)])), [0]);
        // Nothing but a cycle.
        assert_eq!(roots(&g(2, &[(0, 1), (1, 0)])), [0]);
    }

    #[test]
    fn paths_run_from_the_first_start() {
        let e = g(4, &[(0, 1), (1, 2), (3, 2)]);
        let p = paths_from(&e, &[0, 3]);
        assert_eq!(p[&2], [0, 1, 2]);
        assert_eq!(p[&3], [3]);
    }
}
