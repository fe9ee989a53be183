//! Chisel's `var/lib/chisel/manifest.wall` (jsonwall, read with
//! `whittle_slices::manifest`): the packages a cut image was sliced from,
//! each with the paths of its slices (`pkg_slice` names the package).

use std::collections::BTreeMap;

use whittle_slices::manifest::{read_manifest, ManifestInput};

use super::{Database, DbKind, Package};
use crate::tree::Tree;

const MANIFEST: &str = "var/lib/chisel/manifest.wall";

/// Add the packages of Chisel's manifest in `tree` to `db`.
pub(super) fn read(tree: &Tree, db: &mut Database) {
    let Some(bytes) = tree.get(MANIFEST).and_then(|n| n.content.as_deref()) else {
        return;
    };
    let input = match read_manifest(bytes).and_then(|r| ManifestInput::from_records(&r)) {
        Ok(input) => input,
        Err(e) => {
            db.notes.push(format!(
                "/{MANIFEST} is not a Chisel manifest this reader understands ({e}); its packages are not listed"
            ));
            return;
        }
    };
    db.kinds.push(DbKind::Chisel);
    db.packages.extend(packages(&input));
}

fn packages(input: &ManifestInput) -> Vec<Package> {
    let mut files: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for path in &input.paths {
        let clean = path.path.trim_end_matches('/');
        let mut owners: Vec<&str> = path
            .slices
            .iter()
            .filter_map(|s| s.split_once('_').map(|(pkg, _)| pkg))
            .collect();
        owners.dedup();
        for pkg in owners {
            files.entry(pkg).or_default().push(clean.to_string());
        }
    }
    input
        .packages
        .iter()
        .map(|m| {
            let mut p = Package::new(DbKind::Chisel);
            p.name.clone_from(&m.name);
            p.version.clone_from(&m.version);
            p.arch.clone_from(&m.arch);
            p.digest = (!m.sha256.is_empty()).then(|| format!("sha256:{}", m.sha256));
            p.files = files.remove(m.name.as_str()).unwrap_or_default();
            p.listed = true;
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use whittle_slices::manifest::{ManifestPackage, ManifestPath};

    #[test]
    fn packages_get_their_slices_paths() {
        let input = ManifestInput {
            packages: vec![ManifestPackage {
                name: "base-files".into(),
                version: "13ubuntu10".into(),
                sha256: "ab".into(),
                arch: "amd64".into(),
            }],
            slices: vec!["base-files_base".into(), "base-files_chisel".into()],
            paths: vec![
                ManifestPath {
                    path: "/etc/".into(),
                    slices: vec!["base-files_base".into(), "base-files_chisel".into()],
                    ..ManifestPath::default()
                },
                ManifestPath {
                    path: "/var/lib/chisel/manifest.wall".into(),
                    slices: vec!["base-files_chisel".into()],
                    ..ManifestPath::default()
                },
            ],
            contents: Vec::new(),
        };
        let pkgs = packages(&input);
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].files, ["/etc", "/var/lib/chisel/manifest.wall"]);
        assert_eq!(pkgs[0].digest.as_deref(), Some("sha256:ab"));
    }

    /// Chisel's own cut of an Ubuntu python image: every package of its
    /// `packages.txt`, with the paths of its slices.
    #[test]
    fn chisels_own_manifest_lists_what_it_cut() {
        let dir = whittle_test_env::fixtures::path("chisel-cut-python");
        let bytes = fs_err::read(dir.join("manifest.wall")).unwrap();
        let input = ManifestInput::from_records(&read_manifest(&bytes).unwrap()).unwrap();
        let pkgs = packages(&input);
        let mut got: Vec<String> = pkgs
            .iter()
            .map(|p| format!("{} {} {}", p.name, p.version, p.arch))
            .collect();
        let mut want: Vec<String> = fs_err::read_to_string(dir.join("packages.txt"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        let python = pkgs
            .iter()
            .find(|p| p.name == "python3.12-minimal")
            .unwrap();
        assert!(
            python.files.iter().any(|f| f == "/usr/bin/python3.12"),
            "{:?}",
            python.files
        );
        assert!(pkgs
            .iter()
            .all(|p| p.digest.as_ref().is_some_and(|d| d.len() == 71)));
    }
}
