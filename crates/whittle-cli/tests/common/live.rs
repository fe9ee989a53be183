//! Whether the host's Debian mirror answers, probed once per test binary:
//! every suite's `InRelease` from the mirror the host's apt sources name
//! (the live recipes leave the URL out, as the example does).
//!
//! An unreachable mirror skips loudly, and fails under `CI=true` unless
//! `WHITTLE_LIVE_MIRROR=skip` says this CI has no network. Once the probe
//! succeeds, every failure is a test failure: a fetch regression is never
//! mistaken for a network outage.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use whittle_deb::sources::{find_suite, read_apt_sources};
use whittle_test_env::host::{in_ci, skip};

/// The suites the live recipes name.
pub const SUITES: [&str; 3] = ["bookworm", "bookworm-updates", "bookworm-security"];

/// How long the probe waits for each `InRelease`.
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// The download cache the live tests share, so a machine fetches each
/// package once (and CI does not download twice).
pub fn cache() -> PathBuf {
    std::env::var_os("WHITTLE_LIVE_CACHE").map_or_else(
        || std::env::temp_dir().join("whittle-live-cache"),
        PathBuf::from,
    )
}

/// Fetch each suite's `InRelease`; the reason when one cannot be had.
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
        client
            .get(&url)
            .send()
            .and_then(reqwest::blocking::Response::error_for_status)
            .and_then(reqwest::blocking::Response::bytes)
            .map_err(|e| format!("{url}: {e}"))?;
    }
    Ok(())
}

/// Whether the live tests can run. The probe runs once; each test that is
/// skipped says so loudly itself, naming `what` did not run.
pub fn mirror_answers(what: &str) -> bool {
    static PROBED: OnceLock<Result<(), String>> = OnceLock::new();
    let Err(why) = PROBED.get_or_init(probe) else {
        return true;
    };
    let allowed = std::env::var("WHITTLE_LIVE_MIRROR").is_ok_and(|v| v == "skip");
    assert!(
        !in_ci() || allowed,
        "the host's Debian mirror cannot be reached ({why}), and CI=true: {what} must run in \
         CI. Where CI has no network, set WHITTLE_LIVE_MIRROR=skip"
    );
    skip(&format!(
        "the host's Debian mirror cannot be reached ({why}); {what} did NOT run (LIVE)"
    ));
    false
}
