//! Suppliers: whatever the package worlds give (`Organization: Debian`, a
//! Debian `Name <email>`, a bare vendor) made into an SPDX 2.3 actor
//! (`Person: Name (email)`, `Organization: Name`), and split back into name
//! and e-mail for CycloneDX's organizational entity.

use crate::common::one_line;

/// A supplier in parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Actor {
    /// `Person` rather than `Organization`.
    pub person: bool,
    /// The name (may be empty when only an e-mail address is known).
    pub name: String,
    /// The e-mail address, if one is given.
    pub email: Option<String>,
}

/// Normalize a supplier to an SPDX actor (`Person: …`, `Organization: …`);
/// `None` when it says nothing (absent, blank, `NOASSERTION`).
pub(crate) fn spdx_actor(s: Option<&str>) -> Option<String> {
    let s = one_line(s.unwrap_or("")).trim().to_string();
    if s.is_empty() || s == "NOASSERTION" {
        return None;
    }
    for prefix in ["Person:", "Organization:"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            let rest = rest.trim();
            if rest.is_empty() {
                return None;
            }
            return Some(format!("{prefix} {}", angle_email_to_parens(rest)));
        }
    }
    // A Debian Maintainer field: "Name <email>".
    if s.ends_with('>') && s.contains('<') {
        return Some(format!("Person: {}", angle_email_to_parens(&s)));
    }
    Some(format!("Organization: {s}"))
}

/// A supplier (as [`spdx_actor`] takes it) in parts.
pub(crate) fn parse(s: Option<&str>) -> Option<Actor> {
    let actor = spdx_actor(s)?;
    let (person, rest) = match actor.strip_prefix("Person: ") {
        Some(rest) => (true, rest),
        None => (
            false,
            actor.strip_prefix("Organization: ").unwrap_or(&actor),
        ),
    };
    // `Name (email)`: the last parenthesis holds an address.
    let split = rest
        .strip_suffix(')')
        .and_then(|r| r.rsplit_once('('))
        .map(|(name, email)| (name.trim(), email.trim()))
        .filter(|(_, email)| looks_like_email(email));
    let (name, email) = match split {
        Some((name, email)) => (name.to_string(), Some(email.to_string())),
        None if looks_like_email(rest) => (String::new(), Some(rest.to_string())),
        None => (rest.to_string(), None),
    };
    Some(Actor {
        person,
        name,
        email,
    })
}

/// `local@domain`, no spaces or brackets.
fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !s
                    .chars()
                    .any(|c| c.is_whitespace() || "<>()[],;:\"".contains(c))
        }
        None => false,
    }
}

/// `Name <email>` → `Name (email)`; anything else unchanged.
fn angle_email_to_parens(s: &str) -> String {
    match (s.rfind('<'), s.ends_with('>')) {
        (Some(open), true) => {
            let name = s[..open].trim();
            let email = s[open + 1..s.len() - 1].trim();
            if name.is_empty() {
                email.to_string()
            } else {
                format!("{name} ({email})")
            }
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spdx(s: &str) -> String {
        spdx_actor(Some(s)).unwrap_or_else(|| "NOASSERTION".into())
    }

    #[test]
    fn spdx_actors() {
        assert_eq!(spdx_actor(None), None);
        assert_eq!(spdx(""), "NOASSERTION");
        assert_eq!(spdx("NOASSERTION"), "NOASSERTION");
        assert_eq!(spdx("Organization: Debian"), "Organization: Debian");
        assert_eq!(
            spdx("Person: Jane Doe (jane@example.org)"),
            "Person: Jane Doe (jane@example.org)"
        );
        assert_eq!(
            spdx("Mark Brown <broonie@debian.org>"),
            "Person: Mark Brown (broonie@debian.org)"
        );
        assert_eq!(
            spdx("Person: Mark Brown <broonie@debian.org>"),
            "Person: Mark Brown (broonie@debian.org)"
        );
        assert_eq!(spdx("Debian"), "Organization: Debian");
        assert_eq!(spdx("Person:  "), "NOASSERTION");
        assert_eq!(spdx("Organization: A\nB"), "Organization: A B");
    }

    #[test]
    fn parts_round_trip_to_the_same_actor() {
        for input in [
            "Mark Brown <broonie@debian.org>",
            "Organization: Debian Python Team (team+python@tracker.debian.org)",
            "Organization: Microsoft Corporation",
            "Person: <nobody@example.org>",
            "Organization: Acme (Europe)",
        ] {
            let a = parse(Some(input)).expect(input);
            let kind = if a.person { "Person" } else { "Organization" };
            let rebuilt = match (&a.email, a.name.is_empty()) {
                (Some(e), true) => format!("{kind}: {e}"),
                (Some(e), false) => format!("{kind}: {} ({e})", a.name),
                (None, _) => format!("{kind}: {}", a.name),
            };
            assert_eq!(rebuilt, spdx(input), "{input}");
        }
        let a = parse(Some("Organization: Acme (Europe)")).unwrap();
        assert_eq!((a.name.as_str(), a.email), ("Acme (Europe)", None));
        let a = parse(Some("Mark Brown <broonie@debian.org>")).unwrap();
        assert!(a.person);
        assert_eq!(a.name, "Mark Brown");
        assert_eq!(a.email.as_deref(), Some("broonie@debian.org"));
        assert_eq!(parse(Some(" ")), None);
    }
}
