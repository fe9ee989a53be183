//! What one platform's image holds, by package: the package databases
//! read back ([`crate::db`]) and each package named the way its world
//! names it at build time (purl, licence, supplier: the worlds' own
//! functions, so `whittle sbom IMAGE` agrees with the build's SBOM).

use serde::Serialize;
use whittle_world::Distro;

use crate::db::{self, DbKind, Package, World};
use crate::error::AuditError;
use crate::image::{ImageSet, ReadImage};
use crate::platform::Platform;
use crate::tree::{Tree, Wanted};
use crate::ImageRef;

/// The packages of one platform's image.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// The image as given (path, and `:TAG` if any).
    pub source: String,
    /// The platform read (`linux/amd64`).
    pub platform: String,
    /// The manifest digest (OCI images).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// The name the image is tagged with (`registry.example/app:1.0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The config's `created` (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Who made the image (`org.opencontainers.image.vendor`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// The recipe contents whittle recorded on the image's `index.json`
    /// entry ([`whittle_recipe::CONTENTS_ANNOTATION`]): where its packages
    /// came from. Not part of the JSON report.
    #[serde(skip)]
    pub recipe_contents: Option<String>,
    /// os-release `ID` and `VERSION_ID` (`debian`, `12`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distro: Option<OsRelease>,
    /// The package databases read.
    pub databases: Vec<DbKind>,
    /// The packages, sorted by name, version and architecture.
    pub packages: Vec<InventoryPackage>,
    /// What could not be read (a database too large or malformed).
    pub notes: Vec<String>,
}

/// os-release's `ID`, `VERSION_ID` and `NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsRelease {
    /// `ID` (`debian`, `wolfi`, `azurelinux`).
    pub id: String,
    /// `VERSION_ID` (`12`; empty for rolling distributions).
    pub version_id: String,
    /// `NAME` (`Debian GNU/Linux`), if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryPackage {
    /// The name.
    pub name: String,
    /// The version as the world writes it (rpm: `[EPOCH:]VERSION-RELEASE`).
    pub version: String,
    /// The package's architecture (`amd64`, `all`, `x86_64`, `noarch`).
    pub arch: String,
    /// Its world: `deb`, `apk` or `rpm`.
    pub world: World,
    /// The database it was read from.
    pub database: DbKind,
    /// Installed size in bytes (dpkg's `Installed-Size` KiB × 1024, apk's
    /// `I:`, rpm's `SIZE`), when the database records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed_size: Option<u64>,
    /// The source package's name, when the database records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The source package's version, when the database records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// The declared licence as an SPDX expression, when known (Debian:
    /// the machine-readable copyright file, read only by
    /// [`inventory`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Who supplied it, in SPDX's form (`Organization: …`, `Person: …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// The package URL, as the build's SBOM writes it.
    pub purl: String,
    /// The package file's digest, when the database records it (Chisel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// Read the inventory of `image` for `platform` (default: the only one,
/// else the host's), licences included.
pub fn inventory(image: &ImageRef, platform: Option<&Platform>) -> Result<Inventory, AuditError> {
    let set = ImageSet::open(image)?;
    set.inventory(platform)
}

impl ImageSet {
    /// The inventory of the image for `platform` (see
    /// [`ImageSet::choose`]), licences included.
    pub fn inventory(&self, platform: Option<&Platform>) -> Result<Inventory, AuditError> {
        let keep = Wanted {
            digests: false,
            licences: true,
        };
        Ok(of_image(&self.read(platform, keep)?))
    }
}

/// The inventory of an image read.
pub(crate) fn of_image(read: &ReadImage) -> Inventory {
    let tree = &read.tree;
    let database = db::read(tree);
    let os_release = tree
        .read("etc/os-release")
        .or_else(|| tree.read("usr/lib/os-release"))
        .map(String::from_utf8_lossy);
    let distro = os_release.as_deref().and_then(Distro::from_os_release);
    let name = os_release.as_deref().and_then(Distro::name_from_os_release);
    let packages = database
        .packages
        .iter()
        .map(|p| package(p, tree, distro.as_ref()))
        .collect();
    let mut notes = read.notes.clone();
    notes.extend(database.notes);
    Inventory {
        source: read.source.clone(),
        platform: read.platform.to_string(),
        manifest: read.manifest.clone(),
        name: read.ref_name.clone(),
        created: read.created.clone(),
        vendor: read.vendor.clone(),
        recipe_contents: read.recipe_contents.clone(),
        distro: distro.map(|d| OsRelease {
            id: d.id,
            version_id: d.version_id,
            name,
        }),
        databases: database.kinds,
        packages,
        notes,
    }
}

/// One database entry, named as its world names it.
fn package(p: &Package, tree: &Tree, distro: Option<&Distro>) -> InventoryPackage {
    let world = p.db.world();
    let maintainer = p.maintainer.as_deref().unwrap_or_default();
    let (purl, license, supplier) = match world {
        World::Deb => (
            whittle_deb::world::deb_purl(&p.name, &p.version, &p.arch, distro),
            tree.read(&format!("usr/share/doc/{}/copyright", p.name))
                .and_then(|t| whittle_deb::license::copyright_license(&String::from_utf8_lossy(t))),
            whittle_deb::world::maintainer_supplier(maintainer),
        ),
        World::Apk => (
            whittle_apk::world::apk_purl(&p.name, &p.version, &p.arch, distro),
            p.license.clone(),
            whittle_apk::world::maintainer_supplier(maintainer),
        ),
        World::Rpm => (
            whittle_rpm::world::rpm_purl(&p.name, &p.version, &p.arch, distro),
            p.license.as_deref().map(whittle_rpm::world::spdx_operators),
            whittle_rpm::world::vendor_supplier(maintainer),
        ),
    };
    InventoryPackage {
        name: p.name.clone(),
        version: p.version.clone(),
        arch: p.arch.clone(),
        world,
        database: p.db,
        installed_size: p.installed_size,
        source_name: p.source.as_ref().map(|s| s.0.clone()),
        source_version: p.source.as_ref().map(|s| s.1.clone()),
        license,
        supplier,
        purl: purl.to_string(),
        digest: p.digest.clone(),
    }
}
