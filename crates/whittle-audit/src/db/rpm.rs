//! rpm's database and Azure Linux's container manifests.
//!
//! * `var/lib/rpm/rpmdb.sqlite` (or `usr/lib/sysimage/rpm/`, where
//!   Fedora keeps it): rpm 4.16+'s SQLite backend, a `Packages(hnum,
//!   blob)` table of installed-header blobs (rpm's `lib/backend/sqlite.c`),
//!   read with `whittle_rpm::header`, opened in memory, never on disk.
//! * `var/lib/rpmmanifest/container-manifest-2`: ten TAB-separated fields
//!   `NAME`, `VERSION-RELEASE`, `INSTALLTIME`, `BUILDTIME`, `VENDOR`,
//!   `(none)`-or-`EPOCH`, `SIZE`, `ARCH`, `EPOCHNUM`, `SOURCERPM` (the
//!   columns `whittle_rpm::manifest` writes).
//! * `container-manifest-1`: `NAME-VERSION-RELEASE.ARCH` a line.

use rusqlite::{Connection, MAIN_DB};
use whittle_rpm::header::Header;
use whittle_rpm::primary::parse_sourcerpm;
use whittle_rpm::tags;
use whittle_rpm::version::evr_string;

use super::{content, Database, DbKind, Package};
use crate::tree::Tree;

const RPMDB: [&str; 2] = [
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
];
const MANIFEST_2: &str = "var/lib/rpmmanifest/container-manifest-2";
const MANIFEST_1: &str = "var/lib/rpmmanifest/container-manifest-1";

/// Add the rpmdb of `tree` to `db`, else the richest manifest.
pub(super) fn read(tree: &Tree, db: &mut Database) {
    for key in RPMDB {
        // With /var/lib/rpm → /usr/lib/sysimage/rpm both names are one file.
        if tree.canonical(key) != key {
            continue;
        }
        let Some(bytes) = tree.get(key).and_then(|n| n.content.as_deref()) else {
            continue;
        };
        match rpmdb_packages(bytes) {
            Ok(packages) => {
                db.kinds.push(DbKind::Rpmdb);
                db.packages.extend(packages);
                return;
            }
            Err(problem) => db.notes.push(format!(
                "/{key} is not an rpm database this reader understands ({problem}); its packages are not listed"
            )),
        }
    }
    if let Some(text) = content(tree, MANIFEST_2) {
        db.kinds.push(DbKind::RpmManifest2);
        let (packages, bad) = manifest_2(&text);
        db.packages.extend(packages);
        note_bad_lines(db, MANIFEST_2, &bad);
    } else if let Some(text) = content(tree, MANIFEST_1) {
        db.kinds.push(DbKind::RpmManifest1);
        let (packages, bad) = manifest_1(&text);
        db.packages.extend(packages);
        note_bad_lines(db, MANIFEST_1, &bad);
    }
}

fn note_bad_lines(db: &mut Database, key: &str, bad: &[usize]) {
    if let Some(first) = bad.first() {
        db.notes.push(format!(
            "/{key}: {} line(s) are not package entries and were left out (the first is line {first})",
            bad.len()
        ));
    }
}

/// The packages of an `rpmdb.sqlite`, in install order.
fn rpmdb_packages(bytes: &[u8]) -> Result<Vec<Package>, String> {
    // rpm switches a database it writes to WAL mode (header bytes 18 and
    // 19 = 2); read alone, the file is the same database in rollback mode.
    let mut patched;
    let mut data = bytes;
    if bytes.get(18..20) == Some(&[2, 2]) {
        patched = bytes.to_vec();
        patched[18] = 1;
        patched[19] = 1;
        data = &patched;
    }
    let sql = |e: rusqlite::Error| e.to_string();
    let mut conn = Connection::open_in_memory().map_err(sql)?;
    conn.deserialize_read_exact(MAIN_DB, data, data.len(), true)
        .map_err(sql)?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
        })
        .map_err(sql)?;
    let mut out = Vec::new();
    for row in rows {
        let (hnum, blob) = row.map_err(sql)?;
        let header = Header::from_blob(&blob, "installed header")
            .map_err(|e| format!("header #{hnum}: {e}"))?;
        out.extend(header_package(&header));
    }
    Ok(out)
}

/// An installed header as a package (None for `gpg-pubkey`, rpm's
/// pseudo-package for an imported key).
fn header_package(h: &Header) -> Option<Package> {
    let name = h.string(tags::NAME).filter(|n| n != "gpg-pubkey")?;
    let mut p = Package::new(DbKind::Rpmdb);
    let epoch = h.int(tags::EPOCH).map(|e| e.to_string());
    let version = h.string(tags::VERSION).unwrap_or_default();
    p.version = evr_string(
        epoch.as_deref(),
        &version,
        h.string(tags::RELEASE).as_deref(),
    );
    p.arch = h.string(tags::ARCH).unwrap_or_default();
    p.installed_size = h.int(tags::LONGSIZE).or_else(|| h.int(tags::SIZE));
    p.license = h.string(tags::LICENSE).filter(|l| !l.is_empty());
    p.maintainer = h.string(tags::VENDOR).filter(|v| !v.is_empty());
    p.source = h
        .string(tags::SOURCERPM)
        .and_then(|s| parse_sourcerpm(&s))
        .map(|s| (s.name, s.version));
    let dirs = h.strings(tags::DIRNAMES);
    let index = h.ints(tags::DIRINDEXES);
    p.files = h
        .strings(tags::BASENAMES)
        .into_iter()
        .zip(index)
        .filter_map(|(base, i)| {
            let dir = dirs.get(usize::try_from(i).ok()?)?;
            Some(format!("{dir}{base}"))
        })
        .collect();
    p.listed = true;
    p.name = name;
    Some(p)
}

/// `container-manifest-2` entries, and the numbers of lines that are not.
fn manifest_2(text: &str) -> (Vec<Package>, Vec<usize>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 8 || f[0].is_empty() || f[1].is_empty() {
            bad.push(i + 1);
            continue;
        }
        let known = |v: &&&str| !v.is_empty() && **v != "(none)";
        // EPOCHNUM (field 9) is 0 for none; field 6 is `(none)` as the
        // toolkit writes it, or the epoch as Marinara does.
        let epoch = [f.get(8), f.get(5)]
            .into_iter()
            .flatten()
            .filter_map(|v| v.parse::<u64>().ok())
            .find(|e| *e != 0);
        let mut p = Package::new(DbKind::RpmManifest2);
        p.name = f[0].to_string();
        p.version = match epoch {
            Some(e) => format!("{e}:{}", f[1]),
            None => f[1].to_string(),
        };
        p.maintainer = f.get(4).filter(known).map(|v| (*v).to_string());
        p.installed_size = f[6].parse().ok();
        p.arch = f[7].to_string();
        p.source = f
            .get(9)
            .filter(known)
            .and_then(|s| parse_sourcerpm(s))
            .map(|s| (s.name, s.version));
        out.push(p);
    }
    (out, bad)
}

/// `container-manifest-1` entries (`NAME-VERSION-RELEASE.ARCH`), and the
/// numbers of lines that are not.
fn manifest_1(text: &str) -> (Vec<Package>, Vec<usize>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let parsed = line.rsplit_once('.').and_then(|(nvr, arch)| {
            let (nv, release) = nvr.rsplit_once('-')?;
            let (name, version) = nv.rsplit_once('-')?;
            (!name.is_empty() && !version.is_empty() && !release.is_empty()).then_some((
                name,
                format!("{version}-{release}"),
                arch,
            ))
        });
        let Some((name, version, arch)) = parsed else {
            bad.push(i + 1);
            continue;
        };
        let mut p = Package::new(DbKind::RpmManifest1);
        p.name = name.to_string();
        p.version = version;
        p.arch = arch.to_string();
        out.push(p);
    }
    (out, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_2_reads_epochs_sizes_and_sources() {
        let text = "tool\t2.0-1.azl3\t1700000000\t1690000000\tWhittle Tests\t(none)\t1234\tx86_64\t1\ttool-2.0-1.azl3.src.rpm\n\
                    data\t1.0-1\t0\t0\t(none)\t(none)\t5\tnoarch\t0\t(none)\n\
                    broken\n";
        let (pkgs, bad) = manifest_2(text);
        assert_eq!(bad, [3]);
        assert_eq!(pkgs[0].version, "1:2.0-1.azl3");
        assert_eq!(pkgs[0].installed_size, Some(1234));
        assert_eq!(pkgs[0].arch, "x86_64");
        assert_eq!(pkgs[0].maintainer.as_deref(), Some("Whittle Tests"));
        assert_eq!(
            pkgs[0].source,
            Some(("tool".to_string(), "2.0-1.azl3".to_string()))
        );
        assert_eq!(pkgs[1].version, "1.0-1");
        assert_eq!(
            (pkgs[1].maintainer.as_ref(), pkgs[1].source.as_ref()),
            (None, None)
        );
    }

    #[test]
    fn manifest_1_splits_name_version_release_arch() {
        let (pkgs, bad) = manifest_1("python3-libs-3.12.9-1.azl3.x86_64\nnonsense\n");
        assert_eq!(bad, [2]);
        assert_eq!(
            (
                pkgs[0].name.as_str(),
                pkgs[0].version.as_str(),
                pkgs[0].arch.as_str()
            ),
            ("python3-libs", "3.12.9-1.azl3", "x86_64")
        );
    }

    fn fixture(rel: &str) -> Vec<u8> {
        fs_err::read(whittle_test_env::fixtures::path(rel)).unwrap()
    }

    /// The real CBL-Mariner 2.0 rpmdb, and the toolkit-style manifest-2
    /// generated from it: the same packages, versions, sizes and sources.
    #[test]
    fn a_real_rpmdb_agrees_with_its_manifest() {
        let packed = fixture("rpm/rpmdb/cbl-mariner-2.0-rpmdb.sqlite.zst");
        let bytes = zstd::decode_all(&packed[..]).unwrap();
        let db = rpmdb_packages(&bytes).unwrap();
        assert!(db.len() > 10, "{}", db.len());
        assert!(db.iter().all(|p| p.listed && p.license.is_some()));
        let glibc = db.iter().find(|p| p.name == "glibc").unwrap();
        assert!(
            glibc.files.iter().any(|f| f == "/lib64/libc.so.6"),
            "{:?}",
            glibc.files
        );
        let text = String::from_utf8(fixture(
            "rpm/manifests/generated-mariner2-rpmdb-toolkit-style-container-manifest-2",
        ))
        .unwrap();
        let (manifest, bad) = manifest_2(&text);
        assert!(bad.is_empty());
        let key = |p: &Package| {
            (
                p.name.clone(),
                p.version.clone(),
                p.arch.clone(),
                p.installed_size,
                p.source.clone(),
                p.maintainer.clone(),
            )
        };
        let mut a: Vec<_> = db.iter().map(key).collect();
        let mut b: Vec<_> = manifest.iter().map(key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn not_a_database_is_an_error_not_a_panic() {
        assert!(rpmdb_packages(b"SQLite format 3\0 but then nothing").is_err());
        assert!(rpmdb_packages(b"").is_err());
    }
}
