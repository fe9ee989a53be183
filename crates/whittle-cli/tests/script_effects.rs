//! Issue 8's breadth suite: real Debian 12 workloads whose maintainer
//! scripts do what an image needs (alternatives, accounts, directories,
//! links, trust stores), built with the `whittle` CLI, run under runc as a
//! non-root uid (nginx serves as root, as it is designed to) and checked for
//! behaviour; then the paths their scripts would have created on an
//! installed system are compared with the image (see FIDELITY.md).
//!
//! The live workloads use the host's Debian mirror (from its apt sources)
//! and skip loudly when it cannot be reached (see `live`); the recipe-file
//! workload runs on the fixture mirror, hermetically.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;
#[path = "script_effects/fidelity.rs"]
mod fidelity;
#[path = "script_effects/image.rs"]
mod image;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use common::{live, run, stdout, whittle};
use image::{has_group, passwd_uid, Image, NONROOT, NONROOT_ACCOUNTS};
use whittle_net::TestServer;
use whittle_test_env::fixtures;
use whittle_test_env::host::require_file;

/// A live workload: the packages of its recipe (also the reference's
/// `--include`) and the program its image runs.
struct Workload {
    name: &'static str,
    packages: &'static [&'static str],
    entrypoint: &'static str,
}

impl Workload {
    /// The recipe: the host's mirror for the three bookworm suites.
    fn recipe(&self) -> String {
        format!(
            "contents:\n  repositories:\n    - type: deb\n      suites: [{}]\n      components: [main]\n  packages: [{}]\n{NONROOT_ACCOUNTS}entrypoint: {{command: {}}}\n",
            live::SUITES.join(", "),
            self.packages.join(", "),
            self.entrypoint
        )
    }

    /// Build the workload from the live mirror: the image and whittle's
    /// resolved set (`show-packages`). None when the mirror cannot be
    /// reached (a loud skip).
    fn build(&self) -> Option<(Image, String)> {
        if !live::mirror_answers("this script-effects workload") {
            return None;
        }
        let image = Image::build(self.name, &self.recipe(), &live::cache(), &[]);
        let resolved = stdout(&run(
            whittle()
                .arg("show-packages")
                .arg(&image.recipe)
                .arg("--cache-dir")
                .arg(live::cache()),
            true,
        ));
        Some((image, resolved))
    }

    /// The fidelity score of `image`, printed now; None when the reference
    /// or the unpacked image cannot be had (each a loud skip).
    fn fidelity(
        &self,
        image: &Image,
        resolved: &str,
        out_of_scope: impl Fn(&str) -> bool,
    ) -> Option<fidelity::Score> {
        let rootfs = image.rootfs()?;
        let reference = fidelity::reference(self.name, self.packages, resolved, out_of_scope)?;
        let score = fidelity::score(&reference, &rootfs);
        fidelity::print(self.name, &score);
        Some(score)
    }
}

const JAVA: Workload = Workload {
    name: "java",
    packages: &["openjdk-17-jre-headless", "base-files", "base-passwd"],
    entrypoint: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
};
const NGINX: Workload = Workload {
    name: "nginx",
    packages: &["nginx-light", "base-files", "base-passwd"],
    entrypoint: "/usr/sbin/nginx",
};
const POSTGRESQL: Workload = Workload {
    name: "postgresql",
    packages: &["postgresql-15", "base-files", "base-passwd"],
    entrypoint: "/usr/lib/postgresql/15/bin/postgres",
};
const NODEJS: Workload = Workload {
    name: "nodejs",
    packages: &["nodejs", "base-files", "base-passwd"],
    entrypoint: "/usr/bin/node",
};
const PYTHON: Workload = Workload {
    name: "python",
    packages: &["python3", "base-files", "base-passwd", "netbase"],
    entrypoint: "/usr/bin/python3",
};

/// Run `args` in `image` as `user`; panics unless it succeeds. Returns
/// (stdout, stderr).
fn succeeds(image: &Image, args: &[&str], user: (u32, u32)) -> (String, String) {
    let out = image.run(args, user);
    let (o, e) = (common::stdout(&out), common::stderr(&out));
    assert!(
        out.status.success(),
        "{}: {args:?} failed ({}):\nstdout:\n{o}\nstderr:\n{e}",
        image.name,
        out.status
    );
    (o, e)
}

/// The symlink target of `path` in the image (not followed further).
fn link_target(image: &Image, path: &str) -> String {
    let host = image
        .lookup(path, false)
        .unwrap_or_else(|| panic!("{}: {path} is missing", image.name));
    fs_err::read_link(&host)
        .unwrap_or_else(|e| panic!("{}: {path} is not a symlink: {e}", image.name))
        .to_string_lossy()
        .into_owned()
}

#[test]
fn java_runs_through_its_alternative_and_trusts_the_ca_bundle() {
    let Some((image, resolved)) = JAVA.build() else {
        return;
    };
    let score = JAVA.fidelity(&image, &resolved, |_| false);
    if image.bundle.is_some() {
        assert_eq!(
            link_target(&image, "/usr/bin/java"),
            "/etc/alternatives/java"
        );
        let (_, version) = succeeds(&image, &["/usr/bin/java", "-version"], NONROOT);
        assert!(
            version.contains("version \"17"),
            "java -version:\n{version}"
        );
        let (listed, _) = succeeds(
            &image,
            &[
                "/usr/bin/keytool",
                "-list",
                "-cacerts",
                "-storepass",
                "changeit",
            ],
            NONROOT,
        );
        let trusted = listed.matches("trustedCertEntry").count();
        assert!(
            trusted > 100,
            "keytool lists {trusted} trusted certificates in the JRE's cacerts:\n{listed}"
        );
    }
    fidelity::check(JAVA.name, score);
}

#[test]
fn nginx_shows_its_default_server_and_serves_it() {
    let Some((image, resolved)) = NGINX.build() else {
        return;
    };
    let score = NGINX.fidelity(&image, &resolved, |_| false);
    if image.bundle.is_some() {
        // As root: `nginx -t` creates its temporary directories under
        // /var/lib/nginx, which only root may do in Debian's layout.
        let (config, _) = succeeds(&image, &["/usr/sbin/nginx", "-T"], (0, 0));
        assert!(
            config.contains("listen 80 default_server"),
            "nginx -T shows no default server:\n{config}"
        );
        assert!(
            config.contains("load_module"),
            "nginx -T loads no module:\n{config}"
        );
        // The log directory is root:adm, as nginx-common's postinst leaves it.
        let group = image.read("/etc/group").expect("/etc/group");
        let adm = group
            .lines()
            .find_map(|l| {
                let fields: Vec<&str> = l.split(':').collect();
                (fields.first() == Some(&"adm"))
                    .then(|| fields.get(2)?.parse::<u32>().ok())
                    .flatten()
            })
            .expect("group adm");
        let logs = fs_err::metadata(
            image
                .lookup("/var/log/nginx", true)
                .expect("/var/log/nginx"),
        )
        .unwrap();
        assert_eq!((logs.uid(), logs.gid()), (0, adm), "/var/log/nginx owner");
        if image::port_80_free() {
            let body = image
                .serve_and_get(
                    &["/usr/sbin/nginx", "-g", "daemon off;"],
                    "http://127.0.0.1:80/index.nginx-debian.html",
                    Duration::from_secs(20),
                )
                .unwrap_or_else(|e| panic!("nginx serves nothing: {e}"));
            assert!(body.contains("Welcome to nginx"), "served:\n{body}");
        }
    }
    fidelity::check(NGINX.name, score);
}

/// The database cluster postgresql-15's postinst makes with initdb
/// (`pg_createcluster`): out of scope (issue 8), it needs a shell and the
/// server itself to run.
fn postgresql_cluster(path: &str) -> bool {
    let under = |dir: &str| path == dir || path.starts_with(&format!("{dir}/"));
    under("/etc/postgresql/15")
        || under("/var/lib/postgresql/15")
        || path == "/var/log/postgresql/postgresql-15-main.log"
}

#[test]
fn postgresql_has_its_accounts_run_directory_and_says_why_there_is_no_cluster() {
    let Some((image, resolved)) = POSTGRESQL.build() else {
        return;
    };
    let score = POSTGRESQL.fidelity(&image, &resolved, postgresql_cluster);
    if image.bundle.is_some() {
        let passwd = image.read("/etc/passwd").expect("/etc/passwd");
        let group = image.read("/etc/group").expect("/etc/group");
        let postgres = passwd_uid(&passwd, "postgres")
            .unwrap_or_else(|| panic!("no postgres user:\n{passwd}"));
        assert!(has_group(&group, "ssl-cert"), "no ssl-cert group:\n{group}");
        let run_dir = image
            .lookup("/var/run/postgresql", true)
            .expect("/var/run/postgresql is missing");
        let meta = fs_err::metadata(&run_dir).unwrap();
        assert!(meta.is_dir(), "/var/run/postgresql is not a directory");
        assert_eq!(meta.uid(), postgres, "/var/run/postgresql owner");
        let (version, _) = succeeds(
            &image,
            &["/usr/lib/postgresql/15/bin/postgres", "--version"],
            (postgres, postgres),
        );
        assert!(
            version.contains("PostgreSQL) 15"),
            "postgres --version: {version}"
        );
    }
    // The report: the cluster creation is named as not emulated.
    assert!(
        image.build_log.lines().any(|l| {
            l.trim_start_matches("warning: ")
                .starts_with("postgresql-15 postinst:")
                && l.contains("not emulated")
                && l.contains("pg_createcluster")
        }),
        "the build's report does not say postgresql-15's postinst was not fully emulated:\n{}",
        image.build_log
    );
    let explained = run(
        whittle()
            .arg("show-scripts")
            .arg(&image.recipe)
            .arg("--cache-dir")
            .arg(live::cache()),
        true,
    );
    let explained = stdout(&explained);
    assert!(
        explained
            .lines()
            .any(|l| l.starts_with("postgresql-15 postinst")),
        "show-scripts says nothing of postgresql-15's postinst:\n{explained}"
    );
    fidelity::check(POSTGRESQL.name, score);
}

#[test]
fn nodejs_runs_as_js_through_its_alternative() {
    let Some((image, resolved)) = NODEJS.build() else {
        return;
    };
    let score = NODEJS.fidelity(&image, &resolved, |_| false);
    if image.bundle.is_some() {
        assert_eq!(link_target(&image, "/usr/bin/js"), "/etc/alternatives/js");
        assert_eq!(
            link_target(&image, "/etc/alternatives/js"),
            "/usr/bin/nodejs"
        );
        let (two, _) = succeeds(&image, &["/usr/bin/js", "-e", "console.log(1+1)"], NONROOT);
        assert_eq!(two.trim(), "2");
    }
    fidelity::check(NODEJS.name, score);
}

/// The checks every Python image passes: `/var/run` and `/var/lock` link
/// into `/run`, nsswitch.conf says how to look hosts up, and `localhost`
/// resolves for a non-root program.
fn check_python(image: &Image) {
    assert_eq!(link_target(image, "/var/run"), "/run");
    assert_eq!(link_target(image, "/var/lock"), "/run/lock");
    let nsswitch = image
        .read("/etc/nsswitch.conf")
        .expect("/etc/nsswitch.conf is missing");
    assert!(
        nsswitch.lines().any(|l| l.starts_with("hosts:")),
        "nsswitch.conf has no hosts line:\n{nsswitch}"
    );
    let (address, _) = succeeds(
        image,
        &[
            "/usr/bin/python3",
            "-c",
            "import socket; print(socket.getaddrinfo('localhost', 80)[0][4][0])",
        ],
        NONROOT,
    );
    assert!(
        ["127.0.0.1", "::1"].contains(&address.trim()),
        "localhost resolves to {address:?}"
    );
}

#[test]
fn python_links_run_and_resolves_localhost() {
    let Some((image, resolved)) = PYTHON.build() else {
        return;
    };
    let score = PYTHON.fidelity(&image, &resolved, |_| false);
    if image.bundle.is_some() {
        check_python(&image);
    }
    fidelity::check(PYTHON.name, score);
}

/// The fixture mirror (Debian's real archive slice) on 127.0.0.1.
fn fixture_server() -> &'static TestServer {
    static S: OnceLock<TestServer> = OnceLock::new();
    S.get_or_init(|| TestServer::serve_dir(fixtures::path("debian-bookworm-mirror")))
}

#[test]
fn a_recipe_adds_a_config_file_hermetically() {
    const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
    if !require_file(Path::new(KEYRING), "apt-get install debian-archive-keyring") {
        return;
    }
    let url = fixture_server().url();
    let recipe = format!(
        "contents:\n  repositories:\n    - type: deb\n      url: {url}/debian\n      suites: [bookworm, bookworm-updates]\n      keyring: {KEYRING}\n    - type: deb\n      url: {url}/debian-security\n      suites: [bookworm-security]\n      keyring: {KEYRING}\n  packages: [python3, base-files, base-passwd, netbase]\n{NONROOT_ACCOUNTS}entrypoint: {{command: /usr/bin/python3}}\npaths: [{{path: /etc/app.conf, type: file, content: \"hello\\n\", permissions: 0o644}}]\n"
    );
    let dir = tempfile::tempdir().unwrap();
    // The fixture is a snapshot: its Release files are past Valid-Until.
    let image = Image::build(
        "config-file",
        &recipe,
        &dir.path().join("cache"),
        &[("WHITTLE_IGNORE_VALID_UNTIL", "true")],
    );
    let Some(rootfs) = image.rootfs() else {
        return;
    };
    let conf = rootfs.join("etc/app.conf");
    let meta = fs_err::symlink_metadata(&conf).expect("/etc/app.conf is missing");
    assert!(meta.is_file(), "/etc/app.conf is not a regular file");
    assert_eq!(meta.mode() & 0o7777, 0o644, "/etc/app.conf mode");
    assert_eq!(fs_err::read_to_string(&conf).unwrap(), "hello\n");
    let (read, _) = succeeds(
        &image,
        &[
            "/usr/bin/python3",
            "-c",
            "print(open('/etc/app.conf').read(), end='')",
        ],
        NONROOT,
    );
    assert_eq!(read, "hello\n");
    // The fixture's packages are enough for the Python checks too: they
    // run here even where the live mirror cannot be reached.
    check_python(&image);
}
