//! The cut plan for one package of a selection, as Chisel's slicer builds
//! it (`internal/slicer/slicer.go`, `internal/deb/extract.go`): which
//! archive paths are extracted and where they go, what is created instead,
//! which paths must exist, and which are mutable or removed after the
//! mutation scripts. Entries for another architecture, and paths another
//! selected package is preferred for, are left out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::check::prefer::Prefers;
use crate::glob::Pattern;
use crate::release::{PathInfo, PathKind, Release, Slice, SliceKey};
use crate::select::Selection;

/// The file Chisel writes in a `generate: manifest` folder.
pub const MANIFEST_FILE: &str = "manifest.wall";

/// One slice's claim on a path.
#[derive(Debug, Clone)]
struct Claim {
    slice: SliceKey,
    until: bool,
    mutable: bool,
}

/// What a created entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreatedKind {
    /// A directory (`make: true`).
    Dir,
    /// A regular file with this content (`text:`).
    Text(String),
    /// A symlink to this target, as written (`symlink:`).
    Symlink(String),
    /// Chisel's manifest (`generate: manifest`), written after the cut.
    Manifest,
}

/// An entry the cut creates rather than extracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The image path (folders end in `/`).
    pub path: String,
    /// What to create.
    pub kind: CreatedKind,
    /// The mode: as written, else 0755 for folders and 0644 otherwise.
    pub mode: u32,
    /// A mutation script may rewrite it.
    pub mutable: bool,
    /// Every selected slice listing it says `until: mutate` (across
    /// packages), so it is removed after the mutation scripts.
    pub until_mutate: bool,
    /// This package's selected slices that list it, sorted.
    pub slices: Vec<SliceKey>,
}

/// For one package of a selection: what to take from its data tarball and
/// what to create.
///
/// Identical created entries may be listed by several packages (the
/// conflict rules allow that); each package's cut lists them, and they
/// should be created once.
#[derive(Debug, Clone)]
pub struct PackageCut {
    package: String,
    /// Archive source path → (image path, claim).
    exact: BTreeMap<String, Vec<(String, Claim)>>,
    /// Image path → claims, for extracted exact paths.
    by_target: BTreeMap<String, Vec<Claim>>,
    /// Glob patterns with their claims.
    globs: Vec<(Pattern, Claim)>,
    /// Parents of created entries: extracted when the package has them,
    /// to keep their modes, but not required and not claimed.
    parents: BTreeSet<String>,
    created: Vec<Created>,
}

impl PackageCut {
    /// The plan for `package` in `selection` (empty when none of its
    /// slices is selected).
    pub fn new(release: &Release, selection: &Selection, package: &str) -> PackageCut {
        let arch = selection.arch.as_str();
        let selected: Vec<&Slice> = selection
            .slices
            .iter()
            .filter_map(|k| release.slice(k))
            .collect();
        let winners = Winners::new(release, &selected);
        let applies = |slice: &Slice, path: &str, info: &PathInfo| {
            info.applies_to(arch) && winners.provides(path, &slice.package)
        };
        let mut cut = PackageCut {
            package: package.to_owned(),
            exact: BTreeMap::new(),
            by_target: BTreeMap::new(),
            globs: Vec::new(),
            parents: BTreeSet::new(),
            created: Vec::new(),
        };
        let mut created: BTreeMap<&str, Created> = BTreeMap::new();
        for slice in selected.iter().filter(|s| s.package == package) {
            for (path, info) in &slice.contents {
                if !applies(slice, path, info) {
                    continue;
                }
                let claim = Claim {
                    slice: slice.key(),
                    until: info.until_mutate,
                    mutable: info.mutable,
                };
                match &info.kind {
                    PathKind::Copy => cut.extract(path, path, claim),
                    PathKind::CopyFrom(source) => cut.extract(source, path, claim),
                    PathKind::Glob => cut.globs.push((Pattern::new(path), claim)),
                    PathKind::Make | PathKind::Text(_) | PathKind::Symlink(_) => {
                        cut.parents.extend(parent(path));
                        let entry = created.entry(path).or_insert_with(|| Created {
                            path: path.clone(),
                            kind: created_kind(&info.kind),
                            mode: info.mode.unwrap_or(if info.kind == PathKind::Make {
                                0o755
                            } else {
                                0o644
                            }),
                            mutable: info.mutable,
                            until_mutate: true,
                            slices: Vec::new(),
                        });
                        entry.slices.push(claim.slice);
                    }
                    PathKind::GenerateManifest => {
                        cut.parents.extend(parent(path));
                        let dir = path.trim_end_matches('*');
                        let file = format!("{dir}{MANIFEST_FILE}");
                        let entry = created.entry(path).or_insert_with(|| Created {
                            path: file,
                            kind: CreatedKind::Manifest,
                            mode: 0o644,
                            mutable: false,
                            until_mutate: false,
                            slices: Vec::new(),
                        });
                        entry.slices.push(claim.slice);
                    }
                    PathKind::GenerateUnknown(_) => {}
                }
            }
        }
        // `until: mutate` holds only if every selected slice creating the
        // path (in any package) says so.
        for (path, entry) in &mut created {
            if entry.kind != CreatedKind::Manifest {
                entry.until_mutate = selected.iter().all(|s| {
                    s.contents.get(*path).is_none_or(|info| {
                        !info.kind.is_created() || !applies(s, path, info) || info.until_mutate
                    })
                });
            }
            entry.slices.sort();
            entry.slices.dedup();
        }
        cut.created = created.into_values().collect();
        cut.created.sort_by(|a, b| a.path.cmp(&b.path));
        cut
    }

    fn extract(&mut self, source: &str, target: &str, claim: Claim) {
        self.by_target
            .entry(target.to_owned())
            .or_default()
            .push(claim.clone());
        self.exact
            .entry(source.to_owned())
            .or_default()
            .push((target.to_owned(), claim));
    }

    /// The package this plan is for.
    pub fn package(&self) -> &str {
        &self.package
    }

    /// Where an archive path (absolute, folders ending in `/`) goes in the
    /// image: the same path when a selected slice extracts it (plainly or
    /// by glob) or when it is the parent folder of a created entry (Chisel
    /// takes such folders from the package to keep their modes), and the
    /// destinations of `copy:` entries whose source it is. Sorted; empty
    /// means the cut skips it.
    pub fn targets(&self, archive_path: &str) -> Vec<String> {
        let mut out = BTreeSet::new();
        if let Some(targets) = self.exact.get(archive_path) {
            out.extend(targets.iter().map(|(t, _)| t.clone()));
        }
        if self.parents.contains(archive_path)
            || self
                .globs
                .iter()
                .any(|(p, _)| p.matches_literal(archive_path))
        {
            out.insert(archive_path.to_owned());
        }
        out.into_iter().collect()
    }

    /// The selected slices of this package that claim an image path, for
    /// the manifest and file lists: extracted (plain, copy or glob) or
    /// created entries, and the manifest file of a `generate:` folder. A
    /// slice whose entry says `until: mutate` does not claim it (as in
    /// Chisel's manifest). Sorted.
    pub fn slices_for(&self, image_path: &str) -> Vec<SliceKey> {
        let mut out: BTreeSet<SliceKey> = self
            .claims(image_path)
            .filter(|c| !c.until)
            .map(|c| c.slice.clone())
            .collect();
        for c in &self.created {
            if c.path == image_path && (c.kind == CreatedKind::Manifest || !c.until_mutate) {
                out.extend(c.slices.iter().cloned());
            }
        }
        out.into_iter().collect()
    }

    fn claims<'a>(&'a self, image_path: &'a str) -> impl Iterator<Item = &'a Claim> + 'a {
        let exact = self.by_target.get(image_path).into_iter().flatten();
        let globs = self
            .globs
            .iter()
            .filter(move |(p, _)| p.matches_literal(image_path))
            .map(|(_, c)| c);
        exact.chain(globs)
    }

    /// Entries the cut creates (`make`, `text`, `symlink`) for this
    /// architecture, with their modes, and the manifest files of
    /// `generate: manifest` folders. Sorted by path.
    pub fn created(&self) -> Vec<Created> {
        self.created.clone()
    }

    /// Plain (non-glob) archive paths that must exist in the package
    /// (Chisel fails with "no content at PATH" otherwise): extracted paths
    /// and `copy:` sources. Sorted.
    pub fn required(&self) -> Vec<String> {
        self.exact.keys().cloned().collect()
    }

    /// Glob patterns that must each match at least one archive path
    /// (Chisel also fails with "no content at PATTERN"). Sorted.
    pub fn required_globs(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self.globs.iter().map(|(p, _)| p.text()).collect();
        set.into_iter().map(str::to_owned).collect()
    }

    /// Paths and glob patterns marked `until: mutate` by every selected
    /// slice of this package that lists them, and created paths every
    /// selected slice marks so. Sorted. For one image path, prefer
    /// [`PackageCut::is_until_mutate`], which also weighs a plain entry
    /// against a glob covering the same file.
    pub fn until_mutate(&self) -> Vec<String> {
        let mut out = BTreeSet::new();
        for (path, claims) in &self.by_target {
            if claims.iter().all(|c| c.until) {
                out.insert(path.clone());
            }
        }
        let mut globs: HashMap<&str, bool> = HashMap::new();
        for (p, c) in &self.globs {
            *globs.entry(p.text()).or_insert(true) &= c.until;
        }
        out.extend(
            globs
                .into_iter()
                .filter(|(_, u)| *u)
                .map(|(p, _)| p.to_owned()),
        );
        out.extend(
            self.created
                .iter()
                .filter(|c| c.until_mutate)
                .map(|c| c.path.clone()),
        );
        out.into_iter().collect()
    }

    /// Whether the image path is removed after the mutation scripts: every
    /// entry of this cut that covers it says `until: mutate`.
    pub fn is_until_mutate(&self, image_path: &str) -> bool {
        if let Some(c) = self.created.iter().find(|c| c.path == image_path) {
            return c.until_mutate;
        }
        let mut any = false;
        for c in self.claims(image_path) {
            if !c.until {
                return false;
            }
            any = true;
        }
        any
    }

    /// Image paths a mutation script may write: `mutable` text files and
    /// copied files. Sorted.
    pub fn mutable(&self) -> Vec<String> {
        let mut out: BTreeSet<String> = self
            .by_target
            .iter()
            .filter(|(_, claims)| claims.iter().any(|c| c.mutable))
            .map(|(p, _)| p.clone())
            .collect();
        out.extend(
            self.created
                .iter()
                .filter(|c| c.mutable)
                .map(|c| c.path.clone()),
        );
        out.into_iter().collect()
    }
}

fn created_kind(kind: &PathKind) -> CreatedKind {
    match kind {
        PathKind::Text(t) => CreatedKind::Text(t.clone()),
        PathKind::Symlink(t) => CreatedKind::Symlink(t.clone()),
        _ => CreatedKind::Dir,
    }
}

/// The parent folder of a path (with its trailing `/`), unless it is `/`.
fn parent(path: &str) -> Option<String> {
    let trimmed = path.trim_end_matches('/');
    let cut = trimmed.rfind('/')?;
    (cut > 0).then(|| format!("{}/", &trimmed[..cut]))
}

/// Which selected package provides each path that has `prefer:` edges
/// (Chisel's `Selection.Prefers`).
struct Winners<'r> {
    winners: HashMap<&'r str, &'r str>,
}

impl<'r> Winners<'r> {
    fn new(release: &'r Release, selected: &[&'r Slice]) -> Winners<'r> {
        let prefers = Prefers::build(release, |_| false, &mut Vec::new());
        let mut winners: HashMap<&'r str, &'r str> = HashMap::new();
        for slice in selected {
            for path in slice.contents.keys() {
                if !prefers.has(path) {
                    continue;
                }
                let pkg = slice.package.as_str();
                match winners.get(path.as_str()) {
                    None => {
                        winners.insert(path, pkg);
                    }
                    Some(&old) if old != pkg => {
                        // A broken chain is the checker's to report; keep
                        // the first package then.
                        if let Ok(Some(w)) = prefers.preferred(path, old, pkg) {
                            winners.insert(path, w);
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        Winners { winners }
    }

    /// Whether `package` provides `path` (no prefer edges, or it wins).
    fn provides(&self, path: &str, package: &str) -> bool {
        self.winners.get(path).is_none_or(|w| *w == package)
    }
}

#[cfg(test)]
mod tests {
    use super::parent;

    #[test]
    fn parents() {
        assert_eq!(parent("/a/b/c"), Some("/a/b/".to_owned()));
        assert_eq!(parent("/a/b/"), Some("/a/".to_owned()));
        assert_eq!(parent("/a"), None);
        assert_eq!(
            parent("/var/lib/chisel/**"),
            Some("/var/lib/chisel/".to_owned())
        );
    }
}
