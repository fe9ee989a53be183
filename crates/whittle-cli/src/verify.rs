//! `whittle verify IMAGE --key cosign.pub`: the image's signature and
//! every attestation checked against the key and the image's digests, and
//! each attested SBOM against the package database in the image. IMAGE is
//! an OCI archive or layout (`oci-archive:FILE`, `oci:DIR`, or a path;
//! its signatures travel inside) or a registry reference.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde::Deserialize;
use whittle_attest::{
    predicate, verify_image, ListedReferrer, PublicKey, ReferrerSource, Subject, VerifiedImage,
};
use whittle_audit::{ImageFiles, ImageRef, Platform};
use whittle_registry::{Client, Reference};

use crate::registry::RegistryArgs;

/// `whittle verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The image: `oci-archive:FILE`, `oci:DIR`, a path, or a registry
    /// reference (`registry.example/team/app:1`).
    pub image: String,
    /// The public key (PEM), e.g. `cosign.pub` from `whittle keygen`.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Where the image is.
enum Location {
    Local(PathBuf, Option<String>),
    Remote(Reference),
}

fn locate(image: &str) -> Result<Location> {
    for prefix in ["oci-archive:", "oci:"] {
        if let Some(rest) = image.strip_prefix(prefix) {
            let r = ImageRef::parse(rest);
            return Ok(Location::Local(r.path, r.tag));
        }
    }
    let r = ImageRef::parse(image);
    if r.path.exists() {
        return Ok(Location::Local(r.path, r.tag));
    }
    let reference = Reference::parse(image).with_context(|| {
        format!("{image} is neither a file, an OCI layout (oci:DIR), an OCI archive (oci-archive:FILE) nor an image reference")
    })?;
    Ok(Location::Remote(reference))
}

#[derive(Deserialize)]
struct IndexJson {
    #[serde(default)]
    manifests: Vec<DescriptorJson>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct DescriptorJson {
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    platform: Option<PlatformJson>,
}

impl DescriptorJson {
    /// An artifact stored beside the image (apko gives images the image
    /// config's type as their artifact type).
    fn is_artifact(&self) -> bool {
        self.artifact_type
            .as_deref()
            .is_some_and(|t| t != "application/vnd.oci.image.config.v1+json")
    }
}

#[derive(Deserialize, Clone)]
struct PlatformJson {
    os: String,
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
struct ManifestJson {
    #[serde(default)]
    manifests: Option<Vec<DescriptorJson>>,
    #[serde(default)]
    config: Option<DescriptorJson>,
    #[serde(default)]
    subject: Option<DescriptorJson>,
}

#[derive(Deserialize)]
struct ConfigJson {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

const REF_NAME: &str = "org.opencontainers.image.ref.name";

fn is_signature_tag(name: &str) -> bool {
    let tag = name.rsplit(':').next().unwrap_or(name);
    tag.starts_with("sha256-")
}

fn subject_of(d: &DescriptorJson) -> Subject {
    Subject {
        media_type: d.media_type.clone(),
        digest: d.digest.clone(),
        size: d.size,
    }
}

fn platform_name(os: &str, arch: &str, variant: Option<&str>) -> String {
    match variant.filter(|v| !v.is_empty()) {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    }
}

/// The image's top descriptor in a layout's or archive's `index.json`.
fn local_top(files: &ImageFiles, tag: Option<&str>) -> Result<DescriptorJson> {
    let index: IndexJson =
        serde_json::from_slice(&files.index_json()?).context("index.json is not an image index")?;
    let images: Vec<DescriptorJson> = index
        .manifests
        .into_iter()
        .filter(|d| !d.is_artifact())
        .filter(|d| {
            !d.annotations
                .get(REF_NAME)
                .is_some_and(|n| is_signature_tag(n))
        })
        .filter(|d| match tag {
            Some(t) => d
                .annotations
                .get(REF_NAME)
                .is_some_and(|n| n == t || n.rsplit_once(':').is_some_and(|(_, x)| x == t)),
            None => true,
        })
        .collect();
    match <[DescriptorJson; 1]>::try_from(images) {
        Ok([one]) => Ok(one),
        Err(v) if v.is_empty() => bail!(
            "the image has no image manifest{}",
            tag.map(|t| format!(" tagged {t}")).unwrap_or_default()
        ),
        Err(_) => bail!("the image holds several images: name one as PATH:TAG"),
    }
}

/// The signed subjects of an image whose top is `top`: the top manifest,
/// and each platform's manifest. `read` fetches a manifest (`true`) or a
/// blob (`false`).
fn subjects(
    top: &DescriptorJson,
    read: &dyn Fn(&str, bool) -> Result<Vec<u8>>,
) -> Result<(Subject, Vec<(String, Subject)>)> {
    let doc: ManifestJson = serde_json::from_slice(&read(&top.digest, true)?)
        .with_context(|| format!("{} is not a manifest or index", top.digest))?;
    let mut platforms = Vec::new();
    if let Some(children) = doc.manifests {
        for child in children {
            let Some(p) = &child.platform else { continue };
            if p.os == "unknown" {
                continue;
            }
            platforms.push((
                platform_name(&p.os, &p.architecture, p.variant.as_deref()),
                subject_of(&child),
            ));
        }
    } else {
        let config = doc
            .config
            .ok_or_else(|| anyhow!("{} is neither an image index nor a manifest", top.digest))?;
        let c: ConfigJson = serde_json::from_slice(&read(&config.digest, false)?)
            .context("the image config is not JSON")?;
        platforms.push((
            platform_name(&c.os, &c.architecture, c.variant.as_deref()),
            subject_of(top),
        ));
    }
    Ok((subject_of(top), platforms))
}

/// Referrers kept in an archive or layout's `index.json`.
struct LocalReferrers<'a> {
    files: &'a ImageFiles,
    entries: Vec<DescriptorJson>,
}

impl ReferrerSource for LocalReferrers<'_> {
    fn referrers(&self, digest: &str) -> Result<Vec<ListedReferrer>, String> {
        let mut out = Vec::new();
        for e in self.entries.iter().filter(|e| e.is_artifact()) {
            let bytes = self.files.blob(&e.digest).map_err(|e| e.to_string())?;
            let m: ManifestJson = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
            if m.subject.is_some_and(|s| s.digest == digest) {
                out.push(ListedReferrer {
                    digest: e.digest.clone(),
                    artifact_type: e.artifact_type.clone(),
                });
            }
        }
        Ok(out)
    }
    fn manifest(&self, digest: &str) -> Result<Vec<u8>, String> {
        self.files.blob(digest).map_err(|e| e.to_string())
    }
    fn blob(&self, digest: &str) -> Result<Vec<u8>, String> {
        self.files.blob(digest).map_err(|e| e.to_string())
    }
    fn tagged(&self, tag: &str) -> Result<Option<Vec<u8>>, String> {
        match self
            .entries
            .iter()
            .find(|e| e.annotations.get(REF_NAME).is_some_and(|n| n == tag))
        {
            Some(e) => self
                .files
                .blob(&e.digest)
                .map(Some)
                .map_err(|e| e.to_string()),
            None => Ok(None),
        }
    }
}

/// Referrers in a registry: the referrers API or its fallback tag.
struct RegistryReferrers<'a> {
    client: &'a Client,
    reference: &'a Reference,
}

impl ReferrerSource for RegistryReferrers<'_> {
    fn referrers(&self, digest: &str) -> Result<Vec<ListedReferrer>, String> {
        let repo = self
            .client
            .repository(&self.reference.registry, &self.reference.repository);
        Ok(repo
            .find_referrers(digest)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|d| ListedReferrer {
                digest: d.digest,
                artifact_type: d.artifact_type,
            })
            .collect())
    }
    fn manifest(&self, digest: &str) -> Result<Vec<u8>, String> {
        self.tagged(digest)?
            .ok_or_else(|| format!("the registry has no manifest {digest}"))
    }
    fn blob(&self, digest: &str) -> Result<Vec<u8>, String> {
        let repo = self
            .client
            .repository(&self.reference.registry, &self.reference.repository);
        let mut out = Vec::new();
        repo.get_blob(digest, &mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }
    fn tagged(&self, tag: &str) -> Result<Option<Vec<u8>>, String> {
        let repo = self
            .client
            .repository(&self.reference.registry, &self.reference.repository);
        Ok(repo
            .get_manifest(tag)
            .map_err(|e| e.to_string())?
            .map(|m| m.bytes))
    }
}

/// Check every attested SBOM of each platform against the packages its
/// image's database lists.
fn check_sboms(
    image: &ImageRef,
    platforms: &[(String, Subject)],
    verified: &VerifiedImage,
) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for (name, subject) in platforms {
        let platform = Platform::parse(name)?;
        let inventory = whittle_audit::inventory(image, Some(&platform))
            .with_context(|| format!("cannot read the package database of {name}"))?;
        let installed: BTreeSet<(String, String)> = inventory
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        for (kind, predicate_type) in [
            ("SPDX", predicate::SPDX),
            ("CycloneDX", predicate::CYCLONEDX),
        ] {
            for att in verified.about(&subject.digest, predicate_type) {
                let bytes = serde_json::to_vec(&att.statement.predicate)?;
                let listed = whittle_sbom::parse_sbom(&bytes, Path::new(&att.referrer))
                    .with_context(|| {
                        format!("the {kind} SBOM attested for {name} cannot be read")
                    })?;
                let attested: BTreeSet<(String, String)> = listed
                    .packages
                    .iter()
                    .map(|p| (p.name.clone(), p.version.clone()))
                    .collect();
                if attested != installed {
                    let only_sbom: Vec<String> = attested
                        .difference(&installed)
                        .map(|(n, v)| format!("{n} {v}"))
                        .collect();
                    let only_db: Vec<String> = installed
                        .difference(&attested)
                        .map(|(n, v)| format!("{n} {v}"))
                        .collect();
                    bail!(
                        "the {kind} SBOM attested for {name} ({}) does not match the image's \
                         package database: only in the SBOM: [{}]; only in the image: [{}]",
                        subject.digest,
                        only_sbom.join(", "),
                        only_db.join(", ")
                    );
                }
                lines.push(format!(
                    "sbom {name} ({kind}): {} packages, the same as the image's package database",
                    attested.len()
                ));
            }
        }
    }
    Ok(lines)
}

/// Verify; print what was verified on stdout.
pub fn run(args: &VerifyArgs) -> Result<()> {
    let pem = fs_err::read_to_string(&args.key)?;
    let key = PublicKey::from_pem(&pem)
        .with_context(|| format!("{} is not a public key", args.key.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix("whittle-verify-")
        .tempdir()
        .context("could not make a temporary directory")?;
    let location = locate(&args.image)?;
    let (path, tag) = match &location {
        Location::Local(path, tag) => (path.clone(), tag.clone()),
        Location::Remote(_) => {
            let dir = scratch.path().join("layout");
            fs_err::create_dir(&dir)?;
            crate::pull::pull(&args.image, None, &dir, &args.registry)?;
            (dir, None)
        }
    };
    let files = ImageFiles::open(&path)?;
    let client;
    let (top, platforms, verified) = match &location {
        Location::Local(..) => {
            let top = local_top(&files, tag.as_deref())?;
            let (top, platforms) = subjects(&top, &|d, _| Ok(files.blob(d)?))?;
            let index: IndexJson = serde_json::from_slice(&files.index_json()?)?;
            let source = LocalReferrers {
                files: &files,
                entries: index.manifests,
            };
            let verified = verify_image(&source, &top, &platforms, &key)?;
            (top, platforms, verified)
        }
        Location::Remote(reference) => {
            client = args.registry.client()?;
            let source = RegistryReferrers {
                client: &client,
                reference,
            };
            // The registry's own manifests: their digests are what was signed.
            let wanted = reference
                .digest
                .clone()
                .or_else(|| reference.tag_or_latest().map(str::to_string))
                .unwrap_or_else(|| "latest".into());
            let repo = client.repository(&reference.registry, &reference.repository);
            let manifest = repo
                .get_manifest(&wanted)?
                .ok_or_else(|| anyhow!("{} has no manifest {wanted}", args.image))?;
            let top = DescriptorJson {
                media_type: manifest.media_type.clone(),
                digest: manifest.digest.clone(),
                size: manifest.bytes.len() as u64,
                artifact_type: None,
                annotations: Default::default(),
                platform: None,
            };
            let read = |d: &str, is_manifest: bool| -> Result<Vec<u8>> {
                if d == manifest.digest {
                    Ok(manifest.bytes.clone())
                } else if is_manifest {
                    source.manifest(d).map_err(|e| anyhow!(e))
                } else {
                    source.blob(d).map_err(|e| anyhow!(e))
                }
            };
            let (top, platforms) = subjects(&top, &read)?;
            let verified = verify_image(&source, &top, &platforms, &key)?;
            (top, platforms, verified)
        }
    };
    let image = ImageRef { path, tag };
    let sbom_lines = check_sboms(&image, &platforms, &verified)?;
    for (digest, how) in &verified.signatures {
        println!("signature {digest}: verified ({how})");
    }
    for a in &verified.attestations {
        println!(
            "attestation {} on {} ({}): verified",
            a.statement.predicate_type, a.subject, a.platform
        );
    }
    for line in sbom_lines {
        println!("{line}");
    }
    println!("verified {} with {}", top.digest, args.key.display());
    Ok(())
}
