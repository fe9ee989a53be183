//! Pushing the image of an OCI image layout directory (image-spec
//! `image-layout.md`) to one or more references: blobs, per-platform
//! manifests, the index last, then the tags. Idempotent.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::client::{Client, Repository};
use crate::error::RegistryError;
use crate::manifest::{is_index, sha256_digest, Descriptor, ImageManifest, Index};
use crate::reference::{check_digest, Reference};
use crate::upload::{BlobPush, BlobSource};

/// How many blobs are pushed at once.
const PARALLEL_BLOBS: usize = 4;

/// Hears about a push as it goes. Called from several threads.
pub trait PushProgress: Send + Sync {
    /// A blob was pushed, mounted, or found present.
    fn on_blob(&self, digest: &str, size: u64, outcome: &BlobPush);
    /// A manifest is in place under `reference` (a digest or a tag).
    fn on_manifest(&self, reference: &str, digest: &str);
}

/// A [`PushProgress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl PushProgress for NoProgress {
    fn on_blob(&self, _digest: &str, _size: u64, _outcome: &BlobPush) {}
    fn on_manifest(&self, _reference: &str, _digest: &str) {}
}

/// What [`push_layout`] pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedImage {
    /// The digest of the top manifest (index or image manifest).
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Its size.
    pub size: u64,
    /// The per-platform manifests (with their platforms), or the single
    /// image manifest.
    pub manifests: Vec<Descriptor>,
    /// Blobs uploaded (over every target).
    pub uploaded_blobs: usize,
    /// Bytes uploaded (over every target).
    pub uploaded_bytes: u64,
    /// Blobs found present or mounted (over every target).
    pub existing_blobs: usize,
}

/// The image in a layout: its manifests' bytes and the blobs they name.
struct LayoutImage {
    top: Descriptor,
    top_bytes: Vec<u8>,
    /// Per-platform manifests and their bytes (empty for a single manifest).
    children: Vec<(Descriptor, Vec<u8>)>,
    /// Configs and layers, each once, in manifest order.
    blobs: Vec<Descriptor>,
}

/// Push the image of the layout at `layout` (its `index.json` holds exactly
/// one descriptor) to every target. Per target: all blobs (4 at a time;
/// mounted from the first target's repository when on the same registry),
/// the per-platform manifests by digest, the top manifest by digest, then
/// its tag (a target without tag or digest means `latest`; a digest-only
/// target is checked against the image's digest). A manifest the
/// registry already has under that reference is not sent again, so pushing
/// the same layout twice only sends `HEAD` requests.
pub fn push_layout(
    client: &Client,
    layout: &Path,
    targets: &[Reference],
    progress: &dyn PushProgress,
) -> Result<PushedImage, RegistryError> {
    let image = read_layout(layout)?;
    let mut pushed = PushedImage {
        digest: image.top.digest.clone(),
        media_type: image.top.media_type.clone(),
        size: image.top.size,
        manifests: if image.children.is_empty() {
            vec![image.top.clone()]
        } else {
            image.children.iter().map(|(d, _)| d.clone()).collect()
        },
        uploaded_blobs: 0,
        uploaded_bytes: 0,
        existing_blobs: 0,
    };
    for (i, target) in targets.iter().enumerate() {
        if let Some(wanted) = &target.digest {
            if *wanted != image.top.digest {
                return Err(RegistryError::InvalidReference {
                    input: target.to_string(),
                    reason: format!(
                        "the image in {} has digest {}",
                        layout.display(),
                        image.top.digest
                    ),
                });
            }
        }
        let repo = client.repository(&target.registry, &target.repository);
        // Mount from the first target's repository on the same registry.
        let mount: Vec<&str> = targets[..i]
            .iter()
            .filter(|t| t.registry == target.registry && t.repository != target.repository)
            .map(|t| t.repository.as_str())
            .take(1)
            .collect();
        for outcome in push_blobs(&repo, layout, &image.blobs, &mount, progress)? {
            match outcome {
                BlobPush::Uploaded { bytes } => {
                    pushed.uploaded_blobs += 1;
                    pushed.uploaded_bytes += bytes;
                }
                BlobPush::Existed | BlobPush::Mounted => pushed.existing_blobs += 1,
            }
        }
        // Per-platform manifests, the top one, then the tag.
        for (child, bytes) in &image.children {
            put_if_absent(&repo, &child.digest, &child.media_type, bytes, progress)?;
        }
        put_if_absent(
            &repo,
            &image.top.digest,
            &image.top.media_type,
            &image.top_bytes,
            progress,
        )?;
        if let Some(tag) = target.tag_or_latest() {
            put_if_absent(
                &repo,
                tag,
                &image.top.media_type,
                &image.top_bytes,
                progress,
            )?;
        }
    }
    Ok(pushed)
}

fn put_if_absent(
    repo: &Repository<'_>,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
    progress: &dyn PushProgress,
) -> Result<(), RegistryError> {
    let digest = sha256_digest(bytes);
    let present = repo
        .manifest_exists(reference)?
        .is_some_and(|d| d.digest == digest);
    if !present {
        repo.put_manifest(reference, media_type, bytes)?;
    }
    progress.on_manifest(reference, &digest);
    Ok(())
}

/// Push `blobs` with up to [`PARALLEL_BLOBS`] threads; outcomes in `blobs` order.
fn push_blobs(
    repo: &Repository<'_>,
    layout: &Path,
    blobs: &[Descriptor],
    mount: &[&str],
    progress: &dyn PushProgress,
) -> Result<Vec<BlobPush>, RegistryError> {
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(vec![None; blobs.len()]);
    let failure: Mutex<Option<RegistryError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_BLOBS.min(blobs.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(blob) = blobs.get(i) else { break };
                if lock(&failure).is_some() {
                    break;
                }
                let path = blob_path(layout, &blob.digest);
                let source = BlobSource::File {
                    digest: blob.digest.clone(),
                    size: blob.size,
                    path: &path,
                };
                match repo.push_blob(&source, mount) {
                    Ok(outcome) => {
                        progress.on_blob(&blob.digest, blob.size, &outcome);
                        lock(&outcomes)[i] = Some(outcome);
                    }
                    Err(e) => {
                        lock(&failure).get_or_insert(e);
                        break;
                    }
                }
            });
        }
    });
    if let Some(e) = failure
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(e);
    }
    Ok(outcomes
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn blob_path(layout: &Path, digest: &str) -> PathBuf {
    let (algorithm, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
    layout.join("blobs").join(algorithm).join(hex)
}

/// Read `index.json`, the manifests it leads to, and list the blobs.
fn read_layout(layout: &Path) -> Result<LayoutImage, RegistryError> {
    let index_path = layout.join("index.json");
    let index: Index = read_json(&index_path)?;
    // Signatures and attestations stored beside the image (referrers, and
    // cosign's `sha256-<hex>.sig` tags) are pushed by whoever made them.
    let images: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|d| {
            d.artifact_type
                .as_deref()
                .is_none_or(|t| t == crate::manifest::OCI_CONFIG)
        })
        .filter(|d| {
            !d.annotations
                .get("org.opencontainers.image.ref.name")
                .is_some_and(|n| n.starts_with("sha256-"))
        })
        .collect();
    let [top] = images[..] else {
        return Err(config_error(
            &index_path,
            format!("holds {} manifests; push needs exactly one", images.len()),
        ));
    };
    let top_bytes = read_blob(layout, top)?;
    let mut children = Vec::new();
    let image_manifests = if is_index(&top.media_type) {
        let path = blob_path(layout, &top.digest);
        let child_index: Index = parse_json(&path, &top_bytes)?;
        for child in child_index.manifests {
            if is_index(&child.media_type) {
                return Err(config_error(
                    &path,
                    format!("nested index {} is not supported", child.digest),
                ));
            }
            let bytes = read_blob(layout, &child)?;
            children.push((child, bytes));
        }
        children
            .iter()
            .map(|(d, b)| (d.clone(), b.clone()))
            .collect()
    } else {
        vec![(top.clone(), top_bytes.clone())]
    };
    let mut blobs: Vec<Descriptor> = Vec::new();
    for (descriptor, bytes) in &image_manifests {
        let manifest: ImageManifest = parse_json(&blob_path(layout, &descriptor.digest), bytes)?;
        for blob in std::iter::once(manifest.config).chain(manifest.layers) {
            if !blobs.iter().any(|b| b.digest == blob.digest) {
                check_blob_file(layout, &blob)?;
                blobs.push(blob);
            }
        }
    }
    Ok(LayoutImage {
        top: top.clone(),
        top_bytes,
        children,
        blobs,
    })
}

/// A manifest blob's bytes, checked against its descriptor.
fn read_blob(layout: &Path, descriptor: &Descriptor) -> Result<Vec<u8>, RegistryError> {
    check_digest(&descriptor.digest)
        .map_err(|reason| config_error(&layout.join("index.json"), reason))?;
    let path = blob_path(layout, &descriptor.digest);
    let bytes = fs_err::read(&path).map_err(|e| RegistryError::io(&path, e))?;
    if sha256_digest(&bytes) != descriptor.digest {
        return Err(config_error(
            &path,
            format!("does not hash to {}", descriptor.digest),
        ));
    }
    Ok(bytes)
}

/// A layer or config file exists and has its descriptor's size.
fn check_blob_file(layout: &Path, descriptor: &Descriptor) -> Result<(), RegistryError> {
    check_digest(&descriptor.digest)
        .map_err(|reason| config_error(&layout.join("index.json"), reason))?;
    let path = blob_path(layout, &descriptor.digest);
    let size = fs_err::metadata(&path)
        .map_err(|e| RegistryError::io(&path, e))?
        .len();
    if size != descriptor.size {
        return Err(config_error(
            &path,
            format!("has {size} bytes, its descriptor says {}", descriptor.size),
        ));
    }
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, RegistryError> {
    let bytes = fs_err::read(path).map_err(|e| RegistryError::io(path, e))?;
    parse_json(path, &bytes)
}

fn parse_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> Result<T, RegistryError> {
    serde_json::from_slice(bytes)
        .map_err(|e| config_error(path, format!("not a valid OCI document: {e}")))
}

fn config_error(path: &Path, reason: String) -> RegistryError {
    RegistryError::Config {
        path: path.to_path_buf(),
        reason,
    }
}
