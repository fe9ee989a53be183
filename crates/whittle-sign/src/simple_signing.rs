//! cosign v2's legacy signatures (cosign `specs/SIGNATURE_SPEC.md`): a
//! "simple signing" payload (containers/image `containers-signature.5`,
//! type `cosign container image signature`) signed as it is, stored as an
//! image under the tag `sha256-<hex>.sig` whose layers are the payloads
//! (`application/vnd.dev.cosign.simplesigning.v1+json`), each carrying its
//! base64 signature in the `dev.cosignproject.cosign/signature` annotation.
//! The config is what go-containerregistry writes for such an image.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::artifact::{sha256_digest, Artifact, Descriptor, ManifestJson, OCI_MANIFEST};
use crate::error::{BundleError, VerifyError};
use crate::key::PublicKey;

/// The media type of a payload layer.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer annotation holding the payload's base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The `critical.type` of a cosign payload.
pub const COSIGN_SIGNATURE_TYPE: &str = "cosign container image signature";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Go's zero time, which go-containerregistry writes when none is set.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

#[derive(Serialize, Deserialize)]
struct Payload {
    critical: Critical,
    /// cosign writes `null` without annotations.
    #[serde(default)]
    optional: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Serialize, Deserialize)]
struct Critical {
    identity: Identity,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Serialize, Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Serialize, Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// The config go-containerregistry writes for the signature image.
#[derive(Serialize)]
struct Config<'a> {
    architecture: &'a str,
    created: &'a str,
    history: Vec<History<'a>>,
    os: &'a str,
    rootfs: RootFs,
    config: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct History<'a> {
    created: &'a str,
}

#[derive(Serialize)]
struct RootFs {
    #[serde(rename = "type")]
    kind: &'static str,
    diff_ids: Vec<String>,
}

/// One payload layer of a signature image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureLayer {
    /// The payload blob's digest.
    pub digest: String,
    /// Its size.
    pub size: u64,
    /// The base64 signature from its annotation.
    pub signature: String,
}

/// The payload cosign signs for the image `manifest_digest` pushed as
/// `docker_reference` (the repository, as cosign v2 writes it).
pub fn payload(docker_reference: &str, manifest_digest: &str) -> Vec<u8> {
    let payload = Payload {
        critical: Critical {
            identity: Identity {
                docker_reference: docker_reference.to_owned(),
            },
            image: Image {
                docker_manifest_digest: manifest_digest.to_owned(),
            },
            kind: COSIGN_SIGNATURE_TYPE.to_owned(),
        },
        optional: None,
    };
    // Strings only: always serialises.
    serde_json::to_vec(&payload).unwrap_or_default()
}

/// The tag cosign stores an image's signatures under: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

/// The signature image for `entries` (payload, base64 signature), one
/// layer each in order; `created` (RFC 3339) dates the config, else Go's
/// zero time as cosign writes by default.
pub fn signature_artifact(entries: &[(Vec<u8>, String)], created: Option<&str>) -> Artifact {
    let created = created.unwrap_or(ZERO_TIME);
    let layers: Vec<Descriptor> = entries
        .iter()
        .map(|(payload, signature)| {
            let mut layer = Descriptor::of(SIMPLE_SIGNING_MEDIA_TYPE, payload);
            layer
                .annotations
                .insert(SIGNATURE_ANNOTATION.to_owned(), signature.clone());
            layer
        })
        .collect();
    let config = Config {
        architecture: "",
        created,
        history: layers.iter().map(|_| History { created }).collect(),
        os: "",
        rootfs: RootFs {
            kind: "layers",
            diff_ids: layers.iter().map(|l| l.digest.clone()).collect(),
        },
        config: BTreeMap::new(),
    };
    let config_json = serde_json::to_vec(&config).unwrap_or_default();
    let config_descriptor = Descriptor::of(OCI_CONFIG, &config_json);
    let mut blobs = vec![(config_descriptor.digest.clone(), config_json)];
    for (layer, (payload, _)) in layers.iter().zip(entries) {
        if !blobs.iter().any(|(d, _)| *d == layer.digest) {
            blobs.push((layer.digest.clone(), payload.clone()));
        }
    }
    let manifest = ManifestJson {
        schema_version: 2,
        media_type: OCI_MANIFEST.to_owned(),
        artifact_type: None,
        config: config_descriptor,
        layers,
        subject: None,
        annotations: BTreeMap::new(),
    };
    Artifact {
        manifest: manifest.to_vec(),
        media_type: OCI_MANIFEST.to_owned(),
        artifact_type: SIMPLE_SIGNING_MEDIA_TYPE.to_owned(),
        blobs,
        annotations: BTreeMap::new(),
    }
}

/// The payload layers of a signature image's manifest (layers of another
/// media type, or without a signature, are skipped).
pub fn read_signature_artifact(manifest: &[u8]) -> Result<Vec<SignatureLayer>, BundleError> {
    let manifest: ManifestJson =
        serde_json::from_slice(manifest).map_err(|e| BundleError::Malformed {
            what: format!("signature manifest JSON: {e}"),
        })?;
    Ok(manifest
        .layers
        .into_iter()
        .filter(|l| l.media_type == SIMPLE_SIGNING_MEDIA_TYPE)
        .filter_map(|l| {
            let signature = l.annotations.get(SIGNATURE_ANNOTATION)?.clone();
            Some(SignatureLayer {
                digest: l.digest,
                size: l.size,
                signature,
            })
        })
        .collect())
}

/// Check a legacy signature: `sig_b64` over `payload` with `key`, a cosign
/// payload, for `manifest_digest`.
pub fn verify_payload(
    key: &PublicKey,
    payload: &[u8],
    sig_b64: &str,
    manifest_digest: &str,
) -> Result<(), VerifyError> {
    let signature = crate::b64::decode(sig_b64.trim()).map_err(|e| VerifyError::BadSignature {
        reason: format!("the signature annotation is not base64 ({e})"),
    })?;
    key.verify(payload, &signature)?;
    let parsed: Payload = serde_json::from_slice(payload).map_err(|e| VerifyError::Malformed {
        what: format!("simple signing payload: {e}"),
    })?;
    if parsed.critical.kind != COSIGN_SIGNATURE_TYPE {
        return Err(VerifyError::Malformed {
            what: format!(
                "simple signing payload: its type is {:?}, not {COSIGN_SIGNATURE_TYPE:?}",
                parsed.critical.kind
            ),
        });
    }
    let found = parsed.critical.image.docker_manifest_digest;
    if !found.eq_ignore_ascii_case(manifest_digest) {
        return Err(VerifyError::OtherDigest {
            expected: manifest_digest.to_owned(),
            found,
        });
    }
    Ok(())
}

/// `sha256:<hex>` of a payload, the layer digest cosign gives it.
pub fn payload_digest(payload: &[u8]) -> String {
    sha256_digest(payload)
}
