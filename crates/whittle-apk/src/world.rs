//! The APK package world: the [`PackageWorld`] implementation.
//!
//! Repositories are apko's: `URL/ARCH/APKINDEX.tar.gz`, verified against the
//! recipe's keyring (one valid signature by a known key suffices), each
//! package verified against the signed index's `C:` checksum, its
//! `datahash`, every file's SHA-1 and, when its key is known, its own
//! signature.

use std::collections::BTreeMap;

use rayon::prelude::*;
use whittle_model::{PackageRecord, VersionScheme};
use whittle_net::Fetcher;
use whittle_recipe::{BuildPlan, Repository};
use whittle_rootfs::RootFs;
use whittle_world::{
    Distro, FinishInput, Installed, PackageFacts, PackageWorld, Unpacked, WorldContext, WorldError,
};

use crate::finish::{finish_root, META_PKGINFO, META_Q1, META_SCRIPTS, META_SIZE, META_TRIGGERS};
use crate::index::{parse_index_text, read_index_archive};
use crate::keys::ApkKeyring;
use crate::layout::prepare_root;
use crate::unpack::{unpack_apk, Expect};
use crate::verify::verify_index;
use crate::version::ApkVersionScheme;

/// One repository to resolve from.
#[derive(Debug, Clone)]
struct Source {
    url: String,
    tag: Option<String>,
}

/// APK repositories (Alpine, Wolfi, Chainguard), as apko reads them.
pub struct ApkWorld {
    sources: Vec<Source>,
    keyring: ApkKeyring,
    key_files: Vec<(String, Vec<u8>)>,
    runtime_repositories: Vec<String>,
    ignore_signatures: bool,
}

impl ApkWorld {
    /// A world over the recipe's APK repositories and keyring.
    pub fn new(plan: &BuildPlan, fetcher: &Fetcher) -> Result<ApkWorld, WorldError> {
        let sources = plan
            .repositories_for_resolving()
            .into_iter()
            .filter_map(|r| match r {
                Repository::Apk(a) => Some(Source {
                    url: a.url.trim_end_matches('/').to_string(),
                    tag: a.tag,
                }),
                Repository::Deb(_) => None,
            })
            .collect();
        let mut keyring = ApkKeyring::new();
        let mut key_files = Vec::new();
        for k in &plan.keyrings {
            let bytes = fetcher.fetch_unverified(k).map_err(|e| {
                WorldError::with_source(
                    format!("could not read the APK key {k}; check `contents.keyring` or --keyring-append"),
                    e,
                )
            })?;
            let name = k.rsplit('/').next().unwrap_or(k).to_string();
            keyring.add(&name, &bytes).map_err(|e| {
                WorldError::with_source(format!("the APK key {k} is not an RSA public key"), e)
            })?;
            key_files.push((name, bytes));
        }
        Ok(ApkWorld {
            sources,
            keyring,
            key_files,
            runtime_repositories: plan.image_apk_repositories.clone(),
            ignore_signatures: plan.ignore_signatures,
        })
    }

    fn load_source(
        &self,
        cx: &WorldContext,
        repo: usize,
        src: &Source,
    ) -> Result<Vec<PackageRecord>, WorldError> {
        let arch = cx.arch.apk_arch();
        let url = format!("{}/{arch}/APKINDEX.tar.gz", src.url);
        let shown = whittle_net::redact(&url);
        let bytes = cx.fetcher.fetch_unverified(&url).map_err(|e| {
            WorldError::with_source(
                format!("could not fetch {shown}: check the repository URL and the network (or fill the cache before using --offline)"),
                e,
            )
        })?;
        let archive = read_index_archive(&bytes, &shown)
            .map_err(|e| WorldError::with_source(format!("{shown} is not a valid APK index"), e))?;
        if self.ignore_signatures {
            cx.reporter.on_warning(&format!(
                "NOT VERIFYING the signature of {shown} (--ignore-signatures): anyone who can \
                 change this repository controls the image"
            ));
        } else {
            let by = verify_index(&archive, &self.keyring, &shown).map_err(|e| {
                WorldError::with_source(
                    format!("the signature of {shown} could not be verified; nothing was built"),
                    e,
                )
            })?;
            for unknown in &by.skipped_unknown {
                cx.reporter.on_warning(&format!(
                    "{shown} is also signed by {unknown}, which is not in the keyring (skipped)"
                ));
            }
        }
        parse_index_text(&archive.apkindex, &src.url, repo, arch, src.tag.as_deref())
            .map_err(|e| WorldError::with_source(format!("could not parse {shown}"), e))
    }
}

impl PackageWorld for ApkWorld {
    fn id(&self) -> &'static str {
        "apk"
    }

    fn version_scheme(&self) -> &dyn VersionScheme {
        &ApkVersionScheme
    }

    fn solve_rules(&self) -> whittle_solve::Rules {
        whittle_solve::Rules::Apk
    }

    fn load_index(&self, cx: &WorldContext) -> Result<Vec<PackageRecord>, WorldError> {
        let per_source: Vec<Result<Vec<PackageRecord>, WorldError>> = self
            .sources
            .par_iter()
            .enumerate()
            .map(|(i, s)| self.load_source(cx, i, s))
            .collect();
        let mut all = Vec::new();
        for s in per_source {
            all.extend(s?);
        }
        Ok(all)
    }

    fn install(&self, cx: &WorldContext, record: &PackageRecord) -> Result<Unpacked, WorldError> {
        let label = record.label();
        let url = &record.download.url;
        let expect = Expect {
            q1: if self.ignore_signatures {
                None
            } else {
                record.extra.get("C").cloned()
            },
        };
        let unpack =
            |bytes: &[u8]| unpack_apk(bytes, &expect, &self.keyring, &whittle_net::redact(url));
        let (bytes, cached) = fetch_package(cx, record, true)?;
        let contents = match unpack(&bytes) {
            // A cached copy that no longer checks out is fetched again once.
            Err(_) if cached => unpack(&fetch_package(cx, record, false)?.0),
            other => other,
        }
        .map_err(|e| {
            WorldError::with_source(
                format!(
                    "{label} failed verification against the signed index (or could not be \
                         read): nothing was built"
                ),
                e,
            )
        })?;
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
        let mut meta = BTreeMap::new();
        let pkginfo: String = contents
            .pkginfo
            .iter()
            .map(|(k, v)| format!("{k} = {v}\n"))
            .collect();
        meta.insert(META_PKGINFO.to_string(), pkginfo);
        meta.insert(META_Q1.to_string(), contents.q1.clone());
        meta.insert(META_SIZE.to_string(), contents.size.to_string());
        meta.insert(META_TRIGGERS.to_string(), contents.triggers.join(" "));
        let scripts: String = contents
            .scripts
            .iter()
            .map(|(name, body)| format!("{name} {}\n", hex::encode(body)))
            .collect();
        meta.insert(META_SCRIPTS.to_string(), scripts);
        Ok(Unpacked {
            record,
            // apko writes every package file root-owned whatever the tar
            // header says (a package built on a laptop carries uid 501);
            // images match apko's, so owners are normalised the same way.
            entries: contents
                .entries
                .into_iter()
                .map(|(p, n, _)| (p, n.owned(0, 0)))
                .collect(),
            meta,
        })
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
            cx.arch.apk_arch(),
            &self.key_files,
            &self.runtime_repositories,
        )
    }

    fn facts(&self, _root: &RootFs, pkg: &Installed, distro: Option<&Distro>) -> PackageFacts {
        let rec = &pkg.record;
        let id = distro.map_or("alpine", |d| d.id.as_str());
        let mut purl = format!(
            "pkg:apk/{id}/{}@{}?arch={}",
            rec.name,
            purl_escape(&rec.version),
            rec.arch
        );
        if let Some(d) = distro.filter(|d| !d.version_id.is_empty()) {
            purl.push_str(&format!("&distro={}-{}", d.id, d.version_id));
        }
        PackageFacts {
            purl,
            license: rec.extra.get("L").cloned().filter(|l| !l.is_empty()),
            supplier: rec
                .extra
                .get("m")
                .filter(|m| !m.is_empty())
                .map(|m| format!("Person: {m}")),
        }
    }
}

/// The `.apk` bytes, from the cache when an earlier build fetched the same
/// package (keyed by URL and the index's `C:` checksum, so a republished
/// file is fetched again; unpacking re-checks the checksum either way).
fn fetch_package(
    cx: &WorldContext,
    record: &PackageRecord,
    use_cache: bool,
) -> Result<(Vec<u8>, bool), WorldError> {
    let label = record.label();
    let url = &record.download.url;
    let key = format!(
        "apk:{url}#{}",
        record.extra.get("C").map_or("", String::as_str)
    );
    let cache = cx.fetcher.cache();
    if use_cache {
        if let Ok(Some(bytes)) = cache.get_keyed(&key) {
            return Ok((bytes, true));
        }
    }
    let token = cx.reporter.on_download_start(&label, record.download.size);
    let fetched = cx.fetcher.fetch_unverified(url);
    cx.reporter.on_download_complete(token);
    let bytes = fetched.map_err(|e| {
        WorldError::with_source(
            format!("could not fetch {label} from {}", whittle_net::redact(url)),
            e,
        )
    })?;
    // A cache that cannot be written only costs the next build time.
    let _ = cache.put_keyed(&key, &bytes);
    Ok((bytes, false))
}

/// Percent-encode a version for a purl.
fn purl_escape(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
