//! Serde structs mirroring the recipe YAML one to one. Unknown keys are
//! errors. Nothing here is validated beyond YAML types: that is `plan.rs`'s
//! job. Strings are kept as written (no `${VAR}` expansion yet).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// The whole recipe file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawRecipe {
    pub include: Option<String>,
    pub contents: Option<RawContents>,
    pub accounts: Option<RawAccounts>,
    pub entrypoint: Option<RawEntrypoint>,
    pub cmd: Option<RawArgs>,
    pub work_dir: Option<String>,
    pub stop_signal: Option<String>,
    pub environment: Option<BTreeMap<String, String>>,
    pub archs: Option<Vec<String>>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub volumes: Option<Vec<String>>,
    pub paths: Option<Vec<RawPath>>,
    pub alternatives: Option<BTreeMap<String, String>>,
    pub vcs_url: Option<String>,
    pub rpmdb: Option<bool>,
    pub layering: Option<RawLayering>,
    pub format: Option<String>,
}

/// `layering:` (apko: `{strategy: origin, budget: N}`). The budget is read
/// signed so that a negative value gets our message, not serde's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawLayering {
    pub strategy: String,
    pub budget: i64,
}

/// `contents:`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawContents {
    pub repositories: Option<Vec<RawRepository>>,
    pub keyring: Option<Vec<String>>,
    pub packages: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    /// whittle: Chisel release trees (one path or a list of overlays).
    pub slices: Option<OneOrMany>,
    /// whittle: dpkg-style path filters over every package's files.
    pub path_exclude: Option<Vec<String>>,
    pub path_include: Option<Vec<String>>,
    /// apko spells these two with underscores.
    #[serde(rename = "build_repositories")]
    pub build_repositories: Option<Vec<RawRepository>>,
    #[serde(rename = "runtime_repositories")]
    pub runtime_repositories: Option<Vec<RawRepository>>,
}

/// One repository entry: a plain string (apko form) or a map with `type:`
/// whose other keys belong to the package world it names.
#[derive(Debug)]
pub(crate) enum RawRepository {
    Plain(String),
    Map(serde_yaml_ng::Mapping),
}

impl<'de> Deserialize<'de> for RawRepository {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRepository;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a repository URL string or a map with `type:`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawRepository::Plain(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                serde_yaml_ng::Mapping::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawRepository::Map)
            }
        }
        d.deserialize_any(V)
    }
}

/// `accounts:`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawAccounts {
    pub groups: Option<Vec<RawGroup>>,
    pub users: Option<Vec<RawUser>>,
    pub run_as: Option<String>,
}

/// One entry of `accounts.groups`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawGroup {
    pub groupname: String,
    pub gid: u32,
    pub members: Option<Vec<String>>,
}

/// One entry of `accounts.users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawUser {
    pub username: String,
    pub uid: u32,
    pub gid: Option<u32>,
    pub shell: Option<String>,
    pub homedir: Option<String>,
}

/// `entrypoint:` — a map (apko), a list (argv) or a string (split like a shell).
#[derive(Debug)]
pub(crate) enum RawEntrypoint {
    Args(RawArgs),
    Map(RawEntrypointMap),
}

/// The apko map form of `entrypoint`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawEntrypointMap {
    pub command: Option<String>,
    pub shell_fragment: Option<String>,
}

impl<'de> Deserialize<'de> for RawEntrypoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawEntrypoint;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command string, a list of arguments, or a map with `command` or `shell-fragment`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawEntrypoint::Args(RawArgs::Line(v.to_string())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<String>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(|v| RawEntrypoint::Args(RawArgs::List(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RawEntrypointMap::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawEntrypoint::Map)
            }
        }
        d.deserialize_any(V)
    }
}

/// `cmd:` — a string (split like a shell) or a list (argv).
#[derive(Debug)]
pub(crate) enum RawArgs {
    Line(String),
    List(Vec<String>),
}

impl<'de> Deserialize<'de> for RawArgs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawArgs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command string or a list of arguments")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawArgs::Line(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<String>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(RawArgs::List)
            }
        }
        d.deserialize_any(V)
    }
}

/// One entry of `paths:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawPath {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub permissions: Option<RawMode>,
    pub source: Option<String>,
    pub recursive: Option<bool>,
    pub content: Option<String>,
}

/// A file mode: a YAML int taken as is (`0o750` in YAML 1.2 or `488`), or a
/// string read as octal (`"0o750"`, `"0750"`, `"750"`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawMode(pub u32);

impl<'de> Deserialize<'de> for RawMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawMode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a file mode such as 0o755 or \"755\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                if v > 0o7777 {
                    return Err(E::custom(format!(
                        "file mode {v} (octal {v:o}) is larger than 0o7777; write it in octal, e.g. 0o755"
                    )));
                }
                Ok(RawMode(v as u32))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format!("file mode {v} is negative"))),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let digits = v.trim();
                let digits = digits
                    .strip_prefix("0o")
                    .or_else(|| digits.strip_prefix("0O"))
                    .unwrap_or(digits);
                match u32::from_str_radix(digits, 8) {
                    Ok(m) if m <= 0o7777 && !digits.is_empty() => Ok(RawMode(m)),
                    _ => Err(E::custom(format!(
                        "file mode `{v}` is not an octal mode between 0 and 0o7777 (e.g. 0o755)"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A value written either as one string or as a list of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(crate) fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}
