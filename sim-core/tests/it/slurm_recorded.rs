//! clustersim against a real slurmctld, without needing Slurm: start times
//! that Slurm 22.05.8 gave a scripted workload (recorded by
//! `scripts/slurm/compare.sh --record` into `scripts/slurm/recorded/`:
//! `<variant>.csv` with Slurm's submit/start/end in seconds since a
//! wall-clock-minute t=0, and `<variant>.ron`, the same cluster and jobs
//! with the recorded submit times, imported from the variant's slurm.conf
//! by `clustersim import slurm`) against the starts clustersim gives the
//! same workload with its Slurm-faithful backfill (`backfill: Slurm`, the
//! import's mode) and the literature's Conservative and Easy.
//!
//! The bounds are the shares of jobs that start within 3 s of Slurm as
//! measured, a floor against regressions; the Slurm mode must keep at
//! least 90% of all jobs (issue 12, item 5). Why the classic modes miss on
//! shared nodes is item 5's list, from Slurm's
//! `src/plugins/sched/backfill/backfill.c` (node-bitmap reservations,
//! pinned nodes) and `select/cons_common` `_will_run_test` (running jobs'
//! ends batched in wall-clock-aligned windows); the Slurm mode follows
//! those (see `slurm_faithful` for one hand-computed case of each).

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

/// The modes compared: the Slurm-faithful one, then the literature's.
const MODES: [&str; 3] = ["Slurm", "Conservative", "Easy"];

/// Asserts at least `floor` jobs of the variant start within 3 s of Slurm
/// under each of [`MODES`]; returns the Slurm mode's (hits, jobs).
fn check(variant: &str, floors: [usize; 3]) -> (usize, usize) {
    let mut slurm_mode = (0, 0);
    for (backfill, floor) in MODES.into_iter().zip(floors) {
        let (hits, jobs) = within(variant, backfill);
        assert!(
            hits >= floor,
            "{variant}, {backfill}: {hits}/{jobs} jobs within 3 s of Slurm, was at least {floor}"
        );
        if backfill == "Slurm" {
            slurm_mode = (hits, jobs);
        }
    }
    slurm_mode
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

// The figures (jobs within 3 s of Slurm, of 34; Slurm mode, Conservative,
// Easy), record of 2026-12-05 11:43 UTC (the repeat run gives the same).
// The classic modes miss for the causes of issue 12, item 5: whole-node
// reservations on shared nodes (a), starts estimated from wall-clock-aligned
// batches of running jobs' ends (b), pinned nodes (c), and passes (d).

/// 4 nodes x 8 GPUs, priority/basic: 34, 20 and 9 of 34.
#[test]
fn shared_nodes_fifo() {
    check("shared-fifo", [34, 20, 9]);
}

/// 4 nodes x 8 GPUs, priority/multifactor (job size; slurmctld ignores the
/// age weight without slurmdbd, and so does the import): 22, 27 and 12.
///
/// The Slurm mode's 12 misses follow from one decision at 200 s.
/// slurmctld's log (recorded/logs/, DebugFlags=Backfill) shows why: when
/// big2 completed (39.58 s past 11:45), a backfill cycle came 0.24 s later,
/// before the main scheduler, and started big1, s17 and s22 together, so
/// big1 and s17 ended 23 ms apart; the next cycle found their nodes still
/// COMPLETING (epilog not done) and gave s15 and big3 a start at now + 1 s
/// on n1-n2 and n3-n4 (`_attempt_backfill`'s cg_node_bitmap test), which
/// kept the small jobs off; the main scheduler started both 0.74 s after
/// the completions. Here the main scheduler runs at the instant a job ends,
/// so big1 started at big2's end, 0.85 s before s17, s15 starts at big1's
/// end and the cycle before s17's end fills n3-n4 with small jobs (big3:
/// 230 s instead of 201 s). Modelling the main scheduler's delay after a
/// completion (0.03 to 0.78 s in the logs) and COMPLETING nodes would close
/// this.
#[test]
fn shared_nodes_multifactor() {
    check("shared-multifactor", [22, 27, 12]);
}

/// 32 nodes x 1 GPU, priority/basic: 34, 11 and 12 of 34.
#[test]
fn one_gpu_nodes_fifo() {
    check("onegpu-fifo", [34, 11, 12]);
}

/// 32 nodes x 1 GPU, priority/multifactor (job size, as above): 34, 13 and
/// 17 of 34.
#[test]
fn one_gpu_nodes_multifactor() {
    check("onegpu-multifactor", [34, 13, 17]);
}

/// The target: over the four variants, at least 90% of jobs start
/// within 3 s of the real slurmctld in the Slurm mode (124 of 136).
#[test]
fn the_slurm_mode_starts_nine_jobs_in_ten_within_3_s() {
    let (hits, jobs) = VARIANTS
        .iter()
        .map(|v| within(v, "Slurm"))
        .fold((0, 0), |(h, j), (h2, j2)| (h + h2, j + j2));
    assert!(hits * 10 >= jobs * 9, "{hits}/{jobs} within 3 s");
}
