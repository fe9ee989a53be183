//! apk-tools' own version vectors (`test/unit/version.data`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::cmp::Ordering;

use whittle_apk::version::{compare, fuzzy_matches, is_valid, ApkVersionScheme};
use whittle_model::{Op, VersionScheme};
use whittle_test_env::fixtures;

/// apk-tools' version vectors, relative to the fixtures folder.
const DATA: &str = "apk/apk-tools-gpl2/version.data";

/// One vector line: `A op B`, `V` (valid) or `!V` (invalid).
fn check(line: &str) -> Result<(), String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [v] => match v.strip_prefix('!') {
            Some(bad) => (!is_valid(bad))
                .then_some(())
                .ok_or("should be invalid".into()),
            None => is_valid(v).then_some(()).ok_or("should be valid".into()),
        },
        [a, op, b] => {
            let (negate, op) = match op.strip_prefix('!') {
                Some(o) => (true, o),
                None => (false, *op),
            };
            let ok = match op {
                "<" => compare(a, b) == Ordering::Less,
                ">" => compare(a, b) == Ordering::Greater,
                "=" => compare(a, b) == Ordering::Equal,
                "~" => fuzzy_matches(a, b),
                "<~" => !fuzzy_matches(a, b) && compare(a, b) == Ordering::Less,
                ">~" => !fuzzy_matches(a, b) && compare(a, b) == Ordering::Greater,
                other => return Err(format!("unknown op {other}")),
            };
            (ok != negate).then_some(()).ok_or_else(|| {
                format!(
                    "got compare={:?} fuzzy={}",
                    compare(a, b),
                    fuzzy_matches(a, b)
                )
            })
        }
        [] => Ok(()),
        _ => Err("unparsable line".into()),
    }
}

#[test]
fn all_apk_tools_version_vectors_pass() {
    let text = fs_err::read_to_string(fixtures::path(DATA)).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        checked += 1;
        if let Err(e) = check(line) {
            failures.push(format!("line {}: {line}: {e}", i + 1));
        }
    }
    eprintln!("version.data: {checked} vectors checked");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 700);
}

#[test]
fn scheme_relations_and_prefix() {
    let s = ApkVersionScheme;
    assert!(s.matches("1.2.3-r0", Op::Ge, "1.2"));
    assert!(s.matches("1.2_rc1", Op::Lt, "1.2"));
    assert!(s.matches("3.11.9-r0", Op::Prefix, "3.11"));
    assert!(!s.matches("3.110", Op::Prefix, "3.11"));
    assert!(!s.matches("3.12.0", Op::Prefix, "3.11"));
    assert!(s.matches("1.0-r1", Op::Eq, "1.0-r1"));
    assert_eq!(s.compare("1.0~abc-r1", "1.0~abc-r0"), Ordering::Greater);
}
