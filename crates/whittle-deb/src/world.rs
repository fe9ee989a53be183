//! The Debian package world: [`DebKind`] (registered under `type: deb`)
//! and the [`PackageWorld`] it opens.

use std::io::{self, Read};
use std::path::PathBuf;

use whittle_lock::{LockedKey, LockedPackage, LockedRepository, LockedTree};
use whittle_model::{PackageRecord, Purl, VersionScheme};
use whittle_net::Fetcher;
use whittle_recipe::{Arch, PackageRequest};
use whittle_rootfs::{ContentStore, Node, RootFs};
use whittle_slices::PackageCut;
use whittle_solve::Rules;
use whittle_world::{
    Distro, EffectsSetup, FileSearch, FinishInput, Installed, LoadedIndex, LockState, OpenContext,
    PackageFacts, PackageWorld, PartMatch, PathQuery, Payload, ScriptSource, SplitRequests,
    Unpacked, WorldContext, WorldError, WorldKind,
};

use crate::entry::DebRepository;
use crate::finish::{finish_root, finish_sliced_root, write_database};
use crate::license::declared_license;
use crate::repo::{load_suite_index, resolve_suites, SuiteSource};
use crate::reuse;
use crate::scripts::{builtin_effects, effects_setup, fresh_install_scripts};
use crate::search;
use crate::slices::{self, Slices};
use crate::unpack::{unpack_deb, DebContents};
use crate::version::DebVersionScheme;

/// Where the CA bundle of ca-certificates is, for `SSL_CERT_FILE`.
pub const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The Debian world as a front end registers it, with its options.
#[derive(Debug, Clone)]
pub struct DebKind {
    apt_root: PathBuf,
    check_valid_until: bool,
}

impl Default for DebKind {
    fn default() -> Self {
        DebKind {
            apt_root: PathBuf::from("/"),
            check_valid_until: true,
        }
    }
}

impl DebKind {
    /// Suites without a URL take it from the host's apt sources under `/`.
    pub fn new() -> DebKind {
        DebKind::default()
    }

    /// Read the host's apt sources under `root` instead of `/` (tests).
    #[must_use]
    pub fn with_apt_root(mut self, root: impl Into<PathBuf>) -> DebKind {
        self.apt_root = root.into();
        self
    }

    /// Accept Release files past their `Valid-Until` (apt's
    /// `Acquire::Check-Valid-Until=false`), for snapshots and archives.
    #[must_use]
    pub fn ignoring_valid_until(mut self, ignore: bool) -> DebKind {
        self.check_valid_until = !ignore;
        self
    }
}

impl WorldKind for DebKind {
    fn name(&self) -> &'static str {
        "deb"
    }

    fn open(&self, cx: &OpenContext<'_>) -> Result<Box<dyn PackageWorld>, WorldError> {
        let with_release = !cx.plan.slices.is_empty();
        let mut repos = cx
            .repositories
            .iter()
            .map(|spec| DebRepository::from_spec(spec, with_release))
            .collect::<Result<Vec<_>, _>>()?;
        let mut slices = slices::open(cx.plan, &mut repos)?;
        let all_sliced = slices.is_some() && cx.plan.packages.iter().all(|p| p.name.contains('_'));
        let mut suites = resolve_suites(&repos, &cx.plan.keyrings, cx.fetcher, &self.apt_root)?;
        if let Some(sl) = slices.as_mut() {
            // Suites are resolved repository by repository, suite by suite.
            let mut index = 0;
            for repo in &repos {
                for _ in &repo.suites {
                    if let Some(name) = &repo.archive {
                        sl.archive_sources
                            .entry(name.clone())
                            .or_default()
                            .push(index);
                    }
                    index += 1;
                }
            }
        }
        if cx.plan.ignore_signatures {
            for s in &mut suites {
                s.verify_signature = false;
            }
        }
        Ok(Box::new(DebWorld {
            suites,
            check_valid_until: self.check_valid_until,
            slices,
            all_sliced,
        }))
    }
}

/// Debian and Ubuntu repositories of `.deb` packages.
pub struct DebWorld {
    suites: Vec<SuiteSource>,
    check_valid_until: bool,
    /// The recipe's Chisel slice definitions, if it names any.
    slices: Option<Slices>,
    /// Every entry of the recipe is a slice: the tree starts empty, as
    /// Chisel's does, rather than with the merged-/usr links.
    all_sliced: bool,
}

/// What the dpkg database needs of a `.deb` beyond its index record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebPayload {
    /// The `control` file, verbatim.
    pub control: String,
    /// The `md5sums` control file, if any.
    pub md5sums: Option<String>,
    /// The `conffiles` control file, if any.
    pub conffiles: Option<String>,
    /// `preinst` and `postinst` (read, never run) and the debconf
    /// `templates`, by name, verbatim.
    pub scripts: Vec<(String, String)>,
    /// The Chisel slices cut from it, when only those went in.
    pub cut: Option<Vec<String>>,
}

impl DebWorld {
    /// A world over `repos` (see [`resolve_suites`] for `extra_keys` and
    /// `apt_root`), checking signatures and `Valid-Until`.
    pub fn new(
        repos: &[DebRepository],
        extra_keys: &[String],
        fetcher: &Fetcher,
        apt_root: &std::path::Path,
    ) -> Result<DebWorld, WorldError> {
        Ok(DebWorld {
            suites: resolve_suites(repos, extra_keys, fetcher, apt_root)?,
            check_valid_until: true,
            slices: None,
            all_sliced: false,
        })
    }

    /// A `.deb`'s contents: unpacked by an earlier build and kept in the
    /// cache, else fetched, verified and unpacked.
    fn contents(
        &self,
        cx: &WorldContext,
        record: &PackageRecord,
    ) -> Result<DebContents, WorldError> {
        let dl = &record.download;
        let label = record.label();
        let sha = dl.sha256.as_deref().ok_or_else(|| {
            WorldError::format(format!(
                "the index entry of {label} has no SHA256 field, so its .deb cannot be verified"
            ))
        })?;
        // A .deb unpacked by an earlier build (after it verified) is read
        // back without decompressing xz again.
        if let Some(contents) = reuse::load(cx.fetcher.cache(), sha, &label, &cx.contents) {
            return Ok(contents);
        }
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
                WorldError::fetch(format!(
                    "could not fetch {label} from {}",
                    whittle_net::redact(&dl.url)
                ))
                .because(e)
            })
            .and_then(|mut reader| unpack_checked(&mut reader, record, &cx.contents));
        reporter.on_download_complete(token);
        let contents = result?;
        // A cache that cannot take it only costs the next build time.
        if let Err(e) = reuse::store(cx.fetcher.cache(), sha, &contents) {
            reporter.on_info(&format!(
                "could not keep {label} unpacked in the cache: {e}"
            ));
        }
        Ok(contents)
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

    fn solve_rules(&self) -> Rules {
        Rules::default()
    }

    fn default_env(&self) -> Vec<(String, String)> {
        vec![("SSL_CERT_FILE".to_string(), CA_BUNDLE.to_string())]
    }

    fn index_sources(&self) -> usize {
        self.suites.len()
    }

    fn load_index(&self, cx: &WorldContext, source: usize) -> Result<LoadedIndex, WorldError> {
        let suite = self.suites.get(source).ok_or_else(|| {
            WorldError::config(format!("there is no Debian suite number {source}"))
        })?;
        let now = self.check_valid_until.then(now_epoch);
        load_suite_index(
            &cx.fetcher,
            suite,
            source,
            deb_arch(cx.arch),
            now,
            cx.reporter.as_ref(),
        )
    }

    fn install(&self, cx: &WorldContext, record: &PackageRecord) -> Result<Unpacked, WorldError> {
        Ok(unpacked(record, self.contents(cx, record)?, None))
    }

    fn lock_state(&self, cx: &WorldContext) -> Result<LockState, WorldError> {
        let arch = deb_arch(cx.arch);
        let sources = self
            .suites
            .iter()
            .enumerate()
            .map(|(i, s)| LockedRepository {
                name: format!("{} {}", s.suite, s.components.join(" ")),
                url: format!("{}/dists/{}/InRelease", s.url, s.suite),
                architecture: arch.to_string(),
                world: Some("deb".to_string()),
                source: Some(i),
                base: Some(s.url.clone()),
                digest: None,
                security: s.suite.ends_with("-security") || s.suite.ends_with("/updates"),
            })
            .collect();
        let mut keys: Vec<LockedKey> = Vec::new();
        for s in &self.suites {
            let fingerprints = s.keyring.fingerprints().to_vec();
            if !keys.iter().any(|k| k.name == s.keyring_origin) {
                keys.push(LockedKey {
                    name: s.keyring_origin.clone(),
                    url: String::new(),
                    content: None,
                    fingerprints,
                });
            }
        }
        let mut trees = Vec::new();
        for t in self.slices.iter().flat_map(|s| &s.trees) {
            trees.push(LockedTree {
                name: "chisel-release".to_string(),
                path: t.display().to_string(),
                digest: slices::tree_digest(t)?,
            });
        }
        Ok(LockState {
            arch: arch.to_string(),
            sources,
            keys,
            trees,
        })
    }

    fn lock_package(
        &self,
        cx: &WorldContext,
        record: &PackageRecord,
    ) -> Result<LockedPackage, WorldError> {
        // Packages' SHA256 and size come from the signed index.
        Ok(LockedPackage::from_record(record, deb_arch(cx.arch)))
    }

    fn source_label(&self, source: usize) -> String {
        self.suites.get(source).map_or_else(
            || format!("suite {source}"),
            |s| format!("{} {}", whittle_net::redact(&s.url), s.suite),
        )
    }

    fn summary<'r>(&self, record: &'r PackageRecord) -> Option<&'r str> {
        record.extra.get("Description").map(String::as_str)
    }

    fn find_files(
        &self,
        cx: &WorldContext,
        paths: &[PathQuery],
        _records: &[PackageRecord],
    ) -> Result<FileSearch, WorldError> {
        let now = self.check_valid_until.then(now_epoch);
        let release = self.slices.as_ref().map(|s| &s.release);
        search::find_files(&self.suites, release, now, cx, deb_arch(cx.arch), paths)
    }

    fn search_parts(&self, query: &str) -> Vec<PartMatch> {
        self.slices
            .as_ref()
            .map(|s| search::slice_parts(&s.release, query))
            .unwrap_or_default()
    }

    fn split_requests(
        &self,
        requests: &[PackageRequest],
        arch: Arch,
    ) -> Result<SplitRequests, WorldError> {
        slices::split(self.slices.as_ref(), requests, deb_arch(arch))
    }

    fn install_parts(
        &self,
        cx: &WorldContext,
        record: &PackageRecord,
        parts: &[String],
    ) -> Result<Unpacked, WorldError> {
        let Some(sl) = self.slices.as_ref() else {
            return Err(WorldError::config(format!(
                "{}: slices asked for, but the recipe names no slice definitions",
                record.label()
            )));
        };
        let arch = deb_arch(cx.arch);
        let selection = slices::selection_of(sl, &[(record.name.as_str(), parts)], arch)?;
        let cut = PackageCut::new(&sl.release, &selection, &record.name);
        let mut contents = self.contents(cx, record)?;
        contents.entries =
            slices::cut_entries(&cut, record, std::mem::take(&mut contents.entries))?;
        Ok(unpacked(record, contents, Some(parts.to_vec())))
    }

    fn new_root(&self, cx: &WorldContext) -> RootFs {
        if self.all_sliced {
            RootFs::new()
        } else {
            merged_usr_root(deb_arch(cx.arch))
        }
    }

    fn finish(
        &self,
        cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<Vec<String>, WorldError> {
        let cuts: Vec<(&str, &[String])> = installed
            .iter()
            .filter_map(|p| {
                let cut = p.payload.get::<DebPayload>()?.cut.as_deref()?;
                Some((p.record.name.as_str(), cut))
            })
            .collect();
        match self.slices.as_ref().filter(|_| !cuts.is_empty()) {
            None => finish_root(root, input),
            Some(sl) => {
                slices::finish_cut(sl, root, installed, &cuts, deb_arch(cx.arch), input.epoch)?;
                let whole: Vec<&str> = installed
                    .iter()
                    .filter(|p| !cuts.iter().any(|(n, _)| *n == p.record.name))
                    .map(|p| p.record.name.as_str())
                    .collect();
                finish_sliced_root(root, input, &whole)
            }
        }
    }

    fn effects_setup(&self, cx: &WorldContext) -> EffectsSetup {
        effects_setup(deb_arch(cx.arch))
    }

    fn configured_first(&self, pkg: &Installed) -> bool {
        pkg.record
            .extra
            .get("Essential")
            .is_some_and(|v| v.eq_ignore_ascii_case("yes"))
    }

    fn scripts(&self, pkg: &Installed) -> Vec<ScriptSource> {
        // A cut package's scripts are not read: its slice definition (and
        // mutation script) stands for them, as in Chisel.
        match pkg.payload.get::<DebPayload>() {
            Some(p) if p.cut.is_some() => Vec::new(),
            payload => fresh_install_scripts(payload),
        }
    }

    fn builtin_effects(
        &self,
        root: &RootFs,
        installed: &[Installed],
    ) -> Vec<whittle_effects::Placed> {
        // A tree cut from slices alone is left as Chisel leaves it.
        let all_cut = installed.iter().all(|p| {
            p.payload
                .get::<DebPayload>()
                .is_some_and(|d| d.cut.is_some())
        });
        if all_cut && !installed.is_empty() {
            return Vec::new();
        }
        builtin_effects(root, installed)
    }

    fn write_database(
        &self,
        cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<(), WorldError> {
        write_database(root, installed, input.epoch, deb_arch(cx.arch))
    }

    fn facts(&self, root: &RootFs, pkg: &Installed, distro: Option<&Distro>) -> PackageFacts {
        let rec = &pkg.record;
        PackageFacts {
            purl: deb_purl(&rec.name, &rec.version, &rec.arch, distro),
            license: declared_license(root, &rec.name),
            supplier: pkg
                .payload
                .get::<DebPayload>()
                .and_then(|p| supplier(&p.control)),
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
/// on to the end so a download fault or a digest mismatch (the real cause)
/// is what is reported.
fn unpack_checked(
    reader: &mut (dyn Read + Send),
    record: &PackageRecord,
    store: &ContentStore,
) -> Result<DebContents, WorldError> {
    let origin = whittle_net::redact(&record.download.url);
    match unpack_deb(&mut *reader, &origin, store) {
        Ok(contents) => Ok(contents),
        Err(full) if full.is_out_of_room() => {
            Err(WorldError::assembly(format!("could not unpack {}", record.label())).because(full))
        }
        Err(unpack_err) => {
            // A verifying reader that failed keeps reporting its failure,
            // so draining it finds the cause even when the unpacker
            // wrapped or replaced the error it saw.
            let drained = io::copy(reader, &mut io::sink()).err();
            let net = drained
                .as_ref()
                .and_then(net_error)
                .or_else(|| unpack_err.io_error().and_then(net_error));
            Err(match (net.map(|n| download_failed(record, n)), drained) {
                (Some(failed), Some(cause)) => failed.because(cause),
                (Some(failed), None) => failed.because(unpack_err),
                (None, _) => {
                    WorldError::format(format!("could not unpack {} ({origin})", record.label()))
                        .because(unpack_err)
                }
            })
        }
    }
}

/// The download failure an I/O error from the fetcher carries, if any.
fn net_error(e: &io::Error) -> Option<&whittle_net::NetError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<whittle_net::NetError>())
}

/// What the engine places, from what the `.deb` held (only the slices
/// `cut` names, when it names some).
fn unpacked(record: &PackageRecord, contents: DebContents, cut: Option<Vec<String>>) -> Unpacked {
    Unpacked {
        record: record.clone(),
        entries: contents.entries,
        payload: Payload::new(DebPayload {
            control: contents.control,
            md5sums: contents.md5sums,
            conffiles: contents.conffiles,
            scripts: contents.scripts,
            cut,
        }),
    }
}

/// A `.deb` whose download failed: tampering (a wrong digest, more bytes
/// than signed) is told apart from a download cut short, too slow or
/// broken off, which is a fault of the transfer.
fn download_failed(record: &PackageRecord, e: &whittle_net::NetError) -> WorldError {
    let label = record.label();
    if e.is_digest_mismatch() {
        WorldError::verification(format!(
            "{label} does not match the SHA-256 in the signed Packages index: the download was \
             corrupted or tampered with. Nothing was built; retry, or check the mirror."
        ))
    } else {
        WorldError::fetch(format!(
            "the download of {label} did not complete; nothing was built: retry"
        ))
    }
}

/// The Debian name of an architecture (`dpkg --print-architecture`).
pub fn deb_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::Amd64 => "amd64",
        Arch::Arm64 => "arm64",
        Arch::Armv7 => "armhf",
        Arch::I386 => "i386",
        Arch::Ppc64le => "ppc64el",
        Arch::S390x => "s390x",
        Arch::Riscv64 => "riscv64",
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

/// SPDX supplier from the control file's Maintainer field.
/// The purl of a Debian package as whittle's SBOMs write it:
/// `pkg:deb/ID/NAME@VERSION?arch=ARCH&distro=ID-VERSION_ID`, the image's
/// os-release `ID` as namespace (`debian` without one). Also used to name
/// the packages of an image read back (`whittle sbom IMAGE`).
pub fn deb_purl(name: &str, version: &str, arch: &str, distro: Option<&Distro>) -> Purl {
    let mut purl = Purl::new("deb", name, version)
        .namespace(distro.map_or("debian", |d| d.id.as_str()))
        .qualifier("arch", arch);
    if let Some(d) = distro {
        purl = purl.qualifier("distro", &d.purl_qualifier());
    }
    purl
}

fn supplier(control: &str) -> Option<String> {
    maintainer_supplier(
        control
            .lines()
            .find_map(|l| l.strip_prefix("Maintainer:"))?,
    )
}

/// The SBOM supplier of a `Maintainer:` value: `Organization: NAME
/// (EMAIL)` for teams and projects, `Person: NAME (EMAIL)` otherwise.
pub fn maintainer_supplier(maintainer: &str) -> Option<String> {
    let line = maintainer.trim();
    if line.is_empty() {
        return None;
    }
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
    fn arch_names_round_trip() {
        for a in Arch::ALL {
            assert_eq!(Arch::parse(deb_arch(a)), Some(a));
        }
        assert_eq!(deb_arch(Arch::Ppc64le), "ppc64el");
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
