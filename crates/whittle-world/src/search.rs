//! What a world offers `whittle search`: which packages ship a path
//! ([`FileSearch`], from the world's file index when it has one), and
//! the parts of packages (Chisel slices) whose names match a query.
//! Paths and names may be globs (`*`, `?`, `[…]`).

use globset::{Glob, GlobMatcher};

use crate::error::WorldError;

/// One path (or glob over paths) asked for with `--file`, normalised to
/// start with `/`.
#[derive(Debug, Clone)]
pub struct PathQuery {
    /// The path as given, with one leading `/`.
    pub path: String,
    glob: Option<GlobMatcher>,
}

impl PathQuery {
    /// A query for `path` (a glob when it holds `*`, `?` or `[`): `*`
    /// crosses `/`, as in `/usr/lib/*/libxml2.so.2`.
    ///
    /// # Errors
    ///
    /// A malformed glob (`[` without `]`), naming it.
    pub fn new(path: &str) -> Result<PathQuery, WorldError> {
        let path = format!("/{}", path.trim().trim_start_matches('/'));
        let glob = if is_glob(&path) {
            Some(matcher(&path)?)
        } else {
            None
        };
        Ok(PathQuery { path, glob })
    }

    /// Whether `candidate` (with or without a leading `/`, as file
    /// indexes write paths) is what was asked for.
    pub fn matches(&self, candidate: &str) -> bool {
        let bare = candidate.trim_start_matches("./").trim_start_matches('/');
        match &self.glob {
            Some(g) => g.is_match(format!("/{bare}")),
            None => self.path.get(1..) == Some(bare),
        }
    }

    /// Whether the query is a glob.
    pub fn is_glob(&self) -> bool {
        self.glob.is_some()
    }

    /// The last path component (`xmllint` of `/usr/bin/xmllint`).
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or_default()
    }

    /// The directory, without a trailing `/` (`/usr/bin`).
    pub fn dir(&self) -> &str {
        self.path
            .rsplit_once('/')
            .map_or("", |(d, _)| if d.is_empty() { "/" } else { d })
    }
}

/// Whether `text` is a glob (holds `*`, `?` or `[`).
pub fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// A matcher for the glob `pattern` over whole strings (`*` crosses `/`).
///
/// # Errors
///
/// A malformed glob, naming it.
pub fn matcher(pattern: &str) -> Result<GlobMatcher, WorldError> {
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| {
            WorldError::config(format!(
                "`{pattern}` is not a valid glob: {e}; use `*`, `?` and `[…]`, or quote a plain name"
            ))
        })
}

/// One package (or part of one) that ships a path asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOwner {
    /// The path asked for (as in [`PathQuery::path`]).
    pub query: String,
    /// The path as the index names it, with a leading `/`.
    pub path: String,
    /// The package name.
    pub package: String,
    /// Its version, when the index says (Debian's Contents does not: the
    /// engine lists the versions the package indexes hold).
    pub version: Option<String>,
    /// Its architecture, when the index says.
    pub arch: Option<String>,
    /// The index source it was found in (see
    /// [`PackageWorld::index_sources`](crate::PackageWorld::index_sources)).
    pub source: usize,
    /// The part of the package (`pkg_slice`) when the answer came from
    /// part definitions rather than a file list.
    pub part: Option<String>,
    /// Where the answer came from (`main/Contents-amd64.gz`,
    /// `filelists.xml`, `provides cmd:xmllint`, `slice definitions`).
    pub evidence: String,
}

/// The answer of [`PackageWorld::find_files`](crate::PackageWorld::find_files).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSearch {
    /// Every owner found, in the order the indexes list them.
    pub owners: Vec<FileOwner>,
    /// Whether the answers come from complete file lists: `false` when the
    /// world's indexes carry none (APK) and it answered from what they do
    /// carry (provides), so a path not found may still be in a package.
    pub complete: bool,
    /// What the reader should know about how the answer was found.
    pub notes: Vec<String>,
}

impl FileSearch {
    /// The answer of a world that has no way to look paths up.
    pub fn unsupported(why: &str) -> FileSearch {
        FileSearch {
            owners: Vec::new(),
            complete: false,
            notes: vec![why.to_string()],
        }
    }
}

/// A part of a package (a Chisel slice) whose name matches a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartMatch {
    /// The package it is a part of.
    pub package: String,
    /// Its full name as a recipe writes it (`libc6_libs`).
    pub name: String,
    /// Its one-line description, if it has one.
    pub summary: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_match_with_or_without_a_slash() {
        let q = PathQuery::new("usr/bin/xmllint").unwrap();
        assert_eq!(q.path, "/usr/bin/xmllint");
        assert!(q.matches("usr/bin/xmllint"));
        assert!(q.matches("/usr/bin/xmllint"));
        assert!(q.matches("./usr/bin/xmllint"));
        assert!(!q.matches("usr/bin/xmllint2"));
        assert!(!q.is_glob());
        assert_eq!((q.dir(), q.file_name()), ("/usr/bin", "xmllint"));
    }

    #[test]
    fn globs_cross_directories() {
        let q = PathQuery::new("/usr/lib/*/libxml2.so.?").unwrap();
        assert!(q.is_glob());
        assert!(q.matches("usr/lib/x86_64-linux-gnu/libxml2.so.2"));
        assert!(!q.matches("usr/lib/x86_64-linux-gnu/libxml2.so.22"));
        assert!(PathQuery::new("/usr/bin/[").is_err());
    }
}
