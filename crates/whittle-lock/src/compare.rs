//! What changed between two locks of the same recipe: the question
//! `whittle check` answers.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::file::{Lock, LockedPackage};

/// How a package changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Only the new resolution has it.
    Added,
    /// Only the old one has it.
    Removed,
    /// Both have it, at different versions (or from different files).
    Changed,
}

/// One package that differs, for one architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The architecture, as the world names it.
    pub arch: String,
    /// Package name.
    pub name: String,
    /// How it changed.
    pub kind: ChangeKind,
    /// The locked version.
    pub old: Option<String>,
    /// The version a fresh resolution picks.
    pub new: Option<String>,
    /// The repository (suite) the new version comes from.
    pub repository: Option<String>,
    /// Whether that repository is a security-update source.
    pub security: bool,
}

/// Every installed package that differs between `old` and `new`, by
/// architecture then name. Packages the recipe excludes are not compared:
/// the image holds none of them.
pub fn compare(old: &Lock, new: &Lock) -> Vec<Change> {
    let mut archs = old.architectures();
    for a in new.architectures() {
        if !archs.contains(&a) {
            archs.push(a);
        }
    }
    let mut out = Vec::new();
    for arch in &archs {
        let before = installed(old, arch);
        let after = installed(new, arch);
        let mut names: Vec<&str> = before.keys().chain(after.keys()).copied().collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let (b, a) = (before.get(name), after.get(name));
            let kind = match (b, a) {
                (Some(b), Some(a)) if same_package(b, a) => continue,
                (Some(_), Some(_)) => ChangeKind::Changed,
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Removed,
                (None, None) => continue,
            };
            let (repository, security) =
                a.map(|p| source_of(new, arch, p)).unwrap_or((None, false));
            out.push(Change {
                arch: arch.clone(),
                name: name.to_string(),
                kind,
                old: b.map(|p| p.version.clone()),
                new: a.map(|p| p.version.clone()),
                repository,
                security,
            });
        }
    }
    out
}

fn installed<'a>(lock: &'a Lock, arch: &'a str) -> BTreeMap<&'a str, &'a LockedPackage> {
    lock.packages_for(arch)
        .filter(|p| !p.excluded)
        .map(|p| (p.name.as_str(), p))
        .collect()
}

/// Same version and, where both state one, the same file: a package
/// rebuilt under the same version (a new digest) is a change too.
fn same_package(a: &LockedPackage, b: &LockedPackage) -> bool {
    a.version == b.version
        && match (&a.sha256, &b.sha256) {
            (Some(x), Some(y)) => x == y,
            _ => match (&a.checksum, &b.checksum) {
                (Some(x), Some(y)) => x == y,
                _ => true,
            },
        }
}

/// The repository a package came from: its record's source position
/// looked up among the lock's repositories for `arch`.
fn source_of(lock: &Lock, arch: &str, p: &LockedPackage) -> (Option<String>, bool) {
    let Some(pos) = p.record.as_ref().map(|r| r.repo) else {
        return (None, false);
    };
    lock.repositories_for(arch)
        .find(|r| r.source == Some(pos))
        .map_or((None, false), |r| (Some(r.name.clone()), r.security))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::{Contents, LockConfig, LockedRepository};
    use whittle_model::PackageRecord;

    fn pkg(name: &str, version: &str, repo: usize) -> LockedPackage {
        let mut record = PackageRecord::new(name, version);
        record.repo = repo;
        LockedPackage {
            name: name.into(),
            url: format!("http://x/{name}_{version}.deb"),
            version: version.into(),
            architecture: "amd64".into(),
            signature: None,
            control: None,
            data: None,
            checksum: None,
            size: None,
            sha256: Some(format!("{name}{version}")),
            parts: Vec::new(),
            excluded: false,
            record: Some(record),
        }
    }

    fn lock(packages: Vec<LockedPackage>) -> Lock {
        let repo = |name: &str, source, security| LockedRepository {
            name: name.into(),
            url: format!("http://x/dists/{name}/InRelease"),
            architecture: "amd64".into(),
            world: Some("deb".into()),
            source: Some(source),
            base: None,
            digest: None,
            security,
        };
        Lock {
            version: "v1".into(),
            config: LockConfig {
                name: "r.yaml".into(),
                checksum: String::new(),
            },
            contents: Contents {
                repositories: vec![
                    repo("bookworm", 0, false),
                    repo("bookworm-security", 1, true),
                ],
                packages,
                ..Contents::default()
            },
            whittle: None,
        }
    }

    #[test]
    fn changes_name_their_suite_and_security() {
        let old = lock(vec![pkg("libc6", "2.36-9", 0), pkg("gone", "1", 0)]);
        let new = lock(vec![pkg("libc6", "2.36-9+deb12u4", 1), pkg("new", "2", 0)]);
        let changes = compare(&old, &new);
        let libc = changes.iter().find(|c| c.name == "libc6").expect("libc6");
        assert_eq!(libc.kind, ChangeKind::Changed);
        assert_eq!(libc.old.as_deref(), Some("2.36-9"));
        assert_eq!(libc.new.as_deref(), Some("2.36-9+deb12u4"));
        assert_eq!(libc.repository.as_deref(), Some("bookworm-security"));
        assert!(libc.security);
        let kinds: Vec<(&str, ChangeKind)> =
            changes.iter().map(|c| (c.name.as_str(), c.kind)).collect();
        assert!(kinds.contains(&("gone", ChangeKind::Removed)));
        assert!(kinds.contains(&("new", ChangeKind::Added)));
        assert!(compare(&old, &old).is_empty());
    }

    #[test]
    fn a_rebuilt_file_under_the_same_version_is_a_change() {
        let old = lock(vec![pkg("a", "1", 0)]);
        let mut p = pkg("a", "1", 0);
        p.sha256 = Some("other".into());
        let changes = compare(&old, &lock(vec![p]));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind, ChangeKind::Changed);
    }
}
