//! `whittle init --from` and `show-packages --compare`, end to end in each
//! world: an image built from repositories made at test time (signed,
//! served on 127.0.0.1), then a recipe derived from its SBOM and,
//! separately, from the image itself (OCI archive and OCI layout), must
//! resolve to the same package set while listing at most the original
//! recipe's top-level packages. apko's golden SBOM becomes apko's own
//! package list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use whittle_test::registry::{RegistryOptions, TestRegistry};
use whittle_test::{
    azurelinux_release_rpm_spec, filesystem_rpm_spec, wolfi_baselayout_spec, ApkKey, ApkRepo,
    ApkSpec, DebRepo, DebSpec, RpmKey, RpmRepo, RpmSpec,
};
use whittle_test_env::host::require_tool;

/// One world's round trip, in `dir` (which holds `recipe`).
struct Trip<'a> {
    dir: &'a Path,
    recipe: &'a Path,
    /// The recipe's top-level packages.
    top: &'a [&'a str],
    /// What the derived recipe must list.
    derived: &'a [&'a str],
}

impl Trip<'_> {
    fn cache(&self) -> PathBuf {
        self.dir.join("cache")
    }

    fn whittle(&self, args: &[&str]) -> std::process::Command {
        let mut c = whittle();
        c.current_dir(self.dir)
            .args(args)
            .arg("--cache-dir")
            .arg(self.cache());
        c
    }

    /// `show-packages` of a recipe: its `name version` lines.
    fn packages(&self, recipe: &Path) -> BTreeSet<String> {
        let out = run(
            &mut self.whittle(&["show-packages", recipe.to_str().unwrap()]),
            true,
        );
        stdout(&out)
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn init(&self, args: &[&str]) -> Output {
        let mut full = vec!["init"];
        full.extend_from_slice(args);
        run(&mut self.whittle(&full), false)
    }

    /// Build, derive from the SBOM, the archive and the layout, and check
    /// each derived recipe.
    fn run(&self) {
        let want = self.packages(self.recipe);
        assert!(
            want.len() > self.top.len(),
            "the closure adds nothing: {want:?}"
        );
        run(
            &mut self.whittle(&[
                "build",
                self.recipe.to_str().unwrap(),
                "test.invalid/trip:1",
                "out.tar",
                "--build-date",
                "0",
                "--allow-missing-entrypoint",
                "--sbom-formats",
                "spdx,cyclonedx",
            ]),
            true,
        );
        let layout = self.dir.join("layout");
        fs_err::create_dir_all(&layout).unwrap();
        run(
            std::process::Command::new("tar")
                .arg("-xf")
                .arg(self.dir.join("out.tar"))
                .arg("-C")
                .arg(&layout),
            true,
        );
        let recipe = self.recipe.to_str().unwrap();
        let cases: [(&str, Vec<&str>); 4] = [
            (
                "sbom",
                vec!["--from", "out.sbom-amd64.spdx.json", "--repos", recipe],
            ),
            (
                "cdx",
                vec!["--from", "out.sbom-amd64.cdx.json", "--repos", recipe],
            ),
            // No --repos: the image names its repositories itself.
            ("archive", vec!["--from", "oci-archive:out.tar"]),
            ("layout", vec!["--from", "oci:layout", "--repos", recipe]),
        ];
        for (name, args) in cases {
            let derived = self.dir.join(format!("from-{name}.yaml"));
            let mut all = args.clone();
            all.extend(["-o", derived.to_str().unwrap()]);
            let out = self.init(&all);
            assert!(
                out.status.success(),
                "init {name}: {}\n{}",
                stdout(&out),
                stderr(&out)
            );
            let report = stdout(&out);
            assert!(
                report.contains("the closure equals the target"),
                "{name}: {report}"
            );
            assert_eq!(self.packages(&derived), want, "{name}: {report}");
            let listed = listed_packages(&derived);
            assert_eq!(listed, self.derived, "{name}: {report}");
            for p in &listed {
                assert!(
                    self.top.contains(&p.as_str()),
                    "{name}: {p} is not a top-level package of the recipe: {listed:?}"
                );
            }
            // And the derived recipe compares equal with the image.
            let cmp = run(
                &mut self.whittle(&[
                    "show-packages",
                    derived.to_str().unwrap(),
                    "--compare",
                    "out.sbom-amd64.spdx.json",
                ]),
                false,
            );
            assert_eq!(
                cmp.status.code(),
                Some(0),
                "{}{}",
                stdout(&cmp),
                stderr(&cmp)
            );
            assert!(
                stdout(&cmp).starts_with("same packages:"),
                "{}",
                stdout(&cmp)
            );
        }
        // The derived recipe builds.
        run(
            &mut self.whittle(&[
                "build",
                "from-archive.yaml",
                "test.invalid/again:1",
                "again.tar",
                "--build-date",
                "0",
                "--allow-missing-entrypoint",
            ]),
            true,
        );
        // Pinned: each request carries the image's version.
        let pinned = self.dir.join("pinned.yaml");
        let out = self.init(&[
            "--from",
            "out.sbom-amd64.spdx.json",
            "--repos",
            recipe,
            "--pin",
            "-o",
            pinned.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let versions: BTreeSet<String> = want.iter().map(|l| l.replacen(' ', "=", 1)).collect();
        for p in listed_packages(&pinned) {
            assert!(
                versions.contains(&p),
                "{p} is not pinned to the image's version: {versions:?}"
            );
        }
        assert_eq!(self.packages(&pinned), want);
    }
}

/// `contents.packages` of a recipe.
fn listed_packages(recipe: &Path) -> Vec<String> {
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&fs_err::read_to_string(recipe).unwrap()).unwrap();
    doc["contents"]["packages"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Debian: a chain (app → libgreet → base-files), a virtual with two
/// providers where the image has the one apt would not pick, a cycle
/// inside the closure (libgreet ⇄ libgreet-data) and one no root reaches
/// (cyc-a ⇄ cyc-b).
fn deb_repo() -> DebRepo {
    let mut repo = DebRepo::new("stable");
    repo.add(DebSpec::new("base-files", "12.4").file(
        "usr/lib/os-release",
        b"ID=debian\nVERSION_ID=\"12\"\nNAME=\"Debian GNU/Linux\"\n",
        0o644,
    ))
    .add(
        DebSpec::new("app", "1.0-1")
            .field("Depends", "libgreet (>= 2.0), mail-transport-agent")
            .file("usr/bin/app", b"#!app\n", 0o755),
    )
    .add(
        DebSpec::new("libgreet", "2.1-1")
            .field("Depends", "libgreet-data, base-files")
            .file("usr/lib/libgreet.so.2", b"ELF?", 0o644),
    )
    .add(DebSpec::new("libgreet-data", "2.1-1").field("Depends", "libgreet"))
    .add(
        DebSpec::new("big-mta", "9.0")
            .field("Priority", "important")
            .field("Provides", "mail-transport-agent"),
    )
    .add(
        DebSpec::new("tiny-mta", "1.0")
            .field("Priority", "optional")
            .field("Provides", "mail-transport-agent"),
    )
    .add(DebSpec::new("cyc-a", "1").field("Depends", "cyc-b"))
    .add(DebSpec::new("cyc-b", "1").field("Depends", "cyc-a, base-files"))
    .add(DebSpec::new("ghost", "1").file("usr/share/ghost", b"boo", 0o644));
    repo.publish();
    repo
}

#[test]
fn debian_round_trip_from_sbom_archive_and_layout() {
    let repo = deb_repo();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = deb_recipe(
        dir.path(),
        &srv.url(),
        &repo.keyring_path(),
        "app, tiny-mta, cyc-a",
        "archs: [amd64]\n",
    );
    Trip {
        dir: dir.path(),
        recipe: &recipe,
        top: &["app", "tiny-mta", "cyc-a"],
        // app is the one root; apt would pick big-mta, so tiny-mta is
        // asked for; cyc-a stands for the cycle nothing else reaches.
        derived: &["app", "cyc-a", "tiny-mta"],
    }
    .run();
}

#[test]
fn differences_are_named_and_compare_exits_1() {
    // The image: from the first repository, with `ghost`.
    let old = deb_repo();
    let old_srv = old.serve();
    let dir = tempfile::tempdir().unwrap();
    let built = dir.path().join("built");
    fs_err::create_dir_all(&built).unwrap();
    let recipe = deb_recipe(
        &built,
        &old_srv.url(),
        &old.keyring_path(),
        "app, tiny-mta, ghost",
        "archs: [amd64]\n",
    );
    run(
        whittle()
            .arg("build")
            .arg(&recipe)
            .args(["test.invalid/x:1"])
            .arg(built.join("img.tar"))
            .args([
                "--build-date",
                "0",
                "--allow-missing-entrypoint",
                "--cache-dir",
            ])
            .arg(dir.path().join("cache")),
        true,
    );
    let sbom = built.join("img.sbom-amd64.spdx.json");
    // Today's repository: no `ghost`, and app now needs `extra-lib`.
    let mut new = DebRepo::new("stable");
    new.add(DebSpec::new("base-files", "12.4"))
        .add(DebSpec::new("app", "1.0-1").field(
            "Depends",
            "libgreet (>= 2.0), mail-transport-agent, extra-lib",
        ))
        .add(DebSpec::new("libgreet", "2.1-1").field("Depends", "libgreet-data, base-files"))
        .add(DebSpec::new("libgreet-data", "2.1-1").field("Depends", "libgreet"))
        .add(DebSpec::new("tiny-mta", "1.0").field("Provides", "mail-transport-agent"))
        .add(DebSpec::new("extra-lib", "3"));
    new.publish();
    let new_srv = new.serve();
    let today = deb_recipe(
        dir.path(),
        &new_srv.url(),
        &new.keyring_path(),
        "app",
        "archs: [amd64]\n",
    );
    let derived = dir.path().join("derived.yaml");
    let out = run(
        whittle()
            .args(["init", "--from"])
            .arg(&sbom)
            .arg("--repos")
            .arg(&today)
            .arg("-o")
            .arg(&derived)
            .arg("--cache-dir")
            .arg(dir.path().join("cache")),
        true,
    );
    let report = stdout(&out);
    assert!(
        report.contains("absent: ghost 1 (no repository has this package)"),
        "{report}"
    );
    assert!(
        report.contains("extra: extra-lib 3 (pulled in by app: app → extra-lib)"),
        "{report}"
    );
    // tiny-mta is the only provider left, so app alone pulls it in.
    assert_eq!(listed_packages(&derived), ["app"]);
    let compare = |recipe: &Path| {
        run(
            whittle()
                .arg("show-packages")
                .arg(recipe)
                .arg("--compare")
                .arg(&sbom)
                .arg("--cache-dir")
                .arg(dir.path().join("cache")),
            false,
        )
    };
    let differs = compare(&derived);
    assert_eq!(differs.status.code(), Some(1), "{}", stderr(&differs));
    assert!(
        stdout(&differs).contains("absent: ghost 1"),
        "{}",
        stdout(&differs)
    );
    assert!(
        stdout(&differs).contains("extra: extra-lib 3"),
        "{}",
        stdout(&differs)
    );
    let same = compare(&recipe);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        stdout(&same),
        stderr(&same)
    );
    // Neither --repos nor a whittle image: told what to pass.
    let none = run(
        whittle()
            .args(["init", "--from"])
            .arg(&sbom)
            .arg("-o")
            .arg(dir.path().join("x.yaml")),
        false,
    );
    assert_eq!(none.status.code(), Some(2));
    assert!(
        stderr(&none).contains("pass --repos RECIPE"),
        "{}",
        stderr(&none)
    );
}

#[test]
fn apk_round_trip_from_sbom_archive_and_layout() {
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-init"));
    repo.add(wolfi_baselayout_spec("x86_64"))
        .add(
            ApkSpec::new("app", "1.0-r0", "x86_64")
                .depend("so:libgreet.so.1")
                .depend("cmd:greet")
                .depend("shell")
                .file("usr/bin/app", b"#!app\n", 0o755),
        )
        // Excluded by the recipe: treated as provided, so the image lacks
        // it, and a recipe read back from the image must exclude it too.
        .add(ApkSpec::new("shell", "1-r0", "x86_64").file("bin/sh", b"#!sh\n", 0o755))
        .add(
            ApkSpec::new("libgreet", "1.2-r0", "x86_64")
                .provide("so:libgreet.so.1=1.2")
                .depend("wolfi-baselayout")
                .file("usr/lib/libgreet.so.1", b"ELF?", 0o644),
        )
        .add(
            ApkSpec::new("greet-tools", "1-r0", "x86_64")
                .provide("cmd:greet=1-r0")
                .depend("libgreet")
                .file("usr/bin/greet", b"#!greet\n", 0o755),
        );
    repo.publish();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("recipe.yaml");
    fs_err::write(
        &recipe,
        format!(
            "contents:\n  keyring: [{}]\n  repositories: [{}]\n  packages: [app]\n  exclude: [shell]\narchs: [x86_64]\n",
            repo.key_path().display(),
            srv.url()
        ),
    )
    .unwrap();
    Trip {
        dir: dir.path(),
        recipe: &recipe,
        top: &["app"],
        derived: &["app"],
    }
    .run();
}

#[test]
fn rpm_round_trip_from_sbom_archive_and_layout() {
    if !["rpmbuild", "rpmsign", "createrepo_c", "gpg"]
        .iter()
        .all(|t| require_tool(t))
    {
        return;
    }
    let key = RpmKey::ed25519();
    let mut repo = RpmRepo::new();
    repo.signed_by(&key);
    repo.add(filesystem_rpm_spec())
        .add(azurelinux_release_rpm_spec())
        .add(
            RpmSpec::new("app", "1.0", "1.azl3", "x86_64")
                .requires("libgreet.so.1()(64bit)")
                .requires("system-release")
                .file("/usr/bin/app", b"#!app\n", 0o755),
        )
        .add(
            RpmSpec::new("libgreet", "1.2", "1.azl3", "x86_64")
                .epoch(2)
                .provides("libgreet.so.1()(64bit)")
                .requires("filesystem")
                .file("/usr/lib64/libgreet.so.1", b"ELF?", 0o644),
        );
    repo.publish();
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.asc");
    key.write_public_key(&key_path);
    let recipe = dir.path().join("recipe.yaml");
    fs_err::write(
        &recipe,
        format!(
            "contents:\n  repositories:\n    - type: rpm\n      url: {}\n      gpgkey: {}\n  packages: [app]\narchs: [x86_64]\n",
            repo.url(),
            key_path.display()
        ),
    )
    .unwrap();
    Trip {
        dir: dir.path(),
        recipe: &recipe,
        top: &["app"],
        derived: &["app"],
    }
    .run();
}

#[test]
fn apkos_golden_sbom_becomes_apkos_package_list() {
    let dir = golden_workdir();
    let sbom =
        whittle_test_env::fixtures::path("apk/apko-golden/golden/sboms/sbom-x86_64.spdx.json");
    let out = run(
        whittle()
            .current_dir(dir.path())
            .args(["init", "--from"])
            .arg(&sbom)
            .args([
                "--repos",
                "apko.yaml",
                "-o",
                "derived.yaml",
                "--cache-dir",
                "cache",
            ]),
        true,
    );
    assert!(
        stdout(&out).contains("the closure equals the target"),
        "{}",
        stdout(&out)
    );
    let theirs: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&fs_err::read_to_string(dir.path().join("apko.yaml")).unwrap())
            .unwrap();
    let theirs: Vec<String> = theirs["contents"]["packages"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed_packages(&dir.path().join("derived.yaml")), theirs);
    // And apko's own config compares equal with apko's SBOM.
    let cmp = run(
        whittle()
            .current_dir(dir.path())
            .args(["show-packages", "apko.yaml", "--compare"])
            .arg(&sbom)
            .args(["--cache-dir", "cache"]),
        false,
    );
    assert_eq!(
        cmp.status.code(),
        Some(0),
        "{}{}",
        stdout(&cmp),
        stderr(&cmp)
    );
}

#[test]
fn a_registry_reference_is_pulled_and_read() {
    if !TestRegistry::available() {
        return;
    }
    let reg = TestRegistry::start(RegistryOptions::new());
    let repo = deb_repo();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = deb_recipe(
        dir.path(),
        &srv.url(),
        &repo.keyring_path(),
        "app, tiny-mta",
        "archs: [amd64]\n",
    );
    let no_auth = dir.path().join("no-auth");
    fs_err::create_dir_all(&no_auth).unwrap();
    let env = |c: &mut std::process::Command| {
        c.env("DOCKER_CONFIG", &no_auth)
            .env_remove("REGISTRY_AUTH_FILE")
            .env("XDG_RUNTIME_DIR", no_auth.join("none"))
            .arg("--cache-dir")
            .arg(dir.path().join("cache"));
    };
    let reference = format!("{}/init/trip:1", reg.host());
    let mut publish = whittle();
    publish.arg("publish").arg(&recipe).arg(&reference).args([
        "--build-date",
        "0",
        "--allow-missing-entrypoint",
    ]);
    env(&mut publish);
    run(&mut publish, true);
    let derived = dir.path().join("pulled.yaml");
    let init = |repos: bool| {
        let mut c = whittle();
        c.args(["init", "--from"])
            .arg(format!("docker://{reference}"))
            .arg("-o")
            .arg(&derived);
        if repos {
            c.arg("--repos").arg(&recipe);
        }
        env(&mut c);
        run(&mut c, false)
    };
    // A registry keeps no index.json entry, so no record of the
    // repositories: the user is told to pass them.
    let bare = init(false);
    assert_eq!(bare.status.code(), Some(2), "{}", stderr(&bare));
    assert!(
        stderr(&bare).contains("pass --repos RECIPE"),
        "{}",
        stderr(&bare)
    );
    let out = init(true);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("the closure equals the target"),
        "{}",
        stdout(&out)
    );
    assert_eq!(listed_packages(&derived), ["app", "tiny-mta"]);
    let mut cmp = whittle();
    cmp.arg("show-packages")
        .arg(&derived)
        .arg("--compare")
        .arg(&reference);
    env(&mut cmp);
    let same = run(&mut cmp, false);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        stdout(&same),
        stderr(&same)
    );
}
