//! Resolve a recipe's package list for one architecture.

use whittle_model::{Op, PackageRecord, Requirement};
use whittle_recipe::{Arch, BuildPlan, PackageRequest};
use whittle_solve::{solve, SolveTask};

use crate::error::BuildError;
use crate::session::Session;

/// The packages an image of one architecture will hold.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// The architecture.
    pub arch: Arch,
    /// Packages to install, sorted by name.
    pub installed: Vec<PackageRecord>,
    /// Packages the closure needed but the recipe excluded (treated as
    /// provided, not installed), sorted by name.
    pub excluded: Vec<PackageRecord>,
}

/// Load the indexes and solve the recipe's request for `arch`.
pub fn resolve(session: &Session, plan: &BuildPlan, arch: Arch) -> Result<Resolution, BuildError> {
    let cx = session.context(arch);
    session
        .reporter()
        .on_step(&format!("reading package indexes ({arch})"));
    let records = session.world().load_index(&cx)?;
    session.reporter().on_step(&format!(
        "resolving {} requested packages among {} ({arch})",
        plan.packages.len(),
        records.len()
    ));
    let mut task = SolveTask::new(&records, session.world().version_scheme());
    task.requests = plan.packages.iter().map(requirement).collect();
    task.exclude = plan.exclude.clone();
    let solution = solve(&task).map_err(|source| BuildError::Solve {
        arch: arch.to_string(),
        source,
    })?;
    let pick = |ids: &[usize]| -> Vec<PackageRecord> {
        ids.iter()
            .filter_map(|&i| records.get(i).cloned())
            .collect()
    };
    Ok(Resolution {
        arch,
        installed: pick(&solution.installed),
        excluded: pick(&solution.excluded),
    })
}

/// The resolved set for `arch` without building anything: what
/// `whittle show-packages` prints.
pub fn show_packages(
    session: &Session,
    plan: &BuildPlan,
    arch: Arch,
) -> Result<Resolution, BuildError> {
    resolve(session, plan, arch)
}

fn requirement(req: &PackageRequest) -> Requirement {
    use whittle_recipe::Op as R;
    let constraint = req.constraint.as_ref().map(|(op, v)| {
        let op = match op {
            R::Eq => Op::Eq,
            R::Prefix => Op::Prefix,
            R::Gt => Op::Gt,
            R::Ge => Op::Ge,
            R::Lt => Op::Lt,
            R::Le => Op::Le,
        };
        (op, v.clone())
    });
    Requirement {
        name: req.name.clone(),
        constraint,
    }
}
