//! `APKINDEX.tar.gz`: gzip members, tar entries, signatures, then the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whittle_apk::index::{parse_index_text_skipping, read_index_archive};

fuzz_target!(|data: &[u8]| {
    if let Ok(archive) = read_index_archive(data, "fuzz/APKINDEX.tar.gz") {
        let _ =
            parse_index_text_skipping(&archive.apkindex, "https://fuzz.invalid", 0, "x86_64", None);
    }
});
