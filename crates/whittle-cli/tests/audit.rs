//! `whittle audit` on images whittle builds from signed Debian repositories
//! made at test time (served on 127.0.0.1): every category found with its
//! paths and owning packages, the exit codes CI relies on, damaged images,
//! several platforms, an independent reading with GNU tar, and the real
//! apko golden image of the shared fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::*;
use serde_json::Value;
use whittle_net::TestServer;
use whittle_test::{DebEntry, DebRepo, DebSpec};
use whittle_test_env::fixtures;
use whittle_test_env::host::require_tool;

fn base_files() -> DebSpec {
    DebSpec::new("base-files", "12.4")
        .arch("all")
        .file(
            "usr/lib/os-release",
            b"ID=debian\nVERSION_ID=\"12\"\n",
            0o644,
        )
        .entry(DebEntry::Symlink(
            "etc/os-release".into(),
            "../usr/lib/os-release".into(),
        ))
        .entry(DebEntry::Dir("srv/drop".into()))
        .entry(DebEntry::Dir("srv/app".into()))
}

/// Packages with one finding each, and a clean `hello`. All `Architecture:
/// all`, so the same repository builds any platform.
fn repo() -> DebRepo {
    let mut repo = DebRepo::new("stable");
    repo.add(base_files())
        // One package per architecture, so that both have an index.
        .add(DebSpec::new("marker", "1").arch("amd64"))
        .add(DebSpec::new("marker", "1").arch("arm64"))
        .add(
            DebSpec::new("hello", "1.0")
                .arch("all")
                .file("usr/bin/hello", b"#!hello\n", 0o755),
        )
        // A shell, with /bin/sh pointing at it (paths as bookworm's dash).
        .add(
            DebSpec::new("dash", "0.5.12")
                .arch("all")
                .file("bin/dash", b"\x7fELF dash", 0o755)
                .entry(DebEntry::Symlink("bin/sh".into(), "dash".into())),
        )
        // A multi-call binary with two applet links.
        .add(
            DebSpec::new("busybox", "1.35")
                .arch("all")
                .file("usr/bin/busybox", b"\x7fELF busybox", 0o755)
                .entry(DebEntry::Symlink("usr/bin/ash".into(), "busybox".into()))
                .entry(DebEntry::Symlink("usr/bin/ls".into(), "busybox".into())),
        )
        .add(
            DebSpec::new("apt", "2.6")
                .arch("all")
                .file("usr/bin/apt-get", b"\x7fELF apt-get", 0o755)
                .entry(DebEntry::Symlink("usr/bin/apt".into(), "apt-get".into())),
        )
        // setuid and setgid programs.
        .add(
            DebSpec::new("suid-tools", "1.0")
                .arch("all")
                .file("usr/bin/su", b"\x7fELF su", 0o4755)
                .file("usr/bin/wall", b"\x7fELF wall", 0o2755),
        )
        // A world-writable file and a directory made so by the recipe.
        .add(DebSpec::new("scratch", "1.0").arch("all").file(
            "var/lib/scratch/pad",
            b"anyone writes here",
            0o666,
        ))
        // A directory owned by uid 1000, a name the image does not know.
        .add(
            DebSpec::new("builder-data", "1.0")
                .arch("all")
                .entry(DebEntry::OwnedDir {
                    path: "var/lib/builder".into(),
                    uid: 1000,
                    gid: 1000,
                    user: "builder".into(),
                    group: "builder".into(),
                })
                .file("srv/app/config", b"key=value\n", 0o644),
        )
        // Present only for scripts: a helper by name, and documentation.
        .add(DebSpec::new("adduser", "3.134").arch("all").file(
            "usr/sbin/adduser",
            b"#!/usr/bin/perl\n",
            0o755,
        ))
        .add(
            DebSpec::new("docs-only", "1.0")
                .arch("all")
                .file("usr/share/doc/docs-only/copyright", b"(c)", 0o644)
                .file("usr/share/man/man1/docs-only.1.gz", b"man", 0o644),
        );
    repo.publish();
    repo
}

/// The repository and its server, shared by the tests.
fn served() -> &'static (DebRepo, TestServer) {
    static S: OnceLock<(DebRepo, TestServer)> = OnceLock::new();
    S.get_or_init(|| {
        let repo = repo();
        let server = repo.serve();
        (repo, server)
    })
}

const DIRTY: &str =
    "base-files, hello, dash, busybox, apt, suid-tools, scratch, builder-data, adduser, docs-only";

/// `paths:` that make `/srv/drop` world-writable and hand
/// `/srv/app/config` to uid 1000 (`/tmp` is sticky and world-writable in
/// every image, as in Debian's).
const DIRTY_PATHS: &str = "paths:\n  - {path: /srv/drop, type: permissions, permissions: 0o777}\n  - {path: /srv/app/config, type: permissions, permissions: 0o644, uid: 1000, gid: 1000}\n";

/// Build `packages` with `extra` recipe text into `dir/out` (an archive
/// when it ends in `.tar`, else a layout directory made first).
fn build(dir: &Path, packages: &str, extra: &str, out: &str, args: &[&str]) -> PathBuf {
    let (repo, server) = served();
    let recipe = deb_recipe(dir, &server.url(), &repo.keyring_path(), packages, extra);
    let output = dir.join(out);
    if !out.ends_with(".tar") {
        fs_err::create_dir_all(&output).unwrap();
    }
    run(
        whittle()
            .arg("build")
            .arg(&recipe)
            .arg("test.invalid/audit:1")
            .arg(&output)
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .arg("--build-date")
            .arg("1700000000")
            .arg("--no-sbom")
            .args(args),
        true,
    );
    output
}

fn audit(image: &str, args: &[&str]) -> Output {
    run(whittle().arg("audit").arg(image).args(args), false)
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

/// The JSON report of `image`.
fn report(image: &Path) -> Value {
    let out = audit(
        image.to_str().unwrap(),
        &["--format", "json", "--fail-on", "none"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The dirty image, built once.
fn dirty() -> &'static Path {
    static D: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    &D.get_or_init(|| {
        let dir = once_dir("audit-dirty");
        let out = build(&dir, DIRTY, DIRTY_PATHS, "dirty.tar", &[]);
        (dir, out)
    })
    .1
}

/// `(path, packages joined)` of each finding in `list`.
fn paths(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let pkgs: Vec<&str> = f["packages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            (f["path"].as_str().unwrap().to_string(), pkgs.join(","))
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn every_category_is_found_with_its_paths_and_packages() {
    let r = report(dirty());
    assert_eq!(r["image"]["platform"], "linux/amd64");
    assert_eq!(r["image"]["databases"], serde_json::json!(["dpkg"]));
    assert_eq!(r["image"]["packages"], 10);

    // Shells: /bin/sh and /bin/dash as the merged /usr has them, busybox
    // with its applets, and busybox's `ash` applet as a shell itself.
    assert_eq!(
        paths(&r["shells"]),
        pairs(&[
            ("/usr/bin/ash", "busybox"),
            ("/usr/bin/busybox", "busybox"),
            ("/usr/bin/dash", "dash"),
            ("/usr/bin/sh", "dash"),
        ])
    );
    let shells = r["shells"].as_array().unwrap();
    assert_eq!(shells[0]["target"], "/usr/bin/busybox");
    assert_eq!(shells[3]["target"], "/usr/bin/dash");
    assert_eq!(
        shells[1]["applets"],
        serde_json::json!(["/usr/bin/ash", "/usr/bin/ls"])
    );

    assert_eq!(
        paths(&r["package_managers"]),
        pairs(&[("/usr/bin/apt", "apt"), ("/usr/bin/apt-get", "apt")])
    );

    assert_eq!(
        paths(&r["setuid"]),
        pairs(&[
            ("/usr/bin/su", "suid-tools"),
            ("/usr/bin/wall", "suid-tools")
        ])
    );
    assert_eq!(r["setuid"][0]["mode"], "4755");
    assert_eq!(r["setuid"][1]["mode"], "2755");

    assert_eq!(
        paths(&r["world_writable"]),
        pairs(&[
            ("/srv/drop", "base-files"),
            ("/var/lib/scratch/pad", "scratch"),
        ])
    );
    assert_eq!(paths(&r["world_writable_sticky"]), pairs(&[("/tmp", "")]));
    assert_eq!(r["world_writable_sticky"][0]["mode"], "1777");

    let owners = r["non_root"].as_array().unwrap();
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert_eq!(
        (owners[0]["uid"].as_u64(), owners[0]["gid"].as_u64()),
        (Some(1000), Some(1000))
    );
    assert_eq!(
        paths(&owners[0]["paths"]),
        pairs(&[
            ("/srv/app/config", "builder-data"),
            ("/var/lib/builder", "builder-data"),
        ])
    );

    let script_only: Vec<(String, String)> = r["script_only"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["package"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        script_only,
        pairs(&[
            ("adduser", "script-helper"),
            ("docs-only", "no-runtime-files")
        ])
    );
    for (category, n) in [
        ("shells", 4),
        ("package-managers", 2),
        ("setuid", 2),
        ("world-writable", 2),
        ("world-writable-sticky", 1),
        ("non-root", 2),
        ("script-only", 2),
    ] {
        assert_eq!(r["counts"][category], n, "{category}");
    }
}

#[test]
fn the_text_report_groups_and_counts_with_packages() {
    let out = audit(dirty().to_str().unwrap(), &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "package database: /var/lib/dpkg/status (10 packages)",
        "shells: 4\n",
        "  /usr/bin/sh -> /usr/bin/dash  [dash]\n",
        "  /usr/bin/busybox  [busybox]  2 applet links: /usr/bin/ash, /usr/bin/ls\n",
        "setuid/setgid files: 2\n  /usr/bin/su  file 4755 0:0  [suid-tools]\n",
        "world-writable, sticky directories: 1\n  /tmp  dir 1777  [no package]\n",
        "uid 1000, gid 1000: 2 paths\n",
        "  docs-only 1.0  only documentation and metadata (2 files)\n",
        "  adduser 3.134  a tool maintainer scripts call\n",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
    let err = stderr(&out);
    assert!(
        err.contains(
            "audit failed: shells (4), package-managers (2), setuid (2), world-writable (2)"
        ),
        "{err}"
    );
}

#[test]
fn a_clean_image_passes_and_fail_on_chooses_what_fails() {
    let dir = tempfile::tempdir().unwrap();
    let clean = build(dir.path(), "base-files, hello", "", "clean.tar", &[]);
    let clean = clean.to_str().unwrap();
    let out = audit(clean, &[]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("audit passed"), "{}", stderr(&out));
    // Nothing of any category but the sticky /tmp every image gets.
    let all = "shells,package-managers,setuid,world-writable,non-root,script-only";
    let out = audit(clean, &["--fail-on", all]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = audit(clean, &["--fail-on", "world-writable-sticky"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("  /tmp  dir 1777  [no package]\n"));

    let dirty = dirty().to_str().unwrap();
    for (fail_on, expected) in [
        ("none", 0),
        ("non-root", 1),
        ("script-only", 1),
        ("world-writable-sticky", 1),
        ("setuid,non-root", 1),
    ] {
        let out = audit(dirty, &["--fail-on", fail_on]);
        assert_eq!(
            code(&out),
            expected,
            "--fail-on {fail_on}: {}",
            stderr(&out)
        );
    }
    let out = audit(dirty, &["--fail-on", "non-root"]);
    assert!(
        stderr(&out).contains("audit failed: non-root (2)"),
        "{}",
        stderr(&out)
    );
    let out = audit(dirty, &["--fail-on", "shels"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown category `shels`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_damaged_image_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = fs_err::read(dirty()).unwrap();

    // Cut off inside the largest member, and between two members.
    let (inside, between) = cut_points(dirty());
    for at in [inside, between] {
        let cut = dir.path().join("cut.tar");
        fs_err::write(&cut, &good[..at]).unwrap();
        let out = audit(cut.to_str().unwrap(), &[]);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{err}");
        assert!(
            err.contains(&cut.display().to_string()) && err.contains("cut off (truncated)"),
            "{err}"
        );
    }

    // Not a tar at all.
    let junk = dir.path().join("junk.tar");
    fs_err::write(&junk, vec![0x42u8; 4096]).unwrap();
    let out = audit(junk.to_str().unwrap(), &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains(&junk.display().to_string()), "{err}");

    // A layer blob changed in a layout directory: named, as a changed blob.
    let layout = build(dir.path(), "base-files, hello", "", "layout", &[]);
    let layer = largest_blob(&layout);
    let mut bytes = fs_err::read(&layer).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs_err::write(&layer, &bytes).unwrap();
    let out = audit(layout.to_str().unwrap(), &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    let name = layer.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(name) && err.contains("layout"), "{err}");

    // A missing blob.
    fs_err::remove_file(&layer).unwrap();
    let out = audit(layout.to_str().unwrap(), &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains(name) && err.contains("missing"), "{err}");

    // No such file.
    let out = audit(dir.path().join("absent.tar").to_str().unwrap(), &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("absent.tar"), "{}", stderr(&out));
}

/// Offsets in an archive: the middle of its largest member, and the end of
/// its first member's data.
fn cut_points(archive: &Path) -> (usize, usize) {
    let mut tar = tar::Archive::new(fs_err::File::open(archive).unwrap());
    let mut largest = (0, 0);
    let mut first_end = None;
    for e in tar.entries().unwrap() {
        let e = e.unwrap();
        let (at, size) = (e.raw_file_position(), e.size());
        if size > 0 && first_end.is_none() {
            first_end = Some(at + size.div_ceil(512) * 512);
        }
        if size > largest.1 {
            largest = (at, size);
        }
    }
    let inside = largest.0 + largest.1 / 2;
    (
        usize::try_from(inside).unwrap(),
        usize::try_from(first_end.unwrap()).unwrap(),
    )
}

fn largest_blob(layout: &Path) -> PathBuf {
    fs_err::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| fs_err::metadata(p).unwrap().len())
        .unwrap()
}

#[test]
fn platforms_and_tags_are_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let multi = build(
        dir.path(),
        "base-files, hello, dash",
        "",
        "multi.tar",
        &["--arch", "amd64,arm64"],
    );
    let multi = multi.to_str().unwrap();
    let platform = |args: &[&str]| {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let out = audit(multi, &all);
        let r: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            code(&out),
            r["image"]["platform"].as_str().map(str::to_string),
            stderr(&out),
        )
    };
    let (rc, arm, _) = platform(&["--platform", "linux/arm64"]);
    assert_eq!((rc, arm.as_deref()), (1, Some("linux/arm64/v8")));
    let (_, host, _) = platform(&[]);
    let host_arch = match std::env::consts::ARCH {
        "aarch64" => "linux/arm64/v8",
        _ => "linux/amd64",
    };
    assert_eq!(host.as_deref(), Some(host_arch));
    let (rc, _, err) = platform(&["--platform", "linux/s390x"]);
    assert_eq!(rc, 2);
    assert!(
        err.contains("has no image for linux/s390x; it has linux/amd64, linux/arm64/v8"),
        "{err}"
    );

    // A layout holding two tags: name one.
    let layout = build(dir.path(), "base-files, hello", "", "layout", &[]);
    let (repo, server) = served();
    let r2 = dir.path().join("second");
    fs_err::create_dir_all(&r2).unwrap();
    let recipe = deb_recipe(
        &r2,
        &server.url(),
        &repo.keyring_path(),
        "base-files, hello, dash",
        "",
    );
    run(
        whittle()
            .arg("build")
            .arg(&recipe)
            .arg("test.invalid/audit:2")
            .arg(&layout)
            .arg("--cache-dir")
            .arg(dir.path().join("cache"))
            .arg("--no-sbom"),
        true,
    );
    let l = layout.to_str().unwrap();
    let out = audit(l, &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains(":TAG"), "{}", stderr(&out));
    assert_eq!(code(&audit(&format!("{l}:1"), &[])), 0);
    assert_eq!(code(&audit(&format!("{l}:2"), &[])), 1);
    assert_eq!(code(&audit(&format!("{l}:test.invalid/audit:2"), &[])), 1);
    let out = audit(&format!("{l}:3"), &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("test.invalid/audit:1"),
        "{}",
        stderr(&out)
    );
}

/// The same facts read with GNU tar from the layer the manifest names.
#[test]
fn findings_agree_with_gnu_tar() {
    if !require_tool("tar") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    fs_err::create_dir_all(&layout).unwrap();
    run(
        Command::new("tar")
            .arg("-xf")
            .arg(dirty())
            .arg("-C")
            .arg(&layout),
        true,
    );
    let json = |p: PathBuf| -> Value { serde_json::from_slice(&fs_err::read(p).unwrap()).unwrap() };
    let blob = |d: &Value| layout.join("blobs/sha256").join(&d.as_str().unwrap()[7..]);
    let index = json(layout.join("index.json"));
    let manifest = json(blob(&index["manifests"][0]["digest"]));
    let mut listing = String::new();
    for layer in manifest["layers"].as_array().unwrap() {
        let out = run(
            Command::new("tar")
                .args(["-tvz", "--numeric-owner", "-f"])
                .arg(blob(&layer["digest"])),
            true,
        );
        listing.push_str(&stdout(&out));
    }
    // `-rwsr-xr-x 0/0 12 2023-11-14 22:13 usr/bin/su`
    let mut setuid = BTreeSet::new();
    let mut writable = BTreeSet::new();
    let mut non_root = BTreeSet::new();
    let mut entries = 0;
    for line in listing.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (perms, owner) = (fields[0].as_bytes(), fields[1]);
        let path = format!("/{}", fields[5].trim_end_matches('/'));
        entries += 1;
        if perms[0] == b'l' {
            continue;
        }
        if perms[0] == b'-' && (matches!(perms[3], b's' | b'S') || matches!(perms[6], b's' | b'S'))
        {
            setuid.insert(path.clone());
        }
        if perms[8] == b'w' {
            writable.insert(path.clone());
        }
        if owner != "0/0" {
            non_root.insert(path);
        }
    }
    let r = report(dirty());
    let set = |v: &Value| -> BTreeSet<String> { paths(v).into_iter().map(|(p, _)| p).collect() };
    assert_eq!(r["image"]["entries"].as_u64(), Some(entries));
    assert_eq!(set(&r["setuid"]), setuid);
    let mut ours = set(&r["world_writable"]);
    ours.extend(set(&r["world_writable_sticky"]));
    assert_eq!(ours, writable);
    assert_eq!(set(&r["non_root"][0]["paths"]), non_root);
}

/// apko's own output (the golden OCI layout of the shared fixtures): two
/// platforms, an apk database reached through `/lib/apk → ../usr/lib/apk`,
/// device nodes under /dev.
#[test]
fn the_apko_golden_image() {
    let golden = fixtures::path("apk/apko-golden/golden");
    for platform in ["linux/amd64", "linux/arm64"] {
        let out = audit(
            golden.to_str().unwrap(),
            &["--platform", platform, "--format", "json"],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["image"]["platform"], platform);
        assert_eq!(r["image"]["entries"], 39);
        assert_eq!(r["image"]["databases"], serde_json::json!(["apk"]));
        assert_eq!(r["image"]["packages"], 2);
        assert_eq!(paths(&r["world_writable_sticky"]), pairs(&[("/tmp", "")]));
        for empty in [
            "shells",
            "package_managers",
            "setuid",
            "world_writable",
            "non_root",
            "script_only",
        ] {
            assert_eq!(r[empty], serde_json::json!([]), "{empty}");
        }
    }
}
