//! Errors of this crate.

/// Why a keyring could not be loaded or a signature was not accepted.
///
/// Every message names the file (`origin`), which link of the chain failed, and
/// what to do about it.
#[derive(thiserror::Error, Debug)]
pub enum SigError {
    /// The keyring is not a parseable OpenPGP public keyring.
    #[error(
        "{origin}: malformed OpenPGP keyring: {reason}; \
         check that it is a binary (.gpg) or ASCII-armored (.asc) public keyring"
    )]
    MalformedKeyring {
        /// The keyring's path or URL.
        origin: String,
        /// The parser's complaint.
        reason: String,
    },
    /// The signed document or signature could not be parsed.
    #[error(
        "{origin}: malformed signed file: {reason}; \
         the file may be truncated or corrupted, re-download it from the repository"
    )]
    Malformed {
        /// The document's path or URL.
        origin: String,
        /// The parser's complaint.
        reason: String,
    },
    /// None of the signatures was made by a key of the keyring.
    #[error(
        "{origin}: no signature by a trusted key (signatures found by key ids: {}); \
         check the repository's keyring (signed-by) contains its archive signing key",
        if .issuers.is_empty() { "none".to_string() } else { .issuers.join(", ") }
    )]
    NoTrustedSignature {
        /// The document's path or URL.
        origin: String,
        /// Upper-case hex key ids (or fingerprints) named by the signatures.
        issuers: Vec<String>,
    },
    /// A signature by a trusted key does not match the data.
    #[error(
        "{origin}: BAD signature by trusted key {key}: {reason}; \
         the file was modified or corrupted, do not use it and re-download from a trusted mirror"
    )]
    BadSignature {
        /// Fingerprint of the trusted (sub)key.
        key: String,
        /// The document's path or URL.
        origin: String,
        /// What failed.
        reason: String,
    },
    /// A cryptographically valid signature by a trusted key that policy rejects
    /// (key expired or revoked at signing time, weak digest, expired signature).
    #[error(
        "{origin}: signature by trusted key {key} rejected: {reason}; \
         check the repository's keyring is current (e.g. upgrade the distribution's archive keyring)"
    )]
    Rejected {
        /// Fingerprint of the trusted (sub)key.
        key: String,
        /// The document's path or URL.
        origin: String,
        /// Why it was rejected.
        reason: String,
    },
}

/// `text` with every bracketed list of numbers (`[88, 49, …]`, a `Debug`
/// of raw bytes some parser errors embed) replaced by `[…]`.
pub(crate) fn without_byte_dumps(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close)
                if close > 0
                    && after[..close]
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b',' || b == b' ') =>
            {
                out.push_str("[…]");
                rest = &after[close + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_dumps_are_cut_out() {
        assert_eq!(
            super::without_byte_dumps("footer Error { input: [88, 49, 10], code: Tag } [a] [] [1]"),
            "footer Error { input: […], code: Tag } [a] [] […]"
        );
    }
}
