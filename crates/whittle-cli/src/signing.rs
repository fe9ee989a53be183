//! Keys and signing options: `whittle keygen`, and the `--sign` options of
//! build and publish. Passwords come from `COSIGN_PASSWORD` (as cosign
//! reads them) or `WHITTLE_PASSWORD`; an empty password is allowed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use sha2::{Digest, Sha256};
use whittle::{SignFormat, Signing, SigningKey};

/// The environment variables a key's password is read from, in order.
const PASSWORD_VARS: [&str; 2] = ["COSIGN_PASSWORD", "WHITTLE_PASSWORD"];

/// How image signatures are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignFormatArg {
    /// A Sigstore bundle v0.3 as an OCI 1.1 referrer (cosign v3).
    Bundle,
    /// cosign v2's `sha256-<hex>.sig` simple-signing tag, for older
    /// verifiers (attestations stay bundles).
    Legacy,
}

/// `--sign` and its options.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// Sign the image and attach signed SBOM and provenance attestations
    /// (cosign-compatible; see `whittle verify`).
    #[arg(long, requires = "key")]
    pub sign: bool,
    /// The private key: cosign's encrypted format (`whittle keygen`,
    /// `cosign generate-key-pair`) or a PKCS#8/SEC1 PEM. Its password is
    /// read from $COSIGN_PASSWORD or $WHITTLE_PASSWORD.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Sign every platform manifest too, not only the index.
    #[arg(long, requires = "sign")]
    pub recursive: bool,
    /// How the image signature is written.
    #[arg(long, value_enum, default_value = "bundle", requires = "sign")]
    pub sign_format: SignFormatArg,
}

/// The password for a key, from the environment.
fn password() -> Option<String> {
    PASSWORD_VARS.iter().find_map(|v| std::env::var(v).ok())
}

/// Read a private key, asking the environment for its password.
pub fn read_key(path: &Path) -> Result<SigningKey> {
    let pem = fs_err::read_to_string(path)?;
    let encrypted = pem.contains("ENCRYPTED");
    let pass = password();
    if encrypted && pass.is_none() {
        bail!(
            "{} is encrypted: set COSIGN_PASSWORD (or WHITTLE_PASSWORD) to its password (empty \
             for none)",
            path.display()
        );
    }
    SigningKey::from_pem(&pem, pass.unwrap_or_default().as_bytes())
        .with_context(|| format!("could not read the private key {}", path.display()))
}

/// `sha256:<hex>` of a file's bytes.
pub fn file_digest(path: &Path) -> Result<String> {
    let bytes = fs_err::read(path)?;
    Ok(format!("sha256:{}", hex::encode(Sha256::digest(&bytes))))
}

impl SignArgs {
    /// The build's signing settings, or `None` without `--sign`.
    pub fn signing(&self, recipe: &Path, lockfile: Option<&Path>) -> Result<Option<Signing>> {
        if !self.sign {
            return Ok(None);
        }
        let Some(key_path) = &self.key else {
            bail!("--sign needs --key FILE (make one with `whittle keygen`)");
        };
        let key = read_key(key_path)?;
        Ok(Some(Signing {
            key: Arc::new(key),
            recursive: self.recursive,
            format: match self.sign_format {
                SignFormatArg::Bundle => SignFormat::Bundle,
                SignFormatArg::Legacy => SignFormat::Legacy,
            },
            recipe: recipe
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            recipe_digest: file_digest(recipe)?,
            lock_digest: lockfile.map(file_digest).transpose()?,
        }))
    }
}

/// `whittle keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Write PREFIX.key and PREFIX.pub.
    #[arg(long, value_name = "PREFIX", default_value = "cosign")]
    pub output_key_prefix: PathBuf,
    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}

/// Write an ECDSA P-256 key pair in cosign's formats: the private key
/// encrypted with the password from the environment, the public key PEM.
pub fn keygen(args: &KeygenArgs) -> Result<()> {
    let Some(pass) = password() else {
        bail!(
            "set COSIGN_PASSWORD (or WHITTLE_PASSWORD) to the password for the new key; an \
             empty value makes a key without one (`COSIGN_PASSWORD= whittle keygen`)"
        );
    };
    let prefix = args.output_key_prefix.display().to_string();
    let (private, public) = (
        PathBuf::from(format!("{prefix}.key")),
        PathBuf::from(format!("{prefix}.pub")),
    );
    for path in [&private, &public] {
        if path.exists() && !args.force {
            bail!(
                "{} exists: remove it, choose another --output-key-prefix, or pass --force",
                path.display()
            );
        }
    }
    let key = SigningKey::generate();
    let pem = key
        .to_encrypted_pem(pass.as_bytes())
        .context("could not encrypt the new key")?;
    write_private(&private, pem.as_bytes())?;
    fs_err::write(&public, key.public_key().to_pem())?;
    eprintln!("Private key written to {}", private.display());
    eprintln!("Public key written to {}", public.display());
    Ok(())
}

/// Write a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    use std::io::Write as _;
    let mut file = fs_err::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    Ok(())
}
