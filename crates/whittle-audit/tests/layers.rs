//! Images written by hand, byte for byte, for what whittle's own builds
//! never contain: several layers with whiteouts and opaque directories,
//! zstd and plain layers, hard links, PAX owners, legacy `docker save`
//! archives, distroless, apk, rpm-manifest and Chisel databases, and
//! hostile or damaged layers; audited, inventoried and compared.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use whittle_audit::{
    audit, diff, inventory, AuditError, AuditOptions, DbKind, DiffInput, DiffOptions, FileAspect,
    ImageRef, Report, World,
};

/// One tar entry.
enum E<'a> {
    Dir(&'a str, u32),
    File(&'a str, &'a [u8], u32),
    Owned(&'a str, u32, u64, u64),
    Link(&'a str, &'a str),
    Hard(&'a str, &'a str),
    /// A file whose owner is given in a PAX record only.
    PaxOwned(&'a str, u64),
    /// A name written into the header unchecked.
    Raw(&'a str),
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h
}

fn layer_tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        match e {
            E::Dir(p, mode) => {
                let mut h = header(tar::EntryType::Directory, *mode, 0);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            E::File(p, data, mode) => {
                let mut h = header(tar::EntryType::Regular, *mode, data.len() as u64);
                b.append_data(&mut h, p, *data).unwrap();
            }
            E::Owned(p, mode, uid, gid) => {
                let mut h = header(tar::EntryType::Regular, *mode, 0);
                h.set_uid(*uid);
                h.set_gid(*gid);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            E::Link(p, target) => {
                let mut h = header(tar::EntryType::Symlink, 0o777, 0);
                b.append_link(&mut h, p, target).unwrap();
            }
            E::Hard(p, target) => {
                // Written 0644 on purpose: the mode is the target's.
                let mut h = header(tar::EntryType::Link, 0o644, 0);
                b.append_link(&mut h, p, target).unwrap();
            }
            E::PaxOwned(p, uid) => {
                let record = format!("uid={uid}\n");
                let mut len = record.len() + 2;
                while format!("{len} {record}").len() != len {
                    len += 1;
                }
                let pax = format!("{len} {record}");
                let mut h = header(tar::EntryType::XHeader, 0o644, pax.len() as u64);
                b.append_data(&mut h, "PaxHeaders/x", pax.as_bytes())
                    .unwrap();
                let mut h = header(tar::EntryType::Regular, 0o644, 0);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            E::Raw(p) => {
                let mut h = header(tar::EntryType::Regular, 0o644, 0);
                h.as_old_mut().name[..p.len()].copy_from_slice(p.as_bytes());
                h.set_cksum();
                b.append(&h, &[][..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

#[derive(Clone, Copy)]
enum Z {
    Gzip,
    Zstd,
    Plain,
}

fn compress(tar: &[u8], z: Z) -> Vec<u8> {
    match z {
        Z::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(tar).unwrap();
            e.finish().unwrap()
        }
        Z::Zstd => zstd::encode_all(tar, 3).unwrap(),
        Z::Plain => tar.to_vec(),
    }
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Write an OCI layout of one image with `layers` into `dir`; returns the
/// path of each layer blob.
fn layout(dir: &Path, layers: &[(Vec<u8>, Z)]) -> Vec<PathBuf> {
    let blobs = dir.join("blobs/sha256");
    fs_err::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let d = digest(bytes);
        let path = blobs.join(&d[7..]);
        fs_err::write(&path, bytes).unwrap();
        (d, path)
    };
    let mut descs = Vec::new();
    let mut diff_ids = Vec::new();
    let mut paths = Vec::new();
    for (tar, z) in layers {
        let blob = compress(tar, *z);
        let (d, path) = put(&blob);
        paths.push(path);
        diff_ids.push(digest(tar));
        descs.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": d, "size": blob.len()
        }));
    }
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids}
    });
    let config = serde_json::to_vec(&config).unwrap();
    let (cd, _) = put(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": descs
    }))
    .unwrap();
    let (md, _) = put(&manifest);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": manifest.len()}]
    });
    fs_err::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    fs_err::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    paths
}

fn audit_dir(dir: &Path) -> Result<Report, AuditError> {
    audit(
        &ImageRef::parse(dir.to_str().unwrap()),
        &AuditOptions::default(),
    )
}

fn paths<T>(list: &[T], path: impl Fn(&T) -> &str) -> Vec<String> {
    list.iter().map(|f| path(f).to_string()).collect()
}

#[test]
fn whiteouts_and_opaque_directories_hide_what_is_below() {
    let dir = tempfile::tempdir().unwrap();
    let bottom = layer_tar(&[
        E::Dir("bin", 0o755),
        E::File("bin/bash", b"elf", 0o755),
        E::File("bin/dash", b"elf", 0o755),
        E::Dir("usr/bin", 0o755),
        E::File("usr/bin/su", b"elf", 0o4755),
        E::Dir("etc/app", 0o755),
        E::File("etc/app/a", b"", 0o666),
        E::File("etc/app/b", b"", 0o666),
        E::Dir("srv", 0o777),
        E::File("srv/x", b"", 0o666),
    ]);
    let middle = layer_tar(&[
        E::File("bin/.wh.bash", b"", 0o644),
        // The opaque marker after an entry of the same layer keeps it.
        E::File("etc/app/c", b"", 0o666),
        E::File("etc/app/.wh..wh..opq", b"", 0o644),
        E::File("usr/bin/su", b"elf", 0o755),
        // A file replacing a directory takes what was below it too.
        E::File("srv", b"", 0o644),
    ]);
    let top = layer_tar(&[E::File("usr/bin/zsh", b"elf", 0o755)]);
    layout(
        dir.path(),
        &[(bottom, Z::Gzip), (middle, Z::Plain), (top, Z::Zstd)],
    );
    let r = audit_dir(dir.path()).unwrap();
    assert_eq!(r.image.layers, 3);
    assert_eq!(paths(&r.shells, |p| &p.path), ["/bin/dash", "/usr/bin/zsh"]);
    assert!(r.setuid.is_empty(), "{:?}", r.setuid);
    assert_eq!(paths(&r.world_writable, |p| &p.path), ["/etc/app/c"]);
    assert!(r.image.databases.is_empty() && r.image.packages == 0);
}

#[test]
fn hard_links_share_their_targets_mode_and_busybox_collects_applets() {
    let dir = tempfile::tempdir().unwrap();
    let tar = layer_tar(&[
        E::File("bin/busybox", b"elf", 0o755),
        E::Hard("bin/sh", "bin/busybox"),
        E::Link("usr/bin/wget", "/bin/busybox"),
        E::Link("usr/bin/rpm", "../../bin/busybox"),
        E::Link("usr/bin/bash", "/nowhere/bash"),
        E::File("usr/bin/passwd", b"elf", 0o4755),
        E::Hard("usr/bin/chfn", "usr/bin/passwd"),
    ]);
    layout(dir.path(), &[(tar, Z::Gzip)]);
    let r = audit_dir(dir.path()).unwrap();
    // The dangling bash link is no shell; the hard-linked sh is one.
    assert_eq!(paths(&r.shells, |p| &p.path), ["/bin/busybox", "/bin/sh"]);
    assert_eq!(
        r.shells[0].applets,
        ["/bin/sh", "/usr/bin/rpm", "/usr/bin/wget"]
    );
    assert_eq!(r.shells[1].target.as_deref(), Some("/bin/busybox"));
    // busybox's rpm applet is a package manager.
    assert_eq!(paths(&r.package_managers, |p| &p.path), ["/usr/bin/rpm"]);
    assert_eq!(
        paths(&r.setuid, |p| &p.path),
        ["/usr/bin/chfn", "/usr/bin/passwd"]
    );
    assert!(r.setuid.iter().all(|f| f.mode == 0o4755));
}

#[test]
fn owners_come_from_pax_records_and_are_named_by_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let tar = layer_tar(&[
        E::File(
            "etc/passwd",
            b"root:x:0:0::/root:/sbin/nologin\napp:x:1000:1000::/home/app:/sbin/nologin\n",
            0o644,
        ),
        E::File("etc/group", b"root:x:0:\napp:x:1000:\n", 0o644),
        E::Owned("home/app/.profile", 0o644, 1000, 1000),
        E::PaxOwned("data/big", 3_000_000),
        E::Link("home/app/link", "/etc/passwd"),
    ]);
    layout(dir.path(), &[(tar, Z::Gzip)]);
    let r = audit_dir(dir.path()).unwrap();
    let groups: Vec<(u64, u64, Option<&str>, Vec<String>)> = r
        .non_root
        .iter()
        .map(|g| {
            (
                g.uid,
                g.gid,
                g.user.as_deref(),
                paths(&g.paths, |p| &p.path),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            (
                1000,
                1000,
                Some("app"),
                vec!["/home/app/.profile".to_string()]
            ),
            (3_000_000, 0, None, vec!["/data/big".to_string()]),
        ]
    );
}

#[test]
fn distroless_and_apk_databases_judge_script_only_packages() {
    let dir = tempfile::tempdir().unwrap();
    let tar = layer_tar(&[
        E::File(
            "var/lib/dpkg/status.d/libc6",
            b"Package: libc6\nVersion: 2.36\nArchitecture: amd64\n",
            0o644,
        ),
        E::File(
            "var/lib/dpkg/status.d/libc6.md5sums",
            b"00  usr/lib/libc.so.6\n",
            0o644,
        ),
        E::File(
            "var/lib/dpkg/status.d/tzdoc",
            b"Package: tzdoc\nVersion: 1\nArchitecture: all\n",
            0o644,
        ),
        E::File(
            "var/lib/dpkg/status.d/tzdoc.md5sums",
            b"00  usr/share/doc/tzdoc/copyright\n",
            0o644,
        ),
        E::File(
            "var/lib/dpkg/status.d/debconf",
            b"Package: debconf\nVersion: 1.5\nArchitecture: all\n",
            0o644,
        ),
        E::File("usr/lib/libc.so.6", b"elf", 0o755),
        E::File("usr/share/doc/tzdoc/copyright", b"c", 0o644),
        E::File(
            "lib/apk/db/installed",
            b"P:meta\nV:1-r0\n\nP:zlib\nV:1.3-r0\nF:usr/lib\nR:libz.so.1\n",
            0o644,
        ),
        E::File("usr/lib/libz.so.1", b"elf", 0o755),
    ]);
    layout(dir.path(), &[(tar, Z::Gzip)]);
    let r = audit_dir(dir.path()).unwrap();
    assert_eq!(r.image.packages, 5);
    let found: Vec<(String, String, usize)> = r
        .script_only
        .iter()
        .map(|s| {
            (
                s.package.clone(),
                serde_json::to_value(s.reason)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string(),
                s.files,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("debconf".to_string(), "script-helper".to_string(), 0),
            ("meta".to_string(), "no-runtime-files".to_string(), 0),
            ("tzdoc".to_string(), "no-runtime-files".to_string(), 1),
        ]
    );
}

#[test]
fn a_legacy_docker_save_archive_with_a_repeated_layer() {
    let dir = tempfile::tempdir().unwrap();
    let layer = layer_tar(&[E::File("usr/bin/apt-get", b"elf", 0o755)]);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "arm64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [digest(&layer), digest(&layer)]}
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": "cfg.json", "RepoTags": ["example.invalid/app:7"],
        "Layers": ["aaa/layer.tar", "bbb/layer.tar"]
    }]))
    .unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [
        ("manifest.json", &manifest[..]),
        ("cfg.json", &config[..]),
        ("aaa/layer.tar", &layer[..]),
    ] {
        let mut h = header(tar::EntryType::Regular, 0o644, data.len() as u64);
        b.append_data(&mut h, name, data).unwrap();
    }
    let mut h = header(tar::EntryType::Symlink, 0o777, 0);
    b.append_link(&mut h, "bbb/layer.tar", "../aaa/layer.tar")
        .unwrap();
    let archive = dir.path().join("saved.tar");
    fs_err::write(&archive, b.into_inner().unwrap()).unwrap();

    let tagged = format!("{}:7", archive.display());
    let r = audit(&ImageRef::parse(&tagged), &AuditOptions::default()).unwrap();
    assert_eq!(r.image.platform, "linux/arm64");
    assert_eq!(r.image.layers, 2);
    assert_eq!(
        paths(&r.package_managers, |p| &p.path),
        ["/usr/bin/apt-get"]
    );
    let err = audit(
        &ImageRef::parse(&format!("{}:8", archive.display())),
        &AuditOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("no image tagged \"8\"") && err.contains("example.invalid/app:7"),
        "{err}"
    );
}

#[test]
fn damaged_and_hostile_layers_are_named() {
    // A layer whose bytes changed: named as not matching its digest.
    let dir = tempfile::tempdir().unwrap();
    let tar = layer_tar(&[E::File("usr/bin/hello", &[7u8; 4096], 0o755)]);
    let blobs = layout(dir.path(), &[(tar.clone(), Z::Plain)]);
    let mut bytes = fs_err::read(&blobs[0]).unwrap();
    bytes[1024] ^= 1;
    fs_err::write(&blobs[0], &bytes).unwrap();
    let err = audit_dir(dir.path()).unwrap_err();
    assert!(matches!(err, AuditError::DigestMismatch { .. }), "{err}");
    let name = blobs[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(err.to_string().contains(&name), "{err}");

    // A gzip layer cut short: "cut off", not "changed".
    let dir = tempfile::tempdir().unwrap();
    let blobs = layout(dir.path(), &[(tar.clone(), Z::Gzip)]);
    let bytes = fs_err::read(&blobs[0]).unwrap();
    fs_err::write(&blobs[0], &bytes[..bytes.len() - 10]).unwrap();
    let err = audit_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("cut off (truncated)")
            && err.contains(&blobs[0].file_name().unwrap().to_string_lossy().to_string()),
        "{err}"
    );

    // An entry that climbs out of the root.
    let dir = tempfile::tempdir().unwrap();
    layout(
        dir.path(),
        &[(layer_tar(&[E::Raw("../../etc/shadow")]), Z::Gzip)],
    );
    let err = audit_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("\"../../etc/shadow\"") && err.contains("leaves the image's root"),
        "{err}"
    );

    // A compressed archive given as the image.
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("image.tar.gz");
    fs_err::write(&gz, compress(&tar, Z::Gzip)).unwrap();
    let err = audit_dir(&gz).unwrap_err().to_string();
    assert!(
        err.contains("image.tar.gz") && err.contains("gzip-compressed"),
        "{err}"
    );
}

fn image_ref(dir: &Path) -> ImageRef {
    ImageRef::parse(dir.to_str().unwrap())
}

/// B shares A's first layer and adds one that whites out a file and the
/// whole package database, hard-links a file and changes a mode: the file
/// changes follow the merged trees, and a side without a database is said
/// to have none rather than to have removed every package.
#[test]
fn diff_follows_whiteouts_and_hard_links_and_notes_a_missing_database() {
    let base = layer_tar(&[
        E::Dir("etc", 0o755),
        E::File("etc/motd", b"hello\n", 0o644),
        E::File("usr/bin/tool", b"#!tool\n", 0o755),
        E::File(
            "var/lib/dpkg/status",
            b"Package: tool\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\nInstalled-Size: 2\n",
            0o644,
        ),
    ]);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    layout(a.path(), &[(base.clone(), Z::Gzip)]);
    let top = layer_tar(&[
        E::File("etc/.wh.motd", b"", 0o644),
        E::File("var/lib/dpkg/.wh.status", b"", 0o644),
        E::Hard("usr/bin/tool2", "usr/bin/tool"),
        E::Dir("etc", 0o700),
    ]);
    layout(b.path(), &[(base, Z::Gzip), (top, Z::Zstd)]);
    let open = |d: &Path| DiffInput::open(d.to_str().unwrap()).unwrap();
    let options = DiffOptions {
        files: true,
        ..DiffOptions::default()
    };
    let report = diff(&open(a.path()), &open(b.path()), &options).unwrap();
    assert!(!report.identical);
    let p = &report.platforms[0];
    assert_eq!(p.platform, "linux/amd64");
    assert_eq!(p.packages.removed.len(), 1);
    assert_eq!(p.packages.size.a, 2048);
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("has no package database")),
        "{:?}",
        p.notes
    );
    let layers = p.layers.as_ref().unwrap();
    assert_eq!((layers.shared.len(), layers.b_layers), (1, 2));
    let files = p.files.as_ref().unwrap();
    let removed: Vec<&str> = files.removed.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(removed, ["/etc/motd", "/var/lib/dpkg/status"]);
    assert_eq!(files.added.len(), 1);
    let tool = |path: &str| {
        files
            .added
            .iter()
            .find(|f| f.path == path)
            .map(|f| (f.digest.clone(), f.size, f.mode))
    };
    let link = tool("/usr/bin/tool2").unwrap();
    assert_eq!(
        link,
        (
            Some(format!(
                "sha256:{}",
                hex::encode(Sha256::digest(b"#!tool\n"))
            )),
            Some(7),
            0o755
        ),
        "a hard link has its target's content and mode"
    );
    assert_eq!(files.changed.len(), 1);
    assert_eq!(files.changed[0].path, "/etc");
    assert_eq!(files.changed[0].changes, [FileAspect::Mode]);
    assert!(report.to_text().contains("note: "), "{}", report.to_text());
}

/// Azure Linux's manifest-2 without an rpmdb, and Chisel's own manifest
/// without a dpkg database: both are package databases.
#[test]
fn an_rpm_manifest_and_a_chisel_manifest_list_packages() {
    let dir = tempfile::tempdir().unwrap();
    layout(
        dir.path(),
        &[(
            layer_tar(&[
                E::File(
                    "usr/lib/os-release",
                    b"NAME=\"Azure Linux\"\nID=azurelinux\nVERSION_ID=\"3.0\"\n",
                    0o644,
                ),
                E::Link("etc/os-release", "../usr/lib/os-release"),
                E::File(
                    "var/lib/rpmmanifest/container-manifest-2",
                    b"tool\t2.0-1.azl3\t0\t0\tAcme\t(none)\t100\tx86_64\t1\ttool-2.0-1.azl3.src.rpm\n",
                    0o644,
                ),
            ]),
            Z::Gzip,
        )],
    );
    let inv = inventory(&image_ref(dir.path()), None).unwrap();
    assert_eq!(inv.databases, [DbKind::RpmManifest2]);
    let tool = &inv.packages[0];
    assert_eq!(
        (tool.world, tool.version.as_str()),
        (World::Rpm, "1:2.0-1.azl3")
    );
    assert_eq!(
        tool.purl,
        "pkg:rpm/azurelinux/tool@2.0-1.azl3?arch=x86_64&epoch=1&distro=azurelinux-3.0"
    );
    assert_eq!(
        inv.distro.as_ref().and_then(|d| d.name.as_deref()),
        Some("Azure Linux")
    );

    let chisel = tempfile::tempdir().unwrap();
    let wall =
        fs_err::read(whittle_test_env::fixtures::path("chisel-cut-python").join("manifest.wall"))
            .unwrap();
    layout(
        chisel.path(),
        &[(
            layer_tar(&[
                E::File(
                    "etc/os-release",
                    b"ID=ubuntu\nVERSION_ID=\"24.04\"\n",
                    0o644,
                ),
                E::File("var/lib/chisel/manifest.wall", &wall, 0o644),
            ]),
            Z::Gzip,
        )],
    );
    let inv = inventory(&image_ref(chisel.path()), None).unwrap();
    assert_eq!(inv.databases, [DbKind::Chisel]);
    assert_eq!(inv.packages.len(), 26);
    let libc = inv.packages.iter().find(|p| p.name == "libc6").unwrap();
    assert_eq!(libc.world, World::Deb);
    assert_eq!(
        libc.purl,
        "pkg:deb/ubuntu/libc6@2.39-0ubuntu8.12?arch=amd64&distro=ubuntu-24.04"
    );
    assert!(libc
        .digest
        .as_deref()
        .is_some_and(|d| d.starts_with("sha256:")));
    let sbom = whittle_audit::sbom_input(&inv);
    assert_eq!(sbom.packages.len(), 26);
    assert!(sbom.packages.iter().all(|p| p.checksums.len() == 1));
}
