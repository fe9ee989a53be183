//! Debian versions: a valid version prints back to itself and compares
//! equal to its parse; comparison is antisymmetric for any two strings.
#![no_main]

use std::cmp::Ordering;

use libfuzzer_sys::fuzz_target;
use whittle_deb::version::{compare_versions, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\n').unwrap_or((text, ""));
    assert_eq!(compare_versions(a, b), compare_versions(b, a).reverse());
    assert_eq!(compare_versions(a, a), Ordering::Equal);
    if let Ok(v) = parse(a) {
        let shown = v.to_string();
        let again = parse(&shown).unwrap_or_else(|e| panic!("{a:?} prints as {shown:?}: {e}"));
        assert_eq!(again, v);
        assert_eq!(compare_versions(a, &shown), Ordering::Equal);
        if let Ok(w) = parse(b) {
            assert_eq!(v.cmp(&w), compare_versions(a, b), "{a:?} vs {b:?}");
        }
    }
});
