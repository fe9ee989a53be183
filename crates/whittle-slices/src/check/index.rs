//! Finding which paths a pattern may overlap without comparing all pairs.
//!
//! Paths go into a trie of their `/`-separated segments. `*` and `?` never
//! cross a `/`, so a pattern's segments line up one to one with a path's
//! until a segment holding `**`. A query walks the trie segment by
//! segment: a literal segment follows one child plus the wildcard
//! children that match it, a wildcard segment scans only the literal
//! children sharing its literal prefix (a range of a sorted map). Paths
//! whose `**` starts at a node, and everything under a query's `**`, are
//! candidates to test with the full [`Pattern::overlaps`].

use std::collections::BTreeMap;

use crate::glob::{is_pattern, Pattern};

#[derive(Default)]
struct Node<'a> {
    /// Literal segment → child node.
    lit: BTreeMap<&'a str, usize>,
    /// Wildcard segment (no `**`) → its pattern and child node.
    wild: Vec<(Pattern, usize)>,
    /// Paths with a `**` in their segment at this depth.
    deep: Vec<usize>,
    /// Paths ending here.
    end: Vec<usize>,
}

/// A segment trie over a list of paths (ids are list positions).
pub(crate) struct Index<'a> {
    nodes: Vec<Node<'a>>,
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

impl<'a> Index<'a> {
    /// Indexes `paths`.
    pub(crate) fn new(paths: &[&'a str]) -> Index<'a> {
        let mut index = Index {
            nodes: vec![Node::default()],
        };
        for (id, path) in paths.iter().enumerate() {
            index.insert(id, path);
        }
        index
    }

    fn insert(&mut self, id: usize, path: &'a str) {
        let mut node = 0;
        for seg in segments(path) {
            if seg.contains("**") {
                self.nodes[node].deep.push(id);
                return;
            }
            let next = self.nodes.len();
            let child = if is_pattern(seg) {
                let found = self.nodes[node]
                    .wild
                    .iter()
                    .find(|(p, _)| p.text() == seg)
                    .map(|(_, c)| *c);
                match found {
                    Some(c) => c,
                    None => {
                        self.nodes[node].wild.push((Pattern::new(seg), next));
                        next
                    }
                }
            } else {
                *self.nodes[node].lit.entry(seg).or_insert(next)
            };
            if child == next {
                self.nodes.push(Node::default());
            }
            node = child;
        }
        self.nodes[node].end.push(id);
    }

    /// The ids of every indexed path that may overlap `path` (a superset
    /// of those that do; each id once).
    pub(crate) fn candidates(&self, path: &str, out: &mut Vec<usize>) {
        let segs: Vec<&str> = segments(path).collect();
        self.walk(0, &segs, out);
    }

    fn walk(&self, node: usize, segs: &[&str], out: &mut Vec<usize>) {
        let n = &self.nodes[node];
        out.extend_from_slice(&n.deep);
        let Some((&seg, rest)) = segs.split_first() else {
            out.extend_from_slice(&n.end);
            return;
        };
        if seg.contains("**") {
            out.extend_from_slice(&n.end);
            self.subtree(node, out);
            return;
        }
        if is_pattern(seg) {
            let pat = Pattern::new(seg);
            let prefix = &seg[..seg.find(['*', '?']).unwrap_or(seg.len())];
            for (key, &child) in n.lit.range(prefix..) {
                if !key.starts_with(prefix) {
                    break;
                }
                if pat.matches_simple(key) {
                    self.walk(child, rest, out);
                }
            }
            for (w, child) in &n.wild {
                if w.overlaps(&pat) {
                    self.walk(*child, rest, out);
                }
            }
        } else {
            if let Some(&child) = n.lit.get(seg) {
                self.walk(child, rest, out);
            }
            for (w, child) in &n.wild {
                if w.matches_simple(seg) {
                    self.walk(*child, rest, out);
                }
            }
        }
    }

    /// Every id below `node` (not its own `deep` and `end`).
    fn subtree(&self, node: usize, out: &mut Vec<usize>) {
        let n = &self.nodes[node];
        for &child in n.lit.values().chain(n.wild.iter().map(|(_, c)| c)) {
            let c = &self.nodes[child];
            out.extend_from_slice(&c.deep);
            out.extend_from_slice(&c.end);
            self.subtree(child, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Index;
    use crate::glob::overlap;

    /// The index finds every overlapping path that comparing all pairs
    /// finds, on a set of awkward patterns.
    #[test]
    fn agrees_with_all_pairs() {
        let paths = [
            "/usr/lib/",
            "/usr/lib",
            "/usr/lib/*",
            "/usr/lib/**",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/*-linux-*/libc.so.*",
            "/usr/lib/*-linux-*/",
            "/usr/lib/*/libm.so.6",
            "/usr/lib/**.so",
            "/usr/li?/",
            "/usr/l*",
            "/usr/**/libc.so.6",
            "/usr/share/doc/a/copyright",
            "/usr/share/doc/*/copyright",
            "/usr/share/**",
            "/etc/",
            "/etc/*.conf",
            "/etc/ld.so.conf",
            "/etc/ld.so.conf.d/",
            "/var/lib/chisel/**",
            "/var/lib/chisel/",
            "/var/lib/",
            "/a**",
            "/b/c?d/e",
            "/b/cxd/e",
            "/b/cx/e",
        ];
        let index = Index::new(&paths);
        for (i, p) in paths.iter().enumerate() {
            let mut got = Vec::new();
            index.candidates(p, &mut got);
            let mut found: Vec<usize> = got.into_iter().filter(|&j| overlap(p, paths[j])).collect();
            found.sort_unstable();
            found.dedup();
            let want: Vec<usize> = (0..paths.len()).filter(|&j| overlap(p, paths[j])).collect();
            assert_eq!(found, want, "query {p} (#{i})");
        }
    }
}

#[cfg(test)]
mod fixture_tests {
    use super::Index;
    use crate::glob::{is_pattern, Pattern};

    /// On a real release, the index finds exactly the overlaps that
    /// comparing every pattern with every path finds.
    #[test]
    fn agrees_with_all_pairs_on_ubuntu_22_04() {
        let dir = whittle_test_env::fixtures::path("chisel-releases-ubuntu-22.04");
        let release = crate::load(&[dir]).unwrap();
        let mut paths: Vec<&str> = release
            .slices()
            .flat_map(|s| s.contents.keys().map(String::as_str))
            .collect();
        paths.sort_unstable();
        paths.dedup();
        let patterns: Vec<Pattern> = paths.iter().map(|p| Pattern::new(p)).collect();
        let index = Index::new(&paths);
        let mut total = 0;
        for (i, p) in paths.iter().enumerate() {
            if !is_pattern(p) {
                continue;
            }
            let mut got = Vec::new();
            index.candidates(p, &mut got);
            let mut found: Vec<usize> = got
                .into_iter()
                .filter(|&j| patterns[i].overlaps(&patterns[j]))
                .collect();
            found.sort_unstable();
            let want: Vec<usize> = (0..paths.len())
                .filter(|&j| patterns[i].overlaps(&patterns[j]))
                .collect();
            assert_eq!(found, want, "{p}");
            total += want.len();
        }
        assert!(total > 0);
    }
}
