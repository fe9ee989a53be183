//! Reading a package script as shell, never running it: each command it
//! would run is classified, and the ones whittle recognises become effects
//! handed to the [`Host`].
//!
//! The script is parsed by brush-parser (POSIX shell with bash's
//! extensions) and walked by an abstract interpreter (`interp`) that knows
//! the script's arguments, follows variables, functions, `case`, loops and
//! the conditions it can decide against the tree (`conditions`). A command
//! under a condition it cannot decide is reported as not emulated, and its
//! effects are withheld.

mod accounts;
mod commands;
mod conditions;
mod files;
mod filters;
mod glob;
mod interp;
mod known;
mod options;
mod subst;
mod version;
mod words;

#[cfg(test)]
mod tests;

use crate::host::Host;
use crate::report::{Action, Class, ScriptReport};

/// One script to read.
#[derive(Debug, Clone, Copy)]
pub struct Script<'a> {
    /// The package it belongs to.
    pub package: &'a str,
    /// Its name in reports (`postinst`, `preinst`, `%post`).
    pub name: &'a str,
    /// Its text.
    pub text: &'a str,
    /// The positional arguments it is run with (`["configure", ""]` for a
    /// Debian postinst on a fresh install, `["install"]` for a preinst).
    pub args: &'a [&'a str],
    /// Commands whose effect the world produces by other means, as
    /// (prefix of the expanded command, why): e.g. ca-certificates-java's
    /// `java -jar …ca-certificates-java.jar`, built natively as a trust store.
    pub elsewhere: &'a [(&'a str, &'a str)],
    /// Answers to the questions the script asks (`db_get QUESTION` sets
    /// `RET` to the answer: Debian's debconf template defaults, which is
    /// what a non-interactive install gets), by question.
    pub answers: &'a [(String, String)],
}

/// Read `script` against `host`, applying the effects of the commands it
/// recognises as it goes, and classify every command reached.
pub fn read_script(script: &Script<'_>, host: &mut dyn Host) -> ScriptReport {
    let mut report = ScriptReport {
        package: script.package.to_string(),
        script: script.name.to_string(),
        actions: Vec::new(),
    };
    match parse(script.text) {
        Ok(program) => {
            let mut interp = interp::Interp::new(script, host);
            interp.run_program(&program);
            report.actions = interp.actions;
        }
        Err(e) => report.actions.push(Action {
            line: 0,
            command: script.name.to_string(),
            class: Class::NotEmulated {
                why: format!("the script does not parse as shell: {e}"),
            },
        }),
    }
    report
}

/// Parse shell text.
fn parse(text: &str) -> Result<brush_parser::ast::Program, brush_parser::ParseError> {
    let options = brush_parser::ParserOptions {
        enable_extended_globbing: false,
        ..Default::default()
    };
    brush_parser::Parser::new(std::io::BufReader::new(text.as_bytes()), &options).parse_program()
}
