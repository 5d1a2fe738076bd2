//! `backfill: Slurm` against hand-computed cases, one per way slurmctld
//! 22.05's backfill departs from the literature's conservative backfilling.
//! How it does against a real slurmctld's recorded start times is
//! `slurm_recorded`'s.
//!
//! Sources (Slurm 22.05.8): `src/plugins/sched/backfill/backfill.c`
//! (`_attempt_backfill`, `_add_reservation`, `node_space_map_t`),
//! `src/plugins/select/cons_common/job_test.c` (`_will_run_test`),
//! `src/plugins/select/cons_tres/job_test.c` (`_eval_nodes`),
//! `src/slurmctld/controller.c` (`_slurmctld_background`).

use sim_core::scenario::load_str;
use sim_core::simulation::{RunResult, run};

/// `nodes` nodes of `gpus` GPUs, Slurm's defaults otherwise, and the job
/// lines, with `backfill` set.
fn simulate(nodes: u32, gpus: u32, backfill: &str, jobs: &str) -> RunResult {
    let text = format!(
        r#"(
    name: "hand",
    seed: 1,
    cluster: (node_groups: [(name: "n", count: {nodes}, node_model: "DGX-H100", gpus_per_node: {gpus})]),
    workload: (jobs: [{jobs}]),
    scheduler: (backfill: {backfill}),
    outputs: (timeseries_interval: "1h"),
)"#
    );
    let loaded = load_str("hand.ron", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
    run(&loaded.scenario, &mut (), &mut |_| {})
}

/// Start times in milliseconds, in file order.
fn starts_ms(r: &RunResult) -> Vec<u64> {
    (r.jobs.iter())
        .map(|j| j.start.expect("every job starts").as_ns() / 1_000_000)
        .collect()
}

#[test]
fn a_reservation_takes_whole_nodes_so_a_one_gpu_job_waits_on_a_shared_node() {
    // One 8-GPU node. A (6 GPUs, 10 min) runs; B (4 GPUs, 10 min) waits
    // for A; C (1 GPU, 60 min) fits in the 2 free GPUs now.
    let jobs = r#"
        (name: "A", submit: "0s", request: Gpus(6), runtime: "10m", time_limit: "10m"),
        (name: "B", submit: "0s", request: Gpus(4), runtime: "10m", time_limit: "10m"),
        (name: "C", submit: "0s", request: Gpus(1), runtime: "60m", time_limit: "60m"),
    "#;
    // Conservative counts GPUs: B is reserved 4 of the 8 GPUs from 600 s,
    // leaving 4, so C (1 GPU until 3630 s) delays nothing and starts at
    // the first backfill tick, 30 s.
    let classic = simulate(1, 8, "Conservative", jobs);
    assert_eq!(starts_ms(&classic), [0, 600_000, 30_000]);
    // Slurm (`_add_reservation`): B's reservation removes the whole node
    // over [600, 1200), so C has no usable node for [30, 3630] and is
    // tried again from the later start 1200 s (`TRY_LATER`), where it is
    // reserved. It starts when A ends and the main scheduler starts B and
    // then C. Passes fall at slurmctld's wake-ups, half a second past the
    // second: A starts at 0.5 s, ends at 600.55 s (plus the 50-ms launch).
    let slurm = simulate(1, 8, "Slurm", jobs);
    assert_eq!(starts_ms(&slurm), [500, 600_550, 600_550]);
}

#[test]
fn the_batched_expected_start_decides_which_nodes_are_pinned_and_who_backfills() {
    // Three one-GPU nodes. R1 and R2 (1 GPU, 2 min) end at 121 s and
    // 161 s (Slurm plans in whole seconds from their starts at 1.5 and
    // 41.5 s). H wants 2 nodes; F (1 GPU, 60 min) could use the third.
    let jobs = r#"
        (name: "R1", submit: "1s", request: Gpus(1), runtime: "2m", time_limit: "2m"),
        (name: "R2", submit: "41s", request: Gpus(1), runtime: "2m", time_limit: "2m"),
        (name: "H", submit: "50s", request: Nodes(count: 2, gpus_per_node: 1), runtime: "10m", time_limit: "10m"),
        (name: "F", submit: "50s", request: Gpus(1), runtime: "60m", time_limit: "60m"),
    "#;
    // Conservative: H is reserved at 121 s, the exact instant two GPUs
    // are free (R1's node and the idle one), so F, which would hold the
    // idle GPU past 121 s, waits; H starts at 121 s on those two nodes
    // and F at R2's end.
    let classic = simulate(3, 1, "Conservative", jobs);
    assert_eq!(starts_ms(&classic), [1_000, 41_000, 121_000, 161_000]);
    // Slurm (`_will_run_test`): at the 60.5-s cycle the first batch runs
    // from R1's end 121 s to the next 30-s boundary (150 s) plus 30 s,
    // so R2 (161 s) is freed with it and H's expected start is the end
    // of the batch's last job, 161 s. With all three nodes free then,
    // `_eval_nodes` picks the first two of the one block, n0 and n1, and
    // the reservation pins them: F backfills on n2 at once. H starts when
    // R2 ends (161.55 s). With the exact start (121 s) the free nodes
    // would have been n0 and n2, and F would have waited.
    let slurm = simulate(3, 1, "Slurm", jobs);
    assert_eq!(starts_ms(&slurm), [1_500, 41_500, 161_550, 60_500]);
    assert!(slurm.jobs[3].backfilled);
}

#[test]
fn a_submission_is_seen_at_the_next_wake_up_and_a_job_end_at_once() {
    // An idle node: a job submitted at 10 s starts at slurmctld's next
    // wake-up, 10.5 s (`_slurmctld_background`). Behind a 4-GPU job the
    // next one starts the instant the first ends (the main scheduler runs
    // on the job's completion), 10.5 + 60 + 0.05 s.
    let r = simulate(
        1,
        8,
        "Slurm",
        r#"
        (name: "a", submit: "10s", request: Gpus(8), runtime: "60s", time_limit: "1m"),
        (name: "b", submit: "11s", request: Gpus(8), runtime: "60s", time_limit: "1m"),
    "#,
    );
    assert_eq!(starts_ms(&r), [10_500, 70_550]);
}
