//! Declared licences from `/usr/share/doc/<pkg>/copyright`.
//!
//! Only machine-readable copyright files (DEP-5, "Format:" header) are
//! read; Debian's short licence names are mapped to SPDX identifiers, and
//! names with no SPDX equivalent become `LicenseRef-` references.

use std::collections::BTreeSet;

use whittle_rootfs::RootFs;

/// The licence expression a package declares, or `None` when its copyright
/// file is missing or not machine-readable.
pub fn declared_license(root: &RootFs, package: &str) -> Option<String> {
    let text = root.read_file(&format!("usr/share/doc/{package}/copyright"))?;
    let text = String::from_utf8_lossy(text);
    if !text.starts_with("Format:") {
        return None;
    }
    let mut found = BTreeSet::new();
    for paragraph in text.split("\n\n") {
        let has_files = paragraph.lines().any(|l| l.starts_with("Files:"));
        let is_header = paragraph.starts_with("Format:");
        if !(has_files || is_header) {
            continue;
        }
        if let Some(l) = paragraph.lines().find_map(|l| l.strip_prefix("License:")) {
            let l = l.trim();
            if !l.is_empty() {
                found.insert(to_spdx_expression(l));
            }
        }
    }
    if found.is_empty() {
        return None;
    }
    let parts: Vec<String> = found
        .into_iter()
        .map(|e| if e.contains(' ') { format!("({e})") } else { e })
        .collect();
    Some(if parts.len() == 1 {
        parts
            .into_iter()
            .next()
            .unwrap_or_default()
            .trim_matches(|c| c == '(' || c == ')')
            .to_string()
    } else {
        parts.join(" AND ")
    })
}

/// Map a DEP-5 licence line (`GPL-2+ or Artistic`) to an SPDX expression.
fn to_spdx_expression(line: &str) -> String {
    let mut out = Vec::new();
    for token in line.split_whitespace() {
        let lower = token.to_ascii_lowercase();
        match lower.as_str() {
            "or" | "|" => out.push("OR".to_string()),
            "and" | "&" => out.push("AND".to_string()),
            "with" => out.push("WITH".to_string()),
            _ => out.push(spdx_id(token.trim_end_matches(','))),
        }
    }
    out.join(" ")
}

fn spdx_id(name: &str) -> String {
    let known = [
        ("GPL-1+", "GPL-1.0-or-later"),
        ("GPL-2", "GPL-2.0-only"),
        ("GPL-2+", "GPL-2.0-or-later"),
        ("GPL-3", "GPL-3.0-only"),
        ("GPL-3+", "GPL-3.0-or-later"),
        ("LGPL-2", "LGPL-2.0-only"),
        ("LGPL-2+", "LGPL-2.0-or-later"),
        ("LGPL-2.1", "LGPL-2.1-only"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"),
        ("LGPL-3", "LGPL-3.0-only"),
        ("LGPL-3+", "LGPL-3.0-or-later"),
        ("GFDL-1.3+", "GFDL-1.3-or-later"),
        ("Expat", "MIT"),
        ("MIT", "MIT"),
        ("BSD-2-clause", "BSD-2-Clause"),
        ("BSD-3-clause", "BSD-3-Clause"),
        ("BSD-4-clause", "BSD-4-Clause"),
        ("ISC", "ISC"),
        ("Zlib", "Zlib"),
        ("Apache-2.0", "Apache-2.0"),
        ("MPL-2.0", "MPL-2.0"),
        ("PSF-2", "PSF-2.0"),
        ("Python", "PSF-2.0"),
        ("public-domain", "LicenseRef-public-domain"),
        ("OpenSSL", "OpenSSL"),
        ("Artistic", "Artistic-1.0-Perl"),
        ("curl", "curl"),
    ];
    if let Some((_, id)) = known.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
        return (*id).to_string();
    }
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("LicenseRef-{clean}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_debian_names() {
        assert_eq!(
            to_spdx_expression("GPL-2+ or Artistic"),
            "GPL-2.0-or-later OR Artistic-1.0-Perl"
        );
        assert_eq!(to_spdx_expression("Expat"), "MIT");
        assert_eq!(
            to_spdx_expression("custom thing"),
            "LicenseRef-custom LicenseRef-thing"
        );
    }
}
