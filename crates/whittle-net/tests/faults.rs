//! Downloads from a server that misbehaves on purpose: every download is
//! bounded in size and time, faults of the transfer are retried (and
//! resumed), and each failure is reported as what it is.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use std::io::Read;
use std::time::{Duration, Instant};

use whittle_cache::{sha256_hex, Cache};
use whittle_net::{Fault, Fetcher, Limits, NetError, TestServer};

struct Env {
    dir: tempfile::TempDir,
    server: TestServer,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    fs_err::create_dir_all(dir.path().join("www/dists/stable")).unwrap();
    fs_err::create_dir_all(dir.path().join("www/pool")).unwrap();
    let server = TestServer::serve_dir(dir.path().join("www"));
    Env { dir, server }
}

/// Short windows so a test takes seconds: at least 1 KiB/s over 1 s, a
/// 2 s stall or connect bound, three attempts 50 ms apart.
fn fast() -> Limits {
    Limits::default()
        .with_min_speed(1024, Duration::from_secs(1))
        .with_timeouts(Duration::from_secs(2), Duration::from_secs(2))
        .with_attempts(3, Duration::from_millis(50))
}

impl Env {
    fn put(&self, rel: &str, data: &[u8]) -> (String, String) {
        fs_err::write(self.dir.path().join("www").join(rel), data).unwrap();
        (format!("{}/{rel}", self.server.url()), sha256_hex(data))
    }
    fn fetcher(&self, limits: Limits) -> Fetcher {
        let cache = Cache::open(self.dir.path().join("cache")).unwrap();
        Fetcher::new(cache, false)
            .unwrap()
            .with_limits(limits)
            .unwrap()
    }
    fn tmp_is_empty(&self) -> bool {
        fs_err::read_dir(self.dir.path().join("cache/v2/tmp"))
            .unwrap()
            .next()
            .is_none()
    }
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 253) as u8).collect()
}

/// The `NetError` a failed streaming read carries.
fn stream_error(mut reader: Box<dyn Read + Send>) -> NetError {
    let mut out = Vec::new();
    let err = reader.read_to_end(&mut out).unwrap_err();
    let inner = err.into_inner().expect("a NetError inside");
    *inner.downcast::<NetError>().expect("a NetError inside")
}

#[test]
fn endless_metadata_stops_at_the_cap() {
    let env = env();
    let (url, _) = env.put("dists/stable/InRelease", b"Origin: Test\n");
    env.server.inject("InRelease", usize::MAX, Fault::Endless);
    let fetcher = env.fetcher(fast().with_max_metadata_size(1 << 20));
    let started = Instant::now();
    let err = fetcher.fetch_unverified(&url).unwrap_err();
    assert!(
        matches!(err, NetError::TooLarge { limit, .. } if limit == 1 << 20),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&url)
            && msg.contains("larger than the 1 MiB whittle accepts for signed metadata"),
        "{msg}"
    );
    assert!(!err.is_transient() && !err.is_digest_mismatch());
    assert_eq!(
        env.server.requests(),
        1,
        "a body over its cap is not retried"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // Nothing was remembered for offline runs.
    assert_eq!(fetcher.cache().get_keyed(&url).unwrap(), None);
}

#[test]
fn endless_package_stream_stops_at_the_callers_cap() {
    let env = env();
    let (url, _) = env.put("pkg.apk", b"x");
    env.server.inject("pkg.apk", 1, Fault::Endless);
    let fetcher = env.fetcher(fast());
    let reader = fetcher.open_unverified(&url, 100_000, None).unwrap();
    let err = stream_error(reader);
    assert!(
        matches!(err, NetError::TooLarge { limit: 100_000, .. }),
        "{err:?}"
    );
}

#[test]
fn over_long_verified_body_is_cut_at_size_plus_one_and_refused() {
    let env = env();
    let data = payload(5_000);
    let (url, sha) = env.put("pool/a.deb", &data);
    // No length announced, so only counting catches it.
    env.server.inject("a.deb", usize::MAX, Fault::Endless);
    let fetcher = env.fetcher(fast());
    let err = fetcher
        .fetch_verified(&url, &sha, Some(data.len() as u64))
        .unwrap_err();
    assert!(
        matches!(
            err,
            NetError::SizeMismatch {
                expected: 5_000,
                actual: 5_001,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.is_digest_mismatch(),
        "more bytes than signed is a mismatch"
    );
    assert_eq!(env.server.requests(), 1);
    assert!(fetcher.cache().blob(&sha).unwrap().is_none());
    assert!(env.tmp_is_empty());
}

#[test]
fn slow_drip_fails_within_the_window() {
    let env = env();
    let (url, sha) = env.put("pool/slow.deb", &payload(10_000));
    env.server.inject(
        "slow.deb",
        usize::MAX,
        Fault::Drip(Duration::from_millis(200)),
    );
    let fetcher = env.fetcher(fast().with_attempts(1, Duration::ZERO));
    let started = Instant::now();
    let err = fetcher
        .fetch_verified(&url, &sha, Some(10_000))
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, NetError::TooSlow { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("too slow") && msg.contains(&url), "{msg}");
    assert!(msg.contains("below the 1024 bytes/s"), "{msg}");
    assert!(!err.is_digest_mismatch());
    // One 1 s window plus one drip interval, with slack for a loaded machine.
    assert!(took < Duration::from_millis(2_500), "took {took:?}");
    assert!(took >= Duration::from_secs(1), "took {took:?}");
}

#[test]
fn slow_drip_is_retried_then_reported() {
    let env = env();
    let (url, _) = env.put("dists/stable/InRelease", &payload(10_000));
    env.server.inject(
        "InRelease",
        usize::MAX,
        Fault::Drip(Duration::from_millis(200)),
    );
    let fetcher = env.fetcher(fast());
    let started = Instant::now();
    let err = fetcher.fetch_unverified(&url).unwrap_err();
    assert!(matches!(err, NetError::TooSlow { .. }), "{err:?}");
    assert_eq!(env.server.requests(), 3);
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_server_that_never_answers_hits_the_first_byte_deadline() {
    let env = env();
    let (url, _) = env.put("dists/stable/InRelease", b"x");
    env.server.inject("InRelease", usize::MAX, Fault::Hang);
    let fetcher = env.fetcher(
        fast()
            .with_timeouts(Duration::from_secs(1), Duration::from_secs(1))
            .with_attempts(2, Duration::ZERO),
    );
    let started = Instant::now();
    let err = fetcher.fetch_unverified(&url).unwrap_err();
    assert!(matches!(err, NetError::TooSlow { .. }), "{err:?}");
    assert!(err.to_string().contains("did not answer in time"), "{err}");
    assert_eq!(env.server.requests(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn truncated_body_is_retried_then_reported_as_truncated() {
    let env = env();
    let data = payload(10_000);
    let (url, sha) = env.put("pool/cut.deb", &data);
    env.server
        .inject("cut.deb", usize::MAX, Fault::Truncate(100));
    let fetcher = env.fetcher(fast());

    let err = fetcher
        .fetch_verified(&url, &sha, Some(10_000))
        .unwrap_err();
    // Each attempt resumes where the last one stopped.
    assert!(
        matches!(
            err,
            NetError::Truncated {
                got: 300,
                expected: 10_000,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("truncated: got 300 of 10000 bytes"), "{msg}");
    assert!(
        !msg.contains("mismatch") && !msg.contains("tamper"),
        "{msg}"
    );
    assert!(!err.is_digest_mismatch());
    assert_eq!(env.server.requests(), 3);

    // Streaming: the same, through the verifying reader.
    env.server.reset_requests();
    let reader = fetcher
        .open_verified(&url, &sha, Some(10_000), None)
        .unwrap();
    let err = stream_error(reader);
    assert!(matches!(err, NetError::Truncated { .. }), "{err:?}");
    assert!(!err.is_digest_mismatch());
    assert_eq!(env.server.requests(), 3);
    assert!(fetcher.cache().blob(&sha).unwrap().is_none());
    assert!(env.tmp_is_empty());

    // Unverified: the announced length tells it is short.
    let (url, _) = env.put("dists/stable/InRelease", &data);
    env.server
        .inject("InRelease", usize::MAX, Fault::Truncate(10));
    let err = fetcher.fetch_unverified(&url).unwrap_err();
    assert!(
        matches!(
            err,
            NetError::Truncated {
                got: 30,
                expected: 10_000,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_body_cut_off_once_is_resumed() {
    let env = env();
    let data = payload(10_000);
    let (url, sha) = env.put("pool/once.deb", &data);
    env.server.inject("once.deb", 1, Fault::Truncate(4_000));
    let fetcher = env.fetcher(fast());
    let mut out = Vec::new();
    fetcher
        .open_verified(&url, &sha, Some(10_000), None)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert!(out == data);
    assert_eq!(env.server.requests(), 2);
    assert_eq!(env.server.bytes_sent(), 10_000, "resumed with a range");
    assert!(fetcher.cache().blob(&sha).unwrap().is_some());

    // A server that ignores ranges sends it all again; the start is skipped.
    let (url, sha) = env.put("pool/again.deb", &payload(9_000));
    env.server.set_ranges(false);
    env.server.inject("again.deb", 1, Fault::Truncate(4_000));
    let sent = env.server.bytes_sent();
    assert!(fetcher.fetch_verified(&url, &sha, Some(9_000)).unwrap() == payload(9_000));
    assert_eq!(env.server.bytes_sent() - sent, 13_000);
}

#[test]
fn server_error_then_success() {
    let env = env();
    let data = payload(2_000);
    let (url, sha) = env.put("pool/e.deb", &data);
    env.server.inject("e.deb", 1, Fault::Status(500));
    let fetcher = env.fetcher(fast());
    let mut out = Vec::new();
    fetcher
        .open_verified(&url, &sha, Some(2_000), None)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert!(out == data);
    assert_eq!(env.server.requests(), 2);
}

#[test]
fn connection_reset_then_success_and_always() {
    let env = env();
    let data = payload(50_000);
    let (url, sha) = env.put("pool/r.deb", &data);
    env.server.inject("r.deb", 1, Fault::Reset(1_000));
    let fetcher = env.fetcher(fast());
    assert!(fetcher.fetch_verified(&url, &sha, Some(50_000)).unwrap() == data);
    assert_eq!(env.server.requests(), 2);

    // Another file (the first one is in the cache now).
    let (url, sha) = env.put("pool/r2.deb", &payload(60_000));
    env.server.inject("r2.deb", usize::MAX, Fault::Reset(1_000));
    env.server.reset_requests();
    let err = fetcher
        .fetch_verified(&url, &sha, Some(60_000))
        .map(|d| d.len())
        .unwrap_err();
    assert_eq!(env.server.requests(), 3);
    assert!(err.is_transient() && !err.is_digest_mismatch(), "{err:?}");
    let msg = err.to_string();
    assert!(
        !msg.contains("mismatch") && !msg.contains("tamper"),
        "{msg}"
    );
    assert!(
        msg.contains("the connection was reset after 3000 of 60000 bytes"),
        "{msg}"
    );
}

#[test]
fn digest_mismatch_of_a_complete_body_is_not_retried() {
    let env = env();
    let (url, _) = env.put("pool/bad.deb", b"the evil package");
    let sha = sha256_hex(b"the real package");
    let fetcher = env.fetcher(fast());
    let err = fetcher.fetch_verified(&url, &sha, Some(16)).unwrap_err();
    assert!(matches!(err, NetError::DigestMismatch { .. }), "{err:?}");
    assert_eq!(env.server.requests(), 1);
}
