//! Signing: `whittle keygen`, `build --sign`, `publish --sign` and
//! `whittle verify`, end to end. Every bundle whittle writes is checked
//! again by the independent Python verifier
//! (`crates/whittle-test/py/sigstore_verify.py`: DSSE's PAE, ECDSA P-256,
//! the statement's subject digest, the bundle parsed by Sigstore's own
//! protobuf types), and by `cosign verify` when a cosign binary is on
//! PATH (skipped loudly otherwise). Registries are Debian's
//! `docker-registry` (distribution 2.8: no referrers API, so the OCI 1.1
//! fallback tag is used) on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use common::*;
use sha2::{Digest, Sha256};
use whittle_test::registry::{RegistryOptions, TestRegistry};
use whittle_test_env::host;

const DATE: &str = "1700000000";
const SPDX: &str = "https://spdx.dev/Document";
const PROVENANCE: &str = "https://slsa.dev/provenance/v1";
const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";
const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The served two-architecture repository and a recipe for it.
struct Repo {
    _keep: (whittle_test::DebRepo, whittle_net::TestServer),
    work: tempfile::TempDir,
    recipe: PathBuf,
    cache: PathBuf,
}

fn repo(archs: &str) -> Repo {
    let repo = two_arch_hello_repo();
    let srv = repo.serve();
    let work = tempfile::tempdir().unwrap();
    let recipe = deb_recipe(
        work.path(),
        &srv.url(),
        &repo.keyring_path(),
        "hello",
        &format!("entrypoint: {{command: /usr/bin/hello}}\narchs: [{archs}]\n"),
    );
    let cache = work.path().join("cache");
    Repo {
        _keep: (repo, srv),
        work,
        recipe,
        cache,
    }
}

/// `whittle keygen` with `password` into `dir/PREFIX.{key,pub}`.
fn keygen(dir: &Path, prefix: &str, password: &str) -> (PathBuf, PathBuf) {
    run(
        whittle()
            .arg("keygen")
            .arg("--output-key-prefix")
            .arg(dir.join(prefix))
            .env("COSIGN_PASSWORD", password),
        true,
    );
    (
        dir.join(format!("{prefix}.key")),
        dir.join(format!("{prefix}.pub")),
    )
}

fn build_signed(r: &Repo, output: &Path, key: &Path, extra: &[&str]) -> Output {
    run(
        whittle()
            .arg("build")
            .arg(&r.recipe)
            .arg("registry.example/team/hello:1")
            .arg(output)
            .args(["--cache-dir", r.cache.to_str().unwrap()])
            .args(["--build-date", DATE, "--sign", "--key"])
            .arg(key)
            .args(extra)
            .env("COSIGN_PASSWORD", "pw"),
        true,
    )
}

fn verify(image: &str, public: &Path, ok: bool) -> Output {
    run(
        whittle().arg("verify").arg(image).arg("--key").arg(public),
        ok,
    )
}

/// The files of an OCI archive or layout, by path.
fn image_files(image: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if image.is_dir() {
        for entry in walk(image) {
            let rel = entry
                .strip_prefix(image)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            out.insert(rel, fs_err::read(&entry).unwrap());
        }
    } else {
        let mut archive = tar::Archive::new(fs_err::File::open(image).unwrap());
        for e in archive.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_str().unwrap().to_string();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            out.insert(name, data);
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs_err::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn blob<'a>(files: &'a BTreeMap<String, Vec<u8>>, digest: &str) -> &'a [u8] {
    let hex = digest.strip_prefix("sha256:").unwrap();
    &files[&format!("blobs/sha256/{hex}")]
}

/// One bundle stored beside the image: (its referrer's index entry, the
/// referrer manifest, the bundle).
struct Stored {
    entry: serde_json::Value,
    manifest: serde_json::Value,
    bundle: Vec<u8>,
}

impl Stored {
    fn subject(&self) -> &str {
        self.manifest["subject"]["digest"].as_str().unwrap()
    }
    fn predicate_type(&self) -> &str {
        self.manifest["annotations"]["dev.sigstore.bundle.predicateType"]
            .as_str()
            .unwrap()
    }
    fn statement(&self) -> serde_json::Value {
        let b: serde_json::Value = serde_json::from_slice(&self.bundle).unwrap();
        let payload = base64::engine::general_purpose::STANDARD
            .decode(b["dsseEnvelope"]["payload"].as_str().unwrap())
            .unwrap();
        serde_json::from_slice(&payload).unwrap()
    }
}

fn stored_bundles(files: &BTreeMap<String, Vec<u8>>) -> Vec<Stored> {
    let index: serde_json::Value = serde_json::from_slice(&files["index.json"]).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["artifactType"] == BUNDLE)
        .map(|e| {
            let manifest: serde_json::Value =
                serde_json::from_slice(blob(files, e["digest"].as_str().unwrap())).unwrap();
            let bundle = blob(files, manifest["layers"][0]["digest"].as_str().unwrap()).to_vec();
            Stored {
                entry: e.clone(),
                manifest,
                bundle,
            }
        })
        .collect()
}

/// The image's top descriptor in `index.json` (the entry with a ref name).
fn top_of(files: &BTreeMap<String, Vec<u8>>) -> serde_json::Value {
    let index: serde_json::Value = serde_json::from_slice(&files["index.json"]).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e.get("artifactType").is_none())
        .unwrap()
        .clone()
}

/// Run the independent checker with `args`; its output.
fn python(verifier: &(PathBuf, PathBuf), args: &[&str]) -> Output {
    Command::new(&verifier.0)
        .arg(&verifier.1)
        .args(args)
        .output()
        .unwrap()
}

/// Run the independent verifier on `bundle` for `digest`; its output.
fn python_verify(
    verifier: &(PathBuf, PathBuf),
    public: &Path,
    bundle: &[u8],
    digest: &str,
) -> Output {
    let file = tempfile::NamedTempFile::new().unwrap();
    fs_err::write(file.path(), bundle).unwrap();
    python(
        verifier,
        &[
            "verify",
            "--key",
            public.to_str().unwrap(),
            "--bundle",
            file.path().to_str().unwrap(),
            "--digest",
            digest,
        ],
    )
}

#[test]
fn keygen_writes_an_encrypted_cosign_key_that_an_independent_reader_opens() {
    let work = tempfile::tempdir().unwrap();
    let (key, public) = keygen(work.path(), "cosign", "correct horse");
    let pem = fs_err::read_to_string(&key).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"),
        "{pem}"
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        fs_err::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let public_pem = fs_err::read_to_string(&public).unwrap();
    assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));

    // No password in the environment: refused, saying what to set.
    let out = run(
        whittle()
            .arg("keygen")
            .arg("--output-key-prefix")
            .arg(work.path().join("other"))
            .env_remove("COSIGN_PASSWORD")
            .env_remove("WHITTLE_PASSWORD"),
        false,
    );
    assert!(stderr(&out).contains("COSIGN_PASSWORD"), "{}", stderr(&out));
    // An existing pair is kept.
    let out = run(
        whittle()
            .arg("keygen")
            .arg("--output-key-prefix")
            .arg(work.path().join("cosign"))
            .env("WHITTLE_PASSWORD", ""),
        false,
    );
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(fs_err::read_to_string(&key).unwrap(), pem);

    let Some(verifier) = host::sigstore_verifier() else {
        return;
    };
    let out = python(
        &verifier,
        &[
            "decrypt-cosign",
            "--password",
            "correct horse",
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        public_pem.trim()
    );
    let out = python(
        &verifier,
        &[
            "decrypt-cosign",
            "--password",
            "wrong",
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
}

#[test]
fn a_signed_archive_carries_its_signatures_and_verifies_before_it_is_pushed() {
    let Some(verifier) = host::sigstore_verifier() else {
        return;
    };
    let r = repo("amd64, arm64");
    // The key comes from the independent cosign-format writer: whittle
    // reads keys it did not make.
    let keys = r.work.path().join("keys");
    fs_err::create_dir_all(&keys).unwrap();
    let out = python(
        &verifier,
        &[
            "keygen-cosign",
            "--password",
            "pw",
            "--out",
            keys.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (key, public) = (keys.join("cosign.key"), keys.join("cosign.pub"));

    let archive = r.work.path().join("hello.tar");
    build_signed(&r, &archive, &key, &["--recursive"]);
    let files = image_files(&archive);
    let top = top_of(&files);
    let top_digest = top["digest"].as_str().unwrap().to_string();
    let index: serde_json::Value = serde_json::from_slice(blob(&files, &top_digest)).unwrap();
    let platforms: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(platforms.len(), 2);

    // What is stored: a signature on the index and (--recursive) on each
    // platform, an SPDX attestation per platform, provenance on the index.
    let stored = stored_bundles(&files);
    let mut kinds: Vec<(String, String)> = stored
        .iter()
        .map(|s| (s.subject().to_string(), s.predicate_type().to_string()))
        .collect();
    kinds.sort();
    let mut want = vec![
        (top_digest.clone(), COSIGN_SIGN.to_string()),
        (top_digest.clone(), PROVENANCE.to_string()),
    ];
    for p in &platforms {
        want.push((p.clone(), COSIGN_SIGN.to_string()));
        want.push((p.clone(), SPDX.to_string()));
    }
    want.sort();
    assert_eq!(kinds, want);

    // Every bundle verifies independently for its subject, and is refused
    // for another digest.
    for s in &stored {
        let out = python_verify(&verifier, &public, &s.bundle, s.subject());
        assert!(
            out.status.success(),
            "{}: {}",
            s.predicate_type(),
            String::from_utf8_lossy(&out.stderr)
        );
        let other = if s.subject() == top_digest {
            &platforms[0]
        } else {
            &top_digest
        };
        if s.predicate_type() != PROVENANCE {
            let out = python_verify(&verifier, &public, &s.bundle, other);
            assert!(
                !out.status.success(),
                "{} verified for {other}",
                s.predicate_type()
            );
        }
        assert_eq!(
            s.entry["annotations"]["dev.sigstore.bundle.content"],
            "dsse-envelope"
        );
    }

    // The provenance names the recipe's digest, every package with its
    // checksum, and whittle's version.
    let provenance = stored
        .iter()
        .find(|s| s.predicate_type() == PROVENANCE)
        .unwrap()
        .statement();
    let def = &provenance["predicate"]["buildDefinition"];
    let recipe_digest = sha256(&fs_err::read(&r.recipe).unwrap());
    assert_eq!(
        format!(
            "sha256:{}",
            def["externalParameters"]["recipe"]["digest"]["sha256"]
                .as_str()
                .unwrap()
        ),
        recipe_digest
    );
    let deps = def["resolvedDependencies"].as_array().unwrap();
    assert_eq!(
        deps.len(),
        4,
        "hello and libgreet on two architectures: {deps:?}"
    );
    for d in deps {
        assert_eq!(d["digest"]["sha256"].as_str().unwrap().len(), 64, "{d}");
        assert!(d["uri"].as_str().unwrap().starts_with("pkg:deb/"), "{d}");
    }
    assert_eq!(
        provenance["predicate"]["runDetails"]["builder"]["version"]["whittle"],
        env!("CARGO_PKG_VERSION")
    );
    let subjects: Vec<&str> = provenance["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["digest"]["sha256"].as_str().unwrap())
        .collect();
    assert_eq!(subjects.len(), 3);

    // whittle verify reads the archive: signature, attestations, and each
    // attested SBOM against the package database in the image.
    let out = verify(&format!("oci-archive:{}", archive.display()), &public, true);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("signature {top_digest}: verified")),
        "{text}"
    );
    assert!(
        text.contains(
            "sbom linux/amd64 (SPDX): 2 packages, the same as the image's package database"
        ),
        "{text}"
    );
    assert!(
        text.contains("sbom linux/arm64/v8 (SPDX): 2 packages"),
        "{text}"
    );
    assert!(text.contains(PROVENANCE), "{text}");

    // The other image tools still see one image, not its signatures.
    let out = run(
        whittle()
            .arg("sbom")
            .arg(&archive)
            .args(["--platform", "linux/arm64"]),
        true,
    );
    assert!(stdout(&out).contains("libgreet"), "{}", stdout(&out));

    // Signed builds are reproducible too (ECDSA with RFC 6979 nonces).
    let again = r.work.path().join("again.tar");
    build_signed(&r, &again, &key, &["--recursive"]);
    assert_same_archive(&archive, &again);
}

/// Rewrite a layout's `index.json` entries with `edit`.
fn edit_index(layout: &Path, edit: impl FnOnce(&mut Vec<serde_json::Value>)) {
    let path = layout.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&fs_err::read(&path).unwrap()).unwrap();
    edit(index["manifests"].as_array_mut().unwrap());
    fs_err::write(&path, serde_json::to_vec(&index).unwrap()).unwrap();
}

fn put_blob(layout: &Path, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let hex = digest.strip_prefix("sha256:").unwrap();
    fs_err::write(layout.join("blobs/sha256").join(hex), bytes).unwrap();
    digest
}

/// Store `manifest` in the layout in place of the referrer `old`.
fn replace_referrer(layout: &Path, old: &str, manifest: &serde_json::Value) -> String {
    let bytes = serde_json::to_vec(manifest).unwrap();
    let digest = put_blob(layout, &bytes);
    let size = bytes.len();
    edit_index(layout, |entries| {
        for e in entries.iter_mut().filter(|e| e["digest"] == old) {
            e["digest"] = digest.clone().into();
            e["size"] = size.into();
        }
    });
    digest
}

fn copy_dir(from: &Path, to: &Path) {
    for f in walk(from) {
        let dest = to.join(f.strip_prefix(from).unwrap());
        fs_err::create_dir_all(dest.parent().unwrap()).unwrap();
        fs_err::copy(&f, &dest).unwrap();
    }
}

#[test]
fn verify_refuses_a_wrong_key_a_tampered_bundle_a_moved_signature_and_missing_attestations() {
    let r = repo("amd64");
    let (key, public) = keygen(r.work.path(), "cosign", "pw");
    let (_, other_public) = keygen(r.work.path(), "other", "pw");
    let layout = r.work.path().join("layout");
    fs_err::create_dir_all(&layout).unwrap();
    build_signed(&r, &layout, &key, &[]);
    let image = format!("oci:{}", layout.display());
    verify(&image, &public, true);

    // A wrong key.
    let out = verify(&image, &other_public, false);
    assert!(stderr(&out).contains("does not verify"), "{}", stderr(&out));

    // An edited payload: one package less in the attested SBOM, the
    // signature kept.
    let tampered = r.work.path().join("tampered");
    copy_dir(&layout, &tampered);
    let files = image_files(&tampered);
    let sbom = stored_bundles(&files)
        .into_iter()
        .find(|s| s.predicate_type() == SPDX)
        .unwrap();
    let mut statement = sbom.statement();
    statement["predicate"]["packages"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["name"] != "libgreet");
    let mut bundle: serde_json::Value = serde_json::from_slice(&sbom.bundle).unwrap();
    bundle["dsseEnvelope"]["payload"] = base64::engine::general_purpose::STANDARD
        .encode(serde_json::to_vec(&statement).unwrap())
        .into();
    let bundle_bytes = serde_json::to_vec(&bundle).unwrap();
    let mut manifest = sbom.manifest.clone();
    manifest["layers"][0]["digest"] = put_blob(&tampered, &bundle_bytes).into();
    manifest["layers"][0]["size"] = bundle_bytes.len().into();
    replace_referrer(&tampered, sbom.entry["digest"].as_str().unwrap(), &manifest);
    let out = verify(&format!("oci:{}", tampered.display()), &public, false);
    assert!(
        stderr(&out).contains(SPDX) && stderr(&out).contains("does not verify"),
        "{}",
        stderr(&out)
    );
    if let Some(verifier) = host::sigstore_verifier() {
        let out = python_verify(&verifier, &public, &bundle_bytes, sbom.subject());
        assert!(
            !out.status.success(),
            "the independent verifier accepted an edited payload"
        );
    }

    // A signature moved to another image: image B (another build date)
    // gets A's signature, its subject rewritten to B.
    let b = r.work.path().join("b");
    fs_err::create_dir_all(&b).unwrap();
    run(
        whittle()
            .arg("build")
            .arg(&r.recipe)
            .arg("registry.example/team/hello:1")
            .arg(&b)
            .args(["--cache-dir", r.cache.to_str().unwrap()])
            .args(["--build-date", "1700000500"]),
        true,
    );
    let b_files = image_files(&b);
    let b_top = top_of(&b_files);
    let a_files = image_files(&layout);
    for s in stored_bundles(&a_files) {
        let mut manifest = s.manifest.clone();
        manifest["subject"]["digest"] = b_top["digest"].clone();
        manifest["subject"]["size"] = b_top["size"].clone();
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let digest = put_blob(&b, &bytes);
        for (d, data) in [
            (&manifest["layers"][0]["digest"], &s.bundle),
            (&manifest["config"]["digest"], &b"{}".to_vec()),
        ] {
            assert_eq!(put_blob(&b, data), d.as_str().unwrap());
        }
        let mut entry = s.entry.clone();
        entry["digest"] = digest.into();
        entry["size"] = bytes.len().into();
        edit_index(&b, |entries| entries.push(entry));
    }
    let out = verify(&format!("oci:{}", b.display()), &public, false);
    assert!(
        stderr(&out).contains("does not verify") && stderr(&out).contains("the signature is for"),
        "{}",
        stderr(&out)
    );

    // An unsigned image, and a signed one whose provenance was removed.
    let unsigned = r.work.path().join("unsigned");
    copy_dir(&layout, &unsigned);
    edit_index(&unsigned, |entries| {
        entries.retain(|e| e.get("artifactType").is_none())
    });
    let out = verify(&format!("oci:{}", unsigned.display()), &public, false);
    assert!(
        stderr(&out).contains("has no signature"),
        "{}",
        stderr(&out)
    );
    let no_provenance = r.work.path().join("no-provenance");
    copy_dir(&layout, &no_provenance);
    edit_index(&no_provenance, |entries| {
        entries.retain(|e| e["annotations"]["dev.sigstore.bundle.predicateType"] != PROVENANCE)
    });
    let out = verify(&format!("oci:{}", no_provenance.display()), &public, false);
    assert!(
        stderr(&out).contains(&format!("has no {PROVENANCE} attestation")),
        "{}",
        stderr(&out)
    );
}

/// GET a registry path; the body.
fn get(reg: &TestRegistry, path: &str, accept: &str) -> Vec<u8> {
    let resp = reg
        .client()
        .get(reg.url(path))
        .header("Accept", accept)
        .send()
        .unwrap();
    assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
    resp.bytes().unwrap().to_vec()
}

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// A local registry with the repository's image published to
/// `REGISTRY/team/hello:1`, signed with a fresh key (`extra` options added).
struct Published {
    reg: TestRegistry,
    r: Repo,
    verifier: (PathBuf, PathBuf),
    public: PathBuf,
    reference: String,
    out: Output,
}

/// `None` (after a loud skip) without the registry or the Python verifier.
fn publish_signed(archs: &str, extra: &[&str]) -> Option<Published> {
    if !TestRegistry::available() {
        return None;
    }
    let verifier = host::sigstore_verifier()?;
    let reg = TestRegistry::start(RegistryOptions::new());
    let r = repo(archs);
    let (key, public) = keygen(r.work.path(), "cosign", "pw");
    let reference = format!("{}/team/hello:1", reg.host());
    let out = run(
        whittle()
            .arg("publish")
            .arg(&r.recipe)
            .arg(&reference)
            .args(["--cache-dir", r.cache.to_str().unwrap()])
            .args(["--build-date", DATE, "--sign", "--key"])
            .arg(&key)
            .args(extra)
            .env("COSIGN_PASSWORD", "pw"),
        true,
    );
    Some(Published {
        reg,
        r,
        verifier,
        public,
        reference,
        out,
    })
}

#[test]
fn publish_signs_and_attests_in_the_registry_and_verify_checks_it_there() {
    let Some(Published {
        reg,
        r,
        verifier,
        public,
        reference,
        out,
    }) = publish_signed("amd64, arm64", &[])
    else {
        return;
    };
    let pushed = stdout(&out).trim().to_string();
    let digest = pushed.rsplit('@').next().unwrap().to_string();

    // distribution 2.8 has no referrers API: the fallback tag lists them.
    let hex = digest.strip_prefix("sha256:").unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&get(
        &reg,
        &format!("/v2/team/hello/manifests/sha256-{hex}"),
        OCI_INDEX,
    ))
    .unwrap();
    let mut found = BTreeMap::new();
    for e in listed["manifests"].as_array().unwrap() {
        if e["artifactType"] != BUNDLE {
            continue;
        }
        let manifest: serde_json::Value = serde_json::from_slice(&get(
            &reg,
            &format!("/v2/team/hello/manifests/{}", e["digest"].as_str().unwrap()),
            OCI_MANIFEST,
        ))
        .unwrap();
        assert_eq!(manifest["subject"]["digest"], digest.as_str());
        let bundle = get(
            &reg,
            &format!(
                "/v2/team/hello/blobs/{}",
                manifest["layers"][0]["digest"].as_str().unwrap()
            ),
            "*/*",
        );
        let out = python_verify(&verifier, &public, &bundle, &digest);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        found.insert(
            manifest["annotations"]["dev.sigstore.bundle.predicateType"]
                .as_str()
                .unwrap()
                .to_string(),
            bundle,
        );
    }
    assert!(
        found.contains_key(COSIGN_SIGN) && found.contains_key(PROVENANCE),
        "{found:?}"
    );

    let out = verify(&reference, &public, true);
    let text = stdout(&out);
    assert!(text.contains(&format!("verified {digest}")), "{text}");
    assert!(
        text.contains("sbom linux/arm64/v8 (SPDX): 2 packages"),
        "{text}"
    );
    let (_, other_public) = keygen(r.work.path(), "other", "pw");
    let out = verify(&reference, &other_public, false);
    assert!(stderr(&out).contains("does not verify"), "{}", stderr(&out));

    // cosign itself, when installed (no Debian package ships it, so CI
    // skips this part too, loudly).
    if host::find_tool("cosign").is_none() {
        host::skip(
            "cosign is not on PATH: whittle's bundles were checked by the Python verifier only",
        );
    } else {
        let out = run(
            Command::new("cosign")
                .args(["verify", "--key"])
                .arg(&public)
                .args([
                    "--insecure-ignore-tlog=true",
                    "--new-bundle-format",
                    "--allow-insecure-registry",
                    "--allow-http-registry",
                ])
                .arg(&pushed),
            true,
        );
        eprintln!("cosign verify: {}", stderr(&out));
    }
}

#[test]
fn the_legacy_format_writes_cosign_v2_sig_tags_that_verify() {
    let Some(Published {
        reg,
        r: _keep,
        verifier,
        public,
        reference,
        out,
    }) = publish_signed("amd64", &["--sign-format", "legacy"])
    else {
        return;
    };
    let digest = stdout(&out).trim().rsplit('@').next().unwrap().to_string();
    let hex = digest.strip_prefix("sha256:").unwrap();
    let sig: serde_json::Value = serde_json::from_slice(&get(
        &reg,
        &format!("/v2/team/hello/manifests/sha256-{hex}.sig"),
        OCI_MANIFEST,
    ))
    .unwrap();
    let layer = &sig["layers"][0];
    assert_eq!(
        layer["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    let payload = get(
        &reg,
        &format!("/v2/team/hello/blobs/{}", layer["digest"].as_str().unwrap()),
        "*/*",
    );
    let payload_json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        payload_json["critical"]["image"]["docker-manifest-digest"],
        digest.as_str()
    );
    assert_eq!(
        payload_json["critical"]["identity"]["docker-reference"],
        format!("{}/team/hello", reg.host())
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    fs_err::write(file.path(), &payload).unwrap();
    let out = python(
        &verifier,
        &[
            "verify-legacy",
            "--key",
            public.to_str().unwrap(),
            "--payload",
            file.path().to_str().unwrap(),
            "--signature",
            layer["annotations"]["dev.cosignproject.cosign/signature"]
                .as_str()
                .unwrap(),
            "--digest",
            &digest,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = verify(&reference, &public, true);
    assert!(
        stdout(&out).contains("cosign legacy .sig tag"),
        "{}",
        stdout(&out)
    );
}

/// Run `examples/ci/rebuild-sign-verify.sh` in `work` with `env`.
fn scheduled_job(work: &Path, env: &[(&str, String)]) -> Output {
    let script = whittle_test_env::fixtures::repo_root().join("examples/ci/rebuild-sign-verify.sh");
    let mut c = Command::new("sh");
    c.arg(script)
        .current_dir(work)
        .env("WHITTLE", env!("CARGO_BIN_EXE_whittle"))
        .env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in env {
        c.env(k, v);
    }
    run(&mut c, true)
}

#[test]
fn the_scheduled_job_script_rebuilds_signs_and_verifies_only_when_a_rebuild_is_due() {
    if !TestRegistry::available() {
        return;
    }
    let reg = TestRegistry::start(RegistryOptions::new());
    let mut repo = whittle_test::DebRepo::new("stable");
    repo.add(whittle_test::DebSpec::new("hello", "1.0-1").file(
        "usr/bin/hello",
        b"#!hello 1.0\n",
        0o755,
    ));
    repo.publish();
    let srv = repo.serve();
    let work = tempfile::tempdir().unwrap();
    let recipe = deb_recipe(
        work.path(),
        &srv.url(),
        &repo.keyring_path(),
        "hello",
        "entrypoint: {command: /usr/bin/hello}\n",
    );
    let (key, public) = keygen(work.path(), "cosign", "pw");
    let env = [
        ("RECIPE", recipe.display().to_string()),
        (
            "LOCK",
            work.path().join("app.lock.json").display().to_string(),
        ),
        ("IMAGE", format!("{}/team/app", reg.host())),
        ("TAGS", "latest 1".to_string()),
        ("SIGN_KEY", key.display().to_string()),
        ("VERIFY_KEY", public.display().to_string()),
        ("COSIGN_PASSWORD", "pw".to_string()),
        (
            "WHITTLE_CACHE_DIR",
            work.path().join("cache").display().to_string(),
        ),
    ];
    let digest_of = |out: &Output| -> String {
        let text = stdout(out);
        let line = text
            .lines()
            .find(|l| l.starts_with("verified sha256:"))
            .unwrap()
            .to_string();
        line.split_whitespace().nth(1).unwrap().to_string()
    };

    // No lock yet: lock, publish two tags, sign, verify both references.
    let out = scheduled_job(work.path(), &env);
    let first = digest_of(&out);
    assert!(
        stdout(&out).contains("published, signed and verified"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        stdout(&out).matches("verified sha256:").count(),
        1,
        "one repository: {}",
        stdout(&out)
    );

    // Nothing new: nothing is pushed.
    let mark = reg.mark();
    let out = scheduled_job(work.path(), &env);
    assert!(
        stdout(&out).contains("is current; nothing to rebuild"),
        "{}",
        stdout(&out)
    );
    let writes: Vec<_> = reg
        .requests_since(mark)
        .into_iter()
        .filter(|r| r.is("PUT", "/v2/") || r.is("POST", "/v2/") || r.is("PATCH", "/v2/"))
        .collect();
    assert!(writes.is_empty(), "a current lock pushed {writes:?}");

    // A newer package: rebuilt, pushed, signed and verified again.
    repo.add(whittle_test::DebSpec::new("hello", "1.1-1").file(
        "usr/bin/hello",
        b"#!hello 1.1\n",
        0o755,
    ));
    repo.publish();
    let out = scheduled_job(work.path(), &env);
    assert!(
        stdout(&out).contains("a rebuild is due"),
        "{}",
        stdout(&out)
    );
    let second = digest_of(&out);
    assert_ne!(first, second);
    let lock = fs_err::read_to_string(work.path().join("app.lock.json")).unwrap();
    assert!(lock.contains("1.1-1"), "{lock}");
    // The tag now names the new, signed image.
    let out = verify(&format!("{}/team/app:1", reg.host()), &public, true);
    assert!(
        stdout(&out).contains(&format!("verified {second}")),
        "{}",
        stdout(&out)
    );
}
