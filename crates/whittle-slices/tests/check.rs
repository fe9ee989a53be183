//! The conflict rules, one test each, for the whole release and for a
//! selection.
#![allow(clippy::unwrap_used)]

mod common;

use common::{clean, conflicts, ok};
use whittle_slices::{check_selection, SliceError, SliceKey};

fn pkg(name: &str, slices: &str) -> (String, String) {
    (
        name.to_owned(),
        format!("package: {name}\nslices:\n{slices}"),
    )
}

fn refs(list: &[(String, String)]) -> Vec<(&str, &str)> {
    list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

// ---- rule 1: one package, two slices ----

#[test]
fn same_package_same_content_is_fine() {
    let p = [pkg(
        "foo",
        "  one:\n    contents:\n      /a:\n      /b: {text: x, until: mutate}\n      /c/: {make: true, arch: amd64}\n  two:\n    contents:\n      /a:\n      /b: {text: x}\n      /c/: {make: true}\n",
    )];
    clean(&refs(&p));
}

#[test]
fn same_package_different_content_conflicts() {
    for (one, two) in [
        ("/a: {text: x}", "/a: {text: y}"),
        ("/a: {text: x}", "/a: {text: x, mutable: true}"),
        ("/a/: {make: true, mode: 0700}", "/a/: {make: true}"),
        ("/a: {copy: /b}", "/a:"),
        ("/a: {symlink: b}", "/a: {symlink: c}"),
        ("/a: {symlink: b}", "/a:"),
    ] {
        let p = [pkg(
            "foo",
            &format!("  one:\n    contents:\n      {one}\n  two:\n    contents:\n      {two}\n"),
        )];
        let msg = conflicts(&refs(&p), "slices foo_one");
        assert!(
            msg.contains("foo_two") && msg.contains("conflict on /a"),
            "{msg}"
        );
        assert!(msg.contains("foo.yaml"), "{msg}");
    }
}

// ---- rule 2: two packages ----

#[test]
fn two_packages_extracting_one_path_conflict() {
    let p = [
        pkg("foo", "  bins:\n    contents:\n      /usr/bin/x:\n"),
        pkg("bar", "  bins:\n    contents:\n      /usr/bin/x:\n"),
    ];
    let msg = conflicts(&refs(&p), "slices bar_bins");
    assert!(
        msg.contains("foo_bins") && msg.contains("/usr/bin/x") && msg.contains("prefer"),
        "{msg}"
    );
}

#[test]
fn two_packages_creating_identically_is_fine() {
    let p = [
        pkg(
            "foo",
            "  bins:\n    contents:\n      /etc/x/: {make: true}\n      /etc/y: {text: hi}\n",
        ),
        pkg(
            "bar",
            "  bins:\n    contents:\n      /etc/x/: {make: true}\n      /etc/y: {text: hi}\n",
        ),
    ];
    clean(&refs(&p));
    let p = [
        pkg("foo", "  bins:\n    contents:\n      /etc/y: {text: hi}\n"),
        pkg("bar", "  bins:\n    contents:\n      /etc/y: {text: ho}\n"),
    ];
    conflicts(&refs(&p), "conflict on /etc/y");
}

#[test]
fn extracted_against_created_conflicts() {
    let p = [
        pkg("foo", "  bins:\n    contents:\n      /etc/x/:\n"),
        pkg(
            "bar",
            "  bins:\n    contents:\n      /etc/x/: {make: true}\n",
        ),
    ];
    let msg = conflicts(&refs(&p), "conflict on /etc/x/");
    assert!(
        msg.contains("extracts it and the other creates it"),
        "{msg}"
    );
}

// ---- prefer ----

#[test]
fn prefer_settles_a_shared_path() {
    let p = [
        pkg(
            "busybox-static",
            "  bins:\n    contents:\n      /usr/bin/busybox: {prefer: busybox}\n",
        ),
        pkg(
            "busybox",
            "  bins:\n    contents:\n      /usr/bin/busybox:\n",
        ),
    ];
    clean(&refs(&p));
}

#[test]
fn prefer_chains() {
    let p = [
        pkg("aaa", "  bins:\n    contents:\n      /x: {prefer: bbb}\n"),
        pkg("bbb", "  bins:\n    contents:\n      /x: {prefer: ccc}\n"),
        pkg("ccc", "  bins:\n    contents:\n      /x:\n"),
    ];
    clean(&refs(&p));
}

#[test]
fn prefer_loops_are_refused() {
    let p = [
        pkg("aaa", "  bins:\n    contents:\n      /x: {prefer: bbb}\n"),
        pkg("bbb", "  bins:\n    contents:\n      /x: {prefer: aaa}\n"),
    ];
    conflicts(&refs(&p), "prefer loop on /x");
}

#[test]
fn every_provider_must_be_in_the_chain() {
    let p = [
        pkg("aaa", "  bins:\n    contents:\n      /x: {prefer: bbb}\n"),
        pkg("bbb", "  bins:\n    contents:\n      /x:\n"),
        pkg("ccc", "  bins:\n    contents:\n      /x:\n"),
    ];
    conflicts(&refs(&p), "without prefer relationship");
}

#[test]
fn preferred_package_must_list_the_path() {
    let p = [
        pkg("aaa", "  bins:\n    contents:\n      /x: {prefer: bbb}\n"),
        pkg("bbb", "  bins:\n    contents:\n      /y:\n"),
    ];
    conflicts(
        &refs(&p),
        "prefers package \"bbb\" which does not contain path /x",
    );
    let p = [pkg(
        "aaa",
        "  bins:\n    contents:\n      /x: {prefer: nope}\n",
    )];
    conflicts(&refs(&p), "refers to undefined package \"nope\"");
}

#[test]
fn prefer_edges_must_form_chains() {
    let p = [
        pkg("aaa", "  one:\n    contents:\n      /x: {prefer: bbb}\n  two:\n    contents:\n      /x: {prefer: ccc}\n"),
        pkg("bbb", "  bins:\n    contents:\n      /x:\n"),
        pkg("ccc", "  bins:\n    contents:\n      /x:\n"),
    ];
    conflicts(&refs(&p), "has conflicting prefers for /x");
    let p = [
        pkg("aaa", "  bins:\n    contents:\n      /x: {prefer: ccc}\n"),
        pkg("bbb", "  bins:\n    contents:\n      /x: {prefer: ccc}\n"),
        pkg("ccc", "  bins:\n    contents:\n      /x:\n"),
    ];
    conflicts(&refs(&p), "cannot both prefer \"ccc\" for /x");
}

// ---- rule 3: globs and generate ----

#[test]
fn glob_overlapping_another_package_conflicts() {
    let p = [
        pkg(
            "foo",
            "  libs:\n    contents:\n      /usr/lib/*-linux-*/libfoo.so.*:\n",
        ),
        pkg(
            "bar",
            "  libs:\n    contents:\n      /usr/lib/x86_64-linux-gnu/libfoo.so.1:\n",
        ),
    ];
    let msg = conflicts(
        &refs(&p),
        "conflict on /usr/lib/x86_64-linux-gnu/libfoo.so.1 and /usr/lib/*-linux-*/libfoo.so.*",
    );
    assert!(
        msg.contains("bar_libs") && msg.contains("foo_libs"),
        "{msg}"
    );
    // Two globs of two packages that could match one path.
    let p = [
        pkg("foo", "  libs:\n    contents:\n      /usr/lib/*/libx*:\n"),
        pkg("bar", "  libs:\n    contents:\n      /usr/lib/y*/*.so:\n"),
    ];
    conflicts(&refs(&p), "may match");
}

#[test]
fn disjoint_globs_are_fine() {
    let p = [
        pkg("foo", "  libs:\n    contents:\n      /usr/lib/*-linux-*/libfoo.so.*:\n      /usr/share/foo/**:\n"),
        pkg("bar", "  libs:\n    contents:\n      /usr/lib/*-linux-*/libbar.so.*:\n      /usr/share/foo:\n"),
    ];
    clean(&refs(&p));
}

#[test]
fn glob_overlapping_its_own_package_copies_is_fine() {
    let p = [pkg(
        "foo",
        "  all:\n    contents:\n      /usr/share/foo/**:\n  one:\n    contents:\n      /usr/share/foo/a:\n      /usr/share/foo/b: {copy: /usr/share/foo/c}\n      /usr/share/foo/*.txt:\n",
    )];
    clean(&refs(&p));
}

#[test]
fn glob_overlapping_its_own_package_created_path_conflicts() {
    let p = [pkg("foo", "  all:\n    contents:\n      /etc/foo/**:\n  one:\n    contents:\n      /etc/foo/x: {text: hi}\n")];
    let msg = conflicts(&refs(&p), "conflict on /etc/foo/** and /etc/foo/x");
    assert!(msg.contains("its own package creates"), "{msg}");
}

#[test]
fn generate_covers_its_folder() {
    let p = [
        pkg("base-files", "  chisel:\n    contents:\n      /var/lib/chisel/**: {generate: manifest}\n  var:\n    contents:\n      /var/lib/:\n"),
        pkg("other", "  data:\n    contents:\n      /var/lib/chisel/x:\n"),
    ];
    let msg = conflicts(
        &refs(&p),
        "the generate path /var/lib/chisel/** covers /var/lib/chisel/x",
    );
    assert!(!msg.contains("/var/lib/ "), "{msg}");
    // Even in its own package, and against its own folder.
    let p = [pkg("base-files", "  chisel:\n    contents:\n      /var/lib/chisel/**: {generate: manifest}\n  var:\n    contents:\n      /var/lib/chisel/:\n")];
    conflicts(&refs(&p), "covers /var/lib/chisel/");
}

// ---- rule 4: essentials ----

#[test]
fn missing_essentials() {
    let p = [pkg("foo", "  bins:\n    essential: [bar_libs, foo_libs]\n")];
    let msg = conflicts(
        &refs(&p),
        "foo_bins requires bar_libs, but slice is missing",
    );
    assert!(msg.contains("foo_libs"), "both are reported: {msg}");
}

#[test]
fn essential_cycles() {
    let p = [
        pkg("aaa", "  one:\n    essential: [bbb_one]\n"),
        pkg(
            "bbb",
            "  one:\n    v3-essential:\n      aaa_one: {arch: amd64}\n",
        ),
    ];
    let msg = conflicts(&refs(&p), "essential loop detected: aaa_one, bbb_one");
    assert!(
        msg.contains("aaa.yaml") && msg.contains("bbb.yaml"),
        "{msg}"
    );
}

// ---- rule 5: archives ----

#[test]
fn archive_pins_must_exist() {
    let p = [(
        "foo".to_owned(),
        "package: foo\narchive: elsewhere\n".to_owned(),
    )];
    conflicts(&refs(&p), "undefined archive \"elsewhere\"");
}

#[test]
fn archive_priorities_are_unique() {
    let chisel = "format: v1\nmaintenance:\n  standard: 2024-04-25\n  end-of-life: 2036-04-29\narchives:\n  a:\n    version: 1\n    suites: [x]\n    components: [main]\n    public-keys: [k]\n    priority: 5\n  b:\n    version: 1\n    suites: [x]\n    components: [main]\n    public-keys: [k]\n    priority: 5\npublic-keys:\n  k:\n    id: X\n    armor: Y\n";
    let dir = common::tree(&[("chisel.yaml", chisel)]);
    let release = whittle_slices::load(&[dir.path().to_path_buf()]).unwrap();
    let e = release.check().unwrap_err().to_string();
    assert!(
        e.contains("archives \"a\" and \"b\" have the same priority value of 5"),
        "{e}"
    );
}

// ---- reporting ----

#[test]
fn every_conflict_is_listed() {
    let p = [
        pkg("foo", "  bins:\n    contents:\n      /a:\n      /b:\n"),
        pkg("bar", "  bins:\n    contents:\n      /a:\n      /b:\n"),
    ];
    let release = ok("v1", &refs(&p));
    let e = release.check().unwrap_err();
    assert!(matches!(e, SliceError::Many { .. }));
    assert_eq!(e.problems().len(), 2, "{e}");
}

// ---- selections ----

#[test]
fn selection_checks_only_selected_slices() {
    let p = [
        pkg(
            "foo",
            "  bins:\n    contents:\n      /usr/bin/x:\n  other:\n    contents:\n      /y:\n",
        ),
        pkg(
            "bar",
            "  bins:\n    contents:\n      /usr/bin/x:\n  safe:\n    contents:\n      /z:\n",
        ),
    ];
    let release = ok("v1", &refs(&p));
    assert!(release.check().is_err());
    let k = |s: &str| SliceKey::parse(s).unwrap();
    let fine = release
        .select(&[k("foo_other"), k("bar_safe")], "amd64")
        .unwrap();
    check_selection(&release, &fine).unwrap();
    let both = release
        .select(&[k("foo_bins"), k("bar_bins")], "amd64")
        .unwrap();
    let e = check_selection(&release, &both).unwrap_err().to_string();
    assert!(e.contains("conflict on /usr/bin/x"), "{e}");
}
