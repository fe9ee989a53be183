//! APKINDEX archives and text from the fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use whittle_apk::index::{
    parse_index_text, read_index_archive, split_gzip_members, SignatureAlgorithm,
};
use whittle_model::{Op, Provide, Requirement};
use whittle_test_env::fixtures;

fn read(rel: &str) -> Vec<u8> {
    fs_err::read(fixtures::path(format!("apk/{rel}"))).unwrap()
}

#[test]
fn alpine_indexes_parse_fully() {
    for (rel, arch, count, key, desc) in [
        (
            "alpine/v3.16-main-x86_64/APKINDEX.tar.gz",
            "x86_64",
            4929,
            "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub",
            "v3.16.3-13-g4d933a1fa3",
        ),
        (
            "alpine/v3.17-main-aarch64/APKINDEX.tar.gz",
            "aarch64",
            5004,
            "alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub",
            "v3.17.3-216-g54a39ace82a",
        ),
    ] {
        let bytes = read(rel);
        let ar = read_index_archive(&bytes, rel).unwrap();
        assert_eq!(ar.signatures.len(), 1);
        assert_eq!(ar.signatures[0].algorithm, SignatureAlgorithm::Sha1);
        assert_eq!(ar.signatures[0].key_name, key);
        assert_eq!(ar.description.as_deref(), Some(desc));
        // The signed member is the second gzip member, byte for byte.
        let members = split_gzip_members(&bytes, 1 << 30).unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[1], &ar.signed_member[..]);

        let recs = parse_index_text(
            &ar.apkindex,
            "https://alpine.mirror.invalid/alpine/v3.x/main",
            3,
            arch,
            None,
        )
        .unwrap();
        eprintln!("{rel}: {} records", recs.len());
        assert_eq!(recs.len(), count);
        for r in &recs {
            assert_eq!(r.arch, arch);
            assert_eq!(r.repo, 3);
            assert!(r.extra.get("C").unwrap().starts_with("Q1"), "{}", r.name);
            assert!(!r.extra.contains_key("broken"), "{}: {:?}", r.name, r.extra);
            assert!(r.download.size.unwrap() > 0);
            assert!(r.download.sha256.is_none());
            assert_eq!(
                r.download.url,
                format!(
                    "https://alpine.mirror.invalid/alpine/v3.x/main/{arch}/{}-{}.apk",
                    r.name, r.version
                )
            );
        }
        assert!(recs.iter().any(|r| !r.install_if.is_empty()));
        assert!(recs.iter().any(|r| r.provider_priority > 0));
        // Real versions outside apk's grammar (e.g. `0.99f7-r0`) still parse.
        let invalid = recs
            .iter()
            .filter(|r| !whittle_apk::version::is_valid(&r.version))
            .count();
        eprintln!("{rel}: {invalid} versions outside the apk grammar");
        assert!(recs.iter().any(|r| !r.conflicts.is_empty()));
        assert!(recs.iter().any(|r| r
            .depends
            .iter()
            .any(|d| d.alternatives[0].name == "/bin/sh")));
        let musl = recs.iter().find(|r| r.name == "musl").unwrap();
        assert!(musl
            .provides
            .iter()
            .any(|p| p.name.starts_with("so:libc.musl")));
        let bb = recs.iter().find(|r| r.name == "busybox").unwrap();
        assert_eq!(bb.source.as_ref().unwrap().name, "busybox");
        assert!(bb.extra.contains_key("L") && bb.extra.contains_key("t"));
    }
}

#[test]
fn multisig_index_fields() {
    let ar = read_index_archive(&read("multisig-index/APKINDEX.tar.gz"), "multisig").unwrap();
    assert_eq!(ar.signatures.len(), 3);
    assert!(ar.signatures.iter().all(
        |s| s.algorithm == SignatureAlgorithm::Sha256 && s.key_name.starts_with("chainguard-")
    ));
    let recs = parse_index_text(
        &ar.apkindex,
        "https://wolfi.mirror.invalid/os/",
        0,
        "aarch64",
        Some("wolfi"),
    )
    .unwrap();
    // PROVENANCE says 17; the APKINDEX holds 16 records.
    assert_eq!(recs.len(), 16);
    let ld = recs.iter().find(|r| r.name == "ld-linux").unwrap();
    assert_eq!(ld.provider_priority, 10);
    assert_eq!(ld.source.as_ref().unwrap().name, "glibc");
    assert_eq!(ld.repo_tag.as_deref(), Some("wolfi"));
    assert_eq!(
        ld.download.url,
        "https://wolfi.mirror.invalid/os/aarch64/ld-linux-2.40-r4.apk"
    );
    assert!(ld.provides.contains(&Provide {
        name: "so:ld-linux-aarch64.so.1".into(),
        version: Some("1".into())
    }));
    let zip = recs.iter().find(|r| r.name == "7zip").unwrap();
    assert!(zip.provides.contains(&Provide {
        name: "cmd:7zz".into(),
        version: Some("22.01-r0".into())
    }));
    assert!(zip
        .depends
        .iter()
        .any(|d| d.alternatives == vec![Requirement::any("so:libc.so.6")]));
    assert!(recs
        .iter()
        .any(|r| r.conflicts.contains(&Requirement::any("musl"))));
}

#[test]
fn small_repositories() {
    for arch in ["x86_64", "aarch64"] {
        let rel = format!("melange-rsa256-repo/{arch}/APKINDEX.tar.gz");
        let ar = read_index_archive(&read(&rel), &rel).unwrap();
        assert_eq!(ar.signatures.len(), 1);
        assert_eq!(ar.signatures[0].algorithm, SignatureAlgorithm::Sha256);
        assert_eq!(ar.signatures[0].key_name, "melange.rsa.pub");
        let recs = parse_index_text(&ar.apkindex, "./packages", 1, arch, None).unwrap();
        let names: Vec<_> = recs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(recs.len(), 4, "{names:?}");
        let rep = recs.iter().find(|r| r.name == "replayout").unwrap();
        // `melange index` does not write `r:` (replaces lives in .PKGINFO only).
        assert!(rep.replaces.is_empty());
        assert_eq!(rep.depends[0].alternatives[0].name, "pretend-baselayout");
        let ca: Vec<_> = recs
            .iter()
            .filter(|r| {
                r.provides
                    .iter()
                    .any(|p| p.name == "custom-ca-certificates" && p.version.is_none())
            })
            .collect();
        assert_eq!(ca.len(), 2);

        let rel = format!("rsa-sha1-repo/{arch}/APKINDEX.tar.gz");
        let ar = read_index_archive(&read(&rel), &rel).unwrap();
        assert_eq!(ar.signatures[0].algorithm, SignatureAlgorithm::Sha1);
        assert_eq!(ar.signatures[0].key_name, "private_pkg_key.rsa.pub");
        let recs = parse_index_text(&ar.apkindex, "./private", 2, arch, None).unwrap();
        assert_eq!(recs.len(), 2);
        let y = recs.iter().find(|r| r.name == "package-y").unwrap();
        assert_eq!(y.depends[0].alternatives[0].name, "package-x");
    }
}

#[test]
fn unsigned_single_member_index() {
    let bytes = read("unsigned/APKINDEX.tar.gz");
    assert_eq!(split_gzip_members(&bytes, 1 << 20).unwrap().len(), 1);
    let ar = read_index_archive(&bytes, "unsigned").unwrap();
    assert!(ar.signatures.is_empty());
    assert_eq!(ar.signed_member, bytes);
    let recs = parse_index_text(&ar.apkindex, "http://x", 0, "x86_64", None).unwrap();
    let names: Vec<_> = recs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a-pkg", "b-pkg"]);
}

#[test]
fn text_indexes_and_solver_repos() {
    let text = fs_err::read_to_string(fixtures::path("apk/extracted-index/APKINDEX")).unwrap();
    assert_eq!(
        parse_index_text(&text, "x", 0, "x86_64", None)
            .unwrap()
            .len(),
        2
    );
    for arch in ["x86_64", "aarch64"] {
        let text = fs_err::read_to_string(fixtures::path(format!(
            "apk/apko-base-image-metadata/{arch}/APKINDEX"
        )))
        .unwrap();
        assert!(!parse_index_text(&text, "x", 0, arch, None)
            .unwrap()
            .is_empty());
    }
    let mut total = 0;
    for entry in fs_err::read_dir(fixtures::path("apk/apk-tools-gpl2/solver")).unwrap() {
        let path = entry.unwrap().path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext == "repo" || ext == "installed" {
            let text = fs_err::read_to_string(&path).unwrap();
            total += parse_index_text(&text, "x", 0, "noarch", None)
                .unwrap()
                .len();
        }
    }
    assert!(total > 100);
    let text =
        fs_err::read_to_string(fixtures::path("apk/apk-tools-gpl2/solver/error.repo")).unwrap();
    let recs = parse_index_text(&text, "x", 0, "noarch", None).unwrap();
    let inv = recs.iter().find(|r| r.name == "invalid").unwrap();
    assert!(inv.extra.contains_key("broken"));
    let text = "P:foo\nV:1\ni:bar=1 !baz\n";
    let recs = parse_index_text(text, "x", 0, "noarch", None).unwrap();
    assert_eq!(
        recs[0].install_if,
        vec![
            Requirement::with("bar", Op::Eq, "1"),
            Requirement::any("!baz")
        ]
    );
    assert!(!recs[0].extra.contains_key("broken"));
}

#[test]
fn record_mapping_and_errors() {
    let text = "C:Q1abc=\nP:foo\nV:1.0-r1\nA:x86_64\nS:10\nI:20\nT:desc\no:foosrc\nD:bar>=2 !baz so:libc.so.6\np:cmd:foo=1.0-r1 virt\ni:qux docs\nr:old\nk:5\nq:3\n\n\nP:second\nV:2\n";
    let recs = parse_index_text(text, "https://r/", 0, "x86_64", None).unwrap();
    assert_eq!(recs.len(), 2);
    let r = &recs[0];
    assert_eq!(r.source.as_ref().unwrap().name, "foosrc");
    assert_eq!(r.source.as_ref().unwrap().version, "1.0-r1");
    assert_eq!(r.depends.len(), 2);
    assert_eq!(
        r.depends[0].alternatives[0],
        Requirement::with("bar", Op::Ge, "2")
    );
    assert_eq!(r.conflicts, vec![Requirement::any("baz")]);
    assert_eq!(
        r.install_if,
        vec![Requirement::any("qux"), Requirement::any("docs")]
    );
    assert_eq!(r.provider_priority, 5);
    assert_eq!(r.installed_size, Some(20));
    assert_eq!(r.download.size, Some(10));
    assert_eq!(r.download.url, "https://r/x86_64/foo-1.0-r1.apk");
    assert_eq!(r.extra.get("C").unwrap(), "Q1abc=");
    assert_eq!(r.extra.get("q").unwrap(), "3");
    assert_eq!(recs[1].source.as_ref().unwrap().name, "second");
    assert_eq!(recs[1].arch, "x86_64");

    let err = parse_index_text("P:a\nV:1\nS:x\n", "repo", 0, "x86_64", None).unwrap_err();
    assert!(err.to_string().contains("line 3"), "{err}");
    assert!(parse_index_text("P:a\n\nV:1\n", "repo", 0, "x86_64", None).is_err());
    assert!(read_index_archive(b"not gzip", "junk").is_err());
}
