//! Chisel's jsonwall manifest: Chisel's own output rewritten byte for
//! byte, and the format's rules one by one.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use whittle_slices::manifest::{self, ManifestError, ManifestInput, ManifestPackage, ManifestPath};

fn fixture() -> Vec<u8> {
    fs_err::read(whittle_test_env::fixtures::path(
        "chisel-cut-python/manifest.wall",
    ))
    .unwrap()
}

fn decompress(bytes: &[u8]) -> Vec<u8> {
    zstd::decode_all(bytes).unwrap()
}

#[test]
fn chisel_manifest_is_rewritten_byte_for_byte() {
    let original = fixture();
    let records = manifest::read_manifest(&original).unwrap();
    let kinds = |k: &str| records.iter().filter(|r| r["kind"] == k).count();
    assert_eq!(kinds("package"), 26);
    assert_eq!(kinds("slice"), 99);
    assert_eq!(kinds("path"), kinds("content"));

    let mut input = ManifestInput::from_records(&records).unwrap();
    // Order of the input does not matter.
    input.paths.reverse();
    input.contents.reverse();
    input.packages.reverse();
    let written = manifest::write_manifest(&input).unwrap();
    let ours = decompress(&written);
    let chisels = decompress(&original);
    assert!(ours == chisels, "{}", first_difference(&ours, &chisels));
    assert_eq!(manifest::render_manifest(&input).unwrap(), chisels);
    // Deterministic.
    assert_eq!(manifest::write_manifest(&input).unwrap(), written);
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    let a = String::from_utf8_lossy(a);
    let b = String::from_utf8_lossy(b);
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n ours:   {x}\n chisel: {y}", i + 1);
        }
    }
    format!("lengths {} and {}", a.len(), b.len())
}

#[test]
fn chisel_manifest_lists_itself_without_digest() {
    let records = manifest::read_manifest(&fixture()).unwrap();
    let own: Vec<_> = records
        .iter()
        .filter(|r| r["path"] == "/var/lib/chisel/manifest.wall" && r["kind"] == "path")
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(
        serde_json::to_string(own[0]).unwrap(),
        r#"{"kind":"path","mode":"0644","path":"/var/lib/chisel/manifest.wall","slices":["base-files_chisel"]}"#
    );
    // Its implicit parent is not listed.
    assert!(!records
        .iter()
        .any(|r| r["kind"] == "path" && r["path"] == "/var/lib/chisel/"));
}

fn package(name: &str) -> ManifestPackage {
    ManifestPackage {
        name: name.into(),
        version: "1.0-1".into(),
        sha256: "aa".into(),
        arch: "amd64".into(),
    }
}

fn path(p: &str, slices: &[&str]) -> ManifestPath {
    ManifestPath {
        path: p.into(),
        mode: 0o644,
        slices: slices.iter().map(|s| (*s).to_owned()).collect(),
        ..ManifestPath::default()
    }
}

/// `paths` with their contents derived, under packages a and b and slices
/// a_one, a_two, b_one.
fn input(paths: Vec<ManifestPath>) -> ManifestInput {
    let contents = paths
        .iter()
        .flat_map(|p| p.slices.iter().map(|s| (s.clone(), p.path.clone())))
        .collect();
    ManifestInput {
        packages: vec![package("b"), package("a")],
        slices: vec!["b_one".into(), "a_two".into(), "a_one".into()],
        paths,
        contents,
    }
}

fn text(input: &ManifestInput) -> String {
    String::from_utf8(manifest::render_manifest(input).unwrap()).unwrap()
}

#[test]
fn records_are_sorted_bytewise_and_counted() {
    let got = text(&input(vec![
        path("/z", &["b_one"]),
        path("/a-b", &["a_one"]),
        path("/a/", &["a_two", "a_one"]),
    ]));
    let want = [
        // 12 records; the count includes the header.
        r#"{"jsonwall":"1.0","schema":"1.0","count":13}"#,
        r#"{"kind":"content","slice":"a_one","path":"/a-b"}"#,
        r#"{"kind":"content","slice":"a_one","path":"/a/"}"#,
        r#"{"kind":"content","slice":"a_two","path":"/a/"}"#,
        r#"{"kind":"content","slice":"b_one","path":"/z"}"#,
        r#"{"kind":"package","name":"a","version":"1.0-1","sha256":"aa","arch":"amd64"}"#,
        r#"{"kind":"package","name":"b","version":"1.0-1","sha256":"aa","arch":"amd64"}"#,
        // Bytewise on the line: `"` (0x22) sorts before `-` and `/`.
        r#"{"kind":"path","path":"/a-b","mode":"0644","slices":["a_one"]}"#,
        r#"{"kind":"path","path":"/a/","mode":"0644","slices":["a_one","a_two"]}"#,
        r#"{"kind":"path","path":"/z","mode":"0644","slices":["b_one"]}"#,
        r#"{"kind":"slice","name":"a_one"}"#,
        r#"{"kind":"slice","name":"a_two"}"#,
        r#"{"kind":"slice","name":"b_one"}"#,
    ];
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines, want);
    assert!(got.ends_with("}\n"));
    // Sorting is on the escaped bytes: `/a-` < `/a/` < `/a\"` (the
    // backslash, 0x5c, sorts after both).
    let got = text(&input(vec![
        path("/a/", &["a_one"]),
        path("/a-", &["a_one"]),
        path("/a\"", &["a_one"]),
    ]));
    let order: Vec<&str> = got
        .lines()
        .filter(|l| l.starts_with(r#"{"kind":"path""#))
        .collect();
    assert_eq!(
        order,
        [
            r#"{"kind":"path","path":"/a-","mode":"0644","slices":["a_one"]}"#,
            r#"{"kind":"path","path":"/a/","mode":"0644","slices":["a_one"]}"#,
            r#"{"kind":"path","path":"/a\"","mode":"0644","slices":["a_one"]}"#,
        ]
    );
}

#[test]
fn optional_fields_in_order_and_omitted_when_empty() {
    let full = ManifestPath {
        path: "/etc/ssl/certs/ca-certificates.crt".into(),
        mode: 0o100_644,
        slices: vec!["a_one".into()],
        sha256: Some("8f2a".into()),
        final_sha256: Some("64e7".into()),
        size: Some(180_744),
        link: None,
        inode: None,
    };
    let link = ManifestPath {
        path: "/usr/lib/ssl/cert.pem".into(),
        mode: 0o777,
        slices: vec!["a_one".into()],
        link: Some("/etc/ssl/certs/ca-certificates.crt".into()),
        ..ManifestPath::default()
    };
    let empty = ManifestPath {
        path: "/empty".into(),
        mode: 0o644,
        slices: vec!["a_one".into()],
        sha256: Some("e3b0".into()),
        size: Some(0),
        final_sha256: Some(String::new()),
        inode: Some(0),
        link: Some(String::new()),
    };
    let dir = ManifestPath {
        path: "/tmp/".into(),
        mode: 0o41777,
        slices: vec!["a_one".into()],
        ..ManifestPath::default()
    };
    let setgid = ManifestPath {
        path: "/usr/local/lib/python3.12/".into(),
        mode: 0o2775,
        slices: vec!["a_one".into()],
        ..ManifestPath::default()
    };
    let hard = |p: &str| ManifestPath {
        path: p.into(),
        mode: 0o755,
        slices: vec!["b_one".into()],
        sha256: Some("c0ff".into()),
        size: Some(12),
        inode: Some(1),
        ..ManifestPath::default()
    };
    let got = text(&input(vec![
        full,
        link,
        empty,
        dir,
        setgid,
        hard("/usr/bin/perl"),
        hard("/usr/bin/perl5.38"),
    ]));
    let paths: Vec<&str> = got
        .lines()
        .filter(|l| l.starts_with(r#"{"kind":"path""#))
        .collect();
    assert_eq!(
        paths,
        [
            r#"{"kind":"path","path":"/empty","mode":"0644","slices":["a_one"],"sha256":"e3b0"}"#,
            r#"{"kind":"path","path":"/etc/ssl/certs/ca-certificates.crt","mode":"0644","slices":["a_one"],"sha256":"8f2a","final_sha256":"64e7","size":180744}"#,
            r#"{"kind":"path","path":"/tmp/","mode":"01777","slices":["a_one"]}"#,
            r#"{"kind":"path","path":"/usr/bin/perl","mode":"0755","slices":["b_one"],"sha256":"c0ff","size":12,"inode":1}"#,
            r#"{"kind":"path","path":"/usr/bin/perl5.38","mode":"0755","slices":["b_one"],"sha256":"c0ff","size":12,"inode":1}"#,
            r#"{"kind":"path","path":"/usr/lib/ssl/cert.pem","mode":"0777","slices":["a_one"],"link":"/etc/ssl/certs/ca-certificates.crt"}"#,
            r#"{"kind":"path","path":"/usr/local/lib/python3.12/","mode":"0775","slices":["a_one"]}"#,
        ]
    );
}

#[test]
fn strings_are_escaped_as_go_does() {
    let got = text(&input(vec![path("/usr/share/a<b>&c", &["a_one"])]));
    assert!(
        got.contains(r#"{"kind":"path","path":"/usr/share/a\u003cb\u003e\u0026c","mode":"0644","slices":["a_one"]}"#),
        "{got}"
    );
    // And read back.
    let records = manifest::read_manifest(got.as_bytes()).unwrap();
    assert!(records.iter().any(|r| r["path"] == "/usr/share/a<b>&c"));
}

fn invalid(input: &ManifestInput) -> String {
    match manifest::render_manifest(input) {
        Err(ManifestError::Invalid { message }) => message,
        other => panic!("not invalid: {other:?}"),
    }
}

#[test]
fn inconsistent_input_is_refused() {
    // A slice of a package not cut.
    let mut bad = input(vec![]);
    bad.slices.push("c_one".into());
    assert_eq!(
        invalid(&bad),
        r#"slice c_one refers to missing package "c""#
    );
    // A path of a slice not selected.
    let bad = input(vec![path("/x", &["a_three"])]);
    assert_eq!(
        invalid(&bad),
        r#"path "/x" refers to missing slice a_three"#
    );
    // A directory with a digest.
    let mut dir = path("/d/", &["a_one"]);
    dir.sha256 = Some("00".into());
    assert_eq!(
        invalid(&input(vec![dir])),
        r#"path "/d/" has invalid options: sha256 set for directory"#
    );
    // A hard-link set of one.
    let mut lone = path("/h", &["a_one"]);
    lone.inode = Some(1);
    assert_eq!(
        invalid(&input(vec![lone])),
        "hard link group 1 has only one path: /h"
    );
    // Contents that do not match the paths.
    let mut bad = input(vec![path("/x", &["a_one"])]);
    bad.contents.clear();
    assert_eq!(
        invalid(&bad),
        "path /x of slice a_one has no matching entry in contents"
    );
    // A package without a digest.
    let mut bad = input(vec![]);
    bad.packages[0].sha256.clear();
    assert_eq!(invalid(&bad), r#"package "b" missing sha256"#);
}

#[test]
fn reading_checks_the_header() {
    assert!(
        manifest::read_manifest(b"{\"jsonwall\":\"2.0\",\"schema\":\"1.0\",\"count\":1}\n")
            .is_err()
    );
    assert!(
        manifest::read_manifest(b"{\"jsonwall\":\"1.0\",\"schema\":\"2.0\",\"count\":1}\n")
            .is_err()
    );
    assert!(
        manifest::read_manifest(b"{\"jsonwall\":\"1.0\",\"schema\":\"1.0\",\"count\":2}\n")
            .is_err()
    );
    assert_eq!(
        manifest::read_manifest(b"{\"jsonwall\":\"1.1\",\"schema\":\"1.0\",\"count\":1}\n")
            .unwrap()
            .len(),
        0
    );
}
