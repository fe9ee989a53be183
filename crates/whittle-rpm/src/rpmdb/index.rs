//! The 18 secondary indexes of an rpmdb and the rows rpm puts in them
//! (rpm's `tag2index` and `td2key` in `lib/rpmdb.c`, 4.16–4.18).
//!
//! Each row is (key, hnum, idx): the key is one element of the tag's
//! value, idx its position in the array. Exceptions, checked against a
//! real CBL-Mariner 2.0 rpmdb: requires needed only while installing
//! (`rpmlib(…)`, `Requires(pre)`, `Requires(post)`, …) are left out; a
//! repeated trigger name is indexed once; file-trigger rows carry the
//! trigger's script index; a rich dependency is indexed whole and also
//! under each package name inside it; a package without a group is
//! indexed under `Unknown`.

use crate::header::{kind, Header};
use crate::tags;

const TRIGGERNAME: u32 = 1066;
const FILETRIGGERNAME: u32 = 5069;
const FILETRIGGERINDEX: u32 = 5070;
const TRANSFILETRIGGERNAME: u32 = 5079;
const TRANSFILETRIGGERINDEX: u32 = 5080;

// rpmds.h sense bits that make a require install-only (`isInstallPreReq`)
// or erase-time (`isErasePreReq`).
const INSTALL_ONLY_MASK: u32 =
    (1 << 9) | (1 << 10) | tags::SENSE_RPMLIB | (1 << 26) | (1 << 7) | (1 << 5);
const ERASE_ONLY_MASK: u32 = (1 << 11) | (1 << 12);

/// How an index table's keys are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyType {
    /// String tags: `key 'TEXT'`, with a key index.
    Text,
    /// Integer and binary tags: `key 'BLOB'`, no key index.
    Blob,
}

/// One secondary index table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IndexTable {
    /// Table name (rpm's `dbi_file`).
    pub(crate) name: &'static str,
    /// The header tag it indexes.
    pub(crate) tag: u32,
    /// Its key type.
    pub(crate) key: KeyType,
    /// Whether the tag is an array (rpm then adds an index on hnum).
    pub(crate) array: bool,
}

const fn table(name: &'static str, tag: u32, key: KeyType, array: bool) -> IndexTable {
    IndexTable {
        name,
        tag,
        key,
        array,
    }
}

/// rpm's `dbiTags` in order (after `Packages`).
pub(crate) const TABLES: [IndexTable; 18] = [
    table("Name", tags::NAME, KeyType::Text, false),
    table("Basenames", tags::BASENAMES, KeyType::Text, true),
    table("Group", tags::GROUP, KeyType::Text, false),
    table("Requirename", tags::REQUIRENAME, KeyType::Text, true),
    table("Providename", tags::PROVIDENAME, KeyType::Text, true),
    table("Conflictname", tags::CONFLICTNAME, KeyType::Text, true),
    table("Obsoletename", tags::OBSOLETENAME, KeyType::Text, true),
    table("Triggername", TRIGGERNAME, KeyType::Text, true),
    table("Dirnames", tags::DIRNAMES, KeyType::Text, true),
    table("Installtid", tags::INSTALLTID, KeyType::Blob, false),
    table("Sigmd5", tags::INSTALLED_SIGMD5, KeyType::Blob, false),
    table("Sha1header", tags::SHA1HEADER, KeyType::Text, false),
    table("Filetriggername", FILETRIGGERNAME, KeyType::Text, true),
    table(
        "Transfiletriggername",
        TRANSFILETRIGGERNAME,
        KeyType::Text,
        true,
    ),
    table("Recommendname", tags::RECOMMENDNAME, KeyType::Text, true),
    table("Suggestname", tags::SUGGESTNAME, KeyType::Text, true),
    table("Supplementname", tags::SUPPLEMENTNAME, KeyType::Text, true),
    table("Enhancename", tags::ENHANCENAME, KeyType::Text, true),
];

/// One index row of a package: (key bytes, idx).
pub(crate) type Row = (Vec<u8>, u32);

/// The rows rpm puts into `table` for header `h`, in insertion order.
pub(crate) fn rows(table: &IndexTable, h: &Header) -> Vec<Row> {
    let Some(entry) = h.entry(table.tag).copied() else {
        return if table.tag == tags::GROUP {
            vec![(b"Unknown".to_vec(), 0)]
        } else {
            Vec::new()
        };
    };
    let elements = elements(h, table.tag, entry.kind);
    let req_flags = match table.tag {
        tags::REQUIRENAME => h.ints(tags::REQUIREFLAGS),
        _ => Vec::new(),
    };
    let trigger_index = match table.tag {
        FILETRIGGERNAME => h.ints(FILETRIGGERINDEX),
        TRANSFILETRIGGERNAME => h.ints(TRANSFILETRIGGERINDEX),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for (i, key) in elements.iter().enumerate() {
        let idx = match table.tag {
            FILETRIGGERNAME | TRANSFILETRIGGERNAME => trigger_index
                .get(i)
                .map_or(i as u64, |v| *v)
                .try_into()
                .unwrap_or(u32::MAX),
            _ => u32::try_from(i).unwrap_or(u32::MAX),
        };
        match table.tag {
            tags::REQUIRENAME => {
                let flags = req_flags
                    .get(i)
                    .map_or(0, |f| u32::try_from(*f).unwrap_or(0));
                if flags & INSTALL_ONLY_MASK != 0 && flags & ERASE_ONLY_MASK == 0 {
                    continue;
                }
            }
            TRIGGERNAME if elements[..i].contains(key) => continue,
            _ => {}
        }
        out.push((key.clone(), idx));
        let rich_tag = matches!(
            table.tag,
            tags::REQUIRENAME
                | tags::CONFLICTNAME
                | tags::SUGGESTNAME
                | tags::SUPPLEMENTNAME
                | tags::RECOMMENDNAME
                | tags::ENHANCENAME
        );
        if rich_tag && entry.kind == kind::STRING_ARRAY && key.first() == Some(&b'(') {
            out.extend(rich_names(key).into_iter().map(|name| (name, idx)));
        }
    }
    out
}

/// The tag's elements as rpm's `td2key` makes keys of them: strings
/// without their NUL (an I18N string: the first, `C`, locale), integers
/// in the target's byte order (little-endian: every architecture Azure
/// Linux ships), a binary value whole.
fn elements(h: &Header, tag: u32, value_kind: u32) -> Vec<Vec<u8>> {
    match value_kind {
        kind::STRING | kind::STRING_ARRAY => {
            h.raw_strings(tag).into_iter().map(<[u8]>::to_vec).collect()
        }
        kind::I18NSTRING => h
            .raw_strings(tag)
            .into_iter()
            .take(1)
            .map(<[u8]>::to_vec)
            .collect(),
        kind::BIN => h.bin(tag).map(|b| vec![b.to_vec()]).unwrap_or_default(),
        kind::CHAR | kind::INT8 => h.ints(tag).iter().map(|v| vec![*v as u8]).collect(),
        kind::INT16 => h
            .ints(tag)
            .iter()
            .map(|v| (*v as u16).to_le_bytes().to_vec())
            .collect(),
        kind::INT32 => h
            .ints(tag)
            .iter()
            .map(|v| (*v as u32).to_le_bytes().to_vec())
            .collect(),
        kind::INT64 => h
            .ints(tag)
            .iter()
            .map(|v| v.to_le_bytes().to_vec())
            .collect(),
        _ => Vec::new(),
    }
}

/// The package names inside a rich dependency, as rpm's `updateRichDep`
/// indexes them: sorted, deduplicated, `rpmlib(…)` left out, names in a
/// condition (`if`/`unless`, inverted again after `else`) marked with a
/// leading `!`. A dependency rpm cannot parse adds nothing.
pub(crate) fn rich_names(dep: &[u8]) -> Vec<Vec<u8>> {
    let mut parser = RichParser {
        s: dep,
        at: 0,
        names: Vec::new(),
        negated: false,
    };
    if parser.expression(0).is_none() {
        return Vec::new();
    }
    let mut names = parser.names;
    names.sort();
    names.dedup();
    for name in &mut names {
        if name.first() == Some(&b' ') {
            name.remove(0);
        }
    }
    names
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    If,
    Unless,
    Else,
    With,
    Without,
}

struct RichParser<'a> {
    s: &'a [u8],
    at: usize,
    /// Names with a leading ' ' (plain) or '!' (negated).
    names: Vec<Vec<u8>>,
    negated: bool,
}

/// Deeper nesting than this is refused (rpm has no limit; a package
/// that nests this deep is hostile).
const MAX_DEPTH: usize = 64;

impl RichParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// `( operand op operand … )`, the parser at `(`.
    fn expression(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH || self.peek() != Some(b'(') {
            return None;
        }
        self.at += 1;
        let mut condition_start = self.names.len();
        let mut last: Option<Op> = None;
        loop {
            self.skip_space();
            if self.peek() == Some(b'(') {
                self.expression(depth + 1)?;
            } else {
                self.simple()?;
            }
            self.skip_space();
            if self.peek() == Some(b')') {
                self.at += 1;
                break;
            }
            let op = self.operator()?;
            match (last, op) {
                (None, _) => {}
                (Some(Op::If | Op::Unless), Op::Else) => {}
                (Some(prev), _) if prev == op && matches!(op, Op::And | Op::Or | Op::With) => {}
                _ => return None,
            }
            match op {
                Op::If | Op::Unless => {
                    condition_start = self.names.len();
                    self.negated = !self.negated;
                }
                Op::Else => {
                    let condition: Vec<Vec<u8>> = self.names[condition_start..]
                        .iter()
                        .map(|n| {
                            let mut n = n.clone();
                            n[0] = if n[0] == b'!' { b' ' } else { b'!' };
                            n
                        })
                        .collect();
                    self.names.extend(condition);
                    self.negated = !self.negated;
                }
                _ => {}
            }
            last = Some(op);
        }
        if matches!(last, Some(Op::If | Op::Unless)) {
            self.negated = !self.negated;
        }
        Some(())
    }

    fn operator(&mut self) -> Option<Op> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.at += 1;
        }
        Some(match &self.s[start..self.at] {
            b"and" => Op::And,
            b"or" => Op::Or,
            b"if" => Op::If,
            b"unless" => Op::Unless,
            b"else" => Op::Else,
            b"with" => Op::With,
            b"without" => Op::Without,
            _ => return None,
        })
    }

    /// `name [op evr]`.
    fn simple(&mut self) -> Option<()> {
        let start = self.at;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() || (c == b')' && depth == 0) {
                break;
            }
            match c {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            self.at += 1;
        }
        let name = &self.s[start..self.at];
        if name.is_empty() || depth != 0 {
            return None;
        }
        self.skip_space();
        let op_start = self.at;
        while self.peek().is_some_and(|c| matches!(c, b'<' | b'>' | b'=')) {
            self.at += 1;
        }
        if self.at > op_start {
            self.skip_space();
            let evr_start = self.at;
            while self
                .peek()
                .is_some_and(|c| !c.is_ascii_whitespace() && c != b')')
            {
                self.at += 1;
            }
            if self.at == evr_start {
                return None;
            }
        }
        if !name.starts_with(b"rpmlib(") {
            let mut marked = vec![if self.negated { b'!' } else { b' ' }];
            marked.extend_from_slice(name);
            self.names.push(marked);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dep: &str) -> Vec<String> {
        rich_names(dep.as_bytes())
            .into_iter()
            .map(|n| String::from_utf8(n).unwrap())
            .collect()
    }

    #[test]
    fn rich_dependencies_index_their_names() {
        assert_eq!(names("(a or b)"), ["a", "b"]);
        assert_eq!(
            names("(foo >= 1.0 and bar(x86-64))"),
            ["bar(x86-64)", "foo"]
        );
        assert_eq!(names("(a if b)"), ["a", "!b"]);
        assert_eq!(names("(a if b else c)"), ["a", "b", "c", "!b"]);
        assert_eq!(names("(a unless b)"), ["a", "!b"]);
        assert_eq!(names("((a or b) with c)"), ["a", "b", "c"]);
        assert_eq!(names("(a or rpmlib(X) or a)"), ["a"]);
        assert!(names("(a or b and c)").is_empty());
        assert!(names("(a or").is_empty());
        assert!(names("(a or b").is_empty());
    }
}
