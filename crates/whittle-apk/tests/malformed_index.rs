//! `APKINDEX` text with malformed records: each costs its package, named in
//! a warning with the index URL, and the rest of the signed index is used;
//! an index of nothing but malformed records is still an error.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use whittle_apk::index::{parse_index_text, parse_index_text_skipping, IndexError};
use whittle_apk::{ApkRepositories, ApkRepository, ApkWorld};
use whittle_cache::Cache;
use whittle_net::Fetcher;
use whittle_recipe::Arch;
use whittle_test::{ApkKey, ApkRepo, ApkSpec};
use whittle_world::{FailureKind, PackageWorld, Reporter, WorldContext};

const GOOD: &str = "P:good\nV:1.0-r0\nS:10\n";

fn names(records: &[whittle_model::PackageRecord]) -> Vec<&str> {
    records.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn each_kind_of_malformed_record_is_set_aside() {
    // The bad record starts at line 5.
    for (bad, package, says) in [
        (
            "P:bad\nV:1\nS:abc\n",
            "bad",
            "line 7: bad: S:abc is not a number",
        ),
        (
            "P:bad\nV:1\nI:-1\n",
            "bad",
            "line 7: bad: I:-1 is not a number",
        ),
        (
            "P:bad\nV:1\nk:high\n",
            "bad",
            "line 7: bad: k:high is not a number",
        ),
        (
            "P:bad\nS:1\n",
            "bad",
            "line 5: record for bad has no version (V:)",
        ),
        (
            "V:1\nS:1\n",
            "(unnamed)",
            "line 5: record has no package name (P:)",
        ),
        (
            "P:bad\ngarbage line\nV:1\n",
            "bad",
            "line 6: expected `X:value`, found \"garbage line\"",
        ),
    ] {
        let text = format!("{GOOD}\n{bad}\n{GOOD}");
        let parsed = parse_index_text_skipping(&text, "https://r.invalid/main", 0, "x86_64", None);
        assert_eq!(names(&parsed.records), ["good", "good"], "{bad:?}");
        assert_eq!(parsed.skipped.len(), 1, "{bad:?}");
        assert_eq!(parsed.skipped[0].package, package);
        let msg = parsed.skipped[0].error.to_string();
        assert!(
            msg.contains(says) && msg.contains("https://r.invalid/main"),
            "{msg}"
        );
        // The strict parse refuses the index with the same error.
        let strict = parse_index_text(&text, "https://r.invalid/main", 0, "x86_64", None);
        assert_eq!(strict.unwrap_err().to_string(), msg);
    }
    // Only malformed records: an error, not an empty repository.
    let parsed = parse_index_text_skipping("P:a\n\nP:b\nV:1\nS:x\n", "r", 0, "x86_64", None);
    assert!(parsed.records.is_empty());
    let e = parsed.check_usable().unwrap_err();
    assert!(
        matches!(e, IndexError::AllMalformed { skipped: 2, .. }),
        "{e:?}"
    );
}

#[derive(Default)]
struct Warnings(Mutex<Vec<String>>);

impl Reporter for Warnings {
    fn on_warning(&self, message: &str) {
        self.0.lock().unwrap().push(message.to_string());
    }
}

/// Through the world: a signed index served on 127.0.0.1 whose records for
/// two packages are malformed (no version; a description that breaks onto
/// a line without `X:`).
#[test]
fn a_signed_index_with_bad_records_loads_the_rest_and_warns() {
    let mut repo = ApkRepo::new(ApkKey::random());
    repo.add(ApkSpec::new("alpha", "1.0-r0", "x86_64"))
        .add(ApkSpec::new("no-version", "", "x86_64"))
        .add(ApkSpec::new("two-lines", "1.0-r0", "x86_64").description("one\ngarbage"))
        .add(ApkSpec::new("omega", "2.0-r0", "x86_64"));
    repo.publish();
    let server = repo.serve();
    let cache_dir = tempfile::tempdir().unwrap();
    let fetcher = Fetcher::new(Cache::open(cache_dir.path()).unwrap(), false).unwrap();
    let repos = ApkRepositories {
        sources: vec![ApkRepository {
            url: server.url(),
            tag: None,
        }],
        written: vec![server.url()],
        image_lines: Vec::new(),
    };
    let key = repo.key_path().display().to_string();
    let world = ApkWorld::new(&repos, &[key], false, &fetcher).unwrap();
    let warnings = Arc::new(Warnings::default());
    let cx = WorldContext {
        fetcher,
        arch: Arch::Amd64,
        reporter: warnings.clone(),
        contents: whittle_rootfs::ContentStore::in_memory(),
    };
    let records = world.load_index(&cx, 0).unwrap().records;
    assert_eq!(names(&records), ["alpha", "omega"]);
    let said = warnings.0.lock().unwrap().clone();
    let url = format!("{}/x86_64/APKINDEX.tar.gz", server.url());
    for (package, what) in [
        ("no-version", "has no version (V:)"),
        ("two-lines", "expected `X:value`, found \"garbage\""),
    ] {
        assert!(
            said.iter().any(|w| w.starts_with(&url)
                && w.contains(&format!("skipping package {package} "))
                && w.contains(what)),
            "{package}: {said:#?}"
        );
    }
    assert!(
        said.iter()
            .any(|w| w.contains("2 malformed records skipped, 2 package records read")),
        "{said:#?}"
    );

    // Nothing but bad records: the load fails, as a format error.
    let mut bad = ApkRepo::new(ApkKey::random());
    bad.add(ApkSpec::new("no-version", "", "x86_64"));
    bad.publish();
    let server = bad.serve();
    let repos = ApkRepositories {
        sources: vec![ApkRepository {
            url: server.url(),
            tag: None,
        }],
        written: vec![server.url()],
        image_lines: Vec::new(),
    };
    let key = bad.key_path().display().to_string();
    let world = ApkWorld::new(&repos, &[key], false, &cx.fetcher).unwrap();
    let e = world.load_index(&cx, 0).unwrap_err();
    assert_eq!(e.kind(), FailureKind::Format);
    let cause = std::error::Error::source(&e).unwrap().to_string();
    assert!(
        cause.contains("every record of the APKINDEX is malformed"),
        "{cause}"
    );
}
