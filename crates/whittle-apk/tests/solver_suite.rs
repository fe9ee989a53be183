//! apk-tools' own solver test suite (`shared/fixtures/apk/apk-tools-gpl2/solver/`,
//! GPL-2.0 test data, read at run time only) run against whittle's solver.
//!
//! whittle always builds a fresh root, so only the cases that install into an
//! empty system with `apk add` apply. Each `.test` file is classified: cases
//! that start from an installed database, upgrade, delete, fix, use apk's
//! cache or special command-line switches are listed as not applicable with
//! the reason. For the applicable ones only the *set* of installed packages
//! (name, repository tag, version) is compared with the `@EXPECT` lines
//! `(i/n) Installing name[@tag] (version)`, or, when apk reports an error,
//! that whittle fails too.
//!
//! Cases whittle is known to decide differently are listed in
//! [`KNOWN_FAILURES`] with the reason; the test fails when any other
//! applicable case fails, and when a listed case starts passing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use whittle_apk::atom::{parse_world_atom, Atom};
use whittle_apk::index::parse_index_text;
use whittle_apk::version::ApkVersionScheme;
use whittle_apk::SOLVE_RULES as APK_RULES;
use whittle_model::{PackageRecord, Requirement};
use whittle_solve::{solve, SolveTask};
use whittle_test_env::fixtures;

/// apk-tools' solver suite, relative to the fixtures folder.
const SUITE: &str = "apk/apk-tools-gpl2/solver";

/// The architecture the repositories are read for.
const ARCH: &str = "x86_64";

/// Applicable cases whittle decides differently from apk-tools, with why.
const KNOWN_FAILURES: &[(&str, &str)] = &[
    (
        "installif1.test",
        "apk-tools does not install `libiif` (i:lib foo) although lib and foo are installed; \
         whittle applies the documented rule (every install_if atom holds -> install)",
    ),
    (
        "installif2.test",
        "same as installif1: `libiif` (i:lib foo) is installed by whittle, not by apk-tools",
    ),
    (
        "installif3.test",
        "same as installif1: `libiif` (i:lib foo) is installed by whittle, not by apk-tools",
    ),
];

/// One parsed `.test` file.
#[derive(Debug, Default)]
struct Case {
    args: Vec<String>,
    /// `(tag, file)` per `@REPO` line, in order.
    repos: Vec<(Option<String>, String)>,
    installed: Option<String>,
    cache: bool,
    world: Vec<String>,
    expect: Vec<String>,
}

fn parse_case(text: &str) -> Case {
    let mut case = Case::default();
    let mut in_expect = false;
    for line in text.lines() {
        if in_expect {
            case.expect.push(line.to_string());
            continue;
        }
        let Some(rest) = line.strip_prefix('@') else {
            continue;
        };
        let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
        let value = value.trim();
        match key {
            "ARGS" => case.args = value.split_whitespace().map(str::to_string).collect(),
            "REPO" => {
                let mut words = value.split_whitespace();
                let first = words.next().unwrap_or_default();
                match first.strip_prefix('@') {
                    Some(tag) => case.repos.push((
                        Some(tag.to_string()),
                        words.next().unwrap_or_default().to_string(),
                    )),
                    None => case.repos.push((None, first.to_string())),
                }
            }
            "INSTALLED" => case.installed = Some(value.to_string()),
            "CACHE" => case.cache = true,
            "WORLD" => case.world = value.split_whitespace().map(str::to_string).collect(),
            "EXPECT" => in_expect = true,
            other => panic!("unknown section @{other}"),
        }
    }
    case
}

/// What apk is expected to do.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    /// Install exactly these `(name, tag, version)`s.
    Install(BTreeSet<(String, Option<String>, String)>),
    /// Fail.
    Error,
}

/// `(1/2) Installing a@tag (2)` → `("a", Some("tag"), "2")`.
fn parse_expect(lines: &[String]) -> Result<Expect, String> {
    if lines.iter().any(|l| l.starts_with("ERROR")) {
        return Ok(Expect::Error);
    }
    let mut set = BTreeSet::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() || line.starts_with("OK:") || line.starts_with("WARNING:") {
            continue;
        }
        let Some(rest) = line
            .split_once(") ")
            .and_then(|(_, r)| r.strip_prefix("Installing "))
        else {
            return Err(format!("expects apk output beyond installing: {line:?}"));
        };
        let (label, version) = rest
            .rsplit_once(" (")
            .ok_or_else(|| format!("unreadable line {line:?}"))?;
        let version = version.trim_end_matches(')').to_string();
        let (name, tag) = match label.split_once('@') {
            Some((n, t)) => (n.to_string(), Some(t.to_string())),
            None => (label.to_string(), None),
        };
        set.insert((name, tag, version));
    }
    Ok(Expect::Install(set))
}

/// Why a case does not apply to a fresh, script-free install, if it does not.
fn not_applicable(case: &Case) -> Option<String> {
    if case.installed.is_some() {
        return Some("starts from an installed system (@INSTALLED)".into());
    }
    if case.cache {
        return Some("uses apk's package cache (@CACHE)".into());
    }
    let mut command: Option<&str> = None;
    for arg in &case.args {
        if let Some(flag) = arg.strip_prefix('-') {
            let flag = flag.trim_start_matches('-');
            let flag = flag.split('=').next().unwrap_or(flag);
            match flag {
                "v" => {}
                "t" | "virtual" => {
                    return Some("`add -t` creates a virtual package (apk CLI feature)".into())
                }
                "force-broken-world" => {
                    return Some("--force-broken-world skips unsatisfiable requests".into())
                }
                "no-network" | "root-tmpfs" => {
                    return Some("network/cache switches (--no-network)".into())
                }
                "u" | "upgrade" | "l" | "latest" | "a" | "available" | "prune" | "ignore"
                | "self-upgrade-only" | "preupgrade-only" | "preupgrade-depends" => {
                    return Some("upgrade switches act on an installed system".into())
                }
                other => return Some(format!("apk switch --{other}")),
            }
        } else if command.is_none() {
            command = Some(arg.as_str());
        }
    }
    match command {
        Some("add") => {}
        Some(other) => {
            return Some(format!(
                "`apk {other}` acts on an installed system (upgrade/del/fix)"
            ))
        }
        None => return Some("no apk command".into()),
    }
    let atoms = case
        .world
        .iter()
        .chain(case.args.iter().skip_while(|a| *a != "add").skip(1));
    for atom in atoms {
        if atom.starts_with('!') {
            return Some(
                "negative world entry `!name` (recipe package lists have no conflicts)".into(),
            );
        }
    }
    if let Err(reason) = parse_expect(&case.expect) {
        return Some(reason);
    }
    None
}

/// Load the repositories of a case.
fn load_repos(dir: &Path, case: &Case) -> Vec<PackageRecord> {
    let mut packages = Vec::new();
    for (i, (tag, file)) in case.repos.iter().enumerate() {
        let text = fs_err::read_to_string(dir.join(file)).expect("repo file");
        let records = parse_index_text(
            &text,
            &format!("https://test.invalid/repo{i}"),
            i,
            ARCH,
            tag.as_deref(),
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        // The APK world reads indexes for one architecture: records built
        // for another cannot be installed.
        packages.extend(
            records
                .into_iter()
                .filter(|r| r.arch == ARCH || r.arch == "noarch"),
        );
    }
    packages
}

/// Run one applicable case: `Ok(())` when whittle agrees, else why not.
fn run(dir: &Path, case: &Case) -> Result<(), String> {
    let expect = parse_expect(&case.expect)?;
    let packages = load_repos(dir, case);
    let scheme = ApkVersionScheme;
    let mut task = SolveTask::new(&packages, &scheme);
    task.rules = APK_RULES;
    let atoms: Vec<&String> = case
        .world
        .iter()
        .chain(case.args.iter().skip_while(|a| *a != "add").skip(1))
        .collect();
    for atom in atoms {
        let (req, tag): (Requirement, Option<String>) = match parse_world_atom(atom) {
            Ok((Atom::Depend(req), tag)) => (req, tag),
            Ok((Atom::Conflict(_), _)) => return Err("conflict atom".into()),
            Err(e) => {
                // whittle rejects the request list before solving.
                return match expect {
                    Expect::Error => Ok(()),
                    Expect::Install(_) => Err(format!("rejected request {atom:?}: {e}")),
                };
            }
        };
        if let Some(tag) = tag {
            task.request_tags.insert(req.name.clone(), tag);
        }
        task.requests.push(req);
    }
    let got = solve(&task);
    match (expect, got) {
        (Expect::Error, Err(_)) => Ok(()),
        (Expect::Error, Ok(solution)) => Err(format!(
            "apk fails, whittle installs {:?}",
            solution
                .installed
                .iter()
                .map(|&i| label(&packages[i]))
                .collect::<Vec<_>>()
        )),
        (Expect::Install(want), Err(e)) => {
            Err(format!("whittle fails ({e}), apk installs {want:?}"))
        }
        (Expect::Install(want), Ok(solution)) => {
            let have: BTreeSet<(String, Option<String>, String)> = solution
                .installed
                .iter()
                .map(|&i| {
                    let r = &packages[i];
                    (r.name.clone(), r.repo_tag.clone(), r.version.clone())
                })
                .collect();
            if have == want {
                Ok(())
            } else {
                Err(format!("installed {have:?}, apk installs {want:?}"))
            }
        }
    }
}

fn label(rec: &PackageRecord) -> String {
    match &rec.repo_tag {
        Some(t) => format!("{}@{t} {}", rec.name, rec.version),
        None => rec.label(),
    }
}

#[test]
fn apk_tools_solver_suite() {
    let dir = fixtures::path(SUITE);
    let mut files: Vec<PathBuf> = fs_err::read_dir(&dir)
        .expect("solver suite directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .test files in {}", dir.display());

    let known: BTreeMap<&str, &str> = KNOWN_FAILURES.iter().copied().collect();
    let mut not_applicable_by_reason: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut passing: Vec<String> = Vec::new();
    let mut failing: Vec<(String, String)> = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let case = parse_case(&fs_err::read_to_string(path).unwrap());
        if let Some(reason) = not_applicable(&case) {
            not_applicable_by_reason
                .entry(reason)
                .or_default()
                .push(name);
            continue;
        }
        match run(&dir, &case) {
            Ok(()) => passing.push(name),
            Err(why) => failing.push((name, why)),
        }
    }

    let applicable = passing.len() + failing.len();
    let skipped: usize = not_applicable_by_reason.values().map(Vec::len).sum();
    eprintln!(
        "apk-tools solver suite: {} files; applicable {applicable}, passing {}, not applicable {skipped}",
        files.len(),
        passing.len()
    );
    eprintln!("not applicable:");
    for (reason, names) in &not_applicable_by_reason {
        eprintln!("  {} - {reason}: {}", names.len(), names.join(" "));
    }
    eprintln!("passing: {}", passing.join(" "));
    eprintln!("failing ({}):", failing.len());
    for (name, why) in &failing {
        let tag = if known.contains_key(name.as_str()) {
            "known"
        } else {
            "NEW"
        };
        eprintln!("  [{tag}] {name}: {why}");
    }

    let unexpected: Vec<&(String, String)> = failing
        .iter()
        .filter(|(n, _)| !known.contains_key(n.as_str()))
        .collect();
    let fixed: Vec<&str> = known
        .keys()
        .copied()
        .filter(|k| passing.iter().any(|p| p == k))
        .collect();
    assert!(
        unexpected.is_empty(),
        "applicable cases failing that are not listed as known: {unexpected:#?}"
    );
    assert!(
        fixed.is_empty(),
        "cases listed as known failures now pass; remove them from KNOWN_FAILURES: {fixed:?}"
    );
    // Every applicable case not listed as known passes.
    assert_eq!(passing.len() + known.len(), applicable);
}
