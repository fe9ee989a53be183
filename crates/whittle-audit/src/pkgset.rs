//! The neutral thing `whittle diff` compares: per platform, the installed
//! packages by name with version, architecture, installed size and source,
//! whether read from an image's databases or from a lock file.

use std::collections::BTreeMap;

use serde::Serialize;
use whittle_lock::Lock;
use whittle_recipe::Arch;

use crate::inventory::Inventory;
use crate::platform::Platform;

/// Installed packages per platform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageSet {
    /// Platform key ([`platform_key`]: `linux/amd64`) → package key (the
    /// name; `name:arch` when a name is installed for two architectures,
    /// as Debian's multiarch allows) → package.
    pub platforms: BTreeMap<String, BTreeMap<String, SetPackage>>,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetPackage {
    /// The name.
    pub name: String,
    /// The version, as its world writes it.
    pub version: String,
    /// The package's architecture (`amd64`, `all`, `x86_64`, `noarch`).
    pub arch: String,
    /// Installed size in bytes, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The source package's name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its package world, which orders its versions.
    #[serde(skip)]
    pub world: Option<crate::World>,
}

impl PackageSet {
    /// Add `package` to `platform`'s packages.
    pub fn insert(&mut self, platform: &str, package: SetPackage) {
        let packages = self.platforms.entry(platform.to_string()).or_default();
        let plain = package.name.clone();
        let qualified = format!("{}:{}", package.name, package.arch);
        let has_qualified = |packages: &BTreeMap<String, SetPackage>| {
            packages.keys().any(|k| {
                k.strip_prefix(plain.as_str())
                    .is_some_and(|r| r.starts_with(':'))
            })
        };
        match packages.remove(&plain) {
            // A second architecture of one name: both get `name:arch` keys.
            Some(first) if first.arch != package.arch => {
                packages.insert(format!("{}:{}", first.name, first.arch), first);
                packages.insert(qualified, package);
            }
            _ if has_qualified(packages) => {
                packages.insert(qualified, package);
            }
            _ => {
                packages.insert(plain, package);
            }
        }
    }

    /// The packages of an image's inventory.
    pub fn from_inventory(inventory: &Inventory) -> PackageSet {
        let mut set = PackageSet::default();
        let key = Platform::parse(&inventory.platform)
            .map_or_else(|_| inventory.platform.clone(), |p| platform_key(&p));
        set.platforms.entry(key.clone()).or_default();
        for p in &inventory.packages {
            set.insert(
                &key,
                SetPackage {
                    name: p.name.clone(),
                    version: p.version.clone(),
                    arch: p.arch.clone(),
                    size: p.installed_size,
                    source: p.source_name.clone(),
                    world: Some(p.world),
                },
            );
        }
        set
    }

    /// The packages a lock installs (excluded ones are not installed), per
    /// architecture. The size is the index's installed size.
    pub fn from_lock(lock: &Lock) -> PackageSet {
        let mut set = PackageSet::default();
        // apko's locks have no whittle section and are APK locks.
        let world = match &lock.whittle {
            Some(w) => crate::World::from_name(&w.world),
            None => Some(crate::World::Apk),
        };
        for arch in lock.architectures() {
            let key = lock_platform(&arch);
            set.platforms.entry(key.clone()).or_default();
            for p in lock.packages_for(&arch).filter(|p| !p.excluded) {
                let record = p.record.as_ref();
                set.insert(
                    &key,
                    SetPackage {
                        name: p.name.clone(),
                        version: p.version.clone(),
                        arch: record
                            .map(|r| r.arch.clone())
                            .filter(|a| !a.is_empty())
                            .unwrap_or_else(|| p.architecture.clone()),
                        size: record.and_then(|r| r.installed_size),
                        source: record
                            .and_then(|r| r.source.as_ref())
                            .map(|s| s.name.clone()),
                        world,
                    },
                );
            }
        }
        set
    }
}

/// How platforms are compared: `os/arch[/variant]`, with arm64's implied
/// `v8` left out (`linux/arm64` and `linux/arm64/v8` are one platform).
pub fn platform_key(p: &Platform) -> String {
    match (p.architecture.as_str(), p.variant.as_deref()) {
        ("arm64", Some("v8")) => format!("{}/arm64", p.os),
        _ => p.to_string(),
    }
}

/// The platform key of an architecture as a world or a user names it
/// (`x86_64`, `aarch64`, `amd64`, `armhf`…).
pub fn lock_platform(arch: &str) -> String {
    match Arch::parse(arch) {
        Some(Arch::Armv7) => "linux/arm/v7".to_string(),
        Some(a) => format!("linux/{}", a.oci_arch()),
        None => format!("linux/{arch}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, arch: &str) -> SetPackage {
        SetPackage {
            name: name.into(),
            version: "1".into(),
            arch: arch.into(),
            size: None,
            source: None,
            world: None,
        }
    }

    #[test]
    fn a_name_for_two_architectures_gets_two_keys() {
        let mut set = PackageSet::default();
        set.insert("linux/amd64", pkg("libc6", "amd64"));
        set.insert("linux/amd64", pkg("zlib1g", "amd64"));
        set.insert("linux/amd64", pkg("libc6", "i386"));
        set.insert("linux/amd64", pkg("libc6", "armhf"));
        let keys: Vec<&String> = set.platforms["linux/amd64"].keys().collect();
        assert_eq!(keys, ["libc6:amd64", "libc6:armhf", "libc6:i386", "zlib1g"]);
    }

    #[test]
    fn platforms_compare_whatever_the_naming() {
        let arm = Platform::parse("linux/arm64/v8").unwrap();
        assert_eq!(platform_key(&arm), "linux/arm64");
        assert_eq!(lock_platform("aarch64"), "linux/arm64");
        assert_eq!(lock_platform("x86_64"), "linux/amd64");
        assert_eq!(lock_platform("armhf"), "linux/arm/v7");
    }
}
