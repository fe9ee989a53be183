//! Test-only reader for `installed` databases (apk-tools or apko written),
//! shared by `tests/db.rs` and `tests/layout.rs` through `#[path]`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use whittle_apk::db::{InstalledApk, OwnedPath};

/// Decode standard base64 (with padding).
pub fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("valid base64")
}

fn split_list(v: &str) -> Vec<String> {
    if v == "[]" {
        return Vec::new(); // apko's `i:[]`
    }
    v.split_whitespace().map(str::to_string).collect()
}

fn parse_acl(v: &str) -> (u32, u32, u32) {
    let mut it = v.split(':');
    let uid = it.next().unwrap().parse().unwrap();
    let gid = it.next().unwrap().parse().unwrap();
    let mode = u32::from_str_radix(it.next().unwrap(), 8).unwrap();
    (uid, gid, mode)
}

/// Parse an `installed` file into records, whatever the field order.
pub fn parse_installed(text: &str) -> Vec<InstalledApk> {
    let mut out = Vec::new();
    for record in text.split("\n\n") {
        if record.trim().is_empty() {
            continue;
        }
        let mut pkg = InstalledApk::default();
        let mut dir = String::new();
        for line in record.lines() {
            let (tag, v) = line.split_once(':').expect("tag:value");
            match tag {
                "C" => pkg.checksum = v.into(),
                "P" => pkg.name = v.into(),
                "V" => pkg.version = v.into(),
                "A" => pkg.arch = v.into(),
                "S" => pkg.size = v.parse().unwrap(),
                "I" => pkg.installed_size = v.parse().unwrap(),
                "T" => pkg.description = v.into(),
                "U" => pkg.url = v.into(),
                "L" => pkg.license = v.into(),
                "o" => pkg.origin = v.into(),
                "m" => pkg.maintainer = v.into(),
                "t" => pkg.build_time = Some(v.parse().unwrap()).filter(|t| *t != 0),
                "c" => pkg.commit = v.into(),
                "k" => pkg.provider_priority = Some(v.parse().unwrap()).filter(|k| *k != 0),
                "D" => pkg.depends = split_list(v),
                "p" => pkg.provides = split_list(v),
                "i" => pkg.install_if = split_list(v),
                "r" => pkg.replaces = split_list(v),
                "F" => {
                    dir = v.to_string();
                    if !dir.is_empty() {
                        pkg.paths.push(OwnedPath {
                            path: dir.clone(),
                            is_dir: true,
                            mode: 0o755,
                            ..OwnedPath::default()
                        });
                    }
                }
                "M" => {
                    let last = pkg.paths.last_mut().unwrap();
                    assert!(last.is_dir, "M: after a file in {}", pkg.name);
                    (last.uid, last.gid, last.mode) = parse_acl(v);
                }
                "R" => pkg.paths.push(OwnedPath {
                    path: if dir.is_empty() {
                        v.to_string()
                    } else {
                        format!("{dir}/{v}")
                    },
                    is_dir: false,
                    mode: 0o644,
                    ..OwnedPath::default()
                }),
                "a" => {
                    let last = pkg.paths.last_mut().unwrap();
                    (last.uid, last.gid, last.mode) = parse_acl(v);
                }
                "Z" => {
                    let raw = base64_decode(v.strip_prefix("Q1").expect("Q1 checksum"));
                    pkg.paths.last_mut().unwrap().sha1 = Some(hex::encode(raw));
                }
                other => panic!("unexpected field {other}: in {}", pkg.name),
            }
        }
        out.push(pkg);
    }
    out
}
