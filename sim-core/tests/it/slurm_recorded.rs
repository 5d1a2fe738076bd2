//! clustersim against a real slurmctld, without needing Slurm: start times
//! that Slurm 22.05.8 gave a scripted workload (recorded by
//! `scripts/slurm/compare.sh --record` into `scripts/slurm/recorded/`:
//! `<variant>.csv` with Slurm's submit/start/end in seconds since a
//! wall-clock-minute t=0, and `<variant>.ron`, the same cluster and jobs
//! with the recorded submit times) against the starts clustersim's
//! Conservative and Easy backfill give the same workload.
//!
//! The bounds are the CURRENT shares of jobs that start within 3 s of Slurm
//! (issue 12, item 4), rounded down: a floor against regressions, to be
//! raised by a Slurm-faithful backfill mode (item 5 targets 90%). Why the
//! shares are low on shared nodes is item 5's list, from Slurm's
//! `src/plugins/sched/backfill/backfill.c` (node-bitmap reservations,
//! pinned nodes) and `select/cons_common` `_will_run_test` (running jobs'
//! ends batched in wall-clock-aligned windows).

use std::fs;

use crate::support::path;
use sim_core::scenario::{SetArg, load_file};
use sim_core::simulation::run;

/// Within this many seconds of Slurm's start counts as the same start
/// (Slurm's StartTime has whole-second resolution and a new job waits for
/// the next scheduling pass, about a second).
const WITHIN_S: f64 = 3.0;

/// Slurm's start of each job, by name, from a recorded CSV
/// (`recorded/<variant>.csv`, or `recorded/repeat/<variant>.csv`).
fn slurm_starts(variant: &str) -> Vec<(String, f64)> {
    let file = path(&format!("scripts/slurm/recorded/{variant}.csv"));
    let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (name, start) = (column("name"), column("start_s"));
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[name].to_string(), cells[start].parse().unwrap())
        })
        .collect()
}

/// How many of the variant's jobs start within [`WITHIN_S`] of Slurm under
/// the given backfill mode, and how many jobs there are.
fn within(variant: &str, backfill: &str) -> (usize, usize) {
    let ron = path(&format!("scripts/slurm/recorded/{variant}.ron"));
    let set = [SetArg::set(format!("scheduler.backfill={backfill}"))];
    let scenario = load_file(&ron, &set)
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    let result = run(&scenario, &mut (), &mut |_| {});
    let names = &scenario.workload.directory.job_names;
    let slurm = slurm_starts(variant);
    assert_eq!(
        result.jobs.len(),
        slurm.len(),
        "{variant}: one record per job"
    );
    let hits = slurm
        .iter()
        .filter(|(name, slurm_start)| {
            let job = (result.jobs.iter())
                .find(|j| names[j.job.name as usize] == *name)
                .unwrap_or_else(|| panic!("{variant}: job {name} is not in the scenario"));
            let start = job.start.expect("every job starts").as_secs_f64();
            (start - slurm_start).abs() <= WITHIN_S
        })
        .count();
    (hits, slurm.len())
}

/// Asserts at least `floor` jobs of the variant start within 3 s of Slurm
/// under each mode (Conservative, Easy).
fn check(variant: &str, floors: [usize; 2]) {
    for (backfill, floor) in ["Conservative", "Easy"].into_iter().zip(floors) {
        let (hits, jobs) = within(variant, backfill);
        assert!(
            hits >= floor,
            "{variant}, {backfill}: {hits}/{jobs} jobs within 3 s of Slurm, was at least {floor}"
        );
    }
}

const VARIANTS: [&str; 4] = [
    "shared-fifo",
    "shared-multifactor",
    "onegpu-fifo",
    "onegpu-multifactor",
];

/// The tolerance is Slurm's own: a second run of the same workloads
/// (`recorded/repeat/`, 9 minutes earlier, without the backfill log) made
/// the same decisions, every start within 1 s of the first run's.
#[test]
fn slurm_repeats_itself_within_a_second() {
    for variant in VARIANTS {
        let first = slurm_starts(variant);
        let repeat = slurm_starts(&format!("repeat/{variant}"));
        assert_eq!(first.len(), repeat.len(), "{variant}");
        for (name, start) in &first {
            let (_, again) = (repeat.iter().find(|(n, _)| n == name))
                .unwrap_or_else(|| panic!("{variant}: {name} missing from the repeat"));
            assert!(
                (start - again).abs() <= 1.0,
                "{variant}: {name} started at {start} s, in the repeat at {again} s"
            );
        }
    }
}

// The figures (jobs within 3 s of Slurm, of 34; Conservative, Easy), run of
// 2026-12-05 11:43 UTC (the repeat gives the same figures). Most misses are the causes of issue 12, item 5:
// whole-node reservations on shared nodes (a), starts estimated from
// wall-clock-aligned batches of running jobs' ends (b), and Slurm starting
// blocked jobs in bursts when a reservation's nodes free up (c, d).

/// 4 nodes x 8 GPUs, priority/basic: 20 and 9 of 34.
#[test]
fn shared_nodes_fifo() {
    check("shared-fifo", [20, 9]);
}

/// 4 nodes x 8 GPUs, priority/multifactor (job size; slurmctld ignores the
/// age weight without slurmdbd, and so does the import): 27 and 12 of 34.
#[test]
fn shared_nodes_multifactor() {
    check("shared-multifactor", [27, 12]);
}

/// 32 nodes x 1 GPU, priority/basic: 11 and 12 of 34.
#[test]
fn one_gpu_nodes_fifo() {
    check("onegpu-fifo", [11, 12]);
}

/// 32 nodes x 1 GPU, priority/multifactor (job size, as above): 13 and 17 of 34.
#[test]
fn one_gpu_nodes_multifactor() {
    check("onegpu-multifactor", [13, 17]);
}
