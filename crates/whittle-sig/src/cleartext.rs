//! Clearsigned documents (Debian `InRelease`).

use pgp::composed::CleartextSignedMessage;

use crate::{Keyring, SigError, Verified};

/// Verify a clearsigned document (Debian `InRelease`).
///
/// Returns the signed text if at least one signature was made by a key (primary
/// or signing subkey) in `keyring` and is valid. The text is what `gpgv --output`
/// writes: dash-escaping undone, trailing spaces and tabs removed from each line
/// (they are not covered by the signature, RFC 4880 §7.1), line endings as in
/// the document, and the line ending before the signature block kept. Signatures
/// by keys outside the keyring are skipped. `origin` names the file in errors.
pub fn verify_cleartext(doc: &[u8], keyring: &Keyring, origin: &str) -> Result<Verified, SigError> {
    let malformed = |reason: String| SigError::Malformed {
        origin: origin.to_string(),
        reason,
    };
    let (msg, _headers) = CleartextSignedMessage::from_armor(doc)
        .map_err(|e| malformed(format!("not a valid clearsigned (InRelease) document: {e}")))?;
    // The text exactly as hashed: unescaped, trimmed, CRLF line endings.
    let signed = msg.signed_text();
    let signer_fingerprint = keyring.check(msg.signatures(), signed.as_bytes(), origin)?;
    Ok(Verified {
        text: output_text(doc, &msg),
        signer_fingerprint,
    })
}

/// The text of a clearsigned document WITHOUT checking its signature, as
/// [`verify_cleartext`] would return it: only for `--ignore-signatures`,
/// which the caller must report loudly.
pub fn cleartext_unverified(doc: &[u8], origin: &str) -> Result<Vec<u8>, SigError> {
    let (msg, _headers) =
        CleartextSignedMessage::from_armor(doc).map_err(|e| SigError::Malformed {
            origin: origin.to_string(),
            reason: format!("not a valid clearsigned (InRelease) document: {e}"),
        })?;
    Ok(output_text(doc, &msg))
}

/// What gpgv writes: the unescaped text and the line ending before the
/// signature block (not part of the signed text, but gpgv outputs it).
fn output_text(doc: &[u8], msg: &CleartextSignedMessage) -> Vec<u8> {
    let last_eol = match find(doc, b"\n-----BEGIN PGP SIGNATURE-----") {
        Some(i) if i > 0 && doc[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    };
    let mut text = unescape(msg.text());
    if !text.is_empty() {
        text.push_str(last_eol);
    }
    text.into_bytes()
}

/// Undo dash-escaping and strip trailing spaces and tabs, keeping line endings.
fn unescape(csf: &str) -> String {
    let mut out = String::with_capacity(csf.len());
    for line in csf.split_inclusive('\n') {
        let (content, eol) = match line.strip_suffix("\r\n") {
            Some(c) => (c, "\r\n"),
            None => line.strip_suffix('\n').map_or((line, ""), |c| (c, "\n")),
        };
        let content = content.strip_prefix("- ").unwrap_or(content);
        out.push_str(content.trim_end_matches([' ', '\t']));
        out.push_str(eol);
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unescape() {
        assert_eq!(
            super::unescape("a  \n- - b\t\r\n- -----c\nd"),
            "a\n- b\r\n-----c\nd"
        );
    }
}
