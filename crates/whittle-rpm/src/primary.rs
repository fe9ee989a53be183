//! `primary.xml` (createrepo_c's format, the `common` and `rpm` XML
//! namespaces), streamed into [`PackageRecord`]s for the wanted
//! architectures.
//!
//! Requirements become [`Dependency`]s (rich ones through [`crate::rich`]);
//! `rpmlib(...)` ones are dropped; weak dependencies are kept aside in
//! `extra` ([`weak_dependencies`] reads them back). Every `<file>` is a
//! provide of its path, which is how `Requires: /bin/sh` is answered.
//! A malformed `<package>` is set aside with a reason; broken XML is an
//! error.

use std::collections::{BTreeSet, HashSet};
use std::io::BufRead;

use whittle_model::{Dependency, Download, Op, PackageRecord, Provide, Requirement, SourceRef};

use crate::index_error::ListingError;
use crate::repodata_xml::{attr, Step, Walker};
use crate::repomd::join_url;
use crate::rich;
use crate::version::{evr_string, rpm_op};

/// Where a `primary.xml` comes from.
#[derive(Debug, Clone, Copy)]
pub struct PrimarySource<'a> {
    /// Its URL or path, for error messages.
    pub origin: &'a str,
    /// The repository base URL package locations are relative to.
    pub base_url: &'a str,
    /// Index of the repository in recipe order ([`PackageRecord::repo`]).
    pub repo: usize,
}

/// A `primary.xml` read into records.
#[derive(Debug, Default)]
pub struct ParsedPrimary {
    /// Packages of the wanted architectures, in file order.
    pub records: Vec<PackageRecord>,
    /// Malformed packages, set aside.
    pub skipped: Vec<SkippedPackage>,
    /// How many packages were of other architectures (or sources).
    pub other_arch: usize,
    /// The `packages="N"` count the file declares.
    pub declared: Option<u64>,
}

/// A `<package>` set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedPackage {
    /// Its name (`(unnamed)` when it has none) and version, as far as known.
    pub package: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The weak-dependency kinds, each kept in `extra` under its own key.
pub const WEAK_KINDS: [&str; 4] = ["recommends", "suggests", "supplements", "enhances"];

/// Which dependency list an `<rpm:entry>` belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum List {
    Provides,
    Requires,
    Conflicts,
    Obsoletes,
    Weak(usize),
}

impl List {
    fn from_name(name: &[u8]) -> Option<List> {
        Some(match name {
            b"provides" => List::Provides,
            b"requires" => List::Requires,
            b"conflicts" => List::Conflicts,
            b"obsoletes" => List::Obsoletes,
            _ => List::Weak(WEAK_KINDS.iter().position(|k| k.as_bytes() == name)?),
        })
    }
}

/// One `<rpm:entry>`.
#[derive(Debug, Default)]
struct Entry {
    name: String,
    flags: Option<String>,
    epoch: Option<String>,
    ver: Option<String>,
    rel: Option<String>,
    pre: bool,
}

/// A `<package>` as read, before it is checked.
#[derive(Debug, Default)]
struct RawPackage {
    fields: Vec<(&'static str, String)>,
    epoch: Option<String>,
    ver: Option<String>,
    rel: Option<String>,
    checksum_kind: String,
    href: Option<String>,
    base: Option<String>,
    size_package: Option<String>,
    size_installed: Option<String>,
    entries: Vec<(List, Entry)>,
    files: Vec<String>,
}

impl RawPackage {
    fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    fn label(&self) -> String {
        let name = self.field("name").unwrap_or("(unnamed)");
        match &self.ver {
            Some(v) => format!(
                "{name} {}",
                evr_string(self.epoch.as_deref(), v, self.rel.as_deref())
            ),
            None => name.to_string(),
        }
    }
}

/// Parse `primary.xml` from `input`, keeping packages whose arch is in
/// `arches` (source packages never).
pub fn parse_primary<R: BufRead>(
    input: R,
    source: &PrimarySource<'_>,
    arches: &[&str],
) -> Result<ParsedPrimary, ListingError> {
    let xml_error = |source_error| ListingError::Xml {
        what: "primary.xml",
        origin: source.origin.to_string(),
        source: source_error,
    };
    let mut walker = Walker::new(input);
    let mut out = ParsedPrimary::default();
    let mut pkg: Option<RawPackage> = None;
    let mut list = None;
    loop {
        match walker.next().map_err(xml_error)? {
            Step::End => break,
            Step::Open { name, attrs } => {
                let depth = walker.depth();
                if depth == 1 {
                    out.declared = attr(&attrs, "packages").and_then(|n| n.parse().ok());
                    continue;
                }
                if name == b"package" && depth == 2 {
                    pkg = Some(RawPackage::default());
                    continue;
                }
                let Some(p) = pkg.as_mut() else { continue };
                open_in_package(p, &name, &attrs, &mut list);
            }
            Step::Close { name, text } => {
                let depth = walker.depth();
                if name == b"package" && depth == 1 {
                    if let Some(p) = pkg.take() {
                        finish(p, source, arches, &mut out);
                    }
                    continue;
                }
                let Some(p) = pkg.as_mut() else { continue };
                if name == b"arch" && depth == 2 && !wanted_arch(&text, arches) {
                    // Not wanted: skip the rest of this package unread.
                    out.other_arch += 1;
                    pkg = None;
                    walker.skip_to_depth(1).map_err(xml_error)?;
                    continue;
                }
                close_in_package(p, &name, text, &mut list);
            }
        }
    }
    Ok(out)
}

fn wanted_arch(arch: &str, arches: &[&str]) -> bool {
    arch != "src" && arch != "nosrc" && arches.contains(&arch)
}

fn open_in_package(
    p: &mut RawPackage,
    name: &[u8],
    attrs: &[(Vec<u8>, String)],
    list: &mut Option<List>,
) {
    let get = |key| attr(attrs, key).map(str::to_string);
    match name {
        b"version" => {
            p.epoch = get("epoch");
            p.ver = get("ver");
            p.rel = get("rel");
        }
        b"checksum" => p.checksum_kind = get("type").unwrap_or_default().to_ascii_lowercase(),
        b"time" => {
            p.fields.extend(get("file").map(|v| ("filetime", v)));
            p.fields.extend(get("build").map(|v| ("buildtime", v)));
        }
        b"size" => {
            p.size_package = get("package");
            p.size_installed = get("installed");
        }
        b"location" => {
            p.href = get("href");
            p.base = get("xml:base");
        }
        b"header-range" => {
            if let (Some(s), Some(e)) = (get("start"), get("end")) {
                p.fields.push(("header_range", format!("{s}-{e}")));
            }
        }
        b"entry" => {
            if let Some(l) = *list {
                p.entries.push((
                    l,
                    Entry {
                        name: get("name").unwrap_or_default(),
                        flags: get("flags"),
                        epoch: get("epoch"),
                        ver: get("ver"),
                        rel: get("rel"),
                        pre: matches!(attr(attrs, "pre"), Some("1" | "true")),
                    },
                ));
            }
        }
        other => {
            if let Some(l) = List::from_name(other) {
                *list = Some(l);
            }
        }
    }
}

fn close_in_package(p: &mut RawPackage, name: &[u8], text: String, list: &mut Option<List>) {
    let key = match name {
        b"name" => "name",
        b"arch" => "arch",
        b"summary" => "summary",
        b"packager" => "packager",
        b"url" => "url",
        b"checksum" => "pkgid",
        b"license" => "license",
        b"vendor" => "vendor",
        b"group" => "group",
        b"sourcerpm" => "sourcerpm",
        b"file" => {
            if !text.is_empty() {
                p.files.push(text);
            }
            return;
        }
        other => {
            if List::from_name(other).is_some() {
                *list = None;
            }
            return;
        }
    };
    if !text.is_empty() {
        p.fields.push((key, text));
    }
}

/// Check a read package and turn it into a record (or a skip).
fn finish(p: RawPackage, source: &PrimarySource<'_>, arches: &[&str], out: &mut ParsedPrimary) {
    if p.field("arch").is_some_and(|a| !wanted_arch(a, arches)) {
        out.other_arch += 1;
        return;
    }
    let label = p.label();
    match build(p, source) {
        Ok(record) => out.records.push(record),
        Err(reason) => out.skipped.push(SkippedPackage {
            package: label,
            reason,
        }),
    }
}

fn build(p: RawPackage, source: &PrimarySource<'_>) -> Result<PackageRecord, String> {
    let name = p.field("name").ok_or("no <name>")?;
    let arch = p.field("arch").ok_or("no <arch>")?;
    let ver = p
        .ver
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or("no <version ver>")?;
    let href = p
        .href
        .as_deref()
        .filter(|h| !h.is_empty())
        .ok_or("no <location href>")?;
    let number = |what: &str, v: &Option<String>| -> Result<Option<u64>, String> {
        v.as_deref()
            .map(|s| s.parse::<u64>().map_err(|_| format!("bad {what} {s:?}")))
            .transpose()
    };
    let mut record =
        PackageRecord::new(name, evr_string(p.epoch.as_deref(), ver, p.rel.as_deref()));
    record.arch = arch.to_string();
    record.repo = source.repo;
    record.installed_size = number("installed size", &p.size_installed)?;
    record.download = Download {
        url: join_url(p.base.as_deref().unwrap_or(source.base_url), href),
        size: number("package size", &p.size_package)?,
        sha256: None,
    };
    record.source = p.field("sourcerpm").and_then(parse_sourcerpm);
    if let Some(pkgid) = p.field("pkgid") {
        let kind = p.checksum_kind.as_str();
        if kind == "sha256" {
            if pkgid.len() != 64 || !pkgid.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(format!("bad sha256 checksum {pkgid:?}"));
            }
            record.download.sha256 = Some(pkgid.to_ascii_lowercase());
        } else {
            record
                .extra
                .insert("checksum".into(), format!("{kind}:{pkgid}"));
        }
    }
    for (key, value) in &p.fields {
        if !matches!(*key, "name" | "arch" | "sourcerpm") {
            record.extra.insert((*key).to_string(), value.clone());
        }
    }
    record.extra.insert(
        "epoch".into(),
        p.epoch.clone().unwrap_or_else(|| "0".into()),
    );
    add_entries(&mut record, &p.entries)?;
    add_files(&mut record, p.files);
    Ok(record)
}

/// `NAME-VERSION-RELEASE.src.rpm` → the source name and `VERSION-RELEASE`.
pub fn parse_sourcerpm(file: &str) -> Option<SourceRef> {
    let stem = file
        .strip_suffix(".src.rpm")
        .or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some(SourceRef {
        name: name.to_string(),
        version: format!("{version}-{release}"),
    })
}

/// The relation of an entry with `flags`, or `None` for an unversioned one.
fn constraint(e: &Entry) -> Result<Option<(Op, String)>, String> {
    let Some(flags) = e.flags.as_deref() else {
        return Ok(None);
    };
    let op = match flags {
        "EQ" => Op::Eq,
        "LT" => Op::Lt,
        "LE" => Op::Le,
        "GT" => Op::Gt,
        "GE" => Op::Ge,
        other => return Err(format!("entry {:?}: unknown flags {other:?}", e.name)),
    };
    let ver = e
        .ver
        .as_deref()
        .ok_or_else(|| format!("entry {:?}: flags {flags} without a version", e.name))?;
    Ok(Some((
        op,
        evr_string(e.epoch.as_deref(), ver, e.rel.as_deref()),
    )))
}

/// An entry as rpm writes it: `name`, `name >= 1.2-3`, or the rich text.
fn render(e: &Entry) -> Result<String, String> {
    Ok(match constraint(e)? {
        None => e.name.clone(),
        Some((op, v)) => format!("{} {} {v}", e.name, rpm_op(op)),
    })
}

fn add_entries(record: &mut PackageRecord, entries: &[(List, Entry)]) -> Result<(), String> {
    let mut pre = Vec::new();
    let mut approximated = Vec::new();
    let mut weak: [Vec<String>; 4] = Default::default();
    for (list, e) in entries {
        if e.name.is_empty() {
            return Err("an <rpm:entry> without a name".into());
        }
        let rich = e.name.starts_with('(');
        match list {
            List::Requires if e.name.starts_with("rpmlib(") => {}
            List::Requires => {
                if e.pre {
                    pre.push(e.name.clone());
                }
                let deps = if rich {
                    let parsed = rich::parse_dependency(&e.name).map_err(|err| err.to_string())?;
                    approximated.extend(parsed.approximated);
                    parsed.deps
                } else {
                    vec![Dependency::single(Requirement {
                        name: e.name.clone(),
                        constraint: constraint(e)?,
                    })]
                };
                for d in deps {
                    if !record.depends.contains(&d) {
                        record.depends.push(d);
                    }
                }
            }
            List::Provides => {
                let c = constraint(e)?;
                if let Some((op, v)) = &c {
                    if *op != Op::Eq {
                        approximated.push(format!(
                            "provides {} {} {v}: treated as = {v}",
                            e.name,
                            rpm_op(*op)
                        ));
                    }
                }
                record.provides.push(Provide {
                    name: e.name.clone(),
                    version: c.map(|(_, v)| v),
                });
            }
            List::Conflicts | List::Obsoletes => {
                let reqs = if rich {
                    let parsed = rich::parse_conflict(&e.name).map_err(|err| err.to_string())?;
                    approximated.extend(parsed.approximated);
                    parsed.reqs
                } else {
                    vec![Requirement {
                        name: e.name.clone(),
                        constraint: constraint(e)?,
                    }]
                };
                let target = if *list == List::Conflicts {
                    &mut record.conflicts
                } else {
                    &mut record.obsoletes
                };
                target.extend(reqs);
            }
            List::Weak(i) => weak[*i].push(render(e)?),
        }
    }
    let mut put = |key: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            record.extra.insert(key.to_string(), lines.join("\n"));
        }
    };
    put("requires_pre", pre);
    put("approximated", approximated);
    for (kind, lines) in WEAK_KINDS.iter().zip(weak) {
        put(kind, lines);
    }
    Ok(())
}

fn add_files(record: &mut PackageRecord, files: Vec<String>) {
    let mut seen: HashSet<String> = record.provides.iter().map(|p| p.name.clone()).collect();
    for path in files {
        if seen.insert(path.clone()) {
            record.provides.push(Provide {
                name: path,
                version: None,
            });
        }
    }
}

/// The package's Recommends, read back from `extra["recommends"]`, for a
/// world that installs weak dependencies.
pub fn weak_dependencies(record: &PackageRecord) -> Vec<Dependency> {
    weak_dependencies_of(record, "recommends")
}

/// The weak dependencies of one kind (one of [`WEAK_KINDS`]) read back
/// from `extra`; entries that do not parse are left out.
pub fn weak_dependencies_of(record: &PackageRecord, kind: &str) -> Vec<Dependency> {
    record
        .extra
        .get(kind)
        .map(|lines| {
            lines
                .lines()
                .filter_map(|line| rich::parse_dependency(line).ok())
                .flat_map(|parsed| parsed.deps)
                .collect()
        })
        .unwrap_or_default()
}

/// File paths required (in alternatives, `with` or conditions) that no
/// record provides: these need `filelists.xml`.
pub fn unanswered_file_requires(records: &[PackageRecord]) -> BTreeSet<String> {
    let provided: HashSet<&str> = records
        .iter()
        .flat_map(|r| r.provides.iter().map(|p| p.name.as_str()))
        .collect();
    let mut out = BTreeSet::new();
    for record in records {
        for dep in &record.depends {
            let condition = match &dep.when {
                Some(
                    whittle_model::Condition::Installed(reqs)
                    | whittle_model::Condition::NotInstalled(reqs),
                ) => reqs.as_slice(),
                None => &[],
            };
            for req in dep.alternatives.iter().chain(&dep.with).chain(condition) {
                if req.name.starts_with('/') && !provided.contains(req.name.as_str()) {
                    out.insert(req.name.clone());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;
    use std::io::{BufReader, Read};

    use whittle_model::{Condition, VersionScheme};
    use whittle_test_env::fixtures;

    use super::*;
    use crate::version::RpmVersionScheme;

    const ALL: &[&str] = &["x86_64", "noarch", "i686"];

    fn gz(rel: &str) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(fs_err::File::open(fixtures::path(rel)).unwrap())
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn source() -> PrimarySource<'static> {
        PrimarySource {
            origin: "cs9-appstream",
            base_url: "https://mirror.example/AppStream/x86_64/os/",
            repo: 3,
        }
    }

    fn cs9(arches: &[&str]) -> ParsedPrimary {
        let file = fs_err::File::open(fixtures::path(
            "rpm/repodata/cs9-appstream/cs9-appstream-primary-excerpt.xml.gz",
        ))
        .unwrap();
        // Streamed straight from the decompressor.
        let input = BufReader::new(flate2::read::GzDecoder::new(file));
        parse_primary(input, &source(), arches).unwrap()
    }

    fn find<'a>(parsed: &'a ParsedPrimary, name: &str) -> &'a PackageRecord {
        parsed.records.iter().find(|r| r.name == name).unwrap()
    }

    #[test]
    fn cs9_excerpt_parses_every_package() {
        let parsed = cs9(ALL);
        assert_eq!(parsed.records.len(), 32);
        assert_eq!(parsed.declared, Some(32));
        assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
        let parsed = cs9(&["x86_64", "noarch"]);
        assert_eq!((parsed.records.len(), parsed.other_arch), (27, 5));
        assert!(parsed
            .records
            .iter()
            .all(|r| r.arch != "i686" && r.repo == 3));
    }

    #[test]
    fn bind_record() {
        let parsed = cs9(ALL);
        let bind = find(&parsed, "bind");
        assert_eq!(bind.version, "32:9.16.23-11.el9");
        assert_eq!(bind.extra["epoch"], "32");
        assert_eq!(
            bind.source,
            Some(SourceRef {
                name: "bind".into(),
                version: "9.16.23-11.el9".into()
            })
        );
        assert_eq!(
            bind.download.url,
            "https://mirror.example/AppStream/x86_64/os/Packages/bind-9.16.23-11.el9.x86_64.rpm"
        );
        assert_eq!(bind.download.size, Some(514707));
        assert_eq!(
            bind.download.sha256.as_deref(),
            Some("d8f6cf80bd3fd6fef844e9d931c5b34d3850821fe1dd459cb4e6d3480aa122ca")
        );
        assert_eq!(bind.extra["pkgid"], bind.download.sha256.clone().unwrap());
        assert_eq!(bind.installed_size, Some(1506772));
        assert_eq!(bind.extra["header_range"], "19432-48129");
        assert_eq!(bind.extra["license"], "MPLv2.0");
        assert_eq!(bind.extra["vendor"], "CentOS");
        assert_eq!(bind.extra["buildtime"], "1677507786");
        assert_eq!(bind.extra["filetime"], "1677535854");
        // pre="1" entries are recorded and kept as dependencies.
        let pre: Vec<&str> = bind.extra["requires_pre"].lines().collect();
        for name in ["/bin/sh", "glibc-common", "grep", "shadow-utils"] {
            assert!(pre.contains(&name), "{pre:?}");
            assert!(bind
                .depends
                .contains(&Dependency::single(Requirement::any(name))));
        }
        // `/bin/sh` appears three times in primary, once here.
        let sh = Dependency::single(Requirement::any("/bin/sh"));
        assert_eq!(bind.depends.iter().filter(|d| **d == sh).count(), 1);
        // The rich `((a and b) if (c or d))` gives two conditional deps.
        let when = Some(Condition::Installed(vec![
            Requirement::any("selinux-policy-targeted"),
            Requirement::any("selinux-policy-mls"),
        ]));
        let conditional: Vec<&Dependency> =
            bind.depends.iter().filter(|d| d.when == when).collect();
        assert_eq!(conditional.len(), 4, "{conditional:?}");
        assert!(bind.depends.contains(&Dependency::single(Requirement::with(
            "bind-libs(x86-64)",
            Op::Eq,
            "32:9.16.23-11.el9"
        ))));
        // Weak dependencies are kept aside.
        assert_eq!(bind.extra["recommends"], "bind-dnssec-utils\nbind-utils");
        assert_eq!(weak_dependencies(bind).len(), 2);
        assert!(!bind
            .depends
            .contains(&Dependency::single(Requirement::any("bind-utils"))));
        // Plain, dir and ghost files are provides.
        for path in [
            "/etc/named.conf",
            "/etc/named",
            "/etc/rndc.conf",
            "/usr/sbin/named",
        ] {
            assert!(
                bind.provides.contains(&Provide {
                    name: path.into(),
                    version: None
                }),
                "{path}"
            );
        }
        assert!(bind.provides.contains(&Provide {
            name: "config(bind)".into(),
            version: Some("32:9.16.23-11.el9".into())
        }));
    }

    #[test]
    fn rich_shapes() {
        let parsed = cs9(ALL);
        let sdl = find(&parsed, "SDL2");
        assert_eq!(sdl.version, "2.0.18-1.el9");
        assert!(sdl.depends.contains(&Dependency {
            alternatives: vec![Requirement::any("libdecor-0.so.0")],
            with: vec![],
            when: Some(Condition::Installed(vec![Requirement::any(
                "libwayland-client"
            )])),
        }));
        let annobin = find(&parsed, "annobin");
        assert!(annobin.depends.contains(&Dependency {
            alternatives: vec![Requirement::with("gcc", Op::Ge, "11")],
            with: vec![Requirement::with("gcc", Op::Lt, "12")],
            when: None,
        }));
        let all: Vec<&Dependency> = parsed.records.iter().flat_map(|r| &r.depends).collect();
        assert!(all.contains(&&Dependency::any_of(vec![
            Requirement::any("glibc-langpack-en"),
            Requirement::any("glibc-all-langpacks"),
        ])));
        // No rpmlib() requirement survives.
        assert!(all.iter().all(|d| d
            .alternatives
            .iter()
            .all(|r| !r.name.starts_with("rpmlib("))));
    }

    #[test]
    fn tilde_and_caret_versions_sort() {
        let parsed = cs9(ALL);
        let s = RpmVersionScheme;
        let asp = &find(&parsed, "aspnetcore-runtime-9.0").version;
        assert_eq!(asp, "9.0.0~preview.7.24406.2-0.2.el9");
        assert_eq!(s.compare(asp, "9.0.0-0.1.el9"), Ordering::Less);
        assert_eq!(s.compare(asp, "8.0.10-1.el9"), Ordering::Greater);
        let passt = &find(&parsed, "passt").version;
        assert_eq!(s.compare(passt, "0-1.el9"), Ordering::Greater);
        assert_eq!(s.compare(passt, "0.1-1.el9"), Ordering::Less);
        let ansible = find(&parsed, "ansible-core");
        assert_eq!(ansible.version, "1:2.14.12-1.el9");
    }

    #[test]
    fn super_kernel_lists() {
        let xml = gz("rpm/repodata/createrepo_c-repo_01/repodata/6c662d665c24de9a0f62c17d8fa50622307739d7376f0d19097ca96c6d7f5e3e-primary.xml.gz");
        let parsed = parse_primary(xml.as_slice(), &source(), &["x86_64"]).unwrap();
        let k = &parsed.records[0];
        assert_eq!(k.version, "6.0.1-2");
        assert_eq!(k.extra["epoch"], "0");
        assert_eq!(k.extra["requires_pre"], "bzip2\nexpat");
        assert!(!k.extra.contains_key("vendor"));
        assert_eq!(
            k.conflicts,
            vec![
                Requirement::any("kernel"),
                Requirement::with("super_kernel", Op::Eq, "5.0.0"),
                Requirement::with("super_kernel", Op::Lt, "4.0.0"),
            ]
        );
        assert_eq!(
            k.obsoletes[1],
            Requirement::with("super_kernel", Op::Eq, "5.9.0")
        );
        assert!(k.extra["approximated"].contains("not_so_super_kernel < 5.8.0"));
        assert_eq!(
            k.download.url,
            "https://mirror.example/AppStream/x86_64/os/super_kernel-6.0.1-2.x86_64.rpm"
        );
    }

    #[test]
    fn file_requires_left_for_filelists() {
        let parsed = cs9(ALL);
        let missing = unanswered_file_requires(&parsed.records);
        assert!(missing.contains("/bin/sh"), "{missing:?}");
        assert!(missing.iter().all(|p| p.starts_with('/')));
        let mut records = parsed.records;
        let mut shell = PackageRecord::new("bash", "5.1-1");
        shell.provides.push(Provide {
            name: "/bin/sh".into(),
            version: None,
        });
        records.push(shell);
        assert!(!unanswered_file_requires(&records).contains("/bin/sh"));
    }

    #[test]
    fn odd_packages_are_skipped_or_mended() {
        let text = "<metadata packages=\"3\">\
            <package type=\"rpm\"><name>ok@</name><arch>noarch</arch><version ver=\"1\" rel=\"1\"/>\
              <checksum type=\"sha\">ABC</checksum><location xml:base=\"http://other/\" href=\"ok.rpm\"/>\
              <summary>a &amp; b &#x41;</summary></package>\
            <package><name>broken</name><arch>noarch</arch><location href=\"x.rpm\"/></package>\
            <package><name>src</name><arch>src</arch></package>\
            </metadata>";
        // `@` stands for a byte that is not UTF-8.
        let xml: Vec<u8> = text
            .bytes()
            .map(|b| if b == b'@' { 0xff } else { b })
            .collect();
        let parsed = parse_primary(xml.as_slice(), &source(), &["noarch", "src"]).unwrap();
        assert_eq!(parsed.records.len(), 1);
        let ok = &parsed.records[0];
        assert_eq!(ok.name, "ok\u{fffd}");
        assert_eq!(ok.download.url, "http://other/ok.rpm");
        assert_eq!(ok.download.sha256, None);
        assert_eq!(ok.extra["checksum"], "sha:ABC");
        assert_eq!(ok.extra["summary"], "a & b A");
        assert_eq!(
            parsed.skipped,
            vec![SkippedPackage {
                package: "broken".into(),
                reason: "no <version ver>".into()
            }]
        );
        assert_eq!(parsed.other_arch, 1);
    }

    #[test]
    fn truncated_and_garbled_input_never_panics() {
        let small = gz("rpm/repodata/createrepo_c-repo_02/repodata/bcde64b04916a2a72fdc257d61bc922c70b3d58e953499180585f7a360ce86cf-primary.xml.gz");
        for end in 0..small.len() {
            let cut = parse_primary(&small[..end], &source(), ALL);
            // A cut document is an error or, cut after the root, complete.
            if let Ok(parsed) = cut {
                assert!(parsed.records.len() <= 2);
            }
        }
        let big = gz("rpm/repodata/cs9-appstream/cs9-appstream-primary-excerpt.xml.gz");
        for end in (400..big.len()).step_by(977) {
            assert!(parse_primary(&big[..end], &source(), ALL).is_err());
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..200 {
            let mut garbled = small.clone();
            for _ in 0..8 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed % garbled.len() as u64) as usize;
                garbled[at] = (seed >> 32) as u8;
            }
            let _ = parse_primary(garbled.as_slice(), &source(), ALL);
        }
    }
}
