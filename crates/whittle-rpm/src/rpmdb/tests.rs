use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rusqlite::{Connection, OpenFlags};

use super::blob::{header_from_dribbles, Dribble};
use super::*;
use crate::header::{kind, IndexEntry, Lead};

const MARINER_BLOB: &str = "rpm/rpmdb/mariner2-filesystem-1.1-8.cm2-installed-blob.bin";
const MARINER_HEADER: &str = "rpm/rpmdb/mariner2-filesystem-1.1-8.cm2-header.bin";

fn fixture(rel: &str) -> Vec<u8> {
    fs_err::read(whittle_test_env::fixtures::path(rel)).unwrap()
}

/// The real Mariner rpmdb, decompressed into a temp dir.
fn mariner_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpmdb.sqlite");
    let packed = fixture("rpm/rpmdb/cbl-mariner-2.0-rpmdb.sqlite.zst");
    fs_err::write(&path, zstd::decode_all(&packed[..]).unwrap()).unwrap();
    (dir, path)
}

fn open_ro(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

/// Every blob of the real Mariner rpmdb, in hnum order.
pub(crate) fn mariner_blobs() -> Vec<Vec<u8>> {
    let (_dir, path) = mariner_db();
    let db = open_ro(&path);
    let mut stmt = db
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn u32_of(h: &Header, tag: u32) -> u32 {
    u32::try_from(h.int(tag).unwrap()).unwrap()
}

/// The install facts recorded in an installed header.
fn facts_of(h: &Header) -> InstallFacts {
    InstallFacts {
        install_time: u32_of(h, tags::INSTALLTIME),
        install_tid: u32_of(h, tags::INSTALLTID),
        file_states: h.ints(tags::FILESTATES).iter().map(|v| *v as u8).collect(),
        install_color: u32_of(h, tags::INSTALLCOLOR),
    }
}

/// A signature header rebuilt from an installed header's merged
/// signature tags, under their signature-header numbers.
fn signature_of(installed: &Header) -> Header {
    let back = [
        (tags::INSTALLED_SIGSIZE, tags::SIG_SIZE),
        (tags::INSTALLED_SIGPGP, tags::SIG_PGP),
        (tags::INSTALLED_SIGMD5, tags::SIG_MD5),
        (tags::INSTALLED_SIGGPG, tags::SIG_GPG),
        (tags::ARCHIVESIZE, tags::SIG_PAYLOADSIZE),
        (tags::DSAHEADER, tags::DSAHEADER),
        (tags::RSAHEADER, tags::RSAHEADER),
        (tags::SHA1HEADER, tags::SHA1HEADER),
        (tags::LONGSIGSIZE, tags::LONGSIGSIZE),
        (tags::LONGARCHIVESIZE, tags::LONGARCHIVESIZE),
        (tags::SHA256HEADER, tags::SHA256HEADER),
    ];
    let (ril, _) = installed.region().unwrap();
    let mut dribbles: Vec<Dribble> = installed.entries()[ril..]
        .iter()
        .enumerate()
        .filter_map(|(k, e)| {
            let to = back.iter().find(|(from, _)| *from == e.tag)?.1;
            Some(Dribble {
                tag: to,
                kind: e.kind,
                count: e.count,
                data: installed.value_bytes(ril + k).unwrap().to_vec(),
            })
        })
        .collect();
    dribbles.sort_by_key(|d| d.tag);
    header_from_dribbles(&dribbles)
}

#[test]
fn the_mariner_blob_is_rebuilt_byte_for_byte() {
    let real = fixture(MARINER_BLOB);
    let installed = Header::from_blob(&real, "blob").unwrap();
    let main = Header::parse(&fixture(MARINER_HEADER), "header").unwrap();
    let signature = signature_of(&installed);
    assert_eq!(signature.entries().len(), 7);
    let headers = PackageHeaders {
        lead: Lead {
            major: 3,
            package_type: 0,
        },
        signature,
        main,
    };
    let facts = facts_of(&installed);
    assert_eq!(facts.file_states.len(), 118);
    let ours = installed_blob(&headers, &facts).unwrap();
    assert_eq!(ours.len(), real.len());
    assert!(ours == real, "the rebuilt blob differs from rpm's");
}

fn fixture_rpms() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![whittle_test_env::fixtures::path("rpm/rpms")];
    while let Some(dir) = dirs.pop() {
        for e in fs_err::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.to_string_lossy().ends_with(".rpm") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read_rpm(path: &Path) -> PackageHeaders {
    PackageHeaders::read(&mut fs_err::File::open(path).unwrap()).unwrap()
}

#[test]
fn every_fixture_package_gives_a_blob_that_parses_back() {
    let mut n = 0;
    for path in fixture_rpms() {
        let headers = read_rpm(&path);
        let facts = InstallFacts::all_installed(&headers, 1_700_000_000, 3);
        let result = installed_blob(&headers, &facts);
        if path.to_string_lossy().ends_with(".src.rpm") {
            assert!(result.is_err(), "{}", path.display());
            continue;
        }
        let blob = result.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let h = Header::from_blob(&blob, "blob").unwrap();
        let (ril, rdl) = headers.main.region().unwrap();
        // The region, index and data, is the package's byte for byte.
        assert_eq!(h.region(), Some((ril, rdl)));
        assert_eq!(
            &blob[8..8 + ril * 16],
            &headers.main.blob()[8..8 + ril * 16]
        );
        assert_eq!(&h.store()[..rdl], &headers.main.store()[..rdl]);
        // Dribbles sorted by tag, aligned, and the install facts there.
        let dribbles = &h.entries()[ril..];
        assert!(dribbles.windows(2).all(|w| w[0].tag < w[1].tag));
        assert!(dribbles.iter().all(|e: &IndexEntry| {
            let align = match e.kind {
                kind::INT16 => 2,
                kind::INT32 => 4,
                kind::INT64 => 8,
                _ => 1,
            };
            (e.offset as usize).is_multiple_of(align)
        }));
        assert_eq!(h.int(tags::INSTALLTIME), Some(1_700_000_000));
        assert_eq!(h.int(tags::INSTALLTID), Some(1_700_000_000));
        assert_eq!(h.int(tags::INSTALLCOLOR), Some(3));
        assert_eq!(h.ints(tags::FILESTATES).len(), facts.file_states.len());
        if let Some(md5) = headers.signature.bin(tags::SIG_MD5) {
            assert_eq!(h.bin(tags::INSTALLED_SIGMD5), Some(md5));
        }
        if let Some(rsa) = headers.signature.bin(tags::RSAHEADER) {
            assert_eq!(h.bin(tags::RSAHEADER), Some(rsa));
        }
        n += 1;
    }
    assert!(n > 20, "only {n} packages");
}

#[test]
fn bad_install_facts_are_refused() {
    let path = whittle_test_env::fixtures::path("rpm/rpms/createrepo_c/Archer-3.4.5-6.x86_64.rpm");
    let headers = read_rpm(&path);
    let mut facts = InstallFacts::all_installed(&headers, 1, 3);
    facts.file_states.pop();
    let err = installed_blob(&headers, &facts).unwrap_err().to_string();
    assert!(err.contains("Archer-3.4.5-6.x86_64"), "{err}");
    assert!(err.contains("file states"), "{err}");
}

/// (type, name, sql) of every table and index, in creation order.
fn schema_of(path: &Path) -> Vec<(String, String, String)> {
    let db = open_ro(path);
    let mut stmt = db
        .prepare(
            "SELECT type, name, sql FROM sqlite_master WHERE name != 'sqlite_stat1' ORDER BY \
             rootpage",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

type Rows = BTreeMap<String, Vec<(Vec<u8>, String, i64, i64)>>;

/// Every index row (key bytes, key type, hnum, idx), by table, sorted.
fn index_rows(path: &Path) -> Rows {
    let db = open_ro(path);
    let mut out = Rows::new();
    for t in &TABLES {
        let mut stmt = db
            .prepare(&format!(
                "SELECT CAST(key AS BLOB), typeof(key), hnum, idx FROM '{}'",
                t.name
            ))
            .unwrap();
        let mut rows: Vec<_> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.insert(t.name.to_string(), rows);
    }
    out
}

fn pragma(path: &Path, name: &str) -> String {
    open_ro(path)
        .query_row(&format!("PRAGMA {name}"), [], |r| {
            r.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| format!("{v:?}"))
        .unwrap()
}

#[test]
fn the_mariner_database_is_rebuilt_from_its_blobs() {
    let (_real_dir, real) = mariner_db();
    let blobs = mariner_blobs();
    assert_eq!(blobs.len(), 129);
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("rpmdb.sqlite");
    write_rpmdb_blobs(&ours, &blobs).unwrap();

    // The same CREATE statements, in the same order.
    assert_eq!(schema_of(&ours), schema_of(&real));
    // The same index rows, table by table.
    let (want, got) = (index_rows(&real), index_rows(&ours));
    for t in &TABLES {
        assert_eq!(got[t.name], want[t.name], "table {}", t.name);
    }
    assert_eq!(got["Basenames"].len(), 7269);
    assert_eq!(got["Requirename"].len(), 2085);
    assert_eq!(got["Installtid"][0].0.len(), 4);
    assert_eq!(got["Sigmd5"][0].0.len(), 16);
    // The blobs and sqlite_sequence.
    let db = open_ro(&ours);
    let seq: i64 = db
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'Packages'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(seq, 129);
    let stored: Vec<Vec<u8>> = db
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(stored == blobs);
    // rpm's settings, but a rollback journal instead of WAL.
    assert_eq!(pragma(&ours, "user_version"), pragma(&real, "user_version"));
    assert_eq!(pragma(&ours, "page_size"), "Integer(4096)");
    assert_eq!(pragma(&ours, "journal_mode"), "Text(\"delete\")");
    assert_eq!(pragma(&ours, "encoding"), pragma(&real, "encoding"));
    let files: Vec<_> = fs_err::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "no journal, WAL or temp file is left");
}

#[test]
fn the_same_packages_give_the_same_bytes() {
    let packages = host_packages();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    write_rpmdb(&a, &packages).unwrap();
    write_rpmdb(&b, &packages).unwrap();
    assert!(fs_err::read(&a).unwrap() == fs_err::read(&b).unwrap());
    // Over an existing database too.
    write_rpmdb(&a, &packages).unwrap();
    assert!(fs_err::read(&a).unwrap() == fs_err::read(&b).unwrap());
}

/// Build epoch of the host-rpm tests: 2023-11-14T22:13:20Z.
const EPOCH: u32 = 1_700_000_000;

const HOST_PACKAGES: [&str; 9] = [
    "createrepo_c/Archer-3.4.5-6.x86_64.rpm",
    "createrepo_c/Rimmer-1.0.2-2.x86_64.rpm",
    "createrepo_c/balicek-utf8-1.1.1-1.x86_64.rpm",
    "createrepo_c/balicek-iso88591-1.1.1-1.x86_64.rpm",
    "createrepo_c/fake_bash-1.1.1-1.x86_64.rpm",
    "createrepo_c/super_kernel-6.0.1-2.x86_64.rpm",
    "createrepo_c/empty-signed-rsa-0-0.x86_64.rpm",
    "rpm-rs/RPMS/v4/signed/rpm-basic-with-rsa4096-2.3.4-5.el9.noarch.rpm",
    "rpm-rs/RPMS/v4/rpm-empty-0-0.x86_64.rpm",
];

fn host_packages() -> Vec<DbPackage> {
    HOST_PACKAGES
        .iter()
        .enumerate()
        .map(|(i, rel)| {
            let headers = read_rpm(&whittle_test_env::fixtures::path(format!("rpm/rpms/{rel}")));
            let step = u32::try_from(i).unwrap();
            let install = InstallFacts::all_installed(&headers, EPOCH + step, 3);
            DbPackage { headers, install }
        })
        .collect()
}

/// `rpm --dbpath DIR ARGS…`: (status ok, stdout, stderr).
fn rpm(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("rpm")
        .arg("--dbpath")
        .arg(dir)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rpm_ok(dir: &Path, args: &[&str]) -> String {
    let (ok, stdout, stderr) = rpm(dir, args);
    assert!(ok, "rpm {args:?} failed: {stdout}{stderr}");
    stdout
}

fn sorted_lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(str::to_string).collect();
    v.sort();
    v
}

/// Make a directory read-only (or writable again).
fn set_read_only(dir: &Path, read_only: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if read_only { 0o555 } else { 0o755 };
    fs_err::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
    let file = dir.join("rpmdb.sqlite");
    let mode = if read_only { 0o444 } else { 0o644 };
    fs_err::set_permissions(file, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn host_rpm_reads_a_database_of_fixture_packages() {
    if !whittle_test_env::host::require_tool("rpm") {
        return;
    }
    let packages = host_packages();
    let dir = tempfile::tempdir().unwrap();
    write_rpmdb(&dir.path().join("rpmdb.sqlite"), &packages).unwrap();
    set_read_only(dir.path(), true);
    let db = dir.path();

    let want = [
        "Archer-3.4.5-6.x86_64",
        "Rimmer-1.0.2-2.x86_64",
        "balicek-utf8-1.1.1-1.x86_64",
        "balicek-iso88591-1.1.1-1.x86_64",
        "fake_bash-1.1.1-1.x86_64",
        "super_kernel-6.0.1-2.x86_64",
        "empty-0-0.x86_64",
        "rpm-basic-2.3.4-5.el9.noarch",
        "rpm-empty-0-0.x86_64",
    ];
    // -qa lists them all, in install order.
    assert_eq!(rpm_ok(db, &["-qa"]).lines().collect::<Vec<_>>(), want);
    // -q NAME finds each (the Name index).
    for nvra in want {
        let name = &nvra[..nvra.rfind('-').unwrap()];
        let name = &name[..name.rfind('-').unwrap()];
        assert_eq!(rpm_ok(db, &["-q", name]).trim(), nvra, "rpm -q {name}");
    }
    assert!(!rpm(db, &["-q", "glibc"]).0);
    // -qf finds owners (Basenames + Dirnames), both owners of a shared file.
    assert_eq!(
        rpm_ok(db, &["-qf", "/usr/bin/super_kernel"]).trim(),
        "super_kernel-6.0.1-2.x86_64"
    );
    assert_eq!(
        sorted_lines(&rpm_ok(db, &["-qf", "/usr/bin/complex_a"])),
        ["Archer-3.4.5-6.x86_64", "Rimmer-1.0.2-2.x86_64"]
    );
    assert_eq!(
        rpm_ok(db, &["-qf", "/etc/rpm-basic/example_config.toml"]).trim(),
        "rpm-basic-2.3.4-5.el9.noarch"
    );
    // --whatprovides (Providename), --whatrequires (Requirename, no rpmlib).
    assert_eq!(
        rpm_ok(db, &["-q", "--whatprovides", "bash"]).trim(),
        "fake_bash-1.1.1-1.x86_64"
    );
    assert_eq!(
        rpm_ok(db, &["-q", "--whatprovides", "not_so_super_kernel"]).trim(),
        "super_kernel-6.0.1-2.x86_64"
    );
    assert_eq!(
        rpm_ok(db, &["-q", "--whatrequires", "zlib"]).trim(),
        "super_kernel-6.0.1-2.x86_64"
    );
    assert!(!rpm(db, &["-q", "--whatrequires", "rpmlib(CompressedFileNames)"]).0);
    // Weak dependencies, conflicts and obsoletes have their indexes too.
    for (query, what, owner) in [
        ("--whatrecommends", "rec", "Rimmer-1.0.2-2.x86_64"),
        ("--whatsuggests", "sug", "Rimmer-1.0.2-2.x86_64"),
        ("--whatconflicts", "bbc", "Archer-3.4.5-6.x86_64"),
        ("--whatobsoletes", "kernel", "super_kernel-6.0.1-2.x86_64"),
    ] {
        assert_eq!(
            rpm_ok(db, &["-q", query, what]).trim(),
            owner,
            "{query} {what}"
        );
    }
    // Install facts and merged signature tags.
    let qf = rpm_ok(
        db,
        &[
            "-qa",
            "--qf",
            "%{NAME} %{INSTALLTIME} %{INSTALLTID} %{INSTALLCOLOR} %{SIGMD5} %{EPOCHNUM}\n",
        ],
    );
    for (line, p) in qf.lines().zip(&packages) {
        let md5 = hex::encode(p.headers.signature.bin(tags::SIG_MD5).unwrap());
        let epoch = p.headers.main.int(tags::EPOCH).unwrap_or(0);
        let t = p.install.install_time;
        let name = p.headers.main.string(tags::NAME).unwrap();
        assert_eq!(line, format!("{name} {t} {t} 3 {md5} {epoch}"));
    }
    // Install-time order (Installtid) and SIGMD5 / SHA1HEADER lookups.
    let basic = &packages[7].headers.signature;
    let sha1 = basic.string(tags::SHA1HEADER).unwrap();
    assert_eq!(
        rpm_ok(db, &["-q", "--qf", "%{NAME}\n", "--hdrid", &sha1]).trim(),
        "rpm-basic"
    );
    let md5 = hex::encode(basic.bin(tags::SIG_MD5).unwrap());
    assert_eq!(
        rpm_ok(db, &["-q", "--qf", "%{NAME}\n", "--pkgid", &md5]).trim(),
        "rpm-basic"
    );
    let tid = (EPOCH + 4).to_string();
    assert_eq!(
        rpm_ok(db, &["-q", "--qf", "%{NAME}\n", "--tid", &tid]).trim(),
        "fake_bash"
    );
    // Files and their states.
    assert_eq!(
        rpm_ok(
            db,
            &["-q", "--qf", "[%{FILESTATES:fstate}\n]", "super_kernel"]
        ),
        "normal\nnormal\n"
    );
    assert_eq!(
        rpm_ok(db, &["-ql", "rpm-basic"]).lines().count(),
        11,
        "rpm -ql rpm-basic"
    );
    // The database is consistent.
    set_read_only(dir.path(), false);
    let (ok, stdout, stderr) = rpm(db, &["--verifydb"]);
    assert!(ok && stdout.is_empty(), "{stdout}{stderr}");
    let files: Vec<_> = fs_err::read_dir(db)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    // rpm's own lock file appears once rpm may write; nothing else.
    assert!(
        files
            .iter()
            .all(|f| f == "rpmdb.sqlite" || f == ".rpm.lock"),
        "{files:?}"
    );
}

#[test]
fn host_rpm_lists_the_rebuilt_mariner_database_like_the_original() {
    if !whittle_test_env::host::require_tool("rpm") {
        return;
    }
    let (real_dir, _) = mariner_db();
    let dir = tempfile::tempdir().unwrap();
    write_rpmdb_blobs(&dir.path().join("rpmdb.sqlite"), &mariner_blobs()).unwrap();
    set_read_only(dir.path(), true);
    let want = rpm_ok(real_dir.path(), &["-qa"]);
    assert_eq!(want.lines().count(), 129);
    assert_eq!(rpm_ok(dir.path(), &["-qa"]), want);
    for (what, args) in [
        ("owner", &["-qf", "/usr/bin/bash"][..]),
        (
            "provides",
            &["-q", "--whatprovides", "libc.so.6()(64bit)"][..],
        ),
        ("requires", &["-q", "--whatrequires", "bash"][..]),
        ("name", &["-q", "ca-certificates-base"][..]),
    ] {
        assert_eq!(
            sorted_lines(&rpm_ok(dir.path(), args)),
            sorted_lines(&rpm_ok(real_dir.path(), args)),
            "{what}"
        );
    }
    // Headers rebuilt from the blobs round-trip through our blob writer.
    for blob in mariner_blobs() {
        let installed = Header::from_blob(&blob, "blob").unwrap();
        let (ril, rdl) = installed.region().unwrap();
        let mut main = crate::header::HEADER_MAGIC.to_vec();
        main.extend_from_slice(&[0; 4]);
        main.extend_from_slice(&u32::try_from(ril).unwrap().to_be_bytes());
        main.extend_from_slice(&u32::try_from(rdl).unwrap().to_be_bytes());
        main.extend_from_slice(&blob[8..8 + ril * 16]);
        main.extend_from_slice(&installed.store()[..rdl]);
        let headers = PackageHeaders {
            lead: Lead {
                major: 3,
                package_type: 0,
            },
            signature: signature_of(&installed),
            main: Header::parse(&main, "main").unwrap(),
        };
        let ours = installed_blob(&headers, &facts_of(&installed)).unwrap();
        assert!(ours == blob, "{}", package_label(&installed));
    }
    set_read_only(dir.path(), false);
}
