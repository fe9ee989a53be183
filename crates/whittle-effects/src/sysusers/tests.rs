//! sysusers.d lines as Debian 12's packages ship them, and one per form.

use super::*;

fn effects(text: &str) -> Vec<Effect> {
    let (placed, skipped) = sysusers_effects("pkg", "x.conf", text);
    assert!(skipped.is_empty(), "unexpected skips: {skipped:?}");
    placed.into_iter().map(|p| p.effect).collect()
}

fn skip_reason(line: &str) -> String {
    let (placed, skipped) = sysusers_effects("pkg", "x.conf", line);
    assert!(placed.is_empty(), "unexpected effects: {placed:?}");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    skipped[0].2.clone()
}

fn user(
    name: &str,
    uid: Option<u32>,
    group: PrimaryGroup,
    gecos: &str,
    home: &str,
    shell: &str,
) -> Effect {
    Effect::User(UserEffect {
        name: name.into(),
        uid,
        range: IdRange::SYSUSERS,
        group,
        home: home.into(),
        create_home: false,
        shell: shell.into(),
        gecos: gecos.into(),
    })
}

fn group(name: &str, gid: Option<u32>) -> Effect {
    Effect::Group(GroupEffect {
        name: name.into(),
        gid,
        range: IdRange::SYSUSERS,
    })
}

#[test]
fn dbus_polkit_and_systemd_users() {
    // dbus.conf, polkitd.conf, systemd-network.conf, systemd-journal.conf
    let text = "u messagebus - \"System Message Bus\"\n\
                u polkitd - \"polkit\" /nonexistent\n\
                u systemd-network - \"systemd Network Management\"\n\
                g systemd-journal - -\n";
    let (placed, skipped) = sysusers_effects("dbus", "dbus.conf", text);
    assert!(skipped.is_empty());
    assert_eq!(
        placed[0].origin,
        Origin::new("dbus", "sysusers.d/dbus.conf", 1)
    );
    let got: Vec<Effect> = placed.into_iter().map(|p| p.effect).collect();
    assert_eq!(
        got,
        vec![
            user(
                "messagebus",
                None,
                PrimaryGroup::OwnName,
                "System Message Bus",
                "/",
                NOLOGIN
            ),
            user(
                "polkitd",
                None,
                PrimaryGroup::OwnName,
                "polkit",
                "/nonexistent",
                NOLOGIN
            ),
            user(
                "systemd-network",
                None,
                PrimaryGroup::OwnName,
                "systemd Network Management",
                "/",
                NOLOGIN
            ),
            group("systemd-journal", None),
        ]
    );
}

#[test]
fn basic_conf_fixed_ids_and_primary_groups() {
    // systemd's basic.conf as Debian ships it.
    let text = "g adm        4     -\n\
                g nogroup    65534 -\n\
                u root       0       - /root                /bin/bash\n\
                u sync       4:65534 - /bin                 /bin/sync\n\
                u games      5:60    - /usr/games           /usr/sbin/nologin\n\
                u _apt       42:65534 - /nonexistent         /usr/sbin/nologin\n\
                u nobody     65534:65534 - /nonexistent         /usr/sbin/nologin\n\
                u daemon     1       - /usr/sbin            /usr/sbin/nologin\n";
    assert_eq!(
        effects(text),
        vec![
            group("adm", Some(4)),
            group("nogroup", Some(65534)),
            user(
                "root",
                Some(0),
                PrimaryGroup::OwnName,
                "",
                "/root",
                "/bin/bash"
            ),
            user(
                "sync",
                Some(4),
                PrimaryGroup::Existing(Who::Id(65534)),
                "",
                "/bin",
                "/bin/sync"
            ),
            user(
                "games",
                Some(5),
                PrimaryGroup::Existing(Who::Id(60)),
                "",
                "/usr/games",
                NOLOGIN
            ),
            user(
                "_apt",
                Some(42),
                PrimaryGroup::Existing(Who::Id(65534)),
                "",
                "/nonexistent",
                NOLOGIN
            ),
            user(
                "nobody",
                Some(65534),
                PrimaryGroup::Existing(Who::Id(65534)),
                "",
                "/nonexistent",
                NOLOGIN
            ),
            user(
                "daemon",
                Some(1),
                PrimaryGroup::OwnName,
                "",
                "/usr/sbin",
                NOLOGIN
            ),
        ]
    );
}

#[test]
fn id_forms_and_defaults() {
    assert_eq!(
        effects("u httpd 404 \"HTTP User\"\nu web -:www-data\nu! locked\nu zero 0\n"),
        vec![
            user(
                "httpd",
                Some(404),
                PrimaryGroup::OwnName,
                "HTTP User",
                "/",
                NOLOGIN
            ),
            user(
                "web",
                None,
                PrimaryGroup::Existing(Who::Name("www-data".into())),
                "",
                "/",
                NOLOGIN
            ),
            user("locked", None, PrimaryGroup::OwnName, "", "/", NOLOGIN),
            user("zero", Some(0), PrimaryGroup::OwnName, "", "/", "/bin/sh"),
        ]
    );
    assert_eq!(
        effects("u tmp - - %T/x\n"),
        vec![user(
            "tmp",
            None,
            PrimaryGroup::OwnName,
            "",
            "/tmp/x",
            NOLOGIN
        )]
    );
}

#[test]
fn members_come_last_with_implicit_accounts() {
    let text = "m _authd input\n\
                u _authd - \"Authorization user\"\n\
                m _authd _authd\n\
                m stranger video\n";
    assert_eq!(
        effects(text),
        vec![
            user(
                "_authd",
                None,
                PrimaryGroup::OwnName,
                "Authorization user",
                "/",
                NOLOGIN
            ),
            group("input", None),
            Effect::Member {
                user: "_authd".into(),
                group: "input".into(),
            },
            Effect::Member {
                user: "_authd".into(),
                group: "_authd".into(),
            },
            group("video", None),
            user("stranger", None, PrimaryGroup::OwnName, "", "/", NOLOGIN),
            Effect::Member {
                user: "stranger".into(),
                group: "video".into(),
            },
        ]
    );
    let (placed, _) = sysusers_effects("p", "a.conf", text);
    assert_eq!(placed[1].origin.line, 1);
}

#[test]
fn skipped_lines_say_why() {
    let cases = [
        ("r - 500-900", "ranges"),
        (
            "u _authd /usr/bin/authd \"Authorization user\"",
            "owner of /usr/bin/authd",
        ),
        ("g input /dev/input", "owner of /dev/input"),
        ("u x 65535", "placeholder"),
        ("u x abc", "not a numeric id"),
        ("u x 5:", "names no group"),
        ("u 1x -", "not a valid user or group name"),
        ("u waytoolongnamewaytoolongname1234 -", "not a valid"),
        ("u x - \"a:b\"", "`:`"),
        ("u x - - / /bin/sh extra", "after the shell"),
        ("m x", "no group"),
        ("z x", "unknown line type `z`"),
        ("u x-%m", "machine ID"),
        ("u \"x", "unterminated"),
        ("u", "no name"),
    ];
    for (line, why) in cases {
        let got = skip_reason(line);
        assert!(got.contains(why), "{line}: {got}");
    }
}

#[test]
fn comments_and_line_numbers() {
    let (placed, skipped) = sysusers_effects("p", "n.conf", "# c\n\n  # c\ng a -\nr - 1-2\n");
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].origin.line, 4);
    assert_eq!(placed[0].origin.source, "sysusers.d/n.conf");
    assert_eq!(skipped[0].0, 5);
}

/// Every sysusers.d file on the host (a Debian system) is read without a
/// skipped line: they only use the forms above.
#[test]
fn host_files_read_cleanly() {
    let Ok(dir) = fs_err::read_dir("/usr/lib/sysusers.d") else {
        return;
    };
    for entry in dir.flatten() {
        let Ok(text) = fs_err::read_to_string(entry.path()) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let (placed, skipped) = sysusers_effects("host", &name, &text);
        assert!(skipped.is_empty(), "{name}: {skipped:?}");
        let meaningful = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
            .count();
        assert!(placed.len() >= meaningful, "{name}");
    }
}
