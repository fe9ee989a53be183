//! Live tests against the host's Debian mirror (from its apt sources, as
//! the example recipe leaves the URL out). When the mirror cannot be
//! reached they say so loudly and skip; they never pass silently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::PathBuf;

use common::*;
use whittle_test_env::host::require_tool;

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

/// `show-packages` on the example, or None (with a loud SKIP) when the
/// mirror is unreachable.
fn shown() -> Option<String> {
    let out = run(
        whittle()
            .arg("show-packages")
            .arg(example())
            .arg("--cache-dir")
            .arg(live_cache()),
        false,
    );
    if out.status.success() {
        return Some(stdout(&out));
    }
    let err = stderr(&out);
    if err.contains("could not fetch") || err.contains("connect") || err.contains("no apt source") {
        eprintln!(
            "\n!!!!! SKIP: the host's Debian mirror is not reachable; the LIVE tests did NOT run !!!!!\n{err}\n"
        );
        return None;
    }
    panic!("show-packages failed:\n{err}");
}

#[test]
fn live_python_image_runs_scans_and_reproduces() {
    let Some(shown) = shown() else { return };
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
