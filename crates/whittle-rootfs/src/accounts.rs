//! `/etc/passwd`, `/etc/group` and `/etc/shadow` written directly, without
//! `useradd` or package scripts. The file formats are `passwd(5)`, `group(5)`
//! and `shadow(5)`; the starting content is what base-passwd's postinst
//! copies (`usr/share/base-passwd/{passwd,group}.master`) or the tree's own.
//!
//! Password fields follow the base: Debian's master files use `*` (no
//! password, no shadow file needed, which is what an image without the
//! `passwd` package has), while Alpine's baselayout and the built-in default
//! use `x` with a shadow file. New entries use the same convention, and a
//! shadow file is written only for the `x` convention, holding what `pwconv`
//! would write: `name:*:DAYS:0:99999:7:::` (DAYS from the given time).
//! `gshadow` is not written: nothing in a minimal image reads it.

use crate::error::FsError;
use crate::node::Node;
use crate::tree::RootFs;

/// One user to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Whether a group with [`gid`](Self::gid) must exist (the recipe named
    /// the gid). apko's rule for a user without one: gid = uid, and no
    /// group entry is needed.
    pub require_group: bool,
    /// Home directory (absolute); created when missing, except `/nonexistent`.
    pub home: String,
    /// Login shell, e.g. `/usr/sbin/nologin`.
    pub shell: String,
    /// The GECOS (comment) field.
    pub gecos: String,
}

/// The groups and users a recipe adds to the base accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSpec {
    /// Groups as (name, gid, member user names).
    pub groups: Vec<(String, u32, Vec<String>)>,
    /// Users, written in this order after the base entries.
    pub users: Vec<UserSpec>,
}

/// The account files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// A name or id is already taken.
    #[error("{file}: {what} is already taken by the line {existing:?}; pick another name or id in the recipe")]
    Duplicate {
        /// `/etc/passwd` or `/etc/group`.
        file: &'static str,
        /// The clashing name or id.
        what: String,
        /// The line that has it.
        existing: String,
    },
    /// A field would break the colon-separated format.
    #[error("{file}: {field} {value:?} is not allowed (empty, or contains ':', ',' or a newline)")]
    BadField {
        /// `/etc/passwd` or `/etc/group`.
        file: &'static str,
        /// Which field.
        field: String,
        /// Its value.
        value: String,
    },
    /// A user's primary group does not exist.
    #[error("user {user} has primary group id {gid}, but no group in /etc/group has it; add the group to the recipe")]
    MissingGroup {
        /// The user.
        user: String,
        /// The group id.
        gid: u32,
    },
    /// The base file in the tree is not text or is malformed.
    #[error("{file}: line {line:?} is malformed ({problem})")]
    BadBase {
        /// Which file.
        file: &'static str,
        /// The line.
        line: String,
        /// What is wrong.
        problem: String,
    },
    /// A file could not be placed in the tree.
    #[error("cannot write the account files")]
    Fs(#[from] FsError),
}

/// The names an image's `/etc/passwd` and `/etc/group` define, for mapping
/// owner names from package archives (and `run-as`) to ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountIds {
    users: std::collections::HashMap<String, (u32, u32)>,
    groups: std::collections::HashMap<String, u32>,
}

impl AccountIds {
    /// Read the tree's `etc/passwd` and `etc/group` (missing or malformed
    /// lines are skipped: this is a lookup, not a check).
    pub fn from_tree(fs: &RootFs) -> AccountIds {
        let read = |path: &str| {
            fs.read_file(path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        let mut ids = AccountIds::default();
        for line in read("etc/passwd").lines() {
            let f: Vec<&str> = line.split(':').collect();
            if let (Some(name), Some(Ok(uid)), Some(Ok(gid))) = (
                f.first(),
                f.get(2).map(|v| v.parse()),
                f.get(3).map(|v| v.parse()),
            ) {
                ids.users.entry((*name).to_string()).or_insert((uid, gid));
            }
        }
        for line in read("etc/group").lines() {
            let f: Vec<&str> = line.split(':').collect();
            if let (Some(name), Some(Ok(gid))) = (f.first(), f.get(2).map(|v| v.parse())) {
                ids.groups.entry((*name).to_string()).or_insert(gid);
            }
        }
        ids
    }

    /// The uid and primary gid of user `name`.
    pub fn user(&self, name: &str) -> Option<(u32, u32)> {
        self.users.get(name).copied()
    }

    /// The gid of group `name`.
    pub fn group(&self, name: &str) -> Option<u32> {
        self.groups.get(name).copied()
    }

    /// User names, sorted (for messages).
    pub fn user_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.users.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// Debian's `nobody` and a root that cannot log in, used when there is no base.
const DEFAULT_PASSWD: &str =
    "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
/// The groups of [`DEFAULT_PASSWD`].
const DEFAULT_GROUP: &str = "root:x:0:\nnogroup:x:65534:\n";

/// Write `etc/passwd`, `etc/group` (0644) and, for the `x` password
/// convention, `etc/shadow` (0640, group `shadow` when the group file has
/// one), all root-owned with time `mtime`, and create the recipe users'
/// home directories (0755, owned by the user and their primary group).
///
/// The base is `base_passwd`/`base_group` when given (base-passwd's master
/// files), else the tree's own `etc/passwd`/`etc/group`, else a minimal
/// root and nobody. Recipe groups then users are appended in the order
/// given; a name or id that is already taken is an error.
pub fn write_accounts(
    fs: &mut RootFs,
    base_passwd: Option<&str>,
    base_group: Option<&str>,
    spec: &AccountSpec,
    mtime: i64,
) -> Result<(), AccountsError> {
    let passwd_base = base_text(fs, base_passwd, "etc/passwd", DEFAULT_PASSWD)?;
    let group_base = base_text(fs, base_group, "etc/group", DEFAULT_GROUP)?;
    let mut passwd = Table::parse("/etc/passwd", &passwd_base, 7)?;
    let mut group = Table::parse("/etc/group", &group_base, 4)?;
    let passwd_pw = passwd.password_convention();
    let group_pw = group.password_convention();

    for (name, gid, members) in &spec.groups {
        check_field("/etc/group", "group name", name)?;
        for m in members {
            check_field("/etc/group", "member name", m)?;
        }
        group.claim(name, *gid)?;
        group
            .lines
            .push(format!("{name}:{group_pw}:{gid}:{}", members.join(",")));
    }
    for u in &spec.users {
        check_field("/etc/passwd", "user name", &u.name)?;
        for (field, value) in [("home", &u.home), ("shell", &u.shell)] {
            check_field("/etc/passwd", field, value)?;
        }
        if !u.home.starts_with('/') {
            return Err(AccountsError::BadField {
                file: "/etc/passwd",
                field: "home (must be absolute)".to_string(),
                value: u.home.clone(),
            });
        }
        if u.gecos.contains([':', '\n']) {
            return Err(AccountsError::BadField {
                file: "/etc/passwd",
                field: "gecos".to_string(),
                value: u.gecos.clone(),
            });
        }
        if u.require_group && !group.has_id(u.gid) {
            return Err(AccountsError::MissingGroup {
                user: u.name.clone(),
                gid: u.gid,
            });
        }
        passwd.claim(&u.name, u.uid)?;
        passwd.lines.push(format!(
            "{}:{passwd_pw}:{}:{}:{}:{}:{}",
            u.name, u.uid, u.gid, u.gecos, u.home, u.shell
        ));
    }

    let text_file = |lines: &[String], mode: u32| {
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        Node::file(text.into_bytes(), mode).at(mtime)
    };
    fs.insert("etc/passwd", text_file(&passwd.lines, 0o644))?;
    fs.insert("etc/group", text_file(&group.lines, 0o644))?;
    if passwd_pw == "x" {
        let shadow_gid = group.id_of("shadow").unwrap_or(0);
        let shadow = shadow_lines(fs, &passwd, mtime);
        fs.insert("etc/shadow", text_file(&shadow, 0o640).owned(0, shadow_gid))?;
    }
    for u in &spec.users {
        if u.home == "/nonexistent" || fs.lookup(&u.home).is_some() {
            continue;
        }
        fs.insert(&u.home, Node::dir(0o755).owned(u.uid, u.gid).at(mtime))?;
    }
    Ok(())
}

fn base_text(
    fs: &RootFs,
    given: Option<&str>,
    path: &'static str,
    default: &str,
) -> Result<String, AccountsError> {
    if let Some(text) = given {
        return Ok(text.to_string());
    }
    match fs.read_file(path) {
        Some(bytes) => String::from_utf8(bytes.to_vec()).map_err(|_| AccountsError::BadBase {
            file: path,
            line: String::new(),
            problem: "the file is not UTF-8 text".to_string(),
        }),
        None => Ok(default.to_string()),
    }
}

fn check_field(file: &'static str, field: &str, value: &str) -> Result<(), AccountsError> {
    if value.is_empty() || value.contains([':', ',', '\n']) {
        return Err(AccountsError::BadField {
            file,
            field: field.to_string(),
            value: value.to_string(),
        });
    }
    Ok(())
}

/// A colon-separated account file, kept line by line.
struct Table {
    file: &'static str,
    lines: Vec<String>,
}

impl Table {
    fn parse(file: &'static str, text: &str, fields: usize) -> Result<Table, AccountsError> {
        let mut lines = Vec::new();
        for line in text.lines() {
            if line.trim().is_empty() {
                continue;
            }
            let is_nis = line.starts_with('+') || line.starts_with('-') || line.starts_with('#');
            if !is_nis && line.split(':').count() != fields {
                return Err(AccountsError::BadBase {
                    file,
                    line: line.to_string(),
                    problem: format!("expected {fields} colon-separated fields"),
                });
            }
            lines.push(line.to_string());
        }
        Ok(Table { file, lines })
    }

    fn entries(&self) -> impl Iterator<Item = (&str, Option<u32>, &String)> {
        self.lines
            .iter()
            .filter(|l| !l.starts_with(['+', '-', '#']))
            .map(|l| {
                let mut f = l.split(':');
                let name = f.next().unwrap_or("");
                let id = f.nth(1).and_then(|id| id.parse().ok());
                (name, id, l)
            })
    }

    /// `x` when the first entry uses a shadow file, else `*`.
    fn password_convention(&self) -> &'static str {
        match self
            .entries()
            .next()
            .and_then(|(_, _, l)| l.split(':').nth(1))
        {
            Some("x") => "x",
            _ => "*",
        }
    }

    fn has_id(&self, id: u32) -> bool {
        self.entries().any(|(_, i, _)| i == Some(id))
    }

    fn id_of(&self, name: &str) -> Option<u32> {
        self.entries()
            .find(|(n, _, _)| *n == name)
            .and_then(|(_, i, _)| i)
    }

    /// Fail if `name` or `id` is already in the file.
    fn claim(&self, name: &str, id: u32) -> Result<(), AccountsError> {
        for (n, i, line) in self.entries() {
            let what = if n == name {
                format!("name {name}")
            } else if i == Some(id) {
                format!("id {id}")
            } else {
                continue;
            };
            return Err(AccountsError::Duplicate {
                file: self.file,
                what,
                existing: line.clone(),
            });
        }
        Ok(())
    }
}

/// The shadow file: the tree's existing lines, then a `pwconv`-style line
/// for every user that has none.
fn shadow_lines(fs: &RootFs, passwd: &Table, mtime: i64) -> Vec<String> {
    let mut lines: Vec<String> = fs
        .read_file("etc/shadow")
        .and_then(|b| String::from_utf8(b.into_owned()).ok())
        .map(|t| {
            t.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let days = mtime.max(0) / 86_400;
    for (name, _, _) in passwd.entries() {
        let known = lines.iter().any(|l| l.split(':').next() == Some(name));
        if !known {
            lines.push(format!("{name}:*:{days}:0:99999:7:::"));
        }
    }
    lines
}
