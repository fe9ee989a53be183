//! deb822 control paragraphs, as in `Packages`, `Release`, `.sources`,
//! a `.deb`'s `control` file and the dpkg `status` database.
//!
//! A [`Paragraph`] keeps the exact text of every field, continuation lines
//! included, so [`Paragraph::to_text`] writes an unmodified paragraph back
//! byte for byte. The text of a paragraph is stored once; fields are byte
//! ranges into it, so parsing a whole `Packages` file costs two allocations
//! per paragraph.
//!
//! Syntax accepted (Debian Policy §5.1): paragraphs are separated by blank
//! lines (or lines of only spaces and tabs); a field starts at column 0 with
//! `Name:`; a line starting with a space or tab continues the previous
//! field; a line starting with `#` at column 0 is a comment and is dropped
//! (so [`Paragraph::to_text`] does not repeat comments).
//!
//! ```
//! use whittle_deb::control::parse_paragraphs;
//! let ps = parse_paragraphs("Package: a\nDescription: short\n long\n\nPackage: b\n").unwrap();
//! assert_eq!(ps.len(), 2);
//! assert_eq!(ps[0].get("description"), Some("short\n long"));
//! assert_eq!(ps[0].to_text(), "Package: a\nDescription: short\n long\n");
//! ```

use std::fmt;

/// Why a control text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// A line at column 0 has no `:` (or an empty field name).
    #[error("line {line}: expected `Name: value` but found {text:?}; a field line needs a name and a colon, a continuation line must start with a space")]
    NotAField {
        /// 1-based line number in the parsed text.
        line: usize,
        /// The offending line (shortened).
        text: String,
    },
    /// A continuation line (starting with a space or tab) before any field.
    #[error("line {line}: continuation line (starting with whitespace) before any field of the paragraph")]
    OrphanContinuation {
        /// 1-based line number in the parsed text.
        line: usize,
    },
    /// The same field appears twice in one paragraph.
    #[error(
        "line {line}: field {name:?} appears twice in one paragraph (first at line {first_line})"
    )]
    DuplicateField {
        /// The field name as written the second time.
        name: String,
        /// 1-based line of the second occurrence.
        line: usize,
        /// 1-based line of the first occurrence.
        first_line: usize,
    },
    /// [`Paragraph::parse_one`] found no paragraph or more than one.
    #[error("expected exactly one control paragraph, found {found}")]
    NotOneParagraph {
        /// How many paragraphs were found.
        found: usize,
    },
    /// A field name or value given to [`Paragraph::set`] is not valid deb822.
    #[error("invalid field {name:?}: {reason}")]
    InvalidField {
        /// The field name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The paragraph text exceeds the 4 GiB a paragraph may hold.
    #[error("line {line}: paragraph larger than 4 GiB")]
    TooLarge {
        /// 1-based line where the paragraph starts.
        line: usize,
    },
}

/// One field as byte ranges into the paragraph text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    /// Start of the field name.
    start: u32,
    /// Position of the `:` after the name.
    colon: u32,
    /// End of the value (before the final newline of its last line).
    end: u32,
    /// 1-based line number of the field's first line in the source text.
    line: u32,
}

/// One deb822 paragraph: fields in their original order with their exact text.
///
/// Two paragraphs are equal when they have the same fields, in the same
/// order, with the same text (where they were parsed from does not matter).
#[derive(Clone)]
pub struct Paragraph {
    text: String,
    fields: Vec<Span>,
}

impl fmt::Debug for Paragraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.fields()).finish()
    }
}

/// Trim spaces, tabs and carriage returns (what deb822 treats as insignificant
/// around a value).
fn trim_ws(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n')
}

fn is_blank_line(line: &[u8]) -> bool {
    line.iter().all(|&b| b == b' ' || b == b'\t' || b == b'\r')
}

fn shorten(line: &str) -> String {
    match line.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

impl Paragraph {
    /// An empty paragraph, to be filled with [`set`](Self::set).
    pub fn new() -> Self {
        Paragraph {
            text: String::new(),
            fields: Vec::new(),
        }
    }

    /// Parse text that must hold exactly one paragraph (a `.deb`'s `control`
    /// file, say).
    pub fn parse_one(text: &str) -> Result<Paragraph, ControlError> {
        let mut ps = parse_paragraphs(text)?;
        if ps.len() != 1 {
            return Err(ControlError::NotOneParagraph { found: ps.len() });
        }
        Ok(ps.remove(0))
    }

    fn name_of(&self, s: &Span) -> &str {
        &self.text[s.start as usize..s.colon as usize]
    }

    fn raw_of(&self, s: &Span) -> &str {
        &self.text[s.colon as usize + 1..s.end as usize]
    }

    fn span(&self, name: &str) -> Option<&Span> {
        self.fields
            .iter()
            .find(|s| self.name_of(s).eq_ignore_ascii_case(name))
    }

    /// The value of field `name` (matched case-insensitively), without the
    /// whitespace after the colon or at the end. Continuation lines stay as
    /// written (`"synopsis\n long text\n ."`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.span(name).map(|s| trim_ws(self.raw_of(s)))
    }

    /// The exact text after `Name:` up to the end of the field's last line,
    /// leading space and continuation lines included.
    pub fn get_raw(&self, name: &str) -> Option<&str> {
        self.span(name).map(|s| self.raw_of(s))
    }

    /// The 1-based line (in the text it was parsed from) where field `name`
    /// starts; `None` if absent or if the paragraph was built with
    /// [`set`](Self::set).
    pub fn line_of(&self, name: &str) -> Option<usize> {
        self.span(name)
            .and_then(|s| (s.line != 0).then_some(s.line as usize))
    }

    /// The 1-based line where the paragraph's first field starts (0 if the
    /// paragraph was built rather than parsed, or is empty).
    pub fn line(&self) -> usize {
        self.fields.first().map_or(0, |s| s.line as usize)
    }

    /// Whether field `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.span(name).is_some()
    }

    /// All fields in order as `(name, value)`, the value as [`get`](Self::get)
    /// returns it.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.fields
            .iter()
            .map(|s| (self.name_of(s), trim_ws(self.raw_of(s))))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the paragraph has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The paragraph as deb822 text: each field's original text followed by
    /// a newline, no trailing blank line. For a paragraph parsed from text
    /// without comments this is the original text, byte for byte.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1);
        self.write_text(&mut out);
        out
    }

    /// Append [`to_text`](Self::to_text) to `out` (for writing many
    /// paragraphs without intermediate strings).
    pub fn write_text(&self, out: &mut String) {
        for s in &self.fields {
            out.push_str(&self.text[s.start as usize..s.end as usize]);
            out.push('\n');
        }
    }

    /// Set field `name` to `value`: replaces the value in place if the field
    /// exists (keeping its position and its name's spelling), else appends
    /// it. `value` is written after `Name: `; a multi-line value must have
    /// its continuation lines start with a space (`"synopsis\n long"`).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ControlError> {
        let at = self
            .fields
            .iter()
            .position(|s| self.name_of(s).eq_ignore_ascii_case(name));
        match at {
            Some(i) => {
                let existing = self.name_of(&self.fields[i]).to_string();
                self.replace_at(i, &existing, value, false)
            }
            None => self.insert(self.fields.len(), name, value),
        }
    }

    /// Insert field `name: value` at position `index` (0 = first); fails if
    /// the field already exists or the name or value is not valid deb822.
    pub fn insert(&mut self, index: usize, name: &str, value: &str) -> Result<(), ControlError> {
        if self.contains(name) {
            return Err(ControlError::InvalidField {
                name: name.to_string(),
                reason: "the paragraph already has this field; use set() to replace it",
            });
        }
        self.replace_at(index.min(self.fields.len()), name, value, true)
    }

    /// Remove field `name`; returns whether it was present.
    pub fn remove(&mut self, name: &str) -> bool {
        let Some(i) = self
            .fields
            .iter()
            .position(|s| self.name_of(s).eq_ignore_ascii_case(name))
        else {
            return false;
        };
        let mut fields: Vec<(String, String)> = self.owned_fields();
        fields.remove(i);
        self.rebuild(fields.iter().map(|(n, r)| (n.as_str(), r.as_str())));
        true
    }

    fn owned_fields(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .map(|s| (self.name_of(s).to_string(), self.raw_of(s).to_string()))
            .collect()
    }

    fn replace_at(
        &mut self,
        index: usize,
        name: &str,
        value: &str,
        insert: bool,
    ) -> Result<(), ControlError> {
        validate_field(name, value)?;
        let mut fields = self.owned_fields();
        let raw = if value.is_empty() {
            String::new()
        } else {
            format!(" {value}")
        };
        if insert {
            fields.insert(index, (name.to_string(), raw));
        } else {
            fields[index] = (name.to_string(), raw);
        }
        self.rebuild(fields.iter().map(|(n, r)| (n.as_str(), r.as_str())));
        Ok(())
    }

    /// Rebuild text and spans from `(name, raw value)` pairs; line numbers
    /// are lost (set to 0).
    fn rebuild<'a>(&mut self, fields: impl Iterator<Item = (&'a str, &'a str)>) {
        let mut text = String::new();
        let mut spans = Vec::new();
        for (name, raw) in fields {
            let start = text.len();
            text.push_str(name);
            let colon = text.len();
            text.push(':');
            text.push_str(raw);
            let end = text.len();
            text.push('\n');
            // Paragraphs built by hand are small; saturate rather than fail.
            let to32 = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
            spans.push(Span {
                start: to32(start),
                colon: to32(colon),
                end: to32(end),
                line: 0,
            });
        }
        self.text = text;
        self.fields = spans;
    }
}

impl PartialEq for Paragraph {
    fn eq(&self, other: &Self) -> bool {
        self.fields.len() == other.fields.len()
            && self.fields.iter().zip(&other.fields).all(|(a, b)| {
                self.text[a.start as usize..a.end as usize]
                    == other.text[b.start as usize..b.end as usize]
                    && a.colon - a.start == b.colon - b.start
            })
    }
}

impl Eq for Paragraph {}

impl Default for Paragraph {
    fn default() -> Self {
        Paragraph::new()
    }
}

impl fmt::Display for Paragraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

fn validate_field(name: &str, value: &str) -> Result<(), ControlError> {
    let bad = |reason| {
        Err(ControlError::InvalidField {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("empty field name");
    }
    if name.starts_with('#') || name.starts_with('-') {
        return bad("a field name may not start with `#` or `-`");
    }
    if name
        .bytes()
        .any(|b| b == b':' || b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return bad("a field name may not contain `:`, whitespace or control characters");
    }
    let mut lines = value.split('\n');
    lines.next();
    for l in lines {
        if !(l.starts_with(' ') || l.starts_with('\t')) || is_blank_line(l.as_bytes()) {
            return bad("each continuation line of a value must start with a space and not be blank (write ` .` for an empty line)");
        }
    }
    Ok(())
}

/// Parse deb822 text into paragraphs (see the [module docs](self) for the syntax).
///
/// Errors name the 1-based line number in `text`.
pub fn parse_paragraphs(text: &str) -> Result<Vec<Paragraph>, ControlError> {
    let mut out = Vec::new();
    for p in Paragraphs::new(text) {
        out.push(p?);
    }
    Ok(out)
}

/// A lazy iterator over the paragraphs of a deb822 text; each item is a
/// [`Paragraph`] or the first error (after which iteration stops).
pub struct Paragraphs<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    failed: bool,
    /// Scratch: absolute `(start, colon, end, line)` of the current paragraph's fields.
    spans: Vec<(usize, usize, usize, usize)>,
}

impl<'a> Paragraphs<'a> {
    /// Iterate over the paragraphs of `text`.
    pub fn new(text: &'a str) -> Self {
        Paragraphs {
            text,
            pos: 0,
            line: 1,
            failed: false,
            spans: Vec::with_capacity(32),
        }
    }

    /// Number lines from `line` (for a text that is the later part of a
    /// file, so messages give the line in the whole file).
    pub(crate) fn starting_at_line(mut self, line: usize) -> Self {
        self.line = line;
        self
    }

    /// Scan the next paragraph into `self.spans`; returns its start and end
    /// offsets in the text, or `None` at the end.
    fn next_raw(&mut self) -> Result<Option<(usize, usize)>, ControlError> {
        let bytes = self.text.as_bytes();
        let len = bytes.len();
        let mut para_start: Option<usize> = None;
        let mut para_end = 0usize;
        self.spans.clear();
        while self.pos < len {
            let line_start = self.pos;
            let line_end =
                memchr::memchr(b'\n', &bytes[line_start..]).map_or(len, |i| line_start + i);
            let line_no = self.line;
            self.pos = (line_end + 1).min(len);
            if line_end < len {
                self.line += 1;
            }
            let line = &bytes[line_start..line_end];
            match line.first() {
                None | Some(b' ') | Some(b'\t') | Some(b'\r') if is_blank_line(line) => {
                    if para_start.is_some() {
                        break;
                    }
                }
                Some(b'#') => {}
                Some(b' ') | Some(b'\t') => {
                    let Some(last) = self.spans.last_mut() else {
                        return Err(ControlError::OrphanContinuation { line: line_no });
                    };
                    last.2 = line_end;
                    para_end = line_end;
                }
                _ => {
                    let colon = memchr::memchr(b':', line);
                    let Some(colon) = colon.filter(|&c| c > 0) else {
                        return Err(ControlError::NotAField {
                            line: line_no,
                            text: shorten(&self.text[line_start..line_end]),
                        });
                    };
                    let name = &line[..colon];
                    if memchr::memchr2(b' ', b'\t', name).is_some() {
                        return Err(ControlError::NotAField {
                            line: line_no,
                            text: shorten(&self.text[line_start..line_end]),
                        });
                    }
                    for &(s, c, _, l) in &self.spans {
                        if c - s == colon && bytes[s..c].eq_ignore_ascii_case(name) {
                            return Err(ControlError::DuplicateField {
                                name: self.text[line_start..line_start + colon].to_string(),
                                line: line_no,
                                first_line: l,
                            });
                        }
                    }
                    if para_start.is_none() {
                        para_start = Some(line_start);
                    }
                    self.spans
                        .push((line_start, line_start + colon, line_end, line_no));
                    para_end = line_end;
                }
            }
        }
        Ok(para_start.map(|start| (start, para_end)))
    }

    /// The next paragraph without copying it: its first line and its fields
    /// as `(name, value, line)`, the value trimmed as [`Paragraph::get`]
    /// trims it. For single-pass consumers such as the `Packages` parser.
    pub(crate) fn next_borrowed(&mut self) -> Result<Option<Borrowed<'a, '_>>, ControlError> {
        if self.next_raw()?.is_none() {
            return Ok(None);
        }
        Ok(Some(Borrowed {
            text: self.text,
            spans: &self.spans,
        }))
    }

    /// After an error, skip the rest of the paragraph it was found in (up
    /// to and including the next blank line), so a reader that sets
    /// malformed paragraphs aside can go on with the next one.
    pub(crate) fn skip_rest_of_paragraph(&mut self) {
        let bytes = self.text.as_bytes();
        let len = bytes.len();
        while self.pos < len {
            let line_start = self.pos;
            let line_end =
                memchr::memchr(b'\n', &bytes[line_start..]).map_or(len, |i| line_start + i);
            self.pos = (line_end + 1).min(len);
            if line_end < len {
                self.line += 1;
            }
            if is_blank_line(&bytes[line_start..line_end]) {
                break;
            }
        }
        self.failed = false;
    }

    /// A field of the paragraph being scanned when an error stopped it, if
    /// that field came before the error (to name the paragraph's package).
    pub(crate) fn partial_field(&self, name: &str) -> Option<&'a str> {
        let text = self.text;
        self.spans
            .iter()
            .find(|&&(s, c, _, _)| text[s..c].eq_ignore_ascii_case(name))
            .map(|&(_, c, e, _)| trim_ws(&text[c + 1..e]))
    }

    fn next_paragraph(&mut self) -> Result<Option<Paragraph>, ControlError> {
        let Some((start, para_end)) = self.next_raw()? else {
            return Ok(None);
        };
        // Rebase the absolute offsets on the paragraph's text.
        let first_line = self.spans.first().map_or(0, |s| s.3);
        let rel = |v: usize| to_u32(v - start, first_line);
        let mut fields = Vec::with_capacity(self.spans.len());
        for &(s, c, e, l) in &self.spans {
            fields.push(Span {
                start: rel(s)?,
                colon: rel(c)?,
                end: rel(e)?,
                line: u32::try_from(l).unwrap_or(u32::MAX),
            });
        }
        Ok(Some(Paragraph {
            text: self.text[start..para_end].to_string(),
            fields,
        }))
    }
}

/// A paragraph scanned by [`Paragraphs::next_borrowed`], borrowing the
/// source text.
pub(crate) struct Borrowed<'a, 's> {
    text: &'a str,
    spans: &'s [(usize, usize, usize, usize)],
}

impl<'a> Borrowed<'a, '_> {
    /// The 1-based line of the paragraph's first field.
    pub(crate) fn line(&self) -> usize {
        self.spans.first().map_or(0, |s| s.3)
    }

    /// The fields as `(name, value, line)`, the value trimmed as
    /// [`Paragraph::get`] trims it.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&'a str, &'a str, usize)> + '_ {
        let text = self.text;
        self.spans
            .iter()
            .map(move |&(s, c, e, l)| (&text[s..c], trim_ws(&text[c + 1..e]), l))
    }
}

fn to_u32(v: usize, line: usize) -> Result<u32, ControlError> {
    u32::try_from(v).map_err(|_| ControlError::TooLarge { line })
}

impl Iterator for Paragraphs<'_> {
    type Item = Result<Paragraph, ControlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_paragraph() {
            Ok(p) => p.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrips_and_gets() {
        let text = "Package: x\nVersion: 1.0\nDescription: syn\n long\n .\n more\nTag: a,\n\tb\n";
        let p = Paragraph::parse_one(text).unwrap();
        assert_eq!(p.to_text(), text);
        assert_eq!(p.get("VERSION"), Some("1.0"));
        assert_eq!(p.get_raw("version"), Some(" 1.0"));
        assert_eq!(p.get("description"), Some("syn\n long\n .\n more"));
        assert_eq!(p.get("tag"), Some("a,\n\tb"));
        assert_eq!(p.line_of("Tag"), Some(7));
        assert_eq!(p.len(), 4);
    }
}
