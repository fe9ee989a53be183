//! File commands as effects: `mkdir`, `ln -s`, `chown`, `chgrp`, `chmod`,
//! `install`, `cp`, `touch`, `rm`, `rmdir`, `mv` (GNU coreutils options).

use super::interp::Interp;
use super::known::Outcome;
use super::options::{self, octal, symbolic, Parsed};
use super::subst::basename;
use crate::effect::{Effect, FileContent, Who};
use crate::host::PathState;

/// Classify one file command.
pub(crate) fn classify(interp: &Interp<'_>, name: &str, args: &[String]) -> Outcome {
    let r = match name {
        "mkdir" => mkdir(args),
        "ln" => ln(interp, args),
        "chown" => chown(args, false),
        "chgrp" => chown(args, true),
        "chmod" => chmod(interp, args),
        "install" => install(interp, args),
        "cp" => cp(interp, args, false),
        "mv" => cp(interp, args, true),
        "touch" => touch(args),
        "rm" | "rmdir" => rm(args, name == "rmdir"),
        _ => Err("unknown command".into()),
    };
    r.into()
}

fn absolute(paths: &[String]) -> Result<(), String> {
    match paths.iter().find(|p| !p.starts_with('/')) {
        Some(p) => Err(format!(
            "`{p}` is relative: the working directory is not followed"
        )),
        None if paths.is_empty() => Err("no operand".into()),
        None => Ok(()),
    }
}

fn mode_of(p: &Parsed) -> Result<Option<u32>, String> {
    match p.value(&["-m", "--mode"]) {
        None => Ok(None),
        Some(m) => octal(m)
            .map(Some)
            .ok_or_else(|| format!("mode `{m}` is symbolic: not emulated here")),
    }
}

fn mkdir(args: &[String]) -> Result<Vec<Effect>, String> {
    let p = options::parse(args, &["-m", "--mode"])?;
    p.only(&["-p", "--parents", "-m", "--mode", "-v", "--verbose"])?;
    absolute(&p.operands)?;
    let mode = mode_of(&p)?;
    let parents = p.has(&["-p", "--parents"]);
    Ok(p.operands
        .iter()
        .map(|path| Effect::Directory {
            path: path.clone(),
            mode,
            owner: None,
            group: None,
            parents,
        })
        .collect())
}

fn ln(interp: &Interp<'_>, args: &[String]) -> Result<Vec<Effect>, String> {
    let p = options::parse(args, &["-t", "--target-directory"])?;
    p.only(&[
        "-s",
        "--symbolic",
        "-f",
        "--force",
        "-n",
        "--no-dereference",
        "-T",
        "--no-target-directory",
        "-v",
        "--verbose",
    ])?;
    if !p.has(&["-s", "--symbolic"]) {
        return Err("hard links are not emulated".into());
    }
    let replace = p.has(&["-f", "--force"]);
    let no_deref = p.has(&["-n", "--no-dereference"]);
    let no_dir = p.has(&["-T", "--no-target-directory"]);
    let (targets, dest) = match p.operands.as_slice() {
        [] | [_] => return Err("`ln -s TARGET` into the working directory is not followed".into()),
        [rest @ .., dest] => (rest, dest),
    };
    absolute(std::slice::from_ref(dest))?;
    let into_dir = !no_dir && interp.host.stat(dest, !no_deref) == PathState::Dir;
    if targets.len() > 1 && !into_dir {
        return Err(format!("{dest} is not a directory"));
    }
    Ok(targets
        .iter()
        .map(|t| Effect::Symlink {
            path: if into_dir {
                format!("{}/{}", dest.trim_end_matches('/'), basename(t))
            } else {
                dest.clone()
            },
            target: t.clone(),
            replace,
        })
        .collect())
}

/// `USER`, `USER:GROUP`, `USER.GROUP`, `:GROUP`.
fn owner_spec(spec: &str) -> Result<(Option<Who>, Option<Who>), String> {
    let (u, g) = match spec.split_once(':').or_else(|| spec.split_once('.')) {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    if g == Some("") {
        return Err(format!(
            "`{spec}`: the login group of a user is not looked up"
        ));
    }
    let who = |s: &str| (!s.is_empty()).then(|| Who::parse(s));
    Ok((who(u), g.and_then(who)))
}

fn chown(args: &[String], group_only: bool) -> Result<Vec<Effect>, String> {
    let p = options::parse(args, &[])?;
    p.only(&[
        "-R",
        "--recursive",
        "-h",
        "--no-dereference",
        "-f",
        "--silent",
        "--quiet",
        "-v",
        "--verbose",
        "-c",
        "--changes",
        "-H",
        "-L",
        "-P",
    ])?;
    let [spec, paths @ ..] = p.operands.as_slice() else {
        return Err("no operand".into());
    };
    absolute(paths)?;
    let (owner, group) = if group_only {
        (None, Some(Who::parse(spec)))
    } else {
        owner_spec(spec)?
    };
    let recursive = p.has(&["-R", "--recursive"]);
    Ok(paths
        .iter()
        .map(|path| Effect::Chown {
            path: path.clone(),
            owner: owner.clone(),
            group: group.clone(),
            recursive,
        })
        .collect())
}

fn chmod(interp: &Interp<'_>, args: &[String]) -> Result<Vec<Effect>, String> {
    let p = options::parse(args, &[])?;
    p.only(&[
        "-R",
        "--recursive",
        "-f",
        "--silent",
        "--quiet",
        "-v",
        "--verbose",
        "-c",
        "--changes",
    ])?;
    let [mode, paths @ ..] = p.operands.as_slice() else {
        return Err("no operand".into());
    };
    absolute(paths)?;
    let recursive = p.has(&["-R", "--recursive"]);
    paths
        .iter()
        .map(|path| {
            let m = match octal(mode) {
                Some(m) => m,
                None if recursive => return Err(format!("symbolic mode `{mode}` applied recursively is not emulated")),
                None => {
                    let current = interp.modes.get(path).copied().ok_or_else(|| {
                        format!("symbolic mode `{mode}` needs the current mode of {path}, which the reader does not know")
                    })?;
                    symbolic(mode, current).ok_or_else(|| format!("mode `{mode}` is not understood"))?
                }
            };
            Ok(Effect::Chmod { path: path.clone(), mode: m, recursive })
        })
        .collect()
}

fn install(interp: &Interp<'_>, args: &[String]) -> Result<Vec<Effect>, String> {
    const VALUED: &[&str] = &[
        "-m",
        "--mode",
        "-o",
        "--owner",
        "-g",
        "--group",
        "-t",
        "--target-directory",
    ];
    let p = options::parse(args, VALUED)?;
    let mut known = VALUED.to_vec();
    known.extend([
        "-d",
        "--directory",
        "-D",
        "-p",
        "--preserve-timestamps",
        "-v",
        "--verbose",
        "-c",
        "-C",
        "--compare",
        "-T",
        "--no-target-directory",
    ]);
    p.only(&known)?;
    let mode = mode_of(&p)?;
    let owner = p.value(&["-o", "--owner"]).map(Who::parse);
    let group = p.value(&["-g", "--group"]).map(Who::parse);
    if p.has(&["-d", "--directory"]) {
        absolute(&p.operands)?;
        return Ok(p
            .operands
            .iter()
            .map(|path| Effect::Directory {
                path: path.clone(),
                mode: Some(mode.unwrap_or(0o755)),
                owner: Some(owner.clone().unwrap_or(Who::Id(0))),
                group: Some(group.clone().unwrap_or(Who::Id(0))),
                parents: true,
            })
            .collect());
    }
    let copies = destinations(interp, &p, p.has(&["-T", "--no-target-directory"]))?;
    let mut effects = Vec::new();
    for (src, dest) in copies {
        source_file(interp, &src)?;
        if p.has(&["-D"]) {
            effects.push(Effect::Directory {
                path: super::subst::dirname(&dest).to_string(),
                mode: None,
                owner: None,
                group: None,
                parents: true,
            });
        }
        effects.push(Effect::File {
            path: dest,
            content: FileContent::CopyOf(src),
            mode: Some(mode.unwrap_or(0o755)),
            owner: Some(owner.clone().unwrap_or(Who::Id(0))),
            group: Some(group.clone().unwrap_or(Who::Id(0))),
            replace: true,
        });
    }
    Ok(effects)
}

/// (source, destination) pairs of `cp`/`install`/`mv` operands.
fn destinations(
    interp: &Interp<'_>,
    p: &Parsed,
    no_dir: bool,
) -> Result<Vec<(String, String)>, String> {
    let (srcs, dir) = match (
        p.value(&["-t", "--target-directory"]),
        p.operands.as_slice(),
    ) {
        (Some(dir), srcs) => (srcs, Some(dir.to_string())),
        (None, [] | [_]) => return Err("a single operand".into()),
        (None, [srcs @ .., dest]) => {
            let into =
                !no_dir && (srcs.len() > 1 || interp.host.stat(dest, true) == PathState::Dir);
            if !into {
                absolute(&p.operands)?;
                return Ok(vec![(srcs[0].clone(), dest.clone())]);
            }
            (srcs, Some(dest.clone()))
        }
    };
    absolute(srcs)?;
    let dir = dir.unwrap_or_default();
    absolute(std::slice::from_ref(&dir))?;
    Ok(srcs
        .iter()
        .map(|s| {
            (
                s.clone(),
                format!("{}/{}", dir.trim_end_matches('/'), basename(s)),
            )
        })
        .collect())
}

fn source_file(interp: &Interp<'_>, src: &str) -> Result<PathState, String> {
    match interp.host.stat(src, false) {
        s @ (PathState::File { .. } | PathState::Symlink { .. }) => Ok(s),
        PathState::Dir => Err(format!("copying the directory {src} is not emulated")),
        PathState::Missing => Err(format!("{src} is not in the tree")),
        PathState::Other => Err(format!("{src} is not a regular file")),
    }
}

fn cp(interp: &Interp<'_>, args: &[String], remove_source: bool) -> Result<Vec<Effect>, String> {
    let p = options::parse(args, &["-t", "--target-directory"])?;
    p.only(&[
        "-a",
        "--archive",
        "-p",
        "--preserve",
        "-f",
        "--force",
        "-r",
        "-R",
        "--recursive",
        "-P",
        "--no-dereference",
        "-d",
        "-v",
        "--verbose",
        "-L",
        "--dereference",
        "-T",
        "--no-target-directory",
        "-n",
        "--no-clobber",
        "--remove-destination",
        "-t",
        "--target-directory",
    ])?;
    let keep_links = remove_source || p.has(&["-a", "--archive", "-P", "--no-dereference", "-d"]);
    let replace = !p.has(&["-n", "--no-clobber"]);
    let mut effects = Vec::new();
    for (src, dest) in destinations(interp, &p, p.has(&["-T", "--no-target-directory"]))? {
        let state = source_file(interp, &src)?;
        match state {
            PathState::Symlink { target } if keep_links => {
                effects.push(Effect::Symlink {
                    path: dest,
                    target,
                    replace,
                });
            }
            _ => {
                if !matches!(interp.host.stat(&src, true), PathState::File { .. }) {
                    return Err(format!("{src} does not lead to a regular file"));
                }
                effects.push(Effect::File {
                    path: dest,
                    content: FileContent::CopyOf(src.clone()),
                    mode: None,
                    owner: None,
                    group: None,
                    replace,
                });
            }
        }
        if remove_source {
            effects.push(Effect::Remove {
                path: src,
                recursive: false,
            });
        }
    }
    Ok(effects)
}

fn touch(args: &[String]) -> Result<Vec<Effect>, String> {
    let p = options::parse(args, &[])?;
    p.only(&["-c", "--no-create", "-m", "-a", "-h"])?;
    absolute(&p.operands)?;
    if p.has(&["-c", "--no-create"]) {
        return Ok(Vec::new());
    }
    Ok(p.operands
        .iter()
        .map(|path| Effect::File {
            path: path.clone(),
            content: FileContent::Bytes(Vec::new()),
            mode: None,
            owner: None,
            group: None,
            replace: false,
        })
        .collect())
}

fn rm(args: &[String], rmdir: bool) -> Result<Vec<Effect>, String> {
    let p = options::parse(args, &[])?;
    p.only(&[
        "-f",
        "--force",
        "-r",
        "-R",
        "--recursive",
        "-v",
        "--verbose",
        "-d",
        "--dir",
        "--ignore-fail-on-non-empty",
    ])?;
    absolute(&p.operands)?;
    let recursive = !rmdir && p.has(&["-r", "-R", "--recursive"]);
    Ok(p.operands
        .iter()
        .map(|path| Effect::Remove {
            path: path.clone(),
            recursive,
        })
        .collect())
}
