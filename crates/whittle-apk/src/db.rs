//! The apk installed database: `installed`, `scripts.tar`, `triggers` and `lock`.
//! The `installed` text follows apk-tools 2.x (`apk_pkg_write_index_header` and
//! `apk_db_write_fdb`), not apko's own field order, so scanners read it as they read Alpine.
//!
//! # Format written
//!
//! One record per package, in installation order, each ended by a blank line:
//!
//! * `C P V A S I T U L` always (`A` only when the arch is known), then `o m t c k`
//!   when set (`t` and `k` when non-zero), then `D p i` when non-empty, then `r`
//!   when non-empty. This is apk-tools' order: `k:` comes right after `c:`, before
//!   `D:` (apk-tools writes it in the same buffer as the header fields). `o:`
//!   always comes after `V:`: Trivy takes the source version from the `V:` seen so
//!   far when it meets `o:`.
//! * Then the file list: one `F:<dir>` block per directory the package owns, in the
//!   order the directories first appear in the archive, followed by `M:uid:gid:mode`
//!   when the directory is not `0:0:755`; then one `R:<name>` per file in that
//!   directory, in archive order, followed by `a:uid:gid:mode` when not `0:0:644`
//!   and `Z:Q1<base64 sha1>` when the checksum is known. Modes are octal without a
//!   leading zero (`a:0:0:777`, `M:0:0:1777`), as apk-tools prints them. Files
//!   directly under `/` go under an empty `F:` line, which never gets an `M:`.
//!
//! apko writes a different order (`P V A L T o m U D p r c i t S I k C`, `i:[]`,
//! modes with a leading zero); scanners accept both, and this module always writes
//! the apk-tools form.
//!
//! # Ownership
//!
//! Each [`InstalledApk::paths`] must hold only what the package owns *in the final
//! tree*: when a later package overwrote a file (`replaces`), the caller removes it
//! from the earlier owner's list so it is listed only under the last owner, as apk
//! and apko do. This module renders exactly what it is given.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use whittle_rootfs::{FsError, Node, RootFs};

/// One installed package as it is recorded in the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstalledApk {
    /// Package name (`P:`).
    pub name: String,
    /// Full version with release (`V:`).
    pub version: String,
    /// apk architecture (`A:`); left out when empty.
    pub arch: String,
    /// Size of the `.apk` file in bytes (`S:`).
    pub size: u64,
    /// Installed size in bytes (`I:`).
    pub installed_size: u64,
    /// One-line description (`T:`).
    pub description: String,
    /// Upstream URL (`U:`).
    pub url: String,
    /// License expression (`L:`).
    pub license: String,
    /// Origin (source) package name (`o:`); scanners need it to find advisories.
    pub origin: String,
    /// Maintainer (`m:`).
    pub maintainer: String,
    /// Build time in seconds since the epoch (`t:`); left out when absent or 0.
    pub build_time: Option<i64>,
    /// Source commit (`c:`).
    pub commit: String,
    /// Dependency atoms exactly as in the index `D:` line.
    pub depends: Vec<String>,
    /// Provides (`p:`), e.g. `so:libc.so.6=6`.
    pub provides: Vec<String>,
    /// Install-if atoms (`i:`).
    pub install_if: Vec<String>,
    /// Replaced packages (`r:`).
    pub replaces: Vec<String>,
    /// Provider priority (`k:`); left out when absent or 0.
    pub provider_priority: Option<i64>,
    /// Package checksum, `Q1` + base64 of the control member's SHA-1 (`C:`).
    pub checksum: String,
    /// Install scripts from the control member, by name (`.post-install`) with
    /// their content, in archive order. Stored in `scripts.tar`, never run.
    pub scripts: Vec<(String, Vec<u8>)>,
    /// Trigger globs from `.PKGINFO` `triggers`, e.g. `/usr/bin`.
    pub triggers: Vec<String>,
    /// What the package owns in the final tree, in archive order.
    pub paths: Vec<OwnedPath>,
}

/// One path a package owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedPath {
    /// Path relative to the root, `usr/bin/x` (a leading `/` or `./` is ignored).
    pub path: String,
    /// Whether this is a directory (`F:`); everything else is a file entry (`R:`).
    pub is_dir: bool,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Permission bits (`0o7777` mask); symlinks are recorded as `0o777`.
    pub mode: u32,
    /// Hex SHA-1 from the data tar's `APK-TOOLS.checksum.SHA1` (for regular files
    /// the content's, for symlinks the target's, as apk-tools records it).
    pub sha1: Option<String>,
}

/// The installed database could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A database file could not be placed in the tree.
    #[error("cannot write the apk database file /{path} into the image; make sure no package ships a file where that directory must be")]
    Fs {
        /// The path being written.
        path: String,
        /// What the tree reported.
        source: FsError,
    },
    /// A file checksum is not 40 hex digits.
    #[error("package {package}: the SHA-1 {sha1:?} recorded for /{path} is not 40 hex digits; the package's data tar is corrupt, fetch it again")]
    BadSha1 {
        /// The owning package.
        package: String,
        /// The file.
        path: String,
        /// The bad value.
        sha1: String,
    },
    /// A text field holds a newline, which would break the record format.
    #[error("package {package}: field {field} contains a line break, which the apk database cannot store; fix the package metadata")]
    Newline {
        /// The package.
        package: String,
        /// The field letter or name.
        field: String,
    },
}

const DEFAULT_DIR_MODE: u32 = 0o755;
const DEFAULT_FILE_MODE: u32 = 0o644;

/// Write the database under `db_dir` (`lib/apk/db` or `usr/lib/apk/db`, see
/// [`crate::layout::db_dir`]): `installed` ([`installed_text`]), `scripts.tar`
/// (every script as `<name>-<version>.<Q1…>.<script>`, mode 0755, mtime `epoch`,
/// in apk-tools' tar header format; 1024 zero bytes when there are none),
/// `triggers` (`Q1… glob glob` per package with triggers), and an empty `lock`
/// (0600). The database directory and files get mtime `epoch`.
///
/// `pkgs` is in installation order and must carry final ownership (see the
/// module docs).
pub fn write_installed_db(
    fs: &mut RootFs,
    db_dir: &str,
    pkgs: &[InstalledApk],
    epoch: i64,
) -> Result<(), DbError> {
    let installed = try_installed_text(pkgs)?;
    let scripts = scripts_tar(pkgs, epoch);
    let triggers = triggers_text(pkgs);
    let dir = whittle_rootfs::clean_relative(db_dir);
    put(fs, &dir, Node::dir(DEFAULT_DIR_MODE).at(epoch))?;
    let files: [(&str, Vec<u8>, u32); 4] = [
        ("installed", installed.into_bytes(), 0o644),
        ("scripts.tar", scripts, 0o644),
        ("triggers", triggers.into_bytes(), 0o644),
        ("lock", Vec::new(), 0o600),
    ];
    for (name, content, mode) in files {
        put(
            fs,
            &format!("{dir}/{name}"),
            Node::file(content, mode).at(epoch),
        )?;
    }
    Ok(())
}

fn put(fs: &mut RootFs, path: &str, node: Node) -> Result<(), DbError> {
    fs.insert(path, node)
        .map(|_| ())
        .map_err(|source| DbError::Fs {
            path: path.to_string(),
            source,
        })
}

/// The `installed` file content for `pkgs`, in apk-tools' format (see the
/// module docs). Also used for per-layer partial databases.
///
/// Malformed input cannot make this fail: a checksum that is not 40 hex
/// digits is left out (no `Z:` line) and line breaks in fields are replaced
/// by spaces. [`write_installed_db`] rejects such input instead.
pub fn installed_text(pkgs: &[InstalledApk]) -> String {
    let mut out = String::new();
    for pkg in pkgs {
        render_record(&mut out, pkg);
    }
    out
}

/// Like [`installed_text`] but rejecting bad checksums and line breaks.
fn try_installed_text(pkgs: &[InstalledApk]) -> Result<String, DbError> {
    let mut out = String::new();
    for pkg in pkgs {
        if let Some(problem) = render_record(&mut out, pkg).into_iter().next() {
            return Err(match problem {
                Problem::Newline(field) => DbError::Newline {
                    package: pkg.name.clone(),
                    field,
                },
                Problem::BadSha1 { path, sha1 } => DbError::BadSha1 {
                    package: pkg.name.clone(),
                    path,
                    sha1,
                },
            });
        }
    }
    Ok(out)
}

/// Something in a package's data that the record cannot hold faithfully.
enum Problem {
    Newline(String),
    BadSha1 { path: String, sha1: String },
}

/// Append one record; returns what had to be altered or left out.
fn render_record(out: &mut String, pkg: &InstalledApk) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut line = |out: &mut String, tag: &str, value: &str| {
        out.push_str(tag);
        out.push(':');
        if value.contains(['\n', '\r']) {
            problems.push(Problem::Newline(tag.to_string()));
            out.push_str(&value.replace(['\n', '\r'], " "));
        } else {
            out.push_str(value);
        }
        out.push('\n');
    };
    line(out, "C", &pkg.checksum);
    line(out, "P", &pkg.name);
    line(out, "V", &pkg.version);
    if !pkg.arch.is_empty() {
        line(out, "A", &pkg.arch);
    }
    line(out, "S", &pkg.size.to_string());
    line(out, "I", &pkg.installed_size.to_string());
    line(out, "T", &pkg.description);
    line(out, "U", &pkg.url);
    line(out, "L", &pkg.license);
    if !pkg.origin.is_empty() {
        line(out, "o", &pkg.origin);
    }
    if !pkg.maintainer.is_empty() {
        line(out, "m", &pkg.maintainer);
    }
    if let Some(t) = pkg.build_time.filter(|t| *t != 0) {
        line(out, "t", &t.to_string());
    }
    if !pkg.commit.is_empty() {
        line(out, "c", &pkg.commit);
    }
    if let Some(k) = pkg.provider_priority.filter(|k| *k != 0) {
        line(out, "k", &k.to_string());
    }
    for (tag, list) in [
        ("D", &pkg.depends),
        ("p", &pkg.provides),
        ("i", &pkg.install_if),
        ("r", &pkg.replaces),
    ] {
        if !list.is_empty() {
            line(out, tag, &list.join(" "));
        }
    }

    let mut bad_sha1 = Vec::new();
    for group in group_paths(&pkg.paths) {
        line(out, "F", &group.dir);
        if !group.dir.is_empty() && (group.uid, group.gid, group.mode) != (0, 0, DEFAULT_DIR_MODE) {
            line(out, "M", &acl(group.uid, group.gid, group.mode));
        }
        for file in group.files {
            line(out, "R", &file.name);
            if (file.uid, file.gid, file.mode) != (0, 0, DEFAULT_FILE_MODE) {
                line(out, "a", &acl(file.uid, file.gid, file.mode));
            }
            if let Some(sha1) = file.sha1 {
                match hex_sha1_to_q1(&sha1) {
                    Some(q1) => line(out, "Z", &q1),
                    None => bad_sha1.push(Problem::BadSha1 {
                        path: file.path,
                        sha1,
                    }),
                }
            }
        }
    }
    out.push('\n');
    problems.extend(bad_sha1);
    problems
}

fn acl(uid: u32, gid: u32, mode: u32) -> String {
    format!("{uid}:{gid}:{:o}", mode & 0o7777)
}

/// One `F:` block: a directory and the files directly in it.
struct DirGroup {
    dir: String,
    uid: u32,
    gid: u32,
    mode: u32,
    files: Vec<FileEntry>,
}

struct FileEntry {
    path: String,
    name: String,
    uid: u32,
    gid: u32,
    mode: u32,
    sha1: Option<String>,
}

/// Group owned paths the way apk-tools keeps them: directories in order of
/// first appearance (as an entry or as a file's parent), files under their
/// directory in archive order. A directory never listed itself gets default
/// metadata, as apk-tools gives a directory instance it creates for a file.
fn group_paths(paths: &[OwnedPath]) -> Vec<DirGroup> {
    let mut groups: Vec<DirGroup> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut group_for = |groups: &mut Vec<DirGroup>, dir: &str| -> usize {
        *index.entry(dir.to_string()).or_insert_with(|| {
            groups.push(DirGroup {
                dir: dir.to_string(),
                uid: 0,
                gid: 0,
                mode: DEFAULT_DIR_MODE,
                files: Vec::new(),
            });
            groups.len() - 1
        })
    };
    for p in paths {
        let path = whittle_rootfs::clean_relative(&p.path);
        if p.is_dir {
            if path.is_empty() {
                continue; // the root itself is never recorded
            }
            let i = group_for(&mut groups, &path);
            if let Some(g) = groups.get_mut(i) {
                g.uid = p.uid;
                g.gid = p.gid;
                g.mode = p.mode & 0o7777;
            }
        } else {
            let (dir, name) = match path.rfind('/') {
                Some(i) => (&path[..i], &path[i + 1..]),
                None => ("", path.as_str()),
            };
            if name.is_empty() {
                continue;
            }
            let i = group_for(&mut groups, dir);
            if let Some(g) = groups.get_mut(i) {
                g.files.push(FileEntry {
                    path: path.clone(),
                    name: name.to_string(),
                    uid: p.uid,
                    gid: p.gid,
                    mode: p.mode & 0o7777,
                    sha1: p.sha1.clone(),
                });
            }
        }
    }
    groups
}

/// `Q1` + base64 of a 40-hex-digit SHA-1, or `None` when it is not one.
fn hex_sha1_to_q1(hex_sha1: &str) -> Option<String> {
    let raw = hex::decode(hex_sha1.trim()).ok()?;
    if raw.len() != 20 {
        return None;
    }
    Some(format!("Q1{}", STANDARD.encode(raw)))
}

/// The `triggers` file: `Q1… glob glob` per package that has triggers.
fn triggers_text(pkgs: &[InstalledApk]) -> String {
    let mut out = String::new();
    for pkg in pkgs.iter().filter(|p| !p.triggers.is_empty()) {
        out.push_str(&pkg.checksum);
        for t in &pkg.triggers {
            out.push(' ');
            out.push_str(t);
        }
        out.push('\n');
    }
    out
}

/// `scripts.tar` with apk-tools' header layout (`apk_tar_write_entry`): old GNU
/// magic `ustar  `, owner `root`/`root`, numeric fields zero-padded octal (mode,
/// uid and gid NUL-terminated; size and mtime filling all 12 bytes), GNU
/// `././@LongLink` entries for names over 99 bytes, two zero blocks at the end
/// and no padding to a 10 KiB record.
fn scripts_tar(pkgs: &[InstalledApk], epoch: i64) -> Vec<u8> {
    let mut out = Vec::new();
    for pkg in pkgs {
        for (script, content) in &pkg.scripts {
            let dot = if script.starts_with('.') { "" } else { "." };
            let name = format!("{}-{}.{}{dot}{script}", pkg.name, pkg.version, pkg.checksum);
            let name = name.as_bytes();
            if name.len() > 99 {
                let mut long = name.to_vec();
                long.push(0);
                out.extend_from_slice(&tar_header(
                    b"././@LongLink",
                    b'L',
                    long.len() as u64,
                    epoch,
                ));
                push_padded(&mut out, &long);
            }
            out.extend_from_slice(&tar_header(name, b'0', content.len() as u64, epoch));
            push_padded(&mut out, content);
        }
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn push_padded(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(data);
    let rem = data.len() % 512;
    if rem != 0 {
        out.resize(out.len() + 512 - rem, 0);
    }
}

fn tar_header(name: &[u8], typeflag: u8, size: u64, mtime: i64) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = name.len().min(99);
    h[..n].copy_from_slice(&name[..n]);
    put_octal(&mut h[100..108], 0o755, true);
    put_octal(&mut h[108..116], 0, true);
    put_octal(&mut h[116..124], 0, true);
    put_octal(&mut h[124..136], size, false);
    put_octal(&mut h[136..148], u64::try_from(mtime).unwrap_or(0), false);
    h[156] = typeflag;
    h[257..265].copy_from_slice(b"ustar  \0");
    h[265..269].copy_from_slice(b"root");
    h[297..301].copy_from_slice(b"root");
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|b| u64::from(*b)).sum();
    put_octal(&mut h[148..155], sum, true);
    h
}

/// Zero-padded octal filling `field`, its last byte a NUL when `terminated`.
/// Values too large for the field are truncated to its low digits.
fn put_octal(field: &mut [u8], value: u64, terminated: bool) {
    let digits = if terminated {
        field.len() - 1
    } else {
        field.len()
    };
    let mut v = value;
    for slot in field[..digits].iter_mut().rev() {
        *slot = b'0' + (v & 7) as u8;
        v >>= 3;
    }
    if terminated {
        field[digits] = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_sha1_is_skipped_in_text_and_rejected_on_write() {
        let pkg = InstalledApk {
            name: "x".into(),
            paths: vec![OwnedPath {
                path: "a".into(),
                mode: 0o644,
                sha1: Some("zz".into()),
                ..OwnedPath::default()
            }],
            ..InstalledApk::default()
        };
        assert!(installed_text(std::slice::from_ref(&pkg)).contains("F:\nR:a\n\n"));
        let mut fs = RootFs::new();
        let err = write_installed_db(&mut fs, "lib/apk/db", &[pkg], 0).unwrap_err();
        assert!(matches!(err, DbError::BadSha1 { .. }), "{err}");
    }
}
