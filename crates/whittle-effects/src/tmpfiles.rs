//! `tmpfiles.d(5)` lines that describe persistent state, as effects.
//!
//! (Stub: the parser lands in its own change.)

use crate::effect::Placed;

/// The effects of one `tmpfiles.d` file of `package` (`name` is its file
/// name, for origins): `d`, `D`, `L`, `f`, `z` lines; lines under `/run`
/// only when `keep_run`. Lines it does not take are returned as
/// (line, text, why) for the report.
pub fn tmpfiles_effects(
    package: &str,
    name: &str,
    text: &str,
    keep_run: bool,
) -> (Vec<Placed>, Vec<(u32, String, String)>) {
    let _ = (package, name, text, keep_run);
    (Vec::new(), Vec::new())
}
