//! A shared store behind the local cache: blobs come from it checked by
//! digest, committed blobs and pointers go to it, and a store that lies or
//! fails costs a miss, never wrong content.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use whittle_cache::{sha256_hex, Cache, SharedStore};

#[derive(Default)]
struct MemoryStore {
    blobs: Mutex<HashMap<String, Vec<u8>>>,
    pointers: Mutex<HashMap<String, String>>,
    /// Answer every blob read with this content instead.
    lie: Option<Vec<u8>>,
    down: bool,
}

impl SharedStore for MemoryStore {
    fn describe(&self) -> String {
        "memory".into()
    }
    fn fetch_blob(&self, sha256: &str, out: &mut dyn Write) -> Result<bool, String> {
        if self.down {
            return Err("connection refused".into());
        }
        match (&self.lie, self.blobs.lock().unwrap().get(sha256)) {
            (Some(lie), Some(_)) => out.write_all(lie).map(|()| true).map_err(|e| e.to_string()),
            (None, Some(data)) => out
                .write_all(data)
                .map(|()| true)
                .map_err(|e| e.to_string()),
            (_, None) => Ok(false),
        }
    }
    fn store_blob(&self, sha256: &str, path: &Path) -> Result<(), String> {
        if self.down {
            return Err("connection refused".into());
        }
        let data = fs_err::read(path).map_err(|e| e.to_string())?;
        self.blobs.lock().unwrap().insert(sha256.to_string(), data);
        Ok(())
    }
    fn get_pointer(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.pointers.lock().unwrap().get(key).cloned())
    }
    fn put_pointer(&self, key: &str, sha256: &str) -> Result<(), String> {
        self.pointers
            .lock()
            .unwrap()
            .insert(key.to_string(), sha256.to_string());
        Ok(())
    }
}

fn write_blob(cache: &Cache, data: &[u8]) -> String {
    let mut w = cache.new_blob().unwrap();
    w.write_all(data).unwrap();
    w.commit_named().unwrap().1
}

#[test]
fn blobs_and_pointers_travel_between_two_machines_through_the_store() {
    let store = Arc::new(MemoryStore::default());
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = Cache::open(a.path()).unwrap().with_shared(store.clone());
    let hex = write_blob(&first, b"layer bytes");
    first
        .put_pointer("layer-gzip/sha256:abc", &format!("sha256:{hex}"))
        .unwrap();
    assert_eq!(
        store.blobs.lock().unwrap().get(&hex).unwrap(),
        b"layer bytes"
    );

    let second = Cache::open(b.path()).unwrap().with_shared(store.clone());
    let pointer = second
        .get_pointer("layer-gzip/sha256:abc")
        .unwrap()
        .unwrap();
    assert_eq!(pointer, format!("sha256:{hex}"));
    assert_eq!(second.read_blob(&hex).unwrap().unwrap(), b"layer bytes");
    // Now local: found with the store gone.
    let alone = Cache::open(b.path()).unwrap();
    assert!(alone.blob(&hex).unwrap().is_some());
    assert_eq!(
        alone.get_pointer("layer-gzip/sha256:abc").unwrap(),
        Some(pointer)
    );
    assert_eq!(second.shared_failures().1, 0);
}

#[test]
fn a_store_that_answers_other_content_is_a_miss_and_a_reported_failure() {
    let hex = sha256_hex(b"the real package");
    let mut store = MemoryStore {
        lie: Some(b"something else".to_vec()),
        ..MemoryStore::default()
    };
    store
        .blobs
        .get_mut()
        .unwrap()
        .insert(hex.clone(), Vec::new());
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path())
        .unwrap()
        .with_shared(Arc::new(store));
    assert!(cache.blob(&hex).unwrap().is_none());
    assert!(cache.open_blob(&hex).unwrap().is_none());
    let (messages, count) = cache.shared_failures();
    assert_eq!(count, 2);
    assert!(messages[0].contains("sha256 mismatch"), "{messages:?}");
    // Nothing half-written stays behind.
    let tmp: Vec<_> = fs_err::read_dir(cache.tmp_dir()).unwrap().collect();
    assert!(tmp.is_empty(), "{tmp:?}");
}

#[test]
fn a_store_that_is_down_costs_time_not_the_build() {
    let store = MemoryStore {
        down: true,
        ..MemoryStore::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path())
        .unwrap()
        .with_shared(Arc::new(store));
    let hex = write_blob(&cache, b"built here");
    assert!(cache.blob(&hex).unwrap().is_some());
    assert!(cache.blob(&sha256_hex(b"absent")).unwrap().is_none());
    let (messages, count) = cache.shared_failures();
    assert_eq!(count, 2);
    assert!(messages
        .iter()
        .all(|m| m.contains("connection refused") && m.contains("memory")));
}

#[test]
fn blobs_marked_local_only_and_plain_keyed_entries_stay_on_this_machine() {
    let store = Arc::new(MemoryStore::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap().with_shared(store.clone());
    let mut w = cache.new_blob().unwrap().local_only();
    w.write_all(b"unpacked deb").unwrap();
    w.commit_named().unwrap();
    cache
        .put_keyed("https://mirror.invalid/InRelease", b"index")
        .unwrap();
    assert!(store.blobs.lock().unwrap().is_empty());
    assert!(store.pointers.lock().unwrap().is_empty());
    assert!(cache.put_pointer("k", "not a digest").is_err());
}
