//! The fixture locator's messages and the CI rule for missing tools.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use whittle_test_env::{fixtures, host};

/// A path that exists nowhere.
fn nowhere() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("whittle-no-fixtures-{}", std::process::id()))
}

#[test]
fn missing_default_folder_names_it_and_the_variable() {
    let expected = nowhere();
    let err = fixtures::locate(None, &expected).unwrap_err();
    assert_eq!(err.expected, expected);
    let msg = err.to_string();
    assert!(msg.contains(&expected.display().to_string()), "{msg}");
    assert!(msg.contains("../shared/fixtures"), "{msg}");
    assert!(msg.contains("WHITTLE_FIXTURES"), "{msg}");
}

#[test]
fn missing_override_names_it_and_the_variable() {
    let wrong = nowhere();
    let err = fixtures::locate(Some(wrong.as_os_str()), Path::new("/")).unwrap_err();
    assert!(err.from_env);
    let msg = err.to_string();
    assert!(msg.contains(&wrong.display().to_string()), "{msg}");
    assert!(msg.contains("WHITTLE_FIXTURES points at"), "{msg}");
}

#[test]
fn override_wins_and_may_be_relative_to_the_repository() {
    let root = fixtures::repo_root();
    assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
    let found = fixtures::locate(Some(OsStr::new("crates")), &nowhere()).unwrap();
    assert_eq!(found, root.join("crates"));
    // Empty means unset.
    let found = fixtures::locate(Some(OsStr::new("")), &root).unwrap();
    assert_eq!(found, root);
}

#[test]
fn default_is_beside_the_repository() {
    let root = fixtures::repo_root();
    let parent = root.parent().unwrap();
    assert_eq!(fixtures::default_dir(), parent.join("shared/fixtures"));
}

#[test]
fn a_present_tool_is_required_quietly() {
    assert!(host::require(true, "unused", true));
    assert!(host::find_tool("sh").is_some());
    assert!(host::find_tool("whittle-no-such-tool").is_none());
}

#[test]
fn a_missing_tool_skips_outside_ci() {
    assert!(!host::require(
        false,
        "`whittle-no-such-tool` is not installed",
        false
    ));
}

#[test]
#[should_panic(expected = "`whittle-no-such-tool` is not installed, and CI=true")]
fn a_missing_tool_fails_under_ci() {
    host::require(false, "`whittle-no-such-tool` is not installed", true);
}

/// `require_tool` reads `CI` itself: run this test again in a child process
/// with `CI=true` (and once with `CI` unset) and check what it does.
#[test]
fn require_tool_reads_ci_from_the_environment() {
    if std::env::var_os("WHITTLE_TEST_ENV_CHILD").is_some() {
        let found = host::require_tool("whittle-no-such-tool");
        assert!(!found);
        return;
    }
    let child = |ci: Option<&str>| {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--exact", "require_tool_reads_ci_from_the_environment"])
            .env("WHITTLE_TEST_ENV_CHILD", "1");
        match ci {
            Some(v) => cmd.env("CI", v),
            None => cmd.env_remove("CI"),
        };
        cmd.output().unwrap()
    };
    let under_ci = child(Some("true"));
    let out = String::from_utf8_lossy(&under_ci.stdout);
    assert!(!under_ci.status.success(), "passed under CI=true:\n{out}");
    assert!(out.contains("and CI=true"), "{out}");

    let local = child(None);
    let err = String::from_utf8_lossy(&local.stderr);
    assert!(local.status.success(), "{err}");
    assert!(
        err.contains("SKIP (require_tool_reads_ci_from_the_environment): `whittle-no-such-tool` is not installed"),
        "{err}"
    );
}
