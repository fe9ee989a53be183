//! What dpkg would run on a fresh install, handed to the engine to read
//! (never run), and the effects the Debian world adds natively: the Java
//! trust store ca-certificates-java's postinst builds by running Java, and
//! the `/etc/nsswitch.conf` an installed system has.

use whittle_effects::{Effect, FileContent, Origin, Placed, TrustStore};
use whittle_rootfs::RootFs;
use whittle_world::{EffectsSetup, Installed, ScriptSource};

use crate::world::DebPayload;

/// dpkg's alternatives database (`update-alternatives --admindir`).
pub const ALTERNATIVES_DB: &str = "/var/lib/dpkg/alternatives";
/// dpkg's stat-override database.
pub const STATOVERRIDE_DB: &str = "/var/lib/dpkg/statoverride";

/// The command ca-certificates-java's postinst runs to build the Java
/// trust store; whittle builds the store itself.
const CA_CERTIFICATES_JAVA_JAR: &str =
    "java -Xmx64m -jar /usr/share/ca-certificates-java/ca-certificates-java.jar";

/// Scripts whose whole work the Debian world's `finish` does natively, so
/// they are not read: (package, script, what it does).
const NATIVE_SCRIPTS: &[(&str, &str, &str)] = &[
    (
        "base-passwd",
        "postinst",
        "/etc/passwd and /etc/group from base-passwd's master files, with the recipe's accounts",
    ),
    (
        "ca-certificates",
        "postinst",
        "/etc/ca-certificates.conf, the CA bundle and the certificate links (update-ca-certificates)",
    ),
    ("tzdata", "postinst", "/etc/localtime and /etc/timezone (Etc/UTC)"),
];

/// What an image needs from `/etc/nsswitch.conf` when no package installs
/// one (libc-bin's postinst copies its default only when libc-bin is in the
/// image): local files for accounts, files then DNS for hosts, as Debian's
/// default and Google's distroless images have it.
const DEFAULT_NSSWITCH: &str = "\
# Name Service Switch configuration (see nsswitch.conf(5)), written by whittle
# as an installed Debian system has it.
passwd:         files
group:          files
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      files
services:       files
ethers:         files
rpc:            files
";

/// The scripts a fresh install runs, in order: `preinst install`, then
/// (after unpacking) `postinst configure` with no previous version.
pub fn fresh_install_scripts(payload: Option<&DebPayload>) -> Vec<ScriptSource> {
    let Some(payload) = payload else {
        return Vec::new();
    };
    let answers = payload
        .scripts
        .iter()
        .find(|(n, _)| n == "templates")
        .map(|(_, text)| debconf_defaults(text))
        .unwrap_or_default();
    let mut out = Vec::new();
    for (name, args) in [
        ("preinst", &["install"][..]),
        ("postinst", &["configure", ""][..]),
    ] {
        if let Some((_, text)) = payload.scripts.iter().find(|(n, _)| n == name) {
            out.push(ScriptSource {
                name: name.to_string(),
                text: text.clone(),
                args: args.iter().map(|a| (*a).to_string()).collect(),
                answers: answers.clone(),
                unreadable: None,
            });
        }
    }
    out
}

/// Each template's default answer, as a non-interactive debconf gives it:
/// `Template:` and `Default:` of every paragraph of a `templates` file
/// (translated `Default-xx.UTF-8:` fields are not defaults). Templates
/// without a default are left out (`db_get` then answers nothing).
pub fn debconf_defaults(templates: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for paragraph in templates.split("\n\n") {
        let mut name = None;
        let mut default = None;
        for line in paragraph.lines() {
            if let Some(v) = line.strip_prefix("Template:") {
                name = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Default:") {
                default = Some(v.trim().to_string());
            }
        }
        if let (Some(n), Some(d)) = (name, default) {
            out.push((n, d));
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// Where dpkg keeps the databases scripts change; `/run` is kept (nothing
/// mounts a tmpfs over it in a container unless asked).
pub fn effects_setup(arch: &str) -> EffectsSetup {
    EffectsSetup {
        arch: arch.to_string(),
        alternatives_db: Some(ALTERNATIVES_DB.to_string()),
        statoverride_db: Some(STATOVERRIDE_DB.to_string()),
        keep_run: true,
        accounts_package: Some("base-passwd".to_string()),
        native_scripts: NATIVE_SCRIPTS
            .iter()
            .map(|(p, s, w)| ((*p).to_string(), (*s).to_string(), (*w).to_string()))
            .collect(),
        elsewhere: vec![(
            CA_CERTIFICATES_JAVA_JAR.to_string(),
            "whittle builds /etc/ssl/certs/java/cacerts natively from the same certificates"
                .to_string(),
        )],
    }
}

/// The effects whittle adds after every script: the Java trust store when
/// ca-certificates-java is installed, and a default `/etc/nsswitch.conf`
/// when no package left one.
pub fn builtin_effects(_root: &RootFs, installed: &[Installed]) -> Vec<Placed> {
    let mut out = Vec::new();
    if installed
        .iter()
        .any(|p| p.record.name == "ca-certificates-java")
    {
        out.push(Placed {
            effect: Effect::TrustStore(TrustStore::JavaCacerts),
            origin: Origin::new("ca-certificates-java", "postinst (built natively)", 0),
        });
    }
    out.push(Placed {
        effect: Effect::File {
            path: "/etc/nsswitch.conf".to_string(),
            content: FileContent::Bytes(DEFAULT_NSSWITCH.as_bytes().to_vec()),
            mode: Some(0o644),
            owner: None,
            group: None,
            replace: false,
        },
        origin: Origin::new("", "builtin", 0),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use whittle_model::PackageRecord;

    fn payload(scripts: &[(&str, &str)]) -> DebPayload {
        DebPayload {
            control: String::new(),
            md5sums: None,
            conffiles: None,
            cut: None,
            scripts: scripts
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
        }
    }

    #[test]
    fn preinst_runs_before_postinst_with_fresh_install_arguments() {
        let p = payload(&[("postinst", "b"), ("preinst", "a")]);
        let s = fresh_install_scripts(Some(&p));
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].name.as_str(), s[0].args.clone()),
            ("preinst", vec!["install".to_string()])
        );
        assert_eq!(s[1].name, "postinst");
        assert_eq!(s[1].args, ["configure", ""]);
        assert!(fresh_install_scripts(None).is_empty());
    }

    #[test]
    fn template_defaults_answer_questions() {
        let templates = "Template: fontconfig/hinting_style\nType: select\n\
                         Choices: hintnone, hintslight\nDefault: hintslight\n\
                         Default-de.UTF-8: nein\nDescription: x\n\n\
                         Template: fontconfig/none\nType: note\nDescription: y\n";
        assert_eq!(
            debconf_defaults(templates),
            [(
                "fontconfig/hinting_style".to_string(),
                "hintslight".to_string()
            )]
        );
        let p = payload(&[("postinst", "db_get x"), ("templates", templates)]);
        let s = fresh_install_scripts(Some(&p));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].answers.len(), 1);
    }

    #[test]
    fn java_trust_store_only_with_ca_certificates_java() {
        let root = RootFs::new();
        let plain = vec![Installed::from_record(PackageRecord::new("libc6", "2.36"))];
        let effects = builtin_effects(&root, &plain);
        assert_eq!(effects.len(), 1);
        assert_eq!(effects[0].effect.path(), Some("/etc/nsswitch.conf"));
        let java = vec![Installed::from_record(PackageRecord::new(
            "ca-certificates-java",
            "20230710~deb12u1",
        ))];
        assert!(builtin_effects(&root, &java)
            .iter()
            .any(|e| e.effect == Effect::TrustStore(TrustStore::JavaCacerts)));
    }
}
