//! Memory stays bounded whatever the packages hold: file contents past a
//! small budget are spilled to disk, and a package bomb (gigabytes of
//! zeros that compress to kilobytes) is refused at the build's total limit
//! with a clear error, not by the kernel's OOM killer. Peak RSS of the real
//! binary is measured with GNU time. Repositories are made at test time and
//! served on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use whittle_test::{DebEntry, DebRepo, DebSpec};
use whittle_test_env::host::require_file;

/// Run `whittle` under GNU time; returns its output and peak RSS in MiB,
/// or `None` (a loud SKIP outside CI) without GNU time.
fn measured(args: &[&std::ffi::OsStr]) -> Option<(Output, u64)> {
    if !require_file(Path::new("/usr/bin/time"), "apt-get install time") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("rss");
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_whittle"))
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("WHITTLE_CACHE_DIR")
        .output()
        .unwrap();
    let text = fs_err::read_to_string(&report).unwrap();
    // GNU time writes "Command exited with non-zero status N" first when
    // the command failed; the figure is the last line.
    let kib: u64 = text.lines().last().unwrap().trim().parse().unwrap();
    Some((out, kib / 1024))
}

fn repo_with(spec: DebSpec) -> DebRepo {
    let mut repo = DebRepo::new("stable");
    repo.add(spec);
    repo.publish();
    repo
}

/// Nothing is left in the cache's spill directory (spill files are
/// anonymous, so even a failed build leaves none).
fn assert_no_spill_left(cache: &Path) {
    let spill = cache.join("spill");
    if spill.exists() {
        let left: Vec<_> = fs_err::read_dir(&spill).unwrap().collect();
        assert!(left.is_empty(), "spill files left: {left:?}");
    }
}

#[test]
fn a_package_bomb_is_refused_at_the_build_limit_with_bounded_memory() {
    // Four 2 GB files of zeros: 8 GB unpacked, a few hundred KB packed.
    let mut bomb = DebSpec::new("bomb", "1");
    for i in 0..4 {
        bomb = bomb.entry(DebEntry::Zeros(
            format!("usr/share/bomb/zero{i}"),
            2_000_000_000,
        ));
    }
    let repo = repo_with(bomb);
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = deb_recipe(dir.path(), &srv.url(), &repo.keyring_path(), "bomb", "");
    let cache = dir.path().join("cache");
    let output = dir.path().join("out.tar");
    let Some((out, rss)) = measured(&[
        "build".as_ref(),
        recipe.as_os_str(),
        "test.invalid/bomb:1".as_ref(),
        output.as_os_str(),
        "--cache-dir".as_ref(),
        cache.as_os_str(),
        "--max-unpacked-size".as_ref(),
        "3G".as_ref(),
    ]) else {
        return;
    };
    let err = stderr(&out);
    eprintln!("bomb: peak RSS {rss} MiB\n{err}");
    assert!(!out.status.success(), "a bomb was built:\n{err}");
    assert!(err.contains("bomb"), "the package is not named:\n{err}");
    assert!(
        err.contains("more than 3221225472 bytes") && err.contains("--max-unpacked-size"),
        "the limit and how to raise it are not said:\n{err}"
    );
    assert!(
        !err.contains("tampered") && !err.contains("verification"),
        "a bomb is not a forgery:\n{err}"
    );
    assert!(rss < 300, "peak RSS {rss} MiB while refusing a bomb");
    assert!(!output.exists(), "an output was written");
    assert_no_spill_left(&cache);
}

#[test]
fn a_gigabyte_file_is_spilled_to_disk_not_held_in_memory() {
    const SIZE: u64 = 1 << 30;
    let repo = repo_with(
        DebSpec::new("big", "1").entry(DebEntry::Zeros("usr/share/big/blob".to_string(), SIZE)),
    );
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = deb_recipe(dir.path(), &srv.url(), &repo.keyring_path(), "big", "");
    let cache = dir.path().join("cache");
    let output = dir.path().join("big.tar");
    let Some((out, rss)) = measured(&[
        "build".as_ref(),
        recipe.as_os_str(),
        "test.invalid/big:1".as_ref(),
        output.as_os_str(),
        "--cache-dir".as_ref(),
        cache.as_os_str(),
        "--allow-missing-entrypoint".as_ref(),
        "--build-date".as_ref(),
        "1700000000".as_ref(),
    ]) else {
        return;
    };
    let err = stderr(&out);
    eprintln!("1 GiB file: peak RSS {rss} MiB");
    assert!(out.status.success(), "build failed:\n{err}");
    // Whittle's documented bound: 512 MiB plus the largest index (tiny here).
    assert!(rss < 512, "peak RSS {rss} MiB for a 1 GiB file");
    assert_no_spill_left(&cache);
    // The file is really in the image, whole.
    let mut archive = tar::Archive::new(fs_err::File::open(&output).unwrap());
    let mut found = None;
    for blob in archive.entries().unwrap() {
        let blob = blob.unwrap();
        let gz = flate2::read::GzDecoder::new(blob);
        let mut layer = tar::Archive::new(gz);
        let Ok(entries) = layer.entries() else {
            continue;
        };
        for e in entries.flatten() {
            if e.path().unwrap().ends_with("usr/share/big/blob") {
                found = Some(e.header().size().unwrap());
            }
        }
        if found.is_some() {
            break;
        }
    }
    assert_eq!(found, Some(SIZE), "the layer does not hold the whole file");
}
