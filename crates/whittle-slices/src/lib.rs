//! Chisel's slice definitions, read as they are published
//! (canonical/chisel-releases: `chisel.yaml` plus `slices/<package>.yaml`).
//!
//! * `release`, `load`: the data model and its loader (formats v1–v3,
//!   overlays of several trees, later wins per package).
//! * `glob`: Chisel's path patterns (`*`, `**`, `?`) and their overlap test.
//! * `check`: the conflict rules Chisel enforces, for a whole release or a
//!   selection.
//! * `select`: a slice selection's essentials closure, in dependency order.
//! * `cut`: for one package, which archive paths a selection extracts and
//!   where they go, and what it creates.
//! * `mutate`: the Starlark mutation scripts, against a sandboxed view of
//!   the tree.
//! * `manifest`: Chisel's jsonwall manifest (`manifest.wall`).
#![deny(missing_docs)]

pub mod manifest;
pub mod mutate;
