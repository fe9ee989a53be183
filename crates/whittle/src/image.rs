//! The image of one architecture: its layer (compressed once, then reused
//! from the cache) and its config.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use whittle_net::Fetcher;
use whittle_oci::{compress_layer, diff_id, ImageConfig, Layer, Platform};
use whittle_recipe::{Arch, BuildPlan};
use whittle_rootfs::RootFs;

use crate::error::BuildError;
use crate::layering::LayerPlan;

/// The layers of `root` as `plans` divide it, bottom first, and whether
/// each came from the cache.
pub fn layers(
    root: &RootFs,
    plans: &[LayerPlan],
    fetcher: &Fetcher,
) -> Result<Vec<(Layer, bool)>, BuildError> {
    plans
        .iter()
        .map(|plan| {
            let tar = root
                .write_tar_filtered(Vec::new(), |k| plan.keys.contains(k))
                .map_err(|source| BuildError::LayerTar {
                    layer: plan.name.clone(),
                    source,
                })?;
            layer(&tar, fetcher)
        })
        .collect()
}

/// The compressed layer of one tar. A tar already compressed in an earlier
/// build (same diff ID) is taken from the cache instead of compressed again.
fn layer(tar: &[u8], fetcher: &Fetcher) -> Result<(Layer, bool), BuildError> {
    let id = diff_id(tar);
    let key = format!("layer-gzip/{id}");
    let cache = fetcher.cache();
    if let (Ok(Some(blob)), Ok(Some(digest))) = (
        cache.get_keyed(&key),
        cache.get_keyed(&format!("{key}.digest")),
    ) {
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&blob)));
        if actual.as_bytes() == digest.as_slice() {
            let size = blob.len() as u64;
            return Ok((
                Layer {
                    blob,
                    digest: actual,
                    diff_id: id,
                    size,
                },
                true,
            ));
        }
    }
    let layer = compress_layer(tar);
    // A cache that cannot be written only costs the next build time.
    if cache.put_keyed(&key, &layer.blob).is_ok() {
        let _ = cache.put_keyed(&format!("{key}.digest"), layer.digest.as_bytes());
    }
    Ok((layer, false))
}

/// The image config for `arch` from the recipe, with the environment and
/// user already worked out.
pub fn config(
    plan: &BuildPlan,
    arch: Arch,
    epoch: i64,
    env: BTreeMap<String, String>,
    user: Option<String>,
) -> ImageConfig {
    ImageConfig {
        platform: Platform {
            os: "linux".to_string(),
            architecture: arch.oci_arch().to_string(),
            variant: arch.oci_variant().map(str::to_string),
        },
        entrypoint: plan.entrypoint.clone(),
        cmd: plan.cmd.clone(),
        env: env.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
        user,
        working_dir: plan.work_dir.clone(),
        stop_signal: plan.stop_signal.clone(),
        labels: BTreeMap::new(),
        volumes: plan.volumes.clone(),
        created_epoch: epoch,
        history_comment: "whittle build".to_string(),
    }
}
