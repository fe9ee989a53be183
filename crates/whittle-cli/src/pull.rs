//! `init --from REF` and `show-packages --compare REF`: an image in a
//! registry, pulled into a temporary OCI layout to be read like any other.

use std::path::Path;

use anyhow::{Context, Result};
use whittle::Arch;
use whittle_registry::{pull_to_layout, Reference};

use crate::registry::RegistryArgs;

/// Pull `reference` (one architecture, when given) into `dir`.
pub(crate) fn pull(
    reference: &str,
    arch: Option<Arch>,
    dir: &Path,
    registry: &RegistryArgs,
) -> Result<()> {
    let parsed = Reference::parse(reference).with_context(|| {
        format!("{reference} is neither a file, an OCI layout (oci:DIR), an OCI archive (oci-archive:FILE) nor an image reference")
    })?;
    let client = registry.client()?;
    eprintln!("pulling {reference}");
    pull_to_layout(&client, &parsed, arch.map(|a| a.oci_arch()), dir)
        .with_context(|| format!("cannot pull {reference}"))?;
    Ok(())
}
