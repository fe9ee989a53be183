//! CPU architectures as recipes name them (every common naming accepted)
//! and as OCI names them. Each package world maps them to its own names.

use std::fmt;
use std::str::FromStr;

/// A CPU architecture an image can be built for.
///
/// Each world names them differently; [`Arch::parse`] accepts all the
/// namings, `Display` prints the OCI name, and each package world has its
/// own mapping.
///
/// ```
/// use whittle_recipe::Arch;
/// let a = Arch::parse("x86_64").unwrap();
/// assert_eq!(a, Arch::Amd64);
/// assert_eq!(a.oci_arch(), "amd64");
/// assert_eq!(Arch::parse("armhf"), Some(Arch::Armv7));
/// assert_eq!(Arch::Armv7.to_string(), "arm");
/// assert_eq!(Arch::Armv7.oci_variant(), Some("v7"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// x86-64 (`amd64`, `x86_64`).
    Amd64,
    /// 64-bit ARM (`arm64`, `aarch64`).
    Arm64,
    /// 32-bit ARMv7 hard-float (`arm`/`v7`, `armv7`, `armhf`).
    Armv7,
    /// 32-bit x86 (`386`, `i386`, `x86`).
    I386,
    /// 64-bit little-endian POWER (`ppc64le`, `ppc64el`).
    Ppc64le,
    /// IBM Z (`s390x`).
    S390x,
    /// 64-bit RISC-V (`riscv64`).
    Riscv64,
}

impl Arch {
    /// Every architecture, in `Ord` order.
    pub const ALL: [Arch; 7] = [
        Arch::Amd64,
        Arch::Arm64,
        Arch::Armv7,
        Arch::I386,
        Arch::Ppc64le,
        Arch::S390x,
        Arch::Riscv64,
    ];

    /// The OCI / Go `GOARCH` name: `amd64`, `arm64`, `arm`, `386`, ...
    pub fn oci_arch(&self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
            Arch::Armv7 => "arm",
            Arch::I386 => "386",
            Arch::Ppc64le => "ppc64le",
            Arch::S390x => "s390x",
            Arch::Riscv64 => "riscv64",
        }
    }

    /// The OCI platform variant: `v8` for arm64, `v7` for armv7, else none.
    pub fn oci_variant(&self) -> Option<&'static str> {
        match self {
            Arch::Arm64 => Some("v8"),
            Arch::Armv7 => Some("v7"),
            _ => None,
        }
    }

    /// Parse any of the OCI, Debian, APK, RPM/uname or `os/arch/variant`
    /// namings, case-insensitively. `None` if unknown.
    pub fn parse(name: &str) -> Option<Arch> {
        let lower = name.trim().to_ascii_lowercase();
        // Accept a leading "linux/" platform prefix.
        let name = lower.strip_prefix("linux/").unwrap_or(&lower);
        Some(match name {
            "amd64" | "x86_64" | "x86-64" | "x64" => Arch::Amd64,
            "arm64" | "aarch64" | "arm64/v8" | "arm64v8" => Arch::Arm64,
            "armv7" | "arm" | "armhf" | "arm/v7" | "armv7l" | "armv7hl" | "arm32v7" => Arch::Armv7,
            "386" | "x86" | "i386" | "i686" | "i586" => Arch::I386,
            "ppc64le" | "ppc64el" => Arch::Ppc64le,
            "s390x" => Arch::S390x,
            "riscv64" => Arch::Riscv64,
            _ => return None,
        })
    }

    /// The architecture this program runs on (amd64 when it is none of the
    /// supported ones).
    pub fn host() -> Arch {
        match std::env::consts::ARCH {
            "aarch64" => Arch::Arm64,
            "arm" => Arch::Armv7,
            "x86" => Arch::I386,
            "powerpc64" if cfg!(target_endian = "little") => Arch::Ppc64le,
            "s390x" => Arch::S390x,
            "riscv64" => Arch::Riscv64,
            _ => Arch::Amd64,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.oci_arch())
    }
}

/// The error of `"sparc".parse::<Arch>()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownArch(pub String);

impl fmt::Display for UnknownArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown architecture `{}`; known: amd64 (x86_64), arm64 (aarch64), armv7 (arm, armhf), 386 (i386, x86), ppc64le, s390x, riscv64",
            self.0
        )
    }
}

impl std::error::Error for UnknownArch {}

impl FromStr for Arch {
    type Err = UnknownArch;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Arch::parse(s).ok_or_else(|| UnknownArch(s.to_string()))
    }
}

impl serde::Serialize for Arch {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.oci_arch())
    }
}

impl<'de> serde::Deserialize<'de> for Arch {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namings_round_trip() {
        for a in Arch::ALL {
            assert_eq!(Arch::parse(a.oci_arch()), Some(a));
            assert_eq!(a.to_string(), a.oci_arch());
        }
    }

    #[test]
    fn aliases() {
        assert_eq!(Arch::parse("X86_64"), Some(Arch::Amd64));
        assert_eq!(Arch::parse("linux/arm64/v8"), Some(Arch::Arm64));
        assert_eq!(Arch::parse("arm"), Some(Arch::Armv7));
        assert_eq!(Arch::parse("386"), Some(Arch::I386));
        assert_eq!(Arch::parse("i386"), Some(Arch::I386));
        assert_eq!(Arch::parse("x86"), Some(Arch::I386));
        assert_eq!(Arch::parse("sparc"), None);
        assert!("sparc".parse::<Arch>().is_err());
    }

    #[test]
    fn names() {
        assert_eq!(Arch::Arm64.oci_variant(), Some("v8"));
        assert_eq!(Arch::Amd64.oci_variant(), None);
        assert_eq!(Arch::I386.oci_arch(), "386");
        let mut v = vec![Arch::Riscv64, Arch::Amd64, Arch::Arm64];
        v.sort();
        assert_eq!(v, vec![Arch::Amd64, Arch::Arm64, Arch::Riscv64]);
    }

    #[test]
    fn host_is_known() {
        let h = Arch::host();
        assert_eq!(Arch::parse(h.oci_arch()), Some(h));
    }
}
