//! A recipe's `type: deb` entries as the Debian world reads them: defaults,
//! keyring paths relative to the recipe, and mistakes named at their line.

use std::path::Path;

use whittle_deb::DebRepository;
use whittle_recipe::{BuildPlan, ErrorKind, RecipeError};

fn entries(text: &str, file: &Path) -> Result<Vec<DebRepository>, RecipeError> {
    let plan = BuildPlan::from_str_with_env(text, file, &|v| {
        (v == "MIRROR").then(|| "http://deb.example".to_string())
    })
    .expect("the recipe crate keeps entries as written");
    plan.repositories
        .iter()
        .map(|s| DebRepository::from_spec(s, false))
        .collect()
}

fn refused(text: &str, line: usize, key: &str) -> RecipeError {
    let err = entries(text, Path::new("deb.yaml")).expect_err("refused");
    let msg = err.to_string();
    assert!(msg.contains("deb.yaml"), "{msg}");
    assert_eq!(err.line(), Some(line), "{msg}");
    assert_eq!(err.key(), Some(key), "{msg}");
    assert!(err.hint().is_some(), "{msg}");
    err
}

#[test]
fn defaults_and_expansion() {
    let repos = entries(
        "contents:\n  repositories:\n    - {type: deb, url: '${MIRROR}/debian', suites: [bookworm, bookworm-updates]}\n    - {type: deb, suites: [noble], components: [main, universe]}\n  packages: [a]\n",
        Path::new("deb.yaml"),
    )
    .unwrap();
    assert_eq!(
        repos,
        [
            DebRepository {
                url: Some("http://deb.example/debian".into()),
                suites: vec!["bookworm".into(), "bookworm-updates".into()],
                components: vec!["main".into()],
                keyring: None,
                archive: None,
                default_components: true,
                inline_keys: Vec::new(),
            },
            DebRepository {
                url: None,
                suites: vec!["noble".into()],
                components: vec!["main".into(), "universe".into()],
                keyring: None,
                archive: None,
                default_components: false,
                inline_keys: Vec::new(),
            },
        ]
    );
}

#[test]
fn keyring_is_relative_to_the_recipe() {
    let repos = entries(
        "contents:\n  repositories: [{type: deb, suites: [bookworm], keyring: keys/debian.gpg}]\n  packages: [a]\n",
        Path::new("/srv/recipes/app.yaml"),
    )
    .unwrap();
    assert_eq!(
        repos[0].keyring.as_deref(),
        Some("/srv/recipes/keys/debian.gpg")
    );
}

#[test]
fn mistakes_are_named_at_their_line() {
    let err = refused(
        "contents:\n  repositories:\n    - https://x/os\n  packages: [a]\n",
        3,
        "repositories",
    );
    assert!(err.to_string().contains("not a Debian repository"), "{err}");
    let err = refused(
        "contents:\n  repositories:\n    - type: deb\n      url: http://deb.example/debian\n  packages: [a]\n",
        3,
        "suites",
    );
    assert_eq!(err.kind(), ErrorKind::MissingKey);
    let err = refused(
        "contents:\n  repositories:\n    - type: deb\n      suites: []\n  packages: [a]\n",
        3,
        "suites",
    );
    assert!(err.to_string().contains("without suites"), "{err}");
    refused(
        "contents:\n  repositories:\n    - {type: deb, suites: [x], components: []}\n  packages: [a]\n",
        3,
        "components",
    );
    let err = refused(
        "contents:\n  repositories:\n    - type: deb\n      suites: [bookworm]\n      tag: edge\n  packages: [a]\n",
        5,
        "tag",
    );
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
    let err = refused(
        "contents:\n  packages: [a]\n  runtime_repositories:\n    - {type: deb, suites: [x]}\n",
        4,
        "repositories",
    );
    assert!(err.to_string().contains("no effect"), "{err}");
}
