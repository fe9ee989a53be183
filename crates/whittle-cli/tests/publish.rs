//! `whittle publish` and `whittle login` against a real registry: Debian's
//! `docker-registry` (distribution 2.8) started on 127.0.0.1 with TLS from
//! a throw-away CA, htpasswd Basic auth or bearer tokens. What was pushed
//! is read back with skopeo and the registry's access log: the index and
//! its manifests, their digests against a local build, the SBOMs hung on
//! each platform, and that a second publish uploads nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use common::*;
use whittle_test::registry::{RegistryOptions, TestRegistry};
use whittle_test::{DebRepo, DebSpec};

const DATE: &str = "1700000000";
const PASSWORD: &str = "s3cret-Pa55word";

fn recipe(dir: &Path, url: &str, keyring: &Path, archs: &str) -> PathBuf {
    let text = format!(
        "contents:\n  repositories:\n    - type: deb\n      url: {url}\n      suites: [stable]\n      keyring: {}\n  packages: [hello]\nentrypoint: {{command: /usr/bin/hello}}\narchs: [{archs}]\n",
        keyring.display()
    );
    let p = dir.join("recipe.yaml");
    fs_err::write(&p, text).unwrap();
    p
}

/// What most tests start from: a registry, the two-architecture
/// repository served, a work directory, a recipe for `archs` and a docker
/// config directory (holding the registry's credentials when `auth`).
struct Setup {
    reg: TestRegistry,
    /// The repository and its server, kept serving.
    _keep: (DebRepo, whittle_net::TestServer),
    work: tempfile::TempDir,
    recipe: PathBuf,
    auth_dir: PathBuf,
}

/// `None` (after a loud skip) when the registry or skopeo is missing.
fn setup(options: RegistryOptions, archs: &str, auth: bool) -> Option<Setup> {
    if !TestRegistry::available() || !whittle_test_env::host::require_tool("skopeo") {
        return None;
    }
    let reg = TestRegistry::start(options);
    let repo = two_arch_hello_repo();
    let srv = repo.serve();
    let work = tempfile::tempdir().unwrap();
    let recipe = recipe(work.path(), &srv.url(), &repo.keyring_path(), archs);
    let auth_dir = work.path().join("docker");
    fs_err::create_dir_all(&auth_dir).unwrap();
    if auth {
        reg.auth_file(&auth_dir);
    }
    Some(Setup {
        reg,
        _keep: (repo, srv),
        work,
        recipe,
        auth_dir,
    })
}

/// `whittle publish` with the registry's CA, credentials from `auth_dir`.
fn publish(reg: &TestRegistry, auth_dir: &Path, cache: &Path, args: &[&str]) -> Command {
    let mut c = whittle();
    c.arg("publish")
        .args(args)
        .arg("--cache-dir")
        .arg(cache)
        .arg("--build-date")
        .arg(DATE)
        .env("DOCKER_CONFIG", auth_dir)
        .env_remove("REGISTRY_AUTH_FILE")
        .env("XDG_RUNTIME_DIR", auth_dir.join("no-runtime-dir"));
    if let Some(ca) = reg.ca_pem_path() {
        c.arg("--registry-ca").arg(ca);
    }
    c
}

fn skopeo_raw(reg: &TestRegistry, reference: &str) -> serde_json::Value {
    let out = run(
        Command::new("skopeo")
            .arg("inspect")
            .arg("--raw")
            .args(reg.skopeo_tls_args())
            .arg(format!("docker://{}/{reference}", reg.host())),
        true,
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A blob's bytes, fetched with the registry's credentials.
fn blob(reg: &TestRegistry, repository: &str, digest: &str) -> Vec<u8> {
    let mut req = reg
        .client()
        .get(reg.url(&format!("/v2/{repository}/blobs/{digest}")));
    if let Some((user, password)) = reg.credentials() {
        req = req.basic_auth(user, Some(password));
    }
    let resp = req.send().unwrap();
    assert!(
        resp.status().is_success(),
        "GET blob {digest}: {}",
        resp.status()
    );
    resp.bytes().unwrap().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

fn uploads(reqs: &[whittle_test::registry::Request]) -> usize {
    reqs.iter()
        .filter(|r| matches!(r.method.as_str(), "POST" | "PATCH" | "PUT"))
        .count()
}

#[test]
fn publish_pushes_every_platform_with_its_sboms_over_tls_and_basic_auth_and_a_second_run_uploads_nothing(
) {
    let Some(found) = setup(
        RegistryOptions::new()
            .with_tls()
            .with_htpasswd("ci", PASSWORD),
        "amd64, arm64",
        true,
    ) else {
        return;
    };
    let Setup {
        reg,
        _keep,
        work,
        recipe,
        auth_dir,
    } = found;
    let cache = work.path().join("cache");
    let host = reg.host();
    let refs_file = work.path().join("refs.txt");
    let (app1, app_latest) = (
        format!("{host}/team/app:1.0"),
        format!("{host}/team/app:latest"),
    );
    let out = run(
        publish(
            &reg,
            &auth_dir,
            &cache,
            &[recipe.to_str().unwrap(), &app1, &app_latest],
        )
        .arg("--sbom-formats")
        .arg("spdx,cyclonedx")
        .arg("--image-refs")
        .arg(&refs_file),
        true,
    );
    let digest_ref = stdout(&out).trim().to_string();
    let digest = digest_ref.split('@').nth(1).unwrap().to_string();
    assert_eq!(digest_ref, format!("{host}/team/app@{digest}"));
    assert_eq!(
        fs_err::read_to_string(&refs_file).unwrap(),
        format!("{digest_ref}\n")
    );

    // The same image a local build makes.
    let local = run(
        whittle()
            .arg("build")
            .arg(&recipe)
            .arg(&app1)
            .arg(work.path().join("local.tar"))
            .arg("--cache-dir")
            .arg(&cache)
            .arg("--build-date")
            .arg(DATE)
            .arg("--no-sbom"),
        true,
    );
    assert_eq!(stdout(&local).trim(), digest);

    // Both tags name the index; it lists both platforms.
    let index = skopeo_raw(&reg, "team/app:1.0");
    assert_eq!(index, skopeo_raw(&reg, "team/app:latest"));
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let manifests = index["manifests"].as_array().unwrap();
    let archs: Vec<&str> = manifests
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(archs, ["amd64", "arm64"]);

    // skopeo pulls everything back and checks every digest on the way.
    let pulled = work.path().join("pulled");
    run(
        Command::new("skopeo")
            .args(["copy", "--all"])
            .args(reg.skopeo_src_args())
            .arg(format!("docker://{app1}"))
            .arg(format!("oci:{}:pulled", pulled.display())),
        true,
    );
    let pulled_index: serde_json::Value =
        serde_json::from_slice(&fs_err::read(pulled.join("index.json")).unwrap()).unwrap();
    assert_eq!(pulled_index["manifests"][0]["digest"], digest.as_str());

    // The index went in after both manifests.
    let reqs = reg.requests();
    let put_at = |digest: &str| {
        reqs.iter()
            .position(|r| r.method == "PUT" && r.path.ends_with(&format!("/manifests/{digest}")))
            .unwrap_or_else(|| panic!("no PUT of {digest}:\n{}", reg.log_tail()))
    };
    let index_put = put_at(&digest);
    for m in manifests {
        assert!(put_at(m["digest"].as_str().unwrap()) < index_put);
    }

    // distribution 2.8 has no referrers API: the SBOMs are listed under
    // the fallback tag of each manifest and of the index, one per format.
    let sboms = work.path();
    let subjects = manifests
        .iter()
        .map(|m| {
            let arch = m["platform"]["architecture"].as_str().unwrap();
            (
                m["digest"].as_str().unwrap().to_string(),
                format!("recipe.sbom-{arch}"),
            )
        })
        .chain([(digest.clone(), "recipe.sbom-index".to_string())]);
    let local_sboms = run(
        whittle()
            .arg("build")
            .arg(&recipe)
            .arg(&app1)
            .arg(work.path().join("recipe.tar"))
            .arg("--cache-dir")
            .arg(&cache)
            .arg("--build-date")
            .arg(DATE)
            .arg("--sbom-formats")
            .arg("spdx,cyclonedx"),
        true,
    );
    drop(local_sboms);
    for (subject, stem) in subjects {
        let tag = subject.replace(':', "-");
        let referrers = skopeo_raw(&reg, &format!("team/app:{tag}"));
        let listed = referrers["manifests"].as_array().unwrap();
        let mut types: Vec<&str> = listed
            .iter()
            .map(|d| d["artifactType"].as_str().unwrap())
            .collect();
        types.sort_unstable();
        assert_eq!(
            types,
            ["application/spdx+json", "application/vnd.cyclonedx+json"],
            "{referrers}"
        );
        for d in listed {
            let artifact = skopeo_raw(&reg, &format!("team/app@{}", d["digest"].as_str().unwrap()));
            assert_eq!(artifact["subject"]["digest"], subject.as_str());
            assert_eq!(
                artifact["config"]["mediaType"],
                "application/vnd.oci.empty.v1+json"
            );
            let layer = &artifact["layers"][0];
            let data = blob(&reg, "team/app", layer["digest"].as_str().unwrap());
            let suffix = if d["artifactType"] == "application/spdx+json" {
                ".spdx.json"
            } else {
                ".cdx.json"
            };
            let local = fs_err::read(sboms.join(format!("{stem}{suffix}"))).unwrap();
            assert_eq!(
                sha256_hex(&data),
                sha256_hex(&local),
                "{stem}{suffix} differs from the pushed SBOM"
            );
        }
    }

    // Again: nothing is uploaded, nothing is written.
    let mark = reg.mark();
    let started = Instant::now();
    let again = run(
        publish(
            &reg,
            &auth_dir,
            &cache,
            &[recipe.to_str().unwrap(), &app1, &app_latest],
        )
        .arg("--sbom-formats")
        .arg("spdx,cyclonedx"),
        true,
    );
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(stdout(&again).trim(), digest_ref);
    let second = reg.requests_since(mark);
    assert_eq!(
        uploads(&second),
        0,
        "the second publish wrote to the registry: {second:#?}"
    );
    assert!(second
        .iter()
        .all(|r| r.method != "GET" || !r.path.contains("/blobs/")));
    eprintln!(
        "second publish: {} requests, {secs:.2}s (build from the cache included)",
        second.len()
    );
    assert!(secs < 10.0, "a second publish took {secs:.1}s");
}

#[test]
fn publish_with_bearer_tokens_and_the_cosign_sbom_tag() {
    let Some(found) = setup(
        RegistryOptions::new()
            .with_tls()
            .with_token_auth("ci", PASSWORD),
        "amd64",
        true,
    ) else {
        return;
    };
    let Setup {
        reg,
        _keep,
        work,
        recipe,
        auth_dir,
    } = found;
    let target = format!("{}/team/tool:1", reg.host());
    let out = run(
        publish(
            &reg,
            &auth_dir,
            &work.path().join("cache"),
            &[recipe.to_str().unwrap(), &target],
        )
        .args(["--sbom-attach", "tag", "--sbom-path"])
        .arg(work.path()),
        true,
    );
    let digest = stdout(&out).trim().split('@').nth(1).unwrap().to_string();
    // A single platform: a manifest, not an index.
    let manifest = skopeo_raw(&reg, "team/tool:1");
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    // cosign's tag: sha256-<hex>.sbom, one layer holding the SBOM, typed as
    // cosign's and apko's `attach sbom` type it.
    let sbom = skopeo_raw(
        &reg,
        &format!("team/tool:{}.sbom", digest.replace(':', "-")),
    );
    let layer = &sbom["layers"][0];
    assert_eq!(layer["mediaType"], "spdx+json");
    let mut req = reg.client().get(reg.url(&format!(
        "/v2/team/tool/blobs/{}",
        layer["digest"].as_str().unwrap()
    )));
    req = req.bearer_auth(reg.bearer_token("repository:team/tool:pull").unwrap());
    let data = req.send().unwrap().bytes().unwrap();
    assert_eq!(
        &data[..],
        &fs_err::read(work.path().join("sbom-amd64.spdx.json")).unwrap()[..]
    );
    // The token flow ran, asking for push on the repository, as user ci.
    let tokens = reg.token_requests();
    assert!(
        tokens.iter().any(|t| t.status == 200
            && t.user.as_deref() == Some("ci")
            && t.scopes
                .iter()
                .any(|s| s.starts_with("repository:team/tool:") && s.contains("push"))),
        "{tokens:#?}"
    );
}

fn refused(out: &Output, needles: &[&str], secret: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    assert!(
        !err.contains(secret) && !stdout(out).contains(secret),
        "the password leaked:\n{err}"
    );
}

#[test]
fn bad_credentials_and_an_untrusted_certificate_are_named_and_the_password_never_shown() {
    let Some(found) = setup(
        RegistryOptions::new()
            .with_tls()
            .with_htpasswd("ci", PASSWORD),
        "amd64",
        false,
    ) else {
        return;
    };
    let Setup {
        reg,
        _keep,
        work,
        recipe,
        auth_dir,
    } = found;
    let wrong = "wrong-Pa55word-xyz";
    let auth = base64_std(format!("ci:{wrong}").as_bytes());
    fs_err::write(
        auth_dir.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host()),
    )
    .unwrap();
    let target = format!("{}/team/app:1", reg.host());
    let cache = work.path().join("cache");
    let out = publish(
        &reg,
        &auth_dir,
        &cache,
        &[recipe.to_str().unwrap(), &target],
    )
    .output()
    .unwrap();
    refused(&out, &[&reg.host(), "team/app", "login"], wrong);
    assert!(!stderr(&out).contains(&auth));

    // Without the CA: a TLS error that says what to pass.
    let mut c = whittle();
    let out = c
        .arg("publish")
        .arg(&recipe)
        .arg(&target)
        .arg("--cache-dir")
        .arg(&cache)
        .env("DOCKER_CONFIG", &auth_dir)
        .output()
        .unwrap();
    refused(&out, &[&reg.host(), "--registry-ca"], wrong);

    // `whittle login` checks before it writes: a wrong password writes nothing.
    let login_dir = work.path().join("login");
    let login = |password: &str| {
        let mut c = whittle();
        c.args([
            "login",
            &reg.host(),
            "-u",
            "ci",
            "--password-stdin",
            "--registry-ca",
        ])
        .arg(reg.ca_pem_path().unwrap())
        .env("DOCKER_CONFIG", &login_dir)
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write as _;
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let out = login(wrong);
    refused(&out, &[&reg.host()], wrong);
    assert!(!login_dir.join("config.json").exists());
    let out = login(PASSWORD);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = fs_err::read_to_string(login_dir.join("config.json")).unwrap();
    assert!(config.contains(&reg.host()), "{config}");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = fs_err::metadata(login_dir.join("config.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // And publish uses what login wrote.
    let out = run(
        &mut publish(
            &reg,
            &login_dir,
            &cache,
            &[recipe.to_str().unwrap(), &target],
        ),
        true,
    );
    assert!(stdout(&out).contains("@sha256:"));
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Bytes that do not compress, so the layer is as large as they are.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn a_second_repository_mounts_the_blobs_large_ones_go_in_chunks_and_credentials_come_from_a_helper_or_the_auth_file(
) {
    if !TestRegistry::available() || !whittle_test_env::host::require_tool("skopeo") {
        return;
    }
    // Plain HTTP on loopback, as docker allows, with Basic auth.
    let reg = TestRegistry::start(RegistryOptions::new().with_htpasswd("ci", PASSWORD));
    let mut repo = DebRepo::new("stable");
    repo.add(
        DebSpec::new("big", "1")
            .file("usr/bin/big", b"#!big\n", 0o755)
            .file("usr/share/big/data", &noise(200 * 1024), 0o644),
    );
    repo.publish();
    let srv = repo.serve();
    let work = tempfile::tempdir().unwrap();
    let text = format!(
        "contents:\n  repositories:\n    - type: deb\n      url: {}\n      suites: [stable]\n      keyring: {}\n  packages: [big]\nentrypoint: {{command: /usr/bin/big}}\narchs: [amd64]\n",
        srv.url(),
        repo.keyring_path().display()
    );
    let recipe = work.path().join("recipe.yaml");
    fs_err::write(&recipe, text).unwrap();

    // A docker credential helper on PATH answers for the registry.
    let bin = work.path().join("bin");
    fs_err::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-whittletest");
    fs_err::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"ci\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    fs_err::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let auth_dir = work.path().join("docker");
    fs_err::create_dir_all(&auth_dir).unwrap();
    fs_err::write(
        auth_dir.join("config.json"),
        format!(r#"{{"credHelpers":{{"{}":"whittletest"}}}}"#, reg.host()),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cache = work.path().join("cache");
    let (first, second) = (
        format!("{}/team/big:1", reg.host()),
        format!("{}/other/big:1", reg.host()),
    );
    run(
        publish(
            &reg,
            &auth_dir,
            &cache,
            &[recipe.to_str().unwrap(), &first, &second],
        )
        .env("PATH", &path)
        .args(["--chunk-size", "16K", "--sbom-attach", "none"]),
        true,
    );
    let reqs = reg.requests();
    let patches = reqs
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.starts_with("/v2/team/big/blobs/uploads/"))
        .count();
    assert!(
        patches >= 12,
        "a 200K layer in 16K chunks took {patches} PATCH requests"
    );
    let into_other: Vec<_> = reqs
        .iter()
        .filter(|r| r.path.starts_with("/v2/other/big/blobs/uploads/"))
        .collect();
    assert!(
        !into_other.is_empty()
            && into_other
                .iter()
                .all(|r| r.method == "POST" && r.status == 201),
        "the second repository should get its blobs by mount: {into_other:#?}"
    );
    // Both pull back whole.
    for target in [&first, &second] {
        run(
            Command::new("skopeo")
                .args(["copy"])
                .args(reg.skopeo_src_args())
                .arg(format!("docker://{target}"))
                .arg(format!("oci:{}:x", work.path().join("pulled").display())),
            true,
        );
    }

    // $REGISTRY_AUTH_FILE comes before the docker config: a good one there
    // wins over a wrong password in config.json.
    let wrong = base64_std(b"ci:wrong");
    fs_err::write(
        auth_dir.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{wrong}"}}}}}}"#, reg.host()),
    )
    .unwrap();
    let podman_dir = work.path().join("podman");
    fs_err::create_dir_all(&podman_dir).unwrap();
    let good = reg.auth_file(&podman_dir);
    let third = format!("{}/third/big:1", reg.host());
    run(
        publish(&reg, &auth_dir, &cache, &[recipe.to_str().unwrap(), &third])
            .env("REGISTRY_AUTH_FILE", &good)
            .args(["--sbom-attach", "none"]),
        true,
    );
    assert_eq!(
        skopeo_raw(&reg, "third/big:1"),
        skopeo_raw(&reg, "team/big:1")
    );
}

#[test]
fn build_all_publishes_each_recipe_with_its_sboms() {
    if !TestRegistry::available() || !whittle_test_env::host::require_tool("skopeo") {
        return;
    }
    let reg = TestRegistry::start(RegistryOptions::new());
    let repo = two_arch_hello_repo();
    let srv = repo.serve();
    let work = tempfile::tempdir().unwrap();
    let recipes = work.path().join("recipes");
    fs_err::create_dir_all(&recipes).unwrap();
    let one = recipe(work.path(), &srv.url(), &repo.keyring_path(), "amd64");
    fs_err::rename(&one, recipes.join("hello.yaml")).unwrap();
    let two = recipe(
        work.path(),
        &srv.url(),
        &repo.keyring_path(),
        "amd64, arm64",
    );
    fs_err::rename(&two, recipes.join("hello-multi.yaml")).unwrap();
    let prefix = format!("{}/catalog", reg.host());
    let out = run(
        whittle()
            .arg("build-all")
            .arg(&recipes)
            .arg("-o")
            .arg(work.path().join("out"))
            .arg("--cache-dir")
            .arg(work.path().join("cache"))
            .args(["--build-date", DATE, "--publish", &prefix])
            .env("DOCKER_CONFIG", work.path().join("no-docker-config")),
        true,
    );
    let printed = stdout(&out);
    let lines: Vec<(&str, &str)> = printed
        .lines()
        .map(|l| l.split_once(' ').unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{printed}");
    for (name, digest) in lines {
        let top = skopeo_raw(&reg, &format!("catalog/{name}:latest"));
        let kind = if name == "hello-multi" {
            "index"
        } else {
            "manifest"
        };
        assert_eq!(
            top["mediaType"],
            format!("application/vnd.oci.image.{kind}.v1+json")
        );
        let inspected = run(
            Command::new("skopeo")
                .args(["inspect", "--raw"])
                .args(reg.skopeo_tls_args())
                .arg(format!("docker://{prefix}/{name}:latest")),
            true,
        );
        assert_eq!(format!("sha256:{}", sha256_hex(&inspected.stdout)), digest);
        // Its SBOM (the index's, for the multi-platform one) is listed
        // under the fallback tag of what was pushed.
        let referrers = skopeo_raw(
            &reg,
            &format!("catalog/{name}:{}", digest.replace(':', "-")),
        );
        assert_eq!(
            referrers["manifests"][0]["artifactType"], "application/spdx+json",
            "{referrers}"
        );
    }
}

/// Seconds `cmd` takes, which must succeed.
fn timed(cmd: &mut Command) -> f64 {
    let started = Instant::now();
    run(cmd, true);
    started.elapsed().as_secs_f64()
}

/// `scripts/bench-publish.sh`: pushing a two-platform image of 2 × 24 MiB
/// (incompressible) to Debian's docker-registry on 127.0.0.1, whittle
/// against skopeo copying the same OCI layout, first into an empty
/// repository and then again.
#[test]
#[ignore = "benchmark: scripts/bench-publish.sh"]
fn bench_publish() {
    if !TestRegistry::available() || !whittle_test_env::host::require_tool("skopeo") {
        return;
    }
    let reg = TestRegistry::start(RegistryOptions::new());
    let mut repo = DebRepo::new("stable");
    for arch in ["amd64", "arm64"] {
        let mut spec = DebSpec::new("big", "1")
            .arch(arch)
            .file("usr/bin/big", b"#!big\n", 0o755);
        for i in 0..6 {
            let mut data = noise(4 << 20);
            data[0] = i;
            data[1] = arch.len() as u8;
            spec = spec.file(&format!("usr/share/big/{i}"), &data, 0o644);
        }
        repo.add(spec);
    }
    repo.publish();
    let srv = repo.serve();
    let work = tempfile::tempdir().unwrap();
    let text = format!(
        "contents:\n  repositories:\n    - type: deb\n      url: {}\n      suites: [stable]\n      keyring: {}\n  packages: [big]\nentrypoint: {{command: /usr/bin/big}}\narchs: [amd64, arm64]\nlayering: {{strategy: origin, budget: 4}}\n",
        srv.url(),
        repo.keyring_path().display()
    );
    let recipe = work.path().join("recipe.yaml");
    fs_err::write(&recipe, text).unwrap();
    let cache = work.path().join("cache");
    let layout = work.path().join("layout");
    let host = reg.host();
    let build_into = |dir: &Path| {
        fs_err::create_dir_all(dir).unwrap();
        let mut c = whittle();
        c.arg("build")
            .arg(&recipe)
            .arg(format!("{host}/skopeo/big:1"))
            .arg(dir)
            .arg("--cache-dir")
            .arg(&cache)
            .args(["--build-date", DATE, "--no-sbom"]);
        c
    };
    let build_cold = timed(&mut build_into(&layout));
    let build_warm = timed(&mut build_into(&work.path().join("again")));
    let publish_to = |repository: &str| {
        let mut c = whittle();
        c.arg("publish")
            .arg(&recipe)
            .arg(format!("{host}/{repository}/big:1"))
            .arg("--cache-dir")
            .arg(&cache)
            .args(["--build-date", DATE, "--sbom-attach", "none"])
            .env("DOCKER_CONFIG", work.path().join("no-docker-config"));
        c
    };
    let skopeo_to = |repository: &str| {
        let mut c = Command::new("skopeo");
        c.args(["copy", "--all", "--dest-tls-verify=false"])
            .arg(format!("oci:{}", layout.display()))
            .arg(format!("docker://{host}/{repository}/big:1"));
        c
    };
    let whittle_first = timed(&mut publish_to("whittle"));
    let whittle_again = timed(&mut publish_to("whittle"));
    let skopeo_first = timed(&mut skopeo_to("skopeo"));
    let skopeo_again = timed(&mut skopeo_to("skopeo"));
    eprintln!("publish: 2 platforms × 6 × 4 MiB incompressible, registry on 127.0.0.1");
    eprintln!(
        "whittle build into a layout, cold cache: {build_cold:.2} s, warm: {build_warm:.2} s"
    );
    eprintln!(
        "whittle publish, empty repository (build from warm cache included): {whittle_first:.2} s"
    );
    eprintln!("whittle publish, again: {whittle_again:.2} s");
    eprintln!("skopeo copy --all of the layout, empty repository: {skopeo_first:.2} s");
    eprintln!("skopeo copy --all of the layout, again: {skopeo_again:.2} s");
}
