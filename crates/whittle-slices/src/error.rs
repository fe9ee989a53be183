//! The one error type of this crate. Every message names the file
//! (`chisel.yaml` or `slices/<package>.yaml`) and the slice or path, and
//! says what to change.

use std::fmt;
use std::path::PathBuf;

use crate::release::SliceKey;

/// How many problems an aggregated error lists before it only counts.
pub const MAX_LISTED: usize = 50;

/// What went wrong reading, checking or selecting slices.
#[derive(Debug, thiserror::Error)]
pub enum SliceError {
    /// A file or folder could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// None of the trees has a `chisel.yaml`.
    #[error(
        "no chisel.yaml in {trees}: pass the folder of a chisel-releases checkout (it holds \
         chisel.yaml and slices/)"
    )]
    NoRelease {
        /// The trees given, comma-separated.
        trees: String,
    },
    /// A file is not valid YAML, or a value has the wrong type.
    #[error("{}: cannot parse: {message}; fix the YAML there", file.display())]
    Yaml {
        /// The file.
        file: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// `chisel.yaml` says something Chisel does not accept.
    #[error("{}: {message}; {hint}", file.display())]
    Release {
        /// The release file.
        file: PathBuf,
        /// What is wrong.
        message: String,
        /// What to change.
        hint: String,
    },
    /// A slice definition file says something Chisel does not accept.
    #[error("{}: {message}; {hint}", file.display())]
    Definition {
        /// The slice definition file.
        file: PathBuf,
        /// What is wrong, naming the slice and path.
        message: String,
        /// What to change.
        hint: String,
    },
    /// Two entries cannot both be in one image.
    #[error("{0}")]
    Conflict(Box<Conflict>),
    /// An essential names a slice the release does not define.
    #[error(
        "{}: {slice} requires {missing}, but slice is missing; define it or remove the essential",
        file.display()
    )]
    MissingEssential {
        /// The file of the slice with the essential.
        file: PathBuf,
        /// The slice with the essential.
        slice: SliceKey,
        /// The undefined slice.
        missing: SliceKey,
    },
    /// The essentials form a cycle.
    #[error(
        "essential loop detected: {} ({}); break the cycle by removing one of these essentials",
        join(cycle),
        join_paths(files)
    )]
    EssentialLoop {
        /// The slices in the cycle, sorted.
        cycle: Vec<SliceKey>,
        /// Their files.
        files: Vec<PathBuf>,
    },
    /// A selection names a package the release does not have.
    #[error(
        "slices of package {name:?} not found in the release{}",
        suggest(suggestion)
    )]
    UnknownPackage {
        /// The package asked for.
        name: String,
        /// The closest package name, if one is close.
        suggestion: Option<String>,
    },
    /// A selection names a slice its package does not define.
    #[error("slice {key} not found ({}){}", file.display(), suggest(suggestion))]
    UnknownSlice {
        /// The slice asked for.
        key: SliceKey,
        /// The package's file.
        file: PathBuf,
        /// The closest slice of that package, if one is close.
        suggestion: Option<String>,
    },
    /// Text that should be `pkg_slice` is not.
    #[error(
        "invalid slice reference {text:?}: write <package>_<slice> (package: a-z 0-9 . + -, \
         slice: a-z 0-9 -, at least 3 characters)"
    )]
    InvalidSliceKey {
        /// The text.
        text: String,
    },
    /// An architecture Chisel does not know.
    #[error("invalid package architecture {arch:?}: use one of {}", crate::release::ARCHES.join(", "))]
    InvalidArch {
        /// The architecture asked for.
        arch: String,
    },
    /// `info` was asked for packages or slices the release lacks.
    #[error("no slice definitions found for: {}", quoted(queries))]
    NotFound {
        /// The queries not found, as given.
        queries: Vec<String>,
    },
    /// Several problems at once (a whole-release check, or many files).
    #[error("{} problems:\n{}", errors.len() + omitted, listing(errors, *omitted))]
    Many {
        /// The first [`MAX_LISTED`] problems, sorted.
        errors: Vec<SliceError>,
        /// How many more were found.
        omitted: usize,
    },
}

/// Two slices' entries that cannot both be in one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The first slice (in name order).
    pub first: SliceKey,
    /// Its path (or pattern).
    pub first_path: String,
    /// Its file.
    pub file: PathBuf,
    /// The second slice.
    pub second: SliceKey,
    /// Its path (or pattern); equal to `first_path` for a shared path.
    pub second_path: String,
    /// Its file.
    pub second_file: PathBuf,
    /// Why, and what to do.
    pub reason: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "slices {} ({}) and {} ({}) conflict on {}: {}",
            self.first,
            self.file.display(),
            self.second,
            self.second_file.display(),
            conflict_paths(&self.first_path, &self.second_path),
            self.reason
        )
    }
}

impl SliceError {
    /// One error for a list of problems: the problem itself when there is
    /// one, else [`SliceError::Many`] (sorted by message, capped).
    pub(crate) fn collect(mut errors: Vec<SliceError>) -> Result<(), SliceError> {
        if errors.len() <= 1 {
            return errors.pop().map_or(Ok(()), Err);
        }
        let mut keyed: Vec<(String, SliceError)> =
            errors.into_iter().map(|e| (e.to_string(), e)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0 == b.0);
        if keyed.len() == 1 {
            return Err(keyed.remove(0).1);
        }
        let omitted = keyed.len().saturating_sub(MAX_LISTED);
        keyed.truncate(MAX_LISTED);
        Err(SliceError::Many {
            errors: keyed.into_iter().map(|(_, e)| e).collect(),
            omitted,
        })
    }

    /// The individual problems: the list of [`SliceError::Many`], else
    /// this error alone.
    pub fn problems(&self) -> Vec<&SliceError> {
        match self {
            SliceError::Many { errors, .. } => errors.iter().collect(),
            other => vec![other],
        }
    }
}

fn conflict_paths(first: &str, second: &str) -> String {
    if first == second {
        first.to_owned()
    } else {
        format!("{first} and {second}")
    }
}

fn join(keys: &[SliceKey]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn suggest(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean {s}?"),
        None => String::new(),
    }
}

fn quoted(queries: &[String]) -> String {
    queries
        .iter()
        .map(|q| format!("{q:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn listing(errors: &[SliceError], omitted: usize) -> String {
    struct Lines<'a>(&'a [SliceError], usize);
    impl fmt::Display for Lines<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for (i, e) in self.0.iter().enumerate() {
                if i > 0 {
                    writeln!(f)?;
                }
                write!(f, "  - {e}")?;
            }
            if self.1 > 0 {
                write!(f, "\n  … and {} more", self.1)?;
            }
            Ok(())
        }
    }
    Lines(errors, omitted).to_string()
}
