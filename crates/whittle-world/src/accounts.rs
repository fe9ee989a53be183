//! The recipe's accounts as the accounts writer takes them.

use whittle_recipe::Accounts;
use whittle_rootfs::accounts::{AccountSpec, UserSpec};

/// The recipe's users and groups with a world's defaults for what the
/// recipe leaves out: home `/home/NAME`, the world's shell, and apko's rule
/// for a user without a gid (gid = uid, no group entry needed).
pub fn account_spec(accounts: &Accounts, default_shell: &str, gecos: &str) -> AccountSpec {
    AccountSpec {
        groups: accounts
            .groups
            .iter()
            .map(|g| (g.groupname.clone(), g.gid, g.members.clone()))
            .collect(),
        users: accounts
            .users
            .iter()
            .map(|u| UserSpec {
                name: u.username.clone(),
                uid: u.uid,
                gid: u.gid.unwrap_or(u.uid),
                require_group: u.gid.is_some(),
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
