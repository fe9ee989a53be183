//! Writing APK v2 packages (`.apk`: two or three concatenated gzip members)
//! and signed `APKINDEX.tar.gz` repositories, as abuild and melange build
//! them, with an RSA key generated at test time.
//!
//! Layout of a package: member 1 is a signature tar holding one entry
//! `.SIGN.RSA256.<key>` (or `.SIGN.RSA.<key>`) whose body signs the raw bytes
//! of member 2; member 2 is the control tar (`.PKGINFO` and scripts); member
//! 3 is the data tar. Members 1 and 2 are not terminated with zero blocks,
//! member 3 is. Regular files and symlinks in the data tar carry the PAX
//! record `APK-TOOLS.checksum.SHA1`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use whittle_net::TestServer;

/// The RSA signature flavour of a `.SIGN.*` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApkAlgo {
    /// PKCS#1 v1.5 over SHA-1: `.SIGN.RSA.<key>` (abuild, older melange).
    Sha1,
    /// PKCS#1 v1.5 over SHA-256: `.SIGN.RSA256.<key>` (current melange).
    Sha256,
}

impl ApkAlgo {
    /// The signature entry's name prefix (`.SIGN.RSA.` or `.SIGN.RSA256.`).
    pub fn sign_prefix(self) -> &'static str {
        match self {
            ApkAlgo::Sha1 => ".SIGN.RSA.",
            ApkAlgo::Sha256 => ".SIGN.RSA256.",
        }
    }
}

/// An RSA-2048 signing key made at test time. Its name is the file name the
/// public key must have in a keys directory (`/etc/apk/keys/<name>`), and
/// the suffix of the `.SIGN.*` entries it makes.
#[derive(Clone)]
pub struct ApkKey {
    name: String,
    private: RsaPrivateKey,
}

impl std::fmt::Debug for ApkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApkKey").field("name", &self.name).finish()
    }
}

impl ApkKey {
    /// Generate a key called `name` (`.rsa.pub` is appended when missing).
    pub fn generate(name: &str) -> ApkKey {
        let name = if name.ends_with(".rsa.pub") {
            name.to_string()
        } else {
            format!("{name}.rsa.pub")
        };
        let private = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        ApkKey { name, private }
    }

    /// Generate a key with a random name `whittle-test-XXXXXXXX.rsa.pub`.
    pub fn random() -> ApkKey {
        let tag: u32 = rand::random();
        ApkKey::generate(&format!("whittle-test-{tag:08x}.rsa.pub"))
    }

    /// The key's file name, e.g. `whittle-test-1a2b3c4d.rsa.pub`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), the
    /// content of a `*.rsa.pub` file.
    pub fn public_pem(&self) -> String {
        self.private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn private_pem(&self) -> String {
        self.private
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap()
            .to_string()
    }

    /// RSA PKCS#1 v1.5 signature of `message` (hashed with `algo`).
    pub fn sign(&self, algo: ApkAlgo, message: &[u8]) -> Vec<u8> {
        match algo {
            ApkAlgo::Sha1 => self
                .private
                .sign(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(message))
                .unwrap(),
            ApkAlgo::Sha256 => self
                .private
                .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
                .unwrap(),
        }
    }

    /// A signature member: a gzip'd, unterminated tar holding the single
    /// entry `.SIGN.<ALG>.<name>` whose body signs `signed` (the raw bytes of
    /// the next gzip member).
    pub fn signature_member(&self, algo: ApkAlgo, signed: &[u8], mtime: u64) -> Vec<u8> {
        let sig = self.sign(algo, signed);
        let mut t = TarOut::default();
        t.entry(&TarEntry {
            name: format!("{}{}", algo.sign_prefix(), self.name),
            kind: tar::EntryType::Regular,
            mode: 0o644,
            mtime,
            data: &sig,
            ..TarEntry::default()
        });
        gzip(&t.0)
    }
}

/// One entry of a package's data tar. Paths are relative (`usr/bin/x`; a
/// leading `./` or `/` is dropped); missing parents are added as 0755
/// directories.
#[derive(Debug, Clone)]
pub enum ApkEntry {
    /// A directory and its mode.
    Dir(String, u32),
    /// A regular file with content and mode.
    File(String, Vec<u8>, u32),
    /// A symbolic link and its target.
    Symlink(String, String),
    /// A hard link to an earlier path of the package.
    Hardlink(String, String),
    /// A regular file (mode 0644) whose name is written byte for byte into
    /// the header, unchecked and without parents (hostile packages:
    /// `../../etc/x`, `/abs`). It carries a correct checksum.
    RawFile(String, Vec<u8>),
}

/// A package to build.
#[derive(Debug, Clone)]
pub struct ApkSpec {
    /// `pkgname`.
    pub name: String,
    /// `pkgver`, e.g. `1.0.0-r0`.
    pub version: String,
    /// `arch` (`x86_64`, `aarch64`, `noarch`).
    pub arch: String,
    /// `origin`; the package name when `None`.
    pub origin: Option<String>,
    /// `pkgdesc` (index `T:`).
    pub description: String,
    /// `url` (index `U:`).
    pub url: String,
    /// `maintainer` (index `m:`), omitted when `None`.
    pub maintainer: Option<String>,
    /// `commit` (index `c:`), omitted when `None`.
    pub commit: Option<String>,
    /// `depend` atoms (`foo`, `so:libc.so.6`, `foo>=1.2`, `!bar`).
    pub depends: Vec<String>,
    /// `provides` atoms (`cmd:foo=1.0-r0`, `virtual`).
    pub provides: Vec<String>,
    /// `install_if` atoms.
    pub install_if: Vec<String>,
    /// `replaces` names.
    pub replaces: Vec<String>,
    /// `provider_priority` (index `k:`).
    pub provider_priority: Option<i64>,
    /// `license`.
    pub license: String,
    /// `triggers` paths (globs) for a `.trigger` script.
    pub triggers: Vec<String>,
    /// Control scripts: (`.post-install`, body). Written mode 0755.
    pub scripts: Vec<(String, Vec<u8>)>,
    /// Data tar entries in order.
    pub entries: Vec<ApkEntry>,
    /// `builddate` (index `t:`), also every tar entry's mtime.
    pub builddate: i64,
}

impl ApkSpec {
    /// A package with no dependencies and no files, built at 2023-11-14.
    pub fn new(name: &str, version: &str, arch: &str) -> ApkSpec {
        ApkSpec {
            name: name.into(),
            version: version.into(),
            arch: arch.into(),
            origin: None,
            description: format!("test package {name}"),
            url: "https://example.invalid/whittle".into(),
            maintainer: None,
            commit: None,
            depends: Vec::new(),
            provides: Vec::new(),
            install_if: Vec::new(),
            replaces: Vec::new(),
            provider_priority: None,
            license: "MIT".into(),
            triggers: Vec::new(),
            scripts: Vec::new(),
            entries: Vec::new(),
            builddate: 1_700_000_000,
        }
    }

    /// Add a regular file.
    #[must_use]
    pub fn file(mut self, path: &str, content: &[u8], mode: u32) -> ApkSpec {
        self.entries
            .push(ApkEntry::File(path.into(), content.to_vec(), mode));
        self
    }

    /// Add a directory.
    #[must_use]
    pub fn dir(mut self, path: &str, mode: u32) -> ApkSpec {
        self.entries.push(ApkEntry::Dir(path.into(), mode));
        self
    }

    /// Add a symbolic link `path -> target`.
    #[must_use]
    pub fn symlink(mut self, path: &str, target: &str) -> ApkSpec {
        self.entries
            .push(ApkEntry::Symlink(path.into(), target.into()));
        self
    }

    /// Add a hard link `path` to the earlier entry `target`.
    #[must_use]
    pub fn hardlink(mut self, path: &str, target: &str) -> ApkSpec {
        self.entries
            .push(ApkEntry::Hardlink(path.into(), target.into()));
        self
    }

    /// Add any entry.
    #[must_use]
    pub fn entry(mut self, e: ApkEntry) -> ApkSpec {
        self.entries.push(e);
        self
    }

    /// Add a `depend` atom.
    #[must_use]
    pub fn depend(mut self, atom: &str) -> ApkSpec {
        self.depends.push(atom.into());
        self
    }

    /// Add a `provides` atom.
    #[must_use]
    pub fn provide(mut self, atom: &str) -> ApkSpec {
        self.provides.push(atom.into());
        self
    }

    /// Add an `install_if` atom.
    #[must_use]
    pub fn install_if(mut self, atom: &str) -> ApkSpec {
        self.install_if.push(atom.into());
        self
    }

    /// Add a `replaces` name.
    #[must_use]
    pub fn replace(mut self, name: &str) -> ApkSpec {
        self.replaces.push(name.into());
        self
    }

    /// Set `provider_priority`.
    #[must_use]
    pub fn provider_priority(mut self, k: i64) -> ApkSpec {
        self.provider_priority = Some(k);
        self
    }

    /// Set `origin`.
    #[must_use]
    pub fn origin(mut self, origin: &str) -> ApkSpec {
        self.origin = Some(origin.into());
        self
    }

    /// Set `license`.
    #[must_use]
    pub fn license(mut self, license: &str) -> ApkSpec {
        self.license = license.into();
        self
    }

    /// Set `pkgdesc`.
    #[must_use]
    pub fn description(mut self, text: &str) -> ApkSpec {
        self.description = text.into();
        self
    }

    /// Set `builddate`.
    #[must_use]
    pub fn builddate(mut self, t: i64) -> ApkSpec {
        self.builddate = t;
        self
    }

    /// Add a `triggers` path.
    #[must_use]
    pub fn trigger(mut self, path: &str) -> ApkSpec {
        self.triggers.push(path.into());
        self
    }

    /// Add a control script (`.post-install`, `.trigger`, …).
    #[must_use]
    pub fn script(mut self, name: &str, body: &[u8]) -> ApkSpec {
        self.scripts.push((name.into(), body.to_vec()));
        self
    }

    /// The origin, defaulting to the name.
    pub fn origin_or_name(&self) -> &str {
        self.origin.as_deref().unwrap_or(&self.name)
    }

    /// `size`: the sum of the regular files' sizes.
    pub fn installed_size(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| match e {
                ApkEntry::File(_, c, _) | ApkEntry::RawFile(_, c) => c.len() as u64,
                _ => 0,
            })
            .sum()
    }

    /// The file name in a repository: `<name>-<version>.apk`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.apk", self.name, self.version)
    }

    /// The `.PKGINFO` text, in abuild's field order, for a data member whose
    /// hex SHA-256 is `datahash`.
    pub fn pkginfo(&self, datahash: &str) -> String {
        let mut s = String::from("# Generated by whittle-test\n");
        let mut kv = |k: &str, v: &str| s.push_str(&format!("{k} = {v}\n"));
        kv("pkgname", &self.name);
        kv("pkgver", &self.version);
        kv("pkgdesc", &self.description);
        kv("url", &self.url);
        kv("builddate", &self.builddate.to_string());
        kv("packager", "whittle-test <test@example.invalid>");
        kv("size", &self.installed_size().to_string());
        kv("arch", &self.arch);
        kv("origin", self.origin_or_name());
        if let Some(c) = &self.commit {
            kv("commit", c);
        }
        if let Some(m) = &self.maintainer {
            kv("maintainer", m);
        }
        kv("license", &self.license);
        for r in &self.replaces {
            kv("replaces", r);
        }
        if let Some(k) = self.provider_priority {
            kv("provider_priority", &k.to_string());
        }
        if !self.install_if.is_empty() {
            kv("install_if", &self.install_if.join(" "));
        }
        if !self.triggers.is_empty() {
            kv("triggers", &self.triggers.join(" "));
        }
        for d in &self.depends {
            kv("depend", d);
        }
        for p in &self.provides {
            kv("provides", p);
        }
        kv("datahash", datahash);
        s
    }

    /// This package's `APKINDEX` record (no trailing blank line), in
    /// apk-tools' field order `C P V A S I T U L o m t c k D p i r`.
    pub fn index_record(&self, q1: &str, apk_size: u64) -> String {
        let mut s = String::new();
        let mut f = |k: char, v: &str| s.push_str(&format!("{k}:{v}\n"));
        f('C', q1);
        f('P', &self.name);
        f('V', &self.version);
        f('A', &self.arch);
        f('S', &apk_size.to_string());
        f('I', &self.installed_size().to_string());
        f('T', &self.description);
        f('U', &self.url);
        f('L', &self.license);
        f('o', self.origin_or_name());
        if let Some(m) = &self.maintainer {
            f('m', m);
        }
        f('t', &self.builddate.to_string());
        if let Some(c) = &self.commit {
            f('c', c);
        }
        if let Some(k) = self.provider_priority {
            f('k', &k.to_string());
        }
        for (key, list) in [
            ('D', &self.depends),
            ('p', &self.provides),
            ('i', &self.install_if),
            ('r', &self.replaces),
        ] {
            if !list.is_empty() {
                f(key, &list.join(" "));
            }
        }
        s
    }
}

/// The three gzip members of a built package, each as raw compressed bytes.
#[derive(Debug, Clone)]
pub struct ApkParts {
    /// Signature member; empty for an unsigned package.
    pub signature: Vec<u8>,
    /// Control member (`.PKGINFO` and scripts).
    pub control: Vec<u8>,
    /// Data member (the file tree).
    pub data: Vec<u8>,
}

impl ApkParts {
    /// The `.apk` bytes: the members concatenated.
    pub fn bytes(&self) -> Vec<u8> {
        [&self.signature[..], &self.control, &self.data].concat()
    }

    /// `Q1` + base64(SHA-1 of the control member): the index `C:` value.
    pub fn q1(&self) -> String {
        format!("Q1{}", STANDARD.encode(Sha1::digest(&self.control)))
    }

    /// Hex SHA-256 of the data member: `.PKGINFO` `datahash`.
    pub fn datahash(&self) -> String {
        hex::encode(Sha256::digest(&self.data))
    }
}

/// Build a package's members (see [`build_apk`]).
pub fn build_apk_parts(spec: &ApkSpec, sign: Option<(&ApkKey, ApkAlgo)>) -> ApkParts {
    let mtime = u64::try_from(spec.builddate).unwrap_or(0);
    let data = gzip(&data_tar(spec, mtime));
    let datahash = hex::encode(Sha256::digest(&data));
    let control = {
        let mut t = TarOut::default();
        let pkginfo = spec.pkginfo(&datahash);
        t.entry(&TarEntry {
            name: ".PKGINFO".into(),
            mode: 0o644,
            mtime,
            data: pkginfo.as_bytes(),
            ..TarEntry::default()
        });
        for (name, body) in &spec.scripts {
            t.entry(&TarEntry {
                name: name.clone(),
                mode: 0o755,
                mtime,
                data: body,
                ..TarEntry::default()
            });
        }
        gzip(&t.0)
    };
    let signature = match sign {
        Some((key, algo)) => key.signature_member(algo, &control, mtime),
        None => Vec::new(),
    };
    ApkParts {
        signature,
        control,
        data,
    }
}

/// Build a `.apk` as abuild/melange do and return its bytes and its `Q1`
/// checksum. `sign: None` makes an unsigned two-member package.
pub fn build_apk(spec: &ApkSpec, sign: Option<(&ApkKey, ApkAlgo)>) -> (Vec<u8>, String) {
    let parts = build_apk_parts(spec, sign);
    (parts.bytes(), parts.q1())
}

fn clean(p: &str) -> String {
    p.trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_string()
}

fn data_tar(spec: &ApkSpec, mtime: u64) -> Vec<u8> {
    let explicit: BTreeMap<String, u32> = spec
        .entries
        .iter()
        .filter_map(|e| match e {
            ApkEntry::Dir(p, m) => Some((clean(p), *m)),
            _ => None,
        })
        .collect();
    let mut made = BTreeSet::new();
    let mut t = TarOut::default();
    let dir = |t: &mut TarOut, p: &str| {
        t.entry(&TarEntry {
            name: p.to_string(),
            kind: tar::EntryType::Directory,
            mode: explicit.get(p).copied().unwrap_or(0o755),
            mtime,
            ..TarEntry::default()
        });
    };
    let parents = |t: &mut TarOut, p: &str, made: &mut BTreeSet<String>| {
        let parts: Vec<&str> = p.split('/').collect();
        for i in 1..parts.len() {
            let d = parts[..i].join("/");
            if made.insert(d.clone()) {
                dir(t, &d);
            }
        }
    };
    for e in &spec.entries {
        match e {
            ApkEntry::Dir(p, _) => {
                let p = clean(p);
                parents(&mut t, &p, &mut made);
                if made.insert(p.clone()) {
                    dir(&mut t, &p);
                }
            }
            ApkEntry::File(p, c, mode) => {
                let p = clean(p);
                parents(&mut t, &p, &mut made);
                t.entry(&TarEntry {
                    name: p,
                    mode: *mode,
                    mtime,
                    data: c,
                    pax: vec![checksum(c)],
                    ..TarEntry::default()
                });
            }
            ApkEntry::Symlink(p, target) => {
                let p = clean(p);
                parents(&mut t, &p, &mut made);
                t.entry(&TarEntry {
                    name: p,
                    kind: tar::EntryType::Symlink,
                    mode: 0o777,
                    mtime,
                    link: target.clone(),
                    pax: vec![checksum(target.as_bytes())],
                    ..TarEntry::default()
                });
            }
            ApkEntry::Hardlink(p, target) => {
                let p = clean(p);
                parents(&mut t, &p, &mut made);
                t.entry(&TarEntry {
                    name: p,
                    kind: tar::EntryType::Link,
                    mode: 0o644,
                    mtime,
                    link: clean(target),
                    ..TarEntry::default()
                });
            }
            ApkEntry::RawFile(p, c) => t.entry(&TarEntry {
                name: p.clone(),
                mode: 0o644,
                mtime,
                data: c,
                pax: vec![checksum(c)],
                ..TarEntry::default()
            }),
        }
    }
    t.0.extend_from_slice(&[0; 1024]);
    t.0
}

fn checksum(content: &[u8]) -> (String, String) {
    (
        "APK-TOOLS.checksum.SHA1".into(),
        hex::encode(Sha1::digest(content)),
    )
}

struct TarEntry<'a> {
    name: String,
    kind: tar::EntryType,
    mode: u32,
    mtime: u64,
    data: &'a [u8],
    link: String,
    pax: Vec<(String, String)>,
}

impl Default for TarEntry<'_> {
    fn default() -> Self {
        TarEntry {
            name: String::new(),
            kind: tar::EntryType::Regular,
            mode: 0o644,
            mtime: 0,
            data: &[],
            link: String::new(),
            pax: Vec::new(),
        }
    }
}

/// A hand-rolled ustar writer: no terminating blocks unless added, names
/// written verbatim (PAX `path`/`linkpath` when over 100 bytes).
#[derive(Default)]
struct TarOut(Vec<u8>);

impl TarOut {
    fn entry(&mut self, e: &TarEntry<'_>) {
        let mut pax = e.pax.clone();
        if e.name.len() > 100 {
            pax.push(("path".into(), e.name.clone()));
        }
        if e.link.len() > 100 {
            pax.push(("linkpath".into(), e.link.clone()));
        }
        if !pax.is_empty() {
            let mut body = Vec::new();
            for (k, v) in &pax {
                body.extend_from_slice(&pax_record(k, v));
            }
            let base = e.name.rsplit('/').next().unwrap_or("x");
            let base: String = base.chars().take(80).collect();
            let h = header(
                &format!("PaxHeaders.0/{base}"),
                tar::EntryType::XHeader,
                0o644,
                e.mtime,
                body.len() as u64,
                "",
            );
            self.raw(&h, &body);
        }
        let h = header(
            &e.name,
            e.kind,
            e.mode,
            e.mtime,
            e.data.len() as u64,
            &e.link,
        );
        self.raw(&h, e.data);
    }

    fn raw(&mut self, h: &tar::Header, data: &[u8]) {
        self.0.extend_from_slice(h.as_bytes());
        self.0.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.0.extend(std::iter::repeat_n(0u8, pad));
    }
}

fn header(
    name: &str,
    kind: tar::EntryType,
    mode: u32,
    mtime: u64,
    size: u64,
    link: &str,
) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime);
    h.set_size(size);
    h.set_username("root").unwrap();
    h.set_groupname("root").unwrap();
    {
        let old = h.as_old_mut();
        let n = name.len().min(100);
        old.name[..n].copy_from_slice(&name.as_bytes()[..n]);
        let l = link.len().min(100);
        old.linkname[..l].copy_from_slice(&link.as_bytes()[..l]);
    }
    h.set_cksum();
    h
}

fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let rest = format!(" {key}={value}\n");
    let mut len = rest.len() + 1;
    while len.to_string().len() + rest.len() != len {
        len = len.to_string().len() + rest.len();
    }
    format!("{len}{rest}").into_bytes()
}

/// gzip bytes as one member.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A signed APK repository in a temp dir: `<root>/<arch>/APKINDEX.tar.gz`
/// and `<root>/<arch>/<name>-<version>.apk`, served on 127.0.0.1. The
/// public key lives outside the served root, in `keys_dir()/<key name>`.
pub struct ApkRepo {
    dir: tempfile::TempDir,
    root: PathBuf,
    key: ApkKey,
    algo: ApkAlgo,
    sign_packages: bool,
    description: String,
    packages: Vec<ApkSpec>,
}

impl ApkRepo {
    /// An empty repository signed (index and packages) with `key`, RSA256.
    pub fn new(key: ApkKey) -> ApkRepo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        fs_err::create_dir_all(&root).unwrap();
        ApkRepo {
            dir,
            root,
            key,
            algo: ApkAlgo::Sha256,
            sign_packages: true,
            description: "whittle-test".into(),
            packages: Vec::new(),
        }
    }

    /// Sign with `.SIGN.RSA.` (SHA-1) or `.SIGN.RSA256.` (the default).
    pub fn algo(&mut self, algo: ApkAlgo) -> &mut Self {
        self.algo = algo;
        self
    }

    /// Whether packages carry their own signature member (default true;
    /// the index is always signed).
    pub fn sign_packages(&mut self, yes: bool) -> &mut Self {
        self.sign_packages = yes;
        self
    }

    /// Add a package (written at [`publish`](Self::publish)).
    pub fn add(&mut self, spec: ApkSpec) -> &mut Self {
        self.packages.push(spec);
        self
    }

    /// The specs added so far.
    pub fn packages(&self) -> &[ApkSpec] {
        &self.packages
    }

    /// Write every arch's packages and a signed `APKINDEX.tar.gz` (member
    /// 1: `.SIGN.<ALG>.<key>` over the raw member 2; member 2: a tar holding
    /// `DESCRIPTION` and `APKINDEX`), and the public key (see
    /// [`key_path`](Self::key_path)).
    pub fn publish(&self) {
        let mut by_arch: BTreeMap<&str, Vec<&ApkSpec>> = BTreeMap::new();
        for p in &self.packages {
            by_arch.entry(&p.arch).or_default().push(p);
        }
        for (arch, specs) in by_arch {
            let dir = self.root().join(arch);
            fs_err::create_dir_all(&dir).unwrap();
            let mut index = String::new();
            for spec in specs {
                let sign = self.sign_packages.then_some((&self.key, self.algo));
                let (bytes, q1) = build_apk(spec, sign);
                fs_err::write(dir.join(spec.file_name()), &bytes).unwrap();
                index.push_str(&spec.index_record(&q1, bytes.len() as u64));
                index.push('\n');
            }
            let tar = {
                let mut t = TarOut::default();
                for (name, data) in [
                    ("DESCRIPTION", self.description.as_bytes()),
                    ("APKINDEX", index.as_bytes()),
                ] {
                    t.entry(&TarEntry {
                        name: name.into(),
                        mtime: 1_700_000_000,
                        data,
                        ..TarEntry::default()
                    });
                }
                t.0.extend_from_slice(&[0; 1024]);
                gzip(&t.0)
            };
            let sig = self.key.signature_member(self.algo, &tar, 1_700_000_000);
            fs_err::write(dir.join("APKINDEX.tar.gz"), [sig, tar].concat()).unwrap();
        }
        self.key_path();
    }

    /// The served directory (holding one folder per arch).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The signing key.
    pub fn key(&self) -> &ApkKey {
        &self.key
    }

    /// A keys directory (outside the served root) holding only the public
    /// key, as `/etc/apk/keys` would.
    pub fn keys_dir(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    /// Write the public key as `keys_dir()/<key name>` (the name matches the
    /// `.SIGN.*` suffix); returns its path.
    pub fn key_path(&self) -> PathBuf {
        let dir = self.keys_dir();
        fs_err::create_dir_all(&dir).unwrap();
        let p = dir.join(self.key.name());
        fs_err::write(&p, self.key.public_pem()).unwrap();
        p
    }

    /// Path of the `APKINDEX.tar.gz` of `arch`.
    pub fn index_path(&self, arch: &str) -> PathBuf {
        self.root().join(arch).join("APKINDEX.tar.gz")
    }

    /// Path of a package's `.apk` (the last one added with that name).
    pub fn apk_path(&self, arch: &str, name: &str) -> PathBuf {
        let spec = self
            .packages
            .iter()
            .rev()
            .find(|p| p.name == name && p.arch == arch)
            .unwrap_or_else(|| panic!("no package {name} for {arch}"));
        self.root().join(arch).join(spec.file_name())
    }

    /// Serve the repository root on 127.0.0.1 (repository URL: `url()`,
    /// indexes at `url()/<arch>/APKINDEX.tar.gz`).
    pub fn serve(&self) -> TestServer {
        TestServer::serve_dir(self.root())
    }
}

/// Wolfi's base layout as tests need it: `wolfi-baselayout` 20230201-r7,
/// MIT, with the os-release that names the distribution (`ID=wolfi`,
/// `NAME="Wolfi"`) and the `/etc/os-release` link to it.
pub fn wolfi_baselayout_spec(arch: &str) -> ApkSpec {
    ApkSpec::new("wolfi-baselayout", "20230201-r7", arch)
        .license("MIT")
        .file(
            "usr/lib/os-release",
            b"ID=wolfi\nNAME=\"Wolfi\"\nVERSION_ID=20230201\n",
            0o644,
        )
        .symlink("etc/os-release", "../usr/lib/os-release")
}
