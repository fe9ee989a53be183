//! `--build-date`: seconds since the epoch, or an RFC 3339 time with any
//! offset. `jiff` parses and checks it.

use anyhow::{anyhow, Result};
use jiff::Timestamp;

/// Parse `1700000000`, `2023-11-14T22:13:20Z` or `2023-11-14T23:13:20+01:00`
/// into seconds since the epoch.
pub fn parse_build_date(text: &str) -> Result<i64> {
    let t = text.trim();
    let instant = match t.parse::<i64>() {
        Ok(seconds) => Timestamp::from_second(seconds).map_err(|e| {
            anyhow!("--build-date {text:?}: {e}; use a time between the years -9999 and 9999")
        })?,
        Err(_) => t.parse::<Timestamp>().map_err(|e| {
            anyhow!(
                "--build-date {text:?} is not a valid time ({e}); use seconds since the epoch \
                 or RFC 3339 such as 2023-11-14T22:13:20Z"
            )
        })?,
    };
    Ok(instant.as_second())
}

/// `epoch` as RFC 3339 in UTC (`2024-05-01T12:00:00Z`), as the image
/// config's `created` is written.
pub fn rfc3339(epoch: i64) -> String {
    jiff::Timestamp::from_second(epoch)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        assert_eq!(parse_build_date("1700000000").unwrap(), 1_700_000_000);
        assert_eq!(parse_build_date(" -1 ").unwrap(), -1);
        assert_eq!(
            parse_build_date("2023-11-14T22:13:20Z").unwrap(),
            1_700_000_000
        );
        assert_eq!(
            parse_build_date("2023-11-14T23:13:20+01:00").unwrap(),
            1_700_000_000
        );
        assert_eq!(
            parse_build_date("2023-11-14 17:13:20-05:00").unwrap(),
            1_700_000_000
        );
        assert_eq!(
            parse_build_date("2023-11-14T22:13:20.75Z").unwrap(),
            1_700_000_000
        );
        assert_eq!(parse_build_date("1970-01-01T00:00:00Z").unwrap(), 0);
    }

    #[test]
    fn refuses_invalid_dates() {
        for bad in [
            "yesterday",
            "",
            "2023-13-45T99:99:99Z",
            "2023-02-29T00:00:00Z",
            "2023-11-14T24:00:01Z",
            "2023-11-14T22:13:20",
            "2023-11-14",
            "99999999999999999",
        ] {
            let err = parse_build_date(bad).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("--build-date {bad:?}")),
                "{bad}: {err}"
            );
        }
        let err = parse_build_date("2023-13-45T99:99:99Z")
            .unwrap_err()
            .to_string();
        assert!(err.contains("month"), "{err}");
    }
}
