//! An `.apk`: gzip members, signature and control tars, `.PKGINFO`, the
//! data member through the shared walk with its checksums.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whittle_apk::keys::ApkKeyring;
use whittle_apk::unpack::{unpack_apk, Expect};

fuzz_target!(|data: &[u8]| {
    let _ = unpack_apk(
        data,
        &Expect::default(),
        &ApkKeyring::new(),
        "fuzz.apk",
        &whittle_rootfs::ContentStore::in_memory().with_total_limit(64 << 20),
    );
});
