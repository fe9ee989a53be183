//! Reading one RPM repository as dnf does: `repodata/repomd.xml` (its
//! detached signature verified when `repo_gpgcheck` is on), then the
//! `primary` metadata it lists, checked against repomd's checksum, and
//! `filelists` only when a file requirement is not answered by primary's
//! file entries.

use std::collections::BTreeSet;

use whittle_recipe::Arch;
use whittle_world::{WorldContext, WorldError};

use crate::entry::RpmRepository;
use crate::filelists::{add_file_provides, find_files};
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
