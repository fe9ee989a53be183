//! Per-package cut plans.
#![allow(clippy::unwrap_used)]

mod common;

use common::ok;
use whittle_slices::{CreatedKind, PackageCut, Release, SliceKey};

fn k(s: &str) -> SliceKey {
    SliceKey::parse(s).unwrap()
}

fn cut(release: &Release, wanted: &[&str], arch: &str, package: &str) -> PackageCut {
    let wanted: Vec<SliceKey> = wanted.iter().map(|s| k(s)).collect();
    let selection = release.select(&wanted, arch).unwrap();
    PackageCut::new(release, &selection, package)
}

const FOO: &str = "package: foo
slices:
  libs:
    contents:
      /usr/lib/*-linux-*/libfoo.so.*:
      /usr/lib/x86_64-linux-gnu/libamd.so: {arch: amd64}
      /etc/foo.conf: {copy: /usr/share/foo/foo.conf}
      /usr/share/foo/foo.conf:
  config:
    contents:
      /etc/foo/: {make: true, mode: 0700}
      /etc/foo/state: {text: FIXME, mutable: true}
      /usr/bin/foo: {symlink: ../lib/foo/foo}
      /usr/share/foo/templates/**: {until: mutate}
      /usr/share/foo/templates/keep: {until: mutate}
  keep:
    contents:
      /usr/share/foo/templates/keep:
  chisel:
    contents:
      /var/lib/chisel/**: {generate: manifest}
";

#[test]
fn targets_plain_glob_copy_and_arch() {
    let r = ok("v1", &[("foo", FOO)]);
    let c = cut(&r, &["foo_libs"], "arm64", "foo");
    assert_eq!(
        c.targets("/usr/lib/aarch64-linux-gnu/libfoo.so.1"),
        ["/usr/lib/aarch64-linux-gnu/libfoo.so.1"]
    );
    assert!(c
        .targets("/usr/lib/aarch64-linux-gnu/libbar.so.1")
        .is_empty());
    assert!(
        c.targets("/usr/lib/x86_64-linux-gnu/libamd.so").is_empty(),
        "amd64 only"
    );
    assert_eq!(
        c.targets("/usr/share/foo/foo.conf"),
        ["/etc/foo.conf", "/usr/share/foo/foo.conf"]
    );
    assert_eq!(c.required(), ["/usr/share/foo/foo.conf"]);
    assert_eq!(c.required_globs(), ["/usr/lib/*-linux-*/libfoo.so.*"]);
    let amd = cut(&r, &["foo_libs"], "amd64", "foo");
    assert_eq!(
        amd.targets("/usr/lib/x86_64-linux-gnu/libamd.so"),
        ["/usr/lib/x86_64-linux-gnu/libamd.so"]
    );
    assert_eq!(
        amd.required(),
        [
            "/usr/lib/x86_64-linux-gnu/libamd.so",
            "/usr/share/foo/foo.conf"
        ]
    );
    assert_eq!(amd.slices_for("/etc/foo.conf"), [k("foo_libs")]);
    assert!(amd.slices_for("/usr/share/doc/").is_empty());
}

#[test]
fn created_entries_modes_and_parents() {
    let r = ok("v1", &[("foo", FOO)]);
    let c = cut(&r, &["foo_config"], "amd64", "foo");
    let created = c.created();
    let paths: Vec<&str> = created.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["/etc/foo/", "/etc/foo/state", "/usr/bin/foo"]);
    assert_eq!(
        (created[0].kind.clone(), created[0].mode),
        (CreatedKind::Dir, 0o700)
    );
    assert_eq!(
        (created[1].kind.clone(), created[1].mode, created[1].mutable),
        (CreatedKind::Text("FIXME".into()), 0o644, true)
    );
    assert_eq!(
        created[2].kind,
        CreatedKind::Symlink("../lib/foo/foo".into())
    );
    assert_eq!(created[2].slices, [k("foo_config")]);
    // Parents of created entries come from the package when it has them.
    assert_eq!(c.targets("/usr/bin/"), ["/usr/bin/"]);
    assert_eq!(c.targets("/etc/"), ["/etc/"]);
    assert!(c.slices_for("/usr/bin/").is_empty());
    assert!(!c.required().contains(&"/usr/bin/".to_owned()));
    assert_eq!(c.slices_for("/etc/foo/state"), [k("foo_config")]);
    assert_eq!(c.mutable(), ["/etc/foo/state"]);
}

#[test]
fn generate_manifest() {
    let r = ok("v1", &[("foo", FOO)]);
    let c = cut(&r, &["foo_chisel"], "amd64", "foo");
    let created = c.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].path, "/var/lib/chisel/manifest.wall");
    assert_eq!(created[0].kind, CreatedKind::Manifest);
    assert_eq!(
        c.slices_for("/var/lib/chisel/manifest.wall"),
        [k("foo_chisel")]
    );
    assert_eq!(c.targets("/var/lib/chisel/"), ["/var/lib/chisel/"]);
}

#[test]
fn until_mutate_needs_every_slice() {
    let r = ok("v1", &[("foo", FOO)]);
    let c = cut(&r, &["foo_config"], "amd64", "foo");
    assert_eq!(
        c.until_mutate(),
        [
            "/usr/share/foo/templates/**",
            "/usr/share/foo/templates/keep"
        ]
    );
    assert!(c.is_until_mutate("/usr/share/foo/templates/a"));
    assert!(c.is_until_mutate("/usr/share/foo/templates/keep"));
    assert!(
        c.slices_for("/usr/share/foo/templates/a").is_empty(),
        "until paths are not in the manifest"
    );
    // Another selected slice lists it without `until`: it stays.
    let both = cut(&r, &["foo_config", "foo_keep"], "amd64", "foo");
    assert_eq!(both.until_mutate(), ["/usr/share/foo/templates/**"]);
    assert!(!both.is_until_mutate("/usr/share/foo/templates/keep"));
    assert!(both.is_until_mutate("/usr/share/foo/templates/b"));
    assert_eq!(
        both.slices_for("/usr/share/foo/templates/keep"),
        [k("foo_keep")]
    );
}

#[test]
fn created_until_spans_packages() {
    let r = ok(
        "v1",
        &[
            ("foo", "package: foo\nslices:\n  one:\n    contents:\n      /etc/x: {text: a, until: mutate}\n"),
            ("bar", "package: bar\nslices:\n  one:\n    contents:\n      /etc/x: {text: a}\n"),
        ],
    );
    assert!(cut(&r, &["foo_one"], "amd64", "foo").created()[0].until_mutate);
    assert!(!cut(&r, &["foo_one", "bar_one"], "amd64", "foo").created()[0].until_mutate);
}

#[test]
fn prefer_picks_the_provider() {
    let r = ok(
        "v1",
        &[
            ("busybox-static", "package: busybox-static\nslices:\n  bins:\n    contents:\n      /usr/bin/busybox: {prefer: busybox}\n"),
            ("busybox", "package: busybox\nslices:\n  bins:\n    contents:\n      /usr/bin/busybox:\n"),
        ],
    );
    let both = ["busybox-static_bins", "busybox_bins"];
    assert!(cut(&r, &both, "amd64", "busybox-static")
        .targets("/usr/bin/busybox")
        .is_empty());
    assert_eq!(
        cut(&r, &both, "amd64", "busybox").targets("/usr/bin/busybox"),
        ["/usr/bin/busybox"]
    );
    // Alone, the preferring package provides it.
    let alone = cut(&r, &["busybox-static_bins"], "amd64", "busybox-static");
    assert_eq!(alone.targets("/usr/bin/busybox"), ["/usr/bin/busybox"]);
}

#[test]
fn unselected_package_has_an_empty_plan() {
    let r = ok(
        "v1",
        &[
            ("foo", FOO),
            (
                "bar",
                "package: bar\nslices:\n  bins:\n    contents:\n      /bin/bar:\n",
            ),
        ],
    );
    let c = cut(&r, &["foo_libs"], "amd64", "bar");
    assert_eq!(c.package(), "bar");
    assert!(c.targets("/bin/bar").is_empty() && c.required().is_empty() && c.created().is_empty());
}
