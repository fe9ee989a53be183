//! Reading a `.deb` into memory: control files and data entries, never running
//! maintainer scripts. The format is `deb(5)`: an `ar` archive holding
//! `debian-binary`, `control.tar[.gz|.xz|.zst]` and `data.tar[.gz|.xz|.zst]`.
//!
//! The archive is streamed: members are read in order, decompressed and
//! walked as tar on the fly, and the reader is always drained to its end so
//! a digest-checking reader around it gets to verify the whole file.
//!
//! The data archive goes through the walk every world shares
//! ([`whittle_rootfs::unpack`]): path confinement, size budgets, hard links
//! and owners live there. Owners are kept as dpkg keeps them: the user and
//! group *names* in the tar headers, mapped through the image's own
//! `/etc/passwd` and `/etc/group` once those exist, else the numeric ids.

use std::io::{self, Read};

use whittle_rootfs::unpack::{unpack_tar, Entry, Unpacker};
pub use whittle_rootfs::unpack::{MAX_DATA_SIZE, MAX_FILE_SIZE};
use whittle_rootfs::{clean_relative, ContentStore};

/// The most `ar` members a `.deb` may have; real ones have three.
pub const MAX_AR_MEMBERS: usize = 16;
/// The largest control-archive file read into memory (64 MiB).
const MAX_CONTROL_FILE: u64 = 64 << 20;

/// What a `.deb` holds, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebContents {
    /// The `control` file of the control archive, verbatim.
    pub control: String,
    /// The `md5sums` control file, if the package has one.
    pub md5sums: Option<String>,
    /// The `conffiles` control file, if the package has one.
    pub conffiles: Option<String>,
    /// The maintainer scripts whittle reads (never runs), `preinst` and
    /// `postinst`, and the debconf `templates`, by name, verbatim (lossily
    /// decoded if not UTF-8).
    pub scripts: Vec<(String, String)>,
    /// The data archive's entries in archive order, by their cleaned
    /// relative path (`usr/bin/python3.11`); the `./` entry itself is left out.
    /// Hard links carry the cleaned path of their target.
    pub entries: Vec<Entry>,
    /// The total size of the regular files' contents, in bytes.
    pub data_size: u64,
}

/// A `.deb` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// Reading or decompressing failed (including a digest mismatch reported
    /// by the reader the caller supplied).
    #[error("{origin}: reading {member} failed: {source}")]
    Io {
        /// The package file or URL.
        origin: String,
        /// The `ar` member (or "ar archive" before any member).
        member: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file does not follow the `.deb` format.
    #[error("{origin}: {member}: {reason}; is this really a .deb package?")]
    Format {
        /// The package file or URL.
        origin: String,
        /// The `ar` member.
        member: String,
        /// What is wrong.
        reason: String,
    },
    /// A member uses a compression whittle does not read.
    #[error(
        "{origin}: member {member} uses a compression whittle cannot read; \
         supported are none, .gz, .xz and .zst"
    )]
    UnsupportedCompression {
        /// The package file or URL.
        origin: String,
        /// The `ar` member.
        member: String,
    },
    /// An entry of the data archive could not be unpacked (path, kind,
    /// size budget).
    #[error(transparent)]
    Walk(#[from] whittle_rootfs::unpack::UnpackError),
    /// A control file is larger than whittle reads.
    #[error(
        "{origin}: {member}: control file {path} is {size} bytes, over the limit of {limit} bytes"
    )]
    TooLarge {
        /// The package file or URL.
        origin: String,
        /// The `ar` member.
        member: String,
        /// The control file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
}

impl UnpackError {
    /// The I/O error underneath, for a caller that looks inside it.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            UnpackError::Io { source, .. } => Some(source),
            UnpackError::Walk(w) => w.io_error(),
            _ => None,
        }
    }

    /// Whether the build ran out of room (see
    /// [`whittle_rootfs::unpack::UnpackError::is_out_of_room`]).
    pub fn is_out_of_room(&self) -> bool {
        matches!(self, UnpackError::Walk(w) if w.is_out_of_room())
    }
}

/// Which of the `deb(5)` members are expected next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Binary,
    Control,
    Data,
    Done,
}

/// Read a `.deb` from `reader` into `store`. `origin` names the package in
/// errors.
///
/// The reader is consumed to its end even after the data member, so that a
/// wrapping reader which verifies a digest at end of file always runs.
pub fn unpack_deb<R: Read>(
    reader: R,
    origin: &str,
    store: &ContentStore,
) -> Result<DebContents, UnpackError> {
    let mut archive = ar::Archive::new(reader);
    let mut stage = Stage::Binary;
    let mut control: Option<ControlFiles> = None;
    let mut data: Option<(Vec<Entry>, u64)> = None;
    let mut members = 0usize;
    while let Some(next) = archive.next_entry() {
        let mut entry = next.map_err(|source| UnpackError::Io {
            origin: origin.to_string(),
            member: "ar archive".to_string(),
            source,
        })?;
        members += 1;
        let name = String::from_utf8_lossy(entry.header().identifier())
            .trim_end_matches('/')
            .to_string();
        let ctx = Ctx {
            origin,
            member: &name,
        };
        if members > MAX_AR_MEMBERS {
            return Err(ctx.format(format!("more than {MAX_AR_MEMBERS} ar members")));
        }
        match stage {
            Stage::Binary => {
                if name != "debian-binary" {
                    return Err(ctx.format("the first member must be debian-binary".to_string()));
                }
                let mut text = String::new();
                (&mut entry)
                    .take(64)
                    .read_to_string(&mut text)
                    .map_err(|e| ctx.io(e))?;
                if !text.starts_with("2.") {
                    return Err(
                        ctx.format(format!("format version {:?} is not 2.x", text.trim_end()))
                    );
                }
                stage = Stage::Control;
            }
            Stage::Control if name.starts_with('_') => {}
            Stage::Control => {
                let Some(kind) = compression(&name, "control.tar") else {
                    return Err(ctx.format(format!("expected control.tar.*, found {name}")));
                };
                let decoder = decompress(kind, &mut entry, &ctx)?;
                control = Some(read_control(decoder, &ctx)?);
                stage = Stage::Data;
            }
            Stage::Data if name.starts_with('_') => {}
            Stage::Data => {
                let Some(kind) = compression(&name, "data.tar") else {
                    return Err(ctx.format(format!("expected data.tar.*, found {name}")));
                };
                let decoder = decompress(kind, &mut entry, &ctx)?;
                data = Some(read_data(decoder, &ctx, store)?);
                stage = Stage::Done;
            }
            // Members after the data archive are ignored, as dpkg does.
            Stage::Done => {}
        }
        io::copy(&mut entry, &mut io::sink()).map_err(|e| ctx.io(e))?;
    }
    // Drain whatever follows, so a verifying reader sees its end of file.
    let mut rest = archive.into_inner().map_err(|source| UnpackError::Io {
        origin: origin.to_string(),
        member: "ar archive".to_string(),
        source,
    })?;
    io::copy(&mut rest, &mut io::sink()).map_err(|source| UnpackError::Io {
        origin: origin.to_string(),
        member: "ar archive".to_string(),
        source,
    })?;
    let missing = |member: &str| UnpackError::Format {
        origin: origin.to_string(),
        member: member.to_string(),
        reason: "member missing".to_string(),
    };
    let control = control.ok_or_else(|| missing("control.tar"))?;
    let (entries, data_size) = data.ok_or_else(|| missing("data.tar"))?;
    let text = control.control.ok_or_else(|| UnpackError::Format {
        origin: origin.to_string(),
        member: "control.tar".to_string(),
        reason: "the control archive has no ./control file".to_string(),
    })?;
    Ok(DebContents {
        control: text,
        md5sums: control.md5sums,
        conffiles: control.conffiles,
        scripts: control.scripts,
        entries,
        data_size,
    })
}

/// Where an error happened.
struct Ctx<'a> {
    origin: &'a str,
    member: &'a str,
}

impl Ctx<'_> {
    fn io(&self, source: io::Error) -> UnpackError {
        UnpackError::Io {
            origin: self.origin.to_string(),
            member: self.member.to_string(),
            source,
        }
    }

    fn format(&self, reason: String) -> UnpackError {
        UnpackError::Format {
            origin: self.origin.to_string(),
            member: self.member.to_string(),
            reason,
        }
    }

    fn too_large(&self, path: String, size: u64, limit: u64) -> UnpackError {
        UnpackError::TooLarge {
            origin: self.origin.to_string(),
            member: self.member.to_string(),
            path,
            size,
            limit,
        }
    }
}

/// A member's compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Xz,
    Zstd,
    Unsupported,
}

/// The compression of member `name` if it is `base` with some suffix.
fn compression(name: &str, base: &str) -> Option<Compression> {
    let rest = name.strip_prefix(base)?;
    Some(match rest {
        "" => Compression::None,
        ".gz" => Compression::Gzip,
        ".xz" => Compression::Xz,
        ".zst" => Compression::Zstd,
        _ if rest.starts_with('.') => Compression::Unsupported,
        _ => return None,
    })
}

fn decompress<'r, R: Read + 'r>(
    kind: Compression,
    inner: R,
    ctx: &Ctx<'_>,
) -> Result<Box<dyn Read + 'r>, UnpackError> {
    Ok(match kind {
        Compression::None => Box::new(inner),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(inner)),
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(inner)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::new(inner).map_err(|e| ctx.io(e))?)
        }
        Compression::Unsupported => {
            return Err(UnpackError::UnsupportedCompression {
                origin: ctx.origin.to_string(),
                member: ctx.member.to_string(),
            })
        }
    })
}

#[derive(Debug, Default)]
struct ControlFiles {
    control: Option<String>,
    md5sums: Option<String>,
    conffiles: Option<String>,
    scripts: Vec<(String, String)>,
}

/// The maintainer scripts kept: the ones that run on a fresh install, and
/// the debconf templates whose defaults answer their questions.
const KEPT_SCRIPTS: [&str; 3] = ["preinst", "postinst", "templates"];

fn read_control(decoder: Box<dyn Read + '_>, ctx: &Ctx<'_>) -> Result<ControlFiles, UnpackError> {
    let mut files = ControlFiles::default();
    let mut tar = tar::Archive::new(decoder);
    for entry in tar.entries().map_err(|e| ctx.io(e))? {
        let mut entry = entry.map_err(|e| ctx.io(e))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = clean_relative(&String::from_utf8_lossy(&entry.path_bytes()));
        let size = entry.size();
        if KEPT_SCRIPTS.contains(&path.as_str()) {
            if size > MAX_CONTROL_FILE {
                return Err(ctx.too_large(path, size, MAX_CONTROL_FILE));
            }
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(|e| ctx.io(e))?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            files.scripts.push((path, text));
            continue;
        }
        let slot = match path.as_str() {
            "control" => &mut files.control,
            "md5sums" => &mut files.md5sums,
            "conffiles" => &mut files.conffiles,
            _ => continue,
        };
        if size > MAX_CONTROL_FILE {
            return Err(ctx.too_large(path, size, MAX_CONTROL_FILE));
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).map_err(|e| ctx.io(e))?;
        *slot = Some(text);
    }
    drain_tar(tar, ctx)?;
    files.scripts.sort();
    Ok(files)
}

/// The data archive, through the shared walk.
fn read_data(
    decoder: Box<dyn Read + '_>,
    ctx: &Ctx<'_>,
    store: &ContentStore,
) -> Result<(Vec<Entry>, u64), UnpackError> {
    let mut unpacker = Unpacker::new(format!("{}: {}", ctx.origin, ctx.member), store);
    unpack_tar(decoder, &mut unpacker, |_, _| Ok(()))?;
    Ok(unpacker.finish())
}

/// Read the rest of a decompressed member, so the decompressor checks its
/// trailer (a truncated or corrupt stream is an error, not a silent end).
fn drain_tar(tar: tar::Archive<Box<dyn Read + '_>>, ctx: &Ctx<'_>) -> Result<(), UnpackError> {
    let mut inner = tar.into_inner();
    io::copy(&mut inner, &mut io::sink()).map_err(|e| ctx.io(e))?;
    Ok(())
}
