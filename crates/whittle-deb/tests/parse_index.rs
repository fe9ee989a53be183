//! Release and Packages indexes: small synthetic cases and the real
//! fixture mirrors (bookworm, bookworm-security, noble), read in place.

// Helpers outside #[test] functions may unwrap and print too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::HashSet;
use std::time::Instant;

use sha2::{Digest, Sha256};
use whittle_deb::control::parse_paragraphs;
use whittle_deb::index::{
    decompress_index, parse_packages, parse_packages_skipping, parse_release, IndexError, Release,
};
use whittle_deb::relations::format_dependency;
use whittle_deb::version;
use whittle_model::{Op, PackageRecord, Provide, Requirement, SourceRef};
use whittle_test_env::fixtures;

/// The signed text of a clearsigned (`InRelease`) file, armor removed and
/// dash-escaping undone. No signature check: that is whittle-sig's job.
fn clearsigned_text(armored: &str) -> String {
    let mut lines = armored.lines();
    assert_eq!(lines.next(), Some("-----BEGIN PGP SIGNED MESSAGE-----"));
    // Armor headers (`Hash: ...`) up to the first empty line.
    for l in lines.by_ref() {
        if l.trim().is_empty() {
            break;
        }
    }
    let mut out = String::new();
    for l in lines {
        if l == "-----BEGIN PGP SIGNATURE-----" {
            return out;
        }
        out.push_str(l.strip_prefix("- ").unwrap_or(l));
        out.push('\n');
    }
    panic!("no signature block");
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

const RELEASE: &str = "\
Origin: Made Up
Label: Made Up
Suite: stable
Codename: example
Version: 1.2
Date: Sat, 11 Jul 2026 10:16:37 UTC
Valid-Until: Sat, 18 Jul 2026 10:16:37 UTC
Acquire-By-Hash: yes
Architectures: all amd64 arm64
Components: main contrib
MD5Sum:
 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 main/binary-amd64/Packages
SHA256:
 9E0B5AABB2465B3D2E7A7FE27F9913846277833F7A2826E7767ACCCFF5B588C5  8790396 main/binary-amd64/Packages.xz
 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855        0 Release.extra
";

#[test]
fn release_fields() {
    let r = parse_release(RELEASE).unwrap();
    assert_eq!(r.origin.as_deref(), Some("Made Up"));
    assert_eq!(r.codename.as_deref(), Some("example"));
    assert_eq!(r.suite.as_deref(), Some("stable"));
    assert_eq!(r.version.as_deref(), Some("1.2"));
    assert_eq!(
        r.valid_until.as_deref(),
        Some("Sat, 18 Jul 2026 10:16:37 UTC")
    );
    assert_eq!(r.architectures, ["all", "amd64", "arm64"]);
    assert_eq!(r.components, ["main", "contrib"]);
    assert!(r.acquire_by_hash);
    assert_eq!(r.files.len(), 2);
    let e = r.file("main/binary-amd64/Packages.xz").unwrap();
    assert_eq!(e.size, 8790396);
    assert_eq!(
        e.sha256,
        "9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5"
    );
    assert_eq!(
        r.by_hash_path("main/binary-amd64/Packages.xz").unwrap(),
        "main/binary-amd64/by-hash/SHA256/9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5"
    );
    assert_eq!(
        r.by_hash_path("Release.extra").unwrap(),
        "by-hash/SHA256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert!(
        r.file("main/binary-amd64/Packages").is_none(),
        "MD5-only entries are ignored"
    );
}

#[test]
fn release_errors() {
    assert!(matches!(
        parse_release("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: x\n"),
        Err(IndexError::StillSigned)
    ));
    assert!(matches!(
        parse_release("Origin: x\nMD5Sum:\n 0ed6d4c8891eb86358b94bb35d9e4da4 1 a\n"),
        Err(IndexError::NoSha256)
    ));
    let e = parse_release("Origin: x\nSHA256:\n abc 12 main/Packages\n").unwrap_err();
    assert!(
        matches!(e, IndexError::BadChecksumLine { line: 3, .. }),
        "{e:?}"
    );
    let e = parse_release(&RELEASE.replace("  8790396 main", " many main")).unwrap_err();
    assert!(e.to_string().contains("line 14"), "{e}");
}

const PACKAGES: &str = "\
Package: python3
Source: python3-defaults (3.11.2-1)
Version: 3.11.2-1+b1
Installed-Size: 81
Architecture: amd64
Provides: python3-profiler, python3-supported-max (= 3.11)
Depends: python3.11 (>= 3.11.2-1~), libpython3-stdlib (= 3.11.2-1+b1)
Pre-Depends: python3-minimal (= 3.11.2-1+b1)
Breaks: old (<< 1)
Conflicts: python3-distutils
Description: interactive high-level object-oriented language
 long text
Multi-Arch: allowed
Section: python
Priority: optional
Filename: pool/main/p/python3-defaults/python3_3.11.2-1+b1_amd64.deb
Size: 26300
MD5sum: 48ebc2dc2cb4fa44aaa2780f8141bbe1
SHA256: 33f6dafbd1a6902d9063172ec7dbd4b2225e12009e0d7ec5c933a72c2f5f3b74

Package: foreign
Version: 1
Architecture: arm64
Filename: pool/f/foreign_1_arm64.deb

Package: tzdata
Version: 2026f-0+deb12u1
Architecture: all
Source: tzdata
Depends: debconf (>= 0.5) | debconf-2.0
Filename: pool/main/t/tzdata/tzdata_2026f-0+deb12u1_all.deb
Size: 10
";

#[test]
fn packages_records() {
    let recs = parse_packages(PACKAGES, "http://mirror.invalid/debian/", 3, "amd64").unwrap();
    assert_eq!(recs.len(), 2, "the arm64 paragraph is skipped");
    let p = &recs[0];
    assert_eq!(p.label(), "python3 3.11.2-1+b1");
    assert_eq!(p.arch, "amd64");
    assert_eq!(p.repo, 3);
    assert_eq!(
        p.source,
        Some(SourceRef {
            name: "python3-defaults".into(),
            version: "3.11.2-1".into()
        })
    );
    let deps: Vec<String> = p.depends.iter().map(format_dependency).collect();
    assert_eq!(
        deps,
        [
            "python3-minimal (= 3.11.2-1+b1)",
            "python3.11 (>= 3.11.2-1~)",
            "libpython3-stdlib (= 3.11.2-1+b1)"
        ]
    );
    assert_eq!(
        p.conflicts,
        [
            Requirement::any("python3-distutils"),
            Requirement::with("old", Op::Lt, "1")
        ]
    );
    assert_eq!(
        p.provides[1],
        Provide {
            name: "python3-supported-max".into(),
            version: Some("3.11".into())
        }
    );
    assert_eq!(
        p.download.url,
        "http://mirror.invalid/debian/pool/main/p/python3-defaults/python3_3.11.2-1+b1_amd64.deb"
    );
    assert_eq!(p.download.size, Some(26300));
    assert_eq!(
        p.download.sha256.as_deref(),
        Some("33f6dafbd1a6902d9063172ec7dbd4b2225e12009e0d7ec5c933a72c2f5f3b74")
    );
    assert_eq!(p.installed_size, Some(81 * 1024));
    assert_eq!(p.extra["Multi-Arch"], "allowed");
    assert_eq!(p.extra["Section"], "python");
    assert_eq!(p.extra["MD5sum"], "48ebc2dc2cb4fa44aaa2780f8141bbe1");
    assert_eq!(
        p.extra["Description"],
        "interactive high-level object-oriented language"
    );
    let t = &recs[1];
    assert_eq!(t.arch, "all");
    assert_eq!(
        t.source,
        Some(SourceRef {
            name: "tzdata".into(),
            version: "2026f-0+deb12u1".into()
        })
    );
    assert_eq!(
        format_dependency(&t.depends[0]),
        "debconf (>= 0.5) | debconf-2.0"
    );
    assert_eq!(t.installed_size, None);
    assert_eq!(t.download.sha256, None);
    let arm = parse_packages(PACKAGES, "http://mirror.invalid/debian", 0, "arm64").unwrap();
    assert_eq!(
        arm.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["foreign", "tzdata"]
    );
    assert_eq!(
        arm[0].download.url,
        "http://mirror.invalid/debian/pool/f/foreign_1_arm64.deb"
    );
}

#[test]
fn packages_errors_name_package_and_line() {
    let e = parse_packages(
        &PACKAGES.replace("Installed-Size: 81", "Installed-Size: lots"),
        "http://mirror.invalid/debian",
        0,
        "amd64",
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("python3") && msg.contains("line 4") && msg.contains("Installed-Size"),
        "{msg}"
    );
    let e = parse_packages(
        &PACKAGES.replace("Depends: debconf (>= 0.5)", "Depends: debconf (>= 0.5"),
        "http://mirror.invalid/debian",
        0,
        "amd64",
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("tzdata") && msg.contains("line 30") && msg.contains("Depends"),
        "{msg}"
    );
    let e = parse_packages(
        &PACKAGES.replace(
            "Filename: pool/main/t/tzdata/tzdata_2026f-0+deb12u1_all.deb\n",
            "",
        ),
        "http://mirror.invalid/debian",
        0,
        "amd64",
    )
    .unwrap_err();
    assert!(
        matches!(&e, IndexError::MissingField { package, line: 26, field: "Filename" } if package == "tzdata"),
        "{e:?}"
    );
    // The line is in the cause, which the CLI prints below the message.
    let e =
        parse_packages("Package: a\nbroken\n", "http://mirror.invalid", 0, "amd64").unwrap_err();
    assert!(matches!(e, IndexError::Syntax { .. }), "{e:?}");
    let cause = std::error::Error::source(&e).map(ToString::to_string);
    assert!(
        cause.as_deref().is_some_and(|c| c.contains("line 2")),
        "{e}: {cause:?}"
    );
}

#[test]
fn decompression() {
    use std::io::Write;
    let text = PACKAGES.as_bytes();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text).unwrap();
    let gz = gz.finish().unwrap();
    assert_eq!(decompress_index("Packages.gz", &gz).unwrap(), text);
    let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(text).unwrap();
    let xz = xz.finish().unwrap();
    assert_eq!(
        decompress_index("main/binary-amd64/Packages.xz", &xz).unwrap(),
        text
    );
    assert_eq!(decompress_index("Packages", text).unwrap(), text);
    assert!(matches!(
        decompress_index("Packages.xz", b"not xz"),
        Err(IndexError::Decompress { .. })
    ));
    assert!(matches!(
        decompress_index("Packages.gz", &gz[..gz.len() / 2]),
        Err(IndexError::Decompress { .. })
    ));
}

/// One real suite: InRelease → Release, index checksum, decompress, parse.
struct Suite {
    release: Release,
    text: String,
    records: Vec<PackageRecord>,
}

fn load_suite(dists: &str, suite: &str, index: &str, base_url: &str) -> Suite {
    let dir = fixtures::path(format!("{dists}/{suite}"));
    let inrelease = fs_err::read_to_string(dir.join("InRelease")).unwrap();
    let release = parse_release(&clearsigned_text(&inrelease)).unwrap();
    let bytes = fs_err::read(dir.join(index)).unwrap();
    let entry = release.file(index).expect("index listed in Release");
    assert_eq!(entry.size, bytes.len() as u64, "{index} size");
    assert_eq!(
        sha256_hex(&bytes),
        entry.sha256,
        "{index} SHA256 matches Release"
    );
    let plain = decompress_index(index, &bytes).unwrap();
    let plain_name = index.rsplit_once('.').unwrap().0;
    if let Some(e) = release.file(plain_name) {
        assert_eq!(e.size, plain.len() as u64);
        assert_eq!(
            sha256_hex(&plain),
            e.sha256,
            "{plain_name} SHA256 matches Release"
        );
    }
    let text = String::from_utf8(plain).unwrap();
    let t = Instant::now();
    let records = parse_packages(&text, base_url, 0, "amd64").unwrap();
    eprintln!(
        "{suite}/{index}: {} bytes, {} amd64+all records in {:.1} ms",
        text.len(),
        records.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    Suite {
        release,
        text,
        records,
    }
}

fn find<'a>(recs: &'a [PackageRecord], name: &str) -> &'a PackageRecord {
    recs.iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} not found"))
}

fn check_all_versions(recs: &[PackageRecord]) {
    for r in recs {
        version::parse(&r.version).unwrap_or_else(|e| panic!("{}: {e}", r.name));
        if let Some(s) = &r.source {
            version::parse(&s.version).unwrap_or_else(|e| panic!("{} source: {e}", r.name));
        }
        for d in &r.depends {
            for a in &d.alternatives {
                if let Some((_, v)) = &a.constraint {
                    version::parse(v).unwrap_or_else(|e| panic!("{} dep {a}: {e}", r.name));
                }
            }
        }
    }
}

#[test]
fn parse_real_bookworm_main() {
    let s = load_suite(
        "debian-bookworm-mirror/debian/dists",
        "bookworm",
        "main/binary-amd64/Packages.xz",
        "http://mirror.invalid/debian",
    );
    assert_eq!(s.release.codename.as_deref(), Some("bookworm"));
    assert_eq!(s.release.origin.as_deref(), Some("Debian"));
    assert!(s.release.acquire_by_hash);
    assert!(s.release.components.iter().any(|c| c == "main"));
    assert!(s.release.architectures.iter().any(|a| a == "amd64"));

    // Paragraph level: every paragraph, exact round trip.
    let t = Instant::now();
    let paragraphs = parse_paragraphs(&s.text).unwrap();
    let took = t.elapsed();
    eprintln!(
        "bookworm main amd64 Packages: parse_paragraphs of {} paragraphs ({} MB) in {:.1} ms",
        paragraphs.len(),
        s.text.len() / 1_000_000,
        took.as_secs_f64() * 1000.0
    );
    assert!(paragraphs.len() > 60_000, "{}", paragraphs.len());
    let mut back = String::with_capacity(s.text.len());
    for p in &paragraphs {
        p.write_text(&mut back);
        back.push('\n');
    }
    assert_eq!(back, s.text, "paragraphs write back byte for byte");

    assert!(s.records.len() > 60_000, "{}", s.records.len());
    assert_eq!(
        s.records.len(),
        paragraphs.len(),
        "binary-amd64 holds only amd64 and all"
    );
    let py = find(&s.records, "python3");
    assert_eq!(py.version, "3.11.2-1+b1");
    assert_eq!(
        py.source,
        Some(SourceRef {
            name: "python3-defaults".into(),
            version: "3.11.2-1".into()
        })
    );
    assert_eq!(
        format_dependency(&py.depends[0]),
        "python3-minimal (= 3.11.2-1+b1)"
    );
    assert_eq!(
        py.download.url,
        "http://mirror.invalid/debian/pool/main/p/python3-defaults/python3_3.11.2-1+b1_amd64.deb"
    );
    assert_eq!(py.download.size, Some(26300));
    assert_eq!(py.installed_size, Some(81 * 1024));
    assert!(py
        .provides
        .iter()
        .any(|p| p.name == "python3-supported-max"));
    let bf = find(&s.records, "base-files");
    assert_eq!(bf.extra.get("Essential").map(String::as_str), Some("yes"));
    assert!(bf.depends.iter().any(|d| d.to_string().contains("awk")));
    let essential = s
        .records
        .iter()
        .filter(|r| r.extra.contains_key("Essential"))
        .count();
    assert!(essential >= 20, "{essential}");
    // The fixture's pool holds these exact versions.
    let pool =
        fs_err::read_to_string(fixtures::path("debian-bookworm-mirror/packages.txt")).unwrap();
    let have: HashSet<(&str, &str)> = s
        .records
        .iter()
        .map(|r| (r.name.as_str(), r.version.as_str()))
        .collect();
    let security = load_suite(
        "debian-bookworm-mirror/debian-security/dists",
        "bookworm-security",
        "main/binary-amd64/Packages.xz",
        "http://mirror.invalid/debian-security",
    );
    let updates = load_suite(
        "debian-bookworm-mirror/debian/dists",
        "bookworm-updates",
        "main/binary-amd64/Packages.xz",
        "http://mirror.invalid/debian",
    );
    let mut more: HashSet<(String, String)> = HashSet::new();
    for suite in [&security, &updates] {
        for r in &suite.records {
            more.insert((r.name.clone(), r.version.clone()));
        }
    }
    for line in pool.lines().filter(|l| !l.trim().is_empty()) {
        let (n, v) = line.split_once(' ').unwrap();
        assert!(
            have.contains(&(n, v)) || more.contains(&(n.to_string(), v.to_string())),
            "{n} {v} from packages.txt is in no index"
        );
    }
    check_all_versions(&s.records);
}

#[test]
fn parse_real_bookworm_security() {
    let s = load_suite(
        "debian-bookworm-mirror/debian-security/dists",
        "bookworm-security",
        "main/binary-amd64/Packages.xz",
        "http://mirror.invalid/debian-security",
    );
    assert_eq!(s.release.codename.as_deref(), Some("bookworm-security"));
    assert_eq!(s.release.label.as_deref(), Some("Debian-Security"));
    assert!(s.release.valid_until.is_some());
    assert!(s.release.components.iter().any(|c| c == "updates/main"));
    assert!(s.records.len() > 2_000, "{}", s.records.len());
    let libc: Vec<&PackageRecord> = s.records.iter().filter(|r| r.name == "libc6").collect();
    assert!(!libc.is_empty());
    for r in &libc {
        assert_eq!(r.source_name(), "glibc");
        assert!(r
            .download
            .url
            .starts_with("http://mirror.invalid/debian-security/pool/updates/main/g/glibc/"));
        assert_eq!(r.extra.get("Multi-Arch").map(String::as_str), Some("same"));
        assert!(
            r.conflicts.iter().any(|c| c.name == "locales"),
            "Breaks kept as conflicts"
        );
    }
    check_all_versions(&s.records);
}

#[test]
fn parse_real_noble() {
    let mut total = 0;
    for suite in ["noble", "noble-updates", "noble-security"] {
        for comp in ["main", "universe"] {
            let s = load_suite(
                "ubuntu-noble-mirror/ubuntu/dists",
                suite,
                &format!("{comp}/binary-amd64/Packages.gz"),
                "http://mirror.invalid/ubuntu",
            );
            assert_eq!(s.release.origin.as_deref(), Some("Ubuntu"));
            assert_eq!(s.release.codename.as_deref(), Some("noble"));
            total += s.records.len();
            check_all_versions(&s.records);
            if suite == "noble" && comp == "main" {
                assert!(s.records.len() > 6_000, "{}", s.records.len());
                let py = find(&s.records, "python3");
                assert_eq!(py.version, "3.12.3-0ubuntu1");
                assert_eq!(
                    py.source,
                    Some(SourceRef {
                        name: "python3-defaults".into(),
                        version: "3.12.3-0ubuntu1".into()
                    })
                );
                assert_eq!(py.conflicts, [Requirement::any("python3-distutils")]);
                assert_eq!(py.extra["Priority"], "important");
            }
        }
    }
    assert!(total > 90_000, "{total}");
}

/// Debian Policy §5.6.12: `[epoch:]upstream[-revision]`, the epoch digits,
/// the upstream starting with a digit, only `[A-Za-z0-9.+~-:]` in it and
/// `[A-Za-z0-9.+~]` in the revision. A `Packages` stanza with any other
/// `Version` (or `Source` version) is refused, naming the package.
#[test]
fn invalid_versions_are_refused_naming_the_package() {
    for bad in [
        ":::",
        "abc",
        "1.0_beta",
        "a:1.0",
        ":1.0",
        "1:",
        "1.0-",
        "1 0",
        "1.0-r/1",
        "99999999999:1",
    ] {
        let text = PACKAGES.replace("Version: 2026f-0+deb12u1", &format!("Version: {bad}"));
        let e = parse_packages(&text, "http://mirror.invalid/debian", 0, "amd64").unwrap_err();
        assert!(
            matches!(&e, IndexError::BadField { package, field: "Version", line: 27, .. } if package == "tzdata"),
            "{bad}: {e:?}"
        );
        assert!(
            e.to_string().contains("package tzdata: bad Version value"),
            "{e}"
        );
    }
    let text = PACKAGES.replace(
        "Source: python3-defaults (3.11.2-1)",
        "Source: python3-defaults (:::)",
    );
    let e = parse_packages(&text, "http://mirror.invalid/debian", 0, "amd64").unwrap_err();
    assert!(
        matches!(&e, IndexError::BadField { package, field: "Source", .. } if package == "python3"),
        "{e:?}"
    );
    // Valid edge cases stay valid.
    for good in ["0", "1:0", "1:2:3-4", "1.0~rc1+dfsg-1~bpo12+1", "2.3-4-5"] {
        let text = PACKAGES.replace("Version: 2026f-0+deb12u1", &format!("Version: {good}"));
        parse_packages(&text, "http://mirror.invalid/debian", 0, "amd64")
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
}

/// One malformed stanza costs that package, not the index: the others are
/// read and the bad one is set aside with its package, line and field.
#[test]
fn a_malformed_stanza_is_set_aside() {
    let base = "http://mirror.invalid/debian";
    for (from, to, field) in [
        ("Size: 26300", "Size: abc", "Size"),
        ("Version: 3.11.2-1+b1\n", "", "Version"),
        ("Version: 3.11.2-1+b1", "Version: :::", "Version"),
        (
            "Depends: python3.11 (>= 3.11.2-1~)",
            "Depends: python3.11 (>= 3.11.2-1~",
            "Depends",
        ),
        ("SHA256: 33f6", "SHA256: zz33f6", "SHA256"),
    ] {
        let text = PACKAGES.replace(from, to);
        let parsed = parse_packages_skipping(&text, base, 0, "amd64");
        let names: Vec<&str> = parsed.records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["tzdata"], "{field}");
        assert_eq!(parsed.skipped.len(), 1, "{field}");
        let skipped = &parsed.skipped[0];
        assert_eq!(skipped.package, "python3");
        let msg = skipped.error.to_string();
        assert!(
            msg.contains(field) && msg.contains("python3") && msg.contains("line "),
            "{msg}"
        );
        // The strict parse still refuses the index, with the same error.
        let strict = parse_packages(&text, base, 0, "amd64").unwrap_err();
        assert_eq!(strict.to_string(), msg);
    }
}

/// Broken deb822 inside a stanza skips to the end of that stanza; the
/// stanzas after it are read, and line numbers stay those of the file.
#[test]
fn a_stanza_with_broken_syntax_is_skipped_to_its_end() {
    let text = PACKAGES
        .replace("Multi-Arch: allowed\n", "Multi-Arch allowed\n")
        .replace("Size: 10\n", "Size: 10\nSize: 11\n");
    let parsed = parse_packages_skipping(&text, "http://mirror.invalid/debian", 0, "amd64");
    assert!(parsed.records.is_empty());
    let skipped: Vec<(&str, String)> = parsed
        .skipped
        .iter()
        .map(|s| {
            let cause = std::error::Error::source(&s.error)
                .map(ToString::to_string)
                .unwrap_or_default();
            (s.package.as_str(), cause)
        })
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, "python3");
    assert!(skipped[0].1.starts_with("line 13:"), "{skipped:?}");
    assert_eq!(skipped[1].0, "tzdata");
    assert!(
        skipped[1].1.starts_with("line 33:") && skipped[1].1.contains("Size"),
        "{skipped:?}"
    );
    // Every stanza for the architecture malformed: an error.
    let e = parsed.check_usable().unwrap_err();
    assert!(
        matches!(e, IndexError::AllMalformed { skipped: 2, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("every stanza"), "{e}");
    // A continuation line with no field before it (the paragraph starts
    // with a space) is skipped too.
    let text = format!(" orphan continuation\n\n{PACKAGES}");
    let parsed = parse_packages_skipping(&text, "http://mirror.invalid/debian", 0, "amd64");
    assert_eq!(parsed.records.len(), 2);
    assert_eq!(parsed.skipped.len(), 1);
    assert_eq!(parsed.skipped[0].package, "(unnamed)");
}
