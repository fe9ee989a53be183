//! `accounts:`: users and groups to create, and who the image runs as.

use serde::Serialize;

/// `accounts:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Accounts {
    /// Groups to create.
    pub groups: Vec<Group>,
    /// Users to create.
    pub users: Vec<User>,
    /// The user the image runs as: a user name or a number (`uid` or
    /// `uid:gid`). See [`BuildPlan::run_as_uid`](crate::BuildPlan::run_as_uid).
    pub run_as: Option<String>,
}

/// A group to create.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Group {
    /// Group name.
    pub groupname: String,
    /// Group id.
    pub gid: u32,
    /// Member user names.
    pub members: Vec<String>,
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct User {
    /// User name.
    pub username: String,
    /// User id.
    pub uid: u32,
    /// Primary group id (apko defaults it to the uid when absent).
    pub gid: Option<u32>,
    /// Login shell.
    pub shell: Option<String>,
    /// Home directory.
    pub homedir: Option<String>,
}

pub(crate) fn run_as_hint(users: &[User]) -> String {
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    if names.is_empty() {
        "name a user of accounts.users or of the image, or give a numeric uid".to_string()
    } else {
        format!(
            "recipe users: {}; name one of them or a user of the image, or give a numeric uid",
            names.join(", ")
        )
    }
}

pub(crate) fn resolve_run_as(run_as: &str, users: &[User]) -> Option<u32> {
    let user = run_as.split(':').next().unwrap_or(run_as);
    if let Ok(uid) = user.parse::<u32>() {
        return Some(uid);
    }
    users.iter().find(|u| u.username == user).map(|u| u.uid)
}
