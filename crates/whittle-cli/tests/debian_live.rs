//! Live tests against the host's Debian mirror (from its apt sources, as
//! the example recipe leaves the URL out).
//!
//! They probe the mirror first: every suite's `InRelease`, with a short
//! timeout. Only a mirror that cannot be reached skips them (loudly); under
//! `CI=true` that fails too, unless `WHITTLE_LIVE_MIRROR=skip` says this CI
//! has no network. Once the probe succeeds, any failure of whittle is a
//! test failure: a fetch regression is never mistaken for a network outage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use whittle_deb::sources::{find_suite, read_apt_sources};
use whittle_test_env::host::{in_ci, require_tool, skip};

/// The example's suites, each probed on its own mirror.
const SUITES: [&str; 3] = ["bookworm", "bookworm-updates", "bookworm-security"];

/// How long the probe waits for each `InRelease`.
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/debian/python.yaml")
}

fn live_cache() -> PathBuf {
    // Shared between runs on one machine so CI does not download twice.
    std::env::var_os("WHITTLE_LIVE_CACHE").map_or_else(
        || std::env::temp_dir().join("whittle-live-cache"),
        PathBuf::from,
    )
}

/// Fetch each suite's `InRelease` from the mirror the host's apt sources
/// name for it; the reason when one cannot be had.
fn probe() -> Result<(), String> {
    let sources = read_apt_sources(Path::new("/"))
        .map_err(|e| format!("the host's apt sources cannot be read: {e}"))?;
    let client = reqwest::blocking::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))?;
    for suite in SUITES {
        let source = find_suite(&sources, suite)
            .ok_or_else(|| format!("no apt source on this host lists {suite}"))?;
        let url = format!(
            "{}/dists/{suite}/InRelease",
            source.uri.trim_end_matches('/')
        );
        let answer = client
            .get(&url)
            .send()
            .and_then(reqwest::blocking::Response::error_for_status)
            .and_then(reqwest::blocking::Response::bytes);
        if let Err(e) = answer {
            return Err(format!("{url}: {e}"));
        }
    }
    Ok(())
}

/// Whether the live tests can run: the mirror answers. An unreachable
/// mirror skips loudly, or fails under `CI=true` unless
/// `WHITTLE_LIVE_MIRROR=skip`.
fn mirror_answers() -> bool {
    let Err(why) = probe() else { return true };
    let allowed = std::env::var("WHITTLE_LIVE_MIRROR").is_ok_and(|v| v == "skip");
    assert!(
        !in_ci() || allowed,
        "the host's Debian mirror cannot be reached ({why}), and CI=true: the live tests must \
         run in CI. Where CI has no network, set WHITTLE_LIVE_MIRROR=skip"
    );
    skip(&format!(
        "the host's Debian mirror cannot be reached ({why}); the LIVE tests did NOT run"
    ));
    false
}

/// `show-packages` on the example; panics when whittle fails.
fn shown() -> String {
    stdout(&run(
        whittle()
            .arg("show-packages")
            .arg(example())
            .arg("--cache-dir")
            .arg(live_cache()),
        true,
    ))
}

#[test]
fn live_python_image_runs_scans_and_reproduces() {
    if !mirror_answers() {
        return;
    }
    let shown = shown();
    let dir = tempfile::tempdir().unwrap();
    let tag = "whittle.live/python:3.11";
    let build = |name: &str| {
        let out = dir.path().join(name);
        let res = run(
            whittle()
                .arg("build")
                .arg(example())
                .arg(tag)
                .arg(&out)
                .arg("--cache-dir")
                .arg(live_cache())
                .current_dir(dir.path()),
            true,
        );
        (out, stdout(&res).trim().to_string())
    };
    let (first, digest1) = build("one.tar");
    let (_, digest2) = build("two.tar");
    assert_eq!(
        digest1, digest2,
        "two builds of the same mirror state differ"
    );

    if require_tool("umoci") && require_tool("runc") {
        let bundle = umoci_unpack(&first, tag, &dir.path().join("run"));
        let rootfs = bundle.join("rootfs");
        for forbidden in ["usr/bin/sh", "bin/sh", "usr/bin/apt", "usr/bin/dpkg"] {
            assert!(
                fs_err::symlink_metadata(rootfs.join(forbidden)).is_err(),
                "{forbidden} present"
            );
        }
        let out = runc_run(
            &bundle,
            &[
                "/usr/bin/python3",
                "-c",
                "import ssl, sqlite3, json; print(len(ssl.create_default_context().get_ca_certs()))",
            ],
            "whittle-live-python",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let n: usize = stdout(&out).trim().parse().unwrap_or(0);
        assert!(n > 100, "{n} CA certificates");
    }

    let expected: String = shown
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    if let Some(((_, syft), (_, trivy))) = scanners(&first, &dir.path().join("scan")) {
        assert_eq!(syft, expected, "Syft disagrees with show-packages");
        assert_eq!(trivy, expected, "Trivy disagrees with show-packages");
    }
}
