//! Pushing a blob (OCI distribution spec, "Pushing blobs"): existence check,
//! cross-repository mount, monolithic upload, or chunked upload resumed from
//! the registry's `Range` after a failed chunk.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use reqwest::blocking::{Body, Response};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RANGE};
use reqwest::StatusCode;

use crate::client::{header_str, resolve, Repository};
use crate::error::RegistryError;
use crate::transport::status_error;

/// A blob to push: in memory, or a file.
#[derive(Debug, Clone)]
pub enum BlobSource<'a> {
    /// Bytes in memory.
    Bytes {
        /// `sha256:…` of `data`.
        digest: String,
        /// The content.
        data: &'a [u8],
    },
    /// A file of `size` bytes.
    File {
        /// `sha256:…` of the file.
        digest: String,
        /// Its size.
        size: u64,
        /// Its path.
        path: &'a Path,
    },
}

impl BlobSource<'_> {
    /// The blob's digest.
    pub fn digest(&self) -> &str {
        match self {
            BlobSource::Bytes { digest, .. } | BlobSource::File { digest, .. } => digest,
        }
    }

    /// The blob's size.
    pub fn size(&self) -> u64 {
        match self {
            BlobSource::Bytes { data, .. } => data.len() as u64,
            BlobSource::File { size, .. } => *size,
        }
    }

    /// A request body with bytes `start..end`.
    fn body(&self, start: u64, end: u64) -> Result<Body, RegistryError> {
        match self {
            BlobSource::Bytes { data, .. } => {
                // Offsets are within `data`, whose length fits in usize.
                let range = usize::try_from(start).unwrap_or(usize::MAX)
                    ..usize::try_from(end).unwrap_or(usize::MAX);
                Ok(Body::from(data.get(range).unwrap_or_default().to_vec()))
            }
            BlobSource::File { path, .. } => {
                let mut file = fs_err::File::open(path).map_err(|e| RegistryError::io(*path, e))?;
                file.seek(SeekFrom::Start(start))
                    .map_err(|e| RegistryError::io(*path, e))?;
                Ok(Body::sized(file.take(end - start), end - start))
            }
        }
    }
}

/// What pushing a blob did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobPush {
    /// The repository had it already.
    Existed,
    /// Mounted from another repository of the registry; nothing uploaded.
    Mounted,
    /// Uploaded.
    Uploaded {
        /// Its size.
        bytes: u64,
    },
}

impl Repository<'_> {
    /// Push a blob unless the repository has it: `HEAD` first; then, if
    /// `mount_from` names repositories on this registry, a mount from the
    /// first (a registry that cannot mount answers with an upload session,
    /// which is used); then an upload, in one request up to
    /// [`crate::ClientOptions::chunk_size`], in chunks beyond.
    pub fn push_blob(
        &self,
        blob: &BlobSource<'_>,
        mount_from: &[&str],
    ) -> Result<BlobPush, RegistryError> {
        let digest = blob.digest();
        if self.blob_exists(digest)?.is_some() {
            return Ok(BlobPush::Existed);
        }
        let from = mount_from.iter().find(|r| **r != self.name);
        let mut start = self.url("blobs/uploads/");
        let mut scopes = self.scopes(true);
        if let Some(from) = from {
            let mut url = url::Url::parse(&start)
                .map_err(|e| self.protocol(format!("bad upload URL: {e}")))?;
            url.query_pairs_mut()
                .append_pair("mount", digest)
                .append_pair("from", from);
            start = url.into();
            scopes.push(format!("repository:{from}:pull"));
        }
        let response = self
            .transport()
            .send(&self.target(), &scopes, true, &|http| {
                Ok(http.post(&start).header(CONTENT_LENGTH, "0"))
            })?;
        if from.is_some() && response.status() == StatusCode::CREATED {
            return Ok(BlobPush::Mounted);
        }
        let mut location =
            self.session_location(&response, &start, StatusCode::ACCEPTED, digest)?;
        let size = blob.size();
        if size > self.transport().options.chunk_size {
            location = self.upload_chunks(blob, location)?;
            self.finish(blob, &location, false)?;
        } else {
            self.finish(blob, &location, true)?;
        }
        Ok(BlobPush::Uploaded { bytes: size })
    }

    /// The absolute upload URL in an answer that must have `expected` status.
    fn session_location(
        &self,
        response: &Response,
        current: &str,
        expected: StatusCode,
        digest: &str,
    ) -> Result<String, RegistryError> {
        if response.status() != expected {
            return Err(self.protocol(format!(
                "HTTP {} while uploading blob {digest} (expected {expected})",
                response.status().as_u16()
            )));
        }
        header_str(response, LOCATION.as_str())
            .and_then(|l| resolve(current, &l))
            .ok_or_else(|| {
                self.protocol(format!(
                    "the upload answer for blob {digest} has no valid Location"
                ))
            })
    }

    /// `PUT LOCATION?digest=…`, with the whole blob (`whole`) or, after
    /// the chunks, nothing.
    fn finish(
        &self,
        blob: &BlobSource<'_>,
        location: &str,
        whole: bool,
    ) -> Result<(), RegistryError> {
        let digest = blob.digest();
        let mut url =
            url::Url::parse(location).map_err(|e| self.protocol(format!("bad upload URL: {e}")))?;
        url.query_pairs_mut().append_pair("digest", digest);
        let response =
            self.transport()
                .send(&self.target(), &self.scopes(true), true, &|http| {
                    let request = http
                        .put(url.as_str())
                        .header(CONTENT_TYPE, "application/octet-stream");
                    Ok(if whole {
                        request.body(blob.body(0, blob.size())?)
                    } else {
                        request.header(CONTENT_LENGTH, "0")
                    })
                })?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(status_error(
                &self.target(),
                response,
                &format!("blob {digest} ({} bytes)", blob.size()),
            ))
        }
    }

    /// Upload `blob` in chunks to `location`; returns the last upload URL.
    fn upload_chunks(
        &self,
        blob: &BlobSource<'_>,
        mut location: String,
    ) -> Result<String, RegistryError> {
        let digest = blob.digest();
        let size = blob.size();
        let chunk = self.transport().options.chunk_size.max(1);
        let mut offset = 0u64;
        let mut failures = 0u32;
        while offset < size {
            let end = (offset + chunk).min(size);
            let sent = self
                .transport()
                .send(&self.target(), &self.scopes(true), false, &|http| {
                    Ok(http
                        .patch(&location)
                        .header(CONTENT_TYPE, "application/octet-stream")
                        .header("Content-Range", format!("{offset}-{}", end - 1))
                        .header(CONTENT_LENGTH, (end - offset).to_string())
                        .body(blob.body(offset, end)?))
                });
            match sent {
                Ok(response) if response.status() == StatusCode::ACCEPTED => {
                    location =
                        self.session_location(&response, &location, StatusCode::ACCEPTED, digest)?;
                    offset = end;
                    continue;
                }
                Ok(response) if !is_transient_status(response.status()) => {
                    return Err(status_error(
                        &self.target(),
                        response,
                        &format!("chunk of blob {digest}"),
                    ));
                }
                Ok(response) => {
                    failures += 1;
                    if failures > self.transport().options.retries {
                        return Err(status_error(
                            &self.target(),
                            response,
                            &format!("chunk of blob {digest}"),
                        ));
                    }
                }
                Err(e @ (RegistryError::Connect { .. } | RegistryError::Server { .. })) => {
                    failures += 1;
                    if failures > self.transport().options.retries {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
            // Resume: ask the registry how much it has.
            std::thread::sleep(
                self.transport()
                    .options
                    .retry_delay
                    .saturating_mul(1 << (failures - 1).min(4)),
            );
            (location, offset) = self.upload_status(&location, digest)?;
        }
        Ok(location)
    }

    /// `GET` the upload URL: the next upload URL and the offset to go on from.
    fn upload_status(&self, location: &str, digest: &str) -> Result<(String, u64), RegistryError> {
        let response =
            self.transport()
                .send(&self.target(), &self.scopes(true), true, &|http| {
                    Ok(http.get(location))
                })?;
        if response.status() != StatusCode::NO_CONTENT && !response.status().is_success() {
            return Err(status_error(
                &self.target(),
                response,
                &format!("upload of blob {digest}"),
            ));
        }
        let offset = header_str(&response, RANGE.as_str())
            .as_deref()
            .and_then(parse_range_end)
            .unwrap_or(0);
        let next = header_str(&response, LOCATION.as_str())
            .and_then(|l| resolve(location, &l))
            .unwrap_or_else(|| location.to_string());
        Ok((next, offset))
    }
}

/// `0-N` (or `bytes=0-N`) → `N+1` bytes received. `0-0` is read as nothing
/// received: distribution answers it for an empty upload.
fn parse_range_end(range: &str) -> Option<u64> {
    let range = range.trim().trim_start_matches("bytes=");
    let (start, end) = range.split_once('-')?;
    if start.trim() != "0" {
        return None;
    }
    let end: u64 = end.trim().parse().ok()?;
    Some(if end == 0 { 0 } else { end + 1 })
}

fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504 | 416)
}

#[cfg(test)]
mod tests {
    use super::parse_range_end;

    #[test]
    fn ranges() {
        assert_eq!(parse_range_end("0-1023"), Some(1024));
        assert_eq!(parse_range_end("bytes=0-9"), Some(10));
        assert_eq!(parse_range_end("0-0"), Some(0));
        assert_eq!(parse_range_end("5-9"), None);
        assert_eq!(parse_range_end("junk"), None);
    }
}
