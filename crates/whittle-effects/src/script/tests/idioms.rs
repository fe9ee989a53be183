//! Hand-written scripts, one idiom each.

use super::fake::FakeHost;
use super::{lines, postinst};
use crate::effect::{Effect, FileContent, IdRange, PrimaryGroup, Who};
use crate::report::Class;
use crate::{read_script, Script};

fn run(text: &str) -> (Vec<String>, FakeHost) {
    let mut host = FakeHost::new();
    let r = postinst("pkg", text, &mut host);
    (lines(&r), host)
}

#[test]
fn positional_parameters_and_assignments_reach_operands() {
    let (l, host) = run("USER=\"redis\"\nDIR=/var/lib/$USER\n[ \"$#\" = 2 ] && mkdir -p \"${DIR}\"\nchown ${USER}:${USER} $DIR\n");
    assert_eq!(l[0], "3: emulated: mkdir -p /var/lib/redis");
    assert_eq!(l[1], "4: emulated: chown redis:redis /var/lib/redis");
    assert_eq!(
        host.effects()[1],
        &Effect::Chown {
            path: "/var/lib/redis".into(),
            owner: Some(Who::Name("redis".into())),
            group: Some(Who::Name("redis".into())),
            recursive: false
        }
    );
}

#[test]
fn parameter_forms_default_trim_and_unset_variables() {
    let (l, _) = run("A=${UNSET:-/srv}\nB=${A%/*}/x\nC=${A#/}\nmkdir $A$NOTHING $B /$C/y\n");
    assert_eq!(l, ["4: emulated: mkdir /srv /x /srv/y"]);
}

#[test]
fn functions_get_their_own_arguments_and_locals() {
    let (l, _) = run("d() {\n  local p=\"$1\"\n  mkdir -m \"$2\" \"$DPKG_ROOT$p\"\n}\np=outer\nd /a 700\nd /b 755\necho $p $1\n");
    assert_eq!(l[0], "3: emulated: mkdir -m 700 /a");
    assert_eq!(l[1], "3: emulated: mkdir -m 755 /b");
    assert_eq!(l[2], "8: harmless: echo outer configure (prints a message)");
}

#[test]
fn case_if_elif_and_else_follow_the_fresh_install() {
    let text = "case \"$1\" in\n  configure)\n    if [ -n \"$2\" ]; then mkdir /up\n    elif [ \"$1\" = remove ]; then mkdir /rm\n    else mkdir /fresh; fi ;;\n  abort-*) mkdir /abort ;;\nesac\n";
    let (l, _) = run(text);
    assert_eq!(l, ["5: emulated: mkdir /fresh"]);
}

#[test]
fn undecidable_conditions_withhold_both_branches() {
    let (l, host) =
        run("if grep -q 'x.*' /etc/foo; then\n  mkdir /a\nelse\n  mkdir /b\nfi\nmkdir /c\n");
    assert_eq!(l.len(), 3);
    assert!(
        l[0].starts_with("2: not-emulated: mkdir /a (condition not decidable:"),
        "{l:?}"
    );
    assert!(
        l[1].starts_with("4: not-emulated: mkdir /b (condition not decidable:"),
        "{l:?}"
    );
    assert_eq!(l[2], "6: emulated: mkdir /c");
    assert_eq!(host.effects().len(), 1);
}

#[test]
fn an_undecided_exit_makes_the_rest_undecided() {
    let (l, host) = run("grep -q 'x.*' /etc/foo && exit 0\nmkdir /after\n");
    assert!(
        l.iter()
            .any(|x| x.starts_with("2: not-emulated: mkdir /after (condition not decidable")),
        "{l:?}"
    );
    assert!(host.effects().is_empty());
}

#[test]
fn exit_stops_the_script() {
    let (l, _) = run("mkdir /a\nexit 0\nmkdir /b\n");
    assert_eq!(
        l,
        [
            "1: emulated: mkdir /a",
            "2: harmless: exit 0 (ends the script)"
        ]
    );
}

#[test]
fn file_tests_ask_the_tree() {
    let mut host = FakeHost::new();
    host.dir("/etc/nginx/sites-enabled")
        .file("/usr/share/x")
        .commands
        .insert("dpkg-trigger".into());
    let text = "[ -d /etc/nginx/sites-enabled ] && mkdir /yes1\n[ -e /nope ] || mkdir /yes2\n[ ! -f /usr/share/x ] || mkdir /yes3\n[ -d /run/systemd/system ] && mkdir /no\n[ -z \"$2\" -o -e /nope ] && mkdir /yes4\n[[ $1 == conf* ]] && mkdir /yes5\ntest 3 -gt 2 -a x != y && mkdir /yes6\nwhich dpkg-trigger >/dev/null && mkdir /yes7\ncommand -v nothing >/dev/null || mkdir /yes8\n";
    let r = postinst("pkg", text, &mut host);
    let made: Vec<&str> = host.effects().iter().filter_map(|e| e.path()).collect();
    assert_eq!(
        made,
        ["/yes1", "/yes2", "/yes3", "/yes4", "/yes5", "/yes6", "/yes7", "/yes8"],
        "{:?}",
        lines(&r)
    );
}

#[test]
fn accounts_are_asked_of_the_tree() {
    let (l, _) = run("getent passwd www-data >/dev/null && mkdir /a\nid nobody >/dev/null 2>&1 || mkdir /b\nif ! getent group adm >/dev/null; then addgroup --system adm; fi\n");
    assert_eq!(l, ["1: emulated: mkdir /a", "2: emulated: mkdir /b"]);
}

#[test]
fn dpkg_compare_versions_treats_an_empty_version_as_earliest() {
    let (l, _) = run("if dpkg --compare-versions \"$2\" lt 1.2-3; then mkdir /lt; fi\nif dpkg --compare-versions \"$2\" lt-nl 1.2-3; then mkdir /ltnl; fi\n");
    assert_eq!(l, ["1: emulated: mkdir /lt"]);
}

#[test]
fn stat_overrides_are_tracked_within_the_run() {
    let text = "if ! dpkg-statoverride --list /var/log/x >/dev/null; then chown root:adm /var/log/x; fi\ndpkg-statoverride --update --add root adm 2750 /var/log/x\ndpkg-statoverride --list /var/log/x >/dev/null || chmod 700 /var/log/x\n";
    let mut host = FakeHost::new();
    host.dir("/var/log/x");
    let r = postinst("pkg", text, &mut host);
    assert_eq!(
        lines(&r),
        [
            "1: emulated: chown root:adm /var/log/x",
            "2: emulated: dpkg-statoverride --update --add root adm 2750 /var/log/x"
        ]
    );
    assert!(matches!(
        host.effects()[1],
        Effect::StatOverride { mode: 0o2750, .. }
    ));
}

#[test]
fn loops_over_literal_and_expanded_lists() {
    let (l, _) =
        run("L='a b'\nfor x in $L c; do mkdir /$x; done\nfor y in \"$L\"; do echo \"$y\"; done\n");
    assert_eq!(
        l,
        [
            "2: emulated: mkdir /a",
            "2: emulated: mkdir /b",
            "2: emulated: mkdir /c",
            "3: harmless: echo a b (prints a message)"
        ]
    );
}

#[test]
fn while_loops_only_when_decidable() {
    let (l, _) = run("while read line; do mkdir /$line; done < /etc/list\nn=0\nwhile [ $n -lt 2 ]; do n=$((n + 1)); mkdir /d$n; done\n");
    assert!(l[0].starts_with("1: not-emulated: mkdir /$line"), "{l:?}");
    assert_eq!(
        &l[1..],
        ["3: emulated: mkdir /d1", "3: emulated: mkdir /d2"]
    );
}

#[test]
fn command_substitutions_of_pure_commands() {
    let mut host = FakeHost::new();
    host.file("/usr/share/p/x.conf");
    let text = "a=$(basename /usr/share/p/x.conf .conf)\nb=`dirname /usr/share/p/x.conf`\nm=$(dpkg-architecture -qDEB_HOST_MULTIARCH)\nu=$(id -u)\nf=$(printf '%s' \"$a-$u\")\nmkdir /$a /$m /$f\nln -s $b/x.conf /etc/$(echo p:q | cut -d: -f2)\nz=$(md5sum /etc/x)\nmkdir /$z\n";
    let r = postinst("pkg", text, &mut host);
    let l = lines(&r);
    assert_eq!(l[0], "6: emulated: mkdir /x /x86_64-linux-gnu /x-0");
    assert_eq!(l[1], "7: emulated: ln -s /usr/share/p/x.conf /etc/q");
    assert!(
        l[2].starts_with("9: not-emulated: mkdir /$z (operand not known"),
        "{l:?}"
    );
}

#[test]
fn debconf_and_sourced_files() {
    let mut host = FakeHost::new();
    host.text("/etc/default/pkg", "DATA=/srv/pkg\n");
    let text = ". /usr/share/debconf/confmodule\ndb_get pkg/q || true\n[ -r /etc/default/pkg ] && . /etc/default/pkg\n[ -r /etc/default/none ] && . /etc/default/none\nmkdir \"$DATA\" /x$RET\n";
    let r = postinst("pkg", text, &mut host);
    let l = lines(&r);
    assert!(l[0].starts_with("1: harmless: . /usr/share/debconf/confmodule"));
    assert!(l[1].starts_with("2: harmless: db_get pkg/q"));
    assert!(
        l.contains(&"5: emulated: mkdir /srv/pkg /x".to_string()),
        "{l:?}"
    );
}

#[test]
fn update_alternatives_install_with_slaves() {
    let (l, host) = run("update-alternatives --quiet --install /usr/bin/js js /usr/bin/nodejs 200 \\\n  --slave /usr/share/man/man1/js.1.gz js.1.gz /usr/share/man/man1/nodejs.1.gz\nupdate-alternatives --remove js /usr/bin/old\nupdate-alternatives --set js /usr/bin/nodejs\n");
    assert!(l[0].starts_with("1: emulated: update-alternatives --quiet --install /usr/bin/js js /usr/bin/nodejs 200 --slave /usr/share/man/man1/js.1.gz"));
    assert!(l[1].starts_with("3: harmless:"));
    assert!(l[2].starts_with("4: not-emulated:"));
    let Effect::Alternative(a) = host.effects()[0] else {
        panic!()
    };
    assert_eq!(
        (a.name.as_str(), a.priority, a.slaves.len()),
        ("js", 200, 1)
    );
}

#[test]
fn adduser_forms() {
    let (_, host) = run("addgroup --system --quiet grp\nadduser --system --group --home /var/lib/svc --no-create-home --shell /bin/sh --gecos 'Svc user' --disabled-password svc\nadduser --system --ingroup grp --uid 150 other\nadduser svc grp\nuseradd -r -d /srv/u -M -s /usr/sbin/nologin -G grp,adm u\ngroupadd -f -r g2\nusermod -a -G adm svc\n");
    let e = host.effects();
    assert!(matches!(e[0], Effect::Group(g) if g.name == "grp" && g.range == IdRange::SYSTEM));
    let Effect::User(svc) = e[1] else { panic!() };
    assert_eq!(
        (
            svc.home.as_str(),
            svc.create_home,
            svc.shell.as_str(),
            svc.gecos.as_str()
        ),
        ("/var/lib/svc", false, "/bin/sh", "Svc user")
    );
    assert_eq!(svc.group, PrimaryGroup::OwnName);
    let Effect::User(other) = e[2] else { panic!() };
    assert_eq!(
        (other.uid, &other.group),
        (Some(150), &PrimaryGroup::Existing(Who::Name("grp".into())))
    );
    assert_eq!(
        e[3],
        &Effect::Member {
            user: "svc".into(),
            group: "grp".into()
        }
    );
    let Effect::User(u) = e[4] else { panic!() };
    assert_eq!(
        (u.home.as_str(), u.create_home, &u.group),
        ("/srv/u", false, &PrimaryGroup::OwnName)
    );
    assert_eq!(
        e[5],
        &Effect::Member {
            user: "u".into(),
            group: "grp".into()
        }
    );
    assert!(matches!(e[7], Effect::Group(g) if g.name == "g2"));
    assert_eq!(
        e[8],
        &Effect::Member {
            user: "svc".into(),
            group: "adm".into()
        }
    );
}

#[test]
fn file_commands_become_effects() {
    let mut host = FakeHost::new();
    host.file("/usr/share/p/conf").dir("/etc/p");
    let text = "install -d -m 2775 -o root -g adm /var/run/p\ninstall -m 0640 /usr/share/p/conf /etc/p\ncp -p /usr/share/p/conf /etc/p.conf\ntouch /var/log/p.log\nchmod 640 /var/log/p.log\nchmod g+w /var/log/p.log\nchgrp adm /var/log/p.log\nln -sfn ../p /etc/link\nrm -rf /var/cache/p\nrmdir /var/tmp/p\nmv /etc/p.conf /etc/p2.conf\nchmod u+x /etc/unknown-mode\nln /a /b\n";
    let r = postinst("pkg", text, &mut host);
    let l = lines(&r);
    assert!(l[..11].iter().all(|x| x.contains(": emulated: ")), "{l:?}");
    assert!(l[11].contains("needs the current mode"), "{l:?}");
    assert!(l[12].contains("hard links are not emulated"), "{l:?}");
    let e = host.effects();
    assert!(
        matches!(e[0], Effect::Directory { mode: Some(0o2775), group: Some(Who::Name(g)), parents: true, .. } if g == "adm")
    );
    assert!(
        matches!(e[1], Effect::File { path, content: FileContent::CopyOf(s), mode: Some(0o640), .. } if path == "/etc/p/conf" && s == "/usr/share/p/conf")
    );
    assert!(
        matches!(e[5], Effect::Chmod { mode: 0o660, .. }),
        "{:?}",
        e[5]
    );
    assert!(matches!(e[7], Effect::Symlink { target, replace: true, .. } if target == "../p"));
}

#[test]
fn output_redirections_write_files() {
    let (l, host) = run(": > /var/log/empty\necho \"a=$1\" > /etc/a.conf\necho more >> /etc/a.conf\ncat > /etc/b <<EOF\nx=$2.\nEOF\nprintf '%s\\n' y >/dev/null\nsomething > /etc/c\n");
    assert!(l[..4].iter().all(|x| x.contains(": emulated: ")), "{l:?}");
    assert!(l[4].starts_with("7: harmless: printf"), "{l:?}");
    assert!(l[5].contains("writes its output to /etc/c"), "{l:?}");
    let e = host.effects();
    assert!(
        matches!(e[2], Effect::File { content: FileContent::Bytes(b), .. } if b == b"a=configure\nmore\n")
    );
    assert!(matches!(e[3], Effect::File { content: FileContent::Bytes(b), .. } if b == b"x=.\n"));
}

#[test]
fn classification_of_known_commands() {
    let (l, _) = run("deb-systemd-helper unmask x.service >/dev/null || true\nldconfig\npy3compile -p pkg\nmake-ssl-cert generate-default-snakeoil\nfrobnicate --all\nupdate-ca-certificates\nsystemd-tmpfiles --create p.conf\n/etc/init.d/p start\n");
    assert_eq!(l[0], "1: harmless: deb-systemd-helper unmask x.service (service management: an image starts no services at build time)");
    assert!(l[1].starts_with("2: harmless: ldconfig"));
    assert!(l[2].starts_with("3: not-emulated: py3compile -p pkg (byte-compiling needs"));
    assert!(l[3].starts_with("4: not-emulated: make-ssl-cert"));
    assert_eq!(l[4], "5: not-emulated: frobnicate --all (unknown command)");
    assert_eq!(
        l[5],
        "6: harmless: update-ca-certificates (whittle rebuilds the CA bundle natively)"
    );
    assert_eq!(l[6], "7: harmless: systemd-tmpfiles --create p.conf (applied from the package's tmpfiles.d/sysusers.d files)");
    assert!(l[7].starts_with("8: harmless: /etc/init.d/p start"));
}

#[test]
fn commands_the_world_does_elsewhere_are_harmless() {
    let mut host = FakeHost::new();
    let r = read_script(
        &Script {
            package: "ca-certificates-java",
            name: "postinst",
            text: "java -Xss4m -jar /usr/share/ca-certificates-java/ca-certificates-java.jar -storepass x\n",
            args: &["configure", ""],
            elsewhere: &[("java -Xss4m -jar /usr/share/ca-certificates-java/", "built natively as a trust store")],
            answers: &[],
        },
        &mut host,
    );
    assert_eq!(
        r.actions[0].class,
        Class::Harmless {
            why: "built natively as a trust store".into()
        }
    );
}

#[test]
fn failed_applies_are_not_emulated_with_the_hosts_reason() {
    let (l, _) = run("cp /usr/share/missing /etc/x\nchown root /nowhere\n");
    assert_eq!(
        l[0],
        "1: not-emulated: cp /usr/share/missing /etc/x (/usr/share/missing is not in the tree)"
    );
    assert_eq!(
        l[1],
        "2: not-emulated: chown root /nowhere (/nowhere does not exist)"
    );
}

#[test]
fn a_script_that_does_not_parse_is_one_action() {
    let (l, _) = run("if then fi (((\n");
    assert_eq!(l.len(), 1);
    assert!(
        l[0].starts_with("0: not-emulated: postinst (the script does not parse"),
        "{l:?}"
    );
}

/// A host where `postgresql-15` ships three man pages under its own tree.
fn postgres_host() -> FakeHost {
    let mut host = FakeHost::new();
    let base = "/usr/share/postgresql/15/man";
    let files: Vec<String> = [
        "/.",
        "/usr",
        "/usr/share",
        "/usr/share/postgresql",
        "/usr/share/postgresql/15",
        "/usr/share/postgresql/15/man",
        "/usr/share/postgresql/15/man/man1",
        "/usr/share/postgresql/15/man/man1/initdb.1.gz",
        "/usr/share/postgresql/15/man/man1/postgres.1.gz",
        "/usr/share/postgresql/15/man/man1/postmaster.1.gz",
        "/usr/share/postgresql/15/man/man3",
        "/usr/share/postgresql/15/man/man3/SPI_exec.3.gz",
        "/usr/lib/postgresql/15/bin/postgres",
        "/usr/share/doc/postgresql-15/README.gz",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    for f in &files {
        if f.ends_with(".gz") || f.ends_with("postgres") {
            host.file(f);
        } else {
            host.dir(f);
        }
    }
    host.dir(&format!("{base}/man1"));
    host.packages.insert("postgresql-15".into(), files);
    host
}

#[test]
fn dpkg_listing_filtered_through_grep_in_a_substitution() {
    let text = "MANS=$(dpkg -L postgresql-15 postgresql-contrib-15 2>/dev/null | grep -E '/man/.*\\.[1-9](\\.gz)?$' | grep -v postmaster.1.gz) || true\nrm $MANS\n";
    let mut host = postgres_host();
    let l = lines(&postinst("pkg", text, &mut host));
    assert!(l[0].starts_with("2: emulated: rm "), "{l:?}");
    let removed: Vec<&str> = host
        .effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Remove { path, .. } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        removed,
        [
            "/usr/share/postgresql/15/man/man1/initdb.1.gz",
            "/usr/share/postgresql/15/man/man1/postgres.1.gz",
            "/usr/share/postgresql/15/man/man3/SPI_exec.3.gz"
        ]
    );
}

#[test]
fn dpkg_listing_of_a_package_not_installed_is_empty() {
    let (l, _) = run("L=$(dpkg -L not-here 2>/dev/null) || true\n[ -n \"$L\" ] || mkdir /empty\n");
    assert_eq!(l, ["2: emulated: mkdir /empty"]);
}

#[test]
fn for_loops_and_unset_inside_a_substitution() {
    let (l, _) = run("X=$(unset GREP_OPTIONS; for i in a/b c/d; do T=$(echo $i | sed 's/\\//-/'); echo -n \" /$T /$(basename $i)\"; done)\nmkdir /x$X\necho $T $i\n");
    assert_eq!(l[0], "2: emulated: mkdir /x /a-b /b /c-d /d");
    // The loop ran in the substitution's subshell.
    assert_eq!(l[1], "3: harmless: echo (prints a message)");
}

/// postgresql-common's `_link_manpages`, as its maintscripts-functions
/// ships it (abridged only where it handles upgrades from 9.1).
const LINK_MANPAGES: &str = r#"_link_manpages() {
    MANS=$(unset GREP_OPTIONS; dpkg -L $3 $4 $5 2>/dev/null | grep -E '/man/.*\.[1-9](\.gz)?$' | grep -v "$2") || true
    [ -n "$MANS" ] || return 0

    SLAVES=$(for i in $MANS; do TARGET=$(echo $i | sed "s/postgresql\/$1\///"); echo -n " --slave $TARGET $(basename $i) $i"; done)
    # user might have removed the directories, allow u-a to succeed
    mkdir -p /usr/share/man/man1 /usr/share/man/man3 /usr/share/man/man7
    section=$(echo "$2" | sed -e 's/.*\.\(.*\)\..*/man\1/')
    case $1 in
        [89]*) priority=$(echo "$1" | tr -cd 0-9) ;;
        *) priority="${1}0" ;;
    esac
    update-alternatives --install /usr/share/man/$section/$2 \
	$2 /usr/share/postgresql/$1/man/$section/$2 \
	$priority $SLAVES
}
_link_manpages 15 postmaster.1.gz postgresql-15 postgresql-contrib-15
"#;

#[test]
fn postgresql_man_page_alternatives() {
    let mut host = postgres_host();
    let r = postinst("postgresql-15", LINK_MANPAGES, &mut host);
    let l = lines(&r);
    assert!(l.iter().all(|l| !l.contains("not-emulated")), "{l:?}");
    let alternative = host
        .effects()
        .into_iter()
        .find_map(|e| match e {
            Effect::Alternative(a) => Some(a.clone()),
            _ => None,
        })
        .expect("an alternative");
    assert_eq!(
        (
            alternative.link.as_str(),
            alternative.name.as_str(),
            alternative.path.as_str(),
            alternative.priority
        ),
        (
            "/usr/share/man/man1/postmaster.1.gz",
            "postmaster.1.gz",
            "/usr/share/postgresql/15/man/man1/postmaster.1.gz",
            150
        )
    );
    let slaves: Vec<(&str, &str, &str)> = alternative
        .slaves
        .iter()
        .map(|s| (s.link.as_str(), s.name.as_str(), s.path.as_str()))
        .collect();
    assert_eq!(
        slaves,
        [
            (
                "/usr/share/man/man1/initdb.1.gz",
                "initdb.1.gz",
                "/usr/share/postgresql/15/man/man1/initdb.1.gz"
            ),
            (
                "/usr/share/man/man1/postgres.1.gz",
                "postgres.1.gz",
                "/usr/share/postgresql/15/man/man1/postgres.1.gz"
            ),
            (
                "/usr/share/man/man3/SPI_exec.3.gz",
                "SPI_exec.3.gz",
                "/usr/share/postgresql/15/man/man3/SPI_exec.3.gz"
            ),
        ]
    );
}

#[test]
fn debconf_questions_get_the_template_defaults() {
    // fontconfig-config's postinst: the answer decides which link is made.
    let mut host = FakeHost::new();
    let answers = vec![(
        "fontconfig/hinting_style".to_string(),
        "hintslight".to_string(),
    )];
    let text = "db_get fontconfig/hinting_style\nhinting_style=\"$RET\"\n\
                case \"$hinting_style\" in\n\
                hintslight) ln -s /usr/share/fontconfig/conf.avail/10-hinting-slight.conf /etc/fonts/conf.d/10-hinting-slight.conf ;;\n\
                esac\n\
                if db_get fontconfig/unknown; then mkdir /never; fi\n";
    let r = read_script(
        &Script {
            package: "fontconfig-config",
            name: "postinst",
            text,
            args: &["configure", ""],
            elsewhere: &[],
            answers: &answers,
        },
        &mut host,
    );
    let emulated: Vec<&str> = r
        .actions
        .iter()
        .filter(|a| a.class == Class::Emulated)
        .map(|a| a.command.as_str())
        .collect();
    assert_eq!(
        emulated,
        ["ln -s /usr/share/fontconfig/conf.avail/10-hinting-slight.conf /etc/fonts/conf.d/10-hinting-slight.conf"]
    );
}
