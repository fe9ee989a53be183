//! One workload's image: built with the real `whittle` binary, unpacked
//! with umoci into a runc bundle, read through its root file system (with
//! symlinks resolved inside it, never on the host) and run under runc.

use std::net::TcpListener;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{run, stderr, umoci_unpack, whittle};
use whittle_test_env::host::{in_ci, require, require_tool};

/// The uid and gid the recipes run as (the distroless `nonroot`).
pub const NONROOT: (u32, u32) = (65532, 65532);

/// The accounts and architecture every workload recipe shares.
pub const NONROOT_ACCOUNTS: &str = "accounts:\n  groups: [{groupname: nonroot, gid: 65532}]\n  users: [{username: nonroot, uid: 65532, gid: 65532}]\n  run-as: nonroot\narchs: [amd64]\n";

/// A built image: its archive, the build's stderr (the script report) and
/// its unpacked bundle when umoci and runc are there.
pub struct Image {
    /// Keeps the work directory alive.
    _dir: tempfile::TempDir,
    /// The workload's name, for messages and runc container ids.
    pub name: String,
    /// The recipe it was built from.
    pub recipe: PathBuf,
    /// What the build printed on stderr: the per-package script summary.
    pub build_log: String,
    /// The runc bundle (rootfs/ + config.json), when umoci and runc exist.
    pub bundle: Option<PathBuf>,
}

impl Image {
    /// Write `recipe` as `NAME.yaml`, build it (extra `env` for whittle, e.g.
    /// the fixture mirror's Valid-Until override) and unpack it. Panics when
    /// the build fails.
    pub fn build(name: &str, recipe: &str, cache: &Path, env: &[(&str, &str)]) -> Image {
        let dir = tempfile::tempdir().unwrap();
        let recipe_path = dir.path().join(format!("{name}.yaml"));
        fs_err::write(&recipe_path, recipe).unwrap();
        let archive = dir.path().join(format!("{name}.tar"));
        let tag = format!("whittle.test/{name}:effects");
        let mut cmd = whittle();
        cmd.arg("build")
            .arg(&recipe_path)
            .arg(&tag)
            .arg(&archive)
            .arg("--cache-dir")
            .arg(cache)
            .arg("--no-sbom")
            .current_dir(dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = run(&mut cmd, true);
        let bundle = (require_tool("umoci") && require_tool("runc"))
            .then(|| umoci_unpack(&archive, &tag, &dir.path().join("run")));
        Image {
            _dir: dir,
            name: name.to_string(),
            recipe: recipe_path,
            build_log: stderr(&out),
            bundle,
        }
    }

    /// The unpacked root file system.
    pub fn rootfs(&self) -> Option<PathBuf> {
        self.bundle.as_ref().map(|b| b.join("rootfs"))
    }

    /// The host path of `path` inside the image, its directories' symlinks
    /// resolved inside the root (and the last component's too when
    /// `follow`); None when it does not exist.
    pub fn lookup(&self, path: &str, follow: bool) -> Option<PathBuf> {
        resolve(&self.rootfs()?, path, follow)
    }

    /// The text of the image's file `path` (symlinks followed inside it).
    pub fn read(&self, path: &str) -> Option<String> {
        fs_err::read_to_string(self.lookup(path, true)?).ok()
    }

    /// Run `args` in the image under runc as `user` (uid, gid) in the
    /// container's own network namespace; panics when runc cannot start.
    pub fn run(&self, args: &[&str], user: (u32, u32)) -> Output {
        let bundle = self.bundle.as_ref().expect("an unpacked bundle");
        configure(bundle, args, user, false);
        let id = container_id(&self.name);
        let out = runc(bundle).arg("run").arg(&id).output().expect("runc");
        cleanup(bundle, &id);
        out
    }

    /// Start `args` under runc as root in the host's network namespace
    /// (the test's loopback is the server's), ask `url` until it answers
    /// or `wait` passes, stop the container and return the body.
    pub fn serve_and_get(
        &self,
        args: &[&str],
        url: &str,
        wait: Duration,
    ) -> Result<String, String> {
        let bundle = self.bundle.as_ref().expect("an unpacked bundle");
        configure(bundle, args, (0, 0), true);
        let id = container_id(&self.name);
        let log = bundle.join("server.log");
        let mut child = runc(bundle)
            .arg("run")
            .arg(&id)
            .stdin(Stdio::null())
            .stdout(fs_err::File::create(&log).unwrap().into_file())
            .stderr(
                fs_err::File::create(bundle.join("server.err"))
                    .unwrap()
                    .into_file(),
            )
            .spawn()
            .expect("runc");
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let start = Instant::now();
        let answer = loop {
            let got = client
                .get(url)
                .send()
                .and_then(reqwest::blocking::Response::error_for_status)
                .and_then(reqwest::blocking::Response::text);
            match got {
                Ok(body) => break Ok(body),
                Err(e) if start.elapsed() > wait => break Err(format!("{url}: {e}")),
                Err(_) => {}
            }
            if let Ok(Some(status)) = child.try_wait() {
                break Err(format!("the server exited ({status})"));
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        let _ = runc(bundle).args(["kill", &id, "KILL"]).output();
        let _ = child.wait();
        cleanup(bundle, &id);
        let err = fs_err::read_to_string(bundle.join("server.err")).unwrap_or_default();
        answer.map_err(|e| format!("{e}\nserver stderr:\n{err}"))
    }
}

/// Whether port 80 on loopback is free for a server sharing the host's
/// network; a busy port skips loudly (fails under CI).
pub fn port_80_free() -> bool {
    let free = TcpListener::bind("127.0.0.1:80").is_ok();
    require(free, "127.0.0.1:80 is in use on this host", in_ci())
}

/// `runc --root STATE` for `bundle`.
fn runc(bundle: &Path) -> Command {
    let mut cmd = Command::new("runc");
    cmd.arg("--root")
        .arg(bundle.join("runc-state"))
        .arg("--log")
        .arg(bundle.join("runc.log"));
    cmd.current_dir(bundle);
    cmd
}

/// A container id unique to this process and workload.
fn container_id(name: &str) -> String {
    format!("whittle-effects-{name}-{}", std::process::id())
}

/// Forget a finished container, so the next run can reuse the state dir.
fn cleanup(bundle: &Path, id: &str) {
    let _ = runc(bundle).args(["delete", "--force", id]).output();
}

/// The capabilities docker gives a container's root by default.
const DOCKER_DEFAULT_CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// Set the bundle's process (`args`, `user`, no terminal) and, when
/// `host_network`, drop its network namespace.
fn configure(bundle: &Path, args: &[&str], user: (u32, u32), host_network: bool) {
    let path = bundle.join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_slice(&fs_err::read(&path).unwrap()).unwrap();
    config["process"]["terminal"] = serde_json::Value::Bool(false);
    config["process"]["args"] = serde_json::json!(args);
    config["process"]["user"] = serde_json::json!({"uid": user.0, "gid": user.1});
    if user.0 == 0 {
        // Root gets docker's default capabilities (umoci's default config
        // grants only three), as a user running the image would have them:
        // nginx, for one, chowns its temporary directories at start.
        let caps = serde_json::json!(DOCKER_DEFAULT_CAPABILITIES);
        for set in ["bounding", "effective", "permitted"] {
            config["process"]["capabilities"][set] = caps.clone();
        }
    }
    if host_network {
        if let Some(namespaces) = config["linux"]["namespaces"].as_array_mut() {
            namespaces.retain(|ns| ns["type"] != "network");
        }
    }
    fs_err::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
}

/// `path` inside `root`: every directory symlink resolved inside the root
/// (absolute targets start again at the root, `..` stops at it), the last
/// component too when `follow`. None when something on the way is missing.
pub fn resolve(root: &Path, path: &str, follow: bool) -> Option<PathBuf> {
    let mut pending: Vec<String> = components(path);
    pending.reverse();
    let mut done: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => {}
        }
        let here = done
            .iter()
            .fold(root.to_path_buf(), |p, c| p.join(c))
            .join(&part);
        let meta = fs_err::symlink_metadata(&here).ok()?;
        let last = pending.is_empty();
        if meta.file_type().is_symlink() && (!last || follow) {
            hops += 1;
            if hops > 40 {
                return None;
            }
            let target = fs_err::read_link(&here).ok()?;
            let target = target.to_string_lossy();
            if target.starts_with('/') {
                done.clear();
            }
            let mut more = components(&target);
            more.reverse();
            pending.extend(more);
            continue;
        }
        done.push(part);
    }
    Some(done.iter().fold(root.to_path_buf(), |p, c| p.join(c)))
}

/// The normal components of a slash-separated path, `.` and `..` kept.
fn components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".into()),
            Component::CurDir => Some(".".into()),
            Component::RootDir | Component::Prefix(_) => None,
        })
        .collect()
}

/// The uid `user` has in the image's `/etc/passwd` text.
pub fn passwd_uid(passwd: &str, user: &str) -> Option<u32> {
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next() == Some(user)).then(|| f.nth(1)?.parse().ok())?
    })
}

/// Whether the image's `/etc/group` text has `group`.
pub fn has_group(group: &str, name: &str) -> bool {
    group.lines().any(|l| l.split(':').next() == Some(name))
}
