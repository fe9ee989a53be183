//! Unpacked `.deb`s kept in the cache read back to exactly what unpacking
//! gave, and a damaged or misfiled entry is never used.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use whittle_cache::Cache;
use whittle_deb::reuse;
use whittle_deb::unpack::unpack_deb;
use whittle_rootfs::ContentStore;
use whittle_test::{DebEntry, DebSpec};
use whittle_test_env::fixtures;

/// A real package with hard links, symlinks and many files.
fn python_minimal() -> PathBuf {
    fixtures::path(
        "debian-bookworm-mirror/debian-security/pool/updates/main/p/python3.11/python3.11-minimal_3.11.2-6+deb12u9_amd64.deb",
    )
}

#[test]
fn round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let mut debs = vec![fs_err::read(python_minimal()).unwrap()];
    // Owner names and a device survive too.
    debs.push(whittle_test::build_deb(
        &DebSpec::new("owned", "1")
            .entry(DebEntry::OwnedDir {
                path: "var/log/app".into(),
                uid: 4242,
                gid: 4,
                user: "app".into(),
                group: "adm".into(),
            })
            .entry(DebEntry::Hardlink("var/log/h".into(), "usr/x".into()))
            .file("usr/x", b"x", 0o4755),
    ));
    for bytes in debs {
        let sha = hex::encode(Sha256::digest(&bytes));
        let fresh = unpack_deb(&bytes[..], "pkg", &ContentStore::in_memory()).unwrap();
        assert!(reuse::load(&cache, &sha, "pkg", &ContentStore::in_memory()).is_none());
        reuse::store(&cache, &sha, &fresh).unwrap();
        let back = reuse::load(&cache, &sha, "pkg", &ContentStore::in_memory()).expect("kept");
        assert_eq!(back, fresh);
    }
}

#[test]
fn damaged_or_misfiled_entries_are_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let bytes = fs_err::read(python_minimal()).unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    let fresh = unpack_deb(&bytes[..], "pkg", &ContentStore::in_memory()).unwrap();
    reuse::store(&cache, &sha, &fresh).unwrap();

    // Another package's digest finds nothing.
    let other = hex::encode(Sha256::digest(b"other"));
    assert!(reuse::load(&cache, &other, "pkg", &ContentStore::in_memory()).is_none());

    // Every blob edited: the content no longer matches its digest.
    let blobs = dir.path().join("v2/blobs/sha256");
    for e in fs_err::read_dir(&blobs).unwrap() {
        let path = e.unwrap().path();
        let mut data = fs_err::read(&path).unwrap();
        let mid = data.len() / 2;
        data[mid] ^= 0xff;
        fs_err::write(&path, data).unwrap();
    }
    assert!(reuse::load(&cache, &sha, "pkg", &ContentStore::in_memory()).is_none());
}
