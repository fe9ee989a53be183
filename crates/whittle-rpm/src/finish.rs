//! What rpm, tdnf and the scriptlets would have left, done natively: the
//! recipe's accounts added to the `filesystem` package's `/etc/passwd`,
//! the glibc `ld.so.cache`, and the package database scanners and `rpm`
//! read — `/var/lib/rpm/rpmdb.sqlite`, or with `rpmdb: false` Azure Linux's
//! distroless `container-manifest-2` — plus `container-manifest-1`, which
//! Azure Linux's rebuild check compares.

use whittle_rootfs::accounts::write_accounts;
use whittle_rootfs::ldcache::write_ld_so_cache;
use whittle_rootfs::{Node, RootFs};
use whittle_world::{account_spec, FinishInput, Installed, WorldError};

use crate::manifest::{
    container_manifest_1, container_manifest_2, EpochField, Manifest1Style, ManifestEntry, Order,
};
use crate::rpmdb::{
    write_rpmdb, DbPackage, InstallFacts, FILE_STATE_NORMAL, FILE_STATE_NOT_INSTALLED,
};
use crate::world::RpmPayload;

/// Where the database scanners read is written.
pub const RPMDB_PATH: &str = "var/lib/rpm/rpmdb.sqlite";
/// Where the distroless manifests go.
pub const MANIFEST_DIR: &str = "var/lib/rpmmanifest";

/// Which package database the image carries. Never both: scanners would
/// list every package twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseStyle {
    /// `/var/lib/rpm/rpmdb.sqlite` (rpm 4.16+), readable by `rpm`, Syft
    /// and Trivy with licences, files and dependencies.
    Rpmdb,
    /// `/var/lib/rpmmanifest/container-manifest-2` only, as Azure Linux's
    /// own distroless images.
    ManifestOnly,
}

/// Finish an RPM root: accounts and ld.so.cache. Returns warnings.
pub fn finish_root(
    root: &mut RootFs,
    installed: &[Installed],
    input: &FinishInput<'_>,
) -> Result<Vec<String>, WorldError> {
    let epoch = input.epoch;
    let mut warnings = Vec::new();
    let accounts = input.accounts;
    if !accounts.users.is_empty() || !accounts.groups.is_empty() {
        if !root.exists("etc/passwd") {
            warnings.push(
                "no package shipped /etc/passwd (Azure Linux's `filesystem` does): the \
                 recipe's accounts are written into a minimal one"
                    .to_string(),
            );
        }
        let spec = account_spec(accounts, "/sbin/nologin", "");
        write_accounts(root, None, None, &spec, epoch).map_err(|e| {
            WorldError::assembly("could not write /etc/passwd and /etc/group").because(e)
        })?;
    }
    write_ld_so_cache(root, epoch)
        .map_err(|e| WorldError::assembly("could not write /etc/ld.so.cache").because(e))?;
    if !root.exists("etc/os-release") && !root.exists("usr/lib/os-release") {
        warnings.push(
            "the image has no /etc/os-release: scanners cannot tell which distribution it is; \
             install the distribution's release package (azurelinux-release)"
                .to_string(),
        );
    }
    let _ = installed;
    Ok(warnings)
}

/// The package database and the manifests, from the final tree.
/// `container-manifest-1` is what the toolkit writes, `rpm -qa` of the
/// image's database (install order, which whittle keeps deterministic),
/// so two builds of the same packages give the same file.
pub fn write_database(
    root: &mut RootFs,
    installed: &[Installed],
    epoch: i64,
    style: DatabaseStyle,
) -> Result<(), WorldError> {
    let time = u32::try_from(epoch.max(0)).unwrap_or(u32::MAX);
    let mut db = Vec::new();
    let mut lines = Vec::new();
    for pkg in installed {
        let Some(payload) = pkg.payload.get::<RpmPayload>() else {
            continue;
        };
        let h = &payload.headers.main;
        // Files the recipe's path filters dropped are "not installed", as
        // rpm records files it skipped (`--excludedocs`).
        let present: std::collections::BTreeSet<&str> =
            pkg.paths.iter().map(String::as_str).collect();
        let file_states = payload
            .files
            .iter()
            .map(|f| {
                let dir = f.mode & 0o170000 == 0o040000;
                if f.ghost || dir || present.contains(f.path.as_str()) {
                    FILE_STATE_NORMAL
                } else {
                    FILE_STATE_NOT_INSTALLED
                }
            })
            .collect();
        db.push(DbPackage {
            headers: payload.headers.clone(),
            install: InstallFacts {
                install_time: time,
                install_tid: time,
                file_states,
                install_color: install_color(h),
            },
        });
        lines.push(ManifestEntry::from_header(h).with_install_time(time));
    }
    let mut put = |path: &str, bytes: Vec<u8>| -> Result<(), WorldError> {
        root.insert(path, Node::file(bytes, 0o644).at(epoch))
            .map(|_| ())
            .map_err(|e| WorldError::assembly(format!("could not write /{path}")).because(e))
    };
    put(
        &format!("{MANIFEST_DIR}/container-manifest-1"),
        container_manifest_1(&lines, Manifest1Style::Toolkit, Order::Database).into_bytes(),
    )?;
    match style {
        DatabaseStyle::Rpmdb => {
            let bytes = rpmdb_bytes(&db)?;
            put(RPMDB_PATH, bytes)?;
        }
        DatabaseStyle::ManifestOnly => {
            put(
                &format!("{MANIFEST_DIR}/container-manifest-2"),
                container_manifest_2(&lines, EpochField::LiteralNone, Order::Sorted).into_bytes(),
            )?;
        }
    }
    Ok(())
}

/// The database written through SQLite into a temporary file, read back.
fn rpmdb_bytes(db: &[DbPackage]) -> Result<Vec<u8>, WorldError> {
    let failed = |e: &dyn std::fmt::Display| {
        WorldError::assembly(format!("could not write /{RPMDB_PATH}: {e}"))
    };
    let dir = tempfile::tempdir().map_err(|e| failed(&e))?;
    let path = dir.path().join("rpmdb.sqlite");
    write_rpmdb(&path, db)
        .map_err(|e| WorldError::assembly(format!("could not write /{RPMDB_PATH}")).because(e))?;
    fs_err::read(&path).map_err(|e| failed(&e))
}

/// rpm's install colour: 3 (both ELF classes) for 64-bit arches as rpm
/// 4.18 on x86_64 and aarch64 records it, 0 for noarch.
fn install_color(h: &crate::header::Header) -> u32 {
    match h.string(crate::tags::ARCH).as_deref() {
        Some("noarch") | None => 0,
        _ => 3,
    }
}
