//! Checks of what a user asked for against what the build will produce,
//! made as early as they can be: the output paths before any work, the
//! image's user and programs once the tree exists.

use std::collections::BTreeMap;
use std::path::Path;

use whittle_recipe::BuildPlan;
use whittle_rootfs::accounts::AccountIds;
use whittle_rootfs::{NodeKind, RootFs};

use crate::error::BuildError;

/// Refuse an output (and SBOM directory) that cannot be written, before
/// the build starts: a missing or unwritable directory, a path that is
/// neither a `.tar` nor a directory, an OCI layout whose `index.json` or
/// `oci-layout` is invalid. Returns whether the output is an OCI layout
/// directory. [`crate::build`] calls it first; a front end may call it
/// earlier still, before opening repositories.
pub fn check_output(output: &Path, sbom_dir: Option<&Path>) -> Result<bool, BuildError> {
    let bad = |path: &Path, reason: String| BuildError::OutputPath {
        path: path.to_path_buf(),
        reason,
    };
    let is_dir = output.is_dir();
    let dir = if is_dir {
        output.to_path_buf()
    } else {
        if output.extension().and_then(|e| e.to_str()) != Some("tar") {
            return Err(bad(
                output,
                "it is neither a .tar file nor an existing directory: name a .tar archive, or \
                 create the directory for an OCI layout first"
                    .to_string(),
            ));
        }
        match output.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(p) => p.to_path_buf(),
            None => Path::new(".").to_path_buf(),
        }
    };
    writable(&dir).map_err(|reason| bad(output, reason))?;
    if is_dir {
        // An invalid index.json or oci-layout is refused before any work,
        // so nothing is written into a layout that cannot take the image.
        whittle_oci::check_layout(output)
            .map_err(|e| bad(output, format!("{e}. Nothing was written there")))?;
    }
    if let Some(sboms) = sbom_dir {
        writable(sboms).map_err(|reason| {
            bad(
                sboms,
                format!("{reason} (the SBOM directory; create it, or pass another --sbom-path)"),
            )
        })?;
    }
    Ok(is_dir)
}

/// Whether a file can be created in `dir`, by creating (and removing) one.
fn writable(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(format!("the directory {} does not exist", dir.display()));
    }
    tempfile::Builder::new()
        .prefix(".whittle-probe-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| format!("cannot create files in {}: {e}", dir.display()))
}

/// The image config's `User`: `run-as` resolved to numbers (as Kubernetes'
/// `runAsNonRoot` needs them), a name looked up in the recipe's accounts,
/// then in the image's own `/etc/passwd` and `/etc/group` (`run-as: root`,
/// `run-as: nobody`).
pub fn run_as_user(plan: &BuildPlan, root: &RootFs) -> Result<Option<String>, BuildError> {
    let Some(run_as) = plan.accounts.run_as.as_deref() else {
        return Ok(None);
    };
    let image = AccountIds::from_tree(root);
    let unknown = || BuildError::UnknownRunAs {
        run_as: run_as.to_string(),
        known: image.user_names().join(", "),
    };
    let (user, group) = match run_as.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (run_as, None),
    };
    let uid = user
        .parse::<u32>()
        .ok()
        .or_else(|| {
            plan.accounts
                .users
                .iter()
                .find(|u| u.username == user)
                .map(|u| u.uid)
        })
        .or_else(|| image.user(user).map(|(uid, _)| uid))
        .ok_or_else(unknown)?;
    let Some(group) = group else {
        return Ok(Some(uid.to_string()));
    };
    let gid = group
        .parse::<u32>()
        .ok()
        .or_else(|| {
            plan.accounts
                .groups
                .iter()
                .find(|g| g.groupname == group)
                .map(|g| g.gid)
        })
        .or_else(|| image.group(group))
        .ok_or_else(unknown)?;
    Ok(Some(format!("{uid}:{gid}")))
}

/// The program the image starts (the entrypoint's, else the command's
/// first word) must be in the image: a path must exist, a bare name must
/// be found on the image's `PATH`.
pub fn check_programs(
    plan: &BuildPlan,
    root: &RootFs,
    env: &BTreeMap<String, String>,
) -> Result<(), BuildError> {
    let (what, program) = match (plan.entrypoint.first(), plan.cmd.first()) {
        (Some(p), _) => ("entrypoint", p),
        (None, Some(p)) => ("cmd", p),
        (None, None) => return Ok(()),
    };
    let found = if program.contains('/') {
        let path = if program.starts_with('/') {
            program.clone()
        } else {
            format!("{}/{program}", plan.work_dir.as_deref().unwrap_or("/"))
        };
        is_program(root, &path)
    } else {
        env.get("PATH")
            .map_or("", String::as_str)
            .split(':')
            .any(|dir| is_program(root, &format!("{dir}/{program}")))
    };
    if found {
        return Ok(());
    }
    let name = program.rsplit('/').next().unwrap_or(program);
    let similar: Vec<String> = root
        .iter()
        .filter(|(k, n)| {
            k.rsplit('/').next() == Some(name)
                && matches!(n.kind, NodeKind::File(_) | NodeKind::Symlink(_))
        })
        .map(|(k, _)| format!("/{k}"))
        .take(3)
        .collect();
    let hint = if similar.is_empty() {
        "; add the package that ships it to contents.packages, or fix the path".to_string()
    } else {
        format!("; the image has {} — fix the path", similar.join(", "))
    };
    Err(BuildError::MissingProgram {
        what,
        program: program.clone(),
        hint,
    })
}

/// An executable regular file (after links) at `path`.
fn is_program(root: &RootFs, path: &str) -> bool {
    root.lookup(path)
        .is_some_and(|n| matches!(n.kind, NodeKind::File(_)) && n.mode & 0o111 != 0)
}
