//! A recipe's `type: deb` repository entries, parsed and checked here (the
//! recipe crate keeps them world-neutral).
//!
//! ```yaml
//! - type: deb
//!   url: ${MIRROR}/debian      # optional: else the host's apt sources
//!   suites: [bookworm, bookworm-updates]
//!   components: [main]         # optional: [main]
//!   keyring: keys/debian.gpg   # optional: else the host source's Signed-By
//!   archive: ubuntu            # with `contents.slices`: the chisel.yaml archive
//!                              # whose suites, components and keys are defaults
//! ```

use serde::Deserialize;
use whittle_recipe::{RecipeError, RepositoryRole, RepositorySpec};

/// An APT repository (`type: deb`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebRepository {
    /// Base URL (the directory holding `dists/`); `None` means "whatever the
    /// host's apt sources use for these suites".
    pub url: Option<String>,
    /// Suites (`bookworm`, `bookworm-updates`, ...): empty only until a
    /// chisel.yaml archive fills them (`contents.slices`).
    pub suites: Vec<String>,
    /// Components; `[main]` when not given.
    pub components: Vec<String>,
    /// Signing keyring (path or URL), relative paths resolved against the
    /// recipe's directory.
    pub keyring: Option<String>,
    /// With `contents.slices`: which chisel.yaml archive this repository
    /// serves (its suites, components and keys fill what is left out).
    pub archive: Option<String>,
    /// Whether `components` was left out (then `[main]`, or the archive's).
    pub default_components: bool,
    /// Armored keys trusted besides `keyring` (chisel.yaml's), each with
    /// where it came from.
    pub inline_keys: Vec<(String, String)>,
}

/// The keys a `type: deb` entry may have.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    url: Option<String>,
    suites: Option<Vec<String>>,
    components: Option<Vec<String>>,
    keyring: Option<String>,
    archive: Option<String>,
}

impl DebRepository {
    /// Parse one recipe entry. A plain string, a runtime-only entry (no
    /// image of this world records its repositories) and missing or empty
    /// suites are errors at the entry.
    /// `suites` may be left out only when `with_release` (a chisel.yaml
    /// then supplies them).
    pub fn from_spec(
        spec: &RepositorySpec,
        with_release: bool,
    ) -> Result<DebRepository, RecipeError> {
        if spec.kind.is_none() {
            return Err(spec
                .error("a plain repository string is not a Debian repository")
                .with_hint(
                    "write Debian repositories as maps: `{type: deb, url: ..., suites: [...]}`",
                ));
        }
        if spec.role == RepositoryRole::RuntimeOnly {
            return Err(spec
                .error("a `deb` repository in `runtime_repositories` would have no effect")
                .with_hint(
                    "Debian images hold no apt sources; list it under `repositories`, or remove it",
                ));
        }
        let f: Fields = spec.fields()?;
        if f.archive.is_some() && !with_release {
            return Err(spec
                .error("`archive:` names a chisel.yaml archive, but the recipe has no `contents.slices`")
                .with_key("archive")
                .with_hint("add `contents.slices: PATH-TO-CHISEL-RELEASE`, or remove `archive:`"));
        }
        if f.suites.is_none() && !with_release {
            return Err(spec
                .origin
                .error(
                    whittle_recipe::ErrorKind::MissingKey,
                    "deb repository without `suites`",
                )
                .with_key("suites")
                .with_hint("add e.g. `suites: [bookworm]`"));
        }
        let suites = f.suites.unwrap_or_default();
        if suites.is_empty() && !with_release {
            return Err(spec
                .error("deb repository without suites")
                .with_key("suites")
                .with_hint("add e.g. `suites: [bookworm]`"));
        }
        let default_components = f.components.is_none();
        let components = match f.components {
            None => vec!["main".to_string()],
            Some(list) if list.is_empty() => {
                return Err(spec
                    .error("deb repository with an empty `components` list")
                    .with_key("components")
                    .with_hint("remove `components` to get [main], or list some"))
            }
            Some(list) => list,
        };
        Ok(DebRepository {
            url: f.url.filter(|u| !u.trim().is_empty()),
            suites,
            components,
            keyring: f.keyring.map(|k| spec.local(&k)),
            archive: f.archive,
            default_components,
            inline_keys: Vec::new(),
        })
    }
}
