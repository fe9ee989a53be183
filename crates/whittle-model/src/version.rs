//! How a world orders and matches its version strings.

use std::cmp::Ordering;

use crate::requirement::{Op, Requirement};

/// The version rules and requirement syntax of one package world (dpkg,
/// apk-tools or rpm).
///
/// The solver never interprets a version itself; it asks the scheme, and
/// it prints requirements in the world's own syntax through
/// [`show_requirement`](Self::show_requirement).
pub trait VersionScheme: Send + Sync {
    /// A requirement as this world writes it (`libc6 (>= 2.36)` for
    /// Debian, `so:libc.musl-x86_64.so.1>=1` for APK). The default is the
    /// neutral `name op version`.
    fn show_requirement(&self, req: &Requirement) -> String {
        req.to_string()
    }

    /// Order two versions.
    fn compare(&self, a: &str, b: &str) -> Ordering;

    /// Whether `version` satisfies `op wanted`.
    ///
    /// The default implements the relations through [`compare`](Self::compare);
    /// [`Op::Prefix`] matches when `wanted` is `version` itself or a leading
    /// part of it that ends at a component boundary (`2025` matches
    /// `2025a-0+deb12u1` and `2025.1`, but `202` does not match `2025`).
    /// Worlds with other prefix rules override it.
    fn matches(&self, version: &str, op: Op, wanted: &str) -> bool {
        let ord = self.compare(version, wanted);
        match op {
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Eq => ord == Ordering::Equal,
            Op::Ge => ord != Ordering::Less,
            Op::Gt => ord == Ordering::Greater,
            Op::Prefix => prefix_matches(version, wanted),
        }
    }
}

/// `wanted` is a leading part of `version` ending where a digit run or a
/// letter run ends (the default [`Op::Prefix`] rule, for worlds that keep
/// it in their own [`VersionScheme::matches`]).
pub fn prefix_matches(version: &str, wanted: &str) -> bool {
    let Some(rest) = version.strip_prefix(wanted) else {
        return false;
    };
    let (Some(last), Some(next)) = (wanted.chars().last(), rest.chars().next()) else {
        return true;
    };
    !(last.is_ascii_digit() && next.is_ascii_digit()
        || last.is_ascii_alphabetic() && next.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Lexical;
    impl VersionScheme for Lexical {
        fn compare(&self, a: &str, b: &str) -> Ordering {
            a.cmp(b)
        }
    }

    #[test]
    fn prefix_stops_at_component_boundaries() {
        assert!(Lexical.matches("2025a-0+deb12u1", Op::Prefix, "2025"));
        assert!(Lexical.matches("2025.1", Op::Prefix, "2025"));
        assert!(Lexical.matches("2025", Op::Prefix, "2025"));
        assert!(!Lexical.matches("2025", Op::Prefix, "202"));
        assert!(!Lexical.matches("1.2", Op::Prefix, "2"));
    }

    #[test]
    fn relations_use_compare() {
        assert!(Lexical.matches("b", Op::Gt, "a"));
        assert!(Lexical.matches("a", Op::Le, "a"));
        assert!(!Lexical.matches("a", Op::Lt, "a"));
    }
}
