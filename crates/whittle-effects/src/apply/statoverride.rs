//! `dpkg-statoverride --add USER GROUP MODE PATH`: applied to the path at
//! once (the package is already unpacked, so this is the state dpkg would
//! leave) and recorded in dpkg's database, one `USER GROUP MODE PATH` line
//! per override with the mode in octal without a leading zero (dpkg writes
//! `%s %s %o %s`), and `#ID` for an id without a name. The file is sorted by
//! path; lines already in the tree's database are kept unless overridden.

use std::collections::BTreeMap;

use crate::effect::Who;

use super::accounts::hash_id;
use super::Applier;

/// One override as the database spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Override {
    user: String,
    group: String,
    mode: u32,
}

impl Applier<'_> {
    /// How the database names an owner: its name, else `#ID`.
    fn db_name(&self, who: &Who, file: &str, what: &str) -> Result<String, String> {
        let by_id = |id: u32| {
            self.name_of_id(file, id)
                .unwrap_or_else(|| format!("#{id}"))
        };
        match who {
            Who::Name(name) if hash_id(name).is_some() => {
                Ok(hash_id(name).map_or_else(String::new, by_id))
            }
            Who::Name(name) => {
                let known = if what == "user" {
                    self.accounts().user(name).is_some()
                } else {
                    self.accounts().group(name).is_some()
                };
                if known {
                    Ok(name.clone())
                } else {
                    Err(format!("{what} '{name}' does not exist"))
                }
            }
            Who::Id(id) => Ok(self
                .name_of_id(file, *id)
                .unwrap_or_else(|| format!("#{id}"))),
        }
    }

    /// Record an override and apply it when the path exists.
    pub(super) fn add_override(
        &mut self,
        path: &str,
        owner: &Who,
        group: &Who,
        mode: u32,
    ) -> Result<(), String> {
        if !path.starts_with('/') || path.contains(['\n', ' ']) {
            return Err(format!("path {path:?} must be absolute and without spaces"));
        }
        let user = self.db_name(owner, "/etc/passwd", "user")?;
        let group_name = self.db_name(group, "/etc/group", "group")?;
        let uid = self.user_id(owner)?;
        let gid = self.group_id_of(group)?;
        let mode = mode & 0o7777;
        if let Ok(key) = self.real_key(path, true) {
            let epoch = self.options.epoch;
            if let Some(node) = self.root.node_mut(&key) {
                node.uid = uid;
                node.gid = gid;
                node.mode = mode;
                node.mtime = epoch;
            }
        }
        self.overrides.insert(
            path.to_string(),
            Override {
                user,
                group: group_name,
                mode,
            },
        );
        Ok(())
    }

    /// Write the database, merged with the one already in the tree.
    pub(super) fn write_override_db(&mut self) -> Result<(), String> {
        let Some(db) = self.options.statoverride_db.clone() else {
            return Ok(());
        };
        if self.overrides.is_empty() {
            return Ok(());
        }
        let mut lines: BTreeMap<String, String> = BTreeMap::new();
        if let Some(existing) = self.root.read_file(&db) {
            for line in String::from_utf8_lossy(&existing).lines() {
                let mut fields = line.splitn(4, ' ');
                if let (Some(_), Some(_), Some(_), Some(path)) =
                    (fields.next(), fields.next(), fields.next(), fields.next())
                {
                    lines.insert(path.to_string(), line.to_string());
                }
            }
        }
        for (path, o) in &self.overrides {
            lines.insert(
                path.clone(),
                format!("{} {} {:o} {path}", o.user, o.group, o.mode),
            );
        }
        let mut text = String::new();
        for line in lines.values() {
            text.push_str(line);
            text.push('\n');
        }
        let (mode, uid, gid) = self
            .root
            .lookup(&db)
            .map_or((0o644, 0, 0), |n| (n.mode, n.uid, n.gid));
        self.write_file_bytes(&db, text.into_bytes(), mode, (uid, gid))
    }
}
