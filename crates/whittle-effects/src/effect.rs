//! The declarative effects: what a package script (or the recipe) changes
//! in the tree, as data. Worlds produce them, [`crate::apply`] applies them.

use serde::Serialize;

/// Where an effect came from, for the report and for error messages.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Origin {
    /// The package whose script or file asked for it; empty for the recipe.
    pub package: String,
    /// `postinst`, `preinst`, `%post`, `tmpfiles.d/x.conf`, `sysusers.d/x.conf`,
    /// `recipe` or `builtin`.
    pub source: String,
    /// 1-based line in that source; 0 when there is none.
    pub line: u32,
}

impl Origin {
    /// An origin in a package's script or configuration file.
    pub fn new(package: &str, source: &str, line: u32) -> Origin {
        Origin {
            package: package.to_string(),
            source: source.to_string(),
            line,
        }
    }

    /// The recipe (`paths:`, `alternatives:`).
    pub fn recipe() -> Origin {
        Origin::new("", "recipe", 0)
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.package.is_empty(), self.line) {
            (true, _) => write!(f, "{}", self.source),
            (false, 0) => write!(f, "{} {}", self.package, self.source),
            (false, n) => write!(f, "{} {} line {n}", self.package, self.source),
        }
    }
}

/// A user or group, by id or by name (resolved through the tree's
/// `/etc/passwd` and `/etc/group` when the effect is applied).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Who {
    /// A numeric id.
    Id(u32),
    /// A name.
    Name(String),
}

impl Who {
    /// `123` is an id, anything else a name.
    pub fn parse(s: &str) -> Who {
        s.parse().map_or_else(|_| Who::Name(s.to_string()), Who::Id)
    }
}

/// Where new ids are taken from, and in which direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct IdRange {
    /// Lowest id of the range.
    pub first: u32,
    /// Highest id of the range.
    pub last: u32,
    /// Take the highest free id (systemd-sysusers) rather than the lowest
    /// (adduser, useradd).
    pub downward: bool,
}

impl IdRange {
    /// adduser's and useradd's system range (`FIRST_SYSTEM_UID`..`LAST_SYSTEM_UID`), lowest first.
    pub const SYSTEM: IdRange = IdRange {
        first: 100,
        last: 999,
        downward: false,
    };
    /// adduser's range for ordinary users, lowest first.
    pub const USER: IdRange = IdRange {
        first: 1000,
        last: 59999,
        downward: false,
    };
    /// systemd-sysusers' system range, highest first.
    pub const SYSUSERS: IdRange = IdRange {
        first: 100,
        last: 999,
        downward: true,
    };
}

/// A group to create (nothing happens when it exists already, as with
/// `addgroup --system` and `groupadd -f`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct GroupEffect {
    /// Its name.
    pub name: String,
    /// A fixed gid, else one is allocated from `range`.
    pub gid: Option<u32>,
    /// Where an allocated gid comes from.
    pub range: IdRange,
}

/// A user's primary group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum PrimaryGroup {
    /// A group of the user's own name, created with it (`adduser --group`,
    /// `useradd -U`, sysusers `u`).
    OwnName,
    /// An existing group (`--ingroup`, `-g`).
    Existing(Who),
    /// `nogroup` (adduser `--system` without `--group`), else gid 65534.
    NoGroup,
    /// A gid equal to the uid (sysusers `u name uid:gid` forms aside).
    SameAsUid,
}

/// A user to create (nothing happens when it exists already, as with
/// `adduser --system` on a second run).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct UserEffect {
    /// Login name.
    pub name: String,
    /// A fixed uid, else one is allocated from `range`.
    pub uid: Option<u32>,
    /// Where an allocated uid (and an own-name group's gid) comes from.
    pub range: IdRange,
    /// Its primary group.
    pub group: PrimaryGroup,
    /// Home directory.
    pub home: String,
    /// Whether the home directory is created (owned by the user, 0755).
    pub create_home: bool,
    /// Login shell.
    pub shell: String,
    /// The comment (GECOS) field.
    pub gecos: String,
}

/// The secondary target of an alternative (`--slave LINK NAME PATH`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Slave {
    /// The generic path, e.g. `/usr/share/man/man1/java.1.gz`.
    pub link: String,
    /// Its name under `/etc/alternatives`.
    pub name: String,
    /// What it points to for this provider.
    pub path: String,
}

/// One provider registered for an alternative
/// (`update-alternatives --install LINK NAME PATH PRIORITY [--slave …]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Alternative {
    /// The generic path, e.g. `/usr/bin/java`.
    pub link: String,
    /// The alternative's name, e.g. `java`.
    pub name: String,
    /// This provider's path.
    pub path: String,
    /// Its priority: the highest wins in automatic mode.
    pub priority: i64,
    /// Its slaves.
    pub slaves: Vec<Slave>,
}

/// What a created file holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum FileContent {
    /// These bytes.
    Bytes(Vec<u8>),
    /// A copy of another file in the tree (`cp`, `install`).
    CopyOf(String),
}

/// A trust store a package's scripts would build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TrustStore {
    /// ca-certificates-java's `/etc/ssl/certs/java/cacerts`: a Java
    /// keystore of the certificates linked from `/etc/ssl/certs/*.pem`.
    JavaCacerts,
}

/// One change to the tree. Paths are absolute, as the script wrote them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    /// Create a group.
    Group(GroupEffect),
    /// Create a user.
    User(UserEffect),
    /// Add an existing user to an existing group's member list.
    Member {
        /// The user.
        user: String,
        /// The group.
        group: String,
    },
    /// Create a directory (`mkdir`, `install -d`, tmpfiles `d`).
    Directory {
        /// Its path.
        path: String,
        /// Mode; `None` keeps an existing directory's, else 0755.
        mode: Option<u32>,
        /// Owner; `None` keeps an existing directory's, else root.
        owner: Option<Who>,
        /// Group; `None` keeps an existing directory's, else root.
        group: Option<Who>,
        /// Create missing parents (`mkdir -p`); otherwise a missing parent
        /// is an error, as for `mkdir`.
        parents: bool,
    },
    /// Create a symbolic link (`ln -s`, tmpfiles `L`).
    Symlink {
        /// The link.
        path: String,
        /// What it points to, verbatim.
        target: String,
        /// Replace what is at `path` (`ln -sf`); otherwise an existing
        /// entry is left alone.
        replace: bool,
    },
    /// Create a file (`touch`, `cp`, `install`, tmpfiles `f`, the recipe).
    File {
        /// Its path.
        path: String,
        /// What it holds.
        content: FileContent,
        /// Mode; `None` takes the copied file's, else 0644.
        mode: Option<u32>,
        /// Owner (default root).
        owner: Option<Who>,
        /// Group (default root).
        group: Option<Who>,
        /// Replace an existing file; otherwise it is left alone (`touch`
        /// only updates a time, which the build date overrides anyway).
        replace: bool,
    },
    /// Change owner and/or group of an existing path (`chown`, tmpfiles `z`).
    Chown {
        /// The path.
        path: String,
        /// New owner.
        owner: Option<Who>,
        /// New group.
        group: Option<Who>,
        /// Everything below too (`-R`).
        recursive: bool,
    },
    /// Change the mode of an existing path (`chmod`).
    Chmod {
        /// The path.
        path: String,
        /// New permission bits.
        mode: u32,
        /// Everything below too (`-R`).
        recursive: bool,
    },
    /// Remove a path (`rm`, `rmdir`, `rm -r`). Removing what is absent is
    /// not an error.
    Remove {
        /// The path.
        path: String,
        /// Everything below too (`rm -r`).
        recursive: bool,
    },
    /// Register a provider of an alternative.
    Alternative(Alternative),
    /// `dpkg-statoverride --add USER GROUP MODE PATH`: owner and mode that
    /// win over the package's, recorded in the statoverride database.
    StatOverride {
        /// The path.
        path: String,
        /// Owner.
        owner: Who,
        /// Group.
        group: Who,
        /// Mode.
        mode: u32,
    },
    /// Build a trust store from the certificates in the tree.
    TrustStore(TrustStore),
}

impl Effect {
    /// The path it changes, for effects on one path.
    pub fn path(&self) -> Option<&str> {
        match self {
            Effect::Directory { path, .. }
            | Effect::Symlink { path, .. }
            | Effect::File { path, .. }
            | Effect::Chown { path, .. }
            | Effect::Chmod { path, .. }
            | Effect::Remove { path, .. }
            | Effect::StatOverride { path, .. } => Some(path),
            Effect::Alternative(a) => Some(&a.link),
            Effect::Group(_) | Effect::User(_) | Effect::Member { .. } | Effect::TrustStore(_) => {
                None
            }
        }
    }
}

/// An effect and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Placed {
    /// The change.
    pub effect: Effect,
    /// Who asked for it.
    pub origin: Origin,
}
