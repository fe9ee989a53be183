//! Telling remote URLs from local files.

use std::path::PathBuf;

use crate::error::NetError;
use crate::redact;

/// Where a URL points.
#[derive(Debug)]
pub(crate) enum Location {
    /// `http://` or `https://`.
    Remote,
    /// `file://` URL or a plain path.
    Local(PathBuf),
}

impl Location {
    pub(crate) fn parse(url: &str) -> Result<Location, NetError> {
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Ok(Location::Remote);
        }
        if lower.starts_with("file:") {
            let invalid = |reason: String| NetError::InvalidUrl {
                url: redact(url),
                reason,
            };
            let parsed = reqwest::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
            return parsed
                .to_file_path()
                .map(Location::Local)
                .map_err(|()| invalid("not a local file path".to_string()));
        }
        if url.is_empty() {
            return Err(NetError::InvalidUrl {
                url: String::new(),
                reason: "empty URL".to_string(),
            });
        }
        if url.contains("://") {
            return Err(NetError::InvalidUrl {
                url: redact(url),
                reason: "unsupported scheme".to_string(),
            });
        }
        Ok(Location::Local(PathBuf::from(url)))
    }
}

#[cfg(test)]
mod tests {
    use super::Location;

    #[test]
    fn classifies() {
        assert!(matches!(
            Location::parse("http://h/x"),
            Ok(Location::Remote)
        ));
        assert!(matches!(
            Location::parse("HTTPS://h/x"),
            Ok(Location::Remote)
        ));
        match Location::parse("file:///tmp/a%20b") {
            Ok(Location::Local(p)) => assert_eq!(p, std::path::Path::new("/tmp/a b")),
            other => panic!("{other:?}"),
        }
        match Location::parse("rel/dir/file") {
            Ok(Location::Local(p)) => assert_eq!(p, std::path::Path::new("rel/dir/file")),
            other => panic!("{other:?}"),
        }
        assert!(Location::parse("ftp://h/x").is_err());
        assert!(Location::parse("").is_err());
    }
}
