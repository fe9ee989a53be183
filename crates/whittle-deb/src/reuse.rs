//! Unpacked `.deb`s kept in the cache in a form that is fast to read back,
//! so that a warm build does not decompress xz again.
//!
//! Why: on a warm build of the python example, xz decoding was a third of
//! all CPU time (perf: `lzma_decode` 30 %, `lzma_crc64` 3 %). A package's
//! data is kept instead as a zstd-compressed tar of the entries as the
//! shared walk produced them (owners and their names, modes, times, links),
//! which decodes an order of magnitude faster and goes through the same walk
//! again when it is read back.
//!
//! Trust: an entry is only written after the `.deb` verified against the
//! SHA-256 of the signed `Packages` index and unpacked cleanly; it is found
//! by that SHA-256 (so only when a verified index names that exact `.deb`)
//! and a [`FORMAT`] version; its data is a content-addressed blob re-hashed
//! on every read, and its record repeats the `.deb` digest. A corrupt or
//! misfiled entry is ignored and the `.deb` unpacked again.

use std::io;

use serde::{Deserialize, Serialize};
use whittle_cache::{is_sha256_hex, Cache};
use whittle_rootfs::unpack::{unpack_tar, Entry, Unpacker};
use whittle_rootfs::{Content, ContentStore, NodeKind};

use crate::unpack::DebContents;

/// Version of the layout; part of every key.
pub const FORMAT: u32 = 3;

/// zstd level: fast to write on a cold build, fast to read on a warm one.
const ZSTD_LEVEL: i32 = 3;

/// The keyed record: the `.deb` it stands for, its control files, and the
/// blob holding its data.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    deb_sha256: String,
    control: String,
    md5sums: Option<String>,
    conffiles: Option<String>,
    scripts: Vec<(String, String)>,
    data_size: u64,
    data_blob: String,
}

fn key(deb_sha256: &str) -> String {
    format!("deb-unpacked/v{FORMAT}/{}", deb_sha256.to_ascii_lowercase())
}

/// The contents of the verified `.deb` with this SHA-256, when an earlier
/// build kept them and they still check out. `origin` names it in errors.
/// The blob is streamed (hashed as it is read) into `store`.
pub fn load(
    cache: &Cache,
    deb_sha256: &str,
    origin: &str,
    store: &ContentStore,
) -> Option<DebContents> {
    let bytes = cache.get_keyed(&key(deb_sha256)).ok()??;
    let record: Record = postcard::from_bytes(&bytes).ok()?;
    if !record.deb_sha256.eq_ignore_ascii_case(deb_sha256) || !is_sha256_hex(&record.data_blob) {
        return None;
    }
    let mut blob = cache.open_blob(&record.data_blob).ok()??;
    let mut decoder = zstd::stream::read::Decoder::new(&mut blob).ok()?;
    let mut unpacker = Unpacker::new(format!("{origin} (cached)"), store);
    unpack_tar(&mut decoder, &mut unpacker, |_, _| Ok(())).ok()?;
    // To the end, so the blob's digest is checked.
    io::copy(&mut decoder, &mut io::sink()).ok()?;
    drop(decoder);
    io::copy(&mut blob, &mut io::sink()).ok()?;
    let (entries, data_size) = unpacker.finish();
    (data_size == record.data_size).then_some(DebContents {
        control: record.control,
        md5sums: record.md5sums,
        conffiles: record.conffiles,
        scripts: record.scripts,
        entries,
        data_size,
    })
}

/// Keep `contents` of the verified `.deb` with this SHA-256, streamed
/// through zstd into a new blob. A cache that cannot take it only costs
/// the next build time, so failures are returned for the caller to ignore
/// or report.
pub fn store(cache: &Cache, deb_sha256: &str, contents: &DebContents) -> io::Result<()> {
    // Only this machine's MAC-checked entry names it: not shared.
    let writer = cache.new_blob().map_err(io::Error::other)?.local_only();
    let encoder = zstd::stream::write::Encoder::new(writer, ZSTD_LEVEL)?;
    let encoder = write_entries(encoder, &contents.entries)?;
    let writer = encoder.finish()?;
    let (_, data_blob) = writer.commit_named().map_err(io::Error::other)?;
    let record = Record {
        deb_sha256: deb_sha256.to_ascii_lowercase(),
        control: contents.control.clone(),
        md5sums: contents.md5sums.clone(),
        conffiles: contents.conffiles.clone(),
        scripts: contents.scripts.clone(),
        data_size: contents.data_size,
        data_blob,
    };
    let bytes = postcard::to_allocvec(&record).map_err(io::Error::other)?;
    cache
        .put_keyed(&key(deb_sha256), &bytes)
        .map_err(io::Error::other)
}

/// The entries as a tar the shared walk reads back to the same entries.
fn write_entries<W: io::Write>(out: W, entries: &[Entry]) -> io::Result<W> {
    let mut b = tar::Builder::new(out);
    for e in entries {
        let n = &e.node;
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_mode(n.mode);
        h.set_uid(u64::from(n.uid));
        h.set_gid(u64::from(n.gid));
        h.set_mtime(u64::try_from(n.mtime).unwrap_or(0));
        if let Some(names) = &e.owner_names {
            h.set_username(&names.user)?;
            h.set_groupname(&names.group)?;
        }
        let empty = Content::from(Vec::new());
        let mut content = &empty;
        match &n.kind {
            NodeKind::Dir => h.set_entry_type(tar::EntryType::Directory),
            NodeKind::File(c) => {
                h.set_entry_type(tar::EntryType::Regular);
                content = c;
            }
            NodeKind::Symlink(t) | NodeKind::Hardlink(t) => {
                let link = matches!(n.kind, NodeKind::Hardlink(_));
                h.set_entry_type(if link {
                    tar::EntryType::Link
                } else {
                    tar::EntryType::Symlink
                });
                b.append_link(&mut h, &e.path, t)?;
                continue;
            }
            NodeKind::CharDevice { major, minor } => {
                h.set_entry_type(tar::EntryType::Char);
                h.set_device_major(*major)?;
                h.set_device_minor(*minor)?;
            }
            NodeKind::Fifo => h.set_entry_type(tar::EntryType::Fifo),
        }
        h.set_size(content.len());
        b.append_data(&mut h, &e.path, content.reader())?;
    }
    b.into_inner()
}
