//! Fidelity, measured: the paths maintainer scripts create on an installed
//! system, and how many of them a whittle image has. FIDELITY.md defines
//! the measure and justifies every exclusion listed here.
//!
//! The reference is `scripts/fidelity.sh listing`: an `mmdebstrap
//! --variant=essential` tree of the workload's packages, listed (owner,
//! path, type, mode, ids, link target) and deleted. Listings are cached
//! under `~/.cache/whittle-ci/fidelity/` keyed by a hash of the workload's
//! packages and of the versions whittle resolved for them, so a warm run
//! does not bootstrap anything.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;
use whittle_test_env::host::require_tool;

use crate::common::run;
use crate::image::resolve;

/// The share of script-created paths an image must reproduce.
pub const THRESHOLD_PERCENT: f64 = 95.0;

/// Whether `path` is left out of every workload's measure. FIDELITY.md
/// lists these with their reasons: dpkg's database (its alternatives
/// excepted), apt's and debconf's state, the shadow tools' lock and backup
/// files, service enablement for an init system, Python byte-code.
pub fn is_excluded(path: &str) -> bool {
    let under = |dir: &str| path == dir || path.starts_with(&format!("{dir}/"));
    let file = path.rsplit('/').next().unwrap_or(path);
    (under("/var/lib/dpkg") && !under("/var/lib/dpkg/alternatives"))
        || under("/var/lib/apt")
        || under("/var/cache/apt")
        || under("/var/cache/debconf")
        || path == "/etc/.pwd.lock"
        || [
            "/etc/passwd-",
            "/etc/group-",
            "/etc/shadow-",
            "/etc/gshadow-",
        ]
        .contains(&path)
        || is_rc_dir(path)
        || under("/etc/systemd/system")
        || under("/var/lib/systemd/deb-systemd-helper-enabled")
        || under("/var/lib/systemd/deb-systemd-helper-masked")
        || file.ends_with(".pyc")
        || path.split('/').any(|c| c == "__pycache__")
}

/// `/etc/rcN.d/…` (sysvinit start and stop links).
fn is_rc_dir(path: &str) -> bool {
    path.strip_prefix("/etc/rc")
        .and_then(|rest| rest.split_once(".d/"))
        .is_some_and(|(level, _)| level.len() == 1)
}

/// What a reference path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link.
    Link,
    /// Anything else (device, fifo, socket).
    Other,
}

impl Kind {
    fn parse(s: &str) -> Kind {
        match s {
            "d" => Kind::Dir,
            "f" => Kind::File,
            "l" => Kind::Link,
            _ => Kind::Other,
        }
    }

    fn of(meta: &std::fs::Metadata) -> Kind {
        let t = meta.file_type();
        if t.is_symlink() {
            Kind::Link
        } else if t.is_dir() {
            Kind::Dir
        } else if t.is_file() {
            Kind::File
        } else {
            Kind::Other
        }
    }
}

/// The script-created paths of one listing: `script` lines, by path.
fn script_created(listing: &str) -> BTreeMap<String, Kind> {
    listing
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let owner = f.next()?;
            let path = f.next()?;
            let kind = f.next()?;
            (owner == "script").then(|| (path.to_string(), Kind::parse(kind)))
        })
        .collect()
}

/// The cache directory of reference listings (as scripts/install-test-deps.sh
/// places its tools: `$WHITTLE_TOOLS_CACHE`, else `~/.cache/whittle-ci`).
fn cache_dir() -> PathBuf {
    std::env::var_os("WHITTLE_TOOLS_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/whittle-ci")))
        .unwrap_or_else(|| std::env::temp_dir().join("whittle-ci"))
        .join("fidelity")
}

/// The listing of `packages` (none: the essential baseline) from the cache
/// file `name`, made with scripts/fidelity.sh when absent.
fn listing(name: &str, packages: &[&str]) -> String {
    let path = cache_dir().join(name);
    if let Ok(text) = fs_err::read_to_string(&path) {
        return text;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fidelity.sh");
    run(
        Command::new("bash")
            .arg(script)
            .arg("listing")
            .arg(&path)
            .args(packages),
        true,
    );
    fs_err::read_to_string(&path).unwrap()
}

/// The paths the workload's scripts create: present in the reference,
/// in no package's file list, not created by the essential baseline's
/// scripts, not on [`EXCLUSIONS`] nor in `out_of_scope` (the workload's
/// own documented exclusions). None when mmdebstrap is missing (a loud
/// skip, or a failure under CI).
///
/// `resolved` is whittle's `show-packages` output for the workload: the
/// cache key hashes it with `packages`, so a new package version makes a
/// new reference.
pub fn reference(
    workload: &str,
    packages: &[&str],
    resolved: &str,
    out_of_scope: impl Fn(&str) -> bool,
) -> Option<BTreeMap<String, Kind>> {
    if !require_tool("mmdebstrap") {
        return None;
    }
    let mut hash = sha2::Sha256::new();
    hash.update(packages.join(" "));
    hash.update("\n");
    hash.update(resolved);
    let key = &hex::encode(hash.finalize())[..16];
    // The baseline shares the key: it is rebuilt with the workload, so the
    // two always come from the same mirror state.
    let baseline = script_created(&listing(&format!("{workload}-{key}.essential.txt"), &[]));
    let full = script_created(&listing(&format!("{workload}-{key}.txt"), packages));
    Some(
        full.into_iter()
            .filter(|(p, _)| !baseline.contains_key(p) && !is_excluded(p) && !out_of_scope(p))
            .collect(),
    )
}

/// How much of a reference an image reproduces.
pub struct Score {
    /// Reference paths the image has, with the same kind.
    pub reproduced: usize,
    /// Reference paths in all.
    pub total: usize,
    /// The reference paths it lacks (or has as another kind).
    pub missing: Vec<String>,
}

impl Score {
    /// The reproduced share in percent (100 for an empty reference).
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            return 100.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let share = self.reproduced as f64 / self.total as f64;
        share * 100.0
    }
}

/// Score the image unpacked at `rootfs` against `reference`.
pub fn score(reference: &BTreeMap<String, Kind>, rootfs: &Path) -> Score {
    let mut missing = Vec::new();
    for (path, kind) in reference {
        let found = resolve(rootfs, path, false)
            .and_then(|p| fs_err::symlink_metadata(p).ok())
            .is_some_and(|m| Kind::of(&m) == *kind);
        if !found {
            missing.push(path.clone());
        }
    }
    Score {
        reproduced: reference.len() - missing.len(),
        total: reference.len(),
        missing,
    }
}

/// Print the workload's figure and its missing paths past the harness's
/// capture: they are the point of the suite, pass or fail.
pub fn print(workload: &str, score: &Score) {
    let mut text = format!(
        "\nfidelity {workload}: reproduced {}/{} ({:.1} %)\n",
        score.reproduced,
        score.total,
        score.percent()
    );
    for path in &score.missing {
        text.push_str(&format!("  missing {path}\n"));
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Fail when `score` (None: not measured, already skipped loudly) is below
/// [`THRESHOLD_PERCENT`].
pub fn check(workload: &str, score: Option<Score>) {
    let Some(score) = score else { return };
    assert!(
        score.percent() >= THRESHOLD_PERCENT,
        "{workload}: the image reproduces {:.1} % of the paths its packages' scripts create \
         (below {THRESHOLD_PERCENT} %); missing:\n{}",
        score.percent(),
        score.missing.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions_are_narrow() {
        for kept in [
            "/var/lib/dpkg/alternatives/java",
            "/etc/passwd",
            "/etc/rc.local",
            "/var/log/nginx/access.log",
            "/var/cache/postgresql/dicts",
            "/etc/systemd/journald.conf",
        ] {
            assert!(!is_excluded(kept), "{kept} excluded");
        }
        for gone in [
            "/var/lib/dpkg/info/nginx.list",
            "/var/lib/apt/extended_states",
            "/etc/shadow-",
            "/etc/rc2.d/S01nginx",
            "/etc/systemd/system/multi-user.target.wants/nginx.service",
            "/usr/lib/python3/dist-packages/__pycache__",
            "/usr/lib/python3.11/os.cpython-311.pyc",
        ] {
            assert!(is_excluded(gone), "{gone} kept");
        }
    }

    #[test]
    fn script_lines_are_read_by_owner() {
        let listing = "# package nginx 1\npkg\t/usr/sbin/nginx\tf\t755\t0\t0\t\nscript\t/etc/nginx/sites-enabled/default\tl\t777\t0\t0\t/etc/nginx/sites-available/default\n";
        let set = script_created(listing);
        assert_eq!(
            set.into_iter().collect::<Vec<_>>(),
            vec![("/etc/nginx/sites-enabled/default".to_string(), Kind::Link)]
        );
    }
}
