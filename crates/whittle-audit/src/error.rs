//! Why an image could not be audited. Every message names the file (the
//! archive or layout directory, and the blob or member inside it) and says
//! what kind of fault it is: missing, truncated, not the format it claims,
//! or changed since it was written.

use std::io;
use std::path::PathBuf;

/// An image could not be read far enough to audit it.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The file or directory could not be read at all.
    #[error("cannot read {path}")]
    Io {
        /// What was being read.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The path is neither an image archive nor an OCI layout directory.
    #[error("{path} is not an image: {reason}")]
    NotAnImage {
        /// The image given.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
    /// The archive's tar structure is broken (cut off, overwritten).
    #[error("{path} is not a readable image archive: {problem}; write or copy it again")]
    BadArchive {
        /// The archive.
        path: PathBuf,
        /// What the tar reader found.
        problem: String,
    },
    /// A JSON document of the image (`index.json`, a manifest, a config)
    /// does not parse.
    #[error("{image}: {member} is not a valid {what}: {problem}")]
    BadJson {
        /// The image given.
        image: PathBuf,
        /// The file inside the image.
        member: String,
        /// What it should have been (`image index`, `image config`…).
        what: &'static str,
        /// The parser's message.
        problem: String,
    },
    /// A blob the manifests point at is not in the image.
    #[error("{image}: {member} is missing; the image is incomplete")]
    MissingBlob {
        /// The image given.
        image: PathBuf,
        /// The missing file inside the image.
        member: String,
    },
    /// A blob's bytes do not hash to the digest that names it.
    #[error("{image}: {member} does not match its digest {expected} (its bytes hash to {actual}); the image was changed or damaged after it was written")]
    DigestMismatch {
        /// The image given.
        image: PathBuf,
        /// The file inside the image.
        member: String,
        /// The digest the manifest or config gives.
        expected: String,
        /// The digest of the bytes read.
        actual: String,
    },
    /// A layer could not be decompressed or read as a tar.
    #[error("{image}: layer {member} {problem}")]
    BadLayer {
        /// The image given.
        image: PathBuf,
        /// The layer's file inside the image.
        member: String,
        /// `is cut off (truncated)`, `is not valid gzip`…
        problem: String,
    },
    /// A layer entry cannot be placed in a file system.
    #[error("{image}: layer {member}: entry {entry:?} {problem}")]
    BadEntry {
        /// The image given.
        image: PathBuf,
        /// The layer's file inside the image.
        member: String,
        /// The entry's path as written in the layer.
        entry: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A digest in the image is not `sha256:<64 hex>`.
    #[error("{image}: {digest:?} in {member} is not a sha256 digest this audit can check")]
    BadDigest {
        /// The image given.
        image: PathBuf,
        /// Where the digest was read.
        member: String,
        /// The digest text.
        digest: String,
    },
    /// A platform string could not be parsed.
    #[error("platform {0:?} is not OS/ARCH[/VARIANT], e.g. linux/arm64")]
    BadPlatform(String),
    /// No image of the image set is for the platform asked for.
    #[error("{image} has no image for {wanted}; it has {available}")]
    NoSuchPlatform {
        /// The image given.
        image: PathBuf,
        /// The platform asked for (or the host's).
        wanted: String,
        /// The platforms it has, comma-separated.
        available: String,
    },
    /// Several images match and nothing says which to audit.
    #[error("{image} holds images for {available} and none for this host ({host}); choose a platform, e.g. {example}")]
    ChoosePlatform {
        /// The image given.
        image: PathBuf,
        /// The host's platform.
        host: String,
        /// The platforms it has, comma-separated.
        available: String,
        /// One of them, to copy.
        example: String,
    },
    /// No image has the tag asked for.
    #[error("{image} has no image tagged {tag:?}; it has {available}")]
    NoSuchTag {
        /// The image given.
        image: PathBuf,
        /// The tag asked for.
        tag: String,
        /// The tags it has, comma-separated (or `no tags`).
        available: String,
    },
    /// Several differently tagged images and no tag given.
    #[error("{image} holds several images ({available}); name one as {image}:TAG")]
    ChooseTag {
        /// The image given.
        image: PathBuf,
        /// The tags it has, comma-separated.
        available: String,
    },
    /// A JSON document or database file is larger than this audit reads.
    #[error("{image}: {member} is {size} bytes, more than the {limit} bytes an image's {what} may have; the image is not one this audit can read")]
    TooLarge {
        /// The image given.
        image: PathBuf,
        /// The file inside the image.
        member: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
        /// What kind of file (`JSON document`).
        what: &'static str,
    },
}

/// The words for an I/O error met while reading a layer or member stream:
/// a short stream is "cut off", undecodable bytes are "not valid …".
pub(crate) fn describe_stream_error(e: &io::Error, format: &str) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => "is cut off (truncated): its bytes end early".to_string(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::Other => {
            format!("is not valid {format}: {e}")
        }
        _ => format!("could not be read: {e}"),
    }
}
