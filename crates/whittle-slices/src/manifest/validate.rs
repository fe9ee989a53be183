//! The consistency Chisel asserts before writing a manifest
//! (`internal/manifestutil/manifestutil.go`: `fastValidate`, and the
//! contents ↔ paths agreement its `Validate` checks on reading).

use std::collections::{BTreeMap, BTreeSet};

use super::{ManifestError, ManifestInput, ManifestPath};

pub(crate) fn validate(input: &ManifestInput) -> Result<(), ManifestError> {
    let invalid = |message: String| ManifestError::Invalid { message };

    // Packages are complete.
    let mut packages = BTreeSet::new();
    for p in &input.packages {
        if p.name.is_empty() {
            return Err(invalid("package name not set".into()));
        }
        for (what, value) in [
            ("arch", &p.arch),
            ("sha256", &p.sha256),
            ("version", &p.version),
        ] {
            if value.is_empty() {
                return Err(invalid(format!("package {:?} missing {what}", p.name)));
            }
        }
        packages.insert(p.name.as_str());
    }

    // Every slice belongs to a package.
    let mut slices = BTreeSet::new();
    for s in &input.slices {
        let Some((package, _)) = s.split_once('_') else {
            return Err(invalid(format!("slice name {s:?} is not pkg_slice")));
        };
        if !packages.contains(package) {
            return Err(invalid(format!(
                "slice {s} refers to missing package {package:?}"
            )));
        }
        slices.insert(s.as_str());
    }

    // Every path is well formed and names selected slices.
    let mut seen = BTreeSet::new();
    let mut groups: BTreeMap<u64, Vec<&ManifestPath>> = BTreeMap::new();
    for p in &input.paths {
        check_path(p)
            .map_err(|m| invalid(format!("path {:?} has invalid options: {m}", p.path)))?;
        if !seen.insert(p.path.as_str()) {
            return Err(invalid(format!("path {} listed twice", p.path)));
        }
        for s in &p.slices {
            if !slices.contains(s.as_str()) {
                return Err(invalid(format!(
                    "path {:?} refers to missing slice {s}",
                    p.path
                )));
            }
        }
        if let Some(inode) = p.inode.filter(|&i| i != 0) {
            groups.entry(inode).or_default().push(p);
        }
    }
    check_hard_links(&groups).map_err(invalid)?;
    check_contents(input).map_err(invalid)
}

fn present(value: Option<&String>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// A directory (`/`-terminated) or symlink (`link` set) has no digest or
/// size; every path names a slice.
fn check_path(p: &ManifestPath) -> Result<(), String> {
    let kind = if p.path.ends_with('/') {
        if present(p.link.as_ref()) {
            return Err("link set for directory".into());
        }
        Some("directory")
    } else if present(p.link.as_ref()) {
        Some("symlink")
    } else {
        None
    };
    if let Some(kind) = kind {
        if present(p.sha256.as_ref()) {
            return Err(format!("sha256 set for {kind}"));
        }
        if present(p.final_sha256.as_ref()) {
            return Err(format!("final_sha256 set for {kind}"));
        }
        if p.size.unwrap_or(0) != 0 {
            return Err(format!("size set for {kind}"));
        }
    }
    if p.slices.is_empty() {
        return Err("slices is empty".into());
    }
    Ok(())
}

/// Hard-link groups are numbered 1…n, have two members or more, and the
/// members agree on everything but the path.
fn check_hard_links(groups: &BTreeMap<u64, Vec<&ManifestPath>>) -> Result<(), String> {
    for id in 1..=groups.len() as u64 {
        let Some(members) = groups.get(&id) else {
            return Err(format!("cannot find hard link id {id}"));
        };
        let mut members = members.clone();
        members.sort_by(|a, b| a.path.cmp(&b.path));
        let first = members[0];
        if members.len() == 1 {
            return Err(format!(
                "hard link group {id} has only one path: {}",
                first.path
            ));
        }
        for m in &members[1..] {
            let same = m.link == first.link
                && m.mode & 0o1777 == first.mode & 0o1777
                && m.sha256 == first.sha256
                && m.size == first.size
                && m.final_sha256 == first.final_sha256;
            if !same {
                return Err(format!(
                    "hard linked paths {:?} and {:?} have diverging contents",
                    first.path, m.path
                ));
            }
        }
    }
    Ok(())
}

/// The content records are exactly the (slice, path) pairs of the paths.
fn check_contents(input: &ManifestInput) -> Result<(), String> {
    let from_paths: BTreeSet<(&str, &str)> = input
        .paths
        .iter()
        .flat_map(|p| p.slices.iter().map(|s| (s.as_str(), p.path.as_str())))
        .collect();
    let mut from_contents = BTreeSet::new();
    for (slice, path) in &input.contents {
        if !from_paths.contains(&(slice.as_str(), path.as_str())) {
            return Err(format!(
                "content path {path} of slice {slice} has no matching entry in paths"
            ));
        }
        if !from_contents.insert((slice.as_str(), path.as_str())) {
            return Err(format!("content path {path} of slice {slice} listed twice"));
        }
    }
    if let Some((slice, path)) = from_paths.difference(&from_contents).next() {
        return Err(format!(
            "path {path} of slice {slice} has no matching entry in contents"
        ));
    }
    Ok(())
}
