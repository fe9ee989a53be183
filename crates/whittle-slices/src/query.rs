//! `chisel find` and `chisel info` (`cmd/chisel/cmd_find.go`,
//! `cmd_info.go`): fuzzy search over slice names, and the YAML of named
//! packages and slices as loaded.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::error::SliceError;
use crate::release::{Package, PathInfo, PathKind, Release, Slice, SliceKey};

/// The slices matching every query term (AND), sorted by full name.
///
/// A term is compared with the package name; with the full `pkg_slice`
/// name when it contains `_`; with the slice name alone when it starts
/// with `_`. It matches within one edit (insert, delete, substitute), and
/// may use `*` (any run), `**` and `?` (one character).
pub fn find(release: &Release, query: &[String]) -> Vec<SliceKey> {
    let mut out: Vec<SliceKey> = release
        .slices()
        .filter(|s| query.iter().all(|q| find_match(s, q)))
        .map(Slice::key)
        .collect();
    out.sort_by_cached_key(ToString::to_string);
    out
}

fn find_match(slice: &Slice, query: &str) -> bool {
    let full;
    let (term, query) = if let Some(q) = query.strip_prefix('_') {
        (slice.name.as_str(), q)
    } else if query.contains('_') {
        full = slice.to_string();
        (full.as_str(), query)
    } else {
        (slice.package.as_str(), query)
    };
    find_distance(term, query) <= 1
}

/// Edit distance where `*` and `**` in the query match any run at no
/// cost and `?` substitutes for any one character (Chisel's
/// `distWithGlobs`).
fn find_distance(term: &str, query: &str) -> u32 {
    if term == query {
        return 0;
    }
    let t: Vec<char> = term.chars().collect();
    let q: Vec<char> = query.chars().collect();
    let free = |c: char| c == '*';
    // row[j]: distance between the term so far and q[..j].
    let mut row: Vec<u32> = Vec::with_capacity(q.len() + 1);
    row.push(0);
    for &c in &q {
        let last = row[row.len() - 1];
        row.push(last + u32::from(!free(c)));
    }
    for &tc in &t {
        let mut diag = row[0];
        row[0] += 1;
        for (j, &qc) in q.iter().enumerate() {
            let (swap, insert, delete) = if free(qc) {
                (0, 0, 0)
            } else if qc == '?' {
                (0, 1, 1)
            } else {
                (u32::from(tc != qc), 1, 1)
            };
            let best = (diag + swap).min(row[j] + insert).min(row[j + 1] + delete);
            diag = row[j + 1];
            row[j + 1] = best;
        }
    }
    row[q.len()]
}

/// The name among `candidates` closest to `name`, when it is close
/// (Levenshtein distance at most a third of the name, and at least 1 allowed).
pub(crate) fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| (levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c.to_owned())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for ac in a.chars() {
        let mut diag = row[0];
        row[0] += 1;
        for (j, &bc) in b.iter().enumerate() {
            let best = (diag + usize::from(ac != bc))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = best;
        }
    }
    row[b.len()]
}

/// The YAML of the packages and slices named by `patterns` (`pkg` for a
/// whole package, `pkg_slice` for one slice), one document per package
/// in the order first named, separated by `---`, as `chisel info` prints
/// them: essentials in map form, each path's options in flow style.
///
/// # Errors
///
/// [`SliceError::NotFound`] listing every pattern not found (see
/// [`info_parts`] for the found part as well).
pub fn info(release: &Release, patterns: &[String]) -> Result<String, SliceError> {
    let (yaml, not_found) = info_parts(release, patterns);
    if not_found.is_empty() {
        Ok(yaml)
    } else {
        Err(SliceError::NotFound { queries: not_found })
    }
}

/// [`info`]'s YAML for what was found, and the patterns that were not
/// (Chisel prints the first and then fails on the second).
pub fn info_parts(release: &Release, patterns: &[String]) -> (String, Vec<String>) {
    let mut order: Vec<&Package> = Vec::new();
    // Per package: `None` for all slices, else the slices asked for.
    let mut wanted: BTreeMap<&str, Option<Vec<&str>>> = BTreeMap::new();
    let mut not_found = Vec::new();
    for q in patterns {
        let (pkg, slice) = if q.contains('_') {
            match SliceKey::parse(q).ok().and_then(|k| {
                let p = release.packages.get(&k.package)?;
                let (name, _) = p.slices.get_key_value(&k.slice)?;
                Some((p, Some(name.as_str())))
            }) {
                Some(found) => found,
                None => {
                    not_found.push(q.clone());
                    continue;
                }
            }
        } else if let Some(p) = release.packages.get(q) {
            (p, None)
        } else {
            not_found.push(q.clone());
            continue;
        };
        let entry = wanted.entry(pkg.name.as_str()).or_insert_with(|| {
            order.push(pkg);
            Some(Vec::new())
        });
        match (entry, slice) {
            (e @ Some(_), None) => *e = None,
            (Some(list), Some(s)) => list.push(s),
            (None, _) => {}
        }
    }
    let mut out = String::new();
    for (i, pkg) in order.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let only = wanted.get(pkg.name.as_str()).cloned().flatten();
        write_package(&mut out, pkg, only.as_deref());
    }
    (out, not_found)
}

fn write_package(out: &mut String, pkg: &Package, only: Option<&[&str]>) {
    let _ = writeln!(out, "package: {}", scalar(&pkg.name));
    if let Some(a) = &pkg.archive {
        let _ = writeln!(out, "archive: {}", scalar(a));
    }
    let slices: Vec<&Slice> = pkg
        .slices
        .values()
        .filter(|s| only.is_none_or(|o| o.contains(&s.name.as_str())))
        .collect();
    if slices.is_empty() {
        return;
    }
    out.push_str("slices:\n");
    for s in slices {
        let body_start = out.len();
        if let Some(h) = &s.hint {
            let _ = writeln!(out, "        hint: {}", scalar(h));
        }
        if !s.essential.is_empty() {
            out.push_str("        essential:\n");
            for e in &s.essential {
                let opts = match &e.arch {
                    None => "{}".to_owned(),
                    Some(a) => format!("{{arch: {}}}", arch(a)),
                };
                let _ = writeln!(out, "            {}: {opts}", scalar(&e.slice.to_string()));
            }
        }
        if !s.contents.is_empty() {
            out.push_str("        contents:\n");
            for (path, info) in &s.contents {
                let _ = writeln!(out, "            {}: {}", scalar(path), path_options(info));
            }
        }
        if let Some(m) = &s.mutate {
            out.push_str("        mutate: ");
            block(out, m, "            ");
        }
        if out.len() == body_start {
            let _ = writeln!(out, "    {}: {{}}", s.name);
        } else {
            let body = out.split_off(body_start);
            let _ = writeln!(out, "    {}:", s.name);
            // The body was written with 8 spaces; slices sit at 4.
            out.push_str(&body);
        }
    }
}

fn arch(list: &[String]) -> String {
    match list {
        [one] => scalar(one),
        many => format!(
            "[{}]",
            many.iter()
                .map(|a| scalar(a))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// One path's options in flow style, in Chisel's field order.
fn path_options(info: &PathInfo) -> String {
    let mut fields: Vec<String> = Vec::new();
    if info.kind == PathKind::Make {
        fields.push("make: true".to_owned());
    }
    if let Some(m) = info.mode {
        fields.push(format!("mode: 0{m:o}"));
    }
    match &info.kind {
        PathKind::CopyFrom(src) => fields.push(format!("copy: {}", scalar(src))),
        PathKind::Text(t) => fields.push(format!("text: {}", scalar(t))),
        PathKind::Symlink(t) => fields.push(format!("symlink: {}", scalar(t))),
        _ => {}
    }
    if info.mutable {
        fields.push("mutable: true".to_owned());
    }
    if info.until_mutate {
        fields.push("until: mutate".to_owned());
    }
    if let Some(a) = &info.arch {
        fields.push(format!("arch: {}", arch(a)));
    }
    match &info.kind {
        PathKind::GenerateManifest => fields.push("generate: manifest".to_owned()),
        PathKind::GenerateUnknown(g) => fields.push(format!("generate: {}", scalar(g))),
        _ => {}
    }
    if let Some(p) = &info.prefer {
        fields.push(format!("prefer: {}", scalar(p)));
    }
    format!("{{{}}}", fields.join(", "))
}

/// A YAML scalar: plain when that reads back as the same string (also
/// inside a flow mapping), else double-quoted.
fn scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_owned()
    } else {
        quoted(s)
    }
}

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_whitespace() || s.ends_with(char::is_whitespace) {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`~".contains(first)
        && !(first == '-' && s.len() > 1 && !s.starts_with("- "))
    {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if s.chars().any(|c| c.is_control() || ",[]{}".contains(c)) {
        return false;
    }
    // Words YAML would read as another type.
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | "~"
            | ".inf"
            | "-.inf"
            | ".nan"
    ) {
        return false;
    }
    !looks_numeric(s)
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim_start_matches(['+', '-']);
    !t.is_empty()
        && t.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && t.chars()
            .all(|c| c.is_ascii_hexdigit() || "._xXoO+-".contains(c))
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A multi-line string as a literal block (`|`, `|-` or `|+`), or quoted
/// when a block cannot hold it.
fn block(out: &mut String, s: &str, indent: &str) {
    let blockable = !s.starts_with([' ', '\t', '\n'])
        && s.lines()
            .all(|l| !l.chars().any(|c| c.is_control() && c != '\t'))
        && s.contains('\n');
    if !blockable {
        let _ = writeln!(out, "{}", scalar(s));
        return;
    }
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let _ = writeln!(out, "|{chomp}");
    for line in body.split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_distance_like_chisel() {
        assert_eq!(find_distance("python3.12", "python3.12"), 0);
        assert_eq!(find_distance("python3.12", "python3.13"), 1);
        assert_eq!(find_distance("python3.12", "pyth*"), 0);
        assert_eq!(find_distance("python3.12", "python3.1?"), 0);
        assert_eq!(find_distance("libc6", "lib*6"), 0);
        assert!(find_distance("libc6", "zlib") > 1);
    }

    #[test]
    fn scalars_read_back() {
        for s in [
            "FIXME",
            "",
            "24.04",
            "true",
            "a: b",
            "- x",
            "[x]",
            "/usr/lib/*",
            "x #y",
            "0755",
            "\n",
            "it's",
        ] {
            let line = format!("k: {}", scalar(s));
            let v: std::collections::BTreeMap<String, String> =
                serde_yaml_ng::from_str(&line).unwrap();
            assert_eq!(v["k"], s, "{line}");
        }
    }

    #[test]
    fn blocks_read_back() {
        for s in ["a\nb\n", "a\nb", "a\n\nb\n\n", "x = 1\n  y\n"] {
            let mut out = String::from("k: ");
            block(&mut out, s, "  ");
            let v: std::collections::BTreeMap<String, String> =
                serde_yaml_ng::from_str(&out).unwrap();
            assert_eq!(v["k"], s, "{out}");
        }
    }
}
