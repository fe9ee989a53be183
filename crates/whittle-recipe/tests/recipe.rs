//! Recipe parsing: the full example, every error case, includes.

use std::collections::BTreeMap;
use std::path::Path;

use whittle_recipe::{
    Accounts, Arch, BuildPlan, ErrorKind, Group, Op, PathMutation, RecipeError, RepositoryBody,
    RepositoryRole, RepositorySpec, User,
};

const EXAMPLE: &str = r#"contents:
  repositories:
    - type: deb
      # url optional for Debian/Ubuntu suites known to the host's apt sources; "${VAR}" expands from the environment
      url: ${DEBIAN_MIRROR}/debian
      suites: [bookworm, bookworm-updates]
      components: [main]
      keyring: /usr/share/keyrings/debian-archive-keyring.gpg   # path or URL, optional
    - https://wolfi.mirror.invalid/os        # plain string = APK repository
    - "@local /path/to/repo"               # apko tagged repository: tag + url
  keyring: [https://example/key.rsa.pub]   # apko-style top-level keyring list (APK)
  packages:
    - python3
    - ca-certificates
    - tzdata=2025a-0+deb12u1     # pins: NAME=VERSION exact, NAME~PREFIX, NAME>V
  exclude: [dpkg, debconf, mawk]
accounts:
  groups: [{groupname: nonroot, gid: 65532, members: []}]
  users: [{username: nonroot, uid: 65532, gid: 65532, shell: /usr/sbin/nologin, homedir: /home/nonroot}]
  run-as: nonroot            # name or number
entrypoint: {command: /usr/bin/python3}     # or {shell-fragment: "..."} (apko); or a list
cmd: -c "print('hello')"     # string: split with shell-like quoting
work-dir: /home/nonroot
stop-signal: SIGTERM
environment: {LANG: C.UTF-8}
archs: [amd64]               # accept both namings
annotations: {org.opencontainers.image.title: python}
volumes: [/data]
paths:
  - {path: /data, type: directory, uid: 65532, gid: 65532, permissions: 0o750}
  - {path: /etc/foo, type: empty-file, permissions: 0o644}
  - {path: /usr/bin/x, type: symlink, source: /usr/bin/y}
  - {path: /usr/bin/h, type: hardlink, source: /usr/bin/y}
  - {path: /data, type: permissions, permissions: 0o700, recursive: true}
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "DEBIAN_MIRROR" => Some("http://deb.example".to_string()),
        _ => None,
    }
}

fn parse(text: &str) -> Result<BuildPlan, RecipeError> {
    BuildPlan::from_str_with_env(text, Path::new("python.yaml"), &env)
}

/// Parse, expecting an error; check it names the file, line and key.
fn fails(text: &str, line: usize, key: &str) -> RecipeError {
    let err = parse(text).expect_err("recipe should be rejected");
    let msg = err.to_string();
    assert!(msg.contains("python.yaml"), "no file name in: {msg}");
    assert!(
        msg.contains(&format!("line {line}")),
        "no `line {line}` in: {msg}"
    );
    assert!(msg.contains(key), "no key `{key}` in: {msg}");
    assert_eq!(err.line(), Some(line), "{msg}");
    assert_eq!(err.file(), Path::new("python.yaml"));
    assert!(err.hint().is_some(), "no hint in: {msg}");
    assert!(err.source_text().is_some());
    err
}

/// A repository entry in one line: `type@line role {fields}` or
/// `plain@line role text`, fields in YAML flow style.
fn summary(r: &RepositorySpec) -> String {
    let line = r.origin.line().unwrap_or(0);
    let role = match r.role {
        RepositoryRole::Resolve => "resolve",
        RepositoryRole::BuildOnly => "build",
        RepositoryRole::RuntimeOnly => "runtime",
    };
    match &r.body {
        RepositoryBody::Plain(text) => format!("plain@{line} {role} {text}"),
        RepositoryBody::Map(map) => {
            let mut fields: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    let v = serde_yaml_ng::to_string(v).expect("YAML value");
                    format!(
                        "{}={}",
                        k.as_str().expect("string key"),
                        v.trim().replace('\n', " ")
                    )
                })
                .collect();
            fields.sort();
            format!(
                "{}@{line} {role} {}",
                r.kind.as_deref().unwrap_or("?"),
                fields.join(" ")
            )
        }
    }
}

/// A minimal valid recipe plus `extra` top-level YAML.
fn with(extra: &str) -> String {
    format!("contents:\n  packages: [busybox]\n{extra}")
}

#[test]
fn full_example() {
    let plan = parse(EXAMPLE).unwrap();
    assert_eq!(plan.source, Path::new("python.yaml"));
    // Entries are kept as written, `${VAR}` expanded, for their worlds.
    let repos: Vec<String> = plan.repositories.iter().map(summary).collect();
    assert_eq!(
        repos,
        [
            "deb@3 resolve components=- main keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
             suites=- bookworm - bookworm-updates url=http://deb.example/debian",
            "plain@9 resolve https://wolfi.mirror.invalid/os",
            "plain@10 resolve @local /path/to/repo",
        ]
    );
    assert!(plan
        .repositories
        .iter()
        .all(|r| r.base == Some(Path::new("").to_path_buf())));
    assert_eq!(plan.keyrings, ["https://example/key.rsa.pub"]);
    let names: Vec<&str> = plan.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["python3", "ca-certificates", "tzdata"]);
    let lines: Vec<usize> = plan.packages.iter().map(|p| p.line).collect();
    assert_eq!(lines, [13, 14, 15]);
    assert_eq!(plan.packages[0].constraint, None);
    assert_eq!(
        plan.packages[2].constraint,
        Some((Op::Eq, "2025a-0+deb12u1".into()))
    );
    assert_eq!(plan.exclude, ["dpkg", "debconf", "mawk"]);
    assert_eq!(
        plan.accounts,
        Accounts {
            groups: vec![Group {
                groupname: "nonroot".into(),
                gid: 65532,
                members: vec![],
            }],
            users: vec![User {
                username: "nonroot".into(),
                uid: 65532,
                gid: Some(65532),
                shell: Some("/usr/sbin/nologin".into()),
                homedir: Some("/home/nonroot".into()),
            }],
            run_as: Some("nonroot".into()),
        }
    );
    assert_eq!(plan.run_as_uid(), Some(65532));
    assert_eq!(plan.entrypoint, ["/usr/bin/python3"]);
    assert_eq!(plan.cmd, ["-c", "print('hello')"]);
    assert_eq!(plan.work_dir.as_deref(), Some("/home/nonroot"));
    assert_eq!(plan.stop_signal.as_deref(), Some("SIGTERM"));
    assert_eq!(
        plan.environment,
        BTreeMap::from([("LANG".to_string(), "C.UTF-8".to_string())])
    );
    assert_eq!(plan.archs, [Arch::Amd64]);
    assert_eq!(
        plan.annotations,
        BTreeMap::from([(
            "org.opencontainers.image.title".to_string(),
            "python".to_string()
        )])
    );
    assert_eq!(plan.volumes, ["/data"]);
    assert_eq!(
        plan.paths,
        vec![
            PathMutation::Directory {
                path: "/data".into(),
                uid: 65532,
                gid: 65532,
                permissions: 0o750,
                recursive: false,
            },
            PathMutation::EmptyFile {
                path: "/etc/foo".into(),
                uid: 0,
                gid: 0,
                permissions: 0o644,
            },
            PathMutation::Symlink {
                path: "/usr/bin/x".into(),
                source: "/usr/bin/y".into(),
                uid: 0,
                gid: 0,
            },
            PathMutation::Hardlink {
                path: "/usr/bin/h".into(),
                source: "/usr/bin/y".into(),
            },
            PathMutation::Permissions {
                path: "/data".into(),
                permissions: 0o700,
                uid: None,
                gid: None,
                recursive: true,
            },
        ]
    );
    assert_eq!(plan.paths[4].path(), "/data");
}

#[test]
fn full_example_snapshot() {
    insta::assert_debug_snapshot!(parse(EXAMPLE).unwrap());
}

#[test]
fn defaults() {
    let plan = parse("contents:\n  packages: [busybox]\n").unwrap();
    assert_eq!(plan.archs, [Arch::host()]);
    assert!(plan.repositories.is_empty());
    assert!(plan.entrypoint.is_empty() && plan.cmd.is_empty());
    assert_eq!(plan.accounts, Accounts::default());
    assert_eq!(plan.run_as_uid(), None);
    let plan = parse(&with(
        "contents:\n  repositories: [{type: deb, suites: [noble]}]\n  packages: [a]\n",
    ));
    // `contents` twice is a YAML error (duplicate key).
    assert!(plan.is_err());
    let plan =
        parse("contents:\n  repositories: [{type: deb, suites: [noble]}]\n  packages: [a]\n")
            .unwrap();
    assert_eq!(
        summary(&plan.repositories[0]),
        "deb@2 resolve suites=- noble"
    );
}

#[test]
fn entrypoint_forms() {
    let plan = parse(&with(
        "entrypoint: {shell-fragment: \"echo hi && exec app\"}\n",
    ))
    .unwrap();
    assert_eq!(plan.entrypoint, ["/bin/sh", "-c", "echo hi && exec app"]);
    let plan = parse(&with("entrypoint: [/bin/app, --flag, \"a b\"]\n")).unwrap();
    assert_eq!(plan.entrypoint, ["/bin/app", "--flag", "a b"]);
    let plan = parse(&with("entrypoint: /bin/app 'a b' c\ncmd: [x, y]\n")).unwrap();
    assert_eq!(plan.entrypoint, ["/bin/app", "a b", "c"]);
    assert_eq!(plan.cmd, ["x", "y"]);
    let plan = parse(&with(
        "entrypoint: {command: /bin/app --config=/etc/app.conf}\n",
    ))
    .unwrap();
    assert_eq!(plan.entrypoint, ["/bin/app", "--config=/etc/app.conf"]);
}

#[test]
fn archs_all_namings_dedup_order_kept() {
    let plan = parse(&with(
        "archs: [arm64, x86_64, aarch64, amd64, armhf, armv7, arm, i386, x86, 386, ppc64le, s390x, riscv64]\n",
    ))
    .unwrap();
    assert_eq!(
        plan.archs,
        [
            Arch::Arm64,
            Arch::Amd64,
            Arch::Armv7,
            Arch::I386,
            Arch::Ppc64le,
            Arch::S390x,
            Arch::Riscv64
        ]
    );
}

#[test]
fn permissions_forms() {
    for (mode, want) in [
        ("0o750", 0o750),
        ("488", 0o750),
        ("\"0o750\"", 0o750),
        ("\"750\"", 0o750),
        ("'0750'", 0o750),
        ("0750", 0o750),
    ] {
        let plan = parse(&with(&format!(
            "paths: [{{path: /d, type: directory, permissions: {mode}}}]\n"
        )))
        .unwrap();
        let PathMutation::Directory { permissions, .. } = plan.paths[0] else {
            panic!("not a directory")
        };
        assert_eq!(permissions, want, "{mode}");
    }
}

#[test]
fn package_pins() {
    let plan = parse(
        "contents:\n  packages:\n    - a=1\n    - b~2.\n    - c>3\n    - d>=4\n    - e<5\n    - f<=6\n    - g@edge\n",
    )
    .unwrap();
    type Row = (String, Option<(Op, String)>, Option<String>, usize);
    let got: Vec<Row> = plan
        .packages
        .into_iter()
        .map(|p| (p.name, p.constraint, p.tag, p.line))
        .collect();
    let want = vec![
        ("a".into(), Some((Op::Eq, "1".into())), None, 3),
        ("b".into(), Some((Op::Prefix, "2.".into())), None, 4),
        ("c".into(), Some((Op::Gt, "3".into())), None, 5),
        ("d".into(), Some((Op::Ge, "4".into())), None, 6),
        ("e".into(), Some((Op::Lt, "5".into())), None, 7),
        ("f".into(), Some((Op::Le, "6".into())), None, 8),
        ("g".into(), None, Some("edge".into()), 9),
    ];
    assert_eq!(got, want);
}

#[test]
fn variables() {
    let env = |name: &str| match name {
        "TAG" => Some("3.12".to_string()),
        "UID_NAME" => Some("svc".to_string()),
        _ => None,
    };
    let text = "contents:\n  packages: [\"python3=${TAG}\"]\naccounts:\n  users: [{username: svc, uid: 10}]\n  run-as: ${UID_NAME}\nenvironment: {V: \"${TAG}\", D: \"${NOPE:-dflt}\", L: \"$${TAG}\"}\n# ${IN_A_COMMENT} is not expanded\n";
    let plan = BuildPlan::from_str_with_env(text, Path::new("v.yaml"), &env).unwrap();
    assert_eq!(plan.packages[0].constraint, Some((Op::Eq, "3.12".into())));
    assert_eq!(plan.accounts.run_as.as_deref(), Some("svc"));
    assert_eq!(plan.run_as_uid(), Some(10));
    assert_eq!(plan.environment["V"], "3.12");
    assert_eq!(plan.environment["D"], "dflt");
    assert_eq!(plan.environment["L"], "${TAG}");
}

#[test]
fn numeric_run_as() {
    let plan = parse(&with("accounts: {run-as: \"65532\"}\n")).unwrap();
    assert_eq!(plan.run_as_uid(), Some(65532));
    let plan = parse(&with("accounts: {run-as: 1000:1000}\n")).unwrap();
    assert_eq!(plan.run_as_uid(), Some(1000));
}

#[test]
fn run_as_an_image_account_is_left_to_the_build() {
    // `root` or `nobody` come from the image's /etc/passwd, which the
    // engine reads once the image exists.
    let plan = parse(&with("accounts: {run-as: root}\n")).unwrap();
    assert_eq!(plan.accounts.run_as.as_deref(), Some("root"));
    assert_eq!(plan.run_as_uid(), None);
    for bad in ["\"a:b:c\"", "\":x\""] {
        let err = parse(&with(&format!("accounts: {{run-as: {bad}}}\n"))).unwrap_err();
        assert!(err.to_string().contains("run-as"), "{err}");
    }
}

// ---- errors ----

#[test]
fn unknown_key_names_key_position_and_known_keys() {
    let text = EXAMPLE.replace("  packages:\n", "  pacakges:\n");
    let err = fails(&text, 12, "pacakges");
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
    assert_eq!(err.key(), Some("pacakges"));
    assert_eq!(err.column(), Some(3));
    assert!(err.to_string().starts_with(
        "unknown key `pacakges` at contents (python.yaml line 12, column 3); did you mean `packages`? known keys: repositories, keyring, packages, exclude"
    ), "{err}");
    let (offset, len) = err.span().unwrap();
    assert_eq!(&text[offset..offset + len], "pacakges");
}

#[test]
fn unknown_top_level_and_nested_keys() {
    let err = fails(&with("workdir: /x\n"), 3, "workdir");
    assert!(err.to_string().contains("work-dir"), "{err}");
    fails(
        &with("accounts:\n  users:\n    - {username: a, uid: 1, home: /x}\n"),
        5,
        "home",
    );
    fails(
        &with("paths:\n  - path: /x\n    type: directory\n    mode: 0o755\n"),
        6,
        "mode",
    );
    // Keys inside a repository entry are its world's to check (see
    // `world_field_errors_point_at_the_key`).
    fails(&with("entrypoint: {cmd: /bin/x}\n"), 3, "cmd");
}

#[test]
fn wrong_type_names_key() {
    let err = fails(&with("work-dir: [/a, /b]\n"), 3, "work-dir");
    assert_eq!(err.kind(), ErrorKind::InvalidType);
    let err = fails(
        &with("accounts:\n  users: [{username: a, uid: -1}]\n"),
        4,
        "uid",
    );
    assert_eq!(err.key(), Some("uid"));
    fails(
        &with("paths: [{path: /d, type: directory, permissions: 0o17777}]\n"),
        3,
        "permissions",
    );
    fails(
        &with("paths: [{path: /d, type: directory, permissions: \"rwx\"}]\n"),
        3,
        "permissions",
    );
    let err = fails(&with("accounts:\n  users: [{uid: 1}]\n"), 4, "username");
    assert_eq!(err.kind(), ErrorKind::MissingKey);
}

#[test]
fn yaml_syntax_error() {
    let err = fails("contents:\n  packages: [a, b\narchs: [amd64]\n", 3, "YAML");
    assert_eq!(err.kind(), ErrorKind::Syntax);
}

#[test]
fn empty_packages() {
    let err = fails(
        "contents:\n  repositories: []\n  packages: []\n",
        3,
        "packages",
    );
    assert!(err.to_string().contains("no packages"), "{err}");
    let err = parse("archs: [amd64]\n").unwrap_err();
    assert!(err.to_string().contains("packages"), "{err}");
    assert!(err.to_string().contains("python.yaml"), "{err}");
}

#[test]
fn bad_package_spec() {
    let text = "contents:\n  packages:\n    - python3\n    - foo=\n";
    let err = fails(text, 4, "packages");
    assert!(err.to_string().contains("bad package spec `foo=`"), "{err}");
    fails("contents:\n  packages: [ok, \"a b\"]\n", 2, "packages");
    fails("contents:\n  packages:\n  - x\n  - '>=1'\n", 4, "packages");
}

#[test]
fn duplicate_users_and_uids() {
    let err = fails(
        &with("accounts:\n  users:\n    - {username: a, uid: 1}\n    - {username: a, uid: 2}\n"),
        6,
        "username",
    );
    assert!(err.to_string().contains("line 5"), "{err}");
    fails(
        &with("accounts:\n  users:\n    - {username: a, uid: 1}\n    - {username: b, uid: 1}\n"),
        6,
        "uid",
    );
    fails(
        &with("accounts:\n  groups:\n    - {groupname: g, gid: 1}\n    - {groupname: h, gid: 1}\n"),
        6,
        "gid",
    );
}

#[test]
fn run_as_malformed() {
    let err = fails(
        &with("accounts:\n  users: [{username: nonroot, uid: 65532}]\n  run-as: \"a:b:c\"\n"),
        5,
        "run-as",
    );
    assert!(err.to_string().contains("a:b:c"), "{err}");
    assert!(err.to_string().contains("recipe users: nonroot"), "{err}");
}

#[test]
fn relative_paths() {
    let err = fails(
        &with("paths:\n  - {path: data, type: directory}\n"),
        4,
        "path",
    );
    assert!(
        err.to_string()
            .contains("`path: data` is not an absolute path"),
        "{err}"
    );
    fails(
        &with("paths:\n  - {path: /a, type: hardlink, source: b}\n"),
        4,
        "source",
    );
    fails(&with("work-dir: home\n"), 3, "work-dir");
    fails(&with("volumes:\n  - /ok\n  - data\n"), 5, "volumes");
    // A relative symlink target is fine.
    let plan = parse(&with("paths: [{path: /a, type: symlink, source: b}]\n")).unwrap();
    assert_eq!(plan.paths.len(), 1);
}

#[test]
fn unknown_arch() {
    let err = fails(&with("archs:\n  - amd64\n  - sparc\n"), 5, "archs");
    assert!(err.to_string().contains("sparc"), "{err}");
}

#[test]
fn repository_entries_stay_neutral() {
    // What a world makes of an entry is its business: any `type`, any keys.
    let plan = parse(
        "contents:\n  repositories:\n    - {type: rpm, url: x, gpgcheck: true}\n    - \"@local\"\n  build_repositories:\n    - {type: deb, suites: [x]}\n  runtime_repositories: [https://rt/os]\n  packages: [a]\n",
    )
    .unwrap();
    let repos: Vec<String> = plan.repositories.iter().map(summary).collect();
    assert_eq!(
        repos,
        [
            "rpm@3 resolve gpgcheck=true url=x",
            "plain@4 resolve @local",
            "deb@6 build suites=- x",
            "plain@7 runtime https://rt/os",
        ]
    );
    assert_eq!(plan.repositories_for_resolving().count(), 3);
}

#[test]
fn repository_errors() {
    let err = fails(
        "contents:\n  repositories:\n    - {url: x}\n  packages: [a]\n",
        3,
        "type",
    );
    assert_eq!(err.kind(), ErrorKind::MissingKey);
    let err = fails(
        "contents:\n  repositories:\n    - {type: [deb], url: x}\n  packages: [a]\n",
        3,
        "type",
    );
    assert_eq!(err.kind(), ErrorKind::InvalidType);
    fails(
        "contents:\n  repositories:\n    - \"${EMPTY:-}\"\n  packages: [a]\n",
        3,
        "repositories",
    );
}

/// A world's check of its entry points at the key's own line.
#[test]
fn world_field_errors_point_at_the_key() {
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Fields {
        url: Option<String>,
        suites: Vec<String>,
    }
    let text = "contents:\n  repositories:\n    - type: deb\n      url: http://x\n      suits: [bookworm]\n  packages: [a]\n";
    let plan = parse(text).unwrap();
    let err = plan.repositories[0].fields::<Fields>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
    assert_eq!(err.line(), Some(5), "{err}");
    assert_eq!(err.key(), Some("suits"));
    assert!(
        err.to_string()
            .starts_with("unknown key `suits` in a `deb` repository (python.yaml line 5, column 7); did you mean `suites`?"),
        "{err}"
    );
    let text =
        "contents:\n  repositories:\n    - type: deb\n      url: http://x\n  packages: [a]\n";
    let err = parse(text).unwrap().repositories[0]
        .fields::<Fields>()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingKey);
    assert_eq!(err.line(), Some(3), "{err}");
    assert!(err.to_string().contains("missing key `suites`"), "{err}");
}

#[test]
fn unknown_path_type() {
    let err = fails(
        &with("paths:\n  - {path: /a, type: directory}\n  - {path: /b, type: fifo}\n"),
        5,
        "type",
    );
    assert!(err.to_string().contains("fifo"), "{err}");
    assert!(err.to_string().contains("empty-file"), "{err}");
}

#[test]
fn path_key_not_applicable_or_missing() {
    fails(
        &with("paths:\n  - {path: /a, type: hardlink, source: /b, uid: 1}\n"),
        4,
        "uid",
    );
    fails(
        &with("paths:\n  - {path: /a, type: symlink}\n"),
        4,
        "source",
    );
    fails(
        &with("paths:\n  - {path: /a, type: permissions}\n"),
        4,
        "permissions",
    );
}

#[test]
fn undefined_variable() {
    let err =
        BuildPlan::from_str_with_env(EXAMPLE, Path::new("python.yaml"), &|_| None).unwrap_err();
    let msg = err.to_string();
    assert_eq!(err.kind(), ErrorKind::UndefinedVariable);
    assert_eq!(err.line(), Some(5));
    assert!(msg.contains("python.yaml line 5"), "{msg}");
    assert!(msg.contains("DEBIAN_MIRROR"), "{msg}");
    assert!(
        msg.contains("export DEBIAN_MIRROR=... or edit the recipe"),
        "{msg}"
    );
    let err = fails(&with("work-dir: \"${BROKEN\"\n"), 3, "BROKEN");
    assert_eq!(err.kind(), ErrorKind::Invalid);
}

#[test]
fn unquoted_variable_in_flow_gets_a_hint() {
    let err = fails("contents:\n  packages: [python3=${TAG}]\n", 2, "YAML");
    assert!(
        err.to_string().contains("quote values that contain ${VAR}"),
        "{err}"
    );
}

#[test]
fn bad_entrypoint() {
    fails(&with("cmd: echo 'unterminated\n"), 3, "cmd");
    fails(
        &with("entrypoint:\n  command: /bin/a\n  shell-fragment: b\n"),
        3,
        "entrypoint",
    );
    fails(&with("entrypoint: {}\n"), 3, "entrypoint");
}

#[test]
fn error_snapshots() {
    let cases = [
        EXAMPLE.replace("  packages:\n", "  pacakges:\n"),
        with("paths:\n  - {path: /b, type: fifo}\n"),
        with("accounts:\n  run-as: \"ghost:\"\n"),
        "contents:\n  packages: [a, b\n".to_string(),
    ];
    let rendered: Vec<String> = cases
        .iter()
        .map(|c| parse(c).unwrap_err().to_string())
        .collect();
    insta::assert_debug_snapshot!(rendered);
}

// ---- include ----

#[test]
fn include_merges_under_this_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs_write(
        &dir.join("base.yaml"),
        "contents:\n  repositories: [{type: deb, suites: [bookworm]}]\n  packages: [base-files]\naccounts:\n  users: [{username: nonroot, uid: 65532}]\n  run-as: nonroot\nenvironment: {A: base, B: base}\ncmd: [base]\nwork-dir: /base\n",
    );
    fs_write(
        &dir.join("app.yaml"),
        "include: base.yaml\ncontents:\n  packages: [python3]\nenvironment: {B: app}\ncmd: [app]\n",
    );
    let plan = BuildPlan::from_file(&dir.join("app.yaml")).unwrap();
    assert_eq!(plan.source, dir.join("app.yaml"));
    let names: Vec<&str> = plan.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["base-files", "python3"]);
    assert_eq!(plan.repositories.len(), 1);
    assert_eq!(plan.environment["A"], "base");
    assert_eq!(plan.environment["B"], "app");
    assert_eq!(plan.cmd, ["app"]);
    assert_eq!(plan.work_dir.as_deref(), Some("/base"));
    assert_eq!(plan.run_as_uid(), Some(65532));
}

#[test]
fn include_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs_write(
        &dir.join("a.yaml"),
        "include: b.yaml\ncontents: {packages: [x]}\n",
    );
    fs_write(&dir.join("b.yaml"), "include: a.yaml\n");
    let err = BuildPlan::from_file(&dir.join("a.yaml")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Include);
    assert!(err.to_string().contains("cycle"), "{err}");

    fs_write(
        &dir.join("c.yaml"),
        "contents:\n  packages: [x]\ninclude: missing.yaml\n",
    );
    let err = BuildPlan::from_file(&dir.join("c.yaml")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    let msg = err.to_string();
    assert!(
        msg.contains("c.yaml line 3") && msg.contains("missing.yaml"),
        "{msg}"
    );

    // An error inside the included file names that file.
    fs_write(
        &dir.join("d.yaml"),
        "include: e.yaml\ncontents: {packages: [x]}\n",
    );
    fs_write(&dir.join("e.yaml"), "\narchs: [vax]\n");
    let err = BuildPlan::from_file(&dir.join("d.yaml")).unwrap_err();
    assert_eq!(err.file(), dir.join("e.yaml"));
    assert_eq!(err.line(), Some(2));
}

#[test]
fn missing_file() {
    let err = BuildPlan::from_file(Path::new("/nonexistent/recipe.yaml")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(
        err.to_string().contains("/nonexistent/recipe.yaml"),
        "{err}"
    );
}

fn fs_write(path: &Path, text: &str) {
    fs_err::write(path, text).expect("write test recipe");
}

// ---- `type: file` and `alternatives:` ----

#[test]
fn file_paths_keep_content_verbatim() {
    let plan = parse(&with(
        "paths:\n  - path: /etc/app/app.conf\n    type: file\n    content: |\n      listen ${PORT}\n      user app\n  - {path: /etc/motd, type: file, content: \"\", uid: 1, gid: 2, permissions: 0o600}\n",
    ))
    .unwrap();
    assert_eq!(
        plan.paths,
        [
            PathMutation::File {
                path: "/etc/app/app.conf".into(),
                content: "listen ${PORT}\nuser app\n".into(),
                uid: 0,
                gid: 0,
                permissions: 0o644,
            },
            PathMutation::File {
                path: "/etc/motd".into(),
                content: String::new(),
                uid: 1,
                gid: 2,
                permissions: 0o600,
            },
        ]
    );
    assert_eq!(plan.paths[0].path(), "/etc/app/app.conf");
}

#[test]
fn file_path_errors_name_the_line() {
    let err = fails(
        &with("paths:\n  - {path: /a, type: directory}\n  - {path: /etc/x, type: file}\n"),
        5,
        "content",
    );
    assert!(
        err.to_string()
            .contains("`file` path `/etc/x` has no `content`"),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("empty-file"), "{err}");
    let err = fails(
        &with("paths:\n  - {path: /etc/x, type: directory, content: hi}\n"),
        4,
        "content",
    );
    assert!(
        err.to_string()
            .contains("does not apply to a path of type `directory`"),
        "{err}"
    );
    fails(
        &with("paths:\n  - {path: /etc/x, type: file, content: hi, source: /b}\n"),
        4,
        "source",
    );
    fails(
        &with("paths:\n  - {path: etc/x, type: file, content: hi}\n"),
        4,
        "path",
    );
}

#[test]
fn alternatives_map_names_to_providers() {
    let env =
        |name: &str| (name == "JVM").then(|| "/usr/lib/jvm/java-17-openjdk-amd64".to_string());
    let text = with("alternatives:\n  java: ${JVM}/bin/java\n  editor: /usr/bin/vim.basic\n");
    let plan = BuildPlan::from_str_with_env(&text, Path::new("python.yaml"), &env).unwrap();
    assert_eq!(
        plan.alternatives,
        BTreeMap::from([
            ("editor".to_string(), "/usr/bin/vim.basic".to_string()),
            (
                "java".to_string(),
                "/usr/lib/jvm/java-17-openjdk-amd64/bin/java".to_string()
            ),
        ])
    );
    assert!(parse(&with("")).unwrap().alternatives.is_empty());
}

#[test]
fn alternative_errors_name_the_line() {
    let err = fails(
        &with("alternatives:\n  java: /usr/bin/java\n  js: bin/nodejs\n"),
        5,
        "js",
    );
    assert!(
        err.to_string()
            .contains("the provider `bin/nodejs` of alternative `js` is not an absolute path"),
        "{err}"
    );
    let err = fails(
        &with("alternatives:\n  /usr/bin/java: /usr/lib/jvm/x/bin/java\n"),
        4,
        "alternatives",
    );
    assert!(
        err.to_string().contains("is not an alternative's name"),
        "{err}"
    );
    fails(&with("alternatives: [java]\n"), 3, "alternatives");
}

#[test]
fn included_alternatives_are_overridden_by_the_including_file() {
    let dir = tempfile::tempdir().unwrap();
    fs_write(
        &dir.path().join("base.yaml"),
        "contents: {packages: [a]}\nalternatives: {java: /a/java, js: /a/js}\npaths: [{path: /etc/a, type: file, content: base}]\n",
    );
    let top = dir.path().join("top.yaml");
    fs_write(
        &top,
        "include: base.yaml\nalternatives: {java: /b/java}\npaths: [{path: /etc/b, type: file, content: top}]\n",
    );
    let plan = BuildPlan::from_file(&top).unwrap();
    assert_eq!(plan.alternatives["java"], "/b/java");
    assert_eq!(plan.alternatives["js"], "/a/js");
    assert_eq!(plan.paths.len(), 2);
}
