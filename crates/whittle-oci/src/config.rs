//! The image config JSON (`application/vnd.oci.image.config.v1+json`).

use std::collections::BTreeMap;

use serde::Serialize;

/// The platform an image runs on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// Operating system, e.g. `"linux"`.
    pub os: String,
    /// CPU architecture in Go's spelling, e.g. `"amd64"`, `"arm64"`.
    pub architecture: String,
    /// CPU variant, e.g. `"v7"` for `arm`.
    pub variant: Option<String>,
}

impl Platform {
    /// `linux/<architecture>` without a variant.
    pub fn linux(architecture: &str) -> Self {
        Platform {
            os: "linux".to_string(),
            architecture: architecture.to_string(),
            variant: None,
        }
    }
}

/// What goes into one platform's image config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageConfig {
    /// The platform of the image.
    pub platform: Platform,
    /// `Entrypoint`; omitted when empty.
    pub entrypoint: Vec<String>,
    /// `Cmd`; omitted when empty.
    pub cmd: Vec<String>,
    /// `Env` as `K=V`, already sorted and defaulted by the caller; omitted
    /// when empty.
    pub env: Vec<String>,
    /// `User`.
    pub user: Option<String>,
    /// `WorkingDir`.
    pub working_dir: Option<String>,
    /// `StopSignal`.
    pub stop_signal: Option<String>,
    /// `Labels`; omitted when empty.
    pub labels: BTreeMap<String, String>,
    /// `Volumes` (paths); omitted when empty. Written sorted, without
    /// duplicates (it is a JSON object).
    pub volumes: Vec<String>,
    /// Seconds since the Unix epoch for `created` in the config and history.
    pub created_epoch: i64,
    /// The comment of every history entry, e.g. `"whittle build"`; omitted
    /// when empty.
    pub history_comment: String,
}

#[derive(Serialize)]
struct ConfigJson<'a> {
    architecture: &'a str,
    os: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
    created: &'a str,
    config: RunConfig<'a>,
    rootfs: RootFs<'a>,
    history: Vec<History<'a>>,
}

#[derive(Serialize)]
struct Empty {}

/// Docker's field order and names.
#[derive(Serialize)]
struct RunConfig<'a> {
    #[serde(rename = "User", skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(rename = "Env", skip_serializing_if = "<[_]>::is_empty")]
    env: &'a [String],
    #[serde(rename = "Entrypoint", skip_serializing_if = "<[_]>::is_empty")]
    entrypoint: &'a [String],
    #[serde(rename = "Cmd", skip_serializing_if = "<[_]>::is_empty")]
    cmd: &'a [String],
    #[serde(rename = "Volumes", skip_serializing_if = "BTreeMap::is_empty")]
    volumes: BTreeMap<&'a str, Empty>,
    #[serde(rename = "WorkingDir", skip_serializing_if = "Option::is_none")]
    working_dir: Option<&'a str>,
    #[serde(rename = "Labels", skip_serializing_if = "BTreeMap::is_empty")]
    labels: &'a BTreeMap<String, String>,
    #[serde(rename = "StopSignal", skip_serializing_if = "Option::is_none")]
    stop_signal: Option<&'a str>,
}

#[derive(Serialize)]
struct RootFs<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    diff_ids: Vec<&'a str>,
}

#[derive(Serialize)]
struct History<'a> {
    created: &'a str,
    created_by: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    comment: &'a str,
}

/// Serialise the config of an image whose layers have these diff IDs
/// (bottom first).
pub(crate) fn config_json(
    cfg: &ImageConfig,
    diff_ids: &[&str],
) -> Result<Vec<u8>, serde_json::Error> {
    let created = rfc3339(cfg.created_epoch);
    let json = ConfigJson {
        architecture: &cfg.platform.architecture,
        os: &cfg.platform.os,
        variant: cfg.platform.variant.as_deref(),
        created: &created,
        config: RunConfig {
            user: cfg.user.as_deref(),
            env: &cfg.env,
            entrypoint: &cfg.entrypoint,
            cmd: &cfg.cmd,
            volumes: cfg.volumes.iter().map(|v| (v.as_str(), Empty {})).collect(),
            working_dir: cfg.working_dir.as_deref(),
            labels: &cfg.labels,
            stop_signal: cfg.stop_signal.as_deref(),
        },
        rootfs: RootFs {
            kind: "layers",
            diff_ids: diff_ids.to_vec(),
        },
        history: diff_ids
            .iter()
            .map(|_| History {
                created: &created,
                created_by: "whittle",
                comment: &cfg.history_comment,
            })
            .collect(),
    };
    serde_json::to_vec(&json)
}

pub use whittle_model::time::rfc3339;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_values() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_672_531_200), "2023-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    fn sample() -> ImageConfig {
        ImageConfig {
            platform: Platform::linux("amd64"),
            entrypoint: vec!["/usr/bin/python3".into()],
            cmd: vec![],
            env: vec!["PATH=/usr/bin:/bin".into()],
            user: Some("65532".into()),
            working_dir: None,
            stop_signal: None,
            labels: [
                ("b".to_string(), "2".to_string()),
                ("a".to_string(), "1".to_string()),
            ]
            .into_iter()
            .collect(),
            volumes: vec!["/data".into(), "/cache".into()],
            created_epoch: 1_672_531_200,
            history_comment: "whittle build".into(),
        }
    }

    #[test]
    fn exact_bytes() {
        let json = config_json(&sample(), &["sha256:aa"]).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"architecture":"amd64","os":"linux","created":"2023-01-01T00:00:00Z","config":{"User":"65532","Env":["PATH=/usr/bin:/bin"],"Entrypoint":["/usr/bin/python3"],"Volumes":{"/cache":{},"/data":{}},"Labels":{"a":"1","b":"2"}},"rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"history":[{"created":"2023-01-01T00:00:00Z","created_by":"whittle","comment":"whittle build"}]}"#
        );
    }

    #[test]
    fn empty_fields_are_omitted() {
        let mut cfg = sample();
        cfg.platform.variant = Some("v8".into());
        cfg.user = None;
        cfg.env.clear();
        cfg.entrypoint.clear();
        cfg.labels.clear();
        cfg.volumes.clear();
        cfg.history_comment.clear();
        let json = String::from_utf8(config_json(&cfg, &[]).unwrap()).unwrap();
        assert_eq!(
            json,
            r#"{"architecture":"amd64","os":"linux","variant":"v8","created":"2023-01-01T00:00:00Z","config":{},"rootfs":{"type":"layers","diff_ids":[]},"history":[]}"#
        );
    }

    #[test]
    fn parses_as_oci_spec_config() {
        let json = config_json(&sample(), &["sha256:aa", "sha256:bb"]).unwrap();
        let parsed: oci_spec::image::ImageConfiguration = serde_json::from_slice(&json).unwrap();
        assert_eq!(parsed.architecture().to_string(), "amd64");
        assert_eq!(parsed.rootfs().diff_ids().len(), 2);
        assert_eq!(parsed.history().as_ref().unwrap().len(), 2);
        let c = parsed.config().as_ref().unwrap();
        assert_eq!(c.user().as_deref(), Some("65532"));
        assert_eq!(c.volumes().as_ref().unwrap().len(), 2);
    }
}
