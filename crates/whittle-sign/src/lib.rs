//! Image signatures as cosign writes and reads them, offline: ECDSA P-256
//! keys in cosign's formats ([`SigningKey`], [`PublicKey`]), DSSE envelopes
//! ([`dsse`]), in-toto Statements v1 ([`Statement`]), Sigstore bundles v0.3
//! ([`Bundle`]) and the OCI 1.1 referrer that carries one
//! ([`bundle_artifact`]), and cosign v2's legacy `sha256-<hex>.sig`
//! signatures ([`simple_signing`]). No network and no registry code: an
//! [`Artifact`] is the manifest and blobs a registry client pushes.
//!
//! Signing is offline, as `cosign sign --key … --tlog-upload=false`: the
//! bundle names the key by its hint and carries no transparency-log entry
//! or timestamp, so cosign v3 verifies it with
//! `cosign verify --key cosign.pub --insecure-ignore-tlog=true`.
//!
//! The bundle is a hand-written serde model of the few protobuf-specs
//! messages it needs (bundle, verification material, public key
//! identifier, DSSE envelope) in protobuf's JSON mapping, rather than
//! `sigstore_protobuf_specs`: that crate brings a protobuf runtime for
//! four messages, and whittle must also control what it writes (no empty
//! fields, the exact statement fields sigstore-go accepts). The tests check
//! the output against the Python `sigstore_protobuf_specs` model instead.
//!
//! ```
//! use whittle_sign::{predicate, Bundle, SigningKey, Statement, Subject};
//!
//! let key = SigningKey::generate();
//! let digest = format!("sha256:{}", "ab".repeat(32));
//! let subject = Subject::from_oci_digest("", &digest).unwrap();
//! let statement = Statement::new(vec![subject], predicate::COSIGN_SIGN, serde_json::json!({}));
//! let bundle = Bundle::sign_statement(&key, &statement);
//! let read = Bundle::from_json(&bundle.to_json()).unwrap();
//! assert_eq!(read.verify(&key.public_key(), &digest).unwrap(), statement);
//! ```
#![deny(missing_docs)]

mod artifact;
mod b64;
mod bundle;
pub mod dsse;
mod encrypted;
mod error;
mod key;
mod referrer;
pub mod simple_signing;
mod statement;

pub use artifact::{
    sha256_digest, Artifact, Descriptor, EMPTY_DIGEST, EMPTY_MEDIA_TYPE, OCI_MANIFEST,
};
pub use bundle::{Bundle, BUNDLE_MEDIA_TYPE};
pub use dsse::{pae, Envelope, EnvelopeSignature};
pub use error::{BundleError, KeyError, VerifyError};
pub use key::{PublicKey, SigningKey, ENCRYPTED_COSIGN_LABEL, ENCRYPTED_SIGSTORE_LABEL};
pub use referrer::{
    bundle_artifact, read_bundle_artifact, BundleLayer, CONTENT_ANNOTATION, CREATED_ANNOTATION,
    PREDICATE_TYPE_ANNOTATION,
};
pub use simple_signing::{signature_artifact, signature_tag, verify_payload};
pub use statement::{predicate, Statement, Subject, PAYLOAD_TYPE, STATEMENT_TYPE};
