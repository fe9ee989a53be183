//! `whittle search --file` in the APK world. `APKINDEX` carries no file
//! lists, so a path is answered only from what the index does carry: the
//! `cmd:` (commands on `PATH`), `so:` (shared libraries) and `pc:`
//! (pkg-config modules) provides abuild generates. They name a file but
//! not its directory, so an answer says where it came from, and the
//! search says it is not a file list.

use whittle_model::PackageRecord;
use whittle_world::{FileOwner, FileSearch, PathQuery};

/// Directories a `cmd:` provide's command may be in.
const BIN_DIRS: &[&str] = &["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"];
/// Directories a `so:` provide's library may be in.
const LIB_DIRS: &[&str] = &["/usr/lib", "/lib", "/usr/lib64", "/lib64"];
/// Directories a `pc:` provide's module file may be in.
const PC_DIRS: &[&str] = &["/usr/lib/pkgconfig", "/usr/share/pkgconfig"];

/// What the answer says of itself.
pub const NO_FILE_LISTS: &str = "APK indexes carry no file lists: these answers come from the \
     packages' cmd:, so: and pc: provides, which name a command, library or pkg-config module \
     but not its directory; a path no provide names is not found, though a package may still \
     ship it";

/// The paths a provide stands for (`cmd:xmllint` → `/usr/bin/xmllint`,
/// `/bin/xmllint`, …); none for other provides.
pub fn provide_paths(provide: &str) -> Vec<String> {
    let (dirs, file) = if let Some(cmd) = provide.strip_prefix("cmd:") {
        (BIN_DIRS, cmd.to_string())
    } else if let Some(lib) = provide.strip_prefix("so:") {
        (LIB_DIRS, lib.to_string())
    } else if let Some(pc) = provide.strip_prefix("pc:") {
        (PC_DIRS, format!("{pc}.pc"))
    } else {
        return Vec::new();
    };
    if file.is_empty() || file.contains('/') {
        return Vec::new();
    }
    dirs.iter().map(|d| format!("{d}/{file}")).collect()
}

/// The packages among `records` whose provides stand for a path in
/// `queries`, and the note that APK has no file lists.
pub fn find_in_provides(records: &[PackageRecord], queries: &[PathQuery]) -> FileSearch {
    let mut owners = Vec::new();
    for record in records {
        for provide in &record.provides {
            for path in provide_paths(&provide.name) {
                for q in queries.iter().filter(|q| q.matches(&path)) {
                    let owner = FileOwner {
                        query: q.path.clone(),
                        path: if q.is_glob() {
                            path.clone()
                        } else {
                            q.path.clone()
                        },
                        package: record.name.clone(),
                        version: Some(record.version.clone()),
                        arch: Some(record.arch.clone()),
                        source: record.repo,
                        part: None,
                        evidence: format!("provides {}", provide.name),
                    };
                    if !owners.contains(&owner) {
                        owners.push(owner);
                    }
                }
            }
        }
    }
    FileSearch {
        owners,
        complete: false,
        notes: vec![NO_FILE_LISTS.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use whittle_model::Provide;

    use super::*;

    fn record(name: &str, provides: &[&str]) -> PackageRecord {
        let mut r = PackageRecord::new(name, "2.12.7-r0");
        r.arch = "x86_64".into();
        r.provides = provides
            .iter()
            .map(|p| Provide {
                name: (*p).to_string(),
                version: Some("2.12.7-r0".into()),
            })
            .collect();
        r
    }

    #[test]
    fn commands_libraries_and_modules_answer_paths() {
        let records = [
            record("libxml2-utils", &["cmd:xmllint", "cmd:xmlcatalog"]),
            record("libxml2", &["so:libxml2.so.2", "pc:libxml-2.0"]),
            record("other", &["virtual-thing"]),
        ];
        let q = |p: &str| PathQuery::new(p).unwrap();
        let found = find_in_provides(
            &records,
            &[
                q("/usr/bin/xmllint"),
                q("/usr/lib/libxml2.so.2"),
                q("/usr/lib/pkgconfig/libxml-2.0.pc"),
                q("/usr/share/doc/libxml2/README"),
            ],
        );
        let got: Vec<(&str, &str, &str)> = found
            .owners
            .iter()
            .map(|o| (o.query.as_str(), o.package.as_str(), o.evidence.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("/usr/bin/xmllint", "libxml2-utils", "provides cmd:xmllint"),
                (
                    "/usr/lib/libxml2.so.2",
                    "libxml2",
                    "provides so:libxml2.so.2"
                ),
                (
                    "/usr/lib/pkgconfig/libxml-2.0.pc",
                    "libxml2",
                    "provides pc:libxml-2.0"
                ),
            ]
        );
        assert!(!found.complete);
        assert!(found.notes[0].contains("no file lists"));
    }

    #[test]
    fn globs_name_the_path_a_provide_stands_for() {
        let records = [record("libxml2-utils", &["cmd:xmllint", "cmd:xmlcatalog"])];
        let found = find_in_provides(&records, &[PathQuery::new("/usr/bin/xml*").unwrap()]);
        let paths: Vec<&str> = found.owners.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(paths, ["/usr/bin/xmllint", "/usr/bin/xmlcatalog"]);
    }
}
