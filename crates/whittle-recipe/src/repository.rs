//! Repository entries, kept world-neutral: the recipe crate reads where an
//! entry was written and its fields; the package world named by its
//! `type:` (or the world that reads apko's plain URL strings) parses them
//! with [`RepositorySpec::fields`] and reports mistakes through
//! [`RepositorySpec::error`], which point at the entry's file and line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{self, ErrorKind, RecipeError};

/// What a repository is used for (apko's three lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RepositoryRole {
    /// `contents.repositories`: resolve and fetch from it, and record it in
    /// the image where the world keeps such a list.
    Resolve,
    /// `contents.build_repositories`: resolve and fetch, never recorded in
    /// the image.
    BuildOnly,
    /// `contents.runtime_repositories`: recorded in the image, never read
    /// on the build host.
    RuntimeOnly,
}

/// Where something in a plan came from, for error messages.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Written in a recipe file.
    Recipe {
        /// The recipe file (an included one when it came from there).
        file: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// The file's text, for snippets.
        text: Arc<str>,
    },
    /// Given on the command line (the flag's name), for the recipe `file`.
    CommandLine {
        /// The flag, e.g. `--repository-append`.
        flag: String,
        /// The recipe being built.
        file: PathBuf,
    },
}

impl std::fmt::Debug for Origin {
    /// Without the file's text, which only snippets need.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Recipe {
                file, line, column, ..
            } => f
                .debug_struct("Recipe")
                .field("file", file)
                .field("line", line)
                .field("column", column)
                .finish_non_exhaustive(),
            Origin::CommandLine { flag, file } => f
                .debug_struct("CommandLine")
                .field("flag", flag)
                .field("file", file)
                .finish(),
        }
    }
}

impl Origin {
    /// The 1-based line it was written on, when it was in a recipe file.
    pub fn line(&self) -> Option<usize> {
        match self {
            Origin::Recipe { line, .. } => *line,
            Origin::CommandLine { .. } => None,
        }
    }

    /// `python.yaml line 4` or `--repository-append`.
    pub fn describe(&self) -> String {
        match self {
            Origin::Recipe {
                file,
                line: Some(line),
                ..
            } => format!("{} line {line}", file.display()),
            Origin::Recipe { file, .. } => file.display().to_string(),
            Origin::CommandLine { flag, .. } => flag.clone(),
        }
    }

    /// An error located here.
    pub fn error(&self, kind: ErrorKind, message: impl Into<String>) -> RecipeError {
        match self {
            Origin::Recipe {
                file,
                line,
                column,
                text,
            } => RecipeError::new(kind, file, message)
                .at(*line, *column)
                .with_source_text(Arc::clone(text)),
            Origin::CommandLine { flag, file } => {
                RecipeError::new(kind, file, format!("{flag}: {}", message.into()))
            }
        }
    }
}

/// One repository entry of a recipe, as written (with `${VAR}` expanded).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepositorySpec {
    /// The `type:` of a map entry; `None` for a plain string entry (apko's
    /// `- https://…` or `- @tag https://…`).
    pub kind: Option<String>,
    /// The entry's content.
    pub body: RepositoryBody,
    /// Which of apko's lists it is in.
    pub role: RepositoryRole,
    /// Where it was written.
    pub origin: Origin,
    /// The directory relative paths in it are resolved against (the
    /// recipe file's; `None` for the command line: the working directory).
    pub base: Option<PathBuf>,
}

/// The content of a [`RepositorySpec`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RepositoryBody {
    /// A plain string entry, trimmed.
    Plain(String),
    /// The keys of a map entry other than `type`.
    Map(serde_yaml_ng::Mapping),
}

impl Serialize for RepositorySpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("RepositorySpec", 3)?;
        st.serialize_field("type", &self.kind)?;
        match &self.body {
            RepositoryBody::Plain(text) => st.serialize_field("text", text)?,
            RepositoryBody::Map(map) => st.serialize_field("fields", map)?,
        }
        st.serialize_field("role", &self.role)?;
        st.end()
    }
}

impl RepositorySpec {
    /// The plain string, for a plain entry.
    pub fn text(&self) -> Option<&str> {
        match &self.body {
            RepositoryBody::Plain(t) => Some(t),
            RepositoryBody::Map(_) => None,
        }
    }

    /// The map entry's fields as the world's own struct `T` (which should
    /// deny unknown fields). A mistake is an error at the entry naming the
    /// key, e.g. ``unknown key `suits` in a `deb` repository``.
    pub fn fields<T: DeserializeOwned>(&self) -> Result<T, RecipeError> {
        let map = match &self.body {
            RepositoryBody::Map(map) => map.clone(),
            RepositoryBody::Plain(text) => {
                return Err(self.error(format!(
                    "`{text}` is a plain repository string, but this package world takes a map"
                )))
            }
        };
        serde_yaml_ng::from_value(serde_yaml_ng::Value::Mapping(map)).map_err(|e| {
            let what = match &self.kind {
                Some(kind) => format!("a `{kind}` repository"),
                None => "a repository".to_string(),
            };
            error::from_value(&e, &self.origin, &what)
        })
    }

    /// An [`ErrorKind::Invalid`] error at this entry, keyed `repositories`.
    pub fn error(&self, message: impl Into<String>) -> RecipeError {
        self.origin
            .error(ErrorKind::Invalid, message)
            .with_key("repositories")
    }

    /// A keyring or repository location from this entry: URLs
    /// (`scheme://`) and absolute paths as they are; a relative path joined
    /// to [`base`](Self::base) with `.` components dropped (kept as given
    /// when there is no base).
    pub fn local(&self, value: &str) -> String {
        local_path(self.base.as_deref(), value)
    }
}

/// See [`RepositorySpec::local`].
pub(crate) fn local_path(base: Option<&Path>, value: &str) -> String {
    let Some(base) = base.filter(|b| !b.as_os_str().is_empty()) else {
        return value.to_string();
    };
    if value.contains("://") || value.starts_with('/') {
        return value.to_string();
    }
    let joined: PathBuf = base.join(value).components().collect();
    joined.to_string_lossy().into_owned()
}
