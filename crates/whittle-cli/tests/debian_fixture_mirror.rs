//! End to end on real Debian data: the unmodified bookworm archive slice in
//! `../shared/fixtures/debian-bookworm-mirror`, served on 127.0.0.1, signed
//! by Debian's real archive keys. Versions are fixed, so the resolved set,
//! the package database and the image digest can be asserted exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;

/// The fixture mirror is a snapshot: its Release files expire a week after
/// they were copied, so these tests accept them past Valid-Until (the
/// hermetic tests check that the date is enforced).
fn whittle() -> std::process::Command {
    let mut c = common::whittle();
    c.env("WHITTLE_IGNORE_VALID_UNTIL", "true");
    c
}
use whittle_net::TestServer;
use whittle_test_env::fixtures;
use whittle_test_env::host::{require_file, require_tool};

const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
const TAG: &str = "whittle.test/python:e2e";

fn server() -> &'static TestServer {
    static S: OnceLock<TestServer> = OnceLock::new();
    S.get_or_init(|| TestServer::serve_dir(fixtures::path("debian-bookworm-mirror")))
}

fn have_keyring() -> bool {
    require_file(Path::new(KEYRING), "apt-get install debian-archive-keyring")
}

/// The recipe of the fixture's closure; `extra` is appended verbatim.
fn recipe(dir: &Path, packages: &[&str], extra: &str) -> PathBuf {
    let url = server().url();
    let text = format!(
        "contents:\n  repositories:\n    - type: deb\n      url: {url}/debian\n      suites: [bookworm, bookworm-updates]\n      keyring: {KEYRING}\n    - type: deb\n      url: {url}/debian-security\n      suites: [bookworm-security]\n      keyring: {KEYRING}\n  packages: [{}]\n{extra}",
        packages.join(", ")
    );
    let path = dir.join("recipe.yaml");
    fs_err::write(&path, text).unwrap();
    path
}

const CLOSURE: &[&str] = &[
    "python3",
    "ca-certificates",
    "tzdata",
    "netbase",
    "base-files",
    "base-passwd",
    "busybox-static",
    "libc-bin",
];

#[test]
fn show_packages_resolves_exactly_what_apt_resolves() {
    if !have_keyring() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(dir.path(), CLOSURE, "");
    let out = run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .arg("--cache-dir")
            .arg(dir.path().join("cache")),
        true,
    );
    let expected =
        fs_err::read_to_string(fixtures::path("debian-bookworm-mirror/packages.txt")).unwrap();
    assert_eq!(stdout(&out), expected);
}

/// The python image with the recipe's excludes, built once for all checks.
struct Built {
    _dir: PathBuf,
    archive: PathBuf,
    sbom: PathBuf,
    digest: String,
    work: PathBuf,
    shown: String,
}

const PYTHON_EXTRA: &str = "  exclude: [dpkg, debconf, mawk]\naccounts:\n  groups: [{groupname: nonroot, gid: 65532}]\n  users: [{username: nonroot, uid: 65532, gid: 65532}]\n  run-as: nonroot\nentrypoint: {command: /usr/bin/python3}\ncmd: -c \"print('hello')\"\nwork-dir: /home/nonroot\nenvironment: {LANG: C.UTF-8}\narchs: [amd64]\nannotations: {org.opencontainers.image.title: python}\npaths: [{path: /data, type: directory, uid: 65532, gid: 65532, permissions: 0o750}]\n";
const PYTHON: &[&str] = &[
    "python3",
    "ca-certificates",
    "tzdata",
    "netbase",
    "base-files",
    "base-passwd",
];

fn built() -> Option<&'static Built> {
    static B: OnceLock<Option<Built>> = OnceLock::new();
    B.get_or_init(|| {
        if !have_keyring() {
            return None;
        }
        let dir = once_dir("debian-python");
        let r = recipe(&dir, PYTHON, PYTHON_EXTRA);
        let archive = dir.join("python.tar");
        let cache = dir.join("cache");
        let out = run(
            whittle()
                .args(["build"])
                .arg(&r)
                .arg(TAG)
                .arg(&archive)
                .arg("--cache-dir")
                .arg(&cache),
            true,
        );
        let digest = stdout(&out).trim().to_string();
        let shown = stdout(&run(
            whittle()
                .arg("show-packages")
                .arg(&r)
                .arg("--cache-dir")
                .arg(&cache),
            true,
        ));
        let work = dir.join("work");
        fs_err::create_dir_all(&work).unwrap();
        Some(Built {
            sbom: dir.join("python.sbom-amd64.spdx.json"),
            archive,
            digest,
            work,
            shown,
            _dir: dir,
        })
    })
    .as_ref()
}

#[test]
fn excluded_packages_stay_out_and_are_listed() {
    let Some(b) = built() else { return };
    for name in ["dpkg ", "debconf ", "mawk "] {
        assert!(
            !b.shown.lines().any(|l| l.starts_with(name)),
            "{name} installed:\n{}",
            b.shown
        );
        assert!(b.shown.contains(&format!(
            "# excluded (treated as provided, not installed): {name}"
        )));
    }
    assert!(b.shown.contains("python3 3.11.2-1+b1\n"));
}

#[test]
fn the_archive_is_both_an_oci_and_a_docker_archive() {
    let Some(b) = built() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let oci = skopeo_inspect(&format!("oci-archive:{}", b.archive.display()));
    assert_eq!(oci["Architecture"], "amd64");
    assert_eq!(oci["Os"], "linux");
    assert_eq!(oci["Digest"], b.digest.as_str());
    let docker = skopeo_inspect(&format!("docker-archive:{}", b.archive.display()));
    assert_eq!(docker["Architecture"], "amd64");
    let env: Vec<String> = serde_json::from_value(oci["Env"].clone()).unwrap();
    assert!(env.contains(&"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt".to_string()));
    assert!(env.contains(&"LANG=C.UTF-8".to_string()));
}

#[test]
fn image_runs_python_as_nonroot_with_certificates_and_no_shell() {
    let Some(b) = built() else { return };
    if !require_tool("umoci") || !require_tool("runc") {
        return;
    }
    let work = b.work.join("run");
    let bundle = umoci_unpack(&b.archive, TAG, &work);
    let rootfs = bundle.join("rootfs");
    for forbidden in [
        "bin/sh",
        "usr/bin/sh",
        "usr/bin/dpkg",
        "usr/bin/apt",
        "usr/bin/bash",
    ] {
        assert!(
            fs_err::symlink_metadata(rootfs.join(forbidden)).is_err(),
            "{forbidden} is in the image"
        );
    }
    let status = fs_err::read_to_string(rootfs.join("var/lib/dpkg/status")).unwrap();
    assert!(status.contains("Package: python3\nStatus: install ok installed\n"));
    let passwd = fs_err::read_to_string(rootfs.join("etc/passwd")).unwrap();
    assert!(
        passwd
            .lines()
            .any(|l| l.starts_with("nonroot:") && l.contains(":65532:65532:")),
        "{passwd}"
    );
    let out = runc_run(
        &bundle,
        &[
            "/usr/bin/python3",
            "-c",
            "import os, ssl, sqlite3, json; print(os.getuid(), len(ssl.create_default_context().get_ca_certs()))",
        ],
        "whittle-e2e-python",
    );
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "runc failed: {text}\n{}",
        stderr(&out)
    );
    let mut words = text.split_whitespace();
    assert_eq!(words.next(), Some("65532"), "{text}");
    let certs: usize = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(certs > 100, "only {certs} CA certificates: {text}");
}

#[test]
fn scanners_see_exactly_the_resolved_set() {
    let Some(b) = built() else { return };
    let out = b.work.join("scan");
    let Some(((syft_distro, syft), (trivy_distro, trivy))) = scanners(&b.archive, &out) else {
        return;
    };
    let expected: String = b
        .shown
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(syft_distro.trim(), "distro: debian 12");
    assert!(
        trivy_distro.starts_with("distro: debian 12"),
        "{trivy_distro}"
    );
    assert_eq!(syft, expected, "Syft disagrees with show-packages");
    assert_eq!(trivy, expected, "Trivy disagrees with show-packages");
}

#[test]
fn sbom_lists_every_package_and_validates() {
    let Some(b) = built() else { return };
    let doc: serde_json::Value = serde_json::from_slice(&fs_err::read(&b.sbom).unwrap()).unwrap();
    let text = serde_json::to_string(&doc).unwrap();
    assert!(text.contains("pkg:deb/debian/python3@3.11.2-1%2Bb1?arch=amd64&distro=debian-12"));
    for line in b.shown.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(' ').next().unwrap();
        assert!(
            text.contains(&format!("\"name\":\"{name}\"")),
            "{name} missing from the SBOM"
        );
    }
    validate_spdx(&b.sbom);
}

#[test]
fn two_builds_in_different_places_give_one_digest_and_download_nothing_twice() {
    let Some(b) = built() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(dir.path(), PYTHON, PYTHON_EXTRA);
    let cache = dir.path().join("cache");
    let out1 = dir.path().join("a.tar");
    // Another umask, locale, TMPDIR, directory, cache and thread count.
    let mut cmd = std::process::Command::new("sh");
    cmd.args([
        "-c",
        "umask 077; exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_whittle"),
    ]);
    let first = run(
        cmd.arg("build")
            .arg(&r)
            .arg(TAG)
            .arg(&out1)
            .arg("--cache-dir")
            .arg(&cache)
            .current_dir(dir.path())
            .env("TMPDIR", dir.path())
            .env("LC_ALL", "C.UTF-8")
            .env("WHITTLE_IGNORE_VALID_UNTIL", "true")
            .env_remove("SOURCE_DATE_EPOCH")
            .env("RAYON_NUM_THREADS", "1"),
        true,
    );
    assert_eq!(
        stdout(&first).trim(),
        b.digest,
        "a second cache and directory gave another digest"
    );
    assert_eq!(common::sha256_file(&out1), common::sha256_file(&b.archive));
    // Warm: nothing from pool/ is fetched again, and the layer is reused.
    let before = server().requested_paths().len();
    let out2 = dir.path().join("b.tar");
    let second = run(
        whittle()
            .arg("build")
            .arg(&r)
            .arg(TAG)
            .arg(&out2)
            .arg("--cache-dir")
            .arg(&cache),
        true,
    );
    let fetched: Vec<String> = server().requested_paths()[before..]
        .iter()
        .filter(|p| p.contains("/pool/"))
        .cloned()
        .collect();
    assert!(fetched.is_empty(), "the warm build downloaded {fetched:?}");
    assert!(stderr(&second).contains("(reused)"), "{}", stderr(&second));
    assert_eq!(stdout(&second).trim(), b.digest);
}

/// Real data: the lock of the python recipe names exactly the resolved set,
/// each with the digest and size of the real `.deb` in the fixture, the
/// three suites with their Release digests (the security suite marked),
/// and Debian's key; locking twice gives the same bytes. Building from it
/// in another environment (directory, TMPDIR, umask, locale, one thread,
/// cold cache) gives the image built from the indexes, bit for bit.
#[test]
fn the_python_lock_is_exact_and_rebuilds_the_same_image_anywhere() {
    let Some(b) = built() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = recipe(dir.path(), PYTHON, PYTHON_EXTRA);
    let cache = dir.path().join("cache");
    let lock = |out: &str| -> String {
        run(
            whittle()
                .arg("lock")
                .arg(&r)
                .arg("-o")
                .arg(dir.path().join(out))
                .arg("--cache-dir")
                .arg(&cache),
            true,
        );
        fs_err::read_to_string(dir.path().join(out)).unwrap()
    };
    let text = lock("recipe.lock.json");
    assert_eq!(lock("again.lock.json"), text, "two locks differ");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let installed: Vec<String> = doc["contents"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p.get("excluded").is_none())
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    let shown: Vec<String> = b
        .shown
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    assert_eq!(installed, shown);
    let mirror = fixtures::path("debian-bookworm-mirror");
    for p in doc["contents"]["packages"].as_array().unwrap() {
        let url = p["url"].as_str().unwrap();
        let path = url
            .strip_prefix(&server().url())
            .unwrap()
            .trim_start_matches('/');
        let deb = fs_err::read(mirror.join(path)).unwrap();
        assert_eq!(p["sha256"], sha256_hex(&deb).as_str(), "{url}");
        assert_eq!(p["size"], deb.len() as u64, "{url}");
    }
    let repos: Vec<(String, bool)> = doc["contents"]["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["digest"].as_str().unwrap().starts_with("sha256:"));
            (
                r["name"].as_str().unwrap().to_string(),
                r["security"] == true,
            )
        })
        .collect();
    assert_eq!(
        repos,
        [
            ("bookworm main".to_string(), false),
            ("bookworm-updates main".to_string(), false),
            ("bookworm-security main".to_string(), true),
        ]
    );
    assert!(
        doc["contents"]["keyring"][0]["fingerprints"]
            .as_array()
            .unwrap()
            .len()
            >= 2,
        "Debian's keyring holds several keys"
    );

    // Another process, another environment, a cold cache, from the lock.
    let other = tempfile::tempdir().unwrap();
    let out = other.path().join("python.tar");
    let mut cmd = std::process::Command::new("sh");
    cmd.args([
        "-c",
        "umask 027; exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_whittle"),
    ]);
    let built_from_lock = run(
        cmd.arg("build")
            .arg(&r)
            .arg(TAG)
            .arg(&out)
            .arg("--lockfile")
            .arg(dir.path().join("recipe.lock.json"))
            .arg("--cache-dir")
            .arg(other.path().join("cold-cache"))
            .current_dir(other.path())
            .env("TMPDIR", other.path())
            .env("LC_ALL", "POSIX")
            .env("LANG", "de_DE.UTF-8")
            .env("WHITTLE_IGNORE_VALID_UNTIL", "true")
            .env_remove("SOURCE_DATE_EPOCH")
            .env("RAYON_NUM_THREADS", "1"),
        true,
    );
    assert_eq!(stdout(&built_from_lock).trim(), b.digest);
    assert_same_archive(&out, &b.archive);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
