//! [`BuildPlan`]: the validated form of a recipe, and the conversion from
//! the raw YAML structs (variable expansion, `include:` merging, validation).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::arch::Arch;
use crate::argv;
use crate::error::{self, ErrorKind, RecipeError};
use crate::locate::{Block, Locator};
use crate::package_spec::PackageRequest;
use crate::raw::{
    RawAccounts, RawArgs, RawContents, RawEntrypoint, RawLayering, RawPath, RawRecipe,
    RawRepository,
};
use crate::vars::{self, VarError};

/// How deep `include:` chains may go.
const MAX_INCLUDE_DEPTH: usize = 16;

/// A validated recipe: everything the engine needs to build the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildPlan {
    /// The recipe file this plan was read from.
    pub source: PathBuf,
    /// Package repositories, in recipe order (included files first).
    pub repositories: Vec<Repository>,
    /// The top-level apko `contents.keyring` list (paths or URLs).
    pub keyrings: Vec<String>,
    /// Packages to install (never empty).
    pub packages: Vec<PackageRequest>,
    /// Package names never to install, even as dependencies.
    pub exclude: Vec<String>,
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
    /// apko's `contents.build_repositories`: APK repositories used to resolve
    /// and fetch packages (like [`repositories`](Self::repositories)) but
    /// *not* written to `/etc/apk/repositories` in the image. Relative paths
    /// are resolved like those of `repositories`. See
    /// [`repositories_for_resolving`](Self::repositories_for_resolving).
    pub build_repositories: Vec<ApkRepository>,
    /// apko's `contents.runtime_repositories`: APK repositories written to
    /// `/etc/apk/repositories` in the image but never used to resolve. Kept
    /// exactly as written (they are never read on the build host). Already
    /// included in [`image_apk_repositories`](Self::image_apk_repositories).
    pub runtime_repositories: Vec<ApkRepository>,
    /// The lines to write to `/etc/apk/repositories` in the image, in order:
    /// every APK entry of `contents.repositories` *as written in the recipe*
    /// (relative paths not resolved, `${VAR}` expanded, `@tag URL` kept),
    /// then `contents.runtime_repositories`. apko writes the written form
    /// too, so no build-host path leaks into the image. Empty for a Debian
    /// recipe. [`BuildPlan::append_repository`] keeps it in step.
    pub image_apk_repositories: Vec<String>,
    /// apko's `vcs-url` (`https://github.com/org/repo@<commit>`), if set.
    /// The engine turns it into the `org.opencontainers.image.source` and
    /// `org.opencontainers.image.revision` annotations; see
    /// [`BuildPlan::vcs_source_revision`].
    pub vcs_url: Option<String>,
    /// apko's `layering: {strategy: origin, budget: N}`; `None` means one
    /// layer.
    pub layering: Option<Layering>,
    /// Skip verification of repository signatures (`--ignore-signatures`;
    /// never set by the recipe). The engine must say so loudly.
    pub ignore_signatures: bool,
}

/// apko's `layering:` block: how to split the image into layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Layering {
    /// How packages are grouped into layers.
    pub strategy: LayeringStrategy,
    /// At most this many package layers (at least 1), plus one top layer
    /// for files no package owns.
    pub budget: usize,
}

/// A [`Layering`] strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum LayeringStrategy {
    /// `origin`: one layer per group of packages built from the same origin
    /// (source package), largest groups first, the rest merged into one.
    Origin,
}

impl LayeringStrategy {
    /// The name used in recipes (`origin`).
    pub fn as_str(&self) -> &'static str {
        match self {
            LayeringStrategy::Origin => "origin",
        }
    }
}

/// A command-line addition to a plan ([`BuildPlan::append_repository`],
/// ...) that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanEditError {
    /// The value is empty, or not a URL, path or `@tag URL`.
    #[error("bad repository `{0}`: write a URL, a path, or `@tag URL`")]
    BadRepository(String),
    /// An empty keyring path or URL.
    #[error("empty keyring path or URL")]
    EmptyKeyring,
    /// An APK repository or key added to a recipe whose repositories are all
    /// Debian ones.
    #[error(
        "`{value}` would be an APK {what}, but the repositories of {} are all Debian ones; \
         add it to the recipe (Debian repositories are `type: deb` maps with their own \
         `keyring`)",
        recipe.display()
    )]
    DebianRecipe {
        /// What was being added (`repository`, `key`).
        what: &'static str,
        /// The value given.
        value: String,
        /// The recipe file.
        recipe: PathBuf,
    },
}

/// A package repository.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Repository {
    /// A Debian/Ubuntu APT repository.
    Deb(DebRepository),
    /// An APK repository (apko form).
    Apk(ApkRepository),
}

/// An APT repository (`type: deb`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DebRepository {
    /// Base URL (the directory holding `dists/`); `None` means "whatever the
    /// host's apt sources use for these suites".
    pub url: Option<String>,
    /// Suites (`bookworm`, `bookworm-updates`, ...): never empty.
    pub suites: Vec<String>,
    /// Components; `[main]` when not given.
    pub components: Vec<String>,
    /// Signing keyring (path or URL), if given.
    pub keyring: Option<String>,
}

/// An APK repository: `https://wolfi.mirror.invalid/os` or `@tag url`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ApkRepository {
    /// The repository URL or path to fetch from. A relative path in a recipe
    /// is resolved against the directory of the recipe file that wrote it
    /// (see [`BuildPlan`]'s `repositories`); one given on the command line
    /// is kept as is (relative to the working directory).
    pub url: String,
    /// The tag of a tagged repository (`@local /path` → `local`).
    pub tag: Option<String>,
}

impl ApkRepository {
    /// Parse apko's string form: `URL` or `@tag URL` (a path works as the
    /// URL). `None` when empty, or when the URL has whitespace in it.
    ///
    /// ```
    /// use whittle_recipe::ApkRepository;
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

/// `accounts:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Accounts {
    /// Groups to create.
    pub groups: Vec<Group>,
    /// Users to create.
    pub users: Vec<User>,
    /// The user the image runs as: a user name or a number (`uid` or
    /// `uid:gid`). See [`BuildPlan::run_as_uid`].
    pub run_as: Option<String>,
}

/// A group to create.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Group {
    /// Group name.
    pub groupname: String,
    /// Group id.
    pub gid: u32,
    /// Member user names.
    pub members: Vec<String>,
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct User {
    /// User name.
    pub username: String,
    /// User id.
    pub uid: u32,
    /// Primary group id (apko defaults it to the uid when absent).
    pub gid: Option<u32>,
    /// Login shell.
    pub shell: Option<String>,
    /// Home directory.
    pub homedir: Option<String>,
}

/// One entry of `paths:`: a change to the filesystem of the image.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum PathMutation {
    /// `type: directory`: create a directory (and its parents).
    Directory {
        /// Absolute path.
        path: String,
        /// Owner (default 0).
        uid: u32,
        /// Group (default 0).
        gid: u32,
        /// Mode bits (default 0o755).
        permissions: u32,
        /// Apply owner and mode to everything below too.
        recursive: bool,
    },
    /// `type: empty-file`: create an empty file.
    EmptyFile {
        /// Absolute path.
        path: String,
        /// Owner (default 0).
        uid: u32,
        /// Group (default 0).
        gid: u32,
        /// Mode bits (default 0o644).
        permissions: u32,
    },
    /// `type: symlink`: `path` → `source`.
    Symlink {
        /// Absolute path of the link.
        path: String,
        /// Link target (may be relative).
        source: String,
        /// Owner (default 0).
        uid: u32,
        /// Group (default 0).
        gid: u32,
    },
    /// `type: hardlink`: `path` becomes another name of `source`.
    Hardlink {
        /// Absolute path of the new name.
        path: String,
        /// Absolute path of the existing file.
        source: String,
    },
    /// `type: permissions`: change mode (and optionally owner) of an
    /// existing path.
    Permissions {
        /// Absolute path.
        path: String,
        /// Mode bits.
        permissions: u32,
        /// New owner, if given.
        uid: Option<u32>,
        /// New group, if given.
        gid: Option<u32>,
        /// Apply to everything below too.
        recursive: bool,
    },
}

impl PathMutation {
    /// The path this mutation changes.
    pub fn path(&self) -> &str {
        match self {
            PathMutation::Directory { path, .. }
            | PathMutation::EmptyFile { path, .. }
            | PathMutation::Symlink { path, .. }
            | PathMutation::Hardlink { path, .. }
            | PathMutation::Permissions { path, .. } => path,
        }
    }
}

impl BuildPlan {
    /// Read and validate the recipe at `path`, expanding `${VAR}` from the
    /// process environment.
    pub fn from_file(path: &Path) -> Result<BuildPlan, RecipeError> {
        let text = fs_err::read_to_string(path).map_err(|e| {
            RecipeError::new(ErrorKind::Io, path, format!("cannot read recipe: {e}"))
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
        let mut stack = vec![normalize(file)];
        let partial = load(text, file, env, &mut stack)?;
        finish(partial, file)
    }

    /// The uid to write into the image config: `run-as` resolved against
    /// `accounts.users` when it is a name, or parsed when it is a number
    /// (`uid` or `uid:gid`). `Ok(None)` when there is no `run-as`.
    pub fn run_as_uid(&self) -> Result<Option<u32>, RecipeError> {
        let Some(run_as) = &self.accounts.run_as else {
            return Ok(None);
        };
        resolve_run_as(run_as, &self.accounts.users)
            .map(Some)
            .ok_or_else(|| {
                RecipeError::new(
                    ErrorKind::Invalid,
                    &self.source,
                    format!("`run-as: {run_as}` names no user in accounts.users"),
                )
                .with_key("run-as")
                .with_hint(run_as_hint(&self.accounts.users))
            })
    }
}

impl BuildPlan {
    /// The repositories to resolve and fetch packages from: `repositories`
    /// then `build_repositories` (never `runtime_repositories`).
    pub fn repositories_for_resolving(&self) -> Vec<Repository> {
        self.repositories
            .iter()
            .cloned()
            .chain(self.build_repositories.iter().cloned().map(Repository::Apk))
            .collect()
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

    /// Whether the plan takes packages from Debian repositories only (and
    /// has at least one).
    fn debian_only(&self) -> bool {
        !self.repositories.is_empty()
            && self
                .repositories
                .iter()
                .all(|r| matches!(r, Repository::Deb(_)))
    }

    fn refuse_if_debian(&self, what: &'static str, value: &str) -> Result<(), PlanEditError> {
        if self.debian_only() {
            return Err(PlanEditError::DebianRecipe {
                what,
                value: value.to_string(),
                recipe: self.source.clone(),
            });
        }
        Ok(())
    }

    /// apko's `-k/--keyring-append`: add an APK signing key (path or URL,
    /// kept as given: a relative path is relative to the working directory).
    /// An error for a recipe whose repositories are all Debian ones, where
    /// the key would go unused.
    pub fn append_keyring(&mut self, key: &str) -> Result<(), PlanEditError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(PlanEditError::EmptyKeyring);
        }
        self.refuse_if_debian("key", key)?;
        self.keyrings.push(key.to_string());
        Ok(())
    }

    /// apko's `-r/--repository-append`: add an APK repository (`URL`,
    /// path, or `@tag URL`; kept as given) used to resolve *and* written to
    /// `/etc/apk/repositories`. An error for a recipe whose repositories are
    /// all Debian ones.
    pub fn append_repository(&mut self, text: &str) -> Result<(), PlanEditError> {
        let repo = ApkRepository::parse(text)
            .ok_or_else(|| PlanEditError::BadRepository(text.to_string()))?;
        self.refuse_if_debian("repository", text)?;
        self.image_apk_repositories.push(text.trim().to_string());
        self.repositories.push(Repository::Apk(repo));
        Ok(())
    }

    /// apko's `-b/--build-repository-append`: add an APK repository used to
    /// resolve but not written into the image. An error for a recipe whose
    /// repositories are all Debian ones.
    pub fn append_build_repository(&mut self, text: &str) -> Result<(), PlanEditError> {
        let repo = ApkRepository::parse(text)
            .ok_or_else(|| PlanEditError::BadRepository(text.to_string()))?;
        self.refuse_if_debian("repository", text)?;
        self.build_repositories.push(repo);
        Ok(())
    }
}

fn run_as_hint(users: &[User]) -> String {
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    if names.is_empty() {
        "add the user under accounts.users, or give a numeric uid".to_string()
    } else {
        format!(
            "known users: {}; add the user under accounts.users, or give a numeric uid",
            names.join(", ")
        )
    }
}

fn resolve_run_as(run_as: &str, users: &[User]) -> Option<u32> {
    let user = run_as.split(':').next().unwrap_or(run_as);
    if let Ok(uid) = user.parse::<u32>() {
        return Some(uid);
    }
    users.iter().find(|u| u.username == user).map(|u| u.uid)
}

fn normalize(path: &Path) -> PathBuf {
    fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Where something was written: for errors found after merging.
#[derive(Debug, Clone)]
struct Origin {
    file: PathBuf,
    text: Arc<str>,
    line: Option<usize>,
    column: Option<usize>,
}

impl Origin {
    fn err(&self, kind: ErrorKind, message: impl Into<String>) -> RecipeError {
        RecipeError::new(kind, &self.file, message)
            .at(self.line, self.column)
            .with_source_text(Arc::clone(&self.text))
    }
}

/// One file's contribution, converted and locally validated.
#[derive(Debug)]
struct Partial {
    file_origin: Origin,
    include: Option<(String, Origin)>,
    repositories: Vec<Repository>,
    keyrings: Vec<String>,
    packages: Vec<PackageRequest>,
    packages_origin: Option<Origin>,
    exclude: Vec<String>,
    groups: Vec<(Group, Origin)>,
    users: Vec<(User, Origin)>,
    run_as: Option<(String, Origin)>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    work_dir: Option<String>,
    stop_signal: Option<String>,
    environment: BTreeMap<String, String>,
    archs: Vec<Arch>,
    annotations: BTreeMap<String, String>,
    volumes: Vec<String>,
    paths: Vec<PathMutation>,
    build_repositories: Vec<ApkRepository>,
    runtime_repositories: Vec<ApkRepository>,
    /// `/etc/apk/repositories` lines of `repositories`, as written.
    repository_lines: Vec<String>,
    vcs_url: Option<String>,
    layering: Option<Layering>,
}

impl Partial {
    /// `self` is the included file, `over` the including one: lists are
    /// concatenated (included first), maps merged and scalars taken from
    /// `over` when it sets them. `archs` is taken whole from `over` when set.
    fn merge(mut self, over: Partial) -> Partial {
        self.repositories.extend(over.repositories);
        self.keyrings.extend(over.keyrings);
        self.packages.extend(over.packages);
        self.exclude.extend(over.exclude);
        self.groups.extend(over.groups);
        self.users.extend(over.users);
        self.environment.extend(over.environment);
        self.annotations.extend(over.annotations);
        self.volumes.extend(over.volumes);
        self.paths.extend(over.paths);
        self.build_repositories.extend(over.build_repositories);
        self.runtime_repositories.extend(over.runtime_repositories);
        self.repository_lines.extend(over.repository_lines);
        Partial {
            file_origin: over.file_origin,
            include: None,
            packages_origin: over.packages_origin.or(self.packages_origin),
            run_as: over.run_as.or(self.run_as),
            entrypoint: over.entrypoint.or(self.entrypoint),
            cmd: over.cmd.or(self.cmd),
            work_dir: over.work_dir.or(self.work_dir),
            stop_signal: over.stop_signal.or(self.stop_signal),
            vcs_url: over.vcs_url.or(self.vcs_url),
            layering: over.layering.or(self.layering),
            archs: if over.archs.is_empty() {
                self.archs
            } else {
                over.archs
            },
            ..self
        }
    }
}

fn load(
    text: &str,
    file: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    stack: &mut Vec<PathBuf>,
) -> Result<Partial, RecipeError> {
    let shared: Arc<str> = Arc::from(text);
    let raw: RawRecipe =
        serde_yaml_ng::from_str(text).map_err(|e| error::from_yaml(&e, file, &shared))?;
    let cx = Cx {
        file,
        base: file.parent().unwrap_or(Path::new("")),
        text: shared,
        loc: Locator::new(text),
        env,
    };
    let mut partial = convert(raw, &cx)?;
    let Some((include, origin)) = partial.include.take() else {
        return Ok(partial);
    };
    let base_dir = file.parent().unwrap_or(Path::new(""));
    let path = base_dir.join(&include);
    let key = normalize(&path);
    if stack.contains(&key) {
        return Err(origin
            .err(
                ErrorKind::Include,
                format!("`include: {include}` makes a cycle"),
            )
            .with_key("include")
            .with_hint("remove one of the includes in the cycle"));
    }
    if stack.len() > MAX_INCLUDE_DEPTH {
        return Err(origin
            .err(
                ErrorKind::Include,
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} levels"),
            )
            .with_key("include")
            .with_hint("flatten the include chain"));
    }
    let included = fs_err::read_to_string(&path).map_err(|e| {
        origin
            .err(
                ErrorKind::Io,
                format!("cannot read included recipe `{include}`: {e}"),
            )
            .with_key("include")
            .with_hint("the path is relative to the including recipe's directory")
            .with_cause(e)
    })?;
    stack.push(key);
    let base = load(&included, &path, env, stack)?;
    stack.pop();
    Ok(base.merge(partial))
}

/// Per-file conversion context.
struct Cx<'a> {
    file: &'a Path,
    /// The directory of `file`: relative keyring and repository paths are
    /// resolved against it.
    base: &'a Path,
    text: Arc<str>,
    loc: Locator,
    env: &'a dyn Fn(&str) -> Option<String>,
}

/// Successive items inside a key's block, located by their text.
struct Items<'a> {
    loc: &'a Locator,
    pos: usize,
    end: usize,
    key: Option<usize>,
}

impl Items<'_> {
    /// Offset of the next occurrence of `needle`, or of the block's key.
    fn find(&mut self, needle: &str) -> Option<usize> {
        match self.loc.value(self.pos, self.end, needle) {
            Some(at) => {
                self.pos = at + needle.len();
                Some(at)
            }
            None => self.key,
        }
    }
}

impl<'a> Cx<'a> {
    fn origin(&self, offset: Option<usize>) -> Origin {
        let (line, column) = match offset {
            Some(o) => {
                let (l, c) = self.loc.position(o);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Origin {
            file: self.file.to_path_buf(),
            text: Arc::clone(&self.text),
            line,
            column,
        }
    }

    fn err(&self, kind: ErrorKind, offset: Option<usize>, msg: impl Into<String>) -> RecipeError {
        self.origin(offset).err(kind, msg)
    }

    fn key(&self, path: &[&str]) -> Option<Block> {
        self.loc.key(path)
    }

    fn key_at(&self, path: &[&str]) -> Option<usize> {
        self.key(path).map(|b| b.key)
    }

    fn items(&self, path: &[&str]) -> Items<'_> {
        let block = self.key(path);
        Items {
            loc: &self.loc,
            pos: block.map_or(0, |b| b.key),
            end: block.map_or(self.text.len(), |b| b.end),
            key: block.map(|b| b.key),
        }
    }

    /// Expand `${VAR}`s in a string value.
    fn expand(&self, s: &str) -> Result<String, RecipeError> {
        vars::expand(s, self.env).map_err(|e| {
            let (needle, hint) = match &e {
                VarError::Undefined(name) => (
                    format!("${{{name}"),
                    format!("export {name}=... or edit the recipe"),
                ),
                VarError::Malformed(text) => (
                    text.chars()
                        .take(2 + text.len().min(20))
                        .collect::<String>(),
                    "write variables as ${NAME} (or $${ for a literal `${`)".to_string(),
                ),
            };
            let (line, column) = match self.loc.anywhere(&needle) {
                Some((l, c)) => (Some(l), Some(c)),
                None => (None, None),
            };
            let key = match &e {
                VarError::Undefined(name) | VarError::Malformed(name) => name.clone(),
            };
            let kind = match e {
                VarError::Undefined(_) => ErrorKind::UndefinedVariable,
                VarError::Malformed(_) => ErrorKind::Invalid,
            };
            RecipeError::new(kind, self.file, e.to_string())
                .at(line, column)
                .with_key(key)
                .with_hint(hint)
                .with_source_text(Arc::clone(&self.text))
        })
    }

    fn expand_all(&self, list: Option<Vec<String>>) -> Result<Vec<String>, RecipeError> {
        list.unwrap_or_default()
            .iter()
            .map(|s| self.expand(s))
            .collect()
    }

    fn expand_opt(&self, s: Option<String>) -> Result<Option<String>, RecipeError> {
        s.map(|s| self.expand(&s)).transpose()
    }

    /// An argv from a string (shell-split) or a list; `${VAR}`s are
    /// expanded per argument after splitting.
    fn argv(&self, args: RawArgs, key: &str) -> Result<Vec<String>, RecipeError> {
        let words = match args {
            RawArgs::List(list) => list,
            RawArgs::Line(line) => argv::split(&line).map_err(|e| {
                self.err(
                    ErrorKind::Invalid,
                    self.key_at(&[key]),
                    format!("cannot split `{key}` into arguments: {e}"),
                )
                .with_key(key)
                .with_hint("fix the quoting, or write the arguments as a YAML list")
            })?,
        };
        words.iter().map(|w| self.expand(w)).collect()
    }

    /// A keyring or repository location from this file: URLs (`scheme://`)
    /// and absolute paths as they are; a relative path joined to the
    /// directory of the recipe file (the working directory plays no part),
    /// with `.` components dropped. Unchanged when the recipe file has no
    /// directory part (it is then in the working directory anyway).
    fn local(&self, value: &str) -> String {
        if value.contains("://") || value.starts_with('/') || self.base.as_os_str().is_empty() {
            return value.to_string();
        }
        let joined: PathBuf = self.base.join(value).components().collect();
        joined.to_string_lossy().into_owned()
    }

    fn absolute(&self, value: &str, at: Option<usize>, key: &str) -> Result<(), RecipeError> {
        if value.starts_with('/') {
            return Ok(());
        }
        Err(self
            .err(
                ErrorKind::Invalid,
                at,
                format!("`{key}: {value}` is not an absolute path"),
            )
            .with_key(key)
            .with_hint(format!(
                "write it from the image root, e.g. `/{}`",
                value.trim_start_matches("./")
            )))
    }
}

fn convert(raw: RawRecipe, cx: &Cx<'_>) -> Result<Partial, RecipeError> {
    let mut p = Partial {
        file_origin: cx.origin(None),
        include: None,
        repositories: Vec::new(),
        keyrings: Vec::new(),
        packages: Vec::new(),
        packages_origin: None,
        exclude: Vec::new(),
        groups: Vec::new(),
        users: Vec::new(),
        run_as: None,
        entrypoint: None,
        cmd: None,
        work_dir: None,
        stop_signal: None,
        environment: BTreeMap::new(),
        archs: Vec::new(),
        annotations: BTreeMap::new(),
        volumes: Vec::new(),
        paths: Vec::new(),
        build_repositories: Vec::new(),
        runtime_repositories: Vec::new(),
        repository_lines: Vec::new(),
        vcs_url: None,
        layering: None,
    };
    if let Some(include) = raw.include {
        let origin = cx.origin(cx.key_at(&["include"]));
        p.include = Some((cx.expand(&include)?, origin));
    }
    if let Some(contents) = raw.contents {
        convert_contents(contents, cx, &mut p)?;
    }
    if let Some(accounts) = raw.accounts {
        convert_accounts(accounts, cx, &mut p)?;
    }
    p.entrypoint = match raw.entrypoint {
        None => None,
        Some(RawEntrypoint::Args(args)) => Some(cx.argv(args, "entrypoint")?),
        Some(RawEntrypoint::Map(map)) => {
            let at = cx.key_at(&["entrypoint"]);
            match (map.command, map.shell_fragment) {
                (Some(_), Some(_)) => {
                    return Err(cx
                        .err(
                            ErrorKind::Invalid,
                            at,
                            "`entrypoint` has both `command` and `shell-fragment`",
                        )
                        .with_key("entrypoint")
                        .with_hint("keep only one of them"))
                }
                (Some(command), None) => Some(cx.argv(RawArgs::Line(command), "entrypoint")?),
                (None, Some(fragment)) => Some(vec![
                    "/bin/sh".to_string(),
                    "-c".to_string(),
                    cx.expand(&fragment)?,
                ]),
                (None, None) => {
                    return Err(cx
                        .err(
                            ErrorKind::Invalid,
                            at,
                            "`entrypoint` has neither `command` nor `shell-fragment`",
                        )
                        .with_key("entrypoint")
                        .with_hint("add `command: /path/to/program`"))
                }
            }
        }
    };
    p.cmd = raw.cmd.map(|c| cx.argv(c, "cmd")).transpose()?;
    if let Some(dir) = raw.work_dir {
        let dir = cx.expand(&dir)?;
        cx.absolute(&dir, cx.key_at(&["work-dir"]), "work-dir")?;
        p.work_dir = Some(dir);
    }
    p.stop_signal = cx.expand_opt(raw.stop_signal)?;
    for (name, value) in raw.environment.unwrap_or_default() {
        if name.is_empty() || name.contains('=') {
            let at = cx.key_at(&["environment"]);
            return Err(cx
                .err(
                    ErrorKind::Invalid,
                    at,
                    format!("`{name}` is not a valid environment variable name"),
                )
                .with_key("environment")
                .with_hint("names must be non-empty and contain no `=`"));
        }
        p.environment.insert(name, cx.expand(&value)?);
    }
    let mut items = cx.items(&["archs"]);
    for name in raw.archs.unwrap_or_default() {
        let at = items.find(&name);
        let expanded = cx.expand(&name)?;
        let arch = Arch::parse(&expanded).ok_or_else(|| {
            cx.err(
                ErrorKind::Invalid,
                at,
                format!("unknown architecture `{expanded}` in `archs`"),
            )
            .with_key("archs")
            .with_hint(
                "known: amd64 (x86_64), arm64 (aarch64), armv7 (arm, armhf), 386 (i386, x86), ppc64le, s390x, riscv64",
            )
        })?;
        p.archs.push(arch);
    }
    for (name, value) in raw.annotations.unwrap_or_default() {
        p.annotations.insert(name, cx.expand(&value)?);
    }
    let mut items = cx.items(&["volumes"]);
    for volume in raw.volumes.unwrap_or_default() {
        let at = items.find(&volume);
        let volume = cx.expand(&volume)?;
        cx.absolute(&volume, at, "volumes")?;
        p.volumes.push(volume);
    }
    let mut items = cx.items(&["paths"]);
    for raw_path in raw.paths.unwrap_or_default() {
        let at = items.find(&raw_path.path);
        p.paths.push(convert_path(raw_path, at, cx)?);
    }
    p.vcs_url = cx.expand_opt(raw.vcs_url)?.filter(|v| !v.trim().is_empty());
    if let Some(layering) = raw.layering {
        p.layering = Some(convert_layering(layering, cx)?);
    }
    if let Some(format) = raw.format {
        let format = cx.expand(&format)?;
        if format != "tar" {
            return Err(cx
                .err(
                    ErrorKind::Unsupported,
                    cx.key_at(&["format"]),
                    format!("`format: {format}` is not supported"),
                )
                .with_key("format")
                .with_hint("remove `format`: whittle writes tar layers (apko's default)"));
        }
    }
    Ok(p)
}

fn convert_layering(l: RawLayering, cx: &Cx<'_>) -> Result<Layering, RecipeError> {
    let strategy = match cx.expand(&l.strategy)?.as_str() {
        "origin" => LayeringStrategy::Origin,
        other => {
            return Err(cx
                .err(
                    ErrorKind::Invalid,
                    cx.key_at(&["layering", "strategy"]),
                    format!("unknown layering strategy `{other}`"),
                )
                .with_key("strategy")
                .with_hint("the only layering strategy is `origin`"))
        }
    };
    let budget = usize::try_from(l.budget)
        .ok()
        .filter(|b| *b >= 1)
        .ok_or_else(|| {
            cx.err(
                ErrorKind::Invalid,
                cx.key_at(&["layering", "budget"]),
                format!("layering budget {} is less than 1", l.budget),
            )
            .with_key("budget")
            .with_hint("give the most package layers wanted, e.g. `budget: 10`")
        })?;
    Ok(Layering { strategy, budget })
}

fn convert_contents(c: RawContents, cx: &Cx<'_>, p: &mut Partial) -> Result<(), RecipeError> {
    let mut items = cx.items(&["contents", "repositories"]);
    for repo in c.repositories.unwrap_or_default() {
        p.repositories.push(match repo {
            RawRepository::Plain(text) => {
                let at = items.find(&text);
                let expanded = cx.expand(&text)?;
                let mut repo = ApkRepository::parse(&expanded).ok_or_else(|| {
                    cx.err(
                        ErrorKind::Invalid,
                        at,
                        format!("bad repository `{text}` in `repositories`"),
                    )
                    .with_key("repositories")
                    .with_hint("write a URL, `@tag URL`, or a map with `type: deb`")
                })?;
                p.repository_lines.push(expanded.trim().to_string());
                repo.url = cx.local(&repo.url);
                Repository::Apk(repo)
            }
            RawRepository::Map(map) => {
                let at = items.find(&map.kind);
                let bad = |msg: String, hint: &str| {
                    cx.err(ErrorKind::Invalid, at, msg)
                        .with_key("repositories")
                        .with_hint(hint.to_string())
                };
                match map.kind.as_str() {
                    "deb" => {
                        if map.tag.is_some() {
                            return Err(bad(
                                "a deb repository takes no `tag`".into(),
                                "tags are for apk repositories; remove `tag`",
                            ));
                        }
                        let suites = cx.expand_all(map.suites)?;
                        if suites.is_empty() {
                            return Err(bad(
                                "deb repository without suites".into(),
                                "add e.g. `suites: [bookworm]`",
                            )
                            .with_key("suites"));
                        }
                        let components = match map.components {
                            None => vec!["main".to_string()],
                            Some(list) if list.is_empty() => {
                                return Err(bad(
                                    "deb repository with an empty `components` list".into(),
                                    "remove `components` to get [main], or list some",
                                )
                                .with_key("components"))
                            }
                            Some(list) => cx.expand_all(Some(list))?,
                        };
                        Repository::Deb(DebRepository {
                            url: cx.expand_opt(map.url)?,
                            suites,
                            components,
                            keyring: cx.expand_opt(map.keyring)?.map(|k| cx.local(&k)),
                        })
                    }
                    "apk" => {
                        if map.suites.is_some() || map.components.is_some() || map.keyring.is_some()
                        {
                            return Err(bad(
                                "an apk repository takes only `url` and `tag`".into(),
                                "remove suites/components/keyring (use contents.keyring for apk keys)",
                            ));
                        }
                        let Some(url) = map.url else {
                            return Err(bad(
                                "apk repository without `url`".into(),
                                "add `url: https://...`",
                            )
                            .with_key("url"));
                        };
                        let mut repo = ApkRepository {
                            url: cx.expand(&url)?,
                            tag: cx.expand_opt(map.tag)?,
                        };
                        p.repository_lines.push(repo.line());
                        repo.url = cx.local(&repo.url);
                        Repository::Apk(repo)
                    }
                    other => {
                        return Err(bad(
                            format!("unknown repository type `{other}`"),
                            "known repository types: deb, apk",
                        )
                        .with_key("type"))
                    }
                }
            }
        });
    }
    p.keyrings = cx
        .expand_all(c.keyring)?
        .iter()
        .map(|k| cx.local(k))
        .collect();
    p.build_repositories = apk_list(c.build_repositories, "build_repositories", cx)?
        .into_iter()
        .map(|mut r| {
            r.url = cx.local(&r.url);
            r
        })
        .collect();
    // Never read on the build host: kept exactly as written.
    p.runtime_repositories = apk_list(c.runtime_repositories, "runtime_repositories", cx)?;
    if let Some(packages) = c.packages {
        let block_key = cx.key_at(&["contents", "packages"]);
        p.packages_origin = Some(cx.origin(block_key));
        let mut items = cx.items(&["contents", "packages"]);
        for spec in packages {
            let at = items.find(&spec);
            let origin = cx.origin(at);
            let expanded = cx.expand(&spec)?;
            let request = PackageRequest::parse(&expanded, origin.line.unwrap_or(0)).map_err(|e| {
                origin
                    .err(ErrorKind::Invalid, format!("{e} in `packages`"))
                    .with_key("packages")
                    .with_hint("write NAME, NAME=VERSION, NAME~PREFIX, NAME>=V, NAME>V, NAME<=V or NAME<V; apk also NAME@TAG")
            })?;
            p.packages.push(request);
        }
    }
    p.exclude = cx.expand_all(c.exclude)?;
    Ok(())
}

/// apko's `build_repositories` / `runtime_repositories`: `URL` or `@tag URL`
/// strings only.
fn apk_list(
    list: Option<Vec<String>>,
    key: &str,
    cx: &Cx<'_>,
) -> Result<Vec<ApkRepository>, RecipeError> {
    let mut items = cx.items(&["contents", key]);
    let mut out = Vec::new();
    for text in list.unwrap_or_default() {
        let at = items.find(&text);
        let repo = ApkRepository::parse(&cx.expand(&text)?).ok_or_else(|| {
            cx.err(
                ErrorKind::Invalid,
                at,
                format!("bad repository `{text}` in `{key}`"),
            )
            .with_key(key.to_string())
            .with_hint("write a URL, a path, or `@tag URL` (APK repositories only)")
        })?;
        out.push(repo);
    }
    Ok(out)
}

fn convert_accounts(a: RawAccounts, cx: &Cx<'_>, p: &mut Partial) -> Result<(), RecipeError> {
    let mut items = cx.items(&["accounts", "groups"]);
    for g in a.groups.unwrap_or_default() {
        let origin = cx.origin(items.find(&g.groupname));
        let group = Group {
            groupname: cx.expand(&g.groupname)?,
            gid: g.gid,
            members: cx.expand_all(g.members)?,
        };
        p.groups.push((group, origin));
    }
    let mut items = cx.items(&["accounts", "users"]);
    for u in a.users.unwrap_or_default() {
        let origin = cx.origin(items.find(&u.username));
        let user = User {
            username: cx.expand(&u.username)?,
            uid: u.uid,
            gid: u.gid,
            shell: cx.expand_opt(u.shell)?,
            homedir: cx.expand_opt(u.homedir)?,
        };
        p.users.push((user, origin));
    }
    if let Some(run_as) = a.run_as {
        let origin = cx.origin(cx.key_at(&["accounts", "run-as"]));
        p.run_as = Some((cx.expand(&run_as)?, origin));
    }
    Ok(())
}

const PATH_TYPES: &str = "directory, empty-file, symlink, hardlink, permissions";

fn convert_path(r: RawPath, at: Option<usize>, cx: &Cx<'_>) -> Result<PathMutation, RecipeError> {
    let path = cx.expand(&r.path)?;
    cx.absolute(&path, at, "path")?;
    let source = cx.expand_opt(r.source)?;
    let bad = |msg: String, key: &str, hint: &str| {
        cx.err(ErrorKind::Invalid, at, msg)
            .with_key(key.to_string())
            .with_hint(hint.to_string())
    };
    // Keys that make no sense for a type are errors, not silently ignored.
    let allowed: &[&str] = match r.kind.as_str() {
        "directory" => &["uid", "gid", "permissions", "recursive"],
        "empty-file" => &["uid", "gid", "permissions"],
        "symlink" => &["uid", "gid", "source"],
        "hardlink" => &["source"],
        "permissions" => &["uid", "gid", "permissions", "recursive"],
        other => {
            return Err(bad(
                format!("unknown path type `{other}` for `{path}`"),
                "type",
                &format!("known path types: {PATH_TYPES}"),
            ))
        }
    };
    let present = [
        ("uid", r.uid.is_some()),
        ("gid", r.gid.is_some()),
        ("permissions", r.permissions.is_some()),
        ("source", source.is_some()),
        ("recursive", r.recursive.is_some()),
    ];
    if let Some((key, _)) = present
        .iter()
        .find(|(key, set)| *set && !allowed.contains(key))
    {
        return Err(bad(
            format!(
                "`{key}` does not apply to a path of type `{}` (`{path}`)",
                r.kind
            ),
            key,
            &format!("a `{}` takes: path, type, {}", r.kind, allowed.join(", ")),
        ));
    }
    let need_source = |source: Option<String>| {
        source.ok_or_else(|| {
            bad(
                format!("`{}` path `{path}` has no `source`", r.kind),
                "source",
                "add `source: /path/it/points/to`",
            )
        })
    };
    let mode = r.permissions.map(|m| m.0);
    Ok(match r.kind.as_str() {
        "directory" => PathMutation::Directory {
            path,
            uid: r.uid.unwrap_or(0),
            gid: r.gid.unwrap_or(0),
            permissions: mode.unwrap_or(0o755),
            recursive: r.recursive.unwrap_or(false),
        },
        "empty-file" => PathMutation::EmptyFile {
            path,
            uid: r.uid.unwrap_or(0),
            gid: r.gid.unwrap_or(0),
            permissions: mode.unwrap_or(0o644),
        },
        "symlink" => PathMutation::Symlink {
            source: need_source(source)?,
            path,
            uid: r.uid.unwrap_or(0),
            gid: r.gid.unwrap_or(0),
        },
        "hardlink" => {
            let source = need_source(source)?;
            cx.absolute(&source, at, "source")?;
            PathMutation::Hardlink { path, source }
        }
        _ => PathMutation::Permissions {
            permissions: mode.ok_or_else(|| {
                bad(
                    format!("`permissions` path `{path}` has no `permissions`"),
                    "permissions",
                    "add e.g. `permissions: 0o755`",
                )
            })?,
            path,
            uid: r.uid,
            gid: r.gid,
            recursive: r.recursive.unwrap_or(false),
        },
    })
}

/// Whole-recipe validation after includes are merged.
fn finish(p: Partial, file: &Path) -> Result<BuildPlan, RecipeError> {
    if p.packages.is_empty() {
        let origin = p.packages_origin.as_ref().unwrap_or(&p.file_origin);
        return Err(origin
            .err(
                ErrorKind::Invalid,
                "no packages to install: `packages` is empty or missing",
            )
            .with_key("packages")
            .with_hint("list at least one package under contents.packages, e.g. `packages: [ca-certificates]`"));
    }
    check_unique(&p.groups, "group", "groupname", |g| g.groupname.clone())?;
    check_unique(&p.groups, "group", "gid", |g| g.gid.to_string())?;
    check_unique(&p.users, "user", "username", |u| u.username.clone())?;
    check_unique(&p.users, "user", "uid", |u| u.uid.to_string())?;
    let users: Vec<User> = p.users.into_iter().map(|(u, _)| u).collect();
    if let Some((run_as, origin)) = &p.run_as {
        if resolve_run_as(run_as, &users).is_none() {
            return Err(origin
                .err(
                    ErrorKind::Invalid,
                    format!("`run-as: {run_as}` names no user in accounts.users"),
                )
                .with_key("run-as")
                .with_hint(run_as_hint(&users)));
        }
    }
    let mut archs: Vec<Arch> = Vec::new();
    for arch in p.archs {
        if !archs.contains(&arch) {
            archs.push(arch);
        }
    }
    if archs.is_empty() {
        archs.push(Arch::host());
    }
    Ok(BuildPlan {
        source: file.to_path_buf(),
        repositories: p.repositories,
        keyrings: p.keyrings,
        packages: p.packages,
        exclude: p.exclude,
        accounts: Accounts {
            groups: p.groups.into_iter().map(|(g, _)| g).collect(),
            users,
            run_as: p.run_as.map(|(r, _)| r),
        },
        entrypoint: p.entrypoint.unwrap_or_default(),
        cmd: p.cmd.unwrap_or_default(),
        work_dir: p.work_dir,
        stop_signal: p.stop_signal,
        environment: p.environment,
        archs,
        annotations: p.annotations,
        volumes: p.volumes,
        paths: p.paths,
        image_apk_repositories: p
            .repository_lines
            .into_iter()
            .chain(p.runtime_repositories.iter().map(ApkRepository::line))
            .collect(),
        build_repositories: p.build_repositories,
        runtime_repositories: p.runtime_repositories,
        vcs_url: p.vcs_url,
        layering: p.layering,
        ignore_signatures: false,
    })
}

fn check_unique<T>(
    items: &[(T, Origin)],
    what: &str,
    key: &str,
    id: impl Fn(&T) -> String,
) -> Result<(), RecipeError> {
    let mut seen: HashMap<String, &Origin> = HashMap::new();
    for (item, origin) in items {
        let value = id(item);
        if let Some(first) = seen.get(&value) {
            let where_first = match first.line {
                Some(line) if first.file == origin.file => format!("line {line}"),
                Some(line) => format!("{} line {line}", first.file.display()),
                None => first.file.display().to_string(),
            };
            return Err(origin
                .err(
                    ErrorKind::Invalid,
                    format!("duplicate {what} {key} `{value}` (first defined at {where_first})"),
                )
                .with_key(key.to_string())
                .with_hint(format!(
                    "each {what} needs a unique {key}; remove or renumber one"
                )));
        }
        seen.insert(value, origin);
    }
    Ok(())
}
