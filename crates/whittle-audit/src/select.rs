//! Which image of an image set to audit: by tag (the layout's
//! `org.opencontainers.image.ref.name` annotation, or docker's `RepoTags`)
//! and by platform (the index descriptor's `platform`, else the config's
//! `os`/`architecture`/`variant`). Formats: OCI image-spec `image-layout.md`,
//! `image-index.md`, `manifest.md`; docker's `manifest.json` of
//! `docker save`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::AuditError;
use crate::platform::Platform;
use crate::store::Store;

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";
/// Who made the image (annotation, or label of a docker image's config).
const VENDOR: &str = "org.opencontainers.image.vendor";
/// How deep image indexes may nest.
const MAX_DEPTH: usize = 4;

/// One layer: its member in the store and the digests to check it against.
#[derive(Debug, Clone)]
pub(crate) struct LayerRef {
    pub member: String,
    /// Digest of the (compressed) blob, from the manifest.
    pub digest: Option<String>,
    /// Size of the blob, from the manifest.
    pub size: Option<u64>,
    /// Digest of the uncompressed tar, from the config's `rootfs.diff_ids`.
    pub diff_id: Option<String>,
}

#[derive(Deserialize, Clone)]
struct Descriptor {
    #[serde(default)]
    digest: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    platform: Option<PlatformJson>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default, rename = "artifactType")]
    artifact_type: Option<String>,
}

impl Descriptor {
    /// A signature, attestation or SBOM stored beside the images (an OCI
    /// 1.1 referrer, or cosign's `sha256-<hex>.sig`/`.att`/`.sbom` tag),
    /// not an image.
    fn is_attached_artifact(&self) -> bool {
        // apko lists its images with the image config's type as their
        // artifact type; anything else is an artifact.
        if self
            .artifact_type
            .as_deref()
            .is_some_and(|t| t != "application/vnd.oci.image.config.v1+json")
        {
            return true;
        }
        [REF_NAME, CONTAINERD_NAME]
            .iter()
            .filter_map(|k| self.annotations.get(*k))
            .any(|name| {
                let tag = name.rsplit(':').next().unwrap_or(name);
                tag.strip_prefix("sha256-").is_some_and(|rest| {
                    let (hex, suffix) = rest.split_at(rest.len().min(64));
                    hex.len() == 64 && matches!(suffix, ".sig" | ".att" | ".sbom" | "")
                })
            })
    }
}

#[derive(Deserialize, Clone)]
struct PlatformJson {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

/// An image index or an image manifest: which one it is shows in which
/// fields it has.
#[derive(Deserialize)]
struct IndexOrManifest {
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct ConfigJson {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    rootfs: RootFsJson,
    #[serde(default)]
    config: Option<ContainerConfigJson>,
}

#[derive(Deserialize, Default)]
struct ContainerConfigJson {
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, String>>,
}

impl ConfigJson {
    /// A label of the container config.
    fn label(&self, key: &str) -> Option<String> {
        self.config.as_ref()?.labels.as_ref()?.get(key).cloned()
    }
}

#[derive(Deserialize, Default)]
struct RootFsJson {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize)]
struct DockerEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

/// One image of the set: its platform and how to reach its layers.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub platform: Platform,
    /// The manifest's digest (OCI images; docker archives have none).
    pub manifest: Option<String>,
    /// The layers, bottom first.
    pub layers: Vec<LayerRef>,
    /// The name it is tagged with (`registry.example/app:1.0`), if any.
    pub ref_name: Option<String>,
    /// The config's `created` (RFC 3339), if any.
    pub created: Option<String>,
    /// `org.opencontainers.image.vendor`, from the manifest's annotations
    /// or the config's labels.
    pub vendor: Option<String>,
    /// The recipe contents whittle recorded on the image's `index.json`
    /// entry (or in its manifest's annotations)
    /// ([`whittle_recipe::CONTENTS_ANNOTATION`]), if any.
    pub recipe_contents: Option<String>,
}

/// Every image of `store` that `tag` picks out (all without a tag), in
/// the order the image lists them.
pub(crate) fn candidates(store: &Store, tag: Option<&str>) -> Result<Vec<Candidate>, AuditError> {
    if store.has("index.json") {
        oci_candidates(store, tag)
    } else if store.has("manifest.json") {
        docker_candidates(store, tag)
    } else if let Some(cut) = store.missing_from_cut_archive() {
        Err(cut)
    } else {
        Err(AuditError::NotAnImage {
            path: store.image().to_path_buf(),
            reason: "it has neither index.json (an OCI image layout) nor manifest.json (a docker-archive)".into(),
        })
    }
}

/// Which of `candidates` to read for `wanted` (default: the only one,
/// else the host's).
pub(crate) fn choose(
    store: &Store,
    candidates: &[Candidate],
    wanted: Option<&Platform>,
) -> Result<usize, AuditError> {
    let available: Vec<Platform> = candidates.iter().map(|c| c.platform.clone()).collect();
    let list = || {
        let names: Vec<String> = available.iter().map(Platform::to_string).collect();
        if names.is_empty() {
            "no images".to_string()
        } else {
            names.join(", ")
        }
    };
    match wanted {
        Some(w) => candidates
            .iter()
            .position(|c| c.platform.satisfies(w))
            .ok_or_else(|| AuditError::NoSuchPlatform {
                image: store.image().to_path_buf(),
                wanted: w.to_string(),
                available: list(),
            }),
        None if candidates.len() == 1 => Ok(0),
        None => {
            let host = Platform::host();
            candidates
                .iter()
                .position(|c| c.platform.satisfies(&host))
                .ok_or_else(|| match available.first() {
                    Some(first) => AuditError::ChoosePlatform {
                        image: store.image().to_path_buf(),
                        host: host.to_string(),
                        available: list(),
                        example: first.to_string(),
                    },
                    None => AuditError::NotAnImage {
                        path: store.image().to_path_buf(),
                        reason: "its index lists no image manifests".into(),
                    },
                })
        }
    }
}

/// Whether a reference name is the tag asked for: the whole reference
/// (`registry.example/app:1.0`) or its tag part (`1.0`).
fn tag_matches(name: &str, tag: &str) -> bool {
    if name == tag {
        return true;
    }
    let last = name.rsplit('/').next().unwrap_or(name);
    last.rsplit_once(':').is_some_and(|(_, t)| t == tag)
}

/// The tops of `index.json` the tag picks out (all of them without a tag,
/// unless they carry different names).
fn pick_tagged<T, F>(
    store: &Store,
    items: Vec<T>,
    names: F,
    tag: Option<&str>,
) -> Result<Vec<T>, AuditError>
where
    F: Fn(&T) -> Vec<String>,
{
    let mut all: Vec<String> = items.iter().flat_map(&names).collect();
    all.sort();
    all.dedup();
    let available = if all.is_empty() {
        "no tags".to_string()
    } else {
        all.join(", ")
    };
    match tag {
        Some(tag) => {
            let picked: Vec<T> = items
                .into_iter()
                .filter(|i| names(i).iter().any(|n| tag_matches(n, tag)))
                .collect();
            if picked.is_empty() {
                return Err(AuditError::NoSuchTag {
                    image: store.image().to_path_buf(),
                    tag: tag.to_string(),
                    available,
                });
            }
            Ok(picked)
        }
        None if all.len() > 1 => Err(AuditError::ChooseTag {
            image: store.image().to_path_buf(),
            available,
        }),
        None => Ok(items),
    }
}

fn oci_candidates(store: &Store, tag: Option<&str>) -> Result<Vec<Candidate>, AuditError> {
    let index: IndexOrManifest = store.read_json("index.json", "image index")?;
    let tops: Vec<Descriptor> = index
        .manifests
        .unwrap_or_default()
        .into_iter()
        .filter(|d| !d.is_attached_artifact())
        .collect();
    let tops = pick_tagged(
        store,
        tops,
        |d| {
            [REF_NAME, CONTAINERD_NAME]
                .iter()
                .filter_map(|k| d.annotations.get(*k).cloned())
                .take(1)
                .collect()
        },
        tag,
    )?;
    let mut out = Vec::new();
    for top in &tops {
        let first = out.len();
        expand(store, top, "index.json", 0, &mut out)?;
        let name = [REF_NAME, CONTAINERD_NAME]
            .iter()
            .find_map(|k| top.annotations.get(*k));
        let contents = top.annotations.get(whittle_recipe::CONTENTS_ANNOTATION);
        for c in &mut out[first..] {
            c.ref_name = name.cloned();
            if c.recipe_contents.is_none() {
                c.recipe_contents = contents.cloned();
            }
        }
    }
    Ok(out)
}

/// Follow a descriptor down to image manifests.
fn expand(
    store: &Store,
    desc: &Descriptor,
    from: &str,
    depth: usize,
    out: &mut Vec<Candidate>,
) -> Result<(), AuditError> {
    // Attestations and other artefacts carry an `unknown` platform.
    if desc.platform.as_ref().is_some_and(|p| p.os == "unknown") {
        return Ok(());
    }
    let member = blob_member(store, &desc.digest, from)?;
    if depth > MAX_DEPTH {
        return Err(AuditError::NotAnImage {
            path: store.image().to_path_buf(),
            reason: format!("its image indexes nest deeper than {MAX_DEPTH} levels at {member}"),
        });
    }
    let doc: IndexOrManifest = store.read_json(&member, "image index or manifest")?;
    if let Some(children) = doc.manifests {
        for child in &children {
            expand(store, child, &member, depth + 1, out)?;
        }
        return Ok(());
    }
    let (Some(config_desc), Some(layers)) = (doc.config, doc.layers) else {
        return Ok(()); // neither an index nor an image manifest
    };
    let config_member = blob_member(store, &config_desc.digest, &member)?;
    let config: ConfigJson = store.read_json(&config_member, "image config")?;
    let platform = match &desc.platform {
        Some(p) => platform_of(&p.os, &p.architecture, p.variant.as_deref()),
        None => platform_of(&config.os, &config.architecture, config.variant.as_deref()),
    };
    let diff_ids = diff_ids(&config, layers.len());
    let mut refs = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        refs.push(LayerRef {
            member: blob_member(store, &layer.digest, &member)?,
            digest: Some(layer.digest.clone()),
            size: layer.size,
            diff_id: diff_ids.get(i).cloned().flatten(),
        });
    }
    out.push(Candidate {
        platform,
        manifest: Some(desc.digest.clone()),
        layers: refs,
        ref_name: None,
        vendor: doc
            .annotations
            .get(VENDOR)
            .cloned()
            .or_else(|| config.label(VENDOR)),
        recipe_contents: doc
            .annotations
            .get(whittle_recipe::CONTENTS_ANNOTATION)
            .cloned(),
        created: config.created,
    });
    Ok(())
}

fn docker_candidates(store: &Store, tag: Option<&str>) -> Result<Vec<Candidate>, AuditError> {
    let entries: Vec<DockerEntry> = store.read_json("manifest.json", "docker-archive manifest")?;
    let entries = pick_tagged(
        store,
        entries,
        |e| e.repo_tags.clone().unwrap_or_default(),
        tag,
    )?;
    let mut out = Vec::new();
    for entry in entries {
        let config: ConfigJson = store.read_json(&entry.config, "image config")?;
        let platform = platform_of(&config.os, &config.architecture, config.variant.as_deref());
        let diff_ids = diff_ids(&config, entry.layers.len());
        let layers = entry
            .layers
            .into_iter()
            .enumerate()
            .map(|(i, member)| LayerRef {
                member,
                digest: None,
                size: None,
                diff_id: diff_ids.get(i).cloned().flatten(),
            })
            .collect();
        out.push(Candidate {
            platform,
            manifest: None,
            layers,
            ref_name: entry.repo_tags.as_ref().and_then(|t| t.first().cloned()),
            vendor: config.label(VENDOR),
            recipe_contents: None,
            created: config.created,
        });
    }
    Ok(out)
}

/// The config's diff IDs when there is one per layer (else none are
/// checked: the count itself is then wrong, which runtimes refuse).
fn diff_ids(config: &ConfigJson, layers: usize) -> Vec<Option<String>> {
    if config.rootfs.diff_ids.len() == layers {
        config.rootfs.diff_ids.iter().cloned().map(Some).collect()
    } else {
        vec![None; layers]
    }
}

fn platform_of(os: &str, arch: &str, variant: Option<&str>) -> Platform {
    Platform {
        os: if os.is_empty() { "linux" } else { os }.to_string(),
        architecture: arch.to_string(),
        variant: variant.filter(|v| !v.is_empty()).map(str::to_string),
    }
}

/// `blobs/sha256/<hex>` for a digest, checked to be well formed (it
/// becomes a file name).
pub(crate) fn blob_member(store: &Store, digest: &str, from: &str) -> Result<String, AuditError> {
    match digest.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            Ok(format!("blobs/sha256/{hex}"))
        }
        _ => Err(AuditError::BadDigest {
            image: store.image().to_path_buf(),
            member: from.to_string(),
            digest: digest.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::tag_matches;

    #[test]
    fn tags_match_whole_or_tag_part() {
        assert!(tag_matches("registry.example/app:1.0", "1.0"));
        assert!(tag_matches(
            "registry.example/app:1.0",
            "registry.example/app:1.0"
        ));
        assert!(tag_matches("latest", "latest"));
        assert!(!tag_matches("registry.example:5000/app", "5000/app"));
        assert!(!tag_matches("registry.example/app:1.0", "1"));
    }
}
