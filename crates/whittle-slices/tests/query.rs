//! `find` and `info`.
#![allow(clippy::unwrap_used)]

mod common;

use common::ok;
use whittle_slices::{find, info, info_parts, Release, SliceError};

fn release() -> Release {
    ok(
        "v1",
        &[
            (
                "mypkg1",
                "package: mypkg1\nessential:\n  - mypkg1_myslice1\nslices:\n  myslice1:\n    contents:\n      /dir/file:\n  myslice2:\n    hint: Hint for mypkg1_myslice2\n    v3-essential:\n      mypkg2_myslice: {arch: amd64}\n",
            ),
            ("mypkg2", "package: mypkg2\nslices:\n  myslice:\n    hint: Hint for mypkg2_myslice\n    contents:\n      /dir/another-file:\n"),
            (
                "mypkg3",
                "package: mypkg3\nessential:\n  - mypkg1_myslice1\nslices:\n  myslice:\n    essential:\n      - mypkg2_myslice\n    contents:\n      /dir/other-file:\n      /dir/glob*:\n      /dir/sub-dir/:       {make: true, mode: 0644}\n      /dir/copy:           {copy: /dir/file}\n      /dir/symlink:        {symlink: /dir/file}\n      /dir/mutable:        {text: TODO, mutable: true, arch: riscv64}\n      /dir/arch-specific*: {arch: [amd64,arm64,i386]}\n      /dir/until:          {until: mutate}\n      /dir/empty:          {text: \"\"}\n    mutate: |\n      # Test multi-line string.\n      content.write(\"/dir/mutable\", foo)\n",
            ),
            ("python3.12", "package: python3.12\nslices:\n  core:\n  standard:\n"),
        ],
    )
}

fn q(terms: &[&str]) -> Vec<String> {
    let r = release();
    let terms: Vec<String> = terms.iter().map(|s| (*s).to_owned()).collect();
    find(&r, &terms).iter().map(ToString::to_string).collect()
}

#[test]
fn find_by_package_slice_and_full_name() {
    let all = [
        "mypkg1_myslice1",
        "mypkg1_myslice2",
        "mypkg2_myslice",
        "mypkg3_myslice",
    ];
    // One edit away still matches: mypkg2 finds mypkg1 and mypkg3 too.
    assert_eq!(q(&["mypkg2"]), all);
    assert_eq!(q(&["mypkg"]), all);
    assert_eq!(q(&["_myslice"]), all);
    assert_eq!(
        q(&["_myslice1"]),
        [
            "mypkg1_myslice1",
            "mypkg1_myslice2",
            "mypkg2_myslice",
            "mypkg3_myslice"
        ]
    );
    assert_eq!(q(&["mypkg2", "_myslice"]), all);
    assert_eq!(
        q(&["python3.12"]),
        ["python3.12_core", "python3.12_standard"]
    );
    assert_eq!(
        q(&["mypkg1_myslice2"]),
        ["mypkg1_myslice1", "mypkg1_myslice2"]
    );
    assert_eq!(q(&["mypkg3_myslice"]), ["mypkg2_myslice", "mypkg3_myslice"]);
    assert_eq!(
        q(&["python3.13"]),
        ["python3.12_core", "python3.12_standard"]
    );
    assert_eq!(q(&["python*_core"]), ["python3.12_core"]);
    assert_eq!(q(&["py?hon3.12", "_core"]), ["python3.12_core"]);
    assert!(q(&["zzz"]).is_empty());
}

#[test]
fn info_prints_chisel_style_yaml() {
    let r = release();
    let out = info(
        &r,
        &["mypkg1_myslice2".to_owned(), "mypkg1_myslice1".to_owned()],
    )
    .unwrap();
    assert_eq!(
        out,
        "package: mypkg1
slices:
    myslice1:
        contents:
            /dir/file: {}
    myslice2:
        hint: Hint for mypkg1_myslice2
        essential:
            mypkg1_myslice1: {}
            mypkg2_myslice: {arch: amd64}
"
    );
    let two = info(&r, &["mypkg1_myslice1".to_owned(), "mypkg2".to_owned()]).unwrap();
    assert!(two.contains("\n---\npackage: mypkg2\n"), "{two}");
}

#[test]
fn info_round_trips_every_option() {
    let r = release();
    let out = info(&r, &["mypkg3".to_owned()]).unwrap();
    assert!(
        out.contains("/dir/sub-dir/: {make: true, mode: 0644}"),
        "{out}"
    );
    assert!(
        out.contains("/dir/arch-specific*: {arch: [amd64, arm64, i386]}"),
        "{out}"
    );
    assert!(
        out.contains("/dir/mutable: {text: TODO, mutable: true, arch: riscv64}"),
        "{out}"
    );
    assert!(out.contains("/dir/empty: {text: \"\"}"), "{out}");
    // The YAML reads back as the same package.
    let dir = common::tree(&[
        ("chisel.yaml", &common::chisel_yaml("v3")),
        ("slices/mypkg3.yaml", &out),
    ]);
    let back = whittle_slices::load(&[dir.path().to_path_buf()]).unwrap();
    let mut original = r.packages["mypkg3"].clone();
    let mut reread = back.packages["mypkg3"].clone();
    original.source = reread.source.clone();
    reread.source = original.source.clone();
    assert_eq!(reread, original);
}

#[test]
fn info_reports_what_it_cannot_find() {
    let r = release();
    let queries: Vec<String> = ["foo", "mypkg1_myslice1", "bar_foo", "a_b"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let e = info(&r, &queries).unwrap_err();
    assert!(matches!(e, SliceError::NotFound { .. }));
    assert_eq!(
        e.to_string(),
        "no slice definitions found for: \"foo\", \"bar_foo\", \"a_b\""
    );
    let (found, missing) = info_parts(&r, &queries);
    assert!(found.starts_with("package: mypkg1\n"));
    assert_eq!(missing.len(), 3);
}
