//! A selection: the slices asked for plus their essentials, transitively,
//! for one architecture, in dependency order (Chisel's `setup.Select` and
//! `order`: essentials before the slices that need them, cycles refused).

use std::collections::{BTreeMap, BTreeSet};

use crate::error::SliceError;
use crate::graph::components;
use crate::query::closest;
use crate::release::{valid_arch, PathKind, Release, SliceKey};

/// The closure of a slice selection, ready to cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Every selected slice, essentials before the slices that need them;
    /// otherwise by name (a depth-first walk from the sorted keys, edges
    /// in key order), so the order is deterministic.
    pub slices: Vec<SliceKey>,
    /// The architecture it was selected for.
    pub arch: String,
}

impl Selection {
    /// The selected packages, in the order their first slice appears.
    pub fn packages(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.slices
            .iter()
            .filter(|k| seen.insert(k.package.as_str()))
            .map(|k| k.package.clone())
            .collect()
    }

    /// The selected slices of `pkg`, in selection order.
    pub fn slices_of(&self, pkg: &str) -> Vec<&SliceKey> {
        self.slices.iter().filter(|k| k.package == pkg).collect()
    }

    /// Whether `key` is selected.
    pub fn contains(&self, key: &SliceKey) -> bool {
        self.slices.contains(key)
    }
}

impl Release {
    /// Selects `wanted` and their essentials for `arch` (an essential
    /// qualified with other architectures is skipped).
    ///
    /// # Errors
    ///
    /// An unknown architecture, package or slice (with the closest name),
    /// an essential naming a missing slice, an essential loop, or a
    /// selected `generate:` kind this version does not know.
    pub fn select(&self, wanted: &[SliceKey], arch: &str) -> Result<Selection, SliceError> {
        if !valid_arch(arch) {
            return Err(SliceError::InvalidArch {
                arch: arch.to_owned(),
            });
        }
        for key in wanted {
            self.known(key)?;
        }
        let order = self.order(wanted, Some(arch))?;
        for key in &order {
            let Some(slice) = self.slice(key) else {
                continue;
            };
            for (path, info) in &slice.contents {
                if let PathKind::GenerateUnknown(kind) = &info.kind {
                    return Err(SliceError::Definition {
                        file: self.file_of(&key.package),
                        message: format!(
                            "slice {key} has invalid 'generate' for path {path}: {kind:?}"
                        ),
                        hint: "the only kind is `generate: manifest`".to_owned(),
                    });
                }
            }
        }
        Ok(Selection {
            slices: order,
            arch: arch.to_owned(),
        })
    }

    /// An error naming the closest match when `key` is not defined.
    pub(crate) fn known(&self, key: &SliceKey) -> Result<(), SliceError> {
        let Some(pkg) = self.packages.get(&key.package) else {
            return Err(SliceError::UnknownPackage {
                name: key.package.clone(),
                suggestion: closest(&key.package, self.packages.keys().map(String::as_str)),
            });
        };
        if !pkg.slices.contains_key(&key.slice) {
            return Err(SliceError::UnknownSlice {
                key: key.clone(),
                file: pkg.source.clone(),
                suggestion: closest(&key.slice, pkg.slices.keys().map(String::as_str))
                    .map(|s| format!("{}_{s}", key.package)),
            });
        }
        Ok(())
    }

    /// The essentials closure of `roots` in dependency order; with `arch`
    /// `None` every edge counts (release validation).
    pub(crate) fn order(
        &self,
        roots: &[SliceKey],
        arch: Option<&str>,
    ) -> Result<Vec<SliceKey>, SliceError> {
        // Collect the closure, breadth first.
        let mut edges: BTreeMap<&SliceKey, Vec<&SliceKey>> = BTreeMap::new();
        let mut pending: Vec<&SliceKey> = roots.iter().collect();
        while let Some(key) = pending.pop() {
            if edges.contains_key(key) {
                continue;
            }
            let Some(slice) = self.slice(key) else {
                continue;
            };
            let mut next = Vec::new();
            for e in &slice.essential {
                if arch.is_some_and(|a| !e.applies_to(a)) {
                    continue;
                }
                if self.slice(&e.slice).is_none() {
                    return Err(SliceError::MissingEssential {
                        file: self.file_of(&key.package),
                        slice: key.clone(),
                        missing: e.slice.clone(),
                    });
                }
                next.push(&e.slice);
            }
            pending.extend(next.iter().copied());
            edges.insert(key, next);
        }
        // Index in key order, so the walk and ties are by name.
        let nodes: Vec<&SliceKey> = edges.keys().copied().collect();
        let index: BTreeMap<&SliceKey, usize> =
            nodes.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let succ: Vec<Vec<usize>> = nodes
            .iter()
            .map(|k| {
                let mut s: Vec<usize> = edges[k]
                    .iter()
                    .filter_map(|e| index.get(e).copied())
                    .collect();
                s.sort_unstable();
                s
            })
            .collect();
        let mut order = Vec::with_capacity(nodes.len());
        for component in components(&succ) {
            if component.len() > 1 {
                let mut cycle: Vec<SliceKey> =
                    component.iter().map(|&i| nodes[i].clone()).collect();
                cycle.sort_by_key(ToString::to_string);
                let files = cycle
                    .iter()
                    .map(|k| self.file_of(&k.package))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                return Err(SliceError::EssentialLoop { cycle, files });
            }
            order.extend(component.iter().map(|&i| nodes[i].clone()));
        }
        Ok(order)
    }
}
