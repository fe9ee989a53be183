//! The error type of `whittle-registry`.
//!
//! Every variant names the registry (and the repository where there is one)
//! and says what to do. No variant ever holds a password, token,
//! `Authorization` value or `auth` string: the tests format every error of a
//! failed login and look for the secret.

use std::path::PathBuf;

/// What a registry operation can fail with.
#[derive(thiserror::Error, Debug)]
pub enum RegistryError {
    /// The image reference does not parse.
    #[error("invalid image reference {input:?}: {reason}")]
    InvalidReference {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },

    /// HTTP 401: no credentials, or the registry rejected them.
    #[error("{}: authentication required (HTTP 401): {hint}", place(.registry, .repository))]
    Unauthorized {
        /// The registry host.
        registry: String,
        /// The repository (empty for a registry-wide request).
        repository: String,
        /// What to do about it.
        hint: String,
    },

    /// HTTP 403: authenticated, but not allowed.
    #[error("{}: access denied (HTTP 403): your credentials lack push/pull rights on the repository", place(.registry, .repository))]
    Denied {
        /// The registry host.
        registry: String,
        /// The repository.
        repository: String,
    },

    /// HTTP 404 where the object must exist.
    #[error("{}: {what} not found (HTTP 404): check the repository name and reference", place(.registry, .repository))]
    NotFound {
        /// The registry host.
        registry: String,
        /// The repository.
        repository: String,
        /// What was asked for (`manifest latest`, `blob sha256:…`).
        what: String,
    },

    /// HTTP 413.
    #[error("{}: the registry refuses {what} this large (HTTP 413): raise its limit (e.g. a proxy's client_max_body_size) or upload in smaller chunks (whittle's --chunk-size)", place(.registry, .repository))]
    TooLarge {
        /// The registry host.
        registry: String,
        /// The repository.
        repository: String,
        /// What was sent.
        what: String,
    },

    /// A 5xx or 429 answer that outlived the retries, or another unexpected status.
    #[error("{}: the registry answered HTTP {status}{}: retry later, or check the registry's logs", place(.registry, .repository), excerpt(.body_excerpt))]
    Server {
        /// The registry host.
        registry: String,
        /// The repository.
        repository: String,
        /// The last status.
        status: u16,
        /// The start of the answer's body.
        body_excerpt: String,
    },

    /// The registry could not be reached (DNS, connection, TLS), or the
    /// connection kept breaking after the retries.
    #[error("cannot reach {} over {scheme}: {reason}", place(.registry, .repository))]
    Connect {
        /// The registry host.
        registry: String,
        /// The repository.
        repository: String,
        /// `http` or `https`.
        scheme: String,
        /// What went wrong, with a hint.
        reason: String,
    },

    /// A file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// Content does not hash to its digest.
    #[error("{}: {what} should have digest {expected} but has {actual}: the registry or a proxy altered it; retry, or report it to the registry's operator", place(.registry, .repository))]
    DigestMismatch {
        /// The registry host.
        registry: String,
        /// The repository.
        repository: String,
        /// What was checked.
        what: String,
        /// The digest asked for.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },

    /// The registry answered something this client does not understand.
    #[error("{}: {reason}", place(.registry, .repository))]
    Protocol {
        /// The registry host.
        registry: String,
        /// The repository.
        repository: String,
        /// What was wrong.
        reason: String,
    },

    /// A docker credential helper failed.
    #[error("credential helper docker-credential-{helper} failed: {reason}")]
    CredentialHelper {
        /// The helper's name (after `docker-credential-`).
        helper: String,
        /// What went wrong.
        reason: String,
    },

    /// An auth or layout file is malformed.
    #[error("{}: {reason}", .path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// `registry/repository`, or the registry alone.
fn place(registry: &str, repository: &str) -> String {
    if repository.is_empty() {
        registry.to_string()
    } else {
        format!("{registry}/{repository}")
    }
}

fn excerpt(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(" ({body})")
    }
}

impl RegistryError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> RegistryError {
        RegistryError::Io {
            path: path.into(),
            source,
        }
    }
}

/// An error and its causes on one line (`a: b: c`).
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
