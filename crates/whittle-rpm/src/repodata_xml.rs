//! A small streaming walk over repodata XML (quick-xml underneath), shared
//! by the `repomd`, `primary` and `filelists` readers: opens with their
//! attributes, closes with the element's text, bounded depth and text,
//! invalid UTF-8 replaced rather than refused.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::index_error::XmlError;

/// Deeper nesting is refused (repodata nests five levels).
const MAX_DEPTH: usize = 64;

/// Text of one element beyond this is dropped (descriptions and file
/// names are far shorter), so a hostile text node cannot grow a field.
pub(crate) const MAX_TEXT: usize = 1 << 20;

/// One step of the walk.
pub(crate) enum Step {
    /// An element opens (an empty element gives an `Open` and a `Close`).
    Open {
        /// Its local name (no namespace prefix).
        name: Vec<u8>,
        /// Its attributes: qualified name (`xml:base` stays so) and value.
        attrs: Vec<(Vec<u8>, String)>,
    },
    /// An element closes.
    Close {
        /// Its local name.
        name: Vec<u8>,
        /// The text directly inside it since its last child (trimmed).
        text: String,
    },
    /// The document ended cleanly.
    End,
}

/// The walker over one document.
pub(crate) struct Walker<R> {
    reader: Reader<R>,
    buf: Vec<u8>,
    stack: Vec<Vec<u8>>,
    text: String,
    pending_close: Option<Vec<u8>>,
}

impl<R: BufRead> Walker<R> {
    pub(crate) fn new(input: R) -> Self {
        Walker {
            reader: Reader::from_reader(input),
            buf: Vec::new(),
            stack: Vec::new(),
            text: String::new(),
            pending_close: None,
        }
    }

    /// How many elements are open.
    pub(crate) fn depth(&self) -> usize {
        self.stack.len()
    }

    /// The next open or close.
    pub(crate) fn next(&mut self) -> Result<Step, XmlError> {
        if let Some(name) = self.pending_close.take() {
            self.stack.pop();
            return Ok(Step::Close {
                name,
                text: String::new(),
            });
        }
        loop {
            self.buf.clear();
            let event = self
                .reader
                .read_event_into(&mut self.buf)
                .map_err(|source| XmlError::Syntax {
                    position: self.reader.error_position(),
                    source,
                })?;
            match event {
                Event::Start(_) | Event::Empty(_) if self.stack.len() >= MAX_DEPTH => {
                    return Err(XmlError::TooDeep { limit: MAX_DEPTH });
                }
                Event::Start(e) => {
                    let name = e.local_name().as_ref().to_vec();
                    self.stack.push(name.clone());
                    self.text.clear();
                    return Ok(Step::Open {
                        name,
                        attrs: attributes(&e),
                    });
                }
                Event::Empty(e) => {
                    let name = e.local_name().as_ref().to_vec();
                    self.stack.push(name.clone());
                    self.pending_close = Some(name.clone());
                    return Ok(Step::Open {
                        name,
                        attrs: attributes(&e),
                    });
                }
                Event::End(e) => {
                    self.stack.pop();
                    let text = self.text.trim().to_string();
                    self.text.clear();
                    return Ok(Step::Close {
                        name: e.local_name().as_ref().to_vec(),
                        text,
                    });
                }
                Event::Text(t) => push_bounded(&mut self.text, &String::from_utf8_lossy(&t)),
                Event::CData(t) => push_bounded(&mut self.text, &String::from_utf8_lossy(&t)),
                Event::GeneralRef(r) => {
                    let name = String::from_utf8_lossy(&r).into_owned();
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => push_bounded(&mut self.text, c.encode_utf8(&mut [0; 4])),
                        _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => push_bounded(&mut self.text, s),
                            None => push_bounded(&mut self.text, &format!("&{name};")),
                        },
                    }
                }
                Event::Eof => {
                    return match self.stack.last() {
                        Some(open) => Err(XmlError::Truncated {
                            open: String::from_utf8_lossy(open).into_owned(),
                        }),
                        None => Ok(Step::End),
                    };
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }

    /// Skip everything inside the element just opened (at `depth`).
    pub(crate) fn skip_to_depth(&mut self, depth: usize) -> Result<(), XmlError> {
        while self.depth() > depth {
            if let Step::End = self.next()? {
                break;
            }
        }
        Ok(())
    }
}

/// Append `s` to `text`, up to [`MAX_TEXT`] bytes in all.
fn push_bounded(text: &mut String, s: &str) {
    if text.len() < MAX_TEXT {
        let mut cut = s.len().min(MAX_TEXT - text.len());
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        text.push_str(&s[..cut]);
    }
}

/// The attributes of an element, values unescaped, invalid UTF-8 replaced.
fn attributes(e: &BytesStart<'_>) -> Vec<(Vec<u8>, String)> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .map(|a| {
            let raw = String::from_utf8_lossy(&a.value);
            let value = match quick_xml::escape::unescape(&raw) {
                Ok(Cow::Owned(s)) => s,
                _ => raw.into_owned(),
            };
            (a.key.as_ref().to_vec(), value)
        })
        .collect()
}

/// The value of attribute `key` (qualified name).
pub(crate) fn attr<'a>(attrs: &'a [(Vec<u8>, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k.as_slice() == key.as_bytes())
        .map(|(_, v)| v.as_str())
}
