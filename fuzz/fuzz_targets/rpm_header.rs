//! RPM headers: an rpmdb blob (no magic) with every accessor over every
//! entry, and the lead + signature + main header at the front of a `.rpm`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whittle_rpm::header::{Header, PackageHeaders};

fn exercise(header: &Header) {
    assert_eq!(
        header.entries().len() * 16 + header.data_len() + 16,
        header.bytes().len()
    );
    for (i, e) in header.entries().iter().enumerate() {
        let value = header.value_bytes(i);
        assert!(value.is_some(), "entry {i} ({e:?}) has no value");
        let _ = header.strings(e.tag);
        let _ = header.raw_strings(e.tag);
        let _ = header.string(e.tag);
        let _ = header.ints(e.tag);
        let _ = header.int(e.tag);
        let _ = header.bin(e.tag);
        assert!(header.has(e.tag));
    }
    if let Some((il, dl)) = header.region() {
        assert!(il <= header.entries().len() && dl <= header.data_len());
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = Header::from_blob(data, "fuzz blob") {
        exercise(&header);
        assert_eq!(header.blob(), data);
    }
    if let Ok(headers) = PackageHeaders::read(&mut &data[..]) {
        exercise(&headers.signature);
        exercise(&headers.main);
    }
});
