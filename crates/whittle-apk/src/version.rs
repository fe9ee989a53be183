//! APK version strings: validation, ordering and apk's fuzzy (`~`) match.
//! Follows apk-tools' version grammar
//! `N(.N)*[a-z]?(_suffix[N])*[~hash][-rN]` and its token-by-token comparison.

use std::cmp::Ordering;

use whittle_model::{Op, VersionScheme};

/// The version rules of apk-tools, for the solver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApkVersionScheme;

impl VersionScheme for ApkVersionScheme {
    fn compare(&self, a: &str, b: &str) -> Ordering {
        compare(a, b)
    }

    /// Relations compare as [`compare`]; [`Op::Prefix`] is apk's fuzzy match
    /// (`~3.6` matches `3.6`, `3.6.9`, `3.6_pre1`, not `3.60` or `3.8`).
    fn matches(&self, version: &str, op: Op, wanted: &str) -> bool {
        if op == Op::Prefix {
            return fuzzy_matches(version, wanted);
        }
        let ord = compare(version, wanted);
        match op {
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Eq => ord == Ordering::Equal,
            Op::Ge => ord != Ordering::Less,
            Op::Gt => ord == Ordering::Greater,
            Op::Prefix => false,
        }
    }
}

/// Kinds of version tokens, in the order apk-tools ranks them: when two
/// versions agree up to the point where their token kinds differ, the one
/// whose next token ranks *lower* here is the greater version (more
/// components), except for pre-release suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks: pre-release suffixes sort below "no suffix", the rest above.
const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
/// Rank of "no suffix" among [`SUFFIXES`] (everything below is a pre-release).
const SUFFIX_NONE: usize = 4;

fn suffix_rank(s: &str) -> Option<usize> {
    let i = SUFFIXES.iter().position(|x| *x == s)?;
    Some(if i < SUFFIX_NONE { i } else { i + 1 })
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    /// The token's text (digits, letter, suffix word or hash).
    text: &'a str,
    /// Suffix rank for [`Kind::Suffix`].
    suffix: usize,
}

struct Tokenizer<'a> {
    rest: &'a str,
    last: Kind,
}

fn take_while(s: &str, f: impl Fn(u8) -> bool) -> (&str, &str) {
    let n = s.bytes().take_while(|b| f(*b)).count();
    s.split_at(n)
}

impl<'a> Tokenizer<'a> {
    fn new(s: &'a str) -> Self {
        Tokenizer {
            rest: s,
            last: Kind::InitialDigit,
        }
    }

    fn token(&mut self, kind: Kind, text: &'a str, suffix: usize) -> Token<'a> {
        self.last = kind;
        Token { kind, text, suffix }
    }

    fn invalid(&mut self) -> Token<'a> {
        self.rest = "";
        self.token(Kind::Invalid, "", 0)
    }

    fn digits(&mut self, kind: Kind) -> Token<'a> {
        let (d, rest) = take_while(self.rest, |b| b.is_ascii_digit());
        if d.is_empty() {
            return self.invalid();
        }
        self.rest = rest;
        self.token(kind, d, 0)
    }

    fn first(&mut self) -> Token<'a> {
        self.digits(Kind::InitialDigit)
    }

    fn next_token(&mut self) -> Token<'a> {
        let Some(&c) = self.rest.as_bytes().first() else {
            return self.token(Kind::End, "", 0);
        };
        match c {
            b'a'..=b'z' => {
                if self.last > Kind::Digit {
                    return self.invalid();
                }
                let (l, rest) = self.rest.split_at(1);
                self.rest = rest;
                self.token(Kind::Letter, l, 0)
            }
            b'.' => {
                if self.last > Kind::Digit {
                    return self.invalid();
                }
                self.rest = &self.rest[1..];
                self.digits(Kind::Digit)
            }
            b'_' => {
                if self.last > Kind::SuffixNo {
                    return self.invalid();
                }
                let (word, rest) = take_while(&self.rest[1..], |b| b.is_ascii_lowercase());
                let Some(rank) = suffix_rank(word) else {
                    return self.invalid();
                };
                self.rest = rest;
                self.token(Kind::Suffix, word, rank)
            }
            b'0'..=b'9' => {
                if self.last != Kind::Suffix {
                    return self.invalid();
                }
                self.digits(Kind::SuffixNo)
            }
            b'~' => {
                if self.last >= Kind::CommitHash {
                    return self.invalid();
                }
                let (hash, rest) = take_while(&self.rest[1..], |b| b.is_ascii_hexdigit());
                if hash.is_empty() {
                    return self.invalid();
                }
                self.rest = rest;
                self.token(Kind::CommitHash, hash, 0)
            }
            b'-' => {
                if self.last >= Kind::RevisionNo {
                    return self.invalid();
                }
                let Some(rest) = self.rest.strip_prefix("-r") else {
                    return self.invalid();
                };
                self.rest = rest;
                self.digits(Kind::RevisionNo)
            }
            _ => self.invalid(),
        }
    }
}

/// Compare two digit strings as unbounded non-negative integers.
fn cmp_numeric(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn cmp_tokens(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        // A component with a leading zero compares as a string (Gentoo rule).
        Kind::Digit if a.text.starts_with('0') || b.text.starts_with('0') => {
            a.text.as_bytes().cmp(b.text.as_bytes())
        }
        Kind::Digit | Kind::InitialDigit | Kind::SuffixNo | Kind::RevisionNo => {
            cmp_numeric(a.text, b.text)
        }
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.text.as_bytes().cmp(b.text.as_bytes()),
    }
}

/// Compare, with `fuzzy` meaning "b is a prefix of a counts as equal".
fn compare_inner(a: &str, b: &str, fuzzy: bool) -> Ordering {
    let (mut ta, mut tb) = (Tokenizer::new(a), Tokenizer::new(b));
    let (mut xa, mut xb) = (ta.first(), tb.first());
    while xa.kind == xb.kind && xa.kind < Kind::End {
        let ord = cmp_tokens(&xa, &xb);
        if ord != Ordering::Equal {
            return ord;
        }
        xa = ta.next_token();
        xb = tb.next_token();
    }
    if xa.kind == xb.kind {
        return Ordering::Equal;
    }
    if fuzzy && xb.kind == Kind::End {
        return Ordering::Equal;
    }
    // Equal so far: the longer version is greater, unless what it has more
    // of is a pre-release suffix.
    if xa.kind == Kind::Suffix && xa.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if xb.kind == Kind::Suffix && xb.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    // A token kind ranked lower means "more version follows".
    xb.kind.cmp(&xa.kind)
}

/// Order two APK versions as apk-tools does (`1.2_rc1 < 1.2 < 1.2_p1 < 1.2-r1`).
/// Invalid versions still get a total, deterministic order.
pub fn compare(a: &str, b: &str) -> Ordering {
    compare_inner(a, b, false)
}

/// apk's fuzzy match (`name~wanted`): `version` equals `wanted` in every
/// component `wanted` has (`3.6.9 ~ 3.6`, `3.6_pre1 ~ 3.6`, but not `3.60`).
pub fn fuzzy_matches(version: &str, wanted: &str) -> bool {
    compare_inner(version, wanted, true) == Ordering::Equal
}

/// Whether `v` follows the apk version grammar.
pub fn is_valid(v: &str) -> bool {
    let mut t = Tokenizer::new(v);
    let mut x = t.first();
    loop {
        match x.kind {
            Kind::End => return true,
            Kind::Invalid => return false,
            _ => x = t.next_token(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(compare("1.2_rc1", "1.2"), Ordering::Less);
        assert_eq!(compare("1.2_p1", "1.2"), Ordering::Greater);
        assert_eq!(compare("1.2-r1", "1.2_p1"), Ordering::Less);
        assert_eq!(compare("1.10", "1.9"), Ordering::Greater);
        assert!(fuzzy_matches("3.6.9", "3.6"));
        assert!(!fuzzy_matches("3.60", "3.6"));
        assert!(is_valid("1.0~1234abcd-r1"));
        assert!(!is_valid("1.0bc"));
    }
}
