//! Command-line arguments, following apko's names and argument order.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use whittle::{Arch, BuildPlan};

/// Build minimal OCI images from distribution packages.
#[derive(Debug, Parser)]
#[command(name = "whittle", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an image from a recipe: `whittle build RECIPE TAG OUTPUT`.
    Build {
        /// The recipe (YAML).
        recipe: PathBuf,
        /// The reference to tag the image with (`registry.example/app:1.0`).
        tag: String,
        /// `NAME.tar` (an OCI archive that is also a docker-archive) or an
        /// existing directory (an OCI image layout).
        output: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
        /// Directory for the SBOMs (default: the output's directory).
        #[arg(long, value_name = "DIR")]
        sbom_path: Option<PathBuf>,
        /// Write no SBOM.
        #[arg(long)]
        no_sbom: bool,
        /// SBOM formats to write, comma-separated or repeated: `spdx`
        /// (`….spdx.json`), `cyclonedx` (`….cdx.json`).
        #[arg(
            long,
            value_name = "FORMATS",
            value_delimiter = ',',
            default_value = "spdx"
        )]
        sbom_formats: Vec<whittle::SbomFormat>,
        /// Build date: seconds since the epoch or RFC 3339
        /// (default: $SOURCE_DATE_EPOCH, else the newest file in the packages).
        #[arg(long, value_name = "DATE")]
        build_date: Option<String>,
        /// Build even when the entrypoint (or command) program is not in the
        /// image, e.g. for a base image whose program a later layer adds.
        #[arg(long)]
        allow_missing_entrypoint: bool,
        /// Install exactly the packages of this lock file (whittle's or
        /// apko's `apko.lock.json`) without reading any index.
        #[arg(long, value_name = "FILE")]
        lockfile: Option<PathBuf>,
        #[command(flatten)]
        sign: crate::signing::SignArgs,
    },
    /// Build every recipe of a directory in one process, sharing indexes,
    /// packages and layers, optionally with a registry as the cache shared
    /// between machines: `whittle build-all DIR --jobs 4 --cache-registry REF`.
    BuildAll(crate::build_all::BuildAllArgs),
    /// Build a recipe and push it to one or more registry references, every
    /// architecture, with its SBOMs attached (apko's publish).
    Publish(crate::publish::PublishArgs),
    /// Store credentials for a registry (checked first) in the docker
    /// config, as `docker login` does.
    Login(crate::registry::LoginArgs),
    /// Write an ECDSA P-256 key pair in cosign's formats: `cosign.key`
    /// (encrypted with $COSIGN_PASSWORD or $WHITTLE_PASSWORD, empty
    /// allowed) and `cosign.pub`.
    Keygen(crate::signing::KeygenArgs),
    /// Check an image's signature and attestations with a public key, and
    /// that its attested SBOMs list exactly the packages in the image.
    Verify(crate::verify::VerifyArgs),
    /// Resolve a recipe and write its lock file (every architecture):
    /// `RECIPE-STEM.lock.json` beside it unless `-o` says otherwise.
    Lock(crate::lockfile::LockArgs),
    /// Resolve a recipe afresh and compare with its lock: exit 0 when
    /// current, 10 when a rebuild is due (newer packages, or the recipe
    /// changed), 1 on an error.
    Check(crate::lockfile::CheckArgs),
    /// Print the resolved package set, one `name version` per line.
    ShowPackages {
        /// The recipe (YAML).
        recipe: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
        /// Compare with an SBOM's or an image's packages instead (as
        /// `init --from` takes them); exit 1 when they differ.
        #[arg(long, value_name = "SBOM|IMAGE")]
        compare: Option<String>,
    },
    /// Write a recipe whose packages resolve to an image's (or an SBOM's)
    /// package set: the fewest top-level packages, and a report of every
    /// difference.
    Init(crate::init::InitArgs),
    /// Print how each package's install scripts were treated, command by
    /// command: emulated (its effect is in the image), harmless, or not
    /// emulated (and why). Nothing is written.
    ShowScripts {
        /// The recipe (YAML).
        recipe: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
        /// Print only the commands whose effect the image lacks.
        #[arg(long)]
        not_emulated: bool,
    },
    /// Report shells, package managers, setuid files, world-writable and
    /// non-root paths and script-only packages of an image; exit 1 when a
    /// `--fail-on` category has findings, 2 when the image cannot be read.
    Audit(crate::audit::AuditArgs),
    /// Compare two images, two lock files or one of each: packages added,
    /// removed and changed with sizes, layers shared, and with --files the
    /// files; exit 0 when identical, 1 when different, 2 on an error.
    Diff(crate::diff::DiffArgs),
    /// Write the SBOM of an existing image, from the package databases it
    /// carries.
    Sbom(crate::sbom::SbomArgs),
    /// Chisel slice definitions: `check` a release, `find` slices, `info`
    /// prints definitions.
    Slices(crate::slices::SlicesArgs),
    /// Search the recipe's repositories: names, summaries and provides,
    /// every version and the one the recipe would pick (and why);
    /// `--file PATH`: which package ships a path. Exit 1 when nothing is
    /// found.
    Search(crate::search::SearchArgs),
}

/// Options shared by every subcommand that reads a recipe.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Architectures, comma-separated or repeated (`amd64,arm64`; apko's
    /// `x86_64`/`aarch64` work too). Default: the recipe's `archs`.
    #[arg(long = "arch", value_delimiter = ',')]
    pub arch: Vec<String>,
    /// Cache directory (default: $WHITTLE_CACHE_DIR, else the user cache dir).
    #[arg(long, value_name = "DIR", env = "WHITTLE_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Use only the cache; never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Add a package to the recipe's list (repeatable).
    #[arg(short = 'p', long = "package-append", value_name = "PKG")]
    pub package_append: Vec<String>,
    /// Add an APK signing key, a path (relative to the working directory) or
    /// URL (repeatable).
    #[arg(short = 'k', long = "keyring-append", value_name = "PATH|URL")]
    pub keyring_append: Vec<String>,
    /// Add an APK repository (`URL`, path or `@tag URL`) used to resolve and
    /// written to /etc/apk/repositories (repeatable). Not for Debian recipes:
    /// add those repositories to the recipe.
    #[arg(short = 'r', long = "repository-append", value_name = "URL")]
    pub repository_append: Vec<String>,
    /// Add an APK repository used to resolve but not written into the image
    /// (repeatable).
    #[arg(short = 'b', long = "build-repository-append", value_name = "URL")]
    pub build_repository_append: Vec<String>,
    /// Do not verify repository signatures. Dangerous: anyone between you and
    /// the repository can then choose what goes into the image.
    #[arg(long)]
    pub ignore_signatures: bool,
    /// Accept Debian Release files past their Valid-Until date (for
    /// snapshots and archives; apt's Acquire::Check-Valid-Until=false).
    #[arg(long, env = "WHITTLE_IGNORE_VALID_UNTIL")]
    pub ignore_valid_until: bool,
    /// Refuse to unpack more than this much file content in one build,
    /// all packages together (a guard against package bombs; default 16G).
    #[arg(long, value_name = "SIZE", env = "WHITTLE_MAX_UNPACKED_SIZE", value_parser = crate::size::parse_size)]
    pub max_unpacked_size: Option<u64>,
}

impl CommonArgs {
    /// The architectures asked for on the command line, if any.
    pub fn archs(&self) -> Result<Option<Vec<Arch>>> {
        if self.arch.is_empty() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for a in &self.arch {
            let Some(arch) = Arch::parse(a.trim()) else {
                bail!("unknown architecture `{a}` given to --arch: use amd64, arm64, armv7, 386, ppc64le, s390x or riscv64");
            };
            if !out.contains(&arch) {
                out.push(arch);
            }
        }
        Ok(Some(out))
    }

    /// Apply command-line additions to the recipe: keys, repositories and
    /// build repositories (after the recipe's own), packages, and
    /// `--ignore-signatures`.
    pub fn apply_to(&self, plan: &mut BuildPlan) -> Result<()> {
        for k in &self.keyring_append {
            plan.append_keyring(k)
                .map_err(|e| anyhow::anyhow!("--keyring-append {k}: {e}"))?;
        }
        for r in &self.repository_append {
            plan.append_repository(r)
                .map_err(|e| anyhow::anyhow!("--repository-append {r}: {e}"))?;
        }
        for b in &self.build_repository_append {
            plan.append_build_repository(b)
                .map_err(|e| anyhow::anyhow!("--build-repository-append {b}: {e}"))?;
        }
        for p in &self.package_append {
            let req = whittle_recipe_request(p)?;
            plan.packages.push(req);
        }
        if self.ignore_signatures {
            plan.ignore_signatures = true;
        }
        Ok(())
    }
}

fn whittle_recipe_request(spec: &str) -> Result<whittle::PackageRequest> {
    whittle::PackageRequest::parse(spec, 0)
        .map_err(|e| anyhow::anyhow!("--package-append {spec}: {e}"))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::Parser;

    use super::*;

    fn common(args: &[&str]) -> CommonArgs {
        let mut argv = vec!["whittle", "show-packages", "r.yaml"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).expect("arguments parse").command {
            Command::ShowPackages { common, .. } => common,
            _ => panic!("not show-packages"),
        }
    }

    fn plan(text: &str) -> BuildPlan {
        BuildPlan::from_str_with_env(text, Path::new("r.yaml"), &|_| None).expect("recipe parses")
    }

    #[test]
    fn apko_flags_apply_to_an_apk_plan() {
        let args = common(&[
            "-k",
            "extra.rsa.pub",
            "--keyring-append=https://k.example/b.rsa.pub",
            "-r",
            "@local ./packages",
            "--repository-append",
            "https://r.example/os",
            "-b",
            "https://build.example/os",
            "-p",
            "curl>=8",
            "--ignore-signatures",
            "--arch",
            "x86_64,aarch64",
        ]);
        let mut plan =
            plan("contents:\n  repositories: [https://wolfi.mirror.invalid/os]\n  packages: [a]\n");
        args.apply_to(&mut plan).expect("flags apply");
        assert_eq!(
            plan.keyrings,
            ["extra.rsa.pub", "https://k.example/b.rsa.pub"]
        );
        let specs: Vec<&whittle::RepositorySpec> = plan.repositories.iter().collect();
        let apk = whittle_apk::ApkRepositories::from_specs(&specs).expect("apk entries");
        assert_eq!(
            apk.image_lines,
            [
                "https://wolfi.mirror.invalid/os",
                "@local ./packages",
                "https://r.example/os"
            ]
        );
        let sources: Vec<String> = apk.sources.iter().map(|r| r.line()).collect();
        assert_eq!(
            sources,
            [
                "https://wolfi.mirror.invalid/os",
                "@local ./packages",
                "https://r.example/os",
                "https://build.example/os"
            ]
        );
        assert_eq!(plan.repositories_for_resolving().count(), 4);
        assert_eq!(plan.packages.len(), 2);
        assert!(plan.ignore_signatures);
        assert_eq!(
            args.archs().expect("archs parse"),
            Some(vec![Arch::Amd64, Arch::Arm64])
        );
    }

    #[test]
    fn no_flags_change_nothing() {
        let text = "contents:\n  packages: [a]\n";
        let mut p = plan(text);
        common(&[]).apply_to(&mut p).expect("nothing to apply");
        assert_eq!(p, plan(text));
        assert!(!p.ignore_signatures);
    }

    /// Open the recipe's world offline with an empty cache.
    fn open(p: &BuildPlan, args: &CommonArgs) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = whittle_net::Cache::open(dir.path()).expect("cache");
        let fetcher = whittle_net::Fetcher::new(cache, true).expect("fetcher");
        match crate::worlds::worlds(args).open(p, &fetcher, &whittle::NullReporter) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn plain_repositories_refused_for_a_debian_recipe() {
        let text =
            "contents:\n  repositories: [{type: deb, suites: [bookworm]}]\n  packages: [a]\n";
        for (flag, name) in [
            ("-r", "--repository-append"),
            ("-b", "--build-repository-append"),
        ] {
            let mut p = plan(text);
            let args = common(&[flag, "https://r.example/os"]);
            args.apply_to(&mut p).expect("kept for the world to judge");
            let msg = open(&p, &args);
            assert!(
                msg.contains(name)
                    && msg.contains("of type `apk`")
                    && msg.contains("of type `deb`"),
                "{msg}"
            );
        }
        // A key reaches the Debian world, which reads it.
        let mut p = plan(text);
        let args = common(&["-k", "no-such-key.gpg"]);
        args.apply_to(&mut p).expect("applies");
        let msg = open(&p, &args);
        assert!(msg.contains("no-such-key.gpg"), "{msg}");
    }

    #[test]
    fn a_bad_plain_repository_is_named() {
        let mut p = plan("contents:\n  repositories: [https://x/os]\n  packages: [a]\n");
        let args = common(&["-r", "@tag"]);
        args.apply_to(&mut p).expect("kept");
        let msg = open(&p, &args);
        assert!(
            msg.contains("--repository-append") && msg.contains("@tag"),
            "{msg}"
        );
    }

    fn sbom_formats(args: &[&str]) -> Result<Vec<whittle::SbomFormat>, clap::Error> {
        let mut argv = vec!["whittle", "build", "r.yaml", "app:1", "out.tar"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Build { sbom_formats, .. } => Ok(sbom_formats),
            _ => panic!("not build"),
        }
    }

    #[test]
    fn sbom_formats_default_to_spdx_and_take_apkos_list() {
        use whittle::SbomFormat::{CycloneDx, Spdx};
        assert_eq!(sbom_formats(&[]).expect("default"), [Spdx]);
        assert_eq!(
            sbom_formats(&["--sbom-formats", "spdx,cyclonedx"]).expect("list"),
            [Spdx, CycloneDx]
        );
        assert_eq!(
            sbom_formats(&["--sbom-formats=cyclonedx"]).expect("one"),
            [CycloneDx]
        );
        let err = sbom_formats(&["--sbom-formats", "spdx,xml"]).expect_err("unknown");
        assert!(err.to_string().contains("xml"), "{err}");
    }
}
