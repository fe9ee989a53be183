//! Chisel's mutation scripts: the real scripts of the 24.04 release against
//! an in-memory tree, and each rule of the `content` sandbox.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use std::collections::BTreeMap;

use whittle_slices::mutate::{
    self, ContentError, EntryKind, MutateError, MutateJob, MutateRules, MutateTree, PathFlags,
};

/// An image tree in memory: files, directories, symlinks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    File(Vec<u8>, u32),
    Dir,
    Link(String),
}

#[derive(Debug, Default)]
struct Tree(BTreeMap<String, Node>);

impl Tree {
    /// A file (its parents made as directories).
    fn file(&mut self, path: &str, data: &str) -> &mut Self {
        self.parents(path);
        self.0
            .insert(path.to_owned(), Node::File(data.as_bytes().to_vec(), 0o644));
        self
    }

    fn dir(&mut self, path: &str) -> &mut Self {
        self.parents(path);
        self.0.insert(path.to_owned(), Node::Dir);
        self
    }

    fn link(&mut self, path: &str, target: &str) -> &mut Self {
        self.parents(path);
        self.0
            .insert(path.to_owned(), Node::Link(target.to_owned()));
        self
    }

    fn parents(&mut self, path: &str) {
        let mut p = path;
        while let Some(i) = p.rfind('/') {
            p = &p[..i];
            if p.is_empty() {
                break;
            }
            self.0.entry(p.to_owned()).or_insert(Node::Dir);
        }
    }

    fn text(&self, path: &str) -> String {
        match &self.0[path] {
            Node::File(data, _) => String::from_utf8(data.clone()).unwrap(),
            other => panic!("{path} is {other:?}"),
        }
    }
}

impl MutateTree for Tree {
    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(match self.0.get(path) {
            Some(Node::File(data, _)) => Some(data.clone()),
            _ => None,
        })
    }

    fn entry_kind(&self, path: &str) -> Option<EntryKind> {
        if path == "/" {
            return Some(EntryKind::Dir);
        }
        self.0.get(path).map(|n| match n {
            Node::File(..) => EntryKind::File,
            Node::Dir => EntryKind::Dir,
            Node::Link(t) => EntryKind::Symlink(t.clone()),
        })
    }

    fn list_dir(&self, dir: &str) -> Result<Vec<String>, String> {
        let prefix = if dir == "/" {
            "/".to_owned()
        } else {
            format!("{dir}/")
        };
        // Reverse order, so the sandbox's sorting is what the test sees.
        Ok(self
            .0
            .iter()
            .rev()
            .filter_map(|(p, n)| {
                let name = p.strip_prefix(&prefix)?;
                if name.contains('/') {
                    return None;
                }
                Some(match n {
                    Node::Dir => format!("{name}/"),
                    _ => name.to_owned(),
                })
            })
            .collect())
    }

    fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), String> {
        match self.0.get_mut(path) {
            Some(Node::File(old, _)) => {
                *old = data.to_vec();
                Ok(())
            }
            Some(_) => Err("not a file".into()),
            None => {
                self.0
                    .insert(path.to_owned(), Node::File(data.to_vec(), 0o644));
                Ok(())
            }
        }
    }
}

const MUTABLE: PathFlags = PathFlags {
    mutable: true,
    hard_link: false,
};

fn job(slice: &str, script: &str) -> MutateJob {
    MutateJob {
        slice: slice.to_owned(),
        script: script.to_owned(),
    }
}

/// The `mutate:` text of `pkg_slice` in the 24.04 release fixture.
fn real_script(package: &str, slice: &str) -> String {
    let path = whittle_test_env::fixtures::path(format!(
        "chisel-releases-ubuntu-24.04/slices/{package}.yaml"
    ));
    let text = fs_err::read_to_string(path).unwrap();
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    doc["slices"][slice]["mutate"]
        .as_str()
        .unwrap_or_else(|| panic!("{package}_{slice} has no mutate script"))
        .to_owned()
}

const CERT_A: &str = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n";
const CERT_B: &str = "-----BEGIN CERTIFICATE-----\nMIIBBBBB\n-----END CERTIFICATE-----\n";
const CERT_C: &str = "-----BEGIN CERTIFICATE-----\nMIIBCCCC\n-----END CERTIFICATE-----\n";

#[test]
fn ca_certificates_data_builds_the_bundle() {
    let mozilla = "/usr/share/ca-certificates/mozilla";
    let mut tree = Tree::default();
    tree.file("/etc/ssl/certs/ca-certificates.crt", "FIXME")
        .file(&format!("{mozilla}/Certum_Root_CA.crt"), CERT_B)
        .file(&format!("{mozilla}/ACCVRAIZ1.crt"), CERT_A)
        .file(&format!("{mozilla}/emSign_Root_CA_-_G1.crt"), CERT_C);
    // What the cut created for the selected slices (ca-certificates_data
    // lists the bundle, the mozilla directory and everything below it).
    let mut rules = MutateRules::new();
    rules
        .add("/etc/ssl/certs/ca-certificates.crt", MUTABLE)
        .unwrap();
    rules.add_path(&format!("{mozilla}/")).unwrap();
    for name in [
        "Certum_Root_CA.crt",
        "ACCVRAIZ1.crt",
        "emSign_Root_CA_-_G1.crt",
    ] {
        rules.add_path(&format!("{mozilla}/{name}")).unwrap();
    }
    let script = real_script("ca-certificates", "data");
    let outcome = mutate::run(&mut tree, &rules, &[job("ca-certificates_data", &script)]).unwrap();
    // Byte order of the names: uppercase before lowercase.
    assert_eq!(
        tree.text("/etc/ssl/certs/ca-certificates.crt"),
        format!("{CERT_A}{CERT_B}{CERT_C}")
    );
    assert_eq!(outcome.written, ["/etc/ssl/certs/ca-certificates.crt"]);
    assert!(outcome.printed.is_empty());
}

#[test]
fn base_passwd_data_copies_the_masters() {
    let group = "root:*:0:\ndaemon:*:1:\nbin:*:2:\n";
    let passwd =
        "root:*:0:0:root:/root:/bin/bash\ndaemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n";
    let mut tree = Tree::default();
    tree.file("/etc/group", "FIXME")
        .file("/etc/passwd", "FIXME")
        .file("/usr/share/base-passwd/group.master", group)
        .file("/usr/share/base-passwd/passwd.master", passwd);
    let mut rules = MutateRules::new();
    rules.add("/etc/group", MUTABLE).unwrap();
    rules.add("/etc/passwd", MUTABLE).unwrap();
    rules
        .add_path("/usr/share/base-passwd/group.master")
        .unwrap();
    rules
        .add_path("/usr/share/base-passwd/passwd.master")
        .unwrap();
    let script = real_script("base-passwd", "data");
    let outcome = mutate::run(&mut tree, &rules, &[job("base-passwd_data", &script)]).unwrap();
    assert_eq!(tree.text("/etc/group"), group);
    assert_eq!(tree.text("/etc/passwd"), passwd);
    assert_eq!(outcome.written, ["/etc/group", "/etc/passwd"]);
}

/// A tree with `/foo/file1.txt` (mutable), `/foo/file2.txt`, `/bar/x`.
fn small() -> (Tree, MutateRules) {
    let mut tree = Tree::default();
    tree.file("/foo/file1.txt", "data1")
        .file("/foo/file2.txt", "data2")
        .file("/bar/x", "x");
    let mut rules = MutateRules::new();
    rules.add("/foo/file1.txt", MUTABLE).unwrap();
    rules.add_path("/foo/file2.txt").unwrap();
    (tree, rules)
}

fn fails(tree: &mut Tree, rules: &MutateRules, script: &str) -> MutateError {
    mutate::run(tree, rules, &[job("pkg_slice", script)]).unwrap_err()
}

fn content_error(e: &MutateError) -> &ContentError {
    match e {
        MutateError::Content { source, .. } => source,
        other => panic!("not a content error: {other}"),
    }
}

#[test]
fn read_of_unknown_path_is_refused() {
    let (mut tree, rules) = small();
    let e = fails(&mut tree, &rules, "x = 1\ncontent.read('/bar/x')\n");
    assert_eq!(
        e.to_string(),
        "slice pkg_slice: mutate line 2: cannot read file which is not selected: /bar/x"
    );
    assert_eq!(content_error(&e).path(), "/bar/x");
    assert_eq!(e.line(), Some(2));
    assert_eq!(e.slice(), "pkg_slice");
    // Listing an unknown directory, and a known file as a directory.
    let e = fails(&mut tree, &rules, "content.list('/bar')");
    assert_eq!(
        content_error(&e).to_string(),
        "cannot list directory which is not selected: /bar/"
    );
    let e = fails(&mut tree, &rules, "content.list('/foo/file2.txt')");
    assert_eq!(
        content_error(&e).to_string(),
        "content is not a directory: /foo/file2.txt"
    );
    // A parent of a known path reads as a directory only.
    let e = fails(&mut tree, &rules, "content.read('/foo')");
    assert_eq!(content_error(&e).to_string(), "content is not a file: /foo");
}

#[test]
fn paths_must_be_absolute_and_are_cleaned() {
    let (mut tree, rules) = small();
    let e = fails(&mut tree, &rules, "content.read('foo/file1.txt')");
    assert_eq!(
        content_error(&e).to_string(),
        "content path must be absolute, got: foo/file1.txt"
    );
    // `..` is applied before the check, and stops at the root.
    mutate::run(
        &mut tree,
        &rules,
        &[job(
            "pkg_slice",
            "content.write('/../bar/../foo/./file1.txt', content.read('//foo/file2.txt'))",
        )],
    )
    .unwrap();
    assert_eq!(tree.text("/foo/file1.txt"), "data2");
}

#[test]
fn write_of_non_mutable_is_refused() {
    let (mut tree, rules) = small();
    let e = fails(
        &mut tree,
        &rules,
        "\n\ncontent.write('/foo/file2.txt', 'new')\n",
    );
    assert_eq!(
        e.to_string(),
        "slice pkg_slice: mutate line 3: cannot write file which is not mutable: /foo/file2.txt"
    );
    assert_eq!(tree.text("/foo/file2.txt"), "data2");
    // A hard link is never written, mutable or not.
    let mut rules = rules;
    rules
        .add(
            "/bar/x",
            PathFlags {
                mutable: true,
                hard_link: true,
            },
        )
        .unwrap();
    let e = fails(&mut tree, &rules, "content.write('/bar/x', '')");
    assert_eq!(
        content_error(&e).to_string(),
        "cannot mutate a hard link: /bar/x"
    );
}

#[test]
fn arguments_by_name_and_types() {
    let (mut tree, rules) = small();
    mutate::run(
        &mut tree,
        &rules,
        &[job(
            "pkg_slice",
            "content.write(data=content.read(path='/foo/file2.txt') + '!', path='/foo/file1.txt')\n\
             names = content.list(path='/foo/')\n\
             if type(names) != 'list' or type(names[0]) != 'string':\n    fail('types')\n",
        )],
    )
    .unwrap();
    assert_eq!(tree.text("/foo/file1.txt"), "data2!");
    let e = fails(&mut tree, &rules, "content.write('/foo/file1.txt', 3)");
    assert!(matches!(e, MutateError::Eval { line: Some(1), .. }), "{e}");
}

#[test]
fn list_is_sorted_by_name_with_directory_slashes() {
    let mut tree = Tree::default();
    tree.file("/d/b", "")
        .file("/d/a-b", "")
        .file("/d/a/inner", "")
        .file("/d/C", "")
        .link("/d/ln", "a")
        .file("/out", "");
    let mut rules = MutateRules::new();
    rules.add_path("/d/b").unwrap();
    rules.add("/out", MUTABLE).unwrap();
    mutate::run(
        &mut tree,
        &rules,
        &[job(
            "pkg_slice",
            "content.write('/out', ','.join(content.list('/d')) + ';' + ','.join(content.list('/')))",
        )],
    )
    .unwrap();
    // Go's os.ReadDir order: by name, so "a/" before "a-b"; every entry of
    // the directory, known or not; a symlink to a directory has no slash.
    assert_eq!(tree.text("/out"), "C,a/,a-b,b,ln;d/,out");
}

#[test]
fn symlink_inside_root_is_followed_and_checked() {
    let mut tree = Tree::default();
    tree.file("/etc/real.conf", "real")
        .link("/etc/alias.conf", "real.conf")
        .link("/etc/abs.conf", "/etc/real.conf")
        .file("/etc/target", "old")
        .link("/etc/target-link", "target")
        .file("/etc/out", "");
    let mut rules = MutateRules::new();
    for p in ["/etc/real.conf", "/etc/alias.conf", "/etc/abs.conf"] {
        rules.add_path(p).unwrap();
    }
    rules.add("/etc/out", MUTABLE).unwrap();
    rules.add("/etc/target", MUTABLE).unwrap();
    rules.add("/etc/target-link", MUTABLE).unwrap();
    let outcome = mutate::run(
        &mut tree,
        &rules,
        &[job(
            "pkg_slice",
            "content.write('/etc/out', content.read('/etc/alias.conf') + content.read('/etc/abs.conf'))\n\
             content.write('/etc/target-link', 'new')",
        )],
    )
    .unwrap();
    assert_eq!(tree.text("/etc/out"), "realreal");
    // The write went to the target; the link is still a link.
    assert_eq!(tree.text("/etc/target"), "new");
    assert_eq!(tree.0["/etc/target-link"], Node::Link("target".into()));
    assert_eq!(outcome.written, ["/etc/out", "/etc/target"]);

    // The target is checked too.
    let mut tree2 = Tree::default();
    tree2.file("/a/secret", "s").link("/a/link", "secret");
    let mut rules2 = MutateRules::new();
    rules2.add_path("/a/link").unwrap();
    let e = fails(&mut tree2, &rules2, "content.read('/a/link')");
    assert_eq!(
        content_error(&e).to_string(),
        "cannot read file which is not selected: /a/secret"
    );
}

#[test]
fn symlink_escaping_root_stays_inside() {
    // Chisel's rule ("Relative/Absolute symlinks do not escape the root"):
    // `..` beyond the root stops at the root, so the link reaches the
    // image's own /dir/foo, never anything outside.
    let mut tree = Tree::default();
    tree.file("/dir/foo", "whatever")
        .link("/dir/link", "../../../../dir/foo")
        .link("/file2", "/../../foo")
        .file("/foo", "top")
        .file("/result", "");
    let mut rules = MutateRules::new();
    for p in ["/dir/foo", "/dir/link", "/file2", "/foo"] {
        rules.add_path(p).unwrap();
    }
    rules.add("/result", MUTABLE).unwrap();
    mutate::run(
        &mut tree,
        &rules,
        &[job(
            "pkg_slice",
            "content.write('/result', content.read('/dir/link') + content.read('/file2'))",
        )],
    )
    .unwrap();
    assert_eq!(tree.text("/result"), "whatevertop");

    // A link out of the root that lands on nothing known is refused.
    let mut tree = Tree::default();
    tree.link("/etc/shadow-link", "../../../../../etc/shadow");
    let mut rules = MutateRules::new();
    rules.add_path("/etc/shadow-link").unwrap();
    let e = fails(&mut tree, &rules, "content.read('/etc/shadow-link')");
    assert_eq!(
        content_error(&e).to_string(),
        "cannot read file which is not selected: /etc/shadow"
    );
}

#[test]
fn symlinked_directories_resolve_inside_root() {
    // /bin -> usr/bin and /lib -> /usr/lib (absolute): a path through them
    // is checked as spelled and read where the links lead.
    let mut tree = Tree::default();
    tree.link("/bin", "usr/bin")
        .link("/lib", "/usr/lib")
        .file("/usr/bin/tool", "tool")
        .file("/usr/lib/x.conf", "conf")
        .file("/out", "");
    let mut rules = MutateRules::new();
    rules.add_path("/bin/tool").unwrap();
    rules.add_path("/lib/x.conf").unwrap();
    rules.add("/out", MUTABLE).unwrap();
    mutate::run(
        &mut tree,
        &rules,
        &[job(
            "pkg_slice",
            "content.write('/out', content.read('/bin/tool') + content.read('/lib/x.conf'))",
        )],
    )
    .unwrap();
    assert_eq!(tree.text("/out"), "toolconf");
}

#[test]
fn symlink_loops_end() {
    let mut tree = Tree::default();
    tree.link("/a", "b").link("/b", "a");
    let mut rules = MutateRules::new();
    rules.add_path("/a").unwrap();
    rules.add_path("/b").unwrap();
    let e = fails(&mut tree, &rules, "content.read('/a')");
    assert!(
        matches!(content_error(&e), ContentError::SymlinkLoop { .. }),
        "{e}"
    );
}

#[test]
fn missing_files_and_directories_fail_like_go() {
    let mut tree = Tree::default();
    tree.dir("/d");
    let mut rules = MutateRules::new();
    rules.add_path("/gone").unwrap();
    rules.add_path("/d/").unwrap();
    let e = fails(&mut tree, &rules, "content.read('/gone')");
    assert_eq!(
        content_error(&e).to_string(),
        "open /gone: no such file or directory"
    );
    let e = fails(&mut tree, &rules, "content.read('/d/')");
    assert_eq!(content_error(&e).to_string(), "read /d/: is a directory");
}

#[test]
fn syntax_error_reports_the_line() {
    let (mut tree, rules) = small();
    let e = fails(&mut tree, &rules, "a = 1\nb = [\n\nc = )\n");
    assert!(matches!(e, MutateError::Syntax { .. }), "{e}");
    assert_eq!(e.line(), Some(4), "{e}");
    assert!(
        e.to_string()
            .starts_with("slice pkg_slice: mutate line 4: "),
        "{e}"
    );
    // `while` and `load` are not part of Chisel's dialect.
    for script in ["while True:\n    pass\n", "load('x.star', 'y')\n"] {
        let e = fails(&mut tree, &rules, script);
        assert!(matches!(e, MutateError::Syntax { .. }), "{script}: {e}");
    }
}

#[test]
fn chisel_dialect_allows_top_level_control_and_reassignment() {
    let (mut tree, rules) = small();
    mutate::run(
        &mut tree,
        &rules,
        &[job(
            "pkg_slice",
            "data = 1\ndata = 2\nfor x in []:\n    pass\nif data == 2:\n    content.write('/foo/file1.txt', str(data))\n\
             def twice(s):\n    return s + s\ncontent.write('/foo/file1.txt', twice(content.read('/foo/file1.txt')))\n",
        )],
    )
    .unwrap();
    assert_eq!(tree.text("/foo/file1.txt"), "22");
    // `set` is not a built-in there.
    let e = fails(&mut tree, &rules, "s = set([1])");
    assert!(!matches!(e, MutateError::Content { .. }), "{e}");
}

#[test]
fn fail_and_print() {
    let (mut tree, rules) = small();
    let e = fails(&mut tree, &rules, "x = 1\nfail('boom')\n");
    assert!(matches!(e, MutateError::Eval { line: Some(2), .. }), "{e}");
    assert!(e.to_string().contains("boom"), "{e}");
    let outcome = mutate::run(
        &mut tree,
        &rules,
        &[
            job("a_one", "print('hello')"),
            job("b_two", "print('x', 1)"),
        ],
    )
    .unwrap();
    assert_eq!(
        outcome.printed,
        [
            ("a_one".to_owned(), "hello".to_owned()),
            ("b_two".to_owned(), "x 1".to_owned())
        ]
    );
}

#[test]
fn scripts_are_bounded() {
    let (mut tree, rules) = small();
    let e = fails(
        &mut tree,
        &rules,
        "def spin():\n    for a in range(100000):\n        for b in range(100000):\n            pass\nspin()\n",
    );
    assert!(matches!(e, MutateError::Eval { .. }), "{e}");
    let e = fails(&mut tree, &rules, "def f(n):\n    return f(n + 1)\nf(0)\n");
    assert!(matches!(e, MutateError::Eval { .. }), "{e}");
}

#[test]
fn jobs_run_in_order_and_stop_at_the_first_failure() {
    let (mut tree, rules) = small();
    let e = mutate::run(
        &mut tree,
        &rules,
        &[
            job("p_first", "content.write('/foo/file1.txt', 'first')"),
            job(
                "p_second",
                "content.write('/foo/file1.txt', content.read('/foo/file1.txt') + '+second')",
            ),
            job("p_third", "content.read('/nope')"),
            job("p_fourth", "content.write('/foo/file1.txt', 'fourth')"),
        ],
    )
    .unwrap_err();
    assert_eq!(e.slice(), "p_third");
    assert_eq!(tree.text("/foo/file1.txt"), "first+second");
}
