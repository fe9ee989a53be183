//! The applier's alternatives against the host's own `update-alternatives`
//! (dpkg): the same `--install` calls, run for real in a temporary
//! directory and applied to a tree at the same paths, must leave the same
//! database bytes and the same choice of provider and slaves.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use std::path::Path;
use std::process::Command;

use whittle_effects::{Alternative, Applier, ApplyOptions, Effect, Origin, Placed, Slave};
use whittle_rootfs::{Node, NodeKind, RootFs};
use whittle_test_env::host::require_tool;

/// One `--install`: provider directory, priority, slave names it has.
type Install = (&'static str, i64, &'static [&'static str]);

fn alternative(base: &str, (provider, priority, slaves): Install) -> Alternative {
    Alternative {
        link: format!("{base}/bin/java"),
        name: "java".to_string(),
        path: format!("{base}/{provider}/java"),
        priority,
        slaves: slaves
            .iter()
            .map(|s| Slave {
                link: format!("{base}/man/{s}"),
                name: (*s).to_string(),
                path: format!("{base}/{provider}/man/{s}"),
            })
            .collect(),
    }
}

/// The target of the link at `path` on the host, if it is one.
fn host_link(path: &Path) -> Option<String> {
    fs_err::read_link(path)
        .ok()
        .map(|t| t.to_string_lossy().into_owned())
}

fn tree_link(fs: &RootFs, path: &str) -> Option<String> {
    match &fs.get(path)?.kind {
        NodeKind::Symlink(t) => Some(t.clone()),
        _ => None,
    }
}

/// Run `installs` both ways; `present` are the files that exist.
fn compare(installs: &[Install], present: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_string_lossy().into_owned();
    let mut fs = RootFs::new();
    for sub in ["admin", "alt", "bin", "man"] {
        fs_err::create_dir_all(dir.path().join(sub)).unwrap();
    }
    for file in present {
        let path = dir.path().join(file);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(&path, b"x").unwrap();
        fs.insert(&format!("{base}/{file}"), Node::file(b"x".to_vec(), 0o755))
            .unwrap();
    }

    let mut applier = Applier::new(
        &mut fs,
        ApplyOptions {
            alternatives_db: Some(format!("{base}/admin")),
            ..ApplyOptions::default()
        },
    );
    for install in installs {
        let alt = alternative(&base, *install);
        let mut cmd = Command::new("update-alternatives");
        cmd.arg("--admindir")
            .arg(format!("{base}/admin"))
            .arg("--altdir")
            .arg(format!("{base}/alt"))
            .args(["--install", &alt.link, &alt.name, &alt.path])
            .arg(alt.priority.to_string());
        for s in &alt.slaves {
            cmd.args(["--slave", &s.link, &s.name, &s.path]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        applier
            .apply_effect(&Placed {
                effect: Effect::Alternative(alt),
                origin: Origin::new("jre", "postinst", 1),
            })
            .unwrap();
    }
    applier.finish().unwrap();

    let theirs = fs_err::read_to_string(dir.path().join("admin/java")).unwrap();
    let ours = String::from_utf8(
        fs.read_file(&format!("{base}/admin/java"))
            .unwrap()
            .into_owned(),
    )
    .unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(
        tree_link(&fs, "/etc/alternatives/java"),
        host_link(&dir.path().join("alt/java"))
    );
    assert_eq!(
        tree_link(&fs, &format!("{base}/bin/java")).as_deref(),
        Some("/etc/alternatives/java")
    );
    for slave in ["java.1.gz", "jx.1.gz"] {
        assert_eq!(
            tree_link(&fs, &format!("/etc/alternatives/{slave}")),
            host_link(&dir.path().join("alt").join(slave)),
            "{slave}"
        );
        assert_eq!(
            tree_link(&fs, &format!("{base}/man/{slave}")).is_some(),
            host_link(&dir.path().join("man").join(slave)).is_some(),
            "{slave}"
        );
    }
}

#[test]
fn equal_priorities_keep_the_first_and_missing_slaves_are_skipped() {
    if !require_tool("update-alternatives") {
        return;
    }
    compare(
        &[
            ("j17", 100, &["java.1.gz"]),
            ("j11", 100, &["java.1.gz", "jx.1.gz"]),
        ],
        &["j17/java", "j11/java", "j17/man/java.1.gz"],
    );
}

#[test]
fn higher_priorities_win_and_reregistering_lowers_one() {
    if !require_tool("update-alternatives") {
        return;
    }
    let all = &["j8/java", "j11/java", "j17/java", "j11/man/jx.1.gz"];
    compare(
        &[
            ("j11", 50, &["jx.1.gz"]),
            ("j17", 200, &[]),
            ("j8", 200, &["java.1.gz"]),
        ],
        all,
    );
    compare(
        &[
            ("j11", 50, &["jx.1.gz"]),
            ("j17", 200, &[]),
            ("j8", 200, &[]),
            ("j17", 10, &[]),
        ],
        all,
    );
}
