//! [`RecipeError`]: every way a recipe can be wrong, with enough context
//! (file, line, column, offending key, source text) for a caller to render a
//! snippet, e.g. with `miette`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::repository::Origin;

/// What went wrong, for callers that want to branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The recipe (or an included recipe) could not be read.
    Io,
    /// The text is not valid YAML.
    Syntax,
    /// A key the recipe format does not know (often a typo).
    UnknownKey,
    /// A required key is missing.
    MissingKey,
    /// A value has the wrong YAML type (a list where a string was expected, ...).
    InvalidType,
    /// A `${VAR}` names a variable that is not set.
    UndefinedVariable,
    /// The YAML is well-formed but the recipe is not valid (bad package spec,
    /// relative path, unknown arch, duplicate user, ...).
    Invalid,
    /// `include:` could not be resolved (cycle, too deep, ...).
    Include,
    /// A key apko documents that whittle does not support (`os-release`,
    /// `certificates`, `entrypoint.type: service-bundle`, ...): an error
    /// rather than silently building a different image.
    Unsupported,
}

/// An error in a recipe file.
///
/// `Display` gives a one-line message naming the file, line and column, and
/// a hint on what to do, for example:
///
/// ```text
/// unknown key `pacakges` at contents (python.yaml line 7, column 3); known keys: repositories, keyring, packages, exclude
/// ```
///
/// The parts are also available separately ([`file`](Self::file),
/// [`line`](Self::line), [`column`](Self::column), [`key`](Self::key),
/// [`hint`](Self::hint), [`source_text`](Self::source_text),
/// [`span`](Self::span)) so that a CLI can render a snippet.
#[derive(Debug)]
pub struct RecipeError {
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    file: PathBuf,
    line: Option<usize>,
    column: Option<usize>,
    key: Option<String>,
    message: String,
    hint: Option<String>,
    source_text: Option<Arc<str>>,
    cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl RecipeError {
    pub(crate) fn new(kind: ErrorKind, file: &Path, message: impl Into<String>) -> Self {
        RecipeError {
            inner: Box::new(Inner {
                kind,
                file: file.to_path_buf(),
                line: None,
                column: None,
                key: None,
                message: message.into(),
                hint: None,
                source_text: None,
                cause: None,
            }),
        }
    }

    pub(crate) fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.inner.line = line;
        self.inner.column = if line.is_some() { column } else { None };
        self
    }

    /// Name the recipe key the error is about.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.inner.key = Some(key.into());
        self
    }

    /// Add advice on what to do.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.inner.hint = Some(hint.into());
        self
    }

    pub(crate) fn with_source_text(mut self, text: Arc<str>) -> Self {
        self.inner.source_text = Some(text);
        self
    }

    /// Attach the underlying cause (returned by `Error::source`).
    pub fn with_cause(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.cause = Some(Box::new(cause));
        self
    }

    /// An error in `file` not tied to one line (e.g. something the recipe
    /// lacks), for callers outside this crate.
    pub fn new_at(kind: ErrorKind, file: &Path, message: impl Into<String>) -> Self {
        RecipeError::new(kind, file, message)
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The recipe file the error is in (an included file when the error is
    /// in one).
    pub fn file(&self) -> &Path {
        &self.inner.file
    }

    /// 1-based line of the error, when known.
    pub fn line(&self) -> Option<usize> {
        self.inner.line
    }

    /// 1-based column (in characters) of the error, when known.
    pub fn column(&self) -> Option<usize> {
        self.inner.column
    }

    /// The recipe key the error is about (e.g. `pacakges`, `run-as`), when known.
    pub fn key(&self) -> Option<&str> {
        self.inner.key.as_deref()
    }

    /// The message without location or hint.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// What to do about it, when there is advice to give.
    pub fn hint(&self) -> Option<&str> {
        self.inner.hint.as_deref()
    }

    /// The full text of [`file`](Self::file), for rendering a snippet.
    pub fn source_text(&self) -> Option<&str> {
        self.inner.source_text.as_deref()
    }

    /// Byte offset and length into [`source_text`](Self::source_text) of the
    /// thing the error points at (a miette `SourceSpan`). The length covers the
    /// offending key when it sits at the reported position, else the token there.
    pub fn span(&self) -> Option<(usize, usize)> {
        let text = self.inner.source_text.as_deref()?;
        let line = self.inner.line?;
        let column = self.inner.column.unwrap_or(1);
        let line_start = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum::<usize>();
        let line_text = text.get(line_start..)?.lines().next().unwrap_or("");
        let col_bytes = line_text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_text.len(), |(i, _)| i);
        let rest = &line_text[col_bytes..];
        let len = match &self.inner.key {
            Some(key) if rest.starts_with(key.as_str()) => key.len(),
            _ => rest
                .find(|c: char| c.is_whitespace() || ",:]}".contains(c))
                .unwrap_or(rest.len()),
        };
        Some((
            line_start + col_bytes,
            len.max(usize::from(!rest.is_empty())),
        ))
    }
}

impl fmt::Display for RecipeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.inner.message, self.inner.file.display())?;
        if let Some(line) = self.inner.line {
            write!(f, " line {line}")?;
            if let Some(column) = self.inner.column {
                write!(f, ", column {column}")?;
            }
        }
        f.write_str(")")?;
        if let Some(hint) = &self.inner.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RecipeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .cause
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Turn a serde_yaml_ng error into a [`RecipeError`] that names the key and
/// says what to do.
pub(crate) fn from_yaml(err: &serde_yaml_ng::Error, file: &Path, text: &Arc<str>) -> RecipeError {
    let location = err.location();
    let (line, column) = match &location {
        Some(loc) => (Some(loc.line()), Some(loc.column())),
        None => (None, None),
    };
    let mut full = err.to_string();
    // serde_yaml_ng appends " at line L column C" (and sometimes more context
    // after it); we print our own location.
    if let Some(loc) = &location {
        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
        if let Some(pos) = full.find(&suffix) {
            let tail = full[pos + suffix.len()..].to_string();
            full.truncate(pos);
            full.push_str(&tail);
        }
    }
    let (path, msg) = split_path(&full);
    let at = |path: &str| {
        if path.is_empty() {
            "the top level".to_string()
        } else {
            path.to_string()
        }
    };
    let base = |kind: ErrorKind, message: String| {
        RecipeError::new(kind, file, message)
            .at(line, column)
            .with_source_text(Arc::clone(text))
    };

    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (key, expected) = rest.split_once('`').unwrap_or((rest, ""));
        if let Some((message, hint)) = unsupported(path, key) {
            return base(ErrorKind::Unsupported, message.to_string())
                .with_key(key)
                .with_hint(hint);
        }
        let known = backticked(expected);
        let mut hint = if known.is_empty() {
            format!("`{}` takes no keys here", at(path))
        } else {
            format!("known keys: {}", known.join(", "))
        };
        if let Some(best) = closest(key, &known) {
            hint = format!("did you mean `{best}`? {hint}");
        }
        return base(
            ErrorKind::UnknownKey,
            format!("unknown key `{key}` at {}", at(path)),
        )
        .with_key(key)
        .with_hint(hint);
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        return base(
            ErrorKind::MissingKey,
            format!("missing key `{key}` at {}", at(path)),
        )
        .with_key(key)
        .with_hint(format!("add `{key}: ...` there"));
    }
    if msg.starts_with("invalid type") || msg.starts_with("invalid value") {
        let key = last_key(path);
        let mut e = base(
            ErrorKind::InvalidType,
            format!("{} for `{}`", msg.trim(), at(path)),
        )
        .with_hint("see the recipe format: fix the value's type (quote it to make it a string)");
        if let Some(key) = key {
            e = e.with_key(key);
        }
        return e;
    }
    if path.is_empty() && !is_serde_message(msg) {
        // A libyaml syntax error.
        let line_text = line
            .and_then(|l| text.lines().nth(l.saturating_sub(1)))
            .unwrap_or("");
        let hint = if line_text.contains("${") {
            "quote values that contain ${VAR} (`{` starts a YAML map inside [...] and {...})"
        } else {
            "check indentation, quoting and brackets around this position"
        };
        let msg = msg.trim().replace(" at line ", " that starts at line ");
        return base(ErrorKind::Syntax, format!("invalid YAML: {msg}")).with_hint(hint);
    }
    let mut e = base(
        ErrorKind::Invalid,
        format!("{} at {}", msg.trim(), at(path)),
    );
    if let Some(key) = last_key(path) {
        e = e
            .with_hint(format!("fix the value of `{key}`"))
            .with_key(key);
    }
    e
}

/// Turn the error of deserializing one repository map (no location of its
/// own) into a [`RecipeError`] at `origin`, on the offending key's line when
/// it can be found below the entry. `what` names the entry (``a `deb`
/// repository``).
pub(crate) fn from_value(err: &serde_yaml_ng::Error, origin: &Origin, what: &str) -> RecipeError {
    let full = err.to_string();
    let (path, msg) = split_path(&full);
    let (kind, key, message, hint) = if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (key, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let known = backticked(expected);
        let mut hint = format!("known keys: {}", known.join(", "));
        if let Some(best) = closest(key, &known) {
            hint = format!("did you mean `{best}`? {hint}");
        }
        (
            ErrorKind::UnknownKey,
            Some(key.to_string()),
            format!("unknown key `{key}` in {what}"),
            hint,
        )
    } else if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest).to_string();
        let hint = format!("add `{key}: ...` to it");
        (
            ErrorKind::MissingKey,
            Some(key.clone()),
            format!("missing key `{key}` in {what}"),
            hint,
        )
    } else {
        let key = last_key(path);
        let at = key
            .as_deref()
            .map_or_else(String::new, |k| format!(" (`{k}`)"));
        (
            ErrorKind::InvalidType,
            key,
            format!("{}{at} in {what}", msg.trim()),
            "fix the value's type (quote it to make it a string)".to_string(),
        )
    };
    let mut e = origin.error(kind, message).with_hint(hint);
    if let Some(key) = key {
        if let Origin::Recipe {
            file,
            line: Some(line),
            text,
            ..
        } = origin
        {
            if let Some((l, c)) = key_below(text, *line, &key) {
                e = RecipeError::new(kind, file, e.message().to_string())
                    .at(Some(l), Some(c))
                    .with_source_text(Arc::clone(text))
                    .with_hint(e.hint().unwrap_or_default().to_string());
            }
        }
        e = e.with_key(key);
    }
    e
}

/// Where `key:` is written at or below `line` (within a few lines), 1-based.
fn key_below(text: &str, line: usize, key: &str) -> Option<(usize, usize)> {
    let pattern = format!("{key}:");
    text.lines()
        .enumerate()
        .skip(line.saturating_sub(1))
        .take(40)
        .find_map(|(i, l)| {
            let at = l.find(&pattern)?;
            let before = l[..at].chars().last();
            let starts_word = before.is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '_'));
            starts_word.then(|| (i + 1, l[..at].chars().count() + 1))
        })
}

/// apko keys that whittle knows about but does not support, by the path of
/// the map they are in (`""` is the top level): an unknown-key error for one
/// of them says so plainly instead of suggesting a typo.
const UNSUPPORTED: &[(&str, &str, &str, &str)] = &[
    (
        "",
        "os-release",
        "`os-release` is not supported: install a package that ships /etc/os-release \
         (e.g. wolfi-baselayout, alpine-release, base-files)",
        "remove the `os-release` block; apko stopped generating the file in 2024 too",
    ),
    (
        "",
        "certificates",
        "`certificates` (extra CA certificates) is not supported",
        "install the certificates from a package and remove `certificates`",
    ),
    (
        "",
        "options",
        "`options` was removed from apko and is not supported",
        "remove the `options` block",
    ),
    (
        "contents",
        "baseimage",
        "`contents.baseimage` (apko's experimental base image) is not supported",
        "list the base image's packages under contents.packages instead",
    ),
    (
        "contents",
        "runtime_keyring",
        "`contents.runtime_keyring` is not supported",
        "list the key under contents.keyring (it is then also used at build time), \
         or install it from a package",
    ),
    (
        "entrypoint",
        "type",
        "`entrypoint.type` (apko's s6 service-bundle) is not supported",
        "use `entrypoint: {command: ...}` to start your own supervisor",
    ),
    (
        "entrypoint",
        "services",
        "`entrypoint.services` (apko's s6 service-bundle) is not supported",
        "use `entrypoint: {command: ...}` to start your own supervisor",
    ),
];

fn unsupported(path: &str, key: &str) -> Option<(&'static str, &'static str)> {
    UNSUPPORTED
        .iter()
        .find(|(at, k, _, _)| *at == path && *k == key)
        .map(|(_, _, message, hint)| (*message, *hint))
}

fn is_serde_message(msg: &str) -> bool {
    msg.contains('`')
        || msg.starts_with("unknown variant")
        || msg.starts_with("invalid length")
        || msg.starts_with("duplicate")
}

/// Split serde_yaml_ng's "path.to[0].key: message" into its parts.
fn split_path(full: &str) -> (&str, &str) {
    // A path has no spaces; the message always has.
    if let Some((head, tail)) = full.split_once(": ") {
        let looks_like_path = !head.is_empty()
            && head
                .chars()
                .all(|c| c.is_alphanumeric() || "-_.[]?".contains(c));
        if looks_like_path {
            return (head, tail);
        }
    }
    ("", full)
}

/// `contents.packages[3]` → `packages`.
fn last_key(path: &str) -> Option<String> {
    let trimmed = path.trim_end_matches(|c: char| c == ']' || c.is_ascii_digit() || c == '[');
    let key = trimmed.rsplit('.').next()?;
    (!key.is_empty()).then(|| key.to_string())
}

/// All `quoted` words of a serde "expected one of `a`, `b`" tail.
fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The candidate closest to `word` by edit distance, if it is close enough to
/// be a plausible typo.
pub(crate) fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("pacakges", "packages"), 2);
        let known = vec!["packages".to_string(), "exclude".to_string()];
        assert_eq!(closest("pacakges", &known), Some("packages"));
        assert_eq!(closest("zzz", &known), None);
    }

    #[test]
    fn path_split() {
        assert_eq!(
            split_path("contents.packages: invalid type: map"),
            ("contents.packages", "invalid type: map")
        );
        assert_eq!(
            split_path("did not find expected key"),
            ("", "did not find expected key")
        );
        assert_eq!(
            last_key("contents.repositories[1]"),
            Some("repositories".into())
        );
        assert_eq!(last_key("work-dir"), Some("work-dir".into()));
    }

    #[test]
    fn span_covers_key() {
        let text: Arc<str> = Arc::from("a: 1\n  pacakges: [x]\n");
        let e = RecipeError::new(ErrorKind::UnknownKey, Path::new("r.yaml"), "m")
            .at(Some(2), Some(3))
            .with_key("pacakges")
            .with_source_text(text);
        assert_eq!(e.span(), Some((7, 8)));
    }
}
