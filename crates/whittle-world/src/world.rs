//! The trait a package world implements and the values it exchanges.

use std::collections::BTreeMap;
use std::sync::Arc;

use whittle_model::{PackageRecord, VersionScheme};
use whittle_net::Fetcher;
use whittle_recipe::{Accounts, Arch};
use whittle_rootfs::{Node, RootFs};

use crate::reporter::Reporter;

/// What a world gets to do its work: the fetcher (cache, offline mode), the
/// architecture being built and the reporter.
#[derive(Clone)]
pub struct WorldContext {
    /// Fetches indexes and packages through the cache.
    pub fetcher: Fetcher,
    /// The architecture being built.
    pub arch: Arch,
    /// Where progress and warnings go.
    pub reporter: Arc<dyn Reporter>,
}

/// A package read into memory, not yet placed in the root filesystem.
#[derive(Debug, Clone)]
pub struct Unpacked {
    /// The index record it was fetched for.
    pub record: PackageRecord,
    /// Its filesystem entries in archive order, paths relative to the root.
    pub entries: Vec<(String, Node)>,
    /// World-specific data for the package database (for Debian the
    /// control file, md5sums and conffiles), ordered for determinism.
    pub meta: BTreeMap<String, String>,
}

/// A package after it was placed in the root filesystem.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The index record.
    pub record: PackageRecord,
    /// The paths it shipped, as the archive named them (`/usr/bin/x`).
    pub paths: Vec<String>,
    /// Where each path ended up in the tree (after merged-/usr and links).
    pub keys: Vec<String>,
    /// World-specific data from [`Unpacked::meta`].
    pub meta: BTreeMap<String, String>,
}

/// What the recipe asks of the finishing step.
#[derive(Debug, Clone)]
pub struct FinishInput<'a> {
    /// Users, groups and run-as from the recipe.
    pub accounts: &'a Accounts,
    /// The build date: every generated file gets this time.
    pub epoch: i64,
}

/// The distribution an image is identified as (from its os-release).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distro {
    /// `ID` (`debian`, `ubuntu`, `wolfi`).
    pub id: String,
    /// `VERSION_ID` (`12`); may be empty for rolling distributions.
    pub version_id: String,
}

impl Distro {
    /// Read `ID` and `VERSION_ID` from an os-release in the tree
    /// (`/etc/os-release`, else `/usr/lib/os-release`).
    pub fn from_root(root: &RootFs) -> Option<Distro> {
        let text = root
            .read_file("etc/os-release")
            .or_else(|| root.read_file("usr/lib/os-release"))?;
        let text = String::from_utf8_lossy(text);
        let mut id = None;
        let mut version_id = String::new();
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                let v = v.trim().trim_matches('"').trim_matches('\'').to_string();
                match k.trim() {
                    "ID" => id = Some(v),
                    "VERSION_ID" => version_id = v,
                    _ => {}
                }
            }
        }
        Some(Distro {
            id: id?,
            version_id,
        })
    }
}

/// What the SBOM says of one installed package beyond its record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageFacts {
    /// Package URL.
    pub purl: String,
    /// Declared licence, as an SPDX expression when the package states one.
    pub license: Option<String>,
    /// Who supplied it (`Organization: Debian`, `Person: …`).
    pub supplier: Option<String>,
}

/// An error from a package world, with the context the engine prints.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct WorldError {
    /// One paragraph: what failed, where, and what to do.
    pub message: String,
    /// The underlying cause.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl WorldError {
    /// An error with a message and no underlying cause.
    pub fn msg(message: impl Into<String>) -> WorldError {
        WorldError {
            message: message.into(),
            source: None,
        }
    }

    /// An error with a message and its cause.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> WorldError {
        WorldError {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// One package world. The engine calls, per architecture:
/// [`load_index`](Self::load_index), solves with
/// [`version_scheme`](Self::version_scheme), calls
/// [`install`](Self::install) for every chosen package (in parallel),
/// places the entries in the tree from [`new_root`](Self::new_root) in a
/// fixed order, then calls [`finish`](Self::finish) and
/// [`facts`](Self::facts).
pub trait PackageWorld: Send + Sync {
    /// Short name (`deb`), used in purls and messages.
    fn id(&self) -> &'static str;

    /// How this world orders and matches versions.
    fn version_scheme(&self) -> &dyn VersionScheme;

    /// Which package manager's resolution rules apply (dpkg/apt by default).
    fn solve_rules(&self) -> whittle_solve::Rules {
        whittle_solve::Rules::Debian
    }

    /// Every candidate package of every configured repository for
    /// `cx.arch`, with the repository's trust chain verified.
    fn load_index(&self, cx: &WorldContext) -> Result<Vec<PackageRecord>, WorldError>;

    /// Fetch (through the cache), verify and unpack one package. Called
    /// from several threads at once.
    fn install(&self, cx: &WorldContext, record: &PackageRecord) -> Result<Unpacked, WorldError>;

    /// The tree packages are unpacked into (e.g. merged-/usr links).
    fn new_root(&self, cx: &WorldContext) -> RootFs;

    /// After every package is in place: write the package database and do
    /// natively what the packages' scripts would have done. Returns
    /// warnings for the user.
    fn finish(
        &self,
        cx: &WorldContext,
        root: &mut RootFs,
        installed: &[Installed],
        input: &FinishInput<'_>,
    ) -> Result<Vec<String>, WorldError>;

    /// SBOM facts for one installed package.
    fn facts(&self, root: &RootFs, pkg: &Installed, distro: Option<&Distro>) -> PackageFacts;
}

/// The recipe's users and groups as the accounts writer takes them, with a
/// world's defaults for what the recipe leaves out (home `/home/NAME`).
pub fn account_spec(
    accounts: &Accounts,
    default_shell: &str,
    gecos: &str,
) -> whittle_rootfs::accounts::AccountSpec {
    whittle_rootfs::accounts::AccountSpec {
        groups: accounts
            .groups
            .iter()
            .map(|g| (g.groupname.clone(), g.gid, g.members.clone()))
            .collect(),
        users: accounts
            .users
            .iter()
            .map(|u| whittle_rootfs::accounts::UserSpec {
                name: u.username.clone(),
                uid: u.uid,
                gid: u.gid.unwrap_or(u.uid),
                home: u
                    .homedir
                    .clone()
                    .unwrap_or_else(|| format!("/home/{}", u.username)),
                shell: u.shell.clone().unwrap_or_else(|| default_shell.to_string()),
                gecos: gecos.to_string(),
            })
            .collect(),
    }
}
