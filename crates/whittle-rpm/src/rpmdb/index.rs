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
use crate::rich::{parse_expr, RichExpr};
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
    let Ok(expr) = std::str::from_utf8(dep)
        .map_err(drop)
        .and_then(|t| parse_expr(t).map_err(drop))
    else {
        return Vec::new();
    };
    let mut names = Vec::new();
    collect_names(&expr, false, &mut names);
    names.sort();
    names.dedup();
    for name in &mut names {
        if name.first() == Some(&b' ') {
            name.remove(0);
        }
    }
    names
}

/// Every name of `expr`, with a leading ' ' (plain) or '!' (in a
/// condition, flipped again inside a nested one).
fn collect_names(expr: &RichExpr, negated: bool, out: &mut Vec<Vec<u8>>) {
    match expr {
        RichExpr::Dep(req) => {
            if !req.name.starts_with("rpmlib(") {
                let mut marked = vec![if negated { b'!' } else { b' ' }];
                marked.extend_from_slice(req.name.as_bytes());
                out.push(marked);
            }
        }
        RichExpr::And(parts) | RichExpr::Or(parts) | RichExpr::With(parts) => {
            for p in parts {
                collect_names(p, negated, out);
            }
        }
        RichExpr::Without(a, b) => {
            collect_names(a, negated, out);
            collect_names(b, negated, out);
        }
        RichExpr::If(then, condition, otherwise) | RichExpr::Unless(then, condition, otherwise) => {
            collect_names(then, negated, out);
            let start = out.len();
            collect_names(condition, !negated, out);
            if let Some(otherwise) = otherwise {
                // After `else` rpm adds the condition's names once more,
                // inverted, then reads the else branch unnegated.
                let inverted: Vec<Vec<u8>> = out[start..]
                    .iter()
                    .map(|n| {
                        let mut n = n.clone();
                        n[0] = if n[0] == b'!' { b' ' } else { b'!' };
                        n
                    })
                    .collect();
                out.extend(inverted);
                collect_names(otherwise, negated, out);
            }
        }
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
