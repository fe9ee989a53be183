//! `contents.path-exclude` / `path-include`: package files left out of the
//! image, with dpkg's meaning (`dpkg --path-exclude`): a pattern is a shell
//! glob matched against the whole absolute path with `*` crossing `/`; a
//! path is left out when an exclude pattern matches it and no include
//! pattern does; a directory left out comes back when something kept lies
//! below it. Applied to every package of every world before placing, so
//! the package database's file lists name only what the image holds.

use std::collections::BTreeSet;
use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use whittle_recipe::{BuildPlan, ErrorKind, RecipeError};
use whittle_rootfs::unpack::Entry;

/// The recipe's path filters, compiled.
#[derive(Debug, Clone)]
pub struct PathFilter {
    exclude: GlobSet,
    include: GlobSet,
}

impl PathFilter {
    /// The plan's filters; `None` when it sets no `path-exclude`.
    pub fn from_plan(plan: &BuildPlan) -> Result<Option<PathFilter>, RecipeError> {
        if plan.path_exclude.is_empty() {
            return Ok(None);
        }
        PathFilter::new(&plan.source, &plan.path_exclude, &plan.path_include).map(Some)
    }

    /// Filters from glob lists; `source` is the recipe, for errors.
    pub fn new(
        source: &Path,
        exclude: &[String],
        include: &[String],
    ) -> Result<PathFilter, RecipeError> {
        let set = |key: &str, globs: &[String]| -> Result<GlobSet, RecipeError> {
            let mut b = GlobSetBuilder::new();
            for g in globs {
                let glob = GlobBuilder::new(g)
                    .literal_separator(false)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| {
                        RecipeError::new_at(
                            ErrorKind::Invalid,
                            source,
                            format!("`{g}` in `contents.{key}` is not a valid glob: {e}"),
                        )
                        .with_key(key)
                        .with_hint("use *, ?, [...] as in dpkg's --path-exclude")
                    })?;
                b.add(glob);
            }
            b.build().map_err(|e| {
                RecipeError::new_at(ErrorKind::Invalid, source, format!("`contents.{key}`: {e}"))
            })
        };
        Ok(PathFilter {
            exclude: set("path-exclude", exclude)?,
            include: set("path-include", include)?,
        })
    }

    /// Whether the absolute `path` (no trailing `/`) is left out.
    pub fn excludes(&self, path: &str) -> bool {
        self.exclude.is_match(path) && !self.include.is_match(path)
    }

    /// Drop the entries left out from one package's entries (relative
    /// paths, as the shared unpack walk gives them), keeping every
    /// directory that holds something kept. Returns how many were dropped.
    pub fn apply(&self, entries: &mut Vec<Entry>) -> usize {
        let before = entries.len();
        let kept: Vec<bool> = entries
            .iter()
            .map(|e| !self.excludes(&format!("/{}", e.path.trim_end_matches('/'))))
            .collect();
        let mut needed: BTreeSet<String> = BTreeSet::new();
        for (e, keep) in entries.iter().zip(&kept) {
            if *keep {
                let mut p = e.path.trim_end_matches('/');
                while let Some((parent, _)) = p.rsplit_once('/') {
                    needed.insert(parent.to_string());
                    p = parent;
                }
            }
        }
        let mut flags = kept.into_iter();
        entries.retain(|e| {
            let keep = flags.next().unwrap_or(true);
            keep || (e.node.is_dir() && needed.contains(e.path.trim_end_matches('/')))
        });
        before - entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use whittle_rootfs::Node;

    fn filter(ex: &[&str], inc: &[&str]) -> PathFilter {
        let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        PathFilter::new(Path::new("r.yaml"), &strings(ex), &strings(inc)).expect("globs")
    }

    fn entry(path: &str, dir: bool) -> Entry {
        Entry {
            path: path.to_string(),
            node: if dir {
                Node::dir(0o755)
            } else {
                Node::file(Vec::new(), 0o644)
            },
            owner_names: None,
        }
    }

    #[test]
    fn doc_trimmed_but_copyright_kept_with_its_directory() {
        let f = filter(
            &["/usr/share/doc/*", "/usr/share/man/**"],
            &["/usr/share/doc/*/copyright"],
        );
        let mut entries = vec![
            entry("usr", true),
            entry("usr/share", true),
            entry("usr/share/doc", true),
            entry("usr/share/doc/p", true),
            entry("usr/share/doc/p/copyright", false),
            entry("usr/share/doc/p/changelog.gz", false),
            entry("usr/share/doc/p/examples", true),
            entry("usr/share/doc/p/examples/a", false),
            entry("usr/share/man", true),
            entry("usr/share/man/man1", true),
            entry("usr/share/man/man1/p.1.gz", false),
            entry("usr/bin/p", false),
        ];
        assert_eq!(f.apply(&mut entries), 5);
        let left: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            left,
            [
                "usr",
                "usr/share",
                "usr/share/doc",
                "usr/share/doc/p",
                "usr/share/doc/p/copyright",
                "usr/share/man",
                "usr/bin/p"
            ]
        );
    }

    #[test]
    fn star_crosses_slashes_as_in_dpkg() {
        let f = filter(&["/usr/share/locale/*"], &[]);
        assert!(f.excludes("/usr/share/locale/de/LC_MESSAGES/x.mo"));
        assert!(!f.excludes("/usr/share/locale"));
    }
}
