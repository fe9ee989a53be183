//! The terminal side of the engine's `Reporter`: progress bars when stderr
//! is a terminal, one plain line per event otherwise.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use whittle::Reporter;

/// Progress on stderr.
pub struct TermReporter {
    bars: Option<MultiProgress>,
    active: Mutex<HashMap<usize, ProgressBar>>,
    next: AtomicUsize,
    verbose_steps: bool,
}

impl TermReporter {
    /// Bars on a terminal, lines elsewhere.
    pub fn new() -> TermReporter {
        let tty = std::io::stderr().is_terminal();
        TermReporter {
            bars: tty.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            active: Mutex::new(HashMap::new()),
            next: AtomicUsize::new(1),
            verbose_steps: true,
        }
    }

    /// Warnings only (for commands whose stdout is the result).
    pub fn quiet() -> TermReporter {
        TermReporter {
            verbose_steps: false,
            ..TermReporter::new()
        }
    }

    /// Clear any bars left.
    pub fn finish(&self) {
        if let Some(m) = &self.bars {
            let _ = m.clear();
        }
    }

    fn line(&self, text: &str) {
        match &self.bars {
            Some(m) => {
                let _ = m.println(text);
            }
            None => eprintln!("{text}"),
        }
    }
}

impl Reporter for TermReporter {
    fn on_step(&self, step: &str) {
        if self.verbose_steps {
            self.line(&format!("==> {step}"));
        }
    }

    fn on_download_start(&self, label: &str, size: Option<u64>) -> usize {
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        if let Some(m) = &self.bars {
            let bar = m.add(ProgressBar::new(size.unwrap_or(0)));
            bar.set_style(
                ProgressStyle::with_template("{msg:40!} {bar:30} {bytes:>10}/{total_bytes:10}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(label.to_string());
            if let Ok(mut a) = self.active.lock() {
                a.insert(token, bar);
            }
        }
        token
    }

    fn on_download_progress(&self, token: usize, bytes: u64) {
        if let Ok(a) = self.active.lock() {
            if let Some(bar) = a.get(&token) {
                bar.set_position(bytes);
            }
        }
    }

    fn on_download_complete(&self, token: usize) {
        if let Ok(mut a) = self.active.lock() {
            if let Some(bar) = a.remove(&token) {
                bar.finish_and_clear();
            }
        }
    }

    fn on_warning(&self, message: &str) {
        self.line(&format!("warning: {message}"));
    }
}
