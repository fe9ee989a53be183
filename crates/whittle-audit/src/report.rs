//! What an audit found, as data (serialisable for `--format json`) and as
//! a text report for people.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::db::DbKind;
use crate::tree::EntryKind;

/// A kind of finding, as `--fail-on` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Shells.
    Shells,
    /// OS package managers.
    PackageManagers,
    /// setuid/setgid files.
    Setuid,
    /// World-writable paths without the sticky bit.
    WorldWritable,
    /// World-writable directories with the sticky bit (`/tmp`).
    WorldWritableSticky,
    /// Paths owned by a user or group other than root.
    NonRoot,
    /// Packages present only for their maintainer scripts.
    ScriptOnly,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Category; 7] = [
        Category::Shells,
        Category::PackageManagers,
        Category::Setuid,
        Category::WorldWritable,
        Category::WorldWritableSticky,
        Category::NonRoot,
        Category::ScriptOnly,
    ];

    /// What fails an audit when the user names nothing.
    pub const DEFAULT_FAIL_ON: [Category; 4] = [
        Category::Shells,
        Category::PackageManagers,
        Category::Setuid,
        Category::WorldWritable,
    ];

    /// The name `--fail-on` and the JSON use.
    pub fn name(self) -> &'static str {
        match self {
            Category::Shells => "shells",
            Category::PackageManagers => "package-managers",
            Category::Setuid => "setuid",
            Category::WorldWritable => "world-writable",
            Category::WorldWritableSticky => "world-writable-sticky",
            Category::NonRoot => "non-root",
            Category::ScriptOnly => "script-only",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Category::Shells => "shells",
            Category::PackageManagers => "package managers",
            Category::Setuid => "setuid/setgid files",
            Category::WorldWritable => "world-writable paths",
            Category::WorldWritableSticky => "world-writable, sticky directories",
            Category::NonRoot => "paths owned by non-root users or groups",
            Category::ScriptOnly => "packages present only for their scripts",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Category {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
                format!("unknown category `{s}`: use {}", names.join(", "))
            })
    }
}

/// The image audited.
#[derive(Debug, Clone, Serialize)]
pub struct ImageSummary {
    /// The image as given (path, and `:TAG` if any).
    pub source: String,
    /// The platform audited (`linux/amd64`).
    pub platform: String,
    /// Every platform of the image set.
    pub platforms: Vec<String>,
    /// The manifest digest (OCI images).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Number of layers.
    pub layers: usize,
    /// Paths in the merged file system.
    pub entries: usize,
    /// Package databases found.
    pub databases: Vec<DbKind>,
    /// Packages they list as installed.
    pub packages: usize,
}

/// A shell or package manager.
#[derive(Debug, Clone, Serialize)]
pub struct Program {
    /// Where it is (`/usr/bin/sh`).
    pub path: String,
    /// The name it matched (`sh`, `apt-get`).
    pub name: String,
    /// What the path is (a file, or a symlink to one).
    pub kind: EntryKind,
    /// For a link: the file it reaches (`/usr/bin/dash`, `/bin/busybox`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Packages whose database entries list the path.
    pub packages: Vec<String>,
    /// For a busybox binary: the paths that run it as an applet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applets: Vec<String>,
}

/// A path with the mode or owner that made it a finding.
#[derive(Debug, Clone, Serialize)]
pub struct PathFinding {
    /// The path.
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// Permission bits, in octal (`4755`).
    #[serde(serialize_with = "octal")]
    pub mode: u32,
    /// Numeric owner.
    pub uid: u64,
    /// Numeric group.
    pub gid: u64,
    /// Packages whose database entries list the path.
    pub packages: Vec<String>,
}

/// Paths of one non-root owner.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerGroup {
    /// Numeric owner.
    pub uid: u64,
    /// Numeric group.
    pub gid: u64,
    /// The owner's name in the image's `/etc/passwd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The group's name in the image's `/etc/group`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The paths, in path order.
    pub paths: Vec<PathFinding>,
}

/// Why a package counts as present only for its scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScriptOnlyReason {
    /// A tool that maintainer scripts call (see the crate docs' list).
    ScriptHelper,
    /// Every file it has in the image is documentation or metadata.
    NoRuntimeFiles,
}

/// A package present only for its scripts.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptOnly {
    /// Package name.
    pub package: String,
    /// Its version.
    pub version: String,
    /// Why.
    pub reason: ScriptOnlyReason,
    /// Files (not directories) of the package present in the image.
    pub files: usize,
}

/// Everything one audit found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The image.
    pub image: ImageSummary,
    /// Findings per category.
    pub counts: BTreeMap<Category, usize>,
    /// Shells, busybox included.
    pub shells: Vec<Program>,
    /// OS package managers.
    pub package_managers: Vec<Program>,
    /// setuid/setgid regular files.
    pub setuid: Vec<PathFinding>,
    /// World-writable paths (not symlinks) other than sticky directories.
    pub world_writable: Vec<PathFinding>,
    /// World-writable directories with the sticky bit.
    pub world_writable_sticky: Vec<PathFinding>,
    /// Non-root owned paths (not symlinks), by owner.
    pub non_root: Vec<OwnerGroup>,
    /// Packages present only for their scripts.
    pub script_only: Vec<ScriptOnly>,
    /// Things the audit could not judge, and why.
    pub notes: Vec<String>,
}

pub(crate) fn octal<S: Serializer>(mode: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{mode:04o}"))
}

impl Report {
    /// How many findings of `category` there are.
    pub fn count(&self, category: Category) -> usize {
        match category {
            Category::Shells => self.shells.len(),
            Category::PackageManagers => self.package_managers.len(),
            Category::Setuid => self.setuid.len(),
            Category::WorldWritable => self.world_writable.len(),
            Category::WorldWritableSticky => self.world_writable_sticky.len(),
            Category::NonRoot => self.non_root.iter().map(|g| g.paths.len()).sum(),
            Category::ScriptOnly => self.script_only.len(),
        }
    }

    /// The categories of `fail_on` that have findings, with their counts.
    pub fn failures(&self, fail_on: &[Category]) -> Vec<(Category, usize)> {
        let mut out: Vec<(Category, usize)> = Category::ALL
            .into_iter()
            .filter(|c| fail_on.contains(c))
            .map(|c| (c, self.count(c)))
            .filter(|(_, n)| *n > 0)
            .collect();
        out.dedup();
        out
    }

    pub(crate) fn fill_counts(&mut self) {
        self.counts = Category::ALL
            .into_iter()
            .map(|c| (c, self.count(c)))
            .collect();
    }

    /// The report as text: a summary line, then each category with its
    /// count and findings (path, details, owning packages).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out).unwrap_or_default();
        out
    }

    fn write_text(&self, out: &mut String) -> fmt::Result {
        let i = &self.image;
        let dbs: Vec<&str> = i.databases.iter().map(|d| d.path()).collect();
        writeln!(
            out,
            "{} ({}, {} layer{}, {} paths)",
            i.source,
            i.platform,
            i.layers,
            plural(i.layers),
            i.entries
        )?;
        if dbs.is_empty() {
            writeln!(out, "package database: none found")?;
        } else {
            writeln!(
                out,
                "package database: {} ({} packages)",
                dbs.join(", "),
                i.packages
            )?;
        }
        for c in Category::ALL {
            writeln!(out, "\n{}: {}", c.heading(), self.count(c))?;
            match c {
                Category::Shells => programs(out, &self.shells)?,
                Category::PackageManagers => programs(out, &self.package_managers)?,
                Category::Setuid => paths(out, &self.setuid, true)?,
                Category::WorldWritable => paths(out, &self.world_writable, false)?,
                Category::WorldWritableSticky => paths(out, &self.world_writable_sticky, false)?,
                Category::NonRoot => owners(out, &self.non_root)?,
                Category::ScriptOnly => script_only(out, &self.script_only)?,
            }
        }
        if !self.notes.is_empty() {
            writeln!(out, "\nnotes:")?;
            for n in &self.notes {
                writeln!(out, "  {n}")?;
            }
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn owned_by(packages: &[String]) -> String {
    if packages.is_empty() {
        "no package".to_string()
    } else {
        packages.join(", ")
    }
}

fn programs(out: &mut String, list: &[Program]) -> fmt::Result {
    for p in list {
        write!(out, "  {}", p.path)?;
        if let Some(t) = &p.target {
            write!(out, " -> {t}")?;
        }
        write!(out, "  [{}]", owned_by(&p.packages))?;
        if !p.applets.is_empty() {
            let shown: Vec<&str> = p.applets.iter().take(6).map(String::as_str).collect();
            let more = if p.applets.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            write!(
                out,
                "  {} applet link{}: {}{more}",
                p.applets.len(),
                plural(p.applets.len()),
                shown.join(", ")
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn paths(out: &mut String, list: &[PathFinding], owner: bool) -> fmt::Result {
    for p in list {
        write!(out, "  {}  {} {:04o}", p.path, p.kind.word(), p.mode)?;
        if owner {
            write!(out, " {}:{}", p.uid, p.gid)?;
        }
        writeln!(out, "  [{}]", owned_by(&p.packages))?;
    }
    Ok(())
}

fn owners(out: &mut String, list: &[OwnerGroup]) -> fmt::Result {
    for g in list {
        let user = g
            .user
            .as_deref()
            .map(|u| format!(" ({u})"))
            .unwrap_or_default();
        let group = g
            .group
            .as_deref()
            .map(|u| format!(" ({u})"))
            .unwrap_or_default();
        writeln!(
            out,
            "  uid {}{user}, gid {}{group}: {} path{}",
            g.uid,
            g.gid,
            g.paths.len(),
            plural(g.paths.len())
        )?;
        for p in &g.paths {
            writeln!(
                out,
                "    {}  {} {:04o}  [{}]",
                p.path,
                p.kind.word(),
                p.mode,
                owned_by(&p.packages)
            )?;
        }
    }
    Ok(())
}

fn script_only(out: &mut String, list: &[ScriptOnly]) -> fmt::Result {
    for s in list {
        let why = match s.reason {
            ScriptOnlyReason::ScriptHelper => "a tool maintainer scripts call".to_string(),
            ScriptOnlyReason::NoRuntimeFiles if s.files == 0 => "no files in the image".to_string(),
            ScriptOnlyReason::NoRuntimeFiles => format!(
                "only documentation and metadata ({} file{})",
                s.files,
                plural(s.files)
            ),
        };
        writeln!(out, "  {} {}  {why}", s.package, s.version)?;
    }
    Ok(())
}
