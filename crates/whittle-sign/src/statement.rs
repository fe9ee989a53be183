//! The in-toto Statement v1 (in-toto/attestation `spec/v1/statement.md`):
//! `_type`, `subject` (resource descriptors with a digest set of lowercase
//! hex), `predicateType` and `predicate`. Only the fields the spec names
//! are written: sigstore-go reads the statement with protobuf's JSON
//! parser, which refuses unknown fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The statement's `_type` for version 1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Predicate types whittle writes.
pub mod predicate {
    /// cosign's image signature as an attestation (`cosign sign
    /// --new-bundle-format`); its predicate is `{}`.
    pub const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";
    /// An SPDX SBOM (the predicate is the SPDX JSON document).
    pub const SPDX: &str = "https://spdx.dev/Document";
    /// A CycloneDX SBOM (the predicate is the CycloneDX JSON BOM).
    pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
    /// SLSA provenance v1.
    pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
}

/// One artifact a statement is about.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// A name for it (a reference, a file name); empty when it has none,
    /// and then not written (cosign writes no name for an image).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Algorithm (`sha256`) → lowercase hex.
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// A subject for an OCI digest `sha256:<hex>` (any `alg:hex`); `None`
    /// for a digest without an algorithm.
    pub fn from_oci_digest(name: &str, digest: &str) -> Option<Self> {
        let (algorithm, hex) = digest.split_once(':')?;
        Some(Self {
            name: name.to_owned(),
            digest: BTreeMap::from([(algorithm.to_owned(), hex.to_ascii_lowercase())]),
        })
    }
}

/// An in-toto Statement v1.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`] for statements whittle writes.
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// What the statement is about.
    pub subject: Vec<Subject>,
    /// What the predicate is (one of [`predicate`]).
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate: a JSON object (unset is read as `{}`).
    #[serde(default = "empty_object")]
    pub predicate: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

impl Statement {
    /// A v1 statement; a `null` predicate becomes `{}` (the spec treats
    /// unset as set-but-empty, and protobuf's `Struct` needs an object).
    pub fn new(subject: Vec<Subject>, predicate_type: &str, predicate: serde_json::Value) -> Self {
        Self {
            statement_type: STATEMENT_TYPE.to_owned(),
            subject,
            predicate_type: predicate_type.to_owned(),
            predicate: if predicate.is_null() {
                empty_object()
            } else {
                predicate
            },
        }
    }

    /// The statement as compact JSON: the bytes a DSSE envelope signs.
    pub fn to_json(&self) -> Vec<u8> {
        // Strings, string maps and a `Value` always serialise.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Every subject digest as `alg:hex`, sorted, duplicates removed.
    pub fn subject_digests(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .subject
            .iter()
            .flat_map(|s| s.digest.iter().map(|(alg, hex)| format!("{alg}:{hex}")))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// Whether a subject has `digest` (`alg:hex`; hex compared without case).
    pub fn has_subject_digest(&self, digest: &str) -> bool {
        let Some((algorithm, hex)) = digest.split_once(':') else {
            return false;
        };
        self.subject.iter().any(|s| {
            s.digest
                .get(algorithm)
                .is_some_and(|h| h.eq_ignore_ascii_case(hex))
        })
    }
}
