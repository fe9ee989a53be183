//! A tiny OCI image layout written by hand (OCI image-spec `image-layout.md`):
//! one gzip layer holding `hello.txt`, a config, a manifest, `index.json`.
//! Enough for `skopeo copy oci:DIR:TAG docker://…` in harness tests, with no
//! whittle code involved.

use std::path::Path;

use sha2::{Digest, Sha256};

/// What [`tiny_oci_layout`] wrote.
#[derive(Clone, Debug)]
pub struct TinyImage {
    /// The manifest's digest (`sha256:…`).
    pub manifest_digest: String,
    /// The manifest's bytes, as stored.
    pub manifest: Vec<u8>,
    /// The config blob's digest.
    pub config_digest: String,
    /// The layer blob's digest.
    pub layer_digest: String,
}

/// Write an OCI layout in `dir` with one image tagged `tag` (the index's
/// `org.opencontainers.image.ref.name`); `content` is `hello.txt`'s text,
/// so different contents give different layers.
pub fn tiny_oci_layout(dir: &Path, tag: &str, content: &str) -> TinyImage {
    let blobs = dir.join("blobs").join("sha256");
    fs_err::create_dir_all(&blobs).expect("the layout's blobs dir");
    let put = |bytes: &[u8]| {
        let hex = hex::encode(Sha256::digest(bytes));
        fs_err::write(blobs.join(&hex), bytes).expect("write a blob");
        format!("sha256:{hex}")
    };

    // The layer: a tar of one file, fixed metadata, gzipped.
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, "hello.txt", content.as_bytes())
        .expect("append to an in-memory tar");
    let tar = tar.into_inner().expect("finish an in-memory tar");
    let diff_id = format!("sha256:{}", hex::encode(Sha256::digest(&tar)));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).expect("gzip in memory");
    let layer = gz.finish().expect("gzip in memory");
    let layer_digest = put(&layer);

    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {},
        "rootfs": { "type": "layers", "diff_ids": [diff_id] },
    })
    .to_string();
    let config_digest = put(config.as_bytes());

    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest, "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": layer_digest, "size": layer.len(),
        }],
    })
    .to_string()
    .into_bytes();
    let manifest_digest = put(&manifest);

    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest.len(),
            "annotations": { "org.opencontainers.image.ref.name": tag },
        }],
    });
    fs_err::write(dir.join("index.json"), index.to_string()).expect("write index.json");
    fs_err::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("write oci-layout");
    TinyImage {
        manifest_digest,
        manifest,
        config_digest,
        layer_digest,
    }
}
