//! Warnings about the image as built: what a minimal image should not hold
//! (a shell, a package manager), and what it lacks that its programs need
//! (shared libraries, typically from an excluded package).

use std::collections::{BTreeMap, BTreeSet};

use whittle_model::PackageRecord;
use whittle_rootfs::elf::dynamic_info;
use whittle_rootfs::{Content, NodeKind, RootFs};
use whittle_world::Installed;

/// Most programs named per missing library.
const MAX_USERS_SHOWN: usize = 3;

/// Programs that make an image less minimal than it looks.
const UNWANTED: &[(&str, &str)] = &[
    ("bin/sh", "a shell"),
    ("bin/bash", "a shell"),
    ("bin/dash", "a shell"),
    ("bin/busybox", "busybox (a shell and many tools)"),
    ("usr/bin/apt", "a package manager"),
    ("usr/bin/apt-get", "a package manager"),
    ("usr/bin/dpkg", "a package manager"),
    ("sbin/apk", "a package manager"),
    ("usr/bin/rpm", "a package manager"),
    ("usr/bin/dnf", "a package manager"),
    ("usr/bin/tdnf", "a package manager"),
    ("usr/bin/yum", "a package manager"),
];

/// One warning per unwanted program found in `root`.
pub fn unwanted_programs(root: &RootFs, installed: &[Installed]) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (path, what) in UNWANTED {
        let Ok(key) = root.resolve(path, false) else {
            continue;
        };
        if !root.exists(&key) || !seen.insert(key.clone()) {
            continue;
        }
        let owner = installed
            .iter()
            .find(|p| p.keys.contains(&key))
            .map_or_else(
                || "the recipe's paths".to_string(),
                |p| format!("package {}", p.record.name),
            );
        out.push(format!(
            "the image contains /{key}, {what}, brought in by {owner}; add the package to \
             contents.exclude if it is not needed at run time"
        ));
    }
    out
}

/// One warning per shared library (soname) that an ELF file in the image
/// needs (`DT_NEEDED`) but no file in the image is named: the program will
/// not start. When the owning package depends on an excluded package, the
/// warning says so, since that is the usual cause (`contents.exclude:
/// [libc6]`).
pub fn missing_libraries(
    root: &RootFs,
    installed: &[Installed],
    excluded: &[PackageRecord],
) -> Vec<String> {
    let mut present: BTreeSet<&str> = BTreeSet::new();
    for (key, node) in root.iter() {
        if matches!(
            node.kind,
            NodeKind::File(_) | NodeKind::Symlink(_) | NodeKind::Hardlink(_)
        ) {
            present.insert(key.rsplit('/').next().unwrap_or(key));
        }
    }
    // soname → programs needing it.
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, node) in root.iter() {
        let Some(content) = node.content() else {
            continue;
        };
        for soname in needed_libraries(content) {
            if !present.contains(soname.as_str()) {
                missing.entry(soname).or_default().push(key.to_string());
            }
        }
    }
    let excluded_names: BTreeSet<&str> = excluded.iter().map(|r| r.name.as_str()).collect();
    missing
        .into_iter()
        .map(|(soname, users)| {
            let because: BTreeSet<&str> = users
                .iter()
                .filter_map(|k| installed.iter().find(|p| p.keys.contains(k)))
                .flat_map(|p| p.record.depends.iter())
                .flat_map(|d| d.alternatives.iter())
                .map(|a| a.name.as_str())
                .filter(|n| excluded_names.contains(n))
                .collect();
            let shown: Vec<String> = users
                .iter()
                .take(MAX_USERS_SHOWN)
                .map(|k| format!("/{k}"))
                .collect();
            let more = users.len().saturating_sub(MAX_USERS_SHOWN);
            let who = if more > 0 {
                format!("{} and {more} more", shown.join(", "))
            } else {
                shown.join(", ")
            };
            let cause = if because.is_empty() {
                "add the package that ships it".to_string()
            } else {
                format!(
                    "they depend on {}, which contents.exclude leaves out",
                    because.into_iter().collect::<Vec<_>>().join(", ")
                )
            };
            format!("{who} need {soname}, which is not in the image, so they cannot run: {cause}")
        })
        .collect()
}

/// The `DT_NEEDED` sonames of an ELF file; nothing for anything else.
fn needed_libraries(content: &Content) -> Vec<String> {
    dynamic_info(content).map_or_else(Vec::new, |info| info.needed)
}
