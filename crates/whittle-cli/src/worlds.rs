//! The package worlds this front end offers, with their options from the
//! command line. Adding a world is one line here.

use whittle::Worlds;

use crate::args::CommonArgs;

/// Every world `whittle` builds from.
pub fn worlds(common: &CommonArgs) -> Worlds {
    Worlds::new()
        .with(whittle_deb::DebKind::new().ignoring_valid_until(common.ignore_valid_until))
        .with(whittle_apk::ApkKind)
        .with(whittle_rpm::world::RpmKind)
}
