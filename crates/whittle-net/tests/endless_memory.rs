//! An endless `InRelease` body with the default limits: the download stops
//! at the 64 MiB cap and memory stays bounded. Alone in its binary, so the
//! process's peak RSS is this test's.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use whittle_cache::Cache;
use whittle_net::{Fault, Fetcher, NetError, TestServer, MAX_METADATA_SIZE};

/// Peak resident set size of this process so far, in bytes (Linux only).
fn peak_rss() -> Option<u64> {
    let status = fs_err::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn endless_inrelease_is_cut_at_the_default_cap_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    fs_err::create_dir_all(dir.path().join("www")).unwrap();
    fs_err::write(dir.path().join("www/InRelease"), b"x").unwrap();
    let server = TestServer::serve_dir(dir.path().join("www"));
    server.inject("InRelease", usize::MAX, Fault::Endless);
    let fetcher = Fetcher::new(Cache::open(dir.path().join("cache")).unwrap(), false).unwrap();
    let url = format!("{}/InRelease", server.url());

    let before = peak_rss();
    let started = Instant::now();
    let err = fetcher.fetch_unverified(&url).unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err, NetError::TooLarge { limit, .. } if limit == MAX_METADATA_SIZE),
        "{err:?}"
    );
    assert!(err.to_string().contains("64 MiB"), "{err}");
    assert_eq!(server.requests(), 1);
    let Some((before, after)) = before.zip(peak_rss()) else {
        eprintln!("SKIP: no /proc/self/status, peak RSS not measured");
        return;
    };
    let grown = after.saturating_sub(before);
    eprintln!(
        "endless body: stopped after {took:?}, {} MiB sent, peak RSS grew by {} MiB",
        server.bytes_sent() >> 20,
        grown >> 20
    );
    // The body is held whole up to the cap (64 MiB and one byte), plus
    // the buffer's growth: well under 256 MiB, where it used to reach GBs.
    assert!(grown < 256 << 20, "peak RSS grew by {grown} bytes");
}
