//! The Java trust store read back by the host's own `keytool`: certificates
//! made with `openssl` at test time, and the host's CA bundle.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use std::path::Path;
use std::process::Command;

use whittle_effects::{Applier, ApplyOptions, Effect, Origin, Placed, TrustStore};
use whittle_rootfs::{Node, RootFs};
use whittle_test_env::host::{require_file, require_tool};

const EPOCH: i64 = 1_700_000_000;

/// `keytool -list` of a store, as text (panics when keytool rejects it,
/// e.g. on a wrong integrity digest).
fn keytool_list(store: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cacerts");
    fs_err::write(&path, store).unwrap();
    let out = Command::new("keytool")
        .args(["-list", "-storepass", "changeit", "-keystore"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "keytool failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Apply the trust-store effect to `fs` and return the store's bytes.
fn build_store(fs: &mut RootFs) -> (Vec<u8>, Vec<String>) {
    let mut applier = Applier::new(
        fs,
        ApplyOptions {
            epoch: EPOCH,
            ..ApplyOptions::default()
        },
    );
    applier
        .apply_effect(&Placed {
            effect: Effect::TrustStore(TrustStore::JavaCacerts),
            origin: Origin::new("ca-certificates-java", "postinst", 1),
        })
        .unwrap();
    let applied = applier.finish().unwrap();
    let node = fs.get("etc/ssl/certs/java/cacerts").unwrap();
    assert_eq!(
        (node.mode, node.uid, node.gid, node.mtime),
        (0o644, 0, 0, EPOCH)
    );
    (
        fs.read_file("etc/ssl/certs/java/cacerts")
            .unwrap()
            .into_owned(),
        applied.warnings,
    )
}

fn openssl_cert(dir: &Path, name: &str) -> Vec<u8> {
    let cert = dir.join(format!("{name}.crt"));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .arg("-subj")
        .arg(format!("/CN={name}"))
        .arg("-keyout")
        .arg(dir.join(format!("{name}.key")))
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    fs_err::read(cert).unwrap()
}

#[test]
fn keytool_lists_every_linked_certificate() {
    if !require_tool("keytool") || !require_tool("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut fs = RootFs::new();
    for name in ["Zeta_Root_CA", "Alpha_Root", "Mid_CA"] {
        let pem = openssl_cert(dir.path(), name);
        let target = format!("/usr/share/ca-certificates/mozilla/{name}.crt");
        fs.insert(&target, Node::file(pem, 0o644)).unwrap();
        fs.insert(&format!("etc/ssl/certs/{name}.pem"), Node::symlink(target))
            .unwrap();
    }
    // Not part of the CA bundle: a plain file and a link to nothing.
    let snakeoil = openssl_cert(dir.path(), "snakeoil");
    fs.insert(
        "etc/ssl/certs/ssl-cert-snakeoil.pem",
        Node::file(snakeoil, 0o644),
    )
    .unwrap();
    fs.insert(
        "etc/ssl/certs/Gone.pem",
        Node::symlink("/usr/share/none.crt"),
    )
    .unwrap();

    let (store, warnings) = build_store(&mut fs);
    let listing = keytool_list(&store);
    assert!(listing.contains("Keystore type: JKS"), "{listing}");
    assert_eq!(listing.matches("trustedCertEntry").count(), 3, "{listing}");
    for alias in [
        "debian:alpha_root.pem",
        "debian:mid_ca.pem",
        "debian:zeta_root_ca.pem",
    ] {
        assert!(
            listing.contains(&format!("{alias}, ")),
            "{alias}: {listing}"
        );
    }
    assert!(!listing.contains("snakeoil"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("Gone.pem"));

    // The same tree gives the same bytes.
    let mut again = fs.clone();
    assert_eq!(build_store(&mut again).0, store);
}

#[test]
fn keytool_reads_a_store_of_the_hosts_ca_bundle() {
    let certs = Path::new("/etc/ssl/certs");
    if !require_tool("keytool") || !require_file(certs, "apt-get install ca-certificates") {
        return;
    }
    let mut fs = RootFs::new();
    let mut linked = 0;
    for entry in fs_err::read_dir(certs).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".pem") || !entry.file_type().unwrap().is_symlink() {
            continue;
        }
        let pem = fs_err::read(entry.path()).unwrap();
        let target = format!("/usr/share/ca-certificates/host/{name}.crt");
        fs.insert(&target, Node::file(pem, 0o644)).unwrap();
        fs.insert(&format!("etc/ssl/certs/{name}"), Node::symlink(target))
            .unwrap();
        linked += 1;
    }
    if linked == 0 {
        whittle_test_env::host::skip("the host's /etc/ssl/certs has no *.pem links");
        return;
    }
    let (store, warnings) = build_store(&mut fs);
    assert!(warnings.is_empty(), "{warnings:?}");
    let listing = keytool_list(&store);
    assert_eq!(
        listing.matches("trustedCertEntry").count(),
        linked,
        "{listing}"
    );

    // ca-certificates-java's own store on this host, when there is one:
    // every alias of ours names the same certificate there.
    let theirs = Path::new("/etc/ssl/certs/java/cacerts");
    if !theirs.exists() {
        whittle_test_env::host::skip("no /etc/ssl/certs/java/cacerts on the host to compare with");
        return;
    }
    let theirs = fingerprints(&keytool_list(&fs_err::read(theirs).unwrap()));
    let ours = fingerprints(&listing);
    assert_eq!(ours.len(), linked);
    for (alias, fingerprint) in &ours {
        assert_eq!(theirs.get(alias), Some(fingerprint), "{alias}");
    }
}

/// Alias → SHA-256 fingerprint, from `keytool -list` output.
fn fingerprints(listing: &str) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut alias = None;
    for line in listing.lines() {
        if line.contains("trustedCertEntry") {
            alias = line.split_once(", ").map(|(a, _)| a.to_string());
        } else if let Some(f) = line.strip_prefix("Certificate fingerprint (SHA-256): ") {
            if let Some(a) = alias.take() {
                out.insert(a, f.to_string());
            }
        }
    }
    out
}
