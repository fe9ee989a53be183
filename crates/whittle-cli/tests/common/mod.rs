//! Helpers shared by the end-to-end tests: run the real `whittle` binary,
//! and read its images with the real tools (skopeo, umoci, runc, Syft,
//! Trivy) and its SBOMs with the validators (pyspdxtools,
//! cyclonedx-validate, ntia-checker). A missing tool is a loud SKIP, never
//! a silent pass, and a failure under `CI=true` (see
//! `whittle_test_env::host`).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

pub mod live;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use whittle_test_env::fixtures;
use whittle_test_env::host::{require_file, require_tool};

/// The `whittle` binary under test.
pub fn whittle() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_whittle"));
    c.env_remove("SOURCE_DATE_EPOCH")
        .env_remove("WHITTLE_CACHE_DIR");
    c
}

/// Write `recipe.yaml` in `dir` for a test Debian repository (suite
/// `stable`) at `url` signed for `keyring`, with `packages` and `extra`
/// top-level YAML.
pub fn deb_recipe(dir: &Path, url: &str, keyring: &Path, packages: &str, extra: &str) -> PathBuf {
    let text = format!(
        "contents:\n  repositories:\n    - type: deb\n      url: {url}\n      suites: [stable]\n      keyring: {}\n  packages: [{packages}]\n{extra}",
        keyring.display()
    );
    let p = dir.join("recipe.yaml");
    fs_err::write(&p, text).unwrap();
    p
}

/// A Debian repository with `hello` for amd64 and arm64.
pub fn two_arch_hello_repo() -> whittle_test::DebRepo {
    let mut repo = whittle_test::DebRepo::new("stable");
    for (arch, dir) in [("amd64", "x86_64"), ("arm64", "aarch64")] {
        repo.add(
            whittle_test::DebSpec::new("hello", "1.0-1")
                .arch(arch)
                .field("Depends", "libgreet")
                .file(
                    "usr/bin/hello",
                    format!("#!hello {arch}\n").as_bytes(),
                    0o755,
                ),
        )
        .add(
            whittle_test::DebSpec::new("libgreet", "2.1-1")
                .arch(arch)
                .file(
                    &format!("usr/lib/{dir}-linux-gnu/libgreet.so.2"),
                    &vec![b'g'; 64 * 1024],
                    0o644,
                ),
        );
    }
    repo.publish();
    repo
}

/// A directory for what a test binary builds once and shares between its
/// tests. A `static` never drops a `TempDir`, so such directories used to
/// pile up in /tmp run after run; this one lives under cargo's target tmp
/// dir and is emptied when first used.
pub fn once_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("whittle-once")
        .join(name);
    let _ = fs_err::remove_dir_all(&dir);
    fs_err::create_dir_all(&dir).unwrap();
    dir
}

/// apko's golden configuration, copied unchanged next to the `testdata/`
/// names it uses (`./testdata/melange.rsa.pub`, `./testdata/packages`).
pub fn golden_workdir() -> tempfile::TempDir {
    let apk = whittle_test_env::fixtures::path("apk");
    let dir = tempfile::tempdir().unwrap();
    fs_err::copy(
        apk.join("apko-golden/apko.yaml"),
        dir.path().join("apko.yaml"),
    )
    .unwrap();
    let testdata = dir.path().join("testdata");
    fs_err::create_dir_all(&testdata).unwrap();
    std::os::unix::fs::symlink(apk.join("melange-rsa256-repo"), testdata.join("packages")).unwrap();
    std::os::unix::fs::symlink(
        apk.join("melange-rsa256-repo/melange.rsa.pub"),
        testdata.join("melange.rsa.pub"),
    )
    .unwrap();
    dir
}

/// Run and return output; panics with both streams when it fails and `ok` is set.
pub fn run(cmd: &mut Command, ok: bool) -> Output {
    let out = cmd.output().expect("spawn");
    if ok && !out.status.success() {
        panic!(
            "{cmd:?} failed: {}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// stdout as a string.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr as a string.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Unpack an OCI archive with umoci into a runtime bundle at `bundle`
/// (rootfs/ + config.json); returns the bundle path.
pub fn umoci_unpack(archive: &Path, tag_ref: &str, work: &Path) -> PathBuf {
    let layout = work.join("layout");
    fs_err::create_dir_all(&layout).unwrap();
    run(
        Command::new("tar")
            .arg("-xf")
            .arg(archive)
            .arg("-C")
            .arg(&layout),
        true,
    );
    let bundle = work.join("bundle");
    run(
        Command::new("umoci")
            .arg("unpack")
            .arg("--image")
            .arg(format!("{}:{tag_ref}", layout.display()))
            .arg(&bundle),
        true,
    );
    bundle
}

/// Run the bundle's entrypoint under runc with `args` replacing the
/// process args; returns stdout.
pub fn runc_run(bundle: &Path, args: &[&str], id: &str) -> Output {
    let config_path = bundle.join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_slice(&fs_err::read(&config_path).unwrap()).unwrap();
    config["process"]["terminal"] = serde_json::Value::Bool(false);
    config["process"]["args"] = serde_json::json!(args);
    fs_err::write(&config_path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    let mut cmd = Command::new("runc");
    cmd.arg("--root")
        .arg(bundle.join("runc-state"))
        .arg("run")
        .arg("--bundle")
        .arg(bundle)
        .arg(id);
    cmd.output().expect("runc")
}

/// `../shared/tools/scanner-check.sh -o DIR TARGET`; returns (syft, trivy)
/// as (distro line, package lines) each.
pub fn scanners(target: &Path, out: &Path) -> Option<((String, String), (String, String))> {
    let script = fixtures::dir().join("../tools/scanner-check.sh");
    if !require_file(
        &script,
        "the shared scanner check, kept beside the fixtures",
    ) || !require_tool("jq")
    {
        return None;
    }
    let res = run(
        Command::new("bash")
            .arg(&script)
            .args(["-a", "-o"])
            .arg(out)
            .arg(target),
        true,
    );
    eprintln!("{}", stdout(&res));
    let read = |f: &str| fs_err::read_to_string(out.join(f)).unwrap_or_default();
    Some((
        (read("syft.distro"), read("syft.pkgs")),
        (read("trivy.distro"), read("trivy.pkgs")),
    ))
}

/// Validate an SPDX document with pyspdxtools (loud skip when absent).
pub fn validate_spdx(path: &Path) {
    if !require_tool("pyspdxtools") {
        return;
    }
    let out = run(Command::new("pyspdxtools").arg("-i").arg(path), false);
    assert!(
        out.status.success(),
        "pyspdxtools rejects {}:\n{}{}",
        path.display(),
        stdout(&out),
        stderr(&out)
    );
}

/// Validate a CycloneDX 1.6 document against the official JSON schema with
/// `cyclonedx-validate` (cyclonedx-python-lib's strict validator, installed
/// by scripts/install-test-deps.sh); loud skip when absent.
pub fn validate_cyclonedx(path: &Path) {
    if !require_tool("cyclonedx-validate") {
        return;
    }
    let out = run(Command::new("cyclonedx-validate").arg(path), false);
    assert!(
        out.status.success(),
        "the CycloneDX 1.6 schema rejects {}:\n{}{}",
        path.display(),
        stdout(&out),
        stderr(&out)
    );
}

/// Check an SPDX document for the NTIA minimum elements with
/// `ntia-checker` (ntia-conformance-checker; it exits 0 only when the
/// document conforms); loud skip when absent.
pub fn check_ntia(path: &Path) {
    if !require_tool("ntia-checker") {
        return;
    }
    let out = run(
        Command::new("ntia-checker")
            .args(["--comply", "ntia", "--verbose"])
            .arg(path),
        false,
    );
    assert!(
        out.status.success(),
        "ntia-checker finds {} not conformant:\n{}{}",
        path.display(),
        stdout(&out),
        stderr(&out)
    );
}

/// `skopeo inspect` JSON of a transport:path reference.
pub fn skopeo_inspect(reference: &str) -> serde_json::Value {
    let out = run(Command::new("skopeo").args(["inspect", reference]), true);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// sha256 hex of a file.
pub fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(fs_err::read(path).unwrap()))
}

/// Assert two image archives are the same bytes. When they are not, keep
/// both where `diffoscope` can compare them, and say which tar members
/// (layers, configs, manifests) differ.
pub fn assert_same_archive(a: &Path, b: &Path) {
    if sha256_file(a) == sha256_file(b) {
        return;
    }
    let members = |p: &Path| -> std::collections::BTreeMap<String, String> {
        let mut t = tar::Archive::new(fs_err::File::open(p).unwrap());
        t.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().display().to_string();
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
                (
                    name,
                    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
                )
            })
            .collect()
    };
    let (ma, mb) = (members(a), members(b));
    let mut differ = Vec::new();
    for name in ma.keys().chain(mb.keys()) {
        if ma.get(name) != mb.get(name) && !differ.contains(name) {
            differ.push(name.clone());
        }
    }
    let keep = std::env::temp_dir().join(format!("whittle-repro-{}", std::process::id()));
    fs_err::create_dir_all(&keep).unwrap();
    let (ka, kb) = (keep.join("a.tar"), keep.join("b.tar"));
    fs_err::copy(a, &ka).unwrap();
    fs_err::copy(b, &kb).unwrap();
    panic!(
        "the two builds differ in {} archive member(s): {differ:#?}\ncompare them with: diffoscope {} {}",
        differ.len(),
        ka.display(),
        kb.display()
    );
}

/// `skopeo copy --override-arch ARCH` of an OCI archive into `work`; returns
/// the copied image's config `architecture` and the content of `path` in
/// its first layer (None when the layer has no such file).
pub fn skopeo_platform_file(
    archive: &Path,
    arch: &str,
    path: &str,
    work: &Path,
) -> (String, Option<String>) {
    let out = work.join(format!("copy-{arch}"));
    run(
        Command::new("skopeo")
            .args(["copy", "--override-arch", arch])
            .arg(format!("oci-archive:{}", archive.display()))
            .arg(format!("dir:{}", out.display())),
        true,
    );
    let blob = |digest: &serde_json::Value| {
        out.join(digest.as_str().unwrap().trim_start_matches("sha256:"))
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs_err::read(out.join("manifest.json")).unwrap()).unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&fs_err::read(blob(&manifest["config"]["digest"])).unwrap())
            .unwrap();
    let mut layer = tar::Archive::new(flate2::read::GzDecoder::new(
        fs_err::File::open(blob(&manifest["layers"][0]["digest"])).unwrap(),
    ));
    let mut content = None;
    for e in layer.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy() == path {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).unwrap();
            content = Some(s);
        }
    }
    (
        config["architecture"].as_str().unwrap_or("").to_string(),
        content,
    )
}

/// The gzipped layer blobs of an OCI archive's first image, bottom first.
pub fn layer_blobs(archive: &Path) -> Vec<Vec<u8>> {
    use std::io::Read;
    let mut outer = tar::Archive::new(fs_err::File::open(archive).unwrap());
    let mut blobs = std::collections::BTreeMap::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().to_string_lossy().into_owned();
        let mut b = Vec::new();
        e.read_to_end(&mut b).unwrap();
        blobs.insert(p, b);
    }
    let blob =
        |d: &str| blobs[&format!("blobs/sha256/{}", d.trim_start_matches("sha256:"))].clone();
    let index: serde_json::Value = serde_json::from_slice(&blobs["index.json"]).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&blob(index["manifests"][0]["digest"].as_str().unwrap())).unwrap();
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| blob(l["digest"].as_str().unwrap()))
        .collect()
}
