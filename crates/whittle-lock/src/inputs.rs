//! Checksums of what a resolution depended on, part by part, so that a
//! lock that no longer matches its recipe is refused with the part that
//! changed named.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// `part → sha256:<hex>` for each part of the recipe that decides the
/// resolution (`packages`, `exclude`, `slices`, `world`, ...). Parts that
/// do not change which packages are chosen (entrypoint, environment,
/// accounts, paths, a repository's mirror URL) are not in it, so editing
/// them keeps the lock valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Inputs(pub BTreeMap<String, String>);

impl Inputs {
    /// Add a part: `value` is serialised to canonical JSON and hashed.
    pub fn add<T: Serialize + ?Sized>(&mut self, part: &str, value: &T) {
        // Plain data with string keys always serialises.
        let text = serde_json::to_vec(value).unwrap_or_default();
        self.0.insert(
            part.to_string(),
            format!("sha256:{}", hex_lower(&Sha256::digest(&text))),
        );
    }

    /// The parts whose checksum differs between `self` (the lock's) and
    /// `now` (the recipe's), or that only one of them has.
    pub fn changed_parts(&self, now: &Inputs) -> Vec<String> {
        let mut out: Vec<String> = self
            .0
            .iter()
            .filter(|(k, v)| now.0.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .collect();
        out.extend(now.0.keys().filter(|k| !self.0.contains_key(*k)).cloned());
        out.sort();
        out.dedup();
        out
    }
}

/// `sha256-<base64>`: the checksum notation of apko's locks (a Subresource
/// Integrity string).
pub fn sri_sha256(bytes: &[u8]) -> String {
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
    )
}

/// `sha256:<hex>`: how the lock writes an index file's digest.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex_lower(&Sha256::digest(bytes)))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_parts_are_named() {
        let mut a = Inputs::default();
        a.add("packages", &["curl", "ca-certificates"]);
        a.add("exclude", &Vec::<String>::new());
        let mut b = a.clone();
        assert!(a.changed_parts(&b).is_empty());
        b.add("packages", &["curl"]);
        b.add("slices", &["x"]);
        assert_eq!(a.changed_parts(&b), vec!["packages", "slices"]);
    }

    #[test]
    fn sri_matches_the_known_empty_digest() {
        // SHA-256 of nothing, base64: a published constant.
        assert_eq!(
            sri_sha256(b""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
