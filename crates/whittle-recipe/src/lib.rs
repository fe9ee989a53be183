//! The whittle recipe file: YAML in, validated [`BuildPlan`] out.
//!
//! A recipe says, declaratively and with apko's keys, what goes into a
//! minimal image: which repositories to take packages from, which packages,
//! the users, the entrypoint and the image config. This crate reads the file
//! and checks it; it does no network or package work.
//!
//! * Unknown keys are errors (typos do not go unnoticed), and every error
//!   names the file, line, column and key, with a hint on what to do
//!   ([`RecipeError`]).
//! * `${VAR}` in string values is expanded from the environment
//!   (`${VAR:-default}` too); an unset variable is an error.
//! * `include: other.yaml` merges another recipe under this one (lists
//!   concatenated, maps merged, this file wins).
//! * Repository entries are kept world-neutral ([`RepositorySpec`]): the
//!   package world their `type:` names (or the world that reads apko's
//!   plain URL strings) parses them, with errors at the entry's line.
//!   Relative paths in them, and in `contents.keyring`, are resolved
//!   against the directory of the recipe file that wrote them (an included
//!   file's against its own), never against the working directory: a
//!   recipe then means the same thing wherever it is built from. (apko
//!   resolves them against its working directory; the two agree when it is
//!   run next to its config, as is usual.) Paths given on the command line
//!   stay relative to the working directory.
//! * apko keys whittle does not support (`os-release`, `certificates`,
//!   `contents.baseimage`, `contents.runtime_keyring`, the s6
//!   `entrypoint.type: service-bundle`, `format: erofs`) are errors of kind
//!   [`ErrorKind::Unsupported`] that say what to do instead.
//!
//! ```
//! use std::path::Path;
//! use whittle_recipe::{Arch, BuildPlan, Op, RepositoryBody};
//!
//! let recipe = r#"
//! contents:
//!   repositories:
//!     - type: deb
//!       url: ${MIRROR}/debian
//!       suites: [bookworm]
//!   packages: [ca-certificates, tzdata=2025a-0+deb12u1]
//! accounts:
//!   users: [{username: nonroot, uid: 65532}]
//!   run-as: nonroot
//! cmd: -c "print('hi')"
//! archs: [x86_64, arm64]
//! "#;
//! let env = |name: &str| (name == "MIRROR").then(|| "http://deb.example".to_string());
//! let plan = BuildPlan::from_str_with_env(recipe, Path::new("demo.yaml"), &env).unwrap();
//!
//! // Repository entries stay as written (`${VAR}` expanded): the package
//! // world their `type:` names parses them.
//! let repo = &plan.repositories[0];
//! assert_eq!(repo.kind.as_deref(), Some("deb"));
//! let RepositoryBody::Map(fields) = &repo.body else { panic!() };
//! assert_eq!(fields["url"].as_str(), Some("http://deb.example/debian"));
//! assert_eq!(plan.packages[1].constraint, Some((Op::Eq, "2025a-0+deb12u1".into())));
//! assert_eq!(plan.cmd, ["-c", "print('hi')"]);
//! assert_eq!(plan.archs, [Arch::Amd64, Arch::Arm64]);
//! assert_eq!(plan.run_as_uid(), Some(65532));
//!
//! let err = BuildPlan::from_str_with_env("contents:\n  pacakges: [x]\n", Path::new("demo.yaml"), &env)
//!     .unwrap_err();
//! assert_eq!(err.line(), Some(2));
//! assert!(err.to_string().contains("unknown key `pacakges` at contents (demo.yaml line 2, column 3)"));
//! ```
#![deny(missing_docs)]

mod accounts;
pub mod arch;
mod argv;
mod convert;
mod derived;
mod edit;
mod error;
mod include;
mod layering;
mod locate;
mod package_spec;
mod paths;
mod plan;
mod raw;
mod repository;
mod validate;
mod vars;

pub use accounts::{Accounts, Group, User};
pub use arch::{Arch, UnknownArch};
pub use derived::{
    contents_record, recipe_from_record, with_packages, DerivedRecipeError, CONTENTS_ANNOTATION,
};
pub use edit::PlanEditError;
pub use error::{ErrorKind, RecipeError};
pub use layering::{Layering, LayeringStrategy};
pub use package_spec::{Op, PackageRequest, SpecError};
pub use paths::PathMutation;
pub use plan::BuildPlan;
pub use repository::{Origin, RepositoryBody, RepositoryRole, RepositorySpec};
