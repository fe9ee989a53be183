//! `whittle build-all` over a catalog: ten recipes in two package worlds
//! (Debian and APK), built by two "machines" (processes with their own
//! local caches) that share a cache registry. Every image is the one a
//! solo `whittle build` makes; the second machine fetches no package and
//! uploads nothing; one process reads each index once. Plus: a broken
//! recipe fails alone, and a cache registry that is down costs time, not
//! the build. `bench_catalog` (ignored) times the same catalog for
//! BENCHMARKS.md (`scripts/bench-catalog.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use common::*;
use sha2::Digest;
use whittle_net::TestServer;
use whittle_test::registry::{RegistryOptions, TestRegistry};
use whittle_test::{ApkKey, ApkRepo, ApkSpec, DebRepo, DebSpec};

const DATE: &str = "1700000000";
const CACHE_REPO: &str = "whittle-cache";

/// `len` bytes that compress badly (a SHA-256 chain seeded by `seed`), so
/// a layer holding them is not trivial.
fn noise(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block = sha2::Sha256::digest(seed.as_bytes());
    while out.len() < len {
        out.extend_from_slice(&block);
        block = sha2::Sha256::digest(block);
    }
    out.truncate(len);
    out
}

/// A Debian repository: a 384 KiB library two programs need, a shell and
/// a data package.
fn deb_repo() -> DebRepo {
    let mut repo = DebRepo::new("stable");
    repo.add(
        DebSpec::new("libbig1", "1.2-1")
            .field("Source", "big (1.2-1)")
            .file(
                "usr/lib/x86_64-linux-gnu/libbig.so.1",
                &noise("deb libbig", 384 * 1024),
                0o644,
            ),
    )
    .add(
        DebSpec::new("hello", "1.0-1")
            .field("Depends", "libbig1 (>= 1.0)")
            .file("usr/bin/hello", &noise("deb hello", 48 * 1024), 0o755),
    )
    .add(
        DebSpec::new("tool", "2.0-1")
            .field("Depends", "libbig1")
            .file("usr/bin/tool", &noise("deb tool", 64 * 1024), 0o755),
    )
    .add(DebSpec::new("dash", "0.5.12-2").file("bin/sh", &noise("deb dash", 96 * 1024), 0o755))
    .add(DebSpec::new("tzdata", "2024a-1").file(
        "usr/share/zoneinfo/UTC",
        &noise("deb tz", 128 * 1024),
        0o644,
    ));
    repo.publish();
    repo
}

/// An APK repository (x86_64) of the same shape.
fn apk_repo() -> ApkRepo {
    let mut repo = ApkRepo::new(ApkKey::random());
    let spec = |name: &str, version: &str| ApkSpec::new(name, version, "x86_64");
    repo.add(spec("libbig", "1.2-r0").file(
        "usr/lib/libbig.so.1",
        &noise("apk libbig", 384 * 1024),
        0o755,
    ))
    .add(spec("hello", "1.0-r0").depend("libbig").file(
        "usr/bin/hello",
        &noise("apk hello", 48 * 1024),
        0o755,
    ))
    .add(spec("tool", "2.0-r0").depend("libbig").file(
        "usr/bin/tool",
        &noise("apk tool", 64 * 1024),
        0o755,
    ))
    .add(spec("busybox", "1.36.1-r0").file("bin/sh", &noise("apk sh", 96 * 1024), 0o755))
    .add(spec("tzdata", "2024a-r0").file(
        "usr/share/zoneinfo/UTC",
        &noise("apk tz", 128 * 1024),
        0o644,
    ));
    repo.publish();
    repo
}

/// Both repositories, served on 127.0.0.1.
struct Worlds {
    deb: DebRepo,
    deb_srv: TestServer,
    apk: ApkRepo,
    apk_srv: TestServer,
}

impl Worlds {
    fn new() -> Worlds {
        let deb = deb_repo();
        let deb_srv = deb.serve();
        let apk = apk_repo();
        let apk_srv = apk.serve();
        Worlds {
            deb,
            deb_srv,
            apk,
            apk_srv,
        }
    }

    fn deb_recipe(&self, packages: &str, command: &str) -> String {
        format!(
            "contents:\n  repositories:\n    - type: deb\n      url: {}\n      suites: [stable]\n      keyring: {}\n  packages: [{packages}]\nentrypoint: {{command: {command}}}\n",
            self.deb_srv.url(),
            self.deb.keyring_path().display()
        )
    }

    fn apk_recipe(&self, packages: &str, command: &str) -> String {
        format!(
            "contents:\n  keyring: [{}]\n  repositories: [{}]\n  packages: [{packages}]\nentrypoint: {{command: {command}}}\narchs: [x86_64]\n",
            self.apk.key_path().display(),
            self.apk_srv.url()
        )
    }

    /// The ten recipes, by name. `*-twin` has its sibling's contents, so
    /// the two share every layer.
    fn catalog(&self) -> Vec<(&'static str, String)> {
        vec![
            ("deb-hello", self.deb_recipe("hello", "/usr/bin/hello")),
            ("deb-hello-twin", self.deb_recipe("hello", "/usr/bin/hello")),
            ("deb-tool", self.deb_recipe("tool", "/usr/bin/tool")),
            (
                "deb-both",
                self.deb_recipe("hello, tool, tzdata", "/usr/bin/tool"),
            ),
            ("deb-shell", self.deb_recipe("dash, tool", "/bin/sh")),
            ("apk-hello", self.apk_recipe("hello", "/usr/bin/hello")),
            ("apk-hello-twin", self.apk_recipe("hello", "/usr/bin/hello")),
            ("apk-tool", self.apk_recipe("tool", "/usr/bin/tool")),
            (
                "apk-both",
                self.apk_recipe("hello, tool, tzdata", "/usr/bin/tool"),
            ),
            ("apk-shell", self.apk_recipe("busybox, tool", "/bin/sh")),
        ]
    }

    fn reset_requests(&self) {
        self.deb_srv.reset_requests();
        self.apk_srv.reset_requests();
    }

    /// Every path both servers were asked for since the last reset.
    fn requested(&self) -> Vec<String> {
        let mut all = self.deb_srv.requested_paths();
        all.extend(self.apk_srv.requested_paths());
        all
    }
}

/// Write `recipes` into `dir` as `NAME.yaml`; the paths, by name.
fn write_catalog(dir: &Path, recipes: &[(&str, String)]) -> BTreeMap<String, PathBuf> {
    fs_err::create_dir_all(dir).unwrap();
    recipes
        .iter()
        .map(|(name, text)| {
            let p = dir.join(format!("{name}.yaml"));
            fs_err::write(&p, text).unwrap();
            ((*name).to_string(), p)
        })
        .collect()
}

/// `whittle build-all DIR -o OUT --cache-dir CACHE --build-date DATE ARGS…`.
fn build_all(dir: &Path, out: &Path, cache: &Path, args: &[&str]) -> Output {
    run(
        whittle()
            .arg("build-all")
            .arg(dir)
            .arg("-o")
            .arg(out)
            .arg("--cache-dir")
            .arg(cache)
            .args(["--build-date", DATE])
            .args(args),
        false,
    )
}

/// The `NAME DIGEST` lines of a build-all run, in order.
fn digests(out: &Output) -> Vec<(String, String)> {
    stdout(out)
        .lines()
        .map(|l| {
            let (name, digest) = l.split_once(' ').unwrap_or_else(|| panic!("{l:?}"));
            assert!(digest.starts_with("sha256:"), "{l:?}");
            (name.to_string(), digest.to_string())
        })
        .collect()
}

/// `whittle build RECIPE NAME:latest OUT.tar` with its own cache: the digest.
fn solo(recipe: &Path, name: &str, work: &Path, cache: &Path) -> String {
    let o = run(
        whittle()
            .arg("build")
            .arg(recipe)
            .arg(format!("{name}:latest"))
            .arg(work.join(format!("{name}.tar")))
            .arg("--cache-dir")
            .arg(cache)
            .args(["--build-date", DATE]),
        true,
    );
    stdout(&o).trim().to_string()
}

/// The SBOM files beside a build-all output, by file name.
fn sboms(out: &Path) -> BTreeMap<String, Vec<u8>> {
    fs_err::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".spdx.json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs_err::read(&p).unwrap())
        })
        .collect()
}

fn count(paths: &[String], suffix: &str) -> usize {
    paths.iter().filter(|p| p.ends_with(suffix)).count()
}

#[test]
fn a_catalog_of_ten_recipes_in_two_worlds_builds_the_same_images_on_two_machines_sharing_a_cache_registry(
) {
    if !TestRegistry::available() {
        return;
    }
    let reg = TestRegistry::start(RegistryOptions::new());
    let cache_ref = format!("{}/{CACHE_REPO}", reg.host());
    let worlds = Worlds::new();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let recipes = write_catalog(&w.join("recipes"), &worlds.catalog());
    let shared = ["--jobs", "2", "--cache-registry", &cache_ref];

    // Machine A: a cold local cache, an empty cache registry.
    worlds.reset_requests();
    let a = build_all(
        &w.join("recipes"),
        &w.join("outA"),
        &w.join("cacheA"),
        &shared,
    );
    assert!(a.status.success(), "A failed:\n{}", stderr(&a));
    let a_digests = digests(&a);
    let names: Vec<&str> = a_digests.iter().map(|(n, _)| n.as_str()).collect();
    let expected: Vec<&str> = recipes.keys().map(String::as_str).collect();
    assert_eq!(names, expected, "one line per recipe, sorted by name");
    // One process, one read of each index, one download of each package.
    let deb_asked = worlds.deb_srv.requested_paths();
    assert_eq!(
        count(&deb_asked, "/InRelease"),
        1,
        "5 Debian recipes in one process read InRelease once: {deb_asked:?}"
    );
    assert_eq!(count(&deb_asked, "/Release.gpg"), 0, "{deb_asked:?}");
    let apk_asked = worlds.apk_srv.requested_paths();
    assert_eq!(
        count(&apk_asked, "/APKINDEX.tar.gz"),
        1,
        "5 APK recipes in one process read APKINDEX once: {apk_asked:?}"
    );
    // Every package of each world was fetched, once: two recipes needing
    // one package at the same moment share its download.
    for asked in [&deb_asked, &apk_asked] {
        let mut packages: Vec<&String> = asked
            .iter()
            .filter(|p| p.ends_with(".deb") || p.ends_with(".apk"))
            .collect();
        assert_eq!(packages.len(), 5, "{asked:?}");
        packages.sort();
        packages.dedup();
        assert_eq!(packages.len(), 5, "{asked:?}");
    }
    // A filled the cache registry.
    let uploads = format!("/v2/{CACHE_REPO}/blobs/uploads/");
    assert!(
        reg.requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.starts_with(&uploads)),
        "A uploaded nothing to the cache registry"
    );

    // Machine B: another cold local cache, the same cache registry.
    worlds.reset_requests();
    let mark = reg.mark();
    let b = build_all(
        &w.join("recipes"),
        &w.join("outB"),
        &w.join("cacheB"),
        &shared,
    );
    assert!(b.status.success(), "B failed:\n{}", stderr(&b));
    assert_eq!(stdout(&b), stdout(&a), "B built other images than A");
    let asked = worlds.requested();
    let packages: Vec<&String> = asked
        .iter()
        .filter(|p| p.ends_with(".deb") || p.ends_with(".apk"))
        .collect();
    assert!(
        packages.is_empty(),
        "B fetched packages the cache registry has: {packages:?}"
    );
    // Indexes are always read online; that is all B may ask the mirrors.
    for p in &asked {
        assert!(
            p.ends_with("/InRelease") || p.contains("/Packages") || p.ends_with("/APKINDEX.tar.gz"),
            "B asked a mirror for {p}"
        );
    }
    let b_requests = reg.requests_since(mark);
    let posts: Vec<_> = b_requests
        .iter()
        .filter(|r| r.method == "POST" || r.method == "PATCH")
        .collect();
    assert!(
        posts.is_empty(),
        "B uploaded to the cache registry: {posts:?}"
    );
    let blob_gets = b_requests
        .iter()
        .filter(|r| {
            r.method == "GET"
                && r.status == 200
                && r.path
                    .starts_with(&format!("/v2/{CACHE_REPO}/blobs/sha256:"))
        })
        .count();
    assert!(
        blob_gets >= 10,
        "B took only {blob_gets} blobs from the cache registry: {b_requests:?}"
    );
    let a_sboms = sboms(&w.join("outA"));
    assert_eq!(a_sboms.len(), 10, "{:?}", a_sboms.keys());
    assert_eq!(a_sboms, sboms(&w.join("outB")), "A and B wrote other SBOMs");

    // Each image is the one `whittle build` makes of its recipe alone.
    for (name, digest) in &a_digests {
        let solo_digest = solo(&recipes[name], name, w, &w.join("cacheSolo"));
        assert_eq!(&solo_digest, digest, "{name}: build-all ≠ solo build");
    }
    // Identical contents, identical images.
    let by_name: BTreeMap<_, _> = a_digests.iter().cloned().collect();
    assert_eq!(by_name["deb-hello"], by_name["deb-hello-twin"]);
    assert_eq!(by_name["apk-hello"], by_name["apk-hello-twin"]);
}

#[test]
fn build_all_reports_a_broken_recipe_by_name_and_still_builds_the_others() {
    let worlds = Worlds::new();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dir = w.join("recipes");
    write_catalog(
        &dir,
        &[
            ("good-deb", worlds.deb_recipe("hello", "/usr/bin/hello")),
            (
                "broken",
                worlds.deb_recipe("hello, no-such-package", "/usr/bin/hello"),
            ),
            ("good-apk", worlds.apk_recipe("tool", "/usr/bin/tool")),
        ],
    );
    let out = build_all(&dir, &w.join("out"), &w.join("cache"), &["--jobs", "2"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("broken:"))
        .unwrap_or_else(|| panic!("no line for the broken recipe:\n{err}"));
    assert!(line.contains("no-such-package"), "{err}");
    assert!(err.contains("1 failed"), "{err}");
    let built: Vec<String> = digests(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(built, ["good-apk", "good-deb"], "{err}");
    for name in ["good-apk", "good-deb"] {
        assert!(w.join("out").join(name).join("index.json").is_file());
    }
}

#[test]
fn a_cache_registry_that_is_down_costs_time_not_the_build() {
    let worlds = Worlds::new();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dir = w.join("recipes");
    let recipes = write_catalog(
        &dir,
        &[
            ("deb-hello", worlds.deb_recipe("hello", "/usr/bin/hello")),
            ("apk-tool", worlds.apk_recipe("tool", "/usr/bin/tool")),
        ],
    );
    let started = Instant::now();
    let out = build_all(
        &dir,
        &w.join("out"),
        &w.join("cache"),
        &["--cache-registry", "127.0.0.1:1/cache"],
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    eprintln!("with the cache registry down: {:?}", started.elapsed());
    assert!(
        err.lines()
            .any(|l| l.starts_with("warning: ") && l.contains("shared cache 127.0.0.1:1/cache")),
        "no warning names the shared cache:\n{err}"
    );
    for (name, digest) in digests(&out) {
        let alone = solo(&recipes[&name], &name, w, &w.join("cacheSolo"));
        assert_eq!(alone, digest, "{name}");
    }
}

/// Seconds `f` took.
fn timed(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// Time the catalog four ways (see BENCHMARKS.md; `scripts/bench-catalog.sh`).
#[test]
#[ignore = "a benchmark: scripts/bench-catalog.sh"]
fn bench_catalog() {
    if !TestRegistry::available() {
        return;
    }
    let worlds = Worlds::new();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dir = w.join("recipes");
    let recipes = write_catalog(&dir, &worlds.catalog());
    let ok = |o: &Output| assert!(o.status.success(), "{}", stderr(o));

    let solo_secs = timed(|| {
        for (name, recipe) in &recipes {
            solo(recipe, name, w, &w.join(format!("cache-solo-{name}")));
        }
    });
    let jobs1 = timed(|| {
        ok(&build_all(
            &dir,
            &w.join("o1"),
            &w.join("c1"),
            &["--jobs", "1"],
        ))
    });
    let jobs2 = timed(|| {
        ok(&build_all(
            &dir,
            &w.join("o2"),
            &w.join("c2"),
            &["--jobs", "2"],
        ))
    });
    let reg = TestRegistry::start(RegistryOptions::new());
    let cache_ref = format!("{}/{CACHE_REPO}", reg.host());
    let shared = ["--jobs", "2", "--cache-registry", cache_ref.as_str()];
    let machine_a = timed(|| ok(&build_all(&dir, &w.join("oA"), &w.join("cA"), &shared)));
    let machine_b = timed(|| ok(&build_all(&dir, &w.join("oB"), &w.join("cB"), &shared)));
    let warm_local = timed(|| {
        ok(&build_all(
            &dir,
            &w.join("o2w"),
            &w.join("c2"),
            &["--jobs", "2"],
        ))
    });
    eprintln!("catalog: 10 recipes (5 deb, 5 apk), every cache cold unless said");
    eprintln!("solo builds, one process each, one after another: {solo_secs:.2} s");
    eprintln!("build-all --jobs 1: {jobs1:.2} s");
    eprintln!("build-all --jobs 2: {jobs2:.2} s");
    eprintln!("build-all --jobs 2 --cache-registry, machine A (empty registry): {machine_a:.2} s");
    eprintln!("build-all --jobs 2 --cache-registry, machine B (warm registry): {machine_b:.2} s");
    eprintln!("build-all --jobs 2, warm local cache: {warm_local:.2} s");
}
