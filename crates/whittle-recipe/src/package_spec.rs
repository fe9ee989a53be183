//! Package requests: `python3`, `tzdata=2025a-0+deb12u1`, `libc6>=2.36`,
//! `curl~8.`, `busybox@edge`, ...

use std::fmt;

use serde::Serialize;

/// A version comparison in a package request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Op {
    /// `=`: exactly this version.
    Eq,
    /// `~` (or apk's `=~`): a version starting with this prefix.
    Prefix,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl Op {
    /// The operator as written in a recipe.
    pub fn as_str(&self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Prefix => "~",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `contents.packages`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PackageRequest {
    /// Package name.
    pub name: String,
    /// Optional version constraint.
    pub constraint: Option<(Op, String)>,
    /// APK repository tag (`name@tag`), if any.
    pub tag: Option<String>,
    /// 1-based line of this entry in the recipe that declared it (in an
    /// included file, a line of that file), for error messages; 0 if unknown.
    pub line: usize,
}

impl PackageRequest {
    /// Parse a package spec: `NAME`, `NAME=VERSION`, `NAME~PREFIX`,
    /// `NAME>V`, `NAME>=V`, `NAME<V`, `NAME<=V`, optionally with an APK tag
    /// `NAME@tag` (either right after the name or at the very end).
    ///
    /// ```
    /// use whittle_recipe::{Op, PackageRequest};
    /// let p = PackageRequest::parse("libc6>=2.36", 4).unwrap();
    /// assert_eq!(p.name, "libc6");
    /// assert_eq!(p.constraint, Some((Op::Ge, "2.36".to_string())));
    /// assert_eq!(p.line, 4);
    /// ```
    pub fn parse(spec: &str, line: usize) -> Result<PackageRequest, SpecError> {
        let bad = |why: &str| SpecError {
            spec: spec.to_string(),
            reason: why.to_string(),
        };
        if spec.is_empty() {
            return Err(bad("it is empty"));
        }
        if spec.chars().any(char::is_whitespace) {
            return Err(bad("it contains whitespace"));
        }
        // Split off the operator at the first of = ~ > <.
        let (head, constraint) = match spec.find(['=', '~', '>', '<']) {
            None => (spec, None),
            Some(i) => {
                let rest = &spec[i..];
                let (op, len) = if rest.starts_with(">=") {
                    (Op::Ge, 2)
                } else if rest.starts_with("<=") {
                    (Op::Le, 2)
                } else if rest.starts_with("=~") {
                    (Op::Prefix, 2)
                } else {
                    match rest.as_bytes()[0] {
                        b'=' => (Op::Eq, 1),
                        b'~' => (Op::Prefix, 1),
                        b'>' => (Op::Gt, 1),
                        _ => (Op::Lt, 1),
                    }
                };
                (&spec[..i], Some((op, &rest[len..])))
            }
        };
        let mut tag = None;
        let name = match head.split_once('@') {
            Some((name, t)) => {
                tag = Some(t);
                name
            }
            None => head,
        };
        let constraint = match constraint {
            None => None,
            Some((op, version)) => {
                let version = match version.split_once('@') {
                    Some((v, t)) => {
                        if tag.is_some() {
                            return Err(bad("it has two `@tag`s"));
                        }
                        tag = Some(t);
                        v
                    }
                    None => version,
                };
                if version.is_empty() {
                    return Err(bad(&format!("no version after `{op}`")));
                }
                if let Some(c) = version.chars().find(|c| "=~<>".contains(*c)) {
                    return Err(bad(&format!("unexpected `{c}` in the version")));
                }
                Some((op, version.to_string()))
            }
        };
        if name.is_empty() {
            return Err(bad("the package name is empty"));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "+-._:".contains(*c)))
        {
            return Err(bad(&format!("`{c}` is not allowed in a package name")));
        }
        if tag == Some("") {
            return Err(bad("the `@tag` is empty"));
        }
        Ok(PackageRequest {
            name: name.to_string(),
            constraint,
            tag: tag.map(str::to_string),
            line,
        })
    }
}

impl fmt::Display for PackageRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(tag) = &self.tag {
            write!(f, "@{tag}")?;
        }
        if let Some((op, v)) = &self.constraint {
            write!(f, "{op}{v}")?;
        }
        Ok(())
    }
}

/// Why a package spec could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The spec as written.
    pub spec: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad package spec `{}`: {}", self.spec, self.reason)
    }
}

impl std::error::Error for SpecError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PackageRequest {
        PackageRequest::parse(s, 1).unwrap()
    }

    #[test]
    fn operators() {
        assert_eq!(p("python3").constraint, None);
        let cases = [
            ("tzdata=2025a-0+deb12u1", Op::Eq, "2025a-0+deb12u1"),
            ("curl~8.", Op::Prefix, "8."),
            ("busybox=~1.36", Op::Prefix, "1.36"),
            ("libc6>=2.36", Op::Ge, "2.36"),
            ("libc6>2.36", Op::Gt, "2.36"),
            ("libc6<=2.36", Op::Le, "2.36"),
            ("libc6<2.36", Op::Lt, "2.36"),
            ("epoch=1:2.3-4", Op::Eq, "1:2.3-4"),
        ];
        for (spec, op, v) in cases {
            let r = p(spec);
            assert_eq!(r.constraint, Some((op, v.to_string())), "{spec}");
            assert_eq!(r.to_string(), spec.replace("=~", "~"));
        }
        assert_eq!(p("libc6>=2.36").name, "libc6");
    }

    #[test]
    fn tags() {
        let r = p("busybox@edge");
        assert_eq!(
            (r.name.as_str(), r.tag.as_deref()),
            ("busybox", Some("edge"))
        );
        let r = p("busybox@edge>=1.2");
        assert_eq!(r.tag.as_deref(), Some("edge"));
        assert_eq!(r.constraint, Some((Op::Ge, "1.2".into())));
        let r = p("busybox=1.2@local");
        assert_eq!(r.tag.as_deref(), Some("local"));
        assert_eq!(r.constraint, Some((Op::Eq, "1.2".into())));
        assert_eq!(r.to_string(), "busybox@local=1.2");
    }

    #[test]
    fn bad_specs() {
        for s in [
            "", "=1.0", "foo=", "foo>", "foo>>1", "a b", "foo@", "fo/o", "a@x=1@y", "foo=1=2",
        ] {
            let e = PackageRequest::parse(s, 3).unwrap_err();
            assert!(e.to_string().contains("bad package spec"), "{s}: {e}");
        }
    }
}
