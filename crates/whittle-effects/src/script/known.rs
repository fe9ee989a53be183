//! The commands the reader knows: which are emulated (and by which
//! effects), which are harmless in an image and why, and which it knows
//! it cannot emulate and why.

use super::interp::Interp;
use super::options::{self, octal};
use super::{accounts, files, Script};
use crate::effect::{Alternative, Effect, FileContent, Slave, Who};

/// What a command amounts to.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// These effects, applied in order.
    Effects(Vec<Effect>),
    /// Nothing an image needs, and why.
    Harmless(String),
    /// An effect the image will lack, and why.
    NotEmulated(String),
}

impl From<Result<Vec<Effect>, String>> for Outcome {
    fn from(r: Result<Vec<Effect>, String>) -> Outcome {
        match r {
            Ok(e) => Outcome::Effects(e),
            Err(why) => Outcome::NotEmulated(why),
        }
    }
}

const SERVICES: &str = "service management: an image starts no services at build time";
const TRIGGERS: &str = "triggers and caches are rebuilt by the image build or at run time";

/// Commands harmless in an image, with why.
const HARMLESS: &[(&str, &str)] = &[
    ("deb-systemd-helper", SERVICES),
    ("deb-systemd-invoke", SERVICES),
    ("invoke-rc.d", SERVICES),
    ("update-rc.d", SERVICES),
    ("systemctl", SERVICES),
    ("service", SERVICES),
    ("start-stop-daemon", SERVICES),
    (
        "dpkg-trigger",
        "triggers: whittle runs no triggers; their effects are emulated per package",
    ),
    (
        "dpkg-maintscript-helper",
        "conffile moves of an upgrade: nothing to move on a fresh install",
    ),
    ("ldconfig", "whittle builds ld.so.cache natively"),
    ("echo", "prints a message"),
    ("printf", "prints a message"),
    ("true", "does nothing"),
    (":", "does nothing"),
    ("false", "does nothing"),
    ("set", "shell options"),
    ("trap", "shell signal handlers"),
    ("umask", "the shell's file mode mask"),
    ("cd", "changes the shell's working directory"),
    ("sleep", "waits"),
    ("wait", "waits"),
    ("update-mime-database", TRIGGERS),
    ("update-desktop-database", TRIGGERS),
    ("update-icon-caches", TRIGGERS),
    ("gtk-update-icon-cache", TRIGGERS),
    ("glib-compile-schemas", TRIGGERS),
    ("fc-cache", TRIGGERS),
    (
        "mandb",
        "the manual page index: images carry no man-db database",
    ),
    (
        "install-info",
        "the info directory: images carry no info index",
    ),
    ("update-menus", "desktop menus"),
    (
        "update-initramfs",
        "an initramfs: containers boot no kernel",
    ),
    ("udevadm", "device management: containers run no udev"),
    (
        "telinit",
        "tells the running init to re-execute: an image build has none",
    ),
    ("getcap", "reads a file's capabilities"),
    (
        "gio-querymodules",
        "GIO's module cache: GIO scans the module directory when the cache is absent",
    ),
    (
        "py3clean",
        "removes byte-compiled files: there are none on a fresh install",
    ),
    (
        "pyclean",
        "removes byte-compiled files: there are none on a fresh install",
    ),
    (
        "ucfr",
        "ucf's registry of configuration files: whittle keeps no ucf state",
    ),
    (
        "update-ca-certificates",
        "whittle rebuilds the CA bundle natively",
    ),
    (
        "systemd-tmpfiles",
        "applied from the package's tmpfiles.d/sysusers.d files",
    ),
    (
        "systemd-sysusers",
        "applied from the package's tmpfiles.d/sysusers.d files",
    ),
    (
        "debconf-set-selections",
        "debconf answers: an image build asks no questions",
    ),
    (
        "dpkg-divert",
        "diversions of other packages' files: none on a fresh image build",
    ),
    ("update-fonts-dir", TRIGGERS),
    ("update-fonts-scale", TRIGGERS),
    ("update-fonts-alias", TRIGGERS),
    ("update-xmlcatalog", TRIGGERS),
    ("update-catalog", TRIGGERS),
    ("update-perl-sax-parsers", TRIGGERS),
    ("update-shells", "registers login shells in /etc/shells"),
    ("logger", "writes to the system log"),
    ("sync", "flushes disks"),
    (
        "dbus-uuidgen",
        "a machine id must differ per container: images ship none",
    ),
    (
        "systemd-machine-id-setup",
        "a machine id must differ per container: images ship none",
    ),
    ("journalctl", "the system journal"),
    (
        "remove-shell",
        "unregisters a login shell: none registered on a fresh install",
    ),
];

/// Commands known not to be emulated, with why.
const NOT_EMULATED: &[(&str, &str)] = &[
    (
        "py3compile",
        "byte-compiling needs the image's Python to run; imports are slower, behaviour is the same",
    ),
    (
        "pycompile",
        "byte-compiling needs the image's Python to run; imports are slower, behaviour is the same",
    ),
    (
        "make-ssl-cert",
        "generates a private key; a key baked into an image would be shared by every container",
    ),
    ("locale-gen", "compiling locales needs localedef to run"),
    (
        "pg_createcluster",
        "creates a database cluster by running initdb, which needs /bin/sh and the server \
         itself; initialise the data directory when the container first starts",
    ),
    (
        "update-locale",
        "locale settings are the image's environment (LANG)",
    ),
    ("dpkg-reconfigure", "runs another package's scripts"),
    (
        "add-shell",
        "registering a login shell in /etc/shells is not emulated",
    ),
    (
        "pam-auth-update",
        "rebuilding the PAM configuration from its profiles is not emulated",
    ),
    ("shadowconfig", "switching shadow passwords is not emulated"),
];

/// Commands whose exit status scripts test and which are not decided.
const STATUS_UNKNOWN: &[&str] = &[
    "deb-systemd-helper",
    "systemctl",
    "invoke-rc.d",
    "deb-systemd-invoke",
];

/// Commands that only answer a question.
pub(crate) fn is_query(name: &str) -> bool {
    matches!(
        name,
        "getent"
            | "id"
            | "which"
            | "command"
            | "type"
            | "hash"
            | "dpkg"
            | "mountpoint"
            | "ischroot"
            | "grep"
            | "cmp"
    )
}

/// Whether a harmless command's exit status is not decided.
pub(crate) fn status_is_unknown(name: &str) -> bool {
    STATUS_UNKNOWN.contains(&name)
}

/// The world's reason, when `command` is one it produces by other means.
pub(crate) fn elsewhere(script: &Script<'_>, command: &str) -> Option<String> {
    script
        .elsewhere
        .iter()
        .find(|(prefix, _)| command.starts_with(prefix))
        .map(|(_, why)| (*why).to_string())
}

/// Classify one command whose words are all known.
pub(crate) fn classify(interp: &Interp<'_>, argv: &[String]) -> Outcome {
    let command = argv.join(" ");
    if let Some(why) = elsewhere(interp.script, &command) {
        return Outcome::Harmless(why);
    }
    let name = argv[0].rsplit('/').next().unwrap_or(&argv[0]);
    let args = &argv[1..];
    match name {
        // RPM's `alternatives` (chkconfig) takes update-alternatives' syntax.
        "update-alternatives" | "alternatives" => return alternatives(args),
        "dpkg-statoverride" => return statoverride(args),
        "ucf" => return ucf(interp, args),
        "adduser" | "addgroup" | "useradd" | "groupadd" | "usermod" | "gpasswd" => {
            return accounts::classify(name, args);
        }
        "mkdir" | "ln" | "chown" | "chgrp" | "chmod" | "install" | "cp" | "touch" | "rm"
        | "rmdir" | "mv" => return files::classify(interp, name, args),
        _ => {}
    }
    by_name(&argv[0]).unwrap_or_else(|| Outcome::NotEmulated("unknown command".into()))
}

/// The outcome of a command known by its name alone, whatever its operands.
pub(crate) fn by_name(command: &str) -> Option<Outcome> {
    let name = command.rsplit('/').next().unwrap_or(command);
    if let Some((_, why)) = HARMLESS.iter().find(|(n, _)| *n == name) {
        return Some(Outcome::Harmless((*why).to_string()));
    }
    if name.starts_with("db_") {
        return Some(Outcome::Harmless(
            "debconf questions: an image build asks none".into(),
        ));
    }
    if command.starts_with("/etc/init.d/") {
        return Some(Outcome::Harmless(SERVICES.into()));
    }
    NOT_EMULATED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, why)| Outcome::NotEmulated((*why).to_string()))
}

/// `update-alternatives`.
fn alternatives(args: &[String]) -> Outcome {
    const VALUED: &[&str] = &["--altdir", "--admindir", "--log"];
    let mut i = 0;
    while i < args.len() && args[i].starts_with("--") && !is_alt_action(&args[i]) {
        i += if VALUED.contains(&args[i].as_str()) {
            2
        } else {
            1
        };
    }
    let rest: Vec<&str> = args.iter().skip(i).map(String::as_str).collect();
    match rest.as_slice() {
        ["--install", link, name, path, priority, more @ ..] => {
            let Ok(priority) = priority.parse::<i64>() else {
                return Outcome::NotEmulated(format!("priority `{priority}` is not a number"));
            };
            let mut slaves = Vec::new();
            let mut more = more;
            while let ["--slave", l, n, p, tail @ ..] = more {
                slaves.push(Slave {
                    link: (*l).into(),
                    name: (*n).into(),
                    path: (*p).into(),
                });
                more = tail;
            }
            if !more.is_empty() {
                return Outcome::NotEmulated(format!(
                    "`{}` after --install is not emulated",
                    more.join(" ")
                ));
            }
            Outcome::Effects(vec![Effect::Alternative(Alternative {
                link: (*link).into(),
                name: (*name).into(),
                path: (*path).into(),
                priority,
                slaves,
            })])
        }
        ["--remove" | "--remove-all", ..] => {
            Outcome::Harmless("removes a provider: nothing to remove on a fresh install".into())
        }
        ["--auto", ..] => Outcome::Harmless("automatic mode is what whittle sets up".into()),
        ["--query" | "--display" | "--list" | "--get-selections", ..] => {
            Outcome::Harmless("only prints".into())
        }
        ["--set", ..] | ["--config", ..] | ["--set-selections", ..] => Outcome::NotEmulated(
            "choosing a provider by hand is not emulated; a recipe's `alternatives:` can".into(),
        ),
        _ => Outcome::NotEmulated("an update-alternatives form not emulated".into()),
    }
}

fn is_alt_action(a: &str) -> bool {
    matches!(
        a,
        "--install"
            | "--remove"
            | "--remove-all"
            | "--auto"
            | "--set"
            | "--config"
            | "--query"
            | "--display"
            | "--list"
            | "--get-selections"
            | "--set-selections"
            | "--all"
    )
}

/// `dpkg-statoverride`.
fn statoverride(args: &[String]) -> Outcome {
    let p = match options::parse(args, &["--admindir", "--root"]) {
        Ok(p) => p,
        Err(why) => return Outcome::NotEmulated(why),
    };
    if p.has(&["--remove"]) {
        return Outcome::Harmless("removes an override: none on a fresh install".into());
    }
    if p.has(&["--list"]) {
        return Outcome::Harmless("only prints".into());
    }
    if !p.has(&["--add"]) {
        return Outcome::NotEmulated("a dpkg-statoverride form not emulated".into());
    }
    let [user, group, mode, path] = p.operands.as_slice() else {
        return Outcome::NotEmulated("dpkg-statoverride --add takes USER GROUP MODE PATH".into());
    };
    let Some(mode) = octal(mode) else {
        return Outcome::NotEmulated(format!("mode `{mode}` is not octal"));
    };
    let who = |s: &str| match s.strip_prefix('#') {
        Some(id) => Who::parse(id),
        None => Who::Name(s.to_string()),
    };
    Outcome::Effects(vec![Effect::StatOverride {
        path: path.clone(),
        owner: who(user),
        group: who(group),
        mode,
    }])
}

/// `ucf SRC DEST`: install a configuration file unless one is there.
fn ucf(interp: &Interp<'_>, args: &[String]) -> Outcome {
    let p = match options::parse(args, &["--sum-file", "--src-dir", "--state-dir"]) {
        Ok(p) => p,
        Err(why) => return Outcome::NotEmulated(why),
    };
    if p.has(&["--purge", "-p"]) {
        return Outcome::Harmless("forgets a configuration file: none on a fresh install".into());
    }
    let [src, dest] = p.operands.as_slice() else {
        return Outcome::NotEmulated("ucf takes SRC DEST".into());
    };
    match interp.host.stat(src, true) {
        crate::PathState::File { .. } => Outcome::Effects(vec![Effect::File {
            path: dest.clone(),
            content: FileContent::CopyOf(src.clone()),
            mode: None,
            owner: None,
            group: None,
            replace: false,
        }]),
        _ => Outcome::NotEmulated(format!("{src} is not in the tree")),
    }
}
