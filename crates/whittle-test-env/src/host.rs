//! What the host provides: tools on `PATH` and files such as keyrings.
//!
//! A test that cannot run because something is missing skips loudly on a
//! developer's machine, and fails when `CI=true`: the test command
//! (`scripts/test.sh`) installs everything first, so there a missing tool is
//! a broken setup, not a reason to pass.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Whether the tests run under CI (`CI` is `true` or `1`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Whether `tool` is on `PATH`. When it is not: panics under CI, else
/// prints a loud `SKIP:` line and returns false.
///
/// # Panics
///
/// When `tool` is missing and [`in_ci`].
#[track_caller]
pub fn require_tool(tool: &str) -> bool {
    require(
        find_tool(tool).is_some(),
        &format!("`{tool}` is not installed"),
        in_ci(),
    )
}

/// Whether the file `path` exists (`install` says how to get it). When it
/// does not: panics under CI, else prints a loud `SKIP:` line and returns
/// false.
///
/// # Panics
///
/// When `path` is missing and [`in_ci`].
#[track_caller]
pub fn require_file(path: &Path, install: &str) -> bool {
    require(
        path.exists(),
        &format!("{} does not exist ({install})", path.display()),
        in_ci(),
    )
}

/// The rule behind [`require_tool`] and [`require_file`], with the CI
/// setting as a parameter: `available` passes through; a missing thing
/// (`missing` says what) panics when `ci`, else skips loudly.
///
/// # Panics
///
/// When `!available && ci`.
#[track_caller]
pub fn require(available: bool, missing: &str, ci: bool) -> bool {
    if available {
        return true;
    }
    assert!(
        !ci,
        "{missing}, and CI=true: the test command (scripts/test.sh, through \
         scripts/install-test-deps.sh) installs it, so this setup is broken. Unset CI to skip \
         this check locally"
    );
    skip(&format!("{missing}; the checks that need it did NOT run"));
    false
}

/// Print a loud `SKIP` line naming the test, past the test harness's output
/// capture so it shows in a normal `cargo test` run.
pub fn skip(reason: &str) {
    // The harness names each test's thread after the test.
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    // Straight to the process's stderr: `eprintln!` would be captured and
    // shown only for failing tests.
    let _ = writeln!(std::io::stderr(), "\n!!!!! SKIP{test}: {reason} !!!!!\n");
}

/// The executable `tool` on `PATH`, if there is one.
pub fn find_tool(tool: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The independent signature checker (`crates/whittle-test/py/sigstore_verify.py`)
/// and a Python that can run it: `$WHITTLE_PYTHON`, else the test venv's
/// (`scripts/install-test-deps.sh`). `None` after a loud skip (a failure
/// under CI) when that Python lacks cryptography, PyNaCl or
/// sigstore-protobuf-specs.
pub fn sigstore_verifier() -> Option<(PathBuf, PathBuf)> {
    let script = crate::fixtures::repo_root().join("crates/whittle-test/py/sigstore_verify.py");
    let python = std::env::var_os("WHITTLE_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| Path::new(&h).join(".cache/whittle-ci/venv/bin/python"))
        })?;
    let usable = std::process::Command::new(&python)
        .args(["-c", "import cryptography, nacl, sigstore_protobuf_specs"])
        .output()
        .is_ok_and(|o| o.status.success());
    require(
        usable,
        &format!(
            "{} with cryptography, PyNaCl and sigstore-protobuf-specs is not installed \
             (scripts/install-test-deps.sh; or set WHITTLE_PYTHON)",
            python.display()
        ),
        in_ci(),
    )
    .then_some((python, script))
}
