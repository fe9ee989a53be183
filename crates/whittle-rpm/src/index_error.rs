//! Errors of the repository-metadata readers (`repomd`, `primary`,
//! `filelists`). Each names the file it is about and says what to do.

/// Why a metadata XML document could not be walked.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// The XML is not well-formed.
    #[error("malformed XML at byte {position}")]
    Syntax {
        /// Byte offset of the error.
        position: u64,
        /// The parser's error.
        #[source]
        source: quick_xml::Error,
    },
    /// The document ends inside an element.
    #[error("the XML ends inside <{open}> (truncated download?)")]
    Truncated {
        /// The innermost element still open.
        open: String,
    },
    /// Elements nest deeper than any repodata file does.
    #[error("elements nest deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
}

/// Why `repomd.xml` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RepoMdError {
    /// The XML does not parse.
    #[error("{origin}: cannot read repomd.xml; fetch it again, or check that the URL points at a repository (its repodata/repomd.xml)")]
    Xml {
        /// Where the file came from.
        origin: String,
        /// What is wrong.
        #[source]
        source: XmlError,
    },
    /// The document is XML but not a repomd.
    #[error("{origin}: not a repomd.xml (root element <{root}>, expected <repomd>); check the repository URL")]
    NotRepoMd {
        /// Where the file came from.
        origin: String,
        /// The root element found.
        root: String,
    },
    /// A `<data>` entry lacks its type or location.
    #[error("{origin}: a <data> entry of repomd.xml has no {what}; the repository metadata is broken, tell its maintainers")]
    Incomplete {
        /// Where the file came from.
        origin: String,
        /// What is missing.
        what: &'static str,
    },
}

/// Why a metadata file listed in `repomd.xml` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// repomd.xml gives no checksum for the file.
    #[error("{file}: repomd.xml gives no checksum for it, so it cannot be verified; the repository metadata is incomplete")]
    NoChecksum {
        /// The file (origin and location).
        file: String,
    },
    /// The checksum algorithm is not one whittle trusts or knows.
    #[error("{file}: checksum type {kind:?} is not supported (whittle verifies sha256, sha512 and sha1; md5 is refused as too weak); regenerate the repository with createrepo_c's default sha256")]
    UnsupportedChecksum {
        /// The file.
        file: String,
        /// The algorithm named in repomd.xml.
        kind: String,
    },
    /// The downloaded (compressed) file does not have the checksum repomd.xml gives.
    #[error("{file}: checksum mismatch: repomd.xml says {kind} {expected}, the file has {actual}; the mirror may be mid-sync or the file corrupt: fetch the metadata again or use another mirror")]
    ChecksumMismatch {
        /// The file.
        file: String,
        /// The algorithm.
        kind: String,
        /// The digest repomd.xml gives.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// The decompressed content does not have the open-checksum repomd.xml gives.
    #[error("{file}: the decompressed content does not match the open-checksum: repomd.xml says {kind} {expected}, the content has {actual}; fetch the metadata again or use another mirror")]
    OpenChecksumMismatch {
        /// The file.
        file: String,
        /// The algorithm.
        kind: String,
        /// The digest repomd.xml gives.
        expected: String,
        /// The digest of the decompressed bytes.
        actual: String,
    },
    /// The compression is not one whittle reads.
    #[error("{file}: unsupported compression {ext:?} (whittle reads .gz, .xz and .zst); use the repository's XML metadata with one of those, or regenerate it with createrepo_c")]
    UnsupportedCompression {
        /// The file.
        file: String,
        /// The file extension.
        ext: String,
    },
    /// Decompression failed.
    #[error("{file}: cannot decompress it; the file is corrupt, fetch it again")]
    Decompress {
        /// The file.
        file: String,
        /// The decoder's error.
        #[source]
        source: std::io::Error,
    },
    /// The content is larger than the limit.
    #[error(
        "{file}: decompresses to more than {limit} bytes; refusing it (a corrupt or hostile file?)"
    )]
    TooLarge {
        /// The file.
        file: String,
        /// The limit in bytes.
        limit: u64,
    },
}

/// Why `primary.xml` or `filelists.xml` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    /// The XML does not parse; nothing of it is used.
    #[error(
        "{origin}: cannot read {what}; the file is damaged: fetch the repository metadata again"
    )]
    Xml {
        /// Which file (`primary.xml`, `filelists.xml`).
        what: &'static str,
        /// Where it came from.
        origin: String,
        /// What is wrong.
        #[source]
        source: XmlError,
    },
}
