//! CycloneDX 1.6 JSON documents for an image and for a multi-arch image
//! index (specification: CycloneDX 1.6, `bom-1.6.schema.json`).

use std::collections::BTreeSet;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::actor::{self, Actor};
use crate::checksum;
use crate::common::{
    digest, hash_hex, one_line, rfc3339_utc, sanitize_id, sha256_hex, split_tool, unique_id,
    without_userinfo,
};
use crate::input::{SbomIndexInput, SbomInput, SbomPackage};
use crate::license::{self, Declared, LicenseRefs};
use crate::purl::{oci_purl, parse_image_ref, purl_is_plausible, purl_type};
use crate::spdx::{source_package, EXCLUDED_COMMENT};

// ---------------------------------------------------------------------------
// Serialized shapes. Field order here is the key order in the output, and
// follows the schema's.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial_number: Option<String>,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    lifecycles: Vec<Lifecycle>,
    tools: Tools,
    component: Component,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Entity>,
}

#[derive(Serialize)]
struct Lifecycle {
    phase: &'static str,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Entity>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copyright: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pedigree: Option<Pedigree>,
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Entity {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contact: Vec<Contact>,
}

#[derive(Serialize)]
struct Contact {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    email: String,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

/// One item of a `licenses` array: a license, or the one expression.
#[derive(Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    License {
        license: NamedLicense,
    },
    Expression {
        expression: String,
        acknowledgement: &'static str,
    },
}

#[derive(Serialize)]
struct NamedLicense {
    name: String,
    acknowledgement: &'static str,
}

#[derive(Serialize)]
struct Pedigree {
    ancestors: Vec<Component>,
}

#[derive(Serialize)]
struct ExternalReference {
    #[serde(rename = "type")]
    ty: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Property {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

// ---------------------------------------------------------------------------
// Building.

/// Property naming a script action whose effect the image lacks.
const NOT_EMULATED: &str = "whittle:not-emulated";
/// Property saying why a component is `scope: excluded`.
const EXCLUDED: &str = "whittle:excluded";

/// CycloneDX 1.6 JSON for one image, from the same input as
/// [`spdx_json`](crate::spdx_json):
///
/// * `metadata.component` is the image (`container`, its manifest digest as
///   `version` and SHA-256 hash, its `pkg:oci` purl), `metadata.supplier`
///   its supplier, `metadata.tools.components` whittle, `metadata.timestamp`
///   the build date and `metadata.lifecycles` `build`.
/// * `components`: the operating system (`operating-system`, when `distro`
///   is known), then one `library` per distribution package, sorted, each
///   with its purl as `bom-ref` (made unique), supplier, hashes, declared
///   license, distribution URL, and the source package it was built from
///   as its `pedigree.ancestors` entry (CycloneDX's record of what a
///   component is derived from, which a binary package is from its source
///   package).
///   Packages excluded by the recipe are listed with `scope: excluded`.
/// * `dependencies`: the image depends on the operating system and on
///   every installed package. What each package depends on is not known
///   here, so packages get no entry of their own (which CycloneDX reads as
///   "unknown", not "none").
///
/// Deterministic: `serialNumber` is a UUID made from a SHA-256 of the rest
/// of the document, so the same input gives the same bytes.
pub fn cyclonedx_json(input: &SbomInput) -> String {
    let mut refs = LicenseRefs::default();
    let mut used = BTreeSet::new();

    // The image.
    let image_ref = parse_image_ref(&input.image_name);
    let image_digest = digest(input.image_digest.as_deref());
    let image_purl = image_digest.map(|d| oci_purl(&image_ref, d, Some(&input.arch)));
    let image_bom_ref = unique_id(
        image_purl.clone().unwrap_or_else(|| "image".to_string()),
        &mut used,
    );
    let supplier = input.image_supplier();
    let mut image = container(&input.image_name, image_digest, image_purl);
    image.bom_ref = Some(image_bom_ref.clone());
    image.supplier = entity(supplier.as_deref());
    image.description = Some(format!("OCI image for {}", one_line(&input.arch)));

    let mut components = Vec::new();
    let mut depends_on = Vec::new();

    // The operating system.
    if let Some((id, version)) = &input.distro {
        let bom_ref = unique_id(format!("os-{}", sanitize_id(id)), &mut used);
        components.push(Component {
            ty: "operating-system",
            bom_ref: Some(bom_ref.clone()),
            supplier: entity(input.distro_supplier().as_deref()),
            name: id.clone(),
            version: (!version.is_empty()).then(|| version.clone()),
            description: Some("operating system of the image, from its os-release".to_string()),
            ..Component::default()
        });
        depends_on.push(bom_ref);
    }

    // The distribution packages, sorted, exact duplicates dropped.
    let mut sorted: Vec<&SbomPackage> = input.packages.iter().collect();
    sorted.sort();
    sorted.dedup();
    for p in sorted {
        let bom_ref = unique_id(package_ref(p), &mut used);
        let mut c = package(p, &mut refs);
        c.bom_ref = Some(bom_ref.clone());
        c.supplier = entity(input.package_supplier(p).as_deref());
        components.push(c);
        if !p.excluded {
            depends_on.push(bom_ref);
        }
    }

    finish(bom(
        metadata(input.created_epoch, &input.tool, image, supplier.as_deref()),
        components,
        Dependency {
            reference: image_bom_ref,
            depends_on,
        },
    ))
}

/// CycloneDX 1.6 JSON for a multi-arch image index, the counterpart of
/// [`spdx_index_json`](crate::spdx_index_json): `metadata.component` is the
/// index (`container`, its digest as `version`, `pkg:oci` purl without
/// `arch`), `components` one `container` per `(arch, manifest digest)`
/// with its own purl, and the index depends on each.
pub fn cyclonedx_index_json(input: &SbomIndexInput) -> String {
    let image_ref = parse_image_ref(&input.image_name);
    let supplier = input.image_supplier();
    let mut used = BTreeSet::new();

    let index_digest = digest(Some(&input.index_digest));
    let index_purl = index_digest.map(|d| oci_purl(&image_ref, d, None));
    let index_bom_ref = unique_id(
        index_purl.clone().unwrap_or_else(|| "index".to_string()),
        &mut used,
    );
    let mut index = container(&input.image_name, index_digest, index_purl);
    index.bom_ref = Some(index_bom_ref.clone());
    index.supplier = entity(supplier.as_deref());
    index.description = Some("multi-arch OCI image index".to_string());

    let mut sorted: Vec<&(String, String)> = input.per_arch.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut components = Vec::new();
    let mut depends_on = Vec::new();
    for (arch, d) in sorted {
        let d = digest(Some(d));
        let purl = d.map(|d| oci_purl(&image_ref, d, Some(arch)));
        let fallback = format!(
            "image-{}-{}",
            sanitize_id(arch),
            &hash_hex(&[arch, d.unwrap_or("")])[..16]
        );
        let bom_ref = unique_id(purl.clone().unwrap_or(fallback), &mut used);
        let mut image = container(&input.image_name, d, purl);
        image.bom_ref = Some(bom_ref.clone());
        image.supplier = entity(supplier.as_deref());
        image.description = Some(format!("OCI image for {}", one_line(arch)));
        components.push(image);
        depends_on.push(bom_ref);
    }

    finish(bom(
        metadata(input.created_epoch, &input.tool, index, supplier.as_deref()),
        components,
        Dependency {
            reference: index_bom_ref,
            depends_on,
        },
    ))
}

/// A CycloneDX 1.6 BOM whose only known dependencies are the described
/// component's (its serial number is filled in by [`finish`]).
fn bom(metadata: Metadata, components: Vec<Component>, dependencies: Dependency) -> Bom {
    Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: None,
        version: 1,
        metadata,
        components,
        dependencies: vec![dependencies],
    }
}

/// NTIA's "author of the SBOM data" and "timestamp": whittle, which writes
/// the document at build time, as a tool (whittle does not know who runs
/// it, so `authors` stays out); the described component's supplier as
/// `metadata.supplier`.
fn metadata(epoch: i64, tool: &str, component: Component, supplier: Option<&str>) -> Metadata {
    let (name, version) = split_tool(tool);
    Metadata {
        timestamp: rfc3339_utc(epoch),
        lifecycles: vec![Lifecycle { phase: "build" }],
        tools: Tools {
            components: vec![Component {
                ty: "application",
                name,
                version,
                ..Component::default()
            }],
        },
        component,
        supplier: entity(supplier),
    }
}

/// An image or index: `container`, digest as version and SHA-256 hash.
fn container(name: &str, digest: Option<&str>, purl: Option<String>) -> Component {
    Component {
        ty: "container",
        name: name.to_string(),
        version: digest.map(str::to_string),
        hashes: digest
            .and_then(sha256_hex)
            .map(|content| Hash {
                alg: "SHA-256",
                content,
            })
            .into_iter()
            .collect(),
        purl,
        ..Component::default()
    }
}

/// Fill in `serialNumber` from a hash of the rest of the document and
/// serialize.
fn finish(mut bom: Bom) -> String {
    let hash = Sha256::digest(to_json(&bom).as_bytes());
    bom.serial_number = Some(format!("urn:uuid:{}", uuid_from_hash(&hash)));
    let mut text = to_json(&bom);
    text.push('\n');
    text
}

fn to_json(bom: &Bom) -> String {
    // Serializing these plain structs (string keys, strings, numbers,
    // vectors) cannot fail, so the default is never used.
    serde_json::to_string_pretty(bom).unwrap_or_default()
}

/// An RFC 9562 version 8 ("custom") UUID from the first 16 bytes of a
/// SHA-256: version and variant bits set, the rest the hash.
fn uuid_from_hash(hash: &[u8]) -> String {
    let mut b = [0u8; 16];
    for (to, from) in b.iter_mut().zip(hash) {
        *to = *from;
    }
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A package's `bom-ref`: its purl, else `pkg-<name>-<hash>`.
fn package_ref(p: &SbomPackage) -> String {
    let purl = p.purl.trim();
    if purl_is_plausible(purl) {
        return purl.to_string();
    }
    let hash = hash_hex(&[&p.name, &p.version, &p.arch, &p.purl]);
    format!(
        "{}-{}-{}",
        purl_type(purl).unwrap_or("pkg"),
        sanitize_id(&p.name),
        &hash[..16]
    )
}

/// One distribution package (its `bom-ref` and supplier are the caller's
/// to set).
fn package(p: &SbomPackage, refs: &mut LicenseRefs) -> Component {
    let purl = p.purl.trim();
    let mut properties = Vec::new();
    if p.excluded {
        properties.push(Property {
            name: EXCLUDED,
            value: EXCLUDED_COMMENT.to_string(),
        });
    }
    properties.extend(p.not_emulated.iter().map(|a| Property {
        name: NOT_EMULATED,
        value: one_line(a),
    }));
    Component {
        ty: "library",
        name: p.name.clone(),
        version: (!p.version.is_empty()).then(|| p.version.clone()),
        scope: p.excluded.then_some("excluded"),
        hashes: checksum::normalize(&p.checksums)
            .into_iter()
            .filter_map(|c| {
                Some(Hash {
                    alg: c.algorithm.cyclonedx?,
                    content: c.value,
                })
            })
            .collect(),
        licenses: licenses(p.license_declared.as_deref(), refs),
        copyright: p
            .copyright_text
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(str::to_string),
        purl: purl_is_plausible(purl).then(|| purl.to_string()),
        pedigree: ancestors(p),
        external_references: distribution(p.download_location.as_deref())
            .map(|url| ExternalReference {
                ty: "distribution",
                url,
            })
            .into_iter()
            .collect(),
        properties,
        ..Component::default()
    }
}

/// The source package a binary package was built from, as its pedigree's
/// one ancestor.
///
/// Why `pedigree.ancestors` and not a property: CycloneDX 1.6 describes
/// pedigree as the record of how a component was "created, distributed,
/// modified, redistributed", and an ancestor as a component "from which a
/// component is derived". A distribution's binary package is derived (built,
/// often patched) from its source package, so the source package is exactly
/// that ancestor, in a form every CycloneDX reader understands; a
/// `whittle:`-named property would be opaque to them, and the
/// `source-distribution` external reference needs a URL that is not known
/// here. Nothing is recorded when the source package has the binary's name
/// and version.
fn ancestors(p: &SbomPackage) -> Option<Pedigree> {
    let (name, version) = source_package(p)?;
    Some(Pedigree {
        ancestors: vec![Component {
            ty: "library",
            name: name.to_string(),
            version: Some(version.to_string()),
            description: Some("source package".to_string()),
            ..Component::default()
        }],
    })
}

/// The declared license: an SPDX expression whenever the text is one
/// (unlisted identifiers made `LicenseRef-…`, which expressions may hold),
/// a named license when it is no expression at all, nothing when unknown.
/// Expressions are used even for a single identifier: a license `id` must
/// be in the schema's own copy of the SPDX list, which may be older than
/// the one whittle checks against.
fn licenses(declared: Option<&str>, refs: &mut LicenseRefs) -> Vec<LicenseChoice> {
    match license::declared(declared, refs) {
        Declared::NoAssertion | Declared::None => Vec::new(),
        Declared::Expression(expression) => vec![LicenseChoice::Expression {
            expression,
            acknowledgement: "declared",
        }],
        Declared::Unparsed { text, .. } => vec![LicenseChoice::License {
            license: NamedLicense {
                name: one_line(&text),
                acknowledgement: "declared",
            },
        }],
    }
}

/// A download URL fit for `externalReferences` (`http(s)` or `ftp`, no
/// whitespace), without credentials.
fn distribution(loc: Option<&str>) -> Option<String> {
    let loc = without_userinfo(loc?.trim());
    let lower = loc.to_ascii_lowercase();
    let ok = ["http://", "https://", "ftp://"]
        .iter()
        .any(|s| lower.starts_with(s) && lower.len() > s.len())
        && !loc.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(loc)
}

/// A supplier as an organizational entity: the name, and the address as a
/// contact (with the person's name when the supplier is a person).
fn entity(supplier: Option<&str>) -> Option<Entity> {
    let Actor {
        person,
        name,
        email,
    } = actor::parse(supplier)?;
    let name = if name.is_empty() {
        email.clone().unwrap_or_default()
    } else {
        name
    };
    let contact = email
        .map(|email| Contact {
            name: person.then(|| name.clone()),
            email,
        })
        .into_iter()
        .collect();
    Some(Entity { name, contact })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_numbers_are_uuids() {
        let u = uuid_from_hash(&Sha256::digest(b"x"));
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(u.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
        assert!(parts[2].starts_with('8'), "version 8: {u}");
        assert!("89ab".contains(&parts[3][..1]), "RFC variant: {u}");
        assert_ne!(u, uuid_from_hash(&Sha256::digest(b"y")));
    }

    #[test]
    fn suppliers_become_entities() {
        let e = entity(Some("Mark Brown <broonie@debian.org>")).unwrap();
        assert_eq!(e.name, "Mark Brown");
        assert_eq!(e.contact[0].name.as_deref(), Some("Mark Brown"));
        assert_eq!(e.contact[0].email, "broonie@debian.org");
        let e = entity(Some("Organization: Microsoft Corporation")).unwrap();
        assert_eq!(e.name, "Microsoft Corporation");
        assert!(e.contact.is_empty());
        let e = entity(Some("Person: <nobody@example.org>")).unwrap();
        assert_eq!(e.name, "nobody@example.org");
        assert!(entity(Some("NOASSERTION")).is_none());
        assert!(entity(None).is_none());
    }

    #[test]
    fn distribution_urls() {
        assert_eq!(
            distribution(Some("https://u:p@repo.example/a b.deb")),
            None,
            "whitespace"
        );
        assert_eq!(
            distribution(Some(" https://u:p@repo.example/pool/a.deb ")).as_deref(),
            Some("https://repo.example/pool/a.deb")
        );
        assert_eq!(
            distribution(Some("http://127.0.0.1:8080/x.rpm")).as_deref(),
            Some("http://127.0.0.1:8080/x.rpm")
        );
        for bad in [
            "file:///tmp/x.deb",
            "/var/cache/x.deb",
            "http://",
            "NOASSERTION",
        ] {
            assert_eq!(distribution(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn package_refs_fall_back_to_a_hash() {
        let mut p = SbomPackage {
            name: "weird name".into(),
            purl: "not a purl".into(),
            ..Default::default()
        };
        let r = package_ref(&p);
        assert!(r.starts_with("pkg-weird-name-"), "{r}");
        p.purl = "pkg:apk/wolfi/busybox@1.35.0-r0?arch=x86_64".into();
        assert_eq!(package_ref(&p), p.purl);
    }
}
