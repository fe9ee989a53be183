//! Users, groups and group members, written into the tree's `/etc/passwd`,
//! `/etc/group` and, when the image has them, `/etc/shadow` and
//! `/etc/gshadow` (formats: `passwd(5)`, `group(5)`, `shadow(5)`,
//! `gshadow(5)`).
//!
//! Ids are allocated as adduser and useradd do (the lowest free id of the
//! range) or as systemd-sysusers does (the highest), where free means not
//! used in the file being added to. New shadow lines are what Debian 12's
//! `adduser --system` leaves: `name:!:DAYS::::::` (`!*` for sysusers, which
//! allocates downward), DAYS being the build date in days; new gshadow lines
//! are `name:!::`. Each file keeps its mode and owner.

use std::collections::BTreeSet;

use whittle_rootfs::accounts::AccountIds;
use whittle_rootfs::Node;

use crate::effect::{GroupEffect, IdRange, PrimaryGroup, UserEffect, Who};

use super::paths::parent_key;
use super::Applier;

const PASSWD: &str = "/etc/passwd";
const GROUP: &str = "/etc/group";
const SHADOW: &str = "/etc/shadow";
const GSHADOW: &str = "/etc/gshadow";

/// The lowest (or, downward, highest) id of `range` not in `used`.
fn allocate(used: &BTreeSet<u32>, range: IdRange) -> Result<u32, String> {
    let free = |id: &u32| !used.contains(id);
    let found = if range.downward {
        (range.first..=range.last).rev().find(free)
    } else {
        (range.first..=range.last).find(free)
    };
    found.ok_or_else(|| format!("no free id left in {}-{}", range.first, range.last))
}

/// The id in dpkg's `#ID` notation.
pub(super) fn hash_id(name: &str) -> Option<u32> {
    name.strip_prefix('#')?.parse().ok()
}

/// A name that fits the colon-separated files.
fn check_name(kind: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains([':', ',', '\n', ' ', '/']) {
        return Err(format!("invalid {kind} name {name:?}"));
    }
    Ok(())
}

impl Applier<'_> {
    /// The tree's users and groups as they are now.
    pub(super) fn accounts(&self) -> AccountIds {
        AccountIds::from_tree(self.root)
    }

    /// The lines of a text file in the tree (none when it is missing).
    fn lines_of(&self, path: &str) -> Option<Vec<String>> {
        let bytes = self.root.read_file(path)?;
        Some(
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(str::to_string)
                .collect(),
        )
    }

    /// The ids in the third field of a colon-separated file.
    fn used_ids(&self, path: &str) -> BTreeSet<u32> {
        self.lines_of(path)
            .unwrap_or_default()
            .iter()
            .filter_map(|l| l.split(':').nth(2)?.parse().ok())
            .collect()
    }

    /// Rewrite a text file, keeping its mode and owner (0644 root for a
    /// new one).
    fn write_lines(&mut self, path: &str, lines: &[String]) -> Result<(), String> {
        let (mode, uid, gid) = self
            .root
            .lookup(path)
            .map_or((0o644, 0, 0), |n| (n.mode, n.uid, n.gid));
        let mut text = lines.join("\n");
        text.push('\n');
        self.write_file_bytes(path, text.into_bytes(), mode, (uid, gid))
    }

    /// Append a line to a file; with `only_if_present`, a missing file is
    /// left missing.
    fn append_line(
        &mut self,
        path: &str,
        line: String,
        only_if_present: bool,
    ) -> Result<(), String> {
        let mut lines = match self.lines_of(path) {
            Some(lines) => lines,
            None if only_if_present => return Ok(()),
            None => Vec::new(),
        };
        lines.retain(|l| !l.is_empty());
        lines.push(line);
        self.write_lines(path, &lines)
    }

    /// The uid of `who` (`#ID`, as dpkg-statoverride writes ids, is an id).
    pub(super) fn user_id(&self, who: &Who) -> Result<u32, String> {
        match who {
            Who::Id(id) => Ok(*id),
            Who::Name(name) => hash_id(name)
                .or_else(|| self.accounts().user(name).map(|(uid, _)| uid))
                .ok_or_else(|| format!("user {name} does not exist")),
        }
    }

    /// The gid of `who` (`#ID` is an id).
    pub(super) fn group_id_of(&self, who: &Who) -> Result<u32, String> {
        match who {
            Who::Id(id) => Ok(*id),
            Who::Name(name) => hash_id(name)
                .or_else(|| self.accounts().group(name))
                .ok_or_else(|| format!("group {name} does not exist")),
        }
    }

    /// The name of the entry with `id` in a colon-separated file.
    pub(super) fn name_of_id(&self, path: &str, id: u32) -> Option<String> {
        self.lines_of(path)?.iter().find_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            (f.nth(1)?.parse::<u32>().ok()? == id).then(|| name.to_string())
        })
    }

    /// `addgroup --system`, `groupadd`, sysusers `g`.
    pub(super) fn add_group(&mut self, g: &GroupEffect) -> Result<(), String> {
        check_name("group", &g.name)?;
        if self.accounts().group(&g.name).is_some() {
            return Ok(());
        }
        let used = self.used_ids(GROUP);
        let gid = match g.gid {
            Some(gid) if used.contains(&gid) => {
                return Err(format!("the GID {gid} is already in use"))
            }
            Some(gid) => gid,
            None => allocate(&used, g.range)?,
        };
        self.create_group(&g.name, gid, g.range.downward)
    }

    fn create_group(&mut self, name: &str, gid: u32, sysusers: bool) -> Result<(), String> {
        self.append_line(GROUP, format!("{name}:x:{gid}:"), false)?;
        let password = if sysusers { "!*" } else { "!" };
        self.append_line(GSHADOW, format!("{name}:{password}::"), true)
    }

    /// `adduser`, `useradd`, sysusers `u`.
    pub(super) fn add_user(&mut self, u: &UserEffect) -> Result<(), String> {
        check_name("user", &u.name)?;
        for (field, value) in [("home", &u.home), ("shell", &u.shell), ("gecos", &u.gecos)] {
            if value.contains([':', '\n']) {
                return Err(format!("invalid {field} {value:?}"));
            }
        }
        let ids = self.accounts();
        if ids.user(&u.name).is_some() {
            return Ok(());
        }
        let used = self.used_ids(PASSWD);
        let uid = match u.uid {
            Some(uid) if used.contains(&uid) => {
                return Err(format!("the UID {uid} is already in use"))
            }
            Some(uid) => uid,
            None => allocate(&used, u.range)?,
        };
        let gid = self.primary_gid(u, uid, &ids)?;

        self.append_line(
            PASSWD,
            format!(
                "{}:x:{uid}:{gid}:{}:{}:{}",
                u.name, u.gecos, u.home, u.shell
            ),
            false,
        )?;
        let days = self.options.epoch.max(0) / 86_400;
        let password = if u.range.downward { "!*" } else { "!" };
        self.append_line(SHADOW, format!("{}:{password}:{days}::::::", u.name), true)?;

        if u.create_home && u.home.starts_with('/') && u.home != "/nonexistent" {
            self.make_home(&u.home, uid, gid)?;
        }
        Ok(())
    }

    /// The user's primary gid, creating its own group when asked.
    fn primary_gid(&mut self, u: &UserEffect, uid: u32, ids: &AccountIds) -> Result<u32, String> {
        match &u.group {
            PrimaryGroup::Existing(who) => self.group_id_of(who),
            PrimaryGroup::NoGroup => Ok(ids.group("nogroup").unwrap_or(65_534)),
            PrimaryGroup::OwnName | PrimaryGroup::SameAsUid => {
                if let Some(gid) = ids.group(&u.name) {
                    return Ok(gid);
                }
                let used = self.used_ids(GROUP);
                let gid = if !used.contains(&uid) {
                    uid
                } else if u.group == PrimaryGroup::SameAsUid {
                    return Err(format!(
                        "the GID {uid} (the same as the UID) is already in use"
                    ));
                } else {
                    // adduser: the uid as gid when free, else the range's next.
                    allocate(&used, u.range)?
                };
                self.create_group(&u.name, gid, u.range.downward)?;
                Ok(gid)
            }
        }
    }

    /// A home directory owned by the user (parents root-owned), when missing.
    fn make_home(&mut self, home: &str, uid: u32, gid: u32) -> Result<(), String> {
        if self.root.lookup(home).is_some() {
            return Ok(());
        }
        let key = self.real_key(home, true)?;
        self.ensure_dirs(parent_key(&key))?;
        self.root
            .insert(
                &key,
                Node::dir(0o755).owned(uid, gid).at(self.options.epoch),
            )
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// `adduser USER GROUP`, `usermod -aG`, sysusers `m`.
    pub(super) fn add_member(&mut self, user: &str, group: &str) -> Result<(), String> {
        let ids = self.accounts();
        if ids.user(user).is_none() {
            return Err(format!("user {user} does not exist"));
        }
        if ids.group(group).is_none() {
            return Err(format!("group {group} does not exist"));
        }
        self.add_member_in(GROUP, user, group)?;
        self.add_member_in(GSHADOW, user, group)
    }

    /// Add `user` to the member list (fourth field) of `group` in `path`.
    fn add_member_in(&mut self, path: &str, user: &str, group: &str) -> Result<(), String> {
        let Some(mut lines) = self.lines_of(path) else {
            return Ok(());
        };
        let mut changed = false;
        for line in &mut lines {
            let mut fields: Vec<&str> = line.split(':').collect();
            if fields.first() != Some(&group) || fields.len() != 4 {
                continue;
            }
            let mut members: Vec<&str> = fields[3].split(',').filter(|m| !m.is_empty()).collect();
            if members.contains(&user) {
                return Ok(());
            }
            members.push(user);
            let joined = members.join(",");
            fields[3] = &joined;
            *line = fields.join(":");
            changed = true;
            break;
        }
        if !changed {
            return Ok(());
        }
        lines.retain(|l| !l.is_empty());
        self.write_lines(path, &lines)
    }
}
