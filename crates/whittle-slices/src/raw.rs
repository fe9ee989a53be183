//! The YAML as written, before validation: what serde reads from
//! `chisel.yaml` and `slices/*.yaml`. Scalars are kept as their text, as
//! Chisel's Go decoder sees them (`version: 24.10` stays `24.10`, `mode:
//! 0755` is octal), unknown keys are ignored and repeated keys rejected.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// A scalar's text, whatever type it looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
        }
        d.deserialize_str(V)
    }
}

/// A boolean as Go's yaml.v3 reads one into a `bool` field (YAML 1.1
/// spellings included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flag(pub(crate) bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Some(Text(t)) = Option::<Text>::deserialize(d)? else {
            return Ok(Flag(false));
        };
        match t.as_str() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
                Ok(Flag(true))
            }
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n"
            | "N" => Ok(Flag(false)),
            other => Err(de::Error::custom(format!(
                "expected true or false, found {other:?}"
            ))),
        }
    }
}

/// An integer as yaml.v3 reads one: decimal, `0x`, `0o`, `0b`, and a
/// leading `0` meaning octal (YAML 1.1), underscores ignored.
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let t = text.replace('_', "");
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let value = if let Some(h) = t.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = t.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if let Some(b) = t.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else if t.len() > 1 && t.starts_with('0') {
        i64::from_str_radix(&t[1..], 8).ok()?
    } else {
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()?
    };
    Some(if neg { -value } else { value })
}

/// A mapping whose keys must be unique, in file order.
#[derive(Debug, Clone)]
pub(crate) struct UniqueMap<V>(pub(crate) Vec<(String, V)>);

impl<V> Default for UniqueMap<V> {
    fn default() -> Self {
        UniqueMap(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for UniqueMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = UniqueMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(UniqueMap::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(String, V)> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                while let Some(Text(key)) = map.next_key::<Text>()? {
                    if !seen.insert(key.clone()) {
                        return Err(de::Error::custom(format!(
                            "mapping key {key:?} already defined"
                        )));
                    }
                    let value = map.next_value::<V>()?;
                    out.push((key, value));
                }
                Ok(UniqueMap(out))
            }
        }
        d.deserialize_map(Vis(PhantomData))
    }
}

/// `arch:`, one name or a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Arch(pub(crate) Vec<String>);

impl<'de> Deserialize<'de> for Arch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Arch;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an architecture or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Arch, E> {
                Ok(Arch(vec![v.to_owned()]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Arch, E> {
                Ok(Arch(vec![v.to_string()]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Arch, E> {
                Ok(Arch(vec![v.to_string()]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Arch, E> {
                Ok(Arch::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Arch, A::Error> {
                let mut out = Vec::new();
                while let Some(Text(a)) = seq.next_element::<Text>()? {
                    out.push(a);
                }
                Ok(Arch(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The options of an essential in map form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EssentialOpts {
    pub(crate) arch: Option<Arch>,
}

/// `essential:` as written: absent, a list (v1, v2) or a map (v3).
#[derive(Debug, Clone, Default)]
pub(crate) enum EssentialField {
    /// Absent or null.
    #[default]
    Unset,
    /// A list of slice references (duplicates already rejected).
    List(Vec<String>),
    /// A map from slice reference to options.
    Map(Vec<(String, Option<EssentialOpts>)>),
    /// Some other scalar.
    Invalid,
}

impl<'de> Deserialize<'de> for EssentialField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EssentialField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list or a map of slices")
            }
            fn visit_unit<E: de::Error>(self) -> Result<EssentialField, E> {
                Ok(EssentialField::Unset)
            }
            fn visit_none<E: de::Error>(self) -> Result<EssentialField, E> {
                Ok(EssentialField::Unset)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<EssentialField, E> {
                Ok(EssentialField::Invalid)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<EssentialField, E> {
                Ok(EssentialField::Invalid)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<EssentialField, E> {
                Ok(EssentialField::Invalid)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<EssentialField, E> {
                Ok(EssentialField::Invalid)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<EssentialField, E> {
                Ok(EssentialField::Invalid)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EssentialField, A::Error> {
                let mut out: Vec<String> = Vec::new();
                while let Some(Text(name)) = seq.next_element::<Text>()? {
                    if out.contains(&name) {
                        return Err(de::Error::custom(format!(
                            "repeats {name} in essential fields"
                        )));
                    }
                    out.push(name);
                }
                Ok(EssentialField::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EssentialField, A::Error> {
                let m: UniqueMap<Option<EssentialOpts>> =
                    Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(EssentialField::Map(m.0))
            }
        }
        d.deserialize_any(V)
    }
}

/// `chisel.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawRelease {
    pub(crate) format: Option<Text>,
    pub(crate) maintenance: Option<RawMaintenance>,
    pub(crate) archives: Option<UniqueMap<RawArchive>>,
    #[serde(rename = "public-keys")]
    pub(crate) public_keys: Option<UniqueMap<RawPublicKey>>,
    #[serde(rename = "v2-archives")]
    pub(crate) v2_archives: Option<UniqueMap<RawArchive>>,
}

/// `maintenance:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawMaintenance {
    pub(crate) standard: Option<Text>,
    pub(crate) expanded: Option<Text>,
    pub(crate) legacy: Option<Text>,
    #[serde(rename = "end-of-life")]
    pub(crate) end_of_life: Option<Text>,
}

/// One archive.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawArchive {
    pub(crate) version: Option<Text>,
    pub(crate) suites: Option<Vec<Text>>,
    pub(crate) components: Option<Vec<Text>>,
    pub(crate) priority: Option<Text>,
    pub(crate) pro: Option<Text>,
    pub(crate) default: Flag,
    #[serde(rename = "public-keys")]
    pub(crate) public_keys: Option<Vec<Text>>,
}

/// One public key.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawPublicKey {
    pub(crate) id: Option<Text>,
    pub(crate) armor: Option<Text>,
}

/// `slices/<package>.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawPackage {
    pub(crate) package: Option<Text>,
    pub(crate) archive: Option<Text>,
    pub(crate) essential: EssentialField,
    pub(crate) slices: Option<UniqueMap<Option<RawSlice>>>,
    #[serde(rename = "v3-essential")]
    pub(crate) v3_essential: Option<UniqueMap<Option<EssentialOpts>>>,
}

/// One slice.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawSlice {
    pub(crate) hint: Option<Text>,
    pub(crate) essential: EssentialField,
    pub(crate) contents: Option<UniqueMap<Option<RawPath>>>,
    pub(crate) mutate: Option<Text>,
    #[serde(rename = "v3-essential")]
    pub(crate) v3_essential: Option<UniqueMap<Option<EssentialOpts>>>,
}

/// One path's options.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawPath {
    pub(crate) make: Flag,
    pub(crate) mode: Option<Text>,
    pub(crate) copy: Option<Text>,
    pub(crate) text: Option<Text>,
    pub(crate) symlink: Option<Text>,
    pub(crate) mutable: Flag,
    pub(crate) until: Option<Text>,
    pub(crate) arch: Option<Arch>,
    pub(crate) generate: Option<Text>,
    pub(crate) prefer: Option<Text>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_as_yaml_v3() {
        assert_eq!(parse_int("0755"), Some(0o755));
        assert_eq!(parse_int("02775"), Some(0o2775));
        assert_eq!(parse_int("0o644"), Some(0o644));
        assert_eq!(parse_int("755"), Some(755));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("-10"), Some(-10));
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("0789"), None);
        assert_eq!(parse_int("abc"), None);
        assert_eq!(parse_int(""), None);
    }

    #[test]
    fn scalars_keep_their_text() {
        let a: RawArchive = serde_yaml_ng::from_str("version: 24.10\npriority: 10\n").unwrap();
        assert_eq!(a.version, Some(Text("24.10".into())));
        assert_eq!(a.priority, Some(Text("10".into())));
        let p: RawPath = serde_yaml_ng::from_str("{mode: 0755, text: ~, arch: amd64}").unwrap();
        assert_eq!(p.mode, Some(Text("0755".into())));
        assert!(p.text.is_none());
        assert_eq!(p.arch, Some(Arch(vec!["amd64".into()])));
        let s: RawSlice = serde_yaml_ng::from_str("contents:\n  /a:\n  /b: {}\n").unwrap();
        let c = s.contents.unwrap().0;
        assert!(c[0].1.is_none() && c[1].1.is_some());
        let dup = serde_yaml_ng::from_str::<RawSlice>("contents:\n  /a:\n  /a:\n");
        assert!(dup.is_err());
    }
}
