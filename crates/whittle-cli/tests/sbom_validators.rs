//! The SBOMs of real images, one world each (Debian, APK, RPM; the Debian
//! one for two architectures, so the index documents are checked too),
//! built with `--sbom-formats spdx,cyclonedx` from throw-away signed
//! repositories served on 127.0.0.1, and checked by the validators:
//! pyspdxtools (SPDX 2.3), cyclonedx-validate (the CycloneDX 1.6 JSON
//! schema) and ntia-checker (the NTIA minimum elements, on the SPDX
//! documents). Then their content: every installed package in both
//! documents with its purl and supplier, its licence where it states one,
//! its checksum where the world's index gives a whole-file digest, and the
//! source package it was built from where that has another name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{check_ntia, run, stdout, validate_cyclonedx, validate_spdx, whittle};
use serde_json::Value;
use whittle_test::{
    azurelinux_release_rpm_spec, dep5_copyright, distroless_packages_rpm_specs,
    filesystem_rpm_spec, tzdata_rpm_spec, wolfi_baselayout_spec, ApkKey, ApkRepo, ApkSpec, DebRepo,
    DebSpec, RpmKey, RpmRepo,
};
use whittle_test_env::host::require_tool;

/// What one world's images must say of one package, beyond what every
/// package must have (name, version, purl, supplier).
#[derive(Default)]
struct Expect {
    name: &'static str,
    /// The declared licence, as both documents write it.
    license: Option<&'static str>,
    /// The supplier, in SPDX's words.
    supplier: Option<&'static str>,
    /// `(name, version)` of the source package.
    source: Option<(&'static str, &'static str)>,
}

/// Build `recipe` with both SBOM formats into `out/img.tar` with the cache
/// in `dir/cache`; the SBOMs land beside the image as `img.sbom-*`.
fn build_into(recipe: &Path, dir: &Path, out: &Path) {
    run(
        whittle()
            .arg("build")
            .arg(recipe)
            .arg("test.invalid/sbom:1")
            .arg(out.join("img.tar"))
            .args(["--sbom-formats", "spdx,cyclonedx", "--cache-dir"])
            .arg(dir.join("cache"))
            .args(["--build-date", "1700000000"]),
        true,
    );
}

fn build(recipe: &Path, dir: &Path) {
    build_into(recipe, dir, dir);
}

/// `whittle show-packages`, as `arch → [(name, version)]` (one unnamed
/// section when one architecture is built).
fn installed(recipe: &Path, dir: &Path) -> BTreeMap<String, Vec<(String, String)>> {
    let text = stdout(&run(
        whittle()
            .arg("show-packages")
            .arg(recipe)
            .arg("--cache-dir")
            .arg(dir.join("cache")),
        true,
    ));
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut arch = String::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(a) = line.strip_prefix("# ") {
            arch = a.to_string();
            continue;
        }
        let (name, version) = line.split_once(' ').unwrap();
        out.entry(arch.clone())
            .or_default()
            .push((name.to_string(), version.to_string()));
    }
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs_err::read(path).unwrap()).unwrap()
}

/// Run every validator on the documents named `img.sbom-{suffix}.*`.
fn validate(dir: &Path, suffix: &str) -> (Value, Value) {
    let spdx = dir.join(format!("img.sbom-{suffix}.spdx.json"));
    let cdx = dir.join(format!("img.sbom-{suffix}.cdx.json"));
    validate_spdx(&spdx);
    check_ntia(&spdx);
    validate_cyclonedx(&cdx);
    (read_json(&spdx), read_json(&cdx))
}

/// Check one image's documents against the packages it installed.
fn check_image(
    spdx: &Value,
    cdx: &Value,
    installed: &[(String, String)],
    expect: &[Expect],
    whole_file_digest: bool,
) {
    assert_eq!(cdx["specVersion"], "1.6");
    assert_eq!(cdx["metadata"]["component"]["type"], "container");
    assert!(cdx["metadata"]["component"]["purl"]
        .as_str()
        .unwrap()
        .starts_with("pkg:oci/sbom@sha256%3A"));
    assert_eq!(cdx["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let image_ref = cdx["metadata"]["component"]["bom-ref"].as_str().unwrap();
    let deps = &cdx["dependencies"][0];
    assert_eq!(deps["ref"], image_ref);
    for (name, version) in installed {
        let what = format!("{name} {version}");
        let s = spdx_package(spdx, name);
        let c = cdx_component(cdx, name);
        // Versions as show-packages prints them (RPM adds the epoch there).
        assert!(
            version.ends_with(s["versionInfo"].as_str().unwrap()),
            "{what}: SPDX {}",
            s["versionInfo"]
        );
        assert_eq!(s["versionInfo"], c["version"], "{what}");
        // The same purl in both.
        let purl = s["externalRefs"][0]["referenceLocator"].as_str().unwrap();
        assert!(purl.starts_with("pkg:"), "{what}: {purl}");
        assert_eq!(c["purl"], purl, "{what}");
        // A supplier in both.
        let supplier = s["supplier"].as_str().unwrap();
        assert_ne!(supplier, "NOASSERTION", "{what}");
        assert!(
            supplier.contains(c["supplier"]["name"].as_str().unwrap()),
            "{what}: {supplier} / {}",
            c["supplier"]
        );
        // The same licence in both.
        let license = s["licenseDeclared"].as_str().unwrap();
        if license == "NOASSERTION" {
            assert!(c.get("licenses").is_none(), "{what}");
        } else {
            assert_eq!(c["licenses"][0]["expression"], license, "{what}");
        }
        // A whole-file checksum where the index gives one.
        if whole_file_digest {
            let sha = s["checksums"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["algorithm"] == "SHA256")
                .unwrap_or_else(|| panic!("{what}: no SHA256 in {s}"));
            let hash = c["hashes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["alg"] == "SHA-256")
                .unwrap_or_else(|| panic!("{what}: no SHA-256 in {c}"));
            assert_eq!(sha["checksumValue"], hash["content"], "{what}");
        }
        // Installed, so the image depends on it.
        assert!(
            deps["dependsOn"]
                .as_array()
                .unwrap()
                .contains(&c["bom-ref"]),
            "{what}: not a dependency of the image"
        );
    }
    for e in expect {
        let s = spdx_package(spdx, e.name);
        let c = cdx_component(cdx, e.name);
        if let Some(license) = e.license {
            assert_eq!(s["licenseDeclared"], license, "{}", e.name);
            assert_eq!(c["licenses"][0]["expression"], license, "{}", e.name);
            assert_eq!(c["licenses"][0]["acknowledgement"], "declared");
        }
        if let Some(supplier) = e.supplier {
            assert_eq!(s["supplier"], supplier, "{}", e.name);
        }
        match e.source {
            Some((name, version)) => {
                assert_eq!(
                    s["sourceInfo"],
                    format!("built package from: {name} {version}"),
                    "{}",
                    e.name
                );
                let ancestor = &c["pedigree"]["ancestors"][0];
                assert_eq!(ancestor["name"], name, "{}", e.name);
                assert_eq!(ancestor["version"], version, "{}", e.name);
            }
            None => {
                assert!(s.get("sourceInfo").is_none(), "{}", e.name);
                assert!(c.get("pedigree").is_none(), "{}", e.name);
            }
        }
    }
}

fn spdx_package<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name && p.get("primaryPackagePurpose").is_none())
        .unwrap_or_else(|| panic!("{name} is not in the SPDX document"))
}

fn cdx_component<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name && c["type"] == "library")
        .unwrap_or_else(|| panic!("{name} is not in the CycloneDX document"))
}

/// A Debian repository for amd64 and arm64: base-files (os-release),
/// `hello` (Expat, one per arch), `libgreet` built from the source
/// package `greet`, and `debconf`, which `hello` needs but the recipe
/// excludes.
fn debian_repo() -> DebRepo {
    let mut repo = DebRepo::new("stable");
    for arch in ["amd64", "arm64"] {
        repo.add(
            DebSpec::new("hello", "1.0-1")
                .arch(arch)
                .field("Depends", "libgreet, base-files, debconf")
                .file("usr/bin/hello", format!("hello-{arch}").as_bytes(), 0o755)
                .file(
                    "usr/share/doc/hello/copyright",
                    dep5_copyright("Expat").as_bytes(),
                    0o644,
                ),
        )
        .add(
            DebSpec::new("libgreet2", "2.1-1+b1")
                .arch(arch)
                .field("Source", "greet (2.1-1)")
                .file("usr/lib/libgreet.so.2", b"ELF?", 0o644)
                .file(
                    "usr/share/doc/libgreet2/copyright",
                    dep5_copyright("GPL-2+").as_bytes(),
                    0o644,
                ),
        );
    }
    repo.add(
        DebSpec::new("libgreet", "2.1-1")
            .arch("all")
            .field("Source", "greet")
            .field("Depends", "libgreet2"),
    )
    .add(
        DebSpec::new("base-files", "12.4")
            .arch("all")
            .file(
                "usr/lib/os-release",
                b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n",
                0o644,
            )
            .file("etc/debian_version", b"12.4\n", 0o644),
    )
    .add(DebSpec::new("debconf", "1.5.82").arch("all"));
    repo.publish();
    repo
}

#[test]
fn debian_multi_arch_sboms_pass_the_validators() {
    let repo = debian_repo();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("recipe.yaml");
    fs_err::write(
        &recipe,
        format!(
            "contents:\n  repositories:\n    - type: deb\n      url: {}\n      suites: [stable]\n      keyring: {}\n  packages: [hello]\n  exclude: [debconf]\narchs: [amd64, arm64]\n",
            srv.url(),
            repo.keyring_path().display()
        ),
    )
    .unwrap();
    build(&recipe, dir.path());
    let installed = installed(&recipe, dir.path());
    assert_eq!(installed.len(), 2, "{installed:?}");
    let expect = [
        Expect {
            name: "hello",
            license: Some("MIT"),
            supplier: Some("Person: Test (test@example.invalid)"),
            ..Expect::default()
        },
        Expect {
            name: "libgreet2",
            license: Some("GPL-2.0-or-later"),
            source: Some(("greet", "2.1-1")),
            ..Expect::default()
        },
        Expect {
            name: "libgreet",
            source: Some(("greet", "2.1-1")),
            ..Expect::default()
        },
        Expect {
            name: "base-files",
            ..Expect::default()
        },
    ];
    for (arch, packages) in &installed {
        let (spdx, cdx) = validate(dir.path(), arch);
        check_image(&spdx, &cdx, packages, &expect, true);
        // The excluded package: listed, scoped out, not a dependency.
        let debconf = cdx_component(&cdx, "debconf");
        assert_eq!(debconf["scope"], "excluded");
        assert!(!cdx["dependencies"][0]["dependsOn"]
            .as_array()
            .unwrap()
            .contains(&debconf["bom-ref"]));
        // The distribution: the operating system, supplied by itself.
        let os = cdx["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "operating-system")
            .unwrap();
        assert_eq!(
            (&os["name"], &os["version"]),
            (&"debian".into(), &"12".into())
        );
        assert_eq!(os["supplier"]["name"], "Debian GNU/Linux");
        // Debian's pool URL is where the .deb came from.
        let hello = cdx_component(&cdx, "hello");
        assert_eq!(hello["externalReferences"][0]["type"], "distribution");
        assert!(hello["externalReferences"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("hello_1.0-1_{arch}.deb")));
    }
    // The index documents: both images, each with its own purl.
    let (spdx, cdx) = validate(dir.path(), "index");
    assert_eq!(spdx["packages"].as_array().unwrap().len(), 3);
    let images = cdx["components"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    for (image, arch) in images.iter().zip(["amd64", "arm64"]) {
        assert_eq!(image["type"], "container");
        assert!(
            image["purl"]
                .as_str()
                .unwrap()
                .contains(&format!("arch={arch}")),
            "{image}"
        );
    }
    assert_eq!(
        cdx["dependencies"][0]["dependsOn"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn apk_sboms_pass_the_validators() {
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-sbom"));
    repo.add(wolfi_baselayout_spec("x86_64"))
        .add(
            ApkSpec::new("libgreet", "2.1-r0", "x86_64")
                .origin("greet")
                .license("GPL-2.0-or-later AND MIT")
                .file("usr/lib/libgreet.so.2", b"ELF?", 0o644),
        )
        .add(
            ApkSpec::new("hello", "1.0-r0", "x86_64")
                .depend("libgreet")
                .depend("wolfi-baselayout")
                .license("Apache-2.0")
                .file("usr/bin/hello", b"#!/bin/sh\necho hi\n", 0o755),
        );
    repo.publish();
    let srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("apko.yaml");
    fs_err::write(
        &recipe,
        format!(
            "contents:\n  keyring: [{}]\n  repositories: [{}]\n  packages: [hello]\narchs: [x86_64]\n",
            repo.key_path().display(),
            srv.url()
        ),
    )
    .unwrap();
    build(&recipe, dir.path());
    let installed = installed(&recipe, dir.path());
    let packages = &installed[""];
    assert_eq!(packages.len(), 3, "{packages:?}");
    let (spdx, cdx) = validate(dir.path(), "amd64");
    // Wolfi's index names no maintainer: the distribution supplies.
    let wolfi = Some("Organization: Wolfi");
    let expect = [
        Expect {
            name: "hello",
            license: Some("Apache-2.0"),
            supplier: wolfi,
            ..Expect::default()
        },
        Expect {
            name: "libgreet",
            license: Some("GPL-2.0-or-later AND MIT"),
            supplier: wolfi,
            source: Some(("greet", "2.1-r0")),
        },
        Expect {
            name: "wolfi-baselayout",
            license: Some("MIT"),
            supplier: wolfi,
            ..Expect::default()
        },
    ];
    // APKINDEX has no whole-file digest (its Q1 checksum is of the control
    // segment), so no checksum is claimed.
    check_image(&spdx, &cdx, packages, &expect, false);
    assert!(cdx_component(&cdx, "hello").get("hashes").is_none());
    assert_eq!(
        cdx["metadata"]["supplier"]["name"], "Wolfi",
        "no vendor annotation: the distribution supplies the image"
    );
    // Built again: the same documents, byte for byte.
    let again = dir.path().join("again");
    fs_err::create_dir_all(&again).unwrap();
    build_into(&recipe, dir.path(), &again);
    for name in ["img.sbom-amd64.spdx.json", "img.sbom-amd64.cdx.json"] {
        assert_eq!(
            fs_err::read(dir.path().join(name)).unwrap(),
            fs_err::read(again.join(name)).unwrap(),
            "{name} differs between two builds"
        );
    }
}

#[test]
fn rpm_sboms_pass_the_validators() {
    if !["rpmbuild", "rpmsign", "createrepo_c", "gpg"]
        .iter()
        .all(|t| require_tool(t))
    {
        return;
    }
    let key = RpmKey::ed25519();
    let mut repo = RpmRepo::new();
    repo.signed_by(&key);
    repo.add(filesystem_rpm_spec())
        .add(azurelinux_release_rpm_spec())
        .add(tzdata_rpm_spec());
    for spec in distroless_packages_rpm_specs() {
        repo.add(spec);
    }
    repo.publish();
    let dir = tempfile::tempdir().unwrap();
    let key_path: PathBuf = dir.path().join("key.asc");
    key.write_public_key(&key_path);
    let recipe = dir.path().join("whittle.yaml");
    fs_err::write(
        &recipe,
        format!(
            "contents:\n  repositories:\n    - type: rpm\n      url: {}\n      gpgkey: {}\n  packages: [distroless-packages-minimal]\narchs: [x86_64]\nannotations:\n  org.opencontainers.image.vendor: Whittle Tests\n",
            repo.url(),
            key_path.display()
        ),
    )
    .unwrap();
    build(&recipe, dir.path());
    let installed = installed(&recipe, dir.path());
    let packages = &installed[""];
    assert_eq!(packages.len(), 4, "{packages:?}");
    let (spdx, cdx) = validate(dir.path(), "amd64");
    let microsoft = Some("Organization: Microsoft Corporation");
    // No Vendor: the distribution (os-release NAME) supplies.
    let azure_linux = Some("Organization: Microsoft Azure Linux");
    let expect = [
        Expect {
            name: "distroless-packages-minimal",
            supplier: microsoft,
            source: Some(("distroless-packages", "3.0-5.azl3")),
            ..Expect::default()
        },
        Expect {
            name: "azurelinux-release",
            supplier: microsoft,
            ..Expect::default()
        },
        Expect {
            name: "filesystem",
            license: Some("GPL-3.0-only"),
            supplier: azure_linux,
            ..Expect::default()
        },
        Expect {
            name: "tzdata",
            license: Some("LicenseRef-Fedora-Public-Domain"),
            supplier: azure_linux,
            ..Expect::default()
        },
    ];
    check_image(&spdx, &cdx, packages, &expect, true);
    // The recipe's vendor annotation supplies the image.
    assert_eq!(cdx["metadata"]["supplier"]["name"], "Whittle Tests");
    assert_eq!(
        spdx["packages"][0]["supplier"],
        "Organization: Whittle Tests"
    );
}
