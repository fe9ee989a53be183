//! `${VAR}` expansion in recipe string values.
//!
//! Only the braced form is recognised: `${NAME}` (NAME is
//! `[A-Za-z_][A-Za-z0-9_]*`) and `${NAME:-default}` (default when unset or
//! empty). `$${` stands for a literal `${`; any other `$` is kept as is.
//! Expansion happens on values after YAML parsing, so comments are never
//! expanded and a value cannot change the YAML structure.

use std::fmt;

/// Why a string could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VarError {
    /// `${NAME}` with NAME unset.
    Undefined(String),
    /// `${` without a closing `}` or with an invalid name; holds the text.
    Malformed(String),
}

impl fmt::Display for VarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarError::Undefined(name) => write!(f, "undefined variable `{name}`"),
            VarError::Malformed(text) => write!(f, "malformed variable reference `{text}`"),
        }
    }
}

/// Expand `${VAR}` references in `s` using `env`.
pub(crate) fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, VarError> {
    if !s.contains('$') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix("${") {
            out.push_str("${");
            rest = tail;
            continue;
        }
        let Some(body_start) = after.strip_prefix('{') else {
            out.push('$');
            rest = after;
            continue;
        };
        let Some(end) = body_start.find('}') else {
            return Err(VarError::Malformed(rest[i..].to_string()));
        };
        let body = &body_start[..end];
        let (name, default) = match body.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (body, None),
        };
        if !is_name(name) {
            return Err(VarError::Malformed(format!("${{{body}}}")));
        }
        match (env(name), default) {
            (Some(v), Some(d)) if v.is_empty() => out.push_str(d),
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(VarError::Undefined(name.to_string())),
        }
        rest = &body_start[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "MIRROR" => Some("http://m.example".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands() {
        assert_eq!(
            expand("${MIRROR}/debian", &env).unwrap(),
            "http://m.example/debian"
        );
        assert_eq!(
            expand("a${MIRROR}b${MIRROR}", &env).unwrap(),
            "ahttp://m.examplebhttp://m.example"
        );
        assert_eq!(expand("no vars", &env).unwrap(), "no vars");
        assert_eq!(expand("$HOME and $", &env).unwrap(), "$HOME and $");
        assert_eq!(expand("$${MIRROR}", &env).unwrap(), "${MIRROR}");
        assert_eq!(expand("${NOPE:-x}", &env).unwrap(), "x");
        assert_eq!(expand("${EMPTY:-x}", &env).unwrap(), "x");
        assert_eq!(expand("${EMPTY}", &env).unwrap(), "");
    }

    #[test]
    fn errors() {
        assert_eq!(
            expand("${NOPE}", &env),
            Err(VarError::Undefined("NOPE".into()))
        );
        assert!(matches!(
            expand("${MIRROR", &env),
            Err(VarError::Malformed(_))
        ));
        assert!(matches!(expand("${1X}", &env), Err(VarError::Malformed(_))));
        assert!(matches!(expand("${}", &env), Err(VarError::Malformed(_))));
    }
}
