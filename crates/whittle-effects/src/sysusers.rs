//! `sysusers.d(5)` lines as user and group effects.
//!
//! (Stub: the parser lands in its own change.)

use crate::effect::Placed;

/// The effects of one `sysusers.d` file of `package` (`name` is its file
/// name, for origins). Lines it does not take are returned as
/// (line, text, why) for the report.
pub fn sysusers_effects(
    package: &str,
    name: &str,
    text: &str,
) -> (Vec<Placed>, Vec<(u32, String, String)>) {
    let _ = (package, name, text);
    (Vec::new(), Vec::new())
}
