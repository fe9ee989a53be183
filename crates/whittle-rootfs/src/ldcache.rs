//! `/etc/ld.so.cache` written natively, as glibc's `ldconfig -X` would
//! write it. The format is glibc's "new" cache (`glibc-ld.so.cache1.1`,
//! `sysdeps/generic/dl-cache.h`); directory handling, entry order and the
//! string table follow `elf/ldconfig.c`, `elf/cache.c` and `elf/stringtable.c`
//! of glibc 2.36.
//!
//! Differences from ldconfig, all deliberate:
//! - no symlinks are created; an entry (soname → `dir/soname`) is written
//!   only when a file of that name exists in the directory, which Debian's
//!   packages always ship (ldconfig would create the link, then cache it);
//! - glibc-hwcaps and legacy hwcap subdirectories are not scanned, and the
//!   auxiliary cache (`var/cache/ldconfig/aux-cache`) is not written;
//! - the generator string of the cache extension names whittle;
//! - the built-in trusted directories are Debian's (`/lib/<triplet>`,
//!   `/usr/lib/<triplet>`, `/lib`, `/usr/lib`) when the tree has a multiarch
//!   library directory, else `/lib64`, `/usr/lib64`, `/lib`, `/usr/lib`.
//!
//! `include` patterns are matched by the `globset` crate, one path component
//! at a time against the tree.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use globset::{GlobBuilder, GlobMatcher};

use crate::content::Content;
use crate::elf::{dynamic_info, ET_DYN};
use crate::error::FsError;
use crate::node::{Node, NodeKind};
use crate::tree::RootFs;

/// The cache's path in the tree.
const CACHE: &str = "etc/ld.so.cache";
/// The configuration's path in the tree.
const CONF: &str = "etc/ld.so.conf";
/// How deep `include` directives may nest.
const MAX_INCLUDE_DEPTH: usize = 16;

const FLAG_ELF: i32 = 0x0001;
const FLAG_ELF_LIBC5: i32 = 0x0002;
const FLAG_ELF_LIBC6: i32 = 0x0003;
const FLAG_X8664_LIB64: i32 = 0x0300;
const FLAG_X8664_LIBX32: i32 = 0x0800;
const FLAG_AARCH64_LIB64: i32 = 0x0a00;

const EM_386: u16 = 3;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;

/// `cache_extension_magic` in dl-cache.h: `(uint32_t) -358342284`.
const EXTENSION_MAGIC: u32 = 0xeaa4_2174;
/// What the generator extension says wrote the cache.
const GENERATOR: &str = concat!("whittle ", env!("CARGO_PKG_VERSION"));

/// Multiarch triplets whose library directories make a Debian layout.
const TRIPLETS: &[&str] = &[
    "x86_64-linux-gnu",
    "aarch64-linux-gnu",
    "x86_64-linux-gnux32",
    "i386-linux-gnu",
];

/// The cache could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LdCacheError {
    /// A configuration file is not text.
    #[error("/{path} is not UTF-8 text; fix or remove it")]
    NotText {
        /// The file.
        path: String,
    },
    /// `include` directives nest too deeply (probably a loop).
    #[error("/{path}: include directives nest more than {MAX_INCLUDE_DEPTH} deep; check for an include loop")]
    IncludeLoop {
        /// The file where the limit was hit.
        path: String,
    },
    /// The cache would be too large for its 32-bit offsets.
    #[error("the ld.so cache would exceed 4 GiB")]
    TooLarge,
    /// The cache could not be placed in the tree.
    #[error("cannot write /etc/ld.so.cache")]
    Fs(#[from] FsError),
}

/// One library entry of the cache.
#[derive(Debug, Clone)]
struct Entry {
    soname: String,
    path: String,
    flags: i32,
}

/// Write `etc/ld.so.cache` (0644, root-owned, time `mtime`) when
/// `etc/ld.so.conf` exists, returning the number of entries; `None` when
/// there is no configuration (not a glibc system).
///
/// Directories come from `ld.so.conf` (with `include` globs and `#`
/// comments) followed by the built-in trusted ones; each is resolved through
/// the tree's symlinks and scanned once, under the name it was first given.
/// Every `lib*.so*` or `ld-*.so*` file (or symlink to one) that is an ELF
/// shared object of a known machine contributes its `DT_SONAME` (or its own
/// name when it has none).
pub fn write_ld_so_cache(fs: &mut RootFs, mtime: i64) -> Result<Option<usize>, LdCacheError> {
    if fs.file_content(CONF).is_none() {
        return Ok(None);
    }
    let mut dirs: Vec<String> = Vec::new();
    parse_conf(fs, CONF, 0, &mut dirs)?;
    dirs.extend(system_dirs(fs));

    let mut seen: HashSet<String> = HashSet::new();
    let mut entries: Vec<Entry> = Vec::new();
    for dir in dirs {
        let Ok(key) = fs.resolve(&dir, true) else {
            continue;
        };
        if !fs.get(&key).is_some_and(Node::is_dir) || !seen.insert(key.clone()) {
            continue;
        }
        entries.extend(scan_dir(fs, &dir, &key));
    }
    let signed_char = !entries
        .iter()
        .any(|e| e.flags & 0xff00 == FLAG_AARCH64_LIB64);
    // ldconfig's compare(): descending by _dl_cache_libcmp, then by flags
    // descending; equal entries stay in the order they were found.
    entries.sort_by(|a, b| {
        libcmp(&b.soname, &a.soname, signed_char)
            .cmp(&0)
            .then_with(|| b.flags.cmp(&a.flags))
    });
    let bytes = encode(&entries)?;
    let count = entries.len();
    fs.insert(CACHE, Node::file(bytes, 0o644).at(mtime))?;
    Ok(Some(count))
}

/// Read one configuration file, appending its directories.
fn parse_conf(
    fs: &RootFs,
    path: &str,
    depth: usize,
    dirs: &mut Vec<String>,
) -> Result<(), LdCacheError> {
    if depth > MAX_INCLUDE_DEPTH {
        return Err(LdCacheError::IncludeLoop {
            path: path.trim_start_matches('/').to_string(),
        });
    }
    let Some(bytes) = fs.read_file(path) else {
        return Ok(());
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| LdCacheError::NotText {
        path: path.trim_start_matches('/').to_string(),
    })?;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim_start();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line
            .strip_prefix("include")
            .filter(|r| r.starts_with([' ', '\t']))
        {
            for pattern in rest.split([' ', '\t']).filter(|p| !p.is_empty()) {
                let pattern = if pattern.starts_with('/') {
                    pattern.to_string()
                } else {
                    let base = path.rsplit_once('/').map_or("", |(d, _)| d);
                    format!("{base}/{pattern}")
                };
                for file in glob(fs, &pattern) {
                    parse_conf(fs, &file, depth + 1, dirs)?;
                }
            }
        } else if line.len() > 5
            && line[..5].eq_ignore_ascii_case("hwcap")
            && line[5..].starts_with([' ', '\t'])
        {
            // ldconfig ignores hwcap directives.
        } else {
            // "dir=TYPE" names a library type; only the directory matters here.
            let dir = line.split('=').next().unwrap_or("").trim_end();
            let mut dir = dir.to_string();
            while dir.len() > 1 && dir.ends_with('/') {
                dir.pop();
            }
            dirs.push(dir);
        }
    }
    Ok(())
}

/// The trusted directories ldconfig always scans after the configured ones.
fn system_dirs(fs: &RootFs) -> Vec<String> {
    let is_dir = |p: &str| fs.lookup(p).is_some_and(Node::is_dir);
    let triplet = TRIPLETS
        .iter()
        .find(|t| {
            fs.lookup(&format!("lib/{t}/libc.so.6")).is_some()
                || fs.lookup(&format!("usr/lib/{t}/libc.so.6")).is_some()
        })
        .or_else(|| {
            TRIPLETS
                .iter()
                .find(|t| is_dir(&format!("lib/{t}")) || is_dir(&format!("usr/lib/{t}")))
        });
    let mut out = match triplet {
        Some(t) => vec![format!("/lib/{t}"), format!("/usr/lib/{t}")],
        None => vec!["/lib64".to_string(), "/usr/lib64".to_string()],
    };
    out.push("/lib".to_string());
    out.push("/usr/lib".to_string());
    out
}

/// Expand a glob (`*`, `?` and `[...]` in any component) against the tree,
/// sorted bytewise as glob(3) sorts in the C locale. Names starting with a
/// dot only match patterns that start with one. The tree is walked one
/// component at a time, so symlinked directories are followed as glob(3)
/// follows them.
fn glob(fs: &RootFs, pattern: &str) -> Vec<String> {
    let mut current: Vec<String> = vec![String::new()];
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = BTreeSet::new();
        let matcher = part
            .contains(['*', '?', '['])
            .then(|| component_matcher(part));
        for base in &current {
            let Some(matcher) = &matcher else {
                let candidate = format!("{base}/{part}");
                if fs.lookup(&candidate).is_some() {
                    next.insert(candidate);
                }
                continue;
            };
            let key = if base.is_empty() {
                String::new()
            } else {
                match fs.resolve(base, true) {
                    Ok(k) => k,
                    Err(_) => continue,
                }
            };
            for (child, _) in fs.children(&key) {
                let name = child.rsplit('/').next().unwrap_or(child);
                if name.starts_with('.') && !part.starts_with('.') {
                    continue;
                }
                if matcher.as_ref().is_some_and(|m| m.is_match(name)) {
                    let candidate = format!("{base}/{name}");
                    if last || fs.lookup(&candidate).is_some_and(Node::is_dir) {
                        next.insert(candidate);
                    }
                }
            }
        }
        current = next.into_iter().collect();
    }
    current.retain(|p| !p.is_empty());
    current
}

/// A matcher for one path component as glob(3) reads it: `*`, `?`,
/// `[...]` (`!` or `^` negates), `\` escapes, an unclosed `[` taken
/// literally, and no `{a,b}` alternatives. `None` when the pattern cannot
/// match anything (a class such as `[z-a]`).
fn component_matcher(part: &str) -> Option<GlobMatcher> {
    let escaped = part.replace('{', "\\{").replace('}', "\\}");
    GlobBuilder::new(&escaped)
        .literal_separator(true)
        .backslash_escape(true)
        .allow_unclosed_class(true)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

/// The libraries of one directory: one entry per soname.
fn scan_dir(fs: &RootFs, dir: &str, key: &str) -> Vec<Entry> {
    // soname -> (file name that gave it, flags)
    let mut libs: BTreeMap<String, (String, i32)> = BTreeMap::new();
    for (child, node) in fs.children(key) {
        let name = child.rsplit('/').next().unwrap_or(child);
        if !(name.starts_with("lib") || name.starts_with("ld-")) || !name.contains(".so") {
            continue;
        }
        if name.ends_with(".#prelink#") || name.contains(".#prelink#.") {
            continue;
        }
        let content = match &node.kind {
            NodeKind::File(c) => Some(c),
            NodeKind::Hardlink(_) | NodeKind::Symlink(_) => fs.file_content(child),
            _ => None,
        };
        let Some(content) = content else { continue };
        let Some(info) = read_elf(content) else {
            continue;
        };
        let soname = info.soname.unwrap_or_else(|| name.to_string());
        match libs.get(&soname) {
            // Prefer the newer version, as ldconfig does.
            Some((old, _)) if libcmp(old, name, true) >= 0 => {}
            _ => {
                libs.insert(soname, (name.to_string(), info.flags));
            }
        }
    }
    let dir = if dir == "/" { "" } else { dir };
    libs.into_iter()
        .filter(|(soname, _)| fs.file_content(&format!("{key}/{soname}")).is_some())
        .map(|(soname, (_, flags))| Entry {
            path: format!("{dir}/{soname}"),
            soname,
            flags,
        })
        .collect()
}

/// What ldconfig learns from a shared object.
struct ElfInfo {
    soname: Option<String>,
    flags: i32,
}

/// What ldconfig learns from a shared object: `None` for anything but an
/// ELF shared object of a machine it knows.
fn read_elf(content: &Content) -> Option<ElfInfo> {
    let info = dynamic_info(content)?;
    if info.file_type != ET_DYN {
        return None;
    }
    let mut flags = match info.interpreter.as_deref() {
        Some("/lib/ld-linux.so.2") => FLAG_ELF_LIBC6,
        Some("/lib/ld-linux.so.1") => FLAG_ELF_LIBC5,
        _ => FLAG_ELF,
    };
    if flags == FLAG_ELF {
        flags = info
            .needed
            .iter()
            .find_map(|n| match n.as_str() {
                "libc.so.6" | "libm.so.6" => Some(FLAG_ELF_LIBC6),
                "libc.so.5" | "libm.so.5" => Some(FLAG_ELF_LIBC5),
                _ => None,
            })
            .unwrap_or(FLAG_ELF);
    }
    let flags = match (info.machine, info.is64) {
        (EM_X86_64, true) => FLAG_X8664_LIB64 | FLAG_ELF_LIBC6,
        (EM_X86_64, false) => FLAG_X8664_LIBX32 | FLAG_ELF_LIBC6,
        (EM_AARCH64, true) => FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6,
        (EM_386, false) => flags,
        _ => return None,
    };
    Some(ElfInfo {
        soname: info.soname,
        flags,
    })
}

/// glibc's `_dl_cache_libcmp`: names compared with embedded numbers taken
/// numerically. `signed_char` mirrors C's `char` on the target (signed on x86).
fn libcmp(a: &str, b: &str, signed_char: bool) -> i32 {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let ch = |s: &[u8], i: usize| -> i32 {
        let c = s.get(i).copied().unwrap_or(0);
        if signed_char {
            i32::from(c as i8)
        } else {
            i32::from(c)
        }
    };
    let digit = |s: &[u8], i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    let (mut i, mut j) = (0, 0);
    while i < a.len() {
        if digit(a, i) {
            if !digit(b, j) {
                return 1;
            }
            let mut v1: i32 = 0;
            while digit(a, i) {
                v1 = v1.wrapping_mul(10).wrapping_add(i32::from(a[i] - b'0'));
                i += 1;
            }
            let mut v2: i32 = 0;
            while digit(b, j) {
                v2 = v2.wrapping_mul(10).wrapping_add(i32::from(b[j] - b'0'));
                j += 1;
            }
            if v1 != v2 {
                return v1.wrapping_sub(v2);
            }
        } else if digit(b, j) {
            return -1;
        } else if ch(a, i) != ch(b, j) {
            return ch(a, i) - ch(b, j);
        } else {
            i += 1;
            j += 1;
        }
    }
    ch(a, i) - ch(b, j)
}

/// glibc's string table (`stringtable_finalize`): strings sorted by their
/// reversed bytes in descending order, longer first when one is a suffix of
/// the other, each sharing the tail of the one before it when it is a suffix. Returns the table and each string's offset.
fn string_table<'a>(strings: impl Iterator<Item = &'a str>) -> (Vec<u8>, BTreeMap<&'a str, u32>) {
    let unique: BTreeSet<&str> = strings.collect();
    let mut sorted: Vec<&str> = unique.into_iter().collect();
    sorted.sort_by(|l, r| {
        let (l, r) = (l.as_bytes(), r.as_bytes());
        for (lc, rc) in l.iter().rev().zip(r.iter().rev()) {
            if lc != rc {
                return rc.cmp(lc);
            }
        }
        r.len().cmp(&l.len())
    });
    let mut offsets = BTreeMap::new();
    let mut table: Vec<u8> = Vec::new();
    let mut previous: Option<(&str, usize)> = None;
    for s in sorted {
        let offset = match previous {
            Some((p, off)) if p.len() >= s.len() && p.ends_with(s) => off + p.len() - s.len(),
            _ => {
                let off = table.len();
                table.extend_from_slice(s.as_bytes());
                table.push(0);
                off
            }
        };
        offsets.insert(s, offset as u32);
        previous = Some((s, offset));
    }
    (table, offsets)
}

/// The cache file: header, entries, string table, generator extension.
fn encode(entries: &[Entry]) -> Result<Vec<u8>, LdCacheError> {
    const HEADER: usize = 48;
    const ENTRY: usize = 24;
    let (strings, offsets) = string_table(
        entries
            .iter()
            .flat_map(|e| [e.soname.as_str(), e.path.as_str()]),
    );
    let str_start = HEADER + entries.len() * ENTRY;
    let ext_offset = (str_start + strings.len()).next_multiple_of(4);
    let total = ext_offset + 24 + GENERATOR.len();
    let to_u32 = |v: usize| u32::try_from(v).map_err(|_| LdCacheError::TooLarge);
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glibc-ld.so.cache1.1");
    out.extend_from_slice(&to_u32(entries.len())?.to_le_bytes());
    out.extend_from_slice(&to_u32(strings.len())?.to_le_bytes());
    out.push(2); // cache_file_new_flags_endian_little
    out.extend_from_slice(&[0; 3]);
    out.extend_from_slice(&to_u32(ext_offset)?.to_le_bytes());
    out.extend_from_slice(&[0; 12]);
    let str_start32 = to_u32(str_start)?;
    for e in entries {
        let key = offsets.get(e.soname.as_str()).copied().unwrap_or(0);
        let value = offsets.get(e.path.as_str()).copied().unwrap_or(0);
        out.extend_from_slice(&e.flags.to_le_bytes());
        out.extend_from_slice(&(str_start32 + key).to_le_bytes());
        out.extend_from_slice(&(str_start32 + value).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // osversion_unused
        out.extend_from_slice(&0u64.to_le_bytes()); // hwcap
    }
    out.extend_from_slice(&strings);
    out.resize(ext_offset, 0);
    out.extend_from_slice(&EXTENSION_MAGIC.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // one section
    out.extend_from_slice(&0u32.to_le_bytes()); // cache_extension_tag_generator
    out.extend_from_slice(&0u32.to_le_bytes()); // flags
    out.extend_from_slice(&to_u32(ext_offset + 24)?.to_le_bytes());
    out.extend_from_slice(&to_u32(GENERATOR.len())?.to_le_bytes());
    out.extend_from_slice(GENERATOR.as_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libcmp_is_version_aware() {
        assert!(libcmp("libz.so.10", "libz.so.9", true) > 0);
        assert!(libcmp("libc.so.6", "libc.so.6", true) == 0);
        assert!(libcmp("libBrokenLocale.so.1", "libanl.so.1", true) < 0);
        assert!(libcmp("lib1", "liba", true) > 0);
    }

    #[test]
    fn string_table_shares_tails() {
        let (table, off) = string_table(["libz.so.1", "/lib/libz.so.1", "libc.so.6"].into_iter());
        assert_eq!(off["libz.so.1"], off["/lib/libz.so.1"] + 5);
        assert_eq!(table.len(), "/lib/libz.so.1\0libc.so.6\0".len());
    }

    #[test]
    fn globs() {
        let matches = |pattern: &str, name: &str| {
            component_matcher(pattern).is_some_and(|m| m.is_match(name))
        };
        assert!(matches("*.conf", "libc.conf"));
        assert!(!matches("*.conf", "libc.conf.bak"));
        assert!(matches("[a-c]?", "bz"));
        assert!(!matches("[!a-c]?", "bz"));
        assert!(!matches("[^a-c]?", "bz"));
        assert!(matches("[]x]", "]"));
        assert!(matches("a[b", "a[b"));
        assert!(matches("{a,b}", "{a,b}"));
        assert!(!matches("{a,b}", "a"));
        assert!(matches("\\*", "*"));
        assert!(!matches("\\*", "x"));
    }
}
