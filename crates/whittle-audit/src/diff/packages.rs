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
    /// Whether B's version is newer or older, by the world's own ordering
    /// (absent when the two sides are of different or unknown worlds, or
    /// only the architecture changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
}

/// Which way a version moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// B's is newer.
    Upgrade,
    /// B's is older.
    Downgrade,
}

/// How `old` → `new` moved, when both are of one world.
fn direction(old: &SetPackage, new: &SetPackage) -> Option<Direction> {
    let world = old.world.filter(|w| Some(*w) == new.world)?;
    match world.compare_versions(&old.version, &new.version) {
        std::cmp::Ordering::Less => Some(Direction::Upgrade),
        std::cmp::Ordering::Greater => Some(Direction::Downgrade),
        std::cmp::Ordering::Equal => None,
    }
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
                direction: direction(old, new),
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
                        world: Some(crate::World::Deb),
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
        assert_eq!(d.changed[0].direction, Some(Direction::Upgrade));
        assert!(!d.is_empty());
        assert!(compare(&a, &a).is_empty());
    }

    #[test]
    fn each_world_orders_its_own_versions() {
        let pair = |world, old: &str, new: &str| {
            let mut a = set(&[("p", old, None)]);
            let mut b = set(&[("p", new, None)]);
            for s in [&mut a, &mut b] {
                s.get_mut("p").unwrap().world = Some(world);
            }
            compare(&a, &b).changed[0].direction
        };
        use crate::World::{Apk, Deb, Rpm};
        // dpkg: a tilde sorts before anything, so ~rc1 is older.
        assert_eq!(pair(Deb, "1.0", "1.0~rc1"), Some(Direction::Downgrade));
        assert_eq!(pair(Deb, "1:0.9", "1.0"), Some(Direction::Downgrade));
        // apk-tools: _rc before the release, -r2 after -r1.
        assert_eq!(pair(Apk, "1.2_rc1-r0", "1.2-r0"), Some(Direction::Upgrade));
        assert_eq!(pair(Apk, "1.2-r2", "1.2-r10"), Some(Direction::Upgrade));
        // rpm: the epoch wins.
        assert_eq!(pair(Rpm, "1:1.0-1", "2.0-1"), Some(Direction::Downgrade));
        // Different worlds: no direction.
        let a = set(&[("p", "1", None)]);
        let mut b = set(&[("p", "2", None)]);
        b.get_mut("p").unwrap().world = Some(Apk);
        assert_eq!(compare(&a, &b).changed[0].direction, None);
    }
}
