//! A `.deb`: the `ar` reader, the control archive and the data archive
//! through the shared walk.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(deb) = whittle_deb::unpack::unpack_deb(
        data,
        "fuzz.deb",
        &whittle_rootfs::ContentStore::in_memory().with_total_limit(64 << 20),
    ) {
        let _ = whittle_deb::control::Paragraph::parse_one(&deb.control);
    }
});
