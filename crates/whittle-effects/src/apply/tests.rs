//! The applier against small trees built here.

use whittle_rootfs::{Node, NodeKind, RootFs};

use super::*;
use crate::effect::{
    Alternative, FileContent, GroupEffect, IdRange, Origin, PrimaryGroup, Slave, UserEffect, Who,
};

const EPOCH: i64 = 1_700_000_000;
/// EPOCH in days, as shadow files count.
const DAYS: i64 = 19_675;

fn base() -> RootFs {
    let mut fs = RootFs::new();
    let file = |text: &str, mode| Node::file(text.as_bytes().to_vec(), mode);
    fs.insert(
        "etc/passwd",
        file(
            "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
            0o644,
        ),
    )
    .unwrap();
    fs.insert(
        "etc/group",
        file(
            "root:x:0:\nadm:x:4:\nshadow:x:42:\nnogroup:x:65534:\n",
            0o644,
        ),
    )
    .unwrap();
    fs.insert(
        "etc/shadow",
        file("root:*:19000:0:99999:7:::\n", 0o640).owned(0, 42),
    )
    .unwrap();
    fs.insert("etc/gshadow", file("root:*::\n", 0o640).owned(0, 42))
        .unwrap();
    fs.insert("run", Node::dir(0o755)).unwrap();
    fs.insert("var/run", Node::symlink("/run")).unwrap();
    fs
}

fn options() -> ApplyOptions {
    ApplyOptions {
        epoch: EPOCH,
        arch: "amd64".to_string(),
        alternatives_db: Some("/var/lib/dpkg/alternatives".to_string()),
        statoverride_db: Some("/var/lib/dpkg/statoverride".to_string()),
        choices: BTreeMap::new(),
        path: vec!["/usr/sbin".to_string(), "/usr/bin".to_string()],
        package_files: BTreeMap::new(),
    }
}

fn placed(effect: Effect) -> Placed {
    Placed {
        effect,
        origin: Origin::new("pkg", "postinst", 1),
    }
}

fn apply(fs: &mut RootFs, effects: Vec<Effect>) -> Result<Applied, EffectsError> {
    let mut applier = Applier::new(fs, options());
    for e in effects {
        applier
            .apply_effect(&placed(e.clone()))
            .unwrap_or_else(|why| panic!("{e:?}: {why}"));
    }
    applier.finish()
}

fn text(fs: &RootFs, path: &str) -> String {
    String::from_utf8(fs.read_file(path).unwrap().into_owned()).unwrap()
}

fn system_user(name: &str, group: PrimaryGroup, home: &str) -> Effect {
    Effect::User(UserEffect {
        name: name.to_string(),
        uid: None,
        range: IdRange::SYSTEM,
        group,
        home: home.to_string(),
        create_home: true,
        shell: "/bin/bash".to_string(),
        gecos: format!("{name} administrator,,,"),
    })
}

fn group(name: &str, gid: Option<u32>, range: IdRange) -> Effect {
    Effect::Group(GroupEffect {
        name: name.to_string(),
        gid,
        range,
    })
}

fn who(s: &str) -> Option<Who> {
    Some(Who::parse(s))
}

#[test]
fn adduser_system_group_postgres_gets_100() {
    let mut fs = base();
    let user = system_user("postgres", PrimaryGroup::OwnName, "/var/lib/postgresql");
    apply(&mut fs, vec![user.clone(), user]).unwrap();

    assert!(text(&fs, "etc/passwd").ends_with(
        "nologin\npostgres:x:100:100:postgres administrator,,,:/var/lib/postgresql:/bin/bash\n"
    ));
    assert!(text(&fs, "etc/group").ends_with("nogroup:x:65534:\npostgres:x:100:\n"));
    assert_eq!(
        text(&fs, "etc/shadow"),
        format!("root:*:19000:0:99999:7:::\npostgres:!:{DAYS}::::::\n")
    );
    assert_eq!(text(&fs, "etc/gshadow"), "root:*::\npostgres:!::\n");
    let shadow = fs.get("etc/shadow").unwrap();
    assert_eq!((shadow.mode, shadow.uid, shadow.gid), (0o640, 0, 42));
    let home = fs.get("var/lib/postgresql").unwrap();
    assert_eq!(
        (home.mode, home.uid, home.gid, home.mtime),
        (0o755, 100, 100, EPOCH)
    );
    let parent = fs.get("var/lib").unwrap();
    assert_eq!((parent.mode, parent.uid, parent.mtime), (0o755, 0, EPOCH));
}

#[test]
fn own_group_takes_the_next_gid_when_the_uid_is_taken_as_gid() {
    let mut fs = base();
    apply(
        &mut fs,
        vec![
            group("ssl-cert", None, IdRange::SYSTEM),
            system_user("postgres", PrimaryGroup::OwnName, "/nonexistent"),
        ],
    )
    .unwrap();
    assert!(text(&fs, "etc/group").ends_with("ssl-cert:x:100:\npostgres:x:101:\n"));
    assert!(text(&fs, "etc/passwd").contains("postgres:x:100:101:"));
    assert!(fs.get("nonexistent").is_none());
}

#[test]
fn group_ids_upward_downward_fixed() {
    let mut fs = base();
    apply(
        &mut fs,
        vec![
            group("a", None, IdRange::SYSTEM),
            group("b", None, IdRange::SYSUSERS),
            group("c", Some(555), IdRange::SYSTEM),
            group("adm", Some(9), IdRange::SYSTEM),
        ],
    )
    .unwrap();
    let groups = text(&fs, "etc/group");
    assert!(
        groups.ends_with("a:x:100:\nb:x:999:\nc:x:555:\n"),
        "{groups}"
    );
    assert!(text(&fs, "etc/gshadow").ends_with("a:!::\nb:!*::\nc:!::\n"));

    let mut applier = Applier::new(&mut fs, options());
    let taken = applier.apply_effect(&placed(group("d", Some(555), IdRange::SYSTEM)));
    assert_eq!(taken, Err("the GID 555 is already in use".to_string()));
}

#[test]
fn primary_groups_nogroup_existing_missing() {
    let mut fs = base();
    apply(
        &mut fs,
        vec![
            system_user("daemon1", PrimaryGroup::NoGroup, "/nonexistent"),
            system_user(
                "daemon2",
                PrimaryGroup::Existing(Who::parse("adm")),
                "/nonexistent",
            ),
            system_user("daemon3", PrimaryGroup::SameAsUid, "/nonexistent"),
        ],
    )
    .unwrap();
    let passwd = text(&fs, "etc/passwd");
    assert!(passwd.contains("daemon1:x:100:65534:"));
    assert!(passwd.contains("daemon2:x:101:4:"));
    assert!(passwd.contains("daemon3:x:102:102:"));
    assert!(text(&fs, "etc/group").ends_with("daemon3:x:102:\n"));

    let mut applier = Applier::new(&mut fs, options());
    let missing = applier.apply_effect(&placed(system_user(
        "x",
        PrimaryGroup::Existing(Who::parse("nope")),
        "/nonexistent",
    )));
    assert_eq!(missing, Err("group nope does not exist".to_string()));
    assert!(!applier.user_exists("x"));
    assert!(applier.user_exists("daemon1"));
    assert!(applier.group_exists("adm"));
}

#[test]
fn members_are_added_once_in_group_and_gshadow() {
    let mut fs = base();
    let member = Effect::Member {
        user: "postgres".to_string(),
        group: "ssl-cert".to_string(),
    };
    apply(
        &mut fs,
        vec![
            group("ssl-cert", None, IdRange::SYSTEM),
            system_user("postgres", PrimaryGroup::OwnName, "/nonexistent"),
            member.clone(),
            member,
            Effect::Member {
                user: "root".to_string(),
                group: "ssl-cert".to_string(),
            },
        ],
    )
    .unwrap();
    assert!(text(&fs, "etc/group").contains("\nssl-cert:x:100:postgres,root\n"));
    assert!(text(&fs, "etc/gshadow").contains("\nssl-cert:!::postgres,root\n"));

    let mut applier = Applier::new(&mut fs, options());
    let err = applier.apply_effect(&placed(Effect::Member {
        user: "nobody".to_string(),
        group: "nope".to_string(),
    }));
    assert_eq!(err, Err("group nope does not exist".to_string()));
}

#[test]
fn directories_go_through_links_and_take_owners() {
    let mut fs = base();
    apply(
        &mut fs,
        vec![
            system_user("postgres", PrimaryGroup::OwnName, "/nonexistent"),
            Effect::Directory {
                path: "/var/run/postgresql".to_string(),
                mode: Some(0o2775),
                owner: who("postgres"),
                group: who("postgres"),
                parents: false,
            },
            Effect::Directory {
                path: "/var/log/x/y".to_string(),
                mode: None,
                owner: None,
                group: None,
                parents: true,
            },
        ],
    )
    .unwrap();
    let dir = fs.get("run/postgresql").unwrap();
    assert_eq!(
        (dir.mode, dir.uid, dir.gid, dir.mtime),
        (0o2775, 100, 100, EPOCH)
    );
    assert!(fs.get("var/log/x/y").unwrap().is_dir());

    let mut applier = Applier::new(&mut fs, options());
    let no_parent = applier.apply_effect(&placed(Effect::Directory {
        path: "/srv/a/b".to_string(),
        mode: None,
        owner: None,
        group: None,
        parents: false,
    }));
    assert_eq!(
        no_parent,
        Err("cannot create directory '/srv/a/b': No such file or directory".to_string())
    );
    let unknown = applier.apply_effect(&placed(Effect::Directory {
        path: "/srv".to_string(),
        mode: None,
        owner: who("nobody-here"),
        group: None,
        parents: true,
    }));
    assert_eq!(unknown, Err("user nobody-here does not exist".to_string()));
    // An existing directory keeps its mode when none is given.
    applier
        .apply_effect(&placed(Effect::Directory {
            path: "/run/postgresql".to_string(),
            mode: None,
            owner: None,
            group: None,
            parents: true,
        }))
        .unwrap();
    drop(applier);
    assert_eq!(fs.get("run/postgresql").unwrap().mode, 0o2775);
}

#[test]
fn symlinks_replace_only_when_asked() {
    let mut fs = base();
    fs.insert(
        "etc/nginx/sites-enabled/default",
        Node::file(b"x".to_vec(), 0o644),
    )
    .unwrap();
    fs.insert("full/f", Node::file(b"x".to_vec(), 0o644))
        .unwrap();
    let link = |path: &str, target: &str, replace| Effect::Symlink {
        path: path.to_string(),
        target: target.to_string(),
        replace,
    };
    apply(
        &mut fs,
        vec![
            link("/etc/nginx/sites-enabled/default", "/a", false),
            link(
                "/etc/nginx/modules-enabled/50-mod.conf",
                "/usr/share/x.conf",
                false,
            ),
            link("/etc/x", "old", false),
            link("/etc/x", "new", true),
        ],
    )
    .unwrap();
    assert!(matches!(
        fs.get("etc/nginx/sites-enabled/default").unwrap().kind,
        NodeKind::File(_)
    ));
    assert_eq!(
        fs.get("etc/nginx/modules-enabled/50-mod.conf")
            .unwrap()
            .kind,
        NodeKind::Symlink("/usr/share/x.conf".to_string())
    );
    let x = fs.get("etc/x").unwrap();
    assert_eq!(
        (&x.kind, x.mtime),
        (&NodeKind::Symlink("new".to_string()), EPOCH)
    );

    let mut applier = Applier::new(&mut fs, options());
    let err = applier.apply_effect(&placed(link("/full", "/tmp", true)));
    assert!(err.unwrap_err().contains("not empty"));
}

#[test]
fn files_from_bytes_and_copies() {
    let mut fs = base();
    fs.insert(
        "usr/share/redis/redis.conf",
        Node::file(b"conf".to_vec(), 0o640),
    )
    .unwrap();
    let file = |path: &str, content, mode, replace| Effect::File {
        path: path.to_string(),
        content,
        mode,
        owner: None,
        group: who("adm"),
        replace,
    };
    apply(
        &mut fs,
        vec![
            file(
                "/etc/app.conf",
                FileContent::Bytes(b"one".to_vec()),
                None,
                false,
            ),
            file(
                "/etc/app.conf",
                FileContent::Bytes(b"two".to_vec()),
                None,
                false,
            ),
            file(
                "/etc/redis/redis.conf",
                FileContent::CopyOf("/usr/share/redis/redis.conf".to_string()),
                None,
                true,
            ),
            file(
                "/etc/b",
                FileContent::Bytes(b"b".to_vec()),
                Some(0o600),
                true,
            ),
            file(
                "/etc/b",
                FileContent::Bytes(b"c".to_vec()),
                Some(0o600),
                true,
            ),
        ],
    )
    .unwrap();
    assert_eq!(text(&fs, "etc/app.conf"), "one");
    let conf = fs.get("etc/app.conf").unwrap();
    assert_eq!(
        (conf.mode, conf.uid, conf.gid, conf.mtime),
        (0o644, 0, 4, EPOCH)
    );
    assert_eq!(text(&fs, "etc/redis/redis.conf"), "conf");
    assert_eq!(fs.get("etc/redis/redis.conf").unwrap().mode, 0o640);
    assert_eq!(text(&fs, "etc/b"), "c");

    let mut applier = Applier::new(&mut fs, options());
    let err = applier.apply_effect(&placed(file(
        "/etc/c",
        FileContent::CopyOf("/usr/share/none".to_string()),
        None,
        true,
    )));
    assert_eq!(
        err,
        Err("/usr/share/none does not exist in the image".to_string())
    );
}

#[test]
fn chown_chmod_remove() {
    let mut fs = base();
    fs.insert("var/lib/app/sub/f", Node::file(b"x".to_vec(), 0o644))
        .unwrap();
    fs.insert("var/lib/app/link", Node::symlink("sub/f"))
        .unwrap();
    apply(
        &mut fs,
        vec![
            Effect::Chown {
                path: "/var/lib/app".to_string(),
                owner: who("nobody"),
                group: who("adm"),
                recursive: true,
            },
            Effect::Chmod {
                path: "/var/lib/app".to_string(),
                mode: 0o750,
                recursive: true,
            },
            Effect::Chmod {
                path: "/var/lib/app/link".to_string(),
                mode: 0o600,
                recursive: false,
            },
            Effect::Remove {
                path: "/var/lib/absent".to_string(),
                recursive: false,
            },
        ],
    )
    .unwrap();
    for key in ["var/lib/app", "var/lib/app/sub", "var/lib/app/sub/f"] {
        let n = fs.get(key).unwrap();
        assert_eq!((n.uid, n.gid), (65534, 4), "{key}");
    }
    assert_eq!(fs.get("var/lib/app/sub").unwrap().mode, 0o750);
    // chmod follows the link it is given, not the ones it meets going down.
    assert_eq!(fs.get("var/lib/app/sub/f").unwrap().mode, 0o600);
    assert_eq!(fs.get("var/lib/app/link").unwrap().mode, 0o777);

    let mut applier = Applier::new(&mut fs, options());
    let remove = |recursive| {
        placed(Effect::Remove {
            path: "/var/lib/app".to_string(),
            recursive,
        })
    };
    assert!(applier
        .apply_effect(&remove(false))
        .unwrap_err()
        .contains("not empty"));
    applier.apply_effect(&remove(true)).unwrap();
    drop(applier);
    assert!(fs.get("var/lib/app/sub/f").is_none());
    assert!(fs.get("var/lib/app").is_none());
}

#[test]
fn stat_override_applies_and_writes_dpkg_database() {
    let mut fs = base();
    fs.insert("var/log/nginx", Node::dir(0o755)).unwrap();
    let over = |path: &str, owner: &str, group: &str, mode| Effect::StatOverride {
        path: path.to_string(),
        owner: Who::parse(owner),
        group: Who::parse(group),
        mode,
    };
    apply(
        &mut fs,
        vec![
            over("/var/log/nginx", "root", "adm", 0o640),
            over("/usr/lib/x/helper", "root", "1234", 0o4754),
            over("/etc/ssl/private", "0", "shadow", 0o710),
            over("/usr/x", "#1234", "#4", 0o755),
        ],
    )
    .unwrap();
    let log = fs.get("var/log/nginx").unwrap();
    assert_eq!((log.mode, log.uid, log.gid), (0o640, 0, 4));
    assert_eq!(
        text(&fs, "var/lib/dpkg/statoverride"),
        "root shadow 710 /etc/ssl/private\nroot #1234 4754 /usr/lib/x/helper\n#1234 adm 755 /usr/x\nroot adm 640 /var/log/nginx\n"
    );

    let mut applier = Applier::new(&mut fs, options());
    let err = applier.apply_effect(&placed(over("/x", "nope", "adm", 0o644)));
    assert_eq!(err, Err("user 'nope' does not exist".to_string()));
}

fn java(path: &str, priority: i64, with_man: bool) -> Alternative {
    let home = path.trim_end_matches("/bin/java");
    Alternative {
        link: "/usr/bin/java".to_string(),
        name: "java".to_string(),
        path: path.to_string(),
        priority,
        slaves: if with_man {
            vec![Slave {
                link: "/usr/share/man/man1/java.1.gz".to_string(),
                name: "java.1.gz".to_string(),
                path: format!("{home}/man/man1/java.1.gz"),
            }]
        } else {
            Vec::new()
        },
    }
}

const JAVA17: &str = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";
const JAVA11: &str = "/usr/lib/jvm/java-11-openjdk-amd64/bin/java";

fn java_tree() -> RootFs {
    let mut fs = base();
    for p in [JAVA17, JAVA11] {
        fs.insert(p, Node::file(b"\x7fELF".to_vec(), 0o755))
            .unwrap();
    }
    // Only java 17 ships its manual page.
    fs.insert(
        "usr/lib/jvm/java-17-openjdk-amd64/man/man1/java.1.gz",
        Node::file(b"gz".to_vec(), 0o644),
    )
    .unwrap();
    fs
}

fn link_of(fs: &RootFs, path: &str) -> String {
    match &fs.get(path).unwrap().kind {
        NodeKind::Symlink(t) => t.clone(),
        other => panic!("{path} is a {}", other.word()),
    }
}

#[test]
fn alternatives_pick_the_highest_priority_and_write_dpkg_database() {
    let mut fs = java_tree();
    let applied = apply(
        &mut fs,
        vec![
            Effect::Alternative(java(JAVA11, 1111, true)),
            Effect::Alternative(java(JAVA17, 1711, true)),
        ],
    )
    .unwrap();
    assert!(applied.warnings.is_empty(), "{:?}", applied.warnings);
    assert_eq!(link_of(&fs, "usr/bin/java"), "/etc/alternatives/java");
    assert_eq!(link_of(&fs, "etc/alternatives/java"), JAVA17);
    assert_eq!(
        link_of(&fs, "usr/share/man/man1/java.1.gz"),
        "/etc/alternatives/java.1.gz"
    );
    assert_eq!(
        link_of(&fs, "etc/alternatives/java.1.gz"),
        "/usr/lib/jvm/java-17-openjdk-amd64/man/man1/java.1.gz"
    );
    assert_eq!(fs.get("etc/alternatives").unwrap().mode, 0o755);
    assert_eq!(
        text(&fs, "var/lib/dpkg/alternatives/java"),
        "auto\n/usr/bin/java\njava.1.gz\n/usr/share/man/man1/java.1.gz\n\n\
         /usr/lib/jvm/java-11-openjdk-amd64/bin/java\n1111\n/usr/lib/jvm/java-11-openjdk-amd64/man/man1/java.1.gz\n\
         /usr/lib/jvm/java-17-openjdk-amd64/bin/java\n1711\n/usr/lib/jvm/java-17-openjdk-amd64/man/man1/java.1.gz\n\n"
    );
}

#[test]
fn alternatives_recipe_choice_and_missing_slave_file() {
    let mut fs = java_tree();
    let mut options = options();
    options
        .choices
        .insert("java".to_string(), JAVA11.to_string());
    let mut applier = Applier::new(&mut fs, options);
    for alt in [java(JAVA17, 1711, true), java(JAVA11, 1111, true)] {
        applier
            .apply_effect(&placed(Effect::Alternative(alt)))
            .unwrap();
    }
    applier.finish().unwrap();
    assert_eq!(link_of(&fs, "etc/alternatives/java"), JAVA11);
    // Java 11's manual page is not in the tree: dpkg leaves the slave unset.
    assert!(fs.get("etc/alternatives/java.1.gz").is_none());
    assert!(fs.get("usr/share/man/man1/java.1.gz").is_none());
    assert!(text(&fs, "var/lib/dpkg/alternatives/java").starts_with("manual\n/usr/bin/java\n"));
}

#[test]
fn alternatives_unknown_choices_are_errors() {
    for (name, path, registered) in [
        ("java", "/usr/bin/none", format!("{JAVA11}, {JAVA17}")),
        ("js", "/usr/bin/nodejs", "none".to_string()),
    ] {
        let mut fs = java_tree();
        let mut options = options();
        options.choices.insert(name.to_string(), path.to_string());
        let mut applier = Applier::new(&mut fs, options);
        for alt in [java(JAVA17, 1711, false), java(JAVA11, 1111, false)] {
            applier
                .apply_effect(&placed(Effect::Alternative(alt)))
                .unwrap();
        }
        match applier.finish() {
            Err(EffectsError::UnknownChoice {
                name: n,
                path: p,
                registered: r,
            }) => assert_eq!((n.as_str(), p.as_str(), r), (name, path, registered)),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn alternatives_ties_keep_the_first_registered_and_real_files_stay() {
    let mut fs = java_tree();
    fs.insert("usr/bin/java", Node::file(b"real".to_vec(), 0o755))
        .unwrap();
    let applied = apply(
        &mut fs,
        vec![
            Effect::Alternative(java(JAVA17, 100, false)),
            Effect::Alternative(java(JAVA11, 100, false)),
        ],
    )
    .unwrap();
    assert_eq!(link_of(&fs, "etc/alternatives/java"), JAVA17);
    assert!(matches!(
        fs.get("usr/bin/java").unwrap().kind,
        NodeKind::File(_)
    ));
    assert_eq!(applied.warnings.len(), 1);
    assert!(applied.warnings[0].contains("not replacing /usr/bin/java"));

    let mut applier = Applier::new(&mut fs, options());
    let err = applier.apply_effect(&placed(Effect::Alternative(java(
        "/usr/bin/nope",
        1,
        false,
    ))));
    assert_eq!(
        err,
        Err("alternative path /usr/bin/nope doesn't exist".to_string())
    );
}

#[test]
fn host_sees_the_tree() {
    let mut fs = base();
    fs.insert("usr/bin/tool", Node::file(b"#!".to_vec(), 0o755))
        .unwrap();
    fs.insert("usr/bin/data", Node::file(b"#!".to_vec(), 0o644))
        .unwrap();
    fs.insert("usr/sbin/alias", Node::symlink("../bin/tool"))
        .unwrap();
    fs.insert("etc/default/app", Node::file(b"A=1\n".to_vec(), 0o644))
        .unwrap();
    let applier = Applier::new(&mut fs, options());
    assert!(applier.on_path("tool"));
    assert!(applier.on_path("alias"));
    assert!(!applier.on_path("data"));
    assert!(!applier.on_path("missing"));
    assert!(applier.on_path("/usr/bin/tool"));
    assert_eq!(applier.stat("/var/run", true), PathState::Dir);
    assert_eq!(
        applier.stat("/var/run", false),
        PathState::Symlink {
            target: "/run".to_string()
        }
    );
    assert_eq!(
        applier.stat("/usr/sbin/alias", true),
        PathState::File {
            executable: true,
            size: 2
        }
    );
    assert_eq!(applier.stat("/nope", true), PathState::Missing);
    assert_eq!(
        applier.read_text("/etc/default/app").as_deref(),
        Some("A=1\n")
    );
    assert_eq!(applier.arch(), "amd64");
}

#[test]
fn same_effects_on_equal_trees_give_equal_trees() {
    let effects = vec![
        group("ssl-cert", None, IdRange::SYSTEM),
        system_user("postgres", PrimaryGroup::OwnName, "/var/lib/postgresql"),
        Effect::Directory {
            path: "/var/run/postgresql".to_string(),
            mode: Some(0o2775),
            owner: who("postgres"),
            group: who("postgres"),
            parents: true,
        },
        Effect::Alternative(java(JAVA17, 1711, true)),
        Effect::StatOverride {
            path: "/var/log".to_string(),
            owner: Who::parse("root"),
            group: Who::parse("adm"),
            mode: 0o755,
        },
    ];
    let mut a = java_tree();
    let mut b = java_tree();
    apply(&mut a, effects.clone()).unwrap();
    apply(&mut b, effects).unwrap();
    let tar_a = a.write_tar(Vec::new()).unwrap();
    let tar_b = b.write_tar(Vec::new()).unwrap();
    assert_eq!(tar_a, tar_b);
    assert!(a.iter().eq(b.iter()));
}

#[test]
fn mkdir_without_parents_at_the_top_of_the_tree() {
    // base-files' postinst: `mkdir /srv`, whose parent is the root itself.
    let mut fs = base();
    let mut applier = Applier::new(&mut fs, options());
    applier
        .apply_effect(&placed(Effect::Directory {
            path: "/srv".to_string(),
            mode: Some(0o755),
            owner: None,
            group: None,
            parents: false,
        }))
        .unwrap();
    drop(applier);
    assert!(fs.get("srv").is_some_and(Node::is_dir));
}
