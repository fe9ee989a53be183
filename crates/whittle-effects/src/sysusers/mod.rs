//! `sysusers.d(5)` lines as user and group effects.
//!
//! Format: `Type Name ID GECOS Home Shell`, one line each, `#` comments;
//! fields quoted and escaped as tmpfiles.d's are, `-` means the default.
//!
//! * `g NAME ID`: a group; `-` allocates from [`IdRange::SYSUSERS`]
//!   (highest free first, as systemd-sysusers does).
//! * `u NAME ID "GECOS" HOME SHELL` (and `u!`, locked, which every account
//!   of an image is anyway): a user. Its primary group is the group of its
//!   own name, created with it ([`PrimaryGroup::OwnName`]: sysusers gives
//!   it the uid as gid when free) unless the ID is `uid:gid` or
//!   `uid:groupname` ([`PrimaryGroup::Existing`]; `-:…` allocates the uid).
//!   HOME defaults to `/` and is never created (sysusers only records it);
//!   SHELL defaults to `/usr/sbin/nologin` (Debian builds systemd with that
//!   path; upstream's default is `/sbin/nologin`), `/bin/sh` for uid 0.
//! * `m USER GROUP`: a member. Applied after the file's `u` and `g` lines;
//!   a user or group the file does not declare is created first with the
//!   defaults, as sysusers creates them implicitly.
//!
//! Skipped, with the reason: `r` (ranges: ids always come from
//! [`IdRange::SYSUSERS`]), ids read from a file's owner (an absolute path),
//! invalid names and specifiers with no value in an image.

#[cfg(test)]
mod tests;

use crate::effect::{Effect, GroupEffect, IdRange, Origin, Placed, PrimaryGroup, UserEffect, Who};
use crate::tmpfiles::words::{expand_specifiers, next_word, SYSUSERS_SPECIFIERS};

/// Default login shell of a sysusers account.
const NOLOGIN: &str = "/usr/sbin/nologin";

/// The effects of one `sysusers.d` file of `package` (`name` is its file
/// name, for origins). Lines it does not take are returned as
/// (line, text, why) for the report.
pub fn sysusers_effects(
    package: &str,
    name: &str,
    text: &str,
) -> (Vec<Placed>, Vec<(u32, String, String)>) {
    let source = format!("sysusers.d/{name}");
    let mut accounts = Vec::new();
    let mut members = Vec::new();
    let mut skipped = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let origin = Origin::new(package, &source, number);
        match parse_line(line) {
            Ok(Line::Account(effect)) => accounts.push(Placed { effect, origin }),
            Ok(Line::Member { user, group }) => members.push((user, group, origin)),
            Err(why) => skipped.push((number, line.to_string(), why)),
        }
    }
    let mut effects = implicit_accounts(&accounts, &members);
    effects.splice(0..0, accounts);
    (effects, skipped)
}

/// What one line asks for.
enum Line {
    /// A `u` or `g` line.
    Account(Effect),
    /// An `m` line.
    Member { user: String, group: String },
}

/// The `m` lines' effects, each preceded by the user and group it names
/// when the file declares neither (sysusers creates them implicitly).
fn implicit_accounts(accounts: &[Placed], members: &[(String, String, Origin)]) -> Vec<Placed> {
    let mut users: Vec<String> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for placed in accounts {
        match &placed.effect {
            Effect::User(u) => {
                users.push(u.name.clone());
                groups.push(u.name.clone());
            }
            Effect::Group(g) => groups.push(g.name.clone()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (user, group, origin) in members {
        if !groups.contains(group) && !users.contains(group) {
            groups.push(group.clone());
            out.push(Placed {
                effect: Effect::Group(GroupEffect {
                    name: group.clone(),
                    gid: None,
                    range: IdRange::SYSUSERS,
                }),
                origin: origin.clone(),
            });
        }
        if !users.contains(user) {
            users.push(user.clone());
            groups.push(user.clone());
            out.push(Placed {
                effect: Effect::User(user_effect(
                    user,
                    None,
                    PrimaryGroup::OwnName,
                    None,
                    None,
                    None,
                )),
                origin: origin.clone(),
            });
        }
        out.push(Placed {
            effect: Effect::Member {
                user: user.clone(),
                group: group.clone(),
            },
            origin: origin.clone(),
        });
    }
    out
}

/// Read one line into what it asks for, or why it is skipped.
fn parse_line(line: &str) -> Result<Line, String> {
    let mut rest = line;
    let mut fields: Vec<String> = Vec::new();
    while let Some((word, after)) = next_word(rest)? {
        if fields.len() == 6 {
            return Err("text after the shell field".into());
        }
        let word = String::from_utf8(word).map_err(|_| "a field is not UTF-8".to_string())?;
        fields.push(expand_specifiers(&word, SYSUSERS_SPECIFIERS)?);
        rest = after;
    }
    let field = |i: usize| {
        fields
            .get(i)
            .map(String::as_str)
            .filter(|f| !f.is_empty() && *f != "-")
    };
    let kind = field(0).unwrap_or_default();
    if kind == "r" {
        return Err("ranges (`r`) are not taken: ids come from the system range 100-999, highest free first".into());
    }
    let name = field(1).ok_or("the line has no name")?;
    check_name(name)?;
    match kind {
        "g" => Ok(Line::Account(Effect::Group(GroupEffect {
            name: name.to_string(),
            gid: field(2).map(id).transpose()?,
            range: IdRange::SYSUSERS,
        }))),
        "u" | "u!" => {
            let (uid, group) = match field(2) {
                None => (None, PrimaryGroup::OwnName),
                Some(text) => match text.split_once(':') {
                    None => (Some(id(text)?), PrimaryGroup::OwnName),
                    Some((uid, group)) => {
                        let uid = (uid != "-").then(|| id(uid)).transpose()?;
                        if group.is_empty() || group == "-" {
                            return Err(format!("`{text}` names no group after `:`"));
                        }
                        (uid, PrimaryGroup::Existing(Who::parse(group)))
                    }
                },
            };
            let gecos = field(3);
            if gecos.is_some_and(|g| g.contains(':')) {
                return Err("the GECOS field contains `:`".into());
            }
            Ok(Line::Account(Effect::User(user_effect(
                name,
                uid,
                group,
                gecos,
                field(4),
                field(5),
            ))))
        }
        "m" => {
            let group = field(2).ok_or("`m` names no group")?;
            check_name(group)?;
            Ok(Line::Member {
                user: name.to_string(),
                group: group.to_string(),
            })
        }
        other => Err(format!("unknown line type `{other}`")),
    }
}

/// A user with sysusers' defaults for what is not given.
fn user_effect(
    name: &str,
    uid: Option<u32>,
    group: PrimaryGroup,
    gecos: Option<&str>,
    home: Option<&str>,
    shell: Option<&str>,
) -> UserEffect {
    let default_shell = if uid == Some(0) { "/bin/sh" } else { NOLOGIN };
    UserEffect {
        name: name.to_string(),
        uid,
        range: IdRange::SYSUSERS,
        group,
        home: home.unwrap_or("/").to_string(),
        create_home: false,
        shell: shell.unwrap_or(default_shell).to_string(),
        gecos: gecos.unwrap_or_default().to_string(),
    }
}

/// A numeric uid or gid. A path (the id of a file's owner) is not taken.
fn id(text: &str) -> Result<u32, String> {
    if text.starts_with('/') {
        return Err(format!(
            "the id is read from the owner of {text}, which is not emulated"
        ));
    }
    match text.parse::<u32>() {
        Ok(65535 | u32::MAX) => Err(format!("id {text} is a reserved placeholder")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a numeric id")),
    }
}

/// sysusers.d(5) names: `[A-Za-z_][A-Za-z0-9_-]*`, at most 31 characters.
fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if first_ok && rest_ok && name.len() <= 31 {
        Ok(())
    } else {
        Err(format!("`{name}` is not a valid user or group name"))
    }
}
