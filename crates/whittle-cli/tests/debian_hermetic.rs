//! Hermetic tests: small Debian repositories made at test time (real ar,
//! tar and xz formats; InRelease clearsigned with a throw-away OpenPGP
//! key) and served on 127.0.0.1. Each test breaks one link or feeds one kind
//! of bad input, and checks the error and that nothing was left behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use whittle_test::{DebEntry, DebRepo, DebSpec};
use whittle_test_env::host::{require_tool, skip};

fn small_repo() -> DebRepo {
    let mut repo = DebRepo::new("stable");
    repo.add(
        DebSpec::new("hello", "1.0-1")
            .field("Depends", "libgreet (>= 2.0) | libgreet-compat, base-files")
            .file("usr/bin/hello", b"#!hello\n", 0o755)
            .entry(DebEntry::Symlink("usr/bin/hi".into(), "hello".into())),
    )
    .add(
        DebSpec::new("libgreet", "2.1-1")
            .field("Source", "greet (2.1-1)")
            .field("Provides", "libgreet-abi (= 2)")
            .file("lib/x86_64-linux-gnu/libgreet.so.2", b"ELF?", 0o644),
    )
    .add(DebSpec::new("libgreet-compat", "1.0").file("usr/lib/compat", b"c", 0o644))
    .add(
        DebSpec::new("base-files", "12.4")
            .file(
                "usr/lib/os-release",
                b"ID=debian\nVERSION_ID=\"12\"\n",
                0o644,
            )
            .entry(DebEntry::Symlink(
                "etc/os-release".into(),
                "../usr/lib/os-release".into(),
            ))
            .file("etc/debian_version", b"12.4\n", 0o644),
    )
    .add(DebSpec::new("dash", "0.5").file("bin/sh", b"#!sh", 0o755))
    .add(
        DebSpec::new("needs-old-ffi", "1.0")
            .field("Depends", "libffi-mid")
            .file("usr/share/x", b"x", 0o644),
    )
    .add(DebSpec::new("libffi-mid", "1.0").field("Depends", "libffi8 (>= 3.4)"))
    .add(DebSpec::new("libffi8", "3.3-1"))
    .add(DebSpec::new("evil", "6.6.6").entry(DebEntry::RawFile(
        "../../../../tmp/whittle-evil-escape".into(),
        b"escaped".to_vec(),
    )));
    repo.publish();
    repo
}

fn recipe(dir: &Path, url: &str, keyring: &Path, packages: &str, extra: &str) -> PathBuf {
    deb_recipe(dir, url, keyring, packages, extra)
}

struct Case {
    dir: tempfile::TempDir,
    repo: DebRepo,
}

impl Case {
    fn new() -> Case {
        Case {
            dir: tempfile::tempdir().unwrap(),
            repo: small_repo(),
        }
    }
    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }
    fn out(&self) -> PathBuf {
        self.dir.path().join("out.tar")
    }
    fn build(&self, url: &str, packages: &str, extra: &str, args: &[&str]) -> std::process::Output {
        let r = recipe(
            self.dir.path(),
            url,
            &self.repo.keyring_path(),
            packages,
            extra,
        );
        run(
            whittle()
                .arg("build")
                .arg(&r)
                .arg("test.invalid/hello:1")
                .arg(self.out())
                .arg("--cache-dir")
                .arg(self.cache())
                .arg("--build-date")
                .arg("1700000000")
                .args(args),
            false,
        )
    }
    fn assert_failed_cleanly(&self, out: &std::process::Output, needle: &str) {
        let err = stderr(out);
        assert!(!out.status.success(), "should have failed:\n{err}");
        assert!(
            err.contains(needle),
            "error does not mention {needle:?}:\n{err}"
        );
        assert!(!self.out().exists(), "a partial output was left behind");
        let leftovers: Vec<_> = fs_err::read_dir(self.dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp") || n.starts_with(".out.tar"))
            .collect();
        assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    }
}

fn list_tar(path: &Path) -> Vec<(String, tar::EntryType, Vec<u8>)> {
    // The layer is the only gzip blob among the archive's blobs.
    let mut outer = tar::Archive::new(fs_err::File::open(path).unwrap());
    let mut layers = Vec::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if data.starts_with(&[0x1f, 0x8b]) {
            layers.push(data);
        }
    }
    assert_eq!(layers.len(), 1);
    let mut inner = tar::Archive::new(flate2::read::GzDecoder::new(&layers[0][..]));
    inner
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            (
                e.path().unwrap().to_string_lossy().into_owned(),
                e.header().entry_type(),
                data,
            )
        })
        .collect()
}

#[test]
fn builds_with_alternatives_provides_and_merged_usr() {
    let c = Case::new();
    let srv = c.repo.serve();
    let out = c.build(&srv.url(), "hello", "", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let entries = list_tar(&c.out());
    let names: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
    assert!(names.contains(&"usr/bin/hello"));
    // lib/ is a link into usr/: the library landed in usr/lib.
    assert!(
        names.contains(&"usr/lib/x86_64-linux-gnu/libgreet.so.2"),
        "{names:?}"
    );
    assert!(entries
        .iter()
        .any(|(n, t, _)| n == "lib" && *t == tar::EntryType::Symlink));
    // libgreet (>= 2.0) is satisfiable: the compat alternative is not installed.
    assert!(!names.contains(&"usr/lib/compat"));
    let status = entries
        .iter()
        .find(|(n, _, _)| n == "var/lib/dpkg/status")
        .map(|(_, _, d)| String::from_utf8_lossy(d).into_owned())
        .unwrap();
    assert!(
        status.contains("Package: libgreet\nStatus: install ok installed\n"),
        "{status}"
    );
    assert!(status.contains("Source: greet (2.1-1)"));
    assert!(names.contains(&"var/lib/dpkg/info/hello.list"));
    assert!(names.contains(&"var/lib/dpkg/info/hello.md5sums"));
    // Every time is clamped to the build date.
    let mut outer = tar::Archive::new(fs_err::File::open(c.out()).unwrap());
    assert!(outer.entries().unwrap().count() > 3);
}

#[test]
fn a_shell_in_the_image_is_warned_about_by_package() {
    let c = Case::new();
    let srv = c.repo.serve();
    let out = c.build(&srv.url(), "hello, dash", "", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/usr/bin/sh, a shell, brought in by package dash"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn tampered_inrelease_is_refused() {
    let c = Case::new();
    let inrelease = c.repo.dist().join("InRelease");
    let text = fs_err::read_to_string(&inrelease).unwrap();
    fs_err::write(
        &inrelease,
        text.replacen("Suite: stable", "Suite: stab1e", 1),
    )
    .unwrap();
    let srv = c.repo.serve();
    let out = c.build(&srv.url(), "hello", "", &[]);
    c.assert_failed_cleanly(&out, "InRelease");
    assert!(stderr(&out).contains("signature"), "{}", stderr(&out));
}

#[test]
fn tampered_packages_index_is_refused() {
    let c = Case::new();
    let p = c.repo.dist().join("main/binary-amd64/Packages.xz");
    let mut bytes = fs_err::read(&p).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    fs_err::write(&p, bytes).unwrap();
    let srv = c.repo.serve();
    let out = c.build(&srv.url(), "hello", "", &[]);
    c.assert_failed_cleanly(&out, "Packages.xz");
    assert!(
        stderr(&out).contains("SHA-256") || stderr(&out).contains("sha256"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn tampered_deb_is_refused_and_not_cached() {
    let c = Case::new();
    let p = c.repo.deb_path("libgreet");
    let mut bytes = fs_err::read(&p).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 0xff;
    fs_err::write(&p, bytes).unwrap();
    let srv = c.repo.serve();
    let out = c.build(&srv.url(), "hello", "", &[]);
    c.assert_failed_cleanly(&out, "libgreet 2.1-1");
    assert!(stderr(&out).contains("SHA-256"), "{}", stderr(&out));
    // Nothing unverified was kept in the cache.
    let tampered = common::sha256_file(&c.repo.deb_path("libgreet"));
    let found = walk(&c.cache())
        .into_iter()
        .any(|f| f.to_string_lossy().contains(&tampered));
    assert!(!found, "the tampered .deb was cached");
}

#[test]
fn a_package_cannot_write_outside_the_root() {
    let c = Case::new();
    let srv = c.repo.serve();
    let _ = fs_err::remove_file("/tmp/whittle-evil-escape");
    let out = c.build(&srv.url(), "evil", "", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!Path::new("/tmp/whittle-evil-escape").exists());
    let entries = list_tar(&c.out());
    assert!(entries
        .iter()
        .any(|(n, _, d)| n == "tmp/whittle-evil-escape" && d == b"escaped"));
    assert!(entries.iter().all(|(n, _, _)| !n.contains("..")));
}

#[test]
fn unsatisfiable_dependency_prints_the_chain() {
    let c = Case::new();
    let srv = c.repo.serve();
    let out = c.build(&srv.url(), "needs-old-ffi", "", &[]);
    c.assert_failed_cleanly(&out, "needs-old-ffi → libffi-mid → libffi8 (>= 3.4)");
    assert!(stderr(&out).contains("3.3-1"), "{}", stderr(&out));
}

#[test]
fn unknown_package_is_named() {
    let c = Case::new();
    let srv = c.repo.serve();
    let out = c.build(&srv.url(), "helo", "", &[]);
    c.assert_failed_cleanly(&out, "helo");
    assert!(
        stderr(&out).contains("hello"),
        "no suggestion: {}",
        stderr(&out)
    );
}

/// The CLI prints the error, then each cause once as `caused by:`; no
/// message repeats the cause below it (issue 6, point 7).
#[test]
fn each_cause_is_printed_once() {
    let mut repo = DebRepo::new("stable");
    repo.add(DebSpec::new("hello", "1.0-1").field("Depends", "libgreet (>= 2.0"));
    repo.publish();
    let c = Case {
        dir: tempfile::tempdir().unwrap(),
        repo,
    };
    let srv = c.repo.serve();
    let out = c.build(&srv.url(), "hello", "", &[]);
    c.assert_failed_cleanly(&out, "the Depends field does not parse");
    let err = stderr(&out);
    let causes: Vec<&str> = err
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("caused by: "))
        .collect();
    assert!(
        causes.iter().any(|c| c.contains("libgreet (>= 2.0")),
        "the relation error is not in the chain:\n{err}"
    );
    for cause in causes {
        assert_eq!(
            err.matches(cause).count(),
            1,
            "{cause:?} is printed more than once:\n{err}"
        );
    }
}

#[test]
fn unknown_suite_and_unreachable_mirror_are_clear() {
    let c = Case::new();
    let srv = c.repo.serve();
    let r = recipe(
        c.dir.path(),
        &srv.url(),
        &c.repo.keyring_path(),
        "hello",
        "",
    )
    .to_string_lossy()
    .into_owned();
    let text = fs_err::read_to_string(&r)
        .unwrap()
        .replace("[stable]", "[stabel]");
    fs_err::write(&r, text).unwrap();
    let out = run(
        whittle()
            .arg("build")
            .arg(&r)
            .arg("t:1")
            .arg(c.out())
            .arg("--cache-dir")
            .arg(c.cache()),
        false,
    );
    c.assert_failed_cleanly(&out, "stabel");
    // A port nothing listens on.
    let out = c.build("http://127.0.0.1:9", "hello", "", &[]);
    c.assert_failed_cleanly(&out, "127.0.0.1:9");
}

#[test]
fn malformed_recipe_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("bad.yaml");
    fs_err::write(&r, "contents:\n  repositories: []\n  pacakges: [x]\n").unwrap();
    let out = run(whittle().arg("show-packages").arg(&r), false);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("bad.yaml") && err.contains("line 3") && err.contains("pacakges"),
        "{err}"
    );
}

#[test]
fn offline_builds_from_the_cache_or_names_what_is_missing() {
    let c = Case::new();
    let srv = c.repo.serve();
    let online = c.build(&srv.url(), "hello", "", &[]);
    assert!(online.status.success(), "{}", stderr(&online));
    let digest = stdout(&online);
    let url = srv.url();
    drop(srv);
    fs_err::remove_file(c.out()).unwrap();
    let offline = c.build(&url, "hello", "", &["--offline"]);
    assert!(offline.status.success(), "{}", stderr(&offline));
    assert_eq!(stdout(&offline), digest);
    // An empty cache offline: the error names what is missing.
    fs_err::remove_file(c.out()).unwrap();
    fs_err::remove_dir_all(c.cache()).unwrap();
    let out = c.build(&url, "hello", "", &["--offline"]);
    c.assert_failed_cleanly(&out, "InRelease");
    assert!(stderr(&out).contains("offline"), "{}", stderr(&out));
}

#[test]
fn two_builds_sharing_a_cache_at_once_both_succeed() {
    let c = Case::new();
    let srv = c.repo.serve();
    let r = recipe(
        c.dir.path(),
        &srv.url(),
        &c.repo.keyring_path(),
        "hello",
        "",
    );
    let spawn = |out: &str| {
        whittle()
            .arg("build")
            .arg(&r)
            .arg("t:1")
            .arg(c.dir.path().join(out))
            .arg("--cache-dir")
            .arg(c.cache())
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("a.tar"), spawn("b.tar"));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(b.status.success(), "{}", stderr(&b));
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn a_full_disk_leaves_no_partial_output() {
    let c = Case::new();
    let srv = c.repo.serve();
    let small = c.dir.path().join("small");
    fs_err::create_dir_all(&small).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=12k", "tmpfs"])
        .arg(&small)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        skip("cannot mount a tiny tmpfs here (needs root); the disk-full check did NOT run");
        return;
    }
    let r = recipe(
        c.dir.path(),
        &srv.url(),
        &c.repo.keyring_path(),
        "hello",
        "",
    );
    let target = small.join("out.tar");
    let out = run(
        whittle()
            .arg("build")
            .arg(&r)
            .arg("t:1")
            .arg(&target)
            .arg("--cache-dir")
            .arg(c.cache()),
        false,
    );
    let listing: Vec<_> = fs_err::read_dir(&small)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    let _ = std::process::Command::new("umount").arg(&small).status();
    assert!(!out.status.success(), "a 12k disk held the image?");
    assert!(
        listing.is_empty(),
        "left behind on the full disk: {listing:?}"
    );
    assert!(stderr(&out).contains("out.tar"), "{}", stderr(&out));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = fs_err::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn two_arch_repo() -> DebRepo {
    let mut repo = DebRepo::new("stable");
    for arch in ["amd64", "arm64"] {
        repo.add(
            DebSpec::new("hello", "1.0")
                .arch(arch)
                .field("Depends", "base-files")
                .file("usr/bin/hello", format!("hello-{arch}").as_bytes(), 0o755),
        );
    }
    // A newer version that only amd64 has.
    repo.add(
        DebSpec::new("hello", "2.0")
            .arch("amd64")
            .field("Depends", "base-files")
            .file("usr/bin/hello", b"hello-2-amd64", 0o755),
    );
    repo.add(
        DebSpec::new("base-files", "12.4")
            .arch("all")
            .file(
                "usr/lib/os-release",
                b"ID=debian\nVERSION_ID=\"12\"\n",
                0o644,
            )
            .file("etc/debian_version", b"12.4\n", 0o644),
    );
    repo.publish();
    repo
}

#[test]
fn two_architectures_share_versions_and_one_image_index() {
    if !require_tool("skopeo") {
        return;
    }
    let repo = two_arch_repo();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(dir.path(), &srv.url(), &repo.keyring_path(), "hello", "");
    let show = |archs: &str| {
        stdout(&run(
            whittle()
                .arg("show-packages")
                .arg(&r)
                .args(["--arch", archs, "--cache-dir"])
                .arg(dir.path().join("cache")),
            true,
        ))
    };
    assert!(
        show("amd64").contains("hello 2.0\n"),
        "one arch takes the newest"
    );
    let both = show("amd64,arm64");
    assert_eq!(both.matches("hello 1.0\n").count(), 2, "{both}");
    assert!(!both.contains("hello 2.0"), "{both}");

    let archive = dir.path().join("multi.tar");
    let tag = "test.invalid/hello:1";
    run(
        whittle()
            .arg("build")
            .arg(&r)
            .arg(tag)
            .arg(&archive)
            .args([
                "--arch",
                "x86_64,aarch64",
                "--build-date",
                "1700000000",
                "--cache-dir",
            ])
            .arg(dir.path().join("cache")),
        true,
    );
    // index.json holds one entry: the image index, named by the tag.
    let layout = dir.path().join("layout");
    fs_err::create_dir_all(&layout).unwrap();
    run(
        std::process::Command::new("tar")
            .arg("-xf")
            .arg(&archive)
            .arg("-C")
            .arg(&layout),
        true,
    );
    let index: serde_json::Value =
        serde_json::from_slice(&fs_err::read(layout.join("index.json")).unwrap()).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{index}");
    assert_eq!(
        entries[0]["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    assert_eq!(
        entries[0]["annotations"]["org.opencontainers.image.ref.name"],
        tag
    );
    let raw = run(
        std::process::Command::new("skopeo").args([
            "inspect",
            "--raw",
            &format!("oci-archive:{}", archive.display()),
        ]),
        true,
    );
    let raw: serde_json::Value = serde_json::from_slice(&raw.stdout).unwrap();
    let platforms: Vec<String> = raw["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(platforms, ["amd64", "arm64"]);
    // skopeo picks each platform; each carries its own binary.
    for arch in ["amd64", "arm64"] {
        let (config_arch, hello) =
            skopeo_platform_file(&archive, arch, "usr/bin/hello", dir.path());
        assert_eq!(config_arch, arch);
        assert_eq!(
            hello,
            Some(format!("hello-{arch}")),
            "no usr/bin/hello of {arch} in its layer"
        );
    }
    // The docker-archive side tags each platform TAG-ARCH, as apko does.
    let docker: serde_json::Value =
        serde_json::from_slice(&fs_err::read(layout.join("manifest.json")).unwrap()).unwrap();
    let tags: Vec<String> = docker
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| {
            m["RepoTags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        tags.contains(&format!("{tag}-amd64")) && tags.contains(&format!("{tag}-arm64")),
        "{tags:?}"
    );
}

#[test]
fn release_with_detached_signature_is_verified_too() {
    let mut repo = DebRepo::new("stable");
    repo.add(DebSpec::new("hello", "1.0").file("usr/bin/hello", b"hi", 0o755));
    repo.detached();
    repo.publish();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(dir.path(), &srv.url(), &repo.keyring_path(), "hello", "");
    let ok = run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .arg("--cache-dir")
            .arg(dir.path().join("c1")),
        true,
    );
    assert_eq!(stdout(&ok), "hello 1.0\n");
    // Tamper with Release: the detached signature no longer matches.
    let release = repo.dist().join("Release");
    let text = fs_err::read_to_string(&release).unwrap();
    fs_err::write(&release, text.replace("Label: Test", "Label: Tset")).unwrap();
    let bad = run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .arg("--cache-dir")
            .arg(dir.path().join("c2")),
        false,
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("Release"), "{}", stderr(&bad));
}

#[test]
fn truncated_deb_is_refused() {
    let c = Case::new();
    let p = c.repo.deb_path("hello");
    let bytes = fs_err::read(&p).unwrap();
    fs_err::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let srv = c.repo.serve();
    let out = c.build(&srv.url(), "hello", "", &[]);
    c.assert_failed_cleanly(&out, "hello 1.0-1");
}

#[test]
fn origin_layering_gives_identical_layers_for_the_same_packages() {
    let c = Case::new();
    let srv = c.repo.serve();
    let layering = "layering: {strategy: origin, budget: 10}\n";
    let digests = |packages: &str, out: &str| -> Vec<String> {
        let r = recipe(
            c.dir.path(),
            &srv.url(),
            &c.repo.keyring_path(),
            packages,
            layering,
        );
        let res = run(
            whittle()
                .arg("build")
                .arg(&r)
                .arg("t:1")
                .arg(c.dir.path().join(out))
                .args(["--build-date", "1700000000", "--cache-dir"])
                .arg(c.cache()),
            true,
        );
        stderr(&res)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("layer "))
            .map(str::to_string)
            .collect()
    };
    let a = digests("hello, dash", "a.tar");
    let b = digests("hello, libgreet-compat", "b.tar");
    assert!(a.len() >= 4, "expected several layers: {a:?}");
    let hello_a = a.iter().find(|l| l.contains("(origin hello)")).unwrap();
    let hello_b = b.iter().find(|l| l.contains("(origin hello)")).unwrap();
    let digest = |l: &str| l.split(' ').next().unwrap().to_string();
    assert_eq!(
        digest(hello_a),
        digest(hello_b),
        "the hello layer differs between images"
    );
}

#[test]
fn unrelated_packages_may_not_overwrite_each_others_files() {
    let mut repo = DebRepo::new("stable");
    repo.add(DebSpec::new("alpha", "1").file("usr/bin/same", b"alpha", 0o755))
        .add(DebSpec::new("beta", "1").file("usr/bin/same", b"beta", 0o755))
        .add(
            DebSpec::new("gamma", "1")
                .field("Replaces", "alpha (<< 2)")
                .file("usr/bin/same", b"gamma", 0o755),
        );
    repo.publish();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let build = |packages: &str, out: &str| {
        let r = recipe(dir.path(), &srv.url(), &repo.keyring_path(), packages, "");
        run(
            whittle()
                .arg("build")
                .arg(&r)
                .arg("t:1")
                .arg(dir.path().join(out))
                .arg("--cache-dir")
                .arg(dir.path().join("cache")),
            false,
        )
    };
    let clash = build("alpha, beta", "clash.tar");
    assert!(!clash.status.success());
    assert!(
        stderr(&clash).contains("file conflict: /usr/bin/same is in both alpha 1 and beta 1"),
        "{}",
        stderr(&clash)
    );
    assert!(!dir.path().join("clash.tar").exists());
    let replaced = build("alpha, gamma", "ok.tar");
    assert!(replaced.status.success(), "{}", stderr(&replaced));
}

#[test]
fn an_expired_release_is_refused_unless_asked() {
    let mut repo = DebRepo::new("stable");
    repo.add(DebSpec::new("hello", "1.0").file("usr/bin/hello", b"hi", 0o755));
    repo.valid_until("Sat, 01 Jan 2000 00:00:00 UTC");
    repo.publish();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(dir.path(), &srv.url(), &repo.keyring_path(), "hello", "");
    let show = |extra: &[&str]| {
        run(
            whittle()
                .arg("show-packages")
                .arg(&r)
                .args(extra)
                .arg("--cache-dir")
                .arg(dir.path().join("c")),
            false,
        )
    };
    let expired = show(&[]);
    assert!(!expired.status.success());
    let err = stderr(&expired);
    assert!(
        err.contains("Valid-Until") && err.contains("--ignore-valid-until"),
        "{err}"
    );
    let allowed = show(&["--ignore-valid-until"]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert_eq!(stdout(&allowed), "hello 1.0\n");
}

#[test]
fn a_release_valid_in_the_future_is_accepted() {
    let mut repo = DebRepo::new("stable");
    repo.add(DebSpec::new("hello", "1.0").file("usr/bin/hello", b"hi", 0o755));
    repo.valid_until("Fri, 01 Jan 2100 00:00:00 UTC");
    repo.publish();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(dir.path(), &srv.url(), &repo.keyring_path(), "hello", "");
    let ok = run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .arg("--cache-dir")
            .arg(dir.path().join("c")),
        true,
    );
    assert_eq!(stdout(&ok), "hello 1.0\n");
}

/// The `.deb` paths the server was asked for, in order.
fn deb_requests(srv: &whittle_net::TestServer) -> Vec<String> {
    srv.requested_paths()
        .into_iter()
        .filter(|p| p.ends_with(".deb"))
        .collect()
}

#[test]
fn a_deb_cut_off_once_is_resumed_and_the_build_succeeds() {
    let c = Case::new();
    let srv = c.repo.serve();
    srv.inject(".deb", 1, whittle_net::Fault::Truncate(200));
    let out = c.build(&srv.url(), "hello", "", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let debs = deb_requests(&srv);
    let mut unique = debs.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        debs.len(),
        unique.len() + 1,
        "one .deb fetched twice: {debs:?}"
    );
    assert!(c.out().exists());
}

#[test]
fn a_deb_always_cut_off_fails_as_truncated_not_tampered() {
    let c = Case::new();
    let name = c.repo.deb_path("hello");
    let name = name.file_name().unwrap().to_string_lossy().into_owned();
    let srv = c.repo.serve();
    srv.inject(&name, usize::MAX, whittle_net::Fault::Truncate(200));
    let out = c.build(&srv.url(), "hello", "", &[]);
    c.assert_failed_cleanly(&out, "hello 1.0-1");
    let err = stderr(&out);
    assert!(err.contains("did not complete"), "{err}");
    assert!(err.contains("truncated: got 600 of"), "{err}");
    assert!(
        !err.contains("tampered") && !err.contains("SHA-256"),
        "{err}"
    );
    let tries = deb_requests(&srv)
        .iter()
        .filter(|p| p.ends_with(&name))
        .count();
    assert_eq!(tries, 3, "three attempts");
}

#[test]
fn an_edited_inrelease_in_the_cache_is_not_used_offline() {
    let c = Case::new();
    let srv = c.repo.serve();
    let online = c.build(&srv.url(), "hello", "", &[]);
    assert!(online.status.success(), "{}", stderr(&online));
    let url = srv.url();
    drop(srv);
    let inrelease = format!("{url}/dists/stable/InRelease");
    let entry =
        c.cache()
            .join("v2/keyed")
            .join(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                inrelease.as_bytes(),
            )));
    let mut stored = fs_err::read(&entry).unwrap();
    let at = stored.len() - 2;
    stored[at] ^= 0x20;
    fs_err::write(&entry, &stored).unwrap();
    fs_err::remove_file(c.out()).unwrap();
    let out = c.build(&url, "hello", "", &["--offline"]);
    c.assert_failed_cleanly(&out, "InRelease");
    // A miss, not a copy that fails its signature check.
    assert!(
        stderr(&out).contains("not in the download cache"),
        "{}",
        stderr(&out)
    );
    assert!(!entry.exists(), "the edited entry was kept");
}

#[test]
fn a_cache_with_a_readable_key_is_warned_about_and_still_builds() {
    use std::os::unix::fs::PermissionsExt;
    let c = Case::new();
    let srv = c.repo.serve();
    let first = c.build(&srv.url(), "hello", "", &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let key = c.cache().join("v2/key");
    fs_err::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    fs_err::remove_file(c.out()).unwrap();
    let out = c.build(&srv.url(), "hello", "", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("is not trusted") && err.contains("chmod 600"),
        "{err}"
    );
}
