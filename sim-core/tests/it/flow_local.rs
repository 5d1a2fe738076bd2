//! Flow fidelity solves the groups of a job's flows that no other job can
//! touch once per plan (`simulation/flow_phase.rs`) instead of putting
//! them on the shared flow model every step. The runs must be those of the
//! shared model: a fabric whose cables may fail keeps every flow on the
//! shared model, so a cable class that never strikes during the run gives
//! the reference.

use sim_core::simulation::RunResult;

use crate::support::simulate;

/// Cables that may fail (so nothing is solved apart) but, at one failure
/// per cable per 500 years, do not during these runs (checked).
const CABLES_MAY_FAIL: &str = r#"reliability.classes=[(name: "cable", strikes: Link, mtbf: "500y", repair: (time: Fixed("2h"), action: Replace))]"#;

/// Every job's start and end, and every training job's record, by job.
fn runs(r: &RunResult) -> (Vec<String>, Vec<String>) {
    let mut jobs: Vec<(u64, String)> = (r.jobs.iter())
        .map(|j| (j.id, format!("{:?} {:?}", j.start, j.end)))
        .collect();
    jobs.sort();
    let mut training: Vec<(u64, String)> = (r.summary.training.iter())
        .map(|t| (t.job, format!("{t:?}")))
        .collect();
    training.sort();
    (
        jobs.into_iter().map(|j| j.1).collect(),
        training.into_iter().map(|t| t.1).collect(),
    )
}

#[test]
fn solving_local_groups_apart_changes_no_run() {
    // Rail-optimized with PXN and MoE all-to-alls over a 4:1 spine; rails
    // inside scalable units (every ring local); a 2:1 leaf-spine where
    // every job crosses the spines.
    for name in [
        "moe-rail-pxn.ron",
        "rail-optimized.ron",
        "leaf-spine-2to1.ron",
    ] {
        let path = format!("scenarios/hardware/{name}");
        let apart = simulate(&path, &[]);
        let shared = simulate(&path, &[CABLES_MAY_FAIL]);
        let failures = shared.summary.reliability.as_ref().map(|r| r.failures);
        assert_eq!(failures, Some(0), "{name}: the reference run had a failure");
        assert!(!apart.summary.training.is_empty(), "{name}");
        assert_eq!(runs(&apart), runs(&shared), "{name}");
    }
}
