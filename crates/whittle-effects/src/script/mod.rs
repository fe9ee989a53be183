//! Reading a package script as shell, never running it: each command it
//! would run is classified, and the ones whittle recognises become effects
//! handed to the [`Host`].
//!
//! (Stub: the reader lands in its own change.)

use crate::host::Host;
use crate::report::ScriptReport;

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
}

/// Read `script` against `host`, applying the effects of the commands it
/// recognises as it goes, and classify every command reached.
pub fn read_script(script: &Script<'_>, host: &mut dyn Host) -> ScriptReport {
    let _ = host;
    ScriptReport {
        package: script.package.to_string(),
        script: script.name.to_string(),
        actions: Vec::new(),
    }
}
