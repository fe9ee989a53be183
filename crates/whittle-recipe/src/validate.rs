//! Checks over the whole recipe once `include:` chains are merged, and the
//! [`BuildPlan`] they produce.

use std::collections::HashMap;
use std::path::Path;

use crate::accounts::{run_as_hint, Accounts, User};
use crate::arch::Arch;
use crate::error::{ErrorKind, RecipeError};
use crate::include::{Partial, Place};
use crate::plan::BuildPlan;

/// Whole-recipe validation after includes are merged.
pub(crate) fn finish(p: Partial, file: &Path) -> Result<BuildPlan, RecipeError> {
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
        let well_formed = !run_as.is_empty()
            && run_as.matches(':').count() <= 1
            && run_as.split(':').all(|part| !part.is_empty());
        if !well_formed {
            return Err(origin
                .err(
                    ErrorKind::Invalid,
                    format!("`run-as: {run_as}` is not a user, a uid or `user:group`"),
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
    // Resolving repositories first (their index is their rank), then the
    // rest, each group in recipe order.
    let mut repositories = p.repositories;
    repositories.sort_by_key(|r| r.role);
    Ok(BuildPlan {
        source: file.to_path_buf(),
        repositories,
        keyrings: p.keyrings,
        packages: p.packages,
        exclude: p.exclude,
        slices: p.slices,
        path_exclude: p.path_exclude,
        path_include: p.path_include,
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
        alternatives: p.alternatives,
        vcs_url: p.vcs_url,
        rpmdb: p.rpmdb,
        layering: p.layering,
        ignore_signatures: false,
    })
}

fn check_unique<T>(
    items: &[(T, Place)],
    what: &str,
    key: &str,
    id: impl Fn(&T) -> String,
) -> Result<(), RecipeError> {
    let mut seen: HashMap<String, &Place> = HashMap::new();
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
