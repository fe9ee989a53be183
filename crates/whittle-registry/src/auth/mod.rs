//! Credentials: where they come from (auth files, credential helpers, explicit
//! logins), how a challenge is answered, and the token cache.

pub(crate) mod challenge;
mod config;
mod helper;
pub(crate) mod token;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::client::Client;
use crate::error::RegistryError;

pub use config::login;

/// Credentials for one registry. `Debug` and `Display` never show the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A user name and password (or personal access token).
    Basic {
        /// The user name.
        username: String,
        /// The password or token.
        password: String,
    },
    /// An OAuth2 refresh token (docker's `identitytoken`), exchanged at the
    /// registry's token endpoint.
    IdentityToken(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { username, .. } => write!(f, "user {username}"),
            Credentials::IdentityToken(_) => f.write_str("an identity token"),
        }
    }
}

/// Where credentials come from, in this order: [`AuthConfig::logins`], then
/// each of [`AuthConfig::files`] in turn (see [`AuthConfig::from_env`]).
///
/// Within one file: `credHelpers[registry]`, then `auths[registry]`, then
/// `credsStore`. A helper that answers "credentials not found" lets the
/// search go on.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// Docker/podman auth files (`config.json`, `auth.json`) in the order searched.
    pub files: Vec<PathBuf>,
    /// Credentials given directly (e.g. `--username`/`--password-stdin`), by registry.
    pub logins: Vec<(String, Credentials)>,
}

impl AuthConfig {
    /// The usual files that exist, in podman's and docker's order:
    /// `$REGISTRY_AUTH_FILE`; `$XDG_RUNTIME_DIR/containers/auth.json`;
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    pub fn from_env() -> AuthConfig {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let mut files = Vec::new();
        if let Some(file) = var("REGISTRY_AUTH_FILE") {
            files.push(file);
        }
        if let Some(dir) = var("XDG_RUNTIME_DIR") {
            files.push(dir.join("containers/auth.json"));
        }
        if let Some(dir) = var("DOCKER_CONFIG") {
            files.push(dir.join("config.json"));
        } else if let Some(home) = var("HOME") {
            files.push(home.join(".docker/config.json"));
        }
        files.retain(|f| f.is_file());
        AuthConfig {
            files,
            logins: Vec::new(),
        }
    }

    /// The credentials for `registry` (a host, `host:port`, or `docker.io`),
    /// or `None` to go anonymous.
    pub fn credentials(&self, registry: &str) -> Result<Option<Credentials>, RegistryError> {
        let wanted = config::normalise_key(registry);
        if let Some((_, credentials)) = self
            .logins
            .iter()
            .find(|(r, _)| config::normalise_key(r) == wanted)
        {
            return Ok(Some(credentials.clone()));
        }
        for file in &self.files {
            if let Some(credentials) = config::lookup(file, &wanted)? {
                return Ok(Some(credentials));
            }
        }
        Ok(None)
    }
}

/// Check that the credentials for `registry` are accepted: `GET /v2/`
/// through the whole challenge flow; a 401 is [`RegistryError::Unauthorized`].
pub fn verify_login(client: &Client, registry: &str) -> Result<(), RegistryError> {
    client.ping(registry)
}

/// The default docker config file `whittle login` writes:
/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn default_login_file() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
        return Some(Path::new(&dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|home| Path::new(&home).join(".docker/config.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_secrets() {
        let basic = Credentials::Basic {
            username: "u".to_string(),
            password: "hunter2".to_string(),
        };
        let token = Credentials::IdentityToken("tok-secret".to_string());
        for text in [
            format!("{basic:?}"),
            format!("{basic}"),
            format!("{token:?}"),
            format!("{token}"),
        ] {
            assert!(
                !text.contains("hunter2") && !text.contains("tok-secret"),
                "{text}"
            );
        }
    }

    #[test]
    fn explicit_logins_come_first() {
        let auth = AuthConfig {
            files: vec![PathBuf::from("/nonexistent/whittle-test/config.json")],
            logins: vec![(
                "https://index.docker.io/v1/".to_string(),
                Credentials::IdentityToken("t".to_string()),
            )],
        };
        assert_eq!(
            auth.credentials("docker.io").expect("lookup"),
            Some(Credentials::IdentityToken("t".to_string()))
        );
    }
}
