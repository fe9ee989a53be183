//! Debian relationship fields: `Depends`, `Pre-Depends`, `Conflicts`,
//! `Breaks`, `Provides` (and `Build-Depends`).
//!
//! Syntax (Debian Policy §7.1): comma-separated relations, each a
//! `|`-separated list of alternatives, each alternative
//! `name[:archqual] [(op version)] [[arch list]] [<profiles>...]`, with
//! whitespace (newlines included) allowed between tokens.
//!
//! What the parser does with each part:
//!
//! - **Operators**: `<<` → [`Op::Lt`], `<=` → [`Op::Le`], `=` → [`Op::Eq`],
//!   `>=` → [`Op::Ge`], `>>` → [`Op::Gt`]; the obsolete `<` and `>` mean
//!   `<=` and `>=`, as dpkg reads them.
//! - **Architecture qualifiers**: `:any` and `:native` are stripped, and so
//!   is a qualifier equal to the `arch` being installed (`gcc:amd64` on
//!   amd64 is just `gcc`, since a whittle root holds one architecture plus
//!   `all`). Any other qualifier stays part of the name (`libc6-x32:i386`),
//!   so it matches no package of the installed architecture: a dependency
//!   on it cannot be met by that alternative, a conflict with it never fires.
//! - **Architecture restrictions** `[amd64 !i386]`: the alternative is kept
//!   only if the list admits `arch`; a relation left with no alternative is
//!   dropped (as `dpkg-gencontrol` reduces them). Wildcards `any`,
//!   `linux-any`, `any-<cpu>` and `linux-<arch>` are understood for Linux
//!   architectures.
//! - **Build profiles** `<!nocheck> <stage1 cross>` (only meaningful in
//!   `Build-Depends`) are evaluated with no profile active: `<!nocheck>` is
//!   kept, `<stage1>` is dropped; the profile text itself is discarded.
//!
//! ```
//! use whittle_deb::relations::{format_dependency, parse_dependencies};
//! let deps = parse_dependencies("libc6 (>= 2.36), debconf (>= 0.5) | debconf-2.0", "amd64").unwrap();
//! assert_eq!(deps.len(), 2);
//! assert_eq!(format_dependency(&deps[1]), "debconf (>= 0.5) | debconf-2.0");
//! ```

use whittle_model::{Dependency, Op, Provide, Requirement};

/// A dependency as control files write it: `debconf (>= 0.5) | debconf-2.0`.
pub fn format_dependency(dep: &Dependency) -> String {
    use whittle_model::VersionScheme as _;
    dep.alternatives
        .iter()
        .map(|r| crate::version::DebVersionScheme.show_requirement(r))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Why a relationship field could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid relationship {relation:?}: {reason}")]
pub struct RelationError {
    /// The relation (one comma-separated entry) that failed, trimmed.
    pub relation: String,
    /// What is wrong, in words.
    pub reason: String,
}

/// One parsed alternative before filtering.
struct Alt<'a> {
    name: &'a str,
    archqual: Option<&'a str>,
    constraint: Option<(Op, &'a str)>,
    applies: bool,
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

/// Debian's CPU part of an architecture name, for `any-<cpu>` wildcards.
fn cpu_of(arch: &str) -> &str {
    match arch {
        "armhf" | "armel" | "arm" => "arm",
        "ppc64el" => "ppc64el",
        "mips64el" => "mips64el",
        "mipsel" => "mipsel",
        "i386" => "i386",
        other => other,
    }
}

/// Whether one term of an architecture restriction list names `arch`.
fn arch_term_matches(term: &str, arch: &str) -> bool {
    if term == arch || term == "any" || term == "linux-any" {
        return true;
    }
    if let Some(cpu) = term.strip_prefix("any-") {
        return cpu == cpu_of(arch);
    }
    if let Some(a) = term.strip_prefix("linux-") {
        return a == arch;
    }
    false
}

fn parse_alternative<'a>(text: &'a str, arch: &str) -> Result<Alt<'a>, String> {
    let s = text.trim_matches(is_ws);
    if s.is_empty() {
        return Err("empty alternative (two `|` in a row, or `|` at an end)".into());
    }
    let name_end = s
        .find(|c: char| is_ws(c) || c == '(' || c == '[' || c == '<')
        .unwrap_or(s.len());
    let full = &s[..name_end];
    let (name, archqual) = match full.split_once(':') {
        Some((n, q)) => (n, Some(q)),
        None => (full, None),
    };
    if name.is_empty() {
        return Err("missing package name".into());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+-._".contains(&b))
    {
        return Err(format!("invalid character in package name {name:?}"));
    }
    if let Some(q) = archqual {
        if q.is_empty() || !q.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("invalid architecture qualifier {q:?}"));
        }
    }
    let mut rest = s[name_end..].trim_start_matches(is_ws);
    let mut constraint = None;
    let mut applies = true;
    if let Some(r) = rest.strip_prefix('(') {
        let close = r
            .find(')')
            .ok_or_else(|| "unterminated version relation: missing `)`".to_string())?;
        let inner = r[..close].trim_matches(is_ws);
        let (op, v) = [
            ("<<", Op::Lt),
            ("<=", Op::Le),
            (">=", Op::Ge),
            (">>", Op::Gt),
            ("=", Op::Eq),
            ("<", Op::Le),
            (">", Op::Ge),
        ]
        .iter()
        .find_map(|(p, op)| inner.strip_prefix(p).map(|v| (*op, v)))
        .ok_or_else(|| {
            format!("unknown version relation in ({inner}); use one of << <= = >= >>")
        })?;
        let v = v.trim_matches(is_ws);
        if v.is_empty() {
            return Err("version missing after the relation operator".into());
        }
        if v.contains(is_ws) || v.contains('(') {
            return Err(format!("invalid version {v:?}"));
        }
        constraint = Some((op, v));
        rest = r[close + 1..].trim_start_matches(is_ws);
    }
    if let Some(r) = rest.strip_prefix('[') {
        let close = r
            .find(']')
            .ok_or_else(|| "unterminated architecture list: missing `]`".to_string())?;
        let terms: Vec<&str> = r[..close].split(is_ws).filter(|t| !t.is_empty()).collect();
        if terms.is_empty() {
            return Err("empty architecture list `[]`".into());
        }
        let negated = terms.iter().filter(|t| t.starts_with('!')).count();
        if negated != 0 && negated != terms.len() {
            return Err("architecture list mixes negated and plain entries".into());
        }
        applies = if negated == 0 {
            terms.iter().any(|t| arch_term_matches(t, arch))
        } else {
            !terms
                .iter()
                .any(|t| arch_term_matches(t.trim_start_matches('!'), arch))
        };
        rest = r[close + 1..].trim_start_matches(is_ws);
    }
    // Build profiles: a list of `<...>` groups, satisfied if any group is;
    // a group is satisfied if all its terms are, with no profile active.
    let mut any_group = None;
    while let Some(r) = rest.strip_prefix('<') {
        let close = r
            .find('>')
            .ok_or_else(|| "unterminated build profile list: missing `>`".to_string())?;
        let terms: Vec<&str> = r[..close].split(is_ws).filter(|t| !t.is_empty()).collect();
        if terms.is_empty() {
            return Err("empty build profile list `<>`".into());
        }
        let group = terms.iter().all(|t| t.starts_with('!'));
        any_group = Some(any_group.unwrap_or(false) || group);
        rest = r[close + 1..].trim_start_matches(is_ws);
    }
    if any_group == Some(false) {
        applies = false;
    }
    if !rest.is_empty() {
        return Err(format!("unexpected text {rest:?} after the package name"));
    }
    Ok(Alt {
        name,
        archqual,
        constraint,
        applies,
    })
}

fn requirement(alt: &Alt<'_>, arch: &str) -> Requirement {
    let name = match alt.archqual {
        None | Some("any") | Some("native") => alt.name.to_string(),
        Some(q) if q == arch => alt.name.to_string(),
        Some(q) => format!("{}:{q}", alt.name),
    };
    Requirement {
        name,
        constraint: alt.constraint.map(|(op, v)| (op, v.to_string())),
    }
}

fn error(relation: &str, reason: String) -> RelationError {
    RelationError {
        relation: relation.trim_matches(is_ws).to_string(),
        reason,
    }
}

/// Each non-empty comma-separated entry of `field` (empty entries, such as
/// from a trailing comma, are skipped).
fn entries(field: &str) -> impl Iterator<Item = &str> {
    field
        .split(',')
        .filter(|e| !e.trim_matches(is_ws).is_empty())
}

/// Parse a `Depends`-like field (also `Pre-Depends`, `Recommends`,
/// `Build-Depends`) for installation on `arch`.
///
/// Alternatives whose architecture list or build profiles exclude them are
/// removed; a relation with no alternative left is removed. An empty field
/// gives an empty list.
pub fn parse_dependencies(field: &str, arch: &str) -> Result<Vec<Dependency>, RelationError> {
    let mut out = Vec::new();
    for entry in entries(field) {
        let mut alternatives = Vec::new();
        for alt in entry.split('|') {
            let a = parse_alternative(alt, arch).map_err(|r| error(entry, r))?;
            if a.applies {
                alternatives.push(requirement(&a, arch));
            }
        }
        if !alternatives.is_empty() {
            out.push(Dependency::any_of(alternatives));
        }
    }
    Ok(out)
}

/// Parse a `Conflicts` or `Breaks` field for `arch`: like
/// [`parse_dependencies`] but alternatives (`|`) are an error.
pub fn parse_conflicts(field: &str, arch: &str) -> Result<Vec<Requirement>, RelationError> {
    let mut out = Vec::new();
    for entry in entries(field) {
        if entry.contains('|') {
            return Err(error(
                entry,
                "alternatives (`|`) are not allowed in Conflicts or Breaks".into(),
            ));
        }
        let a = parse_alternative(entry, arch).map_err(|r| error(entry, r))?;
        if a.applies {
            out.push(requirement(&a, arch));
        }
    }
    Ok(out)
}

/// Parse a `Provides` field for `arch`: names with an optional `(= version)`;
/// alternatives and other operators are an error.
pub fn parse_provides(field: &str, arch: &str) -> Result<Vec<Provide>, RelationError> {
    let mut out = Vec::new();
    for entry in entries(field) {
        if entry.contains('|') {
            return Err(error(
                entry,
                "alternatives (`|`) are not allowed in Provides".into(),
            ));
        }
        let a = parse_alternative(entry, arch).map_err(|r| error(entry, r))?;
        let version = match a.constraint {
            None => None,
            Some((Op::Eq, v)) => Some(v.to_string()),
            Some((op, _)) => {
                return Err(error(
                    entry,
                    format!(
                        "Provides allows only `=` versions, found `{}`",
                        crate::version::deb_op(op)
                    ),
                ))
            }
        };
        if a.applies {
            out.push(Provide {
                name: requirement(&a, arch).name,
                version,
            });
        }
    }
    Ok(out)
}
