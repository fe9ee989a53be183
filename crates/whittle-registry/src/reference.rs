//! Image references (`registry/repository:tag@digest`) with docker's
//! normalisation rules (distribution's `reference` package, `ParseNormalizedNamed`).

use std::fmt;

use crate::error::RegistryError;

/// Docker Hub's registry name, used when a reference names no registry.
///
/// Docker Hub's three names below are the only host names in this crate:
/// they are docker's documented defaults, kept together here.
pub const DOCKER_HUB: &str = "docker.io";
/// The host Docker Hub's API is served from.
pub(crate) const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
/// The key docker writes Docker Hub credentials under in `config.json`, and
/// the server URL it hands credential helpers for Docker Hub.
pub(crate) const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";
/// The host name inside [`DOCKER_HUB_CONFIG_KEY`].
pub(crate) const DOCKER_HUB_INDEX_HOST: &str = "index.docker.io";

/// A parsed image reference. `tag` and `digest` may both be absent (docker
/// then means `latest`, see [`Reference::tag_or_latest`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// The registry as written (`ghcr.io`, `localhost:5000`, `docker.io`).
    pub registry: String,
    /// The repository (`library/debian`, `org/app`).
    pub repository: String,
    /// The tag, without `:`.
    pub tag: Option<String>,
    /// The digest (`sha256:…`).
    pub digest: Option<String>,
}

impl Reference {
    /// Parse `[registry/]repository[:tag][@digest]` the way docker does: a
    /// first component without `.` or `:` that is not `localhost` is part of
    /// the repository and the registry is `docker.io`, where a one-component
    /// repository gets `library/`.
    pub fn parse(s: &str) -> Result<Reference, RegistryError> {
        let invalid = |reason: &str| RegistryError::InvalidReference {
            input: s.to_string(),
            reason: reason.to_string(),
        };
        let (name, digest) = match s.split_once('@') {
            Some((name, digest)) => {
                check_digest(digest).map_err(|r| invalid(&r))?;
                (name, Some(digest.to_string()))
            }
            None => (s, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => {
                let tag = &name[last_slash + i + 1..];
                check_tag(tag).map_err(|r| invalid(&r))?;
                (&name[..last_slash + i], Some(tag.to_string()))
            }
            None => (name, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first != first.to_lowercase() =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        if registry.is_empty() {
            return Err(invalid("the registry is empty"));
        }
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        check_repository(&repository).map_err(|r| invalid(&r))?;
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The same repository with this tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Reference {
        Reference {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        }
    }

    /// The same repository with this digest (and no tag).
    pub fn with_digest(&self, digest: &str) -> Reference {
        Reference {
            tag: None,
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }

    /// The tag, or `latest` when neither a tag nor a digest was given.
    pub fn tag_or_latest(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(tag), _) => Some(tag),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// The host the registry's API is served from (Docker Hub's differs from its name).
pub(crate) fn api_host(registry: &str) -> &str {
    if registry == DOCKER_HUB || registry == DOCKER_HUB_INDEX_HOST {
        DOCKER_HUB_API_HOST
    } else {
        registry
    }
}

fn check_repository(repository: &str) -> Result<(), String> {
    if repository.is_empty() {
        return Err("the repository name is empty".to_string());
    }
    for component in repository.split('/') {
        let ok = !component.is_empty()
            && component
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            && component.as_bytes()[0].is_ascii_alphanumeric()
            && component.as_bytes()[component.len() - 1].is_ascii_alphanumeric();
        if !ok {
            return Err(format!(
                "repository component {component:?} must be lowercase letters, digits and single separators (. _ -)"
            ));
        }
    }
    Ok(())
}

fn check_tag(tag: &str) -> Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && (tag.as_bytes()[0].is_ascii_alphanumeric() || tag.starts_with('_'))
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tag {tag:?} must be 1-128 letters, digits, '.', '_' or '-', not starting with '.' or '-'"
        ))
    }
}

/// `sha256:` and 64 lowercase hex digits (other algorithms: `alg:hex`).
pub(crate) fn check_digest(digest: &str) -> Result<(), String> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(format!("digest {digest:?} has no algorithm (sha256:…)"));
    };
    let hex_ok = !hex.is_empty()
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let ok = match algorithm {
        "sha256" => hex_ok && hex.len() == 64,
        "sha512" => hex_ok && hex.len() == 128,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("digest {digest:?} is not sha256:<64 hex digits>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Reference {
        Reference::parse(s).expect(s)
    }

    #[test]
    fn docker_normalisation() {
        let r = parse("debian");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("docker.io", "library/debian")
        );
        assert_eq!(r.tag_or_latest(), Some("latest"));
        let r = parse("org/app:1.0");
        assert_eq!(r.to_string(), "docker.io/org/app:1.0");
        let r = parse("localhost/app");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("localhost", "app")
        );
        let r = parse("127.0.0.1:5000/a/b/c:tag");
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "a/b/c");
        assert_eq!(r.tag.as_deref(), Some("tag"));
        let d = format!("sha256:{}", "a".repeat(64));
        let r = parse(&format!("registry.example:443/x:1@{d}"));
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.to_string(), format!("registry.example:443/x:1@{d}"));
        assert_eq!(r.tag_or_latest(), Some("1"));
        assert_eq!(r.with_digest(&d).tag_or_latest(), None);
        assert_eq!(r.with_tag("2").to_string(), "registry.example:443/x:2");
        assert_eq!(api_host("docker.io"), DOCKER_HUB_API_HOST);
        assert_eq!(api_host("ghcr.io"), "ghcr.io");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "a/Upper",
            "a//b",
            "x:",
            "x@sha256:abc",
            "host.io/",
            "x:-tag",
            "a/b_/c",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
        let Err(RegistryError::InvalidReference { reason, .. }) = Reference::parse("x@md5:00")
        else {
            panic!("expected an error")
        };
        assert!(reason.contains("sha256"), "{reason}");
    }
}
