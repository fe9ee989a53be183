//! Every preinst and postinst of the fixture mirror's `.debs`, read
//! against a tree holding all their files: the classification, as a
//! snapshot. The `.debs` are read with `ar`, `tar` and the decompressors
//! directly (whittle-deb depends on this crate, so it cannot be used here).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::fake::FakeHost;
use super::lines;
use crate::host::PathState;
use crate::report::{Class, ScriptReport};
use crate::{read_script, Script};

/// Users and groups of a Debian 12 base-passwd tree.
const USERS: &str = "root daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc _apt nobody";
const GROUPS: &str = "root daemon bin sys adm tty disk lp mail news uucp man proxy kmem dialout fax voice cdrom floppy tape sudo audio dip www-data backup operator list irc src shadow utmp video sasl plugdev staff games users nogroup";

/// One package: its name, its kept scripts, its data entries.
struct Deb {
    name: String,
    scripts: BTreeMap<String, String>,
    entries: Vec<(String, PathState)>,
    texts: Vec<(String, String)>,
}

fn debs(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs_err::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            debs(&p, out);
        } else if p.extension().is_some_and(|x| x == "deb") {
            out.push(p);
        }
    }
}

fn decompress<'a>(name: &str, r: impl Read + 'a) -> Box<dyn Read + 'a> {
    if name.ends_with(".xz") {
        Box::new(liblzma::read::XzDecoder::new(r))
    } else if name.ends_with(".zst") {
        Box::new(zstd::Decoder::new(r).unwrap())
    } else if name.ends_with(".gz") {
        Box::new(flate2::read::GzDecoder::new(r))
    } else {
        Box::new(r)
    }
}

fn read_deb(path: &Path) -> Deb {
    let file = fs_err::File::open(path).unwrap();
    let mut archive = ar::Archive::new(file);
    let mut deb = Deb {
        name: String::new(),
        scripts: BTreeMap::new(),
        entries: Vec::new(),
        texts: Vec::new(),
    };
    while let Some(member) = archive.next_entry() {
        let member = member.unwrap();
        let id = String::from_utf8_lossy(member.header().identifier()).to_string();
        if id.starts_with("control.tar") {
            let mut t = tar::Archive::new(decompress(&id, member));
            for e in t.entries().unwrap() {
                let mut e = e.unwrap();
                let name = e
                    .path()
                    .unwrap()
                    .to_string_lossy()
                    .trim_start_matches("./")
                    .to_string();
                let mut text = String::new();
                if name == "control" || name == "preinst" || name == "postinst" {
                    e.read_to_string(&mut text).unwrap();
                }
                if name == "control" {
                    deb.name = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Package: "))
                        .unwrap()
                        .to_string();
                } else if name == "preinst" || name == "postinst" {
                    deb.scripts.insert(name, text);
                }
            }
        } else if id.starts_with("data.tar") {
            let mut t = tar::Archive::new(decompress(&id, member));
            for e in t.entries().unwrap() {
                let mut e = e.unwrap();
                let p = e
                    .path()
                    .unwrap()
                    .to_string_lossy()
                    .trim_start_matches('.')
                    .trim_end_matches('/')
                    .to_string();
                let p = if p.is_empty() { "/".to_string() } else { p };
                let h = e.header();
                let state = match h.entry_type() {
                    tar::EntryType::Directory => PathState::Dir,
                    tar::EntryType::Symlink => PathState::Symlink {
                        target: h
                            .link_name()
                            .unwrap()
                            .unwrap()
                            .to_string_lossy()
                            .to_string(),
                    },
                    _ => PathState::File {
                        executable: h.mode().unwrap() & 0o111 != 0,
                        size: h.size().unwrap(),
                    },
                };
                // Shell libraries and defaults a script may source.
                if matches!(state, PathState::File { size, .. } if size < 65536)
                    && (p.ends_with(".sh") || p.starts_with("/etc/default/"))
                {
                    let mut text = String::new();
                    if e.read_to_string(&mut text).is_ok() {
                        deb.texts.push((p.clone(), text));
                    }
                }
                deb.entries.push((p, state));
            }
        }
    }
    deb
}

#[test]
fn every_fixture_script_is_classified() {
    let mut paths = Vec::new();
    debs(
        &whittle_test_env::fixtures::path("debian-bookworm-mirror"),
        &mut paths,
    );
    let mut all: Vec<Deb> = paths.iter().map(|p| read_deb(p)).collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(all.len() >= 50, "{} .debs", all.len());

    // The tree after unpacking: every package's files, the base accounts.
    let mut host = FakeHost::new();
    for deb in &all {
        for (p, s) in &deb.entries {
            host.paths.insert(p.clone(), s.clone());
            if let (Some(name), PathState::File { .. } | PathState::Symlink { .. }) =
                (p.rsplit('/').next(), s)
            {
                if ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"]
                    .iter()
                    .any(|d| p.starts_with(d))
                {
                    host.commands.insert(name.to_string());
                }
            }
        }
    }
    for deb in &all {
        host.texts.extend(deb.texts.iter().cloned());
    }
    host.users = USERS.split(' ').map(ToString::to_string).collect();
    host.groups = GROUPS.split(' ').map(ToString::to_string).collect();

    // As dpkg runs them on a fresh install: every preinst, then every postinst.
    let mut reports: Vec<ScriptReport> = Vec::new();
    for (script, args) in [
        ("preinst", &["install"][..]),
        ("postinst", &["configure", ""][..]),
    ] {
        for deb in &all {
            if let Some(text) = deb.scripts.get(script) {
                let s = Script {
                    package: &deb.name,
                    name: script,
                    text,
                    args,
                    elsewhere: &[],
                    answers: &[],
                };
                reports.push(read_script(&s, &mut host));
            }
        }
    }

    let mut out = String::new();
    let (mut emulated, mut harmless, mut not) = (0, 0, 0);
    for r in &reports {
        out.push_str(&format!("{} {}\n", r.package, r.script));
        for l in lines(r) {
            out.push_str(&format!("  {}\n", without_urls(&l)));
        }
        for a in &r.actions {
            match a.class {
                Class::Emulated => emulated += 1,
                Class::Harmless { .. } => harmless += 1,
                Class::NotEmulated { .. } => not += 1,
            }
        }
    }
    out.push_str(&format!(
        "\n{} scripts, {} actions: {emulated} emulated, {harmless} harmless, {not} not emulated\n",
        reports.len(),
        emulated + harmless + not
    ));
    assert!(reports.len() >= 20);
    assert!(emulated > 0 && harmless > 0);
    assert!(
        reports
            .iter()
            .all(|r| r.actions.iter().all(|a| !a.command.is_empty())),
        "every action names its command"
    );
    insta::assert_snapshot!("fixture_scripts", out);
}

/// The line with every URL a script prints replaced by `<url>`: the
/// snapshot records what was classified, and host names stay out of the
/// repository.
fn without_urls(line: &str) -> String {
    line.split(' ')
        .map(|w| {
            let bare = w.trim_start_matches('<');
            if bare.starts_with("http://") || bare.starts_with("https://") {
                "<url>"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
