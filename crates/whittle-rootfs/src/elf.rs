//! What an ELF file's dynamic section says: its `DT_SONAME`, the
//! libraries it needs (`DT_NEEDED`) and its interpreter.
//!
//! Read with positional reads of just the headers, the dynamic segment and
//! the strings it names, so a spilled 1 GB library costs a few kilobytes of
//! memory, not a copy of the file. Used for `ld.so.cache` and for the
//! engine's missing-library warning. Hand-written because the general ELF
//! crates parse from one in-memory slice of the whole file.

use std::borrow::Cow;

use crate::content::Content;

/// The ELF `e_type` of a shared object (and of a position-independent
/// executable).
pub const ET_DYN: u16 = 3;

/// Longest string read from the string table.
const MAX_STRING: usize = 4096;
/// Most program headers and dynamic entries looked at.
const MAX_ENTRIES: usize = 1 << 16;

/// The dynamic facts of one ELF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicInfo {
    /// `e_type` (3 for shared objects and PIEs, 2 for fixed executables).
    pub file_type: u16,
    /// `e_machine`.
    pub machine: u16,
    /// ELF64 rather than ELF32.
    pub is64: bool,
    /// The program interpreter (`PT_INTERP`), if any.
    pub interpreter: Option<String>,
    /// `DT_SONAME`, if any.
    pub soname: Option<String>,
    /// `DT_NEEDED`, in order.
    pub needed: Vec<String>,
}

/// The dynamic facts of `content`, or `None` when it is not an ELF file
/// with a readable dynamic section (static programs, scripts, data).
pub fn dynamic_info(content: &Content) -> Option<DynamicInfo> {
    let ident = read(content, 0, 6)?;
    if ident.get(..4)? != b"\x7fELF" {
        return None;
    }
    let is64 = match ident[4] {
        1 => false,
        2 => true,
        _ => return None,
    };
    let le = match ident[5] {
        1 => true,
        2 => false,
        _ => return None,
    };
    let elf = Elf { content, is64, le };
    let file_type = elf.u16(16)?;
    let machine = elf.u16(18)?;
    let (phoff, phentsize, phnum) = if is64 {
        (elf.u64(32)?, elf.u16(54)?, elf.u16(56)?)
    } else {
        (u64::from(elf.u32(28)?), elf.u16(42)?, elf.u16(44)?)
    };
    // (p_type, p_offset, p_vaddr, p_filesz)
    let mut segments = Vec::new();
    for i in 0..u64::from(phnum).min(MAX_ENTRIES as u64) {
        let at = phoff.checked_add(i.checked_mul(u64::from(phentsize))?)?;
        segments.push(if is64 {
            (
                elf.u32(at)?,
                elf.u64(at + 8)?,
                elf.u64(at + 16)?,
                elf.u64(at + 32)?,
            )
        } else {
            (
                elf.u32(at)?,
                u64::from(elf.u32(at + 4)?),
                u64::from(elf.u32(at + 8)?),
                u64::from(elf.u32(at + 16)?),
            )
        });
    }
    let interpreter = segments
        .iter()
        .find(|s| s.0 == 3) // PT_INTERP
        .and_then(|&(_, off, _, _)| elf.cstr(off));
    let &(_, dyn_off, _, dyn_size) = segments.iter().find(|s| s.0 == 2)?; // PT_DYNAMIC
    if dyn_size == 0 {
        return None;
    }
    let (entsize, word) = if is64 { (16, 8) } else { (8, 4) };
    let mut dynamic = Vec::new();
    for i in 0..MAX_ENTRIES as u64 {
        let at = dyn_off.checked_add(i * entsize)?;
        let tag = elf.word(at)?;
        if tag == 0 {
            break;
        }
        dynamic.push((tag, elf.word(at + word)?));
    }
    let strtab = dynamic.iter().find(|(t, _)| *t == 5)?.1; // DT_STRTAB
    let load_bias = segments
        .iter()
        .find(|&&(ty, _, vaddr, filesz)| {
            ty == 1 && strtab >= vaddr && strtab < vaddr.saturating_add(filesz)
        })
        .map_or(0, |&(_, off, vaddr, _)| vaddr.wrapping_sub(off));
    let strings = strtab.wrapping_sub(load_bias);
    let name = |val: u64| elf.cstr(strings.checked_add(val)?);
    let mut soname = None;
    let mut needed = Vec::new();
    for &(tag, val) in &dynamic {
        match tag {
            1 => needed.extend(name(val)),   // DT_NEEDED
            14 => soname = Some(name(val)?), // DT_SONAME
            _ => {}
        }
    }
    Some(DynamicInfo {
        file_type,
        machine,
        is64,
        interpreter,
        soname,
        needed,
    })
}

/// `len` bytes at `at`, or `None` past the end or on a read error.
fn read(content: &Content, at: u64, len: usize) -> Option<Cow<'_, [u8]>> {
    if let Some(bytes) = content.as_inline() {
        let start = usize::try_from(at).ok()?;
        return bytes.get(start..start.checked_add(len)?).map(Cow::Borrowed);
    }
    let mut buf = vec![0; len];
    content.read_exact_at(&mut buf, at).ok()?;
    Some(Cow::Owned(buf))
}

struct Elf<'a> {
    content: &'a Content,
    is64: bool,
    le: bool,
}

impl Elf<'_> {
    fn array<const N: usize>(&self, at: u64) -> Option<[u8; N]> {
        let bytes = read(self.content, at, N)?;
        let mut out: [u8; N] = bytes.as_ref().try_into().ok()?;
        if !self.le {
            out.reverse();
        }
        Some(out)
    }
    fn u16(&self, at: u64) -> Option<u16> {
        self.array(at).map(u16::from_le_bytes)
    }
    fn u32(&self, at: u64) -> Option<u32> {
        self.array(at).map(u32::from_le_bytes)
    }
    fn u64(&self, at: u64) -> Option<u64> {
        self.array(at).map(u64::from_le_bytes)
    }
    /// A word: 8 bytes in ELF64, 4 in ELF32.
    fn word(&self, at: u64) -> Option<u64> {
        if self.is64 {
            self.u64(at)
        } else {
            self.u32(at).map(u64::from)
        }
    }
    /// A NUL-terminated UTF-8 string at `at`.
    fn cstr(&self, at: u64) -> Option<String> {
        let available = usize::try_from(self.content.len().checked_sub(at)?).unwrap_or(usize::MAX);
        let bytes = read(self.content, at, available.min(MAX_STRING))?;
        let end = bytes.iter().position(|&b| b == 0)?;
        std::str::from_utf8(&bytes[..end]).ok().map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal little-endian ELF64 shared object with a dynamic section
    /// naming `soname` and `needed`.
    pub(crate) fn tiny_so(soname: &str, needed: &[&str]) -> Vec<u8> {
        let mut strtab = vec![0u8];
        let mut offset_of = |s: &str| {
            let at = strtab.len() as u64;
            strtab.extend_from_slice(s.as_bytes());
            strtab.push(0);
            at
        };
        let so = offset_of(soname);
        let needs: Vec<u64> = needed.iter().map(|n| offset_of(n)).collect();
        let mut dynamic: Vec<(u64, u64)> = needs.iter().map(|&n| (1, n)).collect();
        dynamic.push((14, so));
        let (phoff, phnum) = (64u64, 2u64);
        let dyn_off = phoff + phnum * 56;
        let str_off = dyn_off + (dynamic.len() as u64 + 2) * 16;
        dynamic.push((5, str_off)); // DT_STRTAB, vaddr == offset
        dynamic.push((0, 0));
        let mut f = vec![0u8; 64];
        f[..6].copy_from_slice(b"\x7fELF\x02\x01");
        f[16..18].copy_from_slice(&3u16.to_le_bytes());
        f[18..20].copy_from_slice(&62u16.to_le_bytes());
        f[32..40].copy_from_slice(&phoff.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&(phnum as u16).to_le_bytes());
        let total = str_off + strtab.len() as u64;
        for (ty, off, size) in [(1u32, 0u64, total), (2, dyn_off, dynamic.len() as u64 * 16)] {
            let mut ph = vec![0u8; 56];
            ph[..4].copy_from_slice(&ty.to_le_bytes());
            ph[8..16].copy_from_slice(&off.to_le_bytes());
            ph[16..24].copy_from_slice(&off.to_le_bytes());
            ph[32..40].copy_from_slice(&size.to_le_bytes());
            f.extend(ph);
        }
        for (tag, val) in dynamic {
            f.extend(tag.to_le_bytes());
            f.extend(val.to_le_bytes());
        }
        f.extend(strtab);
        f
    }

    #[test]
    fn reads_soname_and_needed_in_memory_and_spilled() {
        let bytes = tiny_so("libdemo.so.1", &["libc.so.6", "libm.so.6"]);
        let dir = tempfile::tempdir().unwrap();
        let store = crate::ContentStore::spilling_to(dir.path()).with_inline_limits(0, 0);
        let spilled = store.read(&mut &bytes[..], bytes.len() as u64).unwrap();
        assert!(spilled.is_spilled());
        for content in [Content::from(bytes.clone()), spilled] {
            let info = dynamic_info(&content).unwrap();
            assert_eq!(info.soname.as_deref(), Some("libdemo.so.1"));
            assert_eq!(info.needed, ["libc.so.6", "libm.so.6"]);
            assert_eq!(
                (info.file_type, info.machine, info.is64),
                (ET_DYN, 62, true)
            );
        }
    }

    #[test]
    fn truncated_or_foreign_files_give_none() {
        let bytes = tiny_so("libdemo.so.1", &[]);
        for cut in [0, 3, 20, 64, 150, bytes.len() - 3] {
            assert_eq!(
                dynamic_info(&Content::from(&bytes[..cut])),
                None,
                "cut at {cut}"
            );
        }
        assert_eq!(dynamic_info(&Content::from("#!/bin/sh\n")), None);
    }
}
