//! Declared licences from `/usr/share/doc/<pkg>/copyright`.
//!
//! Only machine-readable copyright files (DEP-5, "Format:" header) are
//! read; Debian's short licence names are mapped to SPDX identifiers, and
//! names with no SPDX equivalent become `LicenseRef-` references. The
//! mapping of DEP-5 names is kept here; the SPDX License List, expression
//! checking and `LicenseRef-` cleaning are the `spdx` crate's and
//! [`whittle_sbom`]'s.

use std::collections::BTreeSet;

use whittle_rootfs::RootFs;
use whittle_sbom::{license_ref, spdx_license_id};

/// The licence expression a package declares, or `None` when its copyright
/// file is missing or not machine-readable.
pub fn declared_license(root: &RootFs, package: &str) -> Option<String> {
    let text = root.read_file(&format!("usr/share/doc/{package}/copyright"))?;
    copyright_license(&String::from_utf8_lossy(&text))
}

/// The licence expression a copyright file's text declares, or `None` when
/// it is not machine-readable (DEP-5) or names no licence.
pub fn copyright_license(text: &str) -> Option<String> {
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
/// When the mapped words do not form a valid expression (`GPL-2+ with
/// OpenSSL exception`, prose), the whole line becomes one `LicenseRef-`.
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
    let expression = out.join(" ");
    match spdx::Expression::parse_mode(&expression, PARSE_MODE) {
        Ok(_) => expression,
        Err(_) => license_ref(line),
    }
}

/// SPDX syntax with deprecated identifiers allowed: the SBOM rewrites them.
const PARSE_MODE: spdx::ParseMode = spdx::ParseMode {
    allow_deprecated: true,
    ..spdx::ParseMode::STRICT
};

/// DEP-5 short names that are not SPDX identifiers in another case.
const DEBIAN_NAMES: &[(&str, &str)] = &[
    ("Expat", "MIT"),
    ("PSF-2", "PSF-2.0"),
    ("Python", "PSF-2.0"),
    ("Artistic", "Artistic-1.0-Perl"),
    ("public-domain", "LicenseRef-public-domain"),
];

/// The SPDX identifier for one DEP-5 licence short name.
fn spdx_id(name: &str) -> String {
    if let Some((_, id)) = DEBIAN_NAMES
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
    {
        return (*id).to_string();
    }
    if let Some(id) = gnu_family(name) {
        return id.to_string();
    }
    match spdx_license_id(name) {
        Some(id) => id.to_string(),
        None => license_ref(name),
    }
}

/// DEP-5's GNU names, `GPL-2`, `GPL-2+`, `LGPL-2.1`, `AGPL-3+`, `GFDL-1.3+`
/// (a version without `.0`, `+` for "or later"): the SPDX `-only` or
/// `-or-later` identifier.
fn gnu_family(name: &str) -> Option<&'static str> {
    let (body, or_later) = match name.strip_suffix('+') {
        Some(b) => (b, true),
        None => (name, false),
    };
    let (family, version) = body.split_once('-')?;
    let family = ["GPL", "LGPL", "AGPL", "GFDL"]
        .into_iter()
        .find(|f| f.eq_ignore_ascii_case(family))?;
    let (major, minor) = version.split_once('.').unwrap_or((version, "0"));
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(major) || !numeric(minor) {
        return None;
    }
    spdx::gnu_license_id(&format!("{family}-{major}.{minor}"), or_later).map(|id| id.name)
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
            to_spdx_expression("GPL-3+ or Artistic-1.0-Perl"),
            "GPL-3.0-or-later OR Artistic-1.0-Perl"
        );
        assert_eq!(
            to_spdx_expression("BSD-3-clause and public-domain"),
            "BSD-3-Clause AND LicenseRef-public-domain"
        );
        assert_eq!(
            to_spdx_expression("custom thing"),
            "LicenseRef-custom-thing"
        );
        assert_eq!(
            to_spdx_expression("GPL-2+ with OpenSSL exception"),
            "LicenseRef-GPL-2-plus-with-OpenSSL-exception"
        );
    }

    #[test]
    fn gnu_short_names() {
        for (name, id) in [
            ("GPL-2+", "GPL-2.0-or-later"),
            ("GPL-2", "GPL-2.0-only"),
            ("GPL-2.0+", "GPL-2.0-or-later"),
            ("gpl-3", "GPL-3.0-only"),
            ("LGPL-2.1+", "LGPL-2.1-or-later"),
            ("LGPL-2", "LGPL-2.0-only"),
            ("AGPL-3+", "AGPL-3.0-or-later"),
            ("GFDL-1.3+", "GFDL-1.3-or-later"),
            ("GPL-1+", "GPL-1.0-or-later"),
        ] {
            assert_eq!(spdx_id(name), id, "{name}");
        }
        assert_eq!(spdx_id("GPL"), "LicenseRef-GPL");
        assert_eq!(spdx_id("GPL-9"), "LicenseRef-GPL-9");
        assert_eq!(spdx_id("zlib"), "Zlib");
        assert_eq!(spdx_id("curl"), "curl");
    }
}
