//! What package scripts would have done, as data.
//!
//! whittle never runs a package's scripts. Instead each world reads them
//! (`script`: a shell reader over `brush-parser`'s POSIX parser, which
//! follows variables, functions, `case` and the tests it can decide against
//! the tree) and turns the commands it recognises into declarative
//! [`Effect`]s: users and groups, directories, links, files, alternatives,
//! stat overrides and trust stores. The recipe adds its own. [`apply`]
//! applies them to the tree, in the order given, deterministically. Every
//! command read is classified in a [`ScriptReport`], so a build says which
//! script actions an image lacks. [`java_keystore`] writes the Java trust
//! store ca-certificates-java would build, byte by byte.

pub mod effect;
pub mod host;
pub mod report;

pub use effect::{
    Alternative, Effect, FileContent, GroupEffect, IdRange, Origin, Placed, PrimaryGroup, Slave,
    TrustStore, UserEffect, Who,
};
pub use host::{Host, PathState};
pub use report::{Action, Class, ScriptReport};

pub mod apply;
pub mod java_keystore;
pub mod script;
pub mod sysusers;
pub mod tmpfiles;

pub use apply::{Applied, Applier, ApplyOptions, EffectsError};
pub use script::{read_script, Script};
