//! Base64 as Sigstore's JSON carries bytes: written standard with padding
//! (Go's `encoding/json`, protobuf's JSON mapping); read standard or
//! URL-safe, padded or not, as protobuf's JSON parser and DSSE accept.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serializer};

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Standard base64 with padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Standard or URL-safe base64, padding optional.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD_LENIENT
        .decode(text)
        .or_else(|_| URL_SAFE_LENIENT.decode(text))
}

/// `#[serde(with = "crate::b64")]` for a `Vec<u8>` field.
pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

/// See [`serialize`].
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(d)?;
    decode(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_both_alphabets_with_or_without_padding() {
        let bytes = [0xfb, 0xff, 0x01];
        assert_eq!(super::encode(&bytes), "+/8B");
        assert_eq!(super::decode("+/8B").unwrap(), bytes);
        assert_eq!(super::decode("-_8B").unwrap(), bytes);
        assert_eq!(super::decode("aGk=").unwrap(), b"hi");
        assert_eq!(super::decode("aGk").unwrap(), b"hi");
        assert!(super::decode("a!k=").is_err());
    }
}
