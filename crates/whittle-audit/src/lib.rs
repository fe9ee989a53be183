//! Read an OCI image back as a user has it, and say what is in it: an
//! audit of what could help an attacker ([`audit`]), its packages
//! ([`inventory()`]), how it differs from another image or a lock file
//! ([`diff()`]), and its SBOM made again ([`sbom_input`]).
//!
//! [`ImageSet::open`] reads an image archive (an OCI archive or
//! docker-archive tar, or whittle's archive that is both) or an OCI
//! image-layout directory, optionally `PATH:TAG`; a platform's image is
//! chosen (asked for, else the only one, else the host's); its layers are
//! streamed in order (gzip, zstd or plain tar, recognised by their first
//! bytes), each blob checked against its manifest digest and each tar
//! against the config's diff ID, and whiteouts (`.wh.NAME`) and opaque
//! directories (`.wh..wh..opq`) applied as the OCI image spec's `layer.md`
//! says. Only metadata is kept, plus the package databases, os-release and
//! `/etc/passwd` and `/etc/group` (and for [`diff()`]'s files a SHA-256 of
//! each regular file, hashed as it streams past); memory grows with the
//! number of paths, never with file sizes.
//!
//! # Package databases
//!
//! dpkg's `status` with `info/*.list`, distroless's `status.d/` with
//! `*.md5sums`, apk's `installed`, rpm's `rpmdb.sqlite` (else Azure
//! Linux's `container-manifest-2`, else `-1`), and Chisel's
//! `manifest.wall` when there is no dpkg database. Each package is named
//! with its world's own functions ([`whittle_deb::world::deb_purl`],
//! [`whittle_apk::world::apk_purl`], [`whittle_rpm::world::rpm_purl`]), so
//! an image read back names its packages as its build-time SBOM did.
//!
//! ```no_run
//! use whittle_audit::{diff, DiffInput, DiffOptions};
//!
//! // Images (archives, layouts, `PATH:TAG`) and lock files, in any pair.
//! let a = DiffInput::open("recipe.lock.json")?;
//! let b = DiffInput::open("app.tar")?;
//! let report = diff(&a, &b, &DiffOptions { files: false, ..DiffOptions::default() })?;
//! print!("{}", report.to_text());
//! # Ok::<(), whittle_audit::DiffError>(())
//! ```
//!
//! # What an audit reports
//!
//! Paths are resolved the way the container sees them: symlinks in
//! directories are followed inside the image (`/bin/sh` in a database is
//! `/usr/bin/sh` when `/bin` links to `usr/bin`). The owning packages of a
//! finding are those whose database entry lists its path.
//!
//! * **shells** ([`Category::Shells`]): a path in a `PATH` directory
//!   ([`rules::BIN_DIRS`]: `/bin`, `/sbin`, `/usr/bin`, `/usr/sbin`,
//!   `/usr/local/bin`, `/usr/local/sbin`) whose name is a shell's
//!   ([`rules::SHELLS`]: `sh`, `bash`, `dash`, `ash`, `busybox`, `zsh`,
//!   `ksh`, `mksh`, `csh`, `tcsh`, `fish`…) and that is, or links to, a
//!   regular file; dangling links are not shells. A busybox binary lists its
//!   applet links: every path in those directories that reaches it by
//!   symlink or hard link.
//! * **package managers** ([`Category::PackageManagers`]): the same, for
//!   operating-system package managers ([`rules::PACKAGE_MANAGERS`]: dpkg,
//!   dpkg-deb, apt, apt-get, aptitude, apk, rpm, dnf, dnf5, yum, microdnf,
//!   tdnf, zypper, pacman, opkg), busybox's `dpkg`/`rpm` applets included.
//!   Language package managers (pip, npm, gem) are deliberately not listed:
//!   they install into their language's tree, and images of that language
//!   often need them.
//! * **setuid** ([`Category::Setuid`]): regular files with the setuid or
//!   setgid bit. A setgid directory only passes its group on and is not
//!   reported.
//! * **world-writable** ([`Category::WorldWritable`]): any path but a
//!   symlink with the "other" write bit, except device nodes under `/dev`
//!   (container runtimes mount their own `/dev` over the image's, so
//!   apko's `/dev/null` 0666 is never used) and directories that also have
//!   the sticky bit: those (`/tmp`, `/var/tmp`) are reported as
//!   **world-writable-sticky** ([`Category::WorldWritableSticky`]), where
//!   only a file's owner may remove it.
//! * **non-root** ([`Category::NonRoot`]): any path but a symlink whose uid
//!   or gid is not 0, grouped by (uid, gid) and named from the image's own
//!   `/etc/passwd` and `/etc/group`.
//! * **script-only** ([`Category::ScriptOnly`]): packages of the image's
//!   database (any of the above) that are present only for their
//!   maintainer scripts, which an image built without running them never
//!   needed. A package is reported when either
//!   1. (dpkg databases) its name is one of the script helpers in
//!      [`rules::DPKG_SCRIPT_HELPERS`] (`adduser`, `debconf`,
//!      `debconf-i18n`, `debianutils`, `dpkg`, `init-system-helpers`,
//!      `install-info`, `login`, `lsb-base`, `passwd`, `sensible-utils`,
//!      `ucf`): tools that exist for postinst scripts (accounts, debconf
//!      questions, alternatives, diversions, configuration merges); or
//!   2. every path its file list names that is in the image as something
//!      other than a directory lies under a documentation or metadata tree
//!      ([`rules::DOC_DIRS`]: `/usr/share/doc`, `doc-base`, `man`, `info`,
//!      `lintian`, `bug`, `gtk-doc`, `help`, `licenses`). This includes
//!      packages with no such path at all (metapackages, transitional
//!      packages, packages whose files were removed).
//!
//!   A package without a file list is not judged, and a note says so.
//!
//! [`Category::DEFAULT_FAIL_ON`] (shells, package managers, setuid,
//! world-writable) is what a CI policy fails on unless told otherwise;
//! [`Report::failures`] applies a policy.
//!
//! # Example
//!
//! ```no_run
//! use whittle_audit::{audit, AuditOptions, Category, ImageRef};
//!
//! let report = audit(&ImageRef::parse("python.tar"), &AuditOptions::default())?;
//! print!("{}", report.to_text());
//! let failed = report.failures(&Category::DEFAULT_FAIL_ON);
//! # Ok::<(), whittle_audit::AuditError>(())
//! ```
#![deny(missing_docs)]

mod db;
mod diff;
mod error;
mod image;
mod inventory;
mod layer;
mod pkgset;
mod platform;
mod report;
pub mod rules;
mod sbom;
mod select;
mod store;
mod tree;

use std::path::{Path, PathBuf};

pub use db::{DbKind, World};
pub use diff::{
    diff, ChangedPackage, DiffError, DiffInput, DiffOptions, DiffReport, Direction, FileAspect,
    FileChange, FileChanges, FileInfo, LayerSharing, PackageChanges, PlatformDiff, SharedLayer,
    Side, SideKind, SizeTotals,
};
pub use error::AuditError;
pub use image::ImageSet;
pub use inventory::{inventory, Inventory, InventoryPackage, OsRelease};
pub use pkgset::{lock_platform, platform_key, PackageSet, SetPackage};
pub use platform::Platform;
pub use report::{
    Category, ImageSummary, OwnerGroup, PathFinding, Program, Report, ScriptOnly, ScriptOnlyReason,
};
pub use sbom::sbom_input;
pub use store::ImageFiles;
pub use tree::EntryKind;

/// An image on disk: an archive or layout directory, and optionally the
/// tag of one image in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The archive or directory.
    pub path: PathBuf,
    /// The tag (`1.0`, or a whole reference `registry.example/app:1.0`).
    pub tag: Option<String>,
}

impl ImageRef {
    /// `PATH` or `PATH:TAG`. A path that exists as given is taken whole
    /// (file names may contain `:`); otherwise the text after the first
    /// `:` that follows an existing path is the tag.
    pub fn parse(text: &str) -> ImageRef {
        let whole = ImageRef {
            path: PathBuf::from(text),
            tag: None,
        };
        if Path::new(text).exists() {
            return whole;
        }
        for (i, _) in text.match_indices(':') {
            let (path, tag) = (&text[..i], &text[i + 1..]);
            if !path.is_empty() && !tag.is_empty() && Path::new(path).exists() {
                return ImageRef {
                    path: PathBuf::from(path),
                    tag: Some(tag.to_string()),
                };
            }
        }
        whole
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        Ok(())
    }
}

/// How to audit.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// The platform to audit; default: the only one, else the host's.
    pub platform: Option<Platform>,
}

/// Audit `image`. Errors name the image and the file in it that is
/// missing, cut off, malformed or does not match its digest.
pub fn audit(image: &ImageRef, options: &AuditOptions) -> Result<Report, AuditError> {
    // Find the image, and merge its layers bottom first.
    let set = ImageSet::open(image)?;
    let read = set.read(options.platform.as_ref(), tree::Wanted::default())?;
    let (tree, mut notes) = (&read.tree, read.notes.clone());

    // Read the database, then check.
    let database = db::read(tree);
    notes.extend(database.notes.iter().cloned());
    let owners = rules::Owners::new(tree, &database);
    let (shells, package_managers) = rules::programs(tree, &owners);
    let modes = rules::modes(tree, &owners);
    let script_only = rules::script_only(tree, &database, &mut notes);

    let mut report = Report {
        image: ImageSummary {
            source: read.source.clone(),
            platform: read.platform.to_string(),
            platforms: read.available.iter().map(Platform::to_string).collect(),
            manifest: read.manifest.clone(),
            layers: read.layers.len(),
            entries: tree.len(),
            databases: database.kinds.clone(),
            packages: database.packages.len(),
        },
        counts: Default::default(),
        shells,
        package_managers,
        setuid: modes.setuid,
        world_writable: modes.world_writable,
        world_writable_sticky: modes.sticky,
        non_root: modes.non_root,
        script_only,
        notes,
    };
    report.fill_counts();
    Ok(report)
}
