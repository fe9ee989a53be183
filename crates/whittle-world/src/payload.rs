//! [`Payload`]: a world's own data about one package, carried by the engine
//! from unpacking to the package database without being looked at.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// A world-defined value (for Debian the control file, md5sums and
/// conffiles; for APK the `.PKGINFO`, checksum and scripts). Cheap to
/// clone: it wraps an `Arc`.
#[derive(Clone)]
pub struct Payload(Option<Arc<dyn Any + Send + Sync>>);

impl Payload {
    /// Wrap a world's value.
    pub fn new<T: Any + Send + Sync>(value: T) -> Payload {
        Payload(Some(Arc::new(value)))
    }

    /// No payload (a package known only from its index record).
    pub fn none() -> Payload {
        Payload(None)
    }

    /// The value, when it is a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.as_deref()?.downcast_ref::<T>()
    }
}

impl Default for Payload {
    fn default() -> Self {
        Payload::none()
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Payload(..)"
        } else {
            "Payload(none)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_access() {
        let p = Payload::new(String::from("control"));
        assert_eq!(p.get::<String>().map(String::as_str), Some("control"));
        assert!(p.get::<u32>().is_none());
        assert!(Payload::none().get::<String>().is_none());
    }
}
