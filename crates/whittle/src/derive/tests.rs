//! Roots, cycles, provider repairs, pins and the difference, on records
//! held in memory.
#![allow(clippy::unwrap_used)]

use std::cmp::Ordering;

use whittle_model::{Dependency, PackageRecord, Provide, Requirement, VersionScheme};
use whittle_recipe::Arch;
use whittle_solve::Rules;

use super::*;

/// Dotted numbers compared part by part.
struct Numeric;

impl VersionScheme for Numeric {
    fn compare(&self, a: &str, b: &str) -> Ordering {
        let parts =
            |s: &str| -> Vec<u64> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
        parts(a).cmp(&parts(b))
    }
}

fn rec(name: &str, version: &str, deps: &[&str]) -> PackageRecord {
    let mut r = PackageRecord::new(name, version);
    for d in deps {
        let alts = d
            .split('|')
            .map(|a| Requirement::parse_simple(a).unwrap())
            .collect();
        r.depends.push(Dependency::any_of(alts));
    }
    r
}

fn provides(mut r: PackageRecord, name: &str, priority: i64) -> PackageRecord {
    r.provides.push(Provide {
        name: name.into(),
        version: None,
    });
    r.provider_priority = priority;
    r
}

fn target(list: &[(&str, &str)]) -> Vec<TargetPackage> {
    list.iter()
        .map(|(n, v)| TargetPackage {
            name: (*n).into(),
            version: (*v).into(),
        })
        .collect()
}

fn derive(records: &[PackageRecord], t: &[TargetPackage], pin: bool) -> Derivation {
    let inputs = Inputs {
        records,
        scheme: &Numeric,
        rules: Rules::default(),
        exclude: &[],
    };
    derive_from(&inputs, Arch::Amd64, t, pin).unwrap()
}

fn specs(d: &Derivation) -> Vec<String> {
    d.requests.iter().map(DerivedRequest::spec).collect()
}

/// app → lib → base, app → awk (mawk preferred, gawk → gawk-common),
/// tool → lib, and a cycle a ⇄ b beside them.
fn world() -> Vec<PackageRecord> {
    vec![
        rec("app", "1", &["lib >= 1", "awk"]),
        rec("lib", "1", &["base"]),
        rec("lib", "2", &["base"]),
        rec("base", "1", &[]),
        provides(rec("mawk", "1", &[]), "awk", 10),
        provides(rec("gawk", "5", &["gawk-common"]), "awk", 1),
        rec("gawk-common", "5", &[]),
        rec("tool", "1", &["lib"]),
        rec("a", "1", &["b"]),
        rec("b", "1", &["a", "base"]),
        rec("extra", "1", &[]),
        rec("needs-extra", "1", &["extra"]),
    ]
}

#[test]
fn a_chain_derives_its_top_packages() {
    let t = target(&[
        ("app", "1"),
        ("lib", "2"),
        ("base", "1"),
        ("mawk", "1"),
        ("tool", "1"),
    ]);
    let d = derive(&world(), &t, false);
    assert_eq!(specs(&d), ["app", "tool"]);
    assert_eq!(d.roots, 2);
    assert!(d.difference.is_empty(), "{}", d.difference.to_text());
}

#[test]
fn a_cycle_no_root_reaches_is_requested_once() {
    let t = target(&[
        ("a", "1"),
        ("b", "1"),
        ("base", "1"),
        ("tool", "1"),
        ("lib", "2"),
    ]);
    let d = derive(&world(), &t, false);
    // tool is a root; the cycle a ⇄ b is reached by nothing: `a` stands
    // for it.
    assert_eq!(specs(&d), ["a", "tool"]);
    assert!(d.difference.is_empty(), "{}", d.difference.to_text());
}

#[test]
fn another_provider_is_requested_and_the_list_stays_minimal() {
    // The solver would pick mawk for awk; the target has gawk, which needs
    // gawk-common. Both are missing after the first solve, both are
    // requested, and gawk-common is dropped again: gawk pulls it in.
    let t = target(&[
        ("app", "1"),
        ("lib", "2"),
        ("base", "1"),
        ("gawk", "5"),
        ("gawk-common", "5"),
    ]);
    let d = derive(&world(), &t, false);
    assert_eq!(specs(&d), ["app", "gawk"]);
    assert_eq!(d.roots, 1);
    assert_eq!(d.repaired, 2);
    assert!(d.difference.is_empty(), "{}", d.difference.to_text());
}

#[test]
fn pins_hold_the_targets_versions() {
    // lib 1 is served but not the newest: pinned, it is requested too.
    let t = target(&[("app", "1"), ("lib", "1"), ("base", "1"), ("mawk", "1")]);
    let d = derive(&world(), &t, true);
    assert_eq!(specs(&d), ["app=1", "lib=1"]);
    assert!(d.difference.is_empty(), "{}", d.difference.to_text());
    // Unpinned, the newest lib comes instead, and the report says so.
    let d = derive(&world(), &t, false);
    assert_eq!(specs(&d), ["app"]);
    assert_eq!(
        d.difference.changed,
        [Changed {
            name: "lib".into(),
            target: "1".into(),
            closure: "2".into()
        }]
    );
}

#[test]
fn differences_are_named_with_what_pulls_extras_in() {
    let t = target(&[
        ("needs-extra", "1"),
        ("ghost", "3"),
        ("base", "0.9"),
        ("tool", "1"),
        ("lib", "2"),
    ]);
    let d = derive(&world(), &t, false);
    // base is needed by lib: not a root, though its version is gone.
    assert_eq!(specs(&d), ["needs-extra", "tool"]);
    let diff = &d.difference;
    assert_eq!(diff.absent, target(&[("ghost", "3")]));
    assert_eq!(
        diff.unserved,
        [Unserved {
            name: "base".into(),
            wanted: "0.9".into(),
            newest: "1".into()
        }]
    );
    assert_eq!(diff.extra.len(), 1);
    assert_eq!(diff.extra[0].name, "extra");
    assert_eq!(diff.extra[0].chain, ["needs-extra", "extra"]);
    let text = diff.to_text();
    assert!(
        text.contains("absent: ghost 3 (no repository has this package)"),
        "{text}"
    );
    assert!(
        text.contains("unserved: base 0.9 (no longer served; newest is 1)"),
        "{text}"
    );
    assert!(
        text.contains("extra: extra 1 (pulled in by needs-extra: needs-extra → extra)"),
        "{text}"
    );
    // Pinned, an unserved version is a failure.
    let pinned = derive(&world(), &t, true);
    assert!(pinned.pin_failed(true));
    assert!(!d.pin_failed(false));
}
