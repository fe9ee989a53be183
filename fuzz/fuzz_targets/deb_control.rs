//! deb822 paragraphs and `Release` files. A parsed paragraph written back
//! with `to_text` must parse to the same paragraph (the dpkg database is
//! written that way).
#![no_main]

use libfuzzer_sys::fuzz_target;
use whittle_deb::control::{parse_paragraphs, Paragraph};
use whittle_deb::index::parse_release;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(release) = parse_release(text) {
        for path in release.files.keys() {
            let _ = release.by_hash_path(path);
        }
    }
    let Ok(paragraphs) = parse_paragraphs(text) else {
        return;
    };
    for p in &paragraphs {
        let again = Paragraph::parse_one(&p.to_text())
            .unwrap_or_else(|e| panic!("to_text of {p:?} does not parse: {e}"));
        assert_eq!(&again, p, "to_text changed the paragraph");
        for (name, value) in p.fields() {
            assert_eq!(p.get(name), Some(value), "{name}");
        }
    }
});
