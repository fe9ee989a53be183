//! The RPM package world: the [`PackageWorld`] implementation.
//!
//! The trust chain is dnf's: `repomd.xml` (verified against `gpgkey` when
//! `repo_gpgcheck` is on) → the checksums of `primary.xml` (and
//! `filelists.xml`, fetched only when a file requirement is not answered by
//! primary's file entries) → each package's SHA-256 → its header signature
//! (`gpgcheck`, on by default) → the header and payload digests → every
//! file's digest. No scriptlet is ever run.

use std::io::{self, Read};

use whittle_lock::{LockedKey, LockedPackage, LockedRepository};
use whittle_model::{PackageRecord, Purl, VersionScheme};
use whittle_rootfs::RootFs;
use whittle_solve::{ProviderOrder, Rules};
use whittle_world::{
    Distro, EffectsSetup, FileSearch, FinishInput, Installed, LoadedIndex, LockState, OpenContext,
    PackageFacts, PackageWorld, PathQuery, Payload, ScriptSource, Unpacked, WorldContext,
    WorldError, WorldKind,
};

use crate::entry::{compatible_arches, repositories_from_specs, rpm_arch, RpmRepository};
use crate::finish::{finish_root, write_database, DatabaseStyle};
use crate::header::PackageHeaders;
use crate::tags;
use crate::unpack::{unpack_rpm, Expect, RpmContents, RpmFile};
use crate::verify::RpmKeyring;
use crate::version::RpmVersionScheme;

/// rpm/libsolv's resolution semantics as far as a fresh install needs
/// them: names may be provided by several packages, providers of a name
/// are preferred by the version they give it.
pub const SOLVE_RULES: Rules = Rules {
    exclusive_names: false,
    provider_order: ProviderOrder::ProvidedVersion,
    explicit_virtuals: false,
};

/// Where Azure Linux (and Fedora) keep the CA bundle, for `SSL_CERT_FILE`.
pub const CA_BUNDLE: &str = "/etc/pki/tls/certs/ca-bundle.crt";

/// The RPM world as a front end registers it: `type: rpm`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpmKind;

impl WorldKind for RpmKind {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn open(&self, cx: &OpenContext<'_>) -> Result<Box<dyn PackageWorld>, WorldError> {
        let repos = repositories_from_specs(&cx.repositories)?;
        let style = if cx.plan.rpmdb == Some(false) {
            DatabaseStyle::ManifestOnly
        } else {
            DatabaseStyle::Rpmdb
        };
        Ok(Box::new(RpmWorld::new(repos, style, cx)?))
    }
}

/// What the package database needs of a `.rpm` beyond its index record.
#[derive(Debug, Clone)]
pub struct RpmPayload {
    /// The signature and main headers, as read.
    pub headers: PackageHeaders,
    /// Every file the header lists (ghosts included), in header order.
    pub files: Vec<RpmFile>,
}

/// One repository with its keys, ready to read.
struct Source {
    repo: RpmRepository,
    keyring: RpmKeyring,
}

/// RPM repositories (Azure Linux, Fedora-style), read natively.
pub struct RpmWorld {
    sources: Vec<Source>,
    style: DatabaseStyle,
}

impl RpmWorld {
    fn new(
        repos: Vec<RpmRepository>,
        style: DatabaseStyle,
        cx: &OpenContext<'_>,
    ) -> Result<RpmWorld, WorldError> {
        let mut sources = Vec::new();
        for repo in repos {
            let mut keyring = RpmKeyring::empty();
            for key in &repo.gpgkeys {
                let shown = whittle_net::redact(key);
                let bytes = cx.fetcher.fetch_unverified(key).map_err(|e| {
                    WorldError::fetch(format!(
                        "{}: could not read the gpgkey {shown}; check the path or URL",
                        repo.origin
                    ))
                    .because(e)
                })?;
                keyring.add(&bytes, &shown).map_err(|e| {
                    WorldError::config(format!(
                        "{}: the gpgkey {shown} is not an OpenPGP public key",
                        repo.origin
                    ))
                    .because(e)
                })?;
            }
            if !repo.gpgcheck {
                cx.reporter.on_warning(&format!(
                    "{}: gpgcheck is off: packages from {} are NOT verified against a key; \
                     anyone who can change that repository controls the image",
                    repo.origin,
                    whittle_net::redact(&repo.url)
                ));
            }
            sources.push(Source { repo, keyring });
        }
        Ok(RpmWorld { sources, style })
    }

    fn source(&self, i: usize) -> Result<&Source, WorldError> {
        self.sources
            .get(i)
            .ok_or_else(|| WorldError::config(format!("there is no rpm repository number {i}")))
    }
}

impl PackageWorld for RpmWorld {
    fn id(&self) -> &'static str {
        "rpm"
    }

    fn version_scheme(&self) -> &dyn VersionScheme {
        &RpmVersionScheme
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
        let src = self.source(source)?;
        crate::repo::load_repository(
            cx,
            &src.repo,
            &src.keyring,
            source,
            &compatible_arches(cx.arch),
            cx.arch,
        )
    }

    fn source_label(&self, source: usize) -> String {
        self.sources.get(source).map_or_else(
            || format!("repository {source}"),
            |s| whittle_net::redact(&s.repo.url),
        )
    }

    fn summary<'r>(&self, record: &'r PackageRecord) -> Option<&'r str> {
        record.extra.get("summary").map(String::as_str)
    }

    fn find_files(
        &self,
        cx: &WorldContext,
        paths: &[PathQuery],
        _records: &[PackageRecord],
    ) -> Result<FileSearch, WorldError> {
        let mut answer = FileSearch {
            complete: true,
            ..FileSearch::default()
        };
        let arches = compatible_arches(cx.arch);
        for (rank, src) in self.sources.iter().enumerate() {
            let (owners, note) =
                crate::repo::search_files(cx, &src.repo, &src.keyring, rank, &arches, paths)?;
            answer.owners.extend(owners);
            if let Some(note) = note {
                answer.complete = false;
                answer.notes.push(note);
            }
        }
        Ok(answer)
    }

    fn install(&self, cx: &WorldContext, record: &PackageRecord) -> Result<Unpacked, WorldError> {
        let src = self.source(record.repo)?;
        let contents = fetch_and_unpack(cx, record, src)?;
        let mut entries = contents.entries;
        // File capabilities travel as the `security.capability` xattr.
        for (path, caps) in &contents.caps {
            if let Some(e) = entries.iter_mut().find(|e| &e.path == path) {
                e.node
                    .xattrs
                    .insert("security.capability".to_string(), caps.clone());
            }
        }
        Ok(Unpacked {
            record: record.clone(),
            entries,
            payload: Payload::new(RpmPayload {
                headers: contents.headers,
                files: contents.files,
            }),
        })
    }

    fn lock_state(&self, cx: &WorldContext) -> Result<LockState, WorldError> {
        let arch = rpm_arch(cx.arch);
        let mut sources = Vec::new();
        let mut keys: Vec<LockedKey> = Vec::new();
        for (i, src) in self.sources.iter().enumerate() {
            let base = src.repo.url_for(cx.arch).map_err(WorldError::config)?;
            sources.push(LockedRepository {
                // As written: `$basearch` unexpanded, the same on every arch.
                name: src.repo.url.clone(),
                url: format!("{base}/repodata/repomd.xml"),
                architecture: arch.to_string(),
                world: Some("rpm".to_string()),
                source: Some(i),
                base: Some(base),
                digest: None,
                security: false,
            });
            for k in &src.repo.gpgkeys {
                if !keys.iter().any(|x| &x.url == k) {
                    keys.push(LockedKey {
                        name: src.repo.origin.clone(),
                        url: whittle_net::redact(k),
                        content: None,
                        fingerprints: src.keyring.keyring().fingerprints().to_vec(),
                    });
                }
            }
        }
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
        // primary.xml states every package's SHA-256 and size.
        Ok(LockedPackage::from_record(record, rpm_arch(cx.arch)))
    }

    fn new_root(&self, _cx: &WorldContext) -> RootFs {
        // The `filesystem` package lays out the tree (and its /bin → usr/bin
        // links); nothing is assumed before it.
        RootFs::new()
    }

    fn finish(
        &self,
        _cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<Vec<String>, WorldError> {
        finish_root(root, installed, input)
    }

    fn effects_setup(&self, cx: &WorldContext) -> EffectsSetup {
        EffectsSetup {
            arch: rpm_arch(cx.arch).to_string(),
            alternatives_db: Some("/var/lib/alternatives".to_string()),
            statoverride_db: None,
            keep_run: false,
            accounts_package: Some("filesystem".to_string()),
            native_scripts: Vec::new(),
            elsewhere: Vec::new(),
        }
    }

    fn scripts(&self, pkg: &Installed) -> Vec<ScriptSource> {
        match pkg.payload.get::<RpmPayload>() {
            Some(p) => fresh_install_scripts(&p.headers),
            None => Vec::new(),
        }
    }

    fn write_database(
        &self,
        _cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<(), WorldError> {
        write_database(root, installed, input.epoch, self.style)
    }

    fn facts(&self, _root: &RootFs, pkg: &Installed, distro: Option<&Distro>) -> PackageFacts {
        let rec = &pkg.record;
        let header = pkg.payload.get::<RpmPayload>().map(|p| &p.headers.main);
        let license = header
            .and_then(|h| h.string(tags::LICENSE))
            .or_else(|| rec.extra.get("license").cloned())
            .filter(|l| !l.is_empty())
            .map(|l| spdx_operators(&l));
        let vendor = header
            .and_then(|h| h.string(tags::VENDOR))
            .or_else(|| rec.extra.get("vendor").cloned());
        PackageFacts {
            purl: rpm_purl(&rec.name, &rec.version, &rec.arch, distro),
            license,
            supplier: vendor.as_deref().and_then(vendor_supplier),
        }
    }
}

/// The purl of an RPM as whittle's SBOMs write it (`evr` is
/// `[EPOCH:]VERSION-RELEASE`): `pkg:rpm/ID/NAME@VERSION-RELEASE?arch=ARCH
/// &epoch=EPOCH&distro=ID-VERSION_ID`, the image's os-release `ID` as
/// namespace (`rpm` without one), `epoch` only when not 0. Also used to
/// name the packages of an image read back (`whittle sbom IMAGE`).
pub fn rpm_purl(name: &str, evr: &str, arch: &str, distro: Option<&Distro>) -> Purl {
    let evr = crate::version::Evr::parse(evr);
    let version = match &evr.release {
        Some(r) => format!("{}-{r}", evr.version),
        None => evr.version.clone(),
    };
    let mut purl = Purl::new("rpm", name, &version)
        .namespace(distro.map_or("rpm", |d| d.id.as_str()))
        .qualifier("arch", arch);
    if let Some(epoch) = evr
        .epoch
        .as_deref()
        .filter(|e| !e.trim_start_matches('0').is_empty())
    {
        purl = purl.qualifier("epoch", epoch);
    }
    if let Some(d) = distro {
        purl = purl.qualifier("distro", &d.purl_qualifier());
    }
    purl
}

/// The SBOM supplier of a `VENDOR`: `Organization: VENDOR`.
pub fn vendor_supplier(vendor: &str) -> Option<String> {
    (!vendor.is_empty()).then(|| format!("Organization: {vendor}"))
}

/// The scriptlets a fresh install runs, in rpm's order: `%pretrans`,
/// `%pre`, `%post`, `%posttrans`, each with `$1` = 1 (one instance
/// installed). A scriptlet in Lua (or any interpreter but a shell) is
/// reported, not read. `%post -p /sbin/ldconfig` (a program, no body) is
/// read as that one command.
pub fn fresh_install_scripts(headers: &PackageHeaders) -> Vec<ScriptSource> {
    let h = &headers.main;
    let mut out = Vec::new();
    for (name, body, prog, args) in [
        ("%pretrans", tags::PRETRANS, tags::PRETRANSPROG, vec![]),
        ("%pre", tags::PREIN, tags::PREINPROG, vec!["1".to_string()]),
        (
            "%post",
            tags::POSTIN,
            tags::POSTINPROG,
            vec!["1".to_string()],
        ),
        ("%posttrans", tags::POSTTRANS, tags::POSTTRANSPROG, vec![]),
    ] {
        let text = h.string(body);
        let interpreter = h.strings(prog);
        if text.is_none() && interpreter.is_empty() {
            continue;
        }
        let program = interpreter.first().cloned().unwrap_or_default();
        let shell = program.is_empty()
            || matches!(program.rsplit('/').next(), Some("sh" | "bash" | "dash"));
        let (text, unreadable) = match text {
            Some(text) if shell => (text, None),
            Some(text) => (
                text,
                Some(if program == "<lua>" {
                    "a Lua scriptlet: whittle reads shell scriptlets only".to_string()
                } else {
                    format!("a scriptlet for {program}: whittle reads shell scriptlets only")
                }),
            ),
            // `-p /program args` without a body: the program is the script.
            None => (interpreter.join(" "), None),
        };
        out.push(ScriptSource {
            name: name.to_string(),
            text,
            args,
            answers: Vec::new(),
            unreadable,
        });
    }
    out
}

/// Fetch (through the cache, checked against primary's SHA-256) and
/// unpack one package; a download fault is reported as one, not as a bad
/// package.
fn fetch_and_unpack(
    cx: &WorldContext,
    record: &PackageRecord,
    src: &Source,
) -> Result<RpmContents, WorldError> {
    let dl = &record.download;
    let label = record.label();
    let Some(sha) = dl.sha256.as_deref() else {
        return Err(WorldError::format(format!(
            "{label}: the repository metadata gives no SHA-256 for it ({}), so it cannot be \
             verified; regenerate the repository with createrepo_c's default checksum",
            record
                .extra
                .get("checksum")
                .map_or("no checksum", String::as_str)
        )));
    };
    let reporter = cx.reporter.clone();
    let token = reporter.on_download_start(&label, dl.size);
    let progress = {
        let reporter = reporter.clone();
        Box::new(move |bytes: u64, _total: Option<u64>| reporter.on_download_progress(token, bytes))
    };
    let opened = cx
        .fetcher
        .open_verified(&dl.url, sha, dl.size, Some(progress));
    let origin = whittle_net::redact(&dl.url);
    let expect = Expect {
        sha256: None,
        size: dl.size,
    };
    let result = opened
        .map_err(|e| WorldError::fetch(format!("could not fetch {label} from {origin}")).because(e))
        .and_then(|mut reader| {
            match unpack_rpm(
                &mut reader,
                &expect,
                &src.keyring,
                src.repo.gpgcheck,
                &origin,
                &cx.contents,
            ) {
                Ok(c) => Ok(c),
                Err(e) => Err(classify_failure(&mut reader, record, e)),
            }
        });
    reporter.on_download_complete(token);
    // With gpgcheck on, unpack_rpm refused anything not verified.
    result
}

/// The error to report for a package that failed to unpack: a download
/// fault or digest mismatch underneath (found by reading on) wins over
/// what the unpacker made of the short or corrupt stream.
fn classify_failure(
    reader: &mut (dyn Read + Send),
    record: &PackageRecord,
    e: crate::unpack::UnpackError,
) -> WorldError {
    let label = record.label();
    if e.is_out_of_room() {
        return WorldError::assembly(format!("could not unpack {label}")).because(e);
    }
    let drained = io::copy(reader, &mut io::sink()).err();
    let net = drained
        .as_ref()
        .and_then(net_error)
        .or_else(|| e.io_error().and_then(net_error));
    if let Some(n) = net {
        let failed = if n.is_digest_mismatch() {
            WorldError::verification(format!(
                "{label} does not match the SHA-256 in the repository's primary.xml: the \
                 download was corrupted or tampered with. Nothing was built; retry, or check \
                 the repository."
            ))
        } else {
            WorldError::fetch(format!(
                "the download of {label} did not complete; nothing was built: retry"
            ))
        };
        return match drained {
            Some(cause) => failed.because(cause),
            None => failed.because(e),
        };
    }
    let origin = whittle_net::redact(&record.download.url);
    let untrusted = matches!(
        e,
        crate::unpack::UnpackError::Unsigned { .. }
            | crate::unpack::UnpackError::UnknownKey { .. }
            | crate::unpack::UnpackError::Unverifiable { .. }
    );
    if e.is_integrity_failure() || untrusted {
        WorldError::verification(format!(
            "{label} failed verification ({origin}); nothing was built"
        ))
        .because(e)
    } else {
        WorldError::format(format!("could not unpack {label} ({origin})")).because(e)
    }
}

/// The download failure an I/O error from the fetcher carries, if any.
fn net_error(e: &io::Error) -> Option<&whittle_net::NetError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<whittle_net::NetError>())
}

/// An RPM `LICENSE` as an SPDX expression: License tags join licences
/// with lower-case `and`/`or`/`with` (Fedora's and Azure Linux's older
/// spelling); SPDX wants them upper-case.
pub fn spdx_operators(license: &str) -> String {
    license
        .split(' ')
        .map(|w| match w {
            "and" => "AND",
            "or" => "OR",
            "with" => "WITH",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}
