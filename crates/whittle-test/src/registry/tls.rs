//! Throw-away TLS material: a CA (ECDSA P-256, made with rcgen) and a server
//! certificate it signs for IP 127.0.0.1 and DNS localhost (Go checks the
//! subjectAltName, never the common name).

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// Where [`write_tls_files`] put things.
pub(super) struct TlsFiles {
    /// `certs/`: the CA alone, as `ca.crt` (skopeo's `--cert-dir`).
    pub cert_dir: PathBuf,
    /// `certs/ca.crt` (PEM).
    pub ca_cert: PathBuf,
    /// The server's certificate (PEM).
    pub server_cert: PathBuf,
    /// The server's key (PKCS#8 PEM).
    pub server_key: PathBuf,
}

/// Make a CA and a server certificate; write them under `dir`.
pub(super) fn write_tls_files(dir: &Path) -> TlsFiles {
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "whittle test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("a CA key");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("the CA certificate");

    let mut server_params = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("subject alt names");
    server_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = KeyPair::generate().expect("a server key");
    let server = server_params
        .signed_by(&server_key, &ca)
        .expect("the server certificate");

    let cert_dir = dir.join("certs");
    let tls_dir = dir.join("tls");
    fs_err::create_dir_all(&cert_dir).expect("the certs dir");
    fs_err::create_dir_all(&tls_dir).expect("the tls dir");
    let files = TlsFiles {
        ca_cert: cert_dir.join("ca.crt"),
        server_cert: tls_dir.join("server.crt"),
        server_key: tls_dir.join("server.key"),
        cert_dir,
    };
    fs_err::write(&files.ca_cert, ca.pem()).expect("write the CA certificate");
    fs_err::write(&files.server_cert, server.pem()).expect("write the server certificate");
    fs_err::write(&files.server_key, server_key.serialize_pem()).expect("write the server key");
    files
}
