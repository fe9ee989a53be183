//! `Packages` indexes: each stanza becomes a record or is set aside, and
//! the strict parse fails exactly when something was set aside.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whittle_deb::index::{parse_packages, parse_packages_skipping};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base = "http://fuzz.invalid/debian";
    let parsed = parse_packages_skipping(text, base, 0, "amd64");
    for r in &parsed.records {
        assert!(
            whittle_deb::version::parse(&r.version).is_ok(),
            "{}",
            r.version
        );
        assert!(r.download.url.starts_with(base));
    }
    let strict = parse_packages(text, base, 0, "amd64");
    assert_eq!(strict.is_ok(), parsed.skipped.is_empty());
    let _ = parsed.check_usable();
});
