//! The engine's error: one paragraph saying what failed, where, what to do.

use whittle_recipe::RecipeError;

/// A build or resolution failed. Nothing was written at the output.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The recipe is malformed or inconsistent.
    #[error(transparent)]
    Recipe(#[from] RecipeError),
    /// A package world failed (index, trust chain, download, unpack).
    #[error(transparent)]
    World(#[from] whittle_world::WorldError),
    /// The requested packages cannot be installed together.
    #[error("cannot resolve the packages for {arch}: {source}")]
    Solve {
        /// Architecture being resolved.
        arch: String,
        /// What the solver found.
        #[source]
        source: whittle_solve::SolveError,
    },
    /// A package's file could not be placed in the image.
    #[error("{package}: cannot place /{path} in the image: {source}")]
    Place {
        /// The package.
        package: String,
        /// The path from its archive.
        path: String,
        /// Why.
        #[source]
        source: whittle_rootfs::FsError,
    },
    /// Two unrelated packages ship the same file.
    #[error("file conflict: /{path} is in both {owner} and {package}, and neither replaces the other. Exclude one of them (contents.exclude) or pick packages that agree.")]
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
    /// The cache could not be opened or used.
    #[error("the cache at {path} cannot be used: {source}. Choose another with --cache-dir or WHITTLE_CACHE_DIR.")]
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
    /// The image could not be written.
    #[error("could not write the image to {path}: {source}. Nothing was left at {path}; check the path and free space.")]
    Output {
        /// Output path.
        path: String,
        /// Why.
        #[source]
        source: whittle_oci::OciError,
    },
    /// The SBOM could not be written.
    #[error("could not write the SBOM {path}: {source}. The image was removed again; check the --sbom-path directory.")]
    Sbom {
        /// SBOM path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The recipe uses something this version does not support yet.
    #[error("{0}")]
    Unsupported(String),
}
