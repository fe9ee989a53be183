//! Chisel's slice definitions, read as they are published
//! (canonical/chisel-releases: `chisel.yaml` plus `slices/<package>.yaml`).
//!
//! * [`release`], [`load`](mod@load): the data model and its loader (formats v1–v3,
//!   overlays of several trees, later wins per package).
//! * [`glob`]: Chisel's path patterns (`*`, `**`, `?`) and their overlap test.
//! * [`check`]: the conflict rules Chisel enforces, for a whole release or a
//!   selection.
//! * [`select`]: a slice selection's essentials closure, in dependency order.
//! * [`cut`]: for one package, which archive paths a selection extracts and
//!   where they go, and what it creates.
//! * [`query`]: `chisel find` and `chisel info`.
//! * [`mutate`]: the Starlark mutation scripts, against a sandboxed view of
//!   the tree.
//! * [`manifest`]: Chisel's jsonwall manifest (`manifest.wall`).
//!
//! ```no_run
//! use std::path::PathBuf;
//! use whittle_slices::{load, SliceKey};
//!
//! let release = load(&[PathBuf::from("chisel-releases")])?;
//! release.check()?;
//! let wanted = [SliceKey::parse("libc6_libs")?];
//! let selection = release.select(&wanted, "amd64")?;
//! for package in selection.packages() {
//!     let cut = whittle_slices::PackageCut::new(&release, &selection, &package);
//!     let _ = cut.targets("/usr/lib/x86_64-linux-gnu/libc.so.6");
//! }
//! # Ok::<(), whittle_slices::SliceError>(())
//! ```
#![deny(missing_docs)]

pub mod check;
pub mod cut;
pub mod error;
pub mod glob;
mod graph;
pub mod load;
pub mod manifest;
pub mod mutate;
pub mod query;
mod raw;
pub mod release;
pub mod select;

pub use check::check_selection;
pub use cut::{Created, CreatedKind, PackageCut};
pub use error::{Conflict, SliceError};
pub use load::{load, parse_package, parse_release};
pub use query::{find, info, info_parts};
pub use release::{
    Archive, Essential, Format, Maintenance, Package, PathInfo, PathKind, PublicKey, Release,
    Slice, SliceKey,
};
pub use select::Selection;
