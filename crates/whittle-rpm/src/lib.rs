//! The RPM package world of whittle.
#![deny(missing_docs)]
