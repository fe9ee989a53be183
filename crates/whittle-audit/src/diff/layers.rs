//! Which layers two images share, by blob digest (what a registry and a
//! pull deduplicate) and by diff ID (the same tar compressed differently),
//! and how many bytes pulling B costs when A is already there.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::layer::LayerFacts;

/// What B's layers have in common with A's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LayerSharing {
    /// A's layer count.
    pub a_layers: usize,
    /// B's layer count.
    pub b_layers: usize,
    /// B's layers whose blob A has too, in B's order, each blob once.
    pub shared: Vec<SharedLayer>,
    /// B's other layers whose uncompressed tar A has too (the same diff
    /// ID in another blob: the same files, compressed differently).
    pub same_content: usize,
    /// Bytes of A's distinct blobs.
    pub a_bytes: u64,
    /// Bytes of B's distinct blobs.
    pub b_bytes: u64,
    /// Bytes of B's blobs that A has: what pulling B after A skips.
    pub shared_bytes: u64,
    /// Bytes pulling B after A still fetches (`b_bytes - shared_bytes`).
    pub pull_bytes: u64,
}

/// One layer both images have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedLayer {
    /// The blob's digest (compressed, as the manifest names it).
    pub digest: String,
    /// The uncompressed tar's digest (the config's diff ID).
    pub diff_id: String,
    /// The blob's bytes.
    pub size: u64,
}

/// Compare the layers of A and B (bottom first, as read).
pub(crate) fn sharing(a: &[LayerFacts], b: &[LayerFacts]) -> LayerSharing {
    let a_blobs: BTreeSet<&str> = a.iter().map(|l| l.digest.as_str()).collect();
    let a_tars: BTreeSet<&str> = a.iter().map(|l| l.diff_id.as_str()).collect();
    let distinct_bytes = |layers: &[LayerFacts]| {
        let mut seen = BTreeSet::new();
        layers
            .iter()
            .filter(|l| seen.insert(l.digest.as_str()))
            .map(|l| l.size)
            .sum::<u64>()
    };
    let mut out = LayerSharing {
        a_layers: a.len(),
        b_layers: b.len(),
        a_bytes: distinct_bytes(a),
        b_bytes: distinct_bytes(b),
        ..LayerSharing::default()
    };
    let mut seen = BTreeSet::new();
    for layer in b.iter().filter(|l| seen.insert(l.digest.as_str())) {
        if a_blobs.contains(layer.digest.as_str()) {
            out.shared_bytes += layer.size;
            out.shared.push(SharedLayer {
                digest: layer.digest.clone(),
                diff_id: layer.diff_id.clone(),
                size: layer.size,
            });
        } else if a_tars.contains(layer.diff_id.as_str()) {
            out.same_content += 1;
        }
    }
    out.pull_bytes = out.b_bytes - out.shared_bytes;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(digest: &str, diff_id: &str, size: u64) -> LayerFacts {
        LayerFacts {
            digest: digest.into(),
            size,
            diff_id: diff_id.into(),
            diff_size: size * 3,
        }
    }

    #[test]
    fn shared_blobs_count_once_and_recompressed_tars_apart() {
        let a = [layer("b1", "t1", 100), layer("b2", "t2", 50)];
        let b = [
            layer("b1", "t1", 100),
            layer("b1", "t1", 100),
            layer("b9", "t2", 60),
            layer("b3", "t3", 7),
        ];
        let s = sharing(&a, &b);
        assert_eq!(s.shared.len(), 1);
        assert_eq!(s.same_content, 1);
        assert_eq!((s.a_bytes, s.b_bytes), (150, 167));
        assert_eq!((s.shared_bytes, s.pull_bytes), (100, 67));
        assert_eq!((s.a_layers, s.b_layers), (2, 4));
    }
}
