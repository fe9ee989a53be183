//! The lock file's shape, and reading and writing it.

use serde::{Deserialize, Serialize};
use whittle_model::PackageRecord;

use crate::inputs::Inputs;

/// The `version` whittle writes (apko's).
pub const LOCK_VERSION: &str = "v1";

/// A lock file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Not JSON, or not a lock's shape.
    #[error("not a lock file: {0} (write one with `whittle lock RECIPE`)")]
    Syntax(#[source] serde_json::Error),
    /// A version this whittle does not read.
    #[error(
        "lock file version `{0}` is not one this whittle reads (it reads `{LOCK_VERSION}`); run `whittle lock` again"
    )]
    Version(String),
}

/// A whole lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// Format version, `v1`.
    pub version: String,
    /// The recipe it was made from.
    pub config: LockConfig,
    /// Keys, repositories and packages.
    pub contents: Contents,
    /// whittle's own section; absent in apko's locks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whittle: Option<WhittleSection>,
}

/// The recipe a lock was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockConfig {
    /// Its file name.
    pub name: String,
    /// `sha256-<base64>` of its bytes.
    pub checksum: String,
}

/// Keys, repositories and packages, as apko groups them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    /// Keys the indexes were checked with.
    #[serde(default)]
    pub keyring: Vec<LockedKey>,
    /// apko's build-time repositories; whittle writes none.
    #[serde(default)]
    pub build_repositories: Vec<LockedRepository>,
    /// apko's runtime-only repositories; whittle writes none.
    #[serde(default)]
    pub runtime_repositories: Vec<LockedRepository>,
    /// Every index read, per architecture.
    #[serde(default)]
    pub repositories: Vec<LockedRepository>,
    /// Every package, per architecture, in install order.
    #[serde(default)]
    pub packages: Vec<LockedPackage>,
}

/// One key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LockedKey {
    /// Where the recipe names it.
    pub name: String,
    /// Its path or URL.
    #[serde(default)]
    pub url: String,
    /// The key itself (apko inlines its PEM); whittle leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// OpenPGP fingerprints or key digests, upper-case hex.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fingerprints: Vec<String>,
}

/// One index as it was read for one architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedRepository {
    /// How the world names the source (`bookworm-security main`, a URL).
    pub name: String,
    /// The index file's URL.
    pub url: String,
    /// The architecture, as the world names it.
    pub architecture: String,
    /// The package world (`deb`, `apk`, `rpm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub world: Option<String>,
    /// Its position among the world's index sources (recipe order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<usize>,
    /// The URL package URLs of this source start with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// `sha256:<hex>` of the signed index file that was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Whether it is a security-update source.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub security: bool,
}

/// A byte range of an APK's gzip member, as apko records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRange {
    /// `bytes=FIRST-LAST` (inclusive).
    pub range: String,
    /// `sha1-<base64>` or `sha256-<base64>` of the member.
    pub checksum: String,
}

/// One package for one architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedPackage {
    /// Package name.
    pub name: String,
    /// Where it is fetched from.
    pub url: String,
    /// Its version, in the world's syntax.
    pub version: String,
    /// The image architecture it is installed for, as the world names it.
    pub architecture: String,
    /// APK's signature member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<MemberRange>,
    /// APK's control member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<MemberRange>,
    /// APK's data member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<MemberRange>,
    /// APK's `Q1…` control checksum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// Size of the package file in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// SHA-256 of the package file, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Only these parts of it go in (Chisel slices).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
    /// Excluded by the recipe: the closure needed it, the image lacks it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub excluded: bool,
    /// The index record it was resolved from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<PackageRecord>,
}

impl LockedPackage {
    /// The entry for `record` installed for `architecture`: its download
    /// and the record itself; a world adds what else it locks.
    pub fn from_record(record: &PackageRecord, architecture: &str) -> LockedPackage {
        LockedPackage {
            name: record.name.clone(),
            url: record.download.url.clone(),
            version: record.version.clone(),
            architecture: architecture.to_string(),
            signature: None,
            control: None,
            data: None,
            checksum: None,
            size: record.download.size,
            sha256: record.download.sha256.clone(),
            parts: Vec::new(),
            excluded: false,
            record: Some(record.clone()),
        }
    }

    /// `name version`, as errors show a package.
    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.version)
    }
}

/// Content digest of a tree the resolution read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedTree {
    /// What it is (`chisel-release`).
    pub name: String,
    /// Where it was read from.
    pub path: String,
    /// `sha256:<hex>` over its files' paths and contents.
    pub digest: String,
}

/// whittle's own part of the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhittleSection {
    /// The package world.
    pub world: String,
    /// The architectures locked, as the world names them.
    pub archs: Vec<String>,
    /// The recipe's package entries, as written.
    pub requested: Vec<String>,
    /// Checksums of what resolution depended on.
    pub inputs: Inputs,
    /// Trees read besides indexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trees: Vec<LockedTree>,
    /// The whittle that wrote it.
    pub generator: String,
}

impl Lock {
    /// Read a lock (whittle's or apko's).
    pub fn parse(text: &str) -> Result<Lock, LockError> {
        let lock: Lock = serde_json::from_str(text).map_err(LockError::Syntax)?;
        if lock.version != LOCK_VERSION {
            return Err(LockError::Version(lock.version));
        }
        Ok(lock)
    }

    /// The file's text: pretty JSON with a final newline, stable across runs.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Whether apko wrote it (no whittle section).
    pub fn is_apko(&self) -> bool {
        self.whittle.is_none()
    }

    /// The packages locked for `arch` (as the world names it), in install order.
    pub fn packages_for<'a>(&'a self, arch: &'a str) -> impl Iterator<Item = &'a LockedPackage> {
        self.contents
            .packages
            .iter()
            .filter(move |p| p.architecture == arch)
    }

    /// The repositories read for `arch`.
    pub fn repositories_for<'a>(
        &'a self,
        arch: &'a str,
    ) -> impl Iterator<Item = &'a LockedRepository> {
        self.contents
            .repositories
            .iter()
            .filter(move |r| r.architecture == arch)
    }

    /// Every architecture the lock has packages for, in first-seen order.
    pub fn architectures(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.contents.packages {
            if !out.contains(&p.architecture) {
                out.push(p.architecture.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apko_lock_is_read() {
        let text = r#"{"version":"v1","config":{"name":"apko.yaml","checksum":"sha256-x"},
          "contents":{"keyring":[{"name":"k","url":"k","content":"PEM"}],
          "build_repositories":[],"runtime_repositories":[],
          "repositories":[{"name":"r","url":"r/APKINDEX.tar.gz","architecture":"x86_64"}],
          "packages":[{"name":"a","url":"r/a-1-r0.apk","version":"1-r0","architecture":"x86_64",
            "signature":{"range":"bytes=0-9","checksum":"sha1-AA=="},
            "control":{"range":"bytes=10-19","checksum":"sha1-AA=="},
            "data":{"range":"bytes=20-29","checksum":"sha256-AA=="},"checksum":"Q1AA="}]}}"#;
        let lock = Lock::parse(text).expect("apko lock");
        assert!(lock.is_apko());
        assert_eq!(lock.architectures(), vec!["x86_64".to_string()]);
        let p = lock.packages_for("x86_64").next().expect("package");
        assert_eq!(p.checksum.as_deref(), Some("Q1AA="));
        assert_eq!(
            p.data.as_ref().map(|d| d.range.as_str()),
            Some("bytes=20-29")
        );
        // Written back, apko's fields keep their names.
        let again = Lock::parse(&lock.to_json()).expect("round trip");
        assert_eq!(again, lock);
    }

    #[test]
    fn other_versions_are_refused() {
        let text = r#"{"version":"v2","config":{"name":"a","checksum":"b"},"contents":{}}"#;
        let err = Lock::parse(text).expect_err("v2");
        assert!(err.to_string().contains("whittle lock"), "{err}");
        assert!(matches!(
            Lock::parse("{not json"),
            Err(LockError::Syntax(_))
        ));
    }
}
