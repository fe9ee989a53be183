//! [`TestServer`]: a tiny read-only HTTP/1.1 server over a directory, for
//! tests, that can misbehave on purpose ([`Fault`]).
//!
//! Raw TCP on purpose: a fault needs control over every byte and over how
//! the connection ends. One thread per connection, one request per
//! connection (`Connection: close`).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How a response misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and an empty body.
    Status(u16),
    /// Announce the whole file's length, send this many body bytes, then
    /// close the connection cleanly.
    Truncate(usize),
    /// Send this many body bytes, then reset the connection (RST).
    Reset(usize),
    /// Send the headers, then one body byte per interval.
    Drip(Duration),
    /// Send an endless body of zeros, without a length.
    Endless,
    /// Read the request and never answer.
    Hang,
}

struct Rule {
    suffix: String,
    count: usize,
    fault: Fault,
}

#[derive(Default)]
struct Log {
    paths: Vec<String>,
    rules: Vec<Rule>,
}

struct Shared {
    root: PathBuf,
    log: Mutex<Log>,
    stop: AtomicBool,
    ranges: AtomicBool,
    sent: AtomicU64,
}

impl Shared {
    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Serves a directory tree read-only over HTTP on `127.0.0.1` (ephemeral port) from a
/// background thread; stops when dropped.
///
/// `GET` and `HEAD` of a file under the directory answer 200 with its content (206 for a
/// `Range: bytes=N-` request, unless [`TestServer::set_ranges`] turned ranges off); anything
/// else (missing files, directories, paths escaping the directory) is 404, other methods 405.
/// Every request is counted, and its path recorded, before it is answered. Faults injected with
/// [`TestServer::inject`] apply to the next matching requests.
pub struct TestServer {
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
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("TestServer: cannot bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("TestServer: no local address: {e}"));
        let shared = Arc::new(Shared {
            root,
            log: Mutex::new(Log::default()),
            stop: AtomicBool::new(false),
            ranges: AtomicBool::new(true),
            sent: AtomicU64::new(0),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("whittle-test-server".into())
                .spawn(move || accept(&listener, &shared))
                .unwrap_or_else(|e| panic!("TestServer: cannot spawn thread: {e}"))
        };
        TestServer {
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
        self.inject("", count, Fault::Status(status));
    }

    /// Apply `fault` to the next `count` requests whose path (before any `?`) ends with
    /// `suffix` (`""` matches every request; `usize::MAX` means every time). Rules are tried in
    /// the order they were added.
    pub fn inject(&self, suffix: &str, count: usize, fault: Fault) {
        self.shared.log().rules.push(Rule {
            suffix: suffix.to_string(),
            count,
            fault,
        });
    }

    /// Honour `Range` requests (the default) or answer them with the whole file.
    pub fn set_ranges(&self, on: bool) {
        self.shared.ranges.store(on, Ordering::SeqCst);
    }

    /// Body bytes written so far, over all responses.
    pub fn bytes_sent(&self) -> u64 {
        self.shared.sent.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopped() {
            return;
        }
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(shared);
        // Errors answering mean the client went away; nothing to do about it.
        let _ = std::thread::Builder::new()
            .name("whittle-test-conn".into())
            .spawn(move || handle(stream, &shared));
    }
}

/// The parts of a request the server looks at.
struct Parsed {
    method: String,
    target: String,
    range_from: Option<u64>,
}

fn handle(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_nodelay(true);
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    let fault = {
        let mut log = shared.log();
        log.paths.push(request.target.clone());
        let path = request.target.split(['?', '#']).next().unwrap_or_default();
        let rule = log
            .rules
            .iter_mut()
            .find(|r| r.count > 0 && path.ends_with(r.suffix.as_str()));
        rule.map(|r| {
            r.count = r.count.saturating_sub(1);
            r.fault
        })
    };
    let _ = respond(&mut stream, &request, fault, shared);
}

/// Read up to the blank line ending the headers (at most 64 KiB).
fn read_request(stream: &mut TcpStream) -> Option<Parsed> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || head.len() > 64 << 10 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let range_from = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("range"))
        .and_then(|(_, v)| {
            v.trim()
                .strip_prefix("bytes=")?
                .strip_suffix('-')?
                .parse()
                .ok()
        });
    Some(Parsed {
        method,
        target,
        range_from,
    })
}

fn respond(
    stream: &mut TcpStream,
    request: &Parsed,
    fault: Option<Fault>,
    shared: &Shared,
) -> std::io::Result<()> {
    match fault {
        Some(Fault::Status(status)) => return head(stream, status, Some(0), None),
        Some(Fault::Hang) => {
            while !shared.stopped() {
                std::thread::sleep(Duration::from_millis(50));
                // The client gave up: stop holding the connection.
                if peer_closed(stream) {
                    break;
                }
            }
            return Ok(());
        }
        Some(Fault::Endless) => {
            head(stream, 200, None, None)?;
            let zeros = vec![0u8; 64 << 10];
            while !shared.stopped() {
                stream.write_all(&zeros)?;
                shared.sent.fetch_add(zeros.len() as u64, Ordering::SeqCst);
            }
            return Ok(());
        }
        _ => {}
    }
    if !matches!(request.method.as_str(), "GET" | "HEAD") {
        return head(stream, 405, Some(0), None);
    }
    let data = resolve(&shared.root, &request.target).and_then(|p| fs_err::read(p).ok());
    let Some(data) = data else {
        return head(stream, 404, Some(0), None);
    };
    let total = data.len() as u64;
    let from = request
        .range_from
        .filter(|_| shared.ranges.load(Ordering::SeqCst));
    let body = match from {
        Some(from) if from < total => {
            let range = format!("bytes {from}-{}/{total}", total - 1);
            let start = usize::try_from(from).unwrap_or(data.len());
            head(stream, 206, Some(total - from), Some(&range))?;
            &data[start..]
        }
        Some(_) => return head(stream, 416, Some(0), None),
        None => {
            head(stream, 200, Some(total), None)?;
            &data[..]
        }
    };
    if request.method == "HEAD" {
        return Ok(());
    }
    match fault {
        Some(Fault::Truncate(n)) => {
            write_counted(stream, &body[..n.min(body.len())], shared)?;
            stream.shutdown(Shutdown::Both)
        }
        Some(Fault::Reset(n)) => {
            write_counted(stream, &body[..n.min(body.len())], shared)?;
            stream.flush()?;
            // A zero linger turns the close into a reset.
            socket2::SockRef::from(&*stream).set_linger(Some(Duration::ZERO))?;
            Ok(())
        }
        Some(Fault::Drip(interval)) => {
            for byte in body.chunks(1) {
                if shared.stopped() {
                    break;
                }
                write_counted(stream, byte, shared)?;
                std::thread::sleep(interval);
            }
            Ok(())
        }
        // Whole files in one write: small writes stall on delayed ACKs on loopback.
        _ => write_counted(stream, body, shared),
    }
}

fn write_counted(stream: &mut TcpStream, bytes: &[u8], shared: &Shared) -> std::io::Result<()> {
    stream.write_all(bytes)?;
    shared.sent.fetch_add(bytes.len() as u64, Ordering::SeqCst);
    Ok(())
}

/// Whether the client closed its end (a read returns EOF or a reset).
fn peer_closed(stream: &mut TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut buf = [0u8; 64];
    let closed = match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != ErrorKind::WouldBlock,
    };
    let _ = stream.set_nonblocking(false);
    closed
}

/// Write a status line and headers; `len: None` means a body delimited by closing.
fn head(
    stream: &mut TcpStream,
    status: u16,
    len: Option<u64>,
    range: Option<&str>,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        206 => "Partial Content",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut out = format!("HTTP/1.1 {status} {reason}\r\nConnection: close\r\n");
    if let Some(len) = len {
        out.push_str(&format!("Content-Length: {len}\r\n"));
    }
    if let Some(range) = range {
        out.push_str(&format!("Content-Range: {range}\r\n"));
    }
    out.push_str("\r\n");
    stream.write_all(out.as_bytes())
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
