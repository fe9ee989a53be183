//! Writing `.deb` files: an ar archive of `debian-binary`,
//! `control.tar.gz` and `data.tar.xz`, as dpkg-deb builds them.

use std::io::{Read, Write};

/// One entry of a package's data.tar.
#[derive(Debug, Clone)]
pub enum DebEntry {
    /// A directory.
    Dir(String),
    /// A regular file with content and mode.
    File(String, Vec<u8>, u32),
    /// A symbolic link and its target.
    Symlink(String, String),
    /// A hard link to an earlier path.
    Hardlink(String, String),
    /// A path written byte for byte into the header, unchecked (for
    /// hostile packages: `../../etc/x`, `/abs`).
    RawFile(String, Vec<u8>),
    /// A regular file of `size` zero bytes, streamed rather than held (for
    /// package bombs: gigabytes that compress to almost nothing). A
    /// package with one has its data member compressed with zstd, which
    /// makes short work of zeros.
    Zeros(String, u64),
    /// A directory with an owner: numeric ids and the user and group names
    /// dpkg-deb records beside them.
    OwnedDir {
        /// The path.
        path: String,
        /// Numeric owner.
        uid: u64,
        /// Numeric group.
        gid: u64,
        /// Owner name.
        user: String,
        /// Group name.
        group: String,
    },
}

/// A package to build.
#[derive(Debug, Clone, Default)]
pub struct DebSpec {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Architecture (`amd64`, `all`).
    pub arch: String,
    /// Extra control fields in order (`Depends`, `Provides`, `Source`…).
    pub fields: Vec<(String, String)>,
    /// data.tar entries in order.
    pub entries: Vec<DebEntry>,
}

impl DebSpec {
    /// A package with no fields and no files.
    pub fn new(name: &str, version: &str) -> DebSpec {
        DebSpec {
            name: name.into(),
            version: version.into(),
            arch: "amd64".into(),
            ..DebSpec::default()
        }
    }

    /// Set the architecture (`amd64`, `arm64`, `all`).
    #[must_use]
    pub fn arch(mut self, arch: &str) -> DebSpec {
        self.arch = arch.into();
        self
    }

    /// Add a control field.
    #[must_use]
    pub fn field(mut self, key: &str, value: &str) -> DebSpec {
        self.fields.push((key.into(), value.into()));
        self
    }

    /// Add a regular file (parents are added as directories).
    #[must_use]
    pub fn file(mut self, path: &str, content: &[u8], mode: u32) -> DebSpec {
        self.entries
            .push(DebEntry::File(path.into(), content.to_vec(), mode));
        self
    }

    /// Add any entry.
    #[must_use]
    pub fn entry(mut self, e: DebEntry) -> DebSpec {
        self.entries.push(e);
        self
    }

    /// The control file text.
    pub fn control(&self) -> String {
        let mut c = format!(
            "Package: {}\nVersion: {}\nArchitecture: {}\nMaintainer: Test <test@example.invalid>\n",
            self.name, self.version, self.arch
        );
        for (k, v) in &self.fields {
            c.push_str(&format!("{k}: {v}\n"));
        }
        if !self.fields.iter().any(|(k, _)| k == "Description") {
            c.push_str(&format!("Description: test package {}\n", self.name));
        }
        c
    }
}

/// Build the `.deb` bytes.
pub fn build_deb(spec: &DebSpec) -> Vec<u8> {
    let control_tar = {
        let mut b = tar::Builder::new(Vec::new());
        append_file(&mut b, "./control", spec.control().as_bytes(), 0o644);
        let md5: String = spec
            .entries
            .iter()
            .filter_map(|e| match e {
                DebEntry::File(p, c, _) => Some(format!(
                    "{}  {}\n",
                    hex::encode(<md5::Md5 as md5::Digest>::digest(c)),
                    p.trim_start_matches("./").trim_start_matches('/')
                )),
                _ => None,
            })
            .collect();
        append_file(&mut b, "./md5sums", md5.as_bytes(), 0o644);
        gzip(&b.into_inner().unwrap())
    };
    let bomb = spec
        .entries
        .iter()
        .any(|e| matches!(e, DebEntry::Zeros(..)));
    let (data_name, data_tar) = if bomb {
        let encoder = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
        let b = data_entries(spec, tar::Builder::new(encoder));
        ("data.tar.zst", b.into_inner().unwrap().finish().unwrap())
    } else {
        let b = data_entries(spec, tar::Builder::new(Vec::new()));
        ("data.tar.xz", xz(&b.into_inner().unwrap()))
    };
    let mut out = Vec::new();
    {
        let mut a = ar::Builder::new(&mut out);
        for (name, data) in [
            ("debian-binary", b"2.0\n".to_vec()),
            ("control.tar.gz", control_tar),
            (data_name, data_tar),
        ] {
            let mut h = ar::Header::new(name.as_bytes().to_vec(), data.len() as u64);
            h.set_mode(0o100644);
            a.append(&h, &data[..]).unwrap();
        }
    }
    out
}

/// The data member's entries, written into `b`.
fn data_entries<W: Write>(spec: &DebSpec, mut b: tar::Builder<W>) -> tar::Builder<W> {
    append_dir(&mut b, "./");
    let mut made = std::collections::BTreeSet::new();
    for e in &spec.entries {
        match e {
            DebEntry::Dir(p) => {
                append_dir(&mut b, &dot(p));
                made.insert(dot(p));
            }
            DebEntry::File(p, c, mode) => {
                parents(&mut b, p, &mut made);
                append_file(&mut b, &dot(p), c, *mode);
            }
            DebEntry::Zeros(p, size) => {
                parents(&mut b, p, &mut made);
                let mut h = header(tar::EntryType::Regular, 0o644, *size);
                b.append_data(&mut h, dot(p), std::io::repeat(0).take(*size))
                    .unwrap();
            }
            DebEntry::Symlink(p, t) => {
                parents(&mut b, p, &mut made);
                let mut h = header(tar::EntryType::Symlink, 0o777, 0);
                b.append_link(&mut h, dot(p), t).unwrap();
            }
            DebEntry::Hardlink(p, t) => {
                parents(&mut b, p, &mut made);
                let mut h = header(tar::EntryType::Link, 0o644, 0);
                b.append_link(&mut h, dot(p), dot(t)).unwrap();
            }
            DebEntry::OwnedDir {
                path,
                uid,
                gid,
                user,
                group,
            } => {
                parents(&mut b, path, &mut made);
                let mut h = header(tar::EntryType::Directory, 0o750, 0);
                h.set_uid(*uid);
                h.set_gid(*gid);
                h.set_username(user).unwrap();
                h.set_groupname(group).unwrap();
                b.append_data(&mut h, format!("{}/", dot(path)), std::io::empty())
                    .unwrap();
            }
            DebEntry::RawFile(p, c) => {
                let mut h = header(tar::EntryType::Regular, 0o644, c.len() as u64);
                let name = &mut h.as_old_mut().name;
                name[..p.len()].copy_from_slice(p.as_bytes());
                h.set_cksum();
                b.append(&h, &c[..]).unwrap();
            }
        }
    }
    b
}

fn dot(p: &str) -> String {
    format!("./{}", p.trim_start_matches("./").trim_start_matches('/'))
}

fn parents<W: Write>(
    b: &mut tar::Builder<W>,
    p: &str,
    made: &mut std::collections::BTreeSet<String>,
) {
    let clean = p.trim_start_matches("./").trim_start_matches('/');
    let mut cur = String::from(".");
    let parts: Vec<&str> = clean.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        cur = format!("{cur}/{part}");
        if made.insert(format!("{cur}/")) {
            append_dir(b, &format!("{cur}/"));
        }
    }
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(1_700_000_000);
    h.set_uid(0);
    h.set_gid(0);
    h
}

fn append_dir<W: Write>(b: &mut tar::Builder<W>, p: &str) {
    let mut h = header(tar::EntryType::Directory, 0o755, 0);
    b.append_data(&mut h, p, std::io::empty()).unwrap();
}

fn append_file<W: Write>(b: &mut tar::Builder<W>, p: &str, c: &[u8], mode: u32) {
    let mut h = header(tar::EntryType::Regular, mode, c.len() as u64);
    b.append_data(&mut h, p, c).unwrap();
}

/// gzip bytes.
pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// xz bytes.
pub(crate) fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A machine-readable (DEP-5) `copyright` file declaring `license` for
/// every file. whittle recognises the format by its `Format:` field, not
/// by the field's value, so the value here names no host.
pub fn dep5_copyright(license: &str) -> String {
    format!(
        "Format: machine-readable copyright format 1.0\n\nFiles: *\nCopyright: 2024 Test\nLicense: {license}\n"
    )
}
