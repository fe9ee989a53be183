//! Progress and warnings from long work, without printing.

/// Receives progress from the engine and the package worlds.
///
/// Every method has an empty default, so a front end implements only what
/// it shows. Implementations must be cheap and thread-safe: downloads
/// report from several threads at once.
pub trait Reporter: Send + Sync {
    /// A new phase of the build began (`"resolving amd64"`, `"writing layer"`).
    fn on_step(&self, _step: &str) {}
    /// A download began; the returned token names it in later calls.
    fn on_download_start(&self, _label: &str, _size: Option<u64>) -> usize {
        0
    }
    /// `bytes` of the download have arrived so far.
    fn on_download_progress(&self, _token: usize, _bytes: u64) {}
    /// The download finished (successfully or not).
    fn on_download_complete(&self, _token: usize) {}
    /// Something the user should know, that does not stop the build.
    fn on_warning(&self, _message: &str) {}
    /// A detail for verbose logs.
    fn on_info(&self, _message: &str) {}
}

/// A reporter that discards everything (tests, library use).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullReporter;

impl Reporter for NullReporter {}

/// The most skipped index entries warned about one by one.
pub const MAX_SKIP_WARNINGS: usize = 10;

/// Warn about entries of the index `shown` that its parser set aside: the
/// first [`MAX_SKIP_WARNINGS`] one by one (`describe` gives the package and
/// why), then the count beside the `records` read. `unit` names an entry
/// (`stanza`, `record`); `trust` says why the rest is still used.
pub fn warn_skipped<T>(
    reporter: &dyn Reporter,
    shown: &str,
    unit: &str,
    trust: &str,
    skipped: &[T],
    records: usize,
    describe: impl Fn(&T) -> (String, String),
) {
    for s in skipped.iter().take(MAX_SKIP_WARNINGS) {
        let (package, why) = describe(s);
        reporter.on_warning(&format!(
            "{shown}: skipping package {package} ({why}); {trust}"
        ));
    }
    let n = skipped.len();
    reporter.on_warning(&format!(
        "{shown}: {n} malformed {unit}{} skipped{}, {records} package record{} read",
        if n == 1 { "" } else { "s" },
        if n > MAX_SKIP_WARNINGS {
            format!(" ({} not shown)", n - MAX_SKIP_WARNINGS)
        } else {
            String::new()
        },
        if records == 1 { "" } else { "s" },
    ));
}
