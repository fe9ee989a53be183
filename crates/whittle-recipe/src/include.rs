//! `include:`: a recipe merged over the recipe it includes (lists
//! concatenated, maps merged, the including file wins), read relative to
//! the including file, with cycles and depth bounded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::accounts::{Group, User};
use crate::arch::Arch;
use crate::convert::{self, Cx};
use crate::error::{self, ErrorKind, RecipeError};
use crate::layering::Layering;
use crate::locate::Locator;
use crate::package_spec::PackageRequest;
use crate::paths::PathMutation;
use crate::raw::RawRecipe;
use crate::repository::{Origin, RepositorySpec};

/// How deep `include:` chains may go.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Where something was written: for errors found after merging.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub(crate) file: PathBuf,
    pub(crate) text: Arc<str>,
    pub(crate) line: Option<usize>,
    pub(crate) column: Option<usize>,
}

impl Place {
    pub(crate) fn err(&self, kind: ErrorKind, message: impl Into<String>) -> RecipeError {
        RecipeError::new(kind, &self.file, message)
            .at(self.line, self.column)
            .with_source_text(Arc::clone(&self.text))
    }

    /// The public form, for what the plan keeps.
    pub(crate) fn origin(&self) -> Origin {
        Origin::Recipe {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            text: Arc::clone(&self.text),
        }
    }
}

/// One file's contribution, converted and locally validated.
#[derive(Debug)]
pub(crate) struct Partial {
    pub(crate) file_origin: Place,
    pub(crate) include: Option<(String, Place)>,
    pub(crate) repositories: Vec<RepositorySpec>,
    pub(crate) keyrings: Vec<String>,
    pub(crate) packages: Vec<PackageRequest>,
    pub(crate) packages_origin: Option<Place>,
    pub(crate) exclude: Vec<String>,
    pub(crate) slices: Vec<String>,
    pub(crate) path_exclude: Vec<String>,
    pub(crate) path_include: Vec<String>,
    pub(crate) groups: Vec<(Group, Place)>,
    pub(crate) users: Vec<(User, Place)>,
    pub(crate) run_as: Option<(String, Place)>,
    pub(crate) entrypoint: Option<Vec<String>>,
    pub(crate) cmd: Option<Vec<String>>,
    pub(crate) work_dir: Option<String>,
    pub(crate) stop_signal: Option<String>,
    pub(crate) environment: BTreeMap<String, String>,
    pub(crate) archs: Vec<Arch>,
    pub(crate) annotations: BTreeMap<String, String>,
    pub(crate) volumes: Vec<String>,
    pub(crate) paths: Vec<PathMutation>,
    pub(crate) alternatives: BTreeMap<String, String>,
    pub(crate) vcs_url: Option<String>,
    pub(crate) rpmdb: Option<bool>,
    pub(crate) layering: Option<Layering>,
}

impl Partial {
    /// `self` is the included file, `over` the including one: lists are
    /// concatenated (included first), maps merged and scalars taken from
    /// `over` when it sets them. `archs` is taken whole from `over` when set.
    pub(crate) fn merge(mut self, over: Partial) -> Partial {
        self.repositories.extend(over.repositories);
        self.keyrings.extend(over.keyrings);
        self.packages.extend(over.packages);
        self.exclude.extend(over.exclude);
        self.slices.extend(over.slices);
        self.path_exclude.extend(over.path_exclude);
        self.path_include.extend(over.path_include);
        self.groups.extend(over.groups);
        self.users.extend(over.users);
        self.environment.extend(over.environment);
        self.annotations.extend(over.annotations);
        self.volumes.extend(over.volumes);
        self.paths.extend(over.paths);
        self.alternatives.extend(over.alternatives);
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
            rpmdb: over.rpmdb.or(self.rpmdb),
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

pub(crate) fn load(
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
    let mut partial = convert::convert(raw, &cx)?;
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
                format!("cannot read included recipe `{include}`"),
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

pub(crate) fn normalize(path: &Path) -> PathBuf {
    fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
