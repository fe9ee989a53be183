//! License expressions: a rough SPDX expression parser that rewrites what it is
//! given into something SPDX validators accept.
//!
//! * Identifiers on the SPDX License List are kept (in their canonical case).
//! * Deprecated and Debian (DEP-5) spellings of the GNU licenses are rewritten:
//!   `GPL-2+` and `GPL-2.0+` become `GPL-2.0-or-later`, `LGPL-2.1` becomes
//!   `LGPL-2.1-only`, `Expat` becomes `MIT`, and so on.
//! * Anything else becomes a `LicenseRef-…` identifier, recorded so the
//!   document can list it in `hasExtractedLicensingInfos` (a `LicenseRef` used
//!   in an expression must be declared there).
//! * Text that does not parse as an expression at all becomes one `LicenseRef`
//!   holding the whole text; empty text becomes `NOASSERTION`.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use crate::license_list::{EXCEPTIONS, LICENSES};

/// A non-SPDX license referenced from some expression in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtractedLicense {
    /// `LicenseRef-…`.
    pub id: String,
    /// The name as the package declared it.
    pub name: String,
    /// The "extracted text": whatever text the package declared; whittle has
    /// no license file text, so this is the declared name or expression.
    pub text: String,
}

/// The `LicenseRef`s used by a document, unique by identifier.
#[derive(Debug, Default)]
pub(crate) struct LicenseRefs {
    /// Keyed by the lowercased identifier, so that two references differing
    /// only in case never coexist.
    by_id: BTreeMap<String, ExtractedLicense>,
}

impl LicenseRefs {
    /// Register `text` under `LicenseRef-<base>` and return the identifier used.
    /// Different texts that sanitize to the same identifier get a hash suffix.
    fn intern(&mut self, base: &str, name: &str, text: &str) -> String {
        let mut id = format!("LicenseRef-{base}");
        loop {
            match self.by_id.get(&id.to_ascii_lowercase()) {
                Some(existing) if existing.text == text => return existing.id.clone(),
                Some(_) => id = format!("{id}-{}", short_hash(text)),
                None => break,
            }
        }
        self.by_id.insert(
            id.to_ascii_lowercase(),
            ExtractedLicense {
                id: id.clone(),
                name: name.to_string(),
                text: text.to_string(),
            },
        );
        id
    }

    /// The registered licenses, sorted by identifier.
    pub fn into_sorted(self) -> Vec<ExtractedLicense> {
        let mut v: Vec<_> = self.by_id.into_values().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}

/// First 8 hex digits of the SHA-256 of `s`.
fn short_hash(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    hex::encode(&digest[..4])
}

/// Turn a declared license expression into one that validates, registering
/// any `LicenseRef`s it needs in `refs`. `None` or blank → `NOASSERTION`.
pub(crate) fn normalize(declared: Option<&str>, refs: &mut LicenseRefs) -> String {
    let Some(text) = declared.map(str::trim).filter(|t| !t.is_empty()) else {
        return "NOASSERTION".to_string();
    };
    if text == "NOASSERTION" || text == "NONE" {
        return text.to_string();
    }
    match parse(text) {
        Some(expr) => render(&resolve(expr, refs), true),
        None => {
            let base = sanitize(text);
            let base = if base.len() > 60 {
                let cut = base.char_indices().nth(48).map_or(base.len(), |(i, _)| i);
                format!("{}-{}", &base[..cut], short_hash(text))
            } else {
                base
            };
            refs.intern(&base, text, text)
        }
    }
}

/// Keep `[A-Za-z0-9.-]`; `+` becomes `-plus`; anything else becomes `-`.
fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '-' => out.push(c),
            '+' => out.push_str("-plus"),
            _ => out.push('-'),
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "unknown".to_string()
    } else {
        out
    }
}

// ---------------------------------------------------------------------------
// Parsing.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    With,
    Id(String),
}

fn lex(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            chars.next();
            tokens.push(Token::Open);
        } else if c == ')' {
            chars.next();
            tokens.push(Token::Close);
        } else if c.is_ascii_alphanumeric() || "._-+:".contains(c) {
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if c.is_ascii_alphanumeric() || "._-+:".contains(c) {
                    end = i + c.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let word = &text[start..end];
            tokens.push(match word.to_ascii_uppercase().as_str() {
                "AND" => Token::And,
                "OR" => Token::Or,
                "WITH" => Token::With,
                _ => Token::Id(word.to_string()),
            });
        } else {
            return None;
        }
    }
    Some(tokens)
}

/// A parsed (not yet resolved) expression.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    /// A license identifier, and the exception it is `WITH`, if any.
    Simple(String, Option<String>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or_expr(&mut self) -> Option<Expr> {
        let mut terms = vec![self.and_expr()?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            terms.push(self.and_expr()?);
        }
        Some(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and_expr(&mut self) -> Option<Expr> {
        let mut terms = vec![self.with_expr()?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            terms.push(self.with_expr()?);
        }
        Some(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn with_expr(&mut self) -> Option<Expr> {
        match self.next()? {
            Token::Open => {
                let inner = self.or_expr()?;
                (self.next()? == Token::Close).then_some(inner)
            }
            Token::Id(id) => {
                if self.peek() == Some(&Token::With) {
                    self.pos += 1;
                    match self.next()? {
                        Token::Id(exception) => Some(Expr::Simple(id, Some(exception))),
                        _ => None,
                    }
                } else {
                    Some(Expr::Simple(id, None))
                }
            }
            _ => None,
        }
    }
}

fn parse(text: &str) -> Option<Expr> {
    let mut parser = Parser {
        tokens: lex(text)?,
        pos: 0,
    };
    let expr = parser.or_expr()?;
    (parser.pos == parser.tokens.len()).then_some(expr)
}

// ---------------------------------------------------------------------------
// Resolution against the SPDX License List.

/// Case-insensitive lookup in a list sorted by lowercased identifier.
fn lookup(list: &'static [&'static str], id: &str) -> Option<&'static str> {
    let key = id.to_ascii_lowercase();
    list.binary_search_by(|probe| probe.to_ascii_lowercase().cmp(&key))
        .ok()
        .and_then(|i| list.get(i).copied())
}

/// Deprecated identifiers and other common spellings that map to a license,
/// optionally with an exception. (The GNU `-only`/`-or-later` family is handled
/// by [`gnu_family`].)
const ALIASES: &[(&str, &str, Option<&str>)] = &[
    ("Expat", "MIT", None),
    ("BSD-2-Clause-FreeBSD", "BSD-2-Clause-Views", None),
    ("BSD-2-Clause-NetBSD", "BSD-2-Clause", None),
    ("StandardML-NJ", "SMLNJ", None),
    ("bzip2-1.0.5", "bzip2-1.0.6", None),
    (
        "GPL-2.0-with-autoconf-exception",
        "GPL-2.0-only",
        Some("Autoconf-exception-2.0"),
    ),
    (
        "GPL-2.0-with-bison-exception",
        "GPL-2.0-only",
        Some("Bison-exception-2.2"),
    ),
    (
        "GPL-2.0-with-classpath-exception",
        "GPL-2.0-only",
        Some("Classpath-exception-2.0"),
    ),
    (
        "GPL-2.0-with-font-exception",
        "GPL-2.0-only",
        Some("Font-exception-2.0"),
    ),
    (
        "GPL-2.0-with-GCC-exception",
        "GPL-2.0-only",
        Some("GCC-exception-2.0"),
    ),
    (
        "GPL-3.0-with-autoconf-exception",
        "GPL-3.0-only",
        Some("Autoconf-exception-3.0"),
    ),
    (
        "GPL-3.0-with-GCC-exception",
        "GPL-3.0-only",
        Some("GCC-exception-3.1"),
    ),
    ("eCos-2.0", "GPL-2.0-or-later", Some("eCos-exception-2.0")),
];

/// Deprecated exception identifiers.
const EXCEPTION_ALIASES: &[(&str, &str)] = &[("Nokia-Qt-exception-1.1", "Qt-LGPL-exception-1.1")];

/// `GPL-2`, `GPL-2.0`, `GPL-2+`, `LGPL-2.1+`, `AGPL-3.0`, `GFDL-1.3+` … →
/// the `-only` / `-or-later` identifier, if that is on the list.
fn gnu_family(id: &str) -> Option<&'static str> {
    let (body, later) = match id.strip_suffix('+') {
        Some(b) => (b, true),
        None => (id, false),
    };
    let upper = body.to_ascii_uppercase();
    let prefix = ["AGPL-", "LGPL-", "GPL-", "GFDL-"]
        .into_iter()
        .find(|p| upper.starts_with(p))?;
    let version = &body[prefix.len()..];
    let (major, minor) = version.split_once('.').unwrap_or((version, "0"));
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(major) || !numeric(minor) {
        return None;
    }
    let suffix = if later { "or-later" } else { "only" };
    lookup(LICENSES, &format!("{prefix}{major}.{minor}-{suffix}"))
}

/// A resolved simple term.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// On the list, with an optional listed exception.
    Listed(&'static str, Option<&'static str>),
    /// A `LicenseRef-…` registered in the document.
    Ref(String),
}

/// Resolve a license identifier (without an explicit exception) if possible.
fn resolve_listed(id: &str) -> Option<(&'static str, Option<&'static str>)> {
    if let Some(l) = lookup(LICENSES, id) {
        return Some((l, None));
    }
    if let Some(l) = gnu_family(id) {
        return Some((l, None));
    }
    if let Some(&(_, l, e)) = ALIASES.iter().find(|(a, _, _)| a.eq_ignore_ascii_case(id)) {
        return Some((lookup(LICENSES, l)?, e.and_then(|e| lookup(EXCEPTIONS, e))));
    }
    // `X+` for a listed X: "this version or any later one".
    let base = id.strip_suffix('+')?;
    let (l, None) = resolve_listed(base)? else {
        return None;
    };
    let stem = l.strip_suffix("-only").unwrap_or(l);
    if stem.ends_with("-or-later") {
        return Some((l, None));
    }
    lookup(LICENSES, &format!("{stem}-or-later")).map(|l| (l, None))
}

fn resolve_exception(id: &str) -> Option<&'static str> {
    lookup(EXCEPTIONS, id).or_else(|| {
        EXCEPTION_ALIASES
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(id))
            .and_then(|(_, e)| lookup(EXCEPTIONS, e))
    })
}

fn unlisted(text: &str, refs: &mut LicenseRefs) -> Term {
    let rest = match text.get(..11) {
        Some(p) if p.eq_ignore_ascii_case("LicenseRef-") => &text[11..],
        _ => text,
    };
    Term::Ref(refs.intern(&sanitize(rest), text, text))
}

/// A resolved expression.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolved {
    Term(Term),
    And(Vec<Resolved>),
    Or(Vec<Resolved>),
}

fn resolve(expr: Expr, refs: &mut LicenseRefs) -> Resolved {
    match expr {
        Expr::Simple(id, None) => Resolved::Term(match resolve_listed(&id) {
            Some((l, e)) => Term::Listed(l, e),
            None => unlisted(&id, refs),
        }),
        Expr::Simple(id, Some(exception)) => {
            match (resolve_listed(&id), resolve_exception(&exception)) {
                (Some((l, None)), Some(e)) => Resolved::Term(Term::Listed(l, Some(e))),
                // An unknown exception (SPDX 2.3 has no AdditionRef), an
                // unknown license, or a second exception: keep the whole
                // `L WITH E` as one LicenseRef.
                _ => Resolved::Term(unlisted(&format!("{id} WITH {exception}"), refs)),
            }
        }
        Expr::And(terms) => Resolved::And(terms.into_iter().map(|t| resolve(t, refs)).collect()),
        Expr::Or(terms) => Resolved::Or(terms.into_iter().map(|t| resolve(t, refs)).collect()),
    }
}

fn render(expr: &Resolved, top: bool) -> String {
    match expr {
        Resolved::Term(Term::Listed(l, None)) => (*l).to_string(),
        Resolved::Term(Term::Listed(l, Some(e))) => format!("{l} WITH {e}"),
        Resolved::Term(Term::Ref(r)) => r.clone(),
        Resolved::And(terms) => terms
            .iter()
            .map(|t| render(t, false))
            .collect::<Vec<_>>()
            .join(" AND "),
        Resolved::Or(terms) => {
            let s = terms
                .iter()
                .map(|t| render(t, true))
                .collect::<Vec<_>>()
                .join(" OR ");
            if top {
                s
            } else {
                format!("({s})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> (String, Vec<ExtractedLicense>) {
        let mut refs = LicenseRefs::default();
        let out = normalize(Some(s), &mut refs);
        (out, refs.into_sorted())
    }

    #[test]
    fn lists_are_sorted_for_binary_search() {
        for list in [LICENSES, EXCEPTIONS] {
            for pair in list.windows(2) {
                assert!(
                    pair[0].to_ascii_lowercase() < pair[1].to_ascii_lowercase(),
                    "{pair:?}"
                );
            }
        }
        assert_eq!(lookup(LICENSES, "mit"), Some("MIT"));
        assert_eq!(lookup(LICENSES, "0BSD"), Some("0BSD"));
        assert_eq!(lookup(LICENSES, "zlib"), Some("Zlib"));
        assert_eq!(lookup(EXCEPTIONS, "llvm-exception"), Some("LLVM-exception"));
        assert_eq!(lookup(LICENSES, "Custom-License"), None);
    }

    #[test]
    fn listed_expressions_are_kept() {
        for (input, want) in [
            (
                "GPL-2.0-or-later AND LGPL-2.1-only",
                "GPL-2.0-or-later AND LGPL-2.1-only",
            ),
            ("mit", "MIT"),
            ("MIT or Apache-2.0", "MIT OR Apache-2.0"),
            (
                "(MIT OR Apache-2.0) AND Zlib",
                "(MIT OR Apache-2.0) AND Zlib",
            ),
            ("MIT OR Apache-2.0 AND Zlib", "MIT OR Apache-2.0 AND Zlib"),
            ("((MIT))", "MIT"),
            (
                "Apache-2.0 WITH LLVM-exception",
                "Apache-2.0 WITH LLVM-exception",
            ),
            (
                "GPL-2.0 WITH Classpath-exception-2.0",
                "GPL-2.0-only WITH Classpath-exception-2.0",
            ),
            ("NOASSERTION", "NOASSERTION"),
            ("NONE", "NONE"),
        ] {
            let (out, refs) = norm(input);
            assert_eq!(out, want, "{input}");
            assert!(refs.is_empty(), "{input}: {refs:?}");
        }
    }

    #[test]
    fn deprecated_and_dep5_spellings() {
        for (input, want) in [
            ("GPL-2+", "GPL-2.0-or-later"),
            ("GPL-2", "GPL-2.0-only"),
            ("GPL-2.0+", "GPL-2.0-or-later"),
            ("gpl-3.0", "GPL-3.0-only"),
            ("LGPL-2.1+", "LGPL-2.1-or-later"),
            ("LGPL-2", "LGPL-2.0-only"),
            ("AGPL-3+", "AGPL-3.0-or-later"),
            ("GFDL-1.3+", "GFDL-1.3-or-later"),
            ("GPL-2.0-only+", "GPL-2.0-or-later"),
            ("Expat", "MIT"),
            (
                "GPL-2.0-with-classpath-exception",
                "GPL-2.0-only WITH Classpath-exception-2.0",
            ),
            (
                "GPL-3+ or Artistic-1.0-Perl",
                "GPL-3.0-or-later OR Artistic-1.0-Perl",
            ),
        ] {
            let (out, refs) = norm(input);
            assert_eq!(out, want, "{input}");
            assert!(refs.is_empty(), "{input}: {refs:?}");
        }
    }

    #[test]
    fn unlisted_become_license_refs() {
        let (out, refs) = norm("Custom-License");
        assert_eq!(out, "LicenseRef-Custom-License");
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].id, "LicenseRef-Custom-License");
        assert_eq!(refs[0].text, "Custom-License");

        let (out, refs) = norm("MIT AND public-domain");
        assert_eq!(out, "MIT AND LicenseRef-public-domain");
        assert_eq!(refs.len(), 1);

        let (out, refs) = norm("LicenseRef-Acme");
        assert_eq!(out, "LicenseRef-Acme");
        assert_eq!(refs[0].id, "LicenseRef-Acme");

        let (out, _) = norm("Foo+");
        assert_eq!(out, "LicenseRef-Foo-plus");

        let (out, refs) = norm("MIT WITH Foo-exception");
        assert_eq!(out, "LicenseRef-MIT-WITH-Foo-exception");
        assert_eq!(refs[0].text, "MIT WITH Foo-exception");

        // Not an expression at all.
        let (out, refs) = norm("GPL, see /usr/share/common-licenses/GPL");
        assert_eq!(out, "LicenseRef-GPL--see--usr-share-common-licenses-GPL");
        assert_eq!(refs[0].text, "GPL, see /usr/share/common-licenses/GPL");
        for bad in ["MIT AND", "(MIT", "MIT)", "AND", "MIT WITH (X)", "MIT MIT"] {
            let (out, refs) = norm(bad);
            assert!(out.starts_with("LicenseRef-"), "{bad}: {out}");
            assert_eq!(refs.len(), 1, "{bad}");
        }
        let long = "x ".repeat(100);
        let (out, _) = norm(&long);
        assert!(out.len() < 80, "{out}");
    }

    #[test]
    fn empty_is_noassertion() {
        let mut refs = LicenseRefs::default();
        assert_eq!(normalize(None, &mut refs), "NOASSERTION");
        assert_eq!(normalize(Some("  "), &mut refs), "NOASSERTION");
        assert!(refs.into_sorted().is_empty());
    }

    #[test]
    fn colliding_refs_get_distinct_ids() {
        let mut refs = LicenseRefs::default();
        let a = normalize(Some("Foo:Bar"), &mut refs);
        let b = normalize(Some("Foo_Bar"), &mut refs);
        let a2 = normalize(Some("Foo:Bar"), &mut refs);
        assert_eq!(a, a2);
        assert_ne!(a, b);
        let all = refs.into_sorted();
        assert_eq!(all.len(), 2);
        for r in &all {
            assert!(r
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
        }
    }
}
