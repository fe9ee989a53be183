//! Clearsigned documents (Debian `InRelease`).

use pgp::composed::CleartextSignedMessage;

use crate::error::without_byte_dumps;
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
    let (msg, _headers) =
        CleartextSignedMessage::from_armor(doc).map_err(|e| malformed(diagnose(doc, &e)))?;
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
            reason: diagnose(doc, &e),
        })?;
    Ok(output_text(doc, &msg))
}

const BEGIN_MESSAGE: &str = "-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE: &str = "-----BEGIN PGP SIGNATURE-----";
const END_SIGNATURE: &str = "-----END PGP SIGNATURE-----";

/// What is wrong with a document rpgp refused, in words: the layout of RFC
/// 4880 §7 (header line, armor headers, empty line, text, signature block)
/// is checked line by line, and only when that finds nothing is rpgp's own
/// complaint given, with any raw byte dump it holds cut out.
fn diagnose(doc: &[u8], parser_error: &pgp::errors::Error) -> String {
    const NOT_CLEARSIGNED: &str = "not an OpenPGP cleartext-signed message";
    // A final line ending ends the last line; it does not start an empty one.
    let doc = doc.strip_suffix(b"\n").unwrap_or(doc);
    let mut lines = doc
        .split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
        .skip_while(String::is_empty);
    let Some(first) = lines.next() else {
        return format!("{NOT_CLEARSIGNED}: the file is empty");
    };
    if first != BEGIN_MESSAGE {
        let hint = if first.starts_with('<') {
            " (it looks like HTML: is the server answering with an error page?)"
        } else if first.starts_with("-----BEGIN PGP") {
            " (it is another kind of OpenPGP block)"
        } else {
            ""
        };
        return format!(
            "{NOT_CLEARSIGNED}: no `{BEGIN_MESSAGE}` line; the file starts with {}{hint}",
            shown_line(&first)
        );
    }
    // Armor headers (`Hash: SHA256`) up to the empty line.
    let mut ended = false;
    for line in lines.by_ref() {
        if line.is_empty() {
            ended = true;
            break;
        }
        if !line.contains(": ") {
            return format!(
                "{NOT_CLEARSIGNED}: the armor header line {} is not `Name: value`, and no \
                 empty line separates the headers from the signed text",
                shown_line(&line)
            );
        }
    }
    if !ended {
        return format!("{NOT_CLEARSIGNED}: the file ends inside its armor headers (cut off?)");
    }
    if !lines.by_ref().any(|l| l == BEGIN_SIGNATURE) {
        return format!(
            "the signed text is not followed by a `{BEGIN_SIGNATURE}` line: the file is cut \
             off before its signature (a truncated download?)"
        );
    }
    if !lines.by_ref().any(|l| l == END_SIGNATURE) {
        return format!(
            "the signature block has no `{END_SIGNATURE}` line: the file is cut off inside \
             its signature (a truncated download?)"
        );
    }
    format!(
        "the signature block does not decode as OpenPGP signatures ({})",
        without_byte_dumps(&parser_error.to_string())
    )
}

/// A line for a message: quoted, control characters escaped, at most 60
/// characters.
fn shown_line(line: &str) -> String {
    let mut shown: String = line.chars().take(60).collect();
    if shown.len() < line.len() {
        shown.push('…');
    }
    format!("{:?}", shown)
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
