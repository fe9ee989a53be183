//! dpkg's database as dpkg reads it: `var/lib/dpkg/status` with
//! `info/NAME[:ARCH].list` (`dpkg(1)` FILES, `deb-status(5)`), and
//! distroless's `var/lib/dpkg/status.d/NAME` with `NAME.md5sums`.

use std::collections::BTreeMap;

use super::{content, Database, DbKind, Package};
use crate::tree::{EntryKind, Tree};

/// Add the dpkg databases of `tree` to `db`.
pub(super) fn read(tree: &Tree, db: &mut Database) {
    if let Some(text) = content(tree, "var/lib/dpkg/status") {
        db.kinds.push(DbKind::Dpkg);
        for stanza in stanzas(&text) {
            if let Some(mut p) = package(&stanza, DbKind::Dpkg) {
                let list = content(
                    tree,
                    &format!("var/lib/dpkg/info/{}:{}.list", p.name, p.arch),
                )
                .or_else(|| content(tree, &format!("var/lib/dpkg/info/{}.list", p.name)));
                p.listed = list.is_some();
                p.files = list.map(|l| list_paths(&l)).unwrap_or_default();
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
            if let Some(mut p) = package(&stanza, DbKind::DpkgStatusD) {
                let sums = content(tree, &format!("{key}.md5sums"));
                p.listed = sums.is_some();
                p.files = sums.map(|s| md5sums_paths(&s)).unwrap_or_default();
                db.packages.push(p);
            }
        }
    }
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

/// A dpkg stanza as a package (None when it is not installed:
/// `config-files`, `not-installed`). `Installed-Size` is in KiB.
fn package(stanza: &BTreeMap<String, String>, db: DbKind) -> Option<Package> {
    let name = stanza.get("Package")?.clone();
    if let Some(status) = stanza.get("Status") {
        let state = status.split_whitespace().last().unwrap_or("");
        if matches!(state, "not-installed" | "config-files") {
            return None;
        }
    }
    let field = |k: &str| stanza.get(k).filter(|v| !v.is_empty()).cloned();
    let mut p = Package::new(db);
    p.version = field("Version").unwrap_or_default();
    p.arch = field("Architecture").unwrap_or_default();
    p.installed_size = field("Installed-Size")
        .and_then(|k| k.trim().parse::<u64>().ok())
        .map(|kib| kib.saturating_mul(1024));
    p.source = field("Source").and_then(|s| source(&s, &p.version));
    p.maintainer = field("Maintainer");
    p.name = name;
    Some(p)
}

/// `Source: name [(version)]`; the version defaults to the binary's.
fn source(field: &str, version: &str) -> Option<(String, String)> {
    let (name, v) = match field.split_once('(') {
        None => (field.trim(), version),
        Some((n, v)) => (n.trim(), v.trim().trim_end_matches(')').trim()),
    };
    (!name.is_empty()).then(|| (name.to_string(), v.to_string()))
}

/// The paths of an `info/*.list` (one absolute path a line; `/.` is the
/// root and left out).
fn list_paths(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|p| !p.is_empty() && *p != "/.")
        .map(str::to_string)
        .collect()
}

/// The paths of an `md5sums` file (`HASH  path`, path relative to `/`).
fn md5sums_paths(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once(char::is_whitespace))
        .map(|(_, p)| format!("/{}", p.trim_start().trim_start_matches('/')))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_stanzas_skip_removed_packages_and_read_sizes_and_sources() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1-2\nArchitecture: amd64\nInstalled-Size: 3\nSource: a-src (1-1)\nMaintainer: M <m@x>\nDescription: x\n more\n\nPackage: b\nStatus: deinstall ok config-files\n\nPackage: c\nVersion: 2\nSource: c-src\n";
        let pkgs: Vec<Package> = stanzas(text)
            .iter()
            .filter_map(|s| package(s, DbKind::Dpkg))
            .collect();
        assert_eq!(pkgs.len(), 2);
        let a = &pkgs[0];
        assert_eq!((a.name.as_str(), a.version.as_str()), ("a", "1-2"));
        assert_eq!(a.arch, "amd64");
        assert_eq!(a.installed_size, Some(3072));
        assert_eq!(a.source, Some(("a-src".into(), "1-1".into())));
        assert_eq!(a.maintainer.as_deref(), Some("M <m@x>"));
        assert!(!a.listed);
        assert_eq!(pkgs[1].source, Some(("c-src".into(), "2".into())));
    }

    #[test]
    fn md5sums_lists_paths() {
        assert_eq!(
            md5sums_paths("d41d8cd98f00b204e9800998ecf8427e  usr/bin/x\n"),
            ["/usr/bin/x"]
        );
        assert_eq!(list_paths("/.\n/usr\n/usr/bin/x\n"), ["/usr", "/usr/bin/x"]);
    }
}
