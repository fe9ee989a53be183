//! Command-line additions to a plan (apko's `-k`, `-r`, `-b`): kept as
//! given, relative paths relative to the working directory. Which package
//! world reads an added repository is decided with the rest of the
//! recipe's repositories, when the build opens its worlds.

use crate::plan::BuildPlan;
use crate::repository::{Origin, RepositoryBody, RepositoryRole, RepositorySpec};

/// A command-line addition to a plan that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanEditError {
    /// An empty repository.
    #[error("empty repository given on the command line: write a URL, a path, or `@tag URL`")]
    EmptyRepository,
    /// An empty keyring path or URL.
    #[error("empty keyring path or URL given on the command line")]
    EmptyKeyring,
}

impl BuildPlan {
    /// `-k/--keyring-append`: one more key (path or URL) the recipe's
    /// repositories trust.
    pub fn append_keyring(&mut self, key: &str) -> Result<(), PlanEditError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(PlanEditError::EmptyKeyring);
        }
        self.keyrings.push(key.to_string());
        Ok(())
    }

    /// `-r/--repository-append`: a plain repository (`URL`, path, or
    /// `@tag URL`) used to resolve and recorded in the image.
    pub fn append_repository(&mut self, text: &str) -> Result<(), PlanEditError> {
        self.append(text, RepositoryRole::Resolve, "--repository-append")
    }

    /// `-b/--build-repository-append`: a plain repository used to resolve
    /// but not recorded in the image.
    pub fn append_build_repository(&mut self, text: &str) -> Result<(), PlanEditError> {
        self.append(text, RepositoryRole::BuildOnly, "--build-repository-append")
    }

    /// Insert after the last repository of the same role, so ranks keep
    /// the recipe's before the command line's.
    fn append(
        &mut self,
        text: &str,
        role: RepositoryRole,
        flag: &str,
    ) -> Result<(), PlanEditError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PlanEditError::EmptyRepository);
        }
        let spec = RepositorySpec {
            kind: None,
            body: RepositoryBody::Plain(text.to_string()),
            role,
            origin: Origin::CommandLine {
                flag: flag.to_string(),
                file: self.source.clone(),
            },
            base: None,
        };
        let at = self
            .repositories
            .iter()
            .rposition(|r| r.role <= role)
            .map_or(0, |i| i + 1);
        self.repositories.insert(at, spec);
        Ok(())
    }
}
