//! File contents, and the store that keeps memory bounded whatever the
//! image's size.
//!
//! A [`Content`] is either held in memory or *spilled*: written once to an
//! anonymous temporary file on disk and read back by offset. A
//! [`ContentStore`] decides which, per build:
//!
//! * a file goes to memory only while it is small (≤ [`INLINE_FILE_MAX`])
//!   **and** the build's memory budget for contents ([`INLINE_BUDGET`]) is
//!   not used up; everything else is spilled, so the heap holds at most the
//!   budget however many or large the files are;
//! * the total of all contents a build unpacks is capped
//!   ([`DEFAULT_TOTAL_LIMIT`], configurable): a package bomb is refused with
//!   a clear error before it fills the disk;
//! * spill files are created with `O_TMPFILE` where the file system allows
//!   it (else created and unlinked at once), so no crash, signal or panic
//!   can leave one behind: the kernel frees them with the last descriptor.
//!
//! Readers stream spilled contents with positional reads
//! ([`Content::reader`], [`Content::read_exact_at`]); only small files are
//! read whole ([`Content::view`]).
//!
//! No crate does this particular job (bounded in-memory/on-disk file
//! contents with a shared budget), so it is written here.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Largest file kept in memory.
pub const INLINE_FILE_MAX: u64 = 1 << 20;
/// Most file content a build keeps in memory in all.
pub const INLINE_BUDGET: u64 = 256 << 20;
/// Default cap on the file contents one build unpacks, in all packages
/// and architectures together.
pub const DEFAULT_TOTAL_LIMIT: u64 = 16 << 30;
/// Buffer for copying into and out of spill files.
const COPY_BUFFER: usize = 256 << 10;

/// The content of a regular file. Cheap to clone (shared, never copied).
#[derive(Clone)]
pub struct Content(Repr);

#[derive(Clone)]
enum Repr {
    Inline(Arc<[u8]>),
    Spilled(Spilled),
}

#[derive(Clone)]
struct Spilled {
    file: Arc<File>,
    offset: u64,
    len: u64,
}

impl Content {
    /// Its size in bytes.
    pub fn len(&self) -> u64 {
        match &self.0 {
            Repr::Inline(b) => b.len() as u64,
            Repr::Spilled(s) => s.len,
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it lives on disk rather than in memory.
    pub fn is_spilled(&self) -> bool {
        matches!(self.0, Repr::Spilled(_))
    }

    /// The bytes, when they are held in memory.
    pub fn as_inline(&self) -> Option<&[u8]> {
        match &self.0 {
            Repr::Inline(b) => Some(b),
            Repr::Spilled(_) => None,
        }
    }

    /// A reader over the bytes: spilled contents are streamed from disk.
    pub fn reader(&self) -> ContentReader<'_> {
        ContentReader {
            content: self,
            pos: 0,
        }
    }

    /// The bytes: borrowed when in memory, read into memory when spilled.
    /// For files known to be small (configuration, certificates); large
    /// ones are streamed with [`Content::reader`].
    pub fn view(&self) -> io::Result<Cow<'_, [u8]>> {
        match &self.0 {
            Repr::Inline(b) => Ok(Cow::Borrowed(b)),
            Repr::Spilled(s) => {
                let len = usize::try_from(s.len).map_err(io::Error::other)?;
                let mut buf = vec![0; len];
                s.file.read_exact_at(&mut buf, s.offset)?;
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// Fill `buf` from `offset` within the content; reading past its end
    /// is an `UnexpectedEof` error.
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let end = offset.checked_add(buf.len() as u64);
        if end.is_none_or(|end| end > self.len()) {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end of the file",
            ));
        }
        match &self.0 {
            Repr::Inline(b) => {
                let at = usize::try_from(offset).map_err(io::Error::other)?;
                buf.copy_from_slice(&b[at..at + buf.len()]);
                Ok(())
            }
            Repr::Spilled(s) => s.file.read_exact_at(buf, s.offset + offset),
        }
    }

    /// The whole content in memory, copied when spilled. For callers that
    /// need owned bytes of a file known to be small.
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        Ok(self.view()?.to_vec())
    }

    /// Feed the bytes to `f` in chunks (hashing, say), streamed from disk
    /// when spilled.
    pub fn for_each_chunk(&self, mut f: impl FnMut(&[u8])) -> io::Result<()> {
        if let Repr::Inline(b) = &self.0 {
            f(b);
            return Ok(());
        }
        let mut reader = self.reader();
        let mut buf = vec![0u8; COPY_BUFFER];
        loop {
            match reader.read(&mut buf)? {
                0 => return Ok(()),
                n => f(&buf[..n]),
            }
        }
    }

    /// Whether two contents hold the same bytes (streamed, so two large
    /// spilled files are compared without loading either).
    pub fn same_bytes(&self, other: &Content) -> io::Result<bool> {
        if self.len() != other.len() {
            return Ok(false);
        }
        if let (Repr::Inline(a), Repr::Inline(b)) = (&self.0, &other.0) {
            return Ok(a == b);
        }
        if let (Repr::Spilled(a), Repr::Spilled(b)) = (&self.0, &other.0) {
            if Arc::ptr_eq(&a.file, &b.file) && a.offset == b.offset {
                return Ok(true);
            }
        }
        let (mut a, mut b) = (self.reader(), other.reader());
        let mut buf_a = vec![0u8; 64 << 10];
        let mut buf_b = vec![0u8; 64 << 10];
        loop {
            let n = read_full(&mut a, &mut buf_a)?;
            let m = read_full(&mut b, &mut buf_b)?;
            if n != m || buf_a[..n] != buf_b[..m] {
                return Ok(false);
            }
            if n == 0 {
                return Ok(true);
            }
        }
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

impl PartialEq for Content {
    /// Byte equality; a spill file that cannot be read compares unequal.
    fn eq(&self, other: &Content) -> bool {
        self.same_bytes(other).unwrap_or(false)
    }
}

impl Eq for Content {}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Inline(b) if b.len() <= 64 => {
                write!(f, "Content({:?})", String::from_utf8_lossy(b))
            }
            Repr::Inline(b) => write!(f, "Content({} bytes)", b.len()),
            Repr::Spilled(s) => write!(f, "Content({} bytes on disk)", s.len),
        }
    }
}

impl From<Vec<u8>> for Content {
    fn from(bytes: Vec<u8>) -> Content {
        Content(Repr::Inline(bytes.into()))
    }
}

impl From<&[u8]> for Content {
    fn from(bytes: &[u8]) -> Content {
        Content(Repr::Inline(bytes.into()))
    }
}

impl<const N: usize> From<&[u8; N]> for Content {
    fn from(bytes: &[u8; N]) -> Content {
        Content(Repr::Inline(bytes[..].into()))
    }
}

impl From<Arc<[u8]>> for Content {
    fn from(bytes: Arc<[u8]>) -> Content {
        Content(Repr::Inline(bytes))
    }
}

impl From<String> for Content {
    fn from(text: String) -> Content {
        Content::from(text.into_bytes())
    }
}

impl From<&str> for Content {
    fn from(text: &str) -> Content {
        Content::from(text.as_bytes())
    }
}

/// Streams a [`Content`].
pub struct ContentReader<'a> {
    content: &'a Content,
    pos: u64,
}

impl Read for ContentReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = self.content.len();
        let left = len.saturating_sub(self.pos);
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = match &self.content.0 {
            Repr::Inline(b) => {
                let at = usize::try_from(self.pos).map_err(io::Error::other)?;
                buf[..want].copy_from_slice(&b[at..at + want]);
                want
            }
            Repr::Spilled(s) => {
                let n = s.file.read_at(&mut buf[..want], s.offset + self.pos)?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the spill file ends early",
                    ));
                }
                n
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

/// Why a content could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading the source failed (the archive, a decompressor, a
    /// verifying reader underneath).
    #[error("reading failed")]
    Read(#[source] io::Error),
    /// The source ended before the announced size.
    #[error("ends after {got} of its {size} bytes")]
    Short {
        /// Bytes that arrived.
        got: u64,
        /// Bytes announced.
        size: u64,
    },
    /// The build's total is over its limit.
    #[error(
        "the packages unpack to more than {limit} bytes of file contents \
         ({total} so far), the limit for one build"
    )]
    OverTotal {
        /// Total reached with this file.
        total: u64,
        /// The limit.
        limit: u64,
    },
    /// Writing to the spill directory failed (a full disk, say).
    #[error("writing file contents to the spill area in {dir} failed")]
    Spill {
        /// The directory spill files are made in.
        dir: PathBuf,
        /// What the file system said.
        #[source]
        source: io::Error,
    },
}

/// Where a build's file contents go; see the module docs. Cheap to clone:
/// clones share the budget, the total and the spill files.
#[derive(Clone, Debug)]
pub struct ContentStore {
    /// Where spill files are made; `None` keeps everything in memory.
    dir: Option<PathBuf>,
    inline_file_max: u64,
    total_limit: u64,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    inline_left: AtomicU64,
    total: AtomicU64,
    spilled: AtomicU64,
    /// Spill files not being written to just now.
    idle: Mutex<Vec<SpillFile>>,
}

#[derive(Debug)]
struct SpillFile {
    file: Arc<File>,
    end: u64,
}

impl ContentStore {
    /// A store spilling into `dir` (created if missing), with the default
    /// budgets and total limit.
    pub fn spilling_to(dir: impl Into<PathBuf>) -> ContentStore {
        ContentStore::build(Some(dir.into()), INLINE_FILE_MAX, INLINE_BUDGET)
    }

    /// A store that keeps everything in memory (tests, and tools reading a
    /// single small package). Still enforces the total limit.
    pub fn in_memory() -> ContentStore {
        ContentStore::build(None, u64::MAX, u64::MAX)
    }

    fn build(dir: Option<PathBuf>, inline_file_max: u64, budget: u64) -> ContentStore {
        ContentStore {
            dir,
            inline_file_max,
            total_limit: DEFAULT_TOTAL_LIMIT,
            shared: Arc::new(Shared {
                inline_left: AtomicU64::new(budget),
                total: AtomicU64::new(0),
                spilled: AtomicU64::new(0),
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    /// With another cap on the build's total.
    #[must_use]
    pub fn with_total_limit(mut self, limit: u64) -> ContentStore {
        self.total_limit = limit;
        self
    }

    /// With other memory thresholds, and a fresh budget (tests use tiny
    /// ones to exercise the spill path with small files).
    #[must_use]
    pub fn with_inline_limits(self, file_max: u64, budget: u64) -> ContentStore {
        ContentStore::build(self.dir, file_max, budget).with_total_limit(self.total_limit)
    }

    /// The cap on the build's total.
    pub fn total_limit(&self) -> u64 {
        self.total_limit
    }

    /// Bytes of file content stored so far.
    pub fn total(&self) -> u64 {
        self.shared.total.load(Ordering::Relaxed)
    }

    /// Bytes of file content written to disk so far.
    pub fn spilled(&self) -> u64 {
        self.shared.spilled.load(Ordering::Relaxed)
    }

    /// The directory spill files are made in, if any.
    pub fn spill_dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Read exactly `size` bytes from `source` into a new content.
    pub fn read(&self, source: &mut dyn Read, size: u64) -> Result<Content, StoreError> {
        let total = self
            .shared
            .total
            .fetch_add(size, Ordering::Relaxed)
            .saturating_add(size);
        if total > self.total_limit {
            return Err(StoreError::OverTotal {
                total,
                limit: self.total_limit,
            });
        }
        if self.dir.is_none() || (size <= self.inline_file_max && self.take_budget(size)) {
            return read_inline(source, size);
        }
        self.spill(source, size)
    }

    fn take_budget(&self, size: u64) -> bool {
        self.shared
            .inline_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(size)
            })
            .is_ok()
    }

    fn spill(&self, source: &mut dyn Read, size: u64) -> Result<Content, StoreError> {
        let dir = self.dir.clone().unwrap_or_default();
        let spill_error = |source: io::Error| StoreError::Spill {
            dir: dir.clone(),
            source,
        };
        let idle = self.shared.idle.lock().ok().and_then(|mut v| v.pop());
        let mut target = match idle {
            Some(f) => f,
            None => {
                fs_err::create_dir_all(&dir).map_err(spill_error)?;
                SpillFile {
                    file: Arc::new(tempfile::tempfile_in(&dir).map_err(spill_error)?),
                    end: 0,
                }
            }
        };
        let offset = target.end;
        let mut buf = vec![0u8; COPY_BUFFER.min(usize::try_from(size).unwrap_or(COPY_BUFFER))];
        let mut got = 0u64;
        let result = loop {
            if got == size {
                break Ok(());
            }
            let want = usize::try_from(size - got)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            let n = match source.read(&mut buf[..want]) {
                Ok(0) => break Err(StoreError::Short { got, size }),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(StoreError::Read(e)),
            };
            if let Err(e) = target.file.write_all_at(&buf[..n], offset + got) {
                break Err(spill_error(e));
            }
            got += n as u64;
        };
        // Whatever happened, the file goes back; a failed write's bytes
        // are simply overwritten by the next content.
        if result.is_ok() {
            target.end = offset + size;
            self.shared.spilled.fetch_add(size, Ordering::Relaxed);
        }
        let file = target.file.clone();
        if let Ok(mut idle) = self.shared.idle.lock() {
            idle.push(target);
        }
        result.map(|()| {
            Content(Repr::Spilled(Spilled {
                file,
                offset,
                len: size,
            }))
        })
    }
}

fn read_inline(source: &mut dyn Read, size: u64) -> Result<Content, StoreError> {
    // Reserve at most 16 MiB up front, so a lying size cannot make us
    // allocate what is not there.
    let capacity = usize::try_from(size.min(16 << 20)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    source
        .take(size)
        .read_to_end(&mut bytes)
        .map_err(StoreError::Read)?;
    if (bytes.len() as u64) < size {
        return Err(StoreError::Short {
            got: bytes.len() as u64,
            size,
        });
    }
    Ok(Content::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spilling(dir: &Path) -> ContentStore {
        ContentStore::spilling_to(dir).with_inline_limits(4, 10)
    }

    #[test]
    fn small_files_stay_in_memory_until_the_budget_is_spent() {
        let dir = tempfile::tempdir().unwrap();
        let store = spilling(dir.path());
        let a = store.read(&mut &b"abcd"[..], 4).unwrap();
        let b = store.read(&mut &b"efgh"[..], 4).unwrap();
        // 8 of 10 budget bytes used: the next 4 do not fit.
        let c = store.read(&mut &b"ijkl"[..], 4).unwrap();
        assert!(!a.is_spilled() && !b.is_spilled());
        assert!(c.is_spilled());
        assert_eq!(&*c.view().unwrap(), b"ijkl");
        assert_eq!(store.spilled(), 4);
    }

    #[test]
    fn large_files_are_spilled_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = spilling(dir.path());
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let first = store.read(&mut &data[..], data.len() as u64).unwrap();
        let second = store.read(&mut &data[..], data.len() as u64).unwrap();
        assert!(first.is_spilled());
        let mut back = Vec::new();
        first.reader().read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        // The second sits at an offset that is not page-aligned.
        assert_eq!(&*second.view().unwrap(), &data[..]);
        assert_eq!(first, second);
        assert_eq!(first, Content::from(data.clone()));
        let mut other = data.clone();
        other[299_999] ^= 1;
        assert_ne!(first, Content::from(other));
    }

    #[test]
    fn the_spill_file_leaves_nothing_in_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = spilling(dir.path());
        let c = store.read(&mut &[7u8; 100][..], 100).unwrap();
        assert!(c.is_spilled());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(names.is_empty(), "spill file visible: {names:?}");
    }

    #[test]
    fn a_short_source_is_reported_as_short() {
        let dir = tempfile::tempdir().unwrap();
        let store = spilling(dir.path());
        let err = store.read(&mut &[1u8; 50][..], 80).unwrap_err();
        assert!(
            matches!(err, StoreError::Short { got: 50, size: 80 }),
            "{err}"
        );
        let err = store.read(&mut &[1u8; 2][..], 3).unwrap_err();
        assert!(
            matches!(err, StoreError::Short { got: 2, size: 3 }),
            "{err}"
        );
    }

    #[test]
    fn the_total_is_capped() {
        let store = ContentStore::in_memory().with_total_limit(10);
        store.read(&mut &[0u8; 6][..], 6).unwrap();
        let err = store.read(&mut &[0u8; 6][..], 6).unwrap_err();
        assert!(matches!(
            err,
            StoreError::OverTotal {
                total: 12,
                limit: 10
            }
        ));
        assert!(err.to_string().contains("more than 10 bytes"), "{err}");
    }

    #[test]
    fn a_missing_spill_directory_is_created_and_an_unwritable_one_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = spilling(&dir.path().join("deeper/spill"));
        assert!(store.read(&mut &[1u8; 20][..], 20).unwrap().is_spilled());
        let file = dir.path().join("plain-file");
        fs_err::write(&file, b"x").unwrap();
        let store = spilling(&file.join("spill"));
        let err = store.read(&mut &[1u8; 20][..], 20).unwrap_err();
        assert!(matches!(err, StoreError::Spill { .. }), "{err}");
        assert!(err.to_string().contains("plain-file"), "{err}");
    }
}
