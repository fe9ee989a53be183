//! `whittle show-scripts`: what every package's install scripts would have
//! done and how whittle treated each command, without writing an image.

use whittle_effects::ScriptReport;
use whittle_recipe::{Arch, BuildPlan};

use crate::build::{finish_root, image_env};
use crate::error::BuildError;
use crate::install::install;
use crate::resolve::resolve_all;
use crate::session::Session;
use crate::trim::PathFilter;

/// Resolve, unpack and finish the tree of each architecture as a build
/// would, and return every script report, in the order the scripts were
/// read.
pub fn explain_scripts(
    session: &Session,
    plan: &BuildPlan,
    archs: &[Arch],
) -> Result<Vec<(Arch, Vec<ScriptReport>)>, BuildError> {
    let mut out = Vec::new();
    for resolution in resolve_all(session, plan, archs)? {
        let cx = session.context(resolution.arch);
        let placed = install(
            session,
            &cx,
            &resolution.installed,
            &resolution.parts,
            PathFilter::from_plan(plan)?.as_ref(),
        )?;
        let epoch = placed.newest_mtime;
        let mut root = placed.root;
        let env = image_env(plan, session.world().default_env());
        let scripts = finish_root(
            session,
            &cx,
            plan,
            &mut root,
            (&placed.installed, &placed.named_owners),
            &env,
            epoch,
        )?;
        out.push((resolution.arch, scripts.reports));
    }
    Ok(out)
}
