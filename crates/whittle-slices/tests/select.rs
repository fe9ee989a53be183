//! Selections: closure, order, architectures, errors.
#![allow(clippy::unwrap_used)]

mod common;

use common::ok;
use whittle_slices::{SliceError, SliceKey};

fn k(s: &str) -> SliceKey {
    SliceKey::parse(s).unwrap()
}

fn names(keys: &[SliceKey]) -> Vec<String> {
    keys.iter().map(ToString::to_string).collect()
}

const RELEASE: &[(&str, &str)] = &[
    ("base-files", "package: base-files\nessential: [base-files_copyright]\nslices:\n  base:\n    essential: [base-files_lib, base-files_bin]\n  lib:\n  bin:\n  copyright:\n"),
    ("libc6", "package: libc6\nessential: [libc6_copyright]\nslices:\n  libs:\n    essential: [base-files_lib]\n  copyright:\n"),
    ("python3", "package: python3\nslices:\n  core:\n    essential: [libc6_libs, base-files_base]\n    v3-essential:\n      libamd_libs: {arch: amd64}\n"),
    ("libamd", "package: libamd\nslices:\n  libs:\n"),
];

#[test]
fn closure_in_dependency_order() {
    let r = ok("v1", RELEASE);
    let s = r.select(&[k("python3_core")], "arm64").unwrap();
    assert_eq!(
        names(&s.slices),
        [
            "base-files_copyright",
            "base-files_bin",
            "base-files_lib",
            "base-files_base",
            "libc6_copyright",
            "libc6_libs",
            "python3_core",
        ]
    );
    assert_eq!(s.arch, "arm64");
    assert_eq!(s.packages(), ["base-files", "libc6", "python3"]);
    assert_eq!(
        names(
            &s.slices_of("libc6")
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        ),
        ["libc6_copyright", "libc6_libs"]
    );
    // Every essential comes before the slice needing it.
    for (i, key) in s.slices.iter().enumerate() {
        for e in &r.slice(key).unwrap().essential {
            if e.applies_to("arm64") {
                let j = s.slices.iter().position(|x| x == &e.slice).unwrap();
                assert!(j < i, "{} before {key}", e.slice);
            }
        }
    }
    // Deterministic, whatever order the request came in.
    let again = r
        .select(
            &[k("libc6_libs"), k("python3_core"), k("libc6_libs")],
            "arm64",
        )
        .unwrap();
    assert_eq!(again, s);
}

#[test]
fn arch_qualified_essentials() {
    let r = ok("v1", RELEASE);
    let amd = r.select(&[k("python3_core")], "amd64").unwrap();
    assert!(amd.slices.contains(&k("libamd_libs")));
    let arm = r.select(&[k("python3_core")], "arm64").unwrap();
    assert!(!arm.slices.contains(&k("libamd_libs")));
}

#[test]
fn unknown_names_suggest_the_closest() {
    let r = ok("v1", RELEASE);
    let e = r.select(&[k("libc7_libs")], "amd64").unwrap_err();
    assert!(
        matches!(&e, SliceError::UnknownPackage { suggestion: Some(s), .. } if s == "libc6"),
        "{e}"
    );
    assert!(e.to_string().contains("did you mean libc6?"), "{e}");
    let e = r.select(&[k("libc6_lib")], "amd64").unwrap_err();
    assert!(e.to_string().contains("slice libc6_lib not found"), "{e}");
    assert!(e.to_string().contains("did you mean libc6_libs?"), "{e}");
    assert!(e.to_string().contains("libc6.yaml"), "{e}");
    let e = r.select(&[k("libc6_zzzzzz")], "amd64").unwrap_err();
    assert!(!e.to_string().contains("did you mean"), "{e}");
    let e = r.select(&[k("libc6_libs")], "x86").unwrap_err();
    assert!(matches!(e, SliceError::InvalidArch { .. }));
}

#[test]
fn missing_essential_and_cycles() {
    let r = ok(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    essential: [bar_libs]\n",
        )],
    );
    let e = r.select(&[k("foo_bins")], "amd64").unwrap_err().to_string();
    assert!(
        e.contains("foo_bins requires bar_libs, but slice is missing"),
        "{e}"
    );
    let r = ok(
        "v1",
        &[
            (
                "aaa",
                "package: aaa\nslices:\n  one:\n    essential: [bbb_one]\n",
            ),
            (
                "bbb",
                "package: bbb\nslices:\n  one:\n    essential: [ccc_one]\n",
            ),
            (
                "ccc",
                "package: ccc\nslices:\n  one:\n    v3-essential:\n      aaa_one: {arch: amd64}\n",
            ),
        ],
    );
    let e = r.select(&[k("aaa_one")], "amd64").unwrap_err().to_string();
    assert!(
        e.contains("essential loop detected: aaa_one, bbb_one, ccc_one"),
        "{e}"
    );
    // On another architecture the edge closing the cycle is not there.
    assert_eq!(r.select(&[k("aaa_one")], "arm64").unwrap().slices.len(), 3);
}

#[test]
fn unknown_generate_kind_fails_only_when_selected() {
    let r = ok(
        "v1",
        &[("foo", "package: foo\nslices:\n  odd:\n    contents:\n      /var/x/**: {generate: other}\n  fine:\n")],
    );
    r.select(&[k("foo_fine")], "amd64").unwrap();
    let e = r.select(&[k("foo_odd")], "amd64").unwrap_err().to_string();
    assert!(e.contains("invalid 'generate'"), "{e}");
}
