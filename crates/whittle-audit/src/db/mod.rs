//! The package databases an image carries, read as their own tools read
//! them: dpkg's ([`dpkg`]), apk's ([`apk`]), rpm's `rpmdb.sqlite` or the
//! Azure Linux container manifests ([`rpm`]), and Chisel's
//! `manifest.wall` ([`chisel`]).
//!
//! Which one speaks for an image: every dpkg and apk database found; the
//! rpmdb, else `container-manifest-2`, else `container-manifest-1` (never
//! two of them, or every package would count twice); Chisel's manifest only
//! when there is no dpkg database (whittle writes both for a cut image, and
//! dpkg's says more).

mod apk;
mod chisel;
mod dpkg;
mod rpm;

use serde::Serialize;

use crate::tree::Tree;

/// Which package database an image has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DbKind {
    /// dpkg's `status` and `info/*.list`.
    Dpkg,
    /// distroless's `status.d/`, with `*.md5sums` as file lists.
    DpkgStatusD,
    /// apk's `installed`.
    Apk,
    /// rpm's `rpmdb.sqlite` (rpm 4.16+).
    Rpmdb,
    /// Azure Linux's `container-manifest-2` (no file lists).
    RpmManifest2,
    /// Azure Linux's `container-manifest-1` (names and versions only).
    RpmManifest1,
    /// Chisel's `manifest.wall` (cut Ubuntu images).
    Chisel,
}

impl DbKind {
    /// The database's file, for reports.
    pub fn path(self) -> &'static str {
        match self {
            DbKind::Dpkg => "/var/lib/dpkg/status",
            DbKind::DpkgStatusD => "/var/lib/dpkg/status.d",
            DbKind::Apk => "/lib/apk/db/installed",
            DbKind::Rpmdb => "/var/lib/rpm/rpmdb.sqlite",
            DbKind::RpmManifest2 => "/var/lib/rpmmanifest/container-manifest-2",
            DbKind::RpmManifest1 => "/var/lib/rpmmanifest/container-manifest-1",
            DbKind::Chisel => "/var/lib/chisel/manifest.wall",
        }
    }

    /// The package world whose database it is.
    pub fn world(self) -> World {
        match self {
            DbKind::Dpkg | DbKind::DpkgStatusD | DbKind::Chisel => World::Deb,
            DbKind::Apk => World::Apk,
            DbKind::Rpmdb | DbKind::RpmManifest2 | DbKind::RpmManifest1 => World::Rpm,
        }
    }
}

/// A package world, as recipes name it (`type: deb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum World {
    /// Debian and Ubuntu `.deb`s.
    Deb,
    /// Alpine, Wolfi and Chainguard `.apk`s.
    Apk,
    /// RPMs (Azure Linux, Fedora-style).
    Rpm,
}

impl World {
    /// `deb`, `apk` or `rpm`.
    pub fn name(self) -> &'static str {
        match self {
            World::Deb => "deb",
            World::Apk => "apk",
            World::Rpm => "rpm",
        }
    }

    /// The world named `deb`, `apk` or `rpm`.
    pub fn from_name(name: &str) -> Option<World> {
        match name {
            "deb" => Some(World::Deb),
            "apk" => Some(World::Apk),
            "rpm" => Some(World::Rpm),
            _ => None,
        }
    }

    /// Order two versions as this world's package manager does (dpkg,
    /// apk-tools, rpm's EVR comparison).
    pub fn compare_versions(self, a: &str, b: &str) -> std::cmp::Ordering {
        match self {
            World::Deb => whittle_deb::version::compare_versions(a, b),
            World::Apk => whittle_apk::version::compare(a, b),
            World::Rpm => {
                whittle_rpm::version::Evr::parse(a).cmp(&whittle_rpm::version::Evr::parse(b))
            }
        }
    }
}

/// One installed package, with what its database says of it.
#[derive(Debug, Clone)]
pub(crate) struct Package {
    pub name: String,
    /// The version as the world writes it (rpm: `[EPOCH:]VERSION-RELEASE`).
    pub version: String,
    /// The package's own architecture (`amd64`, `all`, `x86_64`, `noarch`).
    pub arch: String,
    pub db: DbKind,
    /// Paths the database lists for it, absolute as written there.
    pub files: Vec<String>,
    /// Whether a file list was found (dpkg may lack an `info/*.list`).
    pub listed: bool,
    /// Installed size in bytes.
    pub installed_size: Option<u64>,
    /// Source package name and version.
    pub source: Option<(String, String)>,
    /// The licence as the database states it (apk `L:`, rpm `LICENSE`).
    pub license: Option<String>,
    /// Who made it: dpkg's `Maintainer`, apk's `m:`, rpm's `VENDOR`.
    pub maintainer: Option<String>,
    /// The package file's digest, when the database records it
    /// (`sha256:HEX` from Chisel's manifest).
    pub digest: Option<String>,
}

impl Package {
    /// A package of database `db` with nothing known yet.
    pub(crate) fn new(db: DbKind) -> Package {
        Package {
            name: String::new(),
            version: String::new(),
            arch: String::new(),
            db,
            files: Vec::new(),
            listed: false,
            installed_size: None,
            source: None,
            license: None,
            maintainer: None,
            digest: None,
        }
    }
}

/// Every package of every database found.
#[derive(Debug, Default)]
pub(crate) struct Database {
    pub kinds: Vec<DbKind>,
    pub packages: Vec<Package>,
    /// Databases present but unreadable, and what was left out.
    pub notes: Vec<String>,
}

/// Read the databases present in `tree`.
pub(crate) fn read(tree: &Tree) -> Database {
    let mut db = Database::default();
    dpkg::read(tree, &mut db);
    apk::read(tree, &mut db);
    rpm::read(tree, &mut db);
    if !db
        .kinds
        .iter()
        .any(|k| matches!(k, DbKind::Dpkg | DbKind::DpkgStatusD))
    {
        chisel::read(tree, &mut db);
    }
    db.packages
        .sort_by(|a, b| (&a.name, &a.version, &a.arch).cmp(&(&b.name, &b.version, &b.arch)));
    db
}

/// The kept content of the file at `key` (not following links: databases
/// are read where their tools read them).
fn content(tree: &Tree, key: &str) -> Option<String> {
    let node = tree.get(key)?;
    let bytes = node.content.as_deref()?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}
