//! OCI images for whittle: layers, image configs, manifests, indexes, image
//! layouts and the combined OCI/docker archive.
//!
//! The input is one uncompressed layer tar per platform image (built by
//! another crate); this crate never builds file trees. Everything it writes
//! is deterministic: the same [`ImageSet`] gives byte-identical blobs,
//! digests and archives on every run, on any number of threads.
//!
//! * [`LayerTar`] takes a layer tar as it is written, into a temporary file
//!   (hashing it for the diff ID), and [`WrittenTar::compress`] gzips it from
//!   there into another in a streaming pass, so layers never sit on the heap;
//!   [`reuse_layer`] adopts a compressed layer from a cache only if it
//!   decompresses to the tar just built. [`compress_layer`] does the same
//!   for a tar in memory.
//! * Layers are gzipped on all cores, pigz-style: the tar
//!   is cut into fixed [`BLOCK_SIZE`] blocks, each block is raw-deflated on
//!   its own and ended with a sync flush (the last one with the final
//!   block), the pieces are concatenated into one gzip member and the
//!   per-block CRC-32s are combined. Block boundaries never depend on the
//!   thread count, so neither do the bytes. The gzip header carries no file
//!   name, mtime 0, XFL 0 and OS 255 ("unknown", as Go's `compress/gzip`).
//! * [`image_digest`] is the digest of what [`write_archive`] and
//!   [`write_layout`] will reference: the manifest digest for one platform,
//!   the image index digest for several.
//! * [`write_archive`] writes one tar that is both an OCI image-layout
//!   archive (`oci-layout`, `index.json`, `blobs/sha256/…`, readable as
//!   `oci-archive:`) and a docker-archive (`manifest.json`, readable by
//!   `docker load`, `podman load` and `docker-archive:`), atomically.
//! * [`write_layout`] adds the image to an OCI image-layout directory: new
//!   blobs first, `index.json` swapped last.
//! * [`Transaction`] makes several outputs (the image, its SBOMs) one
//!   change: all are written to temporaries beside their targets, then
//!   renamed into place together ([`stage_archive`], [`stage_layout`],
//!   [`Transaction::stage_file`]); a failure leaves every target as it was.
//!   [`remove_temporaries`] removes this process's temporaries (for a
//!   SIGINT handler) and [`sweep_stale`] those of crashed runs.
//!
//! # Why not `oci-spec` types for the JSON
//!
//! `oci-spec` (0.10) keeps labels, annotations and volumes in
//! `std::collections::HashMap`s, whose iteration order (and so the JSON key
//! order) is randomised per process; the digests of configs and manifests
//! would change from run to run. The JSON here is therefore written from
//! small serde structs of this crate with fields in a fixed order and maps
//! as `BTreeMap`s, serialised compactly by `serde_json`. The tests parse the
//! output back with `oci-spec` to check it against the specification's
//! types, and with skopeo, umoci and podman.
//!
//! # Reproducibility across builds
//!
//! The deflate bytes come from `flate2`'s backend at level 6. This crate
//! enables flate2's `zlib-rs` backend (pure Rust, about 2.7 times
//! miniz_oxide's speed at level 6 on real layers, same ratio). Cargo unifies
//! features over a build, and flate2 prefers a C zlib (`zlib`, `zlib-ng`…)
//! over zlib-rs if any crate in the build enables one; that would change the
//! layer bytes (equally valid gzip, different digests). The same binary
//! always gives the same bytes, on any CPU (zlib-rs's SIMD paths only
//! compare and slide; its hash is the same everywhere), and a test pins a
//! layer digest to catch a change. Do not enable a C zlib backend for flate2
//! anywhere in the workspace without accepting new image digests.
//!
//! All times come from the `created_epoch` in each [`ImageConfig`]: the
//! config's `created`, every history entry's `created`, and the mtime of
//! every entry in the archive (that of the first image).
#![deny(missing_docs)]

mod archive;
mod blob;
mod config;
mod error;
mod layer;
mod layout;
mod manifest;
mod referrer;
mod temp;
mod transaction;

pub use archive::{stage_archive, write_archive};
pub use blob::{Blob, BlobReader};
pub use config::{rfc3339, ImageConfig, Platform};
pub use error::OciError;
pub use layer::{
    compress_layer, diff_id, gzip, gzip_stream, reuse_layer, Layer, LayerTar, WrittenTar,
    BLOCK_SIZE,
};
pub use layout::{check_layout, stage_layout, write_layout};
pub use manifest::{
    image_digest, image_manifests, platform_tag, ImageSet, ManifestRef, PlatformImage,
    MEDIA_TYPE_CONFIG, MEDIA_TYPE_INDEX, MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_MANIFEST,
};
pub use referrer::Referrer;
pub use temp::{remove_temporaries, sweep_stale};
pub use transaction::{CommitError, Transaction};
