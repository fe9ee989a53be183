//! CycloneDX documents: structure, agreement with the SPDX document of the
//! same input, determinism, and the official CycloneDX 1.6 JSON schema
//! (`cyclonedx-validate`, installed by scripts/install-test-deps.sh) when
//! it is installed.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use whittle_sbom::{
    cyclonedx_index_json, cyclonedx_json, purl_encode, render, render_index, spdx_json,
    write_atomic, SbomFormat, SbomIndexInput, SbomInput, SbomPackage,
};
use whittle_test_env::host::require_tool;

const DIGEST: &str = "sha256:8a3e6a0a9e4d6a7a2f1b6c0d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f";

fn deb(name: &str, version: &str) -> SbomPackage {
    SbomPackage {
        name: name.into(),
        version: version.into(),
        arch: "amd64".into(),
        purl: format!(
            "pkg:deb/debian/{name}@{}?arch=amd64&distro=debian-12",
            purl_encode(version)
        ),
        ..Default::default()
    }
}

/// Packages exercising every field: a source package, checksums in two
/// algorithms CycloneDX has and one it lacks, a listed, an unlisted and an
/// unparsable license, no supplier, credentials in a URL, script actions
/// not emulated, and an excluded package.
fn input() -> SbomInput {
    let mut python = deb("python3.11-minimal", "3.11.2-6+deb12u2");
    python.source_name = Some("python3.11".into());
    python.license_declared = Some("PSF-2.0".into());
    python.copyright_text = Some("Copyright (c) 2001-2023 Python Software Foundation.".into());
    python.checksums = vec![
        ("SHA256".into(), "0f".repeat(32)),
        ("SHA1".into(), "1e".repeat(20)),
        ("SHA224".into(), "2d".repeat(28)),
    ];
    python.download_location = Some(
        "https://user:secret@deb.mirror.example/pool/p/python3.11-minimal_3.11.2-6+deb12u2_amd64.deb"
            .into(),
    );
    python.supplier = Some("Matthias Klose <doko@debian.org>".into());
    python.not_emulated = vec![
        "postinst line 3: py3compile -p x (byte-compiles)".into(),
        "postinst line 9: tr\nx (unknown command)".into(),
    ];

    let mut acme = deb("acme-tools", "0.3-1");
    acme.license_declared = Some("MIT AND Custom-License".into());
    acme.supplier = Some("Organization: Acme".into());

    let mut odd = deb("odd-license", "1");
    odd.license_declared = Some("GPL, see /usr/share/common-licenses/GPL".into());

    let mut debconf = deb("debconf", "1.5.82");
    debconf.excluded = true;

    SbomInput {
        image_name: "registry.example.com/team/python:3.11".into(),
        image_digest: Some(DIGEST.into()),
        arch: "amd64".into(),
        distro: Some(("debian".into(), "12".into())),
        distro_name: Some("Debian GNU/Linux".into()),
        supplier: None,
        created_epoch: 1_700_000_000,
        tool: "whittle-0.1.0".into(),
        packages: vec![odd, debconf, python, acme],
    }
}

/// Validate against the CycloneDX 1.6 schema: a loud SKIP when the
/// validator is missing, a failure under `CI=true`.
fn validate(text: &str, name: &str) {
    if !require_tool("cyclonedx-validate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    write_atomic(&path, text).unwrap();
    let out = Command::new("cyclonedx-validate")
        .arg(&path)
        .output()
        .expect("run cyclonedx-validate");
    assert!(
        out.status.success(),
        "{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn component<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let found: Vec<&Value> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == name)
        .collect();
    assert_eq!(found.len(), 1, "{name}");
    found[0]
}

fn spdx_package<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

/// Every `bom-ref` in the document, nested ones included.
fn bom_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("bom-ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| bom_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| bom_refs(v, out)),
        _ => {}
    }
}

#[test]
fn image_bom_describes_every_package_once() {
    let input = input();
    let text = cyclonedx_json(&input);
    assert!(text.ends_with("}\n"));
    let doc = parse(&text);
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert_eq!(doc["specVersion"], "1.6");
    assert_eq!(doc["version"], 1);

    // The image is the described component.
    let image = &doc["metadata"]["component"];
    assert_eq!(image["type"], "container");
    assert_eq!(image["version"], DIGEST);
    assert_eq!(image["hashes"][0]["alg"], "SHA-256");
    assert_eq!(image["hashes"][0]["content"], &DIGEST[7..]);
    let spdx = parse(&spdx_json(&input));
    assert_eq!(
        image["purl"], spdx["packages"][0]["externalRefs"][0]["referenceLocator"],
        "the same image purl as SPDX"
    );
    assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let tool = &doc["metadata"]["tools"]["components"][0];
    assert_eq!(
        (&tool["name"], &tool["version"]),
        (&"whittle".into(), &"0.1.0".into())
    );
    // No vendor given: the distribution supplies the image.
    assert_eq!(doc["metadata"]["supplier"]["name"], "Debian GNU/Linux");
    assert_eq!(image["supplier"], doc["metadata"]["supplier"]);

    // Each input package exactly once, as a library, with its own purl;
    // then the operating system.
    for p in &input.packages {
        let c = component(&doc, &p.name);
        assert_eq!(c["type"], "library");
        assert_eq!(c["version"], p.version.as_str());
        assert_eq!(c["purl"], p.purl.as_str());
        assert!(c["supplier"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()));
    }
    let os = component(&doc, "debian");
    assert_eq!(os["type"], "operating-system");
    assert_eq!(os["version"], "12");
    assert_eq!(doc["components"].as_array().unwrap().len(), 5);

    // bom-refs are unique; dependencies name only existing ones.
    let mut refs = Vec::new();
    bom_refs(&doc, &mut refs);
    let unique: BTreeSet<&String> = refs.iter().collect();
    assert_eq!(unique.len(), refs.len(), "{refs:?}");
    let deps = doc["dependencies"].as_array().unwrap();
    assert_eq!(deps.len(), 1, "only the image's dependencies are known");
    assert_eq!(deps[0]["ref"], image["bom-ref"]);
    let depends_on: BTreeSet<&str> = deps[0]["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for r in &depends_on {
        assert!(unique.contains(&(*r).to_string()), "{r}");
    }
    // The image depends on everything installed, not on what was excluded.
    let installed: BTreeSet<&str> = input
        .packages
        .iter()
        .filter(|p| !p.excluded)
        .map(|p| component(&doc, &p.name)["bom-ref"].as_str().unwrap())
        .chain([os["bom-ref"].as_str().unwrap()])
        .collect();
    assert_eq!(depends_on, installed);
    let debconf = component(&doc, "debconf");
    assert_eq!(debconf["scope"], "excluded");
    assert_eq!(debconf["properties"][0]["name"], "whittle:excluded");

    validate(&text, "sbom-amd64.cdx.json");
}

#[test]
fn packages_say_the_same_as_in_spdx() {
    let input = input();
    let cdx = parse(&cyclonedx_json(&input));
    let spdx = parse(&spdx_json(&input));

    // Licenses: the same normalised expression; unlisted identifiers are
    // LicenseRefs in both; text that is no expression is a named license.
    for name in ["python3.11-minimal", "acme-tools"] {
        let expression = &component(&cdx, name)["licenses"][0];
        assert_eq!(
            expression["expression"],
            spdx_package(&spdx, name)["licenseDeclared"],
            "{name}"
        );
        assert_eq!(expression["acknowledgement"], "declared");
    }
    assert_eq!(
        component(&cdx, "acme-tools")["licenses"][0]["expression"],
        "MIT AND LicenseRef-Custom-License"
    );
    let odd = &component(&cdx, "odd-license")["licenses"];
    assert_eq!(odd.as_array().unwrap().len(), 1);
    assert_eq!(
        odd[0]["license"]["name"],
        "GPL, see /usr/share/common-licenses/GPL"
    );
    assert!(component(&cdx, "debconf").get("licenses").is_none());

    // Suppliers: the same actor, split into name and contact; the
    // distribution for a package that names none.
    let python = component(&cdx, "python3.11-minimal");
    assert_eq!(python["supplier"]["name"], "Matthias Klose");
    assert_eq!(python["supplier"]["contact"][0]["email"], "doko@debian.org");
    assert_eq!(
        spdx_package(&spdx, "python3.11-minimal")["supplier"],
        "Person: Matthias Klose (doko@debian.org)"
    );
    assert_eq!(
        component(&cdx, "odd-license")["supplier"]["name"],
        "Debian GNU/Linux"
    );
    assert_eq!(
        spdx_package(&spdx, "odd-license")["supplier"],
        "Organization: Debian GNU/Linux"
    );

    // Hashes: SPDX's checksums CycloneDX can name, with its names.
    let hashes: Vec<(&str, &str)> = python["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["alg"].as_str().unwrap(), h["content"].as_str().unwrap()))
        .collect();
    let spdx_sums = spdx_package(&spdx, "python3.11-minimal")["checksums"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(spdx_sums, 3);
    assert_eq!(hashes.len(), 2, "SHA-224 has no CycloneDX name: {hashes:?}");
    assert!(hashes.contains(&("SHA-256", &"0f".repeat(32))));
    assert!(hashes.contains(&("SHA-1", &"1e".repeat(20))));

    // The source package, as SPDX's sourceInfo and CycloneDX's ancestor.
    let ancestor = &python["pedigree"]["ancestors"][0];
    assert_eq!(ancestor["name"], "python3.11");
    assert_eq!(ancestor["version"], "3.11.2-6+deb12u2");
    assert!(component(&cdx, "acme-tools").get("pedigree").is_none());

    // The download URL, never with its credentials.
    let url = python["externalReferences"][0]["url"].as_str().unwrap();
    assert_eq!(python["externalReferences"][0]["type"], "distribution");
    assert!(url.starts_with("https://deb.mirror.example/pool/"), "{url}");
    let spdx_text = spdx_json(&input);
    for text in [&spdx_text, &cyclonedx_json(&input)] {
        assert!(!text.contains("secret"), "credentials leaked");
    }

    // Script actions not emulated: one property each, in order, one line.
    let props: Vec<(&str, &str)> = python["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        props,
        [
            (
                "whittle:not-emulated",
                "postinst line 3: py3compile -p x (byte-compiles)"
            ),
            (
                "whittle:not-emulated",
                "postinst line 9: tr x (unknown command)"
            )
        ]
    );
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let input = input();
    let a = cyclonedx_json(&input);
    assert_eq!(a, cyclonedx_json(&input));
    let mut shuffled = input.clone();
    shuffled.packages.reverse();
    assert_eq!(a, cyclonedx_json(&shuffled), "input order does not matter");
    assert_eq!(a, render(SbomFormat::CycloneDx, &input));

    let serial = |text: &str| parse(text)["serialNumber"].as_str().unwrap().to_string();
    let s = serial(&a);
    let uuid = s.strip_prefix("urn:uuid:").unwrap();
    assert_eq!(uuid.len(), 36);
    assert!(uuid
        .bytes()
        .all(|b| b == b'-' || (b.is_ascii_hexdigit() && !b.is_ascii_uppercase())));

    // Any change to the content: another serial number.
    let mut changes: Vec<SbomInput> = Vec::new();
    let mut other = input.clone();
    other.packages[0].version.push_str("+b1");
    changes.push(other);
    let mut other = input.clone();
    other.created_epoch += 1;
    changes.push(other);
    let mut other = input.clone();
    other.image_digest = None;
    changes.push(other);
    let mut other = input.clone();
    other.packages[1].excluded = !other.packages[1].excluded;
    changes.push(other);
    let mut serials = BTreeSet::from([s]);
    for changed in &changes {
        assert!(serials.insert(serial(&cyclonedx_json(changed))));
    }
}

#[test]
fn a_bare_image_still_validates() {
    // No digest, no distro, odd strings: nothing to claim is left out
    // rather than made up.
    let input = SbomInput {
        image_name: "scratch".into(),
        arch: "arm/v7".into(),
        packages: vec![SbomPackage {
            name: "weird pkg+name".into(),
            arch: "armhf".into(),
            purl: "not a purl".into(),
            checksums: vec![("CRC".into(), "1".into())],
            download_location: Some("file:///tmp/x.deb".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let text = cyclonedx_json(&input);
    let doc = parse(&text);
    let image = &doc["metadata"]["component"];
    assert_eq!(image["bom-ref"], "image");
    assert!(image.get("version").is_none() && image.get("purl").is_none());
    assert!(doc["metadata"].get("supplier").is_none());
    assert_eq!(doc["metadata"]["tools"]["components"][0]["name"], "whittle");
    let pkg = &doc["components"][0];
    for absent in [
        "version",
        "purl",
        "hashes",
        "licenses",
        "supplier",
        "externalReferences",
    ] {
        assert!(pkg.get(absent).is_none(), "{absent}: {pkg}");
    }
    assert_eq!(doc["dependencies"][0]["dependsOn"][0], pkg["bom-ref"]);
    validate(&text, "minimal.cdx.json");
}

#[test]
fn index_bom_lists_each_image() {
    let per_arch = vec![
        ("arm64".to_string(), format!("sha256:{}", "b".repeat(64))),
        ("amd64".to_string(), format!("sha256:{}", "a".repeat(64))),
        ("arm/v7".to_string(), format!("sha256:{}", "c".repeat(64))),
    ];
    let input = SbomIndexInput {
        image_name: "registry.example.com/team/python:3.11".into(),
        index_digest: format!("sha256:{}", "d".repeat(64)),
        per_arch: per_arch.clone(),
        distro_name: Some("Debian GNU/Linux".into()),
        supplier: Some("Organization: Acme".into()),
        created_epoch: 1_700_000_000,
        tool: "whittle-0.1.0".into(),
    };
    let text = cyclonedx_index_json(&input);
    assert_eq!(text, render_index(SbomFormat::CycloneDx, &input));
    let doc = parse(&text);
    let index = &doc["metadata"]["component"];
    assert_eq!(index["version"], input.index_digest.as_str());
    assert!(!index["purl"].as_str().unwrap().contains("arch="));
    assert_eq!(doc["metadata"]["supplier"]["name"], "Acme");
    let images = doc["components"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    for image in images {
        let (arch, digest) = per_arch
            .iter()
            .find(|(_, d)| image["version"] == d.as_str())
            .unwrap();
        assert_eq!(image["type"], "container");
        assert!(image["purl"]
            .as_str()
            .unwrap()
            .contains(&format!("arch={}&", purl_encode(arch))));
        assert_eq!(image["hashes"][0]["content"], &digest[7..]);
        assert_eq!(image["supplier"]["name"], "Acme");
    }
    let depends_on = doc["dependencies"][0]["dependsOn"].as_array().unwrap();
    assert_eq!(depends_on.len(), 3);
    // Order of the per-arch list does not matter.
    let mut reversed = input.clone();
    reversed.per_arch.reverse();
    assert_eq!(text, cyclonedx_index_json(&reversed));
    validate(&text, "sbom-index.cdx.json");
}

#[test]
fn every_format_renders_its_own_document() {
    let input = input();
    let dir = tempfile::tempdir().unwrap();
    for format in SbomFormat::ALL {
        let text = render(format, &input);
        let path = dir.path().join(format!("sbom-amd64{}", format.suffix()));
        write_atomic(&path, &text).unwrap();
        let doc: Value = serde_json::from_str(&fs_err::read_to_string(&path).unwrap()).unwrap();
        let is_spdx = doc.get("spdxVersion").is_some();
        let is_cdx = doc.get("bomFormat").is_some();
        assert_eq!(
            (is_spdx, is_cdx),
            (format == SbomFormat::Spdx, format == SbomFormat::CycloneDx)
        );
    }
    assert!(Path::new(&dir.path().join("sbom-amd64.cdx.json")).exists());
}
