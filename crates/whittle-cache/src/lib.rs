//! `whittle-cache`: a content-addressed download cache.
//!
//! Layout under the cache root:
//!
//! ```text
//! <root>/CACHEDIR.TAG            standard cache-directory tag (backup tools skip the tree)
//! <root>/v2/blobs/sha256/<hex>   blobs named by the sha256 of their content
//! <root>/v2/keyed/<sha256(key)>  small entries keyed by an arbitrary string (e.g. an index URL)
//! <root>/v2/key                  32 random bytes, mode 0600: the secret keyed entries are MACed with
//! <root>/v2/tmp/                 temporary files being filled; renamed into place atomically
//! ```
//!
//! Every blob is re-hashed when it is reused ([`Cache::blob`]); a corrupt entry is deleted and
//! reported as absent, so the caller simply downloads it again. Blobs are written through a
//! [`BlobWriter`] that hashes while writing and only publishes the file (with an atomic rename)
//! once the digest, and the size if known, match. Several threads or processes may fill the same
//! blob at once: each writes its own uniquely named temporary file and the last rename wins with
//! identical content.
//!
//! Keyed entries cannot be checked against their name, so each carries an HMAC-SHA256 of its key
//! and data under the cache's secret; one that does not verify is deleted and treated as absent.
//! A cache whose secret another user owns or may read, or whose root or bucket every user may
//! write, is [`Trust::Untrusted`]: its keyed entries are ignored (blobs are still used, being
//! verified by digest). Entries of the older `v1/` layout, which had no MACs, are ignored.
//!
//! The crate never touches the network; see `whittle-net` for fetching through the cache.
#![deny(missing_docs)]

mod cache;
mod digest;
mod error;
mod keyed;
mod root;
mod shared;
mod writer;

pub use cache::Cache;
pub use digest::{is_sha256_hex, sha256_hex, BlobReader};
pub use error::CacheError;
pub use keyed::Trust;
pub use shared::SharedStore;
pub use writer::BlobWriter;
