//! `--build-date`: seconds since the epoch, or an RFC 3339 UTC time.

use anyhow::{bail, Result};

/// Parse `1700000000` or `2023-11-14T22:13:20Z`.
pub fn parse_build_date(text: &str) -> Result<i64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n);
    }
    let bad = || {
        anyhow::anyhow!(
            "--build-date {text:?}: use seconds since the epoch or YYYY-MM-DDTHH:MM:SSZ"
        )
    };
    let (date, time) = t.split_once(['T', ' ']).ok_or_else(bad)?;
    let time = time
        .strip_suffix('Z')
        .or_else(|| time.strip_suffix("+00:00"))
        .ok_or_else(bad)?;
    let d: Vec<i64> = date
        .split('-')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let tm: Vec<i64> = time
        .split(':')
        .map(|p| p.split('.').next().unwrap_or(p).parse())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let ([y, m, day], [hh, mm, ss]) = (d.as_slice(), tm.as_slice()) else {
        bail!(bad());
    };
    Ok(days_from_civil(*y, *m, *day) * 86_400 + hh * 3600 + mm * 60 + ss)
}

use whittle::days_from_civil;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        assert_eq!(parse_build_date("1700000000").unwrap(), 1_700_000_000);
        assert_eq!(
            parse_build_date("2023-11-14T22:13:20Z").unwrap(),
            1_700_000_000
        );
        assert_eq!(parse_build_date("1970-01-01T00:00:00Z").unwrap(), 0);
        assert!(parse_build_date("yesterday").is_err());
    }
}
