//! The APK writer checked with tools that share no code with it: python3
//! (`zlib`, `tarfile`, `hashlib`) splits gzip members and reads tar/PAX
//! headers, `openssl dgst -verify` checks signatures, GNU `tar` lists
//! archives, `curl` fetches from the served repository. The same checks are
//! first run on real melange/abuild fixtures to prove the method itself.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use whittle_test::{
    build_apk, build_apk_parts, busybox_static_apk_spec, ApkAlgo, ApkEntry, ApkKey, ApkRepo,
    ApkSpec, BUSYBOX_APPLETS,
};
use whittle_test_env::{fixtures, host};

/// Splits a file into gzip members (written to OUTDIR/memberN.bin), lists
/// each member's tar entries with PAX records and content digests, writes
/// `.SIGN.*` bodies to OUTDIR/memberN.<entry name>, and prints JSON.
const INSPECT_PY: &str = r#"
import sys, zlib, tarfile, io, json, hashlib, base64, os
path, outdir = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
members = []
i = 0
while i < len(data):
    d = zlib.decompressobj(31)
    d.decompress(data[i:])
    assert d.eof, 'truncated gzip member'
    n = len(data) - i - len(d.unused_data)
    members.append(data[i:i + n])
    i += n
out = {'size': len(data), 'members': []}
for k, m in enumerate(members):
    fn = os.path.join(outdir, 'member%d.bin' % k)
    open(fn, 'wb').write(m)
    raw = zlib.decompress(m, 31)
    t = tarfile.open(fileobj=io.BytesIO(raw), mode='r:')
    entries = []
    end = 0
    for ti in t:
        body = t.extractfile(ti).read() if ti.isreg() else b''
        e = {'name': ti.name, 'type': ti.type.decode(), 'mode': ti.mode, 'uid': ti.uid,
             'gid': ti.gid, 'mtime': ti.mtime, 'size': ti.size, 'linkname': ti.linkname,
             'pax': dict(ti.pax_headers), 'sha1': hashlib.sha1(body).hexdigest()}
        if ti.name.startswith('.SIGN.'):
            sf = os.path.join(outdir, 'member%d.%s' % (k, ti.name))
            open(sf, 'wb').write(body)
            e['sigfile'] = sf
        if ti.name in ('.PKGINFO', 'APKINDEX', 'DESCRIPTION', 'etc/busybox-paths.d/busybox'):
            e['text'] = body.decode()
        if ti.name == 'bin/busybox':
            bf = os.path.join(outdir, 'busybox')
            open(bf, 'wb').write(body)
            e['extracted'] = bf
        entries.append(e)
        end = ti.offset_data + ((ti.size + 511) // 512) * 512
    out['members'].append({
        'file': fn, 'len': len(m), 'raw_len': len(raw), 'entries': entries,
        'terminated': len(raw) >= end + 1024 and raw[end:end + 1024] == b'\0' * 1024,
        'q1': 'Q1' + base64.b64encode(hashlib.sha1(m).digest()).decode(),
        'sha256': hashlib.sha256(m).hexdigest()})
print(json.dumps(out))
"#;

fn inspect(path: &Path) -> (Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("inspect.py");
    fs_err::write(&script, INSPECT_PY).unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .arg(path)
        .arg(dir.path())
        .output()
        .expect("python3 is needed for these tests");
    assert!(
        out.status.success(),
        "inspect {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (serde_json::from_slice(&out.stdout).unwrap(), dir)
}

/// `openssl dgst -sha1|-sha256 -verify KEY -signature SIG MESSAGE`.
fn openssl_verify(sha: &str, key: &Path, sig: &str, message: &str) -> bool {
    let out = Command::new("openssl")
        .args(["dgst", sha, "-verify"])
        .arg(key)
        .args(["-signature", sig, message])
        .output()
        .expect("openssl is needed for these tests");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.success(), text.contains("Verified OK"), "{text}");
    out.status.success()
}

/// Check member 0's single `.SIGN.*` entry against member 1 with `key`;
/// the key's file name must be the entry's suffix.
fn verify_signature_member(v: &Value, key: &Path) -> bool {
    let sign = &v["members"][0];
    let entries = sign["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "one .SIGN entry: {entries:?}");
    assert!(
        !sign["terminated"].as_bool().unwrap(),
        "signature tar is not terminated"
    );
    let name = entries[0]["name"].as_str().unwrap();
    let key_name = key.file_name().unwrap().to_str().unwrap();
    let sha = if let Some(k) = name.strip_prefix(".SIGN.RSA256.") {
        assert_eq!(k, key_name);
        "-sha256"
    } else if let Some(k) = name.strip_prefix(".SIGN.RSA.") {
        assert_eq!(k, key_name);
        "-sha1"
    } else {
        panic!("unexpected signature entry {name}")
    };
    openssl_verify(
        sha,
        key,
        entries[0]["sigfile"].as_str().unwrap(),
        v["members"][1]["file"].as_str().unwrap(),
    )
}

/// Everything about one package file, checked independently; returns its
/// Q1 and `.PKGINFO` text.
fn check_package(path: &Path, key: Option<&Path>) -> (String, String) {
    let (v, _dir) = inspect(path);
    let members = v["members"].as_array().unwrap();
    let (control, data) = match key {
        Some(key) => {
            assert_eq!(members.len(), 3, "{}", path.display());
            assert!(
                verify_signature_member(&v, key),
                "signature of {}",
                path.display()
            );
            (&members[1], &members[2])
        }
        None => {
            assert_eq!(members.len(), 2, "{}", path.display());
            (&members[0], &members[1])
        }
    };
    assert!(!control["terminated"].as_bool().unwrap(), "control tar");
    assert!(data["terminated"].as_bool().unwrap(), "data tar");
    let centries = control["entries"].as_array().unwrap();
    assert_eq!(centries[0]["name"], ".PKGINFO");
    let pkginfo = centries[0]["text"].as_str().unwrap().to_string();
    let datahash = pkginfo
        .lines()
        .find_map(|l| l.strip_prefix("datahash = "))
        .unwrap();
    assert_eq!(datahash, data["sha256"].as_str().unwrap(), "datahash");
    let mut files = 0;
    for e in data["entries"].as_array().unwrap() {
        let pax = e["pax"]["APK-TOOLS.checksum.SHA1"].as_str();
        match e["type"].as_str().unwrap() {
            "0" => {
                files += 1;
                assert_eq!(pax, e["sha1"].as_str(), "{e}");
            }
            "2" => {
                if let Some(pax) = pax {
                    let want = sha1_hex(e["linkname"].as_str().unwrap().as_bytes());
                    assert_eq!(pax, want, "{e}");
                }
            }
            _ => {}
        }
    }
    assert!(files > 0, "{}: no regular files", path.display());
    (control["q1"].as_str().unwrap().to_string(), pkginfo)
}

fn sha1_hex(data: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x");
    fs_err::write(&f, data).unwrap();
    let out = Command::new("sha1sum").arg(&f).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..40].to_string()
}

/// Parse APKINDEX text into records of (field, value).
fn records(text: &str) -> Vec<Vec<(char, String)>> {
    text.split("\n\n")
        .filter(|r| !r.trim().is_empty())
        .map(|r| {
            r.lines()
                .map(|l| {
                    let (k, v) = l.split_once(':').unwrap();
                    assert_eq!(k.len(), 1, "{l}");
                    (k.chars().next().unwrap(), v.to_string())
                })
                .collect()
        })
        .collect()
}

fn field(rec: &[(char, String)], k: char) -> Option<&str> {
    rec.iter().find(|(f, _)| *f == k).map(|(_, v)| v.as_str())
}

/// Check a repository arch folder: index signature, every record's
/// package (size, Q1 = C:, signature, datahash, PAX). Returns the records.
fn check_repo(arch_dir: &Path, key: &Path, packages_signed: bool) -> Vec<Vec<(char, String)>> {
    let (v, _dir) = inspect(&arch_dir.join("APKINDEX.tar.gz"));
    let members = v["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert!(verify_signature_member(&v, key), "index signature");
    let entries = members[1]["entries"].as_array().unwrap();
    let mut names: Vec<&str> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["APKINDEX", "DESCRIPTION"]);
    let text = entries.iter().find(|e| e["name"] == "APKINDEX").unwrap()["text"]
        .as_str()
        .unwrap();
    let recs = records(text);
    assert!(!recs.is_empty());
    for rec in &recs {
        let file = arch_dir.join(format!(
            "{}-{}.apk",
            field(rec, 'P').unwrap(),
            field(rec, 'V').unwrap()
        ));
        let size = fs_err::metadata(&file).unwrap().len();
        assert_eq!(field(rec, 'S').unwrap(), size.to_string(), "S: {rec:?}");
        let (q1, pkginfo) = check_package(&file, packages_signed.then_some(key));
        assert_eq!(field(rec, 'C').unwrap(), q1, "C: {rec:?}");
        assert!(pkginfo.contains(&format!("pkgname = {}\n", field(rec, 'P').unwrap())));
        assert!(pkginfo.contains(&format!("arch = {}\n", field(rec, 'A').unwrap())));
    }
    recs
}

fn tar_list(path: &Path) -> String {
    let out = Command::new("tar").arg("-tzvf").arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sample_repo() -> ApkRepo {
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-sample"));
    repo.add(
        ApkSpec::new("hello", "1.2.3-r1", "x86_64")
            .depend("so:libfoo.so.1")
            .depend("base>=1.0")
            .provide("cmd:hello=1.2.3-r1")
            .file("usr/bin/hello", b"#!/bin/sh\necho hello\n", 0o755)
            .file("etc/hello.conf", b"greeting=hi\n", 0o644)
            .symlink("usr/bin/hi", "hello")
            .hardlink("usr/bin/hello2", "usr/bin/hello")
            .dir("var/empty", 0o555)
            .script(".post-install", b"#!/bin/sh\nexit 0\n")
            .trigger("/usr/share/hello/*")
            .script(".trigger", b"#!/bin/sh\nexit 0\n"),
    )
    .add(
        ApkSpec::new("base", "1.0-r0", "x86_64")
            .origin("base-src")
            .provider_priority(10)
            .replace("old-base")
            .provide("so:libfoo.so.1=1")
            .file("etc/os-release", b"ID=whittle\n", 0o644),
    )
    .add(
        ApkSpec::new("hello-doc", "1.2.3-r1", "x86_64")
            .install_if("hello=1.2.3-r1")
            .install_if("docs")
            .file("usr/share/doc/hello/README", b"read me\n", 0o644),
    )
    .add(ApkSpec::new("base", "1.0-r0", "aarch64").file(
        "etc/os-release",
        b"ID=whittle\n",
        0o644,
    ));
    repo.publish();
    repo
}

#[test]
fn method_verifies_real_melange_fixture() {
    let repo = fixtures::path("apk/melange-rsa256-repo");
    let key = repo.join("melange.rsa.pub");
    for arch in ["x86_64", "aarch64"] {
        let recs = check_repo(&repo.join(arch), &key, true);
        assert_eq!(recs.len(), 4);
    }
    // And the SHA-1 flavour.
    let repo = fixtures::path("apk/rsa-sha1-repo");
    check_repo(
        &repo.join("x86_64"),
        &repo.join("private_pkg_key.rsa.pub"),
        true,
    );
    // Negative control: a wrong key must fail with the same method.
    let (v, _dir) = inspect(&fixtures::path(
        "apk/melange-rsa256-repo/x86_64/APKINDEX.tar.gz",
    ));
    let wrong = tempfile::tempdir().unwrap();
    let wrong_key = wrong.path().join("melange.rsa.pub");
    fs_err::copy(
        fixtures::path("apk/alpine/keys/alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub"),
        &wrong_key,
    )
    .unwrap();
    assert!(!verify_signature_member(&v, &wrong_key));
}

#[test]
fn repo_verifies_with_openssl_and_python() {
    let repo = sample_repo();
    let key = repo.key_path();
    assert_eq!(key.file_name().unwrap(), "whittle-test-sample.rsa.pub");
    assert!(fs_err::read_to_string(&key)
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let recs = check_repo(&repo.root().join("x86_64"), &key, true);
    assert_eq!(recs.len(), 3);
    let hello = recs
        .iter()
        .find(|r| field(r, 'P') == Some("hello"))
        .unwrap();
    let order: String = hello.iter().map(|(k, _)| *k).collect();
    assert_eq!(order, "CPVASITULotDp");
    assert_eq!(field(hello, 'D'), Some("so:libfoo.so.1 base>=1.0"));
    assert_eq!(field(hello, 'I'), Some("33"));
    let base = recs.iter().find(|r| field(r, 'P') == Some("base")).unwrap();
    assert_eq!(field(base, 'k'), Some("10"));
    assert_eq!(field(base, 'o'), Some("base-src"));
    assert_eq!(field(base, 'r'), Some("old-base"));
    let doc = recs
        .iter()
        .find(|r| field(r, 'P') == Some("hello-doc"))
        .unwrap();
    assert_eq!(field(doc, 'i'), Some("hello=1.2.3-r1 docs"));
    let recs = check_repo(&repo.root().join("aarch64"), &key, true);
    assert_eq!(recs.len(), 1);

    // The package's own tar view: control scripts, PAX on files and symlinks.
    let (v, _dir) = inspect(&repo.apk_path("x86_64", "hello"));
    let control: Vec<&str> = v["members"][1]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(control, [".PKGINFO", ".post-install", ".trigger"]);
    let pkginfo = v["members"][1]["entries"][0]["text"].as_str().unwrap();
    assert!(
        pkginfo.contains("triggers = /usr/share/hello/*\n"),
        "{pkginfo}"
    );
    assert!(pkginfo.contains("depend = base>=1.0\n"), "{pkginfo}");
    assert!(
        pkginfo.contains("provides = cmd:hello=1.2.3-r1\n"),
        "{pkginfo}"
    );
    let data = v["members"][2]["entries"].as_array().unwrap();
    let by_name = |n: &str| data.iter().find(|e| e["name"] == n).unwrap();
    assert_eq!(by_name("usr/bin/hello")["mode"], 0o755);
    assert_eq!(by_name("var/empty")["mode"], 0o555);
    assert_eq!(by_name("var/empty")["type"], "5");
    assert_eq!(by_name("usr/bin/hi")["linkname"], "hello");
    assert!(by_name("usr/bin/hi")["pax"]["APK-TOOLS.checksum.SHA1"].is_string());
    assert_eq!(by_name("usr/bin/hello2")["type"], "1");
    assert_eq!(by_name("usr/bin/hello2")["linkname"], "usr/bin/hello");
    // Parents come before children.
    let names: Vec<&str> = data.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(&names[..3], ["usr", "usr/bin", "usr/bin/hello"]);
}

#[test]
fn gnu_tar_lists_index_and_package() {
    let repo = sample_repo();
    let list = tar_list(&repo.root().join("x86_64/APKINDEX.tar.gz"));
    let names: Vec<&str> = list
        .lines()
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            ".SIGN.RSA256.whittle-test-sample.rsa.pub",
            "DESCRIPTION",
            "APKINDEX"
        ],
        "{list}"
    );
    let list = tar_list(&repo.apk_path("x86_64", "base"));
    assert!(
        list.contains(".SIGN.RSA256.whittle-test-sample.rsa.pub"),
        "{list}"
    );
    assert!(list.contains(".PKGINFO"), "{list}");
    assert!(list.contains("etc/os-release"), "{list}");
}

#[test]
fn tampering_and_wrong_key_are_caught() {
    let key = ApkKey::generate("whittle-test-a");
    let spec = ApkSpec::new("t", "1-r0", "x86_64").file("a", b"a", 0o644);
    let parts = build_apk_parts(&spec, Some((&key, ApkAlgo::Sha256)));
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join(key.name());
    fs_err::write(&pem, key.public_pem()).unwrap();
    let good = dir.path().join("good.apk");
    fs_err::write(&good, parts.bytes()).unwrap();
    let (q1, _) = check_package(&good, Some(&pem));
    assert_eq!(q1, parts.q1());

    // Flip one byte of the control member's deflate data (keep the gzip
    // header intact): the member no longer matches the signature.
    let sig_file = dir.path().join("sig");
    let msg_file = dir.path().join("msg");
    let (v, _d) = inspect(&good);
    fs_err::copy(
        v["members"][0]["entries"][0]["sigfile"].as_str().unwrap(),
        &sig_file,
    )
    .unwrap();
    let mut control = parts.control.clone();
    control[12] ^= 1;
    fs_err::write(&msg_file, &control).unwrap();
    assert!(!openssl_verify(
        "-sha256",
        &pem,
        sig_file.to_str().unwrap(),
        msg_file.to_str().unwrap()
    ));
    fs_err::write(&msg_file, &parts.control).unwrap();
    assert!(openssl_verify(
        "-sha256",
        &pem,
        sig_file.to_str().unwrap(),
        msg_file.to_str().unwrap()
    ));

    // Another key of the same name does not verify.
    let other = ApkKey::generate("whittle-test-a");
    let other_dir = tempfile::tempdir().unwrap();
    let other_pem = other_dir.path().join(other.name());
    fs_err::write(&other_pem, other.public_pem()).unwrap();
    assert!(!openssl_verify(
        "-sha256",
        &other_pem,
        sig_file.to_str().unwrap(),
        msg_file.to_str().unwrap()
    ));
}

#[test]
fn sha1_flavour_and_unsigned_packages() {
    let key = ApkKey::random();
    assert!(key.name().starts_with("whittle-test-"));
    assert!(key.name().ends_with(".rsa.pub"));
    let mut repo = ApkRepo::new(key);
    repo.algo(ApkAlgo::Sha1)
        .add(ApkSpec::new("one", "1-r0", "x86_64").file("one", b"1", 0o644));
    repo.publish();
    let key = repo.key_path();
    check_repo(&repo.root().join("x86_64"), &key, true);
    assert!(
        tar_list(&repo.index_path("x86_64")).contains(&format!(".SIGN.RSA.{}", repo.key().name()))
    );

    // Unsigned package: two members, Q1 over the first.
    let spec = ApkSpec::new("u", "1-r0", "x86_64").file("u", b"u", 0o644);
    let (bytes, q1) = build_apk(&spec, None);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("u-1-r0.apk");
    fs_err::write(&f, &bytes).unwrap();
    let (py_q1, _) = check_package(&f, None);
    assert_eq!(py_q1, q1);

    // A repository whose packages are unsigned still has a signed index.
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-u"));
    repo.sign_packages(false).add(spec);
    repo.publish();
    check_repo(&repo.root().join("x86_64"), &repo.key_path(), false);
}

#[test]
fn long_and_raw_names() {
    let long = format!("usr/share/{}/file.txt", "d".repeat(120));
    let spec = ApkSpec::new("long", "1-r0", "x86_64")
        .file(&long, b"x", 0o644)
        .entry(ApkEntry::RawFile("../../etc/evil".into(), b"evil".to_vec()));
    let (bytes, _) = build_apk(&spec, None);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("long.apk");
    fs_err::write(&f, bytes).unwrap();
    let (v, _d) = inspect(&f);
    let names: Vec<&str> = v["members"][1]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&long.as_str()), "{names:?}");
    assert!(names.contains(&"../../etc/evil"), "{names:?}");
    check_package(&f, None);
}

#[test]
fn served_repository_matches_files() {
    let repo = sample_repo();
    let server = repo.serve();
    for rel in ["x86_64/APKINDEX.tar.gz", "x86_64/hello-1.2.3-r1.apk"] {
        let out = Command::new("curl")
            .args(["-fsS", &format!("{}/{rel}", server.url())])
            .output()
            .expect("curl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, fs_err::read(repo.root().join(rel)).unwrap());
    }
}

#[test]
fn busybox_repacked_runs() {
    assert!(busybox_static_apk_spec("aarch64").is_none());
    let spec = busybox_static_apk_spec("x86_64").unwrap();
    assert!(busybox_static_apk_spec("amd64").is_some());
    assert_eq!(
        (spec.name.as_str(), spec.version.as_str()),
        ("busybox", "1.35.0-r0")
    );
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-bb"));
    repo.add(spec);
    repo.publish();
    let recs = check_repo(&repo.root().join("x86_64"), &repo.key_path(), true);
    assert_eq!(field(&recs[0], 'p'), Some("cmd:busybox=1.35.0-r0"));
    let (v, _d) = inspect(&repo.apk_path("x86_64", "busybox"));
    let data = v["members"][2]["entries"].as_array().unwrap();
    let paths = data
        .iter()
        .find(|e| e["name"] == "etc/busybox-paths.d/busybox")
        .unwrap();
    let listed: Vec<&str> = paths["text"].as_str().unwrap().lines().collect();
    assert_eq!(listed, BUSYBOX_APPLETS);
    let bb = data.iter().find(|e| e["name"] == "bin/busybox").unwrap();
    assert_eq!(bb["mode"], 0o755);
    let exe = PathBuf::from(bb["extracted"].as_str().unwrap());
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        use std::os::unix::fs::PermissionsExt;
        fs_err::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = Command::new(&exe)
            .args(["echo", "whittle"])
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"whittle\n");
    }
}

/// The strongest check: apk-tools itself installs from the served
/// repository. Skipped (loudly) where no `apk` binary exists — Debian
/// bookworm ships no apk-tools package.
#[test]
fn apk_tools_installs_from_served_repo() {
    let apk = ["apk", "apk.static"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(apk) = apk else {
        // Not `require_tool`: the test command cannot install apk-tools on
        // Debian 12, so CI skips this one too (loudly).
        host::skip("no `apk` or `apk.static` on PATH; the apk-tools install check did NOT run");
        return;
    };
    let repo = sample_repo();
    let server = repo.serve();
    let root = tempfile::tempdir().unwrap();
    let out = Command::new(apk)
        .arg("--root")
        .arg(root.path())
        .args(["--initdb", "--no-cache", "--arch", "x86_64", "--keys-dir"])
        .arg(repo.keys_dir())
        .args([
            "--repository",
            &server.url(),
            "--no-scripts",
            "add",
            "hello",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "apk add: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(root.path().join("usr/bin/hello").is_file());
    assert!(root.path().join("etc/os-release").is_file());
}
