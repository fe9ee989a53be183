//! Packages added, removed and changed between two package sets of one
//! platform, with installed sizes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::pkgset::SetPackage;

/// How the packages of one platform differ.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PackageChanges {
    /// Only B has them.
    pub added: Vec<SetPackage>,
    /// Only A has them.
    pub removed: Vec<SetPackage>,
    /// Both have them, at another version or architecture.
    pub changed: Vec<ChangedPackage>,
    /// How many both have alike.
    pub unchanged: usize,
    /// Installed size of every package, each side.
    pub size: SizeTotals,
}

impl PackageChanges {
    /// Whether the two sides have the same packages.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// A package both sides have, differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedPackage {
    /// The name.
    pub name: String,
    /// A's version.
    pub old_version: String,
    /// B's version.
    pub new_version: String,
    /// A's architecture.
    pub old_arch: String,
    /// B's architecture.
    pub new_arch: String,
    /// A's installed size in bytes, when known.
    pub old_size: Option<u64>,
    /// B's installed size in bytes, when known.
    pub new_size: Option<u64>,
}

/// Installed bytes of all packages, each side; packages without a known
/// size count as 0 and are counted apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SizeTotals {
    /// A's total.
    pub a: u64,
    /// B's total.
    pub b: u64,
    /// `b - a`.
    pub delta: i64,
    /// A's packages without a known size.
    pub a_unknown: usize,
    /// B's packages without a known size.
    pub b_unknown: usize,
}

/// Compare A's packages with B's (both keyed as in
/// [`crate::PackageSet`]).
pub(crate) fn compare(
    a: &BTreeMap<String, SetPackage>,
    b: &BTreeMap<String, SetPackage>,
) -> PackageChanges {
    let mut out = PackageChanges::default();
    for (key, old) in a {
        match b.get(key) {
            None => out.removed.push(old.clone()),
            Some(new) if new.version == old.version && new.arch == old.arch => out.unchanged += 1,
            Some(new) => out.changed.push(ChangedPackage {
                name: old.name.clone(),
                old_version: old.version.clone(),
                new_version: new.version.clone(),
                old_arch: old.arch.clone(),
                new_arch: new.arch.clone(),
                old_size: old.size,
                new_size: new.size,
            }),
        }
    }
    out.added = b
        .iter()
        .filter(|(k, _)| !a.contains_key(*k))
        .map(|(_, p)| p.clone())
        .collect();
    let total = |set: &BTreeMap<String, SetPackage>| {
        let known: u64 = set.values().filter_map(|p| p.size).sum();
        let unknown = set.values().filter(|p| p.size.is_none()).count();
        (known, unknown)
    };
    let ((a_total, a_unknown), (b_total, b_unknown)) = (total(a), total(b));
    out.size = SizeTotals {
        a: a_total,
        b: b_total,
        delta: signed(b_total) - signed(a_total),
        a_unknown,
        b_unknown,
    };
    out
}

/// Bytes as a signed count (sizes beyond `i64::MAX` saturate).
pub(crate) fn signed(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[(&str, &str, Option<u64>)]) -> BTreeMap<String, SetPackage> {
        items
            .iter()
            .map(|(n, v, s)| {
                (
                    (*n).to_string(),
                    SetPackage {
                        name: (*n).into(),
                        version: (*v).into(),
                        arch: "amd64".into(),
                        size: *s,
                        source: None,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn added_removed_changed_and_sizes() {
        let a = set(&[
            ("same", "1", Some(10)),
            ("old", "1", Some(5)),
            ("up", "1", Some(100)),
        ]);
        let b = set(&[
            ("same", "1", Some(10)),
            ("new", "2", None),
            ("up", "2", Some(150)),
        ]);
        let d = compare(&a, &b);
        assert_eq!(d.unchanged, 1);
        assert_eq!(d.removed.len(), 1);
        assert_eq!(d.added[0].name, "new");
        assert_eq!(
            (
                d.changed[0].old_version.as_str(),
                d.changed[0].new_version.as_str()
            ),
            ("1", "2")
        );
        assert_eq!(
            d.size,
            SizeTotals {
                a: 115,
                b: 160,
                delta: 45,
                a_unknown: 0,
                b_unknown: 1
            }
        );
        assert!(!d.is_empty());
        assert!(compare(&a, &a).is_empty());
    }
}
