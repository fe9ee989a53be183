//! [`BuildPlan`]: the validated form of a recipe, what the engine reads.
//! Reading it is split by step: `convert` (one file's raw YAML to a
//! partial plan), `include` (merging `include:` chains), `validate` (checks
//! over the merged whole); `edit` holds the command-line additions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::accounts::{resolve_run_as, Accounts};
use crate::arch::Arch;
use crate::error::{ErrorKind, RecipeError};
use crate::layering::Layering;
use crate::package_spec::PackageRequest;
use crate::paths::PathMutation;
use crate::repository::{RepositoryRole, RepositorySpec};
use crate::{include, validate};

/// A validated recipe: everything the engine needs to build the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildPlan {
    /// The recipe file this plan was read from.
    pub source: PathBuf,
    /// Package repositories of every role, in recipe order (included files
    /// first, then `repositories`, `build_repositories`,
    /// `runtime_repositories` of each file, then command-line additions).
    /// Each is parsed by the package world its `type:` names.
    pub repositories: Vec<RepositorySpec>,
    /// `contents.keyring` (paths or URLs; relative paths resolved against
    /// the recipe's directory): keys every repository of the recipe trusts,
    /// besides its own.
    pub keyrings: Vec<String>,
    /// Packages to install (never empty).
    pub packages: Vec<PackageRequest>,
    /// Package names never to install, even as dependencies.
    pub exclude: Vec<String>,
    /// `contents.slices`: Chisel release trees (`chisel.yaml` + `slices/`),
    /// resolved against the recipe's folder; later trees overlay earlier
    /// ones package by package. Entries `pkg_slice` in `packages` select
    /// slices from them.
    pub slices: Vec<String>,
    /// `contents.path-exclude`: globs (dpkg's `--path-exclude` meaning) of
    /// package files left out of the image, in every world.
    pub path_exclude: Vec<String>,
    /// `contents.path-include`: globs put back after `path_exclude`.
    pub path_include: Vec<String>,
    /// Users and groups to create, and who the image runs as.
    pub accounts: Accounts,
    /// Entrypoint argv (`shell-fragment` becomes `["/bin/sh", "-c", frag]`).
    pub entrypoint: Vec<String>,
    /// Default arguments (argv).
    pub cmd: Vec<String>,
    /// Working directory (absolute).
    pub work_dir: Option<String>,
    /// Signal to stop the container with, e.g. `SIGTERM`.
    pub stop_signal: Option<String>,
    /// Environment of the image.
    pub environment: BTreeMap<String, String>,
    /// Architectures to build for: never empty (defaults to the host's),
    /// without duplicates, in recipe order.
    pub archs: Vec<Arch>,
    /// OCI annotations.
    pub annotations: BTreeMap<String, String>,
    /// Volumes (absolute paths).
    pub volumes: Vec<String>,
    /// Filesystem changes applied after the packages are installed, in order.
    pub paths: Vec<PathMutation>,
    /// `alternatives:`: the provider the image uses for an alternative
    /// (`java` → `/usr/lib/jvm/java-17-openjdk-amd64/bin/java`) instead of
    /// the highest-priority one a package registered. Absolute paths.
    pub alternatives: BTreeMap<String, String>,
    /// apko's `vcs-url` (`https://github.com/org/repo@<commit>`), if set.
    /// The engine turns it into the `org.opencontainers.image.source` and
    /// `org.opencontainers.image.revision` annotations; see
    /// [`BuildPlan::vcs_source_revision`].
    pub vcs_url: Option<String>,
    /// `rpmdb:` (RPM world): `false` writes Azure Linux's distroless
    /// `container-manifest-2` instead of `/var/lib/rpm/rpmdb.sqlite`;
    /// `None` means the world's default (the database).
    pub rpmdb: Option<bool>,
    /// apko's `layering: {strategy: origin, budget: N}`; `None` means one
    /// layer.
    pub layering: Option<Layering>,
    /// Skip verification of repository signatures (`--ignore-signatures`;
    /// never set by the recipe). Every world must honour it and say so
    /// loudly for every index it does not verify.
    pub ignore_signatures: bool,
}

impl BuildPlan {
    /// Read and validate the recipe at `path`, expanding `${VAR}` from the
    /// process environment.
    pub fn from_file(path: &Path) -> Result<BuildPlan, RecipeError> {
        let text = fs_err::read_to_string(path).map_err(|e| {
            RecipeError::new(ErrorKind::Io, path, "cannot read recipe")
                .with_hint("check the path and its permissions")
                .with_cause(e)
        })?;
        BuildPlan::from_str_with_env(&text, path, &|name| std::env::var(name).ok())
    }

    /// Parse and validate recipe `text`, naming it `file` in errors (and
    /// resolving `include:` relative to it), with `${VAR}` looked up in `env`.
    pub fn from_str_with_env(
        text: &str,
        file: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<BuildPlan, RecipeError> {
        let mut stack = vec![include::normalize(file)];
        let partial = include::load(text, file, env, &mut stack)?;
        validate::finish(partial, file)
    }

    /// The uid `run-as` names as far as the recipe itself says: a number
    /// (`uid` or `uid:gid`) or a user of `accounts.users`. `None` when
    /// there is no `run-as`, or it names an account only the image defines
    /// (`root`, `nobody`): the engine looks those up in the image's
    /// `/etc/passwd`.
    pub fn run_as_uid(&self) -> Option<u32> {
        resolve_run_as(self.accounts.run_as.as_deref()?, &self.accounts.users)
    }
}

impl BuildPlan {
    /// The repositories to resolve and fetch packages from (every role
    /// but [`RepositoryRole::RuntimeOnly`]), in order.
    pub fn repositories_for_resolving(&self) -> impl Iterator<Item = &RepositorySpec> {
        self.repositories
            .iter()
            .filter(|r| r.role != RepositoryRole::RuntimeOnly)
    }

    /// `vcs-url` split into the source URL and, when it ends in
    /// `@<revision>`, the revision: the values of the
    /// `org.opencontainers.image.source` and `...revision` annotations.
    /// An `@` followed by something with `/` or `:` is part of the URL
    /// (`git@github.com:org/repo`), not a revision.
    ///
    /// ```
    /// # use std::path::Path;
    /// # use whittle_recipe::BuildPlan;
    /// let text = "contents: {packages: [a]}\nvcs-url: https://github.com/o/r@0123abc\n";
    /// let plan = BuildPlan::from_str_with_env(text, Path::new("r.yaml"), &|_| None).unwrap();
    /// assert_eq!(plan.vcs_source_revision(), Some(("https://github.com/o/r", Some("0123abc"))));
    /// ```
    pub fn vcs_source_revision(&self) -> Option<(&str, Option<&str>)> {
        let vcs = self.vcs_url.as_deref()?;
        match vcs.rsplit_once('@') {
            Some((url, rev)) if !url.is_empty() && !rev.is_empty() && !rev.contains(['/', ':']) => {
                Some((url, Some(rev)))
            }
            _ => Some((vcs, None)),
        }
    }
}
