//! A streaming reader of the cpio archive inside an RPM payload.
//!
//! Two member formats occur (both end at a newc `TRAILER!!!` member):
//!
//! * SVR4 "newc" (`070701`, `cpio(5)`): a 110-byte header of ASCII hex
//!   fields, the NUL-terminated name, padding to 4 bytes, the data,
//!   padding to 4 bytes;
//! * rpm's "stripped" form (`07070X`, always in v6 packages and for files
//!   over 4 GiB): the magic and 8 hex digits giving the file's index in the
//!   header's file list, padding to 4 bytes, the data, padding. Everything
//!   else, the data size included, comes from the header, so the caller
//!   tells the reader the size ([`CpioReader::set_size`]).
//!
//! Padding is relative to the start of the archive. The reader is [`Read`]
//! over the current member's data; [`CpioReader::next_member`] skips what
//! is left of it.

use std::io::{self, Read};

/// Longest member name accepted, NUL included (Linux `PATH_MAX` and a
/// `./` prefix).
pub const MAX_NAME: u64 = 4096 + 3;
/// The newc header size.
const NEWC_HEADER: usize = 110;
/// The stripped header size.
const STRIPPED_HEADER: usize = 14;
/// The name of the last member.
const TRAILER: &[u8] = b"TRAILER!!!";

/// A payload archive could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CpioError {
    /// Reading (or decompressing) failed.
    #[error("reading the payload archive failed: {0}")]
    Io(#[source] io::Error),
    /// The archive ends before its trailer.
    #[error("the payload archive ends inside {0} (truncated?)")]
    Truncated(String),
    /// The bytes are not a cpio archive rpm writes.
    #[error("the payload archive is malformed: {0}")]
    Malformed(String),
}

/// One member's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpioMember {
    /// A newc member with its own metadata.
    Newc(NewcHeader),
    /// A stripped member: the index of its file in the header. Call
    /// [`CpioReader::set_size`] before reading its data.
    Stripped {
        /// Index into the header's file list.
        index: u32,
    },
}

/// The fields of a newc header whittle uses (RPM's header is
/// authoritative for the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewcHeader {
    /// The name as written (`./usr/bin/x`).
    pub name: Vec<u8>,
    /// Mode with type bits.
    pub mode: u32,
    /// Inode number.
    pub ino: u32,
    /// Link count.
    pub nlink: u32,
    /// Data size.
    pub size: u64,
}

/// Reads members one after the other; [`Read`] gives the current
/// member's data.
#[derive(Debug)]
pub struct CpioReader<R> {
    inner: R,
    /// Bytes consumed from the archive (for padding).
    pos: u64,
    /// Data left in the current member.
    remaining: u64,
    /// The current member is stripped and its size not yet set.
    awaiting_size: bool,
    /// What the current member is, for messages.
    current: String,
    done: bool,
}

impl<R: Read> CpioReader<R> {
    /// A reader at the start of an archive.
    pub fn new(inner: R) -> CpioReader<R> {
        CpioReader {
            inner,
            pos: 0,
            remaining: 0,
            awaiting_size: false,
            current: "the first member header".to_string(),
            done: false,
        }
    }

    /// The reader underneath (after the trailer, what follows it).
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Whether the trailer has been read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Skip the rest of the current member and read the next header;
    /// `None` at the trailer.
    pub fn next_member(&mut self) -> Result<Option<CpioMember>, CpioError> {
        if self.done {
            return Ok(None);
        }
        if self.awaiting_size {
            return Err(CpioError::Malformed(
                "a stripped member's size was never set".to_string(),
            ));
        }
        self.skip(self.remaining)?;
        self.remaining = 0;
        self.align()?;
        self.current = format!("the member header at offset {}", self.pos);
        let mut magic = [0u8; 6];
        self.fill(&mut magic)?;
        match &magic {
            b"07070X" => {
                let mut hex = [0u8; STRIPPED_HEADER - 6];
                self.fill(&mut hex)?;
                let index = u32::try_from(parse_hex(&hex, "file index")?)
                    .map_err(|_| CpioError::Malformed("file index over 32 bits".to_string()))?;
                self.align()?;
                self.current = format!("the data of stripped member {index}");
                self.awaiting_size = true;
                Ok(Some(CpioMember::Stripped { index }))
            }
            b"070701" | b"070702" => self.newc(),
            _ => Err(CpioError::Malformed(format!(
                "no cpio magic at offset {} (found {:?})",
                self.pos - 6,
                String::from_utf8_lossy(&magic)
            ))),
        }
    }

    /// Give the data size of the stripped member just read.
    pub fn set_size(&mut self, size: u64) {
        self.remaining = size;
        self.awaiting_size = false;
    }

    /// Data left in the current member.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    fn newc(&mut self) -> Result<Option<CpioMember>, CpioError> {
        let mut rest = [0u8; NEWC_HEADER - 6];
        self.fill(&mut rest)?;
        // Fields after the magic, 8 hex digits each: ino, mode, uid, gid,
        // nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
        // namesize, check.
        let field = |i: usize, what: &str| parse_hex(&rest[i * 8..i * 8 + 8], what);
        let ino = field(0, "inode")?;
        let mode = field(1, "mode")?;
        let nlink = field(4, "link count")?;
        let size = field(6, "file size")?;
        let namesize = field(11, "name size")?;
        if namesize == 0 || namesize > MAX_NAME {
            return Err(CpioError::Malformed(format!(
                "a member name of {namesize} bytes (at most {MAX_NAME})"
            )));
        }
        let mut name = vec![0u8; usize::try_from(namesize).unwrap_or(0)];
        self.fill(&mut name)?;
        if name.pop() != Some(0) || name.contains(&0) {
            return Err(CpioError::Malformed(
                "a member name is not NUL-terminated".to_string(),
            ));
        }
        self.align()?;
        if name == TRAILER {
            self.done = true;
            self.current = "the end of the archive".to_string();
            return Ok(None);
        }
        self.current = format!("member {:?}", String::from_utf8_lossy(&name));
        self.remaining = size;
        Ok(Some(CpioMember::Newc(NewcHeader {
            name,
            mode: u32::try_from(mode).unwrap_or(u32::MAX),
            ino: u32::try_from(ino).unwrap_or(u32::MAX),
            nlink: u32::try_from(nlink).unwrap_or(u32::MAX),
            size,
        })))
    }

    /// Read exactly `buf`, calling an early end a truncation.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CpioError> {
        match self.inner.read_exact(buf) {
            Ok(()) => {
                self.pos += buf.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err(CpioError::Truncated(self.current.clone()))
            }
            Err(e) => Err(CpioError::Io(e)),
        }
    }

    fn align(&mut self) -> Result<(), CpioError> {
        let pad = (4 - self.pos % 4) % 4;
        self.skip(pad)
    }

    fn skip(&mut self, n: u64) -> Result<(), CpioError> {
        let copied =
            io::copy(&mut (&mut self.inner).take(n), &mut io::sink()).map_err(CpioError::Io)?;
        self.pos += copied;
        if copied < n {
            return Err(CpioError::Truncated(self.current.clone()));
        }
        Ok(())
    }
}

impl<R: Read> Read for CpioReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(self.remaining.min(buf.len() as u64)).unwrap_or(buf.len());
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the payload archive ends inside {} with {} bytes still to come (truncated?)",
                    self.current, self.remaining
                ),
            ));
        }
        self.pos += n as u64;
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn parse_hex(bytes: &[u8], what: &str) -> Result<u64, CpioError> {
    let text = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.is_empty() && t.len() <= 16 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    text.and_then(|t| u64::from_str_radix(t, 16).ok())
        .ok_or_else(|| {
            CpioError::Malformed(format!(
                "the {what} field {:?} is not hexadecimal",
                String::from_utf8_lossy(bytes)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn newc(name: &str, mode: u32, data: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "070701{:08x}{mode:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            1,
            0,
            0,
            1,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        )
        .into_bytes();
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    fn archive() -> Vec<u8> {
        let mut a = newc("./etc/hello", 0o100644, b"hello\n");
        a.extend(newc("./usr", 0o40755, b""));
        a.extend(newc("TRAILER!!!", 0, b""));
        a
    }

    #[test]
    fn reads_newc_members_and_data() {
        let bytes = archive();
        let mut r = CpioReader::new(&bytes[..]);
        let Some(CpioMember::Newc(h)) = r.next_member().expect("first") else {
            panic!("newc")
        };
        assert_eq!(h.name, b"./etc/hello");
        assert_eq!((h.mode, h.size), (0o100644, 6));
        let mut data = String::new();
        r.read_to_string(&mut data).expect("data");
        assert_eq!(data, "hello\n");
        let Some(CpioMember::Newc(h)) = r.next_member().expect("second") else {
            panic!("newc")
        };
        assert_eq!(h.name, b"./usr");
        assert_eq!(r.next_member().expect("trailer"), None);
        assert!(r.is_done());
    }

    #[test]
    fn reads_stripped_members() {
        let mut a = b"07070X00000002\0\0abc\x0007070X0000000a\0\0".to_vec();
        a.extend(newc("TRAILER!!!", 0, b""));
        let mut r = CpioReader::new(&a[..]);
        assert_eq!(
            r.next_member().expect("first"),
            Some(CpioMember::Stripped { index: 2 })
        );
        r.set_size(3);
        let mut data = Vec::new();
        r.read_to_end(&mut data).expect("data");
        assert_eq!(data, b"abc");
        assert_eq!(
            r.next_member().expect("second"),
            Some(CpioMember::Stripped { index: 10 })
        );
        r.set_size(0);
        assert_eq!(r.next_member().expect("trailer"), None);
    }

    #[test]
    fn truncation_is_named() {
        let bytes = archive();
        for cut in 0..bytes.len() - 1 {
            let mut r = CpioReader::new(&bytes[..cut]);
            let err = loop {
                match r.next_member() {
                    Ok(Some(_)) => {
                        if let Err(e) = io::copy(&mut r, &mut io::sink()) {
                            assert!(e.to_string().contains("truncated"), "{e}");
                            break None;
                        }
                    }
                    Ok(None) => panic!("cut at {cut} read to the trailer"),
                    Err(e) => break Some(e),
                }
            };
            if let Some(e) = err {
                assert!(matches!(e, CpioError::Truncated(_)), "cut {cut}: {e}");
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let bytes = archive();
        for i in 0..bytes.len() {
            for x in [0x01u8, 0x20, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[i] ^= x;
                let mut r = CpioReader::new(&bad[..]);
                for _ in 0..8 {
                    match r.next_member() {
                        Ok(Some(CpioMember::Stripped { .. })) => r.set_size(1),
                        Ok(Some(_)) => {}
                        Ok(None) | Err(_) => break,
                    }
                    let _ = io::copy(&mut r, &mut io::sink());
                }
            }
        }
        let huge = format!("070701{}", "f".repeat(104));
        assert!(CpioReader::new(huge.as_bytes()).next_member().is_err());
    }
}
