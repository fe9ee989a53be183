//! The bytes of a compressed layer: in a temporary file (what builds use,
//! so an image of any size costs no heap) or in memory (small layers in
//! tests and tools).

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use crate::temp::TempFile;

/// The bytes of a blob. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Blob(Repr);

#[derive(Clone)]
enum Repr {
    Memory(Arc<[u8]>),
    /// A temporary file of this process and its length. Read through the
    /// handle opened when it was created, never by path again, so nobody
    /// can swap it underneath.
    File(Arc<TempFile>, u64),
}

impl Blob {
    /// A blob held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Blob {
        Blob(Repr::Memory(bytes.into()))
    }

    pub(crate) fn from_file(file: TempFile, len: u64) -> Blob {
        Blob(Repr::File(Arc::new(file), len))
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        match &self.0 {
            Repr::Memory(b) => b.len() as u64,
            Repr::File(_, len) => *len,
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where it is stored, for a blob in a file.
    pub fn path(&self) -> Option<&Path> {
        match &self.0 {
            Repr::Memory(_) => None,
            Repr::File(f, _) => Some(f.path()),
        }
    }

    /// A reader over the bytes, from the start.
    pub fn reader(&self) -> BlobReader<'_> {
        match &self.0 {
            Repr::Memory(b) => BlobReader::Memory(b),
            Repr::File(f, len) => BlobReader::File {
                file: f.file(),
                pos: 0,
                end: *len,
            },
        }
    }

    /// All the bytes, read into memory (for tests and small blobs).
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.reader().read_to_end(&mut out)?;
        Ok(out)
    }

    /// Copy the bytes into `out`.
    pub fn copy_to(&self, out: &mut dyn Write) -> io::Result<u64> {
        io::copy(&mut self.reader(), out)
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Memory(b) => write!(f, "Blob(memory, {} bytes)", b.len()),
            Repr::File(t, len) => write!(f, "Blob({}, {len} bytes)", t.path().display()),
        }
    }
}

/// Equal when both hold the same bytes in memory, or are the same file.
impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        match (&self.0, &other.0) {
            (Repr::Memory(a), Repr::Memory(b)) => a == b,
            (Repr::File(a, _), Repr::File(b, _)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Blob {}

/// A reader over a [`Blob`].
pub enum BlobReader<'a> {
    /// In memory.
    Memory(&'a [u8]),
    /// In a file, read at positions (the handle's offset is never moved, so
    /// readers do not disturb each other).
    File {
        /// The file.
        file: &'a File,
        /// Next position to read.
        pos: u64,
        /// Its length.
        end: u64,
    },
}

impl Read for BlobReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BlobReader::Memory(b) => b.read(buf),
            BlobReader::File { file, pos, end } => {
                let left = usize::try_from(*end - *pos).unwrap_or(usize::MAX);
                let want = buf.len().min(left);
                if want == 0 {
                    return Ok(0);
                }
                let n = read_at(file, &mut buf[..want], *pos)?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "a temporary layer file is shorter than written",
                    ));
                }
                *pos += n as u64;
                Ok(n)
            }
        }
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, pos)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, pos)
}
