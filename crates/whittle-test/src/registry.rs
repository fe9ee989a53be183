//! A real OCI registry for push tests: Debian's `docker-registry`
//! (CNCF distribution 2.8) run on 127.0.0.1 with a throw-away config,
//! storage dir and, on request, TLS (a throw-away CA), htpasswd (bcrypt)
//! or bearer-token auth (a token server in this process).
//!
//! Every request the registry answers is read back from its access log
//! (gorilla's combined log format, on the process's stdout), so a test can
//! assert what a push sent. The registry's configuration is specified in
//! distribution's `docs/configuration.md`; the token flow in its
//! `docs/spec/auth/token.md`.
//!
//! ```no_run
//! use whittle_test::registry::{RegistryOptions, TestRegistry};
//! if !TestRegistry::available() {
//!     return; // skipped loudly; fails under CI=true
//! }
//! let reg = TestRegistry::start(RegistryOptions::new().with_tls().with_htpasswd("u", "p"));
//! let mark = reg.mark();
//! // … push to format!("{}/app:1", reg.host()) with --registry-ca reg.ca_pem_path() …
//! assert!(reg.requests_since(mark).iter().any(|r| r.method == "PUT"));
//! ```

mod access_log;
mod fixture;
mod process;
mod tls;
mod token;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;

pub use access_log::Request;
pub use fixture::{tiny_oci_layout, TinyImage};
pub use token::TokenRequest;

/// How clients authenticate to a [`TestRegistry`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RegistryAuth {
    /// No auth: anyone may push and pull.
    #[default]
    Anonymous,
    /// HTTP Basic against an htpasswd file (bcrypt) holding one user.
    Htpasswd {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// Bearer tokens from a token server on 127.0.0.1 that checks these
    /// Basic credentials and grants whatever actions are asked for;
    /// anonymous token requests get 401.
    Token {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
}

/// What [`TestRegistry::start`] sets up. Defaults: plain HTTP, anonymous.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    /// How clients authenticate.
    pub auth: RegistryAuth,
    /// Serve HTTPS with a certificate from a throw-away CA
    /// ([`TestRegistry::ca_pem_path`]), for `127.0.0.1` and `localhost`.
    pub tls: bool,
}

impl RegistryOptions {
    /// Plain HTTP, anonymous.
    pub fn new() -> RegistryOptions {
        RegistryOptions::default()
    }

    /// Serve HTTPS (a throw-away CA signs the server's certificate).
    #[must_use]
    pub fn with_tls(mut self) -> RegistryOptions {
        self.tls = true;
        self
    }

    /// HTTP Basic auth for one user (an htpasswd file, bcrypt).
    #[must_use]
    pub fn with_htpasswd(mut self, user: &str, password: &str) -> RegistryOptions {
        self.auth = RegistryAuth::Htpasswd {
            user: user.into(),
            password: password.into(),
        };
        self
    }

    /// Bearer-token auth: a token server that accepts these credentials.
    #[must_use]
    pub fn with_token_auth(mut self, user: &str, password: &str) -> RegistryOptions {
        self.auth = RegistryAuth::Token {
            user: user.into(),
            password: password.into(),
        };
        self
    }
}

/// A running `docker-registry`. Dropping it kills the process (and stops
/// its token server) and removes its temp dir.
pub struct TestRegistry {
    // Field order is drop order: the process dies before its files go.
    process: process::RegistryProcess,
    token_server: Option<token::TokenServer>,
    host: String,
    opts: RegistryOptions,
    ca_pem: Option<PathBuf>,
    cert_dir: Option<PathBuf>,
    storage: PathBuf,
    dir: tempfile::TempDir,
}

/// The `docker-registry` binary (Debian package `docker-registry`).
pub const REGISTRY_TOOL: &str = "docker-registry";

impl TestRegistry {
    /// Whether `docker-registry` (and `htpasswd`, for Basic auth) are
    /// installed. When not: panics under `CI=true`, else prints a loud SKIP
    /// line and returns false.
    ///
    /// # Panics
    ///
    /// When a tool is missing and `CI=true`.
    #[track_caller]
    pub fn available() -> bool {
        whittle_test_env::host::require_tool(REGISTRY_TOOL)
            && whittle_test_env::host::require_tool("htpasswd")
    }

    /// Start a registry on a free port of 127.0.0.1 and wait (up to 10 s)
    /// until `GET /v2/` answers 200 or 401.
    ///
    /// # Panics
    ///
    /// When the registry does not come up; the message holds its log tail.
    pub fn start(opts: RegistryOptions) -> TestRegistry {
        let dir = tempfile::Builder::new()
            .prefix("whittle-registry-")
            .tempdir()
            .expect("a temp dir for the registry");
        let storage = dir.path().join("storage");
        fs_err::create_dir_all(&storage).expect("the registry's storage dir");

        // TLS material: the CA alone in `certs/` (skopeo's --cert-dir reads
        // every *.crt there as a root), the server's pair in `tls/`.
        let tls = opts.tls.then(|| tls::write_tls_files(dir.path()));
        let token_server = match &opts.auth {
            RegistryAuth::Token { user, password } => {
                Some(token::TokenServer::start(dir.path(), user, password))
            }
            _ => None,
        };
        let auth_yaml = match &opts.auth {
            RegistryAuth::Anonymous => String::new(),
            RegistryAuth::Htpasswd { user, password } => {
                let file = write_htpasswd(dir.path(), user, password);
                format!(
                    "auth:\n  htpasswd:\n    realm: whittle-test\n    path: {}\n",
                    file.display()
                )
            }
            RegistryAuth::Token { .. } => token_server
                .as_ref()
                .expect("the token server just started")
                .registry_auth_yaml(),
        };
        let tls_yaml = tls.as_ref().map_or_else(String::new, |t| {
            format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                t.server_cert.display(),
                t.server_key.display()
            )
        });

        let process = process::RegistryProcess::spawn(dir.path(), &storage, &tls_yaml, &auth_yaml);
        let host = process.host();
        let reg = TestRegistry {
            process,
            token_server,
            host,
            opts,
            ca_pem: tls.as_ref().map(|t| t.ca_cert.clone()),
            cert_dir: tls.as_ref().map(|t| t.cert_dir.clone()),
            storage,
            dir,
        };
        reg.wait_until_ready();
        reg
    }

    /// Poll `GET /v2/` until it answers 200 or 401.
    fn wait_until_ready(&self) {
        let client = self.client();
        let url = self.url("/v2/");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut last = String::from("no answer yet");
        while std::time::Instant::now() < deadline {
            if let Some(exit) = self.process.exited() {
                panic!(
                    "docker-registry exited ({exit}) before answering\n{}",
                    self.log_tail()
                );
            }
            match client.get(&url).send() {
                Ok(r) if matches!(r.status().as_u16(), 200 | 401) => return,
                Ok(r) => last = format!("GET {url} answered {}", r.status()),
                Err(e) => last = format!("GET {url}: {e}"),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "docker-registry did not answer within 10 s ({last})\n{}",
            self.log_tail()
        );
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.host.clone()
    }

    /// `http://127.0.0.1:PORT` or `https://…` when TLS is on.
    pub fn base_url(&self) -> String {
        let scheme = if self.opts.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.host)
    }

    /// `base_url` + `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The throw-away CA's certificate (PEM) when TLS is on: what
    /// `whittle publish --registry-ca` gets.
    pub fn ca_pem_path(&self) -> Option<PathBuf> {
        self.ca_pem.clone()
    }

    /// The user and password, when auth is on (Basic or token).
    pub fn credentials(&self) -> Option<(String, String)> {
        match &self.opts.auth {
            RegistryAuth::Anonymous => None,
            RegistryAuth::Htpasswd { user, password } | RegistryAuth::Token { user, password } => {
                Some((user.clone(), password.clone()))
            }
        }
    }

    /// The registry's storage root (`docker/registry/v2/…` below it).
    pub fn storage_dir(&self) -> &Path {
        &self.storage
    }

    /// The temp dir holding config, logs, keys and storage.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every request answered so far, in order, from the access log.
    ///
    /// Go writes a line after its handler returns; a client can see the end
    /// of a large response a moment before that. So this waits until the
    /// log has not grown for 30 ms.
    pub fn requests(&self) -> Vec<Request> {
        access_log::parse(&self.process.settled_access_log())
    }

    /// How many requests were answered so far: pass it to
    /// [`requests_since`](Self::requests_since) to see what one step did.
    pub fn mark(&self) -> usize {
        self.requests().len()
    }

    /// The requests answered after [`mark`](Self::mark) returned `mark`.
    pub fn requests_since(&self, mark: usize) -> Vec<Request> {
        self.requests().into_iter().skip(mark).collect()
    }

    /// Requests to the token server so far (token auth only; else empty).
    pub fn token_requests(&self) -> Vec<TokenRequest> {
        self.token_server
            .as_ref()
            .map(token::TokenServer::requests)
            .unwrap_or_default()
    }

    /// Write a docker-style `dir/config.json` holding this registry's
    /// credentials (`{"auths":{"127.0.0.1:PORT":{"auth":"base64(u:p)"}}}`,
    /// or no entry when anonymous), for `DOCKER_CONFIG=dir` or
    /// `REGISTRY_AUTH_FILE=dir/config.json`. Returns the file's path.
    pub fn auth_file(&self, dir: &Path) -> PathBuf {
        let mut auths = serde_json::Map::new();
        if let Some((user, password)) = self.credentials() {
            let auth =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            auths.insert(self.host.clone(), serde_json::json!({ "auth": auth }));
        }
        let doc = serde_json::json!({ "auths": auths });
        let path = dir.join("config.json");
        fs_err::write(
            &path,
            serde_json::to_vec_pretty(&doc).expect("JSON of strings"),
        )
        .expect("write the auth file");
        path
    }

    /// Options for `skopeo inspect` (and other one-image commands) to reach
    /// this registry: `--tls-verify=false` for plain HTTP or `--cert-dir
    /// DIR` (holding the CA as `ca.crt`) for TLS, then `--creds user:pass`
    /// when auth is on.
    pub fn skopeo_tls_args(&self) -> Vec<String> {
        self.skopeo_args("")
    }

    /// The same for the destination of `skopeo copy` (`--dest-…`).
    pub fn skopeo_dest_args(&self) -> Vec<String> {
        self.skopeo_args("dest-")
    }

    /// The same for the source of `skopeo copy` (`--src-…`).
    pub fn skopeo_src_args(&self) -> Vec<String> {
        self.skopeo_args("src-")
    }

    fn skopeo_args(&self, prefix: &str) -> Vec<String> {
        let mut args = match &self.cert_dir {
            Some(dir) => vec![format!("--{prefix}cert-dir"), dir.display().to_string()],
            None => vec![format!("--{prefix}tls-verify=false")],
        };
        if let Some((user, password)) = self.credentials() {
            args.push(format!("--{prefix}creds"));
            args.push(format!("{user}:{password}"));
        }
        args
    }

    /// A blocking HTTP client that trusts this registry's CA (when TLS is
    /// on) and sends no credentials: for hand-written requests in tests.
    pub fn client(&self) -> reqwest::blocking::Client {
        let mut builder = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy();
        if let Some(ca) = &self.ca_pem {
            let pem = fs_err::read(ca).expect("read the test CA");
            let cert = reqwest::Certificate::from_pem(&pem).expect("the test CA parses");
            builder = builder.tls_certs_only([cert]);
        }
        builder
            .build()
            .expect("an HTTP client for the test registry")
    }

    /// A bearer token for `scope` (e.g. `repository:app:pull,push`) from the
    /// token server, for hand-written requests (token auth only).
    pub fn bearer_token(&self, scope: &str) -> Option<String> {
        self.token_server.as_ref().map(|t| t.issue(scope))
    }

    /// The last lines of the registry's stderr log and access log, for
    /// failure messages.
    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }
}

/// `user:bcrypt-hash` from `htpasswd -Bbn` (distribution accepts bcrypt
/// only) in `dir/htpasswd`.
fn write_htpasswd(dir: &Path, user: &str, password: &str) -> PathBuf {
    let out = std::process::Command::new("htpasswd")
        .args(["-Bbn", user, password])
        .output()
        .expect("run htpasswd (apache2-utils)");
    assert!(
        out.status.success(),
        "htpasswd -Bbn failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join("htpasswd");
    fs_err::write(&path, &out.stdout).expect("write the htpasswd file");
    path
}
