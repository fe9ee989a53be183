//! `.PKGINFO` text, and the dependency atoms and versions it carries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whittle_apk::atom::{parse_atom, parse_provide, parse_world_atom};
use whittle_apk::unpack::parse_pkginfo;
use whittle_apk::version::{compare, is_valid};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let pairs = parse_pkginfo(text);
    let mut versions = Vec::new();
    for (key, value) in &pairs {
        match key.as_str() {
            "depend" | "install_if" => {
                let _ = parse_atom(value);
                let _ = parse_world_atom(value);
            }
            "provides" => {
                let _ = parse_provide(value);
            }
            "pkgver" => versions.push(value.as_str()),
            _ => {}
        }
    }
    for a in &versions {
        let _ = is_valid(a);
        for b in &versions {
            assert_eq!(compare(a, b), compare(b, a).reverse(), "{a:?} vs {b:?}");
        }
    }
});
