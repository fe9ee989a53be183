//! The client against the in-process fake registry (`fake.rs`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::fake::{FakeAuth, FakeConfig, FakeRegistry};
use crate::*;

fn options(auth: AuthConfig) -> ClientOptions {
    ClientOptions {
        auth,
        retry_delay: Duration::from_millis(1),
        timeout: Duration::from_secs(20),
        ..ClientOptions::default()
    }
}

fn client() -> Client {
    Client::new(options(AuthConfig::default())).expect("client")
}

fn logins(host: &str, credentials: Credentials) -> AuthConfig {
    AuthConfig {
        files: Vec::new(),
        logins: vec![(host.to_string(), credentials)],
    }
}

fn basic(user: &str, password: &str) -> Credentials {
    Credentials::Basic {
        username: user.to_string(),
        password: password.to_string(),
    }
}

fn bytes(data: &[u8]) -> BlobSource<'_> {
    BlobSource::Bytes {
        digest: sha256_digest(data),
        data,
    }
}

fn count(log: &[String], prefix: &str) -> usize {
    log.iter().filter(|l| l.starts_with(prefix)).count()
}

#[test]
fn bearer_challenge_flow_with_basic_credentials() {
    let fake = FakeRegistry::start(FakeConfig {
        auth: FakeAuth::Bearer {
            user: Some(("alice".to_string(), "pw".to_string())),
            refresh: None,
        },
        ..FakeConfig::default()
    });
    let client = Client::new(options(logins(&fake.host, basic("alice", "pw")))).expect("client");
    let repo = client.repository(&fake.host, "team/app");
    assert_eq!(
        repo.push_blob(&bytes(b"layer"), &[]).expect("push"),
        BlobPush::Uploaded { bytes: 5 }
    );
    assert_eq!(
        repo.push_blob(&bytes(b"layer"), &[]).expect("again"),
        BlobPush::Existed
    );
    let digest = repo
        .put_manifest("v1", OCI_MANIFEST, b"{\"schemaVersion\":2}")
        .expect("put");
    let got = repo.get_manifest("v1").expect("get").expect("present");
    assert_eq!(
        (got.digest, got.media_type),
        (digest, OCI_MANIFEST.to_string())
    );
    verify_login(&client, &fake.host).expect("login ok");
    let log = fake.log();
    assert!(
        log.iter()
            .any(|l| l.contains("/token?scope=repository:team/app:pull&")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("/token?scope=repository:team/app:pull,push&")),
        "{log:#?}"
    );
    // One 401 per registry; afterwards the cached challenge and tokens are used.
    assert!(count(&log, "GET /token") <= 3, "{log:#?}");
}

#[test]
fn anonymous_and_identity_token_bearer() {
    let fake = FakeRegistry::start(FakeConfig {
        auth: FakeAuth::Bearer {
            user: None,
            refresh: Some("refresh-1".to_string()),
        },
        ..FakeConfig::default()
    });
    assert_eq!(
        client()
            .repository(&fake.host, "x")
            .blob_exists(&sha256_digest(b"no"))
            .expect("head"),
        None
    );
    let client = Client::new(options(logins(
        &fake.host,
        Credentials::IdentityToken("refresh-1".to_string()),
    )))
    .expect("client");
    client.repository(&fake.host, "x").tags().expect("tags");
    assert!(
        fake.log().iter().any(|l| l.starts_with("POST /token")),
        "{:#?}",
        fake.log()
    );
}

#[test]
fn basic_auth_and_rejected_credentials() {
    let fake = FakeRegistry::start(FakeConfig {
        auth: FakeAuth::Basic("bob".to_string(), "right".to_string()),
        ..FakeConfig::default()
    });
    let good = Client::new(options(logins(&fake.host, basic("bob", "right")))).expect("client");
    good.repository(&fake.host, "r")
        .push_blob(&bytes(b"x"), &[])
        .expect("push");
    let error = client()
        .repository(&fake.host, "r")
        .tags()
        .expect_err("anonymous");
    assert!(
        error.to_string().contains("no credentials found")
            && error.to_string().contains("whittle login"),
        "{error}"
    );
}

/// Every error of a failed login, formatted every way, must not contain the secret.
#[test]
fn secrets_never_appear_in_errors() {
    const SECRET: &str = "S3cret-Passw0rd";
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("carol:{SECRET}"))
    };
    let mut errors = Vec::new();
    for auth in [
        FakeAuth::Basic("carol".to_string(), "other".to_string()),
        FakeAuth::Bearer {
            user: Some(("carol".to_string(), "other".to_string())),
            refresh: Some("other".to_string()),
        },
    ] {
        let fake = FakeRegistry::start(FakeConfig {
            auth,
            ..FakeConfig::default()
        });
        for credentials in [
            basic("carol", SECRET),
            Credentials::IdentityToken(SECRET.to_string()),
        ] {
            let client = Client::new(options(logins(&fake.host, credentials))).expect("client");
            let repo = client.repository(&fake.host, "r");
            errors.push(repo.blob_exists(&sha256_digest(b"a")).expect_err("head"));
            errors.push(repo.push_blob(&bytes(b"a"), &["other"]).expect_err("push"));
            errors.push(
                repo.put_manifest("t", OCI_MANIFEST, b"{}")
                    .expect_err("put"),
            );
            errors.push(repo.get_manifest("t").expect_err("get"));
            errors.push(repo.tags().expect_err("tags"));
            errors.push(verify_login(&client, &fake.host).expect_err("login"));
        }
    }
    for error in &errors {
        assert!(
            matches!(error, RegistryError::Unauthorized { .. }),
            "{error:?}"
        );
        for text in [
            error.to_string(),
            format!("{error:?}"),
            format!("{error:#?}"),
        ] {
            assert!(
                !text.contains(SECRET) && !text.contains(&b64) && !text.contains("tok-ok"),
                "{text}"
            );
        }
    }
}

#[test]
fn mount_from_another_repository() {
    let fake = FakeRegistry::start(FakeConfig::default());
    let client = client();
    client
        .repository(&fake.host, "a")
        .push_blob(&bytes(b"shared"), &[])
        .expect("a");
    let outcome = client
        .repository(&fake.host, "b")
        .push_blob(&bytes(b"shared"), &["a"])
        .expect("b");
    assert_eq!(outcome, BlobPush::Mounted);
    assert_eq!(
        fake.blob("b", &sha256_digest(b"shared")).as_deref(),
        Some(&b"shared"[..])
    );
    // A blob the source lacks: the mount answer's session is used to upload.
    let outcome = client
        .repository(&fake.host, "b")
        .push_blob(&bytes(b"new"), &["a"])
        .expect("upload");
    assert_eq!(outcome, BlobPush::Uploaded { bytes: 3 });
}

#[test]
fn chunked_upload_resumes_after_a_cut_connection() {
    let fake = FakeRegistry::start(FakeConfig {
        break_patches: 1,
        ..FakeConfig::default()
    });
    let client = Client::new(ClientOptions {
        chunk_size: 1000,
        ..options(AuthConfig::default())
    })
    .expect("client");
    let data: Vec<u8> = (0..3500u32).map(|i| (i % 251) as u8).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("blob");
    fs_err::write(&path, &data).expect("write");
    let source = BlobSource::File {
        digest: sha256_digest(&data),
        size: data.len() as u64,
        path: &path,
    };
    let repo = client.repository(&fake.host, "big");
    assert_eq!(
        repo.push_blob(&source, &[]).expect("push"),
        BlobPush::Uploaded { bytes: 3500 }
    );
    assert_eq!(fake.blob("big", &sha256_digest(&data)), Some(data.clone()));
    let log = fake.log();
    // The first chunk is cut half-way; the rest resumes from byte 500.
    assert_eq!(count(&log, "PATCH"), 4, "{log:#?}");
    assert_eq!(count(&log, "GET /v2/big/blobs/uploads/"), 1, "{log:#?}");
    let mut out = Vec::new();
    assert_eq!(
        repo.get_blob(&sha256_digest(&data), &mut out).expect("get"),
        3500
    );
    assert_eq!(out, data);
}

#[test]
fn server_errors_are_retried_then_reported() {
    let fake = FakeRegistry::start(FakeConfig {
        fail: vec![("GET", "/manifests/", 503), ("GET", "/manifests/", 502)],
        ..FakeConfig::default()
    });
    let client = client();
    let repo = client.repository(&fake.host, "r");
    assert_eq!(repo.get_manifest("latest").expect("retried"), None);
    fake.configure(|c| c.fail = vec![("HEAD", "/blobs/", 500); 5]);
    let error = repo
        .blob_exists(&sha256_digest(b"a"))
        .expect_err("gives up")
        .to_string();
    assert!(
        error.contains("HTTP 500") && error.contains(&fake.host),
        "{error}"
    );
}

#[test]
fn error_texts_name_the_place_and_the_remedy() {
    let fake = FakeRegistry::start(FakeConfig {
        fail: vec![("PUT", "/manifests/", 403)],
        max_body: 10,
        ..FakeConfig::default()
    });
    let client = client();
    let repo = client.repository(&fake.host, "team/r");
    let place = format!("{}/team/r", fake.host);
    let denied = repo
        .put_manifest("t", OCI_MANIFEST, b"{}")
        .expect_err("403")
        .to_string();
    assert!(
        denied.contains(&place) && denied.contains("lack push/pull rights"),
        "{denied}"
    );
    let large = repo
        .push_blob(&bytes(b"more than ten bytes"), &[])
        .expect_err("413")
        .to_string();
    assert!(
        large.contains(&place) && large.contains("client_max_body_size"),
        "{large}"
    );
    let missing = repo
        .get_blob(&sha256_digest(b"none"), &mut Vec::new())
        .expect_err("404")
        .to_string();
    assert!(
        missing.contains(&place) && missing.contains("not found"),
        "{missing}"
    );
    fake.insert_blob("team/r", &sha256_digest(b"good"), b"evil");
    let mismatch = repo
        .get_blob(&sha256_digest(b"good"), &mut Vec::new())
        .expect_err("bad hash");
    assert!(
        matches!(mismatch, RegistryError::DigestMismatch { .. }),
        "{mismatch}"
    );
    let refused = Client::new(options(AuthConfig::default()))
        .expect("client")
        .repository("127.0.0.1:1", "x")
        .tags()
        .expect_err("refused")
        .to_string();
    assert!(refused.contains("over http"), "{refused}");
}

#[test]
fn tags_follow_link_pages() {
    let fake = FakeRegistry::start(FakeConfig::default());
    let client = client();
    let repo = client.repository(&fake.host, "r");
    for tag in ["a", "b", "c", "d", "e"] {
        repo.put_manifest(tag, OCI_MANIFEST, tag.as_bytes())
            .expect("put");
    }
    assert_eq!(repo.tags().expect("tags"), ["a", "b", "c", "d", "e"]);
}

fn subject(repo: &Repository<'_>) -> Descriptor {
    let bytes = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
    let digest = repo
        .put_manifest("latest", OCI_MANIFEST, bytes)
        .expect("subject");
    Descriptor::of_parts(OCI_MANIFEST, &digest, bytes.len() as u64)
}

fn sbom() -> Artifact<'static> {
    Artifact {
        artifact_type: "application/spdx+json",
        media_type: "application/spdx+json",
        data: br#"{"spdxVersion":"SPDX-2.3"}"#,
        annotations: BTreeMap::from([(
            "org.opencontainers.image.created".to_string(),
            "2024-01-01T00:00:00Z".to_string(),
        )]),
    }
}

#[test]
fn attach_with_referrers_api() {
    let fake = FakeRegistry::start(FakeConfig {
        referrers_api: true,
        ..FakeConfig::default()
    });
    let client = client();
    let repo = client.repository(&fake.host, "r");
    let subject = subject(&repo);
    assert_eq!(
        repo.referrers(&subject.digest).expect("api"),
        Some(Vec::new())
    );
    let attached = attach(&repo, &subject, &sbom(), AttachMode::Referrers).expect("attach");
    assert!(attached.via_referrers_api && attached.tag.is_none());
    let found = repo.referrers(&subject.digest).expect("list").expect("api");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].digest, attached.digest);
    assert_eq!(
        found[0].artifact_type.as_deref(),
        Some("application/spdx+json")
    );
    assert_eq!(fake.blob("r", EMPTY_DIGEST).as_deref(), Some(&b"{}"[..]));
}

#[test]
fn attach_without_referrers_api_uses_the_fallback_tag_once() {
    let fake = FakeRegistry::start(FakeConfig::default());
    let client = client();
    let repo = client.repository(&fake.host, "r");
    let subject = subject(&repo);
    assert_eq!(repo.referrers(&subject.digest).expect("no api"), None);
    let first = attach(&repo, &subject, &sbom(), AttachMode::Referrers).expect("attach");
    let tag = format!("sha256-{}", &subject.digest["sha256:".len()..]);
    assert_eq!(first.tag.as_deref(), Some(tag.as_str()));
    assert!(!first.via_referrers_api);
    let puts_before =
        count(&fake.log(), "PUT") + count(&fake.log(), "PATCH") + count(&fake.log(), "POST");
    let second = attach(&repo, &subject, &sbom(), AttachMode::Referrers).expect("again");
    assert_eq!(second, first);
    let log = fake.log();
    assert_eq!(
        count(&log, "PUT") + count(&log, "PATCH") + count(&log, "POST"),
        puts_before,
        "{log:#?}"
    );
    let (media_type, index) = fake.manifest("r", &tag).expect("fallback index");
    assert_eq!(media_type, OCI_INDEX);
    let index: serde_json::Value = serde_json::from_slice(&index).expect("json");
    assert_eq!(index["manifests"].as_array().map(Vec::len), Some(1));
    assert_eq!(index["manifests"][0]["digest"], first.digest.as_str());
    assert_eq!(
        index["manifests"][0]["artifactType"],
        "application/spdx+json"
    );
    let (_, manifest) = fake
        .manifest("r", &first.digest)
        .expect("artifact manifest");
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).expect("json");
    assert_eq!(manifest["subject"]["digest"], subject.digest.as_str());
    assert_eq!(manifest["config"]["mediaType"], EMPTY_MEDIA_TYPE);
}

#[test]
fn attach_cosign_tag() {
    let fake = FakeRegistry::start(FakeConfig::default());
    let client = client();
    let repo = client.repository(&fake.host, "r");
    let subject = subject(&repo);
    let artifact = Artifact {
        media_type: cosign_sbom_media_type("application/spdx+json"),
        ..sbom()
    };
    let attached = attach(&repo, &subject, &artifact, AttachMode::Tag).expect("attach");
    let tag = format!("sha256-{}.sbom", &subject.digest["sha256:".len()..]);
    assert_eq!(attached.tag.as_deref(), Some(tag.as_str()));
    let (_, manifest) = fake.manifest("r", &tag).expect("tagged");
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).expect("json");
    assert_eq!(manifest["layers"][0]["mediaType"], "spdx+json");
    assert!(manifest.get("subject").is_none());
}

/// A two-platform layout: index → 2 manifests → a shared layer, one own layer and a config each.
fn write_layout(dir: &std::path::Path) -> String {
    let blobs = dir.join("blobs/sha256");
    fs_err::create_dir_all(&blobs).expect("mkdir");
    let put = |data: &[u8]| -> Descriptor {
        let d = Descriptor::of("x", data);
        fs_err::write(blobs.join(&d.digest["sha256:".len()..]), data).expect("write");
        d
    };
    let shared = put(b"shared layer");
    let mut children = Vec::new();
    for arch in ["amd64", "arm64"] {
        let config = put(format!("{{\"architecture\":\"{arch}\"}}").as_bytes());
        let own = put(format!("layer for {arch}").as_bytes());
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.digest, "size": config.size},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": shared.digest, "size": shared.size},
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": own.digest, "size": own.size},
            ],
        });
        let m = put(manifest.to_string().as_bytes());
        children.push(
            serde_json::json!({"mediaType": OCI_MANIFEST, "digest": m.digest, "size": m.size,
            "platform": {"architecture": arch, "os": "linux"}}),
        );
    }
    let index = put(
        serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children})
            .to_string()
            .as_bytes(),
    );
    let top = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": OCI_INDEX, "digest": index.digest, "size": index.size}]});
    fs_err::write(dir.join("index.json"), top.to_string()).expect("index.json");
    index.digest
}

#[test]
fn push_layout_to_two_repositories_then_again_with_only_heads() {
    let fake = FakeRegistry::start(FakeConfig {
        auth: FakeAuth::Bearer {
            user: None,
            refresh: None,
        },
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let digest = write_layout(dir.path());
    let targets = [
        Reference::parse(&format!("{}/team/a:1.0", fake.host)).expect("ref"),
        Reference::parse(&format!("{}/team/b", fake.host)).expect("ref"),
    ];
    let pushed = push_layout(&client(), dir.path(), &targets, &NoProgress).expect("push");
    assert_eq!(pushed.digest, digest);
    assert_eq!(pushed.manifests.len(), 2);
    assert!(pushed.manifests[0].platform.is_some());
    assert_eq!((pushed.uploaded_blobs, pushed.existing_blobs), (5, 5));
    assert_eq!(
        count(
            &fake.log(),
            "POST /v2/team/b/blobs/uploads/?from=team/a&mount="
        ),
        5,
        "{:#?}",
        fake.log()
    );
    assert_eq!(
        fake.manifest("team/a", "1.0").map(|m| m.0).as_deref(),
        Some(OCI_INDEX)
    );
    assert!(fake.manifest("team/b", "latest").is_some());

    let before = fake.log().len();
    let again = push_layout(&client(), dir.path(), &targets, &NoProgress).expect("again");
    assert_eq!((again.uploaded_blobs, again.existing_blobs), (0, 10));
    let later: Vec<String> = fake.log()[before..]
        .iter()
        .filter(|l| l.contains("/v2/") && !l.starts_with("HEAD"))
        .cloned()
        .collect();
    assert_eq!(later, Vec::<String>::new());

    let wrong =
        Reference::parse(&format!("{}/team/a@{}", fake.host, sha256_digest(b"x"))).expect("ref");
    let error =
        push_layout(&client(), dir.path(), &[wrong], &NoProgress).expect_err("digest differs");
    assert!(
        matches!(error, RegistryError::InvalidReference { .. }),
        "{error}"
    );
}

/// A signature made elsewhere, as `whittle build --sign` stores it: a
/// manifest naming `subject`, with its config and layer blobs.
fn prepared(subject: &Descriptor) -> (Vec<u8>, Vec<Vec<u8>>, BTreeMap<String, String>) {
    let bundle = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#.to_vec();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "config": {"mediaType": EMPTY_MEDIA_TYPE, "digest": EMPTY_DIGEST, "size": 2},
        "layers": [Descriptor::of("application/vnd.dev.sigstore.bundle.v0.3+json", &bundle)],
        "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.size},
    });
    let annotations = BTreeMap::from([(
        "dev.sigstore.bundle.predicateType".to_string(),
        "https://sigstore.dev/cosign/sign/v1".to_string(),
    )]);
    (
        serde_json::to_vec(&manifest).expect("json"),
        vec![b"{}".to_vec(), bundle],
        annotations,
    )
}

#[test]
fn prepared_referrers_are_found_through_the_api_or_the_fallback_tag() {
    for api in [true, false] {
        let fake = FakeRegistry::start(FakeConfig {
            referrers_api: api,
            ..FakeConfig::default()
        });
        let client = client();
        let repo = client.repository(&fake.host, "r");
        let subject = subject(&repo);
        let (manifest, blobs, annotations) = prepared(&subject);
        let referrer = PreparedReferrer {
            manifest: &manifest,
            media_type: OCI_MANIFEST,
            artifact_type: Some("application/vnd.dev.sigstore.bundle.v0.3+json"),
            annotations: &annotations,
            blobs: &blobs,
            tag: None,
        };
        let attached = put_referrer(&repo, &subject, &referrer).expect("put");
        assert_eq!(attached.digest, sha256_digest(&manifest));
        assert_eq!(attached.via_referrers_api, api);
        // Pushed byte for byte, with every blob it names.
        assert_eq!(
            fake.manifest("r", &attached.digest).expect("manifest").1,
            manifest
        );
        for blob in &blobs {
            assert_eq!(
                fake.blob("r", &sha256_digest(blob)).as_deref(),
                Some(&blob[..])
            );
        }
        let found = repo.find_referrers(&subject.digest).expect("find");
        assert_eq!(found.len(), 1, "api {api}");
        assert_eq!(found[0].digest, attached.digest);
        assert_eq!(
            found[0].artifact_type.as_deref(),
            Some("application/vnd.dev.sigstore.bundle.v0.3+json")
        );
        // Again: nothing new.
        assert_eq!(
            put_referrer(&repo, &subject, &referrer).expect("again"),
            attached
        );
        assert_eq!(repo.find_referrers(&subject.digest).expect("find").len(), 1);
    }
}

#[test]
fn a_prepared_referrer_with_a_tag_goes_under_that_tag() {
    let fake = FakeRegistry::start(FakeConfig::default());
    let client = client();
    let repo = client.repository(&fake.host, "r");
    let subject = subject(&repo);
    let (manifest, blobs, annotations) = prepared(&subject);
    let tag = format!("sha256-{}.sig", &subject.digest["sha256:".len()..]);
    let attached = put_referrer(
        &repo,
        &subject,
        &PreparedReferrer {
            manifest: &manifest,
            media_type: OCI_MANIFEST,
            artifact_type: None,
            annotations: &annotations,
            blobs: &blobs,
            tag: Some(&tag),
        },
    )
    .expect("put");
    assert_eq!(attached.tag.as_deref(), Some(tag.as_str()));
    assert_eq!(fake.manifest("r", &tag).expect("tag").1, manifest);
    assert!(repo
        .find_referrers(&subject.digest)
        .expect("find")
        .is_empty());
}
