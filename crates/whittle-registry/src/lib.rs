//! A blocking client for the OCI Distribution API v2: what `whittle publish`
//! needs to push images and SBOMs to any OCI registry.
//!
//! - [`Reference`] parses `registry/repository:tag@digest` with docker's
//!   normalisation (`debian` is `docker.io/library/debian`).
//! - [`Client`] holds connections, credentials and bearer tokens (cached per
//!   registry and scope, shared by every thread); [`Repository`] does the
//!   requests: blobs (`HEAD`, mount, monolithic or chunked upload that
//!   resumes from the registry's `Range` after a failed chunk, verified
//!   download), manifests, tags, referrers.
//! - [`pull_to_layout`] pulls one image (one architecture of an index)
//!   into an OCI image layout; [`push_layout`] pushes an OCI image layout's image to several
//!   references; [`attach`] hangs an SBOM on an image (OCI 1.1 referrers
//!   with the fallback tag for registries without the API, or cosign's
//!   `sha256-<hex>.sbom` tag).
//! - [`RegistryCache`] keeps a cache several machines share in one
//!   repository (`--cache-registry`): blobs by digest, and pointers whose
//!   users check what they name.
//!
//! **Credentials**, first found wins: [`AuthConfig::logins`] given
//! directly; then the files of [`AuthConfig::from_env`]:
//! `$REGISTRY_AUTH_FILE`, podman's `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`). In each file:
//! `credHelpers[registry]`, `auths[registry]` (`auth`, `username`/`password`
//! or `identitytoken`), then `credsStore` (docker credential helpers are run
//! as `docker-credential-NAME get`). A registry's `Basic` challenge is
//! answered with the user and password; a `Bearer` challenge with a token
//! from its realm, fetched with those credentials, or with an identity
//! token through the OAuth2 refresh-token grant, or anonymously. Secrets
//! never appear in an error or a `Debug` output.
//!
//! **http or https**: `https`, except plain `http` for a registry listed in
//! [`ClientOptions::insecure_registries`] and for a loopback registry
//! (`localhost`, `127.0.0.0/8`, `::1`) as docker does — unless a
//! `--registry-ca` file is given ([`ClientOptions::ca_files`]), which means
//! the loopback registry speaks TLS. CA files add to the system roots.
//!
//! **Retries**: a 500, 502, 503, 504 or 429 answer, a broken connection or a
//! timeout is retried [`ClientOptions::retries`] times (default 4) after
//! 250 ms, 500 ms, 1 s, 2 s, then 4 s at most. A refused connection or a TLS
//! failure is reported at once. A failed chunk of a chunked upload is not
//! resent blindly: the upload is resumed from what the registry says it has.
//!
//! **Why hand-written**: no maintained Rust registry client fits. The
//! `oci-client` crate (formerly `oci-distribution`) is async on tokio,
//! takes credentials as an explicit value (no docker/podman auth files, no
//! credential helpers) and has no referrers-tag fallback; whittle's HTTP
//! stack is reqwest's blocking client, so this crate is a few hundred lines
//! over it.
//!
//! ```no_run
//! use whittle_registry::{push_layout, Client, ClientOptions, AuthConfig, NoProgress, Reference};
//!
//! # fn main() -> Result<(), whittle_registry::RegistryError> {
//! let client = Client::new(ClientOptions { auth: AuthConfig::from_env(), ..ClientOptions::default() })?;
//! let target = Reference::parse("localhost:5000/app:1.0")?;
//! let pushed = push_layout(&client, "out/layout".as_ref(), &[target], &NoProgress)?;
//! assert!(pushed.digest.starts_with("sha256:"));
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod attach;
mod auth;
mod client;
mod error;
mod manifest;
mod options;
mod pull;
mod push;
mod reference;
mod referrers;
mod shared_cache;
mod transport;
mod upload;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

pub use attach::{
    attach, cosign_sbom_media_type, put_referrer, Artifact, AttachMode, Attached, PreparedReferrer,
    EMPTY_DIGEST, EMPTY_MEDIA_TYPE,
};
pub use auth::{default_login_file, login, verify_login, AuthConfig, Credentials};
pub use client::{Client, Repository};
pub use error::RegistryError;
pub use manifest::{
    sha256_digest, Descriptor, Manifest, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX,
    OCI_MANIFEST,
};
pub use options::ClientOptions;
pub use pull::pull_to_layout;
pub use push::{push_layout, NoProgress, PushProgress, PushedImage};
pub use reference::{Reference, DOCKER_HUB};
pub use shared_cache::{RegistryCache, CACHE_ARTIFACT_TYPE};
pub use upload::{BlobPush, BlobSource};
