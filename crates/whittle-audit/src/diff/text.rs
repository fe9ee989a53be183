//! A comparison as text for people: per platform, packages (`+` added,
//! `-` removed, `~` changed `old → new`) with installed sizes, the layers
//! shared, and the files; then one verdict line.

use std::fmt::{self, Write as _};

use super::{DiffReport, FileChanges, LayerSharing, PackageChanges, PlatformDiff};
use crate::pkgset::SetPackage;

impl DiffReport {
    /// The comparison as text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out).unwrap_or_default();
        out
    }

    fn write_text(&self, out: &mut String) -> fmt::Result {
        writeln!(out, "--- A: {}", self.a.source)?;
        writeln!(out, "+++ B: {}", self.b.source)?;
        for p in &self.platforms {
            platform(out, p)?;
        }
        for (side, list) in [("A", &self.only_in_a), ("B", &self.only_in_b)] {
            if !list.is_empty() {
                writeln!(out, "\nonly in {side} (not compared): {}", list.join(", "))?;
            }
        }
        let verdict = if self.identical {
            "identical"
        } else {
            "different"
        };
        writeln!(out, "\n{verdict}")
    }
}

fn platform(out: &mut String, p: &PlatformDiff) -> fmt::Result {
    let name = if p.platform == p.b_platform {
        p.platform.clone()
    } else {
        format!("{} → {}", p.platform, p.b_platform)
    };
    let c = &p.packages;
    writeln!(
        out,
        "\n{name}: {} added, {} removed, {} changed, {} unchanged",
        c.added.len(),
        c.removed.len(),
        c.changed.len(),
        c.unchanged
    )?;
    packages(out, c)?;
    if let Some(l) = &p.layers {
        layers(out, l)?;
    }
    if let Some(f) = &p.files {
        files(out, f)?;
    }
    for n in &p.notes {
        writeln!(out, "  note: {n}")?;
    }
    Ok(())
}

fn packages(out: &mut String, c: &PackageChanges) -> fmt::Result {
    for (sign, list) in [('+', &c.added), ('-', &c.removed)] {
        for p in list {
            writeln!(
                out,
                "  {sign} {} {} {}{}",
                p.name,
                p.version,
                p.arch,
                size_of(p)
            )?;
        }
    }
    for ch in &c.changed {
        let arch = if ch.old_arch == ch.new_arch {
            String::new()
        } else {
            format!(" [{} → {}]", ch.old_arch, ch.new_arch)
        };
        let size = match (ch.old_size, ch.new_size) {
            (Some(o), Some(n)) => format!(" ({} → {})", human(o), human(n)),
            (None, Some(n)) => format!(" (→ {})", human(n)),
            (Some(o), None) => format!(" ({} →)", human(o)),
            (None, None) => String::new(),
        };
        let moved = match ch.direction {
            Some(super::packages::Direction::Upgrade) => ", upgrade",
            Some(super::packages::Direction::Downgrade) => ", downgrade",
            None => "",
        };
        writeln!(
            out,
            "  ~ {} {} → {}{moved}{arch}{size}",
            ch.name, ch.old_version, ch.new_version
        )?;
    }
    let s = &c.size;
    let unknown = match (s.a_unknown, s.b_unknown) {
        (0, 0) => String::new(),
        (a, b) => format!(" (sizes unknown: {a} in A, {b} in B)"),
    };
    writeln!(
        out,
        "  installed size: {} → {} ({}){unknown}",
        human(s.a),
        human(s.b),
        signed_human(s.delta)
    )
}

fn size_of(p: &SetPackage) -> String {
    p.size
        .map(|s| format!(" ({})", human(s)))
        .unwrap_or_default()
}

fn layers(out: &mut String, l: &LayerSharing) -> fmt::Result {
    writeln!(
        out,
        "  layers: {} of B's {} in A: {} of B's {} already there, {} to pull",
        l.shared.len(),
        l.b_layers,
        human(l.shared_bytes),
        human(l.b_bytes),
        human(l.pull_bytes)
    )?;
    for s in &l.shared {
        writeln!(out, "    = {} ({})", s.digest, human(s.size))?;
    }
    if l.same_content > 0 {
        writeln!(
            out,
            "    {} more of B's layers have A's content compressed differently",
            l.same_content
        )?;
    }
    Ok(())
}

fn files(out: &mut String, f: &FileChanges) -> fmt::Result {
    writeln!(
        out,
        "  files: {} added, {} removed, {} changed, {} unchanged",
        f.added.len(),
        f.removed.len(),
        f.changed.len(),
        f.unchanged
    )?;
    for (sign, list) in [('+', &f.added), ('-', &f.removed)] {
        for i in list {
            writeln!(out, "    {sign} {}", i.path)?;
        }
    }
    for c in &f.changed {
        let what: Vec<&str> = c.changes.iter().map(|a| a.word()).collect();
        writeln!(out, "    ~ {} ({})", c.path, what.join(", "))?;
    }
    Ok(())
}

/// Bytes for people: `512 B`, `12.0 KiB`, `3.4 MiB`, `1.2 GiB`.
pub(crate) fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Precision beyond a tenth is not shown, so a float is exact enough.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn signed_human(delta: i64) -> String {
    let sign = match delta.signum() {
        1 => "+",
        -1 => "-",
        _ => "±",
    };
    format!("{sign}{}", human(delta.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_for_people() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(5 << 20), "5.0 MiB");
        assert_eq!(signed_human(-2048), "-2.0 KiB");
        assert_eq!(signed_human(0), "±0 B");
    }
}
