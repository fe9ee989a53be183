//! `layering:` (apko's): how the image is split into layers.

use serde::Serialize;

use crate::convert::Cx;
use crate::error::{ErrorKind, RecipeError};
use crate::raw::RawLayering;

/// apko's `layering:` block: how to split the image into layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Layering {
    /// How packages are grouped into layers.
    pub strategy: LayeringStrategy,
    /// At most this many package layers (at least 1), plus one top layer
    /// for files no package owns.
    pub budget: usize,
}

/// A [`Layering`] strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum LayeringStrategy {
    /// `origin`: one layer per group of packages built from the same origin
    /// (source package), largest groups first, the rest merged into one.
    Origin,
}

impl LayeringStrategy {
    /// The name used in recipes (`origin`).
    pub fn as_str(&self) -> &'static str {
        match self {
            LayeringStrategy::Origin => "origin",
        }
    }
}

pub(crate) fn convert_layering(l: RawLayering, cx: &Cx<'_>) -> Result<Layering, RecipeError> {
    let strategy = match cx.expand(&l.strategy)?.as_str() {
        "origin" => LayeringStrategy::Origin,
        other => {
            return Err(cx
                .err(
                    ErrorKind::Invalid,
                    cx.key_at(&["layering", "strategy"]),
                    format!("unknown layering strategy `{other}`"),
                )
                .with_key("strategy")
                .with_hint("the only layering strategy is `origin`"))
        }
    };
    let budget = usize::try_from(l.budget)
        .ok()
        .filter(|b| *b >= 1)
        .ok_or_else(|| {
            cx.err(
                ErrorKind::Invalid,
                cx.key_at(&["layering", "budget"]),
                format!("layering budget {} is less than 1", l.budget),
            )
            .with_key("budget")
            .with_hint("give the most package layers wanted, e.g. `budget: 10`")
        })?;
    Ok(Layering { strategy, budget })
}
