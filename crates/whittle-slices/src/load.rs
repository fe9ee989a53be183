//! Reading release trees: `chisel.yaml` and `slices/**/<package>.yaml`,
//! validated per file as Chisel's `internal/setup/yaml.go` does (formats
//! v1–v3, name rules, path kinds and options). Conflicts between slices are
//! [`crate::check`]'s business. Several trees overlay: the last
//! `chisel.yaml` wins, and a later tree's package file replaces an
//! earlier one's whole. Slice files are parsed in parallel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::SliceError;
use crate::raw::{parse_int, RawArchive, RawMaintenance, RawRelease, Text};
use crate::release::{
    valid_package_name, Archive, Format, Maintenance, Package, PublicKey, Release,
};

mod package;

pub use package::parse_package;

/// How deep `slices/` may nest (a guard against symlink loops).
const MAX_DEPTH: usize = 32;

/// Loads a release from one or more trees (later trees overlay earlier
/// ones): `chisel.yaml` from the last tree that has one, and every
/// `slices/**/<package>.yaml`, a later tree's file replacing an earlier
/// one's whole (a tree without `slices/` adds no packages). Validates each
/// file; call [`Release::check`] for the conflict rules.
///
/// # Errors
///
/// A tree that cannot be read, no `chisel.yaml` in any tree, a file
/// name that is not `<package>.yaml`, a package defined twice in one tree,
/// and every per-file problem (all files are parsed; the problems are
/// reported together).
pub fn load(trees: &[PathBuf]) -> Result<Release, SliceError> {
    let mut release_file = None;
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    for tree in trees {
        if !tree.is_dir() {
            return Err(SliceError::Read {
                path: tree.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "not a directory (pass a chisel-releases folder)",
                ),
            });
        }
        let candidate = tree.join("chisel.yaml");
        if candidate.is_file() {
            release_file = Some(candidate);
        }
        let slices = tree.join("slices");
        if slices.is_dir() {
            let mut found = BTreeMap::new();
            collect_files(&slices, 0, &mut found)?;
            files.extend(found);
        }
    }
    let Some(release_file) = release_file else {
        return Err(SliceError::NoRelease {
            trees: trees
                .iter()
                .map(|t| t.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let text = read(&release_file)?;
    let mut release = parse_release(&release_file, &text)?;
    let format = release.format;
    let parsed: Vec<Result<Package, SliceError>> = files
        .into_par_iter()
        .map(|(name, file)| {
            let text = read(&file)?;
            parse_package(format, &name, &file, &text)
        })
        .collect();
    let mut errors = Vec::new();
    for result in parsed {
        match result {
            Ok(pkg) => {
                release.packages.insert(pkg.name.clone(), pkg);
            }
            Err(e) => errors.push(e),
        }
    }
    SliceError::collect(errors)?;
    Ok(release)
}

fn read(path: &Path) -> Result<String, SliceError> {
    fs_err::read_to_string(path).map_err(|source| SliceError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Finds `<package>.yaml` files under `dir`, recursively, in name order.
fn collect_files(
    dir: &Path,
    depth: usize,
    found: &mut BTreeMap<String, PathBuf>,
) -> Result<(), SliceError> {
    let read_err = |source| SliceError::Read {
        path: dir.to_owned(),
        source,
    };
    if depth > MAX_DEPTH {
        return Err(read_err(std::io::Error::other(
            "folders nest too deeply (a symlink loop?)",
        )));
    }
    let mut entries: Vec<PathBuf> = fs_err::read_dir(dir)
        .map_err(read_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read_err)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, depth + 1, found)?;
            continue;
        }
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(name) = file_name.strip_suffix(".yaml") else {
            continue;
        };
        if !valid_package_name(name) {
            return Err(SliceError::Definition {
                file: path.clone(),
                message: format!("invalid slice definition filename: {file_name:?}"),
                hint: "name it <package>.yaml after a valid package name (a-z 0-9 . + -)"
                    .to_owned(),
            });
        }
        if let Some(old) = found.get(name) {
            return Err(SliceError::Definition {
                file: path.clone(),
                message: format!(
                    "package {name:?} slices defined more than once: {} and {}",
                    old.display(),
                    path.display()
                ),
                hint: "keep one file per package".to_owned(),
            });
        }
        found.insert(name.to_owned(), path);
    }
    Ok(())
}

/// Parses `chisel.yaml` (its text and its path, for messages), as Chisel
/// does: format, archives (`v2-archives` merged in format v1, `default`
/// turned into priorities), public keys and maintenance dates. The
/// result has no packages.
///
/// # Errors
///
/// [`SliceError::Yaml`] for bad YAML, [`SliceError::Release`] for content
/// Chisel rejects.
pub fn parse_release(file: &Path, text: &str) -> Result<Release, SliceError> {
    // A byte-order mark is allowed (Go's yaml.v3 skips it; real files have one).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw: RawRelease = serde_yaml_ng::from_str(text).map_err(|e| SliceError::Yaml {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    let bad = |message: String, hint: &str| SliceError::Release {
        file: file.to_owned(),
        message,
        hint: hint.to_owned(),
    };
    let format = match raw.format.as_ref().map(|t| t.0.as_str()) {
        Some("v1") => Format::V1,
        Some("v2") => Format::V2,
        Some("v3") => Format::V3,
        other => {
            return Err(bad(
                format!("unknown format {:?}", other.unwrap_or("")),
                "set `format:` to v1, v2 or v3",
            ))
        }
    };
    let archives = raw.archives.unwrap_or_default().0;
    let v2 = raw.v2_archives.unwrap_or_default().0;
    if format != Format::V1 && !v2.is_empty() {
        return Err(bad(
            "v2-archives is obsolete since format v2".to_owned(),
            "move those archives into `archives:`",
        ));
    }
    if archives.is_empty() && v2.is_empty() {
        return Err(bad(
            "no archives defined".to_owned(),
            "add an `archives:` map",
        ));
    }
    let public_keys = parse_keys(raw.public_keys.unwrap_or_default().0, &bad)?;
    let (out, warnings) = parse_archives(format, archives, v2, &public_keys, &bad)?;
    let maintenance = parse_maintenance(raw.maintenance.unwrap_or_default(), &out, &bad)?;
    Ok(Release {
        format,
        archives: out,
        public_keys,
        maintenance: Some(maintenance),
        packages: BTreeMap::new(),
        source: file.to_owned(),
        warnings,
    })
}

type Bad<'a> = dyn Fn(String, &str) -> SliceError + 'a;

/// Merges `archives` and `v2-archives` and checks each archive, with
/// Chisel's priority rules (all or none; `default` turned into synthetic
/// priorities). Also returns the warnings for archives left out.
fn parse_archives(
    format: Format,
    archives: Vec<(String, RawArchive)>,
    v2: Vec<(String, RawArchive)>,
    keys: &BTreeMap<String, PublicKey>,
    bad: &Bad<'_>,
) -> Result<(BTreeMap<String, Archive>, Vec<String>), SliceError> {
    let mut merged: BTreeMap<String, RawArchive> = archives.into_iter().collect();
    for (name, details) in v2 {
        if merged.contains_key(&name) {
            return Err(bad(
                format!("archive {name:?} defined twice"),
                "rename one of them or remove it from `v2-archives:`",
            ));
        }
        merged.insert(name, details);
    }
    let total = merged.len();
    let mut warnings = Vec::new();
    let mut out: BTreeMap<String, Archive> = BTreeMap::new();
    let mut has_priority = false;
    let mut default_archive: Option<String> = None;
    let mut no_priority: Option<String> = None;
    for (name, details) in merged {
        let Some(archive) = parse_archive(format, &name, details, keys, bad)? else {
            warnings.push(format!("archive {name:?} ignored: invalid pro value"));
            continue;
        };
        if archive.1 {
            if let Some(old) = &default_archive {
                return Err(bad(
                    format!("more than one default archive: {old}, {name}"),
                    "mark only one archive `default: true` (or use priorities)",
                ));
            }
            default_archive = Some(name.clone());
        }
        match archive.2 {
            Some(_) => has_priority = true,
            None => {
                if no_priority.is_none() {
                    no_priority = Some(name.clone());
                }
            }
        }
        out.insert(name, archive.0);
    }
    if (has_priority && no_priority.is_some())
        || (!has_priority && default_archive.is_none() && total > 1)
    {
        return Err(bad(
            format!(
                "archive {:?} is missing the priority setting",
                no_priority.unwrap_or_default()
            ),
            "give every archive a `priority:` (unique, non-zero, -1000 to 1000)",
        ));
    }
    if let (Some(default), false) = (&default_archive, has_priority) {
        // Chisel's compatibility rule: the default archive gets 1, the
        // others negative values in name order (used only when pinned).
        for (i, archive) in out.values_mut().enumerate() {
            archive.priority = -i32::try_from(i).unwrap_or(i32::MAX - 1) - 1;
        }
        if let Some(a) = out.get_mut(default) {
            a.priority = 1;
        }
    }
    Ok((out, warnings))
}

fn text(t: Option<Text>) -> Option<String> {
    t.map(|t| t.0).filter(|t| !t.is_empty())
}

fn texts(t: Option<Vec<Text>>) -> Vec<String> {
    t.unwrap_or_default().into_iter().map(|t| t.0).collect()
}

fn parse_keys(
    raw: Vec<(String, crate::raw::RawPublicKey)>,
    bad: &Bad<'_>,
) -> Result<BTreeMap<String, PublicKey>, SliceError> {
    let mut keys = BTreeMap::new();
    for (name, key) in raw {
        let (Some(id), Some(armor)) = (text(key.id), text(key.armor)) else {
            return Err(bad(
                format!("cannot decode public key {name:?}: `id` and `armor` are required"),
                "give the 16-hex-digit key id and the ASCII-armored key",
            ));
        };
        keys.insert(name, PublicKey { id, armor });
    }
    Ok(keys)
}

/// One archive; `None` when Chisel would ignore it (unknown `pro`). Also
/// says whether it is `default` and its priority as written.
fn parse_archive(
    format: Format,
    name: &str,
    details: RawArchive,
    keys: &BTreeMap<String, PublicKey>,
    bad: &Bad<'_>,
) -> Result<Option<(Archive, bool, Option<i32>)>, SliceError> {
    if format != Format::V1 && details.default.0 {
        return Err(bad(
            format!("archive {name:?} has 'default' field which is obsolete since format v2"),
            "remove `default:` and use `priority:`",
        ));
    }
    let Some(version) = text(details.version) else {
        return Err(bad(
            format!("archive {name:?} missing version field"),
            "add `version:` (such as 24.04)",
        ));
    };
    let suites = texts(details.suites);
    if suites.is_empty() {
        return Err(bad(
            format!("archive {name:?} missing suites field"),
            "add `suites:` (such as [noble, noble-updates])",
        ));
    }
    let components = texts(details.components);
    if components.is_empty() {
        return Err(bad(
            format!("archive {name:?} missing components field"),
            "add `components:` (such as [main, universe])",
        ));
    }
    let pro = text(details.pro);
    if let Some(p) = &pro {
        if !matches!(
            p.as_str(),
            "fips" | "fips-updates" | "esm-apps" | "esm-infra"
        ) {
            return Ok(None);
        }
    }
    let public_keys = texts(details.public_keys);
    if public_keys.is_empty() {
        return Err(bad(
            format!("archive {name:?} missing public-keys field"),
            "list the names of its signing keys in `public-keys:`",
        ));
    }
    if let Some(k) = public_keys.iter().find(|k| !keys.contains_key(*k)) {
        return Err(bad(
            format!("archive {name:?} refers to undefined public key {k:?}"),
            "define that key under the top-level `public-keys:`",
        ));
    }
    let priority = match text(details.priority) {
        None => None,
        Some(p) => {
            let value = parse_int(&p).filter(|v| (-1000..=1000).contains(v) && *v != 0);
            let Some(value) = value.and_then(|v| i32::try_from(v).ok()) else {
                return Err(bad(
                    format!("archive {name:?} has invalid priority value of {p}"),
                    "use a non-zero integer from -1000 to 1000",
                ));
            };
            Some(value)
        }
    };
    let archive = Archive {
        name: name.to_owned(),
        version,
        suites,
        components,
        public_keys,
        priority: priority.unwrap_or(0),
        pro,
    };
    Ok(Some((archive, details.default.0, priority)))
}

fn parse_maintenance(
    raw: RawMaintenance,
    archives: &BTreeMap<String, Archive>,
    bad: &Bad<'_>,
) -> Result<Maintenance, SliceError> {
    let standard = text(raw.standard);
    let expanded = text(raw.expanded);
    let legacy = text(raw.legacy);
    let end_of_life = text(raw.end_of_life);
    if standard.is_none() && expanded.is_none() && legacy.is_none() && end_of_life.is_none() {
        let known = archives
            .get("ubuntu")
            .and_then(|a| default_maintenance(&a.version));
        if let Some(m) = known {
            return Ok(m);
        }
    }
    let date = |field: &str, value: Option<String>| -> Result<Option<String>, SliceError> {
        match value {
            Some(v) if !valid_date(&v) => Err(bad(
                format!("cannot parse maintenance: expected format for {field:?} is YYYY-MM-DD"),
                "write the date as YYYY-MM-DD",
            )),
            v => Ok(v),
        }
    };
    let unset = |field: &str| {
        bad(
            format!("cannot parse maintenance: {field:?} is unset"),
            "add `maintenance:` with at least `standard:` and `end-of-life:` dates",
        )
    };
    let standard = date("standard", standard)?.ok_or_else(|| unset("standard"))?;
    let end_of_life = date("end-of-life", end_of_life)?.ok_or_else(|| unset("end-of-life"))?;
    Ok(Maintenance {
        standard,
        expanded: date("expanded", expanded)?,
        legacy: date("legacy", legacy)?,
        end_of_life,
    })
}

fn valid_date(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = v.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Chisel's built-in dates for releases whose `chisel.yaml` predates
/// `maintenance:` (keyed by the `ubuntu` archive's version).
fn default_maintenance(version: &str) -> Option<Maintenance> {
    let (standard, expanded, legacy, eol) = match version {
        "20.04" => (
            "2020-04-23",
            Some("2025-05-29"),
            Some("2030-04-23"),
            "2032-04-27",
        ),
        "22.04" => (
            "2022-04-21",
            Some("2027-06-01"),
            Some("2032-04-21"),
            "2034-04-25",
        ),
        "22.10" => ("2022-10-20", None, None, "2023-07-20"),
        "23.04" => ("2023-04-20", None, None, "2024-01-25"),
        "23.10" => ("2023-10-12", None, None, "2024-07-11"),
        "24.04" => (
            "2024-04-25",
            Some("2029-05-31"),
            Some("2034-04-25"),
            "2036-04-29",
        ),
        "24.10" => ("2024-10-10", None, None, "2025-07-10"),
        "25.04" => ("2025-04-17", None, None, "2026-01-15"),
        _ => return None,
    };
    Some(Maintenance {
        standard: standard.to_owned(),
        expanded: expanded.map(str::to_owned),
        legacy: legacy.map(str::to_owned),
        end_of_life: eol.to_owned(),
    })
}
