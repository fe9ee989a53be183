//! The Debian package world: the [`PackageWorld`] implementation.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;

use rayon::prelude::*;
use whittle_model::{PackageRecord, VersionScheme};
use whittle_net::Fetcher;
use whittle_recipe::DebRepository;
use whittle_rootfs::{Node, RootFs};
use whittle_world::{
    Distro, FinishInput, Installed, PackageFacts, PackageWorld, Unpacked, WorldContext, WorldError,
};

use crate::finish::finish_root;
use crate::license::declared_license;
use crate::repo::{load_suite, resolve_suites, SuiteSource};
use crate::unpack::unpack_deb;
use crate::version::DebVersionScheme;

/// Debian and Ubuntu repositories of `.deb` packages.
pub struct DebWorld {
    suites: Vec<SuiteSource>,
    check_valid_until: bool,
}

impl DebWorld {
    /// A world over the recipe's Debian repositories; suites without a URL
    /// take it from the host's apt sources under `apt_root` (normally `/`).
    pub fn new(
        repos: &[DebRepository],
        fetcher: &Fetcher,
        apt_root: &Path,
    ) -> Result<DebWorld, WorldError> {
        Ok(DebWorld {
            suites: resolve_suites(repos, fetcher, apt_root)?,
            check_valid_until: true,
        })
    }

    /// Accept Release files past their `Valid-Until` (apt's
    /// `Acquire::Check-Valid-Until=false`), for snapshots and archives.
    #[must_use]
    pub fn ignoring_valid_until(mut self) -> DebWorld {
        self.check_valid_until = false;
        self
    }

    /// The suites this world reads, in recipe order.
    pub fn suites(&self) -> &[SuiteSource] {
        &self.suites
    }
}

impl PackageWorld for DebWorld {
    fn id(&self) -> &'static str {
        "deb"
    }

    fn version_scheme(&self) -> &dyn VersionScheme {
        &DebVersionScheme
    }

    fn load_index(&self, cx: &WorldContext) -> Result<Vec<PackageRecord>, WorldError> {
        let arch = cx.arch.deb_arch();
        let per_suite: Vec<Result<Vec<PackageRecord>, WorldError>> = self
            .suites
            .par_iter()
            .enumerate()
            .map(|(i, s)| {
                let now = self.check_valid_until.then(now_epoch);
                load_suite(&cx.fetcher, s, i, arch, now, cx.reporter.as_ref())
            })
            .collect();
        let mut all = Vec::new();
        for suite in per_suite {
            all.extend(suite?);
        }
        Ok(all)
    }

    fn install(&self, cx: &WorldContext, record: &PackageRecord) -> Result<Unpacked, WorldError> {
        let dl = &record.download;
        let label = record.label();
        let sha = dl.sha256.as_deref().ok_or_else(|| {
            WorldError::msg(format!(
                "the index entry of {label} has no SHA256 field, so its .deb cannot be verified"
            ))
        })?;
        let reporter = cx.reporter.clone();
        let token = reporter.on_download_start(&label, dl.size);
        let progress = {
            let reporter = reporter.clone();
            Box::new(move |bytes: u64, _total: Option<u64>| {
                reporter.on_download_progress(token, bytes)
            })
        };
        let opened = cx
            .fetcher
            .open_verified(&dl.url, sha, dl.size, Some(progress));
        let result = opened
            .map_err(|e| {
                WorldError::with_source(
                    format!(
                        "could not fetch {label} from {}",
                        whittle_net::redact(&dl.url)
                    ),
                    e,
                )
            })
            .and_then(|mut reader| unpack_checked(&mut reader, record));
        reporter.on_download_complete(token);
        result
    }

    fn new_root(&self, cx: &WorldContext) -> RootFs {
        merged_usr_root(cx.arch.deb_arch())
    }

    fn finish(
        &self,
        cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<Vec<String>, WorldError> {
        finish_root(root, installed, input, cx.arch.deb_arch())
    }

    fn facts(&self, root: &RootFs, pkg: &Installed, distro: Option<&Distro>) -> PackageFacts {
        let rec = &pkg.record;
        let id = distro.map_or("debian", |d| d.id.as_str());
        let mut purl = format!(
            "pkg:deb/{id}/{}@{}?arch={}",
            rec.name,
            purl_escape(&rec.version),
            rec.arch
        );
        if let Some(d) = distro {
            purl.push_str(&format!("&distro={}-{}", d.id, d.version_id));
        }
        PackageFacts {
            purl,
            license: declared_license(root, &rec.name),
            supplier: pkg.meta.get("control").and_then(|c| supplier(c)),
        }
    }
}

/// Seconds since the epoch now, for `Valid-Until`.
fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Unpack while the digest is checked underneath; if unpacking fails, read
/// on to the end so a digest mismatch (the real cause) is what is reported.
fn unpack_checked(
    reader: &mut (dyn Read + Send),
    record: &PackageRecord,
) -> Result<Unpacked, WorldError> {
    let origin = whittle_net::redact(&record.download.url);
    match unpack_deb(&mut *reader, &origin) {
        Ok(contents) => {
            let mut meta = BTreeMap::new();
            meta.insert("control".to_string(), contents.control);
            if let Some(m) = contents.md5sums {
                meta.insert("md5sums".to_string(), m);
            }
            if let Some(c) = contents.conffiles {
                meta.insert("conffiles".to_string(), c);
            }
            Ok(Unpacked {
                record: record.clone(),
                entries: contents.entries,
                meta,
            })
        }
        Err(unpack_err) => {
            if let Err(e) = io::copy(reader, &mut io::sink()) {
                if e.kind() == io::ErrorKind::InvalidData {
                    return Err(WorldError::with_source(
                        format!(
                            "{} does not match the SHA-256 in the signed Packages index: the \
                             download was corrupted or tampered with. Nothing was built; retry, \
                             or check the mirror.",
                            record.label()
                        ),
                        e,
                    ));
                }
            }
            Err(WorldError::with_source(
                format!("could not unpack {} ({origin})", record.label()),
                unpack_err,
            ))
        }
    }
}

/// The root a Debian 12 system starts from: `/bin`, `/sbin`, `/lib` (and
/// `/lib64` where the ABI has it) are links into `/usr`.
pub fn merged_usr_root(arch: &str) -> RootFs {
    let mut root = RootFs::new();
    let mut links = vec![("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib")];
    if matches!(arch, "amd64" | "ppc64el" | "s390x" | "riscv64" | "loong64") {
        links.push(("lib64", "usr/lib64"));
    }
    for (link, target) in links {
        // Inserting into an empty tree cannot fail.
        let _ = root.insert(target, Node::dir(0o755));
        let _ = root.insert(link, Node::symlink(target));
    }
    root
}

/// Percent-encode a version for a purl (`+` → `%2B`, `:` → `%3A`, `~` kept).
fn purl_escape(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// SPDX supplier from the control file's Maintainer field.
fn supplier(control: &str) -> Option<String> {
    let line = control
        .lines()
        .find_map(|l| l.strip_prefix("Maintainer:"))?
        .trim();
    let name = line.split('<').next().unwrap_or(line).trim();
    let email = line
        .split_once('<')
        .and_then(|(_, r)| r.split_once('>'))
        .map(|(e, _)| e.trim());
    let kind = if ["Team", "Maintainers", "Project", "Debian"]
        .iter()
        .any(|w| name.contains(w))
    {
        "Organization"
    } else {
        "Person"
    };
    Some(match email {
        Some(e) => format!("{kind}: {name} ({e})"),
        None => format!("{kind}: {name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_versions_are_escaped() {
        assert_eq!(purl_escape("1:1.2.13.dfsg-1"), "1%3A1.2.13.dfsg-1");
        assert_eq!(purl_escape("3.11.2-1+b1"), "3.11.2-1%2Bb1");
        assert_eq!(purl_escape("20250419~deb12u2"), "20250419~deb12u2");
    }

    #[test]
    fn supplier_from_maintainer() {
        assert_eq!(
            supplier("Package: x\nMaintainer: Matthias Klose <doko@debian.org>\n").as_deref(),
            Some("Person: Matthias Klose (doko@debian.org)")
        );
        assert_eq!(
            supplier("Maintainer: Debian Python Team <team+python@tracker.debian.org>\n")
                .as_deref(),
            Some("Organization: Debian Python Team (team+python@tracker.debian.org)")
        );
    }

    #[test]
    fn merged_usr_layout() {
        let root = merged_usr_root("amd64");
        assert!(root.exists("lib64"));
        let root = merged_usr_root("arm64");
        assert!(!root.exists("lib64"));
        assert!(root.exists("lib"));
    }
}
