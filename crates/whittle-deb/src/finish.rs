//! What maintainer scripts would have done, done natively, then the dpkg
//! database. No script is ever run: each step here replaces one postinst
//! job that matters at run time (accounts from base-passwd, the CA bundle of
//! ca-certificates, the timezone of tzdata, libc-bin's ldconfig).

use whittle_recipe::Accounts;
use whittle_rootfs::accounts::write_accounts;
use whittle_rootfs::ldcache::write_ld_so_cache;
use whittle_rootfs::{Node, RootFs};
use whittle_world::{account_spec, FinishInput, Installed, WorldError};

use crate::certs::build_ca_bundle;
use crate::db::{write_dpkg_db, InstalledDeb};
use crate::world::DebPayload;

/// Finish a Debian root: accounts, timezone, CA bundle, ld.so.cache.
/// Returns warnings for the user.
pub fn finish_root(root: &mut RootFs, input: &FinishInput<'_>) -> Result<Vec<String>, WorldError> {
    let epoch = input.epoch;
    let mut warnings = Vec::new();
    write_recipe_accounts(root, input.accounts, epoch)?;
    set_default_timezone(root, epoch);
    ensure_tmp(root, epoch);
    build_ca_bundle(root, epoch).map_err(|e| {
        WorldError::assembly("could not build /etc/ssl/certs/ca-certificates.crt").because(e)
    })?;
    write_ld_so_cache(root, epoch)
        .map_err(|e| WorldError::assembly("could not write /etc/ld.so.cache").because(e))?;
    if !root.exists("etc/os-release") && !root.exists("usr/lib/os-release") {
        warnings.push(
            "the image has no /etc/os-release: scanners cannot tell which distribution it is \
             and will not match its packages against advisories. Install base-files."
                .to_string(),
        );
    } else if !root.exists("etc/debian_version") && !root.exists("etc/lsb-release") {
        warnings.push(
            "the image has no /etc/debian_version: Trivy will not identify it as Debian. \
             Install base-files."
                .to_string(),
        );
    }
    Ok(warnings)
}

/// The dpkg database scanners read, for the packages as placed.
pub fn write_database(
    root: &mut RootFs,
    installed: &[Installed],
    epoch: i64,
    arch: &str,
) -> Result<(), WorldError> {
    let debs: Vec<InstalledDeb> = installed.iter().map(|p| installed_deb(p, arch)).collect();
    write_dpkg_db(root, &debs, epoch)
        .map_err(|e| WorldError::assembly("could not write the dpkg database").because(e))
}

fn installed_deb(p: &Installed, arch: &str) -> InstalledDeb {
    let payload = p.payload.get::<DebPayload>();
    let mut files = Vec::with_capacity(p.paths.len() + 1);
    files.push("/.".to_string());
    files.extend(p.paths.iter().cloned());
    InstalledDeb {
        name: p.record.name.clone(),
        arch: if p.record.arch.is_empty() {
            arch.to_string()
        } else {
            p.record.arch.clone()
        },
        control: payload.map(|d| d.control.clone()).unwrap_or_default(),
        files,
        md5sums: payload.and_then(|d| d.md5sums.clone()),
        conffiles: payload.and_then(|d| d.conffiles.clone()),
    }
}

/// base-passwd's postinst copies its master files to /etc; the recipe's
/// accounts are added to them.
fn write_recipe_accounts(
    root: &mut RootFs,
    accounts: &Accounts,
    epoch: i64,
) -> Result<(), WorldError> {
    let base_passwd = root
        .read_file("usr/share/base-passwd/passwd.master")
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let base_group = root
        .read_file("usr/share/base-passwd/group.master")
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let spec = account_spec(accounts, "/usr/sbin/nologin", "");
    write_accounts(
        root,
        base_passwd.as_deref(),
        base_group.as_deref(),
        &spec,
        epoch,
    )
    .map_err(|e| WorldError::assembly("could not write /etc/passwd and /etc/group").because(e))
}

/// tzdata's postinst points /etc/localtime at the configured zone (UTC
/// unless debconf was asked otherwise).
fn set_default_timezone(root: &mut RootFs, epoch: i64) {
    if root.exists("usr/share/zoneinfo/Etc/UTC") && !root.exists("etc/localtime") {
        let _ = root.insert(
            "etc/localtime",
            Node::symlink("/usr/share/zoneinfo/Etc/UTC").at(epoch),
        );
        let _ = root.insert(
            "etc/timezone",
            Node::file(b"Etc/UTC\n".to_vec(), 0o644).at(epoch),
        );
    }
}

/// Programs expect a world-writable, sticky /tmp.
fn ensure_tmp(root: &mut RootFs, epoch: i64) {
    if !root.exists("tmp") {
        let _ = root.insert("tmp", Node::dir(0o1777).at(epoch));
    }
}
