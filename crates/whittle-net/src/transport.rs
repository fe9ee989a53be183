//! Opening a URL: HTTP(S) through reqwest, or a local file.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::StatusCode;

use crate::error::{chain, NetError};
use crate::redact;

/// Per-operation timeout (connect, each read); a stalled transfer fails after this long.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// An open body and its announced length.
pub(crate) struct Body {
    pub(crate) reader: Box<dyn Read + Send>,
    pub(crate) len: Option<u64>,
}

/// The HTTP client (absent when offline).
#[derive(Debug)]
pub(crate) struct Transport {
    client: Option<Client>,
}

impl Transport {
    pub(crate) fn new(offline: bool) -> Result<Transport, NetError> {
        if offline {
            return Ok(Transport { client: None });
        }
        let client = Client::builder()
            .user_agent(concat!("whittle/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(IO_TIMEOUT)
            .build()
            .map_err(|e| NetError::Client {
                reason: chain(&e, ""),
            })?;
        Ok(Transport {
            client: Some(client),
        })
    }

    /// GET `url`; a 2xx answer yields its body, 404/410 [`NetError::NotFound`], anything else
    /// [`NetError::Http`].
    pub(crate) fn get(&self, url: &str) -> Result<Body, NetError> {
        let Some(client) = &self.client else {
            return Err(NetError::NotCached { url: redact(url) });
        };
        let response = client.get(url).send().map_err(|e| {
            let e = e.without_url();
            let reason = chain(&e, url);
            if e.is_builder() {
                NetError::InvalidUrl {
                    url: redact(url),
                    reason,
                }
            } else {
                NetError::Connect {
                    url: redact(url),
                    reason,
                }
            }
        })?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
            return Err(NetError::NotFound { url: redact(url) });
        }
        if !status.is_success() {
            return Err(NetError::Http {
                url: redact(url),
                status: status.as_u16(),
            });
        }
        let len = response.content_length();
        Ok(Body {
            reader: Box::new(response),
            len,
        })
    }
}

/// Open a local file; a missing file is [`NetError::NotFound`].
pub(crate) fn open_local(url: &str, path: &Path) -> Result<Body, NetError> {
    let file = fs_err::File::open(path).map_err(|error| local_error(url, error))?;
    let len = file.metadata().ok().map(|m| m.len());
    Ok(Body {
        reader: Box::new(file),
        len,
    })
}

/// Read a whole local file.
pub(crate) fn read_local(url: &str, path: &Path) -> Result<Vec<u8>, NetError> {
    fs_err::read(path).map_err(|error| local_error(url, error))
}

fn local_error(url: &str, error: std::io::Error) -> NetError {
    if error.kind() == std::io::ErrorKind::NotFound {
        NetError::NotFound { url: redact(url) }
    } else {
        NetError::Io {
            url: redact(url),
            error,
        }
    }
}

/// Read a body to the end; `limit` stops reading once more than that many bytes arrived.
pub(crate) fn read_body(
    url: &str,
    body: &mut Body,
    limit: Option<u64>,
) -> Result<Vec<u8>, NetError> {
    let mut out = Vec::with_capacity(body.len.unwrap_or(0).min(64 << 20) as usize);
    let reader = &mut body.reader;
    let result = match limit {
        Some(limit) => reader
            .by_ref()
            .take(limit.saturating_add(1))
            .read_to_end(&mut out),
        None => reader.read_to_end(&mut out),
    };
    result.map_err(|e| NetError::Transfer {
        url: redact(url),
        reason: chain(&e, url),
    })?;
    Ok(out)
}
