//! What install scripts and apk-tools would have left, done natively: the
//! recipe's accounts appended to the base layout's `/etc/passwd`, the
//! glibc `ld.so.cache`, apk's own files (`etc/apk/*`, busybox applets) and
//! the installed database at the path scanners read.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};
use whittle_rootfs::accounts::write_accounts;
use whittle_rootfs::ldcache::write_ld_so_cache;
use whittle_rootfs::{Node, NodeKind, RootFs};
use whittle_world::{account_spec, FinishInput, Installed, WorldError};

use crate::db::{write_installed_db, InstalledApk, OwnedPath};
use crate::layout::{db_dir, finish_layout, ApkLayoutInput};
use crate::unpack::sha1_hex;
use crate::world::ApkPayload;

/// Finish an APK root: accounts, ld.so.cache, apk's own files. Returns
/// warnings for the user.
pub fn finish_root(
    root: &mut RootFs,
    installed: &[Installed],
    input: &FinishInput<'_>,
    arch: &str,
    keys: &[(String, Vec<u8>)],
    runtime_repositories: &[String],
) -> Result<Vec<String>, WorldError> {
    let epoch = input.epoch;
    let mut warnings = Vec::new();
    write_recipe_accounts(root, input, epoch)?;
    write_ld_so_cache(root, epoch)
        .map_err(|e| WorldError::assembly("could not write /etc/ld.so.cache").because(e))?;
    let world: Vec<(String, String)> = installed
        .iter()
        .map(|p| (p.record.name.clone(), p.record.version.clone()))
        .collect();
    finish_layout(
        root,
        &ApkLayoutInput {
            arch,
            keys,
            runtime_repositories,
            world: &world,
            epoch,
        },
    )
    .map_err(|e| WorldError::assembly("could not write apk's files under /etc/apk").because(e))?;
    if !root.exists("etc/os-release") && !root.exists("usr/lib/os-release") {
        warnings.push(
            "the image has no /etc/os-release: scanners cannot tell which distribution it is; \
             install the distribution's base layout or release package (wolfi-baselayout, \
             alpine-release)"
                .to_string(),
        );
    }
    Ok(warnings)
}

/// The installed database at the path scanners read, from the final tree.
pub fn write_database(
    root: &mut RootFs,
    installed: &[Installed],
    epoch: i64,
) -> Result<(), WorldError> {
    let dir = db_dir(root);
    let pkgs = installed_records(root, installed);
    write_installed_db(root, &dir, &pkgs, epoch)
        .map_err(|e| WorldError::assembly(format!("could not write /{dir}/installed")).because(e))
}

/// apko's account defaults: shell /bin/sh, home /home/NAME.
fn write_recipe_accounts(
    root: &mut RootFs,
    input: &FinishInput<'_>,
    epoch: i64,
) -> Result<(), WorldError> {
    let accounts = input.accounts;
    if accounts.users.is_empty() && accounts.groups.is_empty() {
        // apko leaves an empty /etc/passwd when nothing provides one.
        if !root.exists("etc/passwd") {
            root.insert("etc/passwd", Node::file(Vec::new(), 0o644).at(epoch))
                .map_err(|e| WorldError::assembly("could not create /etc/passwd").because(e))?;
        }
        return Ok(());
    }
    let spec = account_spec(accounts, "/bin/sh", "Account created by whittle");
    write_accounts(root, None, None, &spec, epoch)
        .map_err(|e| WorldError::assembly("could not write /etc/passwd and /etc/group").because(e))
}

/// The installed-database records, each listing only the paths it still
/// owns (a later package that replaced a file owns it).
fn installed_records(root: &RootFs, installed: &[Installed]) -> Vec<InstalledApk> {
    let mut last_owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, p) in installed.iter().enumerate() {
        for k in &p.keys {
            last_owner.insert(k.as_str(), i);
        }
    }
    installed
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let none = ApkPayload {
                pkginfo: Vec::new(),
                q1: String::new(),
                size: 0,
                triggers: Vec::new(),
                scripts: Vec::new(),
            };
            let info = p.payload.get::<ApkPayload>().unwrap_or(&none);
            let get = |k: &str| info.get(k);
            let all = |k: &str| info.all(k);
            let paths = p
                .paths
                .iter()
                .zip(&p.keys)
                .filter_map(|(path, key)| {
                    let node = root.get(key)?;
                    let owned_elsewhere =
                        !node.is_dir() && last_owner.get(key.as_str()) != Some(&i);
                    if owned_elsewhere {
                        return None;
                    }
                    let sha1 = match &node.kind {
                        NodeKind::File(c) => sha1_hex(c).ok(),
                        NodeKind::Symlink(t) => Some(hex::encode(Sha1::digest(t.as_bytes()))),
                        NodeKind::Hardlink(t) => root
                            .get(t)
                            .and_then(|n| n.content())
                            .and_then(|c| sha1_hex(c).ok()),
                        _ => None,
                    };
                    Some(OwnedPath {
                        path: path.trim_start_matches('/').to_string(),
                        is_dir: node.is_dir(),
                        uid: node.uid,
                        gid: node.gid,
                        mode: if matches!(node.kind, NodeKind::Symlink(_)) {
                            0o777
                        } else {
                            node.mode
                        },
                        sha1,
                    })
                })
                .collect();
            let rec = &p.record;
            InstalledApk {
                name: rec.name.clone(),
                version: rec.version.clone(),
                arch: rec.arch.clone(),
                size: info.size,
                installed_size: get("size").parse().unwrap_or(0),
                description: get("pkgdesc"),
                url: get("url"),
                license: get("license"),
                origin: rec.source_name().to_string(),
                maintainer: get("maintainer"),
                build_time: get("builddate").parse().ok(),
                commit: get("commit"),
                depends: all("depend"),
                provides: all("provides"),
                install_if: all("install_if"),
                replaces: all("replaces"),
                provider_priority: get("provider_priority").parse().ok(),
                checksum: info.q1.clone(),
                scripts: info.scripts.clone(),
                triggers: info.triggers.clone(),
                paths,
            }
        })
        .collect()
}
