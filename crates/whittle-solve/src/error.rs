//! Why a resolution failed.

/// A resolution failure.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum SolveError {
    /// A requested name is neither a package nor provided by any package.
    #[error("package `{name}` not found{}", hint(suggestions))]
    NotFound {
        /// The requested name.
        name: String,
        /// Known names within a small edit distance, closest first.
        suggestions: Vec<String>,
    },
    /// A request names a virtual package that only excluded packages provide.
    #[error(
        "{name} is provided only by excluded {}: remove {} from contents.exclude, or request \
         the package you want by its own name",
        providers.join(", "),
        if providers.len() == 1 { "it" } else { "one of them" }
    )]
    OnlyExcluded {
        /// The requested (virtual) name.
        name: String,
        /// The excluded packages providing it.
        providers: Vec<String>,
    },
    /// The requests cannot be satisfied together.
    #[error("cannot satisfy the requests: {chain}")]
    Unsatisfiable {
        /// One readable reason, e.g.
        /// `python3 → libpython3.11-stdlib → libffi8 (>= 3.4) not available (available: 3.3-1)`.
        chain: String,
        /// The solver's full explanation.
        details: String,
    },
    /// The solver stopped without an answer.
    #[error("dependency resolution was cancelled")]
    Cancelled,
}

fn hint(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", suggestions.join(", "))
    }
}
