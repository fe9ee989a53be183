//! What recipes written the way new users write them hit in their first
//! hour: accounts as apko defines them, owners as packages name them,
//! `--ignore-signatures` for every world, a missing entrypoint, an excluded
//! library, a virtual satisfied only by an excluded package, outputs checked
//! before the work, SBOMs that do not overwrite each other, files two
//! packages share. Repositories are made at test time and served on
//! 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use whittle_test::{DebEntry, DebRepo, DebSpec};

/// A file of the image: owner, mode, content.
type Files = BTreeMap<String, (u64, u64, u32, Vec<u8>)>;

fn base_files() -> DebSpec {
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
        .file("etc/debian_version", b"12.4\n", 0o644)
}

/// A dynamically linked ELF program: the host's own `true`, which needs
/// libc.so.6.
fn elf_program() -> Vec<u8> {
    fs_err::read("/bin/true").expect("the host has /bin/true")
}

fn repo() -> DebRepo {
    let mut repo = DebRepo::new("stable");
    repo.add(base_files())
        .add(DebSpec::new("hello", "1.0").file("usr/bin/hello", b"#!hello\n", 0o755))
        .add(
            DebSpec::new("logger", "1.0")
                .entry(DebEntry::OwnedDir {
                    path: "var/log/app".into(),
                    uid: 4242,
                    gid: 4343,
                    user: "nobody".into(),
                    group: "nogroup".into(),
                })
                .entry(DebEntry::OwnedDir {
                    path: "var/lib/app".into(),
                    uid: 4242,
                    gid: 4343,
                    user: "appuser".into(),
                    group: "appgroup".into(),
                }),
        )
        .add(DebSpec::new("app", "1.0").field("Depends", "libc6").file(
            "usr/bin/app",
            &elf_program(),
            0o755,
        ))
        .add(DebSpec::new("libc6", "2.36").file("lib/x86_64-linux-gnu/libc.so.6", b"libc", 0o644))
        .add(DebSpec::new("mawk", "1.3").field("Provides", "awk").file(
            "usr/bin/mawk",
            b"#!awk",
            0o755,
        ))
        .add(DebSpec::new("alpha", "1").file("usr/share/common/LICENSE", b"same text", 0o644))
        .add(DebSpec::new("beta", "1").file("usr/share/common/LICENSE", b"same text", 0o644));
    repo.publish();
    repo
}

struct Case {
    dir: tempfile::TempDir,
    repo: DebRepo,
}

impl Case {
    fn new() -> Case {
        Case {
            dir: tempfile::tempdir().unwrap(),
            repo: repo(),
        }
    }

    fn recipe(&self, url: &str, keyring: &Path, packages: &str, extra: &str) -> PathBuf {
        deb_recipe(self.dir.path(), url, keyring, packages, extra)
    }

    /// Build into `out` (relative to the case's directory).
    fn build_to(&self, url: &str, packages: &str, extra: &str, out: &str, args: &[&str]) -> Output {
        let r = self.recipe(url, &self.repo.keyring_path(), packages, extra);
        run(
            whittle()
                .arg("build")
                .arg(&r)
                .arg("test.invalid/first:1")
                .arg(self.dir.path().join(out))
                .arg("--cache-dir")
                .arg(self.dir.path().join("cache"))
                .arg("--build-date")
                .arg("1700000000")
                .args(args),
            false,
        )
    }

    fn build(&self, url: &str, packages: &str, extra: &str, args: &[&str]) -> Output {
        self.build_to(url, packages, extra, "out.tar", args)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn ok(out: &Output) -> String {
    let err = stderr(out);
    assert!(out.status.success(), "build failed:\n{err}");
    err
}

fn failed(out: &Output, needle: &str) -> String {
    let err = stderr(out);
    assert!(!out.status.success(), "should have failed:\n{err}");
    assert!(err.contains(needle), "no {needle:?} in:\n{err}");
    err
}

/// The blobs of an OCI archive by digest.
fn blobs(archive: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut tar = tar::Archive::new(fs_err::File::open(archive).unwrap());
    for e in tar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.insert(path, data);
    }
    out
}

/// The image config of a one-platform archive.
fn config(archive: &Path) -> serde_json::Value {
    let blobs = blobs(archive);
    let json = |name: &str| -> serde_json::Value { serde_json::from_slice(&blobs[name]).unwrap() };
    let index = json("index.json");
    let blob = |digest: &serde_json::Value| {
        format!(
            "blobs/sha256/{}",
            digest.as_str().unwrap().trim_start_matches("sha256:")
        )
    };
    let manifest = json(&blob(&index["manifests"][0]["digest"]));
    json(&blob(&manifest["config"]["digest"]))
}

/// Every entry of every layer.
fn files(archive: &Path) -> Files {
    let mut out = Files::new();
    for data in blobs(archive).values() {
        if !data.starts_with(&[0x1f, 0x8b]) {
            continue;
        }
        let mut layer = tar::Archive::new(flate2::read::GzDecoder::new(&data[..]));
        for e in layer.entries().unwrap() {
            let mut e = e.unwrap();
            let path = e
                .path()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches('/')
                .to_string();
            let h = e.header().clone();
            let mut content = Vec::new();
            e.read_to_end(&mut content).unwrap();
            out.insert(
                path,
                (
                    h.uid().unwrap(),
                    h.gid().unwrap(),
                    h.mode().unwrap(),
                    content,
                ),
            );
        }
    }
    out
}

#[test]
fn a_user_without_gid_needs_no_group_and_run_as_may_name_image_users() {
    let c = Case::new();
    let srv = c.repo.serve();
    let users = "accounts:\n  users: [{username: app, uid: 10001}]\n";
    ok(&c.build(
        &srv.url(),
        "base-files, hello",
        &format!("{users}  run-as: app\n"),
        &[],
    ));
    assert_eq!(config(&c.path("out.tar"))["config"]["User"], "10001");
    let image = files(&c.path("out.tar"));
    let passwd = String::from_utf8(image["etc/passwd"].3.clone()).unwrap();
    assert!(passwd.contains("\napp:"), "{passwd}");
    assert!(passwd.contains(":10001:10001:"), "{passwd}");
    let home = &image["home/app"];
    assert_eq!((home.0, home.1), (10001, 10001));

    // Accounts the image itself has: root, nobody; and a group by name.
    ok(&c.build(
        &srv.url(),
        "base-files, hello",
        &format!("{users}  run-as: root\n"),
        &[],
    ));
    assert_eq!(config(&c.path("out.tar"))["config"]["User"], "0");
    ok(&c.build(
        &srv.url(),
        "base-files, hello",
        &format!("{users}  run-as: app:nogroup\n"),
        &[],
    ));
    assert_eq!(config(&c.path("out.tar"))["config"]["User"], "10001:65534");
    let err = failed(
        &c.build(
            &srv.url(),
            "base-files, hello",
            &format!("{users}  run-as: ghost\n"),
            &[],
        ),
        "`run-as: ghost` names no user",
    );
    assert!(err.contains("root") && err.contains("app"), "{err}");
}

#[test]
fn owners_follow_the_names_in_the_package_through_the_images_accounts() {
    let c = Case::new();
    let srv = c.repo.serve();
    ok(&c.build(&srv.url(), "base-files, logger", "", &[]));
    let image = files(&c.path("out.tar"));
    // Names the image knows map to its ids, as dpkg maps them ...
    let log = &image["var/log/app"];
    assert_eq!((log.0, log.1, log.2), (65534, 65534, 0o750));
    // ... names it does not know keep the package's numbers.
    let lib = &image["var/lib/app"];
    assert_eq!((lib.0, lib.1), (4242, 4343));
}

#[test]
fn ignore_signatures_is_honoured_for_debian_and_said_for_every_index() {
    let c = Case::new();
    let srv = c.repo.serve();
    // A keyring that did not sign this repository.
    let stranger = DebRepo::new("stable");
    stranger.publish();
    let r = c.recipe(
        &srv.url(),
        &stranger.keyring_path(),
        "base-files, hello",
        "",
    );
    let build = |extra: &[&str]| {
        run(
            whittle()
                .arg("build")
                .arg(&r)
                .arg("t:1")
                .arg(c.path("out.tar"))
                .arg("--cache-dir")
                .arg(c.path("cache"))
                .args(extra),
            false,
        )
    };
    failed(&build(&[]), "is not valid for the keyring");
    assert!(!c.path("out.tar").exists());
    let err = ok(&build(&["--ignore-signatures"]));
    assert!(
        err.contains("NOT VERIFYING the signature of") && err.contains("dists/stable"),
        "{err}"
    );
}

#[test]
fn a_missing_entrypoint_is_an_error_naming_it() {
    let c = Case::new();
    let srv = c.repo.serve();
    let err = failed(
        &c.build(
            &srv.url(),
            "base-files, hello",
            "entrypoint: {command: /usr/bin/helo}\n",
            &[],
        ),
        "the entrypoint `/usr/bin/helo` does not exist in the image",
    );
    assert!(!c.path("out.tar").exists(), "{err}");
    // A command found on the image's PATH, or a path that exists, is fine.
    ok(&c.build(
        &srv.url(),
        "base-files, hello",
        "entrypoint: {command: hello}\n",
        &[],
    ));
    ok(&c.build(
        &srv.url(),
        "base-files, hello",
        "cmd: /usr/bin/hello --x\n",
        &[],
    ));
    let err = failed(
        &c.build(&srv.url(), "base-files", "cmd: [hello]\n", &[]),
        "the cmd `hello` does not exist in the image",
    );
    assert!(err.contains("add the package that ships it"), "{err}");
    // A base image whose program a later layer adds says so.
    ok(&c.build(
        &srv.url(),
        "base-files",
        "entrypoint: {command: /usr/bin/helo}\n",
        &["--allow-missing-entrypoint"],
    ));
}

#[test]
fn excluding_a_library_the_image_needs_is_warned_about() {
    let c = Case::new();
    let srv = c.repo.serve();
    let err = ok(&c.build(&srv.url(), "base-files, app", "", &[]));
    assert!(!err.contains("libc.so.6"), "{err}");
    let err = ok(&c.build(&srv.url(), "base-files, app", "  exclude: [libc6]\n", &[]));
    assert!(
        err.contains("/usr/bin/app need libc.so.6, which is not in the image")
            && err.contains("they depend on libc6, which contents.exclude leaves out"),
        "{err}"
    );
}

#[test]
fn a_virtual_provided_only_by_an_excluded_package_is_an_error() {
    let c = Case::new();
    let srv = c.repo.serve();
    failed(
        &c.build(&srv.url(), "base-files, awk", "  exclude: [mawk]\n", &[]),
        "awk is provided only by excluded mawk",
    );
}

#[test]
fn outputs_are_checked_before_any_work() {
    let c = Case::new();
    let srv = c.repo.serve();
    let err = failed(
        &c.build_to(
            &srv.url(),
            "base-files, hello",
            "",
            "no-such-dir/out.tar",
            &[],
        ),
        "does not exist",
    );
    assert!(!err.contains("fetching"), "the build started:\n{err}");
    let err = failed(
        &c.build(
            &srv.url(),
            "base-files, hello",
            "",
            &["--sbom-path", c.path("no-sboms").to_str().unwrap()],
        ),
        "the SBOM directory",
    );
    assert!(!err.contains("fetching"), "the build started:\n{err}");
    assert!(!c.path("out.tar").exists());
}

#[test]
fn builds_sharing_a_directory_keep_their_own_sboms() {
    let c = Case::new();
    let srv = c.repo.serve();
    ok(&c.build_to(&srv.url(), "base-files, hello", "", "a.tar", &[]));
    ok(&c.build_to(&srv.url(), "base-files", "", "b.tar", &[]));
    let a = fs_err::read_to_string(c.path("a.sbom-amd64.spdx.json")).unwrap();
    let b = fs_err::read_to_string(c.path("b.sbom-amd64.spdx.json")).unwrap();
    assert!(a.contains("\"hello\""), "{a}");
    assert!(!b.contains("\"hello\""), "{b}");
    // With --sbom-path, apko's names.
    let sboms = c.path("sboms");
    fs_err::create_dir(&sboms).unwrap();
    ok(&c.build_to(
        &srv.url(),
        "base-files",
        "",
        "c.tar",
        &["--sbom-path", sboms.to_str().unwrap()],
    ));
    assert!(sboms.join("sbom-amd64.spdx.json").exists());
}

#[test]
fn unrelated_packages_may_share_identical_files() {
    let c = Case::new();
    let srv = c.repo.serve();
    ok(&c.build(&srv.url(), "base-files, alpha, beta", "", &[]));
    let image = files(&c.path("out.tar"));
    assert_eq!(image["usr/share/common/LICENSE"].3, b"same text");
}

#[test]
fn mixing_package_worlds_names_the_entry() {
    let c = Case::new();
    let srv = c.repo.serve();
    let text = format!(
        "contents:\n  repositories:\n    - type: deb\n      url: {}\n      suites: [stable]\n      keyring: {}\n    - https://apk.example/os\n  packages: [hello]\n",
        srv.url(),
        c.repo.keyring_path().display()
    );
    let r = c.path("mixed.yaml");
    fs_err::write(&r, text).unwrap();
    let out = run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .arg("--cache-dir")
            .arg(c.path("cache")),
        false,
    );
    let err = failed(&out, "mixed.yaml line 7");
    assert!(
        err.contains("of type `apk`") && err.contains("is of type `deb`"),
        "{err}"
    );
}
