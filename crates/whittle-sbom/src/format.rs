//! The SBOM formats whittle writes, by name (apko's `--sbom-formats`
//! values), with their file-name suffixes.

use std::fmt;
use std::str::FromStr;

use crate::input::{SbomIndexInput, SbomInput};

/// An SBOM format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SbomFormat {
    /// SPDX 2.3 JSON ([`spdx_json`](crate::spdx_json)).
    Spdx,
    /// CycloneDX 1.6 JSON ([`cyclonedx_json`](crate::cyclonedx_json)).
    CycloneDx,
}

impl SbomFormat {
    /// Every format, in the order their files are written.
    pub const ALL: [SbomFormat; 2] = [SbomFormat::Spdx, SbomFormat::CycloneDx];

    /// The name [`FromStr`] takes: `spdx`, `cyclonedx`.
    pub fn name(self) -> &'static str {
        match self {
            SbomFormat::Spdx => "spdx",
            SbomFormat::CycloneDx => "cyclonedx",
        }
    }

    /// The end of its files' names: `.spdx.json`, `.cdx.json`.
    pub fn suffix(self) -> &'static str {
        match self {
            SbomFormat::Spdx => ".spdx.json",
            SbomFormat::CycloneDx => ".cdx.json",
        }
    }
}

impl fmt::Display for SbomFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not one of [`SbomFormat::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SBOM format `{0}`: use spdx or cyclonedx")]
pub struct UnknownSbomFormat(pub String);

impl FromStr for SbomFormat {
    type Err = UnknownSbomFormat;

    /// `spdx` or `cyclonedx`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        SbomFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownSbomFormat(s.to_string()))
    }
}

/// The SBOM of one image in `format`.
pub fn render(format: SbomFormat, input: &SbomInput) -> String {
    match format {
        SbomFormat::Spdx => crate::spdx_json(input),
        SbomFormat::CycloneDx => crate::cyclonedx_json(input),
    }
}

/// The SBOM of a multi-arch image index in `format`.
pub fn render_index(format: SbomFormat, input: &SbomIndexInput) -> String {
    match format {
        SbomFormat::Spdx => crate::spdx_index_json(input),
        SbomFormat::CycloneDx => crate::cyclonedx_index_json(input),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in SbomFormat::ALL {
            assert_eq!(f.name().parse::<SbomFormat>(), Ok(f));
            assert_eq!(f.to_string().to_uppercase().parse::<SbomFormat>(), Ok(f));
            assert!(f.suffix().ends_with(".json"));
        }
        let err = "cdx-xml".parse::<SbomFormat>().unwrap_err();
        assert!(err.to_string().contains("cdx-xml"), "{err}");
        for f in SbomFormat::ALL {
            assert!(err.to_string().contains(f.name()), "{err}");
        }
        // Suffixes tell the files apart.
        assert_ne!(SbomFormat::Spdx.suffix(), SbomFormat::CycloneDx.suffix());
    }

    #[test]
    fn render_dispatches_by_format() {
        let input = SbomInput {
            image_name: "app:1".into(),
            arch: "amd64".into(),
            ..Default::default()
        };
        assert!(render(SbomFormat::Spdx, &input).contains("\"spdxVersion\": \"SPDX-2.3\""));
        assert!(render(SbomFormat::CycloneDx, &input).contains("\"specVersion\": \"1.6\""));
        let index = SbomIndexInput {
            image_name: "app:1".into(),
            ..Default::default()
        };
        assert!(render_index(SbomFormat::Spdx, &index).contains("SPDXRef-Package-index"));
        assert!(
            render_index(SbomFormat::CycloneDx, &index).contains("\"bomFormat\": \"CycloneDX\"")
        );
    }
}
