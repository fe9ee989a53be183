//! One installable package as a repository index describes it.

use std::collections::BTreeMap;

use crate::requirement::{Dependency, Requirement};

/// Where a package file is fetched from and how it is checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Download {
    /// Absolute URL of the package file.
    pub url: String,
    /// Size in bytes, when the index states it.
    pub size: Option<u64>,
    /// SHA-256 of the whole file (lower-case hex), when the index states it.
    /// Worlds whose indexes carry no whole-file digest (APK) verify inside
    /// the package instead.
    pub sha256: Option<String>,
}

/// A virtual name a package provides, optionally versioned.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Provide {
    /// The provided name.
    pub name: String,
    /// The provided version (`Provides: foo (= 1.0)`), if any.
    pub version: Option<String>,
}

/// The source package a binary package was built from.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct SourceRef {
    /// Source package name.
    pub name: String,
    /// Source version (differs from the binary's for binNMUs and epochs).
    pub version: String,
}

/// One candidate package from a repository index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageRecord {
    /// Binary package name.
    pub name: String,
    /// Full version string in the world's syntax.
    pub version: String,
    /// The world's own architecture name (`amd64`, `all`, `x86_64`, `noarch`).
    pub arch: String,
    /// Source package, when the index names one.
    pub source: Option<SourceRef>,
    /// Hard dependencies (Debian Depends + Pre-Depends, APK `D:`, RPM Requires).
    pub depends: Vec<Dependency>,
    /// Virtual names provided.
    pub provides: Vec<Provide>,
    /// Packages that may not be installed together with this one
    /// (Debian Conflicts + Breaks, APK `!name`).
    pub conflicts: Vec<Requirement>,
    /// Where to fetch the file.
    pub download: Download,
    /// Index of the repository (in recipe order) this record came from.
    pub repo: usize,
    /// Installed size in bytes, if known.
    pub installed_size: Option<u64>,
    /// Preference among packages providing the same virtual name: higher
    /// wins (APK `provider_priority`; for Debian, derived from `Priority`
    /// so that `awk` means mawk, as apt chooses).
    pub provider_priority: i64,
    /// Install this package automatically once every one of these is
    /// installed (APK `install_if`); empty for most packages.
    pub install_if: Vec<Requirement>,
    /// Names whose files this package may overwrite (Debian/APK `Replaces`).
    pub replaces: Vec<String>,
    /// The tag of the repository this came from (apko's `@tag URL`): such a
    /// package is only chosen when asked for as `name@tag`.
    pub repo_tag: Option<String>,
    /// World-specific fields the engine carries untouched (e.g. the Debian
    /// `Section`, an APK `C:` checksum), ordered for determinism.
    pub extra: BTreeMap<String, String>,
}

impl PackageRecord {
    /// A record with just a name and version, for tests and synthesised packages.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        PackageRecord {
            name: name.into(),
            version: version.into(),
            arch: String::new(),
            source: None,
            depends: Vec::new(),
            provides: Vec::new(),
            conflicts: Vec::new(),
            download: Download {
                url: String::new(),
                size: None,
                sha256: None,
            },
            repo: 0,
            installed_size: None,
            provider_priority: 0,
            install_if: Vec::new(),
            replaces: Vec::new(),
            repo_tag: None,
            extra: BTreeMap::new(),
        }
    }

    /// `name version`, as logs and errors show a package.
    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.version)
    }

    /// Source name, falling back to the binary name.
    pub fn source_name(&self) -> &str {
        self.source.as_ref().map_or(&self.name, |s| &s.name)
    }

    /// Source version, falling back to the binary version.
    pub fn source_version(&self) -> &str {
        self.source.as_ref().map_or(&self.version, |s| &s.version)
    }
}
