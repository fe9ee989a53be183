//! What the packages' scripts would have done: every installed package's
//! `sysusers.d` files, install scripts (read, never run) and `tmpfiles.d`
//! files, in dependency order, applied to the tree through the world-neutral
//! [`whittle_effects`] crate; then the world's built-in effects.

use std::collections::{BTreeMap, BTreeSet};

use whittle_effects::{
    read_script, sysusers::sysusers_effects, tmpfiles, tmpfiles::tmpfiles_effects, Action, Applier,
    ApplyOptions, Class, Placed, Script, ScriptReport,
};
use whittle_rootfs::RootFs;
use whittle_world::{Installed, PackageWorld};

use crate::error::BuildError;

/// Where a package's declarative account and file lists live.
const SYSUSERS_DIR: &str = "usr/lib/sysusers.d/";
const TMPFILES_DIR: &str = "usr/lib/tmpfiles.d/";

/// A configuration file as (file name, text).
type ConfigFile = (String, String);

/// What reading and applying the scripts gave.
#[derive(Debug, Clone, Default)]
pub struct ScriptOutcome {
    /// One report per script or configuration file read, in the order read.
    pub reports: Vec<ScriptReport>,
    /// Warnings for the user (an alternative's link in the way, …).
    pub warnings: Vec<String>,
}

/// Inputs of [`apply_script_effects`] beyond the tree.
pub struct EffectsInput<'a> {
    /// The build date.
    pub epoch: i64,
    /// The world's databases and commands it handles natively.
    pub setup: whittle_world::EffectsSetup,
    /// Providers the recipe chose (`alternatives:`).
    pub choices: &'a BTreeMap<String, String>,
    /// The image's `PATH`.
    pub path: &'a str,
}

/// Read and apply every installed package's scripts, then the world's
/// built-in effects.
pub fn apply_script_effects(
    world: &dyn PackageWorld,
    root: &mut RootFs,
    installed: &[Installed],
    input: &EffectsInput<'_>,
) -> Result<ScriptOutcome, BuildError> {
    let setup = &input.setup;
    let elsewhere: Vec<(&str, &str)> = setup
        .elsewhere
        .iter()
        .map(|(p, w)| (p.as_str(), w.as_str()))
        .collect();
    let options = ApplyOptions {
        epoch: input.epoch,
        arch: setup.arch.clone(),
        alternatives_db: setup.alternatives_db.clone(),
        statoverride_db: setup.statoverride_db.clone(),
        choices: input.choices.clone(),
        path: input
            .path
            .split(':')
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        package_files: installed
            .iter()
            .map(|p| (p.record.name.clone(), dpkg_listing(&p.paths)))
            .collect(),
    };
    let mut reports = Vec::new();
    // Configuration files are read from the tree before the applier holds it.
    let configs: Vec<(Vec<ConfigFile>, Vec<ConfigFile>)> = installed
        .iter()
        .map(|p| {
            (
                config_files(root, p, SYSUSERS_DIR),
                config_files(root, p, TMPFILES_DIR),
            )
        })
        .collect();
    // The world decides its built-in effects from the packages as unpacked;
    // they are applied after every script, so a script's own wins.
    let builtin = world.builtin_effects(root, installed);
    let mut applier = Applier::new(root, options);
    let first: Vec<bool> = installed
        .iter()
        .map(|p| world.configured_first(p))
        .collect();
    for i in install_order(installed, &first) {
        let pkg = &installed[i];
        let name = pkg.record.name.as_str();
        let (sysusers, tmpfiles) = &configs[i];
        for (file, text) in sysusers {
            let (effects, skipped) = sysusers_effects(name, file, text);
            reports.push(apply_listed(
                &mut applier,
                name,
                &format!("sysusers.d/{file}"),
                effects,
                skipped,
            ));
        }
        for script in world.scripts(pkg) {
            if let Some((_, _, why)) = setup
                .native_scripts
                .iter()
                .find(|(p, s, _)| p == name && *s == script.name)
            {
                let why = format!("done natively: {why}");
                reports.push(whole_script(name, &script.name, Class::Harmless { why }));
                continue;
            }
            if let Some(why) = &script.unreadable {
                let why = why.clone();
                reports.push(whole_script(name, &script.name, Class::NotEmulated { why }));
                continue;
            }
            let args: Vec<&str> = script.args.iter().map(String::as_str).collect();
            let report = read_script(
                &Script {
                    package: name,
                    name: &script.name,
                    text: &script.text,
                    args: &args,
                    elsewhere: &elsewhere,
                    answers: &script.answers,
                },
                &mut applier,
            );
            reports.push(report);
        }
        for (file, text) in tmpfiles {
            let (effects, skipped) = tmpfiles_effects(name, file, text, setup.keep_run);
            reports.push(apply_listed(
                &mut applier,
                name,
                &format!("tmpfiles.d/{file}"),
                effects,
                skipped,
            ));
        }
    }
    let mut warnings = Vec::new();
    for placed in &builtin {
        if let Err(why) = applier.apply_effect(placed) {
            warnings.push(format!("{}: {why}", placed.origin));
        }
    }
    let applied = applier.finish()?;
    warnings.extend(applied.warnings);
    warnings.extend(missing_accounts_warning(&reports, setup, installed));
    Ok(ScriptOutcome { reports, warnings })
}

/// A script reported as one action, whole (done natively, or unreadable).
fn whole_script(package: &str, script: &str, class: Class) -> ScriptReport {
    ScriptReport {
        package: package.to_string(),
        script: script.to_string(),
        actions: vec![Action {
            line: 0,
            command: format!("{script} (the whole script)"),
            class,
        }],
    }
}

/// When scripts needed users or groups the image lacks and the package
/// that defines the distribution's static accounts is not installed, one
/// warning naming them and that package.
fn missing_accounts_warning(
    reports: &[ScriptReport],
    setup: &whittle_world::EffectsSetup,
    installed: &[Installed],
) -> Option<String> {
    let package = setup.accounts_package.as_deref()?;
    if installed.iter().any(|p| p.record.name == package) {
        return None;
    }
    let mut missing = BTreeSet::new();
    for report in reports {
        for action in report.not_emulated() {
            if let Class::NotEmulated { why } = &action.class {
                for kind in ["user ", "group "] {
                    if let Some(rest) = why.strip_prefix(kind) {
                        if let Some(name) = rest.strip_suffix(" does not exist") {
                            missing.insert(name.to_string());
                        }
                    }
                }
            }
        }
    }
    if missing.is_empty() {
        return None;
    }
    let names: Vec<String> = missing.into_iter().collect();
    Some(format!(
        "install scripts need users or groups the image lacks ({}): the distribution defines them in {package}, which the recipe does not install. Add {package} to contents.packages.",
        names.join(", ")
    ))
}

/// Apply the effects of one `sysusers.d`/`tmpfiles.d` file and report its
/// lines.
fn apply_listed(
    applier: &mut Applier<'_>,
    package: &str,
    source: &str,
    effects: Vec<Placed>,
    skipped: Vec<(u32, String, String)>,
) -> ScriptReport {
    let mut actions = Vec::new();
    for placed in effects {
        let class = match applier.apply_effect(&placed) {
            Ok(()) => Class::Emulated,
            Err(why) => Class::NotEmulated { why },
        };
        actions.push(Action {
            line: placed.origin.line,
            command: describe(&placed),
            class,
        });
    }
    for (line, text, why) in skipped {
        let class = if source.starts_with("tmpfiles.d/") && tmpfiles::skipped_is_harmless(&text) {
            Class::Harmless { why }
        } else {
            Class::NotEmulated { why }
        };
        actions.push(Action {
            line,
            command: text,
            class,
        });
    }
    actions.sort_by_key(|a| a.line);
    ScriptReport {
        package: package.to_string(),
        script: source.to_string(),
        actions,
    }
}

/// A short description of an effect for a report line.
fn describe(placed: &Placed) -> String {
    use whittle_effects::Effect;
    match &placed.effect {
        Effect::Group(g) => format!("group {}", g.name),
        Effect::User(u) => format!("user {}", u.name),
        Effect::Member { user, group } => format!("member {user} of {group}"),
        Effect::Symlink { path, target, .. } => format!("link {path} -> {target}"),
        other => {
            let kind = match other {
                Effect::Directory { .. } => "directory",
                Effect::File { .. } => "file",
                Effect::Chown { .. } => "owner of",
                Effect::Chmod { .. } => "mode of",
                Effect::Remove { .. } => "remove",
                Effect::StatOverride { .. } => "stat override",
                Effect::Alternative(_) => "alternative",
                _ => "trust store",
            };
            format!("{kind} {}", other.path().unwrap_or_default())
        }
    }
}

/// A package's paths as `dpkg -L` prints them: `/.` first, then every
/// path, absolute and without a trailing slash.
fn dpkg_listing(paths: &[String]) -> Vec<String> {
    let mut out = vec!["/.".to_string()];
    for p in paths {
        let t = p.trim_start_matches('.').trim_end_matches('/');
        if t.is_empty() || t == "/." {
            continue;
        }
        if t.starts_with('/') {
            out.push(t.to_string());
        } else {
            out.push(format!("/{t}"));
        }
    }
    out
}

/// The files a package ships in one configuration directory, as (file
/// name, text), in name order.
fn config_files(root: &RootFs, pkg: &Installed, dir: &str) -> Vec<ConfigFile> {
    let mut out: Vec<ConfigFile> = pkg
        .keys
        .iter()
        .filter_map(|key| {
            let name = key.strip_prefix(dir)?;
            if name.contains('/') || !name.ends_with(".conf") {
                return None;
            }
            let text = root.read_file(key)?;
            Some((
                name.to_string(),
                String::from_utf8_lossy(&text).into_owned(),
            ))
        })
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// Indexes of `installed` in the order a package manager configures them:
/// the packages the world configures first (Debian's essential set, which
/// no package declares a dependency on) and what they depend on, then the
/// rest; within each phase a package after everything it depends on
/// (through names and provides), ties and dependency cycles broken by name
/// so the order is the same on every build.
pub fn install_order(installed: &[Installed], first: &[bool]) -> Vec<usize> {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in installed.iter().enumerate() {
        by_name.entry(p.record.name.as_str()).or_default().push(i);
        for prov in &p.record.provides {
            by_name.entry(prov.name.as_str()).or_default().push(i);
        }
    }
    // deps[i]: the packages i waits for.
    let deps: Vec<BTreeSet<usize>> = installed
        .iter()
        .enumerate()
        .map(|(i, p)| {
            p.record
                .depends
                .iter()
                .flat_map(|d| d.alternatives.iter())
                .filter_map(|req| by_name.get(req.name.as_str()))
                .flatten()
                .copied()
                .filter(|&j| j != i)
                .collect()
        })
        .collect();
    // Phase one: the first packages and everything they depend on.
    let mut early = vec![false; installed.len()];
    let mut stack: Vec<usize> = (0..installed.len())
        .filter(|&i| first.get(i).copied().unwrap_or(false))
        .collect();
    while let Some(i) = stack.pop() {
        if !early[i] {
            early[i] = true;
            stack.extend(deps[i].iter().copied());
        }
    }
    let key = |i: usize| (installed[i].record.name.as_str(), i);
    let mut done = vec![false; installed.len()];
    let mut order = Vec::with_capacity(installed.len());
    for phase in [true, false] {
        let todo: Vec<usize> = (0..installed.len())
            .filter(|&i| early[i] == phase)
            .collect();
        loop {
            let pending = || todo.iter().copied().filter(|&i| !done[i]);
            let ready = pending()
                .filter(|&i| deps[i].iter().all(|&j| done[j]))
                .min_by_key(|&i| key(i));
            // In a cycle, the package with the fewest unmet dependencies
            // goes first (then by name), as close as a fixed rule gets to
            // dpkg's.
            let next = ready.or_else(|| {
                pending().min_by_key(|&i| (deps[i].iter().filter(|&&j| !done[j]).count(), key(i)))
            });
            let Some(next) = next else { break };
            done[next] = true;
            order.push(next);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use whittle_model::{Dependency, PackageRecord, Requirement};

    #[test]
    fn dpkg_listing_starts_with_the_root_and_drops_trailing_slashes() {
        let paths = [
            "./".to_string(),
            "./usr/".to_string(),
            "/usr/bin/x".to_string(),
        ];
        assert_eq!(dpkg_listing(&paths), ["/.", "/usr", "/usr/bin/x"]);
    }

    fn pkg(name: &str, deps: &[&str]) -> Installed {
        let mut r = PackageRecord::new(name, "1");
        r.depends = deps
            .iter()
            .map(|d| Dependency::single(Requirement::any(*d)))
            .collect();
        Installed::from_record(r)
    }

    fn names(installed: &[Installed]) -> Vec<&str> {
        names_with_first(installed, &[])
    }

    fn names_with_first<'a>(installed: &'a [Installed], first: &[&str]) -> Vec<&'a str> {
        let first: Vec<bool> = installed
            .iter()
            .map(|p| first.contains(&p.record.name.as_str()))
            .collect();
        install_order(installed, &first)
            .into_iter()
            .map(|i| installed[i].record.name.as_str())
            .collect()
    }

    #[test]
    fn dependencies_first_then_by_name() {
        let set = vec![
            pkg("nginx", &["nginx-common", "libc6"]),
            pkg("nginx-common", &["adduser"]),
            pkg("adduser", &["passwd"]),
            pkg("passwd", &["libc6"]),
            pkg("libc6", &[]),
            pkg("base-files", &[]),
        ];
        assert_eq!(
            names(&set),
            [
                "base-files",
                "libc6",
                "passwd",
                "adduser",
                "nginx-common",
                "nginx"
            ]
        );
    }

    #[test]
    fn the_essential_set_and_its_dependencies_come_first() {
        let set = vec![
            pkg("fontconfig-config", &[]),
            pkg("base-files", &["mawk"]),
            pkg("mawk", &["libc6"]),
            pkg("libc6", &[]),
            pkg("zlib1g", &["libc6"]),
        ];
        assert_eq!(
            names_with_first(&set, &["base-files"]),
            ["libc6", "mawk", "base-files", "fontconfig-config", "zlib1g"]
        );
    }

    #[test]
    fn cycles_are_broken_the_same_way_every_time() {
        let set = vec![pkg("b", &["a"]), pkg("a", &["b"]), pkg("c", &["a"])];
        assert_eq!(names(&set), ["a", "b", "c"]);
        let reversed: Vec<Installed> = set.into_iter().rev().collect();
        assert_eq!(names(&reversed), ["a", "b", "c"]);
    }
}
