//! Writing what a build produced as one change: the image (archive or
//! layout) and every SBOM are written to temporaries beside their targets
//! and renamed into place together only when all are written, so the
//! previous outputs survive any failure. Temporaries of crashed runs are
//! swept first.

use std::path::{Path, PathBuf};

use whittle_oci::{stage_archive, stage_layout, sweep_stale, ImageSet, Transaction};
use whittle_world::Reporter;

use crate::build::BuildRequest;
use crate::error::{BuildError, Leftovers};

/// One SBOM to write: the file and its text.
pub struct Sbom {
    pub path: PathBuf,
    pub text: String,
}

/// Remove temporaries that crashed or killed whittle runs left where this
/// build writes: beside the archive, in the layout, in the SBOM directory
/// and in the cache's scratch directory. Each removal is reported.
pub fn sweep(req: &BuildRequest, output_is_dir: bool, scratch: &Path, reporter: &dyn Reporter) {
    let mut removed = Vec::new();
    if output_is_dir {
        removed.extend(sweep_stale(&req.output, &["index.json", "oci-layout"]));
        removed.extend(sweep_stale(&req.output.join("blobs").join("sha256"), &[]));
    } else {
        let name = req
            .output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        removed.extend(sweep_stale(parent(&req.output), &[name.as_str()]));
    }
    if let Some(dir) = &req.sbom_dir {
        removed.extend(sweep_stale(dir, &[]));
    }
    removed.extend(sweep_stale(scratch, &[]));
    removed.sort();
    removed.dedup();
    for path in removed {
        reporter.on_warning(&format!(
            "removed {}, a temporary file left by a whittle run that was killed or crashed",
            path.display()
        ));
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Write the image and its SBOMs: all staged, then committed together. On
/// failure every target is as it was, and the error says whether that was
/// checked to be so.
pub fn write_outputs(
    set: &ImageSet,
    output: &Path,
    output_is_dir: bool,
    sboms: &[Sbom],
) -> Result<(), BuildError> {
    let mut tx = Transaction::new();
    let image = output.display().to_string();
    let staged = if output_is_dir {
        stage_layout(set, output, &mut tx)
    } else {
        stage_archive(set, output, &mut tx)
    };
    if let Err(source) = staged {
        let left = Leftovers(tx.abort());
        return Err(BuildError::Output {
            path: image,
            left,
            source,
        });
    }
    for sbom in sboms {
        if let Err(source) = tx.stage_file(&sbom.path, &mut |w| w.write_all(sbom.text.as_bytes())) {
            let left = Leftovers(tx.abort());
            return Err(BuildError::Sbom {
                path: sbom.path.display().to_string(),
                left,
                source,
            });
        }
    }
    tx.commit().map_err(|e| BuildError::Output {
        path: image,
        left: Leftovers(e.unrestored),
        source: e.source,
    })
}
