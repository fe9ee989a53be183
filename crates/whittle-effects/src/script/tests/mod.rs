//! Tests of the script reader: hand-written idioms (`idioms`), excerpts of
//! real Debian scripts (`real`), and a snapshot of every preinst/postinst
//! of the fixture mirror (`fixtures`).

mod fake;
mod fixtures;
mod idioms;
mod real;

use super::{read_script, Script};
use crate::report::{Class, ScriptReport};
use fake::FakeHost;

/// Read `text` as a fresh install's postinst of `pkg`.
fn postinst(pkg: &str, text: &str, host: &mut FakeHost) -> ScriptReport {
    read_script(
        &Script {
            package: pkg,
            name: "postinst",
            text,
            args: &["configure", ""],
            elsewhere: &[],
            answers: &[],
        },
        host,
    )
}

/// One line per action: `line: class: command (why)`.
fn lines(report: &ScriptReport) -> Vec<String> {
    report
        .actions
        .iter()
        .map(|a| match &a.class {
            Class::Emulated => format!("{}: emulated: {}", a.line, a.command),
            Class::Harmless { why } => format!("{}: harmless: {} ({why})", a.line, a.command),
            Class::NotEmulated { why } => {
                format!("{}: not-emulated: {} ({why})", a.line, a.command)
            }
        })
        .collect()
}
