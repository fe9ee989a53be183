//! Docker's `config.json` and podman's `auth.json` (containers-auth.json(5)):
//! reading `auths`, `credHelpers`, `credsStore`, and writing a login.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use serde_json::{Map, Value};

use super::helper;
use super::Credentials;
use crate::error::RegistryError;
use crate::reference::{
    DOCKER_HUB, DOCKER_HUB_API_HOST, DOCKER_HUB_CONFIG_KEY, DOCKER_HUB_INDEX_HOST,
};

/// A registry or config key reduced to its host (`https://host/v1/` →
/// `host`); Docker Hub's names all become `docker.io`.
pub(crate) fn normalise_key(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key);
    if host == DOCKER_HUB_INDEX_HOST || host == DOCKER_HUB_API_HOST {
        DOCKER_HUB.to_string()
    } else {
        host.to_string()
    }
}

/// The server URL docker hands a credential helper for `registry` (the
/// normalised host, or Docker Hub's legacy URL).
pub(crate) fn helper_server_url(registry: &str) -> String {
    if registry == DOCKER_HUB {
        DOCKER_HUB_CONFIG_KEY.to_string()
    } else {
        registry.to_string()
    }
}

/// The credentials for the normalised `registry` in `file`, if it has any.
/// A missing file has none.
pub(crate) fn lookup(file: &Path, registry: &str) -> Result<Option<Credentials>, RegistryError> {
    let Some(root) = read(file)? else {
        return Ok(None);
    };
    let find = |section: &str| -> Option<&Value> {
        root.get(section)?
            .as_object()?
            .iter()
            .find(|(key, _)| normalise_key(key) == registry)
            .map(|(_, value)| value)
    };
    if let Some(name) = find("credHelpers").and_then(Value::as_str) {
        return helper::get(name, &helper_server_url(registry));
    }
    if let Some(entry) = find("auths") {
        if let Some(credentials) = parse_entry(file, registry, entry)? {
            return Ok(Some(credentials));
        }
    }
    if let Some(name) = root.get("credsStore").and_then(Value::as_str) {
        return helper::get(name, &helper_server_url(registry));
    }
    Ok(None)
}

/// One `auths` entry: `identitytoken`, `auth` (base64 `user:password`), or
/// `username` + `password`. An empty entry (docker's placeholder when a
/// store holds the secret) has none.
fn parse_entry(
    file: &Path,
    registry: &str,
    entry: &Value,
) -> Result<Option<Credentials>, RegistryError> {
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(token) = field("identitytoken") {
        return Ok(Some(Credentials::IdentityToken(token.to_string())));
    }
    if let Some(auth) = field("auth") {
        // Never quote the value in the error: it is the secret.
        let bad = || RegistryError::Config {
            path: file.to_path_buf(),
            reason: format!("the \"auth\" value for {registry} is not base64 of user:password"),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| bad())?;
        let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
        let (username, password) = decoded.split_once(':').ok_or_else(bad)?;
        return Ok(Some(Credentials::Basic {
            username: username.to_string(),
            password: password.to_string(),
        }));
    }
    if let (Some(username), Some(password)) = (field("username"), field("password")) {
        return Ok(Some(Credentials::Basic {
            username: username.to_string(),
            password: password.to_string(),
        }));
    }
    Ok(None)
}

fn read(file: &Path) -> Result<Option<Map<String, Value>>, RegistryError> {
    let text = match fs_err::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(RegistryError::io(file, e)),
    };
    if text.trim().is_empty() {
        return Ok(Some(Map::new()));
    }
    // serde_json's message names a line and column, never the content.
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(RegistryError::Config {
            path: file.to_path_buf(),
            reason: "not a JSON object".to_string(),
        }),
        Err(e) => Err(RegistryError::Config {
            path: file.to_path_buf(),
            reason: format!("not valid JSON: {e}"),
        }),
    }
}

/// Store `username`/`password` for `registry` in the docker config file
/// `config_path` as `auths[KEY].auth` (base64 `user:password`; `KEY` is
/// the host, or `https://index.docker.io/v1/` for Docker Hub). Other keys and
/// entries are kept. Written atomically (a temp file beside it, then a
/// rename) with mode 0600; missing parent directories are created.
pub fn login(
    config_path: &Path,
    registry: &str,
    username: &str,
    password: &str,
) -> Result<(), RegistryError> {
    let mut root = read(config_path)?.unwrap_or_default();
    let registry = normalise_key(registry);
    let key = helper_server_url(&registry);
    let auths = root
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if !auths.is_object() {
        *auths = Value::Object(Map::new());
    }
    let Value::Object(auths) = auths else {
        return Err(RegistryError::Config {
            path: config_path.to_path_buf(),
            reason: "\"auths\" is not an object".to_string(),
        });
    };
    // Drop other spellings of the same registry so the new entry wins.
    auths.retain(|k, _| normalise_key(k) != registry);
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    let mut entry = Map::new();
    entry.insert("auth".to_string(), Value::String(encoded));
    auths.insert(key, Value::Object(entry));

    let mut text =
        serde_json::to_vec_pretty(&Value::Object(root)).map_err(|e| RegistryError::Config {
            path: config_path.to_path_buf(),
            reason: e.to_string(),
        })?;
    text.push(b'\n');
    write_atomically(config_path, &text)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs_err::create_dir_all(dir).map_err(|e| RegistryError::io(dir, e))?;
    // tempfile creates the file with mode 0600.
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| RegistryError::io(dir, e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| RegistryError::io(temp.path(), e))?;
    temp.persist(path)
        .map_err(|e| RegistryError::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalise() {
        assert_eq!(normalise_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(normalise_key("registry-1.docker.io"), "docker.io");
        assert_eq!(normalise_key("http://reg.lan:5000/v2/"), "reg.lan:5000");
        assert_eq!(normalise_key("ghcr.io"), "ghcr.io");
    }

    #[test]
    fn reads_every_entry_form() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:pa:ss");
        fs_err::write(
            &file,
            format!(
                r#"{{"auths": {{
                    "https://index.docker.io/v1/": {{"auth": "{auth}"}},
                    "reg.lan:5000": {{"username": "bob", "password": "pw"}},
                    "https://tok.example/": {{"identitytoken": "rt"}},
                    "empty.example": {{}}
                }}}}"#
            ),
        )
        .expect("write");
        let basic = |u: &str, p: &str| {
            Some(Credentials::Basic {
                username: u.to_string(),
                password: p.to_string(),
            })
        };
        assert_eq!(
            lookup(&file, "docker.io").expect("hub"),
            basic("alice", "pa:ss")
        );
        assert_eq!(
            lookup(&file, "reg.lan:5000").expect("lan"),
            basic("bob", "pw")
        );
        assert_eq!(
            lookup(&file, "tok.example").expect("tok"),
            Some(Credentials::IdentityToken("rt".to_string()))
        );
        assert_eq!(lookup(&file, "empty.example").expect("empty"), None);
        assert_eq!(
            lookup(&dir.path().join("missing.json"), "x").expect("missing"),
            None
        );
    }

    #[test]
    fn bad_auth_value_is_not_quoted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("config.json");
        fs_err::write(
            &file,
            r#"{"auths": {"r.example": {"auth": "s3cr3t-not-base64!"}}}"#,
        )
        .expect("write");
        let error = lookup(&file, "r.example").expect_err("bad base64");
        let text = format!("{error} {error:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn login_merges_atomically_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("docker/config.json");
        fs_err::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        fs_err::write(
            &file,
            r#"{"credsStore": "desktop", "auths": {"other.example": {"auth": "eDp5"}, "https://reg.lan:5000/v1/": {"auth": "old"}}}"#,
        )
        .expect("write");
        login(&file, "reg.lan:5000", "carol", "pw1").expect("login");
        login(&file, "docker.io", "dave", "pw2").expect("login hub");
        let root: Value =
            serde_json::from_str(&fs_err::read_to_string(&file).expect("read")).expect("json");
        assert_eq!(root["credsStore"], "desktop");
        assert_eq!(root["auths"]["other.example"]["auth"], "eDp5");
        assert!(root["auths"].get("https://reg.lan:5000/v1/").is_none());
        let b64 = base64::engine::general_purpose::STANDARD;
        assert_eq!(
            root["auths"]["reg.lan:5000"]["auth"],
            b64.encode("carol:pw1")
        );
        assert_eq!(
            root["auths"]["https://index.docker.io/v1/"]["auth"],
            b64.encode("dave:pw2")
        );
        let mode = fs_err::metadata(&file).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
