//! Loads and checks a release tree, and says how long that took.
//!
//! ```text
//! cargo run --release -p whittle-slices --example load_check -- path/to/chisel-releases [more trees]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let trees: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if trees.is_empty() {
        eprintln!("usage: load_check RELEASE_DIR [MORE_DIRS...]");
        return ExitCode::from(2);
    }
    let start = Instant::now();
    let release = match whittle_slices::load(&trees) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let loaded = start.elapsed();
    let checked = release.check();
    let total = start.elapsed();
    let slices = release.slices().count();
    let paths: usize = release.slices().map(|s| s.contents.len()).sum();
    println!(
        "{} packages, {slices} slices, {paths} paths: load {:.1} ms, check {:.1} ms, total {:.1} ms",
        release.packages.len(),
        loaded.as_secs_f64() * 1e3,
        (total - loaded).as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3
    );
    match checked {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
