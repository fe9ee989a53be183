//! End-to-end tests: realistic documents, validated with `pyspdxtools` when it
//! is installed (`pip install spdx-tools`).
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use whittle_sbom::{
    purl_encode, spdx_index_json, spdx_json, write_atomic, SbomIndexInput, SbomInput, SbomPackage,
};
use whittle_test_env::host::require_tool;

const DIGEST: &str = "sha256:8a3e6a0a9e4d6a7a2f1b6c0d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f";

fn deb(name: &str, version: &str, arch: &str) -> SbomPackage {
    SbomPackage {
        name: name.into(),
        version: version.into(),
        arch: arch.into(),
        purl: format!(
            "pkg:deb/debian/{name}@{}?arch={arch}&distro=debian-12",
            purl_encode(version)
        ),
        supplier: Some("Organization: Debian".into()),
        ..Default::default()
    }
}

/// Five Debian packages: a `+` version with a source package, an epoch
/// version, a compound license expression, an unknown license and an
/// excluded package.
fn debian_input() -> SbomInput {
    let mut python = deb("python3.11-minimal", "3.11.2-6+deb12u2", "amd64");
    python.source_name = Some("python3.11".into());
    python.license_declared = Some("PSF-2.0".into());
    python.copyright_text = Some("Copyright (c) 2001-2023 Python Software Foundation.".into());
    python.checksums = vec![
        ("SHA256".into(), "0f".repeat(32)),
        ("SHA1".into(), "1e".repeat(20)),
    ];
    python.download_location = Some(
        "http://deb.mirror.example/debian/pool/main/p/python3.11/python3.11-minimal_3.11.2-6+deb12u2_amd64.deb"
            .into(),
    );
    python.supplier = Some("Matthias Klose <doko@debian.org>".into());

    let mut zlib = deb("zlib1g", "1:1.2.13.dfsg-1", "amd64");
    zlib.source_name = Some("zlib".into());
    zlib.source_version = Some("1:1.2.13.dfsg-1".into());
    zlib.license_declared = Some("Zlib".into());
    zlib.checksums = vec![("SHA256".into(), "2d".repeat(32))];
    zlib.download_location = Some(
        "http://deb.mirror.example/debian/pool/main/z/zlib/zlib1g_1.2.13.dfsg-1_amd64.deb".into(),
    );

    let mut libc = deb("libc6", "2.36-9+deb12u4", "amd64");
    libc.source_name = Some("glibc".into());
    libc.license_declared = Some("GPL-2.0-or-later AND LGPL-2.1-only".into());
    libc.copyright_text = Some("Copyright (C) 1991-2023 Free Software Foundation, Inc.".into());
    // A local mirror: not a download location SPDX validators accept.
    libc.download_location = Some("http://127.0.0.1:8080/pool/libc6.deb".into());

    let mut custom = deb("acme-tools", "0.3-1", "all");
    custom.license_declared = Some("Custom-License".into());

    let mut excluded = deb("debconf", "1.5.82", "all");
    excluded.excluded = true;
    excluded.license_declared = Some("BSD-2-Clause".into());

    SbomInput {
        image_name: "registry.example.com/team/python:3.11".into(),
        image_digest: Some(DIGEST.into()),
        arch: "amd64".into(),
        distro: Some(("debian".into(), "12".into())),
        distro_name: Some("Debian GNU/Linux".into()),
        supplier: None,
        created_epoch: 1_700_000_000,
        tool: "whittle-0.1.0".into(),
        // Deliberately unsorted.
        packages: vec![zlib, excluded, python, custom, libc],
    }
}

/// Validate with pyspdxtools (`pip install spdx-tools`; the test command
/// installs it): a loud SKIP when it is missing, a failure under `CI=true`.
fn validate(path: &Path) {
    if !require_tool("pyspdxtools") {
        return;
    }
    let out = Command::new("pyspdxtools")
        .arg("-i")
        .arg(path)
        .output()
        .expect("run pyspdxtools");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pyspdxtools rejected {}:\n{stdout}\n{stderr}\n{}",
        path.display(),
        fs_err::read_to_string(path).unwrap()
    );
    assert!(
        !stdout.contains("ERROR") && !stderr.contains("ERROR"),
        "{stdout}\n{stderr}"
    );
}

fn packages_by_name<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == name)
        .collect()
}

fn relationships<'a>(doc: &'a Value, ty: &str) -> Vec<(&'a str, &'a str)> {
    doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == ty)
        .map(|r| {
            (
                r["spdxElementId"].as_str().unwrap(),
                r["relatedSpdxElement"].as_str().unwrap(),
            )
        })
        .collect()
}

#[test]
fn debian_image_sbom() {
    let text = spdx_json(&debian_input());
    assert!(text.ends_with("}\n"));
    let doc: Value = serde_json::from_str(&text).unwrap();

    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert_eq!(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    assert_eq!(doc["creationInfo"]["creators"][0], "Tool: whittle-0.1.0");
    let ns = doc["documentNamespace"].as_str().unwrap();
    assert!(ns.starts_with("https://spdx.org/spdxdocs/whittle/"), "{ns}");

    // image + OS + 5 packages.
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 7);
    let ids: Vec<&str> = packages
        .iter()
        .map(|p| p["SPDXID"].as_str().unwrap())
        .collect();
    for id in &ids {
        assert!(id.starts_with("SPDXRef-"));
        assert!(id[8..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());

    // Distribution packages come sorted by name after image and OS.
    let names: Vec<&str> = packages[2..]
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "acme-tools",
            "debconf",
            "libc6",
            "python3.11-minimal",
            "zlib1g"
        ]
    );

    // Relationships: 1 DESCRIBES, 1 + 4 CONTAINS, 1 PROVIDED_DEPENDENCY_OF.
    assert_eq!(
        relationships(&doc, "DESCRIBES"),
        [("SPDXRef-DOCUMENT", "SPDXRef-Package-image")]
    );
    let contains = relationships(&doc, "CONTAINS");
    assert_eq!(contains.len(), 5);
    assert!(contains
        .iter()
        .all(|(from, _)| *from == "SPDXRef-Package-image"));
    assert!(contains.contains(&("SPDXRef-Package-image", "SPDXRef-OperatingSystem")));
    assert_eq!(doc["relationships"].as_array().unwrap().len(), 7);

    // The image.
    let image = &packages[0];
    assert_eq!(image["SPDXID"], "SPDXRef-Package-image");
    assert_eq!(image["name"], "registry.example.com/team/python:3.11");
    assert_eq!(image["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(image["versionInfo"], DIGEST);
    assert_eq!(image["checksums"][0]["algorithm"], "SHA256");
    assert_eq!(
        image["externalRefs"][0]["referenceLocator"],
        format!(
            "pkg:oci/python@sha256%3A{}?arch=amd64&repository_url=registry.example.com/team/python&tag=3.11",
            &DIGEST[7..]
        )
    );
    let os = &packages[1];
    assert_eq!(os["name"], "debian");
    assert_eq!(os["versionInfo"], "12");
    assert_eq!(os["primaryPackagePurpose"], "OPERATING-SYSTEM");
    // NTIA wants a supplier for every component: the distribution supplies
    // the image and its operating system when nobody else is named.
    assert_eq!(image["supplier"], "Organization: Debian GNU/Linux");
    assert_eq!(os["supplier"], "Organization: Debian GNU/Linux");
    assert!(packages.iter().all(|p| p["supplier"] != "NOASSERTION"));

    // The excluded package is listed but not contained.
    let debconf = packages_by_name(&doc, "debconf")[0];
    let debconf_id = debconf["SPDXID"].as_str().unwrap();
    assert!(debconf_id.starts_with("SPDXRef-Package-deb-debconf-"));
    assert_eq!(
        debconf["comment"],
        "excluded by the recipe: treated as provided, not installed"
    );
    assert!(!contains.iter().any(|(_, to)| *to == debconf_id));
    assert_eq!(
        relationships(&doc, "PROVIDED_DEPENDENCY_OF"),
        [(debconf_id, "SPDXRef-Package-image")]
    );
    assert!(doc["comment"].as_str().unwrap().contains("debconf 1.5.82"));

    // Versions with '+' and an epoch; purls; source info.
    let python = packages_by_name(&doc, "python3.11-minimal")[0];
    assert_eq!(python["versionInfo"], "3.11.2-6+deb12u2");
    assert_eq!(
        python["externalRefs"][0],
        serde_json::json!({
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": "pkg:deb/debian/python3.11-minimal@3.11.2-6%2Bdeb12u2?arch=amd64&distro=debian-12"
        })
    );
    assert_eq!(
        python["sourceInfo"],
        "built package from: python3.11 3.11.2-6+deb12u2"
    );
    assert_eq!(
        python["supplier"],
        "Person: Matthias Klose (doko@debian.org)"
    );
    assert_eq!(python["filesAnalyzed"], false);
    assert_eq!(python["licenseConcluded"], "NOASSERTION");
    assert_eq!(python["licenseDeclared"], "PSF-2.0");
    assert_eq!(python["checksums"].as_array().unwrap().len(), 2);
    assert_eq!(python["checksums"][0]["algorithm"], "SHA1");
    assert!(python["downloadLocation"]
        .as_str()
        .unwrap()
        .starts_with("http://deb.mirror.example/"));

    let zlib = packages_by_name(&doc, "zlib1g")[0];
    assert_eq!(zlib["versionInfo"], "1:1.2.13.dfsg-1");
    assert!(zlib["externalRefs"][0]["referenceLocator"]
        .as_str()
        .unwrap()
        .contains("@1%3A1.2.13.dfsg-1?"));
    assert_eq!(
        zlib["sourceInfo"],
        "built package from: zlib 1:1.2.13.dfsg-1"
    );
    assert_eq!(zlib["copyrightText"], "NOASSERTION");

    // License expressions.
    let libc = packages_by_name(&doc, "libc6")[0];
    assert_eq!(
        libc["licenseDeclared"],
        "GPL-2.0-or-later AND LGPL-2.1-only"
    );
    assert_eq!(libc["downloadLocation"], "NOASSERTION");
    assert!(libc["comment"]
        .as_str()
        .unwrap()
        .contains("http://127.0.0.1:8080/pool/libc6.deb"));
    let acme = packages_by_name(&doc, "acme-tools")[0];
    assert_eq!(acme["licenseDeclared"], "LicenseRef-Custom-License");
    assert!(acme.get("sourceInfo").is_none());
    let extracted = doc["hasExtractedLicensingInfos"].as_array().unwrap();
    assert_eq!(extracted.len(), 1);
    assert_eq!(extracted[0]["licenseId"], "LicenseRef-Custom-License");
    assert_eq!(extracted[0]["extractedText"], "Custom-License");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sbom-amd64.spdx.json");
    write_atomic(&path, &text).unwrap();
    validate(&path);
}

#[test]
fn minimal_image_sbom_validates() {
    // No digest, no distro, no packages, odd strings everywhere.
    let input = SbomInput {
        image_name: "scratch".into(),
        arch: "arm/v7".into(),
        tool: String::new(),
        packages: vec![SbomPackage {
            name: "weird pkg+name".into(),
            version: String::new(),
            arch: "armhf".into(),
            purl: "not a purl".into(),
            license_declared: Some("GPL-2+ | BSD, see COPYING".into()),
            supplier: Some("Some Team".into()),
            checksums: vec![("CRC".into(), "1".into())],
            download_location: Some("file:///tmp/x.deb".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let text = spdx_json(&input);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["packages"].as_array().unwrap().len(), 2);
    let pkg = &doc["packages"][1];
    assert!(pkg.get("externalRefs").is_none());
    assert!(pkg.get("checksums").is_none());
    assert_eq!(pkg["supplier"], "Organization: Some Team");
    assert!(pkg["licenseDeclared"]
        .as_str()
        .unwrap()
        .starts_with("LicenseRef-"));
    assert!(doc["packages"][0].get("externalRefs").is_none());
    assert_eq!(doc["creationInfo"]["creators"][0], "Tool: whittle");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("minimal.spdx.json");
    write_atomic(&path, &text).unwrap();
    validate(&path);
}

#[test]
fn index_sbom() {
    let per_arch = vec![
        ("arm64".to_string(), format!("sha256:{}", "b".repeat(64))),
        ("amd64".to_string(), format!("sha256:{}", "a".repeat(64))),
        ("arm/v7".to_string(), format!("sha256:{}", "c".repeat(64))),
    ];
    let index_digest = format!("sha256:{}", "d".repeat(64));
    let input = SbomIndexInput {
        image_name: "registry.example.com/team/python:3.11".into(),
        index_digest: index_digest.clone(),
        per_arch: per_arch.clone(),
        created_epoch: 1_700_000_000,
        tool: "whittle-0.1.0".into(),
        ..Default::default()
    };
    let text = spdx_index_json(&input);
    assert!(text.ends_with('\n'));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 4);
    assert_eq!(packages[0]["SPDXID"], "SPDXRef-Package-index");
    assert_eq!(
        packages[0]["externalRefs"][0]["referenceLocator"],
        format!(
            "pkg:oci/python@sha256%3A{}?repository_url=registry.example.com/team/python&tag=3.11",
            "d".repeat(64)
        )
    );
    assert_eq!(
        relationships(&doc, "DESCRIBES"),
        [("SPDXRef-DOCUMENT", "SPDXRef-Package-index")]
    );
    let contains = relationships(&doc, "CONTAINS");
    assert_eq!(contains.len(), 3);
    assert!(contains
        .iter()
        .all(|(from, _)| *from == "SPDXRef-Package-index"));
    // Sorted by arch, each with its own purl.
    let purls: Vec<&str> = packages[1..]
        .iter()
        .map(|p| p["externalRefs"][0]["referenceLocator"].as_str().unwrap())
        .collect();
    assert!(purls[0].contains(&"a".repeat(64)) && purls[0].contains("arch=amd64&"));
    assert!(purls[1].contains(&"c".repeat(64)) && purls[1].contains("arch=arm%2Fv7&"));
    assert!(purls[2].contains(&"b".repeat(64)) && purls[2].contains("arch=arm64&"));
    for p in &packages[1..] {
        assert!(p["SPDXID"]
            .as_str()
            .unwrap()
            .starts_with("SPDXRef-Package-image-"));
        assert_eq!(p["checksums"][0]["algorithm"], "SHA256");
    }

    // Order of the per-arch list does not matter.
    let mut reversed = per_arch.clone();
    reversed.reverse();
    assert_eq!(
        text,
        spdx_index_json(&SbomIndexInput {
            per_arch: reversed,
            ..input.clone()
        })
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sbom-index.spdx.json");
    write_atomic(&path, &text).unwrap();
    validate(&path);
}

#[test]
fn deterministic() {
    let input = debian_input();
    let a = spdx_json(&input);
    assert_eq!(a, spdx_json(&input));

    // Package order in the input does not matter.
    let mut shuffled = input.clone();
    shuffled.packages.reverse();
    assert_eq!(a, spdx_json(&shuffled));

    let namespace = |text: &str| {
        let doc: Value = serde_json::from_str(text).unwrap();
        doc["documentNamespace"].as_str().unwrap().to_string()
    };
    let ns = namespace(&a);
    let hash = ns.rsplit('-').next().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));

    // Any change → a different namespace.
    let mut other = input.clone();
    other.packages[0].version.push_str("+b1");
    assert_ne!(ns, namespace(&spdx_json(&other)));
    let mut other = input.clone();
    other.created_epoch += 1;
    assert_ne!(ns, namespace(&spdx_json(&other)));
    let mut other = input.clone();
    other.image_digest = None;
    assert_ne!(ns, namespace(&spdx_json(&other)));
    let mut other = input.clone();
    other.packages[1].excluded = !other.packages[1].excluded;
    assert_ne!(ns, namespace(&spdx_json(&other)));

    let index = |digest: &str| {
        spdx_index_json(&SbomIndexInput {
            image_name: "app:1".into(),
            index_digest: digest.into(),
            per_arch: vec![("amd64".into(), format!("sha256:{}", "a".repeat(64)))],
            tool: "whittle-0.1.0".into(),
            ..Default::default()
        })
    };
    let i1 = index(&format!("sha256:{}", "1".repeat(64)));
    assert_eq!(i1, index(&format!("sha256:{}", "1".repeat(64))));
    assert_ne!(
        namespace(&i1),
        namespace(&index(&format!("sha256:{}", "2".repeat(64))))
    );
}

#[test]
fn purl_encode_table() {
    for (input, want) in [
        ("3.11.2-1+b1", "3.11.2-1%2Bb1"),
        ("1:1.2.13.dfsg-1", "1%3A1.2.13.dfsg-1"),
        ("2:9.0.1378-2", "2%3A9.0.1378-2"),
        ("1.0~rc1-1", "1.0~rc1-1"),
        ("debian-12", "debian-12"),
        ("amd64", "amd64"),
        ("a/b", "a%2Fb"),
        ("a b", "a%20b"),
        ("100%", "100%25"),
        ("x?y&z=w#v@u", "x%3Fy%26z%3Dw%23v%40u"),
        ("ü", "%C3%BC"),
    ] {
        assert_eq!(purl_encode(input), want, "{input:?}");
    }
}

#[test]
fn script_actions_not_emulated_are_in_the_package_comment() {
    let mut pkg = deb("postgresql-15", "15.14-0+deb12u1", "amd64");
    pkg.not_emulated = vec![
        "postinst line 10: pg_createcluster -u postgres 15 main (needs initdb)".into(),
        "postinst line 12: tr\nx (unknown command)".into(),
    ];
    let input = SbomInput {
        image_name: "example/pg".into(),
        arch: "amd64".into(),
        tool: "whittle-test".into(),
        packages: vec![pkg, deb("libc6", "2.36-9+deb12u13", "amd64")],
        ..Default::default()
    };
    let doc: Value = serde_json::from_str(&spdx_json(&input)).unwrap();
    let pg = packages_by_name(&doc, "postgresql-15");
    let comment = pg[0]["comment"].as_str().expect("a comment");
    assert_eq!(
        comment,
        "install script actions not emulated in the image: postinst line 10: pg_createcluster \
         -u postgres 15 main (needs initdb); postinst line 12: tr x (unknown command)"
    );
    assert!(packages_by_name(&doc, "libc6")[0].get("comment").is_none());
}
