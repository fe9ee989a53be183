//! Requirements on packages: a name plus an optional version relation.

use std::fmt;

/// A version relation. Each world parses its own spelling into it (Debian's
/// `<<`/`>>` become [`Op::Lt`]/[`Op::Gt`]) and prints it back through its
/// [`VersionScheme::show_requirement`](crate::VersionScheme::show_requirement);
/// [`Display`](fmt::Display) gives a world-neutral form (`<`, `<=`, `=`, `>=`, `>`, `~`).
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

    /// Parse the compact test form `name`, `name (op version)` or
    /// `name op version` (`<<`/`>>` read as `<`/`>`). World crates have
    /// their own full parsers; this one is for tests and examples.
    pub fn parse_simple(text: &str) -> Option<Requirement> {
        let text = text.trim();
        let (name, inner) = match text.find('(') {
            Some(open) => (
                text[..open].trim(),
                text[open + 1..].trim_end().strip_suffix(')')?.trim(),
            ),
            None => match text.find([' ', '<', '>', '=', '~']) {
                Some(at) => (text[..at].trim(), text[at..].trim()),
                None => return (!text.is_empty()).then(|| Requirement::any(text)),
            },
        };
        if name.is_empty() {
            return None;
        }
        let (op, rest) = [
            ("<<", Op::Lt),
            ("<=", Op::Le),
            (">=", Op::Ge),
            (">>", Op::Gt),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("~", Op::Prefix),
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
            Some((op, v)) => write!(f, "{} {op} {v}", self.name),
        }
    }
}

/// A dependency: alternatives, the first satisfiable one preferred
/// (Debian's `a | b`, RPM's `(a or b)`). A dependency with one alternative
/// and no extras is the common case.
///
/// Two refinements cover what richer dependency languages say:
///
/// * [`with`](Self::with): the package chosen for an alternative must also
///   satisfy every one of these (RPM's `(a with b)`, or a version range on
///   one name: `foo >= 1` with `foo < 2`);
/// * [`when`](Self::when): the dependency applies only under a
///   [`Condition`] (RPM's `(a if b)` and `(a unless b)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Dependency {
    /// The alternatives, in order of preference.
    pub alternatives: Vec<Requirement>,
    /// Requirements the chosen package must satisfy as well (same package).
    pub with: Vec<Requirement>,
    /// When the dependency applies; `None`: always.
    pub when: Option<Condition>,
}

/// When a conditional [`Dependency`] applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Condition {
    /// Only when a package satisfying one of these is installed (RPM `if`).
    Installed(Vec<Requirement>),
    /// Only when no package satisfying any of these is installed (RPM
    /// `unless`): satisfied by an alternative or by one of these.
    NotInstalled(Vec<Requirement>),
}

impl Dependency {
    /// A dependency with a single alternative.
    pub fn single(req: Requirement) -> Self {
        Dependency::any_of(vec![req])
    }

    /// A dependency on the first satisfiable of `alternatives`.
    pub fn any_of(alternatives: Vec<Requirement>) -> Self {
        Dependency {
            alternatives,
            with: Vec::new(),
            when: None,
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
        for r in &self.with {
            write!(f, " with {r}")?;
        }
        match &self.when {
            None => Ok(()),
            Some(Condition::Installed(reqs)) => write!(f, " if {}", join(reqs)),
            Some(Condition::NotInstalled(reqs)) => write!(f, " unless {}", join(reqs)),
        }
    }
}

fn join(reqs: &[Requirement]) -> String {
    reqs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
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
    fn parses_the_neutral_form_too() {
        assert_eq!(
            Requirement::parse_simple("libc6 >= 2.36"),
            Some(Requirement::with("libc6", Op::Ge, "2.36"))
        );
        assert_eq!(
            Requirement::parse_simple("tzdata~2025"),
            Some(Requirement::with("tzdata", Op::Prefix, "2025"))
        );
        assert_eq!(Requirement::parse_simple(">= 1"), None);
    }

    #[test]
    fn displays_neutrally() {
        let mut d = Dependency::any_of(vec![
            Requirement::with("debconf", Op::Ge, "0.5"),
            Requirement::any("debconf-2.0"),
        ]);
        assert_eq!(d.to_string(), "debconf >= 0.5 | debconf-2.0");
        d.with.push(Requirement::with("debconf", Op::Lt, "2"));
        d.when = Some(Condition::Installed(vec![Requirement::any("perl")]));
        assert_eq!(
            d.to_string(),
            "debconf >= 0.5 | debconf-2.0 with debconf < 2 if perl"
        );
    }
}
