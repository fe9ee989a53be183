//! Loading: formats, chisel.yaml rules, names, essentials, path kinds and
//! options, overlays.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fails, ok, tree};
use whittle_slices::{Essential, Format, PathKind, SliceKey};

fn key(s: &str) -> SliceKey {
    SliceKey::parse(s).unwrap()
}

fn load_chisel(chisel: &str) -> Result<whittle_slices::Release, whittle_slices::SliceError> {
    let dir = tree(&[
        ("chisel.yaml", chisel),
        ("slices/foo.yaml", "package: foo\n"),
    ]);
    whittle_slices::load(&[dir.path().to_path_buf()])
}

const KEY: &str = "public-keys:\n  k:\n    id: 0123456789ABCDEF\n    armor: x\n";
const MAINT: &str = "maintenance:\n  standard: 2024-04-25\n  end-of-life: 2036-04-29\n";

fn archive(name: &str, extra: &str) -> String {
    format!(
        "  {name}:\n    version: 24.04\n    suites: [noble]\n    components: [main]\n    public-keys: [k]\n{extra}"
    )
}

// ---- formats ----

#[test]
fn format_v1_merges_v2_archives() {
    let chisel = format!(
        "format: v1\n{MAINT}archives:\n{}v2-archives:\n{}{KEY}",
        archive("ubuntu", "    priority: 10\n"),
        archive("esm", "    priority: 16\n    pro: esm-apps\n")
    );
    let r = load_chisel(&chisel).unwrap();
    assert_eq!(r.format, Format::V1);
    assert_eq!(r.archives.len(), 2);
    assert_eq!(r.archives["esm"].pro.as_deref(), Some("esm-apps"));
    assert_eq!(r.archives["esm"].priority, 16);
    assert_eq!(r.public_keys["k"].id, "0123456789ABCDEF");
}

#[test]
fn format_v2_rejects_v2_archives_and_default() {
    let chisel = format!(
        "format: v2\n{MAINT}archives:\n{}v2-archives:\n{}{KEY}",
        archive("ubuntu", "    priority: 10\n"),
        archive("esm", "    priority: 16\n")
    );
    let e = load_chisel(&chisel).unwrap_err().to_string();
    assert!(e.contains("v2-archives is obsolete since format v2"), "{e}");
    assert!(e.contains("chisel.yaml"), "{e}");
    let chisel = format!(
        "format: v2\n{MAINT}archives:\n{}{KEY}",
        archive("ubuntu", "    default: true\n")
    );
    let e = load_chisel(&chisel).unwrap_err().to_string();
    assert!(
        e.contains("'default' field which is obsolete since format v2"),
        "{e}"
    );
}

#[test]
fn format_v3_requires_map_essentials() {
    let r = ok(
        "v3",
        &[(
            "foo",
            "package: foo\nessential:\n  foo_copyright:\nslices:\n  bins:\n    essential:\n      foo_libs: {arch: [amd64, arm64]}\n  libs:\n  copyright:\n",
        )],
    );
    assert_eq!(r.format, Format::V3);
    let bins = &r.packages["foo"].slices["bins"];
    assert_eq!(
        bins.essential,
        vec![
            Essential {
                slice: key("foo_copyright"),
                arch: None
            },
            Essential {
                slice: key("foo_libs"),
                arch: Some(vec!["amd64".into(), "arm64".into()])
            },
        ]
    );
    fails(
        "v3",
        &[(
            "foo",
            "package: foo\nessential:\n  - foo_copyright\nslices:\n  copyright:\n",
        )],
        "essential expects a map",
    );
    fails(
        "v3",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    essential: [foo_libs]\n  libs:\n",
        )],
        "cannot parse slice foo_bins: essential expects a map",
    );
    fails(
        "v3",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    v3-essential:\n      foo_libs:\n  libs:\n",
        )],
        "v3-essential is obsolete since format v3",
    );
    fails(
        "v3",
        &[(
            "foo",
            "package: foo\nv3-essential:\n  foo_libs:\nslices:\n  libs:\n",
        )],
        "v3-essential is obsolete",
    );
}

#[test]
fn unknown_format() {
    let e = load_chisel(&format!(
        "format: v9\n{MAINT}archives:\n{}{KEY}",
        archive("u", "")
    ))
    .unwrap_err();
    assert!(e.to_string().contains("unknown format \"v9\""), "{e}");
}

// ---- chisel.yaml ----

#[test]
fn default_archive_gets_synthetic_priorities() {
    let chisel = format!(
        "format: v1\n{MAINT}archives:\n{}{}{}{KEY}",
        archive("alpha", ""),
        archive("ubuntu", "    default: true\n"),
        archive("zeta", "")
    );
    let r = load_chisel(&chisel).unwrap();
    assert_eq!(r.archives["ubuntu"].priority, 1);
    assert_eq!(r.archives["alpha"].priority, -1);
    assert_eq!(r.archives["zeta"].priority, -3);
}

#[test]
fn priorities_are_required_and_bounded() {
    let chisel = format!(
        "format: v1\n{MAINT}archives:\n{}{}{KEY}",
        archive("a", "    priority: 1\n"),
        archive("b", "")
    );
    let e = load_chisel(&chisel).unwrap_err().to_string();
    assert!(
        e.contains("archive \"b\" is missing the priority setting"),
        "{e}"
    );
    let chisel = format!(
        "format: v1\n{MAINT}archives:\n{}{}{KEY}",
        archive("a", ""),
        archive("b", "")
    );
    assert!(load_chisel(&chisel)
        .unwrap_err()
        .to_string()
        .contains("missing the priority setting"));
    for bad in ["0", "1001", "-1001", "high"] {
        let chisel = format!(
            "format: v1\n{MAINT}archives:\n{}{KEY}",
            archive("a", &format!("    priority: {bad}\n"))
        );
        let e = load_chisel(&chisel).unwrap_err().to_string();
        assert!(e.contains("invalid priority value"), "{bad}: {e}");
    }
    let chisel = format!(
        "format: v1\n{MAINT}archives:\n{}{KEY}",
        archive("a", "    priority: -20\n")
    );
    assert_eq!(load_chisel(&chisel).unwrap().archives["a"].priority, -20);
}

#[test]
fn archive_fields_and_keys() {
    let missing = format!("format: v1\n{MAINT}archives:\n  a:\n    suites: [x]\n    components: [main]\n    public-keys: [k]\n{KEY}");
    assert!(load_chisel(&missing)
        .unwrap_err()
        .to_string()
        .contains("missing version field"));
    let undefined = format!("format: v1\n{MAINT}archives:\n  a:\n    version: 1\n    suites: [x]\n    components: [main]\n    public-keys: [nokey]\n{KEY}");
    assert!(load_chisel(&undefined)
        .unwrap_err()
        .to_string()
        .contains("undefined public key \"nokey\""));
    let none = format!("format: v1\n{MAINT}{KEY}");
    assert!(load_chisel(&none)
        .unwrap_err()
        .to_string()
        .contains("no archives defined"));
}

#[test]
fn invalid_pro_archive_is_ignored_with_a_warning() {
    let chisel = format!(
        "format: v1\n{MAINT}archives:\n{}{}{KEY}",
        archive("ubuntu", "    priority: 10\n"),
        archive("odd", "    priority: 20\n    pro: nonsense\n")
    );
    let r = load_chisel(&chisel).unwrap();
    assert!(!r.archives.contains_key("odd"));
    assert!(r.warnings.iter().any(|w| w.contains("odd")));
}

#[test]
fn version_keeps_its_text() {
    let chisel = format!("format: v1\n{MAINT}archives:\n  ubuntu:\n    version: 24.10\n    suites: [oracular]\n    components: [main]\n    public-keys: [k]\n{KEY}");
    assert_eq!(
        load_chisel(&chisel).unwrap().archives["ubuntu"].version,
        "24.10"
    );
}

#[test]
fn maintenance_from_file_default_or_error() {
    let chisel = format!("format: v1\nmaintenance:\n  standard: 2024-04-25\n  legacy: 2034-04-25\n  end-of-life: 2036-04-29\narchives:\n{}{KEY}", archive("u", ""));
    let m = load_chisel(&chisel).unwrap().maintenance.unwrap();
    assert_eq!(
        (m.standard.as_str(), m.legacy.as_deref(), m.expanded),
        ("2024-04-25", Some("2034-04-25"), None)
    );
    // No maintenance: Chisel's table for the ubuntu archive's version.
    let chisel = format!("format: v1\narchives:\n{}{KEY}", archive("ubuntu", ""));
    let m = load_chisel(&chisel).unwrap().maintenance.unwrap();
    assert_eq!(m.end_of_life, "2036-04-29");
    let chisel = format!("format: v1\narchives:\n{}{KEY}", archive("other", ""));
    assert!(load_chisel(&chisel)
        .unwrap_err()
        .to_string()
        .contains("\"standard\" is unset"));
    let chisel = format!("format: v1\nmaintenance:\n  standard: 2024-13-01\n  end-of-life: 2036-04-29\narchives:\n{}{KEY}", archive("u", ""));
    assert!(load_chisel(&chisel)
        .unwrap_err()
        .to_string()
        .contains("YYYY-MM-DD"));
}

// ---- names and files ----

#[test]
fn file_name_must_match_package() {
    fails(
        "v1",
        &[("foo", "package: bar\n")],
        "filename and 'package' field (\"bar\") disagree",
    );
    let dir = tree(&[
        ("chisel.yaml", &common::chisel_yaml("v1")),
        ("slices/Bad_Name.yaml", "package: x\n"),
    ]);
    let e = whittle_slices::load(&[dir.path().to_path_buf()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("invalid slice definition filename"), "{e}");
}

#[test]
fn slice_names() {
    fails(
        "v1",
        &[("foo", "package: foo\nslices:\n  ab:\n")],
        "invalid slice name \"ab\"",
    );
    fails(
        "v1",
        &[("foo", "package: foo\nslices:\n  Bins:\n")],
        "invalid slice name",
    );
    ok("v1", &[("foo", "package: foo\nslices:\n  gconv-core:\n")]);
}

#[test]
fn package_defined_twice_in_one_tree() {
    let dir = tree(&[
        ("chisel.yaml", &common::chisel_yaml("v1")),
        ("slices/a/foo.yaml", "package: foo\n"),
        ("slices/b/foo.yaml", "package: foo\n"),
    ]);
    let e = whittle_slices::load(&[dir.path().to_path_buf()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("slices defined more than once"), "{e}");
}

#[test]
fn subfolders_and_byte_order_mark() {
    let dir = tree(&[
        ("chisel.yaml", &common::chisel_yaml("v1")),
        (
            "slices/sub/foo.yaml",
            "\u{feff}package: foo\nslices:\n  bins:\n",
        ),
        ("slices/README.md", "not yaml"),
    ]);
    let r = whittle_slices::load(&[dir.path().to_path_buf()]).unwrap();
    assert!(r.packages["foo"].slices.contains_key("bins"));
}

#[test]
fn hints() {
    let r = ok(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    hint: Programs for foo\n",
        )],
    );
    assert_eq!(
        r.packages["foo"].slices["bins"].hint.as_deref(),
        Some("Programs for foo")
    );
    fails(
        "v1",
        &[(
            "foo",
            &format!(
                "package: foo\nslices:\n  bins:\n    hint: {}\n",
                "x".repeat(41)
            ),
        )],
        "invalid hint",
    );
    fails(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    hint: \"a\\tb\"\n",
        )],
        "invalid hint",
    );
}

#[test]
fn every_bad_file_is_reported() {
    let e = common::load(
        "v1",
        &[("foo", "package: bar\n"), ("baz", "package: qux\n")],
    )
    .unwrap_err();
    assert_eq!(e.problems().len(), 2, "{e}");
}

#[test]
fn overlays_replace_whole_packages() {
    let base = tree(&[
        ("chisel.yaml", &common::chisel_yaml("v1")),
        (
            "slices/foo.yaml",
            "package: foo\nslices:\n  bins:\n  libs:\n",
        ),
        ("slices/bar.yaml", "package: bar\nslices:\n  bins:\n"),
    ]);
    let over = tree(&[("slices/foo.yaml", "package: foo\nslices:\n  data:\n")]);
    let r = whittle_slices::load(&[base.path().to_path_buf(), over.path().to_path_buf()]).unwrap();
    assert_eq!(
        r.packages["foo"].slices.keys().collect::<Vec<_>>(),
        ["data"]
    );
    assert!(r.packages["foo"].source.starts_with(over.path()));
    assert!(r.packages.contains_key("bar"));
    // The last chisel.yaml wins, and its format reads every file.
    let v3 = tree(&[("chisel.yaml", &common::chisel_yaml("v3"))]);
    let r = whittle_slices::load(&[base.path().to_path_buf(), v3.path().to_path_buf()]).unwrap();
    assert_eq!(r.format, Format::V3);
    let none = tree(&[("slices/xy.yaml", "package: xy\n")]);
    let e = whittle_slices::load(&[none.path().to_path_buf()]).unwrap_err();
    assert!(e.to_string().contains("no chisel.yaml"), "{e}");
}

// ---- essentials ----

#[test]
fn essential_list() {
    let r = ok(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    essential:\n      - foo_libs\n  libs:\n",
        )],
    );
    assert_eq!(
        r.packages["foo"].slices["bins"].essential,
        vec![Essential {
            slice: key("foo_libs"),
            arch: None
        }]
    );
    fails(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    essential: [foo_libs, foo_libs]\n  libs:\n",
        )],
        "repeats foo_libs",
    );
    fails(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    essential:\n      foo_libs:\n  libs:\n",
        )],
        "essential expects a list",
    );
    fails(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    essential: [foo_bins]\n",
        )],
        "cannot add slice to itself",
    );
    fails(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    essential: [foo-libs]\n",
        )],
        "invalid essential slice reference",
    );
}

#[test]
fn essential_map_with_arch() {
    let r = ok(
        "v3",
        &[("foo", "package: foo\nslices:\n  bins:\n    essential:\n      foo_libs: {arch: amd64}\n      foo_data:\n  libs:\n  data:\n")],
    );
    let e = &r.packages["foo"].slices["bins"].essential;
    assert_eq!(
        e[0],
        Essential {
            slice: key("foo_data"),
            arch: None
        }
    );
    assert_eq!(
        e[1],
        Essential {
            slice: key("foo_libs"),
            arch: Some(vec!["amd64".into()])
        }
    );
    assert!(e[1].applies_to("amd64") && !e[1].applies_to("arm64"));
}

#[test]
fn package_level_essential_skips_itself() {
    let r = ok(
        "v1",
        &[(
            "foo",
            "package: foo\nessential:\n  - foo_copyright\nslices:\n  bins:\n  copyright:\n",
        )],
    );
    let s = &r.packages["foo"].slices;
    assert_eq!(
        s["bins"].essential,
        vec![Essential {
            slice: key("foo_copyright"),
            arch: None
        }]
    );
    assert!(s["copyright"].essential.is_empty());
    fails(
        "v1",
        &[("foo", "package: foo\nessential: [foo_copyright]\nslices:\n  bins:\n    essential: [foo_copyright]\n  copyright:\n")],
        "slice foo_bins repeats foo_copyright",
    );
}

#[test]
fn v3_essential_merges_in_v1() {
    let r = ok(
        "v1",
        &[(
            "foo",
            "package: foo\nv3-essential:\n  foo_data: {arch: [amd64, i386]}\nslices:\n  bins:\n    essential: [foo_libs]\n    v3-essential:\n      foo_extra: {arch: arm64}\n  libs:\n  data:\n  extra:\n",
        )],
    );
    let e = &r.packages["foo"].slices["bins"].essential;
    let keys: Vec<String> = e.iter().map(|e| e.slice.to_string()).collect();
    assert_eq!(keys, ["foo_data", "foo_extra", "foo_libs"]);
    assert_eq!(e[1].arch, Some(vec!["arm64".to_owned()]));
    // The package-level v3 essential does not apply to the slice itself.
    assert!(r.packages["foo"].slices["data"].essential.is_empty());
    fails(
        "v1",
        &[("foo", "package: foo\nslices:\n  bins:\n    essential: [foo_libs]\n    v3-essential:\n      foo_libs: {arch: amd64}\n  libs:\n")],
        "slice foo_bins repeats foo_libs",
    );
    fails(
        "v1",
        &[("foo", "package: foo\nessential: [foo_libs]\nv3-essential:\n  foo_libs: {arch: amd64}\nslices:\n  libs:\n  bins:\n")],
        "package \"foo\" repeats foo_libs",
    );
}

// ---- path kinds ----

fn kind_of(yaml_entry: &str) -> PathKind {
    let r = ok(
        "v1",
        &[(
            "foo",
            &format!("package: foo\nslices:\n  bins:\n    contents:\n      {yaml_entry}\n"),
        )],
    );
    r.packages["foo"].slices["bins"]
        .contents
        .values()
        .next()
        .unwrap()
        .kind
        .clone()
}

#[test]
fn path_kinds() {
    assert_eq!(kind_of("/usr/bin/foo:"), PathKind::Copy);
    assert_eq!(kind_of("/usr/bin/foo: {}"), PathKind::Copy);
    assert_eq!(
        kind_of("/usr/bin/foo: {copy: /usr/bin/foo}"),
        PathKind::Copy
    );
    assert_eq!(
        kind_of("/etc/foo: {copy: /usr/share/foo/foo}"),
        PathKind::CopyFrom("/usr/share/foo/foo".into())
    );
    assert_eq!(kind_of("/usr/lib/*-linux-*/libfoo.so.*:"), PathKind::Glob);
    assert_eq!(
        kind_of("/usr/share/foo/**: {until: mutate}"),
        PathKind::Glob
    );
    assert_eq!(kind_of("/var/foo/: {make: true}"), PathKind::Make);
    assert_eq!(
        kind_of("/etc/foo: {text: FIXME}"),
        PathKind::Text("FIXME".into())
    );
    assert_eq!(
        kind_of("/etc/foo: {text: \"\"}"),
        PathKind::Text(String::new())
    );
    assert_eq!(kind_of("/etc/foo: {text: }"), PathKind::Copy);
    assert_eq!(
        kind_of("/usr/bin/foo: {symlink: bar}"),
        PathKind::Symlink("bar".into())
    );
    assert_eq!(
        kind_of("/var/lib/chisel/**: {generate: manifest}"),
        PathKind::GenerateManifest
    );
    assert_eq!(
        kind_of("/var/lib/x/**: {generate: other}"),
        PathKind::GenerateUnknown("other".into())
    );
}

#[test]
fn kinds_are_exclusive() {
    for entry in [
        "/etc/foo: {text: a, symlink: b}",
        "/etc/foo/: {make: true, text: a}",
        "/etc/foo: {copy: /x, symlink: b}",
    ] {
        fails(
            "v1",
            &[(
                "foo",
                &format!("package: foo\nslices:\n  bins:\n    contents:\n      {entry}\n"),
            )],
            "conflict in slice foo_bins definition",
        );
    }
}

fn entry_fails(entry: &str, needle: &str) {
    let msg = fails(
        "v1",
        &[(
            "foo",
            &format!("package: foo\nslices:\n  bins:\n    contents:\n      {entry}\n"),
        )],
        needle,
    );
    assert!(msg.contains("foo.yaml"), "{msg}");
}

#[test]
fn invalid_paths() {
    for p in ["foo", "/a//b", "/a/./b", "/a/../b", "/", "/a/b//"] {
        entry_fails(&format!("\"{p}\":"), "invalid content path");
    }
    entry_fails("/etc/foo: {make: true}", "must end in / for 'make'");
}

// ---- options ----

#[test]
fn mode_is_octal_like_yaml_1_1() {
    let r = ok(
        "v1",
        &[("foo", "package: foo\nslices:\n  bins:\n    contents:\n      /a/: {make: true, mode: 02775}\n      /b: {text: x, mode: 0o640}\n      /c: {text: x, mode: 0}\n")],
    );
    let c = &r.packages["foo"].slices["bins"].contents;
    assert_eq!(c["/a/"].mode, Some(0o2775));
    assert_eq!(c["/b"].mode, Some(0o640));
    assert_eq!(c["/c"].mode, None);
    entry_fails("/a: {text: x, mode: rwx}", "invalid 'mode'");
}

#[test]
fn mutable_only_on_text_and_copied_files() {
    let r = ok("v1", &[("foo", "package: foo\nslices:\n  bins:\n    contents:\n      /a: {text: x, mutable: true}\n      /b: {mutable: true}\n      /c: {copy: /d, mutable: true}\n")]);
    assert!(r.packages["foo"].slices["bins"]
        .contents
        .values()
        .all(|p| p.mutable));
    entry_fails(
        "/a/: {make: true, mutable: true}",
        "mutable is not a regular file",
    );
    entry_fails(
        "/a: {symlink: b, mutable: true}",
        "mutable is not a regular file",
    );
    entry_fails("/a/: {mutable: true}", "mutable is not a regular file");
}

#[test]
fn until_and_arch() {
    let r = ok(
        "v1",
        &[("foo", "package: foo\nslices:\n  bins:\n    contents:\n      /a: {until: mutate, arch: amd64}\n      /b*: {until: mutate, arch: [arm64, s390x]}\n")],
    );
    let c = &r.packages["foo"].slices["bins"].contents;
    assert!(c["/a"].until_mutate && c["/b*"].until_mutate);
    assert_eq!(c["/b*"].arch, Some(vec!["arm64".into(), "s390x".into()]));
    assert!(c["/a"].applies_to("amd64") && !c["/a"].applies_to("arm64"));
    entry_fails("/a: {until: later}", "invalid 'until'");
    entry_fails("/a: {arch: x86}", "invalid 'arch'");
}

#[test]
fn globs_take_only_until_and_arch() {
    for opts in [
        "{mode: 0644}",
        "{text: x}",
        "{mutable: true}",
        "{prefer: bar}",
        "{copy: /x}",
        "{make: true}",
    ] {
        entry_fails(&format!("/a/*/: {opts}"), "invalid wildcard options");
    }
}

#[test]
fn generate_rules() {
    entry_fails(
        "/var/lib/chisel/**: {generate: manifest, until: mutate}",
        "invalid generate options",
    );
    entry_fails(
        "/var/lib/chisel/**: {generate: manifest, mode: 0644}",
        "invalid generate options",
    );
    entry_fails(
        "/var/lib/chisel/: {generate: manifest}",
        "invalid generate path",
    );
    entry_fails(
        "/var/lib/*/**: {generate: manifest}",
        "invalid generate path",
    );
    entry_fails(
        "/var/lib/chisel**: {generate: manifest}",
        "invalid generate path",
    );
    kind_of("/var/lib/chisel/**: {generate: manifest, arch: amd64}");
}

#[test]
fn prefer_rules_at_load() {
    entry_fails("/a: {prefer: foo}", "cannot 'prefer' its own package");
    let r = ok(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    contents:\n      /a: {prefer: bar}\n",
        )],
    );
    assert_eq!(
        r.packages["foo"].slices["bins"].contents["/a"]
            .prefer
            .as_deref(),
        Some("bar")
    );
}

#[test]
fn copy_from_a_pattern_is_refused() {
    entry_fails("/a: {copy: /b/*}", "wildcard");
}

#[test]
fn repeated_keys_and_mutate_scripts() {
    fails(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    contents:\n      /a:\n      /a:\n",
        )],
        "already defined",
    );
    let r = ok(
        "v1",
        &[(
            "foo",
            "package: foo\nslices:\n  bins:\n    mutate: |\n      content.write(\"/a\", \"x\")\n",
        )],
    );
    assert_eq!(
        r.packages["foo"].slices["bins"].mutate.as_deref(),
        Some("content.write(\"/a\", \"x\")\n")
    );
}

#[test]
fn archive_pin() {
    let r = ok("v1", &[("foo", "package: foo\narchive: ubuntu\n")]);
    assert_eq!(r.packages["foo"].archive.as_deref(), Some("ubuntu"));
}
