//! A recipe's APK repository entries, parsed and checked here (the recipe
//! crate keeps them world-neutral): apko's plain strings (`URL`, a path,
//! or `@tag URL`) and `{type: apk, url, tag}` maps, in apko's three lists.

use serde::Deserialize;
use whittle_recipe::{RecipeError, RepositoryRole, RepositorySpec};

/// An APK repository: `https://wolfi.mirror.invalid/os` or `@tag url`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApkRepository {
    /// The repository URL or path, as written.
    pub url: String,
    /// The tag of a tagged repository (`@local /path` → `local`).
    pub tag: Option<String>,
}

impl ApkRepository {
    /// Parse apko's string form: `URL` or `@tag URL` (a path works as the
    /// URL). `None` when empty, or when the URL has whitespace in it.
    ///
    /// ```
    /// use whittle_apk::ApkRepository;
    /// let r = ApkRepository::parse("@local ./packages").unwrap();
    /// assert_eq!((r.url.as_str(), r.tag.as_deref()), ("./packages", Some("local")));
    /// assert_eq!(r.line(), "@local ./packages");
    /// assert!(ApkRepository::parse("@local").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<ApkRepository> {
        let text = text.trim();
        if let Some(tagged) = text.strip_prefix('@') {
            let (tag, url) = tagged.split_once(char::is_whitespace)?;
            let url = url.trim();
            if tag.is_empty() || url.is_empty() || url.contains(char::is_whitespace) {
                return None;
            }
            return Some(ApkRepository {
                url: url.to_string(),
                tag: Some(tag.to_string()),
            });
        }
        if text.is_empty() || text.contains(char::is_whitespace) {
            return None;
        }
        Some(ApkRepository {
            url: text.to_string(),
            tag: None,
        })
    }

    /// The `/etc/apk/repositories` line: `URL` or `@tag URL`.
    pub fn line(&self) -> String {
        match &self.tag {
            Some(tag) => format!("@{tag} {}", self.url),
            None => self.url.clone(),
        }
    }
}

/// The keys a `type: apk` map may have.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    url: String,
    tag: Option<String>,
}

/// The recipe's APK repositories, sorted by use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApkRepositories {
    /// What to resolve and fetch from (`repositories` then
    /// `build_repositories`), in order; relative paths resolved against the
    /// recipe's directory.
    pub sources: Vec<ApkRepository>,
    /// Each source as the recipe wrote it (relative paths unresolved), for
    /// lock files that stay valid in another checkout.
    pub written: Vec<String>,
    /// The lines for the image's `/etc/apk/repositories`: `repositories`
    /// as written (relative paths not resolved, so no build-host path leaks
    /// into the image, as apko does), then `runtime_repositories`.
    pub image_lines: Vec<String>,
}

impl ApkRepositories {
    /// Parse the recipe's APK entries (every role, in plan order).
    pub fn from_specs(specs: &[&RepositorySpec]) -> Result<ApkRepositories, RecipeError> {
        let mut out = ApkRepositories::default();
        for spec in specs {
            let written = parse_entry(spec)?;
            let resolved = ApkRepository {
                url: spec.local(&written.url),
                tag: written.tag.clone(),
            };
            match spec.role {
                RepositoryRole::Resolve => {
                    out.image_lines.push(match spec.text() {
                        Some(text) => text.to_string(),
                        None => written.line(),
                    });
                    out.sources.push(resolved);
                    out.written.push(written.line());
                }
                RepositoryRole::BuildOnly => {
                    out.sources.push(resolved);
                    out.written.push(written.line());
                }
                RepositoryRole::RuntimeOnly => out.image_lines.push(written.line()),
            }
        }
        Ok(out)
    }
}

fn parse_entry(spec: &RepositorySpec) -> Result<ApkRepository, RecipeError> {
    match spec.text() {
        Some(text) => ApkRepository::parse(text).ok_or_else(|| {
            spec.error(format!("bad repository `{text}`"))
                .with_hint("write a URL, a path, or `@tag URL`, or a map with `type:`")
        }),
        None => {
            let f: Fields = spec.fields()?;
            let repo = ApkRepository {
                url: f.url.trim().to_string(),
                tag: f.tag.filter(|t| !t.is_empty()),
            };
            if repo.url.is_empty() || repo.url.contains(char::is_whitespace) {
                return Err(spec
                    .error(format!("bad apk repository url `{}`", f.url))
                    .with_key("url")
                    .with_hint("write a URL or a path without spaces"));
            }
            Ok(repo)
        }
    }
}
