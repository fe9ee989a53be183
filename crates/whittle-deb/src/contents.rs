//! `Contents-ARCH` indexes: which package ships each path, as `apt-file`
//! reads them (format: the Debian Repository Format, "Contents
//! indices"). Each line is a path, whitespace, and comma-separated
//! `[component/]section/package` locations; the path may itself hold
//! spaces, so the locations are the last field. Debian lists them per
//! component (`main/Contents-amd64.gz`, `main/Contents-all.gz`), Ubuntu
//! per suite (`Contents-amd64.gz`); either way the signed `Release` lists
//! their SHA-256, and a file is only believed once its digest matched:
//! it is streamed (it is large) and read to its end before any answer
//! from it is used.

use std::io::{BufRead, BufReader, Read};

use whittle_net::Fetcher;
use whittle_world::{FileOwner, PathQuery, Reporter, WorldError};

use crate::index::{FileEntry, Release};
use crate::repo::{index_fetch_failed, verified_release, SuiteSource};

/// The longest line accepted (a path and its locations).
const MAX_LINE: u64 = 64 * 1024;

/// One line of a Contents index whose path was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentsLine {
    /// The path, as the index writes it (no leading `/`).
    pub path: String,
    /// The packages shipping it (the last component of each location).
    pub packages: Vec<String>,
}

/// Split a Contents line into its path and its locations; `None` for a
/// blank line and the old `FILE  LOCATION` header.
pub fn split_line(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_end();
    let (path, locations) = line.rsplit_once([' ', '\t'])?;
    let path = path.trim_end();
    if path.is_empty() || (path == "FILE" && locations == "LOCATION") {
        return None;
    }
    Some((path, locations))
}

/// Read Contents text from `input` and keep the lines whose path `wanted`
/// accepts. `origin` names the file in errors.
///
/// # Errors
///
/// A read error, or a line longer than 64 KiB (no real path is).
pub fn scan<R: BufRead>(
    mut input: R,
    origin: &str,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<ContentsLine>, WorldError> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = input
            .by_ref()
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| read_failed(origin, e))?;
        if n == 0 {
            break;
        }
        if n as u64 > MAX_LINE {
            return Err(WorldError::format(format!(
                "{origin} has a line longer than {MAX_LINE} bytes: it is not a Contents index"
            )));
        }
        let line = String::from_utf8_lossy(&buf);
        let Some((path, locations)) = split_line(&line) else {
            continue;
        };
        if wanted(path) {
            out.push(ContentsLine {
                path: path.to_string(),
                packages: locations
                    .split(',')
                    .filter_map(|l| l.trim().rsplit('/').next())
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// The Contents files the signed `Release` lists for `arch` (and `all`):
/// per component when it lists them so, else per suite; for each, the
/// first of `.gz`, `.xz` and plain listed.
pub fn listed(release: &Release, components: &[String], arch: &str) -> Vec<(String, FileEntry)> {
    let pick = |stem: &str| {
        [".gz", ".xz", ""]
            .iter()
            .map(|ext| format!("{stem}{ext}"))
            .find_map(|name| release.file(&name).map(|e| (name, e.clone())))
    };
    let names = [format!("Contents-{arch}"), "Contents-all".to_string()];
    let mut out: Vec<(String, FileEntry)> = components
        .iter()
        .flat_map(|c| names.iter().filter_map(move |n| pick(&format!("{c}/{n}"))))
        .collect();
    if out.is_empty() {
        out = names.iter().filter_map(|n| pick(n)).collect();
    }
    out
}

/// Which packages of suite `src` (index source `source`) ship each of
/// `queries`, from its Contents indexes checked through its signed
/// `Release`. A suite whose `Release` lists no Contents index answers
/// nothing, and a note says so.
pub(crate) fn search_suite(
    fetcher: &Fetcher,
    src: &SuiteSource,
    source: usize,
    arch: &str,
    now: Option<i64>,
    reporter: &dyn Reporter,
    queries: &[PathQuery],
) -> Result<(Vec<FileOwner>, Option<String>), WorldError> {
    let (_, release) = verified_release(fetcher, src, now, reporter)?;
    let dist = format!("{}/dists/{}", src.url, src.suite);
    let files = listed(&release, &src.components, arch);
    if files.is_empty() {
        return Ok((
            Vec::new(),
            Some(format!(
                "{}/InRelease lists no Contents-{arch} index, so its packages' files were not searched",
                whittle_net::redact(&dist)
            )),
        ));
    }
    let wanted = |path: &str| queries.iter().any(|q| q.matches(path));
    let mut owners = Vec::new();
    for (name, entry) in files {
        let url = format!("{dist}/{name}");
        reporter.on_info(&format!("searching {}", whittle_net::redact(&url)));
        for line in read_verified(fetcher, &url, &name, &entry, &wanted)? {
            for q in queries.iter().filter(|q| q.matches(&line.path)) {
                for package in &line.packages {
                    let owner = FileOwner {
                        query: q.path.clone(),
                        path: format!("/{}", line.path.trim_start_matches("./")),
                        package: package.clone(),
                        version: None,
                        arch: None,
                        source,
                        part: None,
                        evidence: name.clone(),
                    };
                    if !owners.contains(&owner) {
                        owners.push(owner);
                    }
                }
            }
        }
    }
    Ok((owners, None))
}

/// Stream one Contents file through the cache, decompress and scan it,
/// then read the download to its end so its SHA-256 is checked: answers
/// from a file that does not match the signed `Release` are never used.
fn read_verified(
    fetcher: &Fetcher,
    url: &str,
    name: &str,
    entry: &FileEntry,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<ContentsLine>, WorldError> {
    let mut raw = fetcher
        .open_verified(url, &entry.sha256, Some(entry.size), None)
        .map_err(|e| index_fetch_failed(url, e))?;
    let shown = whittle_net::redact(url);
    let scanned = {
        let decoded: Box<dyn Read + '_> = if name.ends_with(".gz") {
            Box::new(flate2::read::MultiGzDecoder::new(&mut raw))
        } else if name.ends_with(".xz") {
            Box::new(liblzma::read::XzDecoder::new_multi_decoder(&mut raw))
        } else {
            Box::new(&mut raw)
        };
        scan(BufReader::new(decoded), &shown, wanted)
    };
    // Whatever the scan made of it, the digest decides: a tampered file
    // may well fail to decompress first.
    std::io::copy(&mut raw, &mut std::io::sink()).map_err(|e| read_failed(&shown, e))?;
    scanned
}

/// A failed read: tampering (the bytes are not the signed ones, which
/// the fetcher reports once the download ends) told apart from a fault
/// of the transfer or the decompression.
fn read_failed(origin: &str, e: std::io::Error) -> WorldError {
    let mismatch = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<whittle_net::NetError>())
        .is_some_and(|n| n.is_digest_mismatch());
    if mismatch {
        WorldError::verification(format!(
            "{origin} does not match the SHA-256 in the signed InRelease: the mirror serves a \
             tampered or inconsistent Contents index, so no answer from it is used"
        ))
    } else {
        WorldError::format(format!("could not read {origin}"))
    }
    .because(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
usr/bin/python3.11                                      python/python3.11-minimal
usr/bin/xmllint                                         text/libxml2-utils
usr/share/doc/a b/README                                doc/with-space,contrib/doc/other
usr/lib/x86_64-linux-gnu/libxml2.so.2                   libs/libxml2
";

    #[test]
    fn lines_split_at_the_last_field() {
        assert_eq!(
            split_line("usr/share/doc/a b/README   doc/x,doc/y\n"),
            Some(("usr/share/doc/a b/README", "doc/x,doc/y"))
        );
        assert_eq!(split_line("FILE    LOCATION"), None);
        assert_eq!(split_line("\n"), None);
    }

    #[test]
    fn scan_keeps_wanted_paths_with_their_packages() {
        let q = PathQuery::new("/usr/share/doc/a b/README").unwrap();
        let found = scan(SAMPLE.as_bytes(), "test", &|p| q.matches(p)).unwrap();
        assert_eq!(
            found,
            vec![ContentsLine {
                path: "usr/share/doc/a b/README".into(),
                packages: vec!["with-space".into(), "other".into()],
            }]
        );
        let glob = PathQuery::new("/usr/lib/*/libxml2.so.*").unwrap();
        let found = scan(SAMPLE.as_bytes(), "test", &|p| glob.matches(p)).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].packages, vec!["libxml2".to_string()]);
    }

    #[test]
    fn overlong_lines_are_refused() {
        let long = format!("{} pkg\n", "a".repeat(70 * 1024));
        let err = scan(long.as_bytes(), "Contents-amd64", &|_| true).unwrap_err();
        assert!(err.to_string().contains("Contents-amd64"), "{err}");
    }

    #[test]
    fn listed_prefers_components_then_the_suite() {
        let entry = FileEntry {
            sha256: "0".repeat(64),
            size: 1,
        };
        let mut release = Release::default();
        for n in [
            "main/Contents-amd64.gz",
            "main/Contents-amd64",
            "Contents-all.gz",
        ] {
            release.files.insert(n.into(), entry.clone());
        }
        let names: Vec<String> = listed(&release, &["main".into()], "amd64")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["main/Contents-amd64.gz"]);
        release.files.remove("main/Contents-amd64.gz");
        release.files.remove("main/Contents-amd64");
        let names: Vec<String> = listed(&release, &["main".into()], "amd64")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["Contents-all.gz"]);
    }
}
