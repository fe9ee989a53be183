//! The engine's error: one paragraph saying what failed, where, what to do.
//! Causes are attached as sources (the front end prints the chain), never
//! repeated in the message.

use std::path::PathBuf;

use whittle_recipe::RecipeError;

/// A build or resolution failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The recipe is malformed or inconsistent.
    #[error(transparent)]
    Recipe(#[from] RecipeError),
    /// A package world failed (index, trust chain, download, unpack).
    #[error(transparent)]
    World(#[from] whittle_world::WorldError),
    /// The image's manifests could not be described for signing.
    #[error("cannot sign the image: its manifests could not be rendered")]
    Attest(#[source] whittle_oci::OciError),
    /// The signatures and attestations could not be made.
    #[error("cannot sign the image")]
    Sign(#[source] whittle_attest::AttestError),
    /// The requested packages cannot be installed together.
    #[error("cannot resolve the packages for {arch}")]
    Solve {
        /// Architecture being resolved.
        arch: String,
        /// What the solver found.
        #[source]
        source: whittle_solve::SolveError,
    },
    /// The packages resolved for one architecture need versions that were
    /// left out because another requested architecture lacks them.
    #[error(
        "cannot resolve the packages for {arch}; not considered because they are missing on \
         another requested architecture: {}. Build the architectures separately, or pin \
         versions every architecture has.",
        dropped.join(", ")
    )]
    MissingOnOtherArch {
        /// Architecture being resolved.
        arch: String,
        /// `name version`s left out.
        dropped: Vec<String>,
        /// What the solver found.
        #[source]
        source: whittle_solve::SolveError,
    },
    /// The versions chosen for the first architecture cannot be installed
    /// on another one.
    #[error(
        "the versions chosen for {first} cannot be installed on {arch}, so the architectures \
         would get different versions. Pin the package to a version both have."
    )]
    ArchsDisagree {
        /// The first architecture.
        first: String,
        /// The architecture that cannot take its versions.
        arch: String,
        /// What the solver found with the first one's versions.
        #[source]
        source: whittle_solve::SolveError,
    },
    /// The lock file no longer describes the recipe.
    #[error(
        "the lock {lock} does not match the recipe: {reason}. Run `whittle lock` again to \
         resolve the recipe as it is now."
    )]
    LockMismatch {
        /// The lock's recipe name.
        lock: String,
        /// What differs.
        reason: String,
    },
    /// A package a lock names could not be fetched.
    #[error(
        "a package the lock names could not be fetched. If the repository no longer serves \
         that version, point the repository's `url:` at a snapshot mirror that still does (the \
         lock's digests keep the image exact) and build again, or run `whittle lock` again for \
         the versions served now."
    )]
    LockedPackageGone(#[source] whittle_world::WorldError),
    /// A package's file could not be placed in the image.
    #[error("{package}: cannot place /{path} in the image")]
    Place {
        /// The package.
        package: String,
        /// The path from its archive.
        path: String,
        /// Why.
        #[source]
        source: whittle_rootfs::FsError,
    },
    /// Two unrelated packages ship the same file with different contents.
    #[error("file conflict: /{path} is in both {owner} and {package} with different contents, and neither replaces the other. Exclude one of them (contents.exclude) or pick packages that agree.")]
    FileConflict {
        /// The path, as placed in the tree.
        path: String,
        /// The package that would overwrite it.
        package: String,
        /// The package that placed it first.
        owner: String,
    },
    /// A `paths:` entry of the recipe could not be applied.
    #[error("paths: {path}: {message}. Fix the `paths:` entry in the recipe.")]
    PathMutation {
        /// The path named in the recipe.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The effects of the packages' scripts (or the recipe's
    /// `alternatives:`) cannot be applied.
    #[error(transparent)]
    Effects(#[from] whittle_effects::EffectsError),
    /// `run-as` names a user neither the recipe nor the image defines.
    #[error("`run-as: {run_as}` names no user of the recipe or of the image's /etc/passwd (users there: {known}). Add the user under accounts.users, or give a numeric uid.")]
    UnknownRunAs {
        /// The `run-as` value.
        run_as: String,
        /// Users the image knows, comma-separated.
        known: String,
    },
    /// The entrypoint or command names a program the image does not have.
    #[error("the {what} `{program}` does not exist in the image{hint}")]
    MissingProgram {
        /// `entrypoint` or `cmd`.
        what: &'static str,
        /// The program path.
        program: String,
        /// What to do (which packages ship something similar).
        hint: String,
    },
    /// The cache could not be opened or used.
    #[error(
        "the cache at {path} cannot be used. Choose another with --cache-dir or WHITTLE_CACHE_DIR."
    )]
    Cache {
        /// Cache root.
        path: String,
        /// Why.
        #[source]
        source: whittle_cache::CacheError,
    },
    /// The network client could not be set up.
    #[error(transparent)]
    Net(#[from] whittle_net::NetError),
    /// The output path cannot take an image (checked before building).
    #[error("cannot write the image to {}: {reason}", path.display())]
    OutputPath {
        /// The output path.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// Writing a layer's tar failed.
    #[error("could not write the tar of layer `{layer}`")]
    LayerTar {
        /// The layer.
        layer: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A layer could not be compressed (or its cached copy checked) into
    /// the scratch directory.
    #[error("could not write layer `{layer}`")]
    Layer {
        /// The layer.
        layer: String,
        /// Why (names the file).
        #[source]
        source: whittle_oci::OciError,
    },
    /// The image could not be written.
    #[error(
        "could not write the image to {path}. {left} Check the path and the free space there."
    )]
    Output {
        /// Output path.
        path: String,
        /// What was left behind (checked).
        left: Leftovers,
        /// Why.
        #[source]
        source: whittle_oci::OciError,
    },
    /// An SBOM could not be written, so neither was the image.
    #[error("could not write the SBOM {path}, so the image was not written either. {left} Check the SBOM directory (--sbom-path) and the free space there.")]
    Sbom {
        /// SBOM path.
        path: String,
        /// What was left behind (checked).
        left: Leftovers,
        /// Why.
        #[source]
        source: whittle_oci::OciError,
    },
    /// Worker threads could not be started.
    #[error("could not start worker threads")]
    Threads(#[source] rayon::ThreadPoolBuildError),
}

/// What a failed output step could not clean up: temporaries it could not
/// remove, or targets it could not put back as they were. Empty when the
/// cleanup was checked to be complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leftovers(pub Vec<PathBuf>);

impl std::fmt::Display for Leftovers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str(
                "Nothing was changed: the previous outputs are as they were and every temporary \
                 file was removed (checked).",
            );
        }
        let list: Vec<String> = self.0.iter().map(|p| p.display().to_string()).collect();
        write!(
            f,
            "These could not be removed or put back as they were; check them by hand: {}.",
            list.join(", ")
        )
    }
}
