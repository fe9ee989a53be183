//! dpkg version ordering: a table of known comparisons and a cross-check
//! against this host's `dpkg --compare-versions`.

// Helpers outside #[test] functions may unwrap and print too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::cmp::Ordering::{self, Equal, Greater, Less};
use std::process::Command;

use whittle_deb::version::{compare_versions, parse, DebVersionScheme};
use whittle_model::{Op, VersionScheme};

const TABLE: &[(&str, &str, Ordering)] = &[
    ("1.0~rc1", "1.0", Less),
    ("1.0~rc1", "1.0~rc2", Less),
    ("1.0~~", "1.0~", Less),
    ("1.0~", "1.0", Less),
    ("1:0.1", "2.0", Greater),
    ("0:2.0", "2.0", Equal),
    ("2.36-9+deb12u14", "2.36-9+deb12u4", Greater),
    ("1.0-1", "1.0-1+b1", Less),
    ("3.4.4-1", "3.4", Greater),
    ("10.0.0", "9.9", Greater),
    ("1.2.3a", "1.2.3b", Less),
    ("1.0", "1.0-0", Equal),
    ("1.0", "1.0-1", Less),
    ("1.0-0", "1.0-00", Equal),
    ("1.0", "1.00", Equal),
    ("1.01", "1.1", Equal),
    ("1.0a", "1.0", Greater),
    ("1.0a", "1.0.", Less), // letters sort before non-letters
    ("1.0+", "1.0.", Less), // '+' (43) < '.' (46)
    ("1.0-a", "1.0-+", Less),
    ("2:1.0", "1:9.9", Greater),
    ("20250419~deb12u2", "20250419", Less),
    ("2026f-0+deb12u1", "2026a-0+deb12u1", Greater),
    ("3.0.22-1~deb12u2", "3.0.22-1", Less),
    ("3.0.22-1~deb12u2", "3.0.21-1", Greater),
    ("1:1.35.0-4+deb12u1+b1", "1:1.35.0-4+deb12u1", Greater),
    ("1.3.4.20200120-3.1", "1.3.4.20200120-3", Greater),
    ("5.4.1-1+deb12u2", "5.4.1-1+deb12u10", Less),
    ("1.2-3-4", "1.2-3-5", Less),  // upstream may contain hyphens
    ("1.2-3-4", "1.2-4", Greater), // upstream "1.2-3" > "1.2"
    ("0.1", "0.01", Equal),
    ("1.10", "1.9", Greater),
    ("1a", "1", Greater),
    ("1~", "1", Less),
    ("1:1.2.13.dfsg-1", "1:1.2.13-1", Greater),
    ("7.0~", "7.0~~a", Greater),
    ("1.0-1ubuntu1", "1.0-1", Greater),
    ("1.0-1ubuntu1", "1.0-1build1", Greater),
    ("2.39.3-6ubuntu0.24.04.1", "2.39.3-6ubuntu0.24.04.10", Less),
];

#[test]
fn known_dpkg_comparisons() {
    for &(a, b, want) in TABLE {
        assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
        assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
        assert_eq!(DebVersionScheme.compare(a, b), want);
        assert_eq!(
            parse(a).unwrap().cmp(&parse(b).unwrap()),
            want,
            "{a} vs {b}"
        );
    }
}

#[test]
fn scheme_matches_relations() {
    let s = DebVersionScheme;
    assert!(s.matches("3.4.4-1", Op::Ge, "3.4"));
    assert!(s.matches("2.36-9+deb12u14", Op::Gt, "2.36-9+deb12u4"));
    assert!(s.matches("1.0", Op::Eq, "1.0-0"));
    assert!(!s.matches("1.0~rc1", Op::Ge, "1.0"));
    assert!(s.matches("1.0~rc1", Op::Lt, "1.0"));
    assert!(s.matches("2025a-0+deb12u1", Op::Prefix, "2025"));
}

#[test]
fn parse_splits_and_validates() {
    let v = parse("1:2.36-9+deb12u14").unwrap();
    assert_eq!(v.epoch(), 1);
    assert_eq!(v.upstream(), "2.36");
    assert_eq!(v.revision(), "9+deb12u14");
    let v = parse(" 1.2-3-4 ").unwrap();
    assert_eq!((v.epoch(), v.upstream(), v.revision()), (0, "1.2-3", "4"));
    let v = parse("0:1.0").unwrap();
    assert_eq!(v.to_string(), "0:1.0");
    assert_eq!(parse("1.0").unwrap().revision(), "");
    for bad in [
        "",
        "  ",
        "1.0 2",
        ":1.0",
        "a:1.0",
        "1:",
        "1.0-",
        "-1",
        "a1.0",
        "1.0_1",
        "1.0-1:2",
        "99999999999:1",
    ] {
        let e = parse(bad).unwrap_err();
        assert!(!e.to_string().is_empty(), "{bad:?} should fail");
    }
}

/// Versions built from dpkg's interesting pieces, from a fixed-seed LCG.
fn generated_pairs(n: usize) -> Vec<(String, String)> {
    let mut state: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move |m: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % m
    };
    const EPOCHS: &[&str] = &["", "", "", "0:", "1:", "2:", "10:"];
    const PIECES: &[&str] = &[
        "0", "1", "2", "9", "10", "01", "007", "a", "b", "z", "A", "Z", "~", "~~", ".", "+", "~rc",
        "rc", "dfsg", "+dfsg", ".0", "~deb12u", "+deb12u", "+b", "ubuntu", "-", "",
    ];
    const REVS: &[&str] = &[
        "",
        "",
        "-0",
        "-1",
        "-1+b1",
        "-2",
        "-1~deb12u1",
        "-1ubuntu0.1",
        "-9+deb12u4",
        "-9+deb12u14",
        "-1.1",
        "-a",
        "-0.1~",
    ];
    let make = |n_pieces: usize, next: &mut dyn FnMut(usize) -> usize| {
        let mut v = String::new();
        v.push_str(EPOCHS[next(EPOCHS.len())]);
        v.push_str(["0", "1", "2", "10", "3"][next(5)]);
        for _ in 0..n_pieces {
            let p = PIECES[next(PIECES.len())];
            // An upstream ending in '-' would steal the revision; avoid it.
            v.push_str(p);
        }
        if v.ends_with('-') || v.ends_with(':') {
            v.push('0');
        }
        v.push_str(REVS[next(REVS.len())]);
        v
    };
    let mut out = Vec::new();
    while out.len() < n {
        let a = make(next(5), &mut next);
        // Half the time derive b from a with a small change, to hit near-ties.
        let b = if next(2) == 0 {
            let mut b = a.clone();
            match next(4) {
                0 => b.push('~'),
                1 => b.push_str("+b1"),
                2 => b = b.replacen('1', "01", 1),
                _ => b.push('a'),
            }
            b
        } else {
            make(next(5), &mut next)
        };
        if parse(&a).is_ok() && parse(&b).is_ok() {
            out.push((a, b));
        }
    }
    out
}

fn dpkg_says(a: &str, op: &str, b: &str) -> bool {
    let status = Command::new("dpkg")
        .args(["--compare-versions", a, op, b])
        .status()
        .expect("run dpkg");
    status.success()
}

#[test]
fn agrees_with_host_dpkg() {
    if !whittle_test_env::host::require_tool("dpkg") {
        return;
    }
    let pairs = generated_pairs(200);
    let mut checked = 0;
    let mut seen = [0usize; 3];
    for (a, b) in &pairs {
        let ours = compare_versions(a, b);
        let dpkg = if dpkg_says(a, "lt", b) {
            Less
        } else if dpkg_says(a, "eq", b) {
            Equal
        } else {
            Greater
        };
        assert_eq!(
            ours, dpkg,
            "dpkg --compare-versions disagrees on {a:?} vs {b:?}"
        );
        seen[(ours as i8 + 1) as usize] += 1;
        checked += 1;
    }
    // The table too.
    for &(a, b, want) in TABLE {
        let op = match want {
            Less => "lt",
            Equal => "eq",
            Greater => "gt",
        };
        assert!(
            dpkg_says(a, op, b),
            "table entry {a} {op} {b} disagrees with dpkg"
        );
    }
    eprintln!(
        "checked {checked} generated pairs (less/equal/greater: {seen:?}, e.g. {:?}) and {} table entries against dpkg",
        &pairs[..3],
        TABLE.len()
    );
    assert!(
        seen.iter().all(|&n| n >= 5),
        "generated pairs too one-sided: {seen:?}"
    );
}
