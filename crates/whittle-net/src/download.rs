//! [`Download`]: one HTTP transfer, bounded in size and time, resumed where
//! it broke off when that is safe.
//!
//! Every byte passes through here: the body is capped (one byte more than
//! the cap is passed on so callers checking an exact size see the excess),
//! its rate is checked like curl's `--speed-limit`/`--speed-time`, and a
//! body cut short, a reset connection or a too slow transfer is resumed
//! with a `Range` request (or restarted, skipping what was read, if the
//! server ignores ranges) up to [`Limits::attempts`] attempts in all.
//! Callers check digests over the whole stream, so a resumed body is
//! verified like any other.

use std::io::{self, ErrorKind, Read};
use std::time::{Duration, Instant};

use crate::error::{chain, NetError};
use crate::limits::Limits;
use crate::redact;
use crate::retry::backoff;
use crate::transport::{Body, Transport};

/// What to fetch and how much of it to accept.
pub(crate) struct Request<'a> {
    pub(crate) url: &'a str,
    /// The most bytes accepted.
    pub(crate) cap: u64,
    /// What kind of file it is, for the over-the-cap message.
    pub(crate) what: &'static str,
    /// The size the signed metadata gives, if any.
    pub(crate) size: Option<u64>,
}

/// A transfer in progress; see the module docs.
pub(crate) struct Download {
    transport: Transport,
    url: String,
    limits: Limits,
    cap: u64,
    what: &'static str,
    /// The whole file's length, from signed metadata or the first answer.
    expected: Option<u64>,
    /// The length the first answer announced.
    announced: Option<u64>,
    /// Bytes passed on so far.
    offset: u64,
    attempts: u32,
    body: Option<Box<dyn Read + Send>>,
    window: Window,
    /// A fault seen after bytes were passed on, handled on the next read.
    pending: Option<NetError>,
    /// The failure this transfer ended with; every later read reports it.
    failed: Option<(ErrorKind, NetError)>,
}

/// Bytes received and time spent waiting for them, since the window began.
#[derive(Default)]
struct Window {
    waited: Duration,
    bytes: u64,
}

impl Download {
    /// Send the request (retrying transient failures) and return the
    /// transfer ready to read. A body announced larger than the cap is
    /// refused before it is read.
    pub(crate) fn start(
        transport: &Transport,
        limits: &Limits,
        request: &Request<'_>,
    ) -> Result<Download, NetError> {
        let mut download = Download {
            transport: transport.clone(),
            url: request.url.to_string(),
            limits: *limits,
            cap: request.cap,
            what: request.what,
            expected: request.size,
            announced: None,
            offset: 0,
            attempts: 0,
            body: None,
            window: Window::default(),
            pending: None,
            failed: None,
        };
        download.connect()?;
        Ok(download)
    }

    /// The length the server announced for the whole file, if it did.
    pub(crate) fn announced(&self) -> Option<u64> {
        self.announced
    }

    /// The whole file's length, if known (signed size, else announced).
    pub(crate) fn len(&self) -> Option<u64> {
        self.expected
    }

    /// Open the body at the current offset, trying again on transient failures.
    fn connect(&mut self) -> Result<(), NetError> {
        loop {
            self.attempts += 1;
            match self.open_at_offset() {
                Ok(reader) => {
                    self.body = Some(reader);
                    self.window = Window::default();
                    return Ok(());
                }
                Err(e) if e.is_transient() && self.attempts < self.limits.attempts => {
                    std::thread::sleep(backoff(&self.limits, self.attempts));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn open_at_offset(&mut self) -> Result<Box<dyn Read + Send>, NetError> {
        let Body { reader, len, start } = self.transport.get(&self.url, self.offset)?;
        if let Some(len) = len {
            if self.offset == 0 {
                self.announced = Some(len);
            }
            if len > self.cap && self.expected.is_none() {
                return Err(self.too_large());
            }
            match self.expected {
                None => self.expected = Some(len),
                Some(expected) if expected != len && self.offset > 0 => {
                    return Err(NetError::Transfer {
                        url: redact(&self.url),
                        reason: format!(
                            "the file changed on the server while it was downloaded \
                             ({expected} bytes, now {len})"
                        ),
                    });
                }
                Some(_) => {}
            }
        }
        if start > self.offset {
            return Err(NetError::Transfer {
                url: redact(&self.url),
                reason: format!(
                    "asked to resume at byte {}, the server sent bytes from {start}",
                    self.offset
                ),
            });
        }
        // A server that ignores ranges sends the file from its start again.
        let mut reader = reader;
        let skip = self.offset - start;
        if skip > 0 {
            let skipped = io::copy(&mut (&mut reader).take(skip), &mut io::sink())
                .map_err(|e| self.classify(&e))?;
            if skipped < skip {
                return Err(self.truncated(start + skipped));
            }
        }
        Ok(reader)
    }

    fn too_large(&self) -> NetError {
        NetError::TooLarge {
            url: redact(&self.url),
            limit: self.cap,
            what: self.what,
        }
    }

    fn truncated(&self, got: u64) -> NetError {
        NetError::Truncated {
            url: redact(&self.url),
            got,
            expected: self.expected.unwrap_or(got),
        }
    }

    /// What a failed read of the body means.
    fn classify(&self, e: &io::Error) -> NetError {
        let url = redact(&self.url);
        if is_timeout(e) {
            return NetError::TooSlow {
                url,
                detail: format!(
                    "no data arrived for {} s after {} bytes",
                    self.limits.first_byte_timeout.as_secs_f32(),
                    self.offset
                ),
            };
        }
        if let Some(kind) = io_kinds(e).find(|k| {
            matches!(
                k,
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
            )
        }) {
            let of = self.expected.map_or(String::new(), |m| format!(" of {m}"));
            return NetError::Transfer {
                url,
                reason: format!(
                    "the connection was {} after {}{of} bytes",
                    if kind == ErrorKind::ConnectionReset {
                        "reset"
                    } else {
                        "closed"
                    },
                    self.offset
                ),
            };
        }
        match self.expected {
            // The connection ended before the announced length.
            Some(expected) if self.offset < expected => self.truncated(self.offset),
            _ => NetError::Transfer {
                url,
                reason: chain(e, &self.url),
            },
        }
    }

    /// Resume after `fault` if it is transient and attempts are left; else
    /// end the transfer with it.
    fn recover(&mut self, fault: NetError) -> io::Result<()> {
        self.body = None;
        if fault.is_transient() && self.attempts < self.limits.attempts {
            std::thread::sleep(backoff(&self.limits, self.attempts));
            if let Err(e) = self.connect() {
                return Err(self.fail(e));
            }
            return Ok(());
        }
        Err(self.fail(fault))
    }

    fn fail(&mut self, error: NetError) -> io::Error {
        let kind = match &error {
            NetError::Truncated { .. } => ErrorKind::UnexpectedEof,
            NetError::TooSlow { .. } => ErrorKind::TimedOut,
            NetError::TooLarge { .. } => ErrorKind::InvalidData,
            _ => ErrorKind::Other,
        };
        self.failed = Some((kind, error.replay()));
        io::Error::new(kind, error)
    }

    /// Count `n` bytes that took `waited`; a full window below the minimum
    /// rate is a fault.
    fn check_rate(&mut self, n: usize, waited: Duration) -> Option<NetError> {
        let limits = &self.limits;
        if limits.min_speed == 0 {
            return None;
        }
        self.window.waited += waited;
        self.window.bytes += n as u64;
        if self.window.waited < limits.speed_window {
            return None;
        }
        let seconds = self.window.waited.as_secs_f64();
        let rate = self.window.bytes as f64 / seconds;
        let slow = rate < limits.min_speed as f64;
        let fault = slow.then(|| NetError::TooSlow {
            url: redact(&self.url),
            detail: format!(
                "{} bytes in {seconds:.1} s, below the {} bytes/s whittle requires",
                self.window.bytes, limits.min_speed
            ),
        });
        self.window = Window::default();
        fault
    }
}

impl Read for Download {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some((kind, error)) = &self.failed {
                return Err(io::Error::new(*kind, error.replay()));
            }
            if let Some(fault) = self.pending.take() {
                self.recover(fault)?;
            }
            let room = self.cap.saturating_add(1).saturating_sub(self.offset);
            if room == 0 {
                let e = self.too_large();
                return Err(self.fail(e));
            }
            let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
            let Some(body) = self.body.as_mut() else {
                let e = self.truncated(self.offset);
                return Err(self.fail(e));
            };
            let started = Instant::now();
            let result = body.read(&mut buf[..want]);
            let waited = started.elapsed();
            let fault = match result {
                Ok(0) => match self.expected {
                    Some(expected) if self.offset < expected => self.truncated(self.offset),
                    _ => return Ok(0),
                },
                Ok(n) => {
                    self.offset += n as u64;
                    self.pending = self.check_rate(n, waited);
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => self.classify(&e),
            };
            self.recover(fault)?;
        }
    }
}

/// `e` and its causes, looking inside I/O errors that wrap another error.
fn causes(e: &io::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    std::iter::from_fn(move || {
        let this = cur?;
        cur = match this.downcast_ref::<io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => this.source(),
        };
        Some(this)
    })
}

/// Whether a timeout is somewhere in `e`'s chain.
fn is_timeout(e: &io::Error) -> bool {
    causes(e).any(|err| {
        err.downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
            || err
                .downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == ErrorKind::TimedOut)
    })
}

/// The kinds of the I/O errors in `e`'s chain, outermost first.
fn io_kinds(e: &io::Error) -> impl Iterator<Item = ErrorKind> + '_ {
    causes(e).filter_map(|err| err.downcast_ref::<io::Error>().map(io::Error::kind))
}
