//! The package set to match (`init --from`, `show-packages --compare`):
//! read from an SBOM (SPDX 2.3 or CycloneDX JSON), or from an image's own
//! package database (an OCI archive, an OCI layout, or a registry
//! reference pulled into a temporary layout).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use whittle::{Arch, TargetPackage};
use whittle_audit::{ImageRef, Platform};

/// A package set to match.
pub(crate) struct Target {
    /// Its packages, sorted by name.
    pub packages: Vec<TargetPackage>,
    /// The package world (`deb`, `apk`, `rpm`).
    pub world: String,
    /// The architecture it is for, when it says.
    pub arch: Option<Arch>,
    /// The recipe contents whittle recorded in the image, if any.
    pub contents: Option<String>,
    /// The source as given, for messages.
    pub source: String,
    /// A pulled image's temporary layout, removed when dropped.
    _pulled: Option<tempfile::TempDir>,
}

impl Target {
    /// Read `source`: `oci-archive:PATH[:TAG]`, `oci:DIR[:TAG]`, an SBOM
    /// file, an image archive or layout directory, else a registry
    /// reference (`docker://REF` or `REF`). `arch` picks an image's
    /// platform.
    pub fn read(
        source: &str,
        arch: Option<Arch>,
        registry: &crate::registry::RegistryArgs,
    ) -> Result<Target> {
        let platform = arch.map(|a| {
            Platform::parse(&format!("linux/{}", a.oci_arch())).map_err(anyhow::Error::new)
        });
        let platform = platform.transpose()?;
        if let Some(rest) = source
            .strip_prefix("oci-archive:")
            .or_else(|| source.strip_prefix("oci:"))
        {
            return Target::from_image(source, &ImageRef::parse(rest), platform.as_ref(), None);
        }
        let path = Path::new(source);
        if path.is_file() && starts_with_brace(path)? {
            return Target::from_sbom(source, path);
        }
        if path.exists() {
            return Target::from_image(source, &ImageRef::parse(source), platform.as_ref(), None);
        }
        let reference = source.strip_prefix("docker://").unwrap_or(source);
        let dir = tempfile::tempdir()
            .context("cannot make a temporary directory for the pulled image")?;
        crate::pull::pull(reference, arch, dir.path(), registry)?;
        let image = ImageRef {
            path: dir.path().to_path_buf(),
            tag: None,
        };
        Target::from_image(source, &image, platform.as_ref(), Some(dir))
    }

    fn from_sbom(source: &str, path: &Path) -> Result<Target> {
        let read = whittle_sbom::read_sbom(path)?;
        let mut worlds: Vec<&str> = read.packages.iter().map(|p| p.kind.as_str()).collect();
        worlds.dedup();
        let world = one_world(source, &worlds)?;
        let arch = read
            .packages
            .iter()
            .filter_map(|p| p.arch.as_deref())
            .find_map(Arch::parse);
        let packages = read
            .packages
            .iter()
            .map(|p| TargetPackage {
                name: p.name.clone(),
                version: p.version.clone(),
            })
            .collect();
        Ok(Target {
            packages,
            world,
            arch,
            contents: None,
            source: source.to_string(),
            _pulled: None,
        })
    }

    fn from_image(
        source: &str,
        image: &ImageRef,
        platform: Option<&Platform>,
        pulled: Option<tempfile::TempDir>,
    ) -> Result<Target> {
        let inventory = whittle_audit::inventory(image, platform)?;
        if inventory.packages.is_empty() {
            bail!("{source} has no package database whittle reads (dpkg status, apk installed, rpmdb or rpm manifest); pass its SBOM instead");
        }
        let mut worlds: Vec<&str> = inventory.packages.iter().map(|p| p.world.name()).collect();
        worlds.sort_unstable();
        worlds.dedup();
        let world = one_world(source, &worlds)?;
        let arch = inventory.platform.split('/').nth(1).and_then(Arch::parse);
        let mut packages: Vec<TargetPackage> = inventory
            .packages
            .iter()
            .map(|p| TargetPackage {
                name: p.name.clone(),
                version: p.version.clone(),
            })
            .collect();
        packages.sort();
        packages.dedup();
        Ok(Target {
            packages,
            world,
            arch,
            contents: inventory.recipe_contents,
            source: source.to_string(),
            _pulled: pulled,
        })
    }

    /// Fail unless the target's packages are of the recipe's world.
    pub fn check_world(&self, world: &str, recipe: &Path) -> Result<()> {
        if self.world != world {
            bail!(
                "{} holds {} packages, but the repositories of {} are of type {world}; pass a recipe with {} repositories",
                self.source,
                self.world,
                recipe.display(),
                self.world
            );
        }
        Ok(())
    }
}

fn one_world(source: &str, worlds: &[&str]) -> Result<String> {
    match worlds {
        [one] => Ok((*one).to_string()),
        [] => bail!("{source} lists no packages"),
        many => bail!(
            "{source} mixes packages of several worlds ({}); whittle matches one world at a time",
            many.join(", ")
        ),
    }
}

/// Whether a file starts (after white space) with `{`: JSON, so an SBOM
/// rather than an image archive.
fn starts_with_brace(path: &Path) -> Result<bool> {
    let mut head = [0u8; 64];
    let mut f = fs_err::File::open(path)?;
    let n = f.read(&mut head)?;
    Ok(head
        .get(..n)
        .unwrap_or_default()
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        == Some(&b'{'))
}

/// The directory a recipe's relative paths are taken against.
pub(crate) fn folder_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
