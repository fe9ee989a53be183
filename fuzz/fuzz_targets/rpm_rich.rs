//! Dependency strings, plain and rich (`(a or (b if c))`), and
//! `rpmvercmp` on two strings split at the first NUL: antisymmetric and
//! reflexive for any input.
#![no_main]

use std::cmp::Ordering;

use libfuzzer_sys::fuzz_target;
use whittle_rpm::rich::parse_dependency;
use whittle_rpm::version::rpmvercmp;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_dependency(&text);

    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    assert_eq!(rpmvercmp(a, b), rpmvercmp(b, a).reverse(), "{a:?} vs {b:?}");
    assert_eq!(rpmvercmp(a, a), Ordering::Equal, "{a:?}");
    assert_eq!(rpmvercmp(b, b), Ordering::Equal, "{b:?}");
});
