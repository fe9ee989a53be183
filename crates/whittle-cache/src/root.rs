//! Locating the default cache root.

use std::path::PathBuf;

/// Environment variable overriding the cache location.
pub(crate) const ENV_CACHE_DIR: &str = "WHITTLE_CACHE_DIR";

fn env_path(name: &str) -> Option<PathBuf> {
    let value = std::env::var_os(name)?;
    if value.is_empty() {
        return None;
    }
    Some(PathBuf::from(value))
}

/// The platform's per-user cache directory.
fn platform_cache_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        return env_path("LOCALAPPDATA");
    }
    if cfg!(target_os = "macos") {
        return env_path("HOME").map(|h| h.join("Library").join("Caches"));
    }
    match env_path("XDG_CACHE_HOME") {
        Some(p) if p.is_absolute() => Some(p),
        _ => env_path("HOME").map(|h| h.join(".cache")),
    }
}

pub(crate) fn default_root() -> Option<PathBuf> {
    env_path(ENV_CACHE_DIR).or_else(|| platform_cache_dir().map(|d| d.join("whittle")))
}
