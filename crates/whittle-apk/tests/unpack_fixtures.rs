//! `.apk` verification and unpacking against the fixtures (PROVENANCE.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::io::{Read, Write};

use flate2::{read::GzDecoder, write::GzEncoder, Compression};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use whittle_apk::index::{parse_index_text, read_index_archive, split_gzip_members};
use whittle_apk::keys::ApkKeyring;
use whittle_apk::unpack::{unpack_apk, ApkContents, Expect, SignatureStatus, UnpackError};
use whittle_rootfs::ContentStore;
use whittle_rootfs::NodeKind;
use whittle_test_env::fixtures;

const K317: &str = "alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub";

fn read(rel: &str) -> Vec<u8> {
    fs_err::read(fixtures::path(format!("apk/{rel}"))).unwrap()
}

fn ring(name: &str, rel: &str) -> ApkKeyring {
    let mut r = ApkKeyring::new();
    r.add(name, &read(rel)).unwrap();
    r
}

fn gunzip(member: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(member).read_to_end(&mut out).unwrap();
    out
}

fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Every (index, key name, key file, arch dir) of the signed repositories.
fn signed_repos() -> Vec<(String, String, &'static str, &'static str)> {
    let mut v = Vec::new();
    for arch in ["x86_64", "aarch64"] {
        v.push((
            format!("melange-rsa256-repo/{arch}"),
            "melange.rsa.pub".to_string(),
            "melange-rsa256-repo/melange.rsa.pub",
            arch,
        ));
        v.push((
            format!("rsa-sha1-repo/{arch}"),
            "private_pkg_key.rsa.pub".to_string(),
            "rsa-sha1-repo/private_pkg_key.rsa.pub",
            arch,
        ));
    }
    v
}

fn check_integrity(c: &ApkContents, bytes: &[u8]) {
    let members = split_gzip_members(bytes, 1 << 30).unwrap();
    assert_eq!(members.concat(), bytes);
    let data = members.last().unwrap();
    assert_eq!(c.data_sha256, hex::encode(Sha256::digest(data)));
    assert_eq!(c.pkginfo_get("datahash"), Some(c.data_sha256.as_str()));
    assert_eq!(c.size, bytes.len() as u64);
    assert_eq!(c.q1, format!("Q1{}", c.control_sha1_b64));
    assert_eq!(c.entries.len(), c.sha1s.len());
    for (entry, sha1) in c.entries.iter().zip(&c.sha1s) {
        let (path, node) = (&entry.path, &entry.node);
        assert!(!path.starts_with("./") && !path.starts_with('/') && !path.is_empty());
        assert!(!path.contains("PaxHeaders"), "{path}");
        assert!(!path.starts_with(".SIGN") && path != ".PKGINFO");
        assert!(node.mode <= 0o7777);
        if let NodeKind::File(content) = &node.kind {
            let sha1 = sha1
                .as_ref()
                .unwrap_or_else(|| panic!("{path} has no PAX SHA-1"));
            assert_eq!(*sha1, hex::encode(Sha1::digest(content.to_vec().unwrap())));
        } else {
            assert!(sha1.is_none());
        }
    }
}

#[test]
fn signed_repository_packages_verify_and_match_index() {
    let mut count = 0;
    for (dir, key_name, key_file, arch) in signed_repos() {
        let keyring = ring(&key_name, key_file);
        let ar = read_index_archive(&read(&format!("{dir}/APKINDEX.tar.gz")), &dir).unwrap();
        for rec in parse_index_text(&ar.apkindex, "x", 0, arch, None).unwrap() {
            let rel = format!("{dir}/{}-{}.apk", rec.name, rec.version);
            let bytes = read(&rel);
            let expect = Expect {
                q1: rec.extra.get("C").cloned(),
                size: rec.download.size,
            };
            let c = unpack_apk(
                &bytes[..],
                &expect,
                &keyring,
                &rel,
                &ContentStore::in_memory(),
            )
            .unwrap();
            assert_eq!(
                c.signature,
                SignatureStatus::Verified(key_name.clone()),
                "{rel}"
            );
            assert_eq!(Some(c.q1.as_str()), rec.extra.get("C").map(String::as_str));
            assert_eq!(Some(c.size), rec.download.size, "{rel}");
            assert_eq!(c.pkginfo_get("pkgname"), Some(rec.name.as_str()));
            assert_eq!(c.pkginfo_get("pkgver"), Some(rec.version.as_str()));
            assert!(c.signature_member_sha1_b64.is_some());
            check_integrity(&c, &bytes);
            count += 1;
        }
    }
    eprintln!("{count} signed repository packages verified");
    assert_eq!(count, 12);
}

#[test]
fn replayout_details() {
    let rel = "melange-rsa256-repo/x86_64/replayout-1.0.0-r0.apk";
    let c = unpack_apk(
        &read(rel)[..],
        &Expect::default(),
        &ApkKeyring::new(),
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert_eq!(
        c.signature,
        SignatureStatus::UnknownKey("melange.rsa.pub".into())
    );
    assert_eq!(c.pkginfo_all("replaces"), vec!["pretend-baselayout"]);
    assert_eq!(c.pkginfo_all("depend"), vec!["pretend-baselayout"]);
    let node = &c
        .entries
        .iter()
        .find(|e| e.path == "etc/os-release")
        .unwrap()
        .node;
    assert_eq!((node.uid, node.gid), (501, 20));
    assert!(c
        .entries
        .iter()
        .any(|e| e.path.starts_with("var/lib/db/sbom/") && e.path.ends_with(".spdx.json")));
    assert!(c.scripts.is_empty());
}

#[test]
fn alpine_baselayout() {
    let rel = "alpine/aarch64/alpine-baselayout-3.2.0-r23.apk";
    let bytes = read(rel);
    let idx = read_index_archive(&read("rsa256-index/APKINDEX.tar.gz"), "rsa256").unwrap();
    let rec = parse_index_text(&idx.apkindex, "x", 0, "aarch64", None)
        .unwrap()
        .remove(0);
    let c_field = rec.extra.get("C").cloned();
    assert_eq!(c_field.as_deref(), Some("Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc="));
    let keyring = ring(K317, &format!("alpine/keys/{K317}"));
    let c = unpack_apk(
        &bytes[..],
        &Expect {
            q1: c_field,
            size: rec.download.size,
        },
        &keyring,
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert_eq!(c.signature, SignatureStatus::Verified(K317.into()));
    assert_eq!(c.q1, "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=");
    assert_eq!(rec.download.size, Some(c.size));
    let scripts: Vec<&str> = c.scripts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(scripts.len(), 4, "{scripts:?}");
    for s in [
        ".pre-install",
        ".post-install",
        ".pre-upgrade",
        ".post-upgrade",
    ] {
        assert!(scripts.contains(&s));
    }
    assert_eq!(c.pkginfo_get("builddate"), Some("1662926906"));
    let mode = |p: &str| {
        c.entries
            .iter()
            .find(|e| e.path == p)
            .map(|e| (e.node.is_dir(), e.node.mode))
    };
    assert!(c
        .entries
        .iter()
        .any(|e| e.node.is_dir() && e.node.mode == 0o1777));
    assert!(c
        .entries
        .iter()
        .any(|e| e.node.is_dir() && e.node.mode == 0o700));
    assert_eq!(mode("tmp"), Some((true, 0o1777)));
    check_integrity(&c, &bytes);
    // With the other Alpine key under the right name: the signature fails.
    let mut wrong = ApkKeyring::new();
    wrong
        .add(
            K317,
            &read("alpine/keys/alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub"),
        )
        .unwrap();
    let err = unpack_apk(
        &bytes[..],
        &Expect::default(),
        &wrong,
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap_err();
    assert!(matches!(err, UnpackError::BadSignature { .. }), "{err}");
}

#[test]
fn unknown_key_and_unsigned_packages() {
    let all = {
        let mut r = ring("melange.rsa.pub", "melange-rsa256-repo/melange.rsa.pub");
        r.add(
            "private_pkg_key.rsa.pub",
            &read("rsa-sha1-repo/private_pkg_key.rsa.pub"),
        )
        .unwrap();
        r
    };
    // `hello-wolfi` names `melange.rsa.pub` but was signed by another key of
    // that name: with the melange key in the keyring the signature fails; without, it is unknown.
    let rel = "unknown-key/hello-wolfi-2.12.1-r0.apk";
    let err = unpack_apk(
        &read(rel)[..],
        &Expect::default(),
        &all,
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap_err();
    assert!(matches!(err, UnpackError::BadSignature { .. }), "{err}");
    let c = unpack_apk(
        &read(rel)[..],
        &Expect::default(),
        &ApkKeyring::new(),
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert_eq!(
        c.signature,
        SignatureStatus::UnknownKey("melange.rsa.pub".into())
    );
    assert_eq!(c.pkginfo_get("builddate"), Some("12345678"));
    check_integrity(&c, &read(rel));

    let rel = "unknown-key/hello-2.12-r0.apk";
    let c = unpack_apk(
        &read(rel)[..],
        &Expect::default(),
        &all,
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert_eq!(
        c.signature,
        SignatureStatus::UnknownKey("local-melange.rsa.pub".into())
    );
    check_integrity(&c, &read(rel));

    let rel = "unsigned/hello-0.1.0-r0.apk";
    let c = unpack_apk(
        &read(rel)[..],
        &Expect::default(),
        &all,
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert_eq!(c.signature, SignatureStatus::Unsigned);
    assert!(c.signature_member_sha1_b64.is_none());
    assert_eq!(c.pkginfo_all("depend"), vec!["busybox"]);
    let hello = &c.entries.iter().find(|e| e.path == "hello").unwrap().node;
    assert_eq!(hello.mode, 0o755);
    check_integrity(&c, &read(rel));

    let rel = "unsigned/replaces-0.0.1-r0.apk";
    let c = unpack_apk(
        &read(rel)[..],
        &Expect::default(),
        &all,
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert_eq!(c.signature, SignatureStatus::Unsigned);
    assert_eq!(c.pkginfo_all("replaces"), vec!["foo", "bar"]);
    check_integrity(&c, &read(rel));
}

#[test]
fn q1_mismatch_fails() {
    let rel = "rsa-sha1-repo/x86_64/package-x-1.0.0-r0.apk";
    let expect = Expect {
        q1: Some("Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()),
        size: None,
    };
    let err = unpack_apk(
        &read(rel)[..],
        &expect,
        &ApkKeyring::new(),
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap_err();
    assert!(matches!(err, UnpackError::IndexChecksum { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("checksum does not match the signed index") && msg.contains(rel),
        "{msg}"
    );
}

#[test]
fn tampered_control_member_fails() {
    for (dir, key_name, key_file, _) in signed_repos() {
        let keyring = ring(&key_name, key_file);
        let rel = format!("{dir}/package-x-1.0.0-r0.apk");
        let rel = if dir.starts_with("melange") {
            format!("{dir}/pretend-baselayout-1.0.0-r0.apk")
        } else {
            rel
        };
        let bytes = read(&rel);
        let members = split_gzip_members(&bytes, 1 << 30).unwrap();
        assert_eq!(members.len(), 3);
        let (sig, control, data) = (members[0], members[1], members[2]);

        // 1. One flipped byte inside the compressed control member.
        let mut flipped = bytes.clone();
        let at = sig.len() + control.len() / 2;
        flipped[at] ^= 0x01;
        assert!(
            unpack_apk(
                &flipped[..],
                &Expect::default(),
                &keyring,
                &rel,
                &ContentStore::in_memory()
            )
            .is_err(),
            "{rel}"
        );

        // 2. Same content, recompressed: still valid gzip, but the signature (and Q1) fail.
        let recompressed = gzip(&gunzip(control), 1);
        assert_ne!(recompressed, control);
        let forged = [sig, &recompressed[..], data].concat();
        let err = unpack_apk(
            &forged[..],
            &Expect::default(),
            &keyring,
            &rel,
            &ContentStore::in_memory(),
        )
        .unwrap_err();
        assert!(matches!(err, UnpackError::BadSignature { .. }), "{err}");
        assert!(err.to_string().contains(&key_name));
        let q1 = format!("Q1{}", base64_sha1(control));
        let err = unpack_apk(
            &forged[..],
            &Expect {
                q1: Some(q1),
                size: None,
            },
            &ApkKeyring::new(),
            &rel,
            &ContentStore::in_memory(),
        )
        .unwrap_err();
        assert!(matches!(err, UnpackError::IndexChecksum { .. }), "{err}");
    }
}

fn base64_sha1(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Sha1::digest(b))
}

#[test]
fn tampered_data_member_fails_datahash() {
    let rel = "melange-rsa256-repo/x86_64/custom-ca-certs-1-1.0.0-r0.apk";
    let bytes = read(rel);
    let members = split_gzip_members(&bytes, 1 << 30).unwrap();
    let data = gzip(&gunzip(members[2]), 1);
    let forged = [members[0], members[1], &data[..]].concat();
    let keyring = ring("melange.rsa.pub", "melange-rsa256-repo/melange.rsa.pub");
    let err = unpack_apk(
        &forged[..],
        &Expect::default(),
        &keyring,
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap_err();
    assert!(matches!(err, UnpackError::DataHash { .. }), "{err}");
    // Truncated file.
    let err = unpack_apk(
        &bytes[..bytes.len() - 10],
        &Expect::default(),
        &keyring,
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap_err();
    // Cut short while streaming: a read error, never called tampering.
    let read_failed = match &err {
        UnpackError::Io { .. } => true,
        UnpackError::Walk(w) => w.io_error().is_some(),
        _ => false,
    };
    assert!(read_failed, "{err}");
    // Trailing garbage.
    let mut extra = bytes.clone();
    extra.extend_from_slice(b"junk");
    assert!(unpack_apk(
        &extra[..],
        &Expect::default(),
        &keyring,
        rel,
        &ContentStore::in_memory()
    )
    .is_err());
}

/// Change one byte of `hello`'s content and fix `datahash`, so that only the
/// per-file PAX SHA-1 can catch it.
#[test]
fn tampered_file_fails_pax_sha1() {
    let rel = "unsigned/hello-0.1.0-r0.apk";
    let bytes = read(rel);
    let members = split_gzip_members(&bytes, 1 << 30).unwrap();
    assert_eq!(members.len(), 2);
    let mut data_tar = gunzip(members[1]);
    let pos = {
        let mut ar = tar::Archive::new(&data_tar[..]);
        let mut pos = None;
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            if e.path().unwrap().to_str() == Some("hello") {
                pos = Some(e.raw_file_position() as usize);
            }
        }
        pos.unwrap()
    };
    data_tar[pos + 2] ^= 0x20;
    let data = gzip(&data_tar, 6);
    let datahash = hex::encode(Sha256::digest(&data));
    let control_tar = gunzip(members[0]);
    let mut ar = tar::Archive::new(&control_tar[..]);
    let mut entry = ar.entries().unwrap().next().unwrap().unwrap();
    let mut pkginfo = String::new();
    entry.read_to_string(&mut pkginfo).unwrap();
    let pkginfo: String = pkginfo
        .lines()
        .map(|l| {
            if l.starts_with("datahash") {
                format!("datahash = {datahash}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(pkginfo.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, ".PKGINFO", pkginfo.as_bytes())
        .unwrap();
    let control = gzip(&b.into_inner().unwrap(), 6);
    let forged = [&control[..], &data[..]].concat();
    let err = unpack_apk(
        &forged[..],
        &Expect::default(),
        &ApkKeyring::new(),
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap_err();
    match &err {
        UnpackError::Walk(whittle_rootfs::unpack::UnpackError::Check { message, .. }) => {
            assert!(message.starts_with("file hello has SHA-1"), "{message}")
        }
        other => panic!("expected a file checksum error, got {other}"),
    }
    assert!(err.to_string().contains("hello") && err.to_string().contains(rel));
    // Control without the flip passes (the harness itself is sound).
    let clean = gzip(&gunzip(members[1]), 6);
    let datahash = hex::encode(Sha256::digest(&clean));
    let pkginfo2 = pkginfo.replace(&hex::encode(Sha256::digest(&data)), &datahash);
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(pkginfo2.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, ".PKGINFO", pkginfo2.as_bytes())
        .unwrap();
    let control = gzip(&b.into_inner().unwrap(), 6);
    let ok = [&control[..], &clean[..]].concat();
    unpack_apk(
        &ok[..],
        &Expect::default(),
        &ApkKeyring::new(),
        rel,
        &ContentStore::in_memory(),
    )
    .unwrap();
}

#[test]
fn gzip_member_splitting() {
    let a = gzip(b"first", 9);
    let b = gzip(&vec![7u8; 100_000], 1);
    let c = gzip(b"", 6);
    let all = [&a[..], &b[..], &c[..]].concat();
    let members = split_gzip_members(&all, 1 << 20).unwrap();
    assert_eq!(members, vec![&a[..], &b[..], &c[..]]);
    assert!(split_gzip_members(&all, 1000).is_err(), "limit enforced");
    assert!(
        split_gzip_members(&all[..all.len() - 3], 1 << 20).is_err(),
        "truncation detected"
    );
    assert!(split_gzip_members(b"\x1f\x8bjunk", 1 << 20).is_err());
}
