//! Account commands as effects: Debian's `adduser`/`addgroup` and
//! shadow's `useradd`/`groupadd`/`usermod -a -G`/`gpasswd -a`.

use super::known::Outcome;
use super::options::{self, Parsed};
use crate::effect::{Effect, GroupEffect, IdRange, PrimaryGroup, UserEffect, Who};

/// Classify one account command.
pub(crate) fn classify(name: &str, args: &[String]) -> Outcome {
    let r = match name {
        "adduser" | "addgroup" => adduser(args, name == "addgroup"),
        "useradd" => useradd(args),
        "groupadd" => groupadd(args),
        "usermod" => usermod(args),
        "gpasswd" => gpasswd(args),
        _ => Err("unknown command".into()),
    };
    r.into()
}

fn id(p: &Parsed, names: &[&str]) -> Result<Option<u32>, String> {
    p.value(names)
        .map(|v| v.parse().map_err(|_| format!("id `{v}` is not a number")))
        .transpose()
}

fn adduser(args: &[String], addgroup: bool) -> Result<Vec<Effect>, String> {
    const VALUED: &[&str] = &[
        "--home",
        "--shell",
        "--ingroup",
        "--uid",
        "--gid",
        "--gecos",
        "--comment",
        "--firstuid",
        "--lastuid",
        "--firstgid",
        "--lastgid",
        "--conf",
        "--add-extra-groups",
    ];
    let p = options::parse(args, VALUED)?;
    let mut known = VALUED.to_vec();
    known.extend([
        "--system",
        "--group",
        "--no-create-home",
        "--disabled-password",
        "--disabled-login",
        "--quiet",
        "-q",
        "--force-badname",
        "--allow-badname",
        "--allow-all-names",
        "--debug",
        "--verbose",
    ]);
    p.only(&known)?;
    let system = p.has(&["--system"]);
    let range = if system {
        IdRange::SYSTEM
    } else {
        IdRange::USER
    };
    // `adduser --group NAME` without `--system` is `addgroup NAME`.
    let group_only = addgroup || (p.has(&["--group"]) && !system);
    match p.operands.as_slice() {
        [user, group] if !addgroup && !system => {
            return Ok(vec![Effect::Member {
                user: user.clone(),
                group: group.clone(),
            }]);
        }
        [name] if group_only => {
            return Ok(vec![Effect::Group(GroupEffect {
                name: name.clone(),
                gid: id(&p, &["--gid"])?,
                range,
            })]);
        }
        [_] => {}
        _ => return Err("adduser with these operands is not emulated".into()),
    }
    let name = p.operands[0].clone();
    let group = if p.has(&["--group"]) {
        PrimaryGroup::OwnName
    } else if let Some(g) = p.value(&["--ingroup"]) {
        PrimaryGroup::Existing(Who::Name(g.to_string()))
    } else if let Some(g) = id(&p, &["--gid"])? {
        PrimaryGroup::Existing(Who::Id(g))
    } else if system {
        PrimaryGroup::NoGroup
    } else {
        PrimaryGroup::OwnName
    };
    let home = p.value(&["--home"]).map_or_else(
        || {
            if system {
                "/nonexistent".to_string()
            } else {
                format!("/home/{name}")
            }
        },
        ToString::to_string,
    );
    let create_home = !p.has(&["--no-create-home"]) && home != "/nonexistent";
    let shell = p.value(&["--shell"]).map_or_else(
        || {
            if system {
                "/usr/sbin/nologin"
            } else {
                "/bin/bash"
            }
            .to_string()
        },
        ToString::to_string,
    );
    let gecos = p
        .value(&["--gecos", "--comment"])
        .unwrap_or_default()
        .to_string();
    Ok(vec![Effect::User(UserEffect {
        name,
        uid: id(&p, &["--uid"])?,
        range,
        group,
        home,
        create_home,
        shell,
        gecos,
    })])
}

fn useradd(args: &[String]) -> Result<Vec<Effect>, String> {
    const VALUED: &[&str] = &[
        "-d",
        "--home-dir",
        "-s",
        "--shell",
        "-g",
        "--gid",
        "-u",
        "--uid",
        "-c",
        "--comment",
        "-G",
        "--groups",
        "-K",
        "--key",
        "-b",
        "--base-dir",
        "-e",
        "-f",
    ];
    let p = options::parse(args, VALUED)?;
    let mut known = VALUED.to_vec();
    known.extend([
        "-r",
        "--system",
        "-m",
        "--create-home",
        "-M",
        "--no-create-home",
        "-U",
        "--user-group",
        "-N",
        "--no-user-group",
        "-o",
        "--non-unique",
        "-l",
        "--no-log-init",
    ]);
    p.only(&known)?;
    let [name] = p.operands.as_slice() else {
        return Err("useradd takes one user name".into());
    };
    let system = p.has(&["-r", "--system"]);
    let group = match p.value(&["-g", "--gid"]) {
        Some(g) => PrimaryGroup::Existing(Who::parse(g)),
        None if p.has(&["-N", "--no-user-group"]) => {
            PrimaryGroup::Existing(Who::Name("users".into()))
        }
        None => PrimaryGroup::OwnName,
    };
    let mut effects = vec![Effect::User(UserEffect {
        name: name.clone(),
        uid: id(&p, &["-u", "--uid"])?,
        range: if system {
            IdRange::SYSTEM
        } else {
            IdRange::USER
        },
        group,
        home: p
            .value(&["-d", "--home-dir"])
            .map_or_else(|| format!("/home/{name}"), ToString::to_string),
        create_home: p.has(&["-m", "--create-home"]),
        shell: p.value(&["-s", "--shell"]).unwrap_or("/bin/sh").to_string(),
        gecos: p
            .value(&["-c", "--comment"])
            .unwrap_or_default()
            .to_string(),
    })];
    for g in p
        .values(&["-G", "--groups"])
        .iter()
        .flat_map(|g| g.split(','))
    {
        effects.push(Effect::Member {
            user: name.clone(),
            group: g.to_string(),
        });
    }
    Ok(effects)
}

fn groupadd(args: &[String]) -> Result<Vec<Effect>, String> {
    let p = options::parse(args, &["-g", "--gid", "-K", "--key"])?;
    p.only(&[
        "-g",
        "--gid",
        "-K",
        "--key",
        "-r",
        "--system",
        "-f",
        "--force",
        "-o",
        "--non-unique",
    ])?;
    let [name] = p.operands.as_slice() else {
        return Err("groupadd takes one group name".into());
    };
    let system = p.has(&["-r", "--system"]);
    Ok(vec![Effect::Group(GroupEffect {
        name: name.clone(),
        gid: id(&p, &["-g", "--gid"])?,
        range: if system {
            IdRange::SYSTEM
        } else {
            IdRange::USER
        },
    })])
}

fn usermod(args: &[String]) -> Result<Vec<Effect>, String> {
    let p = options::parse(args, &["-G", "--groups"])?;
    p.only(&["-a", "--append", "-G", "--groups"])?;
    let ([user], true) = (p.operands.as_slice(), p.has(&["-a", "--append"])) else {
        return Err("only `usermod -a -G GROUPS USER` is emulated".into());
    };
    Ok(p.values(&["-G", "--groups"])
        .iter()
        .flat_map(|g| g.split(','))
        .map(|g| Effect::Member {
            user: user.clone(),
            group: g.to_string(),
        })
        .collect())
}

fn gpasswd(args: &[String]) -> Result<Vec<Effect>, String> {
    match args {
        [a, user, group] if a == "-a" || a == "--add" => Ok(vec![Effect::Member {
            user: user.clone(),
            group: group.clone(),
        }]),
        _ => Err("only `gpasswd -a USER GROUP` is emulated".into()),
    }
}
