//! Tiny release trees in temporary folders.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use whittle_slices::{Release, SliceError};

/// A `chisel.yaml` in `format` with one archive and its key.
pub fn chisel_yaml(format: &str) -> String {
    format!(
        "format: {format}
maintenance:
  standard: 2024-04-25
  end-of-life: 2036-04-29
archives:
  ubuntu:
    version: 24.04
    components: [main, universe]
    suites: [noble, noble-updates]
    public-keys: [test-key]
public-keys:
  test-key:
    id: 871920D1991BC93C
    armor: |
      -----BEGIN PGP PUBLIC KEY BLOCK-----
      test
      -----END PGP PUBLIC KEY BLOCK-----
"
    )
}

/// Writes `files` (relative path → text) under a new temporary folder.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    dir
}

/// Writes `files` under `root`.
pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = root.join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(&path, text).unwrap();
    }
}

/// Loads a one-tree release of `format` with these slice files
/// (`(package, yaml)`).
pub fn load(format: &str, packages: &[(&str, &str)]) -> Result<Release, SliceError> {
    let (_dir, release) = load_kept(format, packages);
    release
}

/// As [`load`], keeping the folder.
pub fn load_kept(
    format: &str,
    packages: &[(&str, &str)],
) -> (tempfile::TempDir, Result<Release, SliceError>) {
    let chisel = chisel_yaml(format);
    let names: Vec<String> = packages
        .iter()
        .map(|(p, _)| format!("slices/{p}.yaml"))
        .collect();
    let mut files: Vec<(&str, &str)> = vec![("chisel.yaml", chisel.as_str())];
    for ((_, text), name) in packages.iter().zip(&names) {
        files.push((name.as_str(), text));
    }
    let dir = tree(&files);
    let release = whittle_slices::load(&[dir.path().to_path_buf()]);
    (dir, release)
}

/// Loads, expecting success.
pub fn ok(format: &str, packages: &[(&str, &str)]) -> Release {
    match load(format, packages) {
        Ok(r) => r,
        Err(e) => panic!("expected the release to load: {e}"),
    }
}

/// Loads, expecting a failure whose message contains `needle`.
pub fn fails(format: &str, packages: &[(&str, &str)], needle: &str) -> String {
    match load(format, packages) {
        Ok(_) => panic!("expected an error containing {needle:?}"),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(needle), "expected {needle:?} in: {msg}");
            msg
        }
    }
}

/// Loads and checks, expecting the check to fail with `needle`.
pub fn conflicts(packages: &[(&str, &str)], needle: &str) -> String {
    let release = ok("v1", packages);
    match release.check() {
        Ok(()) => panic!("expected a conflict containing {needle:?}"),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(needle), "expected {needle:?} in: {msg}");
            msg
        }
    }
}

/// Loads and checks, expecting both to succeed.
pub fn clean(packages: &[(&str, &str)]) -> Release {
    let release = ok("v1", packages);
    if let Err(e) = release.check() {
        panic!("expected no conflict: {e}");
    }
    release
}

/// The fixtures folder of a chisel-releases branch.
pub fn fixture(name: &str) -> PathBuf {
    whittle_test_env::fixtures::path(name)
}
