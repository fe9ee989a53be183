//! The data model of a chisel-releases tree, after loading: the release
//! file (`chisel.yaml`: format, archives, keys, maintenance dates) and every
//! package's slices (`slices/<package>.yaml`). Field meanings follow
//! Chisel's reference page on slice definitions; [`crate::load()`] fills it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use crate::error::SliceError;

/// The Debian architectures Chisel knows (`internal/deb/helpers.go`).
pub const ARCHES: [&str; 7] = [
    "i386", "amd64", "armhf", "arm64", "ppc64el", "riscv64", "s390x",
];

/// The `format:` of a release; it changes how slice files are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// The original format: list essentials, `v2-archives`, `default`.
    V1,
    /// Rejects `v2-archives` and `default`.
    V2,
    /// Map essentials only; rejects `v3-essential`.
    V3,
}

impl Format {
    /// The spelling in `chisel.yaml` (`v1`, `v2`, `v3`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::V1 => "v1",
            Format::V2 => "v2",
            Format::V3 => "v3",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A loaded release: `chisel.yaml` plus every package's slices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The declared format.
    pub format: Format,
    /// Archives by name, `v2-archives` merged in (format v1).
    pub archives: BTreeMap<String, Archive>,
    /// Public keys by name.
    pub public_keys: BTreeMap<String, PublicKey>,
    /// Maintenance dates: from the file, else Chisel's built-in table for
    /// the `ubuntu` archive's version. [`crate::load()`] always sets it (a
    /// release with neither is rejected, as Chisel does).
    pub maintenance: Option<Maintenance>,
    /// Packages by name.
    pub packages: BTreeMap<String, Package>,
    /// The `chisel.yaml` the release came from, for messages.
    pub source: PathBuf,
    /// Things Chisel would log and skip, such as an archive with an unknown
    /// `pro` value (that archive is left out of [`Release::archives`]).
    pub warnings: Vec<String>,
}

impl Release {
    /// The slice named by `key`, if the release defines it.
    pub fn slice(&self, key: &SliceKey) -> Option<&Slice> {
        self.packages.get(&key.package)?.slices.get(&key.slice)
    }

    /// Every slice of the release, by package then slice name.
    pub fn slices(&self) -> impl Iterator<Item = &Slice> {
        self.packages.values().flat_map(|p| p.slices.values())
    }

    /// The file that defines `package`, for messages (`chisel.yaml` when
    /// the package is unknown).
    pub fn file_of(&self, package: &str) -> PathBuf {
        self.packages
            .get(package)
            .map_or_else(|| self.source.clone(), |p| p.source.clone())
    }
}

/// One archive packages are fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// Its name in `chisel.yaml`.
    pub name: String,
    /// The distribution version (`24.04`), kept as written.
    pub version: String,
    /// Suites, such as `noble` and `noble-updates`.
    pub suites: Vec<String>,
    /// Components, such as `main`.
    pub components: Vec<String>,
    /// Names of the keys (in [`Release::public_keys`]) that sign it.
    pub public_keys: Vec<String>,
    /// Higher wins; negative means "only when a package pins it". With v1
    /// `default: true` and no priorities, Chisel's synthetic values: 1 for
    /// the default archive, `-1 - i` for the others in name order.
    pub priority: i32,
    /// The Ubuntu Pro archive kind (`fips`, `fips-updates`, `esm-apps`,
    /// `esm-infra`), if any.
    pub pro: Option<String>,
}

/// An ASCII-armored OpenPGP public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The 16-hex-digit key id, as written.
    pub id: String,
    /// The armored key.
    pub armor: String,
}

/// The release's maintenance dates, `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// Start of standard support (before it the release is unstable).
    pub standard: String,
    /// Start of expanded security maintenance (LTS).
    pub expanded: Option<String>,
    /// Start of legacy support.
    pub legacy: Option<String>,
    /// End of life.
    pub end_of_life: String,
}

/// One package's slice definitions (`slices/<package>.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The package name (equal to the file's basename).
    pub name: String,
    /// The archive the package is pinned to, if any.
    pub archive: Option<String>,
    /// Slices by name.
    pub slices: BTreeMap<String, Slice>,
    /// The YAML file, for messages.
    pub source: PathBuf,
}

/// A named part of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// The package it belongs to.
    pub package: String,
    /// The slice name.
    pub name: String,
    /// Slices this one needs, package-level and `v3-essential` entries
    /// merged in, sorted by key.
    pub essential: Vec<Essential>,
    /// Paths by their (absolute, clean) path; directories end in `/`.
    pub contents: BTreeMap<String, PathInfo>,
    /// The Starlark mutation script, if any.
    pub mutate: Option<String>,
    /// A short description shown by `find`.
    pub hint: Option<String>,
}

impl Slice {
    /// This slice's key.
    pub fn key(&self) -> SliceKey {
        SliceKey {
            package: self.package.clone(),
            slice: self.name.clone(),
        }
    }
}

impl fmt::Display for Slice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.package, self.name)
    }
}

/// An essential edge: the slice needs `slice`, on `arch` only when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Essential {
    /// The needed slice.
    pub slice: SliceKey,
    /// The architectures the edge applies to; `None` means all.
    pub arch: Option<Vec<String>>,
}

impl Essential {
    /// Whether the edge applies when cutting for `arch`.
    pub fn applies_to(&self, arch: &str) -> bool {
        self.arch
            .as_ref()
            .is_none_or(|list| list.iter().any(|a| a == arch))
    }
}

/// A slice's full name, `<package>_<slice>`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct SliceKey {
    /// The package name.
    pub package: String,
    /// The slice name.
    pub slice: String,
}

impl SliceKey {
    /// A key from its two parts (not validated).
    pub fn new(package: impl Into<String>, slice: impl Into<String>) -> SliceKey {
        SliceKey {
            package: package.into(),
            slice: slice.into(),
        }
    }

    /// Parses `pkg_slice`, checking both names as Chisel does.
    ///
    /// # Errors
    ///
    /// [`SliceError::InvalidSliceKey`] when the text is not a valid
    /// reference.
    pub fn parse(text: &str) -> Result<SliceKey, SliceError> {
        let invalid = || SliceError::InvalidSliceKey {
            text: text.to_owned(),
        };
        let (package, slice) = text.split_once('_').ok_or_else(invalid)?;
        if !valid_package_name(package) || !valid_slice_name(slice) {
            return Err(invalid());
        }
        Ok(SliceKey::new(package, slice))
    }
}

impl fmt::Display for SliceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.package, self.slice)
    }
}

/// One entry of a slice's `contents`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathInfo {
    /// What the entry is.
    pub kind: PathKind,
    /// `mode:` as written (0 is "unset", as in Chisel). Used only for
    /// created content; extracted paths keep the package's mode.
    pub mode: Option<u32>,
    /// A mutation script may rewrite it.
    pub mutable: bool,
    /// `until: mutate`: removed after the mutation scripts ran.
    pub until_mutate: bool,
    /// Only for these architectures; `None` means all.
    pub arch: Option<Vec<String>>,
    /// `prefer:` this package when both provide the path.
    pub prefer: Option<String>,
}

impl PathInfo {
    /// Whether the entry applies when cutting for `arch`.
    pub fn applies_to(&self, arch: &str) -> bool {
        self.arch
            .as_ref()
            .is_none_or(|list| list.iter().any(|a| a == arch))
    }

    /// Chisel's "same content": kind with its source, text or target,
    /// mode and `mutable` agree (`until`, `arch` and `prefer` do not count).
    pub fn same_content(&self, other: &PathInfo) -> bool {
        self.kind == other.kind && self.mode == other.mode && self.mutable == other.mutable
    }
}

/// The kinds of path entries; exactly one per entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathKind {
    /// Extract the same path from the package (no options, or `copy:`
    /// naming the path itself).
    Copy,
    /// Extract every package path the pattern matches (`*`, `**`, `?`).
    Glob,
    /// `copy: SOURCE`: extract SOURCE from the package, write it here.
    CopyFrom(String),
    /// `make: true`: create a directory.
    Make,
    /// `text: ...`: create a file with this content.
    Text(String),
    /// `symlink: TARGET`: create a symlink.
    Symlink(String),
    /// `generate: manifest` on `/dir/**`: Chisel's manifest in `/dir/`.
    GenerateManifest,
    /// `generate:` with a value this version does not know. Loading
    /// accepts it (as Chisel does); selecting its slice is an error.
    GenerateUnknown(String),
}

impl PathKind {
    /// Extracted from the package (copy or glob).
    pub fn is_extracted(&self) -> bool {
        matches!(
            self,
            PathKind::Copy | PathKind::Glob | PathKind::CopyFrom(_)
        )
    }

    /// A `generate:` entry.
    pub fn is_generate(&self) -> bool {
        matches!(
            self,
            PathKind::GenerateManifest | PathKind::GenerateUnknown(_)
        )
    }

    /// Created by the cut (`make`, `text`, `symlink`).
    pub fn is_created(&self) -> bool {
        matches!(
            self,
            PathKind::Make | PathKind::Text(_) | PathKind::Symlink(_)
        )
    }

    /// Chisel's name for the kind, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            PathKind::Copy | PathKind::CopyFrom(_) => "copy",
            PathKind::Glob => "glob",
            PathKind::Make => "dir",
            PathKind::Text(_) => "text",
            PathKind::Symlink(_) => "symlink",
            PathKind::GenerateManifest | PathKind::GenerateUnknown(_) => "generate",
        }
    }
}

/// Whether `name` is a valid package name: `[a-z0-9](-?[.a-z0-9+])+`.
pub fn valid_package_name(name: &str) -> bool {
    let b = name.as_bytes();
    let Some((&first, rest)) = b.split_first() else {
        return false;
    };
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) || rest.is_empty() {
        return false;
    }
    let part = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'+';
    dashed_groups(rest, part).is_some_and(|n| n >= 1)
}

/// Whether `name` is a valid slice name: `[a-z](-?[a-z0-9]){2,}`.
pub fn valid_slice_name(name: &str) -> bool {
    let b = name.as_bytes();
    let Some((&first, rest)) = b.split_first() else {
        return false;
    };
    if !first.is_ascii_lowercase() {
        return false;
    }
    let part = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    dashed_groups(rest, part).is_some_and(|n| n >= 2)
}

/// Counts the groups of `(-?PART)*` in `rest`, or `None` when it does not
/// have that shape.
fn dashed_groups(rest: &[u8], part: impl Fn(u8) -> bool) -> Option<usize> {
    let mut groups = 0;
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == b'-' {
            i += 1;
        }
        if !rest.get(i).is_some_and(|&c| part(c)) {
            return None;
        }
        groups += 1;
        i += 1;
    }
    Some(groups)
}

/// Whether `arch` is one of [`ARCHES`].
pub fn valid_arch(arch: &str) -> bool {
    ARCHES.contains(&arch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["ab", "libc6", "libstdc++6", "python3.12", "a-b", "0ad"] {
            assert!(valid_package_name(ok), "{ok}");
        }
        for bad in ["a", "-ab", "a--b", "ab-", "A", "a_b", ".ab", ""] {
            assert!(!valid_package_name(bad), "{bad}");
        }
        for ok in ["abc", "libs", "a-b-c", "gconv-core", "a1b"] {
            assert!(valid_slice_name(ok), "{ok}");
        }
        for bad in ["ab", "1ab", "a--bc", "abc-", "a_bc", "Abc", "a-b"] {
            assert!(!valid_slice_name(bad), "{bad}");
        }
    }

    #[test]
    fn slice_keys() {
        let k = SliceKey::parse("libc6_libs").unwrap();
        assert_eq!(k, SliceKey::new("libc6", "libs"));
        assert_eq!(k.to_string(), "libc6_libs");
        for bad in [
            "libc6",
            "libc6_",
            "_libs",
            "a_b_c",
            "libc6_li",
            "foo_bar_foo",
        ] {
            assert!(SliceKey::parse(bad).is_err(), "{bad}");
        }
    }
}
