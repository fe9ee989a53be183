//! `whittle search` in every package world, over repositories built here,
//! signed with throw-away keys and served on 127.0.0.1: names (substring
//! and glob), summaries, provides, every version with the pick and its
//! reason, `--file` (Debian's Contents index listed in InRelease, RPM's
//! filelists.xml, APK's provides, Chisel slices), `--json`, `--offline`
//! after an online run, and a tampered Contents index refused. One live
//! test asks the host's Debian mirror who ships /usr/bin/python3.11.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;
use whittle_test::{
    filesystem_rpm_spec, ApkKey, ApkRepo, ApkSpec, DebRepo, DebSpec, RpmKey, RpmRepo, RpmSpec,
};
use whittle_test_env::host::{require_tool, skip};

fn search(recipe: &Path, cache: &Path, args: &[&str]) -> Output {
    run(
        whittle()
            .arg("search")
            .args(args)
            .arg("--recipe")
            .arg(recipe)
            .arg("--cache-dir")
            .arg(cache),
        false,
    )
}

/// `search … --json`, which must succeed; the one architecture's answer.
fn search_json(recipe: &Path, cache: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = search(recipe, cache, &all);
    assert!(
        out.status.success(),
        "search {args:?} failed:\n{}",
        stderr(&out)
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let archs = doc["archs"].as_array().unwrap();
    assert_eq!(archs.len(), 1, "{doc}");
    archs[0].clone()
}

fn package<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not found in {answer:#}"))
}

fn names(answer: &Value) -> Vec<String> {
    answer["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

fn versions(p: &Value) -> Vec<String> {
    p["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap().to_string())
        .collect()
}

// --- Debian -----------------------------------------------------------------

fn deb_repo() -> DebRepo {
    let mut repo = DebRepo::new("stable");
    repo.add(
        DebSpec::new("hello", "1.0-1")
            .field("Description", "greets the world\n old version")
            .file("usr/bin/hello", b"#!hello 1\n", 0o755),
    )
    .add(
        DebSpec::new("hello", "2.0-1")
            .field("Description", "greets the world\n long text")
            .file("usr/bin/hello", b"#!hello 2\n", 0o755),
    )
    .add(
        DebSpec::new("libxml2-utils", "2.9.14-1")
            .field("Section", "text")
            .field("Description", "XML utilities")
            .file("usr/bin/xmllint", b"#!xmllint\n", 0o755),
    )
    .add(
        DebSpec::new("libxml2", "2.9.14-1")
            .field("Section", "libs")
            .file("usr/lib/x86_64-linux-gnu/libxml2.so.2", b"ELF\n", 0o644),
    )
    .add(
        DebSpec::new("mawk", "1.3.4-1")
            .field("Provides", "awk")
            .field("Priority", "required"),
    )
    .add(
        DebSpec::new("gawk", "5.2.1-2")
            .field("Provides", "awk")
            .field("Priority", "optional"),
    )
    .add(DebSpec::new("tzdata", "2024a-0").arch("all"))
    .add(DebSpec::new("tzdata", "2025a-0").arch("all"));
    repo.publish();
    repo
}

#[test]
fn debian_search_names_summaries_provides_versions_and_picks() {
    let repo = deb_repo();
    let server = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = deb_recipe(
        dir.path(),
        &server.url(),
        &repo.keyring_path(),
        "hello, tzdata=2024a-0",
        "archs: [amd64]\n",
    );
    let cache = dir.path().join("cache");

    // A substring: every version, newest first; the recipe's pick is the
    // newest, and it is in the recipe's resolved set.
    let hel = search_json(&recipe, &cache, &["hel"]);
    assert_eq!(names(&hel), ["hello"]);
    let hello = package(&hel, "hello");
    assert_eq!(versions(hello), ["2.0-1", "1.0-1"]);
    assert_eq!(hello["summary"], "greets the world");
    assert_eq!(hello["pick"]["version"], "2.0-1");
    assert_eq!(hello["pick"]["reason"], "newest");
    assert_eq!(hello["pick"]["in_recipe"], true);
    assert!(hello["versions"][0]["repository"]
        .as_str()
        .unwrap()
        .ends_with(" stable"));
    assert_eq!(hello["versions"][0]["arch"], "amd64");

    // A pin: the older version, and the recipe entry that says so.
    let tz = search_json(&recipe, &cache, &["tzdata"]);
    let tzdata = package(&tz, "tzdata");
    assert_eq!(versions(tzdata), ["2025a-0", "2024a-0"]);
    assert_eq!(tzdata["pick"]["version"], "2024a-0");
    assert_eq!(tzdata["pick"]["reason"], "pin");
    assert!(tzdata["pick"]["why"]
        .as_str()
        .unwrap()
        .contains("tzdata=2024a-0"));
    assert_eq!(tzdata["versions"][0]["arch"], "all");

    // A glob matches whole names (`lib?ml2` is not `libxml2-utils`), and
    // anywhere in a summary.
    let xml = search_json(&recipe, &cache, &["*xml*"]);
    assert_eq!(names(&xml), ["libxml2", "libxml2-utils"]);
    let lib = search_json(&recipe, &cache, &["lib?ml2"]);
    assert_eq!(names(&lib), ["libxml2"]);
    let greets = search_json(&recipe, &cache, &["greets * world"]);
    assert_eq!(names(&greets), ["hello"]);
    assert_eq!(package(&greets, "hello")["matched"][0], "summary");
    let out = search(&recipe, &cache, &["zz*"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // The summary (Description's first line only).
    let greets = search_json(&recipe, &cache, &["GREETS"]);
    assert_eq!(names(&greets), ["hello"]);
    assert_eq!(package(&greets, "hello")["matched"][0], "summary");
    let out = search(&recipe, &cache, &["long text"]);
    assert_eq!(out.status.code(), Some(1));

    // Provides: both providers of the virtual name, and the one apt
    // would take (Priority: required outranks optional).
    let awk = search_json(&recipe, &cache, &["awk"]);
    assert_eq!(names(&awk), ["gawk", "mawk"]);
    assert!(package(&awk, "mawk")["matched"]
        .as_array()
        .unwrap()
        .contains(&Value::from("provides:awk")));
    assert_eq!(awk["provided_by"]["name"], "mawk");
    assert_eq!(awk["provided_by"]["reason"], "provider-priority");
    assert_eq!(awk["provided_by"]["in_recipe"], false);

    // The text table marks the pick and says why.
    let out = search(&recipe, &cache, &["tzdata"]);
    let text = stdout(&out);
    assert!(
        text.contains("* 2024a-0  all  ")
            && text.contains("pinned by the recipe (`tzdata=2024a-0`), in the recipe"),
        "{text}"
    );
}

#[test]
fn debian_file_search_reads_the_signed_contents_index_and_works_offline() {
    let repo = deb_repo();
    let server = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = deb_recipe(
        dir.path(),
        &server.url(),
        &repo.keyring_path(),
        "hello",
        "archs: [amd64]\n",
    );
    let cache = dir.path().join("cache");
    let args = [
        "--file",
        "/usr/bin/xmllint",
        "--file",
        "/usr/lib/*/libxml2.so.*",
        "--file",
        "/usr/bin/nothing-ships-this",
    ];
    let online = search_json(&recipe, &cache, &args);
    let owners = online["files"]["owners"].as_array().unwrap();
    let got: Vec<(&str, &str, &str, &str)> = owners
        .iter()
        .map(|o| {
            (
                o["query"].as_str().unwrap(),
                o["path"].as_str().unwrap(),
                o["package"].as_str().unwrap(),
                o["evidence"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "/usr/bin/xmllint",
                "/usr/bin/xmllint",
                "libxml2-utils",
                "main/Contents-amd64.gz"
            ),
            (
                "/usr/lib/*/libxml2.so.*",
                "/usr/lib/x86_64-linux-gnu/libxml2.so.2",
                "libxml2",
                "main/Contents-amd64.gz"
            ),
        ]
    );
    // Contents names no version: the one the recipe would pick.
    assert_eq!(owners[0]["version"], "2.9.14-1");
    assert_eq!(online["files"]["complete"], true);
    assert_eq!(
        package(&online, "libxml2-utils")["matched"][0],
        "file:/usr/bin/xmllint"
    );

    // The text form, then the same answer from the cache with the
    // repository gone.
    let text = stdout(&search(&recipe, &cache, &["--file", "/usr/bin/xmllint"]));
    assert!(
        text.contains("/usr/bin/xmllint  libxml2-utils 2.9.14-1  (main/Contents-amd64.gz, "),
        "{text}"
    );
    drop(server);
    let mut offline_args = args.to_vec();
    offline_args.push("--offline");
    assert_eq!(search_json(&recipe, &cache, &offline_args), online);
    // An empty cache has nothing to answer from offline.
    let out = search(
        &recipe,
        &dir.path().join("empty"),
        &["--file", "/usr/bin/xmllint", "--offline"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_tampered_contents_index_is_refused_as_such() {
    let repo = deb_repo();
    // Claim another package ships xmllint, after InRelease was signed.
    let forged = format!("{}usr/bin/xmllint  text/evil\n", repo.contents("amd64"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, forged.as_bytes()).unwrap();
    fs_err::write(
        repo.dist().join("main/Contents-amd64.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();
    let server = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = deb_recipe(
        dir.path(),
        &server.url(),
        &repo.keyring_path(),
        "hello",
        "archs: [amd64]\n",
    );
    let out = search(
        &recipe,
        &dir.path().join("cache"),
        &["--file", "/usr/bin/xmllint"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("main/Contents-amd64.gz does not match the SHA-256 in the signed InRelease"),
        "{err}"
    );
    assert!(!stdout(&out).contains("evil"));
    // Names still come from the (untouched) Packages index.
    assert_eq!(
        names(&search_json(&recipe, &dir.path().join("cache"), &["hello"])),
        ["hello"]
    );
}

#[test]
fn debian_slices_are_searched_by_name_and_by_path() {
    let repo = deb_repo();
    let server = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    fs_err::create_dir_all(release.join("slices")).unwrap();
    let armor: String = repo
        .armored_key()
        .lines()
        .map(|l| format!("      {l}\n"))
        .collect();
    fs_err::write(
        release.join("chisel.yaml"),
        format!(
            "format: v1\nmaintenance:\n  standard: 2024-01-01\n  end-of-life: 2099-01-01\narchives:\n  test:\n    version: 1.0\n    suites: [stable]\n    components: [main]\n    public-keys: [test-key]\npublic-keys:\n  test-key:\n    id: {}\n    armor: |\n{armor}",
            repo.key_id()
        ),
    )
    .unwrap();
    fs_err::write(
        release.join("slices/libxml2.yaml"),
        "package: libxml2\nslices:\n  libs:\n    hint: the shared library\n    contents:\n      /usr/lib/*-linux-*/libxml2.so.*:\n",
    )
    .unwrap();
    fs_err::write(
        release.join("slices/libxml2-utils.yaml"),
        "package: libxml2-utils\nslices:\n  bins:\n    contents:\n      /usr/bin/xmllint:\n",
    )
    .unwrap();
    let recipe = dir.path().join("recipe.yaml");
    fs_err::write(
        &recipe,
        format!(
            "contents:\n  slices: [{}]\n  repositories:\n    - type: deb\n      url: {}\n  packages: [libxml2_libs]\narchs: [amd64]\n",
            release.display(),
            server.url()
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let slices = |answer: &Value| -> Vec<String> {
        answer["slices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    // `_name` compares slice names only (Chisel's find).
    let answer = search_json(&recipe, &cache, &["_libs"]);
    assert_eq!(slices(&answer), ["libxml2_libs"]);
    assert_eq!(answer["slices"][0]["summary"], "the shared library");
    // Chisel's find is fuzzy (one edit; `*` free): `libxml2-utils_bins`
    // is one substitution from `libxml2_*`.
    let answer = search_json(&recipe, &cache, &["libxml2_*"]);
    assert_eq!(slices(&answer), ["libxml2-utils_bins", "libxml2_libs"]);
    let answer = search_json(
        &recipe,
        &cache,
        &["--file", "/usr/lib/x86_64-linux-gnu/libxml2.so.2"],
    );
    let owners = answer["files"]["owners"].as_array().unwrap();
    let slice = owners.iter().find(|o| o["slice"] == "libxml2_libs");
    assert!(slice.is_some(), "{answer:#}");
    assert!(owners
        .iter()
        .any(|o| o["evidence"] == "main/Contents-amd64.gz" && o["package"] == "libxml2"));
}

// --- APK --------------------------------------------------------------------

#[test]
fn apk_search_answers_paths_from_provides_and_says_it_has_no_file_lists() {
    let mut repo = ApkRepo::new(ApkKey::generate("whittle-test-search"));
    repo.add(
        ApkSpec::new("hello", "1.0-r0", "x86_64")
            .description("says hello")
            .file("usr/bin/hello", b"#!hello 1\n", 0o755),
    )
    .add(
        ApkSpec::new("hello", "1.1-r0", "x86_64")
            .description("says hello")
            .file("usr/bin/hello", b"#!hello 2\n", 0o755),
    )
    .add(
        ApkSpec::new("libxml2-utils", "2.12.7-r0", "x86_64")
            .description("XML command line tools")
            .file("usr/bin/xmllint", b"#!xmllint\n", 0o755)
            .provide("cmd:xmllint=2.12.7-r0"),
    );
    repo.publish();
    let server = repo.serve();
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("apko.yaml");
    fs_err::write(
        &recipe,
        format!(
            "contents:\n  keyring: [{}]\n  repositories: [{}]\n  packages: [hello]\narchs: [x86_64]\n",
            repo.key_path().display(),
            server.url()
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");

    let hello = search_json(&recipe, &cache, &["hello"]);
    let p = package(&hello, "hello");
    assert_eq!(versions(p), ["1.1-r0", "1.0-r0"]);
    assert_eq!(p["pick"]["version"], "1.1-r0");
    assert_eq!(p["pick"]["reason"], "newest");
    assert_eq!(p["summary"], "says hello");

    // `cmd:` provides are matched as names too.
    let cmd = search_json(&recipe, &cache, &["cmd:xml*"]);
    assert_eq!(names(&cmd), ["libxml2-utils"]);

    let files = search_json(&recipe, &cache, &["--file", "/usr/bin/xmllint"]);
    assert_eq!(files["files"]["complete"], false);
    assert!(files["files"]["notes"][0]
        .as_str()
        .unwrap()
        .starts_with("APK indexes carry no file lists"));
    let owner = &files["files"]["owners"][0];
    assert_eq!(owner["package"], "libxml2-utils");
    assert_eq!(owner["version"], "2.12.7-r0");
    assert_eq!(owner["evidence"], "provides cmd:xmllint");
    // A path no provide names: not found, and the note says why.
    let out = search(&recipe, &cache, &["--file", "/usr/bin/hello"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("APK indexes carry no file lists"));
}

#[test]
fn apk_picks_say_when_a_tagged_repository_holds_a_newer_version() {
    let mut main = ApkRepo::new(ApkKey::generate("whittle-test-main"));
    main.add(ApkSpec::new("hello", "1.1-r0", "x86_64").file("usr/bin/hello", b"1\n", 0o755));
    main.publish();
    let mut edge = ApkRepo::new(ApkKey::generate("whittle-test-edge"));
    edge.add(ApkSpec::new("hello", "2.0-r0", "x86_64").file("usr/bin/hello", b"2\n", 0o755));
    edge.publish();
    let (main_srv, edge_srv) = (main.serve(), edge.serve());
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, package: &str| {
        let p = dir.path().join(name);
        fs_err::write(
            &p,
            format!(
                "contents:\n  keyring: [{}, {}]\n  repositories: [{}, '@edge {}']\n  packages: [{package}]\narchs: [x86_64]\n",
                main.key_path().display(),
                edge.key_path().display(),
                main_srv.url(),
                edge_srv.url()
            ),
        )
        .unwrap();
        p
    };
    let cache = dir.path().join("cache");
    let plain = search_json(&write("plain.yaml", "hello"), &cache, &["hello"]);
    let hello = package(&plain, "hello");
    assert_eq!(versions(hello), ["2.0-r0", "1.1-r0"]);
    assert!(hello["versions"][0]["repository"]
        .as_str()
        .unwrap()
        .starts_with("@edge "));
    assert_eq!(hello["pick"]["version"], "1.1-r0");
    assert_eq!(hello["pick"]["reason"], "repository-priority");
    assert!(
        hello["pick"]["why"]
            .as_str()
            .unwrap()
            .contains("2.0-r0 is only in @edge"),
        "{hello:#}"
    );
    let tagged = search_json(&write("tagged.yaml", "hello@edge"), &cache, &["hello"]);
    let hello = package(&tagged, "hello");
    assert_eq!(hello["pick"]["version"], "2.0-r0");
    assert_eq!(hello["pick"]["reason"], "tag");
    assert_eq!(hello["pick"]["in_recipe"], true);
}

// --- RPM --------------------------------------------------------------------

#[test]
fn rpm_search_reads_filelists_and_picks_by_pin_and_version() {
    if !["rpmbuild", "rpmsign", "createrepo_c", "gpg"]
        .iter()
        .all(|t| require_tool(t))
    {
        skip("the RPM search test did NOT run");
        return;
    }
    let key = RpmKey::rsa();
    let mut repo = RpmRepo::new();
    repo.signed_by(&key);
    repo.add(filesystem_rpm_spec())
        .add(
            RpmSpec::new("tool", "1.0", "1.azl3", "x86_64")
                .summary("a handy tool")
                .file("/usr/bin/tool", b"tool 1\n", 0o755),
        )
        .add(
            RpmSpec::new("tool", "2.0", "1.azl3", "x86_64")
                .summary("a handy tool")
                .file("/usr/bin/tool", b"tool 2\n", 0o755),
        )
        .add(
            RpmSpec::new("catalogs", "1.0", "1.azl3", "noarch")
                .summary("XML catalogs")
                .file("/usr/share/xml/catalog", b"<catalog/>\n", 0o644),
        );
    repo.publish();
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("app.yaml");
    fs_err::write(
        &recipe,
        format!(
            "contents:\n  repositories:\n    - type: rpm\n      url: {}\n      gpgkey: {}\n  packages: [tool=1.0-1.azl3]\narchs: [x86_64]\n",
            repo.url(),
            repo.key_path().display()
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");

    let tool = search_json(&recipe, &cache, &["tool"]);
    let p = package(&tool, "tool");
    assert_eq!(versions(p), ["2.0-1.azl3", "1.0-1.azl3"]);
    assert_eq!(p["pick"]["version"], "1.0-1.azl3");
    assert_eq!(p["pick"]["reason"], "pin");
    assert_eq!(p["summary"], "a handy tool");
    let xml = search_json(&recipe, &cache, &["xml catalogs"]);
    assert_eq!(names(&xml), ["catalogs"]);
    assert_eq!(package(&xml, "catalogs")["pick"]["reason"], "newest");

    // /usr/share is not in primary.xml: the answer comes from filelists.
    let files = search_json(&recipe, &cache, &["--file", "/usr/share/xml/catalog"]);
    assert_eq!(files["files"]["complete"], true);
    let owner = &files["files"]["owners"][0];
    assert_eq!(owner["package"], "catalogs");
    assert_eq!(owner["version"], "1.0-1.azl3");
    assert_eq!(owner["arch"], "noarch");
    assert_eq!(owner["evidence"], "filelists.xml");
    let both = search_json(&recipe, &cache, &["--file", "/usr/bin/too?", "--offline"]);
    let tools: Vec<&str> = both["files"]["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["version"].as_str().unwrap())
        .collect();
    assert_eq!(tools.len(), 2, "{both:#}");
    assert!(tools.contains(&"1.0-1.azl3") && tools.contains(&"2.0-1.azl3"));
}

// --- Live -------------------------------------------------------------------

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/debian/python.yaml")
}

#[test]
fn live_debian_contents_names_the_package_of_python3_11() {
    if !live::mirror_answers("the live search test") {
        return;
    }
    let answer = search_json(
        &example(),
        &live::cache(),
        &["--file", "/usr/bin/python3.11", "--arch", "amd64"],
    );
    let owners = answer["files"]["owners"].as_array().unwrap();
    assert!(
        owners.iter().any(|o| o["package"] == "python3.11-minimal"
            && o["evidence"]
                .as_str()
                .unwrap()
                .ends_with("Contents-amd64.gz")),
        "{answer:#}"
    );
    let minimal = package(&answer, "python3.11-minimal");
    assert!(minimal["pick"]["version"]
        .as_str()
        .unwrap()
        .starts_with("3.11."));
    assert_eq!(minimal["pick"]["in_recipe"], true);
}
