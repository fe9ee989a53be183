//! One recipe file's raw YAML converted into a partial plan: `${VAR}`
//! expansion, argv splitting, locations for errors. Checks that need the
//! whole recipe (after `include:`) are `validate`'s.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::accounts::{Group, User};
use crate::arch::Arch;
use crate::argv;
use crate::error::{ErrorKind, RecipeError};
use crate::include::{Partial, Place};
use crate::locate::{Block, Locator};
use crate::package_spec::PackageRequest;
use crate::raw::{
    OneOrMany, RawAccounts, RawArgs, RawContents, RawEntrypoint, RawRecipe, RawRepository,
};
use crate::repository::{local_path, RepositoryBody, RepositoryRole, RepositorySpec};
use crate::vars::{self, VarError};
use crate::{layering, paths};

/// Per-file conversion context.
pub(crate) struct Cx<'a> {
    pub(crate) file: &'a Path,
    /// The directory of `file`: relative keyring and repository paths are
    /// resolved against it.
    pub(crate) base: &'a Path,
    pub(crate) text: Arc<str>,
    pub(crate) loc: Locator,
    pub(crate) env: &'a dyn Fn(&str) -> Option<String>,
}

/// Successive items inside a key's block, located by their text.
pub(crate) struct Items<'a> {
    pub(crate) loc: &'a Locator,
    pub(crate) pos: usize,
    pub(crate) end: usize,
    pub(crate) key: Option<usize>,
}

impl Items<'_> {
    /// Offset of the next occurrence of `needle`, or of the block's key.
    pub(crate) fn find(&mut self, needle: &str) -> Option<usize> {
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
    pub(crate) fn origin(&self, offset: Option<usize>) -> Place {
        let (line, column) = match offset {
            Some(o) => {
                let (l, c) = self.loc.position(o);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Place {
            file: self.file.to_path_buf(),
            text: Arc::clone(&self.text),
            line,
            column,
        }
    }

    pub(crate) fn err(
        &self,
        kind: ErrorKind,
        offset: Option<usize>,
        msg: impl Into<String>,
    ) -> RecipeError {
        self.origin(offset).err(kind, msg)
    }

    pub(crate) fn key(&self, path: &[&str]) -> Option<Block> {
        self.loc.key(path)
    }

    pub(crate) fn key_at(&self, path: &[&str]) -> Option<usize> {
        self.key(path).map(|b| b.key)
    }

    pub(crate) fn items(&self, path: &[&str]) -> Items<'_> {
        let block = self.key(path);
        Items {
            loc: &self.loc,
            pos: block.map_or(0, |b| b.key),
            end: block.map_or(self.text.len(), |b| b.end),
            key: block.map(|b| b.key),
        }
    }

    /// Expand `${VAR}`s in a string value.
    pub(crate) fn expand(&self, s: &str) -> Result<String, RecipeError> {
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

    pub(crate) fn expand_all(&self, list: Option<Vec<String>>) -> Result<Vec<String>, RecipeError> {
        list.unwrap_or_default()
            .iter()
            .map(|s| self.expand(s))
            .collect()
    }

    pub(crate) fn expand_opt(&self, s: Option<String>) -> Result<Option<String>, RecipeError> {
        s.map(|s| self.expand(&s)).transpose()
    }

    /// An argv from a string (shell-split) or a list; `${VAR}`s are
    /// expanded per argument after splitting.
    pub(crate) fn argv(&self, args: RawArgs, key: &str) -> Result<Vec<String>, RecipeError> {
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

    /// A keyring location from this file: URLs (`scheme://`) and absolute
    /// paths as they are; a relative path joined to the directory of the
    /// recipe file (the working directory plays no part), with `.`
    /// components dropped. Unchanged when the recipe file has no directory
    /// part (it is then in the working directory anyway).
    pub(crate) fn local(&self, value: &str) -> String {
        local_path(Some(self.base), value)
    }

    pub(crate) fn absolute(
        &self,
        value: &str,
        at: Option<usize>,
        key: &str,
    ) -> Result<(), RecipeError> {
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

pub(crate) fn convert(raw: RawRecipe, cx: &Cx<'_>) -> Result<Partial, RecipeError> {
    let mut p = Partial {
        file_origin: cx.origin(None),
        include: None,
        repositories: Vec::new(),
        keyrings: Vec::new(),
        packages: Vec::new(),
        packages_origin: None,
        exclude: Vec::new(),
        slices: Vec::new(),
        path_exclude: Vec::new(),
        path_include: Vec::new(),
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
        alternatives: BTreeMap::new(),
        vcs_url: None,
        rpmdb: None,
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
        p.paths.push(paths::convert_path(raw_path, at, cx)?);
    }
    for (name, provider) in raw.alternatives.unwrap_or_default() {
        let (name, provider) = paths::convert_alternative(&name, &provider, cx)?;
        p.alternatives.insert(name, provider);
    }
    p.vcs_url = cx.expand_opt(raw.vcs_url)?.filter(|v| !v.trim().is_empty());
    p.rpmdb = raw.rpmdb;
    if let Some(layering) = raw.layering {
        p.layering = Some(layering::convert_layering(layering, cx)?);
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

fn convert_contents(c: RawContents, cx: &Cx<'_>, p: &mut Partial) -> Result<(), RecipeError> {
    let lists = [
        ("repositories", RepositoryRole::Resolve, c.repositories),
        (
            "build_repositories",
            RepositoryRole::BuildOnly,
            c.build_repositories,
        ),
        (
            "runtime_repositories",
            RepositoryRole::RuntimeOnly,
            c.runtime_repositories,
        ),
    ];
    for (key, role, list) in lists {
        let mut items = cx.items(&["contents", key]);
        for raw in list.unwrap_or_default() {
            p.repositories
                .push(repository(raw, role, key, &mut items, cx)?);
        }
    }
    p.keyrings = cx
        .expand_all(c.keyring)?
        .iter()
        .map(|k| cx.local(k))
        .collect();
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
                    .with_hint("write NAME, NAME=VERSION, NAME~PREFIX, NAME>=V, NAME>V, NAME<=V or NAME<V, optionally NAME@TAG")
            })?;
            p.packages.push(request);
        }
    }
    p.exclude = cx.expand_all(c.exclude)?;
    p.slices = cx
        .expand_all(c.slices.map(OneOrMany::into_vec))?
        .iter()
        .map(|s| cx.local(s))
        .collect();
    for (key, list, out) in [
        ("path-exclude", c.path_exclude, &mut p.path_exclude),
        ("path-include", c.path_include, &mut p.path_include),
    ] {
        for glob in cx.expand_all(list)? {
            if !glob.starts_with('/') {
                return Err(cx
                    .origin(cx.key_at(&["contents", key]))
                    .err(
                        ErrorKind::Invalid,
                        format!("`{glob}` in `{key}` is not an absolute path pattern"),
                    )
                    .with_key(key)
                    .with_hint("write patterns as dpkg does, e.g. /usr/share/doc/*"));
            }
            out.push(glob);
        }
    }
    Ok(())
}

/// One repository entry: a plain string, or a map with `type:`; every
/// string in it `${VAR}`-expanded. What the fields mean is the package
/// world's business.
fn repository(
    raw: RawRepository,
    role: RepositoryRole,
    key: &str,
    items: &mut Items<'_>,
    cx: &Cx<'_>,
) -> Result<RepositorySpec, RecipeError> {
    let (kind, body, at) = match raw {
        RawRepository::Plain(text) => {
            let at = items.find(&text);
            let expanded = cx.expand(&text)?.trim().to_string();
            if expanded.is_empty() {
                return Err(cx
                    .err(
                        ErrorKind::Invalid,
                        at,
                        format!("empty repository in `{key}`"),
                    )
                    .with_key(key.to_string())
                    .with_hint("write a URL, or a map with `type:`"));
            }
            (None, RepositoryBody::Plain(expanded), at)
        }
        RawRepository::Map(mut map) => {
            let kind = map.remove("type");
            // Located by its `type` value, else by its first key.
            let first_key = map
                .keys()
                .next()
                .and_then(|k| k.as_str())
                .map(str::to_string);
            let at = match (&kind, first_key) {
                (Some(serde_yaml_ng::Value::String(k)), _) => items.find(k),
                (_, Some(first)) => items.find(&first),
                (_, None) => cx.key_at(&["contents", key]),
            };
            let kind = match kind {
                Some(serde_yaml_ng::Value::String(k)) => cx.expand(&k)?,
                Some(_) => {
                    return Err(cx
                        .err(
                            ErrorKind::InvalidType,
                            at,
                            "a repository's `type` must be a string",
                        )
                        .with_key("type")
                        .with_hint("name the package world, e.g. `type: deb`"))
                }
                None => {
                    return Err(cx
                        .err(
                            ErrorKind::MissingKey,
                            at,
                            format!("a map in `{key}` has no `type`"),
                        )
                        .with_key("type")
                        .with_hint(
                            "add `type:` naming the package world the repository belongs to",
                        ))
                }
            };
            (Some(kind), RepositoryBody::Map(expand_values(map, cx)?), at)
        }
    };
    Ok(RepositorySpec {
        kind,
        body,
        role,
        origin: cx.origin(at).origin(),
        base: Some(cx.base.to_path_buf()),
    })
}

/// `${VAR}`-expand every string (keys excepted) in a YAML mapping.
fn expand_values(
    map: serde_yaml_ng::Mapping,
    cx: &Cx<'_>,
) -> Result<serde_yaml_ng::Mapping, RecipeError> {
    fn value(v: serde_yaml_ng::Value, cx: &Cx<'_>) -> Result<serde_yaml_ng::Value, RecipeError> {
        use serde_yaml_ng::Value;
        Ok(match v {
            Value::String(s) => Value::String(cx.expand(&s)?),
            Value::Sequence(items) => Value::Sequence(
                items
                    .into_iter()
                    .map(|i| value(i, cx))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Mapping(m) => Value::Mapping(expand_values(m, cx)?),
            other => other,
        })
    }
    map.into_iter()
        .map(|(k, v)| Ok((k, value(v, cx)?)))
        .collect()
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
