//! Warnings about what a minimal image should not hold: a shell or a
//! package manager, named with the package that brought it.

use whittle_rootfs::RootFs;
use whittle_world::Installed;

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
