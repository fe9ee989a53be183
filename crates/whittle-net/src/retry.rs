//! How long to wait before trying a transfer again.

use std::time::Duration;

use crate::limits::Limits;

/// Sleep before attempt `attempt + 1`: `backoff * attempt`.
pub(crate) fn backoff(limits: &Limits, attempt: u32) -> Duration {
    limits.backoff.saturating_mul(attempt)
}
