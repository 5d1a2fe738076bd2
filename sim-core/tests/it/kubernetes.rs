//! Kubernetes queues end to end: Kueue's admission (and Volcano's
//! proportion) driving the scheduler on small clusters, with start times
//! computed by hand from the behaviour the projects' documentation
//! describes (each test cites the page).

use crate::support::simulate;
use sim_core::scenario::load_str;
use sim_core::simulation::{RunResult, run};

fn run_text(text: &str) -> RunResult {
    let loaded = load_str("k8s.ron", text, &[]).unwrap_or_else(|e| panic!("{e}"));
    run(&loaded.scenario, &mut (), &mut |_| {})
}

/// (start, end) of every job in submission order, in seconds.
fn schedule(r: &RunResult) -> Vec<(u64, u64)> {
    let s = |t: Option<sim_core::engine::SimTime>| t.expect("ran").as_ns() / 1_000_000_000;
    r.jobs.iter().map(|j| (s(j.start), s(j.end))).collect()
}

/// The expected (start, end) of jobs listed by name, in the same order
/// (names only for the reader).
fn named(list: &[(&str, u64, u64)]) -> Vec<(u64, u64)> {
    list.iter().map(|&(_, a, b)| (a, b)).collect()
}

/// Borrowing and reclaim in a cohort
/// (<https://kueue.sigs.k8s.io/docs/concepts/cluster_queue/#cohort>,
/// <https://kueue.sigs.k8s.io/docs/concepts/preemption/>): team A borrows
/// B's idle quota; B reclaims it with `reclaimWithinCohort: Any`, A's most
/// recently admitted workloads are evicted, requeued at once and admitted
/// again when B's job ends. The bundled scenario's comment derives the
/// times.
#[test]
fn kueue_borrows_idle_quota_and_reclaims_it() {
    let r = simulate("scenarios/kubernetes/kueue-borrow-reclaim.ron", &[]);
    let h = 3600;
    assert_eq!(
        schedule(&r),
        named(&[
            ("a1", 0, 4 * h),
            ("a2", 0, 4 * h),
            ("a3", 2 * h, 6 * h),
            ("a4", 2 * h, 6 * h),
            ("b1", h, 2 * h),
        ])
    );
    assert_eq!(r.summary.scheduling.preemptions, 2);
    // Without reclaim, B waits for free GPUs within its quota.
    let r = simulate(
        "scenarios/kubernetes/kueue-borrow-reclaim.ron",
        &["scheduler.kueue.cluster_queues[1].preemption=None"],
    );
    assert_eq!(
        schedule(&r),
        named(&[
            ("a1", 0, 4 * h),
            ("a2", 0, 4 * h),
            ("a3", 600, 4 * h + 600),
            ("a4", 600, 4 * h + 600),
            ("b1", 4 * h, 5 * h),
        ])
    );
    assert_eq!(r.summary.scheduling.preemptions, 0);
}

/// A lending limit caps what the cohort may borrow
/// (<https://kueue.sigs.k8s.io/docs/concepts/cluster_queue/#lendinglimit>):
/// B (nominal 8) lends at most 4, so A (nominal 8) runs at most 12 GPUs
/// even with B idle: of A's four 4-GPU jobs, three run at once and the
/// fourth waits for the first to end. A borrowing limit of 2 on A (B
/// lending everything) admits only two jobs (8 + 2 < 12).
#[test]
fn kueue_lending_and_borrowing_limits_cap_a_queue() {
    let text = |a_limit: &str, b_limit: &str| {
        format!(
            r#"(name: "limits", seed: 1,
            cluster: (node_groups: [(name: "dgx", count: 2, node_model: "DGX-H100")]),
            scheduler: (kueue: Some((
                flavors: [(name: "h100")],
                cluster_queues: [
                    (name: "a", cohort: Some("c"), flavors: [(flavor: "h100", nominal_quota: 8{a_limit})]),
                    (name: "b", cohort: Some("c"), flavors: [(flavor: "h100", nominal_quota: 8{b_limit})]),
                ],
                local_queues: [(name: "a", cluster_queue: "a"), (name: "b", cluster_queue: "b")],
            ))),
            workload: (jobs: [
                (name: "j1", queue: Some("a"), submit: "0s", request: Gpus(4), runtime: "1h"),
                (name: "j2", queue: Some("a"), submit: "1s", request: Gpus(4), runtime: "1h"),
                (name: "j3", queue: Some("a"), submit: "2s", request: Gpus(4), runtime: "1h"),
                (name: "j4", queue: Some("a"), submit: "3s", request: Gpus(4), runtime: "1h"),
            ]),
        )"#
        )
    };
    let h = 3600;
    let r = run_text(&text("", ", lending_limit: Some(4)"));
    assert_eq!(
        schedule(&r),
        named(&[
            ("j1", 0, h),
            ("j2", 1, h + 1),
            ("j3", 2, h + 2),
            ("j4", h, 2 * h)
        ])
    );
    let r = run_text(&text(", borrowing_limit: Some(2)", ""));
    assert_eq!(
        schedule(&r),
        named(&[
            ("j1", 0, h),
            ("j2", 1, h + 1),
            ("j3", h, 2 * h),
            ("j4", h + 1, 2 * h + 1)
        ])
    );
}

/// Jobs name an unknown local queue: refused at the job's field with a
/// did-you-mean.
#[test]
fn an_unknown_local_queue_is_refused_at_the_job() {
    let err = match load_str(
        "q.ron",
        r#"(name: "q", seed: 1,
            cluster: (node_groups: [(name: "dgx", count: 1, node_model: "DGX-H100")]),
            scheduler: (kueue: Some((flavors: [(name: "h100")],
                cluster_queues: [(name: "a", flavors: [(flavor: "h100", nominal_quota: 8)])],
                local_queues: [(name: "team-a", cluster_queue: "a")]))),
            workload: (jobs: [(queue: Some("team-b"), submit: "0s", request: Gpus(1), runtime: "1h")]),
        )"#,
        &[],
    ) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("q.ron:6:"), "{err}");
    assert!(
        err.contains("unknown local queue `team-b`") && err.contains("team-a"),
        "{err}"
    );
}

/// Volcano's proportion plugin (<https://volcano.sh/en/docs/queue/>,
/// pkg/scheduler/plugins/proportion): weights 1:2:3 on 12 GPUs give
/// deserved shares 2/4/6, and a queue that asks for nothing gives its
/// share to the others. The bundled scenario's comment derives the times
/// (sessions every second: the first at 1 s).
#[test]
fn volcano_queues_share_the_cluster_by_weight() {
    let r = simulate("scenarios/kubernetes/volcano-proportion.ron", &[]);
    let starts = |queue: usize| {
        let mut s: Vec<u64> = r.jobs[queue * 12..(queue + 1) * 12]
            .iter()
            .map(|j| j.start.expect("ran").as_ns() / 1_000_000_000)
            .collect();
        s.sort_unstable();
        s
    };
    let at = |counts: &[(usize, u64)]| -> Vec<u64> {
        counts
            .iter()
            .flat_map(|&(n, t)| std::iter::repeat_n(t, n))
            .collect()
    };
    assert_eq!(starts(0), at(&[(2, 1), (2, 3601), (8, 7201)]));
    assert_eq!(starts(1), at(&[(4, 1), (4, 3601), (4, 7201)]));
    assert_eq!(starts(2), at(&[(6, 1), (6, 3601)]));
}

/// Volcano's reclaim action (pkg/scheduler/actions/reclaim): queue A
/// (weight 1) holds all 12 GPUs with three 4-GPU jobs; at 1 h queue B
/// (weight 1) asks for 4. Deserved: B 4, A 8 (water-filled), so A is
/// overused by 4: its newest job (job 3; all of A's were created at 0, the
/// highest id is the newest) is evicted at the 3,601 s session and B's job
/// starts at the next, 3,602 s; job 3, requeued, waits (A is at its
/// deserved 8) until B's job ends at 7,202 s. With reclaim off (Volcano's
/// default actions), B waits until 4 h for A's jobs to end.
#[test]
fn volcano_reclaims_an_overused_queues_newest_job() {
    let text = |reclaim: bool| {
        format!(
            r#"(name: "reclaim", seed: 1,
            cluster: (node_groups: [(name: "n", count: 3, node_model: "DGX-H100", gpus_per_node: Some(4))]),
            scheduler: (volcano: Some((queues: [(name: "a"), (name: "b")], reclaim: Some({reclaim})))),
            workload: (jobs: [
                (queue: Some("a"), submit: "0s", request: Gpus(4), runtime: "4h"),
                (queue: Some("a"), submit: "0s", request: Gpus(4), runtime: "4h"),
                (queue: Some("a"), submit: "0s", request: Gpus(4), runtime: "4h"),
                (queue: Some("b"), submit: "1h", request: Gpus(4), runtime: "1h"),
            ]),
        )"#
        )
    };
    let r = run_text(&text(true));
    assert_eq!(
        schedule(&r),
        [(1, 14401), (1, 14401), (7202, 7202 + 14400), (3602, 7202)]
    );
    assert_eq!(r.summary.scheduling.preemptions, 1);
    let r = run_text(&text(false));
    assert_eq!(
        schedule(&r),
        [(1, 14401), (1, 14401), (1, 14401), (14401, 18001)]
    );
    assert_eq!(r.summary.scheduling.preemptions, 0);
}
