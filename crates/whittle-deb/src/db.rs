//! The dpkg database of an image: `var/lib/dpkg/status` and the per-package
//! `info/` files that dpkg-query, Syft and Trivy read. The layout is dpkg's
//! own (`dpkg(1)` FILES, `deb-status(5)`); field order follows dpkg's
//! `fieldinfos` table in `lib/dpkg/parse.c`, which dpkg uses when it writes
//! the status file.

use std::collections::{BTreeMap, BTreeSet};

use md5::{Digest, Md5};
use whittle_rootfs::{Content, FsError, Node, NodeKind, RootFs};

use crate::unpack::DebContents;

/// One installed package as the dpkg database records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledDeb {
    /// The package name (`Package:`).
    pub name: String,
    /// The package architecture (`Architecture:`), `all` included.
    pub arch: String,
    /// The `.deb`'s control paragraph, verbatim.
    pub control: String,
    /// Absolute paths of everything the package shipped, directories
    /// included, in archive order and starting with `/.`, as dpkg lists them.
    pub files: Vec<String>,
    /// The `.deb`'s `md5sums` file, if it had one.
    pub md5sums: Option<String>,
    /// The `.deb`'s `conffiles` file, if it had one.
    pub conffiles: Option<String>,
}

impl InstalledDeb {
    /// The database record for an unpacked `.deb`. `origin` names it in errors.
    pub fn from_deb(deb: &DebContents, origin: &str) -> Result<InstalledDeb, DbError> {
        let stanza = Stanza::parse(&deb.control, origin)?;
        let name = stanza.value("Package").unwrap_or_default().to_string();
        let arch = stanza.value("Architecture").unwrap_or_default().to_string();
        let mut files = Vec::with_capacity(deb.entries.len() + 1);
        files.push("/.".to_string());
        files.extend(deb.entries.iter().map(|e| format!("/{}", e.path)));
        Ok(InstalledDeb {
            name,
            arch,
            control: deb.control.clone(),
            files,
            md5sums: deb.md5sums.clone(),
            conffiles: deb.conffiles.clone(),
        })
    }

    /// The name dpkg files this package's info under: `name:arch` for
    /// `Multi-Arch: same` packages, plain `name` otherwise.
    fn info_name(&self, stanza: &Stanza<'_>) -> String {
        match stanza.value("Multi-Arch") {
            Some(ma) if ma.eq_ignore_ascii_case("same") => format!("{}:{}", self.name, self.arch),
            _ => self.name.clone(),
        }
    }
}

/// The dpkg database could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A control paragraph is not usable.
    #[error("{package}: the control file {problem}; the .deb is malformed")]
    BadControl {
        /// The package (or where it came from).
        package: String,
        /// What is wrong.
        problem: String,
    },
    /// The same package (name and architecture) is listed twice.
    #[error("package {0} is installed twice; give each package once")]
    Duplicate(String),
    /// A database file could not be placed in the tree.
    #[error("cannot write the dpkg database")]
    Fs(#[from] FsError),
}

/// The fields dpkg knows, in the order it writes them (`fieldinfos` in
/// dpkg's `lib/dpkg/parse.c`). Other fields follow, in their original order.
const DPKG_FIELD_ORDER: &[&str] = &[
    "Package",
    "Essential",
    "Protected",
    "Status",
    "Priority",
    "Section",
    "Installed-Size",
    "Origin",
    "Maintainer",
    "Bugs",
    "Architecture",
    "Multi-Arch",
    "Source",
    "Version",
    "Config-Version",
    "Replaces",
    "Provides",
    "Depends",
    "Pre-Depends",
    "Recommends",
    "Suggests",
    "Breaks",
    "Conflicts",
    "Enhances",
    "Conffiles",
    "Filename",
    "Size",
    "MD5sum",
    "MSDOS-Filename",
    "Description",
    "Triggers-Pending",
    "Triggers-Awaited",
];

/// A control paragraph split into fields, each kept as its exact text.
struct Stanza<'a> {
    /// (name, full text of the field including continuation lines and final newline)
    fields: Vec<(&'a str, String)>,
}

impl<'a> Stanza<'a> {
    fn parse(text: &'a str, package: &str) -> Result<Stanza<'a>, DbError> {
        let bad = |problem: String| DbError::BadControl {
            package: package.to_string(),
            problem,
        };
        let mut fields: Vec<(&'a str, String)> = Vec::new();
        let mut ended = false;
        for line in text.lines() {
            if line.trim().is_empty() {
                ended = true;
                continue;
            }
            if ended {
                return Err(bad("holds more than one paragraph".to_string()));
            }
            if line.starts_with('#') {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                let Some((_, body)) = fields.last_mut() else {
                    return Err(bad("starts with a continuation line".to_string()));
                };
                body.push_str(line.trim_end());
                body.push('\n');
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(bad(format!("has a line without a field name: {line:?}")));
            };
            if name.is_empty() || name.contains([' ', '\t']) {
                return Err(bad(format!("has a bad field name in {line:?}")));
            }
            let value = value.trim();
            fields.push((
                name,
                if value.is_empty() {
                    format!("{name}:\n")
                } else {
                    format!("{name}: {value}\n")
                },
            ));
        }
        let stanza = Stanza { fields };
        for required in ["Package", "Architecture", "Version"] {
            if stanza.value(required).is_none_or(str::is_empty) {
                return Err(bad(format!("has no {required} field")));
            }
        }
        Ok(stanza)
    }

    /// The single-line value of a field.
    fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, body)| {
                body.split_once(':')
                    .map_or("", |(_, v)| v)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
            })
    }

    /// The stanza in dpkg's status order, with `Status` and `Conffiles` set.
    fn status_text(&self, conffiles: Option<&str>) -> String {
        let mut extra: Vec<(&str, String)> =
            vec![("Status", "Status: install ok installed\n".to_string())];
        if let Some(c) = conffiles {
            extra.push(("Conffiles", c.to_string()));
        }
        let replaced =
            |n: &str| n.eq_ignore_ascii_case("Status") || n.eq_ignore_ascii_case("Conffiles");
        let mut out = String::new();
        for known in DPKG_FIELD_ORDER {
            for (n, body) in extra
                .iter()
                .chain(self.fields.iter().filter(|(n, _)| !replaced(n)))
            {
                if n.eq_ignore_ascii_case(known) {
                    out.push_str(body);
                }
            }
        }
        for (n, body) in &self.fields {
            if !DPKG_FIELD_ORDER.iter().any(|k| k.eq_ignore_ascii_case(n)) {
                out.push_str(body);
            }
        }
        out
    }
}

/// Write the dpkg database for `pkgs` into `fs`: `var/lib/dpkg/status`
/// (every package `install ok installed`, sorted by name then architecture)
/// and, under `var/lib/dpkg/info/`, each package's `.list`, `.md5sums` and
/// `.conffiles`, plus `info/format` (the database layout version, `1`). Info files are named `name:arch.*` for `Multi-Arch: same`
/// packages and `name.*` otherwise, as dpkg names them.
///
/// Control fields keep their text but are put in dpkg's order. When a
/// package has no `md5sums`, one is computed from the regular files of its
/// file list as they are in the tree. The `Conffiles` field gets each
/// conffile's md5 as found in the tree (`newconffile`, dpkg's marker for a
/// conffile not yet recorded, when the tree lacks the file).
/// Files are 0644 and directories 0755, root-owned, with time `mtime`.
pub fn write_dpkg_db(fs: &mut RootFs, pkgs: &[InstalledDeb], mtime: i64) -> Result<(), DbError> {
    let mut sorted: BTreeMap<(&str, &str), &InstalledDeb> = BTreeMap::new();
    for p in pkgs {
        if sorted
            .insert((p.name.as_str(), p.arch.as_str()), p)
            .is_some()
        {
            return Err(DbError::Duplicate(format!("{}:{}", p.name, p.arch)));
        }
    }
    for dir in ["var", "var/lib", "var/lib/dpkg", "var/lib/dpkg/info"] {
        if !fs.lookup(dir).is_some_and(Node::is_dir) {
            fs.insert(dir, Node::dir(0o755).at(mtime))?;
        }
    }
    let file = |text: String| Node::file(text.into_bytes(), 0o644).at(mtime);
    let mut status = String::new();
    for p in sorted.values() {
        let stanza = Stanza::parse(&p.control, &p.name)?;
        if stanza.value("Package") != Some(p.name.as_str()) {
            return Err(DbError::BadControl {
                package: p.name.clone(),
                problem: format!(
                    "names package {:?}",
                    stanza.value("Package").unwrap_or_default()
                ),
            });
        }
        let listed: BTreeSet<&str> = p.files.iter().map(|f| f.trim_start_matches('/')).collect();
        let conffiles_listed = p
            .conffiles
            .as_deref()
            .map(|c| keep_listed(c, &listed, false));
        let conffiles = conffiles_listed
            .as_deref()
            .map(|c| conffiles_field(fs, c))
            .filter(|f| !f.is_empty());
        status.push_str(&stanza.status_text(conffiles.as_deref()));
        status.push('\n');

        let info = format!("var/lib/dpkg/info/{}", p.info_name(&stanza));
        let mut list = String::new();
        for f in &p.files {
            list.push_str(f);
            list.push('\n');
        }
        fs.insert(&format!("{info}.list"), file(list))?;
        // A trimmed or cut package lists only what went in: the package's
        // own md5sums and conffiles are narrowed to the file list.
        let md5sums = match &p.md5sums {
            Some(m) => keep_listed(m, &listed, true),
            None => compute_md5sums(fs, &p.files),
        };
        if !md5sums.is_empty() {
            fs.insert(&format!("{info}.md5sums"), file(md5sums))?;
        }
        if let Some(c) = conffiles_listed.as_deref().filter(|c| !c.is_empty()) {
            fs.insert(&format!("{info}.conffiles"), file(c.to_string()))?;
        }
    }
    // The database layout version: "1" means multiarch info file names
    // (`name:arch.list`); without it dpkg expects the pre-multiarch names.
    fs.insert("var/lib/dpkg/info/format", file("1\n".to_string()))?;
    fs.insert("var/lib/dpkg/status", file(status))?;
    Ok(())
}

/// The lines of `text` whose path is in `listed` (paths without their
/// leading `/`): `md5sums` lines are `HASH  PATH` (the path may hold
/// spaces), conffiles lines `[flags] PATH` (flagged ones are always kept:
/// they name files the package does not ship).
fn keep_listed(text: &str, listed: &BTreeSet<&str>, md5sums: bool) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let path = if md5sums {
            line.split_once(char::is_whitespace)
                .map_or("", |(_, rest)| rest.trim_start())
        } else {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() > 1 {
                // A flagged conffile (`remove-on-upgrade`) is not shipped.
                out.push_str(line);
                out.push('\n');
                continue;
            }
            words.last().copied().unwrap_or("")
        };
        if listed.contains(path.trim_start_matches('/')) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The `Conffiles:` field: one ` path md5 [flags]` line per conffile.
fn conffiles_field(fs: &RootFs, conffiles: &str) -> String {
    let mut out = String::new();
    for line in conffiles.lines() {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        // deb-conffiles(5): optional flags precede the path.
        let Some(path) = words.pop() else { continue };
        let hash = fs
            .file_content(path)
            .and_then(md5_hex)
            .unwrap_or_else(|| "newconffile".to_string());
        if out.is_empty() {
            out.push_str("Conffiles:\n");
        }
        out.push_str(&format!(" {path} {hash}"));
        for flag in words {
            out.push(' ');
            out.push_str(flag);
        }
        out.push('\n');
    }
    out
}

/// The MD5 of a file, streamed.
fn md5_hex(content: &Content) -> Option<String> {
    let mut md5 = Md5::new();
    content.for_each_chunk(|b| md5.update(b)).ok()?;
    Some(hex::encode(md5.finalize()))
}

/// An `md5sums` file for the regular files (and hard links) among `files`.
fn compute_md5sums(fs: &RootFs, files: &[String]) -> String {
    let mut out = String::new();
    for f in files {
        let content = match fs.get(f).map(|n| &n.kind) {
            Some(NodeKind::File(c)) => c,
            Some(NodeKind::Hardlink(_)) => match fs.file_content(f) {
                Some(c) => c,
                None => continue,
            },
            _ => continue,
        };
        // A spilled file that cannot be read back is left out, as a
        // missing one is; writing the layer reports the read error.
        let Some(hash) = md5_hex(content) else {
            continue;
        };
        out.push_str(&hash);
        out.push_str("  ");
        out.push_str(f.trim_start_matches('/'));
        out.push('\n');
    }
    out
}
