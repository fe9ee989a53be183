//! `filelists.xml`: every file of every package. primary.xml lists only
//! "primary" files (under `/etc/`, with `bin/` in the path, and
//! `/usr/lib/sendmail`); a requirement on any other path is answered here.
//! The file is streamed and only the wanted paths are kept.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::BufRead;

use whittle_model::{PackageRecord, Provide};

use crate::index_error::ListingError;
use crate::repodata_xml::{attr, Step, Walker};
use crate::version::evr_string;

/// The wanted paths one package of `filelists.xml` has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileListHit {
    /// The package checksum (primary's `extra["pkgid"]`).
    pub pkgid: String,
    /// Package name.
    pub name: String,
    /// Package architecture.
    pub arch: String,
    /// Package version, written as records write it (`E:V-R`).
    pub version: String,
    /// The wanted paths it has, in file order.
    pub paths: Vec<String>,
}

/// Stream `filelists.xml` from `input` and return, for each package with
/// at least one of the `wanted` paths, which of them it has. `origin`
/// names the file in errors.
pub fn find_files<R: BufRead>(
    input: R,
    origin: &str,
    wanted: &BTreeSet<String>,
) -> Result<Vec<FileListHit>, ListingError> {
    find_matching(input, origin, &|path| wanted.contains(path))
}

/// [`find_files`] with any test of a path (a glob, for `whittle search
/// --file`): for each package with at least one path `wanted` accepts,
/// those paths.
pub fn find_matching<R: BufRead>(
    input: R,
    origin: &str,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<FileListHit>, ListingError> {
    let xml_error = |source| ListingError::Xml {
        what: "filelists.xml",
        origin: origin.to_string(),
        source,
    };
    let mut walker = Walker::new(input);
    let mut hits = Vec::new();
    let mut current: Option<FileListHit> = None;
    loop {
        match walker.next().map_err(xml_error)? {
            Step::End => break,
            Step::Open { name, attrs } => match name.as_slice() {
                b"package" if walker.depth() == 2 => {
                    let get = |k| attr(&attrs, k).unwrap_or_default().to_string();
                    current = Some(FileListHit {
                        pkgid: get("pkgid").to_ascii_lowercase(),
                        name: get("name"),
                        arch: get("arch"),
                        version: String::new(),
                        paths: Vec::new(),
                    });
                }
                b"version" => {
                    if let Some(hit) = current.as_mut() {
                        hit.version = evr_string(
                            attr(&attrs, "epoch"),
                            attr(&attrs, "ver").unwrap_or_default(),
                            attr(&attrs, "rel"),
                        );
                    }
                }
                _ => {}
            },
            Step::Close { name, text } => match name.as_slice() {
                b"file" => {
                    if let Some(hit) = current.as_mut() {
                        if wanted(&text) && !hit.paths.contains(&text) {
                            hit.paths.push(text);
                        }
                    }
                }
                b"package" if walker.depth() == 1 => {
                    if let Some(hit) = current.take().filter(|h| !h.paths.is_empty()) {
                        hits.push(hit);
                    }
                }
                _ => {}
            },
        }
    }
    Ok(hits)
}

/// Add the paths `found` as unversioned provides of the records with the
/// same pkgid (`extra["pkgid"]`), skipping paths they already provide.
/// Returns how many provides were added.
pub fn add_file_provides(records: &mut [PackageRecord], found: &[FileListHit]) -> usize {
    let by_pkgid: BTreeMap<&str, Vec<&FileListHit>> =
        found.iter().fold(BTreeMap::new(), |mut map, hit| {
            map.entry(hit.pkgid.as_str()).or_default().push(hit);
            map
        });
    let mut added = 0;
    for record in records {
        let Some(hits) = record
            .extra
            .get("pkgid")
            .and_then(|id| by_pkgid.get(id.to_ascii_lowercase().as_str()))
        else {
            continue;
        };
        let mut have: HashSet<String> = record.provides.iter().map(|p| p.name.clone()).collect();
        for path in hits.iter().flat_map(|h| &h.paths) {
            if have.insert(path.clone()) {
                record.provides.push(Provide {
                    name: path.clone(),
                    version: None,
                });
                added += 1;
            }
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use whittle_test_env::fixtures;

    use super::*;
    use crate::primary::{parse_primary, unanswered_file_requires, PrimarySource};

    const REPO_02: &str = "rpm/repodata/createrepo_c-repo_02/repodata/";

    fn gz(name: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let file = fs_err::File::open(fixtures::path(format!("{REPO_02}{name}"))).unwrap();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn filelists() -> Vec<u8> {
        gz("3b7e6ecd01af9cb674aff6458186911d7081bb5676d5562a21a963afc8a8bcc7-filelists.xml.gz")
    }

    #[test]
    fn finds_wanted_paths_and_adds_them() {
        let primary =
            gz("bcde64b04916a2a72fdc257d61bc922c70b3d58e953499180585f7a360ce86cf-primary.xml.gz");
        let source = PrimarySource {
            origin: "repo_02",
            base_url: "http://repo",
            repo: 0,
        };
        let mut records = parse_primary(primary.as_slice(), &source, &["x86_64"])
            .unwrap()
            .records;
        assert_eq!(records.len(), 2);
        let mut needed = unanswered_file_requires(&records);
        needed.insert("/usr/share/man/super_kernel.8.gz".into());
        needed.insert("/usr/bin/fake_bash".into());
        let hits = find_files(filelists().as_slice(), "repo_02", &needed).unwrap();
        assert_eq!(hits.len(), 2);
        let kernel = hits.iter().find(|h| h.name == "super_kernel").unwrap();
        assert_eq!(kernel.version, "6.0.1-2");
        assert_eq!(kernel.arch, "x86_64");
        assert_eq!(
            kernel.paths,
            vec!["/usr/share/man/super_kernel.8.gz".to_string()]
        );
        // /usr/bin/fake_bash is already a provide from primary.xml.
        assert_eq!(add_file_provides(&mut records, &hits), 1);
        let kernel = records.iter().find(|r| r.name == "super_kernel").unwrap();
        assert!(kernel.provides.contains(&Provide {
            name: "/usr/share/man/super_kernel.8.gz".into(),
            version: None
        }));
        assert_eq!(add_file_provides(&mut records, &hits), 0);
    }

    #[test]
    fn zstd_filelists_without_files() {
        let raw = fs_err::read(fixtures::path(
            "rpm/repodata/osbuild-custom-zstd/repodata/921f084fc082557f44630532fe8d111968b16982b9cc93fa22c9a028d745e396-filelists.xml.zst",
        ))
        .unwrap();
        let xml = zstd::decode_all(raw.as_slice()).unwrap();
        let wanted = BTreeSet::from(["/bin/sh".to_string()]);
        assert!(find_files(xml.as_slice(), "zstd", &wanted)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn truncated_input_never_panics() {
        let xml = filelists();
        let wanted = BTreeSet::from(["/usr/bin/fake_bash".to_string()]);
        for end in 0..xml.len() {
            let _ = find_files(&xml[..end], "cut", &wanted);
        }
        let err =
            find_files(&xml[..xml.len() / 2], "repo_02/filelists.xml.gz", &wanted).unwrap_err();
        assert!(
            err.to_string().contains("repo_02/filelists.xml.gz"),
            "{err}"
        );
    }

    #[test]
    fn any_test_of_a_path_selects_files() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="2">
<package pkgid="AB12" name="tool" arch="x86_64"><version epoch="0" ver="2.0" rel="1.azl3"/>
<file>/usr/bin/tool</file><file type="dir">/usr/share/tool</file><file>/usr/share/tool/a b.txt</file></package>
<package pkgid="cd34" name="catalogs" arch="noarch"><version epoch="1" ver="1.0" rel="1"/>
<file>/usr/share/xml/catalog</file></package>
</filelists>"#;
        let hits =
            find_matching(xml.as_bytes(), "test", &|p| p.starts_with("/usr/share/")).unwrap();
        let got: Vec<(&str, &str, Vec<&str>)> = hits
            .iter()
            .map(|h| {
                (
                    h.name.as_str(),
                    h.version.as_str(),
                    h.paths.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "tool",
                    "2.0-1.azl3",
                    vec!["/usr/share/tool", "/usr/share/tool/a b.txt"]
                ),
                ("catalogs", "1:1.0-1", vec!["/usr/share/xml/catalog"]),
            ]
        );
        assert_eq!(hits[0].pkgid, "ab12");
    }
}
