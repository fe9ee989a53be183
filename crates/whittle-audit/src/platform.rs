//! OCI platforms (`os/architecture[/variant]`, the image-index
//! `platform` object of the OCI image spec) and the host's.

use std::fmt;

use crate::error::AuditError;

/// An image's platform.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// `linux`.
    pub os: String,
    /// GOARCH spelling: `amd64`, `arm64`, `arm`, `386`, `ppc64le`, `s390x`, `riscv64`.
    pub architecture: String,
    /// `v7`, `v8`…, if given.
    pub variant: Option<String>,
}

impl Platform {
    /// Parse `os/arch[/variant]`; a bare `arch` means `linux/arch`.
    pub fn parse(text: &str) -> Result<Platform, AuditError> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let bad = || AuditError::BadPlatform(text.to_string());
        if parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        let (os, architecture, variant) = match parts.as_slice() {
            [arch] => ("linux", *arch, None),
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some((*variant).to_string())),
            _ => return Err(bad()),
        };
        Ok(Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant,
        })
    }

    /// The platform this program runs on, in OCI spelling.
    pub fn host() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
            "powerpc64" => "ppc64",
            "loongarch64" => "loong64",
            other => other,
        };
        Platform {
            os: std::env::consts::OS.to_string(),
            architecture: architecture.to_string(),
            variant: None,
        }
    }

    /// Whether an image for `self` is what `wanted` asks for. A wanted
    /// platform without a variant accepts any variant; `arm64` without a
    /// variant is `arm64/v8`.
    pub fn satisfies(&self, wanted: &Platform) -> bool {
        if self.os != wanted.os || self.architecture != wanted.architecture {
            return false;
        }
        match &wanted.variant {
            None => true,
            Some(v) => self.normal_variant() == Some(v.as_str()),
        }
    }

    fn normal_variant(&self) -> Option<&str> {
        match (&self.variant, self.architecture.as_str()) {
            (None, "arm64") => Some("v8"),
            (v, _) => v.as_deref(),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches() {
        let arm = Platform::parse("linux/arm64").unwrap();
        assert_eq!(arm.to_string(), "linux/arm64");
        assert_eq!(Platform::parse("arm64").unwrap(), arm);
        let v8 = Platform::parse("linux/arm64/v8").unwrap();
        assert!(arm.satisfies(&v8) && v8.satisfies(&arm));
        let v7 = Platform::parse("linux/arm/v7").unwrap();
        assert!(!Platform::parse("linux/arm/v6").unwrap().satisfies(&v7));
        for bad in ["", "linux/", "/amd64", "a/b/c/d"] {
            assert!(Platform::parse(bad).is_err(), "{bad}");
        }
    }
}
