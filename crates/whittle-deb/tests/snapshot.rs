//! Parsed-index snapshots through the real trust chain: a signed repository
//! served on 127.0.0.1, read twice through one cache.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use whittle_cache::{sha256_hex, Cache};
use whittle_deb::index::{decompress_index, parse_packages, parse_release};
use whittle_deb::repo::{load_suite, SuiteSource};
use whittle_deb::snapshot::{decode, encode, SnapshotKey};
use whittle_model::PackageRecord;
use whittle_net::{Fetcher, TestServer};
use whittle_sig::Keyring;
use whittle_test::{DebRepo, DebSpec};
use whittle_world::Reporter;

/// Keeps the info lines, to tell a snapshot load from a parse.
#[derive(Default)]
struct Lines(Mutex<Vec<String>>);

impl Reporter for Lines {
    fn on_info(&self, message: &str) {
        self.0.lock().unwrap().push(message.to_string());
    }
}

impl Lines {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

struct Setup {
    repo: DebRepo,
    server: TestServer,
    _cache_dir: tempfile::TempDir,
    fetcher: Fetcher,
}

fn setup(names: &[&str]) -> Setup {
    let mut repo = DebRepo::new("stable");
    for name in names {
        repo.add(
            DebSpec::new(name, "1.0-1")
                .field("Depends", "libc6 (>= 2.36) | libc7")
                .field("Priority", "optional")
                .field("Provides", "virtual (= 1)"),
        );
    }
    repo.add(DebSpec::new("data", "2.0").arch("all"));
    repo.publish();
    let server = repo.serve();
    let cache_dir = tempfile::tempdir().unwrap();
    let fetcher = Fetcher::new(Cache::open(cache_dir.path()).unwrap(), false).unwrap();
    Setup {
        repo,
        server,
        _cache_dir: cache_dir,
        fetcher,
    }
}

impl Setup {
    fn source(&self) -> SuiteSource {
        let ring = fs_err::read(self.repo.keyring_path()).unwrap();
        SuiteSource {
            url: self.server.url(),
            suite: "stable".into(),
            components: vec!["main".into()],
            keyring: Keyring::from_bytes(&ring, "test").unwrap(),
            keyring_origin: "test".into(),
            verify_signature: true,
        }
    }

    fn load(&self, lines: &Lines) -> Vec<PackageRecord> {
        load_suite(&self.fetcher, &self.source(), 0, "amd64", None, lines).unwrap()
    }

    /// What a fresh parse of the published index gives.
    fn parsed(&self) -> Vec<PackageRecord> {
        let text =
            fs_err::read_to_string(self.repo.dist().join("main/binary-amd64/Packages")).unwrap();
        parse_packages(&text, &self.server.url(), 0, "amd64").unwrap()
    }

    /// The snapshot's key and the path of its blob.
    fn snapshot_blob(&self) -> (SnapshotKey, std::path::PathBuf) {
        let release = fs_err::read_to_string(self.repo.dist().join("Release")).unwrap();
        let release = parse_release(&release).unwrap();
        let entry = release.file("main/binary-amd64/Packages.xz").unwrap();
        let key = SnapshotKey::new(&entry.sha256, "amd64", &self.server.url(), 0).unwrap();
        let cache = self.fetcher.cache();
        let digest = String::from_utf8(cache.get_keyed(key.as_str()).unwrap().unwrap()).unwrap();
        let path = cache.root().join("v2/blobs/sha256").join(digest);
        (key, path)
    }
}

fn from_snapshot(lines: &[String]) -> bool {
    lines.iter().any(|l| l.ends_with("(parsed snapshot)"))
}

#[test]
fn second_load_uses_the_snapshot_and_equals_a_fresh_parse() {
    let s = setup(&["alpha", "beta", "gamma"]);
    let lines = Lines::default();
    let first = s.load(&lines);
    assert!(!from_snapshot(&lines.take()));
    assert_eq!(first, s.parsed());
    assert_eq!(first.len(), 4);

    let second = s.load(&lines);
    assert!(
        from_snapshot(&lines.take()),
        "the second load reads the snapshot"
    );
    assert_eq!(second, first);
}

#[test]
fn inrelease_is_still_fetched_and_checked_when_the_snapshot_is_used() {
    let s = setup(&["alpha"]);
    let lines = Lines::default();
    s.load(&lines);
    s.server.reset_requests();
    s.load(&lines);
    assert!(s
        .server
        .requested_paths()
        .iter()
        .any(|p| p.ends_with("dists/stable/InRelease")));

    // A Release signed by another key fails even with a snapshot cached.
    let other = DebRepo::new("stable");
    let mut source = s.source();
    source.keyring =
        Keyring::from_bytes(&fs_err::read(other.keyring_path()).unwrap(), "other").unwrap();
    assert!(load_suite(&s.fetcher, &source, 0, "amd64", None, &lines).is_err());
}

#[test]
fn a_corrupt_snapshot_is_detected_and_rebuilt() {
    let s = setup(&["alpha", "beta"]);
    let lines = Lines::default();
    let good = s.load(&lines);
    let (_, path) = s.snapshot_blob();
    let original = fs_err::read(&path).unwrap();

    // Edit a version inside the snapshot: its SHA-256 no longer matches.
    let mut edited = original.clone();
    let at = edited
        .windows(5)
        .position(|w| w == b"1.0-1")
        .expect("a version in the snapshot");
    edited[at] = b'9';
    fs_err::write(&path, &edited).unwrap();

    let again = s.load(&lines);
    let said = lines.take();
    assert!(!from_snapshot(&said), "an edited snapshot is never used");
    assert!(said
        .iter()
        .any(|l| l.contains("not using the parsed snapshot")));
    assert_eq!(again, good);
    assert!(again.iter().all(|r| r.version != "9.0-1"));
    // Rebuilt: the next load uses a good snapshot again.
    assert_eq!(fs_err::read(&path).unwrap(), original);
    assert_eq!(s.load(&lines), good);
    assert!(from_snapshot(&lines.take()));
}

#[test]
fn a_snapshot_filed_under_another_key_is_rejected() {
    let s = setup(&["alpha"]);
    let lines = Lines::default();
    let good = s.load(&lines);
    let (key, _) = s.snapshot_blob();

    // An intact blob that is not a snapshot of this index: a real blob
    // (passes its SHA-256 check) holding other bytes.
    let cache = s.fetcher.cache();
    let junk = b"not a snapshot".to_vec();
    let digest = sha256_hex(&junk);
    let mut w = cache.blob_writer(&digest, None).unwrap();
    std::io::Write::write_all(&mut w, &junk).unwrap();
    w.commit().unwrap();
    cache.put_keyed(key.as_str(), digest.as_bytes()).unwrap();
    assert_eq!(s.load(&lines), good);
    assert!(!from_snapshot(&lines.take()));

    // A damaged keyed entry: ignored too.
    cache.put_keyed(key.as_str(), b"garbage").unwrap();
    assert_eq!(s.load(&lines), good);
    assert!(!from_snapshot(&lines.take()));
    assert_eq!(s.load(&lines), good);
    assert!(from_snapshot(&lines.take()));
}

#[test]
fn a_new_inrelease_does_not_reuse_the_old_snapshot() {
    let mut s = setup(&["alpha"]);
    let lines = Lines::default();
    let old = s.load(&lines);
    assert!(s.load(&lines).iter().all(|r| r.name != "delta"));
    assert!(from_snapshot(&lines.take()));

    s.repo.add(DebSpec::new("delta", "3.0"));
    s.repo.publish();
    let new = s.load(&lines);
    assert!(!from_snapshot(&lines.take()), "a new index is parsed");
    assert_eq!(new, s.parsed());
    assert_eq!(new.len(), old.len() + 1);
    assert!(new.iter().any(|r| r.name == "delta"));
}

/// Real indexes from the shared fixture mirrors: a snapshot gives back
/// exactly the records the parser made.
#[test]
fn real_indexes_round_trip_exactly() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures");
    for (rel, base) in [
        (
            "debian-bookworm-mirror/debian/dists/bookworm/main/binary-amd64/Packages.xz",
            "http://deb.invalid/debian",
        ),
        (
            "ubuntu-noble-mirror/ubuntu/dists/noble/main/binary-amd64/Packages.gz",
            "http://ubuntu.invalid/ubuntu",
        ),
    ] {
        let path = std::path::Path::new(fixtures).join(rel);
        let Ok(bytes) = fs_err::read(&path) else {
            eprintln!("SKIPPED: fixture {} is absent", path.display());
            continue;
        };
        let text = decompress_index(rel, &bytes).unwrap();
        let records =
            parse_packages(std::str::from_utf8(&text).unwrap(), base, 2, "amd64").unwrap();
        assert!(records.len() > 5000, "{rel}: {}", records.len());
        let key = SnapshotKey::new(&sha256_hex(&bytes), "amd64", base, 2).unwrap();
        let snapshot = encode(&key, &records).unwrap();
        let back = decode(&snapshot, &key, &sha256_hex(&snapshot)).unwrap();
        assert!(
            back == records,
            "{rel}: the snapshot differs from the parse"
        );
    }
}
