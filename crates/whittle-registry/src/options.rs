//! How a [`crate::Client`] connects: trust, plain-HTTP registries, credentials, retries.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::AuthConfig;

/// Settings for a [`crate::Client`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// PEM files (each may hold several certificates) trusted in addition to
    /// the system roots (`--registry-ca FILE`).
    pub ca_files: Vec<PathBuf>,
    /// Registries (`HOST` or `HOST:PORT`) spoken to over plain HTTP
    /// (`--insecure-registry`).
    pub insecure_registries: Vec<String>,
    /// Where credentials come from.
    pub auth: AuthConfig,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// How often a request is retried after a 5xx/429 answer, a broken
    /// connection or a timeout (default 4).
    pub retries: u32,
    /// The first retry's delay; it doubles per retry, capped at 16 times
    /// this (default 250 ms, so at most 4 s).
    pub retry_delay: Duration,
    /// Blobs larger than this are uploaded in chunks of this size (default 32 MiB).
    pub chunk_size: u64,
    /// Connecting, and waiting for an answer or for the next bytes of a body.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            ca_files: Vec::new(),
            insecure_registries: Vec::new(),
            auth: AuthConfig::default(),
            user_agent: concat!("whittle/", env!("CARGO_PKG_VERSION")).to_string(),
            retries: 4,
            retry_delay: Duration::from_millis(250),
            chunk_size: 32 << 20,
            timeout: Duration::from_secs(300),
        }
    }
}

impl ClientOptions {
    /// `http` or `https` for this registry host: `http` for a listed
    /// insecure registry, and for a loopback registry (like docker) unless a
    /// `--registry-ca` file was given; `https` otherwise.
    pub fn scheme_for(&self, registry: &str) -> &'static str {
        let host = host_of(registry);
        let listed = self
            .insecure_registries
            .iter()
            .any(|r| r == registry || (!r.contains(':') && r == host));
        if listed || (is_loopback(host) && self.ca_files.is_empty()) {
            "http"
        } else {
            "https"
        }
    }
}

/// The host without its port (`[::1]:5000` → `::1`).
fn host_of(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match registry.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => registry,
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_for_loopback_and_insecure() {
        let mut o = ClientOptions::default();
        assert_eq!(o.scheme_for("localhost:5000"), "http");
        assert_eq!(o.scheme_for("127.0.0.7:5000"), "http");
        assert_eq!(o.scheme_for("[::1]:5000"), "http");
        assert_eq!(o.scheme_for("ghcr.io"), "https");
        assert_eq!(o.scheme_for("reg.lan:5000"), "https");
        o.insecure_registries = vec!["reg.lan".to_string()];
        assert_eq!(o.scheme_for("reg.lan:5000"), "http");
        assert_eq!(o.scheme_for("reg.lan"), "http");
        o.insecure_registries = vec!["reg.lan:5000".to_string()];
        assert_eq!(o.scheme_for("reg.lan:5000"), "http");
        assert_eq!(o.scheme_for("reg.lan:6000"), "https");
        o.ca_files = vec![PathBuf::from("ca.pem")];
        assert_eq!(o.scheme_for("localhost:5000"), "https");
    }
}
