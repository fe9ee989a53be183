//! The installed-header blob: what rpm stores in `Packages.blob`.
//!
//! rpm's `headerExport` of an installed header: the package's immutable
//! region (index entries and data) byte for byte, then the entries added
//! after reading the package ("dribbles"), sorted by tag, their data
//! appended with each type's alignment. The dribbles are the signature
//! tags rpm merges in (`headerMergeLegacySigs`), its retrofits
//! (`applyRetrofits`, `INSTPREFIXES`) and the install facts (`dbAdd` in
//! `psm.c`).

use crate::header::{kind, Header, PackageHeaders, MAX_DATA, MAX_ENTRIES};
use crate::tags;

use super::{package_label, DbError, InstallFacts};

/// `HEADER_SIGBASE` and `HEADER_TAGBASE`: signature tags in this range are
/// merged into the installed header under their own number.
const SIGBASE: u32 = 256;
const TAGBASE: u32 = 1000;
/// rpm merges no string, string array or binary signature value this long.
const MERGE_MAX_COUNT: u32 = 16 * 1024;
/// Signature tags rpm renames when it merges them.
const RENAMED_SIGS: [(u32, u32); 8] = [
    (tags::SIG_SIZE, tags::INSTALLED_SIGSIZE),
    (tags::SIG_PGP, tags::INSTALLED_SIGPGP),
    (tags::SIG_MD5, tags::INSTALLED_SIGMD5),
    (tags::SIG_GPG, tags::INSTALLED_SIGGPG),
    // SIGTAG_PGP5 → RPMTAG_SIGPGP5.
    (1006, 263),
    (tags::SIG_PAYLOADSIZE, tags::ARCHIVESIZE),
    // SIGTAG_FILESIGNATURES and _FILESIGNATURELENGTH (IMA).
    (274, 5090),
    (275, 5091),
];
/// `RPMTAG_SOURCEPACKAGE`: set on source packages only.
const SOURCEPACKAGE: u32 = 1106;
/// `RPMTAG_PREFIXES` and `RPMTAG_INSTPREFIXES` (relocatable packages).
const PREFIXES: u32 = 1098;
const INSTPREFIXES: u32 = 1099;
/// Tags only rpm's install step writes; a package carrying one is refused.
const INSTALL_ONLY: [u32; 4] = [
    tags::INSTALLTIME,
    tags::FILESTATES,
    tags::INSTALLCOLOR,
    tags::INSTALLTID,
];

/// An entry outside the immutable region, with its value bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dribble {
    pub(crate) tag: u32,
    pub(crate) kind: u32,
    pub(crate) count: u32,
    pub(crate) data: Vec<u8>,
}

impl Dribble {
    fn u32(tag: u32, value: u32) -> Dribble {
        Dribble {
            tag,
            kind: kind::INT32,
            count: 1,
            data: value.to_be_bytes().to_vec(),
        }
    }
}

/// The blob rpm stores in `Packages` for `headers` installed with
/// `install`: the main header's immutable region byte for byte, then the
/// merged signature tags, rpm's retrofits and the install tags
/// (`INSTALLTIME`, `FILESTATES`, `INSTALLCOLOR`, `INSTALLTID`).
pub fn installed_blob(
    headers: &PackageHeaders,
    install: &InstallFacts,
) -> Result<Vec<u8>, DbError> {
    let main = &headers.main;
    let label = package_label(main);
    let refuse = |reason: String| DbError::Package {
        package: label.clone(),
        reason,
    };
    let (ril, rdl) = main.region().ok_or_else(|| {
        refuse("the main header has no immutable region (a pre-rpm-4 package?)".into())
    })?;
    if headers.lead.package_type == 1 || main.has(SOURCEPACKAGE) {
        return Err(refuse(
            "it is a source package, which is never installed".into(),
        ));
    }
    if let Some(tag) = INSTALL_ONLY.into_iter().find(|t| main.has(*t)) {
        return Err(refuse(format!(
            "its header already carries the install-time tag {tag}"
        )));
    }
    if main.has(tags::OLDFILENAMES) {
        return Err(refuse(
            "it lists its files in the legacy OLDFILENAMES form, which rpm rewrites on install; \
             rebuild the package with compressed file names"
                .into(),
        ));
    }
    let file_count = main.entry(tags::BASENAMES).map_or(0, |e| e.count as usize);
    if install.file_states.len() != file_count {
        return Err(refuse(format!(
            "{} file states given for {file_count} files",
            install.file_states.len()
        )));
    }

    // Entries the package header already has outside its region stay.
    let mut dribbles: Vec<Dribble> = Vec::new();
    for (i, e) in main.entries().iter().enumerate().skip(ril) {
        let data = main.value_bytes(i).unwrap_or_default().to_vec();
        dribbles.push(Dribble {
            tag: e.tag,
            kind: e.kind,
            count: e.count,
            data,
        });
    }
    merge_signature_tags(&headers.signature, main, &mut dribbles);
    // applyRetrofits: a binary package always has a SOURCERPM.
    if !has(main, &dribbles, tags::SOURCERPM) {
        dribbles.push(Dribble {
            tag: tags::SOURCERPM,
            kind: kind::STRING,
            count: 1,
            data: b"(none)\0".to_vec(),
        });
    }
    // rpmRelocationBuild without relocations: INSTPREFIXES = PREFIXES.
    if let Some((i, e)) = find(main, PREFIXES) {
        if !has(main, &dribbles, INSTPREFIXES) {
            dribbles.push(Dribble {
                tag: INSTPREFIXES,
                kind: e.kind,
                count: e.count,
                data: main.value_bytes(i).unwrap_or_default().to_vec(),
            });
        }
    }
    // dbAdd: the install facts.
    if file_count > 0 {
        dribbles.push(Dribble {
            tag: tags::FILESTATES,
            kind: kind::CHAR,
            count: u32::try_from(file_count).unwrap_or(u32::MAX),
            data: install.file_states.clone(),
        });
    }
    dribbles.push(Dribble::u32(tags::INSTALLTID, install.install_tid));
    dribbles.push(Dribble::u32(tags::INSTALLTIME, install.install_time));
    dribbles.push(Dribble::u32(tags::INSTALLCOLOR, install.install_color));
    // headerExport: the region first, then the dribbles by tag.
    dribbles.sort_by_key(|d| d.tag);

    let blob = main.blob();
    let region_index = &blob[8..8 + ril * 16];
    let region_data = &main.store()[..rdl];
    encode(region_index, region_data, &dribbles).map_err(refuse)
}

/// `headerMergeLegacySigs`: copy the signature header's tags into the
/// installed header, renamed where rpm renames them, unless the main
/// header already has the tag.
fn merge_signature_tags(sig: &Header, main: &Header, dribbles: &mut Vec<Dribble>) {
    for (i, e) in sig.entries().iter().enumerate() {
        let tag = match RENAMED_SIGS.iter().find(|(from, _)| *from == e.tag) {
            Some((_, to)) => *to,
            None if (SIGBASE..TAGBASE).contains(&e.tag) => e.tag,
            None => continue,
        };
        if has(main, dribbles, tag) {
            continue;
        }
        let mergeable = match e.kind {
            kind::CHAR | kind::INT8 | kind::INT16 | kind::INT32 | kind::INT64 => e.count == 1,
            kind::STRING | kind::STRING_ARRAY | kind::BIN => e.count < MERGE_MAX_COUNT,
            _ => false,
        };
        let Some(data) = sig.value_bytes(i) else {
            continue;
        };
        if mergeable {
            dribbles.push(Dribble {
                tag,
                kind: e.kind,
                count: e.count,
                data: data.to_vec(),
            });
        }
    }
}

fn find(h: &Header, tag: u32) -> Option<(usize, &crate::header::IndexEntry)> {
    h.entries().iter().enumerate().find(|(_, e)| e.tag == tag)
}

fn has(main: &Header, dribbles: &[Dribble], tag: u32) -> bool {
    main.has(tag) || dribbles.iter().any(|d| d.tag == tag)
}

/// rpm's `typeAlign`: where a value of `kind` may start in the store.
fn alignment(kind: u32) -> usize {
    match kind {
        kind::INT16 => 2,
        kind::INT32 => 4,
        kind::INT64 => 8,
        _ => 1,
    }
}

/// A blob (no magic) from a region's index entries and data followed by
/// `dribbles` in the order given.
pub(crate) fn encode(
    region_index: &[u8],
    region_data: &[u8],
    dribbles: &[Dribble],
) -> Result<Vec<u8>, String> {
    let mut index = region_index.to_vec();
    let mut data = region_data.to_vec();
    for d in dribbles {
        let align = alignment(d.kind);
        data.resize(data.len().div_ceil(align) * align, 0);
        let offset = u32::try_from(data.len()).map_err(|_| "the header data is too large")?;
        for word in [d.tag, d.kind, offset, d.count] {
            index.extend_from_slice(&word.to_be_bytes());
        }
        data.extend_from_slice(&d.data);
    }
    let il = index.len() / 16;
    if il > MAX_ENTRIES as usize || data.len() > MAX_DATA as usize {
        return Err(format!(
            "the installed header would have {il} entries and {} data bytes, more than rpm \
             accepts",
            data.len()
        ));
    }
    let mut blob = Vec::with_capacity(8 + index.len() + data.len());
    blob.extend_from_slice(&u32::try_from(il).unwrap_or(u32::MAX).to_be_bytes());
    blob.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    blob.extend_from_slice(&index);
    blob.extend_from_slice(&data);
    Ok(blob)
}

/// A header (with magic) holding just `dribbles`: used by tests to build
/// signature headers.
#[cfg(test)]
pub(crate) fn header_from_dribbles(dribbles: &[Dribble]) -> Header {
    let mut bytes = crate::header::HEADER_MAGIC.to_vec();
    bytes.extend_from_slice(&[0; 4]);
    bytes.extend_from_slice(&encode(&[], &[], dribbles).unwrap());
    Header::parse(&bytes, "test header").unwrap()
}
