//! Small helpers every format uses: text cleaning, stable identifiers,
//! digests, URLs and the creating tool's name.

use std::collections::BTreeSet;

use sha2::{Digest as _, Sha256};

pub(crate) use whittle_model::time::rfc3339 as rfc3339_utc;

/// Control characters (newlines included) replaced by spaces.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// SHA-256 over NUL-separated parts, hex.
pub(crate) fn hash_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// Append `-2`, `-3`, … until `id` is unused, then mark it used.
pub(crate) fn unique_id(id: String, used: &mut BTreeSet<String>) -> String {
    let mut candidate = id.clone();
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{id}-{n}");
        n += 1;
    }
    used.insert(candidate.clone());
    candidate
}

/// Keep `[A-Za-z0-9.-]` (what an SPDX ID allows), replace the rest with `-`.
pub(crate) fn sanitize_id(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        "x".to_string()
    } else {
        out
    }
}

/// A digest with surrounding space removed; `None` when blank.
pub(crate) fn digest(d: Option<&str>) -> Option<&str> {
    d.map(str::trim).filter(|d| !d.is_empty())
}

/// The lowercase hex of an OCI digest `sha256:<64 hex>`.
pub(crate) fn sha256_hex(digest: &str) -> Option<String> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// `url` without the `user:password@` part of its authority: an SBOM is
/// published, a repository's credentials are not.
pub(crate) fn without_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_len].rfind('@') {
        Some(at) => format!("{}{}", &url[..authority_start], &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// The creating tool's name, trimmed and on one line (`whittle` if blank).
pub(crate) fn tool_name(tool: &str) -> String {
    let tool = one_line(tool).trim().to_string();
    if tool.is_empty() {
        "whittle".to_string()
    } else {
        tool
    }
}

/// `whittle-0.1.0` → (`whittle`, `Some("0.1.0")`): the version is what
/// follows the last `-` when it starts with a digit.
pub(crate) fn split_tool(tool: &str) -> (String, Option<String>) {
    let tool = tool_name(tool);
    match tool.rsplit_once('-') {
        Some((name, version))
            if !name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            (name.to_string(), Some(version.to_string()))
        }
        _ => (tool, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    #[test]
    fn unique_ids() {
        let mut used = BTreeSet::new();
        assert_eq!(unique_id("a".into(), &mut used), "a");
        assert_eq!(unique_id("a".into(), &mut used), "a-2");
        assert_eq!(unique_id("a".into(), &mut used), "a-3");
    }

    #[test]
    fn credentials_never_reach_a_document() {
        for (url, want) in [
            (
                "https://user:secret@repo.example/pool/a.deb",
                "https://repo.example/pool/a.deb",
            ),
            ("http://token@h:8080/x", "http://h:8080/x"),
            ("http://h/x?a=b@c", "http://h/x?a=b@c"),
            ("http://h/path", "http://h/path"),
            ("/local/path@x", "/local/path@x"),
        ] {
            assert_eq!(without_userinfo(url), want, "{url}");
        }
    }

    #[test]
    fn tools() {
        assert_eq!(
            split_tool("whittle-0.1.0"),
            ("whittle".into(), Some("0.1.0".into()))
        );
        assert_eq!(split_tool("whittle-test"), ("whittle-test".into(), None));
        assert_eq!(split_tool(" \n"), ("whittle".into(), None));
        assert_eq!(split_tool("-1"), ("-1".into(), None));
    }

    #[test]
    fn oci_digests() {
        let hex = "Ab".repeat(32);
        assert_eq!(
            sha256_hex(&format!("sha256:{hex}")),
            Some(hex.to_ascii_lowercase())
        );
        assert_eq!(sha256_hex("sha256:abc"), None);
        assert_eq!(sha256_hex(&format!("sha512:{hex}")), None);
        assert_eq!(digest(Some("  ")), None);
        assert_eq!(digest(Some(" x ")), Some("x"));
    }
}
