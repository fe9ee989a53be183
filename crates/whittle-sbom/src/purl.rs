//! Package URL helpers: percent-encoding and the `pkg:oci` purl of an image.

use whittle_model::Purl;

pub use whittle_model::purl_encode;

/// An image reference split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef {
    /// Repository with its registry host, if the reference names one
    /// (`registry.example.com/team/app`); `None` for a bare `app:tag`.
    pub repository_url: Option<String>,
    /// The last path segment of the repository, lowercased (the purl name).
    pub name: String,
    /// The tag, if any.
    pub tag: Option<String>,
}

/// Split an image reference such as `ghcr.io/acme/app:1.0`, `app:latest`,
/// `localhost:5000/app` or `app@sha256:…` into repository, name and tag.
pub(crate) fn parse_image_ref(reference: &str) -> ImageRef {
    let reference = reference.trim();
    // Drop a digest: the purl carries the digest as its version.
    let without_digest = reference.split('@').next().unwrap_or(reference);
    // A tag is a ':' after the last '/' (a ':' before it is a registry port).
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match without_digest[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            let tag = &without_digest[at + 1..];
            (
                &without_digest[..at],
                (!tag.is_empty()).then(|| tag.to_string()),
            )
        }
        None => (without_digest, None),
    };
    let name = repo.rsplit('/').next().unwrap_or(repo).to_ascii_lowercase();
    let name = if name.is_empty() {
        "image".to_string()
    } else {
        name
    };
    // Docker's rule: the first component is a registry host if it has a '.'
    // or a ':' or is "localhost", and there is more than one component.
    let repository_url = match repo.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            Some(repo.to_string())
        }
        _ => None,
    };
    ImageRef {
        repository_url,
        name,
        tag,
    }
}

/// The `pkg:oci` purl of an image manifest or index.
///
/// Follows the purl `oci` type: the name is the last repository segment
/// (lowercased), the version is the digest (`:` encoded as `%3A`), and the
/// qualifiers are `arch`, `repository_url` (the full repository, only when the
/// reference names a registry) and `tag`, sorted by key as canonical purls are.
pub(crate) fn oci_purl(image: &ImageRef, digest: &str, arch: Option<&str>) -> String {
    let mut purl = Purl::new("oci", &image.name, digest).qualifier("arch", arch.unwrap_or(""));
    if let Some(repo) = &image.repository_url {
        purl = purl.qualifier("repository_url", repo);
    }
    if let Some(tag) = &image.tag {
        purl = purl.qualifier("tag", tag);
    }
    purl.to_string()
}

/// The purl type (`deb`, `apk`, `rpm`, …) of a purl, if it has one.
pub(crate) fn purl_type(purl: &str) -> Option<&str> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.trim_start_matches('/');
    let end = rest.find('/')?;
    let ty = &rest[..end];
    (!ty.is_empty()
        && ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b)))
    .then_some(ty)
}

/// Whether a purl looks well formed enough for SPDX validators
/// (`pkg:TYPE/…/NAME`, no whitespace).
pub(crate) fn purl_is_plausible(purl: &str) -> bool {
    purl_type(purl).is_some()
        && !purl.chars().any(char::is_whitespace)
        && purl
            .strip_prefix("pkg:")
            .and_then(|r| r.split(['@', '?', '#']).next())
            .is_some_and(|path| path.trim_end_matches('/').matches('/').count() >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_table() {
        for (input, want) in [
            ("1.0", "1.0"),
            ("3.11.2-1+b1", "3.11.2-1%2Bb1"),
            ("1:1.2.13.dfsg-1", "1%3A1.2.13.dfsg-1"),
            ("2.36-9+deb12u4", "2.36-9%2Bdeb12u4"),
            ("1.0~rc1", "1.0~rc1"),
            ("a_b", "a_b"),
            ("sha256:ab", "sha256%3Aab"),
            ("arm/v7", "arm%2Fv7"),
            ("a b", "a%20b"),
            ("a%b", "a%25b"),
            ("a&b=c?d#e@f", "a%26b%3Dc%3Fd%23e%40f"),
            ("é", "%C3%A9"),
            ("", ""),
        ] {
            assert_eq!(purl_encode(input), want, "{input:?}");
        }
    }

    #[test]
    fn image_refs() {
        let r = parse_image_ref("ghcr.io/Acme/App:1.0");
        assert_eq!(r.repository_url.as_deref(), Some("ghcr.io/Acme/App"));
        assert_eq!(r.name, "app");
        assert_eq!(r.tag.as_deref(), Some("1.0"));

        let r = parse_image_ref("localhost:5000/app");
        assert_eq!(r.repository_url.as_deref(), Some("localhost:5000/app"));
        assert_eq!(r.name, "app");
        assert_eq!(r.tag, None);

        let r = parse_image_ref("app:latest");
        assert_eq!(r.repository_url, None);
        assert_eq!(r.name, "app");
        assert_eq!(r.tag.as_deref(), Some("latest"));

        let r = parse_image_ref("library/debian@sha256:abc");
        assert_eq!(r.repository_url, None);
        assert_eq!(r.name, "debian");
        assert_eq!(r.tag, None);
    }

    #[test]
    fn oci_purls() {
        let r = parse_image_ref("docker.io/library/debian:latest");
        assert_eq!(
            oci_purl(&r, "sha256:244fd47e07d10", Some("amd64")),
            "pkg:oci/debian@sha256%3A244fd47e07d10?arch=amd64&repository_url=docker.io/library/debian&tag=latest"
        );
        let r = parse_image_ref("hello-wasm:v1");
        assert_eq!(
            oci_purl(&r, "sha256:244fd47e07d10", None),
            "pkg:oci/hello-wasm@sha256%3A244fd47e07d10?tag=v1"
        );
        let r = parse_image_ref("localhost:5000/x");
        assert_eq!(
            oci_purl(&r, "sha256:00", Some("arm/v7")),
            "pkg:oci/x@sha256%3A00?arch=arm%2Fv7&repository_url=localhost%3A5000/x"
        );
    }

    #[test]
    fn purl_types() {
        assert_eq!(purl_type("pkg:deb/debian/zlib1g@1"), Some("deb"));
        assert_eq!(purl_type("pkg:apk/wolfi/busybox"), Some("apk"));
        assert_eq!(purl_type("nonsense"), None);
        assert!(purl_is_plausible(
            "pkg:deb/debian/zlib1g@1%3A1.2?arch=amd64"
        ));
        assert!(!purl_is_plausible("pkg:deb/zlib1g extra"));
        assert!(!purl_is_plausible("pkg:deb"));
        assert!(!purl_is_plausible(""));
    }
}
