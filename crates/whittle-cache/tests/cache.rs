//! Behaviour of the content-addressed cache.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use std::io::Write;
use std::path::Path;

use whittle_cache::{sha256_hex, Cache, CacheError};

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs_err::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let p = entry.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// No blob, keyed entry or temporary file under the cache at `root`.
fn no_entries(root: &Path) -> bool {
    ["v2/blobs", "v2/keyed", "v2/tmp"]
        .iter()
        .all(|d| files_under(&root.join(d)).is_empty())
}

#[test]
fn open_creates_layout_and_tag() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    let cache = Cache::open(&root).unwrap();
    assert_eq!(cache.root(), root);
    let tag = fs_err::read_to_string(root.join("CACHEDIR.TAG")).unwrap();
    assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
    assert!(root.join("v2").is_dir());
    // Re-opening is fine.
    Cache::open(&root).unwrap();
}

#[test]
fn atomic_fill_then_reuse() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let data = b"hello blob".repeat(10_000);
    let sha = sha256_hex(&data);
    assert!(cache.blob(&sha).unwrap().is_none());

    let mut w = cache.blob_writer(&sha, Some(data.len() as u64)).unwrap();
    w.write_all(&data[..500]).unwrap();
    // Not visible before commit.
    assert!(cache.blob(&sha).unwrap().is_none());
    w.write_all(&data[500..]).unwrap();
    assert_eq!(w.written(), data.len() as u64);
    let path = w.commit().unwrap();
    assert_eq!(fs_err::read(&path).unwrap(), data);
    assert_eq!(cache.blob(&sha).unwrap(), Some(path.clone()));
    // Upper-case digests address the same blob.
    assert_eq!(cache.blob(&sha.to_uppercase()).unwrap(), Some(path));
    // No temporary files remain.
    assert!(files_under(&dir.path().join("v2/tmp")).is_empty());
}

#[test]
fn dropped_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let sha = sha256_hex(b"abc");
    let mut w = cache.blob_writer(&sha, None).unwrap();
    w.write_all(b"ab").unwrap();
    drop(w);
    assert!(cache.blob(&sha).unwrap().is_none());
    assert!(no_entries(dir.path()));
}

#[test]
fn digest_mismatch_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let sha = sha256_hex(b"expected content");
    let mut w = cache.blob_writer(&sha, None).unwrap();
    w.write_all(b"tampered content").unwrap();
    let err = w.commit().unwrap_err();
    match &err {
        CacheError::DigestMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, &sha);
            assert_eq!(actual, &sha256_hex(b"tampered content"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&sha) && msg.contains(&sha256_hex(b"tampered content")));
    assert!(cache.blob(&sha).unwrap().is_none());
    assert!(no_entries(dir.path()));
}

#[test]
fn size_mismatch_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let data = b"0123456789";
    let sha = sha256_hex(data);
    let mut w = cache.blob_writer(&sha, Some(11)).unwrap();
    w.write_all(data).unwrap();
    let err = w.commit().unwrap_err();
    assert!(
        matches!(
            err,
            CacheError::SizeMismatch {
                expected: 11,
                actual: 10,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(no_entries(dir.path()));
}

#[test]
fn corrupt_entry_detected_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let data = b"precious bytes";
    let sha = sha256_hex(data);
    let mut w = cache.blob_writer(&sha, None).unwrap();
    w.write_all(data).unwrap();
    let path = w.commit().unwrap();

    fs_err::write(&path, b"precious bytez").unwrap();
    assert!(cache.blob(&sha).unwrap().is_none());
    assert!(!path.exists(), "corrupt entry must be deleted");
    // And it can be filled again.
    let mut w = cache.blob_writer(&sha, Some(data.len() as u64)).unwrap();
    w.write_all(data).unwrap();
    w.commit().unwrap();
    assert_eq!(cache.blob(&sha).unwrap(), Some(path));
}

#[test]
fn read_blob_verifies_in_one_read() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let data = b"read me whole".repeat(1000);
    let sha = sha256_hex(&data);
    assert_eq!(cache.read_blob(&sha).unwrap(), None);
    let mut w = cache.blob_writer(&sha, None).unwrap();
    w.write_all(&data).unwrap();
    let path = w.commit().unwrap();
    assert_eq!(cache.read_blob(&sha).unwrap(), Some(data.clone()));

    // One flipped byte: not returned, and the entry is gone.
    let mut bad = data.clone();
    bad[7] ^= 1;
    fs_err::write(&path, &bad).unwrap();
    assert_eq!(cache.read_blob(&sha).unwrap(), None);
    assert!(!path.exists(), "corrupt entry must be deleted");
    assert!(matches!(
        cache.read_blob("not-a-digest"),
        Err(CacheError::InvalidDigest { .. })
    ));
}

#[test]
fn concurrent_fills_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let sha = sha256_hex(&data);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                let data = &data;
                let sha = &sha;
                s.spawn(move || {
                    let mut w = cache.blob_writer(sha, Some(data.len() as u64)).unwrap();
                    for chunk in data.chunks(4096) {
                        w.write_all(chunk).unwrap();
                    }
                    w.commit().unwrap()
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    let path = cache.blob(&sha).unwrap().unwrap();
    assert_eq!(fs_err::read(path).unwrap(), data);
    assert!(files_under(&dir.path().join("v2/tmp")).is_empty());
}

#[test]
fn two_handles_on_same_root_share_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let a = Cache::open(dir.path()).unwrap();
    let b = Cache::open(dir.path()).unwrap();
    let sha = sha256_hex(b"shared");
    let mut w = a.blob_writer(&sha, None).unwrap();
    w.write_all(b"shared").unwrap();
    w.commit().unwrap();
    assert!(b.blob(&sha).unwrap().is_some());
}

#[test]
fn invalid_digest_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    for bad in ["", "abc", "../../etc/passwd", &"g".repeat(64)] {
        assert!(matches!(
            cache.blob(bad),
            Err(CacheError::InvalidDigest { .. })
        ));
        assert!(matches!(
            cache.blob_writer(bad, None),
            Err(CacheError::InvalidDigest { .. })
        ));
    }
}

#[test]
fn keyed_roundtrip_and_replace() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let key = "http://deb.example/dists/stable/InRelease";
    assert_eq!(cache.get_keyed(key).unwrap(), None);
    cache.put_keyed(key, b"one").unwrap();
    assert_eq!(cache.get_keyed(key).unwrap().as_deref(), Some(&b"one"[..]));
    cache.put_keyed(key, b"two").unwrap();
    assert_eq!(cache.get_keyed(key).unwrap().as_deref(), Some(&b"two"[..]));
    assert_eq!(cache.get_keyed("other").unwrap(), None);
    // Stored as a 32-byte MAC, then the data.
    let stored = dir.path().join("v2/keyed").join(sha256_hex(key.as_bytes()));
    let stored = fs_err::read(stored).unwrap();
    assert_eq!(stored.len(), 32 + 3);
    assert!(stored.ends_with(b"two"));
    assert!(files_under(&dir.path().join("v2/tmp")).is_empty());
}

#[test]
fn default_root_honours_env() {
    // Only this test touches the environment in this binary.
    std::env::set_var("WHITTLE_CACHE_DIR", "/some/where");
    assert_eq!(
        Cache::default_root(),
        Some(std::path::PathBuf::from("/some/where"))
    );
    std::env::remove_var("WHITTLE_CACHE_DIR");
    if let Some(root) = Cache::default_root() {
        assert!(root.ends_with("whittle"));
    }
}

#[test]
fn unwritable_root_names_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    fs_err::write(&file, b"x").unwrap();
    let err = Cache::open(file.join("cache")).unwrap_err();
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}
