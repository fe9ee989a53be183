//! What the engine and a world exchange about one package.

use whittle_model::{PackageRecord, Purl};
use whittle_rootfs::unpack::Entry;
use whittle_rootfs::RootFs;

use crate::payload::Payload;

/// A package read into memory, not yet placed in the root filesystem.
#[derive(Debug, Clone)]
pub struct Unpacked {
    /// The index record it was fetched for (a world may complete it from
    /// the package itself, e.g. APK's `replaces`).
    pub record: PackageRecord,
    /// Its filesystem entries in archive order, through the shared walk
    /// ([`whittle_rootfs::unpack`]).
    pub entries: Vec<Entry>,
    /// The world's own data for its package database.
    pub payload: Payload,
}

/// A package after it was placed in the root filesystem.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The index record.
    pub record: PackageRecord,
    /// The paths it shipped, as the archive named them (`/usr/bin/x`).
    pub paths: Vec<String>,
    /// Where each path ended up in the tree (after merged-/usr and links).
    pub keys: Vec<String>,
    /// The world's own data, from [`Unpacked::payload`].
    pub payload: Payload,
}

impl Installed {
    /// A package known only from its record (an excluded package, for the
    /// SBOM).
    pub fn from_record(record: PackageRecord) -> Installed {
        Installed {
            record,
            paths: Vec::new(),
            keys: Vec::new(),
            payload: Payload::none(),
        }
    }
}

/// The distribution an image is identified as (from its os-release).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distro {
    /// `ID` (`debian`, `ubuntu`, `wolfi`).
    pub id: String,
    /// `VERSION_ID` (`12`); may be empty for rolling distributions.
    pub version_id: String,
}

impl Distro {
    /// Read `ID` and `VERSION_ID` from an os-release in the tree
    /// (`/etc/os-release`, else `/usr/lib/os-release`).
    pub fn from_root(root: &RootFs) -> Option<Distro> {
        let text = root
            .read_file("etc/os-release")
            .or_else(|| root.read_file("usr/lib/os-release"))?;
        Distro::from_os_release(&String::from_utf8_lossy(&text))
    }

    /// Read `ID` and `VERSION_ID` from an os-release file's text
    /// (`os-release(5)`); None without an `ID`.
    pub fn from_os_release(text: &str) -> Option<Distro> {
        let mut id = None;
        let mut version_id = String::new();
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                let v = v.trim().trim_matches('"').trim_matches('\'').to_string();
                match k.trim() {
                    "ID" => id = Some(v),
                    "VERSION_ID" => version_id = v,
                    _ => {}
                }
            }
        }
        Some(Distro {
            id: id?,
            version_id,
        })
    }

    /// os-release's `NAME` (`Debian GNU/Linux`, `Wolfi`), the last one
    /// given that is not empty.
    pub fn name_from_os_release(text: &str) -> Option<String> {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("NAME="))
            .map(|v| {
                v.trim()
                    .trim_matches('"')
                    .trim_matches('\'')
                    .trim()
                    .to_string()
            })
            .rfind(|v| !v.is_empty())
    }

    /// `debian-12`, or just the id when there is no version (rolling).
    pub fn purl_qualifier(&self) -> String {
        if self.version_id.is_empty() {
            self.id.clone()
        } else {
            format!("{}-{}", self.id, self.version_id)
        }
    }
}

/// What the SBOM says of one installed package beyond its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFacts {
    /// Package URL.
    pub purl: Purl,
    /// Declared licence, as an SPDX expression when the package states one.
    pub license: Option<String>,
    /// Who supplied it (`Organization: Debian`, `Person: …`).
    pub supplier: Option<String>,
}
