//! RPM packages and yum/dnf repositories made at test time with the real
//! tools: a `.spec` generated from an [`RpmSpec`] is built by `rpmbuild`,
//! signed by `rpmsign` with a throw-away `gpg` key ([`RpmKey`]), indexed by
//! `createrepo_c` and served on 127.0.0.1 ([`RpmRepo`]).
//!
//! Builds are deterministic: `SOURCE_DATE_EPOCH` is the spec's build time
//! and also clamps every file's mtime, and the build host is fixed, so an
//! unsigned package is the same bytes every time (signatures carry their
//! creation time). Formats: the RPM v4 file format and the `repomd.xml`
//! repository metadata, as rpm 4.18 and createrepo_c 0.17 write them.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};

use whittle_net::TestServer;

use crate::busybox::{extract_from_deb, DEB as BUSYBOX_DEB};

/// How the payload (the cpio archive of files) is compressed: the
/// `%_binary_payload` rpmbuild is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpmPayload {
    /// `w9.gzdio`.
    Gzip,
    /// `w2.xzdio`.
    Xz,
    /// `w19.zstdio` (the default of Fedora and Azure Linux).
    Zstd,
    /// `w.ufdio`: not compressed.
    None,
}

impl RpmPayload {
    /// The `%_binary_payload` value.
    pub fn io_flags(self) -> &'static str {
        match self {
            RpmPayload::Gzip => "w9.gzdio",
            RpmPayload::Xz => "w2.xzdio",
            RpmPayload::Zstd => "w19.zstdio",
            RpmPayload::None => "w.ufdio",
        }
    }
}

/// What a path in a package is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpmEntryKind {
    /// A regular file with this content.
    File(Vec<u8>),
    /// A directory owned by the package (`%dir`).
    Dir,
    /// A symbolic link to this target.
    Symlink(String),
    /// Another name of the regular file at this earlier path (same inode).
    Hardlink(String),
    /// A file the package owns but does not ship (`%ghost`).
    Ghost,
    /// A directory the package owns but does not ship (`%ghost %dir`).
    GhostDir,
}

/// One path of a package and how `%files` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmEntry {
    /// Absolute path (`/usr/bin/x`).
    pub path: String,
    /// What it is.
    pub kind: RpmEntryKind,
    /// Permission bits for `%attr` (ignored for symlinks).
    pub mode: u32,
    /// Owner name for `%attr`; need not exist on the build host.
    pub user: String,
    /// Group name for `%attr`; need not exist on the build host.
    pub group: String,
    /// Listed as `%config(noreplace)`.
    pub config: bool,
    /// File capabilities for `%caps(...)`, e.g. `cap_net_bind_service=ep`.
    pub caps: Option<String>,
}

/// A scriptlet: `%pre`, `%post -p <lua>`, ….
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmScript {
    /// `pre`, `post`, `preun`, `postun`, `pretrans` or `posttrans`.
    pub when: String,
    /// Run by rpm's embedded Lua (`-p <lua>`) instead of `/bin/sh`.
    pub lua: bool,
    /// The body, taken literally.
    pub body: String,
}

/// A binary package to build. Text fields are taken literally: `%` is
/// escaped before the `.spec` is written, so no macro is expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmSpec {
    /// `Name`.
    pub name: String,
    /// `Version`.
    pub version: String,
    /// `Release`.
    pub release: String,
    /// `x86_64`, `aarch64` or `noarch` (`--target` or `BuildArch`).
    pub arch: String,
    /// `Epoch`, omitted when `None`.
    pub epoch: Option<u32>,
    /// `Summary` (also the description).
    pub summary: String,
    /// `License`.
    pub license: String,
    /// `Vendor`, omitted when `None`.
    pub vendor: Option<String>,
    /// `URL`, omitted when `None`.
    pub url: Option<String>,
    /// The source package's name (`SOURCERPM` is `<this>-V-R.src.rpm`);
    /// the package's own name when `None`.
    pub source_name: Option<String>,
    /// Dependency tags in order: (`Requires`, `foo >= 1.0`),
    /// (`Requires(pre)`, `/bin/sh`), (`Provides`, …), ….
    pub deps: Vec<(String, String)>,
    /// The paths, in order.
    pub entries: Vec<RpmEntry>,
    /// The scriptlets.
    pub scripts: Vec<RpmScript>,
    /// `SOURCE_DATE_EPOCH`: the build time and every file's mtime.
    pub buildtime: u64,
    /// Payload compression.
    pub payload: RpmPayload,
}

const SCRIPTLETS: &[&str] = &["pre", "post", "preun", "postun", "pretrans", "posttrans"];

impl RpmSpec {
    /// A package with no dependencies and no files, built at 2023-11-14
    /// with a zstd payload.
    pub fn new(name: &str, version: &str, release: &str, arch: &str) -> RpmSpec {
        RpmSpec {
            name: name.into(),
            version: version.into(),
            release: release.into(),
            arch: arch.into(),
            epoch: None,
            summary: format!("test package {name}"),
            license: "MIT".into(),
            vendor: None,
            url: None,
            source_name: None,
            deps: Vec::new(),
            entries: Vec::new(),
            scripts: Vec::new(),
            buildtime: 1_700_000_000,
            payload: RpmPayload::Zstd,
        }
    }

    /// Set `Epoch`.
    #[must_use]
    pub fn epoch(mut self, epoch: u32) -> RpmSpec {
        self.epoch = Some(epoch);
        self
    }

    /// Set `Summary`.
    #[must_use]
    pub fn summary(mut self, text: &str) -> RpmSpec {
        self.summary = text.into();
        self
    }

    /// Set `License`.
    #[must_use]
    pub fn license(mut self, license: &str) -> RpmSpec {
        self.license = license.into();
        self
    }

    /// Set `Vendor`.
    #[must_use]
    pub fn vendor(mut self, vendor: &str) -> RpmSpec {
        self.vendor = Some(vendor.into());
        self
    }

    /// Set `URL`.
    #[must_use]
    pub fn url(mut self, url: &str) -> RpmSpec {
        self.url = Some(url.into());
        self
    }

    /// Name the source package (the package is then built as a
    /// subpackage, `%package -n <name>`).
    #[must_use]
    pub fn source_rpm_name(mut self, name: &str) -> RpmSpec {
        self.source_name = Some(name.into());
        self
    }

    /// Set the build time (`SOURCE_DATE_EPOCH`, seconds).
    #[must_use]
    pub fn buildtime(mut self, secs: u64) -> RpmSpec {
        self.buildtime = secs;
        self
    }

    /// Set the payload compression.
    #[must_use]
    pub fn payload(mut self, payload: RpmPayload) -> RpmSpec {
        self.payload = payload;
        self
    }

    /// Add a dependency line `tag: value`, e.g. (`Suggests`, `foo`).
    #[must_use]
    pub fn dep(mut self, tag: &str, value: &str) -> RpmSpec {
        self.deps.push((tag.into(), value.into()));
        self
    }

    /// Add `Requires: value` (`foo >= 1.0`, `(a or b)`, `/bin/sh`).
    #[must_use]
    pub fn requires(self, value: &str) -> RpmSpec {
        self.dep("Requires", value)
    }

    /// Add `Requires(pre): value`.
    #[must_use]
    pub fn requires_pre(self, value: &str) -> RpmSpec {
        self.dep("Requires(pre)", value)
    }

    /// Add `Provides: value`.
    #[must_use]
    pub fn provides(self, value: &str) -> RpmSpec {
        self.dep("Provides", value)
    }

    /// Add `Conflicts: value`.
    #[must_use]
    pub fn conflicts(self, value: &str) -> RpmSpec {
        self.dep("Conflicts", value)
    }

    /// Add `Obsoletes: value`.
    #[must_use]
    pub fn obsoletes(self, value: &str) -> RpmSpec {
        self.dep("Obsoletes", value)
    }

    /// Add `Recommends: value`.
    #[must_use]
    pub fn recommends(self, value: &str) -> RpmSpec {
        self.dep("Recommends", value)
    }

    fn push(mut self, path: &str, kind: RpmEntryKind, mode: u32) -> RpmSpec {
        assert!(path.starts_with('/'), "RPM paths are absolute: {path}");
        self.entries.push(RpmEntry {
            path: path.into(),
            kind,
            mode,
            user: "root".into(),
            group: "root".into(),
            config: false,
            caps: None,
        });
        self
    }

    /// Add a regular file owned by root.
    #[must_use]
    pub fn file(self, path: &str, content: &[u8], mode: u32) -> RpmSpec {
        self.push(path, RpmEntryKind::File(content.to_vec()), mode)
    }

    /// Add a regular file owned by `user:group` (any names).
    #[must_use]
    pub fn file_owned(
        self,
        path: &str,
        content: &[u8],
        mode: u32,
        user: &str,
        group: &str,
    ) -> RpmSpec {
        let mut s = self.file(path, content, mode);
        let e = s.entries.last_mut().unwrap();
        e.user = user.into();
        e.group = group.into();
        s
    }

    /// Add a `%config(noreplace)` file, mode 0644.
    #[must_use]
    pub fn config(self, path: &str, content: &[u8]) -> RpmSpec {
        let mut s = self.file(path, content, 0o644);
        s.entries.last_mut().unwrap().config = true;
        s
    }

    /// Add an owned directory (`%dir`).
    #[must_use]
    pub fn dir(self, path: &str, mode: u32) -> RpmSpec {
        self.push(path, RpmEntryKind::Dir, mode)
    }

    /// Add a symbolic link `path -> target`.
    #[must_use]
    pub fn symlink(self, path: &str, target: &str) -> RpmSpec {
        self.push(path, RpmEntryKind::Symlink(target.into()), 0o777)
    }

    /// Add one regular file under several names (one inode, a hard link
    /// set: `rpm -qlv` shows a link count of `paths.len()`).
    #[must_use]
    pub fn hardlinks(self, paths: &[&str], content: &[u8], mode: u32) -> RpmSpec {
        let (first, rest) = paths.split_first().expect("hardlinks needs a path");
        let mut s = self.file(first, content, mode);
        for p in rest {
            s = s.push(p, RpmEntryKind::Hardlink((*first).into()), mode);
        }
        s
    }

    /// Add a `%ghost` file (owned, not shipped).
    #[must_use]
    pub fn ghost(self, path: &str, mode: u32) -> RpmSpec {
        self.push(path, RpmEntryKind::Ghost, mode)
    }

    /// Add a `%ghost %dir` directory (owned, not shipped).
    #[must_use]
    pub fn ghost_dir(self, path: &str, mode: u32) -> RpmSpec {
        self.push(path, RpmEntryKind::GhostDir, mode)
    }

    /// Give the last entry at `path` file capabilities (`%caps(caps)`).
    #[must_use]
    pub fn caps(mut self, path: &str, caps: &str) -> RpmSpec {
        let e = self
            .entries
            .iter_mut()
            .rev()
            .find(|e| e.path == path)
            .unwrap_or_else(|| panic!("caps: no entry {path}"));
        e.caps = Some(caps.into());
        self
    }

    /// Add a shell scriptlet; `when` is `pre`, `post`, `preun`, `postun`,
    /// `pretrans` or `posttrans`.
    #[must_use]
    pub fn script(self, when: &str, body: &str) -> RpmSpec {
        self.scriptlet(when, false, body)
    }

    /// Add a Lua scriptlet (`%post -p <lua>`).
    #[must_use]
    pub fn script_lua(self, when: &str, body: &str) -> RpmSpec {
        self.scriptlet(when, true, body)
    }

    fn scriptlet(mut self, when: &str, lua: bool, body: &str) -> RpmSpec {
        assert!(SCRIPTLETS.contains(&when), "no scriptlet %{when}");
        self.scripts.push(RpmScript {
            when: when.into(),
            lua,
            body: body.into(),
        });
        self
    }

    /// `N-V-R.A` (the epoch is not part of file names).
    pub fn nvra(&self) -> String {
        format!(
            "{}-{}-{}.{}",
            self.name, self.version, self.release, self.arch
        )
    }

    /// The file name rpmbuild writes: `N-V-R.A.rpm`.
    pub fn file_name(&self) -> String {
        format!("{}.rpm", self.nvra())
    }

    /// `[E:]V-R`, as an `=` dependency on this package spells it.
    pub fn evr(&self) -> String {
        let e = self.epoch.map(|e| format!("{e}:")).unwrap_or_default();
        format!("{e}{}-{}", self.version, self.release)
    }

    /// The `.spec` text; `%install` copies the tree at `stage` (made by
    /// [`build_rpm`]) into the build root.
    pub fn spec_text(&self, stage: &Path) -> String {
        let sub = self.source_name.as_ref().filter(|s| **s != self.name);
        let n = if sub.is_some() {
            format!(" -n {}", esc(&self.name))
        } else {
            String::new()
        };
        let mut s = String::new();
        let mut line = |k: &str, v: &str| s.push_str(&format!("{k}: {}\n", esc(v)));
        line("Name", sub.unwrap_or(&self.name));
        line("Version", &self.version);
        line("Release", &self.release);
        if let Some(e) = self.epoch {
            line("Epoch", &e.to_string());
        }
        line("Summary", &self.summary);
        line("License", &self.license);
        if let Some(v) = &self.vendor {
            line("Vendor", v);
        }
        if let Some(u) = &self.url {
            line("URL", u);
        }
        // The binary package's own tags, in the main preamble or in a
        // subpackage section; each section ends with its %description.
        let summary = esc(&self.summary);
        if sub.is_some() {
            s.push_str(&format!(
                "\n%description\n{summary}\n\n%package{n}\nSummary: {summary}\n"
            ));
        }
        if self.arch == "noarch" {
            s.push_str("BuildArch: noarch\n");
        }
        for (tag, value) in &self.deps {
            s.push_str(&format!("{tag}: {}\n", esc(value)));
        }
        s.push_str(&format!("\n%description{n}\n{summary}\n"));
        s.push_str(&format!(
            "\n%install\nmkdir -p %{{buildroot}}\ncp -a '{}/.' %{{buildroot}}/\n\n",
            stage.display()
        ));
        for sc in &self.scripts {
            let lua = if sc.lua { " -p <lua>" } else { "" };
            s.push_str(&format!("%{}{n}{lua}\n{}\n\n", sc.when, esc(&sc.body)));
        }
        s.push_str(&format!("%files{n}\n%defattr(-,root,root,-)\n"));
        for e in &self.entries {
            s.push_str(&files_line(e));
            s.push('\n');
        }
        s
    }

    /// Write the shipped paths (files, directories, symlinks, hard links)
    /// under `stage`; modes and owners come from `%attr`, not from here.
    fn write_stage(&self, stage: &Path) {
        fs_err::create_dir_all(stage).unwrap();
        for e in &self.entries {
            let at = stage.join(e.path.trim_start_matches('/'));
            if let Some(parent) = at.parent() {
                fs_err::create_dir_all(parent).unwrap();
            }
            match &e.kind {
                RpmEntryKind::File(content) => fs_err::write(&at, content).unwrap(),
                RpmEntryKind::Dir => fs_err::create_dir_all(&at).unwrap(),
                RpmEntryKind::Symlink(target) => {
                    fs_err::os::unix::fs::symlink(target, &at).unwrap()
                }
                RpmEntryKind::Hardlink(first) => {
                    fs_err::hard_link(stage.join(first.trim_start_matches('/')), &at).unwrap();
                }
                RpmEntryKind::Ghost | RpmEntryKind::GhostDir => {}
            }
        }
    }
}

/// One `%files` line.
fn files_line(e: &RpmEntry) -> String {
    let attr = format!("%attr({:04o},{},{})", e.mode, esc(&e.user), esc(&e.group));
    let mut s = String::new();
    match e.kind {
        RpmEntryKind::File(_) | RpmEntryKind::Hardlink(_) => {
            if e.config {
                s.push_str("%config(noreplace) ");
            }
            s.push_str(&attr);
        }
        RpmEntryKind::Dir => s.push_str(&format!("%dir {attr}")),
        RpmEntryKind::Symlink(_) => {
            s.push_str(&format!("%attr(-,{},{})", esc(&e.user), esc(&e.group)));
        }
        RpmEntryKind::Ghost => s.push_str(&format!("%ghost {attr}")),
        RpmEntryKind::GhostDir => s.push_str(&format!("%ghost %dir {attr}")),
    }
    if let Some(caps) = &e.caps {
        s.push_str(&format!(" %caps({caps})"));
    }
    let path = esc(&e.path);
    if path.contains(char::is_whitespace) {
        s.push_str(&format!(" \"{path}\""));
    } else {
        s.push_str(&format!(" {path}"));
    }
    s
}

/// Escape `%` so rpm expands no macro in user text.
fn esc(text: &str) -> String {
    text.replace('%', "%%")
}

/// Run `cmd` with stdin closed; panic with its output unless it succeeds.
/// Returns stdout.
fn run(cmd: &mut Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Build `spec` with `rpmbuild -bb` into `out_dir/N-V-R.A.rpm`, sign it
/// with `signing` (header-only v4 signature, `rpmsign --addsign`), and
/// return its path.
///
/// The build happens in a temp `_topdir`: the files are staged there,
/// `%install` copies them into the build root, and no `brp-*` script runs
/// (`__os_install_post` is empty), so binaries are shipped unstripped.
pub fn build_rpm(spec: &RpmSpec, out_dir: &Path, signing: Option<&RpmKey>) -> PathBuf {
    let top = tempfile::tempdir().unwrap();
    let stage = top.path().join("stage");
    spec.write_stage(&stage);
    let spec_path = top.path().join(format!("{}.spec", spec.name));
    fs_err::write(&spec_path, spec.spec_text(&stage)).unwrap();
    fs_err::create_dir_all(out_dir).unwrap();
    fs_err::create_dir_all(top.path().join("tmp")).unwrap();

    let mut cmd = Command::new("rpmbuild");
    cmd.arg("-bb").arg("--nodeps");
    if spec.arch != "noarch" {
        cmd.args(["--target", &spec.arch]);
    }
    let top_s = top.path().display().to_string();
    let defines = [
        ("_topdir", top_s.clone()),
        ("_tmppath", format!("{top_s}/tmp")),
        ("_rpmdir", out_dir.display().to_string()),
        ("_rpmfilename", spec.file_name()),
        ("_build_id_links", "none".into()),
        ("debug_package", "%{nil}".into()),
        ("__os_install_post", "%{nil}".into()),
        ("__arch_install_post", "%{nil}".into()),
        ("_binary_filedigest_algorithm", "8".into()),
        ("_binary_payload", spec.payload.io_flags().into()),
        ("_buildhost", "whittle-test".into()),
        ("use_source_date_epoch_as_buildtime", "1".into()),
        ("clamp_mtime_to_source_date_epoch", "1".into()),
    ];
    for (k, v) in defines {
        cmd.arg("--define").arg(format!("{k} {v}"));
    }
    cmd.arg(&spec_path)
        .env("SOURCE_DATE_EPOCH", spec.buildtime.to_string());
    run(&mut cmd);

    let rpm = out_dir.join(spec.file_name());
    assert!(rpm.is_file(), "rpmbuild wrote no {}", rpm.display());
    if let Some(key) = signing {
        key.sign_rpm(&rpm);
    }
    rpm
}

/// The public-key algorithm of an [`RpmKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpmKeyAlgo {
    /// RSA 3072 (`gpg --quick-gen-key … rsa3072`).
    Rsa3072,
    /// Ed25519 (`gpg --quick-gen-key … ed25519`).
    Ed25519,
}

/// A throw-away OpenPGP signing key in its own temp `GNUPGHOME`, made by
/// `gpg` at test time without a passphrase. A cheap-to-clone handle: the
/// clones share one home (an `Arc`), removed, and its `gpg-agent` stopped,
/// when the last one is dropped.
#[derive(Clone)]
pub struct RpmKey(Arc<KeyHome>);

struct KeyHome {
    home: tempfile::TempDir,
    fingerprint: String,
    algo: RpmKeyAlgo,
}

impl Drop for KeyHome {
    fn drop(&mut self) {
        // The agent gpg started for this home would outlive the test.
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--kill", "gpg-agent"])
            .stdin(Stdio::null())
            .output();
    }
}

impl std::fmt::Debug for RpmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpmKey")
            .field("algo", &self.0.algo)
            .field("fingerprint", &self.0.fingerprint)
            .finish()
    }
}

impl RpmKey {
    /// A new RSA 3072 key.
    pub fn rsa() -> RpmKey {
        RpmKey::generate(RpmKeyAlgo::Rsa3072)
    }

    /// A new Ed25519 key.
    pub fn ed25519() -> RpmKey {
        RpmKey::generate(RpmKeyAlgo::Ed25519)
    }

    /// A new key of `algo`, user id `whittle test RPM key
    /// <rpm-test@example.invalid>`, signing only, no expiry.
    pub fn generate(algo: RpmKeyAlgo) -> RpmKey {
        // Under /tmp: gpg-agent's socket path must stay short.
        let home = tempfile::Builder::new()
            .prefix("whittle-gpg")
            .tempdir_in("/tmp")
            .unwrap();
        let algo_name = match algo {
            RpmKeyAlgo::Rsa3072 => "rsa3072",
            RpmKeyAlgo::Ed25519 => "ed25519",
        };
        run(gpg(home.path())
            .args(["--passphrase", "", "--quick-gen-key"])
            .args([
                "whittle test RPM key <rpm-test@example.invalid>",
                algo_name,
                "sign",
                "never",
            ]));
        let listing = run(gpg(home.path()).args(["--with-colons", "--list-secret-keys"]));
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|l| l.split(':').find(|f| !f.is_empty()))
            .expect("gpg listed no fingerprint")
            .to_string();
        RpmKey(Arc::new(KeyHome {
            home,
            fingerprint,
            algo,
        }))
    }

    /// The algorithm.
    pub fn algo(&self) -> RpmKeyAlgo {
        self.0.algo
    }

    /// The `GNUPGHOME` holding the secret key.
    pub fn home(&self) -> &Path {
        self.0.home.path()
    }

    /// The 40-digit upper-case hex fingerprint.
    pub fn fingerprint(&self) -> &str {
        &self.0.fingerprint
    }

    /// The 16-digit lower-case key id, as `rpm -qi` shows it.
    pub fn key_id(&self) -> String {
        let f = &self.0.fingerprint;
        f[f.len() - 16..].to_ascii_lowercase()
    }

    /// The 8-digit lower-case short key id, as `rpm -Kv` shows it and as
    /// the name of rpm's imported key (`gpg-pubkey-<short id>`).
    pub fn short_key_id(&self) -> String {
        let f = &self.0.fingerprint;
        f[f.len() - 8..].to_ascii_lowercase()
    }

    /// The public key, ASCII-armored (what `rpm --import` and a `gpgkey=`
    /// URL take).
    pub fn armored_public_key(&self) -> String {
        run(gpg(self.home())
            .args(["--armor", "--export"])
            .arg(self.fingerprint()))
    }

    /// Write [`armored_public_key`](Self::armored_public_key) to `path`.
    pub fn write_public_key(&self, path: &Path) {
        fs_err::write(path, self.armored_public_key()).unwrap();
    }

    /// Sign a package in place: `rpmsign --addsign`.
    ///
    /// Debian's rpm sets `%__gpg` to `/usr/bin/gpg2`, which Debian does not
    /// ship; it is pointed at `gpg` here.
    pub fn sign_rpm(&self, rpm: &Path) {
        let gpg_bin = whittle_test_env::host::find_tool("gpg").expect("gpg is not installed");
        let mut cmd = Command::new("rpmsign");
        cmd.arg("--addsign");
        for (k, v) in [
            ("__gpg", gpg_bin.as_os_str()),
            ("_gpg_name", OsStr::new(self.fingerprint())),
            ("_gpg_path", self.home().as_os_str()),
        ] {
            let mut d = OsStr::new(k).to_os_string();
            d.push(" ");
            d.push(v);
            cmd.arg("--define").arg(d);
        }
        run(cmd.arg(rpm));
    }

    /// Write an ASCII-armored detached signature of `file` to `out`
    /// (`gpg --detach-sign --armor`).
    pub fn detach_sign(&self, file: &Path, out: &Path) {
        run(gpg(self.home())
            .args(["--yes", "--local-user"])
            .arg(self.fingerprint())
            .args(["--armor", "--detach-sign", "--output"])
            .arg(out)
            .arg(file));
    }
}

/// `gpg --batch --homedir home`.
fn gpg(home: &Path) -> Command {
    let mut c = Command::new("gpg");
    c.arg("--batch").arg("--homedir").arg(home);
    c
}

/// How `createrepo_c` compresses the metadata (`--general-compress-type`).
/// Debian's createrepo_c 0.17.3 is built without zstd (and zchunk): it
/// answers `Unknown/Unsupported compression type "zstd"`, so there is no
/// zstd variant here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoCompression {
    /// `primary.xml.gz`, …, `primary.sqlite.gz`.
    Gz,
    /// `primary.xml.xz`, …, `primary.sqlite.xz`.
    Xz,
    /// createrepo_c's default: `*.xml.gz` and `*.sqlite.bz2`.
    Default,
}

/// A yum/dnf repository in a temp dir, built with the real tools (see the
/// module docs) and served on 127.0.0.1.
///
/// Layouts: one repository at the root holding every arch
/// ([`new`](Self::new): `<root>/Packages/<first letter>/N-V-R.A.rpm`,
/// `<root>/repodata/`), or one repository per arch
/// ([`new_per_arch`](Self::new_per_arch): `<root>/<arch>/Packages/…` and
/// `<root>/<arch>/repodata/`, noarch packages in each, so that a base URL
/// `…/$basearch` works).
pub struct RpmRepo {
    dir: tempfile::TempDir,
    root: PathBuf,
    arches: Option<Vec<String>>,
    packages: Vec<RpmSpec>,
    key: Option<RpmKey>,
    sign_repomd: bool,
    compression: RepoCompression,
    database: bool,
    server: OnceLock<TestServer>,
}

impl RpmRepo {
    /// An empty, unsigned repository with every arch in one place.
    pub fn new() -> RpmRepo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        fs_err::create_dir_all(&root).unwrap();
        RpmRepo {
            dir,
            root,
            arches: None,
            packages: Vec::new(),
            key: None,
            sign_repomd: false,
            compression: RepoCompression::Default,
            database: true,
            server: OnceLock::new(),
        }
    }

    /// An empty, unsigned repository with one sub-repository per arch in
    /// `arches`; noarch packages go into each.
    pub fn new_per_arch(arches: &[&str]) -> RpmRepo {
        let mut r = RpmRepo::new();
        r.arches = Some(arches.iter().map(ToString::to_string).collect());
        r
    }

    /// Add a package (built at [`publish`](Self::publish)).
    pub fn add(&mut self, spec: RpmSpec) -> &mut Self {
        self.packages.push(spec);
        self
    }

    /// Sign every package with `key`.
    pub fn signed_by(&mut self, key: &RpmKey) -> &mut Self {
        self.key = Some(key.clone());
        self
    }

    /// Also sign `repodata/repomd.xml` (`repomd.xml.asc`, armored and
    /// detached) with the packages' key.
    pub fn sign_repomd(&mut self) -> &mut Self {
        self.sign_repomd = true;
        self
    }

    /// Set the metadata compression.
    pub fn metadata_compression(&mut self, c: RepoCompression) -> &mut Self {
        self.compression = c;
        self
    }

    /// Write no sqlite databases (`--no-database`).
    pub fn no_database(&mut self) -> &mut Self {
        self.database = false;
        self
    }

    /// The specs added so far.
    pub fn packages(&self) -> &[RpmSpec] {
        &self.packages
    }

    /// Build and sign every package, lay them out, run `createrepo_c` on
    /// each repository, sign `repomd.xml` when asked and write the public
    /// key (`<root>/RPM-GPG-KEY-whittle-test`) when signed.
    pub fn publish(&self) {
        assert!(
            !self.sign_repomd || self.key.is_some(),
            "sign_repomd needs signed_by(key)"
        );
        // Build each package once, then link it into every repo holding it.
        let built = self.dir.path().join("built");
        for spec in &self.packages {
            build_rpm(spec, &built, self.key.as_ref());
        }
        for (dir, arch) in self.repo_dirs() {
            for spec in &self.packages {
                if arch.is_some_and(|a| spec.arch != a && spec.arch != "noarch") {
                    continue;
                }
                let to = dir.join(package_location(spec));
                fs_err::create_dir_all(to.parent().unwrap()).unwrap();
                if to.exists() {
                    fs_err::remove_file(&to).unwrap();
                }
                fs_err::hard_link(built.join(spec.file_name()), &to).unwrap();
            }
            self.createrepo(&dir);
        }
        if let Some(key) = &self.key {
            key.write_public_key(&self.key_path());
        }
    }

    /// Each repository's directory, with its arch in the per-arch layout.
    fn repo_dirs(&self) -> Vec<(PathBuf, Option<&str>)> {
        match &self.arches {
            None => vec![(self.root().to_path_buf(), None)],
            Some(arches) => {
                for spec in &self.packages {
                    assert!(
                        spec.arch == "noarch" || arches.contains(&spec.arch),
                        "{} is not for any of the arches {arches:?}",
                        spec.nvra()
                    );
                }
                arches
                    .iter()
                    .map(|a| (self.root().join(a), Some(a.as_str())))
                    .collect()
            }
        }
    }

    /// `createrepo_c` over `dir` (a fresh `repodata/`), then sign it.
    fn createrepo(&self, dir: &Path) {
        let repodata = dir.join("repodata");
        if repodata.exists() {
            fs_err::remove_dir_all(&repodata).unwrap();
        }
        let mut cmd = Command::new("createrepo_c");
        // Fixed timestamps: the metadata is the same bytes every time.
        cmd.args(["--quiet", "--revision", "1700000000"])
            .arg("--set-timestamp-to-revision");
        match self.compression {
            RepoCompression::Gz => cmd.arg("--general-compress-type=gz"),
            RepoCompression::Xz => cmd.arg("--general-compress-type=xz"),
            RepoCompression::Default => &mut cmd,
        };
        if !self.database {
            cmd.arg("--no-database");
        }
        run(cmd.arg(dir));
        if self.sign_repomd {
            let key = self.key.as_ref().unwrap();
            key.detach_sign(
                &repodata.join("repomd.xml"),
                &repodata.join("repomd.xml.asc"),
            );
        }
    }

    /// The served directory (`dir` also holds the build output, which is
    /// not served).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of `arch`'s repository (the root in the one-place
    /// layout, where `arch` is ignored).
    pub fn repo_dir(&self, arch: &str) -> PathBuf {
        match self.arches {
            None => self.root().to_path_buf(),
            Some(_) => self.root().join(arch),
        }
    }

    /// Path of `repomd.xml` for `arch` (see [`repo_dir`](Self::repo_dir)).
    pub fn repomd_path(&self, arch: &str) -> PathBuf {
        self.repo_dir(arch).join("repodata").join("repomd.xml")
    }

    /// Path of the last package added called `name` (in the first arch
    /// repository holding it, in the per-arch layout).
    pub fn rpm_path(&self, name: &str) -> PathBuf {
        let spec = self
            .packages
            .iter()
            .rev()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no package {name}"));
        let arch = match &self.arches {
            Some(arches) if spec.arch == "noarch" => arches[0].as_str(),
            _ => spec.arch.as_str(),
        };
        self.rpm_path_in(arch, name)
    }

    /// Path of the last package called `name` in `arch`'s repository
    /// (noarch packages are in every arch's).
    pub fn rpm_path_in(&self, arch: &str, name: &str) -> PathBuf {
        let spec = self
            .packages
            .iter()
            .rev()
            .find(|p| p.name == name && (p.arch == arch || p.arch == "noarch"))
            .unwrap_or_else(|| panic!("no package {name} for {arch}"));
        self.repo_dir(arch).join(package_location(spec))
    }

    /// The signing key, if packages are signed.
    pub fn key(&self) -> Option<&RpmKey> {
        self.key.as_ref()
    }

    /// Where [`publish`](Self::publish) writes the armored public key:
    /// `<root>/RPM-GPG-KEY-whittle-test` (served, for a `gpgkey=` URL).
    pub fn key_path(&self) -> PathBuf {
        self.root().join("RPM-GPG-KEY-whittle-test")
    }

    /// Serve the root on 127.0.0.1 in a new server.
    pub fn serve(&self) -> TestServer {
        TestServer::serve_dir(self.root())
    }

    /// The URL of the root, served by a server started on the first call
    /// and kept as long as the repository. A per-arch repository's base
    /// URL is `url()/$basearch` (see [`baseurl`](Self::baseurl)).
    pub fn url(&self) -> String {
        self.server.get_or_init(|| self.serve()).url()
    }

    /// The `baseurl=` of the repository: [`url`](Self::url), with
    /// `/$basearch` in the per-arch layout.
    pub fn baseurl(&self) -> String {
        match self.arches {
            None => self.url(),
            Some(_) => format!("{}/$basearch", self.url()),
        }
    }
}

impl Default for RpmRepo {
    fn default() -> Self {
        RpmRepo::new()
    }
}

/// `Packages/<first letter>/N-V-R.A.rpm`, as Fedora and Azure Linux lay
/// packages out.
fn package_location(spec: &RpmSpec) -> PathBuf {
    let letter: String = spec
        .name
        .chars()
        .take(1)
        .flat_map(char::to_lowercase)
        .collect();
    Path::new("Packages").join(letter).join(spec.file_name())
}

/// The Azure Linux 3.0 `os-release`, relative to the fixtures folder.
const OS_RELEASE: &str = "rpm/azurelinux/os-release-azurelinux-3.0";

/// `busybox-1.35.0-1.azl3.x86_64`: Debian's real static busybox (from
/// `busybox-static` in the shared bookworm fixtures) as
/// `/usr/bin/busybox` (0755) with the applet symlinks `/usr/bin/sh`, `ls`,
/// `echo`, `id` and `cat` (-> `busybox`); provides `/bin/sh` (reached
/// through the `/bin -> usr/bin` symlink of [`filesystem_rpm_spec`]).
/// Only for `x86_64` (or `amd64`); `None` for other archs.
pub fn busybox_static_rpm_spec(arch: &str) -> Option<RpmSpec> {
    if arch != "x86_64" && arch != "amd64" {
        return None;
    }
    let binary = extract_from_deb(
        &whittle_test_env::fixtures::path(BUSYBOX_DEB),
        "bin/busybox",
    );
    let mut spec = RpmSpec::new("busybox", "1.35.0", "1.azl3", "x86_64")
        .summary("Statically linked binary providing simplified versions of system commands")
        .license("GPL-2.0-only")
        .provides("/bin/sh")
        .file("/usr/bin/busybox", &binary, 0o755);
    for applet in ["sh", "ls", "echo", "id", "cat"] {
        spec = spec.symlink(&format!("/usr/bin/{applet}"), "busybox");
    }
    Some(spec)
}

/// `azurelinux-release-3.0-24.azl3.noarch`: `/usr/lib/os-release` (the real
/// Azure Linux 3.0 text from the fixtures) and `/etc/os-release ->
/// ../usr/lib/os-release`; provides `system-release` and
/// `system-release(3.0)` as the real package does.
pub fn azurelinux_release_rpm_spec() -> RpmSpec {
    let text = fs_err::read(whittle_test_env::fixtures::path(OS_RELEASE)).unwrap();
    RpmSpec::new("azurelinux-release", "3.0", "24.azl3", "noarch")
        .summary("Azure Linux release files")
        .vendor("Microsoft Corporation")
        .provides("system-release")
        .provides("system-release(3.0)")
        .file("/usr/lib/os-release", &text, 0o644)
        .symlink("/etc/os-release", "../usr/lib/os-release")
}

/// `/etc/passwd` of [`filesystem_rpm_spec`], in the style of Azure Linux's.
pub const FILESYSTEM_PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
bin:x:1:1:bin:/dev/null:/bin/false\n\
daemon:x:6:6:Daemon User:/dev/null:/bin/false\n\
nobody:x:65534:65534:Unprivileged User:/dev/null:/bin/false\n";

/// `/etc/group` of [`filesystem_rpm_spec`].
pub const FILESYSTEM_GROUP: &str = "root:x:0:\nbin:x:1:daemon\ndaemon:x:6:\nnogroup:x:65534:\n";

/// `filesystem-1.1-20.azl3.noarch`, like Azure Linux's `filesystem`: the
/// directories `/etc /usr /usr/bin /usr/lib /usr/lib64 /usr/sbin /var
/// /var/lib /home` (0755), `/tmp` (1777) and `/root` (0550); `/proc` and
/// `/sys` as `%ghost` directories (0555); the merged-/usr symlinks `/bin ->
/// usr/bin`, `/lib -> usr/lib`, `/lib64 -> usr/lib64`, `/sbin -> usr/sbin`;
/// `/etc/passwd` and `/etc/group` as `%config(noreplace)` with root, bin,
/// daemon and nobody.
pub fn filesystem_rpm_spec() -> RpmSpec {
    let mut spec = RpmSpec::new("filesystem", "1.1", "20.azl3", "noarch")
        .summary("The basic directory layout for a Linux system")
        .license("GPL-3.0-only");
    for d in [
        "/etc",
        "/home",
        "/usr",
        "/usr/bin",
        "/usr/lib",
        "/usr/lib64",
        "/usr/sbin",
        "/var",
        "/var/lib",
    ] {
        spec = spec.dir(d, 0o755);
    }
    spec = spec.dir("/tmp", 0o1777).dir("/root", 0o550);
    for d in ["/proc", "/sys"] {
        spec = spec.ghost_dir(d, 0o555);
    }
    for (link, target) in [
        ("/bin", "usr/bin"),
        ("/lib", "usr/lib"),
        ("/lib64", "usr/lib64"),
        ("/sbin", "usr/sbin"),
    ] {
        spec = spec.symlink(link, target);
    }
    spec.config("/etc/passwd", FILESYSTEM_PASSWD.as_bytes())
        .config("/etc/group", FILESYSTEM_GROUP.as_bytes())
}

/// `tzdata-2024a-1.azl3.noarch` shipping `/usr/share/zoneinfo/UTC`, the
/// content of the host's `/usr/share/zoneinfo/UTC`.
pub fn tzdata_rpm_spec() -> RpmSpec {
    let utc = fs_err::read("/usr/share/zoneinfo/UTC").unwrap();
    RpmSpec::new("tzdata", "2024a", "1.azl3", "noarch")
        .summary("Timezone data")
        .license("LicenseRef-Fedora-Public-Domain")
        .file("/usr/share/zoneinfo/UTC", &utc, 0o644)
}

/// Azure Linux 3.0's empty meta packages `distroless-packages-minimal` and
/// `distroless-packages-base` (`3.0-5.azl3`, source
/// `distroless-packages`), with the `Requires` of the real spec that name
/// packages of this module: minimal requires `filesystem`,
/// `azurelinux-release`, `tzdata`; base requires `distroless-packages-minimal
/// = 3.0-5.azl3` and the same three. (The real base also requires
/// glibc-iconv, iana-etc, libgcc, openssl, openssl-libs, SymCrypt and
/// SymCrypt-OpenSSL.) Built noarch here; the real ones are per arch.
pub fn distroless_packages_rpm_specs() -> Vec<RpmSpec> {
    let meta = |name: &str| {
        RpmSpec::new(name, "3.0", "5.azl3", "noarch")
            .source_rpm_name("distroless-packages")
            .summary("Metapackage for distroless container images")
            .vendor("Microsoft Corporation")
    };
    let minimal = meta("distroless-packages-minimal")
        .requires("filesystem")
        .requires("azurelinux-release")
        .requires("tzdata");
    let base = meta("distroless-packages-base")
        .requires(&format!("distroless-packages-minimal = {}", minimal.evr()))
        .requires("filesystem")
        .requires("azurelinux-release")
        .requires("tzdata");
    vec![minimal, base]
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use sha2::{Digest, Sha256};

    use super::*;

    /// Whether every host tool these tests run is there (skips loudly if not).
    fn have_tools() -> bool {
        [
            "rpmbuild",
            "rpmsign",
            "createrepo_c",
            "gpg",
            "gpgconf",
            "rpm",
        ]
        .iter()
        .all(|t| whittle_test_env::host::require_tool(t))
    }

    /// `rpm -qp <args> <file>`.
    fn rpm_qp(args: &[&str], file: &Path) -> String {
        run(Command::new("rpm").arg("-qp").args(args).arg(file))
    }

    /// `rpm -Kv` against a fresh rpmdb holding only `key` (or no key).
    fn rpm_kv(key: Option<&RpmKey>, file: &Path) -> String {
        let db = tempfile::tempdir().unwrap();
        if let Some(key) = key {
            let asc = db.path().join("key.asc");
            key.write_public_key(&asc);
            run(Command::new("rpm")
                .arg("--dbpath")
                .arg(db.path())
                .arg("--import")
                .arg(&asc));
        }
        // Exit status 1 on NOKEY: read the text rather than the status.
        let out = Command::new("rpm")
            .arg("--dbpath")
            .arg(db.path())
            .arg("-Kv")
            .arg(file)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// GET `url` (`http://127.0.0.1:PORT/path`) from a [`TestServer`].
    fn http_get(url: &str) -> Vec<u8> {
        let rest = url.strip_prefix("http://").unwrap();
        let (addr, path) = rest.split_at(rest.find('/').unwrap());
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).unwrap();
        let split = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        assert!(resp.starts_with(b"HTTP/1.1 200"), "GET {url}");
        resp[split + 4..].to_vec()
    }

    /// The text of the metadata file of `kind` (`primary`, …) in `dir`.
    fn metadata(repodata: &Path, kind: &str) -> String {
        let repomd = fs_err::read_to_string(repodata.join("repomd.xml")).unwrap();
        let at = repomd.find(&format!("<data type=\"{kind}\">")).unwrap();
        let href = &repomd[at..];
        let href = &href[href.find("href=\"").unwrap() + 6..];
        let href = &href[..href.find('"').unwrap()];
        let raw = fs_err::read(repodata.parent().unwrap().join(href)).unwrap();
        let mut text = String::new();
        if href.ends_with(".xz") {
            liblzma::read::XzDecoder::new(&raw[..])
                .read_to_string(&mut text)
                .unwrap();
        } else {
            assert!(href.ends_with(".gz"), "{href}");
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_string(&mut text)
                .unwrap();
        }
        text
    }

    fn hello_spec() -> RpmSpec {
        RpmSpec::new("hello", "1.2", "3.azl3", "x86_64")
            .epoch(2)
            .vendor("whittle")
            .source_rpm_name("hello-src")
            .payload(RpmPayload::Gzip)
            .requires("filesystem >= 1.0")
            .requires("(busybox or coreutils)")
            .requires("/bin/sh")
            .requires_pre("/bin/sh")
            .provides("greeting = 1.2")
            .conflicts("goodbye < 1.0")
            .obsoletes("hello-old")
            .recommends("tzdata")
            .file("/usr/bin/hello", b"#!/bin/sh\necho hello\n", 0o755)
            .caps("/usr/bin/hello", "cap_net_bind_service=ep")
            .file_owned("/var/lib/hello/state", b"s", 0o640, "nobody", "nogroup")
            .file_owned("/var/lib/hello/custom", b"c", 0o600, "hellod", "hellod")
            .config("/etc/hello.conf", b"greeting=%s\n")
            .ghost("/var/log/hello.log", 0o644)
            .script("post", "echo 100% done >/dev/null\n")
            .script_lua("posttrans", "print('done')\n")
    }

    fn links_spec() -> RpmSpec {
        RpmSpec::new("links", "1.0", "1", "aarch64")
            .payload(RpmPayload::Xz)
            .dir("/usr/share/links", 0o750)
            .hardlinks(&["/usr/bin/a", "/usr/bin/b", "/usr/bin/c"], b"same", 0o755)
    }

    #[test]
    fn signed_repo_checked_by_host_tools() {
        if !have_tools() {
            return;
        }
        let key = RpmKey::rsa();
        let mut repo = RpmRepo::new();
        repo.signed_by(&key)
            .sign_repomd()
            .metadata_compression(RepoCompression::Xz)
            .no_database()
            .add(hello_spec())
            .add(links_spec())
            .add(filesystem_rpm_spec())
            .add(tzdata_rpm_spec().payload(RpmPayload::None));
        repo.publish();

        // The header fields.
        let hello = repo.rpm_path("hello");
        assert!(hello.ends_with("Packages/h/hello-1.2-3.azl3.x86_64.rpm"));
        let qf = "%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{VENDOR}|%{SOURCERPM}|\
                  %{PAYLOADCOMPRESSOR}|%{BUILDTIME}|%{BUILDHOST}";
        assert_eq!(
            rpm_qp(&["--qf", qf], &hello),
            "hello|2|1.2|3.azl3|x86_64|whittle|hello-src-1.2-3.azl3.src.rpm|gzip|1700000000|\
             whittle-test"
        );
        let payload = |name| rpm_qp(&["--qf", "%{PAYLOADCOMPRESSOR}"], &repo.rpm_path(name));
        assert_eq!(payload("links"), "xz");
        assert_eq!(payload("filesystem"), "zstd");
        // An uncompressed payload has no PAYLOADCOMPRESSOR tag at all.
        assert_eq!(payload("tzdata"), "(none)");

        // Dependencies, with Requires(pre) flagged.
        let requires = rpm_qp(
            &["--qf", "[%{REQUIREFLAGS:deptype} %{REQUIRES} %{REQUIREFLAGS:depflags} %{REQUIREVERSION}\n]"],
            &hello,
        );
        for want in [
            "manual filesystem >= 1.0",
            "manual (busybox or coreutils)",
            "manual /bin/sh",
            "pre /bin/sh",
        ] {
            assert!(requires.contains(want), "{want} not in\n{requires}");
        }
        assert!(rpm_qp(&["--provides"], &hello).contains("greeting = 1.2"));
        assert_eq!(rpm_qp(&["--conflicts"], &hello), "goodbye < 1.0\n");
        assert_eq!(rpm_qp(&["--obsoletes"], &hello), "hello-old\n");
        assert_eq!(rpm_qp(&["--recommends"], &hello), "tzdata\n");
        let scripts = rpm_qp(&["--scripts"], &hello);
        assert!(scripts.contains("echo 100% done"), "{scripts}");
        assert!(scripts.contains("posttrans scriptlet (using <lua>):\nprint('done')"));

        // Owners, modes, flags and capabilities.
        let files = rpm_qp(&["-lv"], &hello);
        for want in [
            "-rw-r-----    1 nobody   nogroup                     1 Nov 14  2023 /var/lib/hello/state",
            "-rw-------    1 hellod   hellod                      1 Nov 14  2023 /var/lib/hello/custom",
            "-rwxr-xr-x    1 root     root                       21 Nov 14  2023 /usr/bin/hello",
        ] {
            assert!(files.contains(want), "{want} not in\n{files}");
        }
        let flags = rpm_qp(
            &["--qf", "[%{FILENAMES} %{FILEFLAGS:fflags} %{FILECAPS}\n]"],
            &hello,
        );
        for want in [
            "/etc/hello.conf cn \n",
            "/var/log/hello.log g \n",
            "/usr/bin/hello  cap_net_bind_service=ep\n",
        ] {
            assert!(flags.contains(want), "{want} not in\n{flags}");
        }

        // One inode under three names.
        let links = repo.rpm_path("links");
        let inodes = rpm_qp(
            &["--qf", "[%{FILENAMES} %{FILENLINKS} %{FILEINODES}\n]"],
            &links,
        );
        let mut lines = inodes.lines().filter(|l| l.starts_with("/usr/bin/"));
        let first = lines.next().unwrap().split_once(' ').unwrap().1.to_string();
        assert!(first.starts_with("3 "), "{inodes}");
        assert!(lines.all(|l| l.ends_with(&first)), "{inodes}");
        assert!(rpm_qp(&["-lv"], &links).contains("drwxr-x---    2 root     root"));

        // Header-only RSA v4 signatures (RSAHEADER, tag 268), nothing else.
        let sigs = rpm_qp(
            &[
                "--qf",
                "%{RSAHEADER:pgpsig}|%{DSAHEADER:pgpsig}|%{SIGPGP:pgpsig}|%{SIGGPG:pgpsig}",
            ],
            &hello,
        );
        assert!(sigs.starts_with("RSA/SHA"), "{sigs}");
        assert!(sigs.ends_with(&format!("Key ID {}|(none)|(none)|(none)", key.key_id())));
        for spec in repo.packages() {
            let path = repo.rpm_path(&spec.name);
            // Each package is built for its own arch (BuildArch, --target).
            assert_eq!(rpm_qp(&["--qf", "%{ARCH}"], &path), spec.arch);
            let ok = rpm_kv(Some(&key), &path);
            let line = format!(
                "Header V4 RSA/SHA512 Signature, key ID {}: OK",
                key.short_key_id()
            );
            assert!(ok.contains(&line), "{ok}");
            assert!(rpm_kv(None, &path).contains("NOKEY"));
        }

        // The metadata: xz, no databases, every package in primary.
        let repodata = repo.root().join("repodata");
        let repomd = fs_err::read_to_string(repodata.join("repomd.xml")).unwrap();
        assert!(!repomd.contains("_db"), "{repomd}");
        let primary = metadata(&repodata, "primary");
        for want in [
            "packages=\"4\">",
            "<location href=\"Packages/l/links-1.0-1.aarch64.rpm\"/>",
            "<version epoch=\"2\" ver=\"1.2\" rel=\"3.azl3\"/>",
            "<rpm:entry name=\"(busybox or coreutils)\"/>",
            "<rpm:entry name=\"/bin/sh\" pre=\"1\"/>",
        ] {
            assert!(primary.contains(want), "{want} not in\n{primary}");
        }

        // repomd.xml.asc verifies with only the public key.
        let verify_home = tempfile::tempdir().unwrap();
        run(gpg(verify_home.path()).arg("--import").arg(repo.key_path()));
        run(gpg(verify_home.path())
            .arg("--verify")
            .arg(repodata.join("repomd.xml.asc"))
            .arg(repodata.join("repomd.xml")));

        // Served.
        let url = format!("{}/repodata/repomd.xml", repo.url());
        assert_eq!(http_get(&url), repomd.as_bytes());
        assert_eq!(
            http_get(&format!("{}/RPM-GPG-KEY-whittle-test", repo.baseurl())),
            key.armored_public_key().as_bytes()
        );
    }

    #[test]
    fn ed25519_signature_is_a_dsaheader() {
        if !have_tools() {
            return;
        }
        let key = RpmKey::ed25519();
        let out = tempfile::tempdir().unwrap();
        let rpm = build_rpm(&links_spec(), out.path(), Some(&key));
        let sigs = rpm_qp(&["--qf", "%{RSAHEADER:pgpsig}|%{DSAHEADER:pgpsig}"], &rpm);
        assert!(sigs.starts_with("(none)|EdDSA/SHA256, "), "{sigs}");
        let ok = rpm_kv(Some(&key), &rpm);
        let line = format!(
            "Header V4 EdDSA/SHA256 Signature, key ID {}: OK",
            key.short_key_id()
        );
        assert!(ok.contains(&line), "{ok}");
        assert!(!ok.contains("NOT OK"), "{ok}");
    }

    #[test]
    fn unsigned_builds_are_reproducible() {
        if !have_tools() {
            return;
        }
        for spec in [hello_spec(), links_spec(), filesystem_rpm_spec()] {
            let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            let one = fs_err::read(build_rpm(&spec, a.path(), None)).unwrap();
            let two = fs_err::read(build_rpm(&spec, b.path(), None)).unwrap();
            assert!(one == two, "{} differs between two builds", spec.nvra());
        }
    }

    #[test]
    fn per_arch_repo_of_azure_linux_like_packages() {
        if !have_tools() {
            return;
        }
        let key = RpmKey::ed25519();
        let mut repo = RpmRepo::new_per_arch(&["x86_64", "aarch64"]);
        repo.signed_by(&key)
            .metadata_compression(RepoCompression::Gz)
            .add(busybox_static_rpm_spec("x86_64").unwrap())
            .add(filesystem_rpm_spec())
            .add(azurelinux_release_rpm_spec())
            .add(tzdata_rpm_spec());
        for spec in distroless_packages_rpm_specs() {
            repo.add(spec);
        }
        repo.publish();

        // noarch in both arches, busybox only in x86_64; sqlite.gz written.
        let names = |arch: &str| {
            let primary = metadata(&repo.repo_dir(arch).join("repodata"), "primary");
            primary
                .split("<name>")
                .skip(1)
                .map(|s| s[..s.find('<').unwrap()].to_string())
                .collect::<Vec<_>>()
        };
        let mut x86 = names("x86_64");
        x86.sort();
        assert_eq!(
            x86,
            [
                "azurelinux-release",
                "busybox",
                "distroless-packages-base",
                "distroless-packages-minimal",
                "filesystem",
                "tzdata"
            ]
        );
        assert!(!names("aarch64").contains(&"busybox".to_string()));
        let repomd = fs_err::read_to_string(repo.repomd_path("aarch64")).unwrap();
        assert!(repomd.contains("primary.sqlite.gz"), "{repomd}");

        // filesystem: modes, ghosts, config files, symlinks.
        let fsys = repo.rpm_path_in("aarch64", "filesystem");
        let listing = rpm_qp(&["-lv"], &fsys);
        for want in [
            "drwxrwxrwt    2 root     root                        0 Nov 14  2023 /tmp",
            "dr-xr-x---    2 root     root                        0 Nov 14  2023 /root",
            "lrwxrwxrwx    1 root     root                        7 Nov 14  2023 /bin -> usr/bin",
        ] {
            assert!(listing.contains(want), "{want} not in\n{listing}");
        }
        let flags = rpm_qp(&["--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]"], &fsys);
        for want in [
            "/proc g\n",
            "/sys g\n",
            "/etc/passwd cn\n",
            "/etc/group cn\n",
        ] {
            assert!(flags.contains(want), "{want} not in\n{flags}");
        }

        // File contents, by digest.
        let digests = |path: &Path| rpm_qp(&["--qf", "[%{FILENAMES} %{FILEDIGESTS}\n]"], path);
        let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
        let os_release = fs_err::read(whittle_test_env::fixtures::path(OS_RELEASE)).unwrap();
        let release = digests(&repo.rpm_path("azurelinux-release"));
        assert!(release.contains(&format!("/usr/lib/os-release {}", sha(&os_release))));
        assert!(rpm_qp(&["-lv"], &repo.rpm_path("azurelinux-release"))
            .contains("/etc/os-release -> ../usr/lib/os-release"));
        let busybox = repo.rpm_path("busybox");
        let binary = extract_from_deb(
            &whittle_test_env::fixtures::path(BUSYBOX_DEB),
            "bin/busybox",
        );
        assert!(digests(&busybox).contains(&format!("/usr/bin/busybox {}", sha(&binary))));
        let provides = rpm_qp(&["--provides"], &busybox);
        assert!(provides.contains("/bin/sh\n"), "{provides}");
        let listing = rpm_qp(&["-lv"], &busybox);
        assert!(listing.contains("/usr/bin/sh -> busybox"), "{listing}");

        // The meta packages.
        let base = repo.rpm_path("distroless-packages-base");
        assert_eq!(rpm_qp(&["--qf", "%{ARCH}"], &base), "noarch");
        assert_eq!(
            rpm_qp(&["--qf", "%{SOURCERPM}|%{FILENAMES}"], &base),
            "distroless-packages-3.0-5.azl3.src.rpm|(none)"
        );
        let requires = rpm_qp(&["--requires"], &base);
        assert!(
            requires.contains("distroless-packages-minimal = 3.0-5.azl3\n"),
            "{requires}"
        );

        // Signed with the Ed25519 key; served per arch.
        assert!(rpm_kv(Some(&key), &busybox).contains("EdDSA/SHA256 Signature"));
        assert!(repo.baseurl().ends_with("/$basearch"));
        let url = format!("{}/aarch64/repodata/repomd.xml", repo.url());
        assert_eq!(http_get(&url), repomd.as_bytes());
    }
}
