//! apt sources: deb822 and one-line files under a made-up root, and the
//! host's own configuration.

// Helpers outside #[test] functions may unwrap and print too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use whittle_deb::sources::{find_suite, read_apt_sources, SignedBy, SourcesError};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs_err::create_dir_all(p.parent().unwrap()).unwrap();
    fs_err::write(p, text).unwrap();
}

const KEY: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZabc\nline2==\n=AbCd\n-----END PGP PUBLIC KEY BLOCK-----\n";

#[test]
fn reads_both_formats_in_apt_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "etc/apt/sources.list",
        "# main list\n\
         deb [arch=amd64 signed-by=/usr/share/keyrings/one.gpg] http://mirror.invalid/one stable main contrib # trailing\n\
         deb-src http://mirror.invalid/one stable main\n\
         \n\
         deb http://mirror.invalid/flat ./\n",
    );
    write(
        root,
        "etc/apt/sources.list.d/b.sources",
        "Types: deb deb-src\n\
         # a comment inside the paragraph\n\
         URIs: http://mirror.invalid/debian http://mirror.invalid/debian2\n\
         Suites: bookworm bookworm-updates\n\
         Components: main\n\
         Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\
         \n\
         Types: deb\n\
         URIs: http://mirror.invalid/off\n\
         Suites: off\n\
         Components: main\n\
         Enabled: no\n\
         \n\
         Types: deb-src\n\
         URIs: http://mirror.invalid/src\n\
         Suites: srconly\n\
         Components: main\n\
         \n\
         Types: deb\n\
         URIs: http://mirror.invalid/inline\n\
         Suites: bookworm-security\n\
         Components: main\n\
         Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mDMEZabc\n line2==\n =AbCd\n -----END PGP PUBLIC KEY BLOCK-----\n",
    );
    write(
        root,
        "etc/apt/sources.list.d/a.list",
        "deb http://mirror.invalid/a sid main\n",
    );
    write(
        root,
        "etc/apt/sources.list.d/c.list.disabled-by-farm",
        "garbage that would not parse\n",
    );
    write(
        root,
        "etc/apt/sources.list.d/d.sources.disabled-by-farm",
        "garbage\n",
    );
    write(root, "etc/apt/sources.list.d/e.save", "garbage\n");

    let s = read_apt_sources(root).unwrap();
    let uris: Vec<&str> = s.iter().map(|s| s.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "http://mirror.invalid/one",
            "http://mirror.invalid/flat",
            "http://mirror.invalid/a",
            "http://mirror.invalid/debian",
            "http://mirror.invalid/debian2",
            "http://mirror.invalid/inline",
        ]
    );
    assert_eq!(s[0].suites, ["stable"]);
    assert_eq!(s[0].components, ["main", "contrib"]);
    assert_eq!(
        s[0].signed_by,
        Some(SignedBy::Path("/usr/share/keyrings/one.gpg".into()))
    );
    assert_eq!(s[0].origin, root.join("etc/apt/sources.list"));
    assert_eq!(s[1].suites, ["./"]);
    assert!(s[1].components.is_empty());
    assert_eq!(s[1].signed_by, None);
    assert_eq!(s[3].suites, ["bookworm", "bookworm-updates"]);
    assert_eq!(s[3].origin, root.join("etc/apt/sources.list.d/b.sources"));
    assert_eq!(
        s[4].signed_by,
        Some(SignedBy::Path(PathBuf::from(
            "/usr/share/keyrings/debian-archive-keyring.gpg"
        )))
    );
    assert_eq!(s[5].signed_by, Some(SignedBy::Inline(KEY.to_string())));

    assert_eq!(
        find_suite(&s, "bookworm-updates").unwrap().uri,
        "http://mirror.invalid/debian"
    );
    assert_eq!(
        find_suite(&s, "bookworm-security").unwrap().uri,
        "http://mirror.invalid/inline"
    );
    assert!(find_suite(&s, "off").is_none(), "Enabled: no is skipped");
    assert!(find_suite(&s, "srconly").is_none(), "deb-src is ignored");
}

#[test]
fn missing_config_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert!(read_apt_sources(dir.path()).unwrap().is_empty());
}

#[test]
fn errors_name_file_and_line() {
    let cases = [
        ("etc/apt/sources.list", "deb http://mirror.invalid/x\n", 1),
        ("etc/apt/sources.list", "\ndeb-foo http://mirror.invalid/x s main\n", 2),
        ("etc/apt/sources.list", "deb [signed-by=/k http://mirror.invalid/x s main\n", 1),
        ("etc/apt/sources.list", "deb [signed-by=ABCDEF0123] http://mirror.invalid/x s main\n", 1),
        ("etc/apt/sources.list.d/x.sources", "Types: deb\nURIs: http://mirror.invalid/x\nSuites: s\n", 1),
        ("etc/apt/sources.list.d/x.sources", "Types: deb\nURIs: http://mirror.invalid/x\nSuites: s\nComponents: main\nSigned-By: 0123ABCD\n", 5),
        ("etc/apt/sources.list.d/x.sources", "Types: rpm\nURIs: http://mirror.invalid/x\n", 1),
    ];
    for (file, text, line) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), file, text);
        let e = read_apt_sources(dir.path()).unwrap_err();
        match &e {
            SourcesError::Invalid { path, line: l, .. } => {
                assert_eq!(path, &dir.path().join(file), "{e}");
                assert_eq!(*l, line, "{text:?}: {e}");
            }
            other => panic!("{text:?}: unexpected {other:?}"),
        }
        assert!(e.to_string().contains(file), "{e}");
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "etc/apt/sources.list.d/y.sources",
        "Types: deb\n bad\nnot a field\n",
    );
    let e = read_apt_sources(dir.path()).unwrap_err();
    assert!(matches!(e, SourcesError::Syntax { .. }), "{e:?}");
    // The file in the message, the line in its cause (printed below it).
    let cause = std::error::Error::source(&e).map(ToString::to_string);
    assert!(e.to_string().contains("y.sources"), "{e}");
    assert!(
        cause.as_deref().is_some_and(|c| c.contains("line 3")),
        "{e}: {cause:?}"
    );
}

#[test]
fn host_sources() {
    let host = Path::new("/etc/apt/sources.list.d/debian.sources");
    if !host.exists() {
        // A host without deb822 sources is not something to install.
        whittle_test_env::host::skip(&format!(
            "{} is absent on this host; host_sources did NOT run",
            host.display()
        ));
        return;
    }
    let s = read_apt_sources(Path::new("/")).unwrap();
    let bw = find_suite(&s, "bookworm").expect("the host's sources list bookworm");
    assert!(bw.components.iter().any(|c| c == "main"));
    assert!(bw.uri.starts_with("http"), "{}", bw.uri);
    assert!(
        matches!(bw.signed_by, Some(SignedBy::Path(_))),
        "{:?}",
        bw.signed_by
    );
    eprintln!("host: bookworm from a source in {}", bw.origin.display());
}
