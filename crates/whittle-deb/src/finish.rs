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

/// The native steps for a tree some of whose packages were cut into
/// slices. Their mutation scripts have already run (they build the CA
/// bundle and passwd where the slices ask for it), so whittle adds only
/// what the recipe asks for (its accounts, on top of the tree's own
/// `/etc/passwd`) and what the packages installed whole would have got:
/// the CA bundle when ca-certificates went in whole, ld.so.cache, the
/// default time zone and `/tmp` when anything went in whole. A tree cut
/// from slices alone is left as Chisel leaves it.
pub fn finish_sliced_root(
    root: &mut RootFs,
    input: &FinishInput<'_>,
    whole: &[&str],
) -> Result<Vec<String>, WorldError> {
    let epoch = input.epoch;
    let accounts = input.accounts;
    if !accounts.users.is_empty() || !accounts.groups.is_empty() {
        let spec = account_spec(accounts, "/usr/sbin/nologin", "");
        write_accounts(root, None, None, &spec, epoch).map_err(|e| {
            WorldError::assembly("could not write /etc/passwd and /etc/group").because(e)
        })?;
    }
    if whole.contains(&"ca-certificates") {
        build_ca_bundle(root, epoch).map_err(|e| {
            WorldError::assembly("could not build /etc/ssl/certs/ca-certificates.crt").because(e)
        })?;
    }
    if !whole.is_empty() {
        set_default_timezone(root, epoch);
        ensure_tmp(root, epoch);
        write_ld_so_cache(root, epoch)
            .map_err(|e| WorldError::assembly("could not write /etc/ld.so.cache").because(e))?;
    }
    let mut warnings = Vec::new();
    if !root.exists("etc/os-release") && !root.exists("usr/lib/os-release") {
        warnings.push(
            "the image has no /etc/os-release: scanners cannot tell which distribution it is.              Select base-files_release-info."
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
    let debs: Vec<InstalledDeb> = installed
        .iter()
        .map(|p| installed_deb(p, arch, root))
        .collect();
    write_dpkg_db(root, &debs, epoch)
        .map_err(|e| WorldError::assembly("could not write the dpkg database").because(e))
}

fn installed_deb(p: &Installed, arch: &str, root: &RootFs) -> InstalledDeb {
    let payload = p.payload.get::<DebPayload>();
    let mut files = Vec::with_capacity(p.paths.len() + 1);
    files.push("/.".to_string());
    if payload.is_some_and(|d| d.cut.is_some()) {
        // A cut package lists what is left of it after the mutation
        // scripts and `until: mutate` removals.
        files.extend(
            p.paths
                .iter()
                .zip(&p.keys)
                .filter(|(_, key)| root.get(key).is_some())
                .map(|(path, _)| path.clone()),
        );
    } else {
        files.extend(p.paths.iter().cloned());
    }
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
