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

use std::path::PathBuf;

use common::live;
use common::*;
use whittle_test_env::host::require_tool;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/debian/python.yaml")
}

/// `show-packages` on the example; panics when whittle fails.
fn shown() -> String {
    stdout(&run(
        whittle()
            .arg("show-packages")
            .arg(example())
            .arg("--cache-dir")
            .arg(live::cache()),
        true,
    ))
}

#[test]
fn live_python_image_runs_scans_and_reproduces() {
    if !live::mirror_answers("the live tests") {
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
                .arg(live::cache())
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
