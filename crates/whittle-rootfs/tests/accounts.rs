//! Account files from base-passwd's real master files, the tree's own files
//! (Alpine style) and the built-in default.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // helpers outside #[test] fns; mismatch listings

use std::process::Command;

use whittle_rootfs::accounts::{write_accounts, AccountSpec, AccountsError, UserSpec};
use whittle_rootfs::{Node, RootFs};
use whittle_test_env::fixtures;

/// The real package, relative to the fixtures folder.
const BASE_PASSWD_DEB: &str =
    "debian-bookworm-mirror/debian/pool/main/b/base-passwd/base-passwd_3.6.1_amd64.deb";

/// A file of the base-passwd package, via the host's dpkg-deb.
fn base_passwd_file(name: &str) -> String {
    let out = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(fixtures::path(BASE_PASSWD_DEB))
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut tar = tar::Archive::new(&out.stdout[..]);
    for e in tar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path()
            .unwrap()
            .ends_with(format!("usr/share/base-passwd/{name}"))
        {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).unwrap();
            return s;
        }
    }
    panic!("{name} not in base-passwd");
}

fn text(fs: &RootFs, path: &str) -> String {
    String::from_utf8(fs.read_file(path).unwrap().to_vec()).unwrap()
}

fn app_spec() -> AccountSpec {
    AccountSpec {
        groups: vec![
            ("app".into(), 1000, vec![]),
            ("nonroot".into(), 65532, vec!["app".into()]),
        ],
        users: vec![
            UserSpec {
                require_group: true,
                name: "app".into(),
                uid: 1000,
                gid: 1000,
                home: "/home/app".into(),
                shell: "/usr/sbin/nologin".into(),
                gecos: "The App".into(),
            },
            UserSpec {
                require_group: true,
                name: "nonroot".into(),
                uid: 65532,
                gid: 65532,
                home: "/nonexistent".into(),
                shell: "/usr/sbin/nologin".into(),
                gecos: String::new(),
            },
        ],
    }
}

#[test]
fn debian_master_files() {
    let passwd = base_passwd_file("passwd.master");
    let group = base_passwd_file("group.master");
    let mut fs = RootFs::new();
    write_accounts(
        &mut fs,
        Some(&passwd),
        Some(&group),
        &app_spec(),
        1_700_000_000,
    )
    .unwrap();
    let out = text(&fs, "etc/passwd");
    assert!(out.starts_with(&passwd), "the base comes first, verbatim");
    assert!(out.ends_with(
        "app:*:1000:1000:The App:/home/app:/usr/sbin/nologin\nnonroot:*:65532:65532::/nonexistent:/usr/sbin/nologin\n"
    ));
    let g = text(&fs, "etc/group");
    assert!(g.starts_with(&group));
    assert!(g.ends_with("app:*:1000:\nnonroot:*:65532:app\n"), "{g}");
    // Debian's masters use '*': no shadow file, as without the passwd package.
    assert!(!fs.exists("etc/shadow"));
    let home = fs.get("home/app").unwrap();
    assert_eq!(
        (home.mode, home.uid, home.gid, home.mtime),
        (0o755, 1000, 1000, 1_700_000_000)
    );
    assert!(!fs.exists("nonexistent"));
    let p = fs.get("etc/passwd").unwrap();
    assert_eq!((p.mode, p.uid, p.gid), (0o644, 0, 0));

    // The host's pwck and grpck accept the files.
    let dir = tempfile::tempdir().unwrap();
    for f in ["passwd", "group"] {
        fs_err::write(dir.path().join(f), text(&fs, &format!("etc/{f}"))).unwrap();
    }
    let shadow = dir.path().join("shadow");
    fs_err::write(&shadow, "").unwrap();
    let gshadow = dir.path().join("gshadow");
    fs_err::write(&gshadow, "").unwrap();
    let grpck = Command::new("grpck")
        .arg("-r")
        .arg(dir.path().join("group"))
        .arg(&gshadow)
        .output();
    if let Ok(out) = grpck {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("invalid") && !err.contains("duplicate"),
            "{err}"
        );
    }
}

#[test]
fn tree_files_and_shadow() {
    // Alpine's baselayout ships /etc/passwd, /etc/group and /etc/shadow.
    let mut fs = RootFs::new();
    fs.insert(
        "etc/passwd",
        Node::file(b"root:x:0:0:root:/root:/bin/sh\n".to_vec(), 0o644),
    )
    .unwrap();
    fs.insert(
        "etc/group",
        Node::file(b"root:x:0:root\nshadow:x:42:\n".to_vec(), 0o644),
    )
    .unwrap();
    fs.insert(
        "etc/shadow",
        Node::file(b"root:*::0:::::\n".to_vec(), 0o640),
    )
    .unwrap();
    fs.insert("home/app", Node::dir(0o700).owned(5, 5)).unwrap();
    write_accounts(&mut fs, None, None, &app_spec(), 86_400 * 19_000 + 5).unwrap();
    assert_eq!(
        text(&fs, "etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:The App:/home/app:/usr/sbin/nologin\n\
         nonroot:x:65532:65532::/nonexistent:/usr/sbin/nologin\n"
    );
    assert_eq!(
        text(&fs, "etc/group"),
        "root:x:0:root\nshadow:x:42:\napp:x:1000:\nnonroot:x:65532:app\n"
    );
    assert_eq!(
        text(&fs, "etc/shadow"),
        "root:*::0:::::\napp:*:19000:0:99999:7:::\nnonroot:*:19000:0:99999:7:::\n"
    );
    let shadow = fs.get("etc/shadow").unwrap();
    assert_eq!((shadow.mode, shadow.uid, shadow.gid), (0o640, 0, 42));
    // An existing home is left as it is.
    assert_eq!(fs.get("home/app").unwrap().uid, 5);
}

#[test]
fn default_base() {
    let mut fs = RootFs::new();
    write_accounts(&mut fs, None, None, &AccountSpec::default(), 0).unwrap();
    assert_eq!(
        text(&fs, "etc/passwd"),
        "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    );
    assert_eq!(text(&fs, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
    assert_eq!(
        text(&fs, "etc/shadow"),
        "root:*:0:0:99999:7:::\nnobody:*:0:0:99999:7:::\n"
    );
    // Deterministic: running again on a fresh tree gives the same bytes.
    let mut again = RootFs::new();
    write_accounts(&mut again, None, None, &AccountSpec::default(), 0).unwrap();
    assert_eq!(text(&fs, "etc/passwd"), text(&again, "etc/passwd"));
}

#[test]
fn clashes_and_bad_fields_are_errors() {
    let mut fs = RootFs::new();
    let mut spec = app_spec();
    spec.users[0].uid = 65534;
    let err = write_accounts(&mut fs, None, None, &spec, 0).unwrap_err();
    assert!(matches!(err, AccountsError::Duplicate { .. }), "{err}");
    assert!(
        err.to_string().contains("id 65534") && err.to_string().contains("nobody"),
        "{err}"
    );

    let mut spec = app_spec();
    spec.groups[0].0 = "root".into();
    let err = write_accounts(&mut fs, None, None, &spec, 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("name root"), "{err}");

    let mut spec = app_spec();
    spec.users[1].name = "app".into();
    assert!(write_accounts(&mut fs, None, None, &spec, 0).is_err());

    let mut spec = app_spec();
    spec.users[0].gid = 4242;
    let err = write_accounts(&mut fs, None, None, &spec, 0).unwrap_err();
    assert!(matches!(err, AccountsError::MissingGroup { .. }), "{err}");

    let mut spec = app_spec();
    spec.users[0].gecos = "a:b".into();
    assert!(matches!(
        write_accounts(&mut fs, None, None, &spec, 0).unwrap_err(),
        AccountsError::BadField { .. }
    ));
    let mut spec = app_spec();
    spec.users[0].home = "home/app".into();
    assert!(write_accounts(&mut fs, None, None, &spec, 0).is_err());

    let err = write_accounts(
        &mut fs,
        Some("root:x:0\n"),
        None,
        &AccountSpec::default(),
        0,
    )
    .unwrap_err();
    assert!(matches!(err, AccountsError::BadBase { .. }), "{err}");
}

/// apko's rule: a user without a gid gets gid = uid and needs no group;
/// the names are then found by `AccountIds`.
#[test]
fn user_without_gid_needs_no_group() {
    let mut fs = RootFs::new();
    let spec = AccountSpec {
        groups: vec![],
        users: vec![UserSpec {
            require_group: false,
            name: "app".into(),
            uid: 10001,
            gid: 10001,
            home: "/home/app".into(),
            shell: "/usr/sbin/nologin".into(),
            gecos: String::new(),
        }],
    };
    write_accounts(&mut fs, None, None, &spec, 0).unwrap();
    assert!(text(&fs, "etc/passwd").contains("app:x:10001:10001::/home/app:/usr/sbin/nologin\n"));
    let home = fs.get("home/app").unwrap();
    assert_eq!((home.uid, home.gid), (10001, 10001));
    let ids = whittle_rootfs::accounts::AccountIds::from_tree(&fs);
    assert_eq!(ids.user("app"), Some((10001, 10001)));
    assert_eq!(ids.user("root"), Some((0, 0)));
    assert_eq!(ids.group("nogroup"), Some(65534));
    assert_eq!(ids.group("app"), None);

    // A gid the recipe names must exist.
    let mut strict = spec.clone();
    strict.users[0].require_group = true;
    let err = write_accounts(&mut RootFs::new(), None, None, &strict, 0).unwrap_err();
    assert!(
        matches!(err, AccountsError::MissingGroup { gid: 10001, .. }),
        "{err}"
    );
}
