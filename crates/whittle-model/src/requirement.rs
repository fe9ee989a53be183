//! Requirements on packages: a name plus an optional version relation.

use std::fmt;

/// A version relation, written the way each world spells it when displayed
/// (Debian's `<<`/`>>` are mapped to [`Op::Lt`]/[`Op::Gt`] by the parser).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Op {
    /// Strictly lower.
    Lt,
    /// Lower or equal.
    Le,
    /// Exactly equal.
    Eq,
    /// Greater or equal.
    Ge,
    /// Strictly greater.
    Gt,
    /// Version starts with the given components (apko's `~`, a recipe's `name~2025`).
    Prefix,
}

impl Op {
    /// The operator as Debian writes it in control files.
    pub fn as_deb_str(self) -> &'static str {
        match self {
            Op::Lt => "<<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">>",
            Op::Prefix => "~",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Prefix => "~",
        })
    }
}

/// One requirement: a package or virtual name and an optional version relation.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Requirement {
    /// Package or virtual package name.
    pub name: String,
    /// Version relation the provider must satisfy, if any.
    pub constraint: Option<(Op, String)>,
}

impl Requirement {
    /// A requirement on any version of `name`.
    pub fn any(name: impl Into<String>) -> Self {
        Requirement {
            name: name.into(),
            constraint: None,
        }
    }

    /// A requirement on `name` with `op version`.
    pub fn with(name: impl Into<String>, op: Op, version: impl Into<String>) -> Self {
        Requirement {
            name: name.into(),
            constraint: Some((op, version.into())),
        }
    }

    /// Parse the Debian-like form `name (op version)` used in tests and
    /// messages. World crates have their own full parsers.
    pub fn parse_simple(text: &str) -> Option<Requirement> {
        let text = text.trim();
        let Some(open) = text.find('(') else {
            return (!text.is_empty()).then(|| Requirement::any(text));
        };
        let name = text[..open].trim();
        let inner = text[open + 1..].trim_end().strip_suffix(')')?.trim();
        let (op, rest) = [
            ("<<", Op::Lt),
            ("<=", Op::Le),
            (">=", Op::Ge),
            (">>", Op::Gt),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .iter()
        .find_map(|(s, op)| inner.strip_prefix(s).map(|rest| (*op, rest)))?;
        Some(Requirement::with(name, op, rest.trim()))
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.constraint {
            None => f.write_str(&self.name),
            Some((op, v)) => write!(f, "{} ({} {})", self.name, op.as_deb_str(), v),
        }
    }
}

/// A dependency: alternatives, the first satisfiable one preferred
/// (Debian's `a | b`). A dependency with one alternative is the common case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Dependency {
    /// The alternatives, in order of preference.
    pub alternatives: Vec<Requirement>,
}

impl Dependency {
    /// A dependency with a single alternative.
    pub fn single(req: Requirement) -> Self {
        Dependency {
            alternatives: vec![req],
        }
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.alternatives.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_simple_forms() {
        assert_eq!(
            Requirement::parse_simple("libc6 (>= 2.36)"),
            Some(Requirement::with("libc6", Op::Ge, "2.36"))
        );
        assert_eq!(
            Requirement::parse_simple("dpkg (<< 1.22)"),
            Some(Requirement::with("dpkg", Op::Lt, "1.22"))
        );
        assert_eq!(
            Requirement::parse_simple("awk"),
            Some(Requirement::any("awk"))
        );
        assert_eq!(Requirement::parse_simple("x (>= 1"), None);
    }

    #[test]
    fn displays_like_debian() {
        let d = Dependency {
            alternatives: vec![
                Requirement::with("debconf", Op::Ge, "0.5"),
                Requirement::any("debconf-2.0"),
            ],
        };
        assert_eq!(d.to_string(), "debconf (>= 0.5) | debconf-2.0");
    }
}
