//! Clearsigned `InRelease` documents, then the `Release` text they sign.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whittle_sig::{cleartext_unverified, verify_cleartext, Keyring};

fuzz_target!(|data: &[u8]| {
    let verified = verify_cleartext(data, &Keyring::default(), "fuzz/InRelease");
    assert!(verified.is_err(), "nothing verifies with an empty keyring");
    if let Ok(text) = cleartext_unverified(data, "fuzz/InRelease") {
        let _ = whittle_deb::index::parse_release(&String::from_utf8_lossy(&text));
    }
});
