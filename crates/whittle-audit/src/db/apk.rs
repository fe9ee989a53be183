//! apk's database: `lib/apk/db/installed` (apk-tools' `apk-v2`
//! installed-database format: `P:` name, `V:` version, `A:` arch, `I:`
//! installed bytes, `o:` origin, `L:` licence, `m:` maintainer, `F:`
//! directory, `R:` file in it).

use super::{content, Database, DbKind, Package};
use crate::tree::Tree;

/// Add apk's database of `tree` to `db`.
pub(super) fn read(tree: &Tree, db: &mut Database) {
    for key in ["lib/apk/db/installed", "usr/lib/apk/db/installed"] {
        // With /lib → usr/lib both names are one file.
        if tree.canonical(key) != key {
            continue;
        }
        if let Some(text) = content(tree, key) {
            db.kinds.push(DbKind::Apk);
            db.packages.extend(packages(&text));
        }
    }
}

fn packages(text: &str) -> Vec<Package> {
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
        let p = cur.get_or_insert_with(|| {
            let mut p = Package::new(DbKind::Apk);
            p.listed = true;
            p
        });
        let text = || (!value.is_empty()).then(|| value.to_string());
        match key {
            "P" => p.name = value.to_string(),
            "V" => p.version = value.to_string(),
            "A" => p.arch = value.to_string(),
            "I" => p.installed_size = value.trim().parse().ok(),
            "o" => p.source = text().map(|o| (o, String::new())),
            "L" => p.license = text(),
            "m" => p.maintainer = text(),
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
    // The origin's version is the package's (apk builds every subpackage
    // of an origin at one version); no origin means the package is its own.
    for p in &mut out {
        let source = p.source.take().map_or(p.name.clone(), |(o, _)| o);
        p.source = Some((source, p.version.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apk_records_with_files_sizes_and_origins() {
        let text = "C:Q1x\nP:busybox\nV:1.36-r0\nA:x86_64\nI:1024\nL:GPL-2.0-only\nm:Jane <j@x>\no:busybox-src\nF:bin\nR:busybox\nF:etc/busybox-paths.d\nR:busybox\n\nP:meta\nV:1\n";
        let pkgs = packages(text);
        assert_eq!(pkgs.len(), 2);
        let b = &pkgs[0];
        assert_eq!(
            b.files,
            [
                "/bin",
                "/bin/busybox",
                "/etc/busybox-paths.d",
                "/etc/busybox-paths.d/busybox"
            ]
        );
        assert_eq!((b.arch.as_str(), b.installed_size), ("x86_64", Some(1024)));
        assert_eq!(b.source, Some(("busybox-src".into(), "1.36-r0".into())));
        assert_eq!(b.license.as_deref(), Some("GPL-2.0-only"));
        assert_eq!(b.maintainer.as_deref(), Some("Jane <j@x>"));
        assert!(pkgs[1].files.is_empty());
        assert_eq!(pkgs[1].source, Some(("meta".into(), "1".into())));
    }
}
