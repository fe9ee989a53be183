//! A `.rpm`: lead, signature and main headers, their digests, the payload
//! decompressed and walked as cpio against the header's file list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whittle_rootfs::unpack::{MAX_NAME_LEN, MAX_PATH_LEN};
use whittle_rpm::unpack::{unpack_rpm, Expect};
use whittle_rpm::verify::RpmKeyring;

fuzz_target!(|data: &[u8]| {
    let mut reader = data;
    let expect = Expect {
        sha256: None,
        size: None,
    };
    let Ok(contents) = unpack_rpm(
        &mut reader,
        &expect,
        &RpmKeyring::empty(),
        false,
        "fuzz.rpm",
        &whittle_rootfs::ContentStore::in_memory().with_total_limit(64 << 20),
    ) else {
        return;
    };
    // Read to the end, and every path confined to the root.
    assert_eq!(contents.size, data.len() as u64);
    for entry in &contents.entries {
        let path = entry.path.as_str();
        assert!(
            !path.starts_with('/') && path.split('/').all(|c| c != ".." && c != "."),
            "{path:?}"
        );
        assert!(path.len() <= MAX_PATH_LEN && path.split('/').all(|c| c.len() <= MAX_NAME_LEN));
    }
});
