//! Package URLs (purl, <https://github.com/package-url/purl-spec>): the one
//! place whittle percent-encodes their parts. Worlds fill a [`Purl`]; the
//! SBOM writer prints it.

use std::fmt;

/// A package URL: `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS`.
///
/// ```
/// use whittle_model::Purl;
/// let purl = Purl::new("deb", "python3", "3.11.2-1+b1")
///     .namespace("debian")
///     .qualifier("arch", "amd64")
///     .qualifier("distro", "debian-12");
/// assert_eq!(
///     purl.to_string(),
///     "pkg:deb/debian/python3@3.11.2-1%2Bb1?arch=amd64&distro=debian-12"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Purl {
    /// Package type (`deb`, `apk`, `rpm`, `oci`).
    pub ty: String,
    /// Namespace (the distribution: `debian`, `wolfi`), if any.
    pub namespace: Option<String>,
    /// Package name.
    pub name: String,
    /// Version, if any.
    pub version: Option<String>,
    /// Qualifiers in the order given (`arch`, `distro`, …).
    pub qualifiers: Vec<(String, String)>,
}

impl Purl {
    /// A purl with a type, name and version.
    pub fn new(ty: &str, name: &str, version: &str) -> Purl {
        Purl {
            ty: ty.to_string(),
            namespace: None,
            name: name.to_string(),
            version: (!version.is_empty()).then(|| version.to_string()),
            qualifiers: Vec::new(),
        }
    }

    /// With a namespace.
    #[must_use]
    pub fn namespace(mut self, namespace: &str) -> Purl {
        self.namespace = Some(namespace.to_string());
        self
    }

    /// With one more qualifier; empty values are left out, as the spec asks.
    #[must_use]
    pub fn qualifier(mut self, key: &str, value: &str) -> Purl {
        if !value.is_empty() {
            self.qualifiers.push((key.to_string(), value.to_string()));
        }
        self
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{}/", encode(ns))?;
        }
        f.write_str(&encode(&self.name))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v))?;
        }
        // The spec's own examples leave the `/` of a `repository_url` (a
        // URL) as it is; every other value is encoded strictly.
        for (i, (k, v)) in self.qualifiers.iter().enumerate() {
            let keep: &[u8] = if k == "repository_url" { b"/" } else { b"" };
            write!(
                f,
                "{}{k}={}",
                if i == 0 { '?' } else { '&' },
                encode_keeping(v, keep)
            )?;
        }
        Ok(())
    }
}

/// Percent-encode a purl component: every byte outside `A-Z a-z 0-9 . - _ ~`
/// becomes `%XX` (upper-case hex of the UTF-8 bytes), so `+` is `%2B`, `:`
/// is `%3A` and `/` is `%2F`. This is the strict reading of the spec and
/// always safe, since a purl parser decodes every `%XX`.
///
/// ```
/// assert_eq!(whittle_model::purl_encode("1:1.2.13.dfsg-1"), "1%3A1.2.13.dfsg-1");
/// assert_eq!(whittle_model::purl_encode("20250419~deb12u2"), "20250419~deb12u2");
/// ```
pub fn purl_encode(s: &str) -> String {
    encode(s)
}

fn encode(s: &str) -> String {
    encode_keeping(s, b"")
}

fn encode_keeping(s: &str, keep: &[u8]) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') || keep.contains(&b)
        {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_parts_are_left_out() {
        let p = Purl::new("apk", "busybox", "1.36.1-r0")
            .namespace("wolfi")
            .qualifier("arch", "x86_64")
            .qualifier("distro", "");
        assert_eq!(p.to_string(), "pkg:apk/wolfi/busybox@1.36.1-r0?arch=x86_64");
        assert_eq!(Purl::new("rpm", "a", "").to_string(), "pkg:rpm/a");
    }
}
