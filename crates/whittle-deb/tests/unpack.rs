//! Reading `.deb` files: real Debian and Ubuntu packages, and hand-built ones
//! exercising every entry kind, compression and failure.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // helpers outside #[test] fns; mismatch listings

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::Command;

use whittle_deb::unpack::{unpack_deb, UnpackError};
use whittle_rootfs::NodeKind;
use whittle_rootfs::{Content, ContentStore};
use whittle_test_env::fixtures;

/// Fixture mirrors, relative to the fixtures folder.
const BOOKWORM: &str = "debian-bookworm-mirror";
const NOBLE: &str = "ubuntu-noble-mirror";

fn find_deb(root: &str, prefix: &str) -> std::path::PathBuf {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<std::path::PathBuf>) {
        for e in fs_err::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, prefix, out);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".deb"))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&fixtures::path(root), prefix, &mut out);
    out.sort();
    out.pop()
        .unwrap_or_else(|| panic!("no {prefix}*.deb under {root}"))
}

/// A reader that remembers whether it was read to its end.
struct EofWatch<R> {
    inner: R,
    eof: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for EofWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof.set(true);
        }
        Ok(n)
    }
}

/// Paths as `dpkg-deb -c` lists them, cleaned, without the root.
fn dpkg_listing(deb: &Path) -> Vec<String> {
    let out = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut tar = tar::Archive::new(&out.stdout[..]);
    tar.entries()
        .unwrap()
        .map(|e| whittle_rootfs::clean_relative(&String::from_utf8_lossy(&e.unwrap().path_bytes())))
        .filter(|p| !p.is_empty())
        .collect()
}

#[test]
fn real_bookworm_libc6() {
    let deb = find_deb(BOOKWORM, "libc6_");
    let eof = std::rc::Rc::new(std::cell::Cell::new(false));
    let reader = EofWatch {
        inner: fs_err::File::open(&deb).unwrap(),
        eof: eof.clone(),
    };
    let c = unpack_deb(
        reader,
        &deb.display().to_string(),
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert!(eof.get(), "the reader must be drained to its end");
    assert!(c.control.starts_with("Package: libc6\n"), "{}", c.control);
    let field = Command::new("dpkg-deb")
        .arg("-f")
        .arg(&deb)
        .output()
        .unwrap();
    assert_eq!(c.control, String::from_utf8(field.stdout).unwrap());
    assert!(c
        .md5sums
        .as_deref()
        .unwrap()
        .contains(" lib/x86_64-linux-gnu/libc.so.6"));
    let paths: Vec<String> = c.entries.iter().map(|e| e.path.clone()).collect();
    assert_eq!(paths, dpkg_listing(&deb));
    let libc = &c
        .entries
        .iter()
        .find(|e| e.path == "lib/x86_64-linux-gnu/libc.so.6")
        .unwrap()
        .node;
    assert!(matches!(libc.kind, NodeKind::File(_)));
    assert_eq!(libc.mode, 0o755);
    assert!(libc.mtime > 1_600_000_000);
    let ld = &c
        .entries
        .iter()
        .find(|e| e.path == "lib64/ld-linux-x86-64.so.2")
        .unwrap()
        .node;
    assert_eq!(
        ld.kind,
        NodeKind::Symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2".into())
    );
    let files: u64 = c
        .entries
        .iter()
        .filter_map(|e| e.node.content())
        .map(whittle_rootfs::Content::len)
        .sum();
    assert_eq!(files, c.data_size);
}

#[test]
fn real_bookworm_conffiles_and_hardlinks() {
    // base-files carries conffiles; python3.11-minimal hard links.
    let deb = find_deb(BOOKWORM, "base-files_");
    let c = unpack_deb(
        fs_err::File::open(&deb).unwrap(),
        "base-files",
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert!(
        c.conffiles.as_deref().unwrap().contains("/etc/os-release")
            || c.conffiles.unwrap().contains("/etc/")
    );
    let deb = find_deb(BOOKWORM, "python3.11-minimal_");
    let c = unpack_deb(
        fs_err::File::open(&deb).unwrap(),
        "python3.11-minimal",
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert_eq!(
        c.entries.iter().map(|e| e.path.clone()).collect::<Vec<_>>(),
        dpkg_listing(&deb)
    );
}

#[test]
fn real_noble_zstd() {
    let deb = find_deb(NOBLE, "libbz2-1.0_");
    let c = unpack_deb(
        fs_err::File::open(&deb).unwrap(),
        "libbz2",
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert!(c.control.starts_with("Package: libbz2-1.0\n"));
    assert_eq!(
        c.entries.iter().map(|e| e.path.clone()).collect::<Vec<_>>(),
        dpkg_listing(&deb)
    );
}

// ---- hand-built packages ----

#[derive(Clone, Copy)]
enum Comp {
    None,
    Gz,
    Xz,
    Zst,
}

fn compress(data: Vec<u8>, comp: Comp) -> Vec<u8> {
    match comp {
        Comp::None => data,
        Comp::Gz => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        }
        Comp::Xz => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        }
        Comp::Zst => zstd::encode_all(&data[..], 3).unwrap(),
    }
}

fn suffix(comp: Comp) -> &'static str {
    match comp {
        Comp::None => "",
        Comp::Gz => ".gz",
        Comp::Xz => ".xz",
        Comp::Zst => ".zst",
    }
}

fn control_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in [
        ("./", &b""[..]),
        (
            "./control",
            b"Package: demo\nVersion: 1\nArchitecture: all\n",
        ),
        (
            "./md5sums",
            b"d41d8cd98f00b204e9800998ecf8427e  usr/share/demo/empty\n",
        ),
        ("./conffiles", b"/etc/demo.conf\n"),
        ("./postinst", b"#!/bin/sh\nrm -rf /\n"),
    ] {
        let mut h = tar::Header::new_gnu();
        if name.ends_with('/') {
            h.set_entry_type(tar::EntryType::Directory);
        }
        h.set_mode(0o644);
        h.set_size(body.len() as u64);
        b.append_data(&mut h, name, body).unwrap();
    }
    b.into_inner().unwrap()
}

fn data_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, ty: tar::EntryType, mode: u32, body: &[u8], link: Option<&str>| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(ty);
        h.set_mode(mode);
        h.set_uid(100);
        h.set_gid(42);
        h.set_mtime(1_700_000_000);
        h.set_size(body.len() as u64);
        if ty == tar::EntryType::Char {
            h.set_device_major(1).unwrap();
            h.set_device_minor(3).unwrap();
        }
        match link {
            Some(l) => b.append_link(&mut h, name, l).unwrap(),
            None => b.append_data(&mut h, name, body).unwrap(),
        }
    };
    add("./", tar::EntryType::Directory, 0o755, b"", None);
    add("./usr/", tar::EntryType::Directory, 0o755, b"", None);
    add("./usr/bin/", tar::EntryType::Directory, 0o755, b"", None);
    add(
        "./usr/bin/demo",
        tar::EntryType::Regular,
        0o4755,
        b"ELF",
        None,
    );
    add(
        "./usr/bin/demo2",
        tar::EntryType::Link,
        0o4755,
        b"",
        Some("./usr/bin/demo"),
    );
    add(
        "./usr/bin/sym",
        tar::EntryType::Symlink,
        0o777,
        b"",
        Some("../../weird/../target"),
    );
    add("./dev/null", tar::EntryType::Char, 0o666, b"", None);
    add("./run/fifo", tar::EntryType::Fifo, 0o600, b"", None);
    let long = format!("./usr/share/{}/file", "x".repeat(150));
    add(&long, tar::EntryType::Regular, 0o644, b"long", None);
    b.into_inner().unwrap()
}

fn build_deb(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut a = ar::Builder::new(Vec::new());
    for (name, body) in members {
        let h = ar::Header::new(name.as_bytes().to_vec(), body.len() as u64);
        a.append(&h, &body[..]).unwrap();
    }
    a.into_inner().unwrap()
}

fn demo_deb(comp: Comp) -> Vec<u8> {
    build_deb(&[
        ("debian-binary", b"2.0\n".to_vec()),
        (
            &format!("control.tar{}", suffix(comp)),
            compress(control_tar(), comp),
        ),
        (
            &format!("data.tar{}", suffix(comp)),
            compress(data_tar(), comp),
        ),
    ])
}

#[test]
fn every_compression_and_entry_kind() {
    for comp in [Comp::None, Comp::Gz, Comp::Xz, Comp::Zst] {
        let c = unpack_deb(&demo_deb(comp)[..], "demo.deb", &ContentStore::in_memory()).unwrap();
        assert_eq!(c.control, "Package: demo\nVersion: 1\nArchitecture: all\n");
        assert_eq!(c.conffiles.as_deref(), Some("/etc/demo.conf\n"));
        assert!(c.md5sums.is_some());
        let kinds: Vec<(&str, &NodeKind)> = c
            .entries
            .iter()
            .map(|e| (e.path.as_str(), &e.node.kind))
            .collect();
        assert_eq!(kinds[0].0, "usr");
        assert_eq!(
            kinds[3],
            ("usr/bin/demo2", &NodeKind::Hardlink("usr/bin/demo".into()))
        );
        assert_eq!(
            kinds[4],
            (
                "usr/bin/sym",
                &NodeKind::Symlink("../../weird/../target".into())
            )
        );
        assert_eq!(
            kinds[5],
            ("dev/null", &NodeKind::CharDevice { major: 1, minor: 3 })
        );
        assert_eq!(kinds[6], ("run/fifo", &NodeKind::Fifo));
        assert!(kinds[7].0.ends_with("/file") && kinds[7].0.len() > 150);
        let demo = &c.entries[2].node;
        assert_eq!(
            (demo.mode, demo.uid, demo.gid, demo.mtime),
            (0o4755, 100, 42, 1_700_000_000)
        );
        assert_eq!(demo.content(), Some(&Content::from("ELF")));
        assert_eq!(c.data_size, 7);
    }
}

#[test]
fn drains_members_after_data() {
    let mut deb = demo_deb(Comp::Gz);
    deb.extend_from_slice(&build_deb(&[("_extra", vec![7u8; 1001])])[8..]);
    let eof = std::rc::Rc::new(std::cell::Cell::new(false));
    let c = unpack_deb(
        EofWatch {
            inner: &deb[..],
            eof: eof.clone(),
        },
        "demo.deb",
        &ContentStore::in_memory(),
    )
    .unwrap();
    assert!(eof.get());
    assert_eq!(c.entries.len(), 8);
}

/// A reader that fails at its end, as a digest-checking reader does on a mismatch.
struct FailAtEof<R>(R);

impl<R: Read> Read for FailAtEof<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf)? {
            0 if !buf.is_empty() => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "sha256 mismatch",
            )),
            n => Ok(n),
        }
    }
}

#[test]
fn digest_failure_at_eof_is_reported() {
    let deb = demo_deb(Comp::Xz);
    let err = unpack_deb(
        FailAtEof(&deb[..]),
        "https://mirror/demo.deb",
        &ContentStore::in_memory(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("sha256 mismatch") && msg.contains("https://mirror/demo.deb"),
        "{msg}"
    );
}

#[test]
fn unknown_compression_is_refused() {
    let deb = build_deb(&[
        ("debian-binary", b"2.0\n".to_vec()),
        ("control.tar.gz", compress(control_tar(), Comp::Gz)),
        ("data.tar.bz2", b"BZh9".to_vec()),
    ]);
    let err = unpack_deb(&deb[..], "demo.deb", &ContentStore::in_memory()).unwrap_err();
    assert!(
        matches!(err, UnpackError::UnsupportedCompression { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("data.tar.bz2"));
}

#[test]
fn malformed_packages_are_refused() {
    let no_data = build_deb(&[
        ("debian-binary", b"2.0\n".to_vec()),
        ("control.tar.gz", compress(control_tar(), Comp::Gz)),
    ]);
    let err = unpack_deb(&no_data[..], "demo.deb", &ContentStore::in_memory())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("demo.deb") && err.contains("data.tar"),
        "{err}"
    );

    let wrong_order = build_deb(&[
        ("debian-binary", b"2.0\n".to_vec()),
        ("data.tar.gz", compress(data_tar(), Comp::Gz)),
        ("control.tar.gz", compress(control_tar(), Comp::Gz)),
    ]);
    assert!(unpack_deb(&wrong_order[..], "demo.deb", &ContentStore::in_memory()).is_err());

    let bad_version = build_deb(&[("debian-binary", b"3.0\n".to_vec())]);
    assert!(unpack_deb(&bad_version[..], "demo.deb", &ContentStore::in_memory()).is_err());

    assert!(unpack_deb(
        &b"not an archive at all"[..],
        "demo.deb",
        &ContentStore::in_memory()
    )
    .is_err());

    let many: Vec<(String, Vec<u8>)> = (0..40).map(|i| (format!("_m{i}"), vec![])).collect();
    let mut members = vec![
        ("debian-binary", b"2.0\n".to_vec()),
        ("control.tar", control_tar()),
    ];
    members.extend(many.iter().map(|(n, b)| (n.as_str(), b.clone())));
    let err = unpack_deb(
        &build_deb(&members)[..],
        "demo.deb",
        &ContentStore::in_memory(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("more than"), "{err}");

    let full = demo_deb(Comp::Gz);
    let truncated = &full[..full.len() - 40];
    assert!(unpack_deb(truncated, "demo.deb", &ContentStore::in_memory()).is_err());
}

#[test]
fn oversized_file_is_refused_before_reading() {
    let mut h = tar::Header::new_gnu();
    h.set_path("big").unwrap();
    h.set_mode(0o644);
    h.set_size(3 << 30);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_cksum();
    let mut data = h.as_bytes().to_vec();
    data.extend_from_slice(&[0u8; 1024]);
    let deb = build_deb(&[
        ("debian-binary", b"2.0\n".to_vec()),
        ("control.tar", control_tar()),
        ("data.tar", data),
    ]);
    let err = unpack_deb(&deb[..], "big.deb", &ContentStore::in_memory()).unwrap_err();
    assert!(
        matches!(
            err,
            UnpackError::Walk(whittle_rootfs::unpack::UnpackError::TooLarge { .. })
        ),
        "{err}"
    );
}
