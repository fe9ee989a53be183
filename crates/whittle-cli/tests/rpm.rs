//! The RPM world end to end: repositories made at test time with the real
//! tools (rpmbuild, rpmsign, createrepo_c, gpg with a throw-away key),
//! served on 127.0.0.1, built into images that run under runc as a
//! non-root user, read back by the host's `rpm` and by Syft and Trivy.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    layer_blobs, run, runc_run, scanners, sha256_file, stderr, stdout, umoci_unpack, validate_spdx,
    whittle,
};
use whittle_test::{
    azurelinux_release_rpm_spec, busybox_static_rpm_spec, distroless_packages_rpm_specs,
    filesystem_rpm_spec, tzdata_rpm_spec, RpmKey, RpmRepo, RpmSpec,
};
use whittle_test_env::host::{require_tool, skip};

/// The tools every test here builds its repository with.
fn tools() -> bool {
    ["rpmbuild", "rpmsign", "createrepo_c", "gpg"]
        .iter()
        .all(|t| require_tool(t))
}

const HELLO: &[u8] = b"#!/bin/sh\necho hello from an rpm\n";

/// An Azure Linux-like repository: filesystem, release, tzdata, the
/// distroless meta packages, a static busybox, and `hello` (a shell
/// script) whose `%pre` creates its service account, with a capability,
/// a hard-link pair and a `%ghost`.
fn distroless_repo(key: &RpmKey) -> Option<RpmRepo> {
    let busybox = busybox_static_rpm_spec("x86_64")?;
    let mut repo = RpmRepo::new();
    repo.signed_by(key).sign_repomd();
    repo.add(filesystem_rpm_spec())
        .add(azurelinux_release_rpm_spec())
        .add(tzdata_rpm_spec())
        .add(busybox);
    for spec in distroless_packages_rpm_specs() {
        repo.add(spec);
    }
    repo.add(
        RpmSpec::new("hello", "1.0", "1.azl3", "x86_64")
            .license("MIT and Apache-2.0")
            .vendor("Whittle Tests")
            .requires("/bin/sh")
            .requires("distroless-packages-minimal")
            .requires_pre("shadow-utils")
            .file("/usr/bin/hello", HELLO, 0o755)
            .file_owned("/var/lib/hello/state", b"ok\n", 0o640, "hello", "hello")
            .caps("/usr/bin/hello", "cap_net_bind_service=ep")
            .hardlinks(&["/usr/share/hello/a", "/usr/share/hello/b"], b"same\n", 0o644)
            .ghost("/var/log/hello.log", 0o644)
            .script(
                "pre",
                "getent group hello >/dev/null || groupadd -r hello\n\
                 getent passwd hello >/dev/null || useradd -r -g hello -d /var/lib/hello -s /sbin/nologin hello\n\
                 exit 0\n",
            ),
    );
    repo.add(
        RpmSpec::new("hello", "0.9", "1.azl3", "x86_64")
            .requires("/bin/sh")
            .file("/usr/bin/hello", b"#!/bin/sh\necho old hello\n", 0o755),
    );
    // What `Requires(pre)` names, so the closure resolves as dnf's would.
    repo.add(
        RpmSpec::new("shadow-utils", "4.14", "1.azl3", "x86_64").file(
            "/usr/sbin/useradd",
            b"#!/bin/sh\nexit 0\n",
            0o755,
        ),
    );
    repo.publish();
    Some(repo)
}

fn recipe(dir: &Path, repo: &RpmRepo, key: &Path, packages: &str, extra: &str) -> PathBuf {
    let text = format!(
        "contents:\n  repositories:\n    - type: rpm\n      url: {}\n      gpgkey: {}\n      repo_gpgcheck: true\n  packages: [{packages}]\n\
         accounts:\n  groups: [{{groupname: nonroot, gid: 65532}}]\n  users: [{{username: nonroot, uid: 65532, gid: 65532}}]\n  run-as: nonroot\n\
         entrypoint: {{command: /usr/bin/hello}}\narchs: [x86_64]\n{extra}",
        repo.url(),
        key.display()
    );
    let p = dir.join("whittle.yaml");
    fs_err::write(&p, text).unwrap();
    p
}

fn build(recipe: &Path, tag: &str, out: &Path, cache: &Path) -> String {
    stderr(&run(
        whittle()
            .arg("build")
            .arg(recipe)
            .arg(tag)
            .arg(out)
            .arg("--cache-dir")
            .arg(cache),
        true,
    ))
}

/// `rpm -qa` of an unpacked image's own database, as `name version` lines
/// (`show-packages`' form: epoch only when set), sorted.
fn rpm_qa(rootfs: &Path) -> String {
    let out = run(
        Command::new("rpm")
            .arg("--dbpath")
            .arg(rootfs.join("var/lib/rpm"))
            .args([
                "-qa",
                "--qf",
                "%{NAME} %|EPOCH?{%{EPOCH}:}|%{VERSION}-%{RELEASE}\\n",
            ]),
        true,
    );
    let mut lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    lines.sort();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn an_azure_linux_style_image_runs_as_nonroot_and_rpm_and_scanners_agree() {
    if !tools() {
        return;
    }
    let key = RpmKey::rsa();
    let Some(repo) = distroless_repo(&key) else {
        skip("busybox is only repacked for x86_64; the RPM image check did NOT run");
        return;
    };
    let _srv = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("RPM-GPG-KEY-test");
    key.write_public_key(&key_path);
    let r = recipe(
        dir.path(),
        &repo,
        &key_path,
        "distroless-packages-base, busybox, hello",
        "",
    );
    let cache = dir.path().join("cache");
    let shown = stdout(&run(
        whittle()
            .arg("show-packages")
            .arg(&r)
            .arg("--cache-dir")
            .arg(&cache),
        true,
    ));
    assert!(shown.contains("hello 1.0-1.azl3\n"), "{shown}");
    assert!(!shown.contains("hello 0.9"), "highest EVR wins: {shown}");
    for name in [
        "azurelinux-release",
        "busybox",
        "distroless-packages-base",
        "distroless-packages-minimal",
        "filesystem",
        "shadow-utils",
        "tzdata",
    ] {
        assert!(
            shown.lines().any(|l| l.split(' ').next() == Some(name)),
            "{name} missing from {shown}"
        );
    }
    let archive = dir.path().join("img.tar");
    let tag = "test.invalid/rpm-hello:1";
    let log = build(&r, tag, &archive, &cache);
    assert!(
        !log.contains("not emulated"),
        "hello's %pre is fully emulated: {log}"
    );

    // Reproducible: a second build, offline from the warm cache, gives the
    // same bytes.
    let again = dir.path().join("again.tar");
    run(
        whittle()
            .arg("build")
            .arg(&r)
            .arg(tag)
            .arg(&again)
            .arg("--offline")
            .arg("--cache-dir")
            .arg(&cache),
        true,
    );
    assert_eq!(
        sha256_file(&archive),
        sha256_file(&again),
        "two builds differ"
    );

    // The capability is in the layer as the xattr containerd applies.
    let layers = layer_blobs(&archive);
    let caps_seen = layers.iter().any(|blob| {
        let mut a = tar::Archive::new(flate2::read::GzDecoder::new(&blob[..]));
        a.entries().unwrap().any(|e| {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            path == "usr/bin/hello"
                && e.pax_extensions().unwrap().is_some_and(|mut x| {
                    x.any(|r| {
                        let r = r.unwrap();
                        // vfs_cap_data revision 2 with the effective bit.
                        r.key().unwrap() == "SCHILY.xattr.security.capability"
                            && r.value_bytes().starts_with(&[1, 0, 0, 2])
                    })
                })
        })
    });
    assert!(caps_seen, "no security.capability xattr on usr/bin/hello");

    if !(require_tool("umoci") && require_tool("runc") && require_tool("rpm")) {
        return;
    }
    let bundle = umoci_unpack(&archive, tag, &dir.path().join("run"));
    let rootfs = bundle.join("rootfs");
    assert_eq!(rpm_qa(&rootfs), shown, "rpm -qa of the image's rpmdb");
    let owner = stdout(&run(
        Command::new("rpm")
            .arg("--dbpath")
            .arg(rootfs.join("var/lib/rpm"))
            .args(["-qf", "/usr/bin/hello"]),
        true,
    ));
    assert_eq!(owner, "hello-1.0-1.azl3.x86_64\n");
    // rpm -V checks every file of these packages against the database:
    // digests, modes, owners (by name, through the image's passwd), links.
    let verify = run(
        Command::new("rpm").arg("--root").arg(&rootfs).args([
            "--dbpath",
            "/var/lib/rpm",
            "-V",
            "hello",
            "busybox",
            "tzdata",
        ]),
        false,
    );
    assert!(
        verify.status.success() && stdout(&verify).is_empty(),
        "rpm -V: {}{}",
        stdout(&verify),
        stderr(&verify)
    );
    assert!(
        !rootfs
            .join("var/lib/rpmmanifest/container-manifest-2")
            .exists(),
        "never both an rpmdb and manifest-2: scanners would list every package twice"
    );
    let manifest1 =
        fs_err::read_to_string(rootfs.join("var/lib/rpmmanifest/container-manifest-1")).unwrap();
    let qa = stdout(&run(
        Command::new("rpm")
            .arg("--dbpath")
            .arg(rootfs.join("var/lib/rpm"))
            .arg("-qa"),
        true,
    ));
    assert!(qa.contains("hello-1.0-1.azl3.x86_64\n"), "{qa}");
    assert_eq!(
        manifest1, qa,
        "manifest-1 is `rpm -qa`, as the toolkit writes it"
    );
    assert!(
        !rootfs.join("var/log/hello.log").exists(),
        "%ghost files are not created"
    );
    let a = fs_err::metadata(rootfs.join("usr/share/hello/a")).unwrap();
    assert_eq!(
        fs_err::read(rootfs.join("usr/share/hello/b")).unwrap(),
        b"same\n"
    );
    assert_eq!(
        std::os::unix::fs::MetadataExt::nlink(&a),
        2,
        "the hard-link pair stays one inode"
    );
    // hello's %pre made its account; the file it owns is its own.
    let passwd = fs_err::read_to_string(rootfs.join("etc/passwd")).unwrap();
    let hello_line = passwd
        .lines()
        .find(|l| l.starts_with("hello:"))
        .unwrap_or_else(|| panic!("no hello user in {passwd}"));
    let uid: u32 = hello_line.split(':').nth(2).unwrap().parse().unwrap();
    let state = fs_err::metadata(rootfs.join("var/lib/hello/state")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&state), uid);
    assert!(passwd.contains("nonroot:x:65532:65532:"), "{passwd}");

    let out = runc_run(
        &bundle,
        &["/bin/sh", "-c", "/usr/bin/hello; id -u"],
        "whittle-rpm-hello",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "hello from an rpm\n65532\n");

    if let Some(((syft_distro, syft), (trivy_distro, trivy))) =
        scanners(&archive, &dir.path().join("scan"))
    {
        assert_eq!(syft_distro.trim(), "distro: azurelinux 3.0");
        assert_eq!(trivy_distro.trim(), "distro: azurelinux 3.0");
        assert_eq!(syft, shown, "Syft disagrees with show-packages");
        assert_eq!(trivy, shown, "Trivy disagrees with show-packages");
    }
    let sbom_path = dir.path().join("img.sbom-amd64.spdx.json");
    validate_spdx(&sbom_path);
    let sbom = fs_err::read_to_string(&sbom_path).unwrap();
    assert!(
        sbom.contains("pkg:rpm/azurelinux/hello@1.0-1.azl3?arch=x86_64&distro=azurelinux-3.0"),
        "purl missing"
    );
    assert!(
        sbom.contains("\"licenseDeclared\": \"MIT AND Apache-2.0\""),
        "the RPM License tag, as SPDX"
    );
}

/// A small signed repository: filesystem, release, busybox (x86_64 only
/// unless `arches` names more), `tool` in two versions (one with an
/// epoch), and `data-user`, whose requirement on a data file only
/// filelists.xml answers.
fn small_repo(key: &RpmKey, arches: &[&str]) -> RpmRepo {
    let mut repo = if arches.len() > 1 {
        RpmRepo::new_per_arch(arches)
    } else {
        RpmRepo::new()
    };
    repo.signed_by(key);
    repo.add(filesystem_rpm_spec())
        .add(azurelinux_release_rpm_spec());
    for arch in arches {
        repo.add(RpmSpec::new("tool", "2.0", "1.azl3", arch).epoch(1).file(
            "/usr/bin/tool",
            format!("tool 2 for {arch}\n").as_bytes(),
            0o755,
        ))
        .add(RpmSpec::new("tool", "3.0", "1.azl3", arch).file(
            "/usr/bin/tool",
            b"tool 3 (epoch 0: older than 1:2.0)\n",
            0o755,
        ));
    }
    repo.add(RpmSpec::new("data-files", "1.0", "1.azl3", "noarch").file(
        "/usr/share/data-files/table.txt",
        b"42\n",
        0o644,
    ))
    .add(
        RpmSpec::new("data-user", "1.0", "1.azl3", "noarch")
            .requires("/usr/share/data-files/table.txt")
            .recommends("tool")
            .file("/usr/share/data-user/README", b"uses the table\n", 0o644)
            .script_lua("post", "print('hello from lua')"),
    );
    repo.publish();
    repo
}

fn small_recipe(dir: &Path, url: &str, key: &Path, packages: &str, extra: &str) -> PathBuf {
    let text = format!(
        "contents:\n  repositories:\n    - type: rpm\n      url: {url}\n      gpgkey: {}\n  packages: [{packages}]\n{extra}",
        key.display()
    );
    let name: String = packages
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let p = dir.join(format!("{name}.yaml"));
    fs_err::write(&p, text).unwrap();
    p
}

fn show(recipe: &Path, cache: &Path, ok: bool) -> std::process::Output {
    run(
        whittle()
            .arg("show-packages")
            .arg(recipe)
            .arg("--cache-dir")
            .arg(cache),
        ok,
    )
}

#[test]
fn epochs_pins_file_requires_from_filelists_and_lua_scriptlets() {
    if !tools() {
        return;
    }
    let key = RpmKey::ed25519();
    let repo = small_repo(&key, &["x86_64"]);
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.asc");
    key.write_public_key(&key_path);
    let cache = dir.path().join("c");
    // The epoch decides: 1:2.0 is newer than 3.0.
    let r = small_recipe(
        dir.path(),
        &repo.url(),
        &key_path,
        "filesystem, tool, data-user",
        "archs: [x86_64]\n",
    );
    let shown = stdout(&show(&r, &cache, true));
    assert!(shown.contains("tool 1:2.0-1.azl3\n"), "{shown}");
    // The data file is not in primary.xml (not /etc, not a bin dir): only
    // filelists.xml answers it, and it is read for that.
    assert!(shown.contains("data-files 1.0-1.azl3\n"), "{shown}");
    // With the rpmdb (the default) scanners see the epoch too.
    let archive = dir.path().join("epoch.tar");
    build(&r, "test.invalid/epoch:1", &archive, &cache);
    let scan = dir.path().join("scan");
    if let Some(((_, syft), (_, trivy))) = scanners(&archive, &scan) {
        assert_eq!(syft, shown, "Syft reads the rpmdb");
        assert_eq!(trivy, shown, "Trivy reads the rpmdb");
        // Both also read the source RPM (vulnerability data is keyed by it).
        let json = |f: &str| -> serde_json::Value {
            serde_json::from_slice(&fs_err::read(scan.join(f)).unwrap()).unwrap()
        };
        let trivy = json("trivy.json");
        let tool = trivy["Results"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["Packages"].as_array().cloned().unwrap_or_default())
            .find(|p| p["Name"] == "tool")
            .unwrap();
        assert_eq!(
            (
                &tool["SrcName"],
                &tool["SrcVersion"],
                &tool["SrcRelease"],
                &tool["SrcEpoch"]
            ),
            (
                &serde_json::json!("tool"),
                &serde_json::json!("2.0"),
                &serde_json::json!("1.azl3"),
                &serde_json::json!(1)
            ),
            "Trivy's source package"
        );
        let syft = json("syft.json");
        let tool = syft["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "tool")
            .unwrap();
        assert_eq!(tool["metadata"]["sourceRpm"], "tool-2.0-1.azl3.src.rpm");
        assert_eq!(tool["metadata"]["epoch"], 1);
    }
    // A pin picks the lower EVR; a pin nothing matches is an error naming it.
    let pinned = small_recipe(
        dir.path(),
        &repo.url(),
        &key_path,
        "filesystem, tool=3.0-1.azl3",
        "archs: [x86_64]\n",
    );
    assert!(stdout(&show(&pinned, &cache, true)).contains("tool 3.0-1.azl3\n"));
    let bad_pin = small_recipe(
        dir.path(),
        &repo.url(),
        &key_path,
        "tool=9.9",
        "archs: [x86_64]\n",
    );
    let err = stderr(&show(&bad_pin, &cache, false));
    assert!(err.contains("tool"), "{err}");

    // Weak dependencies are off unless the repository entry asks for them.
    let lean = small_recipe(
        dir.path(),
        &repo.url(),
        &key_path,
        "data-user",
        "archs: [x86_64]\n",
    );
    assert!(!stdout(&show(&lean, &cache, true)).contains("tool "));
    let text = fs_err::read_to_string(&lean).unwrap().replace(
        "      gpgkey:",
        "      install_weak_deps: true\n      gpgkey:",
    );
    fs_err::write(&lean, text).unwrap();
    assert!(stdout(&show(&lean, &cache, true)).contains("tool 1:2.0-1.azl3\n"));

    // The Lua %post is reported, not run or misread as shell.
    let out = run(
        whittle()
            .arg("show-scripts")
            .arg(&r)
            .arg("--cache-dir")
            .arg(&cache),
        true,
    );
    let scripts = stdout(&out);
    assert!(
        scripts.contains("data-user %post") && scripts.contains("Lua"),
        "{scripts}"
    );
}

#[test]
fn rpmdb_false_writes_manifest_2_instead_and_scanners_read_it_once() {
    if !tools() {
        return;
    }
    let key = RpmKey::rsa();
    let repo = small_repo(&key, &["x86_64"]);
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.asc");
    key.write_public_key(&key_path);
    let r = small_recipe(
        dir.path(),
        &repo.url(),
        &key_path,
        "filesystem, azurelinux-release, tool",
        "archs: [x86_64]\nrpmdb: false\n",
    );
    let cache = dir.path().join("c");
    let shown = stdout(&show(&r, &cache, true));
    let archive = dir.path().join("img.tar");
    build(&r, "test.invalid/manifest:1", &archive, &cache);
    let mut files = std::collections::BTreeMap::new();
    for blob in layer_blobs(&archive) {
        let mut a = tar::Archive::new(flate2::read::GzDecoder::new(&blob[..]));
        for e in a.entries().unwrap() {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut e, &mut text).ok();
            files.insert(path, text);
        }
    }
    assert!(
        !files.keys().any(|p| p.starts_with("var/lib/rpm/")),
        "no rpmdb with rpmdb: false"
    );
    let m2 = &files["var/lib/rpmmanifest/container-manifest-2"];
    assert!(m2.ends_with('\n') && !m2.contains("\n\n"), "{m2:?}");
    for line in m2.lines() {
        assert_eq!(line.split('\t').count(), 10, "{line}");
    }
    let tool = m2.lines().find(|l| l.starts_with("tool\t")).unwrap();
    let fields: Vec<&str> = tool.split('\t').collect();
    assert_eq!(fields[1], "2.0-1.azl3");
    assert_eq!(fields[5], "(none)", "field 6 as the toolkit writes it");
    assert_eq!(fields[8], "1", "EPOCHNUM");
    assert_eq!(fields[9], "tool-2.0-1.azl3.src.rpm");
    let m1 = &files["var/lib/rpmmanifest/container-manifest-1"];
    assert!(m1.contains("tool-2.0-1.azl3.x86_64\n"), "{m1}");
    if let Some(((syft_distro, syft), (trivy_distro, trivy))) =
        scanners(&archive, &dir.path().join("scan"))
    {
        assert_eq!(syft_distro.trim(), "distro: azurelinux 3.0");
        assert_eq!(trivy_distro.trim(), "distro: azurelinux 3.0");
        // Neither Syft 1.18 nor Trivy 0.59 can read an epoch from a
        // manifest (see whittle_rpm::manifest): both list the package
        // once, without it, and agree.
        let without_epochs = shown.replace(" 1:", " ");
        assert_eq!(trivy, without_epochs, "Trivy reads manifest-2");
        assert_eq!(syft, without_epochs, "Syft reads manifest-2");
    }
}

#[test]
fn one_recipe_builds_x86_64_and_aarch64_from_basearch_repositories() {
    if !tools() {
        return;
    }
    let key = RpmKey::ed25519();
    let repo = small_repo(&key, &["x86_64", "aarch64"]);
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.asc");
    key.write_public_key(&key_path);
    let r = small_recipe(
        dir.path(),
        &repo.baseurl(),
        &key_path,
        "filesystem, tool",
        "archs: [x86_64, aarch64]\n",
    );
    assert!(repo.baseurl().ends_with("$basearch"));
    let archive = dir.path().join("multi.tar");
    build(&r, "test.invalid/multi:1", &archive, &dir.path().join("c"));
    if !require_tool("skopeo") {
        return;
    }
    for (platform, arch) in [("amd64", "x86_64"), ("arm64", "aarch64")] {
        let (config_arch, content) =
            common::skopeo_platform_file(&archive, platform, "usr/bin/tool", dir.path());
        assert_eq!(config_arch, platform);
        assert_eq!(content, Some(format!("tool 2 for {arch}\n")));
    }
}

#[test]
fn what_is_not_trusted_is_refused_with_the_reason() {
    if !tools() {
        return;
    }
    let key = RpmKey::rsa();
    let other = RpmKey::rsa();
    let dir = tempfile::tempdir().unwrap();
    let other_path = dir.path().join("other.asc");
    other.write_public_key(&other_path);
    let key_path = dir.path().join("key.asc");
    key.write_public_key(&key_path);

    // Packages signed by a key the recipe does not trust.
    let repo = small_repo(&key, &["x86_64"]);
    let r = small_recipe(
        dir.path(),
        &repo.url(),
        &other_path,
        "tool",
        "archs: [x86_64]\n",
    );
    let out = run(
        whittle()
            .arg("build")
            .arg(&r)
            .arg("t.invalid/x:1")
            .arg(dir.path().join("x.tar"))
            .arg("--cache-dir")
            .arg(dir.path().join("c1")),
        false,
    );
    let err = stderr(&out);
    assert!(err.contains("gpgkey"), "names the key setting: {err}");
    assert!(!dir.path().join("x.tar").exists(), "no half-written output");

    // repo_gpgcheck on, but repomd.xml is signed by another key.
    let mut signed = RpmRepo::new();
    signed.signed_by(&other).sign_repomd();
    signed.add(filesystem_rpm_spec());
    signed.publish();
    let text = format!(
        "contents:\n  repositories:\n    - type: rpm\n      url: {}\n      gpgkey: {}\n      repo_gpgcheck: true\n  packages: [filesystem]\narchs: [x86_64]\n",
        signed.url(),
        key_path.display()
    );
    let r = dir.path().join("repomd.yaml");
    fs_err::write(&r, text).unwrap();
    let err = stderr(&show(&r, &dir.path().join("c2"), false));
    assert!(err.contains("repomd.xml"), "{err}");

    // A package whose bytes differ from primary.xml's SHA-256.
    let repo = small_repo(&key, &["x86_64"]);
    let rpm = repo.rpm_path("filesystem");
    let mut bytes = fs_err::read(&rpm).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs_err::write(&rpm, bytes).unwrap();
    let r = small_recipe(
        dir.path(),
        &repo.url(),
        &key_path,
        "filesystem",
        "archs: [x86_64]\n",
    );
    let out = run(
        whittle()
            .arg("build")
            .arg(&r)
            .arg("t.invalid/x:1")
            .arg(dir.path().join("y.tar"))
            .arg("--cache-dir")
            .arg(dir.path().join("c3")),
        false,
    );
    let err = stderr(&out);
    assert!(err.contains("primary.xml"), "{err}");
    assert!(
        !err.contains("truncated"),
        "a changed file is not a short download: {err}"
    );

    // gpgcheck needs a key; $releasever needs a value.
    let text = format!(
        "contents:\n  repositories:\n    - type: rpm\n      url: {}/$releasever\n      gpgcheck: false\n  packages: [filesystem]\narchs: [x86_64]\n",
        repo.url()
    );
    let r = dir.path().join("rel.yaml");
    fs_err::write(&r, text).unwrap();
    let err = stderr(&show(&r, &dir.path().join("c4"), false));
    assert!(err.contains("releasever"), "{err}");
    let text = format!(
        "contents:\n  repositories:\n    - type: rpm\n      url: {}\n  packages: [filesystem]\n",
        repo.url()
    );
    let r = dir.path().join("nokey.yaml");
    fs_err::write(&r, text).unwrap();
    let err = stderr(&show(&r, &dir.path().join("c5"), false));
    assert!(
        err.contains("gpgkey") && err.contains("nokey.yaml"),
        "{err}"
    );
}

#[test]
fn rich_dependencies_obsoletes_and_conflicts_resolve_with_rpm_semantics() {
    if !tools() {
        return;
    }
    let mut repo = RpmRepo::new();
    let pkg = |name: &str| RpmSpec::new(name, "1.0", "1.azl3", "noarch");
    repo.add(pkg("tool-a").file("/usr/share/tool-a", b"a\n", 0o644))
        .add(pkg("tool-b").file("/usr/share/tool-b", b"b\n", 0o644))
        .add(pkg("helper").file("/usr/share/helper", b"h\n", 0o644))
        .add(
            pkg("richapp")
                .requires("(tool-a or tool-b)")
                .requires("(helper if tool-b)"),
        )
        .add(pkg("oldtool").file("/usr/share/oldtool", b"old\n", 0o644))
        .add(
            RpmSpec::new("newtool", "2.0", "1.azl3", "noarch")
                .provides("oldtool = 2.0")
                .obsoletes("oldtool < 2.0")
                .file("/usr/share/newtool", b"new\n", 0o644),
        )
        .add(pkg("app").requires("oldtool"))
        .add(pkg("conflictor").conflicts("tool-a"));
    repo.publish();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("c");
    let recipe = |packages: &str| {
        let text = format!(
            "contents:\n  repositories:\n    - type: rpm\n      url: {}\n      gpgcheck: false\n  packages: [{packages}]\narchs: [x86_64]\n",
            repo.url()
        );
        let name: String = packages
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let p = dir.path().join(format!("{name}.yaml"));
        fs_err::write(&p, text).unwrap();
        p
    };
    let names = |out: &std::process::Output| -> Vec<String> {
        stdout(out)
            .lines()
            .map(|l| l.split(' ').next().unwrap().to_string())
            .collect()
    };
    // `or`: the first alternative; `if`: only when its condition holds.
    let out = show(&recipe("richapp"), &cache, true);
    assert_eq!(names(&out), ["richapp", "tool-a"]);
    let out = show(&recipe("richapp, tool-b"), &cache, true);
    assert_eq!(names(&out), ["helper", "richapp", "tool-b"]);
    // Obsoletes: newtool replaces oldtool and answers app's requirement.
    let out = show(&recipe("app, newtool"), &cache, true);
    assert_eq!(names(&out), ["app", "newtool"]);
    // Conflicts: refused, naming both.
    let out = show(&recipe("conflictor, tool-a"), &cache, false);
    let err = stderr(&out);
    assert!(
        err.contains("conflictor") && err.contains("tool-a"),
        "{err}"
    );
}
