//! A recipe's RPM repository entries, parsed and checked here (the recipe
//! crate keeps them world-neutral). Keys follow dnf/tdnf's `.repo` files:
//!
//! ```yaml
//! - type: rpm
//!   url: https://repo.example/azurelinux/3.0/prod/base/$basearch
//!   gpgkey: ./keys/MICROSOFT-RPM-GPG-KEY   # path or URL, or a list
//!   gpgcheck: true                          # the default
//!   repo_gpgcheck: false                    # true: repomd.xml.asc is verified
//!   releasever: "3.0"                       # for $releasever
//!   install_weak_deps: false                # the default
//! ```

use serde::Deserialize;
use whittle_recipe::{Arch, RecipeError, RepositoryRole, RepositorySpec};

/// One RPM repository as the recipe gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmRepository {
    /// The base URL (or path) as written, `$basearch`/`$releasever`
    /// not yet expanded; relative paths resolved against the recipe.
    pub url: String,
    /// Keys that sign packages (and `repomd.xml`): paths or URLs.
    pub gpgkeys: Vec<String>,
    /// Whether every package's header signature must verify.
    pub gpgcheck: bool,
    /// Whether `repodata/repomd.xml.asc` must verify.
    pub repo_gpgcheck: bool,
    /// The value of `$releasever`.
    pub releasever: Option<String>,
    /// Whether packages' Recommends are installed as dependencies.
    pub install_weak_deps: bool,
    /// Where the entry is, for messages (`recipe.yaml:7`).
    pub origin: String,
}

impl RpmRepository {
    /// The base URL for `arch`, with tdnf's variables expanded: `$basearch`
    /// and `$arch` (`x86_64`, `aarch64`) and `$releasever`.
    pub fn url_for(&self, arch: Arch) -> Result<String, String> {
        let mut url = self
            .url
            .replace("$basearch", rpm_arch(arch))
            .replace("$arch", rpm_arch(arch));
        if url.contains("$releasever") {
            let Some(release) = &self.releasever else {
                return Err(format!(
                    "{}: the repository URL uses $releasever but the entry sets no \
                     `releasever:`; add e.g. `releasever: \"3.0\"`",
                    self.origin
                ));
            };
            url = url.replace("$releasever", release);
        }
        Ok(url.trim_end_matches('/').to_string())
    }
}

/// Either one string or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The keys a `type: rpm` map may have.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    #[serde(alias = "baseurl")]
    url: String,
    gpgkey: Option<OneOrMany>,
    gpgcheck: Option<bool>,
    repo_gpgcheck: Option<bool>,
    releasever: Option<String>,
    install_weak_deps: Option<bool>,
    /// A repository id, as `.repo` files have; only for messages.
    name: Option<String>,
}

/// Parse the recipe's RPM entries (those that resolve; runtime-only ones
/// have no meaning for an image without a package manager and are refused).
pub fn repositories_from_specs(
    specs: &[&RepositorySpec],
) -> Result<Vec<RpmRepository>, RecipeError> {
    let mut out = Vec::new();
    for spec in specs {
        if spec.role == RepositoryRole::RuntimeOnly {
            return Err(spec
                .error("an rpm repository cannot be runtime-only: the image has no package manager to use it")
                .with_hint("move it to `contents.repositories`, or drop it"));
        }
        let f: Fields = spec.fields()?;
        let url = f.url.trim();
        if url.is_empty() || url.contains(char::is_whitespace) {
            return Err(spec
                .error(format!("bad rpm repository url `{}`", f.url))
                .with_key("url")
                .with_hint("write a URL or a path without spaces"));
        }
        let gpgkeys: Vec<String> = match f.gpgkey {
            None => Vec::new(),
            Some(OneOrMany::One(k)) => vec![k],
            Some(OneOrMany::Many(ks)) => ks,
        }
        .into_iter()
        .map(|k| spec.local(k.trim()))
        .collect();
        let gpgcheck = f.gpgcheck.unwrap_or(true);
        let repo_gpgcheck = f.repo_gpgcheck.unwrap_or(false);
        if (gpgcheck || repo_gpgcheck) && gpgkeys.is_empty() {
            return Err(spec
                .error(format!(
                    "the rpm repository {url} checks signatures but names no `gpgkey:`"
                ))
                .with_key("gpgkey")
                .with_hint(
                    "add `gpgkey: PATH-OR-URL` (the distribution's RPM-GPG-KEY), or \
                     `gpgcheck: false` to accept unsigned packages",
                ));
        }
        let origin = match &f.name {
            Some(name) => format!("{} ({name})", spec.origin.describe()),
            None => spec.origin.describe(),
        };
        out.push(RpmRepository {
            url: spec.local(url),
            gpgkeys,
            gpgcheck,
            repo_gpgcheck,
            releasever: f.releasever,
            install_weak_deps: f.install_weak_deps.unwrap_or(false),
            origin,
        });
    }
    Ok(out)
}

/// The RPM name of an architecture (`$basearch`).
pub fn rpm_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::Amd64 => "x86_64",
        Arch::Arm64 => "aarch64",
        Arch::Armv7 => "armv7hl",
        Arch::I386 => "i686",
        Arch::Ppc64le => "ppc64le",
        Arch::S390x => "s390x",
        Arch::Riscv64 => "riscv64",
    }
}

/// The package architectures installable on `arch`: its own and `noarch`.
pub fn compatible_arches(arch: Arch) -> Vec<&'static str> {
    vec![rpm_arch(arch), "noarch"]
}
