//! Chisel slice sets against a current Ubuntu 24.04 archive, when
//! `UBUNTU_MIRROR` names one (its URL, the folder holding `dists/`); the
//! release is the fixture's chisel-releases tree, so suites, components and
//! the archive key come from its chisel.yaml. Without `UBUNTU_MIRROR` every
//! test skips loudly: this machine reaches no Ubuntu mirror by default.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use whittle_test_env::fixtures;
use whittle_test_env::host::{require_tool, skip};

const TAG: &str = "whittle.test/ubuntu-live:e2e";

fn mirror(what: &str) -> Option<String> {
    match std::env::var("UBUNTU_MIRROR") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim_end_matches('/').to_string()),
        _ => {
            skip(&format!(
                "{what} not tested: set UBUNTU_MIRROR to an Ubuntu 24.04 archive URL to run it"
            ));
            None
        }
    }
}

fn cut(dir: &Path, url: &str, slices: &[&str], extra: &str) -> PathBuf {
    let recipe = dir.join("recipe.yaml");
    fs_err::write(
        &recipe,
        format!(
            "contents:\n  slices: {}\n  repositories:\n    - type: deb\n      url: {url}\n  packages: [{}]\narchs: [amd64]\n{extra}",
            fixtures::path("chisel-releases-ubuntu-24.04").display(),
            slices.join(", ")
        ),
    )
    .unwrap();
    let archive = dir.join("image.tar");
    let out = run(
        whittle()
            .arg("build")
            .arg(&recipe)
            .arg(TAG)
            .arg(&archive)
            .arg("--cache-dir")
            .arg(live::cache().join("ubuntu")),
        true,
    );
    eprintln!("{}", stderr(&out));
    archive
}

fn scanners_see_ubuntu(archive: &Path, at_least: usize) {
    let out = tempfile::tempdir().unwrap();
    let Some(((syft_distro, syft), (trivy_distro, trivy))) = scanners(archive, out.path()) else {
        return;
    };
    assert_eq!(syft_distro.trim(), "distro: ubuntu 24.04");
    assert!(
        trivy_distro.starts_with("distro: ubuntu 24.04"),
        "{trivy_distro}"
    );
    assert!(syft.lines().count() >= at_least, "{syft}");
    assert_eq!(syft, trivy);
}

#[test]
fn python_slices_from_a_live_archive() {
    let Some(url) = mirror("the python slice set") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let archive = cut(
        dir.path(),
        &url,
        &[
            "base-files_base",
            "base-files_release-info",
            "base-files_chisel",
            "ca-certificates_data",
            "libc6_libs",
            "libgcc-s1_libs",
            "openssl_config",
            "python3.12_standard",
        ],
        "accounts: {users: [{username: app, uid: 10001}], run-as: app}\nentrypoint: {command: /usr/bin/python3.12}\n",
    );
    scanners_see_ubuntu(&archive, 20);
    if !require_tool("umoci") || !require_tool("runc") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let bundle = umoci_unpack(&archive, TAG, work.path());
    let out = runc_run(
        &bundle,
        &[
            "/usr/bin/python3.12",
            "-c",
            "import os, pwd, ssl; print(pwd.getpwuid(os.getuid()).pw_name, len(ssl.create_default_context().get_ca_certs()))",
        ],
        &format!("whittle-ubuntu-live-{}", std::process::id()),
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let words: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(words[0], "app");
    assert!(words[1].parse::<usize>().unwrap() > 100, "{text}");
}

#[test]
fn compiled_app_base_slices_from_a_live_archive() {
    let Some(url) = mirror("the compiled-app base slice set") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let archive = cut(
        dir.path(),
        &url,
        &[
            "base-files_base",
            "base-files_release-info",
            "base-files_chisel",
            "tzdata_zoneinfo",
            "ca-certificates_data",
            "libc-bin_nsswitch",
            "libgcc-s1_libs",
            "libc6_libs",
            "libssl3t64_libs",
            "openssl_config",
        ],
        "",
    );
    scanners_see_ubuntu(&archive, 8);
}
