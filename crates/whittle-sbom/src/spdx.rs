//! SPDX 2.3 JSON documents for an image and for a multi-arch image index.

use std::collections::BTreeSet;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::actor::spdx_actor;
use crate::checksum::{self, SHA256};
use crate::common::{
    digest, hash_hex, one_line, rfc3339_utc, sanitize_id, sha256_hex, tool_name, unique_id,
    without_userinfo,
};
use crate::input::{SbomIndexInput, SbomInput, SbomPackage};
use crate::license::{self, LicenseRefs};
use crate::purl::{oci_purl, parse_image_ref, purl_is_plausible, purl_type};

/// Comment on a package the recipe excluded.
pub(crate) const EXCLUDED_COMMENT: &str =
    "excluded by the recipe: treated as provided, not installed";

const NOASSERTION: &str = "NOASSERTION";

// ---------------------------------------------------------------------------
// Serialized shapes. Field order here is the key order in the output.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    spdx_version: &'static str,
    data_license: &'static str,
    name: String,
    document_namespace: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    creation_info: CreationInfo,
    packages: Vec<Package>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicensingInfo>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    supplier: String,
    download_location: String,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    license_concluded: String,
    license_declared: String,
    copyright_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
}

impl Package {
    /// A package with every optional field empty and every required one
    /// `NOASSERTION`.
    fn bare(spdx_id: String, name: String) -> Package {
        Package {
            spdx_id,
            name,
            version_info: None,
            supplier: NOASSERTION.to_string(),
            download_location: NOASSERTION.to_string(),
            files_analyzed: false,
            checksums: Vec::new(),
            source_info: None,
            license_concluded: NOASSERTION.to_string(),
            license_declared: NOASSERTION.to_string(),
            copyright_text: NOASSERTION.to_string(),
            comment: None,
            external_refs: Vec::new(),
            primary_package_purpose: None,
        }
    }
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct Checksum {
    algorithm: &'static str,
    #[serde(rename = "checksumValue")]
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

impl ExternalRef {
    fn purl(locator: String) -> ExternalRef {
        ExternalRef {
            reference_category: "PACKAGE-MANAGER",
            reference_type: "purl",
            reference_locator: locator,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

impl Relationship {
    fn new(from: &str, ty: &'static str, to: &str) -> Relationship {
        Relationship {
            spdx_element_id: from.to_string(),
            relationship_type: ty,
            related_spdx_element: to.to_string(),
            comment: None,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicensingInfo {
    license_id: String,
    extracted_text: String,
    name: String,
    comment: &'static str,
}

// ---------------------------------------------------------------------------
// Building.

const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
const IMAGE_ID: &str = "SPDXRef-Package-image";
const OS_ID: &str = "SPDXRef-OperatingSystem";
const INDEX_ID: &str = "SPDXRef-Package-index";

/// SPDX 2.3 JSON for one image: `SPDXRef-DOCUMENT DESCRIBES SPDXRef-Package-image`,
/// the image `CONTAINS` every installed package (and the operating system,
/// when `distro` is known), and each excluded package is listed with a
/// comment and related by `PROVIDED_DEPENDENCY_OF` the image.
///
/// The output is deterministic: packages are sorted, keys come in a fixed
/// order, and `documentNamespace` ends with a hash of the rest of the
/// document, so the same input gives the same bytes and a different input a
/// different namespace. The text is pretty-printed and ends with a newline.
pub fn spdx_json(input: &SbomInput) -> String {
    let mut refs = LicenseRefs::default();
    let mut packages = Vec::new();
    let mut relationships = vec![Relationship::new(DOCUMENT_ID, "DESCRIBES", IMAGE_ID)];

    // The image.
    let image_ref = parse_image_ref(&input.image_name);
    let mut image = Package::bare(IMAGE_ID.to_string(), input.image_name.clone());
    if let Some(digest) = digest(input.image_digest.as_deref()) {
        image.version_info = Some(digest.to_string());
        image.checksums = digest_checksum(digest).into_iter().collect();
        image.external_refs = vec![ExternalRef::purl(oci_purl(
            &image_ref,
            digest,
            Some(&input.arch),
        ))];
    }
    image.supplier = actor_or_noassertion(input.image_supplier().as_deref());
    image.primary_package_purpose = Some("CONTAINER");
    image.comment = Some(format!("OCI image for {}", one_line(&input.arch)));
    packages.push(image);

    // The operating system.
    if let Some((id, version)) = &input.distro {
        let mut os = Package::bare(OS_ID.to_string(), id.clone());
        os.version_info = (!version.is_empty()).then(|| version.clone());
        os.supplier = actor_or_noassertion(input.distro_supplier().as_deref());
        os.primary_package_purpose = Some("OPERATING-SYSTEM");
        os.comment = Some("operating system of the image, from its os-release".to_string());
        packages.push(os);
        relationships.push(Relationship::new(IMAGE_ID, "CONTAINS", OS_ID));
    }

    // The distribution packages, sorted, exact duplicates dropped.
    let mut sorted: Vec<&SbomPackage> = input.packages.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut used_ids = BTreeSet::new();
    let mut excluded_names = Vec::new();
    for p in sorted {
        let id = unique_id(package_id(p), &mut used_ids);
        let mut pkg = package(p, &id, &mut refs);
        pkg.supplier = actor_or_noassertion(input.package_supplier(p).as_deref());
        packages.push(pkg);
        if p.excluded {
            excluded_names.push(format!("{} {}", one_line(&p.name), one_line(&p.version)));
            let mut rel = Relationship::new(&id, "PROVIDED_DEPENDENCY_OF", IMAGE_ID);
            rel.comment = Some(EXCLUDED_COMMENT.to_string());
            relationships.push(rel);
        } else {
            relationships.push(Relationship::new(IMAGE_ID, "CONTAINS", &id));
        }
    }

    let mut comment = format!(
        "SBOM of the {} image {}.",
        one_line(&input.arch),
        one_line(&input.image_name)
    );
    if !excluded_names.is_empty() {
        comment.push_str(" Packages excluded by the recipe (treated as provided, not installed): ");
        comment.push_str(&excluded_names.join(", "));
        comment.push('.');
    }

    let doc = Document {
        spdx_id: DOCUMENT_ID,
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        name: format!(
            "sbom-{}-{}",
            one_line(&input.image_name),
            one_line(&input.arch)
        ),
        document_namespace: String::new(),
        comment: Some(comment),
        creation_info: creation_info(input.created_epoch, &input.tool),
        packages,
        relationships,
        has_extracted_licensing_infos: extracted(refs),
    };
    finish(doc)
}

/// An index-level SBOM for a multi-arch build, listing the per-arch images
/// (as apko writes `sbom-index.spdx.json`): the document DESCRIBES the index
/// (`SPDXRef-Package-index`, purl `pkg:oci/NAME@INDEX_DIGEST…`), and the index
/// CONTAINS one package per `(arch, manifest digest)`, each with its own
/// `pkg:oci` purl carrying the `arch` qualifier.
pub fn spdx_index_json(input: &SbomIndexInput) -> String {
    let image_ref = parse_image_ref(&input.image_name);
    let supplier = actor_or_noassertion(input.image_supplier().as_deref());
    let mut packages = Vec::new();
    let mut relationships = vec![Relationship::new(DOCUMENT_ID, "DESCRIBES", INDEX_ID)];

    let mut index = Package::bare(INDEX_ID.to_string(), input.image_name.clone());
    if let Some(index_digest) = digest(Some(&input.index_digest)) {
        index.version_info = Some(index_digest.to_string());
        index.checksums = digest_checksum(index_digest).into_iter().collect();
        index.external_refs = vec![ExternalRef::purl(oci_purl(&image_ref, index_digest, None))];
    }
    index.supplier.clone_from(&supplier);
    index.primary_package_purpose = Some("CONTAINER");
    index.comment = Some("multi-arch OCI image index".to_string());
    packages.push(index);

    let mut sorted: Vec<&(String, String)> = input.per_arch.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut used_ids = BTreeSet::new();
    for (arch, digest) in sorted {
        let digest = digest.trim();
        let id = unique_id(
            format!(
                "SPDXRef-Package-image-{}-{}",
                sanitize_id(arch),
                &hash_hex(&[arch, digest])[..16]
            ),
            &mut used_ids,
        );
        let mut image = Package::bare(id.clone(), input.image_name.clone());
        if !digest.is_empty() {
            image.version_info = Some(digest.to_string());
            image.checksums = digest_checksum(digest).into_iter().collect();
            image.external_refs = vec![ExternalRef::purl(oci_purl(&image_ref, digest, Some(arch)))];
        }
        image.supplier.clone_from(&supplier);
        image.primary_package_purpose = Some("CONTAINER");
        image.comment = Some(format!("OCI image for {}", one_line(arch)));
        packages.push(image);
        relationships.push(Relationship::new(INDEX_ID, "CONTAINS", &id));
    }

    let doc = Document {
        spdx_id: DOCUMENT_ID,
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        name: format!("sbom-index-{}", one_line(&input.image_name)),
        document_namespace: String::new(),
        comment: Some(format!(
            "SBOM of the multi-arch image index {}.",
            one_line(&input.image_name)
        )),
        creation_info: creation_info(input.created_epoch, &input.tool),
        packages,
        relationships,
        has_extracted_licensing_infos: Vec::new(),
    };
    finish(doc)
}

/// Fill in `documentNamespace` from a hash of the rest of the document and
/// serialize.
fn finish(mut doc: Document) -> String {
    let content_hash = hex::encode(Sha256::digest(to_json(&doc).as_bytes()));
    doc.document_namespace = format!(
        "https://spdx.org/spdxdocs/whittle/{}-{}",
        sanitize_uri_segment(&doc.name),
        content_hash
    );
    let mut text = to_json(&doc);
    text.push('\n');
    text
}

fn to_json(doc: &Document) -> String {
    // Serializing these plain structs (string keys, strings, bools, vectors)
    // cannot fail, so the default is never used.
    serde_json::to_string_pretty(doc).unwrap_or_default()
}

fn creation_info(epoch: i64, tool: &str) -> CreationInfo {
    CreationInfo {
        created: rfc3339_utc(epoch),
        creators: vec![format!("Tool: {}", tool_name(tool))],
    }
}

fn extracted(refs: LicenseRefs) -> Vec<ExtractedLicensingInfo> {
    refs.into_sorted()
        .into_iter()
        .map(|l| ExtractedLicensingInfo {
            license_id: l.id,
            extracted_text: l.text,
            name: l.name,
            comment: "Declared by the package metadata but not an SPDX License List expression; \
                      the license text itself was not available.",
        })
        .collect()
}

/// One distribution package (its supplier is the caller's to set).
fn package(p: &SbomPackage, id: &str, refs: &mut LicenseRefs) -> Package {
    let mut pkg = Package::bare(id.to_string(), p.name.clone());
    pkg.version_info = (!p.version.is_empty()).then(|| p.version.clone());
    let mut comments = Vec::new();
    if p.excluded {
        comments.push(EXCLUDED_COMMENT.to_string());
    }
    match p.download_location.as_deref().map(str::trim) {
        None | Some("") => {}
        Some(loc) if loc == "NONE" || loc == NOASSERTION => {
            pkg.download_location = loc.to_string();
        }
        Some(loc) => {
            let loc = without_userinfo(loc);
            if download_location_ok(&loc) {
                pkg.download_location = loc;
            } else {
                comments.push(format!("downloaded from {}", one_line(&loc)));
            }
        }
    }
    pkg.checksums = checksum::normalize(&p.checksums)
        .into_iter()
        .map(|c| Checksum {
            algorithm: c.algorithm.spdx,
            value: c.value,
        })
        .collect();
    if let Some((src, src_version)) = source_package(p) {
        pkg.source_info = Some(format!("built package from: {src} {src_version}"));
    }
    pkg.license_declared = license::normalize(p.license_declared.as_deref(), refs);
    if let Some(text) = p.copyright_text.as_deref().filter(|t| !t.trim().is_empty()) {
        pkg.copyright_text = text.to_string();
    }
    if !p.not_emulated.is_empty() {
        let list: Vec<String> = p
            .not_emulated
            .iter()
            .map(|a| one_line(a.as_str()))
            .collect();
        comments.push(format!(
            "install script actions not emulated in the image: {}",
            list.join("; ")
        ));
    }
    if !comments.is_empty() {
        pkg.comment = Some(comments.join("; "));
    }
    let purl = p.purl.trim();
    if purl_is_plausible(purl) {
        pkg.external_refs = vec![ExternalRef::purl(purl.to_string())];
    }
    pkg
}

/// The source package `(name, version)` a package was built from, when it
/// differs from the package itself.
pub(crate) fn source_package(p: &SbomPackage) -> Option<(&str, &str)> {
    let src = p.source_name.as_deref().filter(|s| !s.is_empty())?;
    let src_version = p
        .source_version
        .as_deref()
        .filter(|v| !v.is_empty())
        .unwrap_or(&p.version);
    (src != p.name || src_version != p.version).then_some((src, src_version))
}

/// `SPDXRef-Package-<purl type>-<name>-<hash>`.
fn package_id(p: &SbomPackage) -> String {
    let ty = purl_type(p.purl.trim()).unwrap_or("pkg");
    let hash = hash_hex(&[&p.name, &p.version, &p.arch, &p.purl]);
    format!(
        "SPDXRef-Package-{}-{}-{}",
        sanitize_id(ty),
        sanitize_id(&p.name),
        &hash[..16]
    )
}

/// Keep `[A-Za-z0-9._-]`, replace the rest with `-` (for the namespace URI).
fn sanitize_uri_segment(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The SPDX `SHA256` checksum for an OCI digest `sha256:<64 hex>`.
fn digest_checksum(digest: &str) -> Option<Checksum> {
    sha256_hex(digest).map(|value| Checksum {
        algorithm: SHA256.spdx,
        value,
    })
}

/// An SPDX actor, or `NOASSERTION`.
fn actor_or_noassertion(s: Option<&str>) -> String {
    spdx_actor(s).unwrap_or_else(|| NOASSERTION.to_string())
}

/// Whether SPDX validators will accept `loc` as a download location:
/// `[vcs+]scheme://[user@]host.tld[:port][/path]`, no whitespace.
fn download_location_ok(loc: &str) -> bool {
    if loc.chars().any(char::is_whitespace) {
        return false;
    }
    let lower = loc.to_ascii_lowercase();
    let mut rest = lower.as_str();
    for vcs in ["git+", "hg+", "svn+", "bzr+"] {
        if let Some(r) = rest.strip_prefix(vcs) {
            rest = r;
            break;
        }
    }
    let Some(after_scheme) = [
        "http://", "https://", "ssh://", "git://", "svn://", "sftp://", "ftp://",
    ]
    .iter()
    .find_map(|scheme| rest.strip_prefix(scheme)) else {
        return false;
    };
    let authority = after_scheme.split('/').next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = match host_port.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || port.parse::<u16>().is_err() {
            return false;
        }
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && !l.contains("--")
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_locations() {
        for ok in [
            "http://deb.mirror.example/debian/pool/main/z/zlib/zlib1g_1.2.13.dfsg-1_amd64.deb",
            "https://snapshot.mirror.example:443/archive",
            "git+https://github.com/a/b.git",
            "ftp://ftp.example.com",
        ] {
            assert!(download_location_ok(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:8080/pool/x.deb",
            "http://localhost/x",
            "file:///var/cache/x.deb",
            "/var/cache/x.deb",
            "http://deb.mirror.example/a b",
            "http://deb_mirror.example/",
            "http://deb.mirror.example:99999/",
        ] {
            assert!(!download_location_ok(bad), "{bad}");
        }
    }

    #[test]
    fn ids_are_valid() {
        let p = SbomPackage {
            name: "libstdc++6".into(),
            version: "12.2.0-14".into(),
            arch: "amd64".into(),
            purl: "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64".into(),
            ..Default::default()
        };
        let id = package_id(&p);
        assert!(id.starts_with("SPDXRef-Package-deb-libstdc--6-"), "{id}");
        assert!(id[8..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
    }
}
