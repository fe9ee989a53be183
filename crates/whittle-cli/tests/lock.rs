//! Lock files end to end, in every package world: `whittle lock` writes
//! what the recipe resolves to; `build --lockfile` installs exactly that
//! without reading an index (offline from the cache, or refusing cleanly
//! when a package is gone); `whittle check` reports newer versions with
//! the suite they come from. Repositories are made at test time, signed
//! with throw-away keys and served on 127.0.0.1; apko's own golden lock
//! comes from `../shared/fixtures/apk/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use sha2::Digest;
use whittle_test::{
    azurelinux_release_rpm_spec, filesystem_rpm_spec, ApkKey, ApkRepo, ApkSpec, DebRepo, DebSpec,
    RpmKey, RpmRepo, RpmSpec,
};
use whittle_test_env::fixtures;

const DATE: &str = "1700000000";

/// One test's directory, cache and commands.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Work {
        Work {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn cache(&self) -> PathBuf {
        self.path("cache")
    }
    fn lock(&self, recipe: &Path) -> serde_json::Value {
        run(
            whittle()
                .arg("lock")
                .arg(recipe)
                .arg("--cache-dir")
                .arg(self.cache()),
            true,
        );
        let lock = recipe.with_file_name(format!(
            "{}.lock.json",
            recipe.file_stem().unwrap().to_string_lossy()
        ));
        serde_json::from_slice(&fs_err::read(lock).unwrap()).unwrap()
    }
    fn lock_path(&self, recipe: &Path) -> PathBuf {
        recipe.with_file_name(format!(
            "{}.lock.json",
            recipe.file_stem().unwrap().to_string_lossy()
        ))
    }
    /// Build `recipe` into `out`, with `args`; the output is removed first.
    fn build(&self, recipe: &Path, out: &str, args: &[&str]) -> Output {
        let out = self.path(out);
        let _ = fs_err::remove_file(&out);
        run(
            whittle()
                .arg("build")
                .arg(recipe)
                .arg("test.invalid/lock:1")
                .arg(&out)
                .arg("--cache-dir")
                .arg(self.cache())
                .arg("--build-date")
                .arg(DATE)
                .arg("--no-sbom")
                .args(args),
            false,
        )
    }
    fn build_ok(&self, recipe: &Path, out: &str, args: &[&str]) -> String {
        let o = self.build(recipe, out, args);
        assert!(o.status.success(), "build failed:\n{}", stderr(&o));
        stdout(&o).trim().to_string()
    }
    fn check(&self, recipe: &Path, json: bool) -> Output {
        let mut c = whittle();
        c.arg("check")
            .arg(recipe)
            .arg("--cache-dir")
            .arg(self.cache());
        if json {
            c.args(["--format", "json"]);
        }
        run(&mut c, false)
    }
}

fn packages<'a>(lock: &'a serde_json::Value, arch: &str) -> Vec<&'a serde_json::Value> {
    lock["contents"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["architecture"] == arch)
        .collect()
}

fn package<'a>(lock: &'a serde_json::Value, arch: &str, name: &str) -> &'a serde_json::Value {
    packages(lock, arch)
        .into_iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not locked for {arch}"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A failed build named `needle` and left no output behind.
fn assert_refused(w: &Work, out: &Output, output: &str, needles: &[&str]) {
    let err = stderr(out);
    assert!(!out.status.success(), "should have failed:\n{err}");
    for n in needles {
        assert!(err.contains(n), "error does not mention {n:?}:\n{err}");
    }
    assert!(!w.path(output).exists(), "a partial output was left behind");
}

// --- Debian -----------------------------------------------------------------

fn deb_repo(suite: &str) -> DebRepo {
    let mut repo = DebRepo::new(suite);
    repo.add(
        DebSpec::new("hello", "1.0-1")
            .field("Depends", "libgreet (>= 2.0)")
            .file("usr/bin/hello", b"#!hello\n", 0o755),
    )
    .add(
        DebSpec::new("libgreet", "2.1-1")
            .field("Source", "greet (2.1-1)")
            .file(
                "usr/lib/x86_64-linux-gnu/libgreet.so.2",
                b"greet 2.1\n",
                0o644,
            ),
    )
    .add(DebSpec::new("dash", "0.5").file("bin/sh", b"#!sh", 0o755));
    repo.publish();
    repo
}

fn deb_recipe(w: &Work, repos: &[(&str, &str, &Path)], packages: &str) -> PathBuf {
    let mut text = String::from("contents:\n  repositories:\n");
    for (url, suite, keyring) in repos {
        text.push_str(&format!(
            "    - type: deb\n      url: {url}\n      suites: [{suite}]\n      keyring: {}\n",
            keyring.display()
        ));
    }
    text.push_str(&format!(
        "  packages: [{packages}]\nentrypoint: {{command: /usr/bin/hello}}\n"
    ));
    let p = w.path("recipe.yaml");
    fs_err::write(&p, text).unwrap();
    p
}

#[test]
fn deb_lock_pins_every_package_and_builds_without_reading_an_index() {
    let w = Work::new();
    let repo = deb_repo("stable");
    let srv = repo.serve();
    let recipe = deb_recipe(&w, &[(&srv.url(), "stable", &repo.keyring_path())], "hello");
    let lock = w.lock(&recipe);

    // What the lock holds: the recipe, the index, the key, every package.
    assert_eq!(lock["version"], "v1");
    assert_eq!(lock["config"]["name"], "recipe.yaml");
    let recipe_sri = format!(
        "sha256-{}",
        base64_std(&sha2::Sha256::digest(fs_err::read(&recipe).unwrap()))
    );
    assert_eq!(lock["config"]["checksum"], recipe_sri.as_str());
    let repo_entry = &lock["contents"]["repositories"][0];
    assert_eq!(repo_entry["name"], "stable main");
    assert_eq!(repo_entry["base"], srv.url().as_str());
    assert_eq!(repo_entry["architecture"], "amd64");
    assert!(repo_entry["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(repo_entry.get("security"), None);
    let fingerprints = lock["contents"]["keyring"][0]["fingerprints"]
        .as_array()
        .unwrap();
    assert!(
        fingerprints
            .iter()
            .any(|f| f.as_str().unwrap().ends_with(&repo.key_id().to_uppercase())),
        "{fingerprints:?} lacks {}",
        repo.key_id()
    );
    let names: Vec<&str> = packages(&lock, "amd64")
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["hello", "libgreet"]);
    for name in ["hello", "libgreet"] {
        let p = package(&lock, "amd64", name);
        let deb = fs_err::read(repo.deb_path(name)).unwrap();
        assert_eq!(p["sha256"], sha256_hex(&deb).as_str(), "{name}");
        assert_eq!(p["size"], deb.len() as u64, "{name}");
        assert!(p["url"].as_str().unwrap().starts_with(&srv.url()));
        assert_eq!(p["record"]["name"], name);
    }
    assert_eq!(lock["whittle"]["requested"], serde_json::json!(["hello"]));
    assert_eq!(lock["whittle"]["world"], "deb");
    // Locking again gives the same file.
    let again = w.lock(&recipe);
    assert_eq!(again, lock);

    // From the index and from the lock: the same image.
    let from_index = w.build_ok(&recipe, "a.tar", &[]);
    let lockfile = w.lock_path(&recipe);
    let lockarg = lockfile.to_str().unwrap();
    srv.reset_requests();
    let from_lock = w.build_ok(&recipe, "b.tar", &["--lockfile", lockarg]);
    assert_eq!(from_lock, from_index);
    // Offline with the cache warm: the same image again.
    let offline = w.build_ok(&recipe, "c.tar", &["--lockfile", lockarg, "--offline"]);
    assert_eq!(offline, from_index);
    // A cold cache: the packages are fetched, no index is.
    fs_err::remove_dir_all(w.cache()).unwrap();
    srv.reset_requests();
    let cold = w.build_ok(&recipe, "d.tar", &["--lockfile", lockarg]);
    assert_eq!(cold, from_index);
    let asked = srv.requested_paths();
    assert!(
        asked.iter().all(|p| p.ends_with(".deb")),
        "a build from a lock read more than packages: {asked:?}"
    );
    // A cold cache offline: refused, naming the package and the way out.
    fs_err::remove_dir_all(w.cache()).unwrap();
    let out = w.build(&recipe, "e.tar", &["--lockfile", lockarg, "--offline"]);
    assert_refused(
        &w,
        &out,
        "e.tar",
        &[
            "the lock names",
            "hello 1.0-1",
            "snapshot mirror",
            "whittle lock",
        ],
    );

    // The repository moved (another mirror of the same archive): the lock
    // still holds, its packages are fetched from the new place.
    let mirror = whittle_net::TestServer::serve_dir(repo.root());
    let moved = deb_recipe(
        &w,
        &[(&mirror.url(), "stable", &repo.keyring_path())],
        "hello",
    );
    let from_mirror = w.build_ok(&moved, "f.tar", &["--lockfile", lockarg]);
    assert_eq!(from_mirror, from_index);
    assert!(
        mirror.requested_paths().iter().any(|p| p.ends_with(".deb")),
        "the packages were not fetched from the recipe's new URL"
    );

    // A recipe that asks for more than the lock holds is refused.
    let more = deb_recipe(
        &w,
        &[(&srv.url(), "stable", &repo.keyring_path())],
        "hello, dash",
    );
    let out = w.build(&more, "g.tar", &["--lockfile", lockarg]);
    assert_refused(
        &w,
        &out,
        "g.tar",
        &[
            "does not match the recipe",
            "packages",
            "added: dash",
            "whittle lock",
        ],
    );
}

#[test]
fn deb_check_reports_a_security_update_with_its_suite() {
    let w = Work::new();
    let main = deb_repo("stable");
    let mut security = DebRepo::new("stable-security");
    security.publish();
    let (srv, sec_srv) = (main.serve(), security.serve());
    let recipe = deb_recipe(
        &w,
        &[
            (&srv.url(), "stable", &main.keyring_path()),
            (&sec_srv.url(), "stable-security", &security.keyring_path()),
        ],
        "hello",
    );
    let lock = w.lock(&recipe);
    let sec = &lock["contents"]["repositories"][1];
    assert_eq!(sec["name"], "stable-security main");
    assert_eq!(sec["security"], true);
    let image = w.build_ok(&recipe, "a.tar", &[]);

    let current = w.check(&recipe, false);
    assert_eq!(current.status.code(), Some(0), "{}", stderr(&current));
    assert!(
        stdout(&current).contains("is current"),
        "{}",
        stdout(&current)
    );

    // A fixed libgreet appears in the security suite.
    security.add(
        DebSpec::new("libgreet", "2.1-1+deb1u1")
            .field("Source", "greet (2.1-1+deb1u1)")
            .file(
                "usr/lib/x86_64-linux-gnu/libgreet.so.2",
                b"greet 2.1 fixed\n",
                0o644,
            ),
    );
    security.publish();
    let stale = w.check(&recipe, false);
    assert_eq!(stale.status.code(), Some(10), "{}", stderr(&stale));
    assert_eq!(
        stdout(&stale).trim(),
        "amd64: libgreet 2.1-1 → 2.1-1+deb1u1 (stable-security main, security update)"
    );
    let json = w.check(&recipe, true);
    assert_eq!(json.status.code(), Some(10));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["rebuild"], true);
    assert_eq!(doc["changes"].as_array().unwrap().len(), 1);
    let c = &doc["changes"][0];
    assert_eq!(c["name"], "libgreet");
    assert_eq!(c["kind"], "changed");
    assert_eq!(c["old"], "2.1-1");
    assert_eq!(c["new"], "2.1-1+deb1u1");
    assert_eq!(c["security"], true);

    // The lock still builds the image it was written for.
    let lockfile = w.lock_path(&recipe);
    let lockarg = lockfile.to_str().unwrap();
    assert_eq!(
        w.build_ok(&recipe, "b.tar", &["--lockfile", lockarg]),
        image
    );
    // Once the mirror drops the locked file, the build says which and how
    // to recover, and is not mistaken for tampering.
    fs_err::remove_file(main.deb_path("libgreet")).unwrap();
    fs_err::remove_dir_all(w.cache()).unwrap();
    let out = w.build(&recipe, "c.tar", &["--lockfile", lockarg]);
    assert_refused(
        &w,
        &out,
        "c.tar",
        &["libgreet 2.1-1", "snapshot mirror", "not found"],
    );
    assert!(!stderr(&out).contains("tamper"), "{}", stderr(&out));
    // A recipe edited after locking makes `check` ask for a rebuild.
    let edited = deb_recipe(
        &w,
        &[
            (&srv.url(), "stable", &main.keyring_path()),
            (&sec_srv.url(), "stable-security", &security.keyring_path()),
        ],
        "hello, dash",
    );
    let out = w.check(&edited, false);
    assert_eq!(out.status.code(), Some(10));
    assert!(
        stdout(&out).contains("no longer matches the recipe") && stdout(&out).contains("dash"),
        "{}",
        stdout(&out)
    );
}

// --- RPM --------------------------------------------------------------------

fn rpm_repo(key: &RpmKey, tool: &str) -> RpmRepo {
    let mut repo = RpmRepo::new();
    repo.signed_by(key);
    repo.add(filesystem_rpm_spec())
        .add(azurelinux_release_rpm_spec())
        .add(RpmSpec::new("tool", tool, "1.azl3", "x86_64").file(
            "/usr/bin/tool",
            format!("tool {tool}\n").as_bytes(),
            0o755,
        ));
    repo.publish();
    repo
}

fn rpm_recipe(w: &Work, url: &str, key: &Path) -> PathBuf {
    let text = format!(
        "contents:\n  repositories:\n    - type: rpm\n      url: {url}\n      gpgkey: {}\n  packages: [tool]\nentrypoint: {{command: /usr/bin/tool}}\narchs: [x86_64]\n",
        key.display()
    );
    let p = w.path("app.yaml");
    fs_err::write(&p, text).unwrap();
    p
}

#[test]
fn rpm_lock_builds_offline_and_check_sees_a_new_release() {
    let w = Work::new();
    let key = RpmKey::rsa();
    let mut repo = rpm_repo(&key, "1.0");
    let keyfile = repo.key_path();
    let recipe = rpm_recipe(&w, &repo.url(), &keyfile);
    let lock = w.lock(&recipe);
    let tool = package(&lock, "x86_64", "tool");
    assert_eq!(tool["version"], "1.0-1.azl3");
    let file = repo
        .root()
        .join(format!("Packages/t/{}", repo.packages()[2].file_name()));
    let bytes = fs_err::read(&file).unwrap();
    assert_eq!(tool["sha256"], sha256_hex(&bytes).as_str());
    assert_eq!(tool["size"], bytes.len() as u64);
    assert!(lock["contents"]["repositories"][0]["url"]
        .as_str()
        .unwrap()
        .ends_with("/repodata/repomd.xml"));
    assert!(!lock["contents"]["keyring"][0]["fingerprints"]
        .as_array()
        .unwrap()
        .is_empty());

    let image = w.build_ok(&recipe, "a.tar", &[]);
    let lockfile = w.lock_path(&recipe);
    let lockarg = lockfile.to_str().unwrap();
    assert_eq!(
        w.build_ok(&recipe, "b.tar", &["--lockfile", lockarg]),
        image
    );
    assert_eq!(
        w.build_ok(&recipe, "c.tar", &["--lockfile", lockarg, "--offline"]),
        image
    );
    fs_err::remove_dir_all(w.cache()).unwrap();
    let out = w.build(&recipe, "d.tar", &["--lockfile", lockarg, "--offline"]);
    assert_refused(&w, &out, "d.tar", &["the lock names", "whittle lock"]);

    // A newer tool is published beside the old one.
    repo.add(RpmSpec::new("tool", "1.1", "1.azl3", "x86_64").file(
        "/usr/bin/tool",
        b"tool 1.1\n",
        0o755,
    ));
    repo.publish();
    let out = w.check(&recipe, false);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("x86_64: tool 1.0-1.azl3 → 1.1-1.azl3"),
        "{}",
        stdout(&out)
    );
}

// --- APK --------------------------------------------------------------------

#[test]
fn apk_lock_records_what_apko_records_and_apkos_lock_builds_the_same_image() {
    let golden: serde_json::Value = serde_json::from_slice(
        &fs_err::read(fixtures::path("apk/apko-golden/apko.lock.json")).unwrap(),
    )
    .unwrap();
    let dir = golden_workdir();
    let cache = dir.path().join("cache");
    let lock_cmd = |cwd: &Path, recipe: &str| {
        run(
            whittle()
                .current_dir(cwd)
                .args(["lock", recipe, "--cache-dir"])
                .arg(&cache),
            true,
        );
    };
    lock_cmd(dir.path(), "apko.yaml");
    let ours: serde_json::Value =
        serde_json::from_slice(&fs_err::read(dir.path().join("apko.lock.json")).unwrap()).unwrap();
    // Package by package, what apko's tooling reads is what apko wrote.
    let theirs = golden["contents"]["packages"].as_array().unwrap();
    let mine = ours["contents"]["packages"].as_array().unwrap();
    assert_eq!(mine.len(), theirs.len());
    for (m, t) in mine.iter().zip(theirs) {
        for key in [
            "name",
            "url",
            "version",
            "architecture",
            "signature",
            "control",
            "data",
            "checksum",
        ] {
            assert_eq!(m[key], t[key], "{} {key}", t["name"]);
        }
    }
    // The ranges cut the file into its three gzip members exactly.
    let p = &mine[0];
    let file = dir.path().join(p["url"].as_str().unwrap());
    let bytes = fs_err::read(file).unwrap();
    let range = |v: &serde_json::Value| -> (usize, usize) {
        let (a, b) = v["range"]
            .as_str()
            .unwrap()
            .trim_start_matches("bytes=")
            .split_once('-')
            .unwrap();
        (a.parse().unwrap(), b.parse().unwrap())
    };
    let (_, sig_end) = range(&p["signature"]);
    let (c0, c1) = range(&p["control"]);
    let (d0, d1) = range(&p["data"]);
    assert_eq!((c0, d0, d1 + 1), (sig_end + 1, c1 + 1, bytes.len()));
    let sha1 = sha1_smol_b64(&bytes[c0..=c1]);
    assert_eq!(p["control"]["checksum"], format!("sha1-{sha1}").as_str());
    assert_eq!(p["checksum"], format!("Q1{sha1}").as_str());

    // The same image from the index, from whittle's lock, from apko's lock,
    // and from another working directory.
    let build = |cwd: &Path, recipe: &str, out: &str, lock: Option<&Path>| -> String {
        let mut c = whittle();
        c.current_dir(cwd)
            .args([
                "build",
                recipe,
                "golden:1",
                out,
                "--allow-missing-entrypoint",
            ])
            .args(["--build-date", DATE, "--no-sbom", "--cache-dir"])
            .arg(&cache);
        if let Some(l) = lock {
            c.arg("--lockfile").arg(l);
        }
        stdout(&run(&mut c, true)).trim().to_string()
    };
    let d = dir.path();
    let from_index = build(d, "apko.yaml", "a.tar", None);
    let ours_lock = d.join("apko.lock.json");
    let apko_lock = fixtures::path("apk/apko-golden/apko.lock.json");
    assert_eq!(build(d, "apko.yaml", "b.tar", Some(&ours_lock)), from_index);
    assert_eq!(build(d, "apko.yaml", "c.tar", Some(&apko_lock)), from_index);
    let parent = d.parent().unwrap();
    let name = d.file_name().unwrap().to_string_lossy().into_owned();
    let elsewhere = |f: &str| format!("{name}/{f}");
    assert_eq!(
        build(
            parent,
            &elsewhere("apko.yaml"),
            &elsewhere("d.tar"),
            Some(&ours_lock)
        ),
        from_index
    );
    assert_eq!(
        build(
            parent,
            &elsewhere("apko.yaml"),
            &elsewhere("e.tar"),
            Some(&apko_lock)
        ),
        from_index
    );
}

#[test]
fn apk_check_sees_a_new_version_and_the_lock_refuses_other_packages() {
    let w = Work::new();
    let key = ApkKey::random();
    let mut repo = ApkRepo::new(key.clone());
    repo.add(ApkSpec::new("hello", "1.0-r0", "x86_64").file("usr/bin/hello", b"1\n", 0o755));
    repo.publish();
    let srv = repo.serve();
    let key_path = repo.key_path();
    let write = |packages: &str| {
        let p = w.path("apko.yaml");
        fs_err::write(
            &p,
            format!(
                "contents:\n  keyring: [{}]\n  repositories: [{}]\n  packages: [{packages}]\nentrypoint: {{command: /usr/bin/hello}}\narchs: [x86_64]\n",
                key_path.display(),
                srv.url()
            ),
        )
        .unwrap();
        p
    };
    let recipe = write("hello");
    let lock = w.lock(&recipe);
    let hello = package(&lock, "x86_64", "hello");
    assert!(hello["checksum"].as_str().unwrap().starts_with("Q1"));
    assert!(hello["data"]["checksum"]
        .as_str()
        .unwrap()
        .starts_with("sha256-"));
    let image = w.build_ok(&recipe, "a.tar", &[]);
    let lockfile = w.lock_path(&recipe);
    let lockarg = lockfile.to_str().unwrap();
    assert_eq!(
        w.build_ok(&recipe, "b.tar", &["--lockfile", lockarg]),
        image
    );

    repo.add(ApkSpec::new("hello", "1.1-r0", "x86_64").file("usr/bin/hello", b"2\n", 0o755));
    repo.publish();
    let out = w.check(&recipe, false);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "x86_64: hello 1.0-r0 → 1.1-r0 (".to_string() + &srv.url() + ")"
    );
    // The lock still builds what it locked.
    assert_eq!(
        w.build_ok(&recipe, "c.tar", &["--lockfile", lockarg]),
        image
    );
    let other = write("hello, busybox");
    let out = w.build(&other, "d.tar", &["--lockfile", lockarg]);
    assert_refused(&w, &out, "d.tar", &["added: busybox"]);
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn sha1_smol_b64(bytes: &[u8]) -> String {
    use sha1::Digest as _;
    base64_std(&sha1::Sha1::digest(bytes))
}
