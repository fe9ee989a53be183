//! A bearer-token server for the registry's `auth: token` mode, as
//! distribution's `docs/spec/auth/token.md` describes: `GET /token?service=
//! …&scope=repository:NAME:pull,push` with Basic credentials answers
//! `{"token": JWT, "access_token": JWT, "expires_in": 300}`.
//!
//! The JWT is RS256; its header's `x5c` holds the signing certificate,
//! which is also the registry's `rootcertbundle` (distribution 2.8 checks
//! the x5c chain against that bundle, then the signature, `iss`, `aud`,
//! `exp` and `nbf`; see its `registry/auth/token/token.go`). Every action
//! asked for is granted to the one user; anonymous requests get 401.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rcgen::{CertificateParams, DnType, KeyPair, SigningKey as _};

const SERVICE: &str = "whittle-test";
const ISSUER: &str = "whittle-test-issuer";

/// One request the token server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    /// The Basic user, when credentials were sent.
    pub user: Option<String>,
    /// The `service` parameter.
    pub service: Option<String>,
    /// Every `scope` parameter, decoded (`repository:app:pull,push`).
    pub scopes: Vec<String>,
    /// 200 when a token was issued, 401 for missing or wrong credentials.
    pub status: u16,
}

struct State {
    user: String,
    password: String,
    key: KeyPair,
    cert_der: Vec<u8>,
    requests: Mutex<Vec<TokenRequest>>,
}

pub(super) struct TokenServer {
    addr: SocketAddr,
    bundle: PathBuf,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TokenServer {
    /// Make a signing key and certificate (written to
    /// `dir/token/rootcertbundle.pem`) and serve on a free port.
    pub(super) fn start(dir: &Path, user: &str, password: &str) -> TokenServer {
        let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("an RSA token key");
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "whittle test token signer");
        let cert = params.self_signed(&key).expect("the token certificate");
        let token_dir = dir.join("token");
        fs_err::create_dir_all(&token_dir).expect("the token dir");
        let bundle = token_dir.join("rootcertbundle.pem");
        fs_err::write(&bundle, cert.pem()).expect("write the token root bundle");

        let state = Arc::new(State {
            user: user.into(),
            password: password.into(),
            key,
            cert_der: cert.der().to_vec(),
            requests: Mutex::new(Vec::new()),
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the token server");
        let addr = listener.local_addr().expect("the token server's address");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("whittle-test token server".into())
                .spawn(move || serve(&listener, &state, &stop))
                .expect("spawn the token server")
        };
        TokenServer {
            addr,
            bundle,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// The registry config's `auth:` section.
    pub(super) fn registry_auth_yaml(&self) -> String {
        format!(
            "auth:\n  token:\n    realm: http://{}/token\n    service: {SERVICE}\n    \
             issuer: {ISSUER}\n    rootcertbundle: {}\n",
            self.addr,
            self.bundle.display()
        )
    }

    pub(super) fn requests(&self) -> Vec<TokenRequest> {
        self.state.requests.lock().expect("not poisoned").clone()
    }

    /// A token granting `scope`, without an HTTP round trip.
    pub(super) fn issue(&self, scope: &str) -> String {
        jwt(&self.state, &[scope.to_string()])
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(listener: &TcpListener, state: &State, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(stream) = stream {
            // A broken client connection only fails that request.
            let _ = handle(stream, state);
        }
    }
}

fn handle(stream: TcpStream, state: &State) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split(' ').nth(1).unwrap_or_default().to_string();
    let mut basic = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                basic = decode_basic(value.trim());
            }
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    if path != "/token" {
        return respond(&stream, "404 Not Found", "", "{}");
    }
    let params: Vec<(String, String)> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect();
    let scopes: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' ').map(str::to_string))
        .filter(|s| !s.is_empty())
        .collect();
    let service = params
        .iter()
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.clone());
    let granted = basic
        .as_ref()
        .is_some_and(|(u, p)| *u == state.user && *p == state.password);
    state
        .requests
        .lock()
        .expect("not poisoned")
        .push(TokenRequest {
            user: basic.map(|(u, _)| u),
            service,
            scopes: scopes.clone(),
            status: if granted { 200 } else { 401 },
        });
    if !granted {
        let challenge = "WWW-Authenticate: Basic realm=\"whittle-test-token\"\r\n";
        return respond(&stream, "401 Unauthorized", challenge, "{\"errors\":[]}");
    }
    let token = jwt(state, &scopes);
    let body = serde_json::json!({
        "token": token, "access_token": token, "expires_in": 300,
    });
    respond(&stream, "200 OK", "", &body.to_string())
}

fn respond(mut stream: &TcpStream, status: &str, headers: &str, body: &str) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n{headers}\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

/// A signed JWT granting every action each `repository:NAME:ACTIONS`
/// (or `registry:catalog:*`) scope asks for.
fn jwt(state: &State, scopes: &[String]) -> String {
    let now = unix_now();
    let access: Vec<serde_json::Value> = scopes
        .iter()
        .filter_map(|s| {
            let (kind, rest) = s.split_once(':')?;
            let (name, actions) = rest.rsplit_once(':')?;
            Some(serde_json::json!({
                "type": kind, "name": name,
                "actions": actions.split(',').filter(|a| !a.is_empty()).collect::<Vec<_>>(),
            }))
        })
        .collect();
    let header = serde_json::json!({
        "typ": "JWT", "alg": "RS256", "x5c": [STANDARD.encode(&state.cert_der)],
    });
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": state.user, "aud": SERVICE,
        "exp": now + 300, "nbf": now - 10, "iat": now,
        "jti": format!("{:032x}", rand::random::<u128>()), "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = state
        .key
        .sign(signing_input.as_bytes())
        .expect("RS256 signing");
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// `(user, password)` from `Basic base64(user:password)`.
fn decode_basic(value: &str) -> Option<(String, String)> {
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (u, p) = raw.split_once(':')?;
    Some((u.into(), p.into()))
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unix_now() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    i64::try_from(secs).expect("seconds fit in i64")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_values() {
        assert_eq!(
            percent_decode("repository%3Aa%2Fb%3Apull%2Cpush+x%zz%4"),
            "repository:a/b:pull,push x%zz%4"
        );
    }
}
