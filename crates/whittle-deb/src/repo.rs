//! Debian repositories with their trust chain checked.
//!
//! A recipe names repositories by URL (or leaves the URL out and lets the
//! host's apt sources supply it, as mmdebstrap does). Each suite is read as
//! apt reads it: `InRelease` (or `Release` + `Release.gpg`) verified with
//! OpenPGP against the keyring, then `Packages.xz`/`.gz` checked against the
//! SHA-256 the signed Release lists. `InRelease` is fetched and checked on
//! every build; only the parse of an unchanged index is skipped, by loading
//! its records from a [`crate::snapshot`] keyed by that signed SHA-256. The
//! `.deb` is checked against the Packages SHA-256 when it is installed (see
//! [`crate::world`]).

use std::path::Path;

use whittle_model::PackageRecord;
use whittle_net::Fetcher;
use whittle_sig::{cleartext_unverified, verify_cleartext, verify_detached, Keyring, SigError};
use whittle_world::{Reporter, WorldError};

use crate::entry::DebRepository;
use crate::index::{
    decompress_index, parse_packages_from_line, parse_packages_skipping, parse_release, FileEntry,
    ParsedPackages, Release,
};
use crate::snapshot::{self, SnapshotKey};
use crate::sources::{find_suite, read_apt_sources, AptSource, SignedBy};

/// One suite of one repository, ready to be read.
#[derive(Debug, Clone)]
pub struct SuiteSource {
    /// Repository base URL (the directory holding `dists/` and `pool/`).
    pub url: String,
    /// Suite or codename (`bookworm`, `bookworm-security`).
    pub suite: String,
    /// Components to read (`main`).
    pub components: Vec<String>,
    /// Keys the suite's Release must be signed with.
    pub keyring: Keyring,
    /// Where the keyring came from, for messages.
    pub keyring_origin: String,
    /// Check the Release signature (`false` only for `--ignore-signatures`,
    /// which is then reported for every suite read).
    pub verify_signature: bool,
}

/// Turn the recipe's Debian repositories into suites with URLs and keyrings.
///
/// A repository without `url` takes each suite's URL from the host's apt
/// sources under `apt_root` (normally `/`), and its keyring from that
/// source's `Signed-By` unless the recipe names one. `extra_keys` (the
/// recipe's `contents.keyring`, `--keyring-append`) are trusted by every
/// suite besides its own keyring.
pub fn resolve_suites(
    repos: &[DebRepository],
    extra_keys: &[String],
    fetcher: &Fetcher,
    apt_root: &Path,
) -> Result<Vec<SuiteSource>, WorldError> {
    let mut keyrings = KeyringMemo::default();
    let mut extra = Keyring::default();
    for k in extra_keys {
        let (ring, _) = read_keyring(k, fetcher, &mut keyrings)?;
        extra.extend(ring);
    }
    let mut host: Option<Vec<AptSource>> = None;
    let mut out = Vec::new();
    for repo in repos {
        for suite in &repo.suites {
            let host_source = match &repo.url {
                Some(_) => None,
                None => {
                    if host.is_none() {
                        host = Some(read_apt_sources(apt_root).map_err(|e| {
                            WorldError::config(
                                "could not read the host's apt sources to find a mirror",
                            )
                            .because(e)
                        })?);
                    }
                    let found = host.as_deref().and_then(|h| find_suite(h, suite)).cloned();
                    Some(found.ok_or_else(|| {
                        WorldError::config(format!(
                            "the recipe names Debian suite `{suite}` without a url, and no apt \
                             source on this host lists that suite (looked in {}/etc/apt/sources.list \
                             and sources.list.d). Add `url:` to the repository, or check the suite name.",
                            apt_root.display().to_string().trim_end_matches('/')
                        ))
                    })?)
                }
            };
            let url = match (&repo.url, &host_source) {
                (Some(u), _) => u.clone(),
                (None, h) => h.as_ref().map(|s| s.uri.clone()).unwrap_or_default(),
            };
            let (mut keyring, mut keyring_origin) = if repo.inline_keys.is_empty() {
                load_keyring(
                    repo.keyring.as_deref(),
                    host_source.as_ref(),
                    &url,
                    fetcher,
                    apt_root,
                    &mut keyrings,
                )?
            } else {
                // chisel.yaml's keys, plus the recipe's keyring if it names one.
                let mut ring = Keyring::default();
                let mut origins = Vec::new();
                for (origin, armor) in &repo.inline_keys {
                    let (r, o) = keyrings.parse(armor.as_bytes(), origin)?;
                    ring.extend(r);
                    origins.push(o);
                }
                if let Some(k) = repo.keyring.as_deref() {
                    let (r, o) = read_keyring(k, fetcher, &mut keyrings)?;
                    ring.extend(r);
                    origins.push(o);
                }
                (ring, origins.join(" + "))
            };
            if !extra.is_empty() {
                keyring.extend(extra.clone());
                keyring_origin = format!("{keyring_origin} + {}", extra_keys.join(" + "));
            }
            out.push(SuiteSource {
                url: url.trim_end_matches('/').to_string(),
                suite: suite.clone(),
                components: repo.components.clone(),
                keyring,
                keyring_origin,
                verify_signature: true,
            });
        }
    }
    Ok(out)
}

/// The keyring for a suite: the recipe's, else the host source's Signed-By,
/// else the Signed-By of a host source with the same URL.
fn load_keyring(
    recipe_keyring: Option<&str>,
    host_source: Option<&AptSource>,
    url: &str,
    fetcher: &Fetcher,
    apt_root: &Path,
    memo: &mut KeyringMemo,
) -> Result<(Keyring, String), WorldError> {
    if let Some(k) = recipe_keyring {
        return read_keyring(k, fetcher, memo);
    }
    let signed_by = match host_source {
        Some(s) => s.signed_by.clone(),
        None => read_apt_sources(apt_root)
            .ok()
            .and_then(|h| {
                h.into_iter()
                    .find(|s| s.uri.trim_end_matches('/') == url.trim_end_matches('/'))
            })
            .and_then(|s| s.signed_by),
    };
    match signed_by {
        Some(SignedBy::Path(p)) => {
            let origin = p.display().to_string();
            let bytes = fs_err::read(&p).map_err(|e| {
                WorldError::config(format!(
                    "could not read the keyring {origin} named by the host's apt sources"
                ))
                .because(e)
            })?;
            memo.parse(&bytes, &origin)
        }
        Some(SignedBy::Inline(text)) => memo.parse(text.as_bytes(), "inline Signed-By key"),
        None => Err(WorldError::config(format!(
            "no keyring for the Debian repository {}: add `keyring:` (a path or URL of the \
             repository's signing key) to it in the recipe",
            whittle_net::redact(url)
        ))),
    }
}

/// A keyring from a path or URL the recipe (or `-k`) names.
fn read_keyring(
    k: &str,
    fetcher: &Fetcher,
    memo: &mut KeyringMemo,
) -> Result<(Keyring, String), WorldError> {
    let bytes = if k.contains("://") {
        fetcher
            .fetch_unverified(k)
            .map_err(|e| WorldError::fetch(format!("could not fetch the keyring {k}")).because(e))?
    } else {
        fs_err::read(k).map_err(|e| {
            WorldError::config(format!(
                "could not read the keyring {k}; check the `keyring:` path in the recipe"
            ))
            .because(e)
        })?
    };
    memo.parse(&bytes, k)
}

/// Keyrings already read, by origin and bytes: the suites of one mirror
/// share a keyring, and reading one checks every key's binding signatures
/// (tens of milliseconds for Debian's archive keyring).
#[derive(Default)]
struct KeyringMemo {
    seen: Vec<(String, Vec<u8>, Keyring)>,
}

impl KeyringMemo {
    fn parse(&mut self, bytes: &[u8], origin: &str) -> Result<(Keyring, String), WorldError> {
        let known = self.seen.iter().find(|(o, b, _)| o == origin && b == bytes);
        if let Some((_, _, ring)) = known {
            return Ok((ring.clone(), origin.to_string()));
        }
        let ring = Keyring::from_bytes(bytes, origin).map_err(|e| {
            WorldError::config(format!("the keyring {origin} could not be read")).because(e)
        })?;
        self.seen
            .push((origin.to_string(), bytes.to_vec(), ring.clone()));
        Ok((ring, origin.to_string()))
    }
}

/// Read one suite's indexes for `arch`, verifying every link of the chain.
/// `repo` is the index stored in each record (for tie-breaking).
pub fn load_suite(
    fetcher: &Fetcher,
    src: &SuiteSource,
    repo: usize,
    arch: &str,
    now: Option<i64>,
    reporter: &dyn Reporter,
) -> Result<Vec<PackageRecord>, WorldError> {
    load_suite_index(fetcher, src, repo, arch, now, reporter).map(|l| l.records)
}

/// [`load_suite`], with the digest of the verified `Release` text (which
/// lists the digest of every index file, so it stands for them all).
pub fn load_suite_index(
    fetcher: &Fetcher,
    src: &SuiteSource,
    repo: usize,
    arch: &str,
    now: Option<i64>,
    reporter: &dyn Reporter,
) -> Result<whittle_world::LoadedIndex, WorldError> {
    let dist = format!("{}/dists/{}", src.url, src.suite);
    let shown = whittle_net::redact(&dist);
    let (release_text, release) = verified_release(fetcher, src, now, reporter)?;
    let mut records = Vec::new();
    for component in &src.components {
        let index = find_index(&release, component, arch, &shown, &src.suite)?;
        let loaded = load_packages(fetcher, src, &dist, &index, repo, arch, reporter)?;
        // Most suites have one component: keep its vector, do not copy it.
        if records.is_empty() {
            records = loaded;
        } else {
            records.extend(loaded);
        }
    }
    Ok(whittle_world::LoadedIndex {
        records,
        digest: whittle_lock::sha256_digest(release_text.as_bytes()),
    })
}

/// The suite's `Release` text, its signature verified (unless the
/// suite's check is off), parsed, naming the suite asked for and not
/// past its `Valid-Until` (when `now` is given): the root every index of
/// the suite is checked against.
pub(crate) fn verified_release(
    fetcher: &Fetcher,
    src: &SuiteSource,
    now: Option<i64>,
    reporter: &dyn Reporter,
) -> Result<(String, Release), WorldError> {
    let dist = format!("{}/dists/{}", src.url, src.suite);
    let shown = whittle_net::redact(&dist);
    let release_text = fetch_release(fetcher, src, &dist, reporter)?;
    let release = parse_release(&release_text).map_err(|e| {
        WorldError::format(format!("{shown}/InRelease could not be parsed")).because(e)
    })?;
    let names_suite = release.suite.as_deref() == Some(src.suite.as_str())
        || release.codename.as_deref() == Some(src.suite.as_str());
    if !names_suite {
        return Err(WorldError::verification(format!(
            "{shown}/InRelease is for suite {:?} (codename {:?}), not `{}` as requested: the \
             mirror serves the wrong file. Check the repository URL and suite.",
            release.suite.as_deref().unwrap_or("?"),
            release.codename.as_deref().unwrap_or("?"),
            src.suite
        )));
    }
    if let (Some(until), Some(now)) = (&release.valid_until, now) {
        match parse_release_date(until) {
            Some(t) if t < now => {
                return Err(WorldError::verification(format!(
                    "{shown}/InRelease expired on {until} (Valid-Until): the mirror may be \
                     serving an old copy to hold back security updates. Use an up-to-date \
                     mirror, or pass --ignore-valid-until for a snapshot or archive."
                )))
            }
            Some(_) => {}
            None => reporter.on_warning(&format!(
                "{shown}/InRelease has a Valid-Until that cannot be read ({until}); not checked"
            )),
        }
    }
    Ok((release_text, release))
}

/// The `Packages` index of one component as the signed Release lists it:
/// the first of `.xz`, `.gz` and plain that is listed, and the plain
/// file's entry when Release lists it too. A mirror need not carry every
/// file Release lists (partial mirrors often keep one compression), so the
/// other listed variants are tried in turn when one is not found, as apt
/// does.
struct IndexFile {
    name: String,
    entry: FileEntry,
    plain: Option<FileEntry>,
    others: Vec<(String, FileEntry)>,
}

fn find_index(
    release: &Release,
    component: &str,
    arch: &str,
    shown: &str,
    suite: &str,
) -> Result<IndexFile, WorldError> {
    let stem = format!("{component}/binary-{arch}/Packages");
    let mut listed = [".xz", ".gz", ""].iter().filter_map(|ext| {
        let n = format!("{stem}{ext}");
        release.files.get(&n).map(|e| (n, e.clone()))
    });
    let (name, entry) = listed.next().ok_or_else(|| {
        WorldError::config(format!(
            "{shown}/InRelease lists no {stem} index: component `{component}` or \
                 architecture `{arch}` does not exist in suite `{suite}`"
        ))
    })?;
    Ok(IndexFile {
        name,
        entry,
        plain: release.files.get(&stem).cloned(),
        others: listed.collect(),
    })
}

/// A failed index download: tampering (the bytes are not the signed ones)
/// told apart from a fault of the transfer.
pub(crate) fn index_fetch_failed(url: &str, e: whittle_net::NetError) -> WorldError {
    let shown = whittle_net::redact(url);
    let failed = if e.is_digest_mismatch() {
        WorldError::verification(format!(
            "{shown} does not match the SHA-256 in the signed InRelease: the mirror serves a \
             tampered or inconsistent index. Nothing was built."
        ))
    } else {
        WorldError::fetch(format!("could not fetch {shown}"))
    };
    failed.because(e)
}

/// The records of one index checked against the signed Release at `url`:
/// from the parsed snapshot an earlier build left (see [`crate::snapshot`]),
/// else parsed from the text (cached or fetched), leaving a snapshot for
/// the next build. A snapshot that cannot be used or kept only costs time.
fn load_packages(
    fetcher: &Fetcher,
    src: &SuiteSource,
    dist: &str,
    index: &IndexFile,
    repo: usize,
    arch: &str,
    reporter: &dyn Reporter,
) -> Result<Vec<PackageRecord>, WorldError> {
    let url = format!("{dist}/{}", index.name);
    let shown = whittle_net::redact(&url);
    let key = SnapshotKey::new(&index.entry.sha256, arch, &src.url, repo);
    if let Some(key) = &key {
        match snapshot::load(fetcher.cache(), key) {
            Ok(Some(records)) => {
                reporter.on_info(&format!("reading {shown} (parsed snapshot)"));
                return Ok(records);
            }
            Ok(None) => {}
            Err(e) => reporter.on_info(&format!(
                "not using the parsed snapshot of {shown} ({e}): parsing it again"
            )),
        }
    }
    reporter.on_info(&format!("reading {shown}"));
    let text = match cached_plain_index(fetcher, index.plain.as_ref()) {
        Some(text) => text,
        None => fetch_and_decompress(fetcher, dist, index)?,
    };
    let parsed = parse_in_halves(&String::from_utf8_lossy(&text), &src.url, repo, arch)
        .check_usable()
        .map_err(|e| WorldError::format(format!("could not parse {shown}")).because(e))?;
    if !parsed.skipped.is_empty() {
        warn_skipped(&shown, &parsed, src.verify_signature, reporter);
        // No snapshot: every build that reads this index warns again.
        return Ok(parsed.records);
    }
    if let Some(key) = &key {
        if let Err(e) = snapshot::store(fetcher.cache(), key, &parsed.records) {
            reporter.on_info(&format!("could not keep a parsed snapshot of {shown}: {e}"));
        }
    }
    Ok(parsed.records)
}

/// Warn about each stanza [`parse_packages_skipping`] set aside, with the
/// whole chain of why.
fn warn_skipped(shown: &str, parsed: &ParsedPackages, verified: bool, reporter: &dyn Reporter) {
    let trust = if verified {
        "the index is signed and its SHA-256 matched, so the rest of it is used"
    } else {
        "the rest of the (unverified) index is used"
    };
    whittle_world::warn_skipped(
        reporter,
        shown,
        "stanza",
        trust,
        &parsed.skipped,
        parsed.records.len(),
        |s| {
            let mut why = s.error.to_string();
            let mut cause = std::error::Error::source(&s.error);
            while let Some(c) = cause {
                why.push_str(": ");
                why.push_str(&c.to_string());
                cause = c.source();
            }
            (s.package.to_string(), why)
        },
    );
}

/// Parse an index on two cores: paragraphs are independent.
fn parse_in_halves(text: &str, base_url: &str, repo: usize, arch: &str) -> ParsedPackages {
    let (first, second) = split_at_paragraph(text);
    let (mut a, b) = rayon::join(
        || parse_packages_skipping(first, base_url, repo, arch),
        || {
            // Messages about the second half name lines of the whole index.
            let line = 1 + memchr::memchr_iter(b'\n', first.as_bytes()).count();
            parse_packages_from_line(second, line, base_url, repo, arch)
        },
    );
    a.extend(b);
    a
}

/// Read a Release date (`Sat, 05 Dec 2026 14:33:08 UTC`, RFC 2822 in UTC)
/// with `jiff`. Other zones are refused, as apt refuses them; the weekday
/// is not checked against the date, as apt does not check it.
pub fn parse_release_date(text: &str) -> Option<i64> {
    static PARSER: jiff::fmt::rfc2822::DateTimeParser =
        jiff::fmt::rfc2822::DateTimeParser::new().relaxed_weekday(true);
    let zone = text.split_whitespace().last()?;
    if !matches!(zone, "UTC" | "GMT" | "+0000" | "Z") {
        return None;
    }
    PARSER
        .parse_timestamp(text.trim())
        .ok()
        .map(|t| t.as_second())
}

/// Split an index near its middle, at a blank line between paragraphs.
fn split_at_paragraph(text: &str) -> (&str, &str) {
    // Start one byte early so a blank line right at the middle is found.
    let mut mid = (text.len() / 2).saturating_sub(1);
    while !text.is_char_boundary(mid) {
        mid += 1;
    }
    match text[mid..].find("\n\n") {
        Some(i) => text.split_at(mid + i + 2),
        None => (text, ""),
    }
}

/// The uncompressed index from the cache, when the signed Release lists its
/// SHA-256 and an earlier build stored it (re-hashed on reuse by the
/// cache): for when the snapshot is gone, as decompressing xz is slower
/// than parsing.
fn cached_plain_index(fetcher: &Fetcher, plain: Option<&FileEntry>) -> Option<Vec<u8>> {
    fetcher.cache().read_blob(&plain?.sha256).ok()?
}

/// Fetch a compressed index checked against the signed Release, decompress
/// it, and keep the result in the cache when Release lists its digest.
fn fetch_and_decompress(
    fetcher: &Fetcher,
    dist: &str,
    index: &IndexFile,
) -> Result<Vec<u8>, WorldError> {
    let plain = index.plain.as_ref();
    let mut candidates = std::iter::once((&index.name, &index.entry))
        .chain(index.others.iter().map(|(n, e)| (n, e)))
        .peekable();
    let (name, url, bytes) = loop {
        let Some((name, entry)) = candidates.next() else {
            return Err(WorldError::fetch(format!(
                "{dist}: no listed Packages index could be fetched"
            )));
        };
        let url = format!("{dist}/{name}");
        match fetcher.fetch_verified(&url, &entry.sha256, Some(entry.size)) {
            Ok(bytes) => break (name, url, bytes),
            Err(e) if e.is_not_found() && candidates.peek().is_some() => continue,
            Err(e) => return Err(index_fetch_failed(&url, e)),
        }
    };
    let url = url.as_str();
    let text = decompress_index(name, &bytes)
        .map_err(|e| WorldError::format(format!("could not decompress {url}")).because(e))?;
    if let Some(plain) = plain {
        // A cache that cannot be filled only costs the next build time; a
        // decompressed text that does not match Release is never stored.
        if let Ok(mut w) = fetcher.cache().blob_writer(&plain.sha256, Some(plain.size)) {
            if std::io::Write::write_all(&mut w, &text).is_ok() {
                let _ = w.commit();
            }
        }
    }
    Ok(text)
}

/// The verified text of the suite's Release file (unverified, and said
/// so, when the suite's signature check is off).
fn fetch_release(
    fetcher: &Fetcher,
    src: &SuiteSource,
    dist: &str,
    reporter: &dyn Reporter,
) -> Result<String, WorldError> {
    let shown = whittle_net::redact(dist);
    let inrelease = format!("{dist}/InRelease");
    let fetch_err = |what: &str, e: whittle_net::NetError| {
        WorldError::fetch(format!("could not fetch {shown}/{what}: check the repository URL, the suite name and the network (or fill the cache before using --offline)")).because(e)
    };
    if !src.verify_signature {
        reporter.on_warning(&format!(
            "NOT VERIFYING the signature of {shown} (--ignore-signatures): anyone who can \
             change this repository or the connection to it controls the image"
        ));
    }
    let verified = match fetcher
        .fetch_optional(&inrelease)
        .map_err(|e| fetch_err("InRelease", e))?
    {
        Some(doc) if !src.verify_signature => {
            return cleartext_unverified(&doc, &format!("{shown}/InRelease"))
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .map_err(|e| {
                    WorldError::format(format!("{shown}/InRelease could not be read")).because(e)
                })
        }
        Some(doc) => verify_cleartext(&doc, &src.keyring, &format!("{shown}/InRelease")),
        None => {
            let release = fetcher
                .fetch_optional(&format!("{dist}/Release"))
                .map_err(|e| fetch_err("Release", e))?
                .ok_or_else(|| {
                    WorldError::config(format!(
                        "suite `{}` does not exist at {}: neither dists/{}/InRelease nor \
                         Release was found. Check the suite name and the repository URL.",
                        src.suite,
                        whittle_net::redact(&src.url),
                        src.suite
                    ))
                })?;
            if !src.verify_signature {
                return Ok(String::from_utf8_lossy(&release).into_owned());
            }
            let sig = fetcher
                .fetch_unverified(&format!("{dist}/Release.gpg"))
                .map_err(|e| fetch_err("Release.gpg", e))?;
            verify_detached(&release, &sig, &src.keyring, &format!("{shown}/Release"))
        }
    }
    .map_err(|e| match e {
        // A document that is not a signed message at all (an error page, a
        // cut-off download) was not tampered with: say what it is.
        SigError::Malformed { .. } => WorldError::format(format!(
            "{shown}/InRelease (or Release.gpg) is not a readable signed file, so nothing \
             could be verified. Nothing was built."
        ))
        .because(e),
        _ => WorldError::verification(format!(
            "the signature of {shown} is not valid for the keyring {}: the file was tampered \
             with or the keyring is wrong. Nothing was built.",
            src.keyring_origin
        ))
        .because(e),
    })?;
    Ok(String::from_utf8_lossy(&verified.text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_dates() {
        assert_eq!(
            parse_release_date("Tue, 14 Nov 2023 22:13:20 UTC"),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_release_date("14 Nov 2023 22:13:20 UTC"),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_release_date("Sat, 9 Nov 2024 10:07:47 GMT"),
            Some(1_731_146_867)
        );
        assert_eq!(parse_release_date("Tue, 14 Nov 2023 22:13:20 +0100"), None);
        assert_eq!(parse_release_date("soon"), None);
        for invalid in [
            "Tue, 31 Feb 2023 22:13:20 UTC",
            "Tue, 14 Foo 2023 22:13:20 UTC",
            "Tue, 14 Nov 2023 25:13:20 UTC",
            "Tue, 14 Nov 2023 22:61:20 UTC",
            "Tue, 14 Nov 2023 22:13 UTC junk",
            "Tue, 14 Nov 2023 UTC",
            "",
        ] {
            assert_eq!(parse_release_date(invalid), None, "{invalid}");
        }
    }

    #[test]
    fn splits_between_paragraphs() {
        let (a, b) = split_at_paragraph("Package: a\nVersion: 1\n\nPackage: b\nVersion: 2\n");
        assert!(a.ends_with("\n\n") && b.starts_with("Package: b"));
    }
}
