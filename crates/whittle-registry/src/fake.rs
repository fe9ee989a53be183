//! A small in-process registry for this crate's tests: raw HTTP/1.1 on
//! 127.0.0.1, one thread per connection, `Connection: close`. It speaks
//! just enough of the distribution API, with switches for auth, the
//! referrers API and injected failures.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;

use crate::manifest::sha256_digest;

/// How clients must authenticate.
#[derive(Clone, Debug)]
pub(crate) enum FakeAuth {
    None,
    /// `Basic` with this user and password.
    Basic(String, String),
    /// `Bearer` tokens from `/token`: for this user and password, or for
    /// anyone if `None`; `refresh` is an accepted identity token.
    Bearer {
        user: Option<(String, String)>,
        refresh: Option<String>,
    },
}

#[derive(Debug)]
pub(crate) struct FakeConfig {
    pub(crate) auth: FakeAuth,
    pub(crate) referrers_api: bool,
    /// Answer the next request matching (method, path fragment) with a status.
    pub(crate) fail: Vec<(&'static str, &'static str, u16)>,
    /// Cut this many chunk PATCHes: store half the chunk, then close the connection.
    pub(crate) break_patches: usize,
    /// Bodies larger than this get 413.
    pub(crate) max_body: usize,
}

impl Default for FakeConfig {
    fn default() -> FakeConfig {
        FakeConfig {
            auth: FakeAuth::None,
            referrers_api: false,
            fail: Vec::new(),
            break_patches: 0,
            max_body: usize::MAX,
        }
    }
}

#[derive(Default)]
struct State {
    blobs: HashMap<(String, String), Vec<u8>>,
    /// (repository, tag or digest) → (media type, bytes)
    manifests: HashMap<(String, String), (String, Vec<u8>)>,
    uploads: HashMap<String, Vec<u8>>,
    next_upload: usize,
    log: Vec<String>,
}

pub(crate) struct FakeRegistry {
    pub(crate) host: String,
    config: Arc<Mutex<FakeConfig>>,
    state: Arc<Mutex<State>>,
}

struct Request {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn answer(status: u16) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

impl Answer {
    fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_string(), value.into()));
        self
    }
    fn body(mut self, body: impl Into<Vec<u8>>) -> Answer {
        self.body = body.into();
        self
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeRegistry {
    pub(crate) fn start(config: FakeConfig) -> FakeRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let host = listener.local_addr().expect("addr").to_string();
        let registry = FakeRegistry {
            host: host.clone(),
            config: Arc::new(Mutex::new(config)),
            state: Arc::default(),
        };
        let (config, state) = (registry.config.clone(), registry.state.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, state, host) = (config.clone(), state.clone(), host.clone());
                std::thread::spawn(move || serve(stream, &config, &state, &host));
            }
        });
        registry
    }

    /// Every request so far as `METHOD /path?query`.
    pub(crate) fn log(&self) -> Vec<String> {
        lock(&self.state).log.clone()
    }

    pub(crate) fn blob(&self, repo: &str, digest: &str) -> Option<Vec<u8>> {
        lock(&self.state)
            .blobs
            .get(&(repo.to_string(), digest.to_string()))
            .cloned()
    }

    pub(crate) fn insert_blob(&self, repo: &str, digest: &str, data: &[u8]) {
        lock(&self.state)
            .blobs
            .insert((repo.to_string(), digest.to_string()), data.to_vec());
    }

    pub(crate) fn manifest(&self, repo: &str, reference: &str) -> Option<(String, Vec<u8>)> {
        lock(&self.state)
            .manifests
            .get(&(repo.to_string(), reference.to_string()))
            .cloned()
    }

    pub(crate) fn configure(&self, f: impl FnOnce(&mut FakeConfig)) {
        f(&mut lock(&self.config));
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    Some(Request {
        method,
        path: path.to_string(),
        query,
        headers,
        body,
    })
}

fn serve(mut stream: TcpStream, config: &Mutex<FakeConfig>, state: &Mutex<State>, host: &str) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let query: Vec<String> = request
        .query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    lock(state).log.push(format!(
        "{} {}?{}",
        request.method,
        request.path,
        query.join("&")
    ));
    let Some(answer) = handle(&request, config, state, host) else {
        return; // a cut connection
    };
    let reason = if answer.status < 300 { "OK" } else { "Error" };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nConnection: close\r\nContent-Length: {}\r\n",
        answer.status,
        answer.body.len()
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    if request.method != "HEAD" {
        let _ = stream.write_all(&answer.body);
    }
}

fn handle(
    request: &Request,
    config: &Mutex<FakeConfig>,
    state: &Mutex<State>,
    host: &str,
) -> Option<Answer> {
    let auth = lock(config).auth.clone();
    if request.path == "/token" {
        return Some(token(request, &auth));
    }
    let name = repository_of(&request.path);
    if let Some(denied) = check_auth(request, &auth, host, &name) {
        return Some(denied);
    }
    {
        let mut config = lock(config);
        if let Some(i) = config
            .fail
            .iter()
            .position(|(m, p, _)| *m == request.method && request.path.contains(p))
        {
            let (_, _, status) = config.fail.remove(i);
            return Some(
                answer(status)
                    .body(r#"{"errors":[{"code":"INJECTED","message":"injected failure"}]}"#),
            );
        }
        if request.body.len() > config.max_body {
            return Some(answer(413));
        }
    }
    let referrers_api = lock(config).referrers_api;
    let break_patch = {
        let mut config = lock(config);
        let cut = request.method == "PATCH" && config.break_patches > 0;
        if cut {
            config.break_patches -= 1;
        }
        cut
    };
    let mut state = lock(state);
    route(request, &name, &mut state, referrers_api, break_patch)
}

/// The repository in `/v2/NAME/(blobs|manifests|tags|referrers)/…`.
fn repository_of(path: &str) -> String {
    let rest = path.strip_prefix("/v2/").unwrap_or_default();
    for marker in ["/blobs/", "/manifests/", "/tags/", "/referrers/"] {
        if let Some(i) = rest.find(marker) {
            return rest[..i].to_string();
        }
    }
    String::new()
}

fn token(request: &Request, auth: &FakeAuth) -> Answer {
    let FakeAuth::Bearer { user, refresh } = auth else {
        return answer(404);
    };
    let ok = if request.method == "POST" {
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        form.get("grant_type").map(String::as_str) == Some("refresh_token")
            && refresh.is_some()
            && form.get("refresh_token") == refresh.as_ref()
    } else {
        match user {
            None => true,
            Some((u, p)) => request.headers.get("authorization") == Some(&basic(u, p)),
        }
    };
    if !ok {
        return answer(401).body(r#"{"details":"incorrect username or password"}"#);
    }
    let field = if request.method == "POST" {
        "access_token"
    } else {
        "token"
    };
    answer(200).body(format!(r#"{{"{field}":"tok-ok","expires_in":300}}"#))
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn check_auth(request: &Request, auth: &FakeAuth, host: &str, name: &str) -> Option<Answer> {
    let given = request.headers.get("authorization");
    match auth {
        FakeAuth::None => None,
        FakeAuth::Basic(u, p) if given == Some(&basic(u, p)) => None,
        FakeAuth::Basic(..) => Some(answer(401).header("WWW-Authenticate", r#"Basic realm="fake""#)),
        FakeAuth::Bearer { .. } if given.map(String::as_str) == Some("Bearer tok-ok") => None,
        FakeAuth::Bearer { .. } => Some(answer(401).header(
            "WWW-Authenticate",
            format!(r#"Bearer realm="http://{host}/token",service="fake",scope="repository:{name}:pull""#),
        )),
    }
}

fn route(
    request: &Request,
    name: &str,
    state: &mut State,
    referrers_api: bool,
    break_patch: bool,
) -> Option<Answer> {
    let path = request.path.as_str();
    let method = request.method.as_str();
    if path == "/v2/" {
        return Some(answer(200).body("{}"));
    }
    let rest = path
        .strip_prefix(&format!("/v2/{name}/"))
        .unwrap_or_default();
    let key = |r: &str| (name.to_string(), r.to_string());
    Some(if let Some(upload) = rest.strip_prefix("blobs/uploads/") {
        if method == "POST" {
            if let (Some(digest), Some(from)) =
                (request.query.get("mount"), request.query.get("from"))
            {
                if let Some(data) = state.blobs.get(&(from.clone(), digest.clone())).cloned() {
                    state.blobs.insert(key(digest), data);
                    return Some(
                        answer(201).header("Location", format!("/v2/{name}/blobs/{digest}")),
                    );
                }
            }
            state.next_upload += 1;
            let id = format!("u{}", state.next_upload);
            state.uploads.insert(id.clone(), Vec::new());
            // Relative, with a query the client must keep.
            return Some(answer(202).header(
                "Location",
                format!("/v2/{name}/blobs/uploads/{id}?_state={id}"),
            ));
        }
        if request.query.get("_state").map(String::as_str) != Some(upload) {
            return Some(
                answer(400)
                    .body(r#"{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"lost _state"}]}"#),
            );
        }
        let Some(data) = state.uploads.get_mut(upload) else {
            return Some(answer(404));
        };
        let location = format!("/v2/{name}/blobs/uploads/{upload}?_state={upload}");
        match method {
            "PATCH" => {
                let start: usize = request
                    .headers
                    .get("content-range")
                    .and_then(|r| r.split('-').next()?.parse().ok())
                    .unwrap_or(data.len());
                if start != data.len() {
                    return Some(answer(416));
                }
                if break_patch {
                    data.extend_from_slice(&request.body[..request.body.len() / 2]);
                    return None;
                }
                data.extend_from_slice(&request.body);
                answer(202)
                    .header("Location", location)
                    .header("Range", format!("0-{}", data.len().saturating_sub(1)))
            }
            "GET" => answer(204)
                .header("Location", location)
                .header("Range", format!("0-{}", data.len().saturating_sub(1))),
            "PUT" => {
                data.extend_from_slice(&request.body);
                let data = data.clone();
                let digest = request.query.get("digest").cloned().unwrap_or_default();
                if sha256_digest(&data) != digest {
                    return Some(answer(400).body(
                        r#"{"errors":[{"code":"DIGEST_INVALID","message":"digest mismatch"}]}"#,
                    ));
                }
                state.uploads.remove(upload);
                state.blobs.insert(key(&digest), data);
                answer(201).header("Location", format!("/v2/{name}/blobs/{digest}"))
            }
            _ => answer(405),
        }
    } else if let Some(digest) = rest.strip_prefix("blobs/") {
        match state.blobs.get(&key(digest)) {
            Some(data) => answer(200)
                .header("Docker-Content-Digest", digest)
                .body(data.clone()),
            None => answer(404),
        }
    } else if let Some(reference) = rest.strip_prefix("manifests/") {
        if method == "PUT" {
            let media_type = request
                .headers
                .get("content-type")
                .cloned()
                .unwrap_or_default();
            let digest = sha256_digest(&request.body);
            state
                .manifests
                .insert(key(reference), (media_type.clone(), request.body.clone()));
            state
                .manifests
                .insert(key(&digest), (media_type, request.body.clone()));
            return Some(answer(201).header("Docker-Content-Digest", digest));
        }
        match state.manifests.get(&key(reference)) {
            Some((media_type, bytes)) => answer(200)
                .header("Content-Type", media_type.clone())
                .header("Docker-Content-Digest", sha256_digest(bytes))
                .body(bytes.clone()),
            None => answer(404),
        }
    } else if rest == "tags/list" {
        let mut tags: Vec<&String> = state
            .manifests
            .keys()
            .filter(|(repo, r)| repo == name && !r.starts_with("sha256:"))
            .map(|(_, r)| r)
            .collect();
        tags.sort();
        let after: Vec<&String> = match request.query.get("last") {
            Some(last) => tags.into_iter().filter(|t| *t > last).collect(),
            None => tags,
        };
        let page: Vec<&String> = after.iter().take(2).copied().collect();
        let mut a = answer(200).body(serde_json::json!({"name": name, "tags": page}).to_string());
        if after.len() > 2 {
            if let Some(last) = page.last() {
                a = a.header(
                    "Link",
                    format!("</v2/{name}/tags/list?n=2&last={last}>; rel=\"next\""),
                );
            }
        }
        a
    } else if let Some(digest) = rest.strip_prefix("referrers/") {
        if !referrers_api {
            return Some(answer(404));
        }
        let mut found: Vec<serde_json::Value> = Vec::new();
        for ((repo, reference), (media_type, bytes)) in &state.manifests {
            let Ok(doc) = serde_json::from_slice::<serde_json::Value>(bytes) else {
                continue;
            };
            if repo == name
                && reference.starts_with("sha256:")
                && doc["subject"]["digest"] == digest
            {
                found.push(serde_json::json!({
                    "mediaType": media_type, "digest": reference, "size": bytes.len(),
                    "artifactType": doc["artifactType"],
                }));
            }
        }
        answer(200)
            .header("Content-Type", "application/vnd.oci.image.index.v1+json")
            .body(serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": found}).to_string())
    } else {
        answer(404)
    })
}
