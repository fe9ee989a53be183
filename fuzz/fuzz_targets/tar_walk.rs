//! The walk every world shares, on a raw tar stream: paths confined,
//! kinds and sizes checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whittle_rootfs::unpack::{unpack_tar, Unpacker, MAX_NAME_LEN, MAX_PATH_LEN};

fuzz_target!(|data: &[u8]| {
    let mut unpacker = Unpacker::new(
        "fuzz.tar",
        &whittle_rootfs::ContentStore::in_memory().with_total_limit(64 << 20),
    );
    if unpack_tar(data, &mut unpacker, |_, _| Ok(())).is_err() {
        return;
    }
    for entry in unpacker.entries() {
        let path = entry.path.as_str();
        assert!(
            !path.starts_with('/') && path.split('/').all(|c| c != ".." && c != "."),
            "{path:?}"
        );
        assert!(path.len() <= MAX_PATH_LEN && path.split('/').all(|c| c.len() <= MAX_NAME_LEN));
        assert!(!path.contains(['\0', '\n']), "{path:?}");
    }
});
