//! Keyed entries carry their own integrity: an HMAC under a per-cache
//! secret. Anyone who can write the cache but not read the secret cannot
//! forge or edit one, and a cache whose secret is not private is not
//! trusted for them.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use whittle_cache::{sha256_hex, Cache, Trust};

const KEY: &str = "http://deb.example/dists/stable/InRelease";

fn entry_path(root: &Path, key: &str) -> PathBuf {
    root.join("v2/keyed").join(sha256_hex(key.as_bytes()))
}

fn chmod(path: &Path, mode: u32) {
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn the_key_is_private_random_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    assert_eq!(cache.trust(), &Trust::Own);
    let key = dir.path().join("v2/key");
    let meta = fs_err::metadata(&key).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert_eq!(meta.len(), 32);
    let secret = fs_err::read(&key).unwrap();

    cache.put_keyed(KEY, b"Origin: Test\n").unwrap();
    // Reopening reads the same key: the entry still verifies.
    let again = Cache::open(dir.path()).unwrap();
    assert_eq!(fs_err::read(&key).unwrap(), secret);
    assert_eq!(
        again.get_keyed(KEY).unwrap().as_deref(),
        Some(&b"Origin: Test\n"[..])
    );
    // Another cache has another key.
    let other = tempfile::tempdir().unwrap();
    Cache::open(other.path()).unwrap();
    assert_ne!(fs_err::read(other.path().join("v2/key")).unwrap(), secret);
}

#[test]
fn an_entry_edited_on_disk_is_a_miss_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    cache.put_keyed(KEY, b"digest-of-the-real-thing").unwrap();
    let path = entry_path(dir.path(), KEY);
    let mut stored = fs_err::read(&path).unwrap();
    let last = stored.len() - 1;
    stored[last] ^= 1;
    fs_err::write(&path, &stored).unwrap();
    assert_eq!(cache.get_keyed(KEY).unwrap(), None);
    assert!(!path.exists(), "the bad entry was left behind");
}

#[test]
fn a_forged_entry_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    let path = entry_path(dir.path(), KEY);
    // Whoever writes it does not know the secret: any MAC is wrong.
    let mut forged = vec![0u8; 32];
    forged.extend_from_slice(b"attacker's data");
    fs_err::write(&path, &forged).unwrap();
    assert_eq!(cache.get_keyed(KEY).unwrap(), None);
    // Too short to hold a MAC at all.
    fs_err::write(&path, b"short").unwrap();
    assert_eq!(cache.get_keyed(KEY).unwrap(), None);
    // A genuine entry moved to another key's name does not verify either.
    cache.put_keyed("other", b"other data").unwrap();
    fs_err::copy(entry_path(dir.path(), "other"), &path).unwrap();
    assert_eq!(cache.get_keyed(KEY).unwrap(), None);
    assert_eq!(
        cache.get_keyed("other").unwrap().as_deref(),
        Some(&b"other data"[..])
    );
}

#[test]
fn entries_of_the_old_layout_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("v1/keyed");
    fs_err::create_dir_all(&old).unwrap();
    fs_err::write(old.join(sha256_hex(KEY.as_bytes())), b"unsigned").unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    assert_eq!(cache.get_keyed(KEY).unwrap(), None);
}

/// Reopen the cache at `root` and check it is untrusted for keyed entries
/// with a reason containing `needle`.
fn assert_untrusted(root: &Path, needle: &str) -> Cache {
    let cache = Cache::open(root).unwrap();
    match cache.trust() {
        Trust::Untrusted { reason } => assert!(reason.contains(needle), "{reason}"),
        Trust::Own => panic!("the cache at {} is trusted", root.display()),
    }
    // Even a genuine entry is not used, and nothing new is stored.
    assert_eq!(cache.get_keyed(KEY).unwrap(), None);
    cache.put_keyed("new", b"data").unwrap();
    assert!(!entry_path(root, "new").exists());
    cache
}

#[test]
fn a_key_others_can_read_makes_the_cache_untrusted() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    cache.put_keyed(KEY, b"genuine").unwrap();
    let key = dir.path().join("v2/key");
    chmod(&key, 0o644);
    let untrusted = assert_untrusted(dir.path(), "mode 644");
    // Blobs, verified by their digest, are still used.
    let mut w = untrusted.blob_writer(&sha256_hex(b"blob"), None).unwrap();
    std::io::Write::write_all(&mut w, b"blob").unwrap();
    w.commit().unwrap();
    assert!(untrusted.blob(&sha256_hex(b"blob")).unwrap().is_some());
    // The entry itself was not deleted: fixing the mode brings it back.
    chmod(&key, 0o600);
    let fixed = Cache::open(dir.path()).unwrap();
    assert_eq!(fixed.trust(), &Trust::Own);
    assert_eq!(
        fixed.get_keyed(KEY).unwrap().as_deref(),
        Some(&b"genuine"[..])
    );
}

#[test]
fn a_key_of_another_user_makes_the_cache_untrusted() {
    if !running_as_root() {
        eprintln!("SKIP: a_key_of_another_user_makes_the_cache_untrusted needs root to chown");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    cache.put_keyed(KEY, b"genuine").unwrap();
    let key = dir.path().join("v2/key");
    std::os::unix::fs::chown(&key, Some(54_321), None).unwrap();
    assert_untrusted(dir.path(), "belongs to user 54321");
}

/// Whether this process runs as root (owns what it creates as uid 0).
fn running_as_root() -> bool {
    let dir = tempfile::tempdir().unwrap();
    fs_err::metadata(dir.path()).unwrap().uid() == 0
}

#[test]
fn a_root_every_user_can_write_makes_the_cache_untrusted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("shared");
    let cache = Cache::open(&root).unwrap();
    cache.put_keyed(KEY, b"genuine").unwrap();
    chmod(&root, 0o777);
    assert_untrusted(&root, "writable by every user");
    chmod(&root, 0o755);
    chmod(&root.join("v2"), 0o777);
    assert_untrusted(&root, "writable by every user");
}

#[test]
fn a_damaged_key_makes_the_cache_untrusted() {
    let dir = tempfile::tempdir().unwrap();
    Cache::open(dir.path()).unwrap();
    let key = dir.path().join("v2/key");
    fs_err::write(&key, b"too short").unwrap();
    assert_untrusted(dir.path(), "delete it to start afresh");
    // Deleting it starts afresh.
    fs_err::remove_file(&key).unwrap();
    assert_eq!(Cache::open(dir.path()).unwrap().trust(), &Trust::Own);
}

#[test]
fn concurrent_opens_agree_on_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("c");
    let caches: Vec<Cache> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| Cache::open(&root).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, c) in caches.iter().enumerate() {
        assert_eq!(c.trust(), &Trust::Own);
        c.put_keyed(&format!("k{i}"), b"v").unwrap();
    }
    for c in &caches {
        for i in 0..caches.len() {
            assert_eq!(
                c.get_keyed(&format!("k{i}")).unwrap().as_deref(),
                Some(&b"v"[..])
            );
        }
    }
    assert!(fs_err::read_dir(root.join("v2/tmp"))
        .unwrap()
        .next()
        .is_none());
}
