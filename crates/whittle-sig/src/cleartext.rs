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
    let parsed = parse(doc).map_err(|reason| SigError::Malformed {
        origin: origin.to_string(),
        reason,
    })?;
    // The text exactly as hashed: unescaped, trimmed, CRLF line endings.
    let signed = crlf(&unescape(parsed.body));
    let signer_fingerprint = keyring.check(parsed.msg.signatures(), signed.as_bytes(), origin)?;
    Ok(Verified {
        text: parsed.output_text(),
        signer_fingerprint,
    })
}

/// The text of a clearsigned document WITHOUT checking its signature, as
/// [`verify_cleartext`] would return it: only for `--ignore-signatures`,
/// which the caller must report loudly.
pub fn cleartext_unverified(doc: &[u8], origin: &str) -> Result<Vec<u8>, SigError> {
    let parsed = parse(doc).map_err(|reason| SigError::Malformed {
        origin: origin.to_string(),
        reason,
    })?;
    Ok(parsed.output_text())
}

/// A clearsigned document taken apart.
struct Parsed<'a> {
    /// The dash-escaped text as written, without the line break before the
    /// signature block.
    body: &'a str,
    /// That line break (`"\n"` or `"\r\n"`).
    last_eol: &'static str,
    /// The header and signature block as rpgp read them (its text empty).
    msg: CleartextSignedMessage,
}

impl Parsed<'_> {
    /// What gpgv writes: the unescaped text and the line ending before the
    /// signature block (not part of the signed text, but gpgv outputs it).
    fn output_text(&self) -> Vec<u8> {
        let mut text = unescape(self.body);
        if !text.is_empty() {
            text.push_str(self.last_eol);
        }
        text.into_bytes()
    }
}

/// Take `doc` apart, or say in words what is wrong with it.
///
/// The lines are split here, in one pass; rpgp reads the header and the
/// signature block with the text left out. (rpgp's own reader searches all
/// it has read again after each line of the text, which is quadratic: a
/// 1.2 MB document took 8.5 s, so a hostile mirror could stall a build.)
/// Where the text ends follows rpgp's rule: at the first line starting
/// with `-----`.
fn parse(doc: &[u8]) -> Result<Parsed<'_>, String> {
    let Some(split) = split(doc) else {
        return Err(diagnose(doc, None));
    };
    let body = std::str::from_utf8(&doc[split.head_end..split.body_end]).map_err(|e| {
        format!(
            "the signed text is not UTF-8 (at byte {})",
            split.head_end + e.valid_up_to()
        )
    })?;
    let mut shell = doc[..split.head_end].to_vec();
    shell.extend_from_slice(&doc[split.signature_start..]);
    let (msg, _headers) =
        CleartextSignedMessage::from_armor(&shell[..]).map_err(|e| diagnose(doc, Some(&e)))?;
    Ok(Parsed {
        body,
        last_eol: split.last_eol,
        msg,
    })
}

/// Where the parts of a clearsigned document are.
struct Split {
    /// End of the empty line after the armor headers.
    head_end: usize,
    /// End of the text (before the line break ahead of the signature).
    body_end: usize,
    /// Start of the first line after the headers that starts with `-----`.
    signature_start: usize,
    /// The line break between the text and that line.
    last_eol: &'static str,
}

/// Find the parts: the first line starting with `-----` (the header line),
/// the first blank line after it (spaces and tabs only: the end of the
/// armor headers), then the next line starting with `-----`.
fn split(doc: &[u8]) -> Option<Split> {
    let mut header_seen = false;
    let mut head_end = None;
    let mut pos = 0;
    while pos < doc.len() {
        let end = doc[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(doc.len(), |i| pos + i);
        let line = &doc[pos..end];
        let next = (end + 1).min(doc.len());
        match head_end {
            None if !header_seen => header_seen = line.starts_with(b"-----"),
            None => {
                let content = line.strip_suffix(b"\r").unwrap_or(line);
                if content.iter().all(|&b| b == b' ' || b == b'\t') && end < doc.len() {
                    head_end = Some(next);
                }
            }
            Some(head_end) if line.starts_with(b"-----") => {
                let (body_end, last_eol) = if pos == head_end {
                    (head_end, "\n")
                } else if pos >= head_end + 2 && doc[pos - 2] == b'\r' {
                    (pos - 2, "\r\n")
                } else {
                    (pos - 1, "\n")
                };
                return Some(Split {
                    head_end,
                    body_end,
                    signature_start: pos,
                    last_eol,
                });
            }
            Some(_) => {}
        }
        pos = next;
    }
    None
}

/// Line endings canonicalised to CRLF (RFC 4880 §7.1): each `\n`, with or
/// without a `\r` before it, becomes `\r\n`.
fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    for line in text.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(content) => {
                out.push_str(content.strip_suffix('\r').unwrap_or(content));
                out.push_str("\r\n");
            }
            None => out.push_str(line),
        }
    }
    out
}

const BEGIN_MESSAGE: &str = "-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE: &str = "-----BEGIN PGP SIGNATURE-----";
const END_SIGNATURE: &str = "-----END PGP SIGNATURE-----";

/// What is wrong with a document, in words: the layout of RFC 4880 §7
/// (header line, armor headers, empty line, text, signature block) is
/// checked line by line, and only when that finds nothing is rpgp's own
/// complaint given, with any raw byte dump it holds cut out.
fn diagnose(doc: &[u8], parser_error: Option<&pgp::errors::Error>) -> String {
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
    match lines.by_ref().find(|l| l.starts_with("-----")) {
        None => {
            return format!(
                "the signed text is not followed by a `{BEGIN_SIGNATURE}` line: the file is \
                 cut off before its signature (a truncated download?)"
            )
        }
        Some(l) if l != BEGIN_SIGNATURE => {
            return format!(
                "the signed text has a line {} where the signature block should start: a \
                 signed line starting with `-` must be dash-escaped (`- -`)",
                shown_line(&l)
            )
        }
        Some(_) => {}
    }
    if !lines.by_ref().any(|l| l == END_SIGNATURE) {
        return format!(
            "the signature block has no `{END_SIGNATURE}` line: the file is cut off inside \
             its signature (a truncated download?)"
        );
    }
    match parser_error {
        Some(e) => format!(
            "the header or signature block does not decode ({})",
            without_byte_dumps(&e.to_string())
        ),
        None => format!("{NOT_CLEARSIGNED}: its layout is not header, text, signature"),
    }
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
