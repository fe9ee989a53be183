//! `paths:`: filesystem changes applied after the packages are installed;
//! `alternatives:`: the providers the recipe picks.

use serde::Serialize;

use crate::convert::Cx;
use crate::error::{ErrorKind, RecipeError};
use crate::raw::RawPath;

/// One entry of `paths:`: a change to the filesystem of the image.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum PathMutation {
    /// `type: directory`: create a directory (and its parents).
    Directory {
        /// Absolute path.
        path: String,
        /// Owner (default 0).
        uid: u32,
        /// Group (default 0).
        gid: u32,
        /// Mode bits (default 0o755).
        permissions: u32,
        /// Apply owner and mode to everything below too.
        recursive: bool,
    },
    /// `type: empty-file`: create an empty file.
    EmptyFile {
        /// Absolute path.
        path: String,
        /// Owner (default 0).
        uid: u32,
        /// Group (default 0).
        gid: u32,
        /// Mode bits (default 0o644).
        permissions: u32,
    },
    /// `type: file`: create a file holding `content`, replacing a file
    /// already there (a directory there is an error).
    File {
        /// Absolute path.
        path: String,
        /// What it holds, as written in the recipe (no `${VAR}` expansion:
        /// configuration files have their own `$` syntax).
        content: String,
        /// Owner (default 0).
        uid: u32,
        /// Group (default 0).
        gid: u32,
        /// Mode bits (default 0o644).
        permissions: u32,
    },
    /// `type: symlink`: `path` → `source`.
    Symlink {
        /// Absolute path of the link.
        path: String,
        /// Link target (may be relative).
        source: String,
        /// Owner (default 0).
        uid: u32,
        /// Group (default 0).
        gid: u32,
    },
    /// `type: hardlink`: `path` becomes another name of `source`.
    Hardlink {
        /// Absolute path of the new name.
        path: String,
        /// Absolute path of the existing file.
        source: String,
    },
    /// `type: permissions`: change mode (and optionally owner) of an
    /// existing path.
    Permissions {
        /// Absolute path.
        path: String,
        /// Mode bits.
        permissions: u32,
        /// New owner, if given.
        uid: Option<u32>,
        /// New group, if given.
        gid: Option<u32>,
        /// Apply to everything below too.
        recursive: bool,
    },
}

impl PathMutation {
    /// The path this mutation changes.
    pub fn path(&self) -> &str {
        match self {
            PathMutation::Directory { path, .. }
            | PathMutation::EmptyFile { path, .. }
            | PathMutation::File { path, .. }
            | PathMutation::Symlink { path, .. }
            | PathMutation::Hardlink { path, .. }
            | PathMutation::Permissions { path, .. } => path,
        }
    }
}

const PATH_TYPES: &str = "directory, empty-file, file, symlink, hardlink, permissions";

pub(crate) fn convert_path(
    r: RawPath,
    at: Option<usize>,
    cx: &Cx<'_>,
) -> Result<PathMutation, RecipeError> {
    let path = cx.expand(&r.path)?;
    cx.absolute(&path, at, "path")?;
    let source = cx.expand_opt(r.source)?;
    let bad = |msg: String, key: &str, hint: &str| {
        cx.err(ErrorKind::Invalid, at, msg)
            .with_key(key.to_string())
            .with_hint(hint.to_string())
    };
    // Keys that make no sense for a type are errors, not silently ignored.
    let allowed: &[&str] = match r.kind.as_str() {
        "directory" => &["uid", "gid", "permissions", "recursive"],
        "empty-file" => &["uid", "gid", "permissions"],
        "file" => &["uid", "gid", "permissions", "content"],
        "symlink" => &["uid", "gid", "source"],
        "hardlink" => &["source"],
        "permissions" => &["uid", "gid", "permissions", "recursive"],
        other => {
            return Err(bad(
                format!("unknown path type `{other}` for `{path}`"),
                "type",
                &format!("known path types: {PATH_TYPES}"),
            ))
        }
    };
    let present = [
        ("uid", r.uid.is_some()),
        ("gid", r.gid.is_some()),
        ("permissions", r.permissions.is_some()),
        ("source", source.is_some()),
        ("recursive", r.recursive.is_some()),
        ("content", r.content.is_some()),
    ];
    if let Some((key, _)) = present
        .iter()
        .find(|(key, set)| *set && !allowed.contains(key))
    {
        return Err(bad(
            format!(
                "`{key}` does not apply to a path of type `{}` (`{path}`)",
                r.kind
            ),
            key,
            &format!("a `{}` takes: path, type, {}", r.kind, allowed.join(", ")),
        ));
    }
    let need_source = |source: Option<String>| {
        source.ok_or_else(|| {
            bad(
                format!("`{}` path `{path}` has no `source`", r.kind),
                "source",
                "add `source: /path/it/points/to`",
            )
        })
    };
    let mode = r.permissions.map(|m| m.0);
    Ok(match r.kind.as_str() {
        "directory" => PathMutation::Directory {
            path,
            uid: r.uid.unwrap_or(0),
            gid: r.gid.unwrap_or(0),
            permissions: mode.unwrap_or(0o755),
            recursive: r.recursive.unwrap_or(false),
        },
        "empty-file" => PathMutation::EmptyFile {
            path,
            uid: r.uid.unwrap_or(0),
            gid: r.gid.unwrap_or(0),
            permissions: mode.unwrap_or(0o644),
        },
        "file" => PathMutation::File {
            content: r.content.ok_or_else(|| {
                bad(
                    format!("`file` path `{path}` has no `content`"),
                    "content",
                    "add `content: |` followed by the file's lines, or use `type: empty-file`",
                )
            })?,
            path,
            uid: r.uid.unwrap_or(0),
            gid: r.gid.unwrap_or(0),
            permissions: mode.unwrap_or(0o644),
        },
        "symlink" => PathMutation::Symlink {
            source: need_source(source)?,
            path,
            uid: r.uid.unwrap_or(0),
            gid: r.gid.unwrap_or(0),
        },
        "hardlink" => {
            let source = need_source(source)?;
            cx.absolute(&source, at, "source")?;
            PathMutation::Hardlink { path, source }
        }
        _ => PathMutation::Permissions {
            permissions: mode.ok_or_else(|| {
                bad(
                    format!("`permissions` path `{path}` has no `permissions`"),
                    "permissions",
                    "add e.g. `permissions: 0o755`",
                )
            })?,
            path,
            uid: r.uid,
            gid: r.gid,
            recursive: r.recursive.unwrap_or(false),
        },
    })
}

/// One entry of `alternatives:` (name → provider), `${VAR}`-expanded and
/// checked: the name is one `update-alternatives` accepts, the provider an
/// absolute path.
pub(crate) fn convert_alternative(
    name: &str,
    provider: &str,
    cx: &Cx<'_>,
) -> Result<(String, String), RecipeError> {
    let at = cx
        .key_at(&["alternatives", name])
        .or_else(|| cx.key_at(&["alternatives"]));
    let name_ok = !name.is_empty() && !name.contains(|c: char| c == '/' || c.is_whitespace());
    if !name_ok {
        return Err(cx
            .err(
                ErrorKind::Invalid,
                at,
                format!("`{name}` is not an alternative's name"),
            )
            .with_key("alternatives")
            .with_hint(
                "use the name update-alternatives registers it under (`java`, `editor`), not its link path",
            ));
    }
    let provider = cx.expand(provider)?;
    if !provider.starts_with('/') {
        return Err(cx
            .err(
                ErrorKind::Invalid,
                at,
                format!("the provider `{provider}` of alternative `{name}` is not an absolute path"),
            )
            .with_key(name.to_string())
            .with_hint(format!(
                "give the provider's full path in the image, e.g. `{name}: /usr/lib/jvm/java-17-openjdk-amd64/bin/{name}`"
            )));
    }
    Ok((name.to_string(), provider))
}
