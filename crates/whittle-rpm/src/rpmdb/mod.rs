//! The rpm database: `rpmdb.sqlite` as rpm 4.16+ writes it, so `rpm`,
//! `tdnf`/`dnf`, Trivy and Syft see the installed packages.
//!
//! Format (rpm's `lib/backend/sqlite.c` and `lib/rpmdb.c`; checked
//! against a real CBL-Mariner 2.0 database): a `Packages` table of
//! installed-header blobs ([`installed_blob`]) keyed by `hnum` 1, 2, …
//! in install order, and 18 secondary index tables `(key, hnum, idx)`.
//! The file is written in rollback-journal mode (no `-wal`/`-shm`
//! beside it), so it is byte-for-byte reproducible and readable from a
//! read-only layer; rpm switches it to WAL the first time it writes.

mod blob;
mod index;
#[cfg(test)]
pub(crate) mod tests;

use std::path::{Path, PathBuf};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params, Connection};

use crate::header::{Header, HeaderError, PackageHeaders};
use crate::tags;

pub use blob::installed_blob;

use index::{KeyType, TABLES};

/// An rpm database could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A package cannot be recorded as installed.
    #[error("cannot record {package} in the rpm database: {reason}")]
    Package {
        /// The package (`name-version-release.arch`).
        package: String,
        /// Why.
        reason: String,
    },
    /// A stored header blob is not a header.
    #[error("header blob #{number} is not an rpm header")]
    Blob {
        /// Its position (1-based: the hnum it would get).
        number: usize,
        /// The parse error.
        #[source]
        source: HeaderError,
    },
    /// SQLite failed.
    #[error("writing the rpm database {} failed (while {step})", path.display())]
    Sqlite {
        /// The database being written.
        path: PathBuf,
        /// What was being done.
        step: &'static str,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A file operation failed.
    #[error("writing the rpm database {} failed", path.display())]
    Io {
        /// The database being written.
        path: PathBuf,
        /// The I/O error (it names the file).
        #[source]
        source: std::io::Error,
    },
}

/// What installing a package records beside its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallFacts {
    /// `INSTALLTIME`: the build epoch (`SOURCE_DATE_EPOCH`), never the
    /// wall clock.
    pub install_time: u32,
    /// `INSTALLTID`, the transaction id: rpm uses the transaction's start
    /// time; the build epoch too.
    pub install_tid: u32,
    /// `FILESTATES`, one per file in header order: 0 normal (also for
    /// `%ghost` files, as rpm records them), 1 replaced, 2 not installed
    /// (`--excludedocs`, other languages), 3 net-shared, 4 wrong colour.
    pub file_states: Vec<u8>,
    /// `INSTALLCOLOR`, the transaction colour: 3 on multilib platforms
    /// (x86_64, as in the Mariner database), else 0.
    pub install_color: u32,
}

/// `FILESTATES` value of an installed file.
pub const FILE_STATE_NORMAL: u8 = 0;
/// `FILESTATES` value of a file left out (`--excludedocs`, `%lang`).
pub const FILE_STATE_NOT_INSTALLED: u8 = 2;

impl InstallFacts {
    /// Facts for a package whose every file was installed, at `epoch`
    /// (time and transaction id) with transaction colour `color`.
    pub fn all_installed(headers: &PackageHeaders, epoch: u32, color: u32) -> InstallFacts {
        let files = headers
            .main
            .entry(tags::BASENAMES)
            .map_or(0, |e| e.count as usize);
        InstallFacts {
            install_time: epoch,
            install_tid: epoch,
            file_states: vec![FILE_STATE_NORMAL; files],
            install_color: color,
        }
    }
}

/// A package to record: its headers and how it was installed.
#[derive(Debug, Clone)]
pub struct DbPackage {
    /// The package's signature and main headers.
    pub headers: PackageHeaders,
    /// The install facts.
    pub install: InstallFacts,
}

/// Write `rpmdb.sqlite` at `path` recording `packages` in install order
/// (`hnum` 1, 2, …). The file is written beside `path` and renamed into
/// place; the same packages always give the same bytes.
pub fn write_rpmdb(path: &Path, packages: &[DbPackage]) -> Result<(), DbError> {
    let blobs = packages
        .iter()
        .map(|p| installed_blob(&p.headers, &p.install))
        .collect::<Result<Vec<_>, _>>()?;
    write_rpmdb_blobs(path, &blobs)
}

/// Write `rpmdb.sqlite` at `path` from installed-header blobs as they
/// are stored in `Packages` (e.g. copied from another rpmdb), in order.
pub fn write_rpmdb_blobs(path: &Path, blobs: &[Vec<u8>]) -> Result<(), DbError> {
    let headers = blobs
        .iter()
        .enumerate()
        .map(|(i, b)| {
            Header::from_blob(b, "installed header")
                .map_err(|source| DbError::Blob {
                    number: i + 1,
                    source,
                })
                .map(|h| (h, b.as_slice()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let io = |source: std::io::Error| DbError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".rpmdb.sqlite.")
        .tempfile_in(dir)
        .map_err(io)?;
    fill(tmp.path(), &headers).map_err(|(step, source)| DbError::Sqlite {
        path: path.to_path_buf(),
        step,
        source,
    })?;
    set_mode(tmp.path()).map_err(io)?;
    // A journal left by an earlier database would be replayed into ours.
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut stale = path.as_os_str().to_owned();
        stale.push(suffix);
        match fs_err::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
    }
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_mode(_: &Path) -> std::io::Result<()> {
    Ok(())
}

type SqlStep = (&'static str, rusqlite::Error);

/// Create the schema and insert every package, in one transaction.
fn fill(path: &Path, headers: &[(Header, &[u8])]) -> Result<(), SqlStep> {
    let at = |step: &'static str| move |e: rusqlite::Error| (step, e);
    let mut db = Connection::open(path).map_err(at("opening"))?;
    db.execute_batch(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = DELETE; PRAGMA secure_delete = OFF;",
    )
    .map_err(at("setting the page size and journal mode"))?;
    let tx = db.transaction().map_err(at("starting the transaction"))?;
    tx.execute_batch(&schema())
        .map_err(at("creating the tables"))?;
    {
        let mut put_package = tx
            .prepare("INSERT INTO 'Packages' (hnum, blob) VALUES (?1, ?2)")
            .map_err(at("preparing the inserts"))?;
        let mut put_key = TABLES
            .iter()
            .map(|t| {
                tx.prepare(&format!(
                    "INSERT INTO '{}' (key, hnum, idx) VALUES (?1, ?2, ?3)",
                    t.name
                ))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(at("preparing the inserts"))?;
        // rpmdbAdd: the header, then each index in dbiTags order.
        for (n, (header, blob)) in headers.iter().enumerate() {
            let hnum = i64::try_from(n + 1).unwrap_or(i64::MAX);
            put_package
                .execute(params![hnum, blob])
                .map_err(at("inserting a package"))?;
            for (table, stmt) in TABLES.iter().zip(put_key.iter_mut()) {
                for (key, idx) in index::rows(table, header) {
                    let key = match table.key {
                        KeyType::Text => ToSqlOutput::Borrowed(ValueRef::Text(&key)),
                        KeyType::Blob => ToSqlOutput::Borrowed(ValueRef::Blob(&key)),
                    };
                    stmt.execute(params![key, hnum, idx])
                        .map_err(at("inserting an index key"))?;
                }
            }
        }
    }
    tx.commit().map_err(at("committing"))?;
    db.close().map_err(|(_, e)| ("closing", e))
}

/// The schema as rpm's sqlite backend creates it (`init_table`,
/// `init_index`); SQLite stores these statements, minus `IF NOT
/// EXISTS`, in `sqlite_master`, identical to a database rpm made.
fn schema() -> String {
    let mut sql = String::from(
        "CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob \
         BLOB NOT NULL);\n",
    );
    for t in &TABLES {
        let key_type = match t.key {
            KeyType::Text => "TEXT",
            KeyType::Blob => "BLOB",
        };
        sql.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS '{0}' (key '{key_type}' NOT NULL, hnum INTEGER NOT NULL, \
             idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum));\n",
            t.name
        ));
        if t.key == KeyType::Text {
            sql.push_str(&format!(
                "CREATE INDEX IF NOT EXISTS '{0}_key_idx' ON '{0}'(key ASC);\n",
                t.name
            ));
        }
        if t.array {
            sql.push_str(&format!(
                "CREATE INDEX IF NOT EXISTS '{0}_hnum_idx' ON '{0}'(hnum ASC);\n",
                t.name
            ));
        }
    }
    sql
}

/// `name-version-release.arch` of a header, for messages.
pub(crate) fn package_label(h: &Header) -> String {
    let part = |tag| h.string(tag).unwrap_or_else(|| "?".into());
    format!(
        "{}-{}-{}.{}",
        part(tags::NAME),
        part(tags::VERSION),
        part(tags::RELEASE),
        part(tags::ARCH)
    )
}
