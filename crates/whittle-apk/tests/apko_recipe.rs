//! apko compatibility of recipes: every apko configuration key, the real
//! apko config from the golden fixture, relative keyring/repository paths,
//! unsupported apko keys, and the plan side of apko's `-k/-r/-b` flags —
//! read by the recipe crate, the repositories by this world.

use std::path::{Path, PathBuf};

use whittle_apk::{ApkRepositories, ApkRepository};
use whittle_recipe::{
    Arch, BuildPlan, ErrorKind, Layering, LayeringStrategy, PathMutation, PlanEditError,
    RecipeError,
};

fn parse(text: &str) -> Result<BuildPlan, RecipeError> {
    BuildPlan::from_str_with_env(text, Path::new("apko.yaml"), &|_| None)
}

/// A minimal valid recipe plus `extra` top-level YAML.
fn with(extra: &str) -> String {
    format!("contents:\n  packages: [busybox]\n{extra}")
}

/// Parse, expecting an error that names the file, line and key.
fn fails(text: &str, line: usize, key: &str) -> RecipeError {
    let err = parse(text).expect_err("recipe should be rejected");
    let msg = err.to_string();
    assert!(msg.contains("apko.yaml"), "no file name in: {msg}");
    assert!(
        msg.contains(&format!("line {line}")),
        "no `line {line}` in: {msg}"
    );
    assert!(msg.contains(key), "no key `{key}` in: {msg}");
    assert_eq!(err.line(), Some(line), "{msg}");
    assert_eq!(err.key(), Some(key), "{msg}");
    assert!(err.hint().is_some(), "no hint in: {msg}");
    err
}

fn apk(url: &str, tag: Option<&str>) -> ApkRepository {
    ApkRepository {
        url: url.into(),
        tag: tag.map(Into::into),
    }
}

/// The plan's repositories as the APK world reads them.
fn repos(plan: &BuildPlan) -> Result<ApkRepositories, RecipeError> {
    let specs: Vec<_> = plan.repositories.iter().collect();
    ApkRepositories::from_specs(&specs)
}

/// Sources (resolve + build) and image lines (resolve as written + runtime).
fn apk_repos(plan: &BuildPlan) -> (Vec<ApkRepository>, Vec<String>) {
    let r = repos(plan).expect("the APK world reads the entries");
    (r.sources, r.image_lines)
}

fn check_golden(path: &Path) {
    let plan = BuildPlan::from_file(path).expect("the golden apko.yaml parses");
    let dir = path.parent().expect("has a directory");
    let under = |rel: &str| dir.join(rel).to_string_lossy().into_owned();
    assert_eq!(plan.keyrings, [under("testdata/melange.rsa.pub")]);
    let (sources, lines) = apk_repos(&plan);
    assert_eq!(sources, [apk(&under("testdata/packages"), None)]);
    // The image gets the repository as written, like apko's golden image.
    assert_eq!(lines, ["./testdata/packages"]);
    let names: Vec<&str> = plan.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["replayout"]);
    assert_eq!(plan.entrypoint, ["/bin/sh", "-l"]);
    assert_eq!(plan.archs, [Arch::Amd64, Arch::Arm64]);
    assert_eq!(plan.repositories.len(), 1);
    assert_eq!(plan.layering, None);
    assert!(!plan.ignore_signatures);
}

#[test]
fn golden_apko_config_parses_unchanged() {
    // Read in place from the shared fixtures (never copied into the repo).
    let shared = whittle_test_env::fixtures::path("apk/apko-golden/apko.yaml");
    check_golden(&shared);
}

const ALL_KEYS: &str = r#"contents:
  keyring:
    - https://wolfi.mirror.invalid/os/wolfi-signing.rsa.pub
  repositories:
    - https://wolfi.mirror.invalid/os
    - '@local /srv/packages'
  build_repositories:
    - https://build.example/os
    - '@b https://tagged.example/os'
  runtime_repositories:
    - https://runtime.example/os
  packages:
    - wolfi-base
    - a=1.2-r0
    - b~3.11
    - c>1
    - d>=2
    - e<3
    - f<=4
    - g@local
    - h=~5
accounts:
  groups:
    - groupname: nonroot
      gid: 65532
      members: [nonroot]
  users:
    - username: nonroot
      uid: 65532
      gid: 65532
      shell: /bin/false
      homedir: /home/nonroot
  run-as: nonroot
entrypoint:
  command: /usr/bin/app --serve
cmd: --port 8080
stop-signal: SIGQUIT
work-dir: /app
environment:
  FOO: bar
archs: [x86_64, arm64]
annotations:
  org.opencontainers.image.title: app
paths:
  - path: /app
    type: directory
    uid: 65532
    gid: 65532
    permissions: 0o755
    recursive: true
  - path: /app/ready
    type: empty-file
    permissions: 0o644
  - path: /app/hard
    type: hardlink
    source: /app/ready
  - path: /app/soft
    type: symlink
    source: ready
  - path: /tmp
    type: permissions
    permissions: 0o1777
volumes: [/data]
vcs-url: https://github.com/example/app@0123456789abcdef0123456789abcdef01234567
layering:
  strategy: origin
  budget: 10
format: tar
"#;

#[test]
fn every_apko_key() {
    let plan = parse(ALL_KEYS).expect("all apko keys parse");
    assert_eq!(
        plan.keyrings,
        ["https://wolfi.mirror.invalid/os/wolfi-signing.rsa.pub"]
    );
    let (sources, lines) = apk_repos(&plan);
    // Resolve from repositories + build_repositories, never runtime ones.
    assert_eq!(
        sources,
        [
            apk("https://wolfi.mirror.invalid/os", None),
            apk("/srv/packages", Some("local")),
            apk("https://build.example/os", None),
            apk("https://tagged.example/os", Some("b")),
        ]
    );
    assert_eq!(plan.repositories_for_resolving().count(), 4);
    // Write repositories + runtime_repositories, never build ones.
    assert_eq!(
        lines,
        [
            "https://wolfi.mirror.invalid/os",
            "@local /srv/packages",
            "https://runtime.example/os"
        ]
    );
    let specs: Vec<String> = plan
        .packages
        .iter()
        .map(|p| {
            let mut s = p.name.clone();
            if let Some((op, v)) = &p.constraint {
                s.push_str(&format!("{op}{v}"));
            }
            if let Some(tag) = &p.tag {
                s.push_str(&format!("@{tag}"));
            }
            s
        })
        .collect();
    assert_eq!(
        specs,
        [
            "wolfi-base",
            "a=1.2-r0",
            "b~3.11",
            "c>1",
            "d>=2",
            "e<3",
            "f<=4",
            "g@local",
            "h~5"
        ]
    );
    assert_eq!(plan.accounts.groups[0].members, ["nonroot"]);
    assert_eq!(plan.accounts.users[0].shell.as_deref(), Some("/bin/false"));
    assert_eq!(plan.run_as_uid(), Some(65532));
    assert_eq!(plan.entrypoint, ["/usr/bin/app", "--serve"]);
    assert_eq!(plan.cmd, ["--port", "8080"]);
    assert_eq!(plan.stop_signal.as_deref(), Some("SIGQUIT"));
    assert_eq!(plan.work_dir.as_deref(), Some("/app"));
    assert_eq!(plan.environment["FOO"], "bar");
    assert_eq!(plan.archs, [Arch::Amd64, Arch::Arm64]);
    assert_eq!(plan.annotations["org.opencontainers.image.title"], "app");
    assert_eq!(plan.volumes, ["/data"]);
    assert_eq!(plan.paths.len(), 5);
    assert!(matches!(
        plan.paths[0],
        PathMutation::Directory {
            recursive: true,
            uid: 65532,
            ..
        }
    ));
    assert!(matches!(
        plan.paths[4],
        PathMutation::Permissions {
            permissions: 0o1777,
            ..
        }
    ));
    assert_eq!(
        plan.vcs_url.as_deref(),
        Some("https://github.com/example/app@0123456789abcdef0123456789abcdef01234567")
    );
    assert_eq!(
        plan.vcs_source_revision(),
        Some((
            "https://github.com/example/app",
            Some("0123456789abcdef0123456789abcdef01234567")
        ))
    );
    assert_eq!(
        plan.layering,
        Some(Layering {
            strategy: LayeringStrategy::Origin,
            budget: 10
        })
    );
    assert_eq!(LayeringStrategy::Origin.as_str(), "origin");
    assert!(!plan.ignore_signatures);
}

#[test]
fn shell_fragment_and_archs_either_naming() {
    let plan = parse(&with(
        "entrypoint:\n  shell-fragment: exec app\narchs: [aarch64, amd64, arm64]\n",
    ))
    .expect("parses");
    assert_eq!(plan.entrypoint, ["/bin/sh", "-c", "exec app"]);
    assert_eq!(plan.archs, [Arch::Arm64, Arch::Amd64]);
}

#[test]
fn vcs_url_forms() {
    let vcs = |v: &str| {
        parse(&with(&format!("vcs-url: \"{v}\"\n")))
            .expect("parses")
            .vcs_url
    };
    assert_eq!(vcs("https://x/r").as_deref(), Some("https://x/r"));
    assert_eq!(vcs(""), None);
    let plan = parse(&with("vcs-url: https://x/r\n")).expect("parses");
    assert_eq!(plan.vcs_source_revision(), Some(("https://x/r", None)));
    let plan = parse(&with("vcs-url: git@github.com:o/r\n")).expect("parses");
    assert_eq!(
        plan.vcs_source_revision(),
        Some(("git@github.com:o/r", None))
    );
    let plan = parse(&with("")).expect("parses");
    assert_eq!(plan.vcs_source_revision(), None);
}

#[test]
fn include_merges_new_keys() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs_err::create_dir(dir.join("base")).expect("mkdir");
    write(
        &dir.join("base/base.yaml"),
        "contents:\n  keyring: [keys/base.rsa.pub]\n  repositories: [./repo]\n  build_repositories: [./build]\n  runtime_repositories: [https://rt/os]\n  packages: [a]\nlayering: {strategy: origin, budget: 3}\nvcs-url: https://x/base@1\n",
    );
    write(
        &dir.join("app.yaml"),
        "include: base/base.yaml\ncontents:\n  repositories: [./local]\n  runtime_repositories: [https://rt2/os]\n  packages: [b]\nlayering: {strategy: origin, budget: 5}\n",
    );
    let plan = BuildPlan::from_file(&dir.join("app.yaml")).expect("parses");
    let s = |p: PathBuf| p.to_string_lossy().into_owned();
    // Each file's relative paths are relative to that file.
    assert_eq!(plan.keyrings, [s(dir.join("base/keys/base.rsa.pub"))]);
    let (sources, lines) = apk_repos(&plan);
    assert_eq!(
        sources,
        [
            apk(&s(dir.join("base/repo")), None),
            apk(&s(dir.join("local")), None),
            apk(&s(dir.join("base/build")), None),
        ]
    );
    assert_eq!(
        lines,
        ["./repo", "./local", "https://rt/os", "https://rt2/os"]
    );
    assert_eq!(plan.layering.map(|l| l.budget), Some(5));
    assert_eq!(plan.vcs_url.as_deref(), Some("https://x/base@1"));
}

#[test]
fn relative_paths_resolve_against_the_recipe_not_the_cwd() {
    // `Cargo.toml` and `src` exist relative to the working directory of
    // `cargo test` (the crate directory); the recipe's directory wins anyway.
    assert!(Path::new("Cargo.toml").exists());
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(
        &dir.join("r.yaml"),
        "contents:\n  keyring: [Cargo.toml, ./keys/../k.rsa.pub, /abs/k.rsa.pub, https://h/k.rsa.pub]\n  repositories:\n    - src\n    - '@t ./pkgs'\n    - {type: apk, url: ./m, tag: mt}\n    - file:///abs/repo\n  runtime_repositories: [./not-resolved]\n  packages: [a]\n",
    );
    let plan = BuildPlan::from_file(&dir.join("r.yaml")).expect("parses");
    let s = |rel: &str| dir.join(rel).to_string_lossy().into_owned();
    assert_eq!(
        plan.keyrings,
        [
            s("Cargo.toml"),
            s("keys/../k.rsa.pub"),
            "/abs/k.rsa.pub".into(),
            "https://h/k.rsa.pub".into()
        ]
    );
    let (sources, lines) = apk_repos(&plan);
    assert_eq!(
        sources,
        [
            apk(&s("src"), None),
            apk(&s("pkgs"), Some("t")),
            apk(&s("m"), Some("mt")),
            apk("file:///abs/repo", None),
        ]
    );
    // Runtime entries are never read on the build host: kept as written.
    assert_eq!(
        lines,
        [
            "src",
            "@t ./pkgs",
            "@mt ./m",
            "file:///abs/repo",
            "./not-resolved"
        ]
    );

    // A recipe named without a directory is in the working directory:
    // nothing to resolve.
    let plan =
        parse("contents:\n  keyring: [./k.rsa.pub]\n  repositories: [./r]\n  packages: [a]\n")
            .expect("parses");
    assert_eq!(plan.keyrings, ["./k.rsa.pub"]);
    assert_eq!(apk_repos(&plan).0, [apk("./r", None)]);
}

// ---- errors ----

#[test]
fn unsupported_apko_keys_are_named() {
    let err = fails(
        &with("os-release:\n  id: wolfi\n  name: Wolfi\n"),
        3,
        "os-release",
    );
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(
        err.to_string()
            .contains("not supported: install a package that ships /etc/os-release"),
        "{err}"
    );
    let err = fails(
        &with("certificates:\n  additional: [{name: x, content: y}]\n"),
        3,
        "certificates",
    );
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    fails(&with("options: {}\n"), 3, "options");
    let err = fails(
        "contents:\n  packages: [a]\n  baseimage:\n    image: ./base\n",
        3,
        "baseimage",
    );
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    fails(
        "contents:\n  packages: [a]\n  runtime_keyring:\n    - {name: k, content: x}\n",
        3,
        "runtime_keyring",
    );
    let err = fails(
        &with("entrypoint:\n  type: service-bundle\n  services: {a: /bin/a}\n"),
        4,
        "type",
    );
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains("service-bundle"), "{err}");
    let err = fails(&with("format: erofs\n"), 3, "format");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    // A plain typo is still an unknown key with a suggestion.
    let err = fails(
        "contents:\n  packages: [a]\n  build-repositories: [https://x/os]\n",
        3,
        "build-repositories",
    );
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
    assert!(
        err.to_string()
            .contains("did you mean `build_repositories`"),
        "{err}"
    );
    let err = fails(&with("vcs_url: https://x\n"), 3, "vcs_url");
    assert!(err.to_string().contains("vcs-url"), "{err}");
}

#[test]
fn layering_errors() {
    let err = fails(
        &with("layering:\n  strategy: size\n  budget: 4\n"),
        4,
        "strategy",
    );
    assert!(
        err.to_string().contains("unknown layering strategy `size`"),
        "{err}"
    );
    assert!(err.to_string().contains("origin"), "{err}");
    let err = fails(
        &with("layering:\n  strategy: origin\n  budget: 0\n"),
        5,
        "budget",
    );
    assert!(err.to_string().contains("less than 1"), "{err}");
    fails(
        &with("layering:\n  strategy: origin\n  budget: -2\n"),
        5,
        "budget",
    );
    let err = fails(&with("layering:\n  strategy: origin\n"), 4, "budget");
    assert_eq!(err.kind(), ErrorKind::MissingKey);
    let err = fails(
        &with("layering:\n  strategy: origin\n  budget: 2\n  max: 3\n"),
        6,
        "max",
    );
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
    let err = fails(
        &with("layering:\n  strategy: origin\n  budget: many\n"),
        5,
        "budget",
    );
    assert_eq!(err.kind(), ErrorKind::InvalidType);
}

/// An entry the APK world cannot read is an error at its line.
fn refused(text: &str, line: usize) -> RecipeError {
    let plan = parse(text).expect("the recipe crate keeps entries as written");
    let err = repos(&plan).expect_err("the APK world refuses it");
    let msg = err.to_string();
    assert!(msg.contains("apko.yaml"), "{msg}");
    assert_eq!(err.line(), Some(line), "{msg}");
    assert!(err.hint().is_some(), "{msg}");
    err
}

#[test]
fn build_and_runtime_repository_errors() {
    let err = refused(
        "contents:\n  packages: [a]\n  build_repositories:\n    - https://ok/os\n    - '@tagonly'\n",
        5,
    );
    assert!(err.to_string().contains("@tagonly"), "{err}");
    refused(
        "contents:\n  packages: [a]\n  runtime_repositories:\n    - 'a b'\n",
        4,
    );
    let err = refused(
        "contents:\n  packages: [a]\n  repositories:\n    - {type: apk, url: https://x/os, flavour: edge}\n",
        4,
    );
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
    assert!(err.to_string().contains("known keys: url, tag"), "{err}");
    let err = refused(
        "contents:\n  packages: [a]\n  repositories:\n    - {type: apk, tag: edge}\n",
        4,
    );
    assert_eq!(err.kind(), ErrorKind::MissingKey);
    let plan = parse(
        "contents:\n  repositories:\n    - {type: apk, url: https://x/os, tag: edge}\n  packages: [a]\n",
    )
    .expect("parses");
    assert_eq!(apk_repos(&plan).0, [apk("https://x/os", Some("edge"))]);
}

// ---- the plan side of -k/-r/-b ----

#[test]
fn append_to_an_apk_or_empty_plan() {
    let mut plan = parse("contents:\n  packages: [a]\n").expect("parses");
    plan.append_keyring("./k.rsa.pub").expect("key");
    plan.append_repository("@local ./packages").expect("repo");
    plan.append_build_repository("https://b/os")
        .expect("build repo");
    assert_eq!(plan.keyrings, ["./k.rsa.pub"]);
    // Command-line paths stay relative to the working directory.
    let (sources, lines) = apk_repos(&plan);
    assert_eq!(
        sources,
        [apk("./packages", Some("local")), apk("https://b/os", None)]
    );
    assert_eq!(lines, ["@local ./packages"]);
    assert_eq!(plan.repositories_for_resolving().count(), 2);

    assert_eq!(
        plan.append_repository(" "),
        Err(PlanEditError::EmptyRepository)
    );
    assert_eq!(plan.append_keyring(""), Err(PlanEditError::EmptyKeyring));
    // What is not a repository is named with the flag that gave it.
    plan.append_build_repository("@x").expect("kept as given");
    let err = repos(&plan).expect_err("refused");
    assert!(
        err.to_string().contains("--build-repository-append") && err.to_string().contains("@x"),
        "{err}"
    );
}

fn write(path: &Path, text: &str) {
    fs_err::write(path, text).expect("write test recipe");
}
