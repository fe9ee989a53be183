//! The `docker-registry` process: its config.yml, a free port, and its two
//! logs as files (stdout carries the access log, stderr everything else).
//! Writing straight to files, not through a pipe and a reader thread, means
//! a line is in the file as soon as the registry has written it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

pub(super) struct RegistryProcess {
    child: Mutex<Child>,
    port: u16,
    access_log: PathBuf,
    error_log: PathBuf,
}

impl RegistryProcess {
    /// Write the config and start the registry. A port picked free can be
    /// taken by another test before the registry binds it: then the
    /// registry exits at once, and this tries again on a fresh port.
    pub(super) fn spawn(dir: &Path, storage: &Path, tls_yaml: &str, auth_yaml: &str) -> Self {
        let mut last_log = String::new();
        for attempt in 0..5 {
            let port = free_port();
            let config = dir.join("config.yml");
            fs_err::write(&config, config_yaml(port, storage, tls_yaml, auth_yaml))
                .expect("write the registry config");
            let access_log = dir.join(format!("access-{attempt}.log"));
            let error_log = dir.join(format!("registry-{attempt}.log"));
            let child = Command::new(super::REGISTRY_TOOL)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(
                    fs_err::File::create(&access_log)
                        .expect("the access log")
                        .into_file(),
                )
                .stderr(
                    fs_err::File::create(&error_log)
                        .expect("the registry log")
                        .into_file(),
                )
                .spawn()
                .expect("start docker-registry");
            let process = RegistryProcess {
                child: Mutex::new(child),
                port,
                access_log,
                error_log,
            };
            if !process.lost_port_race() {
                return process;
            }
            last_log = process.log_tail();
        }
        panic!("docker-registry could not bind a free port in 5 tries\n{last_log}");
    }

    /// Whether the registry exited early because its port was taken.
    fn lost_port_race(&self) -> bool {
        // The registry binds (or fails) within a few milliseconds of start;
        // anything slower is left to the readiness poll.
        for _ in 0..20 {
            if self.exited().is_some() {
                let log = fs_err::read_to_string(&self.error_log).unwrap_or_default();
                return log.contains("address already in use");
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        false
    }

    pub(super) fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The exit status, once the process has exited.
    pub(super) fn exited(&self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.lock().expect("the child lock is never poisoned");
        child.try_wait().ok().flatten()
    }

    /// The access log, once it has not grown for 30 ms.
    pub(super) fn settled_access_log(&self) -> String {
        let mut text = fs_err::read_to_string(&self.access_log).expect("read the access log");
        loop {
            std::thread::sleep(Duration::from_millis(30));
            let again = fs_err::read_to_string(&self.access_log).expect("read the access log");
            if again.len() == text.len() {
                return again;
            }
            text = again;
        }
    }

    pub(super) fn log_tail(&self) -> String {
        let tail = |path: &Path| {
            let text = fs_err::read_to_string(path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        format!(
            "--- {} (last 30 lines)\n{}\n--- {} (last 30 lines)\n{}",
            self.error_log.display(),
            tail(&self.error_log),
            self.access_log.display(),
            tail(&self.access_log)
        )
    }
}

impl Drop for RegistryProcess {
    fn drop(&mut self) {
        let child = self
            .child
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// distribution's config (docs/configuration.md): filesystem storage with
/// deletes allowed, the access log on, and a fixed HTTP secret (without one
/// it warns on every start).
fn config_yaml(port: u16, storage: &Path, tls_yaml: &str, auth_yaml: &str) -> String {
    format!(
        "version: 0.1\n\
         log:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: false\n\
         storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
         \x20 maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: whittle-test-secret\n{tls_yaml}\
         {auth_yaml}",
        storage = storage.display(),
    )
}
