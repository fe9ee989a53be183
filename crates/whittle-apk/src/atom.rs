//! APK dependency atoms (`D:`, `i:`, `depend =`, world entries) and provides
//! (`p:`, `provides =`), as apk-tools writes them: `[!]name[op version]`
//! with names such as `so:libc.so.6`, `cmd:sh`, `pc:zlib` or `/bin/sh`.

use whittle_model::{Op, Provide, Requirement};

/// One parsed dependency atom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Atom {
    /// The package needs a provider of this requirement.
    Depend(Requirement),
    /// `!name[op version]`: no installed package may provide this.
    Conflict(Requirement),
}

impl Atom {
    /// The requirement, whichever kind of atom this is.
    pub fn requirement(&self) -> &Requirement {
        match self {
            Atom::Depend(r) | Atom::Conflict(r) => r,
        }
    }
}

/// An atom could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtomError {
    /// Nothing (or only `!`) was given.
    #[error(
        "empty dependency atom {0:?}; write a package name such as `busybox` or `so:libc.so.6`"
    )]
    Empty(String),
    /// The name part contains characters apk does not allow.
    #[error("dependency atom {atom:?}: invalid package name {name:?}; names may not contain spaces or any of `<>=~!@`")]
    BadName {
        /// The whole atom.
        atom: String,
        /// The offending name.
        name: String,
    },
    /// The comparison operator is not one whittle understands.
    #[error(
        "dependency atom {atom:?}: unsupported operator {op:?}; use one of = < <= > >= ~ =~ >~"
    )]
    BadOp {
        /// The whole atom.
        atom: String,
        /// The operator as written.
        op: String,
    },
    /// The version after the operator is missing or malformed.
    #[error("dependency atom {atom:?}: {version:?} is not a version (expected e.g. `1.2.3-r0`)")]
    BadVersion {
        /// The whole atom.
        atom: String,
        /// The version as written.
        version: String,
    },
    /// A repository tag (`name@tag`) where none is allowed.
    #[error("dependency atom {0:?}: repository tags (`@tag`) are only allowed in the world / recipe package list")]
    TagNotAllowed(String),
}

const OP_CHARS: &[char] = &['<', '>', '=', '~'];

fn map_op(op: &str) -> Option<Op> {
    Some(match op {
        "=" | "==" => Op::Eq,
        "<" => Op::Lt,
        "<=" => Op::Le,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "~" | "=~" => Op::Prefix,
        // apk's "greater or fuzzy-equal": the same as `>=` except that it
        // also admits pre-releases of the given version (`2.5_rc1 >~ 2.5`).
        ">~" | ">=~" => Op::Ge,
        _ => return None,
    })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.chars().any(|c| {
            c.is_whitespace() || c.is_control() || OP_CHARS.contains(&c) || c == '!' || c == '@'
        })
}

/// Parse an atom as it appears in an index or `.PKGINFO` (no `@tag`).
///
/// `name`, `name=1.2-r0`, `name>=1.2`, `name<2`, `name~1.2`, `name=~1.2`,
/// `name>~1.2` (read as `>=`), `!name`, `so:libc.so.6`, `cmd:sh`,
/// `pc:zlib>=1.2`, `/bin/sh`. apk's `<~` and the checksum pin `><` are
/// rejected: the shared [`Op`] cannot express them.
pub fn parse_atom(s: &str) -> Result<Atom, AtomError> {
    let (atom, tag) = parse_world_atom(s)?;
    if tag.is_some() {
        return Err(AtomError::TagNotAllowed(s.to_string()));
    }
    Ok(atom)
}

/// Parse an atom that may carry a repository tag, as in `/etc/apk/world` and
/// apko's package lists: `name@tag`, `name@tag>=1.2` (apk-tools' order) or
/// `name>=1.2@tag` (apko's order). Returns the atom and the tag.
pub fn parse_world_atom(s: &str) -> Result<(Atom, Option<String>), AtomError> {
    let text = s.trim();
    let (conflict, body) = match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if body.is_empty() {
        return Err(AtomError::Empty(s.to_string()));
    }
    let op_at = body.find(OP_CHARS);
    let (head, constraint_text) = match op_at {
        Some(i) => body.split_at(i),
        None => (body, ""),
    };
    let (name, mut tag) = match head.split_once('@') {
        Some((n, t)) => (n, Some(t.to_string())),
        None => (head, None),
    };
    if !valid_name(name) {
        return Err(AtomError::BadName {
            atom: s.to_string(),
            name: name.to_string(),
        });
    }
    let constraint = if constraint_text.is_empty() {
        None
    } else {
        let op_len = constraint_text
            .find(|c: char| !OP_CHARS.contains(&c))
            .unwrap_or(constraint_text.len());
        let (op_text, mut ver) = constraint_text.split_at(op_len);
        if tag.is_none() {
            if let Some((v, t)) = ver.split_once('@') {
                ver = v;
                tag = Some(t.to_string());
            }
        }
        let op = map_op(op_text).ok_or_else(|| AtomError::BadOp {
            atom: s.to_string(),
            op: op_text.to_string(),
        })?;
        // Real indexes carry versions outside the grammar (Alpine's
        // `0.99f7-r0`); apk orders them anyway, so only reject what can
        // never be a version.
        if ver.is_empty() || ver.chars().any(|c| c.is_whitespace() || c == '@') {
            return Err(AtomError::BadVersion {
                atom: s.to_string(),
                version: ver.to_string(),
            });
        }
        Some((op, ver.to_string()))
    };
    if let Some(t) = &tag {
        if !valid_name(t) {
            return Err(AtomError::BadName {
                atom: s.to_string(),
                name: format!("@{t}"),
            });
        }
    }
    let req = Requirement {
        name: name.to_string(),
        constraint,
    };
    let atom = if conflict {
        Atom::Conflict(req)
    } else {
        Atom::Depend(req)
    };
    Ok((atom, tag))
}

/// Parse one provide (`p:` entry or `provides =` value): `name` or
/// `name=version` (`so:libc.so.6=6`, `cmd:busybox=1.37.0-r0`).
pub fn parse_provide(s: &str) -> Provide {
    let s = s.trim();
    match s.split_once('=') {
        Some((name, ver)) => Provide {
            name: name.to_string(),
            version: Some(ver.to_string()),
        },
        None => Provide {
            name: s.to_string(),
            version: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_atom("so:libc.so.6"),
            Ok(Atom::Depend(Requirement::any("so:libc.so.6")))
        );
        assert_eq!(
            parse_atom("!musl"),
            Ok(Atom::Conflict(Requirement::any("musl")))
        );
        assert_eq!(
            parse_atom("a>=2"),
            Ok(Atom::Depend(Requirement::with("a", Op::Ge, "2")))
        );
        assert_eq!(
            parse_atom("py=~3.11"),
            Ok(Atom::Depend(Requirement::with("py", Op::Prefix, "3.11")))
        );
        assert_eq!(
            parse_atom("/bin/sh"),
            Ok(Atom::Depend(Requirement::any("/bin/sh")))
        );
        assert!(parse_atom("x@tag").is_err());
        assert_eq!(
            parse_world_atom("x@edge>=1.0"),
            Ok((
                Atom::Depend(Requirement::with("x", Op::Ge, "1.0")),
                Some("edge".into())
            ))
        );
        assert_eq!(
            parse_world_atom("x>=1.0@edge"),
            Ok((
                Atom::Depend(Requirement::with("x", Op::Ge, "1.0")),
                Some("edge".into())
            ))
        );
        assert!(matches!(
            parse_atom("x><Q1abc"),
            Err(AtomError::BadOp { .. })
        ));
        assert!(matches!(parse_atom("x<~2"), Err(AtomError::BadOp { .. })));
        assert_eq!(
            parse_atom("a>~2.5"),
            Ok(Atom::Depend(Requirement::with("a", Op::Ge, "2.5")))
        );
        assert!(matches!(
            parse_atom("x="),
            Err(AtomError::BadVersion { .. })
        ));
        assert_eq!(
            parse_provide("so:libc.so.6=6"),
            Provide {
                name: "so:libc.so.6".into(),
                version: Some("6".into())
            }
        );
    }
}
