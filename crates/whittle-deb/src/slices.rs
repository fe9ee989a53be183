//! Chisel slices in the Debian world: `contents.slices` names one or more
//! chisel-releases trees, and a `pkg_slice` entry in `packages` selects a
//! slice (Debian package names never hold `_`).
//!
//! * [`open`]: load the release and fill the recipe's repositories from
//!   `chisel.yaml` (suites, components, armored keys) where they are
//!   silent.
//! * [`split`]: the recipe's entries as whole packages and slice closures.
//! * [`cut_entries`]: keep from a `.deb`'s entries what the selected slices
//!   extract (plain paths, globs, `copy:`), and add what they create.
//! * [`finish_cut`]: after every package is placed: the mutation scripts,
//!   `until: mutate` removals and Chisel's `manifest.wall`.
//!
//! The slice data's semantics live in `whittle-slices`; this module only
//! applies them to the Debian world's packages and tree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use whittle_model::PackageRecord;
use whittle_recipe::{BuildPlan, PackageRequest};
use whittle_rootfs::unpack::Entry;
use whittle_rootfs::RootFs;
use whittle_rootfs::{Node, NodeKind};
use whittle_sig::Keyring;
use whittle_slices::manifest::{write_manifest, ManifestInput, ManifestPackage, ManifestPath};
use whittle_slices::mutate::{
    self, EntryKind, MutateJob, MutateOutcome, MutateRules, MutateTree, PathFlags,
};
use whittle_slices::{
    check_selection, load, CreatedKind, PackageCut, Release, Selection, SliceError, SliceKey,
};
use whittle_world::{Installed, SplitRequests, WorldError};

use crate::entry::DebRepository;

/// The slice data one recipe builds from.
pub struct Slices {
    /// The release, overlays applied.
    pub release: Release,
    /// The selection [`split`] made, per architecture: a package's cut
    /// depends on the other packages selected (`prefer`).
    selections: std::sync::Mutex<BTreeMap<String, Selection>>,
    /// The world's index sources (suites) of each chisel.yaml archive.
    pub archive_sources: BTreeMap<String, Vec<usize>>,
    /// The release directories read (the recipe's `slices:`), for the lock.
    pub trees: Vec<PathBuf>,
}

/// `sha256:<hex>` over a release directory: every file's path relative to
/// it and contents (a symlink's target), in path order, `.git` left out.
/// Two checkouts of the same release commit give the same digest.
pub fn tree_digest(root: &std::path::Path) -> Result<String, WorldError> {
    use sha2::{Digest as _, Sha256};
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let read = fs_err::read_dir(&dir).map_err(|e| {
            WorldError::config(format!(
                "could not read the slice release {}",
                root.display()
            ))
            .because(e)
        })?;
        for entry in read {
            let entry = entry.map_err(|e| {
                WorldError::config(format!("could not read {}", dir.display())).because(e)
            })?;
            let path = entry.path();
            if entry.file_name() == ".git" {
                continue;
            }
            let kind = entry.file_type().map_err(|e| {
                WorldError::config(format!("could not read {}", path.display())).because(e)
            })?;
            if kind.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                files.push((rel, path));
            }
        }
    }
    files.sort();
    let mut hash = Sha256::new();
    for (rel, path) in files {
        let bytes = match fs_err::read_link(&path) {
            Ok(target) => target.to_string_lossy().into_owned().into_bytes(),
            Err(_) => fs_err::read(&path).map_err(|e| {
                WorldError::config(format!("could not read {}", path.display())).because(e)
            })?,
        };
        hash.update((rel.len() as u64).to_be_bytes());
        hash.update(rel.as_bytes());
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(&bytes);
    }
    Ok(format!("sha256:{}", hex::encode(hash.finalize())))
}

impl Slices {
    /// The whole selection for `arch`, when [`split`] made one.
    pub fn selection(&self, arch: &str) -> Option<Selection> {
        self.selections
            .lock()
            .ok()
            .and_then(|m| m.get(arch).cloned())
    }
}

fn slice_error(e: SliceError) -> WorldError {
    WorldError::config(e.to_string())
}

/// Load the recipe's release trees (if it names any) and fill its
/// repositories' silent fields from `chisel.yaml`'s archive: suites,
/// components (when left out) and the archive's armored public keys, each
/// checked against the key id chisel.yaml gives for it.
pub fn open(plan: &BuildPlan, repos: &mut [DebRepository]) -> Result<Option<Slices>, WorldError> {
    if plan.slices.is_empty() {
        return Ok(None);
    }
    let trees: Vec<PathBuf> = plan.slices.iter().map(PathBuf::from).collect();
    let release = load(&trees).map_err(slice_error)?;
    for repo in repos.iter_mut() {
        let archive =
            match &repo.archive {
                Some(name) => {
                    release.archives.get(name).ok_or_else(|| {
                        WorldError::config(format!(
                    "the recipe's repository names archive `{name}`, which {} does not define \
                     (it has: {})",
                    release.source.display(),
                    release.archives.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
                    })?
                }
                None => default_archive(&release)?,
            };
        repo.archive = Some(archive.name.clone());
        if repo.suites.is_empty() {
            repo.suites = archive.suites.clone();
        }
        if repo.default_components {
            repo.components = archive.components.clone();
        }
        for key_name in &archive.public_keys {
            let key = release.public_keys.get(key_name).ok_or_else(|| {
                WorldError::config(format!(
                    "{}: archive `{}` names public key `{key_name}`, which `public-keys` does \
                     not define",
                    release.source.display(),
                    archive.name
                ))
            })?;
            let origin = format!(
                "{} public-keys.{key_name} (id {})",
                release.source.display(),
                key.id
            );
            check_key_id(&key.armor, &key.id, &origin)?;
            repo.inline_keys.push((origin, key.armor.clone()));
        }
    }
    Ok(Some(Slices {
        release,
        trees,
        selections: std::sync::Mutex::new(BTreeMap::new()),
        archive_sources: BTreeMap::new(),
    }))
}

/// The archive a repository serves when it names none: the
/// highest-priority one that needs no Ubuntu Pro credentials.
fn default_archive(release: &Release) -> Result<&whittle_slices::Archive, WorldError> {
    release
        .archives
        .values()
        .filter(|a| a.pro.is_none())
        .max_by_key(|a| (a.priority, std::cmp::Reverse(a.name.clone())))
        .ok_or_else(|| {
            WorldError::config(format!(
                "{} defines no archive without `pro:`; name one with `archive:` on the recipe's \
                 repository",
                release.source.display()
            ))
        })
}

/// chisel.yaml pairs each armored key with its 16-digit key id; a key that
/// is not the one named is refused, as Chisel refuses it.
fn check_key_id(armor: &str, id: &str, origin: &str) -> Result<(), WorldError> {
    let ring = Keyring::from_bytes(armor.as_bytes(), origin)
        .map_err(|e| WorldError::config(format!("{origin}: the key cannot be read")).because(e))?;
    let id = id.to_ascii_lowercase();
    if ring
        .fingerprints()
        .iter()
        .any(|f| f.to_ascii_lowercase().ends_with(&id))
    {
        Ok(())
    } else {
        Err(WorldError::config(format!(
            "{origin}: the armored key is not key {id} (its fingerprints: {}); fix `id` or the \
             armor in chisel.yaml",
            ring.fingerprints().join(", ")
        )))
    }
}

/// Split the recipe's entries: `pkg_slice` entries become the slice
/// closure (per package, with any version constraint an entry gave for
/// that package), checked against Chisel's conflict rules; every other
/// entry is a whole package.
pub fn split(
    slices: Option<&Slices>,
    requests: &[PackageRequest],
    arch: &str,
) -> Result<SplitRequests, WorldError> {
    let mut whole = Vec::new();
    let mut wanted = Vec::new();
    let mut pins: BTreeMap<String, PackageRequest> = BTreeMap::new();
    for r in requests {
        if !r.name.contains('_') {
            whole.push(r.clone());
            continue;
        }
        let Some(slices) = slices else {
            return Err(WorldError::config(format!(
                "`{}` (line {}) selects a Chisel slice, but the recipe names no slice \
                 definitions: add `contents.slices: PATH` (a chisel-releases tree)",
                r.name, r.line
            )));
        };
        let key = SliceKey::parse(&r.name).map_err(slice_error)?;
        if r.constraint.is_some() {
            if let Some(other) = pins.get(&key.package) {
                if other.constraint != r.constraint {
                    return Err(WorldError::config(format!(
                        "`{r}` (line {}) and `{other}` (line {}) pin package {} to different \
                         versions; pin it once",
                        r.line, other.line, key.package
                    )));
                }
            }
            pins.insert(key.package.clone(), r.clone());
        }
        if slices.release.packages.contains_key(&key.package) {
            wanted.push(key);
        } else {
            return Err(WorldError::config(format!(
                "`{}` (line {}): {} defines no slices for package {}; run `whittle slices find \
                 {}` to see what it has",
                r.name,
                r.line,
                slices.release.source.display(),
                key.package,
                key.package
            )));
        }
    }
    let Some(slices) = slices.filter(|_| !wanted.is_empty()) else {
        return Ok(SplitRequests {
            whole,
            ..SplitRequests::default()
        });
    };
    let selection = slices.release.select(&wanted, arch).map_err(slice_error)?;
    check_selection(&slices.release, &selection).map_err(slice_error)?;
    if let Ok(mut m) = slices.selections.lock() {
        m.insert(arch.to_string(), selection.clone());
    }
    let parts: Vec<(PackageRequest, Vec<String>)> = selection
        .packages()
        .into_iter()
        .map(|pkg| {
            let names = selection
                .slices_of(&pkg)
                .into_iter()
                .map(|k| k.slice.clone())
                .collect();
            let request = match pins.get(&pkg) {
                Some(p) => PackageRequest {
                    name: pkg.clone(),
                    constraint: p.constraint.clone(),
                    tag: None,
                    line: p.line,
                },
                None => PackageRequest {
                    name: pkg.clone(),
                    constraint: None,
                    tag: None,
                    line: 0,
                },
            };
            (request, names)
        })
        .collect();
    let mut sources = BTreeMap::new();
    for (r, _) in &parts {
        if let Some(groups) = archive_preference(slices, &r.name) {
            sources.insert(r.name.clone(), groups?);
        }
    }
    Ok(SplitRequests {
        whole,
        parts,
        sources,
    })
}

/// Where a sliced package may come from, as Chisel chooses: the archive
/// its slice file pins (`archive:`), else the archives with a positive
/// priority, highest first (a negative priority is used only when pinned).
/// `None` when the recipe's repositories serve no archive in question (no
/// restriction then).
fn archive_preference(
    slices: &Slices,
    package: &str,
) -> Option<Result<Vec<Vec<usize>>, WorldError>> {
    let release = &slices.release;
    let pinned = release
        .packages
        .get(package)
        .and_then(|p| p.archive.clone());
    if let Some(name) = pinned {
        return Some(match slices.archive_sources.get(&name) {
            Some(sources) => Ok(vec![sources.clone()]),
            None => Err(WorldError::config(format!(
                "{}: package {package} is pinned to archive `{name}`, which none of the                  recipe's repositories serves; add a repository with `archive: {name}`",
                release.file_of(package).display()
            ))),
        });
    }
    let mut archives: Vec<&whittle_slices::Archive> = release
        .archives
        .values()
        .filter(|a| a.priority > 0 && slices.archive_sources.contains_key(&a.name))
        .collect();
    archives.sort_by_key(|a| std::cmp::Reverse(a.priority));
    let groups: Vec<Vec<usize>> = archives
        .iter()
        .filter_map(|a| slices.archive_sources.get(&a.name).cloned())
        .collect();
    (!groups.is_empty()).then_some(Ok(groups))
}

/// The selection a set of installed cuts came from: the one [`split`]
/// made, else the closure of the cuts (the closure of a closure is
/// itself).
pub fn selection_of(
    slices: &Slices,
    cuts: &[(&str, &[String])],
    arch: &str,
) -> Result<Selection, WorldError> {
    if let Some(s) = slices.selection(arch) {
        return Ok(s);
    }
    let keys: Vec<SliceKey> = cuts
        .iter()
        .flat_map(|(pkg, names)| names.iter().map(move |n| SliceKey::new(*pkg, n.as_str())))
        .collect();
    slices.release.select(&keys, arch).map_err(slice_error)
}

/// Keep from one package's entries (relative paths, archive order) what
/// the selected slices take, under the paths they go to, and add what they
/// create; every parent folder of a kept entry that the package has comes
/// along with its own mode, as Chisel extracts it.
pub fn cut_entries(
    cut: &PackageCut,
    record: &PackageRecord,
    entries: Vec<Entry>,
) -> Result<Vec<Entry>, WorldError> {
    let label = record.label();
    let newest = entries.iter().map(|e| e.node.mtime).max().unwrap_or(0);
    let archive_path = |e: &Entry| {
        if e.node.is_dir() {
            format!("/{}/", e.path)
        } else {
            format!("/{}", e.path)
        }
    };
    // Which archive paths were seen, for "no content at".
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut kept: BTreeMap<String, Entry> = BTreeMap::new();
    let by_path: BTreeMap<String, &Entry> = entries.iter().map(|e| (e.path.clone(), e)).collect();
    for e in &entries {
        let from = archive_path(e);
        seen.insert(from.clone());
        for target in cut.targets(&from) {
            let rel = target.trim_matches('/').to_string();
            let mut node = e.node.clone();
            // A hard link whose target the cut leaves out becomes a copy.
            if let NodeKind::Hardlink(to) = &node.kind {
                let to_kept = cut
                    .targets(&format!("/{to}"))
                    .iter()
                    .any(|t| t.trim_matches('/') == to);
                if !to_kept {
                    if let Some(src) = by_path.get(to.as_str()) {
                        node = Node {
                            kind: src.node.kind.clone(),
                            ..node
                        };
                    }
                }
            }
            kept.insert(
                rel.clone(),
                Entry {
                    path: rel,
                    node,
                    owner_names: e.owner_names.clone(),
                },
            );
        }
    }
    for required in cut.required() {
        if !seen.contains(&required) && !seen.contains(&format!("{required}/")) {
            return Err(WorldError::format(format!(
                "slices of {label}: no content at {required} in the package; the slice \
                 definitions do not fit this version of the package (pin another version, or \
                 fix the slice file)"
            )));
        }
    }
    for glob in cut.required_globs() {
        if !seen.iter().any(|p| whittle_slices::glob::matches(&glob, p)) {
            return Err(WorldError::format(format!(
                "slices of {label}: no content at {glob} in the package; the slice definitions \
                 do not fit this version of the package"
            )));
        }
    }
    // Parent folders the package has, with their modes.
    let mut parents: BTreeSet<String> = BTreeSet::new();
    for p in kept.keys() {
        let mut p = p.as_str();
        while let Some((parent, _)) = p.rsplit_once('/') {
            parents.insert(parent.to_string());
            p = parent;
        }
    }
    for parent in parents {
        if kept.contains_key(&parent) {
            continue;
        }
        if let Some(e) = by_path.get(parent.as_str()).filter(|e| e.node.is_dir()) {
            kept.insert(parent.clone(), (*e).clone());
        }
    }
    for c in cut.created() {
        let rel = c.path.trim_matches('/').to_string();
        let node = match &c.kind {
            CreatedKind::Dir => Node::dir(c.mode),
            CreatedKind::Text(text) => Node::file(text.clone().into_bytes(), c.mode),
            CreatedKind::Symlink(target) => {
                let mut n = Node::symlink(target.clone());
                n.mode = 0o777;
                n
            }
            // Written once every package is placed (`finish_cut`).
            CreatedKind::Manifest => continue,
        };
        kept.insert(
            rel.clone(),
            Entry {
                path: rel,
                node: node.at(newest),
                owner_names: None,
            },
        );
    }
    // Path order puts parents first; hard links go last, after what they
    // link to.
    let (mut out, links): (Vec<Entry>, Vec<Entry>) = kept
        .into_values()
        .partition(|e| !matches!(e.node.kind, NodeKind::Hardlink(_)));
    out.extend(links);
    Ok(out)
}

/// The tree, as Chisel's mutation scripts see it (absolute image paths).
struct ScriptTree<'a> {
    root: &'a mut RootFs,
}

fn rel(path: &str) -> &str {
    path.trim_start_matches('/').trim_end_matches('/')
}

impl MutateTree for ScriptTree<'_> {
    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(node) = self.root.get(rel(path)) else {
            return Ok(None);
        };
        let content = match &node.kind {
            NodeKind::File(c) => c,
            NodeKind::Hardlink(_) => match self.root.file_content(rel(path)) {
                Some(c) => c,
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        content.to_vec().map(Some).map_err(|e| e.to_string())
    }

    fn entry_kind(&self, path: &str) -> Option<EntryKind> {
        if rel(path).is_empty() {
            return Some(EntryKind::Dir);
        }
        Some(match &self.root.get(rel(path))?.kind {
            NodeKind::Dir => EntryKind::Dir,
            NodeKind::Symlink(t) => EntryKind::Symlink(t.clone()),
            _ => EntryKind::File,
        })
    }

    fn list_dir(&self, dir: &str) -> Result<Vec<String>, String> {
        let key = rel(dir);
        let mut names: Vec<String> = self
            .root
            .children(key)
            .map(|(k, n)| {
                let name = k.rsplit('/').next().unwrap_or(k);
                if n.is_dir() {
                    format!("{name}/")
                } else {
                    name.to_string()
                }
            })
            .collect();
        names.sort();
        Ok(names)
    }

    fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), String> {
        let node = self
            .root
            .node_mut(rel(path))
            .ok_or_else(|| format!("{path} is not in the tree"))?;
        node.kind = NodeKind::File(data.to_vec().into());
        Ok(())
    }
}

/// Chisel's steps after every package is placed: the selected slices'
/// mutation scripts in essentials order, then the removal of `until:
/// mutate` paths (folders only when empty), then `manifest.wall` in each
/// `generate: manifest` folder.
pub fn finish_cut(
    sl: &Slices,
    root: &mut RootFs,
    installed: &[Installed],
    cuts: &[(&str, &[String])],
    arch: &str,
    epoch: i64,
) -> Result<(), WorldError> {
    let selection = selection_of(sl, cuts, arch)?;
    let plans: BTreeMap<&str, PackageCut> = cuts
        .iter()
        .map(|(pkg, _)| (*pkg, PackageCut::new(&sl.release, &selection, pkg)))
        .collect();
    // Every path a selected slice put in the tree, in Chisel's spelling.
    let mut placed: Vec<(&str, String, String)> = Vec::new(); // (package, image path, key)
    for p in installed {
        if !plans.contains_key(p.record.name.as_str()) {
            continue;
        }
        for key in &p.keys {
            let Some(node) = root.get(key) else { continue };
            let image = if node.is_dir() {
                format!("/{key}/")
            } else {
                format!("/{key}")
            };
            placed.push((p.record.name.as_str(), image, key.clone()));
        }
    }
    let mut rules = MutateRules::new();
    let mut original: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for (pkg, image, key) in &placed {
        let Some(plan) = plans.get(pkg) else { continue };
        if slices_for(plan, image).is_empty() && !plan.is_until_mutate(image) {
            continue;
        }
        let node = root.get(key);
        let flags = PathFlags {
            mutable: plan.mutable().iter().any(|m| m == image),
            hard_link: node.is_some_and(|n| matches!(n.kind, NodeKind::Hardlink(_))),
        };
        rules
            .add(image, flags)
            .map_err(|e| WorldError::assembly(format!("slices: {e}")))?;
        if let Some(content) = node.and_then(Node::content) {
            original.insert(image.clone(), (sha256_of(content)?, content.len()));
        }
    }
    let jobs: Vec<MutateJob> = selection
        .slices
        .iter()
        .filter_map(|k| {
            let script = sl.release.slice(k)?.mutate.clone()?;
            Some(MutateJob {
                slice: k.to_string(),
                script,
            })
        })
        .collect();
    let outcome = mutate::run(&mut ScriptTree { root }, &rules, &jobs).map_err(|e| {
        WorldError::assembly(format!(
            "{}: {e}",
            sl.release
                .file_of(e.slice().split('_').next().unwrap_or(""))
                .display()
        ))
    })?;
    // until: mutate — files first, then folders deepest first, only empty.
    let mut doomed: Vec<(String, String)> = placed
        .iter()
        .filter(|(pkg, image, _)| plans.get(pkg).is_some_and(|p| p.is_until_mutate(image)))
        .map(|(_, image, key)| (image.clone(), key.clone()))
        .collect();
    doomed.sort_by(|a, b| b.1.cmp(&a.1));
    for (_, key) in &doomed {
        let Some(node) = root.get(key) else { continue };
        if node.is_dir() && root.children(key).next().is_some() {
            continue;
        }
        root.remove(key);
    }
    write_manifests(
        sl, root, installed, &selection, &plans, &original, &outcome, epoch,
    )
}

/// The slices that claim an image path. A definition may spell a symlink
/// with a folder's `/` (`/var/run/: {symlink: /run}`); Chisel records the
/// link under its plain path.
fn slices_for(plan: &PackageCut, image: &str) -> Vec<SliceKey> {
    let found = plan.slices_for(image);
    if found.is_empty() && !image.ends_with('/') {
        plan.slices_for(&format!("{image}/"))
    } else {
        found
    }
}

fn sha256_of(content: &whittle_rootfs::Content) -> Result<String, WorldError> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    content
        .for_each_chunk(|c| h.update(c))
        .map_err(|e| WorldError::assembly("slices: could not read a file back").because(e))?;
    Ok(hex::encode(h.finalize()))
}

/// Chisel's `manifest.wall` in each `generate: manifest` folder of the
/// selection, built as `whittle_slices::manifest` documents Chisel builds
/// it: the packages cut, the selected slices, every path a selected slice
/// put in the tree (parents made only as parents left out) with its
/// original digest and, when a mutation script changed it, its final one.
#[allow(clippy::too_many_arguments)]
fn write_manifests(
    sl: &Slices,
    root: &mut RootFs,
    installed: &[Installed],
    selection: &Selection,
    plans: &BTreeMap<&str, PackageCut>,
    original: &BTreeMap<String, (String, u64)>,
    outcome: &MutateOutcome,
    epoch: i64,
) -> Result<(), WorldError> {
    let manifests: Vec<(String, Vec<String>)> = {
        let mut by_path: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for plan in plans.values() {
            for c in plan.created() {
                if c.kind == CreatedKind::Manifest {
                    by_path
                        .entry(c.path.clone())
                        .or_default()
                        .extend(c.slices.iter().map(ToString::to_string));
                }
            }
        }
        by_path.into_iter().collect()
    };
    if manifests.is_empty() {
        return Ok(());
    }
    let mut input = ManifestInput {
        packages: Vec::new(),
        slices: selection.slices.iter().map(ToString::to_string).collect(),
        paths: Vec::new(),
        contents: Vec::new(),
    };
    let written: BTreeSet<&str> = outcome.written.iter().map(String::as_str).collect();
    for p in installed {
        let Some(plan) = plans.get(p.record.name.as_str()) else {
            continue;
        };
        input.packages.push(ManifestPackage {
            name: p.record.name.clone(),
            version: p.record.version.clone(),
            sha256: p.record.download.sha256.clone().unwrap_or_default(),
            arch: p.record.arch.clone(),
        });
        let mut seen = BTreeSet::new();
        for key in &p.keys {
            let Some(node) = root.get(key) else { continue };
            let image = if node.is_dir() {
                format!("/{key}/")
            } else {
                format!("/{key}")
            };
            if !seen.insert(image.clone()) {
                continue;
            }
            let slices: Vec<String> = slices_for(plan, &image)
                .iter()
                .map(ToString::to_string)
                .collect();
            if slices.is_empty() {
                continue;
            }
            let mut entry = ManifestPath {
                path: image.clone(),
                mode: node.mode,
                slices: slices.clone(),
                sha256: None,
                final_sha256: None,
                size: None,
                link: None,
                inode: None,
            };
            match &node.kind {
                NodeKind::Symlink(t) => entry.link = Some(t.clone()),
                NodeKind::File(_) | NodeKind::Hardlink(_) => {
                    if let Some((sha, size)) = original.get(&image) {
                        entry.sha256 = Some(sha.clone());
                        entry.size = Some(*size);
                    }
                    if written.contains(image.as_str()) {
                        if let Some(content) = root.file_content(key) {
                            let now = sha256_of(content)?;
                            if entry.sha256.as_deref() != Some(now.as_str()) {
                                entry.final_sha256 = Some(now);
                                entry.size = Some(content.len());
                            }
                        }
                    }
                }
                _ => {}
            }
            for s in &slices {
                input.contents.push((s.clone(), image.clone()));
            }
            input.paths.push(entry);
        }
    }
    for (path, slices) in &manifests {
        input.paths.push(ManifestPath {
            path: path.clone(),
            mode: 0o644,
            slices: slices.clone(),
            sha256: None,
            final_sha256: None,
            size: None,
            link: None,
            inode: None,
        });
        for s in slices {
            input.contents.push((s.clone(), path.clone()));
        }
    }
    let bytes = write_manifest(&input).map_err(|e| {
        WorldError::assembly(format!(
            "could not write Chisel's manifest for {}",
            sl.release.source.display()
        ))
        .because(e)
    })?;
    for (path, _) in &manifests {
        root.insert(rel(path), Node::file(bytes.clone(), 0o644).at(epoch))
            .map_err(|e| WorldError::assembly(format!("could not place {path}")).because(e))?;
    }
    Ok(())
}
