//! Read an SBOM back into the distribution packages it lists: SPDX 2.3 JSON
//! (whittle's and apko's) and CycloneDX 1.5/1.6 JSON.
//!
//! A package counts when it carries a package URL of a distribution type
//! (`pkg:deb/…`, `pkg:apk/…`, `pkg:rpm/…`, purl-spec's `PURL-TYPES.rst`);
//! the image, its layers, the operating system, files and melange's
//! `pkg:github` configurations do not. Packages a recipe excluded (SPDX
//! `PROVIDED_DEPENDENCY_OF`, CycloneDX `scope: excluded`) are not in the
//! image and are skipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// One distribution package an SBOM lists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListedPackage {
    /// The purl type: `deb`, `apk` or `rpm`.
    pub kind: String,
    /// Package name.
    pub name: String,
    /// Version as the package world writes it (RPM: `EPOCH:` in front when
    /// the purl has an `epoch` qualifier).
    pub version: String,
    /// The purl's `arch` qualifier, if any.
    pub arch: Option<String>,
}

/// The packages of one SBOM file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPackages {
    /// Which format the file was (`SPDX 2.3`, `CycloneDX 1.6`).
    pub format: String,
    /// Packages, sorted and without duplicates.
    pub packages: Vec<ListedPackage>,
}

/// Why an SBOM could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("cannot read the SBOM {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Not JSON.
    #[error("the SBOM {path} is not JSON; pass an SPDX 2.3 or CycloneDX 1.5/1.6 JSON file")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// JSON, but neither format.
    #[error("{path} is neither SPDX JSON (no `spdxVersion`) nor CycloneDX JSON (no `bomFormat: CycloneDX`); pass one of those")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// No distribution package in it.
    #[error("the SBOM {path} lists no deb, apk or rpm package (no `pkg:deb`, `pkg:apk` or `pkg:rpm` purl); is it the index SBOM? pass a per-architecture one such as sbom-x86_64.spdx.json")]
    NoPackages {
        /// The file.
        path: PathBuf,
    },
}

/// Read the SBOM at `path`.
pub fn read_sbom(path: &Path) -> Result<ListedPackages, ReadError> {
    let text = fs_err::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_sbom(&text, path)
}

/// Whether `bytes` look like an SBOM this module reads (a JSON object with
/// `spdxVersion` or `bomFormat`), without reporting why not.
pub fn looks_like_sbom(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes).is_ok_and(|v| {
        v.get("spdxVersion").is_some()
            || v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX")
    })
}

/// Parse SBOM JSON read from `path` (named in errors only).
pub fn parse_sbom(bytes: &[u8], path: &Path) -> Result<ListedPackages, ReadError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|source| ReadError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    let (format, found) = if let Some(v) = doc.get("spdxVersion").and_then(Value::as_str) {
        (v.replace('-', " "), spdx_packages(&doc))
    } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        let v = doc
            .get("specVersion")
            .and_then(Value::as_str)
            .unwrap_or("?");
        (format!("CycloneDX {v}"), cyclonedx_packages(&doc))
    } else {
        return Err(ReadError::UnknownFormat {
            path: path.to_path_buf(),
        });
    };
    let packages: Vec<ListedPackage> = found
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if packages.is_empty() {
        return Err(ReadError::NoPackages {
            path: path.to_path_buf(),
        });
    }
    Ok(ListedPackages { format, packages })
}

/// SPDX: every package with a distribution purl that is not only a
/// dependency the environment provides.
fn spdx_packages(doc: &Value) -> Vec<ListedPackage> {
    let provided: BTreeSet<&str> = list(doc, "relationships")
        .filter(|r| {
            r.get("relationshipType").and_then(Value::as_str) == Some("PROVIDED_DEPENDENCY_OF")
        })
        .filter_map(|r| r.get("spdxElementId").and_then(Value::as_str))
        .collect();
    list(doc, "packages")
        .filter(|p| {
            p.get("SPDXID")
                .and_then(Value::as_str)
                .is_none_or(|id| !provided.contains(id))
        })
        .filter_map(|p| {
            list(p, "externalRefs")
                .filter(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
                .filter_map(|r| r.get("referenceLocator").and_then(Value::as_str))
                .find_map(parse_purl)
        })
        .collect()
}

/// CycloneDX: components (nested ones too) with a distribution purl,
/// except those of `scope: excluded`.
fn cyclonedx_packages(doc: &Value) -> Vec<ListedPackage> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = list(doc, "components").collect();
    while let Some(c) = stack.pop() {
        stack.extend(list(c, "components"));
        if c.get("scope").and_then(Value::as_str) == Some("excluded") {
            continue;
        }
        if let Some(p) = c.get("purl").and_then(Value::as_str).and_then(parse_purl) {
            out.push(p);
        }
    }
    out
}

fn list<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// A distribution package from its purl (`pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS#SUBPATH`).
pub fn parse_purl(purl: &str) -> Option<ListedPackage> {
    let rest = purl.strip_prefix("pkg:")?.trim_start_matches('/');
    let rest = rest.split('#').next().unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (kind, path) = path.split_once('/')?;
    let kind = kind.to_ascii_lowercase();
    if !["deb", "apk", "rpm"].contains(&kind.as_str()) {
        return None;
    }
    let (path, version) = path.rsplit_once('@')?;
    let name = decode(path.rsplit('/').next().unwrap_or(path));
    let mut version = decode(version);
    let qualifier = |key: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| decode(v))
    };
    if kind == "rpm" {
        if let Some(epoch) = qualifier("epoch").filter(|e| !e.trim_start_matches('0').is_empty()) {
            version = format!("{epoch}:{version}");
        }
    }
    (!name.is_empty() && !version.is_empty()).then(|| ListedPackage {
        kind,
        name,
        version,
        arch: qualifier("arch"),
    })
}

/// Undo percent-encoding; a malformed escape is kept as written.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_of_each_world() {
        let deb =
            parse_purl("pkg:deb/debian/python3@1%3A3.11.2-1%2Bb1?arch=amd64&distro=debian-12")
                .unwrap();
        assert_eq!(
            (deb.kind.as_str(), deb.name.as_str(), deb.version.as_str()),
            ("deb", "python3", "1:3.11.2-1+b1")
        );
        assert_eq!(deb.arch.as_deref(), Some("amd64"));
        let rpm = parse_purl("pkg:rpm/azurelinux/tool@2.0-1.azl3?arch=x86_64&epoch=1").unwrap();
        assert_eq!(rpm.version, "1:2.0-1.azl3");
        let rpm0 = parse_purl("pkg:rpm/azurelinux/tool@3.0-1.azl3?arch=x86_64&epoch=0").unwrap();
        assert_eq!(rpm0.version, "3.0-1.azl3");
        let apk = parse_purl("pkg:apk/unknown/replayout@1.0.0-r0?arch=x86_64").unwrap();
        assert_eq!(
            (apk.name.as_str(), apk.version.as_str()),
            ("replayout", "1.0.0-r0")
        );
        assert!(parse_purl("pkg:oci/golden@sha256:abc?arch=amd64").is_none());
        assert!(parse_purl("pkg:github/https:/%2Funknown%2Funknown@326e#x.yaml").is_none());
        assert!(parse_purl("pkg:deb/debian/noversion").is_none());
    }

    #[test]
    fn apkos_golden_sbom_lists_its_two_packages() {
        let path =
            whittle_test_env::fixtures::path("apk/apko-golden/golden/sboms/sbom-x86_64.spdx.json");
        let read = read_sbom(&path).unwrap();
        assert_eq!(read.format, "SPDX 2.3");
        let names: Vec<(&str, &str)> = read
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("pretend-baselayout", "1.0.0-r0"),
                ("replayout", "1.0.0-r0")
            ]
        );
        assert!(read.packages.iter().all(|p| p.kind == "apk"));
        // The index SBOM describes images, not packages.
        let index =
            whittle_test_env::fixtures::path("apk/apko-golden/golden/sboms/sbom-index.spdx.json");
        assert!(matches!(
            read_sbom(&index),
            Err(ReadError::NoPackages { .. })
        ));
    }

    #[test]
    fn cyclonedx_skips_excluded_and_reads_nested() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
            {"type":"library","name":"a","purl":"pkg:deb/debian/a@1?arch=amd64",
             "components":[{"type":"library","name":"b","purl":"pkg:deb/debian/b@2"}]},
            {"type":"library","name":"dpkg","scope":"excluded","purl":"pkg:deb/debian/dpkg@1.21"},
            {"type":"container","name":"img","purl":"pkg:oci/img@sha256:00"}]}"#;
        let read = parse_sbom(doc, Path::new("x.cdx.json")).unwrap();
        assert_eq!(read.format, "CycloneDX 1.5");
        let names: Vec<&str> = read.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(looks_like_sbom(doc));
        assert!(!looks_like_sbom(b"{\"x\":1}"));
        assert!(matches!(
            parse_sbom(b"{\"x\":1}", Path::new("x.json")),
            Err(ReadError::UnknownFormat { .. })
        ));
    }

    #[test]
    fn spdx_skips_packages_the_recipe_excluded() {
        let doc = br#"{"spdxVersion":"SPDX-2.3","packages":[
            {"SPDXID":"SPDXRef-a","name":"a","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:apk/wolfi/a@1-r0?arch=x86_64"}]},
            {"SPDXID":"SPDXRef-x","name":"x","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:apk/wolfi/x@1-r0"}]}],
            "relationships":[{"spdxElementId":"SPDXRef-x","relationshipType":"PROVIDED_DEPENDENCY_OF","relatedSpdxElement":"SPDXRef-img"}]}"#;
        let read = parse_sbom(doc, Path::new("x.spdx.json")).unwrap();
        let names: Vec<&str> = read.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a"]);
    }
}
