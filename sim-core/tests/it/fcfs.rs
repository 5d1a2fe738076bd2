//! Small hand-computed FCFS cases: ordering, gang starts, head-of-line
//! blocking, and the summary figures against arithmetic done by hand.

use sim_core::metrics::JobState;
use sim_core::scenario::load_str;
use sim_core::simulation::{RunResult, run};

/// Two 8-GPU nodes and the given job lines.
fn scenario(jobs: &str) -> String {
    format!(
        r#"(
    name: "hand",
    seed: 1,
    cluster: (node_groups: [(name: "n", count: 2, node_model: "DGX-H100")]),
    workload: (jobs: [{jobs}]),
    // Strict FCFS (Slurm's sched/builtin); the default would backfill.
    scheduler: (backfill: None),
    outputs: (timeseries_interval: "1h"),
)"#
    )
}

fn simulate(jobs: &str) -> RunResult {
    let loaded = load_str("hand.ron", &scenario(jobs), &[]).unwrap_or_else(|e| panic!("{e}"));
    run(&loaded.scenario, &mut (), &mut |_| {})
}

fn starts_s(r: &RunResult) -> Vec<f64> {
    r.jobs
        .iter()
        .map(|j| j.start.unwrap().as_secs_f64())
        .collect()
}

#[test]
fn head_of_line_blocking_is_strict() {
    // t=0: A takes 12 GPUs (spread over both nodes) for 1h.
    // t=1: B wants 2 whole nodes: blocked until A ends at 3600.
    // t=2: C wants 1 GPU, which is free now, but FCFS makes it wait for B
    //      to start (3600); then only 0 GPUs are free until B ends at 7200.
    let r = simulate(
        r#"
        (name: "A", submit: "0s", request: Gpus(12), runtime: "1h"),
        (name: "B", submit: "1s", request: Nodes(count: 2, gpus_per_node: 8), runtime: "1h"),
        (name: "C", submit: "2s", request: Gpus(1), runtime: "10m"),
    "#,
    );
    assert_eq!(starts_s(&r), [0.0, 3600.0, 7200.0]);
    assert_eq!(r.jobs[0].nodes, 2);
    // Waits: 0, 3599, 7198 -> mean 3599, median 3599, max 7198.
    let w = &r.summary.wait_s;
    assert_eq!(
        (w.mean, w.median, w.max),
        (Some(3599.0), Some(3599.0), Some(7198.0))
    );
    // p95 by linear interpolation: 3599 + 0.9 * (7198 - 3599) = 6838.1.
    assert!((w.p95.unwrap() - 6838.1).abs() < 1e-9);
    // Makespan 0..7800; busy GPU-seconds 12*3600 + 16*3600 + 1*600 = 101,400
    // over 16 * 7800 = 124,800 -> 0.8125.
    assert_eq!(r.summary.makespan_s, 7800.0);
    assert!((r.summary.gpu_utilization - 101_400.0 / 124_800.0).abs() < 1e-12);
    // Bounded slowdowns: A 1, B (3599+3600)/3600, C (7198+600)/600.
    let expected = (1.0 + 7199.0 / 3600.0 + 7798.0 / 600.0) / 3.0;
    assert!((r.summary.bounded_slowdown_mean.unwrap() - expected).abs() < 1e-12);
    // 3 jobs in 7800 s.
    assert!((r.summary.throughput_jobs_per_hour - 3.0 / (7800.0 / 3600.0)).abs() < 1e-12);
}

#[test]
fn simultaneous_submissions_keep_file_order_and_see_the_same_completions() {
    // A ends at 100 s, exactly when B and C arrive. Completions and arrivals
    // of one instant are all handled before the single scheduling pass, so
    // B (first in the file) takes the freed node and C the other.
    let r = simulate(
        r#"
        (name: "A", submit: "0s", request: Nodes(count: 2, gpus_per_node: 8), runtime: "100s"),
        (name: "B", submit: "100s", request: Nodes(count: 1, gpus_per_node: 8), runtime: "50s"),
        (name: "C", submit: "100s", request: Nodes(count: 1, gpus_per_node: 8), runtime: "50s"),
    "#,
    );
    assert_eq!(starts_s(&r), [0.0, 100.0, 100.0]);
    assert_eq!(r.jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn jobs_are_submitted_in_time_order_whatever_the_file_order() {
    let r = simulate(
        r#"
        (name: "late", submit: "1h", request: Gpus(1), runtime: "1m"),
        (name: "early", submit: "0s", request: Gpus(1), runtime: "1m"),
    "#,
    );
    assert_eq!(r.jobs[0].job.submit.as_secs_f64(), 0.0);
    assert_eq!(r.jobs[1].job.submit.as_secs_f64(), 3600.0);
}

#[test]
fn gang_start_needs_every_node_at_once() {
    // Two 1-node jobs end at different times; a 2-node job waits for both.
    let r = simulate(
        r#"
        (name: "short", submit: "0s", request: Gpus(8), runtime: "10m"),
        (name: "long", submit: "0s", request: Gpus(8), runtime: "30m"),
        (name: "gang", submit: "1s", request: Nodes(count: 2, gpus_per_node: 4), runtime: "5m"),
    "#,
    );
    assert_eq!(starts_s(&r), [0.0, 0.0, 1800.0]);
    assert!(r.jobs.iter().all(|j| j.state == JobState::Completed));
}

#[test]
fn a_killed_job_frees_its_gpus_at_the_limit() {
    let r = simulate(
        r#"
        (name: "overrun", submit: "0s", request: Nodes(count: 2, gpus_per_node: 8), runtime: "2h", time_limit: "1h"),
        (name: "next", submit: "0s", request: Gpus(16), runtime: "1m"),
    "#,
    );
    assert_eq!(r.jobs[0].state, JobState::Timeout);
    assert_eq!(r.jobs[0].end.unwrap().as_secs_f64(), 3600.0);
    assert_eq!(starts_s(&r)[1], 3600.0);
    assert_eq!(r.summary.jobs.killed, 1);
}
