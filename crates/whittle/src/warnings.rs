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

/// The variables glibc reads a locale from, strongest first.
const LOCALE_VARS: &[&str] = &["LC_ALL", "LC_CTYPE", "LANG"];

/// One warning per locale variable of the image's environment that names a
/// locale the image lacks: glibc then silently falls back to `C` (ASCII).
/// `C`, `POSIX` and `C.UTF-8` are built into glibc (2.35 and later); other
/// locales must be compiled into `/usr/lib/locale`, which in Debian and
/// Ubuntu only `locales-all` ships (`locales` needs `locale-gen` to run).
/// Images without glibc (musl) are not checked.
pub fn missing_locales(root: &RootFs, env: &BTreeMap<String, String>) -> Vec<String> {
    let has_glibc = root.iter().any(|(key, _)| key.ends_with("/libc.so.6"));
    if !has_glibc {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for var in LOCALE_VARS {
        let Some(value) = env.get(*var) else { continue };
        if builtin_locale(value) || !seen.insert(value.as_str()) || locale_present(root, value) {
            continue;
        }
        out.push(format!(
            "{var}={value} names a locale the image does not contain: programs silently fall \
             back to the C locale (ASCII). Install the package that ships it compiled (Debian \
             and Ubuntu: locales-all; `locales` needs locale-gen, which whittle does not run), \
             or use C.UTF-8, which glibc has built in."
        ));
    }
    out
}

/// Locales glibc needs no files for.
fn builtin_locale(name: &str) -> bool {
    let (base, codeset) = match name.split_once('.') {
        Some((b, c)) => (b, Some(normalize_codeset(c.split('@').next().unwrap_or(c)))),
        None => (name, None),
    };
    matches!(base, "" | "C" | "POSIX") && codeset.as_deref().is_none_or(|c| c == "utf8")
}

/// glibc's codeset normalisation: letters lowercased, digits kept,
/// everything else dropped (`UTF-8` → `utf8`).
fn normalize_codeset(codeset: &str) -> String {
    codeset
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `/usr/lib/locale` holds the locale, under its own name or with
/// the codeset normalised, or the image has a locale archive (which may).
fn locale_present(root: &RootFs, name: &str) -> bool {
    if root.exists("usr/lib/locale/locale-archive") {
        return true;
    }
    let mut candidates = vec![name.to_string()];
    if let Some((lang, rest)) = name.split_once('.') {
        let (codeset, modifier) = match rest.split_once('@') {
            Some((c, m)) => (c, Some(m)),
            None => (rest, None),
        };
        let mut normalized = format!("{lang}.{}", normalize_codeset(codeset));
        if let Some(m) = modifier {
            normalized.push('@');
            normalized.push_str(m);
        }
        candidates.push(normalized);
    }
    candidates.iter().any(|c| {
        !c.contains('/') && c != ".." && root.exists(&format!("usr/lib/locale/{c}/LC_CTYPE"))
    })
}

#[cfg(test)]
mod locale_tests {
    use super::*;
    use whittle_rootfs::Node;

    fn glibc_root() -> RootFs {
        let mut root = RootFs::new();
        root.insert(
            "usr/lib/x86_64-linux-gnu/libc.so.6",
            Node::file(b"\x7fELF".to_vec(), 0o755),
        )
        .unwrap();
        root
    }

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn builtin_locales_need_nothing() {
        let root = glibc_root();
        let e = env(&[
            ("LANG", "C.UTF-8"),
            ("LC_ALL", "C.utf8"),
            ("LC_CTYPE", "POSIX"),
        ]);
        assert!(missing_locales(&root, &e).is_empty());
    }

    #[test]
    fn a_missing_locale_is_named_with_the_package_to_add() {
        let root = glibc_root();
        let w = missing_locales(&root, &env(&[("LANG", "en_US.UTF-8")]));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("LANG=en_US.UTF-8 names a locale"),
            "{}",
            w[0]
        );
        assert!(w[0].contains("locales-all"), "{}", w[0]);
    }

    #[test]
    fn a_compiled_locale_is_found_under_its_normalised_name() {
        let mut root = glibc_root();
        root.insert(
            "usr/lib/locale/en_US.utf8/LC_CTYPE",
            Node::file(b"x".to_vec(), 0o644),
        )
        .unwrap();
        assert!(missing_locales(&root, &env(&[("LANG", "en_US.UTF-8")])).is_empty());
    }

    #[test]
    fn musl_images_are_not_checked() {
        let root = RootFs::new();
        assert!(missing_locales(&root, &env(&[("LANG", "en_US.UTF-8")])).is_empty());
    }
}
