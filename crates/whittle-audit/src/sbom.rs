//! `whittle sbom IMAGE`: an image's SBOM made again from what it carries,
//! as [`whittle_sbom::SbomInput`]. Packages are named as the build named
//! them (the worlds' purl functions, through [`crate::inventory`]); what
//! only the repository knew (download URLs, package-file checksums) is
//! absent unless the database records it (Chisel's `.deb` digests).

use whittle_sbom::{SbomInput, SbomPackage};

use crate::inventory::{Inventory, InventoryPackage};
use crate::platform::Platform;

/// The SBOM input for `inventory`: the image's name, manifest digest,
/// architecture, distribution, supplier (its vendor annotation, as the
/// build takes it from the recipe) and build date, and every package.
pub fn sbom_input(inventory: &Inventory) -> SbomInput {
    let arch = Platform::parse(&inventory.platform)
        .map(|p| p.architecture)
        .unwrap_or_default();
    SbomInput {
        image_name: inventory
            .name
            .clone()
            .unwrap_or_else(|| inventory.source.clone()),
        image_digest: inventory.manifest.clone(),
        arch,
        distro: inventory
            .distro
            .as_ref()
            .map(|d| (d.id.clone(), d.version_id.clone())),
        distro_name: inventory.distro.as_ref().and_then(|d| d.name.clone()),
        supplier: inventory
            .vendor
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| format!("Organization: {v}")),
        created_epoch: inventory
            .created
            .as_deref()
            .and_then(|c| c.parse::<jiff::Timestamp>().ok())
            .map_or(0, jiff::Timestamp::as_second),
        tool: format!("whittle-{}", env!("CARGO_PKG_VERSION")),
        packages: inventory.packages.iter().map(package).collect(),
    }
}

/// One package as the build's SBOM lists it: the source defaults to the
/// binary package, as the engine's records do.
fn package(p: &InventoryPackage) -> SbomPackage {
    SbomPackage {
        name: p.name.clone(),
        version: p.version.clone(),
        arch: p.arch.clone(),
        purl: p.purl.clone(),
        source_name: Some(p.source_name.clone().unwrap_or_else(|| p.name.clone())),
        source_version: Some(
            p.source_version
                .clone()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| p.version.clone()),
        ),
        license_declared: p.license.clone(),
        copyright_text: None,
        supplier: p.supplier.clone(),
        checksums: p
            .digest
            .as_deref()
            .and_then(|d| d.strip_prefix("sha256:"))
            .map(|hex| vec![("SHA256".to_string(), hex.to_string())])
            .unwrap_or_default(),
        download_location: None,
        excluded: false,
        not_emulated: Vec::new(),
    }
}
