//! Options every command that talks to a registry shares, and the client
//! they make.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use whittle_registry::{AuthConfig, BlobPush, Client, ClientOptions, PushProgress};

/// How to reach registries.
#[derive(Debug, Args, Clone, Default)]
pub struct RegistryArgs {
    /// A CA certificate (PEM) to trust for registries, beside the system
    /// roots (repeatable). A loopback registry given one is reached over TLS.
    #[arg(long = "registry-ca", value_name = "FILE")]
    pub registry_ca: Vec<PathBuf>,
    /// A registry (`HOST[:PORT]`) reached over plain HTTP (repeatable).
    /// Loopback registries (localhost, 127.0.0.1, ::1) need no flag, as with
    /// docker.
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Upload blobs larger than this in chunks of this size (default 32M):
    /// lower it behind a proxy that refuses large request bodies (HTTP 413).
    #[arg(long, value_name = "SIZE", value_parser = crate::size::parse_size)]
    pub chunk_size: Option<u64>,
}

impl RegistryArgs {
    /// A client with credentials from the usual files
    /// (`$REGISTRY_AUTH_FILE`, podman's `auth.json`, docker's `config.json`).
    pub fn client(&self) -> Result<Client> {
        for ca in &self.registry_ca {
            fs_err::metadata(ca).with_context(|| {
                format!("--registry-ca {}: give the PEM file of the CA that signed the registry's certificate", ca.display())
            })?;
        }
        let options = ClientOptions {
            ca_files: self.registry_ca.clone(),
            insecure_registries: self.insecure_registry.clone(),
            auth: AuthConfig::from_env(),
            user_agent: concat!("whittle/", env!("CARGO_PKG_VERSION")).to_string(),
            ..ClientOptions::default()
        };
        let options = ClientOptions {
            chunk_size: self.chunk_size.unwrap_or(options.chunk_size).max(1),
            ..options
        };
        Ok(Client::new(options)?)
    }
}

/// Counts what a push did, and says it on stderr.
#[derive(Default)]
pub struct PushLog {
    quiet: bool,
}

impl PushLog {
    /// Lines on stderr for each blob and manifest.
    pub fn new() -> PushLog {
        PushLog { quiet: false }
    }

    /// Nothing printed.
    pub fn quiet() -> PushLog {
        PushLog { quiet: true }
    }
}

impl PushProgress for PushLog {
    fn on_blob(&self, digest: &str, size: u64, outcome: &BlobPush) {
        if self.quiet {
            return;
        }
        let what = match outcome {
            BlobPush::Existed => "exists",
            BlobPush::Mounted => "mounted",
            BlobPush::Uploaded { .. } => "uploaded",
        };
        eprintln!("  blob {digest} ({size} bytes): {what}");
    }

    fn on_manifest(&self, reference: &str, digest: &str) {
        if !self.quiet {
            eprintln!("  manifest {reference}: {digest}");
        }
    }
}

/// `whittle login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The registry (`registry.example`, `127.0.0.1:5000`).
    pub registry: String,
    /// The user name.
    #[arg(short, long)]
    pub username: String,
    /// Read the password (or token) from standard input, one line.
    #[arg(long)]
    pub password_stdin: bool,
    /// The password (visible to other users in the process list: prefer
    /// --password-stdin).
    #[arg(short, long, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// The file to write (default: $REGISTRY_AUTH_FILE, else
    /// $DOCKER_CONFIG/config.json, else ~/.docker/config.json).
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    #[command(flatten)]
    pub registry_args: RegistryArgs,
}

/// Check the credentials against the registry, then store them.
pub fn login(args: &LoginArgs) -> Result<()> {
    let password = match (&args.password, args.password_stdin) {
        (Some(p), _) => p.clone(),
        (None, true) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("could not read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
        (None, false) => anyhow::bail!("give the password with --password-stdin (or --password)"),
    };
    if password.is_empty() {
        anyhow::bail!("the password is empty");
    }
    let file = match &args.authfile {
        Some(f) => f.clone(),
        None => std::env::var_os("REGISTRY_AUTH_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(whittle_registry::default_login_file)
            .context("no home directory for ~/.docker/config.json: give --authfile")?,
    };
    let mut options = ClientOptions {
        ca_files: args.registry_args.registry_ca.clone(),
        insecure_registries: args.registry_args.insecure_registry.clone(),
        user_agent: concat!("whittle/", env!("CARGO_PKG_VERSION")).to_string(),
        ..ClientOptions::default()
    };
    options.auth.logins.push((
        args.registry.clone(),
        whittle_registry::Credentials::Basic {
            username: args.username.clone(),
            password: password.clone(),
        },
    ));
    let client = Client::new(options)?;
    whittle_registry::verify_login(&client, &args.registry)?;
    whittle_registry::login(&file, &args.registry, &args.username, &password)?;
    eprintln!(
        "login succeeded; credentials for {} are in {}",
        args.registry,
        file.display()
    );
    Ok(())
}
