//! The [`Client`] and a [`Repository`] handle: blob reads, tag lists, the
//! `/v2/` check. Uploads are in `upload.rs`, manifests in `manifest.rs`.

use std::io::{Read, Write};
use std::sync::Arc;

use reqwest::header::{CONTENT_LENGTH, LINK};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::error::RegistryError;
use crate::options::ClientOptions;
use crate::transport::{read_small, status_error, Target, Transport};

/// A registry client: HTTP connections, credentials and the token cache,
/// shared by every thread using it. Cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Arc<Transport>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    /// A client with these options; reads the `--registry-ca` files now.
    pub fn new(options: ClientOptions) -> Result<Client, RegistryError> {
        Ok(Client {
            transport: Arc::new(Transport::new(options)?),
        })
    }

    /// The options this client was made with.
    pub fn options(&self) -> &ClientOptions {
        &self.transport.options
    }

    /// A handle on one repository of one registry (`docker.io`, `ghcr.io`,
    /// `localhost:5000`), e.g. from a [`crate::Reference`].
    pub fn repository<'a>(&'a self, registry: &str, repository: &str) -> Repository<'a> {
        Repository {
            client: self,
            registry: registry.to_string(),
            name: repository.to_string(),
        }
    }

    /// `GET /v2/` through the challenge flow: Ok if the registry accepts us.
    pub(crate) fn ping(&self, registry: &str) -> Result<(), RegistryError> {
        let target = Target {
            registry,
            repository: "",
        };
        let url = format!("{}/v2/", self.transport.base_url(registry));
        let response = self
            .transport
            .send(&target, &[], true, &|http| Ok(http.get(&url)))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(status_error(&target, response, "API root /v2/"))
        }
    }
}

/// One repository on one registry. Borrow of a [`Client`]; cheap to make.
#[derive(Debug, Clone)]
pub struct Repository<'a> {
    pub(crate) client: &'a Client,
    pub(crate) registry: String,
    pub(crate) name: String,
}

impl Repository<'_> {
    /// The registry host.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn target(&self) -> Target<'_> {
        Target {
            registry: &self.registry,
            repository: &self.name,
        }
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.client.transport
    }

    /// `http(s)://host/v2/NAME/` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!(
            "{}/v2/{}/{path}",
            self.transport().base_url(&self.registry),
            self.name
        )
    }

    /// Token scopes: `pull`, or `pull,push` to write.
    pub(crate) fn scopes(&self, push: bool) -> Vec<String> {
        let actions = if push { "pull,push" } else { "pull" };
        vec![format!("repository:{}:{actions}", self.name)]
    }

    pub(crate) fn protocol(&self, reason: impl Into<String>) -> RegistryError {
        RegistryError::Protocol {
            registry: self.registry.clone(),
            repository: self.name.clone(),
            reason: reason.into(),
        }
    }

    /// `GET` (or `HEAD`) `path` under the repository, with `accept` if
    /// given: the response when it succeeded, `None` on a 404, an error
    /// naming `what` otherwise.
    pub(crate) fn read(
        &self,
        path: &str,
        head: bool,
        accept: Option<&str>,
        what: &str,
    ) -> Result<Option<reqwest::blocking::Response>, RegistryError> {
        let url = self.url(path);
        let response =
            self.transport()
                .send(&self.target(), &self.scopes(false), true, &|http| {
                    let request = if head {
                        http.head(&url)
                    } else {
                        http.get(&url)
                    };
                    Ok(match accept {
                        Some(accept) => request.header(reqwest::header::ACCEPT, accept),
                        None => request,
                    })
                })?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(Some(response)),
            _ => Err(status_error(&self.target(), response, what)),
        }
    }

    /// The size of blob `digest` if the repository has it (`HEAD`).
    pub fn blob_exists(&self, digest: &str) -> Result<Option<u64>, RegistryError> {
        let response = self.read(
            &format!("blobs/{digest}"),
            true,
            None,
            &format!("blob {digest}"),
        )?;
        Ok(response.map(|r| header_u64(&r, CONTENT_LENGTH.as_str()).unwrap_or_default()))
    }

    /// Stream blob `digest` into `out`, checking its sha256 on the way;
    /// returns its size. A wrong hash is [`RegistryError::DigestMismatch`]
    /// (the bytes already written to `out` must then be discarded).
    pub fn get_blob(&self, digest: &str, out: &mut dyn Write) -> Result<u64, RegistryError> {
        let expected_hex = digest
            .strip_prefix("sha256:")
            .filter(|_| crate::reference::check_digest(digest).is_ok())
            .ok_or_else(|| {
                self.protocol(format!(
                    "cannot verify blob digest {digest:?}: only sha256 is supported"
                ))
            })?;
        let url = self.url(&format!("blobs/{digest}"));
        let response =
            self.transport()
                .send(&self.target(), &self.scopes(false), true, &|http| {
                    Ok(http.get(&url))
                })?;
        if !response.status().is_success() {
            return Err(status_error(
                &self.target(),
                response,
                &format!("blob {digest}"),
            ));
        }
        let mut reader = response;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 64 << 10];
        let mut total = 0u64;
        loop {
            let n = reader
                .read(&mut buffer)
                .map_err(|e| RegistryError::Connect {
                    registry: self.registry.clone(),
                    repository: self.name.clone(),
                    scheme: self
                        .transport()
                        .options
                        .scheme_for(&self.registry)
                        .to_string(),
                    reason: format!(
                        "the download of blob {digest} broke off after {total} bytes: {e}"
                    ),
                })?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            out.write_all(&buffer[..n])
                .map_err(|e| self.protocol(format!("cannot write blob {digest}: {e}")))?;
            total += n as u64;
        }
        let actual = hex::encode(hasher.finalize());
        if actual != expected_hex {
            return Err(RegistryError::DigestMismatch {
                registry: self.registry.clone(),
                repository: self.name.clone(),
                what: format!("blob {digest}"),
                expected: digest.to_string(),
                actual: format!("sha256:{actual}"),
            });
        }
        Ok(total)
    }

    /// Every tag of the repository, following `Link` pages.
    pub fn tags(&self) -> Result<Vec<String>, RegistryError> {
        #[derive(serde::Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut tags = Vec::new();
        let mut next = Some(self.url("tags/list"));
        while let Some(url) = next.take() {
            let response =
                self.transport()
                    .send(&self.target(), &self.scopes(false), true, &|http| {
                        Ok(http.get(&url))
                    })?;
            if !response.status().is_success() {
                return Err(status_error(&self.target(), response, "tag list"));
            }
            next = next_link(&response, &url);
            let body = read_small(&self.target(), response, "tag list")?;
            let list: TagList = serde_json::from_slice(&body)
                .map_err(|e| self.protocol(format!("the tag list is not valid JSON: {e}")))?;
            tags.extend(list.tags.unwrap_or_default());
        }
        Ok(tags)
    }
}

pub(crate) fn header_u64(response: &reqwest::blocking::Response, name: &str) -> Option<u64> {
    response
        .headers()
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

pub(crate) fn header_str(response: &reqwest::blocking::Response, name: &str) -> Option<String> {
    Some(
        response
            .headers()
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .to_string(),
    )
}

/// The `rel="next"` target of a `Link` header, resolved against `current`.
pub(crate) fn next_link(response: &reqwest::blocking::Response, current: &str) -> Option<String> {
    let header = header_str(response, LINK.as_str())?;
    for part in header.split(',') {
        let (target, params) = part.split_once(';')?;
        if params.replace(' ', "").contains("rel=\"next\"")
            || params.replace(' ', "").contains("rel=next")
        {
            let target = target.trim().trim_start_matches('<').trim_end_matches('>');
            return resolve(current, target);
        }
    }
    None
}

/// `location` (absolute, or relative to `base`) as an absolute URL.
pub(crate) fn resolve(base: &str, location: &str) -> Option<String> {
    url::Url::parse(base)
        .ok()?
        .join(location)
        .ok()
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn resolves_locations() {
        assert_eq!(
            resolve(
                "http://h:5000/v2/a/blobs/uploads/",
                "/v2/a/blobs/uploads/u1?_state=x"
            )
            .as_deref(),
            Some("http://h:5000/v2/a/blobs/uploads/u1?_state=x")
        );
        assert_eq!(
            resolve(
                "http://h/v2/a/blobs/uploads/",
                "https://s3.example/up?sig=1"
            )
            .as_deref(),
            Some("https://s3.example/up?sig=1")
        );
    }
}
