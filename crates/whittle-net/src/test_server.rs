//! [`TestServer`]: a tiny read-only HTTP server over a directory, for tests.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tiny_http::{Method, Request, Response, Server};

#[derive(Default)]
struct Log {
    paths: Vec<String>,
    /// Answer the next `fail_count` requests with `fail_status`.
    fail_count: usize,
    fail_status: u16,
}

struct Shared {
    root: PathBuf,
    log: Mutex<Log>,
    stop: AtomicBool,
}

impl Shared {
    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Serves a directory tree read-only over HTTP on `127.0.0.1` (ephemeral port) from a
/// background thread; stops when dropped.
///
/// `GET` and `HEAD` of a file under the directory answer 200 with its content; anything else
/// (missing files, directories, paths escaping the directory) is 404, other methods 405.
/// Every request is counted, and its path recorded, before it is answered.
pub struct TestServer {
    server: Arc<Server>,
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Start serving `dir`. Panics if the directory does not exist or no port can be bound
    /// (this is a test helper).
    pub fn serve_dir(dir: impl AsRef<Path>) -> TestServer {
        let dir = dir.as_ref();
        let root = fs_err::canonicalize(dir)
            .unwrap_or_else(|e| panic!("TestServer: cannot serve {}: {e}", dir.display()));
        let server = Server::http("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("TestServer: cannot bind 127.0.0.1:0: {e}"));
        let addr = server
            .server_addr()
            .to_ip()
            .unwrap_or_else(|| panic!("TestServer: not listening on an IP address"));
        let server = Arc::new(server);
        let shared = Arc::new(Shared {
            root,
            log: Mutex::new(Log::default()),
            stop: AtomicBool::new(false),
        });
        let thread = {
            let server = Arc::clone(&server);
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("whittle-test-server".into())
                .spawn(move || serve(&server, &shared))
                .unwrap_or_else(|e| panic!("TestServer: cannot spawn thread: {e}"))
        };
        TestServer {
            server,
            addr,
            shared,
            thread: Some(thread),
        }
    }

    /// Base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The directory being served (canonicalized).
    pub fn root(&self) -> &Path {
        &self.shared.root
    }

    /// Number of requests received so far.
    pub fn requests(&self) -> usize {
        self.shared.log().paths.len()
    }

    /// Paths of the requests received so far, in order, as sent (e.g. `/dists/stable/InRelease`).
    pub fn requested_paths(&self) -> Vec<String> {
        self.shared.log().paths.clone()
    }

    /// Forget the requests received so far.
    pub fn reset_requests(&self) {
        self.shared.log().paths.clear();
    }

    /// Answer the next `count` requests with HTTP `status` and an empty body (fault injection,
    /// e.g. to test retries on 5xx).
    pub fn fail_next(&self, count: usize, status: u16) {
        let mut log = self.shared.log();
        log.fail_count = count;
        log.fail_status = status;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(server: &Server, shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        if let Ok(Some(request)) = server.recv_timeout(Duration::from_millis(50)) {
            respond(request, shared);
        }
    }
}

fn respond(request: Request, shared: &Shared) {
    let raw_path = request.url().to_string();
    let injected = {
        let mut log = shared.log();
        log.paths.push(raw_path.clone());
        if log.fail_count > 0 {
            log.fail_count -= 1;
            Some(log.fail_status)
        } else {
            None
        }
    };
    // Errors answering mean the client went away; nothing to do about it.
    if let Some(status) = injected {
        let _ = request.respond(Response::empty(status));
        return;
    }
    if !matches!(request.method(), Method::Get | Method::Head) {
        let _ = request.respond(Response::empty(405));
        return;
    }
    // Whole files in one buffer: tiny_http streams a `File` in small writes,
    // which on loopback stall on delayed ACKs (half a second per MiB).
    let data = resolve(&shared.root, &raw_path).and_then(|p| fs_err::read(p).ok());
    let _ = match data {
        // `Connection: close`: with pooled keep-alive connections this
        // one-thread server could leave a request unread until the
        // client's read timeout.
        Some(data) => request.respond(Response::from_data(data).with_header(close_header())),
        None => request.respond(Response::empty(404)),
    };
}

fn close_header() -> tiny_http::Header {
    tiny_http::Header {
        field: "Connection"
            .parse()
            .unwrap_or_else(|()| unreachable_header()),
        value: "close".parse().unwrap_or_else(|_| unreachable_header()),
    }
}

fn unreachable_header<T>() -> T {
    panic!("TestServer: a constant header failed to parse")
}

/// Map a request path to a regular file under `root`, refusing anything that escapes it.
fn resolve(root: &Path, raw_path: &str) -> Option<PathBuf> {
    let path = raw_path.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode(path)?;
    let mut out = root.to_path_buf();
    for part in decoded.split('/') {
        if part.is_empty() || part == "." {
            continue;
        }
        let mut components = Path::new(part).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(c)), None) if !part.contains('\\') => out.push(c),
            _ => return None,
        }
    }
    let canonical = fs_err::canonicalize(&out).ok()?;
    (canonical.starts_with(root) && canonical.is_file()).then_some(canonical)
}

/// Decode `%XX` escapes; `None` on malformed escapes, invalid UTF-8 or NUL.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    if out.contains(&0) {
        return None;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::{percent_decode, resolve};

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("/a%20b").as_deref(), Some("/a b"));
        assert_eq!(percent_decode("/a%2"), None);
        assert_eq!(percent_decode("/a%00"), None);
    }

    #[test]
    fn no_escape() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs_err::canonicalize(dir.path()).unwrap();
        fs_err::create_dir_all(root.join("sub")).unwrap();
        fs_err::write(root.join("sub/f"), b"x").unwrap();
        assert!(resolve(&root, "/sub/f").is_some());
        assert!(resolve(&root, "/sub/./f?x=1").is_some());
        assert!(resolve(&root, "/sub").is_none());
        assert!(resolve(&root, "/../etc/passwd").is_none());
        assert!(resolve(&root, "/sub/%2e%2e/%2e%2e/etc/passwd").is_none());
        assert!(resolve(&root, "/sub%2f..%2f..%2fetc").is_none());
    }
}
