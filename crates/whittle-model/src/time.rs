//! Times as whittle writes them: every output's date comes from one build
//! epoch (seconds since 1970, UTC), formatted here and nowhere else.
//! The calendar is `jiff`'s.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The instant `epoch` seconds after 1970-01-01T00:00:00Z, clamped to the
/// years jiff represents (-9999 to 9999).
fn timestamp(epoch: i64) -> Timestamp {
    let clamped = epoch.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(clamped).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `2023-11-14T22:13:20Z` for 1700000000: RFC 3339 in UTC, whole seconds.
pub fn rfc3339(epoch: i64) -> String {
    timestamp(epoch).to_string()
}

/// `2023-11-14` for 1700000000: the date in UTC.
pub fn iso_date(epoch: i64) -> String {
    TimeZone::UTC
        .to_datetime(timestamp(epoch))
        .date()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        // jiff's last instant, so that every offset keeps it in year 9999.
        assert_eq!(rfc3339(i64::MAX), "9999-12-30T22:00:00Z");
        assert_eq!(iso_date(1_783_765_031), "2026-07-11");
        assert_eq!(iso_date(-1), "1969-12-31");
    }
}
