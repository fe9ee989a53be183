//! `APKINDEX` text: each record becomes a package or is set aside, and the
//! strict parse fails exactly when something was set aside.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whittle_apk::index::{parse_index_text, parse_index_text_skipping};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed =
        parse_index_text_skipping(text, "https://fuzz.invalid/main", 1, "x86_64", Some("t"));
    for r in &parsed.records {
        assert!(!r.name.is_empty() && !r.version.is_empty());
        let _ = whittle_apk::version::is_valid(&r.version);
    }
    let strict = parse_index_text(text, "https://fuzz.invalid/main", 1, "x86_64", Some("t"));
    assert_eq!(strict.is_ok(), parsed.skipped.is_empty());
    let _ = parsed.check_usable();
});
