//! End-to-end tests against real tools: gzip, skopeo, umoci, podman.
//!
//! A missing tool gives a loud `SKIP` line on stderr, or a failure under
//! `CI=true` (the test command installs them all); an environment that
//! cannot run one (podman without its storage) is a loud `SKIP`.

// Test helpers outside #[test] fns: panicking is the point.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use whittle_oci::{
    check_layout, compress_layer, image_digest, stage_layout, write_archive, write_layout,
    ImageConfig, ImageSet, OciError, Platform, PlatformImage, Transaction, BLOCK_SIZE,
};
use whittle_test_env::host::{require_tool, skip};

const EPOCH: i64 = 1_672_531_200; // 2023-01-01T00:00:00Z

/// A deterministic layer tar with a few files and directories.
fn layer_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut dirs: Vec<String> = Vec::new();
    for (path, _) in files {
        let mut acc = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            acc.push_str(part);
            acc.push('/');
            if !dirs.contains(&acc) {
                dirs.push(acc.clone());
            }
        }
    }
    for d in &dirs {
        let mut h = tar::Header::new_gnu();
        h.set_path(d).unwrap();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        h.set_mtime(EPOCH as u64);
        h.set_cksum();
        b.append(&h, std::io::empty()).unwrap();
    }
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_path(path).unwrap();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(EPOCH as u64);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn image(arch: &str) -> PlatformImage {
    let greeting = format!("hello from {arch}\n");
    let tar = layer_tar(&[
        ("etc/hello", greeting.as_bytes()),
        ("etc/os-release", b"ID=whittle\n"),
        ("usr/share/doc/readme", &b"whittle test layer\n".repeat(100)),
    ]);
    let extra = layer_tar(&[("etc/arch", arch.as_bytes())]);
    PlatformImage {
        config: ImageConfig {
            platform: Platform::linux(arch),
            entrypoint: vec!["/usr/bin/app".into()],
            cmd: vec!["--help".into()],
            env: vec!["PATH=/usr/bin:/bin".into(), "WHITTLE=1".into()],
            user: Some("65532".into()),
            working_dir: Some("/work".into()),
            stop_signal: Some("SIGTERM".into()),
            labels: [("org.example.arch".to_string(), arch.to_string())]
                .into_iter()
                .collect(),
            volumes: vec!["/data".into()],
            created_epoch: EPOCH,
            history_comment: "whittle build".into(),
        },
        layers: vec![compress_layer(&tar), compress_layer(&extra)],
    }
}

const TAG: &str = "registry.example/whittle/app:1.0";

fn set(archs: &[&str]) -> ImageSet {
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "org.opencontainers.image.title".to_string(),
        "app".to_string(),
    );
    annotations.insert(
        "org.opencontainers.image.created".to_string(),
        "2023-01-01T00:00:00Z".to_string(),
    );
    ImageSet {
        images: archs.iter().map(|a| image(a)).collect(),
        annotations,
        tag: TAG.into(),
        referrers: Vec::new(),
        entry_annotations: BTreeMap::new(),
    }
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn run_json(cmd: &mut Command) -> serde_json::Value {
    serde_json::from_slice(&run(cmd).stdout).unwrap()
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut single = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut single)
        .unwrap();
    let mut multi = Vec::new();
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_end(&mut multi)
        .unwrap();
    assert_eq!(single, multi);
    single
}

/// Compressible but not trivial data.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let words: &[&[u8]] = &[
        b"usr ",
        b"lib ",
        b"python3.11 ",
        b"\x7fELF\x02\x01",
        b"site-packages/",
        b"\0\0\0\0",
        b"__init__.py\n",
    ];
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        if x >> 60 == 0 {
            out.extend_from_slice(&x.to_le_bytes());
        } else {
            out.extend_from_slice(words[(x >> 33) as usize % words.len()]);
        }
    }
    out.truncate(len);
    out
}

#[test]
fn gzip_round_trips_and_gzip_t_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [
        0,
        1,
        1000,
        BLOCK_SIZE - 1,
        BLOCK_SIZE,
        BLOCK_SIZE + 1,
        3 * BLOCK_SIZE + 12_345,
    ];
    for (i, &len) in sizes.iter().enumerate() {
        let input = data(len, i as u64);
        let layer = compress_layer(&input);
        let blob = layer.blob.to_vec().unwrap();
        assert_eq!(gunzip(&blob), input, "round trip of {len} bytes");
        assert_eq!(layer.size, blob.len() as u64);
        assert_eq!(layer.diff_id, whittle_oci::diff_id(&input));
        assert_eq!(&blob[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        if len > 1000 {
            assert!(
                blob.len() < len / 2,
                "{len} bytes compressed to {}",
                blob.len()
            );
        }
        let file = dir.path().join(format!("{len}.gz"));
        fs_err::write(&file, &blob).unwrap();
        if require_tool("gzip") {
            run(Command::new("gzip").arg("-t").arg(&file));
            let out = run(Command::new("gzip").arg("-dc").arg(&file));
            assert!(out.stdout == input, "gzip -dc of {len} bytes differs");
        }
    }
}

/// The layer bytes are part of whittle's reproducibility promise: a change
/// of flate2 backend, level or block size shows up here first.
#[test]
fn layer_bytes_are_pinned() {
    let layer = compress_layer(&data(3 * BLOCK_SIZE + 12_345, 7));
    assert_eq!(
        layer.digest, "sha256:3add50931614e6a79fa4bad45f2005913750f79c82509e7f00a3f6e9cc73adc8",
        "layer bytes changed: new flate2 backend/level?"
    );
}

#[test]
fn compression_does_not_depend_on_thread_count() {
    let input = data(6 * BLOCK_SIZE + 777, 42);
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let one = pool(1).install(|| compress_layer(&input));
    let four = pool(4).install(|| compress_layer(&input));
    let default = compress_layer(&input);
    assert_eq!(one, four);
    assert_eq!(one, default);
    assert_eq!(gunzip(&one.blob.to_vec().unwrap()), input);
}

fn archive_entries(path: &Path) -> Vec<(String, tar::Header, Vec<u8>)> {
    let file = fs_err::File::open(path).unwrap();
    let mut archive = tar::Archive::new(file);
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let header = entry.header().clone();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.push((name, header, data));
    }
    out
}

#[test]
fn archive_is_byte_identical_and_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.tar"), dir.path().join("b.tar"));
    write_archive(&set(&["amd64"]), &a).unwrap();
    // A set built again from scratch, compressed on one thread.
    let again = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| set(&["amd64"]));
    write_archive(&again, &b).unwrap();
    assert_eq!(fs_err::read(&a).unwrap(), fs_err::read(&b).unwrap());
    assert_eq!(image_digest(&set(&["amd64"])), image_digest(&again));

    let entries = archive_entries(&a);
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names[0].trim_end_matches('/'), "blobs");
    assert!(
        names.contains(&"oci-layout")
            && names.contains(&"index.json")
            && names.contains(&"manifest.json")
    );
    for (name, h, data) in &entries {
        assert_eq!(h.uid().unwrap(), 0, "{name}");
        assert_eq!(h.gid().unwrap(), 0, "{name}");
        assert_eq!(h.mtime().unwrap(), EPOCH as u64, "{name}");
        let want = if h.entry_type().is_dir() {
            0o755
        } else {
            0o644
        };
        assert_eq!(h.mode().unwrap(), want, "{name}");
        if let Some(hex) = name.strip_prefix("blobs/sha256/").filter(|h| !h.is_empty()) {
            assert_eq!(
                whittle_oci::diff_id(data),
                format!("sha256:{hex}"),
                "blob {name} content"
            );
        }
    }
    let index: oci_spec::image::ImageIndex =
        serde_json::from_slice(&entries.iter().find(|e| e.0 == "index.json").unwrap().2).unwrap();
    let top = &index.manifests()[0];
    assert_eq!(index.manifests().len(), 1);
    assert_eq!(top.digest().to_string(), image_digest(&set(&["amd64"])));
    let ann = top.annotations().as_ref().unwrap();
    assert_eq!(ann["org.opencontainers.image.ref.name"], TAG);
    assert_eq!(ann["io.containerd.image.name"], TAG);
    let docker: serde_json::Value =
        serde_json::from_slice(&entries.iter().find(|e| e.0 == "manifest.json").unwrap().2)
            .unwrap();
    assert_eq!(docker[0]["RepoTags"], serde_json::json!([TAG]));
    assert_eq!(docker[0]["Layers"].as_array().unwrap().len(), 2);
}

#[test]
fn skopeo_reads_single_platform_archive_both_ways() {
    if !require_tool("skopeo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.tar");
    let set = set(&["amd64"]);
    write_archive(&set, &path).unwrap();
    let digest = image_digest(&set);

    for transport in ["oci-archive", "docker-archive"] {
        let reference = format!("{transport}:{}", path.display());
        let info = run_json(Command::new("skopeo").args(["inspect", &reference]));
        assert_eq!(info["Architecture"], "amd64", "{transport}: {info}");
        assert_eq!(info["Os"], "linux", "{transport}");
        assert_eq!(info["Created"], "2023-01-01T00:00:00Z", "{transport}");
        assert_eq!(
            info["Env"],
            serde_json::json!(["PATH=/usr/bin:/bin", "WHITTLE=1"]),
            "{transport}"
        );
        assert_eq!(info["Labels"]["org.example.arch"], "amd64", "{transport}");
        assert_eq!(info["Layers"].as_array().unwrap().len(), 2, "{transport}");
        let config = run_json(Command::new("skopeo").args(["inspect", "--config", &reference]));
        assert_eq!(
            config["config"]["Entrypoint"],
            serde_json::json!(["/usr/bin/app"])
        );
        assert_eq!(config["config"]["User"], "65532");
        assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
        // Reading every blob (and verifying digests) works too.
        let out = dir.path().join(format!("copy-{transport}"));
        run(Command::new("skopeo").args(["copy", &reference, &format!("dir:{}", out.display())]));
        if transport == "oci-archive" {
            assert_eq!(info["Digest"], digest.as_str());
            let raw = run(Command::new("skopeo").args(["inspect", "--raw", &reference])).stdout;
            assert_eq!(
                whittle_oci::diff_id(&raw),
                digest,
                "raw manifest is ours, byte for byte"
            );
            // The ref name resolves too.
            run(Command::new("skopeo").args(["inspect", &format!("{reference}:{TAG}")]));
        } else {
            assert_eq!(info["RepoTags"], serde_json::json!([]), "{info}");
        }
    }
}

fn extract(archive: &Path, into: &Path) {
    fs_err::create_dir_all(into).unwrap();
    tar::Archive::new(fs_err::File::open(archive).unwrap())
        .unpack(into)
        .unwrap();
}

fn umoci_unpack(layout: &Path, tag: &str, bundle: &Path) {
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:{tag}", layout.display()))
        .arg(bundle));
}

#[test]
fn umoci_unpacks_the_extracted_layout() {
    if !require_tool("umoci") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.tar");
    write_archive(&set(&["amd64"]), &path).unwrap();
    let layout = dir.path().join("layout");
    extract(&path, &layout);
    let bundle = dir.path().join("bundle");
    umoci_unpack(&layout, TAG, &bundle);
    let rootfs = bundle.join("rootfs");
    assert_eq!(
        fs_err::read_to_string(rootfs.join("etc/hello")).unwrap(),
        "hello from amd64\n"
    );
    assert_eq!(
        fs_err::read_to_string(rootfs.join("etc/arch")).unwrap(),
        "amd64"
    );
    let runtime: serde_json::Value =
        serde_json::from_slice(&fs_err::read(bundle.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        runtime["process"]["args"],
        serde_json::json!(["/usr/bin/app", "--help"])
    );
    assert_eq!(runtime["process"]["cwd"], "/work");
}

#[test]
fn podman_loads_the_archive() {
    if !require_tool("podman") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.tar");
    write_archive(&set(&["amd64"]), &path).unwrap();
    let (root, runroot) = (dir.path().join("root"), dir.path().join("runroot"));
    let podman = || {
        let mut c = Command::new("podman");
        c.arg("--root")
            .arg(&root)
            .arg("--runroot")
            .arg(&runroot)
            .args(["--storage-driver", "vfs"]);
        c
    };
    let info = podman().arg("info").output().unwrap();
    if !info.status.success() {
        skip(&format!(
            "podman cannot run here (podman info: {}); podman load was NOT checked",
            String::from_utf8_lossy(&info.stderr).trim()
        ));
        return;
    }
    let out = run(podman().args(["load", "-i"]).arg(&path));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(TAG), "podman load output: {text}");
    let images = run_json(podman().args(["images", "--format", "json"]));
    let names = images[0]["Names"].to_string();
    assert!(names.contains(TAG), "{images}");
    let inspect = run_json(podman().args(["image", "inspect", TAG]));
    assert_eq!(inspect[0]["Architecture"], "amd64");
    assert_eq!(inspect[0]["Config"]["User"], "65532");
    // Clean podman's storage (vfs leaves root-owned layers; tempdir removes them).
    let _ = podman().args(["rmi", "-a", "-f"]).output();
}

#[test]
fn two_platform_archive_is_an_index() {
    if !require_tool("skopeo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("multi.tar");
    let set = set(&["amd64", "arm64"]);
    write_archive(&set, &path).unwrap();
    let oci = format!("oci-archive:{}", path.display());

    let raw = run(Command::new("skopeo").args(["inspect", "--raw", &oci])).stdout;
    assert_eq!(whittle_oci::diff_id(&raw), image_digest(&set));
    let index: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let archs: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(archs, ["amd64", "arm64"]);
    assert_eq!(
        index["annotations"]["org.opencontainers.image.title"],
        "app"
    );

    let out = dir.path().join("arm64");
    run(Command::new("skopeo").args([
        "copy",
        "--override-arch",
        "arm64",
        &oci,
        &format!("dir:{}", out.display()),
    ]));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs_err::read(out.join("manifest.json")).unwrap()).unwrap();
    let arm = &set.images[1];
    let config_hex = manifest["config"]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let config: serde_json::Value =
        serde_json::from_slice(&fs_err::read(out.join(config_hex)).unwrap()).unwrap();
    assert_eq!(config["architecture"], "arm64");
    assert_eq!(
        manifest["layers"][1]["digest"],
        arm.layers[1].digest.as_str()
    );
    assert_eq!(
        whittle_oci::diff_id(&fs_err::read(out.join("manifest.json")).unwrap()),
        index["manifests"][1]["digest"].as_str().unwrap()
    );

    // docker-archive view: one entry per platform, tagged TAG-ARCH.
    for arch in ["amd64", "arm64"] {
        let reference = format!("docker-archive:{}:{TAG}-{arch}", path.display());
        let info = run_json(Command::new("skopeo").args(["inspect", &reference]));
        assert_eq!(info["Architecture"], arch);
        assert_eq!(info["Labels"]["org.example.arch"], arch);
    }

    let again = dir.path().join("again.tar");
    write_archive(&set, &again).unwrap();
    assert_eq!(fs_err::read(&path).unwrap(), fs_err::read(&again).unwrap());
}

fn index_entries(layout: &Path) -> Vec<serde_json::Value> {
    let index: serde_json::Value =
        serde_json::from_slice(&fs_err::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"].as_array().unwrap().clone()
}

#[test]
fn write_layout_adds_and_replaces_by_ref_name() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    fs_err::create_dir_all(&layout).unwrap();

    let first = set(&["amd64"]);
    write_layout(&first, &layout).unwrap();
    let index_once = fs_err::read(layout.join("index.json")).unwrap();
    write_layout(&first, &layout).unwrap();
    assert_eq!(
        fs_err::read(layout.join("index.json")).unwrap(),
        index_once,
        "idempotent"
    );
    assert_eq!(index_entries(&layout).len(), 1);

    // Same ref name, different image: replaced.
    let mut second = set(&["amd64"]);
    second.images[0].config.env.push("MORE=1".into());
    write_layout(&second, &layout).unwrap();
    let entries = index_entries(&layout);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["digest"], image_digest(&second).as_str());

    // Another ref name: added, first kept. A multi-platform one this time.
    let mut third = set(&["amd64", "arm64"]);
    third.tag = "registry.example/whittle/app:multi".into();
    write_layout(&third, &layout).unwrap();
    let entries = index_entries(&layout);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["digest"], image_digest(&second).as_str());
    assert_eq!(entries[1]["digest"], image_digest(&third).as_str());
    assert_eq!(
        entries[1]["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );

    // The layout equals what the archive holds for the same set.
    let archive = dir.path().join("second.tar");
    write_archive(&second, &archive).unwrap();
    let fresh = dir.path().join("fresh");
    fs_err::create_dir_all(&fresh).unwrap();
    write_layout(&second, &fresh).unwrap();
    let extracted = dir.path().join("extracted");
    extract(&archive, &extracted);
    assert_eq!(
        fs_err::read(fresh.join("index.json")).unwrap(),
        fs_err::read(extracted.join("index.json")).unwrap()
    );
    assert_eq!(
        fs_err::read(fresh.join("oci-layout")).unwrap(),
        fs_err::read(extracted.join("oci-layout")).unwrap()
    );

    if require_tool("umoci") {
        let bundle = dir.path().join("bundle");
        umoci_unpack(&layout, TAG, &bundle);
        assert_eq!(
            fs_err::read_to_string(bundle.join("rootfs/etc/hello")).unwrap(),
            "hello from amd64\n"
        );
    }
    if require_tool("skopeo") {
        for (tag, arch) in [
            (TAG, "amd64"),
            ("registry.example/whittle/app:multi", "amd64"),
        ] {
            let info = run_json(
                Command::new("skopeo")
                    .args(["inspect", &format!("oci:{}:{tag}", layout.display())]),
            );
            assert_eq!(info["Architecture"], arch);
        }
        let info = run_json(Command::new("skopeo").args([
            "inspect",
            "--override-arch",
            "arm64",
            &format!(
                "oci:{}:registry.example/whittle/app:multi",
                layout.display()
            ),
        ]));
        assert_eq!(info["Architecture"], "arm64");
    }

    // Not a directory / not a layout.
    let file = dir.path().join("file");
    fs_err::write(&file, b"x").unwrap();
    assert!(write_layout(&first, &file).is_err());
    assert!(write_layout(&first, &dir.path().join("missing")).is_err());
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn write_archive_failures_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let set = set(&["amd64"]);

    // Parent does not exist.
    let missing: PathBuf = dir.path().join("no/such/dir/app.tar");
    let err = write_archive(&set, &missing).unwrap_err();
    assert!(
        err.to_string().contains("no/such/dir"),
        "error names the path: {err}"
    );
    assert!(dir_names(dir.path()).is_empty());

    // Parent is a file.
    let file = dir.path().join("file");
    fs_err::write(&file, b"x").unwrap();
    assert!(write_archive(&set, &file.join("app.tar")).is_err());
    assert_eq!(dir_names(dir.path()), ["file"]);

    // The target is a directory: everything is written, the final rename
    // fails, the temp file must go.
    let target = dir.path().join("target.tar");
    fs_err::create_dir_all(target.join("inside")).unwrap();
    let err = write_archive(&set, &target).unwrap_err();
    assert!(matches!(err, OciError::IoAt { .. }), "{err:?}");
    assert_eq!(dir_names(dir.path()), ["file", "target.tar"]);
    assert_eq!(dir_names(&target), ["inside"]);

    // An unwritable directory (only meaningful when not root: root writes anyway).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("ro");
        fs_err::create_dir_all(&ro).unwrap();
        fs_err::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        match write_archive(&set, &ro.join("app.tar")) {
            Err(_) => assert!(dir_names(&ro).is_empty()),
            Ok(()) => skip("running as root, a 0555 directory is writable; the unwritable-dir case was NOT exercised"),
        }
        fs_err::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    // An existing archive is untouched by a failed write.
    let good = dir.path().join("good.tar");
    write_archive(&set, &good).unwrap();
    let before = fs_err::read(&good).unwrap();
    let mut empty = set.clone();
    empty.images.clear();
    assert!(matches!(
        write_archive(&empty, &good),
        Err(OciError::InvalidSet(_))
    ));
    let mut bad = set.clone();
    bad.images[0].layers[0].size += 1;
    assert!(write_archive(&bad, &good).is_err());
    assert_eq!(fs_err::read(&good).unwrap(), before);
    assert!(dir_names(dir.path()).iter().all(|n| !n.ends_with(".tmp")));
}

/// Every file under `dir` with its content, sorted.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs_err::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
                out.push((p, Vec::new()));
            } else {
                out.push((p.clone(), fs_err::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn an_invalid_layout_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    for (i, bad) in [
        &b"{not json"[..],
        br#"{"schemaVersion":2,"manifests":[1]}"#,
        br#"{"manifests":[]}"#,
    ]
    .into_iter()
    .enumerate()
    {
        let layout = dir.path().join(format!("layout{i}"));
        fs_err::create_dir_all(&layout).unwrap();
        fs_err::write(layout.join("index.json"), bad).unwrap();
        let err = write_layout(&set(&["amd64"]), &layout).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, OciError::InvalidLayout { path, .. } if path.ends_with("index.json")),
            "{err:?}"
        );
        assert!(
            text.contains("index.json") && text.contains("Repair or remove"),
            "{text}"
        );
        assert_eq!(dir_names(&layout), ["index.json"], "something was written");
        assert_eq!(fs_err::read(layout.join("index.json")).unwrap(), bad);
        assert!(check_layout(&layout).is_err());
    }
    let layout = dir.path().join("bad-oci-layout");
    fs_err::create_dir_all(&layout).unwrap();
    fs_err::write(layout.join("oci-layout"), b"{}").unwrap();
    assert!(write_layout(&set(&["amd64"]), &layout).is_err());
    assert_eq!(dir_names(&layout), ["oci-layout"]);
}

#[test]
fn a_failed_layout_update_removes_exactly_the_blobs_it_added() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    fs_err::create_dir_all(&layout).unwrap();
    write_layout(&set(&["amd64"]), &layout).unwrap();
    let before = snapshot(&layout);
    // A new image sharing the layers: new config, manifest, index entry.
    let mut second = set(&["amd64", "arm64"]);
    second.images[0].config.env.push("MORE=1".into());

    // Dropped before commit (a later output failed): nothing changes.
    let mut tx = Transaction::new();
    stage_layout(&second, &layout, &mut tx).unwrap();
    assert_ne!(snapshot(&layout), before, "temporaries are in the layout");
    assert!(tx.abort().is_empty());
    assert_eq!(snapshot(&layout), before);

    // The commit fails after index.json was swapped (the SBOM's rename
    // fails): new blobs removed, index.json and old blobs as they were.
    let mut tx = Transaction::new();
    stage_layout(&second, &layout, &mut tx).unwrap();
    let sbom = dir.path().join("sbom.json");
    tx.stage_file(&sbom, &mut |w| w.write_all(b"{}")).unwrap();
    fs_err::create_dir_all(sbom.join("in-the-way")).unwrap();
    let err = tx.commit().unwrap_err();
    assert!(err.unrestored.is_empty(), "{:?}", err.unrestored);
    assert!(
        err.source.to_string().contains("sbom.json"),
        "{}",
        err.source
    );
    assert_eq!(snapshot(&layout), before);

    // And when it works, the new image is there.
    let mut tx = Transaction::new();
    stage_layout(&second, &layout, &mut tx).unwrap();
    tx.commit().unwrap();
    assert_eq!(index_entries(&layout).len(), 1);
    assert!(snapshot(&layout).len() > before.len());
    assert!(snapshot(&layout)
        .iter()
        .all(|(p, _)| !p.to_string_lossy().ends_with(".tmp")));
}

/// User + system CPU time of this process (Linux), to see through a busy box.
fn cpu_seconds() -> f64 {
    let stat = fs_err::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// `cargo test --release -p whittle-oci --test tools -- --ignored --nocapture throughput`
#[test]
#[ignore = "benchmark"]
fn throughput() {
    // ~100 MB of real files from /usr, as a tar.
    let mut b = tar::Builder::new(Vec::new());
    let mut total = 0u64;
    let mut stack = vec![
        PathBuf::from("/usr/lib"),
        PathBuf::from("/usr/bin"),
        PathBuf::from("/usr/share"),
    ];
    'outer: while let Some(dir) = stack.pop() {
        let Ok(rd) = fs_err::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let Ok(meta) = fs_err::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() && meta.len() < 20_000_000 {
                if let Ok(bytes) = fs_err::read(&p) {
                    let mut h = tar::Header::new_gnu();
                    if h.set_path(p.strip_prefix("/").unwrap()).is_err() {
                        continue;
                    }
                    h.set_size(bytes.len() as u64);
                    h.set_mode(0o644);
                    h.set_cksum();
                    b.append(&h, bytes.as_slice()).unwrap();
                    total += bytes.len() as u64;
                    if total > 100_000_000 {
                        break 'outer;
                    }
                }
            }
        }
    }
    let tar = b.into_inner().unwrap();
    let mb = tar.len() as f64 / 1e6;
    let mut blobs = Vec::new();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (start, cpu0) = (std::time::Instant::now(), cpu_seconds());
        let layer = pool.install(|| compress_layer(&tar));
        let (secs, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
        eprintln!(
            "compress_layer: {mb:.1} MB -> {:.1} MB ({:.1}%), {threads} thread(s): {secs:.2} s wall = {:.1} MB/s, {cpu:.2} s CPU = {:.1} MB/CPU-s",
            layer.size as f64 / 1e6,
            layer.size as f64 / 1e6 / mb * 100.0,
            mb / secs,
            mb / cpu
        );
        blobs.push(layer);
    }
    assert_eq!(blobs[0], blobs[1]);
}
