//! Docker credential helpers (docker-credential-helpers' protocol): run
//! `docker-credential-NAME get`, the server URL on stdin, JSON on stdout.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::Deserialize;

use super::Credentials;
use crate::error::RegistryError;

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Ask the helper `docker-credential-NAME` (found on `PATH`) for `server_url`.
pub(crate) fn get(name: &str, server_url: &str) -> Result<Option<Credentials>, RegistryError> {
    run(
        name,
        Path::new(&format!("docker-credential-{name}")),
        server_url,
    )
}

/// Run `program get`; `name` is the helper's name for messages. A helper
/// that exits non-zero saying "credentials not found" gives `None`.
pub(crate) fn run(
    name: &str,
    program: &Path,
    server_url: &str,
) -> Result<Option<Credentials>, RegistryError> {
    let failed = |reason: String| RegistryError::CredentialHelper {
        helper: name.to_string(),
        reason,
    };
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            failed(format!(
                "cannot run {}: {e}; is it installed and on PATH?",
                program.display()
            ))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that does not read its input may have exited already.
        match stdin.write_all(server_url.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(failed(format!("cannot write to it: {e}")));
            }
            _ => {}
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|e| failed(format!("cannot read its answer: {e}")))?;
    if !output.status.success() {
        // Its output is a message, not a secret; keep a short excerpt.
        let message = String::from_utf8_lossy(if output.stdout.is_empty() {
            &output.stderr
        } else {
            &output.stdout
        })
        .trim()
        .chars()
        .take(200)
        .collect::<String>();
        if message.to_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        return Err(failed(format!(
            "it exited with {} for {server_url}: {message}",
            output.status
        )));
    }
    // Never quote stdout on a parse error: it may hold the secret.
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout).map_err(|_| {
        failed(format!(
            "its answer for {server_url} is not the expected JSON object"
        ))
    })?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    if answer.username == "<token>" {
        return Ok(Some(Credentials::IdentityToken(answer.secret)));
    }
    Ok(Some(Credentials::Basic {
        username: answer.username,
        password: answer.secret,
    }))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &Path, body: &str) -> std::path::PathBuf {
        let path = dir.join("docker-credential-fake");
        fs_err::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write");
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    #[test]
    fn helper_answers() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Echo the server URL back as the user so the test sees what was sent.
        let p = script(
            dir.path(),
            r#"read url; printf '{"ServerURL":"%s","Username":"%s","Secret":"s3"}' "$url" "$url""#,
        );
        assert_eq!(
            run("fake", &p, "reg.lan:5000").expect("run"),
            Some(Credentials::Basic {
                username: "reg.lan:5000".to_string(),
                password: "s3".to_string()
            })
        );
        let p = script(
            dir.path(),
            r#"printf '{"Username":"<token>","Secret":"rt"}'"#,
        );
        assert_eq!(
            run("fake", &p, "x").expect("run"),
            Some(Credentials::IdentityToken("rt".to_string()))
        );
        let p = script(
            dir.path(),
            "echo 'credentials not found in native keychain'; exit 1",
        );
        assert_eq!(run("fake", &p, "x").expect("run"), None);
        let p = script(dir.path(), "echo 'boom' >&2; exit 3");
        let error = run("fake", &p, "x").expect_err("fails").to_string();
        assert!(
            error.contains("docker-credential-fake") && error.contains("boom"),
            "{error}"
        );
        let p = script(dir.path(), "echo 'not json secret-xyz'");
        let error = run("fake", &p, "x").expect_err("bad json").to_string();
        assert!(!error.contains("secret-xyz"), "{error}");
    }
}
