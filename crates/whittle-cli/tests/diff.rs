//! `whittle diff` and `whittle sbom IMAGE` on images the real `whittle`
//! builds from throw-away signed repositories served on 127.0.0.1.
//!
//! The Debian scenario: repository A has `tool 1.0`; repository B has
//! `tool 1.1`, which depends on a new package `extra`. Both build the same
//! recipe (amd64 and arm64, `layering: origin`, one build date), so the
//! layer holding the large unchanged `libbig` is byte-identical in both
//! images. Then: packages changed and added with sizes (text and JSON),
//! files, shared layers, platforms, exit codes, a lock file on either
//! side. One test per world reads an image's packages back (Debian, APK,
//! RPM from `rpmdb.sqlite` and from `container-manifest-2`) and checks
//! that `whittle sbom IMAGE` lists them as the build-time SBOM did.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use common::*;
use serde_json::Value;
use whittle_audit::{inventory, DbKind, ImageRef, Platform, World};
use whittle_net::TestServer;
use whittle_test::{
    azurelinux_release_rpm_spec, dep5_copyright, filesystem_rpm_spec, wolfi_baselayout_spec,
    ApkKey, ApkRepo, ApkSpec, DebEntry, DebRepo, DebSpec, RpmKey, RpmRepo, RpmSpec,
};
use whittle_test_env::host::require_tool;

const BUILD_DATE: &str = "1700000000";

/// Deterministic bytes that gzip cannot shrink much, so `libbig` stays the
/// largest package and gets a layer of its own.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

fn base_files() -> DebSpec {
    DebSpec::new("base-files", "12.4")
        .arch("all")
        .field("Installed-Size", "4")
        .file(
            "usr/lib/os-release",
            b"ID=debian\nVERSION_ID=\"12\"\n",
            0o644,
        )
        .entry(DebEntry::Symlink(
            "etc/os-release".into(),
            "../usr/lib/os-release".into(),
        ))
        .file(
            "usr/share/doc/base-files/copyright",
            dep5_copyright("MIT").as_bytes(),
            0o644,
        )
}

fn libbig() -> DebSpec {
    DebSpec::new("libbig", "1.0-1")
        .arch("all")
        .field("Installed-Size", "300")
        .field("Source", "big-src (1.0-0.1)")
        .file("usr/lib/libbig.so.1", &noise(300 * 1024), 0o644)
        .file(
            "usr/share/doc/libbig/copyright",
            dep5_copyright("MIT").as_bytes(),
            0o644,
        )
}

/// `tool` for one architecture; 1.1 needs `extra`.
fn tool(version: &str, arch: &str) -> DebSpec {
    let spec = DebSpec::new("tool", version)
        .arch(arch)
        .file(
            "usr/bin/tool",
            format!("#!tool {version} for {arch}\n").as_bytes(),
            0o755,
        )
        .file("usr/share/tool/unchanged.txt", b"same in both\n", 0o644);
    if version == "1.0" {
        spec.field("Installed-Size", "1")
    } else {
        spec.field("Installed-Size", "2").field("Depends", "extra")
    }
}

fn deb_repo(tool_version: &str) -> DebRepo {
    let mut repo = DebRepo::new("stable");
    repo.add(base_files())
        .add(libbig())
        .add(tool(tool_version, "amd64"))
        .add(tool(tool_version, "arm64"));
    if tool_version != "1.0" {
        repo.add(
            DebSpec::new("extra", "0.5")
                .arch("all")
                .field("Installed-Size", "3")
                .file("usr/share/extra/data", b"extra data\n", 0o644),
        );
    }
    repo.publish();
    repo
}

/// The two Debian images (A with tool 1.0, B with tool 1.1 + extra), A's
/// lock, and the directory they are in.
struct DebImages {
    dir: PathBuf,
    a: PathBuf,
    b: PathBuf,
    lock_a: PathBuf,
}

fn deb_images() -> &'static DebImages {
    static IMAGES: OnceLock<DebImages> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let dir = once_dir("diff-deb");
        let mut built = Vec::new();
        // The servers must outlive every build from their repository.
        let mut keep: Vec<(DebRepo, TestServer)> = Vec::new();
        for (name, version) in [("a", "1.0"), ("b", "1.1")] {
            let repo = deb_repo(version);
            let server = repo.serve();
            let work = dir.join(name);
            fs_err::create_dir_all(&work).unwrap();
            let recipe = deb_recipe(
                &work,
                &server.url(),
                &repo.keyring_path(),
                "base-files, libbig, tool",
                "entrypoint: {command: /usr/bin/tool}\narchs: [amd64, arm64]\nlayering: {strategy: origin, budget: 2}\nannotations: {org.opencontainers.image.vendor: Whittle Tests Inc}\n",
            );
            let out = dir.join(format!("{name}.tar"));
            build(&recipe, &out, &dir.join("cache"));
            if name == "a" {
                run(
                    whittle()
                        .arg("lock")
                        .arg(&recipe)
                        .arg("-o")
                        .arg(dir.join("a.lock.json"))
                        .arg("--cache-dir")
                        .arg(dir.join("cache")),
                    true,
                );
            }
            built.push(out);
            keep.push((repo, server));
        }
        DebImages {
            a: built[0].clone(),
            b: built[1].clone(),
            lock_a: dir.join("a.lock.json"),
            dir,
        }
    })
}

fn build(recipe: &Path, out: &Path, cache: &Path) {
    run(
        whittle()
            .arg("build")
            .arg(recipe)
            .arg("test.invalid/diff:1")
            .arg(out)
            .args([
                "--build-date",
                BUILD_DATE,
                "--sbom-formats",
                "spdx,cyclonedx",
            ])
            .arg("--cache-dir")
            .arg(cache),
        true,
    );
}

/// `whittle diff ARGS…`: (exit code, stdout, stderr).
fn diff(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, String, String) {
    let mut cmd = whittle();
    cmd.arg("diff");
    for a in args {
        cmd.arg(a);
    }
    let out: Output = run(&mut cmd, false);
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The platform entry of a diff report.
fn platform<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["platform"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#}"))
}

#[test]
fn a_newer_and_an_added_package_with_sizes_in_text_and_json() {
    let img = deb_images();
    let (code, text, err) = diff(&[&img.a, &img.b]);
    eprintln!("{text}");
    assert_eq!(code, 1, "{text}{err}");
    assert!(
        text.contains("linux/amd64: 1 added, 0 removed, 1 changed, 2 unchanged"),
        "{text}"
    );
    assert!(
        text.contains("  ~ tool 1.0 → 1.1, upgrade (1.0 KiB → 2.0 KiB)"),
        "{text}"
    );
    assert!(text.contains("  + extra 0.5 all (3.0 KiB)"), "{text}");
    assert!(
        text.contains("installed size: 305.0 KiB → 309.0 KiB (+4.0 KiB)"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("different"), "{text}");

    let (code, out, err) = diff(&[&img.a, &img.b, &"--format", &"json"]);
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(report["identical"], false);
    assert_eq!(report["a"]["kind"], "image");
    assert_eq!(report["only_in_a"], serde_json::json!([]));
    for arch in ["amd64", "arm64"] {
        let p = platform(&report, &format!("linux/{arch}"));
        assert_eq!(p["b_platform"], format!("linux/{arch}"));
        let pk = &p["packages"];
        assert_eq!(
            pk["changed"],
            serde_json::json!([{
                "name": "tool", "old_version": "1.0", "new_version": "1.1",
                "old_arch": arch, "new_arch": arch, "old_size": 1024, "new_size": 2048,
                "direction": "upgrade"
            }])
        );
        assert_eq!(
            pk["added"],
            serde_json::json!([{"name": "extra", "version": "0.5", "arch": "all", "size": 3072}])
        );
        assert_eq!(pk["removed"], serde_json::json!([]));
        assert_eq!(pk["unchanged"], 2);
        assert_eq!(
            pk["size"],
            serde_json::json!({"a": 305 * 1024, "b": 309 * 1024, "delta": 4096, "a_unknown": 0, "b_unknown": 0})
        );
        assert!(p.get("files").is_none(), "files only with --files");
    }
}

#[test]
fn files_show_the_changed_the_added_and_not_the_unchanged() {
    let img = deb_images();
    let (code, text, err) = diff(&[&img.a, &img.b, &"--files", &"--arch", &"amd64"]);
    eprintln!("{text}");
    assert_eq!(code, 1, "{err}");
    assert!(text.contains("    ~ /usr/bin/tool (content)"), "{text}");
    assert!(text.contains("    + /usr/share/extra/data"), "{text}");
    assert!(!text.contains("unchanged.txt"), "{text}");
    assert!(
        !text.contains("linux/arm64"),
        "--arch amd64 compares amd64 only: {text}"
    );

    let (_, out, _) = diff(&[
        &img.a,
        &img.b,
        &"--files",
        &"--platform",
        &"linux/amd64",
        &"--format",
        &"json",
    ]);
    let report = json(&out);
    let files = &platform(&report, "linux/amd64")["files"];
    let changed = files["changed"].as_array().unwrap();
    let tool = changed
        .iter()
        .find(|c| c["path"] == "/usr/bin/tool")
        .unwrap();
    assert_eq!(tool["changes"], serde_json::json!(["content"]));
    assert_eq!(tool["old"]["mode"], "0755");
    assert_ne!(tool["old"]["digest"], tool["new"]["digest"]);
    assert!(tool["new"]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let added: Vec<&str> = files["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(added.contains(&"/usr/share/extra/data"), "{added:?}");
    // The package database changed with the packages.
    assert!(changed.iter().any(|c| c["path"] == "/var/lib/dpkg/status"));
    assert!(files["unchanged"].as_u64().unwrap() > 5);
}

#[test]
fn the_unchanged_packages_layer_is_shared_and_saves_its_bytes() {
    let img = deb_images();
    let (_, out, _) = diff(&[&img.a, &img.b, &"--format", &"json"]);
    let report = json(&out);
    for arch in ["amd64", "arm64"] {
        let l = &platform(&report, &format!("linux/{arch}"))["layers"];
        // libbig's own layer, "other packages", and the top layer.
        assert_eq!(
            (l["a_layers"].as_u64(), l["b_layers"].as_u64()),
            (Some(3), Some(3)),
            "{l:#}"
        );
        let shared = l["shared"].as_array().unwrap();
        assert_eq!(shared.len(), 1, "{l:#}");
        let size = shared[0]["size"].as_u64().unwrap();
        assert!(size > 250 * 1024, "libbig's layer: {size}");
        assert_eq!(l["shared_bytes"].as_u64(), Some(size));
        assert_eq!(
            l["pull_bytes"].as_u64().unwrap(),
            l["b_bytes"].as_u64().unwrap() - size
        );
        assert!(shared[0]["digest"].as_str().unwrap().starts_with("sha256:"));
        assert!(shared[0]["diff_id"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"));
    }
    let (_, text, _) = diff(&[&img.a, &img.b]);
    assert!(text.contains("  layers: 1 of B's 3 in A: "), "{text}");
}

#[test]
fn identical_images_exit_0_and_unreadable_ones_exit_2() {
    let img = deb_images();
    let (code, text, err) = diff(&[&img.a, &img.a, &"--files"]);
    assert_eq!(code, 0, "{text}{err}");
    assert!(
        text.contains("linux/amd64: 0 added, 0 removed, 0 changed, 3 unchanged"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("identical"), "{text}");

    let missing = img.dir.join("missing.tar");
    let (code, _, err) = diff(&[&img.a, &missing]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.tar"), "{err}");

    let (code, _, err) = diff(&[&img.a, &img.b, &"--platform", &"linux/s390x"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("linux/s390x") && err.contains("linux/amd64, linux/arm64"),
        "{err}"
    );
}

#[test]
fn a_lock_file_compares_with_an_image_in_either_order() {
    let img = deb_images();
    // The lock of A's recipe names exactly A's packages.
    let (code, text, err) = diff(&[&img.lock_a, &img.a]);
    assert_eq!(code, 0, "{text}{err}");
    let (code, out, err) = diff(&[&img.b, &img.lock_a, &"--format", &"json"]);
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(report["b"]["kind"], "lock");
    let p = platform(&report, "linux/arm64");
    assert_eq!(p["packages"]["removed"][0]["name"], "extra");
    assert_eq!(p["packages"]["changed"][0]["old_version"], "1.1");
    assert_eq!(p["packages"]["changed"][0]["new_version"], "1.0");
    assert!(p.get("layers").is_none(), "a lock has no layers");
    // Two locks compare too.
    let (code, _, _) = diff(&[&img.lock_a, &img.lock_a]);
    assert_eq!(code, 0);
    // A lock has no files.
    let (code, _, err) = diff(&[&img.lock_a, &img.b, &"--files"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("lock file") && err.contains("--files"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Inventory and `whittle sbom IMAGE`, one test per world.

/// (name, version, purl, licence, supplier, source info) of each
/// distribution package of an SPDX document.
fn spdx_packages(doc: &Value, with_licences: bool) -> BTreeSet<Vec<String>> {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let purl = p["externalRefs"]
                .as_array()?
                .iter()
                .find(|r| r["referenceType"] == "purl")?["referenceLocator"]
                .as_str()?
                .to_string();
            if purl.starts_with("pkg:oci/") {
                return None;
            }
            let text = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            let mut row = vec![text("name"), text("versionInfo"), purl];
            if with_licences {
                row.extend([
                    text("licenseDeclared"),
                    text("supplier"),
                    text("sourceInfo"),
                ]);
            }
            Some(row)
        })
        .collect()
}

/// (name, version, purl) of each distribution package of a CycloneDX
/// document.
fn cdx_packages(doc: &Value) -> BTreeSet<Vec<String>> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            let purl = c["purl"].as_str()?;
            (!purl.starts_with("pkg:oci/")).then(|| {
                let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                vec![text("name"), text("version"), purl.to_string()]
            })
        })
        .collect()
}

/// The image's own package of an SPDX document.
fn spdx_image(doc: &Value) -> &Value {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["primaryPackagePurpose"] == "CONTAINER")
        .unwrap()
}

/// `whittle sbom IMAGE -o FILE` in both formats, validated with
/// pyspdxtools and the CycloneDX 1.6 schema; its packages must be those of
/// the build-time SBOMs `BUILT.spdx.json` and `BUILT.cdx.json`.
fn check_sbom(image: &Path, built: &Path, with_licences: bool) {
    let read = |p: &Path| json(&fs_err::read_to_string(p).unwrap());
    let with_suffix = |p: &Path, suffix: &str| PathBuf::from(format!("{}{suffix}", p.display()));
    let spdx = image.with_extension("resbom.spdx.json");
    run(whittle().arg("sbom").arg(image).arg("-o").arg(&spdx), true);
    validate_spdx(&spdx);
    let (again, build) = (read(&spdx), read(&with_suffix(built, ".spdx.json")));
    let (got, want) = (
        spdx_packages(&again, with_licences),
        spdx_packages(&build, with_licences),
    );
    assert!(!want.is_empty());
    assert_eq!(
        got,
        want,
        "whittle sbom {} against {}",
        image.display(),
        built.display()
    );
    // The same image, supplier and date.
    assert_eq!(
        again["creationInfo"]["created"],
        build["creationInfo"]["created"]
    );
    for key in ["name", "versionInfo", "supplier", "externalRefs"] {
        assert_eq!(spdx_image(&again)[key], spdx_image(&build)[key], "{key}");
    }
    // To stdout, the same document.
    let printed = stdout(&run(whittle().arg("sbom").arg(image), true));
    assert_eq!(json(&printed), again);

    let cdx = image.with_extension("resbom.cdx.json");
    run(
        whittle()
            .arg("sbom")
            .arg(image)
            .args(["--format", "cyclonedx", "-o"])
            .arg(&cdx),
        true,
    );
    validate_cyclonedx(&cdx);
    let (again, build) = (read(&cdx), read(&with_suffix(built, ".cdx.json")));
    assert_eq!(cdx_packages(&again), cdx_packages(&build));
    assert_eq!(
        again["metadata"]["component"],
        build["metadata"]["component"]
    );
}

#[test]
fn deb_inventory_and_its_sbom_name_packages_as_the_build_did() {
    let img = deb_images();
    let arm = Platform::parse("linux/arm64").unwrap();
    let inv = inventory(&ImageRef::parse(&img.b.to_string_lossy()), Some(&arm)).unwrap();
    assert_eq!(inv.databases, [DbKind::Dpkg]);
    assert_eq!(inv.platform, "linux/arm64/v8");
    assert_eq!(inv.distro.as_ref().map(|d| d.id.as_str()), Some("debian"));
    assert_eq!(inv.name.as_deref(), Some("test.invalid/diff:1"));
    let names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["base-files", "extra", "libbig", "tool"]);
    let libbig = &inv.packages[2];
    assert_eq!(libbig.world, World::Deb);
    assert_eq!(libbig.installed_size, Some(300 * 1024));
    assert_eq!(
        (
            libbig.source_name.as_deref(),
            libbig.source_version.as_deref()
        ),
        (Some("big-src"), Some("1.0-0.1"))
    );
    assert_eq!(libbig.license.as_deref(), Some("MIT"));
    assert_eq!(
        libbig.purl,
        "pkg:deb/debian/libbig@1.0-1?arch=all&distro=debian-12"
    );
    let tool = &inv.packages[3];
    assert_eq!(tool.arch, "arm64");
    assert_eq!(
        tool.supplier.as_deref(),
        Some("Person: Test (test@example.invalid)")
    );
    check_sbom(&img.a, &img.dir.join("a.sbom-amd64"), true);
}

#[test]
fn apk_inventory_and_its_sbom_name_packages_as_the_build_did() {
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-diff"));
    repo.add(wolfi_baselayout_spec("x86_64")).add(
        ApkSpec::new("hello", "1.0-r0", "x86_64")
            .origin("hello-src")
            .license("Apache-2.0")
            .depend("wolfi-baselayout")
            .file("usr/bin/hello", &noise(5000), 0o755),
    );
    repo.publish();
    let hello_size = repo.packages()[1].installed_size();
    let server = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("apko.yaml");
    fs_err::write(
        &recipe,
        format!(
            "contents:\n  keyring: [{}]\n  repositories: [{}]\n  packages: [hello]\nentrypoint: {{command: /usr/bin/hello}}\narchs: [x86_64]\n",
            repo.key_path().display(),
            server.url()
        ),
    )
    .unwrap();
    let image = dir.path().join("apk.tar");
    build(&recipe, &image, &dir.path().join("cache"));

    let inv = inventory(&ImageRef::parse(&image.to_string_lossy()), None).unwrap();
    assert_eq!(inv.databases, [DbKind::Apk]);
    let hello = inv.packages.iter().find(|p| p.name == "hello").unwrap();
    assert_eq!(hello.world, World::Apk);
    assert_eq!(
        (hello.version.as_str(), hello.arch.as_str()),
        ("1.0-r0", "x86_64")
    );
    assert_eq!(hello.installed_size, Some(hello_size));
    assert_eq!(hello.source_name.as_deref(), Some("hello-src"));
    assert_eq!(hello.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(
        hello.purl,
        "pkg:apk/wolfi/hello@1.0-r0?arch=x86_64&distro=wolfi-20230201"
    );
    check_sbom(&image, &dir.path().join("apk.sbom-amd64"), true);
}

fn rpm_tools() -> bool {
    ["rpmbuild", "rpmsign", "createrepo_c", "gpg"]
        .iter()
        .all(|t| require_tool(t))
}

#[test]
fn rpm_inventory_from_rpmdb_and_from_the_manifest_agree_with_the_build() {
    if !rpm_tools() {
        return;
    }
    let key = RpmKey::ed25519();
    let mut repo = RpmRepo::new();
    repo.signed_by(&key);
    repo.add(filesystem_rpm_spec())
        .add(azurelinux_release_rpm_spec())
        .add(
            RpmSpec::new("tool", "2.0", "1.azl3", "x86_64")
                .epoch(1)
                .license("MIT and Apache-2.0")
                .vendor("Whittle Tests")
                .file("/usr/bin/tool", &noise(4000), 0o755)
                .file("/usr/share/tool/README", b"tool\n", 0o644),
        );
    repo.publish();
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.asc");
    key.write_public_key(&key_path);
    let url = repo.url();
    let mut images = Vec::new();
    for (name, extra) in [("rpmdb", ""), ("manifest", "rpmdb: false\n")] {
        let recipe = dir.path().join(format!("{name}.yaml"));
        fs_err::write(
            &recipe,
            format!(
                "contents:\n  repositories:\n    - type: rpm\n      url: {url}\n      gpgkey: {}\n  packages: [filesystem, azurelinux-release, tool]\nentrypoint: {{command: /usr/bin/tool}}\narchs: [x86_64]\n{extra}",
                key_path.display()
            ),
        )
        .unwrap();
        let image = dir.path().join(format!("{name}.tar"));
        build(&recipe, &image, &dir.path().join("cache"));
        images.push(image);
    }

    let read = |image: &Path| inventory(&ImageRef::parse(&image.to_string_lossy()), None).unwrap();
    let (db, manifest) = (read(&images[0]), read(&images[1]));
    assert_eq!(db.databases, [DbKind::Rpmdb]);
    assert_eq!(manifest.databases, [DbKind::RpmManifest2]);
    let tool = db.packages.iter().find(|p| p.name == "tool").unwrap();
    assert_eq!(tool.world, World::Rpm);
    assert_eq!(
        (tool.version.as_str(), tool.arch.as_str()),
        ("1:2.0-1.azl3", "x86_64")
    );
    assert_eq!(tool.license.as_deref(), Some("MIT AND Apache-2.0"));
    assert_eq!(
        tool.supplier.as_deref(),
        Some("Organization: Whittle Tests")
    );
    assert_eq!(
        (tool.source_name.as_deref(), tool.source_version.as_deref()),
        (Some("tool"), Some("2.0-1.azl3"))
    );
    assert_eq!(
        tool.purl,
        "pkg:rpm/azurelinux/tool@2.0-1.azl3?arch=x86_64&epoch=1&distro=azurelinux-3.0"
    );
    assert!(tool.installed_size.unwrap() >= 4000);
    // The manifest says the same of every package, licences aside.
    let strip = |inv: &whittle_audit::Inventory| -> Vec<_> {
        inv.packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.arch.clone(),
                    p.installed_size,
                    p.source_name.clone(),
                    p.supplier.clone(),
                    p.purl.clone(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&db), strip(&manifest));
    // And `whittle diff` finds the two images' packages alike.
    let (code, text, err) = diff(&[&images[0], &images[1]]);
    eprintln!("{text}");
    assert_eq!(code, 0, "{text}{err}");

    check_sbom(&images[0], &dir.path().join("rpmdb.sbom-amd64"), true);
    check_sbom(&images[1], &dir.path().join("manifest.sbom-amd64"), false);
}
