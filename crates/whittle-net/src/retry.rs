//! Retrying transient failures.

use std::time::Duration;

use crate::error::NetError;

/// Attempts in total, including the first.
pub(crate) const ATTEMPTS: u32 = 3;

/// Sleep before attempt `n + 1` is `BACKOFF * n`.
const BACKOFF: Duration = Duration::from_millis(250);

/// Run `attempt` until it succeeds, fails permanently, or [`ATTEMPTS`] attempts were made.
pub(crate) fn with_retries<T>(
    mut attempt: impl FnMut() -> Result<T, NetError>,
) -> Result<T, NetError> {
    let mut n = 1;
    loop {
        match attempt() {
            Err(e) if e.is_transient() && n < ATTEMPTS => {
                std::thread::sleep(BACKOFF * n);
                n += 1;
            }
            result => return result,
        }
    }
}
