//! The registry harness against the real `docker-registry` and `skopeo`:
//! a hand-written OCI layout is copied in and read back, and the access log
//! shows what the copy sent.

use std::path::Path;
use std::process::Command;

use whittle_test::registry::RegistryOptions;
use whittle_test::registry::{tiny_oci_layout, Request, TestRegistry, TinyImage};

fn tools_available() -> bool {
    TestRegistry::available() && whittle_test_env::host::require_tool("skopeo")
}

/// Run skopeo; returns (success, stdout, stderr).
fn skopeo(args: &[String]) -> (bool, String, String) {
    let out = Command::new("skopeo")
        .args(args)
        .output()
        .expect("run skopeo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `skopeo copy oci:LAYOUT:TAG docker://HOST/REPO:TAG` with `dest_args`.
fn copy(layout: &Path, tag: &str, dest: &str, dest_args: &[String]) -> (bool, String, String) {
    let mut args = vec!["copy".to_string(), "--quiet".to_string()];
    args.extend_from_slice(dest_args);
    args.push(format!("oci:{}:{tag}", layout.display()));
    args.push(format!("docker://{dest}"));
    skopeo(&args)
}

/// `skopeo inspect --raw docker://REF` with `args`: the manifest's bytes.
fn inspect_raw(reference: &str, args: &[String]) -> Vec<u8> {
    let mut all = vec!["inspect".to_string(), "--raw".to_string()];
    all.extend_from_slice(args);
    all.push(format!("docker://{reference}"));
    let out = Command::new("skopeo")
        .args(&all)
        .output()
        .expect("run skopeo");
    assert!(
        out.status.success(),
        "skopeo inspect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn has(requests: &[Request], method: &str, path: &str, status: u16) -> bool {
    requests
        .iter()
        .any(|r| r.method == method && r.path == path && r.status == status)
}

/// A tiny image pushed with skopeo to `REPOSITORY:1`: its layout, what it
/// is, the reference and the requests the push made (the manifest's PUT
/// among them, checked).
fn push_tiny(
    reg: &TestRegistry,
    repository: &str,
    content: &str,
) -> (tempfile::TempDir, TinyImage, String, Vec<Request>) {
    let layout = tempfile::tempdir().expect("a temporary directory");
    let image = tiny_oci_layout(layout.path(), "1", content);
    let dest = format!("{}/{repository}:1", reg.host());
    let mark = reg.mark();
    let (ok, _, err) = copy(layout.path(), "1", &dest, &reg.skopeo_dest_args());
    assert!(ok, "skopeo copy failed: {err}\n{}", reg.log_tail());
    let pushed = reg.requests_since(mark);
    assert!(
        has(
            &pushed,
            "PUT",
            &format!("/v2/{repository}/manifests/1"),
            201
        ),
        "{pushed:?}"
    );
    (layout, image, dest, pushed)
}

#[test]
fn plain_registry_takes_a_push_and_logs_it() {
    if !tools_available() {
        return;
    }
    let reg = TestRegistry::start(RegistryOptions::new());
    assert!(reg.host().starts_with("127.0.0.1:"));
    assert_eq!(reg.ca_pem_path(), None);
    assert_eq!(reg.credentials(), None);
    assert_eq!(reg.skopeo_tls_args(), vec!["--tls-verify=false"]);
    // The readiness probe is the first logged request.
    assert!(
        has(&reg.requests(), "GET", "/v2/", 200),
        "{:?}",
        reg.requests()
    );

    let (layout, image, dest, first) = push_tiny(&reg, "tiny/app", "hello");
    // Both blobs were uploaded (POST opens an upload, PUT finishes it).
    assert!(first
        .iter()
        .any(|r| r.is("POST", "/v2/tiny/app/blobs/uploads/") && r.status == 202));
    assert_eq!(
        first
            .iter()
            .filter(|r| r.is("PUT", "/v2/tiny/app/blobs/uploads/") && r.status == 201)
            .count(),
        2,
        "{first:?}"
    );

    assert_eq!(inspect_raw(&dest, &reg.skopeo_tls_args()), image.manifest);
    let repo = reg
        .storage_dir()
        .join("docker/registry/v2/repositories/tiny/app");
    assert!(repo.is_dir(), "{} is missing", repo.display());

    // A second copy of the same image finds the blobs and uploads nothing.
    let mark = reg.mark();
    let (ok, _, err) = copy(layout.path(), "1", &dest, &reg.skopeo_dest_args());
    assert!(ok, "second skopeo copy failed: {err}");
    let second = reg.requests_since(mark);
    assert!(!second.iter().any(|r| r.method == "POST"), "{second:?}");
    assert!(has(
        &second,
        "HEAD",
        &format!("/v2/tiny/app/blobs/{}", image.layer_digest),
        200
    ));

    // Deletes are enabled.
    let url = reg.url(&format!("/v2/tiny/app/manifests/{}", image.manifest_digest));
    let status = reg.client().delete(url).send().unwrap().status();
    assert_eq!(status.as_u16(), 202);
}

#[test]
fn htpasswd_over_tls_refuses_anonymous_and_takes_credentials() {
    if !tools_available() {
        return;
    }
    let reg = TestRegistry::start(
        RegistryOptions::new()
            .with_tls()
            .with_htpasswd("alice", "s3cret"),
    );
    assert_eq!(reg.credentials(), Some(("alice".into(), "s3cret".into())));
    let ca = reg.ca_pem_path().expect("a CA when TLS is on");
    assert!(fs_err::read_to_string(&ca)
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(reg.base_url().starts_with("https://127.0.0.1:"));

    // Anonymous: 401 with a Basic challenge, over TLS checked against the CA.
    let anon = reg.client().get(reg.url("/v2/")).send().unwrap();
    assert_eq!(anon.status().as_u16(), 401);
    let challenge = anon.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(challenge, "Basic realm=\"whittle-test\"");
    let authed = reg
        .client()
        .get(reg.url("/v2/"))
        .basic_auth("alice", Some("s3cret"))
        .send()
        .unwrap();
    assert_eq!(authed.status().as_u16(), 200);
    let wrong = reg
        .client()
        .get(reg.url("/v2/"))
        .basic_auth("alice", Some("nope"))
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    let layout = tempfile::tempdir().unwrap();
    let image = tiny_oci_layout(layout.path(), "v1", "hello over tls");
    let dest = format!("{}/app:v1", reg.host());

    // Without credentials the push is refused.
    let cert_dir = ca.parent().unwrap().display().to_string();
    let no_creds = vec!["--dest-cert-dir".to_string(), cert_dir.clone()];
    let (ok, _, err) = copy(layout.path(), "v1", &dest, &no_creds);
    assert!(!ok, "an anonymous push succeeded");
    assert!(
        err.contains("unauthorized") || err.contains("authentication required"),
        "{err}"
    );

    // Without the CA, TLS verification fails.
    let (ok, _, err) = copy(layout.path(), "v1", &dest, &[]);
    assert!(!ok && err.contains("certificate"), "{err}");

    let mark = reg.mark();
    let (ok, _, err) = copy(layout.path(), "v1", &dest, &reg.skopeo_dest_args());
    assert!(ok, "skopeo copy failed: {err}\n{}", reg.log_tail());
    let pushed = reg.requests_since(mark);
    assert!(
        has(&pushed, "PUT", "/v2/app/manifests/v1", 201),
        "{pushed:?}"
    );
    assert!(
        pushed.iter().all(|r| r.status != 401 || r.path == "/v2/"),
        "{pushed:?}"
    );
    assert_eq!(inspect_raw(&dest, &reg.skopeo_tls_args()), image.manifest);

    // The docker-style auth file stands in for --creds.
    let cfg = tempfile::tempdir().unwrap();
    let auth_file = reg.auth_file(cfg.path());
    let json: serde_json::Value =
        serde_json::from_slice(&fs_err::read(&auth_file).unwrap()).unwrap();
    assert_eq!(json["auths"][reg.host()]["auth"], "YWxpY2U6czNjcmV0"); // alice:s3cret
    let args = vec![
        "--cert-dir".to_string(),
        cert_dir,
        "--authfile".to_string(),
        auth_file.display().to_string(),
    ];
    assert_eq!(inspect_raw(&dest, &args), image.manifest);
}

#[test]
fn token_auth_issues_bearer_tokens_for_the_asked_scopes() {
    if !tools_available() {
        return;
    }
    let reg = TestRegistry::start(
        RegistryOptions::new()
            .with_tls()
            .with_token_auth("bob", "pw"),
    );
    let anon = reg.client().get(reg.url("/v2/")).send().unwrap();
    assert_eq!(anon.status().as_u16(), 401);
    let challenge = anon.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with("Bearer realm=\"http://127.0.0.1:"),
        "{challenge}"
    );
    assert!(
        challenge.contains("service=\"whittle-test\""),
        "{challenge}"
    );
    let repo_challenge = reg
        .client()
        .head(reg.url("/v2/team/app/manifests/1"))
        .send()
        .unwrap();
    let repo_challenge = repo_challenge.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        repo_challenge.ends_with(",service=\"whittle-test\",scope=\"repository:team/app:pull\""),
        "{repo_challenge}"
    );

    let (_layout, image, dest, _) = push_tiny(&reg, "team/app", "hello with a token");

    let tokens = reg.token_requests();
    assert!(!tokens.is_empty());
    assert!(
        tokens.iter().any(|t| t.status == 200
            && t.user.as_deref() == Some("bob")
            && t.service.as_deref() == Some("whittle-test")
            && t.scopes
                .iter()
                .any(|s| s.starts_with("repository:team/app:") && s.contains("push"))),
        "{tokens:?}"
    );
    assert_eq!(inspect_raw(&dest, &reg.skopeo_tls_args()), image.manifest);

    // A token from the harness works by hand; a wrong password gets none.
    let token = reg.bearer_token("repository:team/app:pull").unwrap();
    let got = reg
        .client()
        .get(reg.url("/v2/team/app/manifests/1"))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json")
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().unwrap().as_ref(), image.manifest.as_slice());
    let wrong = vec![
        "--cert-dir".to_string(),
        reg.ca_pem_path()
            .unwrap()
            .parent()
            .unwrap()
            .display()
            .to_string(),
        "--creds".to_string(),
        "bob:wrong".to_string(),
        "--raw".to_string(),
        format!("docker://{dest}"),
    ];
    let (ok, _, _) = skopeo(&[&["inspect".to_string()][..], &wrong].concat());
    assert!(!ok, "a wrong password was accepted");
    assert!(reg.token_requests().iter().any(|t| t.status == 401));
}

/// Upload `bytes` as a blob of `repo` (POST, then PUT with the digest:
/// distribution 2.8 ignores a body on `POST …?digest=`).
fn put_blob(reg: &TestRegistry, repo: &str, bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)));
    let client = reg.client();
    let opened = client
        .post(reg.url(&format!("/v2/{repo}/blobs/uploads/")))
        .send()
        .expect("POST an upload");
    assert_eq!(opened.status().as_u16(), 202);
    let location = opened.headers()["location"]
        .to_str()
        .expect("an ASCII Location")
        .to_string();
    let sep = if location.contains('?') { '&' } else { '?' };
    let done = client
        .put(format!("{location}{sep}digest={digest}"))
        .header("Content-Type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .expect("PUT the upload");
    assert_eq!(done.status().as_u16(), 201);
    digest
}

fn put_manifest(
    reg: &TestRegistry,
    repo: &str,
    reference: &str,
    media_type: &str,
    body: &str,
) -> u16 {
    reg.client()
        .put(reg.url(&format!("/v2/{repo}/manifests/{reference}")))
        .header("Content-Type", media_type)
        .body(body.to_string())
        .send()
        .expect("PUT a manifest")
        .status()
        .as_u16()
}

/// What `whittle publish` relies on, pinned against distribution 2.8: it
/// stores OCI artifact manifests (`artifactType`, `subject`, the empty
/// config) as they are, has no referrers API (so clients fall back to the
/// `sha256-<hex>` tag), and answers a manifest GET only when the Accept
/// header names the OCI type.
#[test]
fn oci_artifacts_with_a_subject_are_stored_but_there_is_no_referrers_api() {
    if !tools_available() {
        return;
    }
    const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    let reg = TestRegistry::start(RegistryOptions::new());
    let layout = tempfile::tempdir().unwrap();
    let image = tiny_oci_layout(layout.path(), "1", "subject");
    let (ok, _, err) = copy(
        layout.path(),
        "1",
        &format!("{}/app:1", reg.host()),
        &reg.skopeo_dest_args(),
    );
    assert!(ok, "{err}");

    let empty = put_blob(&reg, "app", b"{}");
    assert_eq!(
        empty,
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    let artifact = serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/spdx+json",
        "config": { "mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2 },
        "layers": [{ "mediaType": "application/spdx+json", "digest": empty, "size": 2 }],
        "subject": { "mediaType": OCI_MANIFEST, "digest": image.manifest_digest, "size": image.manifest.len() },
    })
    .to_string();
    let artifact_digest = {
        use sha2::Digest as _;
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(artifact.as_bytes()))
        )
    };
    let mark = reg.mark();
    let put = reg
        .client()
        .put(reg.url(&format!("/v2/app/manifests/{artifact_digest}")))
        .header("Content-Type", OCI_MANIFEST)
        .body(artifact.clone())
        .send()
        .unwrap();
    assert_eq!(put.status().as_u16(), 201);
    assert_eq!(
        put.headers()["docker-content-digest"],
        artifact_digest.as_str()
    );
    // 2.8 does not know `subject`: no OCI-Subject header.
    assert!(put.headers().get("oci-subject").is_none());
    assert!(has(
        &reg.requests_since(mark),
        "PUT",
        &format!("/v2/app/manifests/{artifact_digest}"),
        201
    ));

    // Stored byte for byte; served only to a client that accepts OCI.
    let url = reg.url(&format!("/v2/app/manifests/{artifact_digest}"));
    let got = reg
        .client()
        .get(&url)
        .header("Accept", OCI_MANIFEST)
        .send()
        .unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.text().unwrap(), artifact);
    let no_accept = reg.client().get(&url).send().unwrap();
    assert_eq!(no_accept.status().as_u16(), 404);
    assert!(no_accept
        .text()
        .unwrap()
        .contains("accept header does not support OCI manifests"));

    // No referrers API: a plain-text 404 from the router, not a JSON error.
    let referrers = reg
        .client()
        .get(reg.url(&format!("/v2/app/referrers/{}", image.manifest_digest)))
        .send()
        .unwrap();
    assert_eq!(referrers.status().as_u16(), 404);
    assert_eq!(referrers.text().unwrap().trim(), "404 page not found");

    // The referrers tag schema's index (with artifactType per entry) is taken.
    let fallback = serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{ "mediaType": OCI_MANIFEST, "digest": artifact_digest,
            "size": artifact.len(), "artifactType": "application/spdx+json" }],
    })
    .to_string();
    let tag = image.manifest_digest.replace(':', "-");
    assert_eq!(put_manifest(&reg, "app", &tag, OCI_INDEX, &fallback), 201);

    // A manifest naming a blob the repository lacks is refused.
    let dangling = serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": { "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": format!("sha256:{}", "0".repeat(64)), "size": 2 },
        "layers": [],
    })
    .to_string();
    assert_eq!(
        put_manifest(&reg, "app", "dangling", OCI_MANIFEST, &dangling),
        400
    );
}
