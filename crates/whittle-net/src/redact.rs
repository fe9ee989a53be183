//! Hiding credentials in URLs before they reach a message.

/// `url` with any userinfo (`user:password@`) in its authority replaced by `***@`.
///
/// Strings without `scheme://` are returned unchanged.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_len].rfind('@') {
        Some(at) => format!("{}***@{}", &url[..authority_start], &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_userinfo() {
        assert_eq!(
            redact("https://user:secret@example.org/debian/dists"),
            "https://***@example.org/debian/dists"
        );
        assert_eq!(redact("http://token@h:8080"), "http://***@h:8080");
        assert_eq!(redact("http://a:b@c@h/x@y"), "http://***@h/x@y");
        assert_eq!(redact("http://h/x?a=b@c"), "http://h/x?a=b@c");
        assert_eq!(redact("http://h/path"), "http://h/path");
        assert_eq!(redact("/local/path@x"), "/local/path@x");
        assert_eq!(redact("file:///tmp/a"), "file:///tmp/a");
    }
}
