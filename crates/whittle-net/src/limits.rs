//! [`Limits`]: how big and how slow a download may be, and how often it is tried.

use std::time::Duration;

/// The most whittle reads of a file fetched whole without a size in signed
/// metadata: `InRelease`, `Release`, `Release.gpg`, `APKINDEX.tar.gz`,
/// keyrings (64 MiB; Debian's biggest `InRelease` is under 1 MiB).
pub const MAX_METADATA_SIZE: u64 = 64 << 20;

/// The most whittle streams of a file whose size signed metadata does not
/// give (8 GiB); the caller usually passes a tighter bound.
pub const MAX_STREAM_SIZE: u64 = 8 << 30;

/// Bounds on every download of a [`crate::Fetcher`]; see the crate docs for
/// the defaults. Set with [`crate::Fetcher::with_limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest wait for a TCP (and TLS) connection (default 30 s).
    pub connect_timeout: Duration,
    /// Longest wait for the answer's headers after sending a request, and
    /// for any data at all during a transfer: a transfer that stalls
    /// completely fails after this long (default 30 s).
    pub first_byte_timeout: Duration,
    /// Minimum transfer rate in bytes per second, averaged over
    /// `speed_window` of waiting for the network (default 1024, like curl's
    /// `--speed-limit`); 0 turns the check off.
    pub min_speed: u64,
    /// The window over which `min_speed` is measured (default 30 s, like
    /// curl's `--speed-time`). Time the caller spends between reads (e.g.
    /// decompressing) does not count.
    pub speed_window: Duration,
    /// Attempts per transfer, the first included (default 3). A transfer
    /// cut short is resumed where it stopped.
    pub attempts: u32,
    /// Sleep before attempt `n + 1` is `backoff * n` (default 250 ms).
    pub backoff: Duration,
    /// Cap on files fetched whole without a signed size (default
    /// [`MAX_METADATA_SIZE`]).
    pub max_metadata_size: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connect_timeout: Duration::from_secs(30),
            first_byte_timeout: Duration::from_secs(30),
            min_speed: 1024,
            speed_window: Duration::from_secs(30),
            attempts: 3,
            backoff: Duration::from_millis(250),
            max_metadata_size: MAX_METADATA_SIZE,
        }
    }
}

impl Limits {
    /// Set the minimum rate: fewer than `bytes_per_second` averaged over
    /// `window` aborts the attempt.
    pub fn with_min_speed(mut self, bytes_per_second: u64, window: Duration) -> Limits {
        self.min_speed = bytes_per_second;
        self.speed_window = window;
        self
    }

    /// Set the connect and first-byte (stall) timeouts.
    pub fn with_timeouts(mut self, connect: Duration, first_byte: Duration) -> Limits {
        self.connect_timeout = connect;
        self.first_byte_timeout = first_byte;
        self
    }

    /// Set the attempts per transfer and the backoff step.
    pub fn with_attempts(mut self, attempts: u32, backoff: Duration) -> Limits {
        self.attempts = attempts.max(1);
        self.backoff = backoff;
        self
    }

    /// Set the cap on files fetched whole without a signed size.
    pub fn with_max_metadata_size(mut self, bytes: u64) -> Limits {
        self.max_metadata_size = bytes;
        self
    }
}
