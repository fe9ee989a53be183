//! The records as Go's `encoding/json` prints Chisel's structs
//! (`public/manifest/manifest.go`): fields in declaration order, `omitempty`
//! ones left out when empty or zero, strings escaped the Go way.

use std::fmt::Write as _;

use super::{ManifestPackage, ManifestPath};

/// A JSON object under construction, fields appended in order.
struct Object(String);

impl Object {
    fn new(kind: &str) -> Self {
        let mut out = String::from("{");
        push_key(&mut out, "kind");
        push_string(&mut out, kind);
        Self(out)
    }

    /// A string field, left out when empty (`omitempty`).
    fn string(mut self, key: &str, value: &str) -> Self {
        if !value.is_empty() {
            self.0.push(',');
            push_key(&mut self.0, key);
            push_string(&mut self.0, value);
        }
        self
    }

    /// An optional string field, left out when absent or empty.
    fn opt_string(self, key: &str, value: Option<&String>) -> Self {
        self.string(key, value.map_or("", String::as_str))
    }

    /// A number field, left out when zero (`omitempty`).
    fn number(mut self, key: &str, value: u64) -> Self {
        if value != 0 {
            self.0.push(',');
            push_key(&mut self.0, key);
            let _ = write!(self.0, "{value}");
        }
        self
    }

    /// A list of strings, left out when empty (`omitempty`).
    fn strings(mut self, key: &str, values: &[String]) -> Self {
        if !values.is_empty() {
            self.0.push(',');
            push_key(&mut self.0, key);
            self.0.push('[');
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                push_string(&mut self.0, v);
            }
            self.0.push(']');
        }
        self
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn push_key(out: &mut String, key: &str) {
    push_string(out, key);
    out.push(':');
}

/// `s` as a JSON string, escaped as Go's `encoding/json` does by default:
/// `\b \f \n \r \t`, other control characters as `\u00XX`, and the HTML
/// characters `< > &` plus U+2028 and U+2029 as `\uXXXX`.
pub(crate) fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `{"kind":"package","name","version","sha256","arch"}`.
pub(crate) fn package(p: &ManifestPackage) -> String {
    Object::new("package")
        .string("name", &p.name)
        .string("version", &p.version)
        .string("sha256", &p.sha256)
        .string("arch", &p.arch)
        .finish()
}

/// `{"kind":"slice","name"}`.
pub(crate) fn slice(name: &str) -> String {
    Object::new("slice").string("name", name).finish()
}

/// `{"kind":"path","path","mode","slices","sha256","final_sha256","size","link","inode"}`;
/// `slices` must already be sorted.
pub(crate) fn path(p: &ManifestPath, sorted_slices: &[String]) -> String {
    Object::new("path")
        .string("path", &p.path)
        .string("mode", &mode_string(p.mode))
        .strings("slices", sorted_slices)
        .opt_string("sha256", p.sha256.as_ref())
        .opt_string("final_sha256", p.final_sha256.as_ref())
        .number("size", p.size.unwrap_or(0))
        .opt_string("link", p.link.as_ref())
        .number("inode", p.inode.unwrap_or(0))
        .finish()
}

/// `{"kind":"content","slice","path"}`.
pub(crate) fn content(slice: &str, path: &str) -> String {
    Object::new("content")
        .string("slice", slice)
        .string("path", path)
        .finish()
}

/// The header line's object: `{"jsonwall":"1.0","schema":"1.0","count":N}`.
pub(crate) fn header(count: usize) -> String {
    format!("{{\"jsonwall\":\"1.0\",\"schema\":\"1.0\",\"count\":{count}}}")
}

/// Chisel's `fmt.Sprintf("0%o", unixPerm(mode))`: the permission bits and
/// the sticky bit, never setuid/setgid or the file type.
pub(crate) fn mode_string(mode: u32) -> String {
    format!("0{:o}", mode & 0o1777)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = String::new();
        push_string(&mut out, s);
        out
    }

    #[test]
    fn escapes_like_go() {
        assert_eq!(quoted("a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(quoted("q\"\\"), r#""q\"\\""#);
        assert_eq!(quoted("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(quoted("\u{1}\u{1f}\u{7f}"), "\"\\u0001\\u001f\u{7f}\"");
        assert_eq!(quoted("\u{2028}\u{2029}é"), "\"\\u2028\\u2029é\"");
    }

    #[test]
    fn modes_drop_setuid_and_setgid() {
        assert_eq!(mode_string(0o644), "0644");
        assert_eq!(mode_string(0o2775), "0775");
        assert_eq!(mode_string(0o4755), "0755");
        assert_eq!(mode_string(0o1777), "01777");
        assert_eq!(mode_string(0o40755), "0755");
        assert_eq!(mode_string(0), "00");
    }
}
