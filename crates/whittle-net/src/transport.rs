//! Opening a URL: HTTP(S) through reqwest, or a local file.

use std::io::Read;
use std::path::Path;

use reqwest::blocking::Client;
use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::StatusCode;

use crate::error::{chain, NetError};
use crate::limits::Limits;
use crate::redact;

/// An open body: its reader, the whole file's length if known, and the
/// offset in the file where this body starts (non-zero for a resumed
/// transfer the server answered with `206 Partial Content`).
pub(crate) struct Body {
    pub(crate) reader: Box<dyn Read + Send>,
    pub(crate) len: Option<u64>,
    pub(crate) start: u64,
}

/// The HTTP client (absent when offline). Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    client: Option<Client>,
}

impl Transport {
    pub(crate) fn new(offline: bool, limits: &Limits) -> Result<Transport, NetError> {
        if offline {
            return Ok(Transport { client: None });
        }
        // reqwest's blocking client applies `timeout` to waiting for the
        // headers and to every single read of the body: it bounds a stall;
        // the minimum rate is checked by `Download`.
        let client = Client::builder()
            .user_agent(concat!("whittle/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.first_byte_timeout)
            .build()
            .map_err(|e| NetError::Client {
                reason: chain(&e, ""),
            })?;
        Ok(Transport {
            client: Some(client),
        })
    }

    /// GET `url` from byte `from` on; a 2xx answer yields its body, 404/410
    /// [`NetError::NotFound`], anything else [`NetError::Http`]. A server
    /// that ignores the range answers 200 and the body starts at 0.
    pub(crate) fn get(&self, url: &str, from: u64) -> Result<Body, NetError> {
        let Some(client) = &self.client else {
            return Err(NetError::NotCached { url: redact(url) });
        };
        let mut request = client.get(url);
        if from > 0 {
            request = request.header(RANGE, format!("bytes={from}-"));
        }
        let response = request.send().map_err(|e| {
            let e = e.without_url();
            let reason = chain(&e, url);
            if e.is_builder() {
                NetError::InvalidUrl {
                    url: redact(url),
                    reason,
                }
            } else if e.is_timeout() && !e.is_connect() {
                NetError::TooSlow {
                    url: redact(url),
                    detail: "the server did not answer in time".to_string(),
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
        let (start, len) = if status == StatusCode::PARTIAL_CONTENT {
            let range = response
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range)
                .ok_or_else(|| NetError::Transfer {
                    url: redact(url),
                    reason: "the server answered a partial download without a valid Content-Range"
                        .to_string(),
                })?;
            range
        } else {
            (0, response.content_length())
        };
        Ok(Body {
            reader: Box::new(response),
            len,
            start,
        })
    }
}

/// `bytes FIRST-LAST/TOTAL` (TOTAL may be `*`): the first offset and the total.
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    let first: u64 = first.trim().parse().ok()?;
    let last: u64 = last.trim().parse().ok()?;
    if last < first {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((first, total))
}

/// Open a local file; a missing file is [`NetError::NotFound`].
pub(crate) fn open_local(url: &str, path: &Path) -> Result<Body, NetError> {
    let file = fs_err::File::open(path).map_err(|error| local_error(url, error))?;
    let len = file.metadata().ok().map(|m| m.len());
    Ok(Body {
        reader: Box::new(file),
        len,
        start: 0,
    })
}

/// Read a whole local file of at most `limit` bytes.
pub(crate) fn read_local(
    url: &str,
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>, NetError> {
    let file = fs_err::File::open(path).map_err(|error| local_error(url, error))?;
    let mut out = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|error| local_error(url, error))?;
    if out.len() as u64 > limit {
        return Err(NetError::TooLarge {
            url: redact(url),
            limit,
            what,
        });
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::parse_content_range;

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("bytes 9-5/10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
        assert_eq!(parse_content_range("bytes */200"), None);
    }
}
