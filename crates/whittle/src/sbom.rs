//! What the SBOMs of one architecture's image are made from (every format
//! is written from the same [`SbomInput`]).

use whittle_effects::ScriptReport;
use whittle_model::PackageRecord;
use whittle_rootfs::RootFs;
use whittle_sbom::{SbomInput, SbomPackage};
use whittle_world::{Distro, Installed, PackageWorld};

/// Build the SBOM input for one image.
pub fn sbom_input(
    world: &dyn PackageWorld,
    root: &RootFs,
    installed: &[Installed],
    excluded: &[PackageRecord],
    scripts: &[ScriptReport],
    image: (&str, Option<String>, &str),
    epoch: i64,
) -> SbomInput {
    let (tag, digest, arch) = image;
    let distro = Distro::from_root(root);
    let mut packages: Vec<SbomPackage> = installed
        .iter()
        .map(|p| {
            let facts = world.facts(root, p, distro.as_ref());
            let mut pkg = package(
                &p.record,
                facts.purl.to_string(),
                facts.license,
                facts.supplier,
                false,
            );
            pkg.not_emulated = not_emulated(scripts, &p.record.name);
            pkg
        })
        .collect();
    for rec in excluded {
        let shadow = Installed::from_record(rec.clone());
        let facts = world.facts(root, &shadow, distro.as_ref());
        packages.push(package(
            rec,
            facts.purl.to_string(),
            None,
            facts.supplier,
            true,
        ));
    }
    SbomInput {
        image_name: tag.to_string(),
        image_digest: digest,
        arch: arch.to_string(),
        distro: distro.map(|d| (d.id, d.version_id)),
        distro_name: os_release_name(root),
        // The caller sets the image's own supplier when the recipe names one.
        supplier: None,
        created_epoch: epoch,
        tool: format!("whittle-{}", env!("CARGO_PKG_VERSION")),
        packages,
    }
}

/// os-release `NAME` (`Debian GNU/Linux`, `Wolfi`), the supplier of packages
/// whose world names none (see `whittle_sbom`'s "Suppliers").
fn os_release_name(root: &RootFs) -> Option<String> {
    let text = root
        .read_file("etc/os-release")
        .or_else(|| root.read_file("usr/lib/os-release"))?;
    Distro::name_from_os_release(&String::from_utf8_lossy(&text))
}

/// The script actions of `name` whose effect the image lacks, one line each
/// (`postinst line 41: ucf … (why)`).
fn not_emulated(scripts: &[ScriptReport], name: &str) -> Vec<String> {
    scripts
        .iter()
        .filter(|r| r.package == name)
        .flat_map(|r| {
            r.not_emulated().map(move |a| {
                let why = match &a.class {
                    whittle_effects::Class::NotEmulated { why } => why.as_str(),
                    _ => "",
                };
                format!("{} line {}: {} ({why})", r.script, a.line, a.command)
            })
        })
        .collect()
}

fn package(
    rec: &PackageRecord,
    purl: String,
    license: Option<String>,
    supplier: Option<String>,
    excluded: bool,
) -> SbomPackage {
    SbomPackage {
        name: rec.name.clone(),
        version: rec.version.clone(),
        arch: rec.arch.clone(),
        purl,
        source_name: Some(rec.source_name().to_string()),
        source_version: Some(rec.source_version().to_string()),
        license_declared: license,
        copyright_text: None,
        supplier,
        checksums: rec
            .download
            .sha256
            .iter()
            .map(|s| ("SHA256".to_string(), s.clone()))
            .collect(),
        download_location: (!rec.download.url.is_empty()).then(|| rec.download.url.clone()),
        excluded,
        not_emulated: Vec::new(),
    }
}
