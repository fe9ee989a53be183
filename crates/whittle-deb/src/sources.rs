//! The host's apt sources, read the way apt (and mmdebstrap) read them.
//!
//! Files read, in apt's order: `<root>/etc/apt/sources.list`, then the files
//! of `<root>/etc/apt/sources.list.d/` sorted by name, of which only those
//! ending in `.list` (one-line format) or `.sources` (deb822 format) count;
//! anything else (`foo.list.disabled-by-farm`, `foo.save`) is skipped.
//!
//! - One-line format: `deb [opt=value ...] URI suite [component ...]`;
//!   `#` starts a comment anywhere on a line; `deb-src` lines are ignored;
//!   of the options only `signed-by` is kept.
//! - deb822 format: paragraphs with `Types` (must include `deb`), `URIs`,
//!   `Suites`, `Components`, `Signed-By` and `Enabled` (`no` skips the
//!   paragraph). A paragraph with several URIs gives one [`AptSource`] per
//!   URI. `Signed-By` is either a keyring path or an inline armored public
//!   key block.
//!
//! Keys given as fingerprints (`Signed-By: ABCD...`, which apt looks up in
//! its trusted keyrings) are not supported and are an error, so no source
//! silently loses its key.

use std::path::{Path, PathBuf};

use crate::control::{ControlError, Paragraphs};

/// Why the apt sources could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// A file or directory could not be read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A `.sources` file is not valid deb822.
    #[error("{path} is not valid deb822")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The syntax error, naming the line.
        #[source]
        source: ControlError,
    },
    /// An entry is not understood.
    #[error("{path}:{line}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

/// Where the key that signs a source's `InRelease` is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedBy {
    /// A keyring file (binary or armored), as written: a host path, not
    /// prefixed with the root passed to [`read_apt_sources`].
    Path(PathBuf),
    /// An armored public key block written inline in a `.sources` file,
    /// with deb822 continuation indentation removed and ` .` lines turned
    /// back into empty lines.
    Inline(String),
}

/// One repository (URI) apt would use for binary packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptSource {
    /// The repository URI, as written (e.g. `http://mirror.invalid/debian`).
    pub uri: String,
    /// Suites (`bookworm`, `bookworm-updates`, or a flat path ending in `/`).
    pub suites: Vec<String>,
    /// Components (`main`, ...); empty for flat repositories.
    pub components: Vec<String>,
    /// The key that signs this source, if configured.
    pub signed_by: Option<SignedBy>,
    /// The file this source was read from.
    pub origin: PathBuf,
}

/// Read the apt sources under `root` (`/` for the host).
///
/// Missing files and directories are not an error (they give no sources).
pub fn read_apt_sources(root: &Path) -> Result<Vec<AptSource>, SourcesError> {
    let mut out = Vec::new();
    let list = root.join("etc/apt/sources.list");
    if list.is_file() {
        let text = fs_err::read_to_string(&list)?;
        parse_one_line(&text, &list, &mut out)?;
    }
    let dir = root.join("etc/apt/sources.list.d");
    if dir.is_dir() {
        let mut files = Vec::new();
        for entry in fs_err::read_dir(&dir)? {
            let path = entry?.path();
            let is_list = path.extension().is_some_and(|e| e == "list");
            let is_sources = path.extension().is_some_and(|e| e == "sources");
            if (is_list || is_sources) && path.is_file() {
                files.push((path, is_sources));
            }
        }
        files.sort();
        for (path, is_sources) in files {
            let text = fs_err::read_to_string(&path)?;
            if is_sources {
                parse_deb822(&text, &path, &mut out)?;
            } else {
                parse_one_line(&text, &path, &mut out)?;
            }
        }
    }
    Ok(out)
}

/// The first source that lists `suite`.
pub fn find_suite<'a>(sources: &'a [AptSource], suite: &str) -> Option<&'a AptSource> {
    sources.iter().find(|s| s.suites.iter().any(|x| x == suite))
}

fn signed_by_value(value: &str, path: &Path, line: usize) -> Result<SignedBy, SourcesError> {
    if value.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
        let mut key = String::new();
        for l in value.lines() {
            let l = l.trim();
            if l.is_empty() && key.is_empty() {
                continue;
            }
            key.push_str(if l == "." { "" } else { l });
            key.push('\n');
        }
        return Ok(SignedBy::Inline(key));
    }
    let v = value.trim();
    if v.starts_with('/') && !v.contains(char::is_whitespace) && !v.contains(',') {
        return Ok(SignedBy::Path(PathBuf::from(v)));
    }
    Err(SourcesError::Invalid {
        path: path.to_path_buf(),
        line,
        reason: format!(
            "Signed-By {v:?} is not a single absolute keyring path or an inline key block; \
             whittle does not look up fingerprints in apt's trusted keys (point Signed-By at a keyring file)"
        ),
    })
}

fn parse_deb822(text: &str, path: &Path, out: &mut Vec<AptSource>) -> Result<(), SourcesError> {
    for p in Paragraphs::new(text) {
        let p = p.map_err(|source| SourcesError::Syntax {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |field: &str, reason: String| SourcesError::Invalid {
            path: path.to_path_buf(),
            line: p.line_of(field).unwrap_or_else(|| p.line()),
            reason,
        };
        if p.get("Enabled")
            .is_some_and(|v| v.eq_ignore_ascii_case("no"))
        {
            continue;
        }
        let types = p.get("Types").ok_or_else(|| {
            invalid(
                "Types",
                "entry has no Types field (e.g. `Types: deb`)".into(),
            )
        })?;
        if let Some(t) = types
            .split_whitespace()
            .find(|t| *t != "deb" && *t != "deb-src")
        {
            return Err(invalid(
                "Types",
                format!("unknown type {t:?}; expected deb or deb-src"),
            ));
        }
        if !types.split_whitespace().any(|t| t == "deb") {
            continue;
        }
        let words = |f: &str| -> Vec<String> {
            p.get(f)
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        let uris = words("URIs");
        if uris.is_empty() {
            return Err(invalid("URIs", "entry has no URIs".into()));
        }
        let suites = words("Suites");
        if suites.is_empty() {
            return Err(invalid("Suites", "entry has no Suites".into()));
        }
        let components = words("Components");
        let flat = suites.iter().all(|s| s.ends_with('/'));
        if !flat && components.is_empty() {
            return Err(invalid(
                "Components",
                "entry has no Components (only a suite ending in `/` may omit them)".into(),
            ));
        }
        let signed_by = p
            .get("Signed-By")
            .map(|v| signed_by_value(v, path, p.line_of("Signed-By").unwrap_or_else(|| p.line())))
            .transpose()?;
        for uri in uris {
            out.push(AptSource {
                uri,
                suites: suites.clone(),
                components: components.clone(),
                signed_by: signed_by.clone(),
                origin: path.to_path_buf(),
            });
        }
    }
    Ok(())
}

fn parse_one_line(text: &str, path: &Path, out: &mut Vec<AptSource>) -> Result<(), SourcesError> {
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let invalid = |reason: String| SourcesError::Invalid {
            path: path.to_path_buf(),
            line: line_no,
            reason,
        };
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (kind, mut rest) = line.split_once(char::is_whitespace).ok_or_else(|| {
            invalid(format!(
                "incomplete line {line:?}; expected `deb URI suite [component ...]`"
            ))
        })?;
        match kind {
            "deb" => {}
            "deb-src" => continue,
            other => {
                return Err(invalid(format!(
                    "unknown type {other:?}; expected deb or deb-src"
                )))
            }
        }
        rest = rest.trim_start();
        let mut signed_by = None;
        if let Some(r) = rest.strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| invalid("option list `[` without closing `]`".into()))?;
            for opt in r[..close].split_whitespace() {
                let Some((key, value)) = opt.split_once('=') else {
                    return Err(invalid(format!("option {opt:?} is not key=value")));
                };
                if key.eq_ignore_ascii_case("signed-by") {
                    signed_by = Some(signed_by_value(value, path, line_no)?);
                }
            }
            rest = &r[close + 1..];
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            return Err(invalid(format!(
                "incomplete line {line:?}; expected `deb URI suite [component ...]`"
            )));
        };
        let components: Vec<String> = words.map(str::to_string).collect();
        if components.is_empty() && !suite.ends_with('/') {
            return Err(invalid(
                "no components (only a suite ending in `/` may omit them)".into(),
            ));
        }
        out.push(AptSource {
            uri: uri.to_string(),
            suites: vec![suite.to_string()],
            components,
            signed_by,
            origin: path.to_path_buf(),
        });
    }
    Ok(())
}
