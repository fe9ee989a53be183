//! tmpfiles.d lines as Debian 12's packages ship them, and one per type.

use super::*;

fn effects(text: &str, keep_run: bool) -> Vec<Effect> {
    let (placed, skipped) = tmpfiles_effects("pkg", "x.conf", text, keep_run);
    assert!(skipped.is_empty(), "unexpected skips: {skipped:?}");
    placed.into_iter().map(|p| p.effect).collect()
}

fn skip_reason(line: &str, keep_run: bool) -> String {
    let (placed, skipped) = tmpfiles_effects("pkg", "x.conf", line, keep_run);
    assert!(placed.is_empty(), "unexpected effects: {placed:?}");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    skipped[0].2.clone()
}

fn dir(path: &str, mode: Option<u32>, owner: Option<&str>, group: Option<&str>) -> Effect {
    Effect::Directory {
        path: path.into(),
        mode,
        owner: owner.map(Who::parse),
        group: group.map(Who::parse),
        parents: true,
    }
}

#[test]
fn postgresql_common_conf() {
    // postgresql-common's /usr/lib/tmpfiles.d/postgresql-common.conf
    let text = "d /run/postgresql 2775 postgres postgres - -\nd /var/log/postgresql 1775 root postgres - -\n";
    let (placed, skipped) =
        tmpfiles_effects("postgresql-common", "postgresql-common.conf", text, false);
    assert_eq!(
        placed,
        vec![Placed {
            effect: dir(
                "/var/log/postgresql",
                Some(0o1775),
                Some("root"),
                Some("postgres")
            ),
            origin: Origin::new("postgresql-common", "tmpfiles.d/postgresql-common.conf", 2),
        }]
    );
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].0, 1);
    assert_eq!(skipped[0].1, "d /run/postgresql 2775 postgres postgres - -");
    assert!(
        skipped[0].2.contains("does not keep /run"),
        "{}",
        skipped[0].2
    );
    // An image that keeps /run gets both.
    assert_eq!(
        effects(text, true),
        vec![
            dir(
                "/run/postgresql",
                Some(0o2775),
                Some("postgres"),
                Some("postgres")
            ),
            dir(
                "/var/log/postgresql",
                Some(0o1775),
                Some("root"),
                Some("postgres")
            ),
        ]
    );
}

#[test]
fn directories_with_defaults_tabs_and_ids() {
    // dbus.conf, polkitd.conf (tab separated), man-db.conf (an age), var.conf (`q`).
    let text = "d /var/lib/dbus 0755 - - -\n\
                d\t/etc/polkit-1/rules.d\t0700\tpolkitd\troot\t-\t-\n\
                d /var/cache/man 0755 man man 1w\n\
                q /var 0755 - - -\n\
                Q /home 0755 - - -\n\
                v /srv/sub\n\
                D /var/lib/x 0750 0 4 -\n";
    assert_eq!(
        effects(text, false),
        vec![
            dir("/var/lib/dbus", Some(0o755), None, None),
            dir(
                "/etc/polkit-1/rules.d",
                Some(0o700),
                Some("polkitd"),
                Some("root")
            ),
            dir("/var/cache/man", Some(0o755), Some("man"), Some("man")),
            dir("/var", Some(0o755), None, None),
            dir("/home", Some(0o755), None, None),
            dir("/srv/sub", None, None, None),
            dir("/var/lib/x", Some(0o750), Some("0"), Some("4")),
        ]
    );
    assert_eq!(Who::parse("4"), Who::Id(4));
}

#[test]
fn symlinks() {
    // legacy.conf, debian.conf, dbus.conf
    let text = "L /var/lock - - - - ../run/lock\n\
                L+ /etc/mtab   -    -    -    -  ../proc/self/mounts\n\
                L /var/lib/dbus/machine-id - - - - /etc/machine-id\n\
                L /etc/issue\n";
    assert_eq!(
        effects(text, false),
        vec![
            Effect::Symlink {
                path: "/var/lock".into(),
                target: "../run/lock".into(),
                replace: false,
            },
            Effect::Symlink {
                path: "/etc/mtab".into(),
                target: "../proc/self/mounts".into(),
                replace: true,
            },
            Effect::Symlink {
                path: "/var/lib/dbus/machine-id".into(),
                target: "/etc/machine-id".into(),
                replace: false,
            },
            Effect::Symlink {
                path: "/etc/issue".into(),
                target: "/usr/share/factory/etc/issue".into(),
                replace: false,
            },
        ]
    );
    // `/var/run` itself is a link in /var, not something under /run.
    assert_eq!(
        effects("L /var/run - - - - ../run\n", false),
        vec![Effect::Symlink {
            path: "/var/run".into(),
            target: "../run".into(),
            replace: false,
        }]
    );
}

#[test]
fn files_with_content_and_escapes() {
    // var.conf; then systemd's own escape test line.
    let text = "f /var/log/wtmp 0664 root utmp -\n\
                f+ \"/etc/x/\\x20a\" 0600 0 0 - \\x20foo\\nbar\n\
                f /etc/motd.d/hi - - - - Hello %u, 100%% sure\n";
    assert_eq!(
        effects(text, false),
        vec![
            Effect::File {
                path: "/var/log/wtmp".into(),
                content: FileContent::Bytes(Vec::new()),
                mode: Some(0o664),
                owner: Some(Who::Name("root".into())),
                group: Some(Who::Name("utmp".into())),
                replace: false,
            },
            Effect::File {
                path: "/etc/x/ a".into(),
                content: FileContent::Bytes(b" foo\nbar".to_vec()),
                mode: Some(0o600),
                owner: Some(Who::Id(0)),
                group: Some(Who::Id(0)),
                replace: true,
            },
            Effect::File {
                path: "/etc/motd.d/hi".into(),
                content: FileContent::Bytes(b"Hello root, 100% sure".to_vec()),
                mode: None,
                owner: None,
                group: None,
                replace: false,
            },
        ]
    );
}

#[test]
fn copies() {
    let text =
        "C /etc/pam.d - - - -\nC /etc/nsswitch.conf - - - - /usr/share/doc/x/nsswitch.conf\n";
    assert_eq!(
        effects(text, false),
        vec![
            Effect::File {
                path: "/etc/pam.d".into(),
                content: FileContent::CopyOf("/usr/share/factory/etc/pam.d".into()),
                mode: None,
                owner: None,
                group: None,
                replace: false,
            },
            Effect::File {
                path: "/etc/nsswitch.conf".into(),
                content: FileContent::CopyOf("/usr/share/doc/x/nsswitch.conf".into()),
                mode: None,
                owner: None,
                group: None,
                replace: false,
            },
        ]
    );
    assert!(skip_reason("C /etc/a - - - - relative/b\n", false).contains("not an absolute path"));
}

#[test]
fn ownership_and_mode_adjustments() {
    // systemd.conf's journal lines, with the machine ID replaced.
    let text = "z /var/log/journal 2755 root systemd-journal - -\n\
                Z /var/lib/x - postgres - -\n\
                Z /var/lib/y 0750 - - -\n\
                z /var/lib/z - - - -\n";
    assert_eq!(
        effects(text, false),
        vec![
            Effect::Chown {
                path: "/var/log/journal".into(),
                owner: Some(Who::Name("root".into())),
                group: Some(Who::Name("systemd-journal".into())),
                recursive: false,
            },
            Effect::Chmod {
                path: "/var/log/journal".into(),
                mode: 0o2755,
                recursive: false,
            },
            Effect::Chown {
                path: "/var/lib/x".into(),
                owner: Some(Who::Name("postgres".into())),
                group: None,
                recursive: true,
            },
            Effect::Chmod {
                path: "/var/lib/y".into(),
                mode: 0o750,
                recursive: true,
            },
        ]
    );
    assert!(skip_reason("z /var/log/journal/*.journal 0640 - - -\n", false).contains("glob"));
    assert!(skip_reason("Z /var/lib/q ~2750 root root - -\n", false).contains("`~`"));
}

#[test]
fn mode_and_owner_prefixes() {
    // provision.conf's `d-` line: `:` means "only when created".
    assert_eq!(
        effects(
            "d- /root :0700 root :root -\nd= /srv/a ~0755 - - -\n",
            false
        ),
        vec![
            dir("/root", Some(0o700), Some("root"), Some("root")),
            dir("/srv/a", Some(0o755), None, None),
        ]
    );
    assert!(skip_reason("d /a 0999 - - -", false).contains("not an octal mode"));
    assert!(skip_reason("d /a 17777 - - -", false).contains("not an octal mode"));
}

#[test]
fn specifiers_resolve_or_skip() {
    assert_eq!(
        effects(
            "d %S/foo 0755 - - -\nd %C/foo\nd %L/foo\nd %h/.cache\n",
            false
        ),
        vec![
            dir("/var/lib/foo", Some(0o755), None, None),
            dir("/var/cache/foo", None, None, None),
            dir("/var/log/foo", None, None, None),
            dir("/root/.cache", None, None, None),
        ]
    );
    assert_eq!(
        skip_reason("h /var/log/journal/%m - - - - +C\n", false),
        "file attributes (`h`, `H`, chattr) are not part of an image"
    );
    assert_eq!(
        skip_reason(
            "d /var/log/journal/%m 2755 root systemd-journal - -\n",
            false
        ),
        "specifier %m (the machine ID) has no value in an image"
    );
    // %t is /run: skipped unless kept.
    assert!(skip_reason("d %t/foo 0755 - - -", false).contains("/run"));
    assert_eq!(
        effects("d %t/foo", true),
        vec![dir("/run/foo", None, None, None)]
    );
}

#[test]
fn run_and_temporary_directories() {
    // /var/run/… is /run/… (rewritten as systemd-tmpfiles does), /var/lock/… too.
    assert!(skip_reason("d /var/run/sshd 0755 root root -", false).contains("/run"));
    assert!(skip_reason("d /var/lock/subsys 0755 root root -", false).contains("/run"));
    assert_eq!(
        effects(
            "d /var/run/sshd 0755 root root -\nd /var/lock/subsys\n",
            true
        ),
        vec![
            dir("/run/sshd", Some(0o755), Some("root"), Some("root")),
            dir("/var/lock/subsys", None, None, None),
        ]
    );
    // tmp.conf: /tmp itself is taken, what is below it is not.
    assert_eq!(
        effects(
            "D /tmp 1777 root root -\nq /var/tmp 1777 root root 30d\n",
            false
        ),
        vec![
            dir("/tmp", Some(0o1777), Some("root"), Some("root")),
            dir("/var/tmp", Some(0o1777), Some("root"), Some("root")),
        ]
    );
    assert!(skip_reason("d /tmp/.X11-unix 1777 root root 10d", true).contains("temporary"));
    assert!(skip_reason("d /var/tmp/abrt 0755 abrt abrt -", true).contains("temporary"));
}

#[test]
fn skipped_types_and_modifiers_say_why() {
    let cases = [
        ("r! /forcefsck", "boot-only"),
        ("f+! /run/utmp 0664 root utmp -", "boot-only"),
        ("f^ /etc/hosts - - - - network.hosts", "credential"),
        ("f~ /etc/a - - - - aGk=", "base64"),
        ("r /var/lib/x/lock", "removal"),
        ("R /var/cache/x", "removal"),
        ("x /var/lib/systemd/coredump/.#core*", "cleanup"),
        ("X /var/cache/y", "cleanup"),
        ("w- /proc/sys/vm/swappiness - - - - 10", "existing file"),
        ("w+ /sys/x - - - - 1", "appends"),
        ("e /var/cache/dnf/ - - - 30d", "existing directories"),
        ("p /var/lib/fifo 0600", "pipes"),
        ("c /dev/null 0666 - - - 1:3", "device nodes"),
        (
            "t /var/cups - - - - security.SMACK64=printing",
            "extended attributes",
        ),
        ("a+ /var/log/journal - - - - group:adm:r-x", "ACLs"),
        ("F /var/x", "obsolete"),
        ("Y /var/x", "unknown line type `Y`"),
        ("d* /var/x", "unknown type modifier `*`"),
        ("d", "no path"),
        ("d var/x", "not absolute"),
        ("d /var/../etc", "`..`"),
        ("d \"/var/x", "unterminated"),
    ];
    for (line, why) in cases {
        let got = skip_reason(line, true);
        assert!(got.contains(why), "{line}: {got}");
    }
}

#[test]
fn comments_blank_lines_and_line_numbers() {
    let text = "# comment\n\n   \n  # indented comment\nd /srv/a\nr /srv/b\n";
    let (placed, skipped) = tmpfiles_effects("p", "n.conf", text, false);
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].origin.line, 5);
    assert_eq!(placed[0].origin.source, "tmpfiles.d/n.conf");
    assert_eq!(skipped[0].0, 6);
}

/// Every tmpfiles.d file on the host (a Debian system): each line is either
/// taken or skipped with a reason, never lost.
#[test]
fn host_files_are_fully_accounted_for() {
    let Ok(dir) = fs_err::read_dir("/usr/lib/tmpfiles.d") else {
        return;
    };
    for entry in dir.flatten() {
        let Ok(text) = fs_err::read_to_string(entry.path()) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let (placed, skipped) = tmpfiles_effects("host", &name, &text, true);
        let lines: std::collections::BTreeSet<u32> = placed
            .iter()
            .map(|p| p.origin.line)
            .chain(skipped.iter().map(|s| s.0))
            .collect();
        let meaningful = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
            .count();
        let empty_adjustments = text
            .lines()
            .filter(|l| {
                let t = l.trim();
                (t.starts_with("z ") || t.starts_with("Z "))
                    && t.split_whitespace().skip(2).take(3).all(|f| f == "-")
            })
            .count();
        assert_eq!(
            lines.len() + empty_adjustments,
            meaningful,
            "{name}: {skipped:?}"
        );
        for (_, _, why) in &skipped {
            assert!(!why.is_empty());
        }
    }
}
