//! Recipes written by whittle itself: the record of a recipe's `contents`
//! (repositories and keyring) that a build keeps on the image's entry in
//! the `index.json` of the archive or layout it writes (outside the image
//! digest: the same packages from another mirror make the same image), and a recipe made from that record or from another recipe
//! with its package list replaced (`whittle init --from`).
//!
//! The record is JSON with sorted keys (so a build stays reproducible), in
//! the recipe's own shape: `keyring`, `repositories`, `build_repositories`,
//! `runtime_repositories` and `exclude`, each entry as written (`${VAR}` expanded), with
//! any `user:password@` removed from URLs.

use std::path::Path;

use serde_json::{Map, Value};
use serde_yaml_ng::Value as Yaml;

use crate::arch::Arch;
use crate::plan::BuildPlan;
use crate::repository::{RepositoryBody, RepositoryRole};

/// The `index.json` entry annotation that holds [`contents_record`].
pub const CONTENTS_ANNOTATION: &str = "dev.whittle.recipe.contents";

/// Why a derived recipe could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DerivedRecipeError {
    /// The image's record is not what [`contents_record`] writes.
    #[error("the image's {CONTENTS_ANNOTATION} annotation is not a recipe's contents record; pass the repositories with --repos RECIPE")]
    BadRecord(#[source] serde_json::Error),
    /// The recipe given is not a YAML map.
    #[error("{path} is not a recipe (YAML with a `contents:` map); pass the recipe whose repositories to use")]
    NotARecipe {
        /// The recipe.
        path: String,
    },
    /// YAML could not be read or written.
    #[error("cannot read or write {path} as YAML")]
    Yaml {
        /// The recipe.
        path: String,
        /// The cause.
        #[source]
        source: serde_yaml_ng::Error,
    },
}

/// The record of `plan`'s repositories and keyring kept in the image.
/// Keyring paths inside the recipe's folder are kept relative to it, so
/// the same recipe gives the same record wherever it lies.
pub fn contents_record(plan: &BuildPlan) -> String {
    let mut out = Map::new();
    let folder = plan.source.parent().unwrap_or_else(|| Path::new(""));
    let keyring: Vec<Value> = plan
        .keyrings
        .iter()
        .map(|k| {
            let rel = Path::new(k)
                .strip_prefix(folder)
                .ok()
                .filter(|_| !folder.as_os_str().is_empty())
                .map(|p| p.display().to_string());
            Value::String(strip_credentials(&rel.unwrap_or_else(|| k.clone())))
        })
        .collect();
    if !keyring.is_empty() {
        out.insert("keyring".into(), Value::Array(keyring));
    }
    // Excluded names change what resolves, so they travel too.
    if !plan.exclude.is_empty() {
        let exclude = plan.exclude.iter().cloned().map(Value::String).collect();
        out.insert("exclude".into(), Value::Array(exclude));
    }
    for (role, key) in [
        (RepositoryRole::Resolve, "repositories"),
        (RepositoryRole::BuildOnly, "build_repositories"),
        (RepositoryRole::RuntimeOnly, "runtime_repositories"),
    ] {
        let entries: Vec<Value> = plan
            .repositories
            .iter()
            .filter(|r| r.role == role)
            .filter_map(|r| {
                let mut v = match &r.body {
                    RepositoryBody::Plain(text) => Value::String(text.clone()),
                    RepositoryBody::Map(map) => {
                        let mut v = serde_json::to_value(map).ok()?;
                        if let (Value::Object(o), Some(kind)) = (&mut v, &r.kind) {
                            o.insert("type".into(), Value::String(kind.clone()));
                        }
                        v
                    }
                };
                strip_all(&mut v);
                Some(v)
            })
            .collect();
        if !entries.is_empty() {
            out.insert(key.into(), Value::Array(entries));
        }
    }
    Value::Object(out).to_string()
}

/// A recipe (YAML) from an image's contents record: its repositories and
/// keyring, `packages`, and `archs` (left out when empty).
pub fn recipe_from_record(
    record: &str,
    packages: &[String],
    archs: &[Arch],
) -> Result<String, DerivedRecipeError> {
    let contents: Value = serde_json::from_str(record).map_err(DerivedRecipeError::BadRecord)?;
    let mut contents: Yaml =
        serde_yaml_ng::to_value(&contents).map_err(|source| DerivedRecipeError::Yaml {
            path: CONTENTS_ANNOTATION.into(),
            source,
        })?;
    let Yaml::Mapping(map) = &mut contents else {
        return Err(DerivedRecipeError::BadRecord(serde::de::Error::custom(
            "not a JSON object",
        )));
    };
    map.insert("packages".into(), package_list(packages));
    let mut top = serde_yaml_ng::Mapping::new();
    top.insert("contents".into(), contents);
    if !archs.is_empty() {
        let archs: Vec<Yaml> = archs.iter().map(|a| Yaml::String(a.to_string())).collect();
        top.insert("archs".into(), Yaml::Sequence(archs));
    }
    serde_yaml_ng::to_string(&top).map_err(|source| DerivedRecipeError::Yaml {
        path: CONTENTS_ANNOTATION.into(),
        source,
    })
}

/// `recipe` (YAML text read from `path`) with `contents.packages` set to
/// `packages`; everything else is kept (comments are not).
pub fn with_packages(
    recipe: &str,
    path: &Path,
    packages: &[String],
) -> Result<String, DerivedRecipeError> {
    let name = || path.display().to_string();
    let mut doc: Yaml =
        serde_yaml_ng::from_str(recipe).map_err(|source| DerivedRecipeError::Yaml {
            path: name(),
            source,
        })?;
    let Yaml::Mapping(top) = &mut doc else {
        return Err(DerivedRecipeError::NotARecipe { path: name() });
    };
    let contents = top
        .entry("contents".into())
        .or_insert_with(|| Yaml::Mapping(serde_yaml_ng::Mapping::new()));
    let Yaml::Mapping(contents) = contents else {
        return Err(DerivedRecipeError::NotARecipe { path: name() });
    };
    contents.insert("packages".into(), package_list(packages));
    serde_yaml_ng::to_string(&doc).map_err(|source| DerivedRecipeError::Yaml {
        path: name(),
        source,
    })
}

fn package_list(packages: &[String]) -> Yaml {
    Yaml::Sequence(packages.iter().map(|p| Yaml::String(p.clone())).collect())
}

fn strip_all(v: &mut Value) {
    match v {
        Value::String(s) => *s = strip_credentials(s),
        Value::Array(a) => a.iter_mut().for_each(strip_all),
        Value::Object(o) => o.values_mut().for_each(strip_all),
        _ => {}
    }
}

/// `text` with the `user:password@` of every URL in it removed.
fn strip_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(['/', ' ', '?', '#']).unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(i) => out.push_str(&authority[i + 1..]),
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> BuildPlan {
        BuildPlan::from_str_with_env(text, Path::new("/r/recipe.yaml"), &|_| None).unwrap()
    }

    #[test]
    fn the_record_keeps_repositories_and_keyring_without_credentials() {
        let p = plan(
            "contents:\n  keyring: [keys/a.rsa.pub, https://u:pw@k.example/b.pub]\n  repositories:\n    - type: deb\n      url: https://user:secret@deb.example/debian\n      suites: [stable]\n    - \"@local https://x:y@apk.example/main\"\n  build_repositories: [https://b.example/os]\n  packages: [a]\n  exclude: [dpkg]\n",
        );
        let record = contents_record(&p);
        assert!(
            !record.contains("secret") && !record.contains("pw@") && !record.contains("x:y"),
            "{record}"
        );
        let v: Value = serde_json::from_str(&record).unwrap();
        assert_eq!(v["keyring"][0], "keys/a.rsa.pub");
        assert_eq!(v["keyring"][1], "https://k.example/b.pub");
        assert_eq!(v["repositories"][0]["type"], "deb");
        assert_eq!(v["repositories"][0]["url"], "https://deb.example/debian");
        assert_eq!(v["repositories"][1], "@local https://apk.example/main");
        assert_eq!(v["build_repositories"][0], "https://b.example/os");
        assert_eq!(v["exclude"][0], "dpkg");
        // The same plan, the same bytes.
        assert_eq!(record, contents_record(&p));
        // And back into a recipe that reads.
        let yaml =
            recipe_from_record(&record, &["x".into(), "y=1".into()], &[Arch::Amd64]).unwrap();
        let back =
            BuildPlan::from_str_with_env(&yaml, Path::new("/r/out.yaml"), &|_| None).unwrap();
        assert_eq!(back.packages.len(), 2);
        assert_eq!(back.repositories.len(), 3);
        assert_eq!(back.archs, [Arch::Amd64]);
        assert_eq!(back.exclude, ["dpkg"]);
    }

    #[test]
    fn packages_are_replaced_and_the_rest_kept() {
        let text = "contents:\n  repositories: [https://r.example/os]\n  packages: [old]\n  exclude: [x]\nentrypoint: {command: /bin/app}\n";
        let out = with_packages(text, Path::new("base.yaml"), &["new".into()]).unwrap();
        let p = plan(&out);
        assert_eq!(p.packages[0].name, "new");
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.exclude, ["x"]);
        assert_eq!(p.entrypoint, ["/bin/app"]);
        assert!(matches!(
            with_packages("- a\n", Path::new("l.yaml"), &[]),
            Err(DerivedRecipeError::NotARecipe { .. })
        ));
    }
}
