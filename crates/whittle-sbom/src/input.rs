//! What an SBOM is made from: the same input for every format, and the one
//! place that decides who supplies what when the packages do not say.

use crate::actor;

/// One distribution package to list in an image SBOM.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SbomPackage {
    /// Package name (`python3`).
    pub name: String,
    /// Package version as the distribution writes it (`3.11.2-1+b1`).
    pub version: String,
    /// Package architecture as the distribution writes it (`amd64`, `all`).
    pub arch: String,
    /// Package URL, computed by the caller's package world, e.g.
    /// `pkg:deb/debian/python3@3.11.2-1%2Bb1?arch=amd64&distro=debian-12`.
    pub purl: String,
    /// Source package name, if known.
    pub source_name: Option<String>,
    /// Source package version, if known (defaults to `version` when only
    /// `source_name` is given, as in Debian).
    pub source_version: Option<String>,
    /// Declared license as an SPDX expression, if the caller knows it.
    /// Unlisted identifiers become `LicenseRef-…`; absent → `NOASSERTION`.
    pub license_declared: Option<String>,
    /// Copyright text, if known (else `NOASSERTION`).
    pub copyright_text: Option<String>,
    /// Supplier: `Organization: Debian` or `Person: Name (email)`. A bare
    /// `Name <email>` is turned into `Person: Name (email)`, other text into
    /// `Organization: text`. When absent, the distribution is named instead
    /// (see [`SbomInput::distro_name`]).
    pub supplier: Option<String>,
    /// Checksums of the package file: (algorithm such as `SHA256` or `SHA1`,
    /// hex digest). Unknown algorithms and malformed digests are dropped.
    pub checksums: Vec<(String, String)>,
    /// Where the package file was downloaded from. Any `user:password@` in
    /// it is left out of the documents.
    pub download_location: Option<String>,
    /// Excluded by the recipe: treated as provided by the solver but not
    /// installed. Listed, but not part of the image.
    pub excluded: bool,
    /// What its install scripts would have done that the image lacks
    /// (`postinst line 41: ucf … (why)`), for an auditor.
    pub not_emulated: Vec<String>,
}

/// Everything needed for the SBOM of one image (one architecture).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SbomInput {
    /// The image reference (tag), e.g. `registry.example.com/app:1.0`.
    pub image_name: String,
    /// Manifest digest (`sha256:…`) of this architecture's image, if known.
    pub image_digest: Option<String>,
    /// OCI architecture (`amd64`, `arm64`, …).
    pub arch: String,
    /// `(ID, VERSION_ID)` from the image's os-release, e.g. `("debian", "12")`.
    pub distro: Option<(String, String)>,
    /// os-release `NAME` (`Debian GNU/Linux`), if the image has one: the
    /// supplier of the operating system, and of every package whose own
    /// supplier is unknown (falls back to the `ID` of `distro`).
    pub distro_name: Option<String>,
    /// Who supplies the image itself (an actor as in
    /// [`SbomPackage::supplier`]), e.g. from the recipe's
    /// `org.opencontainers.image.vendor` annotation. When absent, the
    /// distribution is named, as apko does.
    pub supplier: Option<String>,
    /// Build date (seconds since the Unix epoch): the documents' timestamp.
    pub created_epoch: i64,
    /// Creating tool and version, e.g. `whittle-0.1.0`.
    pub tool: String,
    /// The packages, in any order.
    pub packages: Vec<SbomPackage>,
}

/// Everything needed for the SBOM of a multi-arch image index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SbomIndexInput {
    /// The image reference (tag), e.g. `registry.example.com/app:1.0`.
    pub image_name: String,
    /// Digest (`sha256:…`) of the image index.
    pub index_digest: String,
    /// `(OCI architecture, manifest digest)` of each image, in any order.
    pub per_arch: Vec<(String, String)>,
    /// os-release `NAME` of the images, if known (see [`SbomInput::distro_name`]).
    pub distro_name: Option<String>,
    /// Who supplies the images (see [`SbomInput::supplier`]).
    pub supplier: Option<String>,
    /// Build date (seconds since the Unix epoch).
    pub created_epoch: i64,
    /// Creating tool and version, e.g. `whittle-0.1.0`.
    pub tool: String,
}

impl SbomInput {
    /// The distribution as an actor (`Organization: Debian GNU/Linux`), if
    /// the image names one.
    pub(crate) fn distro_supplier(&self) -> Option<String> {
        distro_supplier(
            self.distro_name.as_deref(),
            self.distro.as_ref().map(|(id, _)| id.as_str()),
        )
    }

    /// The image's supplier: the caller's, else the distribution.
    pub(crate) fn image_supplier(&self) -> Option<String> {
        given(self.supplier.as_deref()).or_else(|| self.distro_supplier())
    }

    /// A package's supplier: its own, else the distribution.
    pub(crate) fn package_supplier(&self, p: &SbomPackage) -> Option<String> {
        given(p.supplier.as_deref()).or_else(|| self.distro_supplier())
    }
}

impl SbomIndexInput {
    /// The images' supplier: the caller's, else the distribution.
    pub(crate) fn image_supplier(&self) -> Option<String> {
        given(self.supplier.as_deref())
            .or_else(|| distro_supplier(self.distro_name.as_deref(), None))
    }
}

/// A supplier that says something, as given.
fn given(s: Option<&str>) -> Option<String> {
    s.filter(|s| actor::spdx_actor(Some(s)).is_some())
        .map(str::to_string)
}

fn distro_supplier(name: Option<&str>, id: Option<&str>) -> Option<String> {
    let name = [name, id]
        .into_iter()
        .flatten()
        .map(|n| crate::common::one_line(n).trim().to_string())
        .find(|n| !n.is_empty())?;
    Some(format!("Organization: {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distribution_supplies_what_nobody_else_claims() {
        let mut input = SbomInput {
            distro: Some(("wolfi".into(), "20230201".into())),
            ..Default::default()
        };
        let anonymous = SbomPackage::default();
        let named = SbomPackage {
            supplier: Some("Person: Jane (jane@example.org)".into()),
            ..Default::default()
        };
        // Only the os-release ID is known.
        assert_eq!(
            input.package_supplier(&anonymous).as_deref(),
            Some("Organization: wolfi")
        );
        // NAME is preferred to ID.
        input.distro_name = Some("Wolfi".into());
        assert_eq!(
            input.package_supplier(&anonymous).as_deref(),
            Some("Organization: Wolfi")
        );
        assert_eq!(
            input.image_supplier().as_deref(),
            Some("Organization: Wolfi")
        );
        // A package's or the image's own supplier wins.
        assert_eq!(input.package_supplier(&named), named.supplier);
        input.supplier = Some("Organization: Acme".into());
        assert_eq!(
            input.image_supplier().as_deref(),
            Some("Organization: Acme")
        );
        // Blank or NOASSERTION counts as not given.
        input.supplier = Some("NOASSERTION".into());
        assert_eq!(
            input.image_supplier().as_deref(),
            Some("Organization: Wolfi")
        );
        // Nothing known: nothing claimed.
        let empty = SbomInput::default();
        assert_eq!(empty.package_supplier(&anonymous), None);
        assert_eq!(empty.image_supplier(), None);
        let index = SbomIndexInput {
            distro_name: Some("  ".into()),
            ..Default::default()
        };
        assert_eq!(index.image_supplier(), None);
    }
}
