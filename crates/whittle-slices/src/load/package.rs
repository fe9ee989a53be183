//! One slice definition file (`slices/<package>.yaml`): names, essentials
//! in the release's format, and each path's kind and options, with
//! Chisel's messages (`internal/setup/yaml.go`, `parsePackage`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::SliceError;
use crate::glob::is_pattern;
use crate::raw::{parse_int, EssentialField, EssentialOpts, RawPackage, RawPath, RawSlice};
use crate::release::{
    valid_arch, valid_slice_name, Essential, Format, Package, PathInfo, PathKind, Slice, SliceKey,
};

/// The longest hint Chisel accepts, in bytes.
const MAX_HINT: usize = 40;

/// Parses one package's slice definitions, read in the release's
/// `format`. `name` is the file's basename (without `.yaml`), `file` its
/// path (for messages).
///
/// # Errors
///
/// [`SliceError::Yaml`] for bad YAML, [`SliceError::Definition`] for the
/// first definition Chisel rejects.
pub fn parse_package(
    format: Format,
    name: &str,
    file: &Path,
    text: &str,
) -> Result<Package, SliceError> {
    // A byte-order mark is allowed (Go's yaml.v3 skips it; real files have one).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw: RawPackage = serde_yaml_ng::from_str(text).map_err(|e| SliceError::Yaml {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    let bad = |message: String, hint: &str| SliceError::Definition {
        file: file.to_owned(),
        message,
        hint: hint.to_owned(),
    };
    let declared = raw.package.as_ref().map_or("", |t| t.0.as_str());
    if declared != name {
        return Err(bad(
            format!("filename and 'package' field ({declared:?}) disagree"),
            "set `package:` to the file's basename",
        ));
    }
    let slices = raw.slices.unwrap_or_default().0;
    check_styles(
        format,
        name,
        &raw.essential,
        raw.v3_essential.as_ref(),
        &slices,
        &bad,
    )?;
    let mut package_level = Vec::new();
    push_field(&mut package_level, &raw.essential);
    if let Some(v3) = &raw.v3_essential {
        package_level.extend(v3.0.iter().map(|(k, o)| (k.clone(), opts_arch(o.as_ref()))));
    }
    let mut out = BTreeMap::new();
    for (slice_name, raw_slice) in slices {
        let raw_slice = raw_slice.unwrap_or_default();
        let slice = parse_slice(name, &slice_name, &package_level, raw_slice, &bad)?;
        out.insert(slice_name, slice);
    }
    Ok(Package {
        name: name.to_owned(),
        archive: raw.archive.map(|t| t.0).filter(|a| !a.is_empty()),
        slices: out,
        source: file.to_owned(),
    })
}

type Bad<'a> = dyn Fn(String, &str) -> SliceError + 'a;

/// An essential reference with its architectures, as written.
type Ref = (String, Option<Vec<String>>);

fn opts_arch(o: Option<&EssentialOpts>) -> Option<Vec<String>> {
    o.and_then(|o| o.arch.as_ref())
        .map(|a| a.0.clone())
        .filter(|a| !a.is_empty())
}

fn push_field(out: &mut Vec<Ref>, field: &EssentialField) {
    match field {
        EssentialField::List(l) => out.extend(l.iter().map(|k| (k.clone(), None))),
        EssentialField::Map(m) => {
            out.extend(m.iter().map(|(k, o)| (k.clone(), opts_arch(o.as_ref()))))
        }
        EssentialField::Unset | EssentialField::Invalid => {}
    }
}

/// The essential forms each format allows: lists in v1/v2, maps in v3;
/// `v3-essential` only before v3.
fn check_styles(
    format: Format,
    pkg: &str,
    essential: &EssentialField,
    v3: Option<&crate::raw::UniqueMap<Option<EssentialOpts>>>,
    slices: &[(String, Option<RawSlice>)],
    bad: &Bad<'_>,
) -> Result<(), SliceError> {
    let want_map = format == Format::V3;
    let ok = |f: &EssentialField| match f {
        EssentialField::Unset => true,
        EssentialField::List(_) => !want_map,
        EssentialField::Map(_) => want_map,
        EssentialField::Invalid => false,
    };
    let (expects, hint) = if want_map {
        (
            "a map",
            "format v3 writes essentials as a map: `pkg_slice:` or `pkg_slice: {arch: ...}`",
        )
    } else {
        (
            "a list",
            "formats v1 and v2 write essentials as a list; use `v3-essential:` for a map",
        )
    };
    if !ok(essential) {
        return Err(bad(
            format!("cannot parse package {pkg:?}: essential expects {expects}"),
            hint,
        ));
    }
    if want_map && v3.is_some() {
        return Err(bad(
            format!("cannot parse package {pkg:?}: v3-essential is obsolete since format v3"),
            "move those entries into `essential:`",
        ));
    }
    for (name, s) in slices {
        let Some(s) = s else { continue };
        let key = SliceKey::new(pkg, name.as_str());
        if want_map && s.v3_essential.is_some() {
            return Err(bad(
                format!("cannot parse slice {key}: v3-essential is obsolete since format v3"),
                "move those entries into `essential:`",
            ));
        }
        if !ok(&s.essential) {
            return Err(bad(
                format!("cannot parse slice {key}: essential expects {expects}"),
                hint,
            ));
        }
    }
    Ok(())
}

fn parse_slice(
    pkg: &str,
    name: &str,
    package_level: &[Ref],
    raw: RawSlice,
    bad: &Bad<'_>,
) -> Result<Slice, SliceError> {
    if !valid_slice_name(name) {
        return Err(bad(
            format!("invalid slice name {name:?}"),
            "slice names start with a-z, are at least 3 characters, and use only a-z, 0-9 and -",
        ));
    }
    let key = SliceKey::new(pkg, name);
    let hint = raw
        .hint
        .as_ref()
        .map(|t| t.0.clone())
        .filter(|h| !h.is_empty());
    if let Some(h) = &hint {
        if h.len() > MAX_HINT || !h.chars().all(printable) {
            return Err(bad(
                format!("slice {key} has invalid hint {h:?}"),
                "a hint is at most 40 bytes of letters, numbers, symbols and spaces",
            ));
        }
    }
    let essential = essentials(&key, package_level, &raw, bad)?;
    let mut contents = BTreeMap::new();
    for (path, opts) in raw.contents.unwrap_or_default().0 {
        let info = parse_path(&key, &path, opts, bad)?;
        contents.insert(path, info);
    }
    Ok(Slice {
        package: pkg.to_owned(),
        name: name.to_owned(),
        essential,
        contents,
        mutate: raw.mutate.map(|t| t.0).filter(|m| !m.is_empty()),
        hint,
    })
}

/// Go's `unicode.IsPrint`, near enough: no controls, no spaces but ' ',
/// no invisible format characters.
fn printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'))
}

/// Package-level entries (never the slice itself), then the slice's own;
/// each reference once.
fn essentials(
    key: &SliceKey,
    package_level: &[Ref],
    raw: &RawSlice,
    bad: &Bad<'_>,
) -> Result<Vec<Essential>, SliceError> {
    let mut out: BTreeMap<SliceKey, Option<Vec<String>>> = BTreeMap::new();
    let parse_ref = |r: &str| {
        SliceKey::parse(r).map_err(|_| {
            bad(
                format!(
                    "package {:?} has invalid essential slice reference: {r:?}",
                    key.package
                ),
                "write essentials as <package>_<slice>",
            )
        })
    };
    for (r, arch) in package_level {
        let k = parse_ref(r)?;
        if &k == key {
            continue;
        }
        if out.contains_key(&k) {
            return Err(bad(
                format!("package {:?} repeats {k} in essential fields", key.package),
                "list each essential once (`essential` and `v3-essential` must not share entries)",
            ));
        }
        out.insert(k, arch.clone());
    }
    let mut own = Vec::new();
    push_field(&mut own, &raw.essential);
    if let Some(v3) = &raw.v3_essential {
        own.extend(v3.0.iter().map(|(k, o)| (k.clone(), opts_arch(o.as_ref()))));
    }
    for (r, arch) in own {
        let k = parse_ref(&r)?;
        if &k == key {
            return Err(bad(
                format!("cannot add slice to itself as essential {r}"),
                "remove the slice from its own essentials",
            ));
        }
        if out.contains_key(&k) {
            return Err(bad(
                format!("slice {key} repeats {k} in essential fields"),
                "list each essential once (package-level essentials already apply to every slice)",
            ));
        }
        out.insert(k, arch);
    }
    Ok(out
        .into_iter()
        .map(|(slice, arch)| Essential { slice, arch })
        .collect())
}

/// Whether `path` is absolute and clean (a trailing `/` marks a folder).
fn clean_path(path: &str) -> bool {
    let body = path.strip_suffix('/').unwrap_or(path);
    let Some(rest) = body.strip_prefix('/') else {
        return false;
    };
    !rest.is_empty()
        && rest
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

/// A path's options with empty values dropped (as Go's zero values).
struct Options {
    make: bool,
    mode: Option<u32>,
    copy: Option<String>,
    text: Option<String>,
    symlink: Option<String>,
    mutable: bool,
    until: Option<String>,
    arch: Option<Vec<String>>,
    generate: Option<String>,
    prefer: Option<String>,
}

impl Options {
    fn read(
        key: &SliceKey,
        path: &str,
        raw: RawPath,
        bad: &Bad<'_>,
    ) -> Result<Options, SliceError> {
        let some = |t: Option<crate::raw::Text>| t.map(|t| t.0).filter(|t| !t.is_empty());
        let mode = match some(raw.mode) {
            None => None,
            Some(m) => match parse_int(&m).and_then(|v| u32::try_from(v).ok()) {
                Some(v) => Some(v).filter(|v| *v != 0),
                None => {
                    return Err(bad(
                        format!("slice {key} has invalid 'mode' for path {path}: {m:?}"),
                        "write the mode in octal, such as 0755",
                    ))
                }
            },
        };
        Ok(Options {
            make: raw.make.0,
            mode,
            copy: some(raw.copy),
            // `text: ""` is a text path; a null text is no text.
            text: raw.text.map(|t| t.0),
            symlink: some(raw.symlink),
            mutable: raw.mutable.0,
            until: some(raw.until),
            arch: raw.arch.map(|a| a.0).filter(|a| !a.is_empty()),
            generate: some(raw.generate),
            prefer: some(raw.prefer),
        })
    }

    /// Options that describe content (Chisel's `SameContent` fields).
    fn content(&self) -> bool {
        self.make
            || self.mode.is_some()
            || self.copy.is_some()
            || self.text.is_some()
            || self.symlink.is_some()
            || self.mutable
    }
}

fn parse_path(
    key: &SliceKey,
    path: &str,
    raw: Option<RawPath>,
    bad: &Bad<'_>,
) -> Result<PathInfo, SliceError> {
    if !clean_path(path) {
        return Err(bad(
            format!("slice {key} has invalid content path: {path}"),
            "paths are absolute and clean (no //, . or ..), folders end in /",
        ));
    }
    let opts = Options::read(key, path, raw.unwrap_or_default(), bad)?;
    let kind = path_kind(key, path, &opts, bad)?;
    let until_mutate = match opts.until.as_deref() {
        None => false,
        Some("mutate") => true,
        Some(u) => {
            return Err(bad(
                format!("slice {key} has invalid 'until' for path {path}: {u:?}"),
                "the only value is `until: mutate`",
            ))
        }
    };
    if let Some(a) = opts.arch.iter().flatten().find(|a| !valid_arch(a)) {
        return Err(bad(
            format!("slice {key} has invalid 'arch' for path {path}: {a:?}"),
            "use i386, amd64, armhf, arm64, ppc64el, riscv64 or s390x",
        ));
    }
    if opts.prefer.as_deref() == Some(key.package.as_str()) {
        return Err(bad(
            format!("slice {key} cannot 'prefer' its own package for path {path}"),
            "name another package in `prefer:`",
        ));
    }
    let regular_copy =
        matches!(kind, PathKind::Copy | PathKind::CopyFrom(_)) && !path.ends_with('/');
    if opts.mutable && !matches!(kind, PathKind::Text(_)) && !regular_copy {
        return Err(bad(
            format!("slice {key} mutable is not a regular file: {path}"),
            "`mutable` applies to text files and copied files only",
        ));
    }
    Ok(PathInfo {
        kind,
        mode: opts.mode,
        mutable: opts.mutable,
        until_mutate,
        arch: opts.arch,
        prefer: opts.prefer,
    })
}

/// The one kind a path's options give it, checking which options go
/// with generate and wildcard paths.
fn path_kind(
    key: &SliceKey,
    path: &str,
    opts: &Options,
    bad: &Bad<'_>,
) -> Result<PathKind, SliceError> {
    let mut kinds: Vec<PathKind> = Vec::new();
    if let Some(g) = &opts.generate {
        if opts.content() || opts.prefer.is_some() || opts.until.is_some() {
            return Err(bad(
                format!("slice {key} path {path} has invalid generate options"),
                "a `generate:` path takes no other option but `arch`",
            ));
        }
        if let Err(why) = generate_dir(path) {
            return Err(bad(
                format!("slice {key} has invalid generate path: {path} {why}"),
                "write it as /dir/** with no other wildcard",
            ));
        }
        kinds.push(if g == "manifest" {
            PathKind::GenerateManifest
        } else {
            PathKind::GenerateUnknown(g.clone())
        });
    } else if is_pattern(path) {
        if opts.content() || opts.prefer.is_some() {
            return Err(bad(
                format!("slice {key} path {path} has invalid wildcard options"),
                "a wildcard path takes only `until` and `arch`",
            ));
        }
        kinds.push(PathKind::Glob);
    }
    if opts.make {
        if !path.ends_with('/') {
            return Err(bad(
                format!("slice {key} path {path} must end in / for 'make' to be valid"),
                "add the trailing /",
            ));
        }
        kinds.push(PathKind::Make);
    }
    if let Some(t) = &opts.text {
        kinds.push(PathKind::Text(t.clone()));
    }
    if let Some(s) = &opts.symlink {
        kinds.push(PathKind::Symlink(s.clone()));
    }
    if let Some(c) = &opts.copy {
        if is_pattern(c) {
            return Err(bad(
                format!("slice {key} path {path} copies from a wildcard path: {c}"),
                "when using wildcards source and target paths must match: list the pattern itself",
            ));
        }
        kinds.push(if c == path {
            PathKind::Copy
        } else {
            PathKind::CopyFrom(c.clone())
        });
    }
    match kinds.len() {
        0 => Ok(PathKind::Copy),
        1 => Ok(kinds.remove(0)),
        _ => {
            let names: Vec<&str> = kinds.iter().map(PathKind::name).collect();
            Err(bad(
                format!(
                    "conflict in slice {key} definition for path {path}: {}",
                    names.join(", ")
                ),
                "give a path one kind only (copy, make, text, symlink, glob or generate)",
            ))
        }
    }
}

/// The folder of a `generate:` path, which must be `/dir/**` with no
/// other wildcard.
fn generate_dir(path: &str) -> Result<&str, &'static str> {
    let Some(dir) = path.strip_suffix("**") else {
        return Err("does not end with /**");
    };
    if !dir.ends_with('/') {
        return Err("does not end with /**");
    }
    if is_pattern(dir) {
        return Err("contains wildcard characters in addition to trailing **");
    }
    Ok(dir)
}
