//! The image of one architecture: its layers and its config. A layer's
//! tar is written to a temporary file in the cache's scratch directory
//! (hashed for its diff ID as it goes), then compressed from there into
//! another, or taken from the cache if an earlier build compressed the same
//! tar and the cached blob still decompresses to it.

use std::collections::BTreeMap;
use std::path::Path;

use whittle_cache::{is_sha256_hex, Cache};
use whittle_oci::{reuse_layer, ImageConfig, Layer, LayerTar, Platform, WrittenTar};
use whittle_recipe::{Arch, BuildPlan};
use whittle_rootfs::RootFs;
use whittle_world::Reporter;

use crate::error::BuildError;
use crate::layering::LayerPlan;
use crate::session::Session;

/// The layers of `root` as `plans` divide it, bottom first, and whether
/// each came from the cache.
pub fn layers(
    root: &RootFs,
    plans: &[LayerPlan],
    session: &Session,
) -> Result<Vec<(Layer, bool)>, BuildError> {
    let cache = session.fetcher().cache();
    let scratch = cache.tmp_dir();
    plans
        .iter()
        .map(|plan| {
            let tar_error = |source| BuildError::LayerTar {
                layer: plan.name.clone(),
                source,
            };
            let tar = LayerTar::create(scratch).map_err(tar_error)?;
            let tar = root
                .write_tar_filtered(tar, |k| plan.keys.contains(k))
                .map_err(tar_error)?
                .finish()
                .map_err(tar_error)?;
            layer(&tar, &plan.name, cache, session.reporter())
        })
        .collect()
}

/// The compressed layer of one tar. A tar already compressed in an earlier
/// build (same diff ID) is taken from the cache instead of compressed
/// again, once the cached blob is shown to decompress to this very tar.
fn layer(
    tar: &WrittenTar,
    name: &str,
    cache: &Cache,
    reporter: &dyn Reporter,
) -> Result<(Layer, bool), BuildError> {
    let key = format!("layer-gzip/{}", tar.diff_id());
    let scratch = cache.tmp_dir();
    let layer_error = |source| BuildError::Layer {
        layer: name.to_string(),
        source,
    };
    if let Some(layer) =
        cached(cache, &key, tar.diff_id(), scratch, reporter).map_err(layer_error)?
    {
        return Ok((layer, true));
    }
    let layer = tar.compress(scratch).map_err(layer_error)?;
    store(cache, &key, &layer);
    Ok((layer, false))
}

/// The cached compressed layer for `diff_id`, if there is one and it holds
/// what it claims. A mismatch is reported and the entry replaced by the
/// caller. `Err` only when the scratch copy cannot be written.
fn cached(
    cache: &Cache,
    key: &str,
    diff_id: &str,
    scratch: &Path,
    reporter: &dyn Reporter,
) -> Result<Option<Layer>, whittle_oci::OciError> {
    // The entry names the compressed blob by digest; entries of older
    // whittles (the blob itself) are not digests and are ignored.
    // A pointer: it may come from a shared cache, so the blob it names is
    // checked against the tar just built before it is used.
    let Ok(Some(entry)) = cache.get_pointer(key) else {
        return Ok(None);
    };
    let Some(hex) = entry.strip_prefix("sha256:").filter(|h| is_sha256_hex(h)) else {
        return Ok(None);
    };
    // `blob` re-hashes the file and drops it if its content changed.
    let Ok(Some(path)) = cache.blob(hex) else {
        return Ok(None);
    };
    match reuse_layer(&path, &format!("sha256:{hex}"), diff_id, scratch)? {
        Ok(layer) => Ok(Some(layer)),
        Err(why) => {
            reporter.on_warning(&format!(
                "cached layer {} (for the layer tar {diff_id}) did not match: {why}; rebuilt. \
                 Something other than whittle changed the cache at {}",
                path.display(),
                cache.root().display()
            ));
            Ok(None)
        }
    }
}

/// Keep a compressed layer in the cache for the next build (a blob named
/// by its digest, and the diff ID's entry naming it). Best effort: a cache
/// that cannot be written only costs the next build time.
fn store(cache: &Cache, key: &str, layer: &Layer) {
    let Ok(mut writer) = cache.new_blob() else {
        return;
    };
    if layer.blob.copy_to(&mut writer).is_err() {
        return;
    }
    if let Ok((_, hex)) = writer.commit_named() {
        let _ = cache.put_pointer(key, &format!("sha256:{hex}"));
    }
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
