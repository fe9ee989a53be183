//! The package database the image carries, read as dpkg and apk read
//! them: dpkg's `var/lib/dpkg/status` with `info/NAME[:ARCH].list`
//! (`dpkg(1)` FILES, `deb-status(5)`), distroless's
//! `var/lib/dpkg/status.d/NAME` with `NAME.md5sums`, and apk's
//! `lib/apk/db/installed` (`P:` name, `V:` version, `F:` directory, `R:`
//! file in it; apk-tools' `apk-v2` installed-database format).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::tree::{EntryKind, Tree};

/// Which package database an image has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DbKind {
    /// dpkg's `status` and `info/*.list`.
    Dpkg,
    /// distroless's `status.d/`, with `*.md5sums` as file lists.
    DpkgStatusD,
    /// apk's `installed`.
    Apk,
}

impl DbKind {
    /// The database's file, for reports.
    pub fn path(self) -> &'static str {
        match self {
            DbKind::Dpkg => "/var/lib/dpkg/status",
            DbKind::DpkgStatusD => "/var/lib/dpkg/status.d",
            DbKind::Apk => "/lib/apk/db/installed",
        }
    }
}

/// One installed package.
#[derive(Debug, Clone)]
pub(crate) struct Package {
    pub name: String,
    pub version: String,
    pub db: DbKind,
    /// Paths the database lists for it, absolute as written there.
    pub files: Vec<String>,
    /// Whether a file list was found (dpkg may lack an `info/*.list`).
    pub listed: bool,
}

/// Every package of every database found.
#[derive(Debug, Default)]
pub(crate) struct Database {
    pub kinds: Vec<DbKind>,
    pub packages: Vec<Package>,
}

/// Read the databases present in `tree`.
pub(crate) fn read(tree: &Tree) -> Database {
    let mut db = Database::default();
    if let Some(text) = content(tree, "var/lib/dpkg/status") {
        db.kinds.push(DbKind::Dpkg);
        for stanza in stanzas(&text) {
            if let Some(p) = dpkg_package(&stanza, tree, DbKind::Dpkg) {
                db.packages.push(p);
            }
        }
    }
    let status_d: Vec<(&String, String)> = tree
        .iter()
        .filter_map(|(k, n)| {
            let name = k.strip_prefix("var/lib/dpkg/status.d/")?;
            (n.kind == EntryKind::File && !name.contains('/') && !name.ends_with(".md5sums"))
                .then(|| {
                    Some((
                        k,
                        String::from_utf8_lossy(n.content.as_deref()?).into_owned(),
                    ))
                })
                .flatten()
        })
        .collect();
    if !status_d.is_empty() {
        db.kinds.push(DbKind::DpkgStatusD);
    }
    for (key, text) in status_d {
        for stanza in stanzas(&text) {
            if let Some(mut p) = dpkg_package(&stanza, tree, DbKind::DpkgStatusD) {
                let sums = content(tree, &format!("{key}.md5sums"));
                p.listed = sums.is_some();
                p.files = sums.map(|s| md5sums_paths(&s)).unwrap_or_default();
                db.packages.push(p);
            }
        }
    }
    for key in ["lib/apk/db/installed", "usr/lib/apk/db/installed"] {
        // With /lib → usr/lib both names are one file.
        if tree.canonical(key) != key {
            continue;
        }
        if let Some(text) = content(tree, key) {
            db.kinds.push(DbKind::Apk);
            db.packages.extend(apk_packages(&text));
        }
    }
    db.packages
        .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    db
}

fn content(tree: &Tree, key: &str) -> Option<String> {
    let node = tree.get(key)?;
    let bytes = node.content.as_deref()?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// deb822 paragraphs: field name → value (continuation lines joined).
fn stanzas(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut cur: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            last = None;
        } else if line.starts_with([' ', '\t']) {
            if let Some(v) = last.as_ref().and_then(|k| cur.get_mut(k)) {
                v.push('\n');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_string();
            cur.insert(k.clone(), v.trim().to_string());
            last = Some(k);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A dpkg stanza as a package, with files from `info/` (None when it is not
/// installed: `config-files`, `not-installed`).
fn dpkg_package(stanza: &BTreeMap<String, String>, tree: &Tree, db: DbKind) -> Option<Package> {
    let name = stanza.get("Package")?.clone();
    if let Some(status) = stanza.get("Status") {
        let state = status.split_whitespace().last().unwrap_or("");
        if matches!(state, "not-installed" | "config-files") {
            return None;
        }
    }
    let arch = stanza.get("Architecture").map(String::as_str).unwrap_or("");
    let list = content(tree, &format!("var/lib/dpkg/info/{name}:{arch}.list"))
        .or_else(|| content(tree, &format!("var/lib/dpkg/info/{name}.list")));
    Some(Package {
        version: stanza.get("Version").cloned().unwrap_or_default(),
        db,
        listed: list.is_some(),
        files: list
            .map(|l| {
                l.lines()
                    .map(str::trim)
                    .filter(|p| !p.is_empty() && *p != "/.")
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        name,
    })
}

/// The paths of an `md5sums` file (`HASH  path`, path relative to `/`).
fn md5sums_paths(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once(char::is_whitespace))
        .map(|(_, p)| format!("/{}", p.trim_start().trim_start_matches('/')))
        .collect()
}

fn apk_packages(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut cur: Option<Package> = None;
    let mut dir = String::new();
    for line in text.lines().chain(std::iter::once("")) {
        if line.is_empty() {
            out.extend(cur.take());
            dir.clear();
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let p = cur.get_or_insert_with(|| Package {
            name: String::new(),
            version: String::new(),
            db: DbKind::Apk,
            files: Vec::new(),
            listed: true,
        });
        match key {
            "P" => p.name = value.to_string(),
            "V" => p.version = value.to_string(),
            "F" => {
                dir = value.trim_matches('/').to_string();
                p.files.push(format!("/{dir}"));
            }
            "R" if dir.is_empty() => p.files.push(format!("/{value}")),
            "R" => p.files.push(format!("/{dir}/{value}")),
            _ => {}
        }
    }
    out.retain(|p| !p.name.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_stanzas_skip_removed_packages() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1\nDescription: x\n more\n\nPackage: b\nStatus: deinstall ok config-files\n";
        let tree = Tree::default();
        let pkgs: Vec<Package> = stanzas(text)
            .iter()
            .filter_map(|s| dpkg_package(s, &tree, DbKind::Dpkg))
            .collect();
        assert_eq!(pkgs.len(), 1);
        assert_eq!(
            (pkgs[0].name.as_str(), pkgs[0].version.as_str()),
            ("a", "1")
        );
        assert!(!pkgs[0].listed);
    }

    #[test]
    fn apk_files_are_directory_and_name() {
        let text = "C:Q1x\nP:busybox\nV:1.36-r0\nF:bin\nR:busybox\nF:etc/busybox-paths.d\nR:busybox\n\nP:meta\nV:1\n";
        let pkgs = apk_packages(text);
        assert_eq!(pkgs.len(), 2);
        assert_eq!(
            pkgs[0].files,
            [
                "/bin",
                "/bin/busybox",
                "/etc/busybox-paths.d",
                "/etc/busybox-paths.d/busybox"
            ]
        );
        assert!(pkgs[1].files.is_empty());
    }

    #[test]
    fn md5sums_lists_paths() {
        assert_eq!(
            md5sums_paths("d41d8cd98f00b204e9800998ecf8427e  usr/bin/x\n"),
            ["/usr/bin/x"]
        );
    }
}
