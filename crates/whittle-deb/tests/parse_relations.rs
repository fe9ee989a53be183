//! Relationship fields: operators, alternatives, qualifiers, restrictions.

// Helpers outside #[test] functions may unwrap and print too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use whittle_deb::relations::{
    format_dependency, parse_conflicts, parse_dependencies, parse_provides,
};
use whittle_model::{Op, Provide, Requirement};

fn deps(field: &str) -> Vec<String> {
    parse_dependencies(field, "amd64")
        .unwrap()
        .iter()
        .map(format_dependency)
        .collect()
}

#[test]
fn operators_and_alternatives() {
    let d = parse_dependencies(
        "a (<< 1), b (<= 2), c (= 3), d (>= 4), e (>> 5), f (< 6), g (> 7), h",
        "amd64",
    )
    .unwrap();
    let got: Vec<_> = d.iter().map(|d| d.alternatives[0].clone()).collect();
    assert_eq!(
        got,
        vec![
            Requirement::with("a", Op::Lt, "1"),
            Requirement::with("b", Op::Le, "2"),
            Requirement::with("c", Op::Eq, "3"),
            Requirement::with("d", Op::Ge, "4"),
            Requirement::with("e", Op::Gt, "5"),
            Requirement::with("f", Op::Le, "6"), // obsolete `<` means `<=`
            Requirement::with("g", Op::Ge, "7"), // obsolete `>` means `>=`
            Requirement::any("h"),
        ]
    );
    assert_eq!(
        deps("debconf (>= 0.5) | debconf-2.0, libc6 (>= 2.36)"),
        ["debconf (>= 0.5) | debconf-2.0", "libc6 (>= 2.36)"]
    );
}

#[test]
fn whitespace_and_newlines() {
    assert_eq!(
        deps("  a(>=1.0) ,\n b\t(  <<  2:3.0~rc1-1 )|c ,\n"),
        ["a (>= 1.0)", "b (<< 2:3.0~rc1-1) | c"]
    );
    assert!(parse_dependencies("", "amd64").unwrap().is_empty());
    assert!(parse_dependencies(" \n ", "amd64").unwrap().is_empty());
    // A trailing comma (common in debian/control) is tolerated.
    assert_eq!(deps("a, b,"), ["a", "b"]);
}

#[test]
fn arch_qualifiers() {
    assert_eq!(
        deps("perl:any, python3:native (>= 3.11), gcc:amd64 | gcc-x86-64-linux-gnu, libwine:i386 (= 8.0)"),
        ["perl", "python3 (>= 3.11)", "gcc | gcc-x86-64-linux-gnu", "libwine:i386 (= 8.0)"]
    );
    assert_eq!(
        parse_conflicts("libc6-i386:x32, libc6-x32:i386", "amd64").unwrap(),
        vec![
            Requirement::any("libc6-i386:x32"),
            Requirement::any("libc6-x32:i386")
        ]
    );
}

#[test]
fn arch_restrictions() {
    let f = "a [amd64], b [!amd64], c [i386 arm64] | d, e [!i386 !arm64], f [linux-any], g [any-amd64], h [any-i386]";
    assert_eq!(
        parse_dependencies(f, "amd64")
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["a", "d", "e", "f", "g"]
    );
    assert_eq!(
        parse_dependencies(f, "i386")
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["b", "c | d", "f", "h"]
    );
    assert_eq!(deps("x (>= 1) [amd64] | y"), ["x (>= 1) | y"]);
    assert!(parse_dependencies("a [amd64 !i386]", "amd64").is_err());
}

#[test]
fn build_profiles() {
    assert_eq!(
        deps("a <!nocheck>, b <stage1>, c <stage1> <!nocheck>, d [amd64] <!cross !nocheck>, e <cross nocheck>"),
        ["a", "c", "d"]
    );
}

#[test]
fn provides_and_conflicts() {
    assert_eq!(
        parse_provides(
            "python3-profiler, python3-supported-max (= 3.11), python3-supported-min (= 3.11)",
            "amd64"
        )
        .unwrap(),
        vec![
            Provide {
                name: "python3-profiler".into(),
                version: None
            },
            Provide {
                name: "python3-supported-max".into(),
                version: Some("3.11".into())
            },
            Provide {
                name: "python3-supported-min".into(),
                version: Some("3.11".into())
            },
        ]
    );
    assert!(parse_provides("a (>= 1)", "amd64").is_err());
    assert!(parse_provides("a | b", "amd64").is_err());
    assert_eq!(
        parse_conflicts("dpkg (<< 1.22), x", "amd64").unwrap(),
        vec![
            Requirement::with("dpkg", Op::Lt, "1.22"),
            Requirement::any("x")
        ]
    );
    assert!(parse_conflicts("a | b", "amd64").is_err());
}

#[test]
fn errors_name_the_relation() {
    for bad in [
        "a (>= 1",
        "a (~ 1)",
        "a (>=)",
        "a | | b",
        "a b",
        "(>= 1)",
        "a [amd64",
        "a <stage1",
        "a:",
        "a (>= 1 2)",
        "a []",
        "ä",
    ] {
        let e = parse_dependencies(bad, "amd64").unwrap_err();
        assert!(!e.reason.is_empty(), "{bad:?}");
        assert!(e.to_string().contains(bad.trim()), "{e}");
    }
    let e = parse_dependencies("good, bad (>= 1", "amd64").unwrap_err();
    assert_eq!(e.relation, "bad (>= 1");
}
