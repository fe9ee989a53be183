//! A signed repository whose `Packages` index holds malformed stanzas,
//! served on 127.0.0.1: the bad stanzas cost their packages, each named
//! in a warning with the index URL and field, and the rest is used.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use whittle_cache::Cache;
use whittle_deb::repo::{load_suite, SuiteSource};
use whittle_model::PackageRecord;
use whittle_net::{Fetcher, TestServer};
use whittle_sig::Keyring;
use whittle_test::{DebRepo, DebSpec};
use whittle_world::{FailureKind, Reporter, WorldError};

/// Keeps warnings and info lines.
#[derive(Default)]
struct Said {
    warnings: Mutex<Vec<String>>,
    info: Mutex<Vec<String>>,
}

impl Reporter for Said {
    fn on_warning(&self, message: &str) {
        self.warnings.lock().unwrap().push(message.to_string());
    }
    fn on_info(&self, message: &str) {
        self.info.lock().unwrap().push(message.to_string());
    }
}

impl Said {
    fn warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap())
    }
    fn read_a_snapshot(&self) -> bool {
        std::mem::take(&mut *self.info.lock().unwrap())
            .iter()
            .any(|l| l.ends_with("(parsed snapshot)"))
    }
}

struct Setup {
    repo: DebRepo,
    server: TestServer,
    _cache_dir: tempfile::TempDir,
    fetcher: Fetcher,
}

fn setup(specs: Vec<DebSpec>) -> Setup {
    let mut repo = DebRepo::new("stable");
    for spec in specs {
        repo.add(spec);
    }
    repo.publish();
    let server = repo.serve();
    let cache_dir = tempfile::tempdir().unwrap();
    let fetcher = Fetcher::new(Cache::open(cache_dir.path()).unwrap(), false).unwrap();
    Setup {
        repo,
        server,
        _cache_dir: cache_dir,
        fetcher,
    }
}

impl Setup {
    fn load(&self, said: &Said) -> Result<Vec<PackageRecord>, WorldError> {
        let ring = fs_err::read(self.repo.keyring_path()).unwrap();
        let source = SuiteSource {
            url: self.server.url(),
            suite: "stable".into(),
            components: vec!["main".into()],
            keyring: Keyring::from_bytes(&ring, "test").unwrap(),
            keyring_origin: "test".into(),
            verify_signature: true,
        };
        load_suite(&self.fetcher, &source, 0, "amd64", None, said)
    }

    fn index_url(&self) -> String {
        format!(
            "{}/dists/stable/main/binary-amd64/Packages.xz",
            self.server.url()
        )
    }
}

fn names(records: &[PackageRecord]) -> Vec<&str> {
    records.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn bad_stanzas_are_skipped_with_a_warning_naming_url_package_and_field() {
    let s = setup(vec![
        DebSpec::new("alpha", "1.0-1"),
        DebSpec::new("bad-size", "1.0").field("Installed-Size", "abc"),
        DebSpec::new("colons", ":::"),
        DebSpec::new("omega", "2.0"),
    ]);
    let said = Said::default();
    let records = s.load(&said).expect("the sound stanzas are used");
    assert_eq!(names(&records), ["alpha", "omega"]);
    let warnings = said.warnings();
    let url = s.index_url();
    let about = |package: &str, field: &str| {
        warnings.iter().any(|w| {
            w.starts_with(&url)
                && w.contains(&format!("skipping package {package} "))
                && w.contains(field)
        })
    };
    assert!(
        about("bad-size", "bad Installed-Size value \"abc\""),
        "{warnings:#?}"
    );
    assert!(
        about("colons", "bad Version value \":::\""),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("2 malformed stanzas skipped, 2 package records read")),
        "{warnings:#?}"
    );

    // No snapshot is kept of an index with skipped stanzas: the next build
    // parses it again and warns again.
    let again = s.load(&said).unwrap();
    assert_eq!(again, records);
    assert!(!said.read_a_snapshot());
    assert_eq!(said.warnings().len(), warnings.len());
}

/// The error and its causes on one line, as the front end prints them.
fn chain(e: &WorldError) -> String {
    let mut chain = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        chain.push_str(&format!(": {c}"));
        cause = c.source();
    }
    chain
}

#[test]
fn an_index_of_only_bad_stanzas_is_an_error() {
    let s = setup(vec![
        DebSpec::new("colons", ":::"),
        DebSpec::new("letters", "abc"),
    ]);
    let said = Said::default();
    let e = s.load(&said).unwrap_err();
    assert_eq!(e.kind(), FailureKind::Format);
    let chain = chain(&e);
    assert!(chain.contains(&s.index_url()), "{chain}");
    assert!(
        chain.contains(
            "every stanza of the Packages index for this architecture is malformed (2 skipped"
        ),
        "{chain}"
    );
}

/// The index is parsed in two halves on two cores: a stanza in the second
/// half is reported at its line in the whole file.
#[test]
fn lines_in_the_second_half_are_lines_of_the_whole_index() {
    let mut specs: Vec<DebSpec> = (0..40)
        .map(|i| DebSpec::new(&format!("p{i:02}"), "1.0"))
        .collect();
    specs.push(DebSpec::new("zz-last", "1.0").field("Installed-Size", "abc"));
    let s = setup(specs);
    let said = Said::default();
    let records = s.load(&said).unwrap();
    assert_eq!(records.len(), 40);
    let text = fs_err::read_to_string(s.repo.dist().join("main/binary-amd64/Packages")).unwrap();
    let line = 1 + text
        .lines()
        .position(|l| l == "Installed-Size: abc")
        .unwrap();
    let warnings = said.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&format!("Packages index line {line}: package zz-last"))),
        "line {line}: {warnings:#?}"
    );
}

/// An `InRelease` that is not a signed message (an error page, a cut-off
/// download) is reported as what it is, in words, naming the URL: not as
/// tampering, and without a dump of its bytes.
#[test]
fn an_unreadable_inrelease_is_described_in_words() {
    let s = setup(vec![DebSpec::new("alpha", "1.0")]);
    let inrelease = s.repo.dist().join("InRelease");
    let said = Said::default();
    let signed = fs_err::read(&inrelease).unwrap();
    for (doc, words) in [
        (
            b"<html><body>Service Unavailable</body></html>\n".to_vec(),
            "not an OpenPGP cleartext-signed message: no `-----BEGIN PGP SIGNED MESSAGE-----` line",
        ),
        (
            signed[..signed.len() - 30].to_vec(),
            "cut off inside its signature",
        ),
    ] {
        fs_err::write(&inrelease, &doc).unwrap();
        let e = s.load(&said).unwrap_err();
        let chain = chain(&e);
        assert_eq!(e.kind(), FailureKind::Format, "{chain}");
        assert!(chain.contains(words), "{chain}");
        assert!(
            chain.contains(&format!("{}/dists/stable/InRelease", s.server.url())),
            "{chain}"
        );
        assert!(!chain.contains("tampered"), "{chain}");
    }
}
