//! `Fetcher` against the test server, local files and misbehaving servers.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use std::io::{ErrorKind, Read};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use whittle_cache::{sha256_hex, Cache};
use whittle_net::{Fetcher, NetError, TestServer};

struct Env {
    _dir: tempfile::TempDir,
    served: std::path::PathBuf,
    cache_root: std::path::PathBuf,
    server: TestServer,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("www");
    fs_err::create_dir_all(served.join("pool/main")).unwrap();
    let cache_root = dir.path().join("cache");
    let server = TestServer::serve_dir(&served);
    Env {
        _dir: dir,
        served,
        cache_root,
        server,
    }
}

impl Env {
    fn put(&self, rel: &str, data: &[u8]) -> (String, String) {
        fs_err::write(self.served.join(rel), data).unwrap();
        (format!("{}/{rel}", self.server.url()), sha256_hex(data))
    }
    fn fetcher(&self, offline: bool) -> Fetcher {
        Fetcher::new(Cache::open(&self.cache_root).unwrap(), offline).unwrap()
    }
    fn tmp_is_empty(&self) -> bool {
        fs_err::read_dir(self.cache_root.join("v2/tmp"))
            .unwrap()
            .next()
            .is_none()
    }
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 253) as u8).collect()
}

#[test]
fn fetcher_is_send_sync() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Fetcher>();
}

#[test]
fn verified_fetch_then_cache_hit_with_zero_requests() {
    let env = env();
    let data = payload(300_000);
    let (url, sha) = env.put("pool/main/a.deb", &data);
    let fetcher = env.fetcher(false);
    assert_eq!(
        fetcher
            .fetch_verified(&url, &sha, Some(data.len() as u64))
            .unwrap(),
        data
    );
    assert_eq!(env.server.requests(), 1);
    assert_eq!(env.server.requested_paths(), vec!["/pool/main/a.deb"]);
    assert!(fetcher.cache().blob(&sha).unwrap().is_some());
    assert!(env.tmp_is_empty());

    // A fresh fetcher on the same cache: served from the cache, even after the server changed.
    fs_err::write(env.served.join("pool/main/a.deb"), b"changed").unwrap();
    let again = env.fetcher(false);
    assert_eq!(again.fetch_verified(&url, &sha, None).unwrap(), data);
    let mut streamed = Vec::new();
    again
        .open_verified(&url, &sha, None, None)
        .unwrap()
        .read_to_end(&mut streamed)
        .unwrap();
    assert_eq!(streamed, data);
    assert_eq!(env.server.requests(), 1, "cache hits make no requests");

    // Offline works from the cache too.
    assert_eq!(
        env.fetcher(true).fetch_verified(&url, &sha, None).unwrap(),
        data
    );
}

#[test]
fn tampered_content_is_rejected_and_not_cached() {
    let env = env();
    let good = b"the real package".to_vec();
    let sha = sha256_hex(&good);
    let (url, bad_sha) = env.put("pool/main/b.deb", b"the evil package");
    let fetcher = env.fetcher(false);

    let err = fetcher
        .fetch_verified(&url, &sha, Some(good.len() as u64))
        .unwrap_err();
    match &err {
        NetError::DigestMismatch {
            url: u,
            expected,
            actual,
        } => {
            assert_eq!(u, &url);
            assert_eq!(expected, &sha);
            assert_eq!(actual, &bad_sha);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(env.server.requests(), 1, "a digest mismatch is not retried");
    assert!(fetcher.cache().blob(&sha).unwrap().is_none());
    assert!(fetcher.cache().blob(&bad_sha).unwrap().is_none());
    assert!(env.tmp_is_empty());

    // Streaming: the final read fails with InvalidData naming url and both digests.
    let mut reader = fetcher.open_verified(&url, &sha, None, None).unwrap();
    let mut out = Vec::new();
    let err = reader.read_to_end(&mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    let msg = err.to_string();
    assert!(
        msg.contains(&url) && msg.contains(&sha) && msg.contains(&bad_sha),
        "{msg}"
    );
    assert!(matches!(
        err.get_ref().and_then(|e| e.downcast_ref::<NetError>()),
        Some(NetError::DigestMismatch { .. })
    ));
    // Further reads keep failing.
    assert_eq!(
        reader.read(&mut [0u8; 16]).unwrap_err().kind(),
        ErrorKind::InvalidData
    );
    drop(reader);
    assert!(fetcher.cache().blob(&sha).unwrap().is_none());
    assert!(env.tmp_is_empty());
}

#[test]
fn streaming_commits_at_eof_with_progress() {
    let env = env();
    let data = payload(1_000_000);
    let (url, sha) = env.put("pool/main/big.deb", &data);
    let fetcher = env.fetcher(false);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = {
        let seen = Arc::clone(&seen);
        Box::new(move |done: u64, total: Option<u64>| seen.lock().unwrap().push((done, total)))
    };
    let mut reader = fetcher
        .open_verified(&url, &sha, Some(data.len() as u64), Some(progress))
        .unwrap();
    let mut first = vec![0u8; 1000];
    reader.read_exact(&mut first).unwrap();
    assert!(
        fetcher.cache().blob(&sha).unwrap().is_none(),
        "not committed before EOF"
    );
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    first.extend(rest);
    assert_eq!(first, data);
    assert!(fetcher.cache().blob(&sha).unwrap().is_some());
    let seen = seen.lock().unwrap();
    let total = data.len() as u64;
    assert_eq!(seen.last(), Some(&(total, Some(total))));
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
    // The reader is Send.
    fn is_send<T: Send>(_: &T) {}
    is_send(&reader);
}

#[test]
fn dropping_stream_before_eof_caches_nothing() {
    let env = env();
    let data = payload(500_000);
    let (url, sha) = env.put("pool/main/c.deb", &data);
    let fetcher = env.fetcher(false);
    let mut reader = fetcher.open_verified(&url, &sha, None, None).unwrap();
    let mut buf = vec![0u8; 4096];
    reader.read_exact(&mut buf).unwrap();
    drop(reader);
    assert!(fetcher.cache().blob(&sha).unwrap().is_none());
    assert!(env.tmp_is_empty());
}

#[test]
fn concurrent_streams_of_same_blob_all_succeed() {
    let env = env();
    let data = payload(400_000);
    let (url, sha) = env.put("pool/main/d.deb", &data);
    let fetcher = env.fetcher(false);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let fetcher = fetcher.clone();
            let (url, sha, data) = (&url, &sha, &data);
            s.spawn(move || {
                let mut out = Vec::new();
                fetcher
                    .open_verified(url, sha, Some(data.len() as u64), None)
                    .unwrap()
                    .read_to_end(&mut out)
                    .unwrap();
                assert_eq!(&out, data);
            });
        }
    });
    assert!(fetcher.cache().blob(&sha).unwrap().is_some());
    assert!(env.tmp_is_empty());
}

#[test]
fn unverified_online_then_offline() {
    let env = env();
    let (url, _) = env.put("InRelease", b"Origin: Test\n");
    let online = env.fetcher(false);
    assert_eq!(online.fetch_unverified(&url).unwrap(), b"Origin: Test\n");
    assert_eq!(
        online.cache().get_keyed(&url).unwrap().as_deref(),
        Some(&b"Origin: Test\n"[..])
    );
    let requests = env.server.requests();

    let offline = env.fetcher(true);
    assert!(offline.offline());
    assert_eq!(offline.fetch_unverified(&url).unwrap(), b"Origin: Test\n");
    assert_eq!(
        offline.fetch_optional(&url).unwrap().as_deref(),
        Some(&b"Origin: Test\n"[..])
    );

    let missing = format!("{}/Release", env.server.url());
    let err = offline.fetch_unverified(&missing).unwrap_err();
    assert!(matches!(err, NetError::NotCached { .. }), "{err:?}");
    assert!(err.to_string().contains("without --offline"), "{err}");
    let err = offline
        .fetch_verified(&missing, &sha256_hex(b"x"), None)
        .unwrap_err();
    assert!(matches!(err, NetError::NotCached { .. }), "{err:?}");
    assert!(matches!(
        offline.open_verified(&missing, &sha256_hex(b"x"), None, None),
        Err(NetError::NotCached { .. })
    ));
    assert_eq!(env.server.requests(), requests, "offline makes no requests");
}

#[test]
fn not_found_is_not_retried_and_remembered() {
    let env = env();
    let url = format!("{}/dists/stable/InRelease", env.server.url());
    let fetcher = env.fetcher(false);

    let err = fetcher
        .fetch_verified(&url, &sha256_hex(b"x"), None)
        .unwrap_err();
    assert!(matches!(err, NetError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains(&url));
    assert_eq!(env.server.requests(), 1, "404 is never retried");

    assert!(matches!(
        fetcher.fetch_unverified(&url),
        Err(NetError::NotFound { .. })
    ));
    assert_eq!(fetcher.fetch_optional(&url).unwrap(), None);
    assert_eq!(env.server.requests(), 3);

    // Offline, the absence seen online is remembered.
    let offline = env.fetcher(true);
    assert_eq!(offline.fetch_optional(&url).unwrap(), None);
    let never_seen = format!("{}/dists/other/InRelease", env.server.url());
    assert!(matches!(
        offline.fetch_optional(&never_seen),
        Err(NetError::NotCached { .. })
    ));

    // Once it appears, the content wins over the remembered absence.
    fs_err::create_dir_all(env.served.join("dists/stable")).unwrap();
    fs_err::write(env.served.join("dists/stable/InRelease"), b"now here").unwrap();
    assert_eq!(
        fetcher.fetch_optional(&url).unwrap().as_deref(),
        Some(&b"now here"[..])
    );
    assert_eq!(
        offline.fetch_optional(&url).unwrap().as_deref(),
        Some(&b"now here"[..])
    );
}

#[test]
fn server_errors_are_retried() {
    let env = env();
    let (url, sha) = env.put("pool/main/e.deb", b"eventually");
    let fetcher = env.fetcher(false);

    env.server.fail_next(2, 503);
    assert_eq!(
        fetcher.fetch_verified(&url, &sha, None).unwrap(),
        b"eventually"
    );
    assert_eq!(env.server.requests(), 3);

    env.server.reset_requests();
    env.server.fail_next(3, 500);
    let err = fetcher.fetch_unverified(&url).unwrap_err();
    assert!(matches!(err, NetError::Http { status: 500, .. }), "{err:?}");
    assert_eq!(env.server.requests(), 3, "three attempts in total");

    env.server.reset_requests();
    env.server.fail_next(1, 403);
    let err = fetcher.fetch_unverified(&url).unwrap_err();
    assert!(matches!(err, NetError::Http { status: 403, .. }), "{err:?}");
    assert_eq!(env.server.requests(), 1, "4xx is not retried");
}

#[test]
fn truncated_file_with_known_size_is_rejected() {
    let env = env();
    let full = payload(10_000);
    let sha = sha256_hex(&full);
    let (url, _) = env.put("pool/main/t.deb", &full[..6_000]);
    let fetcher = env.fetcher(false);

    let err = fetcher
        .fetch_verified(&url, &sha, Some(full.len() as u64))
        .unwrap_err();
    assert!(
        matches!(
            err,
            NetError::SizeMismatch {
                expected: 10_000,
                actual: 6_000,
                ..
            }
        ),
        "{err:?}"
    );
    // Without a size, the digest catches it.
    let err = fetcher.fetch_verified(&url, &sha, None).unwrap_err();
    assert!(matches!(err, NetError::DigestMismatch { .. }), "{err:?}");
    assert!(fetcher.cache().blob(&sha).unwrap().is_none());
    assert!(env.tmp_is_empty());
}

#[test]
fn connect_errors_are_redacted() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://user:hunter2@127.0.0.1:{port}/InRelease");
    let dir = tempfile::tempdir().unwrap();
    let fetcher = Fetcher::new(Cache::open(dir.path()).unwrap(), false).unwrap();
    let err = fetcher.fetch_unverified(&url).unwrap_err();
    assert!(matches!(err, NetError::Connect { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(!msg.contains("hunter2"), "{msg}");
    assert!(
        msg.contains(&format!("http://***@127.0.0.1:{port}/InRelease")),
        "{msg}"
    );
    assert!(msg.contains("--offline"), "{msg}");
}

#[test]
fn credentials_are_redacted_in_http_errors() {
    let env = env();
    let url = env.server.url().replace("http://", "http://me:s3cret@") + "/missing";
    let err = env.fetcher(false).fetch_unverified(&url).unwrap_err();
    assert!(matches!(err, NetError::NotFound { .. }), "{err:?}");
    assert!(!err.to_string().contains("s3cret"), "{err}");
    assert!(err.to_string().contains("***@"), "{err}");
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn local_files_and_file_urls() {
    let env = env();
    let data = payload(50_000);
    let (_, sha) = env.put("pool/main/local.deb", &data);
    let path = env.served.join("pool/main/local.deb");
    // Local files work offline, and are not copied into the cache.
    let fetcher = env.fetcher(true);
    for url in [file_url(&path), path.display().to_string()] {
        assert_eq!(
            fetcher.fetch_verified(&url, &sha, Some(50_000)).unwrap(),
            data
        );
        assert_eq!(fetcher.fetch_unverified(&url).unwrap(), data);
        let mut out = Vec::new();
        fetcher
            .open_verified(&url, &sha, None, None)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        let err = fetcher
            .fetch_verified(&url, &sha256_hex(b"x"), None)
            .unwrap_err();
        assert!(matches!(err, NetError::DigestMismatch { .. }), "{err:?}");
    }
    let missing = env.served.join("nope");
    assert_eq!(fetcher.fetch_optional(&file_url(&missing)).unwrap(), None);
    assert!(matches!(
        fetcher.fetch_unverified(&missing.display().to_string()),
        Err(NetError::NotFound { .. })
    ));
    assert!(matches!(
        fetcher.fetch_unverified("ftp://example.invalid/x"),
        Err(NetError::InvalidUrl { .. })
    ));
    assert_eq!(env.server.requests(), 0);
}

#[test]
fn test_server_basics() {
    let env = env();
    env.put("pool/main/x", b"hello");
    let url = env.server.url();
    assert!(url.starts_with("http://127.0.0.1:"));
    let fetcher = env.fetcher(false);
    assert_eq!(
        fetcher.fetch_optional(&format!("{url}/pool/main")).unwrap(),
        None
    );
    assert_eq!(
        fetcher
            .fetch_optional(&format!("{url}/../../etc/passwd"))
            .unwrap(),
        None
    );
    assert_eq!(
        fetcher
            .fetch_unverified(&format!("{url}/pool/main/x?q=1"))
            .unwrap(),
        b"hello"
    );
    assert_eq!(env.server.requests(), 3);
}
