//! License expressions: declared text is parsed as an SPDX expression by the
//! [`spdx`](::spdx) crate, which also carries the SPDX License List, and
//! rewritten into something SPDX validators accept.
//!
//! * Identifiers on the SPDX License List are kept (in their canonical case).
//! * Deprecated spellings are rewritten: `GPL-2.0+` becomes
//!   `GPL-2.0-or-later`, `LGPL-2.1` becomes `LGPL-2.1-only`,
//!   `GPL-2.0-with-classpath-exception` becomes
//!   `GPL-2.0-only WITH Classpath-exception-2.0`, and so on. The replacements
//!   of deprecated identifiers other than the bare GNU ones are listed here:
//!   the `spdx` crate knows which identifiers are deprecated but not what
//!   replaced them.
//! * Anything else becomes a `LicenseRef-…` identifier (see [`license_ref`]),
//!   recorded so the document can list it in `hasExtractedLicensingInfos` (a
//!   `LicenseRef` used in an expression must be declared there).
//! * Text that does not parse as an expression at all becomes one `LicenseRef`
//!   holding the whole text; empty text becomes `NOASSERTION`.
//!
//! Distribution-specific names (Debian's `GPL-2+`, `Expat`) are the package
//! worlds' business: they map them to SPDX before the SBOM sees them.

use std::collections::BTreeMap;

use ::spdx::expression::{ExprNode, ExpressionReq, Operator};
use ::spdx::identifiers::{EXCEPTIONS, LICENSES};
use ::spdx::{AdditionItem, ExceptionId, Expression, LicenseId, LicenseItem, ParseMode};
use sha2::{Digest as _, Sha256};

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
    /// Register `text` under [`license_ref`]`(text)` and return the identifier
    /// used. Different texts that clean to the same identifier get a hash
    /// suffix.
    fn intern(&mut self, text: &str) -> String {
        let mut id = license_ref(text);
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
                name: text.to_string(),
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

/// The longest cleaned name kept whole; longer ones are cut and get a hash.
const MAX_REF_NAME: usize = 60;

/// A valid `LicenseRef-…` identifier for a license name with no SPDX
/// identifier: `[A-Za-z0-9.-]` are kept, `+` becomes `-plus`, anything else
/// `-`, without leading or trailing `-`. A `LicenseRef-` prefix already there
/// is not repeated, names longer than 60 characters are cut and end with a
/// hash of the whole name, and a name with nothing left is `unknown`.
///
/// ```
/// use whittle_sbom::license_ref;
/// assert_eq!(license_ref("public domain"), "LicenseRef-public-domain");
/// assert_eq!(license_ref("LicenseRef-Acme"), "LicenseRef-Acme");
/// assert_eq!(license_ref("Foo+"), "LicenseRef-Foo-plus");
/// ```
pub fn license_ref(name: &str) -> String {
    let rest = match name.get(..11) {
        Some(p) if p.eq_ignore_ascii_case("LicenseRef-") => &name[11..],
        _ => name,
    };
    let mut clean = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '-' => clean.push(c),
            '+' => clean.push_str("-plus"),
            _ => clean.push('-'),
        }
    }
    let clean = clean.trim_matches('-');
    if clean.is_empty() {
        "LicenseRef-unknown".to_string()
    } else if clean.len() > MAX_REF_NAME {
        // Only ASCII is left, so any byte index is a character boundary.
        format!("LicenseRef-{}-{}", &clean[..48], short_hash(name))
    } else {
        format!("LicenseRef-{clean}")
    }
}

/// The identifier on the SPDX License List (current or deprecated) spelled
/// `name`, ignoring ASCII case, in its canonical spelling.
///
/// ```
/// use whittle_sbom::spdx_license_id;
/// assert_eq!(spdx_license_id("bsd-3-clause"), Some("BSD-3-Clause"));
/// assert_eq!(spdx_license_id("Expat"), None);
/// ```
pub fn spdx_license_id(name: &str) -> Option<&'static str> {
    find_license(name).map(|id| id.name)
}

/// Case-insensitive lookup in the SPDX License List. `NOASSERTION` and
/// `NONE` are document values, not licenses to put in an expression.
fn find_license(name: &str) -> Option<LicenseId> {
    if name.eq_ignore_ascii_case("NOASSERTION") || name.eq_ignore_ascii_case("NONE") {
        return None;
    }
    ::spdx::license_id(name)
        .filter(|id| id.name == name)
        .or_else(|| {
            LICENSES
                .iter()
                .find(|l| l.name.eq_ignore_ascii_case(name))
                .and_then(|l| ::spdx::license_id(l.name))
        })
}

/// Case-insensitive lookup in the SPDX exception list.
fn find_exception(name: &str) -> Option<ExceptionId> {
    ::spdx::exception_id(name).or_else(|| {
        EXCEPTIONS
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .and_then(|e| ::spdx::exception_id(e.name))
    })
}

/// What a package declares about its license, made valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Declared {
    /// Nothing, or `NOASSERTION`.
    NoAssertion,
    /// `NONE`: the package says it has no license.
    None,
    /// A valid SPDX expression: listed identifiers, and `LicenseRef`s for
    /// unlisted ones.
    Expression(String),
    /// Text that is no expression at all, kept whole as one `LicenseRef`.
    Unparsed {
        /// The `LicenseRef-…` standing for it.
        license_ref: String,
        /// The text as declared.
        text: String,
    },
}

/// Classify and resolve a declared license, registering any `LicenseRef`s
/// it needs in `refs`.
pub(crate) fn declared(declared: Option<&str>, refs: &mut LicenseRefs) -> Declared {
    let Some(text) = declared.map(str::trim).filter(|t| !t.is_empty()) else {
        return Declared::NoAssertion;
    };
    match text {
        "NOASSERTION" => return Declared::NoAssertion,
        "NONE" => return Declared::None,
        _ => {}
    }
    match Expression::parse_mode(text, PARSE_MODE)
        .ok()
        .and_then(|expr| resolve(text, &expr, refs))
    {
        Some(resolved) => Declared::Expression(render(&resolved, true)),
        None => Declared::Unparsed {
            license_ref: refs.intern(text),
            text: text.to_string(),
        },
    }
}

/// Turn a declared license expression into one that validates, registering
/// any `LicenseRef`s it needs in `refs`. `None` or blank → `NOASSERTION`.
pub(crate) fn normalize(declared_text: Option<&str>, refs: &mut LicenseRefs) -> String {
    match declared(declared_text, refs) {
        Declared::NoAssertion => "NOASSERTION".to_string(),
        Declared::None => "NONE".to_string(),
        Declared::Expression(e) => e,
        Declared::Unparsed { license_ref, .. } => license_ref,
    }
}

/// Strict SPDX syntax, but deprecated identifiers (rewritten below), GNU
/// `+` and unknown identifiers (which become `LicenseRef`s) are let through.
const PARSE_MODE: ParseMode = ParseMode {
    allow_slash_as_or_operator: false,
    allow_imprecise_license_names: false,
    allow_postfix_plus_on_gpl: true,
    allow_deprecated: true,
    allow_unknown: true,
};

// ---------------------------------------------------------------------------
// Resolution against the SPDX License List.

/// Deprecated identifiers that stand for a current license with an
/// exception. (The bare GNU ones, `GPL-2.0` or `LGPL-2.1+`, become
/// `-only`/`-or-later` through [`::spdx::gnu_license_id`].)
const ALIASES: &[(&str, &str, Option<&str>)] = &[
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

/// Deprecated exception identifiers and their replacements.
const EXCEPTION_ALIASES: &[(&str, &str)] = &[("Nokia-Qt-exception-1.1", "Qt-LGPL-exception-1.1")];

/// A resolved simple term.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// On the list, with an optional listed exception.
    Listed(&'static str, Option<&'static str>),
    /// A `LicenseRef-…` registered in the document.
    Ref(String),
}

/// A current (not deprecated) license for `id`, `+` applied, with the
/// exception a deprecated identifier implied, if it has one.
fn current(id: LicenseId, or_later: bool) -> Option<(&'static str, Option<&'static str>)> {
    if let Some(&(_, l, e)) = ALIASES.iter().find(|(a, _, _)| *a == id.name) {
        let l = ::spdx::license_id(l)?;
        return current(l, or_later).map(|(l, _)| (l, e));
    }
    let id = if id.is_gnu() {
        let base = id.name.strip_suffix("-only").unwrap_or(id.name);
        match base.strip_suffix("-or-later") {
            Some(_) => id,
            // A GNU license without `-only`/`-or-later` variants stays as it is.
            None => ::spdx::gnu_license_id(base, or_later).or((!or_later).then_some(id))?,
        }
    } else if or_later {
        // `X+` for a listed X: "this version or any later one", which
        // validators only take as a listed `X-or-later`.
        ::spdx::license_id(&format!("{}-or-later", id.name))?
    } else {
        id
    };
    (!id.is_deprecated()).then_some((id.name, None))
}

/// A current exception for a parsed `WITH` addition.
fn current_exception(addition: &AdditionItem) -> Option<&'static str> {
    let id = match addition {
        AdditionItem::Spdx(id) => *id,
        AdditionItem::Other(other) if other.doc_ref.is_none() => find_exception(&other.add_ref)?,
        AdditionItem::Other(_) => return None,
    };
    let id = match EXCEPTION_ALIASES.iter().find(|(a, _)| *a == id.name) {
        Some((_, e)) => ::spdx::exception_id(e)?,
        None => id,
    };
    (!id.is_deprecated()).then_some(id.name)
}

/// How an addition was written, for a `LicenseRef` holding `L WITH E`.
fn written_addition(addition: &AdditionItem) -> String {
    match addition {
        AdditionItem::Spdx(id) => id.name.to_string(),
        AdditionItem::Other(other) if other.doc_ref.is_none() => other.add_ref.clone(),
        AdditionItem::Other(other) => other.to_string(),
    }
}

/// Resolve one `license [WITH exception]` term of `original`.
fn resolve_term(original: &str, term: &ExpressionReq, refs: &mut LicenseRefs) -> Term {
    let span = term.span.start as usize..term.span.end as usize;
    let (license, written) = match &term.req.license {
        LicenseItem::Spdx { id, or_later } => {
            (current(*id, *or_later), term.req.license.to_string())
        }
        // An unknown identifier (perhaps a listed one in another case), or
        // a `LicenseRef-…`.
        LicenseItem::Other(_) => {
            let written = original.get(span).unwrap_or_default().to_string();
            (
                find_license(&written).and_then(|id| current(id, false)),
                written,
            )
        }
    };
    let Some(addition) = &term.req.addition else {
        return match license {
            Some((l, e)) => Term::Listed(l, e),
            None => Term::Ref(refs.intern(&written)),
        };
    };
    if let Some((l, None)) = license {
        if let Some(e) = current_exception(addition) {
            return Term::Listed(l, Some(e));
        }
    }
    // An unknown exception (SPDX 2.3 has no AdditionRef), an unknown
    // license, or a second exception: keep the whole `L WITH E` as one
    // LicenseRef.
    Term::Ref(refs.intern(&format!("{written} WITH {}", written_addition(addition))))
}

/// A resolved expression.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolved {
    Term(Term),
    And(Vec<Resolved>),
    Or(Vec<Resolved>),
}

/// Resolve every term of the parsed `expr` (whose text is `original`),
/// rebuilding the tree from the parser's postfix order.
fn resolve(original: &str, expr: &Expression, refs: &mut LicenseRefs) -> Option<Resolved> {
    let mut stack: Vec<Resolved> = Vec::new();
    for node in expr.iter() {
        match node {
            ExprNode::Req(term) => stack.push(Resolved::Term(resolve_term(original, term, refs))),
            ExprNode::Op(op) => {
                let right = stack.pop()?;
                let left = stack.pop()?;
                stack.push(match op {
                    Operator::And => Resolved::And(vec![left, right]),
                    Operator::Or => Resolved::Or(vec![left, right]),
                });
            }
        }
    }
    let top = stack.pop()?;
    stack.is_empty().then_some(top)
}

/// The expression as text, with parentheses only where `OR` is inside `AND`.
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
    fn lookups_ignore_case() {
        assert_eq!(spdx_license_id("mit"), Some("MIT"));
        assert_eq!(spdx_license_id("0BSD"), Some("0BSD"));
        assert_eq!(spdx_license_id("zlib"), Some("Zlib"));
        assert_eq!(spdx_license_id("GPL-2.0"), Some("GPL-2.0"));
        assert_eq!(spdx_license_id("Custom-License"), None);
        assert_eq!(spdx_license_id("noassertion"), None);
        assert_eq!(
            find_exception("llvm-exception").map(|e| e.name),
            Some("LLVM-exception")
        );
    }

    #[test]
    fn aliases_name_listed_identifiers() {
        for (alias, license, exception) in ALIASES {
            let id = ::spdx::license_id(alias).expect(alias);
            assert!(id.is_deprecated(), "{alias}");
            let l = ::spdx::license_id(license).expect(license);
            assert!(!l.is_deprecated(), "{license}");
            if let Some(e) = exception {
                assert!(
                    ::spdx::exception_id(e).is_some_and(|e| !e.is_deprecated()),
                    "{e}"
                );
            }
        }
        for (alias, exception) in EXCEPTION_ALIASES {
            assert!(::spdx::exception_id(alias).is_some_and(ExceptionId::is_deprecated));
            assert!(::spdx::exception_id(exception).is_some_and(|e| !e.is_deprecated()));
        }
    }

    #[test]
    fn license_refs_are_clean() {
        assert_eq!(license_ref("Custom-License"), "LicenseRef-Custom-License");
        assert_eq!(license_ref("licenseref-Acme"), "LicenseRef-Acme");
        assert_eq!(
            license_ref("GPL, see COPYING"),
            "LicenseRef-GPL--see-COPYING"
        );
        assert_eq!(license_ref("(+)"), "LicenseRef-plus");
        assert_eq!(license_ref("()"), "LicenseRef-unknown");
        let long = license_ref(&"é ".repeat(100));
        assert!(long.len() < 80, "{long}");
        assert!(long[11..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
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
    fn deprecated_spellings() {
        for (input, want) in [
            ("GPL-2.0+", "GPL-2.0-or-later"),
            ("GPL-2.0", "GPL-2.0-only"),
            ("gpl-3.0", "GPL-3.0-only"),
            ("LGPL-2.1+", "LGPL-2.1-or-later"),
            ("LGPL-2.0", "LGPL-2.0-only"),
            ("AGPL-3.0", "AGPL-3.0-only"),
            ("GFDL-1.3+", "GFDL-1.3-or-later"),
            ("GPL-2.0-only+", "GPL-2.0-or-later"),
            ("Nunit", "LicenseRef-Nunit"),
            (
                "GPL-2.0-with-classpath-exception",
                "GPL-2.0-only WITH Classpath-exception-2.0",
            ),
            ("eCos-2.0", "GPL-2.0-or-later WITH eCos-exception-2.0"),
            (
                "LGPL-2.1 WITH Nokia-Qt-exception-1.1",
                "LGPL-2.1-only WITH Qt-LGPL-exception-1.1",
            ),
            (
                "GPL-3.0+ OR Artistic-1.0-Perl",
                "GPL-3.0-or-later OR Artistic-1.0-Perl",
            ),
        ] {
            let (out, refs) = norm(input);
            assert_eq!(out, want, "{input}");
            assert_eq!(
                refs.is_empty(),
                !want.contains("LicenseRef"),
                "{input}: {refs:?}"
            );
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
    fn only_text_that_is_no_expression_is_unparsed() {
        let mut refs = LicenseRefs::default();
        // Unknown identifiers still make an expression.
        assert_eq!(
            declared(Some("MIT AND public-domain"), &mut refs),
            Declared::Expression("MIT AND LicenseRef-public-domain".into())
        );
        assert_eq!(declared(Some("NONE"), &mut refs), Declared::None);
        assert_eq!(
            declared(Some("NOASSERTION"), &mut refs),
            Declared::NoAssertion
        );
        let text = "GPL, see /usr/share/common-licenses/GPL";
        match declared(Some(text), &mut refs) {
            Declared::Unparsed {
                license_ref,
                text: t,
            } => {
                assert_eq!(t, text);
                assert_eq!(license_ref, normalize(Some(text), &mut refs));
            }
            other => panic!("{other:?}"),
        }
        // A parsed expression whose tree cannot be rebuilt is unparsed too.
        assert!(matches!(
            declared(Some("MIT MIT"), &mut refs),
            Declared::Unparsed { .. }
        ));
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
