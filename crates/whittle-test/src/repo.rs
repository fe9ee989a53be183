//! A signed Debian repository in a temp dir: pool, Packages.xz,
//! Contents-ARCH.gz, Release, InRelease (clearsigned with a throw-away key), served on 127.0.0.1.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use whittle_net::TestServer;
use whittle_sig::testkey::{
    armored_public_key, clearsign, detached_sign, generate_test_key, SecretKeyBlob,
};

use crate::deb::{build_deb, gzip, xz, DebEntry, DebSpec};

/// A repository of one suite and component.
pub struct DebRepo {
    dir: tempfile::TempDir,
    key: SecretKeyBlob,
    suite: String,
    packages: Vec<DebSpec>,
    detached: bool,
    valid_until: Option<String>,
}

impl DebRepo {
    /// An empty repository for `suite` (component `main`, arch amd64).
    pub fn new(suite: &str) -> DebRepo {
        let (key, _) = generate_test_key("whittle test archive <test@example.invalid>");
        DebRepo {
            dir: tempfile::tempdir().unwrap(),
            key,
            suite: suite.into(),
            packages: Vec::new(),
            detached: false,
            valid_until: None,
        }
    }

    /// Add a package (written at [`publish`](Self::publish)).
    pub fn add(&mut self, spec: DebSpec) -> &mut Self {
        self.packages.push(spec);
        self
    }

    /// The directory served (holding `dists/` and `pool/`).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Write the public key as a binary keyring; returns its path.
    pub fn keyring_path(&self) -> PathBuf {
        let p = self.dir.path().join("archive-keyring.gpg");
        fs_err::write(&p, self.key.public_key_bytes()).unwrap();
        p
    }

    /// The public key, ASCII-armored (as chisel.yaml embeds keys).
    pub fn armored_key(&self) -> String {
        armored_public_key(&self.key)
    }

    /// The key's 16-digit id (the fingerprint's last 16 hex digits).
    pub fn key_id(&self) -> String {
        let f = self.key.fingerprint();
        f[f.len().saturating_sub(16)..].to_string()
    }

    /// Path of a package's .deb in the pool.
    pub fn deb_path(&self, name: &str) -> PathBuf {
        let spec = self.packages.iter().find(|p| p.name == name).unwrap();
        self.dir.path().join(pool_name(spec))
    }

    /// Path of the suite's files (`dists/SUITE`).
    pub fn dist(&self) -> PathBuf {
        self.dir.path().join("dists").join(&self.suite)
    }

    /// Write `Valid-Until: DATE` into Release.
    pub fn valid_until(&mut self, date: &str) -> &mut Self {
        self.valid_until = Some(date.to_string());
        self
    }

    /// Sign with `Release` + `Release.gpg` (detached) instead of `InRelease`.
    pub fn detached(&mut self) -> &mut Self {
        self.detached = true;
        self
    }

    /// Write every file: .debs, per-architecture Packages(.xz), Release and
    /// InRelease (or Release.gpg).
    pub fn publish(&self) {
        let mut archs: Vec<&str> = self
            .packages
            .iter()
            .map(|p| p.arch.as_str())
            .filter(|a| *a != "all")
            .collect();
        archs.sort_unstable();
        archs.dedup();
        if archs.is_empty() {
            archs.push("amd64");
        }
        let dist = self.dist();
        let mut sums = String::new();
        for arch in &archs {
            for (name, data) in self.publish_arch(arch) {
                sums.push_str(&format!(
                    " {} {:>16} {name}\n",
                    hex::encode(Sha256::digest(&data)),
                    data.len()
                ));
            }
        }
        let valid = self
            .valid_until
            .as_ref()
            .map(|v| format!("Valid-Until: {v}\n"))
            .unwrap_or_default();
        let release = format!(
            "Origin: Test\nLabel: Test\nSuite: {s}\nCodename: {s}\nDate: Tue, 14 Nov 2023 22:13:20 UTC\n{valid}Architectures: {}\nComponents: main\nSHA256:\n{sums}",
            archs.join(" "),
            s = self.suite
        );
        fs_err::write(dist.join("Release"), release.as_bytes()).unwrap();
        if self.detached {
            fs_err::write(
                dist.join("Release.gpg"),
                detached_sign(release.as_bytes(), &self.key),
            )
            .unwrap();
        } else {
            fs_err::write(
                dist.join("InRelease"),
                clearsign(release.as_bytes(), &self.key),
            )
            .unwrap();
        }
    }

    /// Write one architecture's pool files and index; returns the index
    /// files (path under dists/SUITE, bytes) for Release.
    fn publish_arch(&self, arch: &str) -> Vec<(String, Vec<u8>)> {
        let mut packages = String::new();
        for spec in self
            .packages
            .iter()
            .filter(|p| p.arch == arch || p.arch == "all")
        {
            let deb = build_deb(spec);
            let rel = pool_name(spec);
            let path = self.dir.path().join(&rel);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, &deb).unwrap();
            let control = spec.control();
            let control = control.trim_end_matches('\n');
            packages.push_str(control);
            packages.push_str(&format!(
                "\nFilename: {rel}\nSize: {}\nSHA256: {}\n\n",
                deb.len(),
                hex::encode(Sha256::digest(&deb))
            ));
        }
        let bin = self.dist().join(format!("main/binary-{arch}"));
        fs_err::create_dir_all(&bin).unwrap();
        let xz_bytes = xz(packages.as_bytes());
        fs_err::write(bin.join("Packages"), packages.as_bytes()).unwrap();
        fs_err::write(bin.join("Packages.xz"), &xz_bytes).unwrap();
        let contents = gzip(self.contents(arch).as_bytes());
        fs_err::write(
            self.dist().join(format!("main/Contents-{arch}.gz")),
            &contents,
        )
        .unwrap();
        vec![
            (
                format!("main/binary-{arch}/Packages"),
                packages.into_bytes(),
            ),
            (format!("main/binary-{arch}/Packages.xz"), xz_bytes),
            (format!("main/Contents-{arch}.gz"), contents),
        ]
    }

    /// The `Contents-ARCH` text for `arch` (its packages and `all` ones),
    /// as Debian's archive writes it: one line per path (files and links,
    /// not directories), sorted, the path padded and followed by
    /// comma-separated `section/package` locations.
    pub fn contents(&self, arch: &str) -> String {
        let mut paths: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for spec in self
            .packages
            .iter()
            .filter(|p| p.arch == arch || p.arch == "all")
        {
            let section = spec
                .fields
                .iter()
                .find(|(k, _)| k == "Section")
                .map_or("misc", |(_, v)| v.as_str());
            for e in &spec.entries {
                let path = match e {
                    DebEntry::File(p, ..)
                    | DebEntry::Symlink(p, _)
                    | DebEntry::Hardlink(p, _)
                    | DebEntry::Zeros(p, _) => p,
                    _ => continue,
                };
                let path = path.trim_start_matches("./").trim_start_matches('/');
                paths
                    .entry(path.to_string())
                    .or_default()
                    .push(format!("{section}/{}", spec.name));
            }
        }
        paths
            .into_iter()
            .map(|(path, owners)| format!("{path:<55} {}\n", owners.join(",")))
            .collect()
    }

    /// Serve the repository on 127.0.0.1.
    pub fn serve(&self) -> TestServer {
        TestServer::serve_dir(self.dir.path())
    }
}

fn pool_name(spec: &DebSpec) -> String {
    format!(
        "pool/main/{}/{}_{}_{}.deb",
        &spec.name[..1],
        spec.name,
        spec.version.replace(':', "%3a"),
        spec.arch
    )
}
