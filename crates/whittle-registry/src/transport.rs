//! Sending one registry request: the base URL (http or https), the
//! `Authorization` header (answering a 401 challenge once), retries with
//! backoff, and turning an HTTP status into a [`RegistryError`].

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Certificate, StatusCode};

use crate::auth::challenge::{self, Challenge};
use crate::auth::token::{self, TokenCache};
use crate::auth::Credentials;
use crate::error::{chain, RegistryError};
use crate::options::ClientOptions;
use crate::reference::api_host;

/// Which registry and repository a request is for (for URLs and messages).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub(crate) registry: &'a str,
    pub(crate) repository: &'a str,
}

/// Builds one attempt of a request (called again for every retry).
pub(crate) type Build<'a> = dyn Fn(&Http) -> Result<RequestBuilder, RegistryError> + 'a;

/// The shared state of a [`crate::Client`].
pub(crate) struct Transport {
    http: Http,
    pub(crate) options: ClientOptions,
    tokens: TokenCache,
    challenges: Mutex<HashMap<String, Challenge>>,
    credentials: Mutex<HashMap<String, Option<Credentials>>>,
}

impl Transport {
    pub(crate) fn new(options: ClientOptions) -> Result<Transport, RegistryError> {
        let mut certificates = Vec::new();
        for file in &options.ca_files {
            let pem = fs_err::read(file).map_err(|e| RegistryError::io(file, e))?;
            let found = Certificate::from_pem_bundle(&pem).map_err(|e| RegistryError::Config {
                path: file.clone(),
                reason: format!("not a PEM certificate bundle: {}", chain(&e)),
            })?;
            if found.is_empty() {
                return Err(RegistryError::Config {
                    path: file.clone(),
                    reason: "holds no PEM certificate".to_string(),
                });
            }
            certificates.extend(found);
        }
        let mut builder = Http::builder()
            .user_agent(options.user_agent.clone())
            .connect_timeout(options.timeout.min(Duration::from_secs(30)))
            .timeout(options.timeout);
        if !certificates.is_empty() {
            builder = builder.tls_certs_merge(certificates);
        }
        let http = builder.build().map_err(|e| RegistryError::Protocol {
            registry: String::new(),
            repository: String::new(),
            reason: format!("cannot set up the HTTP client: {}", chain(&e)),
        })?;
        Ok(Transport {
            http,
            options,
            tokens: TokenCache::default(),
            challenges: Mutex::default(),
            credentials: Mutex::default(),
        })
    }

    /// `http(s)://API-HOST`, without a trailing slash.
    pub(crate) fn base_url(&self, registry: &str) -> String {
        format!(
            "{}://{}",
            self.options.scheme_for(registry),
            api_host(registry)
        )
    }

    /// The credentials for `registry`, looked up once.
    fn credentials(&self, registry: &str) -> Result<Option<Credentials>, RegistryError> {
        let mut known = self
            .credentials
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = known.get(registry) {
            return Ok(found.clone());
        }
        let found = self.options.auth.credentials(registry)?;
        known.insert(registry.to_string(), found.clone());
        Ok(found)
    }

    /// Send with authentication: what we already know (a cached token, a
    /// Basic challenge) goes along; a 401 is answered once from its
    /// challenge, then is [`RegistryError::Unauthorized`]. `scopes` are
    /// the token scopes the request needs. `retry` is off for a chunk
    /// upload, whose caller resumes instead.
    pub(crate) fn send(
        &self,
        target: &Target<'_>,
        scopes: &[String],
        retry: bool,
        build: &Build<'_>,
    ) -> Result<Response, RegistryError> {
        let credentials = self.credentials(target.registry)?;
        let mut answered = false;
        loop {
            let known = self.challenge(target.registry);
            let authorization = match &known {
                Some(Challenge::Basic) => basic_header(credentials.as_ref()),
                Some(Challenge::Bearer { realm, service, .. }) => {
                    match self.tokens.get(target.registry, scopes) {
                        Some(token) => Some(format!("Bearer {token}")),
                        // Known token server: get the token before sending a body.
                        None if !answered => {
                            let token = self.new_token(
                                target,
                                realm,
                                service.as_deref(),
                                scopes,
                                credentials.as_ref(),
                            )?;
                            answered = true;
                            Some(format!("Bearer {token}"))
                        }
                        None => None,
                    }
                }
                None => None,
            };
            let with_auth = |http: &Http| {
                let request = build(http)?;
                Ok(match &authorization {
                    Some(value) => request.header(AUTHORIZATION, value),
                    None => request,
                })
            };
            let response = self.send_retrying(target, &with_auth, retry)?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            let unauthorized = || RegistryError::Unauthorized {
                registry: target.registry.to_string(),
                repository: target.repository.to_string(),
                hint: unauthorized_hint(target.registry, credentials.is_some()),
            };
            if answered {
                return Err(unauthorized());
            }
            let Some(challenge) = response
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .and_then(challenge::parse)
            else {
                return Err(unauthorized());
            };
            match &challenge {
                Challenge::Basic if !matches!(credentials, Some(Credentials::Basic { .. })) => {
                    return Err(unauthorized())
                }
                Challenge::Basic => {}
                Challenge::Bearer {
                    realm,
                    service,
                    scope,
                } => {
                    // A registry-wide request (`/v2/`) takes the scope the registry names.
                    let scopes: Vec<String> = if scopes.is_empty() {
                        scope.iter().cloned().collect()
                    } else {
                        scopes.to_vec()
                    };
                    self.new_token(
                        target,
                        realm,
                        service.as_deref(),
                        &scopes,
                        credentials.as_ref(),
                    )?;
                }
            }
            self.challenges
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(target.registry.to_string(), challenge);
            answered = true;
        }
    }

    fn challenge(&self, registry: &str) -> Option<Challenge> {
        self.challenges
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(registry)
            .cloned()
    }

    fn new_token(
        &self,
        target: &Target<'_>,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        credentials: Option<&Credentials>,
    ) -> Result<String, RegistryError> {
        let token = token::fetch(self, target, realm, service, scopes, credentials)?;
        self.tokens.put(target.registry, scopes, token.clone());
        Ok(token)
    }

    /// Send, retrying 5xx/429 answers, broken connections and timeouts
    /// with exponential backoff. A refused connection or a TLS failure is
    /// not retried: it will not heal in seconds.
    pub(crate) fn send_retrying(
        &self,
        target: &Target<'_>,
        build: &Build<'_>,
        retry: bool,
    ) -> Result<Response, RegistryError> {
        let attempts = if retry { self.options.retries } else { 0 };
        let mut attempt = 0;
        loop {
            let result = build(&self.http)?.send();
            let again = attempt < attempts
                && match &result {
                    Ok(response) => is_retryable(response.status()),
                    Err(e) => !e.is_connect() && !e.is_builder() && !e.is_redirect(),
                };
            if !again {
                return result.map_err(|e| self.connect_error(target, &e));
            }
            let factor = 1u32 << attempt.min(4);
            std::thread::sleep(self.options.retry_delay.saturating_mul(factor));
            attempt += 1;
        }
    }

    fn connect_error(&self, target: &Target<'_>, error: &reqwest::Error) -> RegistryError {
        let scheme = self.options.scheme_for(target.registry);
        let mut reason = chain(&without_url(error));
        let lower = reason.to_lowercase();
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            reason.push_str(
                "; TLS: certificate not trusted — pass --registry-ca FILE, or --insecure-registry HOST for a registry without TLS",
            );
        } else if error.is_timeout() {
            reason.push_str("; the registry did not answer in time: check the network or retry");
        } else if error.is_connect() {
            reason.push_str("; check the registry's address and that it is running");
        } else {
            reason.push_str(
                "; the connection kept failing after retries: check the network or retry",
            );
        }
        RegistryError::Connect {
            registry: target.registry.to_string(),
            repository: target.repository.to_string(),
            scheme: scheme.to_string(),
            reason,
        }
    }
}

fn without_url(error: &reqwest::Error) -> impl std::error::Error + '_ {
    // reqwest's message may include the URL; ours are credential-free, but
    // the target already names the registry, so leave it out.
    struct Plain<'e>(&'e reqwest::Error);
    impl std::fmt::Debug for Plain<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            std::fmt::Display::fmt(self, f)
        }
    }
    impl std::fmt::Display for Plain<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let text = self.0.to_string();
            let text = text.split(" for url (").next().unwrap_or(&text);
            f.write_str(text)
        }
    }
    impl std::error::Error for Plain<'_> {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            std::error::Error::source(self.0)
        }
    }
    Plain(error)
}

fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

fn basic_header(credentials: Option<&Credentials>) -> Option<String> {
    use base64::Engine;
    match credentials {
        Some(Credentials::Basic { username, password }) => Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
        )),
        _ => None,
    }
}

pub(crate) fn unauthorized_hint(registry: &str, had_credentials: bool) -> String {
    if had_credentials {
        format!(
            "the registry rejected the credentials found for {registry}: log in again with `whittle login {registry}` or check REGISTRY_AUTH_FILE/docker config"
        )
    } else {
        format!(
            "no credentials found for {registry}: log in with `whittle login {registry}` or check REGISTRY_AUTH_FILE/docker config"
        )
    }
}

/// The error for an answer that is not a success; `what` is the object
/// asked for (`manifest latest`, `blob sha256:…`).
pub(crate) fn status_error(target: &Target<'_>, response: Response, what: &str) -> RegistryError {
    let status = response.status();
    let registry = target.registry.to_string();
    let repository = target.repository.to_string();
    let what = what.to_string();
    // Go's HTTP server answers plain HTTP on a TLS port with a bare 400.
    if status.as_u16() == 400 && response.url().scheme() == "http" {
        let body = body_excerpt(response);
        if body.is_empty() || body.contains("HTTPS") {
            return RegistryError::Connect {
                registry,
                repository,
                scheme: "http".into(),
                reason: "the registry answered 400 Bad Request, as a TLS port does to plain HTTP:                          it speaks TLS. Pass --registry-ca FILE (the CA that signed its                          certificate) to reach it over https"
                    .into(),
            };
        }
        return RegistryError::Protocol {
            registry,
            repository,
            reason: format!("HTTP 400 for {what}: {body}"),
        };
    }
    match status.as_u16() {
        401 => RegistryError::Unauthorized {
            hint: unauthorized_hint(&registry, false),
            registry,
            repository,
        },
        403 => RegistryError::Denied {
            registry,
            repository,
        },
        404 => RegistryError::NotFound {
            registry,
            repository,
            what,
        },
        413 => RegistryError::TooLarge {
            registry,
            repository,
            what,
        },
        code if code >= 500 || code == 429 => RegistryError::Server {
            registry,
            repository,
            status: code,
            body_excerpt: body_excerpt(response),
        },
        code => RegistryError::Protocol {
            registry,
            repository,
            reason: format!("HTTP {code} for {what}: {}", body_excerpt(response)),
        },
    }
}

/// The registry's error codes (`{"errors":[{"code","message"}]}`), else
/// the start of the body, on one line.
fn body_excerpt(response: Response) -> String {
    let mut body = Vec::new();
    let _ = response.take(4096).read_to_end(&mut body);
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    if let Ok(errors) = serde_json::from_slice::<Errors>(&body) {
        return errors
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect::<Vec<_>>()
            .join("; ");
    }
    let text = String::from_utf8_lossy(&body);
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect()
}

/// Read a small body (manifest, token, tag list) of at most 8 MiB.
pub(crate) fn read_small(
    target: &Target<'_>,
    response: Response,
    what: &str,
) -> Result<Vec<u8>, RegistryError> {
    const LIMIT: u64 = 8 << 20;
    let mut body = Vec::new();
    response
        .take(LIMIT + 1)
        .read_to_end(&mut body)
        .map_err(|e| RegistryError::Connect {
            registry: target.registry.to_string(),
            repository: target.repository.to_string(),
            scheme: "http(s)".to_string(),
            reason: format!("reading the {what} failed: {e}"),
        })?;
    if body.len() as u64 > LIMIT {
        return Err(RegistryError::Protocol {
            registry: target.registry.to_string(),
            repository: target.repository.to_string(),
            reason: format!("the {what} is larger than {LIMIT} bytes"),
        });
    }
    Ok(body)
}
