//! Reading one RPM repository as dnf does: `repodata/repomd.xml` (its
//! detached signature verified when `repo_gpgcheck` is on), then the
//! `primary` metadata it lists, checked against repomd's checksum, and
//! `filelists` only when a file requirement is not answered by primary's
//! file entries.

use std::collections::BTreeSet;

use whittle_recipe::Arch;
use whittle_world::{FileOwner, PathQuery, WorldContext, WorldError};

use crate::entry::RpmRepository;
use crate::filelists::{add_file_provides, find_files, find_matching};
use crate::index_error::MetadataError;
use crate::primary::{parse_primary, unanswered_file_requires, weak_dependencies, PrimarySource};
use crate::repomd::{metadata_bytes, parse_repomd, RepoMd};
use crate::verify::RpmKeyring;

/// Every candidate package of `repo` for `arches`, the trust chain
/// verified; records carry `rank` as their `repo`.
pub fn load_repository(
    cx: &WorldContext,
    repo: &RpmRepository,
    keyring: &RpmKeyring,
    rank: usize,
    arches: &[&str],
    arch: Arch,
) -> Result<whittle_world::LoadedIndex, WorldError> {
    let (base, repomd_bytes, repomd) = verified_repomd(cx, repo, keyring, arch)?;
    let primary = metadata(cx, &base, &repomd, "primary", repo)?;
    let source = PrimarySource {
        origin: &primary.shown,
        base_url: &base,
        repo: rank,
    };
    let parsed = parse_primary(&primary.bytes[..], &source, arches)
        .map_err(|e| WorldError::format(format!("could not read {}", primary.shown)).because(e))?;
    if let Some(first) = parsed.skipped.first() {
        cx.reporter.on_warning(&format!(
            "{}: {} malformed package entries skipped (first: {}: {}); the repository \
             metadata is verified, so the rest of it is used",
            primary.shown,
            parsed.skipped.len(),
            first.package,
            first.reason
        ));
    }
    let mut records = parsed.records;
    let wanted: BTreeSet<String> = unanswered_file_requires(&records);
    if !wanted.is_empty() && repomd.get("filelists").is_some() {
        let filelists = metadata(cx, &base, &repomd, "filelists", repo)?;
        let found = find_files(&filelists.bytes[..], &filelists.shown, &wanted).map_err(|e| {
            WorldError::format(format!("could not read {}", filelists.shown)).because(e)
        })?;
        add_file_provides(&mut records, &found);
    }
    if repo.install_weak_deps {
        for r in &mut records {
            let weak = weak_dependencies(r);
            r.depends.extend(weak);
        }
    }
    Ok(whittle_world::LoadedIndex {
        records,
        digest: whittle_lock::sha256_digest(&repomd_bytes),
    })
}

/// `repomd.xml` of `repo` for `arch`, its detached signature verified when
/// `repo_gpgcheck` is on: the root every metadata file is checked
/// against. Returns the base URL, the bytes and the parse.
fn verified_repomd(
    cx: &WorldContext,
    repo: &RpmRepository,
    keyring: &RpmKeyring,
    arch: Arch,
) -> Result<(String, Vec<u8>, RepoMd), WorldError> {
    let base = repo.url_for(arch).map_err(WorldError::config)?;
    let repomd_url = format!("{base}/repodata/repomd.xml");
    let shown = whittle_net::redact(&repomd_url);
    let repomd_bytes = cx.fetcher.fetch_unverified(&repomd_url).map_err(|e| {
        WorldError::fetch(format!(
            "{}: could not fetch {shown}: check the repository URL (is it the folder that \
             holds repodata/?) and the network, or fill the cache before using --offline",
            repo.origin
        ))
        .because(e)
    })?;
    if repo.repo_gpgcheck {
        let asc_url = format!("{repomd_url}.asc");
        let asc = cx.fetcher.fetch_unverified(&asc_url).map_err(|e| {
            WorldError::fetch(format!(
                "{}: repo_gpgcheck is on but {} could not be fetched; the repository must \
                 publish a detached signature of repomd.xml, or turn repo_gpgcheck off",
                repo.origin,
                whittle_net::redact(&asc_url)
            ))
            .because(e)
        })?;
        whittle_sig::verify_detached(&repomd_bytes, &asc, keyring.keyring(), &shown).map_err(
            |e| {
                WorldError::verification(format!(
                    "{}: the signature of {shown} does not verify with `gpgkey`; nothing was built",
                    repo.origin
                ))
                .because(e)
            },
        )?;
    }
    let repomd = parse_repomd(&repomd_bytes, &shown)
        .map_err(|e| WorldError::format(format!("could not read {shown}")).because(e))?;
    Ok((base, repomd_bytes, repomd))
}

/// Which packages of `repo` (index source `rank`) ship each of `queries`,
/// from its `filelists` metadata checked against repomd's checksum (for
/// packages of `arches`). A repository without filelists answers nothing,
/// and the note says so.
pub fn search_files(
    cx: &WorldContext,
    repo: &RpmRepository,
    keyring: &RpmKeyring,
    rank: usize,
    arches: &[&str],
    queries: &[PathQuery],
) -> Result<(Vec<FileOwner>, Option<String>), WorldError> {
    let (base, _, repomd) = verified_repomd(cx, repo, keyring, cx.arch)?;
    if repomd.get("filelists").is_none() {
        return Ok((
            Vec::new(),
            Some(format!(
                "{}: repomd.xml lists no filelists metadata, so its packages' files were not searched",
                repo.origin
            )),
        ));
    }
    let filelists = metadata(cx, &base, &repomd, "filelists", repo)?;
    let wanted = |path: &str| queries.iter().any(|q| q.matches(path));
    let hits = find_matching(&filelists.bytes[..], &filelists.shown, &wanted).map_err(|e| {
        WorldError::format(format!("could not read {}", filelists.shown)).because(e)
    })?;
    let mut owners = Vec::new();
    for hit in hits.iter().filter(|h| arches.contains(&h.arch.as_str())) {
        for path in &hit.paths {
            for q in queries.iter().filter(|q| q.matches(path)) {
                owners.push(FileOwner {
                    query: q.path.clone(),
                    path: path.clone(),
                    package: hit.name.clone(),
                    version: Some(hit.version.clone()),
                    arch: Some(hit.arch.clone()),
                    source: rank,
                    part: None,
                    evidence: "filelists.xml".to_string(),
                });
            }
        }
    }
    Ok((owners, None))
}

/// One metadata file, fetched and checked.
struct Metadata {
    bytes: Vec<u8>,
    shown: String,
}

fn metadata(
    cx: &WorldContext,
    base: &str,
    repomd: &RepoMd,
    kind: &str,
    repo: &RpmRepository,
) -> Result<Metadata, WorldError> {
    let Some(entry) = repomd.get(kind) else {
        return Err(WorldError::format(format!(
            "{}: {base}/repodata/repomd.xml lists no `{kind}` metadata; is this an RPM \
             repository made by createrepo_c?",
            repo.origin
        )));
    };
    let url = entry.url(base);
    let shown = whittle_net::redact(&url);
    let sha256 = entry
        .checksum
        .as_ref()
        .filter(|c| c.kind == "sha256")
        .map(|c| c.hex.as_str());
    let raw = match sha256 {
        // A content-addressed fetch: cached and re-verified by the fetcher.
        Some(sha) => cx.fetcher.fetch_verified(&url, sha, entry.size),
        None => cx.fetcher.fetch_unverified(&url),
    }
    .map_err(|e| {
        if e.is_digest_mismatch() {
            WorldError::verification(format!(
                "{shown} does not match the checksum repomd.xml gives for it: the repository \
                 is being updated or was tampered with; retry later"
            ))
        } else {
            WorldError::fetch(format!("{}: could not fetch {shown}", repo.origin))
        }
        .because(e)
    })?;
    let bytes = metadata_bytes(&raw, entry, &shown).map_err(|e| {
        if matches!(
            e,
            MetadataError::ChecksumMismatch { .. } | MetadataError::OpenChecksumMismatch { .. }
        ) {
            WorldError::verification(format!(
                "{shown} does not match the checksum repomd.xml gives for it"
            ))
        } else {
            WorldError::format(format!("could not read {shown}"))
        }
        .because(e)
    })?;
    Ok(Metadata { bytes, shown })
}
