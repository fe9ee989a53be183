//! `whittle diff A B`: how two images, two lock files or one of each
//! differ, platform by platform: packages ([`packages`]), and between two
//! images the layers they share ([`layers`]) and, when asked, their files
//! ([`files`]).
//!
//! Both sides become [`PackageSet`]s first (an image through its package
//! databases, a lock through its entries), so any pair compares the same
//! way. Platforms are paired by [`crate::platform_key`]: every platform
//! both have, or those asked for; two single-platform images for different
//! platforms are compared with each other.

mod files;
mod layers;
mod packages;
mod text;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use serde::Serialize;
use whittle_lock::{Lock, LockError};

pub use files::{FileAspect, FileChange, FileChanges, FileInfo};
pub use layers::{LayerSharing, SharedLayer};
pub use packages::{ChangedPackage, Direction, PackageChanges, SizeTotals};

use crate::error::AuditError;
use crate::image::{ImageSet, ReadImage};
use crate::inventory;
use crate::pkgset::{platform_key, PackageSet, SetPackage};
use crate::platform::Platform;
use crate::tree::Wanted;
use crate::ImageRef;

/// One side of a comparison.
pub enum DiffInput {
    /// An image archive or layout.
    Image(ImageSet),
    /// A lock file's packages.
    Lock {
        /// The file, as given.
        source: String,
        /// Its installed packages per platform.
        set: PackageSet,
    },
}

/// What a side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SideKind {
    /// An image (archive or layout).
    Image,
    /// A lock file.
    Lock,
}

/// A comparison could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// An image could not be read.
    #[error(transparent)]
    Image(#[from] AuditError),
    /// A file that looks like JSON is not a lock file.
    #[error("{path} is JSON but not a lock file whittle reads")]
    Lock {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: LockError,
    },
    /// A lock file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// `--files` with a side that has no files.
    #[error("{side} is a lock file: it lists packages, not files; compare files between two images (leave out --files)")]
    FilesNeedImages {
        /// The lock file.
        side: String,
    },
    /// A platform asked for is missing from one side.
    #[error("{side} has nothing for {wanted}; it has {available}")]
    NoSuchPlatform {
        /// The side.
        side: String,
        /// The platform asked for.
        wanted: String,
        /// What it has, comma-separated.
        available: String,
    },
    /// Nothing to pair up.
    #[error("{a} ({a_platforms}) and {b} ({b_platforms}) have no platform in common; choose one both have with --platform")]
    NoCommonPlatform {
        /// Side A.
        a: String,
        /// A's platforms.
        a_platforms: String,
        /// Side B.
        b: String,
        /// B's platforms.
        b_platforms: String,
    },
}

/// How to compare.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Only these platforms (default: every platform both sides have).
    pub platforms: Vec<Platform>,
    /// Also compare files (two images only).
    pub files: bool,
}

/// How A and B differ.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// Side A.
    pub a: Side,
    /// Side B.
    pub b: Side,
    /// Whether nothing compared differs (`whittle diff` exits 0).
    pub identical: bool,
    /// Platforms only A has (not compared).
    pub only_in_a: Vec<String>,
    /// Platforms only B has (not compared).
    pub only_in_b: Vec<String>,
    /// One comparison per platform pair.
    pub platforms: Vec<PlatformDiff>,
}

/// One side, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// As given.
    pub source: String,
    /// Image or lock file.
    pub kind: SideKind,
}

/// How one platform's packages (and layers and files) differ.
#[derive(Debug, Clone, Serialize)]
pub struct PlatformDiff {
    /// A's platform (`linux/amd64`).
    pub platform: String,
    /// B's platform: the same, unless two single-platform images for
    /// different platforms were compared.
    pub b_platform: String,
    /// Packages.
    pub packages: PackageChanges,
    /// Layers shared (two images only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<LayerSharing>,
    /// Files (two images, with `files`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<FileChanges>,
    /// What could not be read (a database missing, too large or
    /// malformed), so that missing packages are not taken for removed ones.
    pub notes: Vec<String>,
}

impl PlatformDiff {
    /// Whether nothing compared differs.
    pub fn is_identical(&self) -> bool {
        self.platform == self.b_platform
            && self.packages.is_empty()
            && self.files.as_ref().is_none_or(FileChanges::is_empty)
    }
}

impl DiffInput {
    /// Open `text`: a lock file when it is a file whose content is JSON,
    /// an image (`PATH` or `PATH:TAG`, archive or layout) otherwise.
    pub fn open(text: &str) -> Result<DiffInput, DiffError> {
        let image = ImageRef::parse(text);
        if image.tag.is_none() && image.path.is_file() && is_json(&image.path)? {
            let io = |source| DiffError::Io {
                path: image.path.clone(),
                source,
            };
            let json = fs_err::read_to_string(&image.path).map_err(io)?;
            let lock = Lock::parse(&json).map_err(|source| DiffError::Lock {
                path: image.path.clone(),
                source,
            })?;
            return Ok(DiffInput::Lock {
                source: text.to_string(),
                set: PackageSet::from_lock(&lock),
            });
        }
        Ok(DiffInput::Image(ImageSet::open(&image)?))
    }

    /// The side as given.
    pub fn source(&self) -> String {
        match self {
            DiffInput::Image(set) => set.image().to_string(),
            DiffInput::Lock { source, .. } => source.clone(),
        }
    }

    fn kind(&self) -> SideKind {
        match self {
            DiffInput::Image(_) => SideKind::Image,
            DiffInput::Lock { .. } => SideKind::Lock,
        }
    }

    /// Its platform keys, in its own order, each once.
    fn platform_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = match self {
            DiffInput::Image(set) => set.platforms().iter().map(platform_key).collect(),
            DiffInput::Lock { set, .. } => set.platforms.keys().cloned().collect(),
        };
        let mut seen = std::collections::BTreeSet::new();
        keys.retain(|k| seen.insert(k.clone()));
        keys
    }

    /// Its packages for the platform `key`, and for an image the image
    /// and what could not be read of its databases.
    fn read(&self, key: &str, keep: Wanted) -> Result<SideRead, DiffError> {
        match self {
            DiffInput::Image(set) => {
                let wanted = Platform::parse(key)?;
                let read = set.read(Some(&wanted), keep)?;
                let inventory = inventory::of_image(&read);
                let mut notes = inventory.notes.clone();
                if inventory.databases.is_empty() {
                    notes.push(format!(
                        "{} ({key}) has no package database whittle reads, so no packages",
                        inventory.source
                    ));
                }
                let packages = PackageSet::from_inventory(&inventory)
                    .platforms
                    .into_values()
                    .next()
                    .unwrap_or_default();
                Ok(SideRead {
                    packages,
                    image: Some(read),
                    notes,
                })
            }
            DiffInput::Lock { set, .. } => Ok(SideRead {
                packages: set.platforms.get(key).cloned().unwrap_or_default(),
                image: None,
                notes: Vec::new(),
            }),
        }
    }
}

/// One side's platform, read.
struct SideRead {
    packages: BTreeMap<String, SetPackage>,
    image: Option<ReadImage>,
    notes: Vec<String>,
}

/// Whether the file starts (after whitespace and a byte-order mark) with
/// `{`: a JSON document, where an image archive starts with a tar header.
fn is_json(path: &std::path::Path) -> Result<bool, DiffError> {
    let io = |source| DiffError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut head = Vec::with_capacity(512);
    fs_err::File::open(path)
        .map_err(io)?
        .take(512)
        .read_to_end(&mut head)
        .map_err(io)?;
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
    Ok(text
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{'))
}

/// Compare A with B.
pub fn diff(a: &DiffInput, b: &DiffInput, options: &DiffOptions) -> Result<DiffReport, DiffError> {
    if options.files {
        for side in [a, b] {
            if side.kind() == SideKind::Lock {
                return Err(DiffError::FilesNeedImages {
                    side: side.source(),
                });
            }
        }
    }
    let (pairs, only_in_a, only_in_b) = pair_platforms(a, b, options)?;
    let keep = Wanted {
        digests: options.files,
        licences: false,
    };
    let mut platforms = Vec::with_capacity(pairs.len());
    for (ka, kb) in pairs {
        // One platform at a time: both trees are held only while compared.
        let (ra, rb) = (a.read(&ka, keep)?, b.read(&kb, keep)?);
        let (layers, files) = match (&ra.image, &rb.image) {
            (Some(ia), Some(ib)) => (
                Some(layers::sharing(&ia.layers, &ib.layers)),
                options.files.then(|| files::compare(&ia.tree, &ib.tree)),
            ),
            _ => (None, None),
        };
        platforms.push(PlatformDiff {
            platform: ka,
            b_platform: kb,
            packages: packages::compare(&ra.packages, &rb.packages),
            layers,
            files,
            notes: [ra.notes, rb.notes].concat(),
        });
    }
    let identical = only_in_a.is_empty()
        && only_in_b.is_empty()
        && platforms.iter().all(PlatformDiff::is_identical);
    Ok(DiffReport {
        a: Side {
            source: a.source(),
            kind: a.kind(),
        },
        b: Side {
            source: b.source(),
            kind: b.kind(),
        },
        identical,
        only_in_a,
        only_in_b,
        platforms,
    })
}

/// Platform pairs (A's key, B's key) to compare, and the platforms only
/// one side has.
type Pairing = (Vec<(String, String)>, Vec<String>, Vec<String>);

fn pair_platforms(
    a: &DiffInput,
    b: &DiffInput,
    options: &DiffOptions,
) -> Result<Pairing, DiffError> {
    let (ka, kb) = (a.platform_keys(), b.platform_keys());
    if !options.platforms.is_empty() {
        let mut pairs = Vec::new();
        for wanted in &options.platforms {
            let key = platform_key(wanted);
            for (side, keys) in [(a, &ka), (b, &kb)] {
                if !keys.contains(&key) {
                    return Err(DiffError::NoSuchPlatform {
                        side: side.source(),
                        wanted: key,
                        available: list(keys),
                    });
                }
            }
            if !pairs.iter().any(|(k, _)| *k == key) {
                pairs.push((key.clone(), key));
            }
        }
        return Ok((pairs, Vec::new(), Vec::new()));
    }
    let common: Vec<(String, String)> = ka
        .iter()
        .filter(|k| kb.contains(k))
        .map(|k| (k.clone(), k.clone()))
        .collect();
    if common.is_empty() {
        if let ([one_a], [one_b]) = (ka.as_slice(), kb.as_slice()) {
            return Ok((vec![(one_a.clone(), one_b.clone())], Vec::new(), Vec::new()));
        }
        return Err(DiffError::NoCommonPlatform {
            a: a.source(),
            a_platforms: list(&ka),
            b: b.source(),
            b_platforms: list(&kb),
        });
    }
    let only = |x: &[String], y: &[String]| -> Vec<String> {
        x.iter().filter(|k| !y.contains(k)).cloned().collect()
    };
    Ok((common, only(&ka, &kb), only(&kb, &ka)))
}

fn list(keys: &[String]) -> String {
    if keys.is_empty() {
        "no platforms".to_string()
    } else {
        keys.join(", ")
    }
}
