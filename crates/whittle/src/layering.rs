//! Splitting one root filesystem into several layers, apko's `origin`
//! strategy, for every package world: packages are grouped by origin
//! (source package), groups linked by `replaces` share a layer, the largest
//! `budget - 1` groups get a layer each, the rest share one, and a top
//! layer holds every directory and everything no package owns (package
//! database, accounts, generated files). The same packages therefore give
//! byte-identical layers in different images.

use std::collections::{BTreeMap, BTreeSet};

use whittle_rootfs::RootFs;
use whittle_world::Installed;

/// The entries of one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerPlan {
    /// What the layer holds, for the history and logs.
    pub name: String,
    /// Tree keys in the layer (directories on the way included).
    pub keys: BTreeSet<String>,
}

/// One layer holding the whole tree.
pub fn single_layer(root: &RootFs) -> Vec<LayerPlan> {
    vec![LayerPlan {
        name: "all packages".to_string(),
        keys: root
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| !k.is_empty())
            .collect(),
    }]
}

/// Plan at most `budget + 1` layers (`budget` ≥ 1) by origin.
pub fn plan_by_origin(root: &RootFs, installed: &[Installed], budget: usize) -> Vec<LayerPlan> {
    let budget = budget.max(1);
    // Who owns each non-directory key: the last package that placed it.
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, pkg) in installed.iter().enumerate() {
        for key in &pkg.keys {
            if root.get(key).is_some_and(|n| !n.is_dir()) {
                owner.insert(key.as_str(), i);
            }
        }
    }
    let groups = origin_groups(installed);
    // Largest groups (by installed size, then name) first.
    let mut ranked: Vec<(u64, String, Vec<usize>)> = groups
        .into_iter()
        .map(|(name, members)| {
            let size = members
                .iter()
                .map(|&i| installed[i].record.installed_size.unwrap_or(0))
                .sum();
            (size, name, members)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let own = budget.saturating_sub(1).min(ranked.len());
    let mut layer_of_pkg = vec![0usize; installed.len()];
    let mut names = Vec::new();
    for (layer, (_, name, members)) in ranked.iter().enumerate() {
        let layer = layer.min(own);
        if layer == names.len() {
            names.push(if layer < own {
                format!("origin {name}")
            } else {
                "other packages".to_string()
            });
        }
        for &m in members {
            layer_of_pkg[m] = layer;
        }
    }
    let mut plans: Vec<LayerPlan> = names
        .into_iter()
        .map(|name| LayerPlan {
            name,
            keys: BTreeSet::new(),
        })
        .collect();
    let mut top = LayerPlan {
        name: "directories, package database and generated files".to_string(),
        keys: BTreeSet::new(),
    };
    for (key, node) in root.iter() {
        if key.is_empty() {
            continue;
        }
        match owner.get(key) {
            Some(&pkg) if !node.is_dir() => {
                let plan = &mut plans[layer_of_pkg[pkg]];
                plan.keys.insert(key.to_string());
                add_ancestors(&mut plan.keys, key);
            }
            _ => {
                top.keys.insert(key.to_string());
            }
        }
    }
    plans.retain(|p| !p.keys.is_empty());
    plans.push(top);
    plans
}

/// Group packages by origin, merging groups that replace one another.
fn origin_groups(installed: &[Installed]) -> BTreeMap<String, Vec<usize>> {
    let origin: Vec<String> = installed
        .iter()
        .map(|p| p.record.source_name().to_string())
        .collect();
    // Union-find over origins.
    let mut parent: BTreeMap<String, String> =
        origin.iter().map(|o| (o.clone(), o.clone())).collect();
    fn find(parent: &BTreeMap<String, String>, x: &str) -> String {
        let mut cur = x.to_string();
        while let Some(p) = parent.get(&cur) {
            if *p == cur {
                break;
            }
            cur = p.clone();
        }
        cur
    }
    let by_name: BTreeMap<&str, usize> = installed
        .iter()
        .enumerate()
        .map(|(i, p)| (p.record.name.as_str(), i))
        .collect();
    for (i, pkg) in installed.iter().enumerate() {
        for replaced in &pkg.record.replaces {
            if let Some(&j) = by_name.get(replaced.as_str()) {
                let (a, b) = (find(&parent, &origin[i]), find(&parent, &origin[j]));
                if a != b {
                    // The smaller name roots the group, for determinism.
                    let (root, child) = if a < b { (a, b) } else { (b, a) };
                    parent.insert(child, root);
                }
            }
        }
    }
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, o) in origin.iter().enumerate() {
        groups.entry(find(&parent, o)).or_default().push(i);
    }
    groups
}

fn add_ancestors(keys: &mut BTreeSet<String>, key: &str) {
    let mut cur = key;
    while let Some(i) = cur.rfind('/') {
        cur = &cur[..i];
        if !keys.insert(cur.to_string()) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use whittle_model::PackageRecord;
    use whittle_rootfs::Node;

    fn pkg(name: &str, origin: &str, size: u64, keys: &[&str]) -> Installed {
        let mut record = PackageRecord::new(name, "1");
        record.source = Some(whittle_model::SourceRef {
            name: origin.into(),
            version: "1".into(),
        });
        record.installed_size = Some(size);
        Installed {
            record,
            paths: keys.iter().map(|k| format!("/{k}")).collect(),
            keys: keys.iter().map(|k| (*k).to_string()).collect(),
            payload: Default::default(),
        }
    }

    #[test]
    fn groups_by_origin_with_an_overflow_and_a_top_layer() {
        let mut root = RootFs::new();
        for f in [
            "usr/lib/libbig.so",
            "usr/lib/libbig2.so",
            "usr/bin/small",
            "usr/bin/tiny",
            "etc/passwd",
        ] {
            root.insert(f, Node::file(b"x".to_vec(), 0o644)).unwrap();
        }
        let installed = vec![
            pkg("libbig", "big", 100, &["usr/lib/libbig.so"]),
            pkg("libbig2", "big", 100, &["usr/lib/libbig2.so"]),
            pkg("small", "small", 10, &["usr/bin/small"]),
            pkg("tiny", "tiny", 1, &["usr/bin/tiny"]),
        ];
        let plans = plan_by_origin(&root, &installed, 2);
        assert_eq!(plans.len(), 3);
        assert_eq!(plans[0].name, "origin big");
        assert!(plans[0].keys.contains("usr/lib/libbig2.so"));
        assert!(plans[0].keys.contains("usr/lib"), "parents are included");
        assert!(plans[1].keys.contains("usr/bin/small") && plans[1].keys.contains("usr/bin/tiny"));
        assert!(
            plans[2].keys.contains("etc/passwd"),
            "unowned files go on top"
        );
        assert!(plans[2].keys.contains("usr/bin"), "directories go on top");
    }

    #[test]
    fn replaces_keeps_groups_together() {
        let mut root = RootFs::new();
        root.insert("etc/os-release", Node::file(b"x".to_vec(), 0o644))
            .unwrap();
        root.insert("a", Node::file(b"x".to_vec(), 0o644)).unwrap();
        let mut new = pkg("replayout", "replayout", 1, &["etc/os-release"]);
        new.record.replaces = vec!["pretend-baselayout".into()];
        let installed = vec![
            pkg("pretend-baselayout", "pretend-baselayout", 5, &["a"]),
            new,
        ];
        let plans = plan_by_origin(&root, &installed, 10);
        assert_eq!(plans.len(), 2, "{plans:?}");
        assert!(plans[0].keys.contains("a") && plans[0].keys.contains("etc/os-release"));
    }
}
