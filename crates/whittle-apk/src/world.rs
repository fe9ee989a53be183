//! The APK package world: the [`PackageWorld`] implementation.
//!
//! Repositories are apko's: `URL/ARCH/APKINDEX.tar.gz`, verified against the
//! recipe's keyring (one valid signature by a known key suffices), each
//! package verified against the signed index's `C:` checksum, its
//! `datahash`, every file's SHA-1 and, when its key is known, its own
//! signature.

use std::io::Read;

use base64::Engine as _;
use whittle_lock::{LockedKey, LockedPackage, LockedRepository, MemberRange};

use whittle_model::{PackageRecord, Purl, VersionScheme};
use whittle_net::Fetcher;
use whittle_recipe::Arch;
use whittle_rootfs::RootFs;
use whittle_solve::{ProviderOrder, Rules};
use whittle_world::{
    Distro, FileSearch, FinishInput, Installed, LoadedIndex, LockState, OpenContext, PackageFacts,
    PackageWorld, PathQuery, Payload, Reporter, Unpacked, WorldContext, WorldError, WorldKind,
};

use crate::entry::{ApkRepositories, ApkRepository};
use crate::finish::{finish_root, write_database};
use crate::index::{parse_index_text_skipping, read_index_archive, ParsedIndex};
use crate::keys::ApkKeyring;
use crate::layout::prepare_root;
use crate::unpack::{unpack_apk, Expect, UnpackError};
use crate::verify::verify_index;
use crate::version::ApkVersionScheme;

/// apk-tools' resolution semantics: a name is held by one package, providers
/// are preferred by the version they give a name, and an unversioned
/// provide without a priority is never picked on its own.
pub const SOLVE_RULES: Rules = Rules {
    exclusive_names: true,
    provider_order: ProviderOrder::ProvidedVersion,
    explicit_virtuals: true,
};

/// Where the CA bundle is, for `SSL_CERT_FILE` (apko's default too).
pub const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The APK world as a front end registers it: `type: apk`, and apko's
/// plain repository strings.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApkKind;

impl WorldKind for ApkKind {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn takes_plain_repositories(&self) -> bool {
        true
    }

    fn open(&self, cx: &OpenContext<'_>) -> Result<Box<dyn PackageWorld>, WorldError> {
        let repos = ApkRepositories::from_specs(&cx.repositories)?;
        Ok(Box::new(ApkWorld::new(
            &repos,
            &cx.plan.keyrings,
            cx.plan.ignore_signatures,
            cx.fetcher,
        )?))
    }
}

/// What the installed database needs of a `.apk` beyond its index record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkPayload {
    /// `.PKGINFO` as `(key, value)` pairs in file order.
    pub pkginfo: Vec<(String, String)>,
    /// `Q1…` checksum of the control member.
    pub q1: String,
    /// Size of the `.apk` file in bytes.
    pub size: u64,
    /// Trigger globs.
    pub triggers: Vec<String>,
    /// Install scripts by name, never run.
    pub scripts: Vec<(String, Vec<u8>)>,
}

impl ApkPayload {
    /// The first `.PKGINFO` value for `key` (empty when absent).
    pub fn get(&self, key: &str) -> String {
        self.pkginfo
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every whitespace-separated word of every `.PKGINFO` value for `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.pkginfo
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split_whitespace().map(str::to_string))
            .collect()
    }
}

/// APK repositories (Alpine, Wolfi, Chainguard), as apko reads them.
pub struct ApkWorld {
    sources: Vec<ApkRepository>,
    /// Each source as the recipe wrote it.
    written: Vec<String>,
    /// Each key as the recipe (or command line) named it.
    key_origins: Vec<String>,
    keyring: ApkKeyring,
    key_files: Vec<(String, Vec<u8>)>,
    runtime_repositories: Vec<String>,
    ignore_signatures: bool,
}

impl ApkWorld {
    /// A world over `repos`, trusting the keys at `keys` (paths or URLs).
    pub fn new(
        repos: &ApkRepositories,
        keys: &[String],
        ignore_signatures: bool,
        fetcher: &Fetcher,
    ) -> Result<ApkWorld, WorldError> {
        let sources = repos
            .sources
            .iter()
            .map(|r| ApkRepository {
                url: r.url.trim_end_matches('/').to_string(),
                tag: r.tag.clone(),
            })
            .collect();
        let mut keyring = ApkKeyring::new();
        let mut key_files = Vec::new();
        for k in keys {
            let bytes = fetcher.fetch_unverified(k).map_err(|e| {
                WorldError::fetch(format!(
                    "could not read the APK key {k}; check `contents.keyring` or --keyring-append"
                ))
                .because(e)
            })?;
            let name = k.rsplit('/').next().unwrap_or(k).to_string();
            keyring.add(&name, &bytes).map_err(|e| {
                WorldError::config(format!("the APK key {k} is not an RSA public key")).because(e)
            })?;
            key_files.push((name, bytes));
        }
        Ok(ApkWorld {
            sources,
            written: repos.written.clone(),
            key_origins: keys.to_vec(),
            keyring,
            key_files,
            runtime_repositories: repos.image_lines.clone(),
            ignore_signatures,
        })
    }

    fn load_source(
        &self,
        cx: &WorldContext,
        repo: usize,
        src: &ApkRepository,
    ) -> Result<LoadedIndex, WorldError> {
        let arch = apk_arch(cx.arch);
        let url = format!("{}/{arch}/APKINDEX.tar.gz", src.url);
        let shown = whittle_net::redact(&url);
        let bytes = cx.fetcher.fetch_unverified(&url).map_err(|e| {
            WorldError::fetch(format!("could not fetch {shown}: check the repository URL and the network (or fill the cache before using --offline)")).because(e)
        })?;
        let archive = read_index_archive(&bytes, &shown).map_err(|e| {
            WorldError::format(format!("{shown} is not a valid APK index")).because(e)
        })?;
        if self.ignore_signatures {
            cx.reporter.on_warning(&format!(
                "NOT VERIFYING the signature of {shown} (--ignore-signatures): anyone who can \
                 change this repository controls the image"
            ));
        } else {
            let by = verify_index(&archive, &self.keyring, &shown).map_err(|e| {
                WorldError::verification(format!(
                    "the signature of {shown} could not be verified; nothing was built"
                ))
                .because(e)
            })?;
            for unknown in &by.skipped_unknown {
                cx.reporter.on_warning(&format!(
                    "{shown} is also signed by {unknown}, which is not in the keyring (skipped)"
                ));
            }
        }
        let parsed =
            parse_index_text_skipping(&archive.apkindex, &src.url, repo, arch, src.tag.as_deref())
                .check_usable()
                .map_err(|e| WorldError::format(format!("could not parse {shown}")).because(e))?;
        if !parsed.skipped.is_empty() {
            warn_skipped(&shown, &parsed, self.ignore_signatures, &*cx.reporter);
        }
        Ok(LoadedIndex {
            records: parsed.records,
            digest: whittle_lock::sha256_digest(&bytes),
        })
    }
}

impl PackageWorld for ApkWorld {
    fn id(&self) -> &'static str {
        "apk"
    }

    fn version_scheme(&self) -> &dyn VersionScheme {
        &ApkVersionScheme
    }

    fn solve_rules(&self) -> Rules {
        SOLVE_RULES
    }

    fn default_env(&self) -> Vec<(String, String)> {
        vec![("SSL_CERT_FILE".to_string(), CA_BUNDLE.to_string())]
    }

    fn index_sources(&self) -> usize {
        self.sources.len()
    }

    fn load_index(&self, cx: &WorldContext, source: usize) -> Result<LoadedIndex, WorldError> {
        let src = self.sources.get(source).ok_or_else(|| {
            WorldError::config(format!("there is no APK repository number {source}"))
        })?;
        self.load_source(cx, source, src)
    }

    fn source_label(&self, source: usize) -> String {
        self.sources.get(source).map_or_else(
            || format!("repository {source}"),
            |s| match &s.tag {
                Some(tag) => format!("@{tag} {}", whittle_net::redact(&s.url)),
                None => whittle_net::redact(&s.url),
            },
        )
    }

    fn summary<'r>(&self, record: &'r PackageRecord) -> Option<&'r str> {
        record.extra.get("T").map(String::as_str)
    }

    fn find_files(
        &self,
        _cx: &WorldContext,
        paths: &[PathQuery],
        records: &[PackageRecord],
    ) -> Result<FileSearch, WorldError> {
        Ok(crate::provides::find_in_provides(records, paths))
    }

    fn install(&self, cx: &WorldContext, record: &PackageRecord) -> Result<Unpacked, WorldError> {
        let contents = self.contents(cx, record)?;
        // Indexes written by melange carry no `r:` line: the package's own
        // `.PKGINFO` is the authority on what it replaces.
        let mut record = record.clone();
        for r in contents.pkginfo_all("replaces") {
            for name in r.split_whitespace() {
                let name = name.split(['=', '<', '>', '~']).next().unwrap_or(name);
                if !record.replaces.iter().any(|x| x == name) {
                    record.replaces.push(name.to_string());
                }
            }
        }
        let payload = ApkPayload {
            pkginfo: contents.pkginfo,
            q1: contents.q1,
            size: contents.size,
            triggers: contents.triggers,
            scripts: contents.scripts,
        };
        // Owners stay as the package's tar headers give them, as apk-tools
        // keeps them (apko forces root; see the README).
        Ok(Unpacked {
            record,
            entries: contents.entries,
            payload: Payload::new(payload),
        })
    }

    fn lock_state(&self, cx: &WorldContext) -> Result<LockState, WorldError> {
        let arch = apk_arch(cx.arch);
        let sources = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, src)| LockedRepository {
                name: self
                    .written
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| src.url.clone()),
                url: format!("{}/{arch}/APKINDEX.tar.gz", src.url),
                architecture: arch.to_string(),
                world: Some("apk".to_string()),
                source: Some(i),
                base: Some(src.url.clone()),
                digest: None,
                security: false,
            })
            .collect();
        let keys = self
            .key_files
            .iter()
            .zip(&self.key_origins)
            .map(|((name, bytes), origin)| LockedKey {
                name: name.clone(),
                url: whittle_net::redact(origin),
                content: None,
                fingerprints: vec![whittle_lock::sha256_digest(bytes)],
            })
            .collect();
        Ok(LockState {
            arch: arch.to_string(),
            sources,
            keys,
            trees: Vec::new(),
        })
    }

    fn lock_package(
        &self,
        cx: &WorldContext,
        record: &PackageRecord,
    ) -> Result<LockedPackage, WorldError> {
        // apko's lock records the three gzip members' byte ranges and
        // checksums, which only the package itself tells.
        let contents = self.contents(cx, record)?;
        let mut locked = LockedPackage::from_record(record, apk_arch(cx.arch));
        let (sig_len, control_len) = contents.member_lengths;
        let range =
            |first: u64, len: u64| format!("bytes={first}-{}", (first + len).saturating_sub(1));
        if let Some(sig) = &contents.signature_member_sha1_b64 {
            locked.signature = Some(MemberRange {
                range: range(0, sig_len),
                checksum: format!("sha1-{sig}"),
            });
        }
        locked.control = Some(MemberRange {
            range: range(sig_len, control_len),
            checksum: format!("sha1-{}", contents.control_sha1_b64),
        });
        let data_sha = hex::decode(&contents.data_sha256).unwrap_or_default();
        locked.data = Some(MemberRange {
            range: range(sig_len + control_len, contents.size - sig_len - control_len),
            checksum: format!(
                "sha256-{}",
                base64::engine::general_purpose::STANDARD.encode(data_sha)
            ),
        });
        locked.checksum = Some(contents.q1);
        locked.size = Some(contents.size);
        Ok(locked)
    }

    fn record_from_lock(&self, locked: &LockedPackage) -> Result<PackageRecord, WorldError> {
        // An apko lock: the package's own checksum is what install checks.
        let q1 = locked.checksum.clone().ok_or_else(|| {
            WorldError::config(format!(
                "the lock entry for {} has no `checksum`, so the package cannot be verified; \
                 write the lock again with `whittle lock`",
                locked.label()
            ))
        })?;
        let mut record = PackageRecord::new(&locked.name, &locked.version);
        record.arch = locked.architecture.clone();
        record.download.url = locked.url.clone();
        record.download.size = locked.size;
        record.extra.insert("C".to_string(), q1);
        Ok(record)
    }

    fn new_root(&self, _cx: &WorldContext) -> RootFs {
        let mut root = RootFs::new();
        // Creating the base tree in an empty root cannot fail.
        let _ = prepare_root(&mut root, 0);
        root
    }

    fn finish(
        &self,
        cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<Vec<String>, WorldError> {
        finish_root(
            root,
            installed,
            input,
            apk_arch(cx.arch),
            &self.key_files,
            &self.runtime_repositories,
        )
    }

    fn write_database(
        &self,
        _cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<(), WorldError> {
        write_database(root, installed, input.epoch)
    }

    fn facts(&self, _root: &RootFs, pkg: &Installed, distro: Option<&Distro>) -> PackageFacts {
        let rec = &pkg.record;
        PackageFacts {
            purl: apk_purl(&rec.name, &rec.version, &rec.arch, distro),
            license: rec.extra.get("L").cloned().filter(|l| !l.is_empty()),
            supplier: rec.extra.get("m").and_then(|m| maintainer_supplier(m)),
        }
    }
}

impl ApkWorld {
    /// A package fetched (through the cache) and verified: its signature,
    /// the index's `C:` checksum and its `datahash`.
    fn contents(
        &self,
        cx: &WorldContext,
        record: &PackageRecord,
    ) -> Result<crate::unpack::ApkContents, WorldError> {
        let label = record.label();
        let expect = Expect {
            q1: if self.ignore_signatures {
                None
            } else {
                record.extra.get("C").cloned()
            },
            size: record.download.size,
        };
        let origin = whittle_net::redact(&record.download.url);
        let unpack = |reader: &mut dyn Read| {
            unpack_apk(reader, &expect, &self.keyring, &origin, &cx.contents)
        };
        let contents = match fetch_package(cx, record, true, &unpack)? {
            Fetched::Ok(c) => c,
            // Out of room is not the cached copy's fault.
            Fetched::CachedBad(e) if matches!(&e, UnpackError::Walk(w) if w.is_out_of_room()) => {
                return Err(refused(&label, e))
            }
            // A cached copy that no longer checks out is fetched again once.
            Fetched::CachedBad(_) => match fetch_package(cx, record, false, &unpack)? {
                Fetched::Ok(c) => c,
                Fetched::CachedBad(e) | Fetched::Bad(e) => return Err(refused(&label, e)),
            },
            Fetched::Bad(e) => return Err(refused(&label, e)),
        };
        Ok(contents)
    }
}

/// The purl of an APK package as whittle's SBOMs write it:
/// `pkg:apk/ID/NAME@VERSION?arch=ARCH&distro=ID-VERSION_ID`, the image's
/// os-release `ID` as namespace (`alpine` without one), no `distro` for a
/// rolling distribution without `VERSION_ID`. Also used to name the
/// packages of an image read back (`whittle sbom IMAGE`).
pub fn apk_purl(name: &str, version: &str, arch: &str, distro: Option<&Distro>) -> Purl {
    let mut purl = Purl::new("apk", name, version)
        .namespace(distro.map_or("alpine", |d| d.id.as_str()))
        .qualifier("arch", arch);
    if let Some(d) = distro.filter(|d| !d.version_id.is_empty()) {
        purl = purl.qualifier("distro", &d.purl_qualifier());
    }
    purl
}

/// The SBOM supplier of an `m:` (maintainer) value: `Person: NAME <EMAIL>`.
pub fn maintainer_supplier(maintainer: &str) -> Option<String> {
    (!maintainer.is_empty()).then(|| format!("Person: {maintainer}"))
}

/// Warn about each record [`parse_index_text_skipping`] set aside.
fn warn_skipped(shown: &str, parsed: &ParsedIndex, unverified: bool, reporter: &dyn Reporter) {
    let trust = if unverified {
        "the rest of the (unverified) index is used"
    } else {
        "the index is signed, so the rest of it is used"
    };
    whittle_world::warn_skipped(
        reporter,
        shown,
        "record",
        trust,
        &parsed.skipped,
        parsed.records.len(),
        |s| (s.package.to_string(), s.error.to_string()),
    );
}

/// The APK (Alpine, Wolfi) name of an architecture.
pub fn apk_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::Amd64 => "x86_64",
        Arch::Arm64 => "aarch64",
        Arch::Armv7 => "armv7",
        Arch::I386 => "x86",
        Arch::Ppc64le => "ppc64le",
        Arch::S390x => "s390x",
        Arch::Riscv64 => "riscv64",
    }
}

/// How one attempt at a package went.
enum Fetched {
    /// Verified and unpacked.
    Ok(crate::unpack::ApkContents),
    /// The cached copy did not check out.
    CachedBad(UnpackError),
    /// The downloaded copy did not check out.
    Bad(UnpackError),
}

/// The package refused: a fault of the download is told apart from a
/// package that fails its checks.
fn refused(label: &str, e: UnpackError) -> WorldError {
    match &e {
        UnpackError::Walk(w) if w.is_out_of_room() => {
            WorldError::assembly(format!("could not unpack {label}; nothing was built"))
        }
        UnpackError::Io { .. } => WorldError::fetch(format!(
            "the download of {label} was cut short or could not be read; nothing was built: retry"
        )),
        UnpackError::Format { .. } | UnpackError::TooLarge { .. } => WorldError::format(format!(
            "{label} is not a valid APK package; nothing was built"
        )),
        UnpackError::Walk(w) if w.io_error().is_some() => WorldError::fetch(format!(
            "the download of {label} was cut short or could not be read; nothing was built: retry"
        )),
        _ => WorldError::verification(format!(
            "{label} failed verification against the signed index: nothing was built"
        )),
    }
    .because(e)
}

/// Stream the package through `unpack`: from the cache when an earlier
/// build stored it (keyed by URL and the index's `C:` checksum, so a
/// republished file is fetched again, and re-verified by the cache and by
/// unpacking), else from the network while it is written to the cache,
/// which keeps it only when it verified. The file is never held whole.
fn fetch_package(
    cx: &WorldContext,
    record: &PackageRecord,
    use_cache: bool,
    unpack: &dyn Fn(&mut dyn Read) -> Result<crate::unpack::ApkContents, UnpackError>,
) -> Result<Fetched, WorldError> {
    let label = record.label();
    let url = &record.download.url;
    let key = format!(
        "apk:{url}#{}",
        record.extra.get("C").map_or("", String::as_str)
    );
    let cache = cx.fetcher.cache();
    // Builds sharing the fetcher fetch this package once: the second waits
    // here and finds it in the cache.
    let _turn = cx.fetcher.turn(&key);
    if use_cache {
        // A pointer (it may come from a shared cache): the package it names
        // is checked against the signed index's checksum when unpacked.
        let cached = cache.get_pointer(&key).ok().flatten().and_then(|digest| {
            let hex = digest.strip_prefix("sha256:").unwrap_or(&digest);
            cache.blob(hex).ok().flatten()
        });
        if let Some(path) = cached {
            let mut file = fs_err::File::open(&path).map_err(|e| {
                WorldError::fetch(format!("could not read the cached copy of {label}")).because(e)
            })?;
            return Ok(match unpack(&mut file) {
                Ok(c) => Fetched::Ok(c),
                Err(e) => Fetched::CachedBad(e),
            });
        }
    }
    let token = cx.reporter.on_download_start(&label, record.download.size);
    let progress = {
        let reporter = cx.reporter.clone();
        Box::new(move |bytes: u64, _total: Option<u64>| reporter.on_download_progress(token, bytes))
    };
    // No more than the signed index says (or the unpacker's bound).
    let limit = record
        .download
        .size
        .map_or(crate::unpack::MAX_APK_SIZE, |s| {
            s.min(crate::unpack::MAX_APK_SIZE)
        });
    let opened = cx.fetcher.open_unverified(url, limit, Some(progress));
    let result = opened
        .map_err(|e| {
            WorldError::fetch(format!(
                "could not fetch {label} from {}",
                whittle_net::redact(url)
            ))
            .because(e)
        })
        .map(|body| {
            let mut tee = whittle_net::CachingReader::new(body, cache);
            let unpacked = unpack(&mut tee);
            if unpacked.is_ok() {
                // A cache that cannot be written only costs the next build time.
                if let Ok(digest) = tee.commit() {
                    let _ = cache.put_pointer(&key, &digest);
                }
            }
            match unpacked {
                Ok(c) => Fetched::Ok(c),
                Err(e) => Fetched::Bad(e),
            }
        });
    cx.reporter.on_download_complete(token);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_names_round_trip() {
        for a in Arch::ALL {
            assert_eq!(Arch::parse(apk_arch(a)), Some(a));
        }
        assert_eq!(apk_arch(Arch::I386), "x86");
    }
}
