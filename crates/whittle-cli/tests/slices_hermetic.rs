//! Chisel slices over a test-built, signed Debian repository on 127.0.0.1
//! and a small release written here: each path kind and option, the
//! essentials, pins, `prefer`, the mutation script and the conflict rules,
//! checked in the image whittle builds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use common::*;
use whittle_test::{DebEntry, DebRepo, DebSpec};

const TAG: &str = "whittle.test/slices:hermetic";

fn repo() -> DebRepo {
    let mut repo = DebRepo::new("stable");
    repo.add(
        DebSpec::new("app", "1.0")
            // Never followed for slices: the package does not exist.
            .field("Depends", "libnope")
            .file("usr/bin/app", b"#!app\n", 0o755)
            .file("usr/bin/app-arm", b"#!arm\n", 0o755)
            .file("usr/share/app/data/a.txt", b"a\n", 0o644)
            .file("usr/share/app/data/sub/b.txt", b"b\n", 0o600)
            .file("usr/share/app/other.txt", b"other\n", 0o644)
            .file("usr/share/app/never.txt", b"never\n", 0o644)
            .file("etc/app/template.conf", b"key=value\n", 0o640)
            .file("usr/share/app/scratch.txt", b"hello\n", 0o644)
            .file("usr/lib/app/lib.so", b"ELF-ish\n", 0o644)
            .entry(DebEntry::Hardlink(
                "usr/lib/app/lib-link.so".into(),
                "usr/lib/app/lib.so".into(),
            ))
            .file("usr/share/doc/app/copyright", b"(c)\n", 0o644)
            .file("usr/share/doc/app/changelog", b"log\n", 0o644),
    )
    .add(DebSpec::new("libfoo", "1.0").file("usr/lib/libfoo.so.1", b"one\n", 0o644))
    .add(DebSpec::new("libfoo", "2.0").file("usr/lib/libfoo.so.2", b"two\n", 0o644))
    .add(DebSpec::new("dup-a", "1").file("usr/share/common/file", b"a\n", 0o644))
    .add(DebSpec::new("dup-b", "1").file("usr/share/common/file", b"b\n", 0o644));
    repo.publish();
    repo
}

const APP: &str = r#"package: app
essential:
  - app_copyright
slices:
  bins:
    essential:
      - libfoo_libs
    contents:
      /usr/bin/app:
      /usr/bin/app-arm: {arch: arm64}
      /usr/share/app/data/**:
      /usr/share/app/?ther.txt:
      /etc/app/app.conf: {copy: /etc/app/template.conf}
      /etc/app/generated: {text: FIXME, mutable: true}
      /var/lib/app/: {make: true, mode: 0700}
      /usr/bin/app-link: {symlink: app}
      /usr/share/app/scratch.txt: {until: mutate}
      /usr/lib/app/lib-link.so:
    mutate: |
      data = content.read("/usr/share/app/scratch.txt")
      content.write("/etc/app/generated", data.upper())
  state:
    contents:
      /var/lib/chisel/**: {generate: manifest}
  copyright:
    contents:
      /usr/share/doc/app/copyright:
"#;

/// A release over `repo`: chisel.yaml naming its key, and slice files.
fn release(dir: &Path, repo: &DebRepo, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join("release");
    fs_err::create_dir_all(root.join("slices")).unwrap();
    let armor: String = repo
        .armored_key()
        .lines()
        .map(|l| format!("      {l}\n"))
        .collect();
    fs_err::write(
        root.join("chisel.yaml"),
        format!(
            "format: v1\nmaintenance:\n  standard: 2024-01-01\n  end-of-life: 2099-01-01\narchives:\n  test:\n    version: 1.0\n    suites: [stable]\n    components: [main]\n    public-keys: [test-key]\npublic-keys:\n  test-key:\n    id: {}\n    armor: |\n{armor}",
            repo.key_id()
        ),
    )
    .unwrap();
    for (name, text) in files {
        fs_err::write(root.join("slices").join(format!("{name}.yaml")), text).unwrap();
    }
    root
}

fn default_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("app", APP),
        (
            "libfoo",
            "package: libfoo\nslices:\n  libs:\n    contents:\n      /usr/lib/libfoo.so.*:\n",
        ),
        (
            "dup-a",
            "package: dup-a\nslices:\n  data:\n    contents:\n      /usr/share/common/file: {prefer: dup-b}\n",
        ),
        (
            "dup-b",
            "package: dup-b\nslices:\n  data:\n    contents:\n      /usr/share/common/file:\n",
        ),
    ]
}

fn recipe(dir: &Path, url: &str, slices: &[&Path], packages: &str) -> PathBuf {
    let trees: Vec<String> = slices.iter().map(|p| p.display().to_string()).collect();
    let text = format!(
        "contents:\n  slices: [{}]\n  repositories:\n    - type: deb\n      url: {url}\n  packages: [{packages}]\narchs: [amd64]\n",
        trees.join(", ")
    );
    let p = dir.join("recipe.yaml");
    fs_err::write(&p, text).unwrap();
    p
}

fn build(dir: &Path, recipe: &Path, ok: bool) -> (PathBuf, String) {
    let archive = dir.join("out.tar");
    let out = run(
        whittle()
            .arg("build")
            .arg(recipe)
            .arg(TAG)
            .arg(&archive)
            .arg("--no-sbom")
            .arg("--cache-dir")
            .arg(dir.join("cache")),
        ok,
    );
    (archive, stderr(&out))
}

/// Path → (kind, mode, content or link target) of the image's layers.
fn tree(archive: &Path) -> BTreeMap<String, (char, u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    for gz in layer_blobs(archive) {
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
        for e in tar.entries().unwrap() {
            let mut e = e.unwrap();
            let path = format!(
                "/{}",
                e.path().unwrap().to_string_lossy().trim_end_matches('/')
            );
            let mode = e.header().mode().unwrap() & 0o7777;
            let t = e.header().entry_type();
            let value = if t.is_dir() {
                ('d', mode, Vec::new())
            } else if t.is_symlink() {
                let target = e
                    .link_name()
                    .unwrap()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                ('l', mode, target.into_bytes())
            } else if t.is_hard_link() {
                let target = e
                    .link_name()
                    .unwrap()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                ('h', mode, target.into_bytes())
            } else {
                let mut b = Vec::new();
                e.read_to_end(&mut b).unwrap();
                ('f', mode, b)
            };
            out.insert(path, value);
        }
    }
    out
}

#[test]
fn every_path_kind_and_option_is_cut_as_chisel_cuts_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo();
    let srv = repo.serve();
    let rel = release(dir.path(), &repo, &default_files());
    let r = recipe(
        dir.path(),
        &srv.url(),
        &[&rel],
        "app_bins, app_state, dup-a_data, dup-b_data, libfoo_libs=1.0",
    );
    let (archive, _) = build(dir.path(), &r, true);
    let t = tree(&archive);
    let file = |p: &str| {
        let (k, mode, c) = t
            .get(p)
            .unwrap_or_else(|| panic!("{p} missing: {:?}", t.keys().collect::<Vec<_>>()));
        assert_eq!(*k, 'f', "{p} is not a file");
        (*mode, String::from_utf8_lossy(c).into_owned())
    };
    // Plain extraction keeps the package's mode.
    assert_eq!(file("/usr/bin/app"), (0o755, "#!app\n".into()));
    // arch: arm64 only.
    assert!(!t.contains_key("/usr/bin/app-arm"));
    // ** crosses folders, ? is one character; nothing else comes along.
    assert_eq!(file("/usr/share/app/data/a.txt").1, "a\n");
    assert_eq!(file("/usr/share/app/data/sub/b.txt"), (0o600, "b\n".into()));
    assert_eq!(file("/usr/share/app/other.txt").1, "other\n");
    assert!(!t.contains_key("/usr/share/app/never.txt"));
    // copy: the source's content and mode at the new path, the source not.
    assert_eq!(file("/etc/app/app.conf"), (0o640, "key=value\n".into()));
    assert!(!t.contains_key("/etc/app/template.conf"));
    // text + mutable, rewritten by the mutation script from an
    // until: mutate file, which is gone afterwards.
    assert_eq!(file("/etc/app/generated"), (0o644, "HELLO\n".into()));
    assert!(!t.contains_key("/usr/share/app/scratch.txt"));
    // make with mode; symlink as written.
    assert_eq!(t["/var/lib/app"].0, 'd');
    assert_eq!(t["/var/lib/app"].1, 0o700);
    assert_eq!(t["/usr/bin/app-link"], ('l', 0o777, b"app".to_vec()));
    // A hard link whose target is not cut becomes the file.
    assert_eq!(file("/usr/lib/app/lib-link.so").1, "ELF-ish\n");
    assert!(!t.contains_key("/usr/lib/app/lib.so"));
    // Package-level essential: the copyright slice, and only it.
    assert_eq!(file("/usr/share/doc/app/copyright").1, "(c)\n");
    assert!(!t.contains_key("/usr/share/doc/app/changelog"));
    // Slice essentials followed, Depends not; the pin holds.
    assert_eq!(file("/usr/lib/libfoo.so.1").1, "one\n");
    assert!(!t.contains_key("/usr/lib/libfoo.so.2"));
    // prefer: dup-a gives the path to dup-b.
    assert_eq!(file("/usr/share/common/file").1, "b\n");
    // generate: manifest.
    assert!(t.contains_key("/var/lib/chisel/manifest.wall"));
    // The dpkg database names what was cut and only that.
    let status = file("/var/lib/dpkg/status").1;
    for (name, version) in [
        ("app", "1.0"),
        ("libfoo", "1.0"),
        ("dup-a", "1"),
        ("dup-b", "1"),
    ] {
        assert!(
            status.contains(&format!("Package: {name}\nStatus: install ok installed\n")),
            "{status}"
        );
        assert!(
            status.contains(&format!("Version: {version}\n")),
            "{status}"
        );
    }
    let app_list = file("/var/lib/dpkg/info/app.list").1;
    assert!(app_list.contains("/etc/app/generated\n"), "{app_list}");
    assert!(!app_list.contains("changelog"), "{app_list}");
    assert!(!app_list.contains("scratch"), "{app_list}");
    let dup_a = file("/var/lib/dpkg/info/dup-a.list").1;
    assert!(!dup_a.contains("/usr/share/common/file"), "{dup_a}");
}

#[test]
fn a_path_from_two_packages_without_prefer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo();
    let srv = repo.serve();
    let base = release(dir.path(), &repo, &default_files());
    // An overlay whose dup-a drops the prefer.
    let overlay = dir.path().join("overlay");
    fs_err::create_dir_all(overlay.join("slices")).unwrap();
    fs_err::write(
        overlay.join("slices/dup-a.yaml"),
        "package: dup-a\nslices:\n  data:\n    contents:\n      /usr/share/common/file:\n",
    )
    .unwrap();
    let r = recipe(
        dir.path(),
        &srv.url(),
        &[&base, &overlay],
        "dup-a_data, dup-b_data",
    );
    let (archive, err) = build(dir.path(), &r, false);
    assert!(err.contains("/usr/share/common/file"), "{err}");
    assert!(err.contains("dup-a") && err.contains("dup-b"), "{err}");
    assert!(!archive.exists());
    // And `whittle slices check` finds it in the overlaid release.
    let out = run(
        common::whittle()
            .args(["slices", "check"])
            .arg(&base)
            .arg(&overlay),
        false,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("/usr/share/common/file"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_slice_path_the_package_lacks_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo();
    let srv = repo.serve();
    let mut files = default_files();
    files[1] = (
        "libfoo",
        "package: libfoo\nslices:\n  libs:\n    contents:\n      /usr/lib/libfoo.so.9:\n",
    );
    let rel = release(dir.path(), &repo, &files);
    let r = recipe(dir.path(), &srv.url(), &[&rel], "libfoo_libs");
    let (_, err) = build(dir.path(), &r, false);
    assert!(err.contains("no content at /usr/lib/libfoo.so.9"), "{err}");
    assert!(err.contains("libfoo"), "{err}");
}

#[test]
fn unknown_slices_and_forbidden_writes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo();
    let srv = repo.serve();
    let rel = release(dir.path(), &repo, &default_files());
    let r = recipe(dir.path(), &srv.url(), &[&rel], "app_binz");
    let (_, err) = build(dir.path(), &r, false);
    assert!(err.contains("app_binz"), "{err}");

    let mut files = default_files();
    let bad = APP.replace(
        "content.write(\"/etc/app/generated\", data.upper())",
        "content.write(\"/usr/bin/app\", data)",
    );
    files[0] = ("app", bad.as_str());
    let dir2 = tempfile::tempdir().unwrap();
    let rel = release(dir2.path(), &repo, &files);
    let r = recipe(dir2.path(), &srv.url(), &[&rel], "app_bins");
    let (_, err) = build(dir2.path(), &r, false);
    assert!(err.contains("app_bins"), "{err}");
    assert!(err.contains("/usr/bin/app"), "{err}");
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn slices_without_a_release_are_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo();
    let srv = repo.serve();
    let r = deb_recipe(dir.path(), &srv.url(), &repo.keyring_path(), "app_bins", "");
    let (_, err) = build(dir.path(), &r, false);
    assert!(err.contains("contents.slices"), "{err}");
}

/// Two archives: `low` (priority 10) has libfoo 3.0, `high` (priority 20)
/// libfoo 1.0. As in Chisel, a package comes from the highest-priority
/// archive that has it, whatever the versions elsewhere, unless its slice
/// file pins an archive.
#[test]
fn archive_priority_and_archive_pins_choose_where_a_package_comes_from() {
    let mut low = DebRepo::new("stable");
    low.add(DebSpec::new("libfoo", "3.0").file("usr/lib/libfoo.so.3", b"three\n", 0o644));
    low.publish();
    let mut high = DebRepo::new("stable");
    high.add(DebSpec::new("libfoo", "1.0").file("usr/lib/libfoo.so.1", b"one\n", 0o644));
    high.publish();
    let (low_srv, high_srv) = (low.serve(), high.serve());
    let key = |name: &str, repo: &DebRepo| {
        let armor: String = repo
            .armored_key()
            .lines()
            .map(|l| format!("      {l}\n"))
            .collect();
        format!(
            "  {name}:\n    id: {}\n    armor: |\n{armor}",
            repo.key_id()
        )
    };
    let chisel_yaml = format!(
        "format: v1\nmaintenance:\n  standard: 2024-01-01\n  end-of-life: 2099-01-01\narchives:\n  low:\n    version: 1.0\n    priority: 10\n    suites: [stable]\n    components: [main]\n    public-keys: [low-key]\n  high:\n    version: 1.0\n    priority: 20\n    suites: [stable]\n    components: [main]\n    public-keys: [high-key]\npublic-keys:\n{}{}",
        key("low-key", &low),
        key("high-key", &high)
    );
    for (pin, expect, absent) in [
        ("", "/usr/lib/libfoo.so.1", "/usr/lib/libfoo.so.3"),
        (
            "archive: low\n",
            "/usr/lib/libfoo.so.3",
            "/usr/lib/libfoo.so.1",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let rel = dir.path().join("release");
        fs_err::create_dir_all(rel.join("slices")).unwrap();
        fs_err::write(rel.join("chisel.yaml"), &chisel_yaml).unwrap();
        fs_err::write(
            rel.join("slices/libfoo.yaml"),
            format!("package: libfoo\n{pin}slices:\n  libs:\n    contents:\n      /usr/lib/libfoo.so.*:\n"),
        )
        .unwrap();
        let r = dir.path().join("recipe.yaml");
        fs_err::write(
            &r,
            format!(
                "contents:\n  slices: {}\n  repositories:\n    - {{type: deb, url: {}, archive: low}}\n    - {{type: deb, url: {}, archive: high}}\n  packages: [libfoo_libs]\narchs: [amd64]\n",
                rel.display(),
                low_srv.url(),
                high_srv.url()
            ),
        )
        .unwrap();
        let (archive, _) = build(dir.path(), &r, true);
        let t = tree(&archive);
        assert!(t.contains_key(expect), "{pin:?}: {expect} missing");
        assert!(!t.contains_key(absent), "{pin:?}: {absent} present");
    }
}

#[test]
fn a_sliced_lock_records_the_slices_and_the_release_it_was_cut_from() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo();
    let srv = repo.serve();
    let rel = release(dir.path(), &repo, &default_files());
    let r = recipe(dir.path(), &srv.url(), &[&rel], "app_bins, libfoo_libs");
    let (archive, _) = build(dir.path(), &r, true);
    let from_index = sha256_file(&archive);
    run(
        whittle()
            .arg("lock")
            .arg(&r)
            .arg("--cache-dir")
            .arg(dir.path().join("cache")),
        true,
    );
    let lockfile = dir.path().join("recipe.lock.json");
    let lock: serde_json::Value =
        serde_json::from_slice(&fs_err::read(&lockfile).unwrap()).unwrap();
    // Each package is locked with the slices cut from it.
    let parts = |name: &str| -> Vec<String> {
        let p = lock["contents"]["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} not locked"));
        assert!(p["sha256"].as_str().is_some_and(|s| s.len() == 64), "{p}");
        serde_json::from_value(p["parts"].clone()).unwrap()
    };
    assert!(
        parts("app").contains(&"bins".to_string()),
        "{:?}",
        parts("app")
    );
    assert_eq!(parts("libfoo"), ["libs"]);
    let tree = &lock["whittle"]["trees"][0];
    assert_eq!(tree["name"], "chisel-release");
    assert!(tree["digest"].as_str().unwrap().starts_with("sha256:"));

    // From the lock: the same image, files and all.
    let built = |ok: bool| {
        let _ = fs_err::remove_file(&archive);
        run(
            whittle()
                .arg("build")
                .arg(&r)
                .arg(TAG)
                .arg(&archive)
                .arg("--no-sbom")
                .arg("--lockfile")
                .arg(&lockfile)
                .arg("--cache-dir")
                .arg(dir.path().join("cache")),
            ok,
        )
    };
    built(true);
    assert_eq!(sha256_file(&archive), from_index);
    // An edited slice definition changes what would be cut: the lock is
    // refused, naming the release.
    let libfoo = rel.join("slices/libfoo.yaml");
    let text = fs_err::read_to_string(&libfoo).unwrap();
    fs_err::write(&libfoo, text.replace("libfoo.so.*", "libfoo.so*")).unwrap();
    let out = built(false);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("chisel-release")
            && err.contains("has changed")
            && err.contains("whittle lock"),
        "{err}"
    );
    assert!(!archive.exists());
}
