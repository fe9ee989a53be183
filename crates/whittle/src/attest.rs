//! Signing what a build made, before it is written: the signatures, SBOM
//! attestations and provenance (`whittle-attest`) go into the archive or
//! layout beside the image, so it can be verified before it is pushed.

use std::collections::BTreeMap;
use std::sync::Arc;

use whittle_attest::{
    attest, ImageFacts, PlatformFacts, Provenance, ProvenancePackage, SbomDocument, SignFormat,
    SignOptions, SigningKey, Subject,
};
use whittle_oci::{image_manifests, ImageSet, ManifestRef, Referrer};
use whittle_sbom::SbomFormat;

use crate::build::BuildRequest;
use crate::error::BuildError;

/// How to sign a build.
#[derive(Clone)]
pub struct Signing {
    /// The key.
    pub key: Arc<SigningKey>,
    /// Sign each platform manifest too.
    pub recursive: bool,
    /// How image signatures are written.
    pub format: SignFormat,
    /// The recipe's name as given, for the provenance.
    pub recipe: String,
    /// `sha256:<hex>` of the recipe file.
    pub recipe_digest: String,
    /// `sha256:<hex>` of the lock file installed from, if any.
    pub lock_digest: Option<String>,
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signing")
            .field("recursive", &self.recursive)
            .field("format", &self.format)
            .field("recipe", &self.recipe)
            .finish_non_exhaustive()
    }
}

/// One platform as the build made it, for signing.
pub(crate) struct PlatformSbom<'a> {
    pub input: &'a whittle_sbom::SbomInput,
}

fn subject(m: &ManifestRef) -> Subject {
    Subject {
        media_type: m.media_type.clone(),
        digest: m.digest.clone(),
        size: m.size,
    }
}

/// The repository part of a tag (`reg/team/app:1` → `reg/team/app`).
fn repository(tag: &str) -> &str {
    let tag = tag.split('@').next().unwrap_or(tag);
    let name_start = tag.rfind('/').map_or(0, |i| i + 1);
    match tag[name_start..].rfind(':') {
        Some(i) => &tag[..name_start + i],
        None => tag,
    }
}

/// The referrers that sign and attest `set`.
pub(crate) fn sign_set(
    req: &BuildRequest,
    signing: &Signing,
    set: &ImageSet,
    platforms: &[PlatformSbom<'_>],
    epoch: i64,
) -> Result<Vec<Referrer>, BuildError> {
    let (top, manifests) = image_manifests(set).map_err(BuildError::Attest)?;
    let mut formats = req.sbom_formats.clone();
    if formats.is_empty() {
        formats.push(SbomFormat::Spdx);
    }
    formats.sort();
    formats.dedup();
    let created = whittle_oci::rfc3339(epoch);
    let mut facts_platforms = Vec::new();
    let mut packages = BTreeMap::new();
    for ((platform, manifest), p) in manifests.iter().zip(platforms) {
        let mut input = p.input.clone();
        input.image_digest = Some(manifest.digest.clone());
        input.supplier = crate::build::image_supplier(req);
        let sboms = formats
            .iter()
            .map(|&format| SbomDocument {
                predicate_type: match format {
                    SbomFormat::Spdx => whittle_attest::predicate::SPDX,
                    SbomFormat::CycloneDx => whittle_attest::predicate::CYCLONEDX,
                },
                json: whittle_sbom::render(format, &input).into_bytes(),
            })
            .collect();
        let name = match &platform.variant {
            Some(v) => format!("{}/{}/{v}", platform.os, platform.architecture),
            None => format!("{}/{}", platform.os, platform.architecture),
        };
        facts_platforms.push(PlatformFacts {
            platform: name,
            manifest: subject(manifest),
            sboms,
        });
        let listed = input
            .packages
            .iter()
            .filter(|pkg| !pkg.excluded)
            .map(|pkg| ProvenancePackage {
                name: pkg.name.clone(),
                version: pkg.version.clone(),
                arch: pkg.arch.clone(),
                purl: pkg.purl.clone(),
                digest: pkg
                    .checksums
                    .iter()
                    .map(|(alg, hex)| (alg.to_ascii_lowercase(), hex.clone()))
                    .collect(),
            })
            .collect();
        packages.insert(input.arch.clone(), listed);
    }
    let facts = ImageFacts {
        top: subject(&top),
        platforms: facts_platforms,
        repository: repository(&req.tag).to_string(),
        created: created.clone(),
        provenance: Provenance {
            recipe: signing.recipe.clone(),
            recipe_digest: signing.recipe_digest.clone(),
            lock_digest: signing.lock_digest.clone(),
            archs: packages.keys().cloned().collect(),
            build_date: created,
            packages,
            whittle_version: env!("CARGO_PKG_VERSION").to_string(),
        },
    };
    let options = SignOptions {
        key: &signing.key,
        recursive: signing.recursive,
        format: signing.format,
    };
    attest(&facts, &options).map_err(BuildError::Sign)
}

#[cfg(test)]
mod tests {
    use super::repository;

    #[test]
    fn repository_of_tags() {
        assert_eq!(repository("reg:5000/team/app:1.2"), "reg:5000/team/app");
        assert_eq!(repository("reg:5000/app"), "reg:5000/app");
        assert_eq!(repository("app@sha256:ab"), "app");
    }
}
