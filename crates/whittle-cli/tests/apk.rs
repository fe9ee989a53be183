//! The APK world end to end: apko's own configuration and golden image from
//! `../shared/fixtures/apk/`, and APK repositories made at test time (real
//! gzip members, RSA keys generated now, signed index) served on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use common::*;
use sha2::Digest;
use whittle_test::{busybox_static_apk_spec, wolfi_baselayout_spec, ApkKey, ApkRepo, ApkSpec};
use whittle_test_env::fixtures;
use whittle_test_env::host::{require_tool, skip};

type Entries = BTreeMap<String, (char, u32, u64, u64, String, String)>;

/// Every entry of one platform's layers: (type, mode, uid, gid, link, sha256).
fn layout_entries(layout: &Path, arch: &str) -> Entries {
    let read_json = |digest: &str| -> serde_json::Value {
        let hex = digest.trim_start_matches("sha256:");
        serde_json::from_slice(&fs_err::read(layout.join("blobs/sha256").join(hex)).unwrap())
            .unwrap()
    };
    let index: serde_json::Value =
        serde_json::from_slice(&fs_err::read(layout.join("index.json")).unwrap()).unwrap();
    // apko lists the platform manifests in index.json itself; whittle puts
    // one image index there (as the issue asks). Accept both.
    let pick = |list: &serde_json::Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|m| m["platform"]["architecture"] == arch)
            .cloned()
    };
    let mut top = match pick(&index["manifests"]) {
        Some(m) => read_json(m["digest"].as_str().unwrap()),
        None => read_json(index["manifests"][0]["digest"].as_str().unwrap()),
    };
    if top.get("manifests").is_some() {
        let m = top["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["platform"]["architecture"] == arch)
            .unwrap()
            .clone();
        top = read_json(m["digest"].as_str().unwrap());
    }
    let mut out = Entries::new();
    for l in top["layers"].as_array().unwrap() {
        let hex = l["digest"].as_str().unwrap().trim_start_matches("sha256:");
        let f = fs_err::File::open(layout.join("blobs/sha256").join(hex)).unwrap();
        let mut t = tar::Archive::new(flate2::read::GzDecoder::new(f));
        for e in t.entries().unwrap() {
            let mut e = e.unwrap();
            let h = e.header().clone();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            let link = e
                .link_name()
                .unwrap()
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = e
                .path()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches('/')
                .to_string();
            out.insert(
                name,
                (
                    char::from(h.entry_type().as_byte()),
                    h.mode().unwrap() & 0o7777,
                    h.uid().unwrap(),
                    h.gid().unwrap(),
                    link,
                    hex::encode(sha2::Sha256::digest(&data)),
                ),
            );
        }
    }
    out
}

#[test]
fn apko_golden_config_builds_unchanged_and_matches_apkos_image() {
    let dir = golden_workdir();
    let shown = run(
        whittle().current_dir(dir.path()).args([
            "show-packages",
            "apko.yaml",
            "--arch",
            "x86_64",
            "--cache-dir",
            "cache",
        ]),
        true,
    );
    assert_eq!(
        stdout(&shown),
        "pretend-baselayout 1.0.0-r0\nreplayout 1.0.0-r0\n"
    );
    let out = run(
        whittle().current_dir(dir.path()).args([
            "build",
            "apko.yaml",
            "golden:latest",
            "out.tar",
            "--build-date",
            "0",
            "--cache-dir",
            "cache",
            // apko's golden image has no /bin/sh, its entrypoint: it is a
            // file-layout fixture, not a runnable image.
            "--allow-missing-entrypoint",
        ]),
        true,
    );
    eprintln!("{}", stderr(&out));
    for name in [
        "out.sbom-amd64.spdx.json",
        "out.sbom-arm64.spdx.json",
        "out.sbom-index.spdx.json",
    ] {
        validate_spdx(&dir.path().join(name));
    }
    let ours = dir.path().join("layout");
    fs_err::create_dir_all(&ours).unwrap();
    run(
        std::process::Command::new("tar")
            .arg("-xf")
            .arg(dir.path().join("out.tar"))
            .arg("-C")
            .arg(&ours),
        true,
    );
    let golden = fixtures::path("apk/apko-golden/golden");
    for arch in ["amd64", "arm64"] {
        let theirs = layout_entries(&golden, arch);
        let mut mine = layout_entries(&ours, arch);
        // Owners are kept as the package's tar headers give them, as
        // apk-tools keeps them; apko forces 0:0 (an oversight its maintainers
        // acknowledge, melange issue 1395). replayout was built on macOS:
        // its /etc/os-release carries 501:20.
        let os_release = mine.get_mut("etc/os-release").expect("os-release");
        assert_eq!((os_release.2, os_release.3), (501, 20), "{arch}");
        (os_release.2, os_release.3) = (0, 0);
        // Deliberate differences, each documented in whittle-apk's layout module:
        // the database lives in lib/apk/db (Trivy reads only that path) with
        // usr/lib/apk linking to it, apko's way round; etc/apko.json is apko's
        // own config dump.
        let normal = |e: &Entries| -> Entries {
            e.iter()
                .filter(|(k, _)| {
                    !k.starts_with("lib/apk")
                        && !k.starts_with("usr/lib/apk")
                        && *k != "etc/apko.json"
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        assert_eq!(
            normal(&mine),
            normal(&theirs),
            "{arch}: file list differs from apko's golden image"
        );
        // The database has the same files under the other path.
        for f in ["installed", "lock", "scripts.tar", "triggers"] {
            assert!(theirs.contains_key(&format!("usr/lib/apk/db/{f}")));
            assert!(
                mine.contains_key(&format!("lib/apk/db/{f}")),
                "{arch}: no lib/apk/db/{f}"
            );
        }
        assert_eq!(mine["usr/lib/apk"].4, "../../lib/apk");
    }
}

/// A Wolfi-like repository made now: a base layout with os-release and a
/// static busybox (repacked from Debian's busybox-static).
fn busybox_repo() -> Option<ApkRepo> {
    let busybox = busybox_static_apk_spec("x86_64")?;
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-wolfi"));
    repo.add(
        wolfi_baselayout_spec("x86_64")
            .file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
            .file("etc/group", b"root:x:0:\n", 0o644)
            .dir("tmp", 0o1777),
    )
    .add(
        busybox
            .origin("busybox")
            .provide("/bin/sh")
            .provider_priority(100)
            .depend("wolfi-baselayout"),
    )
    .add(
        ApkSpec::new("hello", "1.0-r0", "x86_64")
            .depend("/bin/sh")
            .file(
                "usr/bin/hello",
                b"#!/bin/sh\necho hello from whittle\n",
                0o755,
            )
            .provide("cmd:hello=1.0-r0"),
    );
    repo.publish();
    Some(repo)
}

fn recipe(dir: &Path, url: &str, key: &Path, packages: &str, extra: &str) -> PathBuf {
    let text = format!(
        "contents:\n  keyring: [{}]\n  repositories: [{url}]\n  packages: [{packages}]\n{extra}",
        key.display()
    );
    let p = dir.join("apko.yaml");
    fs_err::write(&p, text).unwrap();
    p
}

#[test]
fn a_busybox_image_runs_as_non_root_and_scanners_see_every_package() {
    let Some(repo) = busybox_repo() else {
        skip("busybox is only repacked for x86_64; the busybox image check did NOT run");
        return;
    };
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let extra = "accounts:\n  groups: [{groupname: nonroot, gid: 65532}]\n  users: [{username: nonroot, uid: 65532, gid: 65532}]\n  run-as: nonroot\nentrypoint: {command: /usr/bin/hello}\narchs: [x86_64]\n";
    let r = recipe(dir.path(), &srv.url(), &repo.key_path(), "hello", extra);
    let shown = stdout(&run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .arg("--cache-dir")
            .arg(dir.path().join("c")),
        true,
    ));
    assert_eq!(
        shown,
        "busybox 1.35.0-r0\nhello 1.0-r0\nwolfi-baselayout 20230201-r7\n"
    );
    let archive = dir.path().join("img.tar");
    let tag = "test.invalid/hello:1";
    run(
        whittle()
            .arg("build")
            .arg(&r)
            .arg(tag)
            .arg(&archive)
            .arg("--cache-dir")
            .arg(dir.path().join("c")),
        true,
    );
    if require_tool("umoci") && require_tool("runc") {
        let bundle = umoci_unpack(&archive, tag, &dir.path().join("run"));
        let rootfs = bundle.join("rootfs");
        assert!(
            rootfs.join("lib/apk/db/installed").is_file(),
            "the db must be where Trivy reads it"
        );
        assert_eq!(
            fs_err::read_link(rootfs.join("bin/sh"))
                .unwrap()
                .to_string_lossy(),
            "/bin/busybox",
            "busybox applets come from /etc/busybox-paths.d"
        );
        let world = fs_err::read_to_string(rootfs.join("etc/apk/world")).unwrap();
        assert_eq!(
            world,
            "busybox=1.35.0-r0\nhello=1.0-r0\nwolfi-baselayout=20230201-r7\n"
        );
        let out = runc_run(
            &bundle,
            &["/bin/sh", "-c", "/usr/bin/hello; id -u"],
            "whittle-apk-busybox",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), "hello from whittle\n65532\n");
    }
    if let Some(((syft_distro, syft), (trivy_distro, trivy))) =
        scanners(&archive, &dir.path().join("scan"))
    {
        assert_eq!(syft_distro.trim(), "distro: wolfi 20230201");
        assert_eq!(trivy_distro.trim(), "distro: wolfi 20230201");
        assert_eq!(syft, shown, "Syft disagrees with show-packages");
        assert_eq!(trivy, shown, "Trivy disagrees with show-packages");
    }
    validate_spdx(&dir.path().join("img.sbom-amd64.spdx.json"));
    let sbom = fs_err::read_to_string(dir.path().join("img.sbom-amd64.spdx.json")).unwrap();
    assert!(
        sbom.contains("pkg:apk/wolfi/busybox@1.35.0-r0?arch=x86_64"),
        "purl missing"
    );
}

#[test]
fn an_index_signed_by_an_unknown_key_is_refused_unless_signatures_are_ignored() {
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-a"));
    repo.add(ApkSpec::new("hello", "1.0-r0", "x86_64").file("usr/bin/hello", b"x", 0o755));
    repo.publish();
    let other = ApkRepo::new(ApkKey::generate("whittle-test-a"));
    other.publish();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    // Same key name, other key material: the signature does not verify.
    let r = recipe(
        dir.path(),
        &srv.url(),
        &other.key_path(),
        "hello",
        "archs: [x86_64]\n",
    );
    let out = run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .arg("--cache-dir")
            .arg(dir.path().join("c")),
        false,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("APKINDEX.tar.gz"), "{}", stderr(&out));
    let out = run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .arg("--ignore-signatures")
            .arg("--cache-dir")
            .arg(dir.path().join("c")),
        true,
    );
    assert_eq!(stdout(&out), "hello 1.0-r0\n");
    assert!(
        stderr(&out).contains("NOT VERIFYING"),
        "must be loud: {}",
        stderr(&out)
    );
}

#[test]
fn a_tampered_package_is_refused() {
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-b"));
    repo.add(ApkSpec::new("hello", "1.0-r0", "x86_64").file("usr/bin/hello", b"x", 0o755));
    repo.publish();
    let p = repo.apk_path("x86_64", "hello");
    let mut bytes = fs_err::read(&p).unwrap();
    let n = bytes.len();
    bytes[n - 30] ^= 0x55;
    fs_err::write(&p, bytes).unwrap();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(
        dir.path(),
        &srv.url(),
        &repo.key_path(),
        "hello",
        "archs: [x86_64]\n",
    );
    let target = dir.path().join("o.tar");
    let out = run(
        whittle()
            .arg("build")
            .arg(&r)
            .arg("t:1")
            .arg(&target)
            .arg("--cache-dir")
            .arg(dir.path().join("c")),
        false,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("hello 1.0-r0"), "{}", stderr(&out));
    assert!(!target.exists());
}

#[test]
fn two_architectures_take_versions_both_have() {
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-c"));
    for arch in ["x86_64", "aarch64"] {
        repo.add(ApkSpec::new("tool", "1.0-r0", arch).file("usr/bin/tool", arch.as_bytes(), 0o755));
    }
    repo.add(ApkSpec::new("tool", "2.0-r0", "x86_64").file("usr/bin/tool", b"new", 0o755));
    repo.publish();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(
        dir.path(),
        &srv.url(),
        &repo.key_path(),
        "tool",
        "archs: [x86_64, aarch64]\n",
    );
    let cache = dir.path().join("c");
    let one = stdout(&run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .args(["--arch", "x86_64", "--cache-dir"])
            .arg(&cache),
        true,
    ));
    assert_eq!(one, "tool 2.0-r0\n");
    let both = stdout(&run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .arg("--cache-dir")
            .arg(&cache),
        true,
    ));
    assert_eq!(both, "# amd64\ntool 1.0-r0\n\n# arm64\ntool 1.0-r0\n");

    // One archive, one image index; each platform carries its own files.
    let archive = dir.path().join("tool.tar");
    let tag = "test.invalid/tool:1";
    run(
        whittle()
            .arg("build")
            .arg(&r)
            .arg(tag)
            .arg(&archive)
            .arg("--cache-dir")
            .arg(&cache),
        true,
    );
    if !require_tool("skopeo") {
        return;
    }
    for (arch, content) in [("amd64", "x86_64"), ("arm64", "aarch64")] {
        let (config_arch, tool) = skopeo_platform_file(&archive, arch, "usr/bin/tool", dir.path());
        assert_eq!(config_arch, arch);
        assert_eq!(
            tool.as_deref(),
            Some(content),
            "{arch}: usr/bin/tool is not the {content} build"
        );
        let docker = skopeo_inspect(&format!(
            "docker-archive:{}:{tag}-{arch}",
            archive.display()
        ));
        assert_eq!(docker["Architecture"], arch);
    }
}

/// Benchmark (run by `bench/apk.sh`, ignored in the test suite): a cold and
/// a warm build of a 120-package APK image from a repository made now and
/// served on 127.0.0.1, with the engine's own split of the time.
#[test]
#[ignore = "benchmark: run bench/apk.sh"]
fn bench_apk_multi_package_image() {
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-bench"));
    let mut names = Vec::new();
    for i in 0..120 {
        let name = format!("lib{i:03}");
        // 40 files of 4-64 KiB of incompressible-ish data per package.
        let mut spec =
            ApkSpec::new(&name, "1.0-r0", "x86_64").origin(&format!("origin{:02}", i / 4));
        for f in 0..40 {
            let size = 4096 * (1 + (i * 7 + f * 13) % 16);
            let mut data = Vec::with_capacity(size);
            let mut x: u32 = (i as u32) * 7919 + f as u32;
            while data.len() < size {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                data.extend_from_slice(&x.to_le_bytes());
            }
            spec = spec.file(&format!("usr/lib/{name}/f{f:02}.bin"), &data, 0o644);
        }
        if i > 0 {
            spec = spec.depend(&format!("lib{:03}", i - 1));
        }
        repo.add(spec);
        names.push(name);
    }
    repo.publish();
    // A threaded HTTP server (Python's), so the figure is whittle's and not
    // the single-threaded test server's.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut server = std::process::Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
            "--directory",
        ])
        .arg(repo.root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(
        dir.path(),
        &url,
        &repo.key_path(),
        "lib119",
        "archs: [x86_64]\nlayering: {strategy: origin, budget: 10}\n",
    );
    let build = |cache: &str, out: &str| {
        let t = std::time::Instant::now();
        let res = run(
            whittle()
                .arg("build")
                .arg(&r)
                .arg("bench:1")
                .arg(dir.path().join(out))
                .args(["--no-sbom", "--cache-dir"])
                .arg(dir.path().join(cache)),
            true,
        );
        let wall = t.elapsed().as_secs_f64();
        let timings = stderr(&res)
            .lines()
            .find(|l| l.starts_with("timings:"))
            .unwrap_or("")
            .to_string();
        (wall, timings)
    };
    let (cold, cold_t) = build("cache", "cold.tar");
    let (warm, warm_t) = build("cache", "warm.tar");
    eprintln!("BENCH apk 120 packages, 4800 files, budget-10 layering");
    eprintln!("BENCH cold {cold:.2}s  {cold_t}");
    eprintln!("BENCH warm {warm:.2}s  {warm_t}");
    let _ = server.kill();
    let _ = server.wait();
}

/// A package is streamed into the cache once, as one content-addressed
/// blob (an index maps URL and checksum to it), and a rebuild reads it
/// from there, offline too.
#[test]
fn a_package_is_cached_once_and_reused_offline() {
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-d"));
    repo.add(ApkSpec::new("hello", "1.0-r0", "x86_64").file("usr/bin/hello", b"hi", 0o755));
    repo.publish();
    let apk = fs_err::read(repo.apk_path("x86_64", "hello")).unwrap();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(
        dir.path(),
        &srv.url(),
        &repo.key_path(),
        "hello",
        "archs: [x86_64]\n",
    );
    let cache = dir.path().join("c");
    let build = |out: &str, offline: bool| {
        let mut cmd = whittle();
        cmd.arg("build")
            .arg(&r)
            .arg("t:1")
            .arg(dir.path().join(out))
            .arg("--cache-dir")
            .arg(&cache)
            .arg("--build-date")
            .arg("0");
        if offline {
            cmd.arg("--offline");
        }
        run(&mut cmd, true)
    };
    build("a.tar", false);
    let holding = |sub: &str| -> usize {
        fs_err::read_dir(cache.join(sub))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| fs_err::read(e.path()).is_ok_and(|b| b == apk))
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(holding("v2/blobs/sha256"), 1, "the .apk is one blob");
    assert_eq!(
        holding("v2/keyed"),
        0,
        "and not a second copy under its URL"
    );
    drop(srv);
    build("b.tar", true);
    assert_eq!(
        sha256_file(&dir.path().join("a.tar")),
        sha256_file(&dir.path().join("b.tar"))
    );
}
