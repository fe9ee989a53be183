//! The SLSA provenance v1 predicate (slsa.dev `spec/v1.0/provenance`) of
//! a whittle build: the recipe and lock as external parameters, every
//! installed package as a resolved dependency, whittle as the builder.

use std::collections::BTreeMap;

use serde::Serialize;

/// The `buildType` of a whittle recipe build: a URI naming how to read
/// the parameters below (a URN, since whittle has no web site to point at).
pub const BUILD_TYPE: &str = "urn:whittle:build-type:recipe:v1";
/// The builder's `id`.
const BUILDER_ID: &str = "urn:whittle:builder";

/// One installed package, as the provenance lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenancePackage {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its architecture, as its world writes it.
    pub arch: String,
    /// Its package URL.
    pub purl: String,
    /// Its file's checksums: algorithm (`sha256`, `sha1`) → lowercase hex.
    pub digest: BTreeMap<String, String>,
}

/// What a build says about how it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The recipe's file name as given.
    pub recipe: String,
    /// `sha256:<hex>` of the recipe's bytes (with its includes, as the lock
    /// file's `inputs` count them).
    pub recipe_digest: String,
    /// `sha256:<hex>` of the lock file the build installed from, if any.
    pub lock_digest: Option<String>,
    /// The architectures built.
    pub archs: Vec<String>,
    /// The build date (RFC 3339).
    pub build_date: String,
    /// The packages installed, per architecture (`amd64` → packages).
    pub packages: BTreeMap<String, Vec<ProvenancePackage>>,
    /// The whittle version that built the image.
    pub whittle_version: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Predicate<'a> {
    build_definition: BuildDefinition<'a>,
    run_details: RunDetails<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BuildDefinition<'a> {
    build_type: &'static str,
    external_parameters: serde_json::Value,
    internal_parameters: serde_json::Value,
    resolved_dependencies: Vec<Dependency<'a>>,
}

#[derive(Serialize)]
struct Dependency<'a> {
    name: &'a str,
    uri: &'a str,
    digest: &'a BTreeMap<String, String>,
    annotations: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunDetails<'a> {
    builder: Builder<'a>,
}

#[derive(Serialize)]
struct Builder<'a> {
    id: &'static str,
    version: BTreeMap<&'static str, &'a str>,
}

fn digest_set(digest: &str) -> serde_json::Value {
    match digest.split_once(':') {
        Some((alg, hex)) => serde_json::json!({ alg: hex }),
        None => serde_json::json!({}),
    }
}

impl Provenance {
    /// The predicate as JSON.
    pub fn predicate(&self) -> serde_json::Value {
        let mut external = serde_json::json!({
            "recipe": { "name": self.recipe, "digest": digest_set(&self.recipe_digest) },
            "archs": self.archs,
        });
        if let (Some(lock), Some(map)) = (&self.lock_digest, external.as_object_mut()) {
            map.insert(
                "lock".to_string(),
                serde_json::json!({ "digest": digest_set(lock) }),
            );
        }
        let resolved_dependencies = self
            .packages
            .iter()
            .flat_map(|(arch, packages)| {
                packages.iter().map(move |p| Dependency {
                    name: &p.name,
                    uri: &p.purl,
                    digest: &p.digest,
                    annotations: BTreeMap::from([
                        ("version", p.version.as_str()),
                        ("arch", p.arch.as_str()),
                        ("platform", arch.as_str()),
                    ]),
                })
            })
            .collect();
        let predicate = Predicate {
            build_definition: BuildDefinition {
                build_type: BUILD_TYPE,
                external_parameters: external,
                internal_parameters: serde_json::json!({ "buildDate": self.build_date }),
                resolved_dependencies,
            },
            run_details: RunDetails {
                builder: Builder {
                    id: BUILDER_ID,
                    version: BTreeMap::from([("whittle", self.whittle_version.as_str())]),
                },
            },
        };
        // Strings and maps of strings only: serialising cannot fail.
        serde_json::to_value(&predicate).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicate_names_recipe_lock_packages_and_version() {
        let p = Provenance {
            recipe: "app.yaml".into(),
            recipe_digest: format!("sha256:{}", "a".repeat(64)),
            lock_digest: Some(format!("sha256:{}", "b".repeat(64))),
            archs: vec!["amd64".into()],
            build_date: "2024-01-01T00:00:00Z".into(),
            packages: BTreeMap::from([(
                "amd64".to_string(),
                vec![ProvenancePackage {
                    name: "libc6".into(),
                    version: "2.36-9".into(),
                    arch: "amd64".into(),
                    purl: "pkg:deb/debian/libc6@2.36-9?arch=amd64".into(),
                    digest: BTreeMap::from([("sha256".to_string(), "c".repeat(64))]),
                }],
            )]),
            whittle_version: "0.1.0".into(),
        };
        let v = p.predicate();
        let def = &v["buildDefinition"];
        assert_eq!(def["buildType"], BUILD_TYPE);
        assert_eq!(
            def["externalParameters"]["recipe"]["digest"]["sha256"],
            "a".repeat(64)
        );
        assert_eq!(
            def["externalParameters"]["lock"]["digest"]["sha256"],
            "b".repeat(64)
        );
        let dep = &def["resolvedDependencies"][0];
        assert_eq!(dep["name"], "libc6");
        assert_eq!(dep["digest"]["sha256"], "c".repeat(64));
        assert_eq!(dep["annotations"]["version"], "2.36-9");
        assert_eq!(v["runDetails"]["builder"]["version"]["whittle"], "0.1.0");
    }
}
