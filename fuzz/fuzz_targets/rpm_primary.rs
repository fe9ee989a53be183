//! Repository metadata: `primary.xml` into records, `filelists.xml`
//! searched for a few paths, `repomd.xml`, all on the same bytes.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use whittle_rpm::filelists::find_files;
use whittle_rpm::primary::{parse_primary, PrimarySource};
use whittle_rpm::repomd::parse_repomd;

fuzz_target!(|data: &[u8]| {
    let source = PrimarySource {
        origin: "fuzz",
        base_url: "http://x",
        repo: 0,
    };
    if let Ok(parsed) = parse_primary(data, &source, &["x86_64", "noarch"]) {
        for r in &parsed.records {
            assert!(r.arch == "x86_64" || r.arch == "noarch", "{}", r.arch);
            assert_eq!(r.repo, 0);
        }
    }

    let wanted = BTreeSet::from([
        "/bin/sh".to_string(),
        "/usr/bin/bash".to_string(),
        "/etc/fuzz".to_string(),
    ]);
    if let Ok(hits) = find_files(data, "fuzz", &wanted) {
        for hit in &hits {
            assert!(!hit.paths.is_empty());
            assert!(
                hit.paths.iter().all(|p| wanted.contains(p)),
                "{:?}",
                hit.paths
            );
        }
    }

    let _ = parse_repomd(data, "fuzz");
});
