//! What whittle's tests need from outside the repository: the shared
//! fixtures ([`fixtures`]) and the host's tools ([`host`]).
//!
//! It has no dependencies, so every crate can use it in its tests,
//! including those `whittle-test` itself depends on (`whittle-sig`,
//! `whittle-net`), without a dependency cycle.
//!
//! ```no_run
//! let inrelease = whittle_test_env::fixtures::path(
//!     "debian-bookworm-mirror/debian/dists/bookworm/InRelease",
//! );
//! if whittle_test_env::host::require_tool("gpgv") {
//!     // compare with gpgv
//! }
//! # let _ = inrelease;
//! ```
#![deny(missing_docs)]

pub mod fixtures;
pub mod host;
