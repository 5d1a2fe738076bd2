//! Where clustersim's scheduler follows Slurm's semantics rather than a
//! simpler reading of them (issue 12, item 3). Each test is a small
//! scenario whose outcome was worked out by hand from the Slurm source or
//! documentation cited beside it. The Slurm source read is the
//! `slurm-22-05-8-1` tag of SchedMD/slurm (22.05.8, Debian's slurmctld);
//! where newer code (26.11 on master) differs, the test says so.

use sim_core::engine::SimTime;
use sim_core::metrics::{JobState, StopReason, write_jobs_csv};
use sim_core::scenario::{SetArg, load_str};
use sim_core::simulation::{RunResult, run};

const MIN: u64 = 60;
const HOUR: u64 = 3600;

/// Loads `text` (a whole scenario) with `--set` overrides and runs it.
fn run_str(name: &str, text: &str, overrides: &[&str]) -> RunResult {
    let overrides: Vec<SetArg> = overrides.iter().map(|s| SetArg::set(*s)).collect();
    let loaded = load_str(name, text, &overrides).unwrap_or_else(|e| panic!("{name}: {e}"));
    run(&loaded.scenario, &mut (), &mut |_| {})
}

fn secs(t: Option<SimTime>) -> Option<u64> {
    t.map(|t| t.as_ns() / 1_000_000_000)
}

/// Three 8-GPU nodes. A 1-node and a 2-node job of QOS `low` fill them
/// (the 2-node one started last); at 1h a 1-node job of QOS `high`
/// arrives and must preempt one of them.
const SMALLEST_VICTIM: &str = r#"Scenario(
    name: "smallest-victim",
    seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 3, node_model: "DGX-H100")]),
    workload: (jobs: [
        (name: "small", user: "ann", account: "lab", qos: "low", submit: "0s",
         request: Nodes(count: 1, gpus_per_node: 8), runtime: "4h", time_limit: "5h"),
        (name: "big", user: "ann", account: "lab", qos: "low", submit: "10m",
         request: Nodes(count: 2, gpus_per_node: 8), runtime: "4h", time_limit: "5h"),
        (name: "urgent", user: "bo", account: "lab", qos: "high", submit: "1h",
         request: Nodes(count: 1, gpus_per_node: 8), runtime: "1h", time_limit: "1h"),
    ]),
    scheduler: (
        order: Multifactor,
        priority: (weight_qos: 10000),
        qos: [(name: "low"), (name: "high", priority: 100, preempt: ["low"])],
        preempt_type: Qos,
        preempt_mode: Requeue,
    ),
)"#;

/// Slurm orders preemption candidates by `_gen_job_prio()`: the QOS
/// priority in the high 16 bits, the job's node count in the low 16, "so
/// we can preempt smaller jobs rather than larger jobs"
/// (src/plugins/preempt/qos/preempt_qos.c, `_gen_job_prio`; the same with
/// the partition's PriorityTier in
/// src/plugins/preempt/partition_prio/preempt_partition_prio.c), sorted
/// ascending by `_sort_by_prio()` in `slurm_find_preemptable_jobs()`
/// (src/slurmctld/preempt.c). The select plugin then removes candidates in
/// that order until the job fits (`_run_now()` in
/// src/plugins/select/cons_common/job_test.c) and preempts only those
/// whose nodes the job's allocation uses (`job_overlap_and_running`).
///
/// So the 1-node `small` is the victim, not the more recently started
/// 2-node `big`: 8 GPUs x 1h = 8 GPU-hours lost instead of 16 x 50m =
/// 13.33, and no node left idle (urgent takes small's node; big keeps
/// running).
#[test]
fn preemption_takes_the_smallest_victim_first() {
    let result = run_str("smallest-victim.ron", SMALLEST_VICTIM, &[]);
    let [small, big, urgent] = &result.jobs[..] else {
        panic!("three jobs")
    };
    assert_eq!(result.summary.scheduling.preemptions, 1);
    assert_eq!(small.requeues, 1, "the 1-node job is the victim");
    assert_eq!(big.requeues, 0, "the 2-node job keeps running");
    assert_eq!(small.lost_gpu_ns, 8 * u128::from(HOUR) * 1_000_000_000);
    assert!((result.summary.scheduling.lost_gpu_hours - 8.0).abs() < 1e-9);
    // urgent runs 1h..2h on small's node; big runs 10m..4h10m; small
    // restarts when urgent ends, at 2h, and ends at 6h.
    assert_eq!(secs(urgent.start), Some(HOUR));
    assert_eq!(secs(big.start), Some(10 * MIN));
    assert_eq!(secs(big.end), Some(4 * HOUR + 10 * MIN));
    assert_eq!(secs(small.start), Some(2 * HOUR));
    assert_eq!(secs(small.end), Some(6 * HOUR));
    assert!(result.jobs.iter().all(|j| j.state == JobState::Completed));
}

/// One 8-GPU node. `low` (1h of work, limit 2h) runs from 0; at 55m
/// `urgent` (QOS `high`) preempts it with the low QOS's GraceTime of 10m,
/// but `low` finishes its work at 1h, inside the grace time.
const ENDS_IN_GRACE: &str = r#"Scenario(
    name: "ends-in-grace",
    seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 1, node_model: "DGX-H100")]),
    workload: (jobs: [
        (name: "low", user: "ann", account: "lab", qos: "low", submit: "0s",
         request: Nodes(count: 1, gpus_per_node: 8), runtime: "1h", time_limit: "2h"),
        (name: "urgent", user: "bo", account: "lab", qos: "high", submit: "55m",
         request: Nodes(count: 1, gpus_per_node: 8), runtime: "1h", time_limit: "1h"),
    ]),
    scheduler: (
        order: Multifactor,
        priority: (weight_qos: 10000),
        qos: [(name: "low", grace_time: "10m"), (name: "high", priority: 100, preempt: ["low"])],
        preempt_type: Qos,
        preempt_mode: Requeue,
    ),
)"#;

/// preempt.html, GraceTime: "A job selected for preemption that exits
/// before GraceTime expires will be handled according to PreemptMode
/// regardless of why it exited (most visible if PreemptMode=REQUEUE)".
/// In the source (since Slurm 24.05, commit a689104d "Treat jobs
/// completing after being signalled for GraceTime as preempted"):
/// `_job_check_grace_internal()` (src/interfaces/preempt.c) flags the job
/// `GRACE_PREEMPT` when it signals it; `_slurm_rpc_complete_batch_script()`
/// (src/slurmctld/proc_req.c) then turns its completion into a requeue
/// under PreemptMode=REQUEUE, and `_job_complete()`
/// (src/slurmctld/job_mgr.c) logs it PREEMPTED, increments `restart_cnt`
/// and makes it PENDING again; under CANCEL `_job_complete()` ends it in
/// state PREEMPTED. (Slurm 22.05.8, without that commit, ended such a job
/// COMPLETED; its preempt.html still said GraceTime applied to CANCEL
/// only, though `slurm_job_preempt()` applied it to REQUEUE as well.)
///
/// REQUEUE: `low` is requeued at 1h with its hour of work lost (8 GPU-h),
/// `urgent` starts at 1h and ends at 2h, `low` runs again 2h..3h.
#[test]
fn a_victim_that_ends_inside_its_grace_time_is_requeued() {
    let result = run_str("ends-in-grace.ron", ENDS_IN_GRACE, &[]);
    let [low, urgent] = &result.jobs[..] else {
        panic!("two jobs")
    };
    assert_eq!(result.summary.scheduling.preemptions, 1);
    assert_eq!(result.summary.scheduling.requeues, 1, "low is requeued");
    assert_eq!(low.requeues, 1);
    assert!((result.summary.scheduling.lost_gpu_hours - 8.0).abs() < 1e-9);
    assert_eq!(secs(urgent.start), Some(HOUR));
    assert_eq!(
        (secs(low.start), secs(low.end)),
        (Some(2 * HOUR), Some(3 * HOUR))
    );
    assert!(result.jobs.iter().all(|j| j.state == JobState::Completed));
}

/// The same under PreemptMode=CANCEL: `low` ends PREEMPTED at 1h, not
/// COMPLETED (`_job_complete()`, `GRACE_PREEMPT`: "job_state_set(job_ptr,
/// (JOB_PREEMPTED | job_comp_flag))").
#[test]
fn a_victim_that_ends_inside_its_grace_time_is_cancelled_as_preempted() {
    let result = run_str(
        "ends-in-grace.ron",
        ENDS_IN_GRACE,
        &["scheduler.preempt_mode=Cancel"],
    );
    let [low, urgent] = &result.jobs[..] else {
        panic!("two jobs")
    };
    assert_eq!(low.state, JobState::Preempted);
    assert_eq!(secs(low.end), Some(HOUR));
    assert_eq!(result.summary.scheduling.requeues, 0);
    assert_eq!(result.summary.jobs.preempted, 1);
    assert_eq!(secs(urgent.start), Some(HOUR));
    assert_eq!(urgent.state, JobState::Completed);
}

/// A victim whose time limit falls inside its grace time is stopped then
/// as a preempted job, not TIMEOUT: `_job_check_grace_internal()` sets
/// `end_time = MIN(end_time, preempt_time + grace_time)`, and
/// `job_time_limit()` (src/slurmctld/job_mgr.c) calls `slurm_job_preempt()`
/// for a job with `preempt_time` set once that end time is reached.
#[test]
fn a_victim_whose_limit_falls_inside_its_grace_time_is_preempted_not_timed_out() {
    // low's limit is 1h (its work would take 2h): killed at 1h, inside
    // the grace time that started at 55m.
    let text = ENDS_IN_GRACE.replace(
        r#"runtime: "1h", time_limit: "2h""#,
        r#"runtime: "2h", time_limit: "1h""#,
    );
    let result = run_str(
        "limit-in-grace.ron",
        &text,
        &["scheduler.preempt_mode=Cancel"],
    );
    assert_eq!(result.jobs[0].state, JobState::Preempted);
    assert_eq!(secs(result.jobs[0].end), Some(HOUR));
}

/// One 8-GPU node. `low` runs from 0; at 1h `urgent` (QOS `high`, 1m of
/// work) preempts it with no grace time, and `low` is requeued; `waiting`
/// (QOS `low`, submitted at 30m) has been queued behind `low` since.
const REQUEUE: &str = r#"Scenario(
    name: "requeue",
    seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 1, node_model: "DGX-H100")]),
    workload: (jobs: [
        (name: "low", user: "ann", account: "lab", qos: "low", submit: "0s",
         request: Nodes(count: 1, gpus_per_node: 8), runtime: "2h", time_limit: "3h"),
        (name: "waiting", user: "cy", account: "lab", qos: "low", submit: "30m",
         request: Nodes(count: 1, gpus_per_node: 8), runtime: "1h", time_limit: "1h"),
        (name: "urgent", user: "bo", account: "lab", qos: "high", submit: "1h",
         request: Nodes(count: 1, gpus_per_node: 8), runtime: "URGENT", time_limit: "1h"),
    ]),
    scheduler: (
        order: Multifactor,
        priority: (weight_qos: 10000, weight_age: 1000),
        qos: [(name: "low"), (name: "high", priority: 100, preempt: ["low"])],
        preempt_type: Qos,
        preempt_mode: Requeue,
    ),
)"#;

/// A requeued batch job is not eligible again at once:
/// `batch_requeue_fini()` (src/slurmctld/job_mgr.c) sets its begin time to
/// `now + cred_lifetime + 1`, the job credential's expiry window (`AuthInfo
/// cred_expire`, default 120 s: `DEFAULT_EXPIRATION_WINDOW` in
/// src/common/slurm_cred.c, 22.05.8; the comment beside the call says 1200,
/// the code reads 120), so that the revoked credential has expired on the
/// nodes. Slurm 26.05 adds `SchedulerParameters=requeue_delay` with the
/// same default. `low`, requeued at 1h, can start again at 1h + 121 s,
/// not when `urgent` ends at 1h01m.
#[test]
fn a_requeued_job_waits_for_its_new_begin_time() {
    let text = REQUEUE.replace("URGENT", "1m");
    let result = run_str("requeue.ron", &text, &[]);
    let [low, waiting, urgent] = &result.jobs[..] else {
        panic!("three jobs")
    };
    assert_eq!(low.requeues, 1);
    assert_eq!(
        (secs(urgent.start), secs(urgent.end)),
        (Some(HOUR), Some(HOUR + MIN))
    );
    // `waiting` is eligible and next in line at 1h01m: it takes the node.
    assert_eq!(secs(waiting.start), Some(HOUR + MIN));
    assert_eq!(secs(low.start), Some(2 * HOUR + MIN));
    let text = REQUEUE
        .replace("URGENT", "1m")
        .replace(r#"submit: "30m""#, r#"submit: "5h""#);
    let result = run_str("requeue.ron", &text, &[]);
    // Alone in the queue, `low` starts at its begin time, 1h + 121 s.
    assert_eq!(secs(result.jobs[0].start), Some(HOUR + 121));
}

/// The age factor counts from the job's `accrue_time`
/// (`_get_priority_factors()` in
/// src/plugins/priority/multifactor/priority_multifactor.c), which
/// `batch_requeue_fini()` clears at a requeue and
/// `acct_policy_handle_accrue_time()` (src/slurmctld/acct_policy.c) sets
/// again to the new begin time (without `AccountingStorageEnforce=limits`).
/// At 2h, when `urgent` ends: `waiting` has aged 1h30m (factor 1000 x
/// 1.5/168 = 8.9), `low` only since 1h + 121 s (5.7), where counting from
/// its first submission it would have 2h (11.9) and go first.
#[test]
fn a_requeued_job_ages_from_its_new_begin_time() {
    let text = REQUEUE.replace("URGENT", "1h");
    let result = run_str("requeue.ron", &text, &[]);
    let [low, waiting, urgent] = &result.jobs[..] else {
        panic!("three jobs")
    };
    assert_eq!(secs(urgent.end), Some(2 * HOUR));
    assert_eq!(
        secs(waiting.start),
        Some(2 * HOUR),
        "waiting has aged longer"
    );
    assert_eq!(secs(low.start), Some(3 * HOUR));
}

/// Two 8-GPU nodes in one partition with MaxTime 1h; `short` asks for 30m,
/// `long` for 2h.
const OVER_MAX_TIME: &str = r#"Scenario(
    name: "over-max-time",
    seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 2, node_model: "DGX-H100")]),
    workload: (jobs: [
        (name: "short", submit: "0s", request: Gpus(8), runtime: "20m", time_limit: "30m"),
        (name: "long", submit: "0s", request: Gpus(8), runtime: "1h", time_limit: "2h"),
    ]),
    scheduler: (partitions: [(name: "gpu", nodes: ["dgx"], max_time: "1h")]),
)"#;

/// slurm.conf(5), EnforcePartLimits: "If set to "NO" then the job will be
/// accepted and remain queued until the partition limits are altered (Time
/// and Node Limits). [...] The default value is "NO"." The reason Slurm
/// gives is `WAIT_PART_TIME_LIMIT`, "PartitionTimeLimit" (set in
/// `job_limits_check()`, src/slurmctld/job_mgr.c; spelled in
/// `job_reason_string()`, src/common/slurm_protocol_defs.c). With ANY or
/// ALL the job "will be rejected at submission time".
#[test]
fn a_job_over_max_time_waits_with_reason_partition_time_limit_by_default() {
    let loaded = load_str("over-max-time.ron", OVER_MAX_TIME, &[]).unwrap();
    let result = run(&loaded.scenario, &mut (), &mut |_| {});
    let [short, long] = &result.jobs[..] else {
        panic!("two jobs")
    };
    assert_eq!(short.state, JobState::Completed);
    assert_eq!(long.state, JobState::Pending);
    assert_eq!(long.reason.map(|r| r.as_str()), Some("PartitionTimeLimit"));
    assert_eq!(short.reason, None);
    let jobs = &result.summary.jobs;
    assert_eq!((jobs.pending_at_end, jobs.refused), (1, 0));
    assert_eq!(
        serde_json::to_value(jobs).unwrap()["pending_reasons"],
        serde_json::json!({"PartitionTimeLimit": 1})
    );
    // Nothing else can happen: the run is over, not deadlocked.
    assert_eq!(result.stop_reason, StopReason::AllWorkDone);
    let mut csv = Vec::new();
    write_jobs_csv(
        &mut csv,
        &result.jobs,
        &loaded.scenario.workload.directory,
        Default::default(),
    )
    .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = header
        .iter()
        .position(|&c| c == "reason")
        .expect("a reason column");
    let cell = |row: usize| {
        csv.lines()
            .nth(row)
            .unwrap()
            .split(',')
            .nth(column)
            .unwrap()
            .to_string()
    };
    assert_eq!(
        (cell(1), cell(2)),
        (String::new(), "PartitionTimeLimit".to_string())
    );

    for enforce in ["All", "Any"] {
        let set = format!("scheduler.enforce_part_limits={enforce}");
        let result = run_str("over-max-time.ron", OVER_MAX_TIME, &[&set]);
        assert_eq!(result.jobs[1].state, JobState::Refused, "{enforce}");
        assert_eq!(result.summary.jobs.refused, 1);
    }
}

/// The same for MaxNodes: `ESLURM_INVALID_NODE_COUNT` from
/// `_part_access_check()` becomes `WAIT_PART_NODE_LIMIT`,
/// "PartitionNodeLimit" (`job_limits_check()`).
#[test]
fn a_job_over_max_nodes_waits_with_reason_partition_node_limit_by_default() {
    let text = OVER_MAX_TIME
        .replace(r#"max_time: "1h""#, "max_nodes: 1")
        .replace("Gpus(8), runtime: \"1h\"", "Gpus(16), runtime: \"1h\"");
    let result = run_str("over-max-nodes.ron", &text, &[]);
    assert_eq!(result.jobs[1].state, JobState::Pending);
    assert_eq!(
        result.jobs[1].reason.map(|r| r.as_str()),
        Some("PartitionNodeLimit")
    );
    let result = run_str(
        "over-max-nodes.ron",
        &text,
        &["scheduler.enforce_part_limits=All"],
    );
    assert_eq!(result.jobs[1].state, JobState::Refused);
}

/// What `validate` knows statically: an explicit job over its partition's
/// MaxTime waits forever (EnforcePartLimits=NO) or is refused at
/// submission (ANY, ALL); either way a warning at the job's time limit.
#[test]
fn validate_warns_of_a_job_over_its_partitions_limits() {
    let loaded = load_str("over-max-time.ron", OVER_MAX_TIME, &[]).unwrap();
    let warning = (loaded.warnings.iter())
        .find(|w| w.path.as_deref() == Some("workload.jobs[1].time_limit"))
        .unwrap_or_else(|| panic!("{:?}", loaded.warnings));
    assert!(warning.message.contains("PartitionTimeLimit"), "{warning}");
    // Reported at the job's `time_limit` in the file: line 7, where `long`
    // is.
    assert!(
        warning.position().starts_with("over-max-time.ron:7:"),
        "{warning}"
    );
    let loaded = load_str(
        "over-max-time.ron",
        OVER_MAX_TIME,
        &[SetArg::set("scheduler.enforce_part_limits=All")],
    )
    .unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.path.as_deref() == Some("workload.jobs[1].time_limit")
                && w.message.contains("refused")),
        "{:?}",
        loaded.warnings
    );
    // A trace gets one warning for all its jobs over a limit: with MaxTime
    // 30m on `gpu`, its 27 records there all ask for 1h or more, and one
    // (4111, cancelled before it started) is not replayed: 26 (the first,
    // 4100, asks for 1h).
    let loaded = sim_core::scenario::load_file(
        &crate::support::path("scenarios/traces/sacct-example.ron"),
        &[SetArg::set("scheduler.partitions[0].max_time=30m")],
    )
    .unwrap();
    let warning = (loaded.warnings.iter())
        .find(|w| w.path.as_deref() == Some("workload.trace"))
        .unwrap_or_else(|| panic!("{:?}", loaded.warnings));
    assert!(
        warning.message.starts_with("26 replayed job(s)"),
        "{warning}"
    );
    assert!(warning.message.contains("trace job 4100"), "{warning}");
}

/// Two 8-GPU nodes, EASY backfill at every pass. `a` holds one node for
/// 2h; `b` needs both from 1m (reserved at 2h); `c` asks for one node and
/// gives no time limit, its partition no DefaultTime.
const NO_TIME_LIMIT: &str = r#"Scenario(
    name: "no-time-limit",
    seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 2, node_model: "DGX-H100")]),
    workload: (jobs: [
        (name: "a", submit: "0s", request: Gpus(8), runtime: "2h", time_limit: "2h"),
        (name: "b", submit: "1m", request: Gpus(16), runtime: "1h", time_limit: "1h"),
        (name: "c", submit: "2m", request: Gpus(8), runtime: "30m"),
    ]),
    scheduler: (
        backfill: Easy, bf_interval: "0s", bf_resolution: "1s",
        partitions: [(name: "gpu", nodes: ["dgx"], max_time: "4h")],
    ),
)"#;

/// A job with no time limit in a partition with no DefaultTime gets the
/// partition's MaxTime: `select_nodes()` (src/slurmctld/node_scheduler.c:
/// "if (part_ptr->default_time != NO_VAL) job_ptr->time_limit =
/// part_ptr->default_time; else job_ptr->time_limit =
/// part_ptr->max_time"), and `_attempt_backfill()`
/// (src/plugins/sched/backfill/backfill.c) plans it as
/// `part_time_limit`, which is the MaxTime. Its true run time is not
/// known to Slurm: `c` (30m of work, 4h limit) would end after `b`'s
/// reservation at 2h and is not backfilled; it starts when `b` ends, at
/// 3h.
#[test]
fn a_job_without_a_time_limit_gets_its_partitions_max_time() {
    let result = run_str("no-time-limit.ron", NO_TIME_LIMIT, &[]);
    let [a, b, c] = &result.jobs[..] else {
        panic!("three jobs")
    };
    assert_eq!(c.job.time_limit.as_secs_f64(), (4 * HOUR) as f64);
    assert_eq!(secs(a.start), Some(0));
    assert_eq!(secs(b.start), Some(2 * HOUR));
    assert_eq!(
        secs(c.start),
        Some(3 * HOUR),
        "not backfilled on its run time"
    );
    assert!(!c.backfilled);
}

/// `--time=UNLIMITED` asks for an infinite limit (`time_str2mins()`,
/// src/common/parse_time.c, reads "UNLIMITED" and "INFINITE" as INFINITE),
/// which is over a partition's finite MaxTime: under EnforcePartLimits=NO
/// the job waits with PartitionTimeLimit (sbatch(1), --time: "If the
/// requested time limit exceeds the partition's time limit, the job will be
/// left in a PENDING state (possibly indefinitely)"). Without a MaxTime it
/// is planned for a year, as a job with no limit at all.
#[test]
fn a_job_time_limit_of_unlimited_is_over_a_finite_max_time() {
    let text = NO_TIME_LIMIT.replace(
        r#"request: Gpus(8), runtime: "30m")"#,
        r#"request: Gpus(8), runtime: "30m", time_limit: "UNLIMITED")"#,
    );
    assert_ne!(text, NO_TIME_LIMIT);
    let result = run_str("unlimited-time-limit.ron", &text, &[]);
    assert_eq!(result.jobs[2].start, None, "waits for good");
    assert_eq!(
        result.jobs[2].reason.map(|r| format!("{r:?}")).as_deref(),
        Some("PartitionTimeLimit")
    );
    let no_max = text.replace(r#", max_time: "4h""#, "");
    assert_ne!(no_max, text);
    let result = run_str("unlimited-no-max-time.ron", &no_max, &[]);
    assert_eq!(
        result.jobs[2].job.time_limit.as_secs_f64(),
        (365 * 24 * HOUR) as f64
    );
}

/// With MaxTime INFINITE too (Slurm's default), the limit is infinite:
/// `job_end_time_reset()` (src/slurmctld/job_mgr.c) expects such a job to
/// end "365 * 24 * 60 * 60" seconds after its start, and backfill plans it
/// as `YEAR_MINUTES` (`_attempt_backfill()`). Here the limit is one year.
#[test]
fn a_job_without_any_limit_is_planned_for_a_year() {
    let text = NO_TIME_LIMIT.replace(r#", max_time: "4h""#, "");
    let result = run_str("no-limit-at-all.ron", &text, &[]);
    assert_eq!(
        result.jobs[2].job.time_limit.as_secs_f64(),
        (365 * 24 * HOUR) as f64
    );
    assert_eq!(secs(result.jobs[2].start), Some(3 * HOUR));
}

/// Four 8-GPU nodes, multifactor priority on job size alone. `wide` (4
/// nodes x 5 GPUs = 20 GPUs) and `tall` (24 GPUs, at least 3 nodes) wait
/// behind a whole-cluster job; they cannot run together.
const JOB_SIZE: &str = r#"Scenario(
    name: "job-size",
    seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 4, node_model: "DGX-H100")]),
    workload: (jobs: [
        (name: "all", submit: "0s", request: Gpus(32), runtime: "1h", time_limit: "1h"),
        (name: "tall", submit: "1m", request: Gpus(24), runtime: "1h", time_limit: "1h"),
        (name: "wide", submit: "2m", request: Nodes(count: 4, gpus_per_node: 5),
         runtime: "1h", time_limit: "1h"),
    ]),
    scheduler: (order: Multifactor, priority: (weight_job_size: 10000)),
)"#;

/// Slurm's job size factor (`_get_priority_factors()` in
/// src/plugins/priority/multifactor/priority_multifactor.c, 22.05.8) is
/// the mean of a node term and a CPU term: `(min_nodes / node_count +
/// cpus / cluster_cpus) / 2` (GPUs for CPUs here). `wide`: (4/4 + 20/32)/2
/// = 0.8125; `tall`: (3/4 + 24/32)/2 = 0.75. So `wide` goes first, though
/// it asks for fewer GPUs and came later; GPUs alone (20/32 against
/// 24/32) would put `tall` first.
#[test]
fn the_job_size_factor_counts_nodes_and_gpus() {
    let result = run_str("job-size.ron", JOB_SIZE, &[]);
    let [_, tall, wide] = &result.jobs[..] else {
        panic!("three jobs")
    };
    assert_eq!(secs(wide.start), Some(HOUR), "wide has the larger factor");
    assert_eq!(secs(tall.start), Some(2 * HOUR));
}

/// jobs.csv as a table: the header and the rows, split at commas (no cell
/// of these scenarios holds one).
fn jobs_csv(result: &RunResult, directory: &sim_core::workload::Directory) -> Vec<Vec<String>> {
    let mut csv = Vec::new();
    write_jobs_csv(&mut csv, &result.jobs, directory, Default::default()).unwrap();
    (String::from_utf8(csv).unwrap().lines())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// A replayed job keeps the id its trace gave it (sacct's `JobID`, the
/// SWF job number), so a row of jobs.csv can be set against the log's
/// record: scenarios/traces/sacct-example.txt starts with jobs 4100,
/// 4101, 4102 (their `.batch` steps are not jobs). Jobs that come from no
/// trace have an empty cell.
#[test]
fn trace_replays_keep_the_trace_job_id() {
    let scenario = crate::support::load("scenarios/traces/sacct-example.ron", &[]);
    let result = run(&scenario, &mut (), &mut |_| {});
    let table = jobs_csv(&result, &scenario.workload.directory);
    let column = (table[0].iter())
        .position(|c| c == "trace_id")
        .expect("a trace_id column");
    let ids: Vec<&str> = table[1..4].iter().map(|r| r[column].as_str()).collect();
    assert_eq!(ids, ["4100", "4101", "4102"]);
    assert_eq!(result.jobs[0].job.trace_id, Some(4100));
    let loaded = load_str("over-max-time.ron", OVER_MAX_TIME, &[]).unwrap();
    let result = run(&loaded.scenario, &mut (), &mut |_| {});
    let table = jobs_csv(&result, &loaded.scenario.workload.directory);
    let column = table[0].iter().position(|c| c == "trace_id").unwrap();
    assert_eq!(table[1][column], "");
}

/// Slurm's default `SchedulerType` is `sched/backfill` (slurm.conf(5) of
/// 22.05.8, sched/backfill: "This is the default configuration."), so a
/// scenario that leaves `backfill` out backfills: `fcfs-vs-easy.ron` without its
/// explicit `backfill: None` starts its four small jobs ahead of the
/// blocked big one (before this fix the default was strict FCFS and none
/// was). Without gang scheduling (the default kube-scheduler) nothing is
/// reserved, so the default there stays no backfill.
#[test]
fn a_scenario_without_a_backfill_setting_backfills_as_slurm_does() {
    let text = std::fs::read_to_string(crate::support::path("scenarios/teaching/fcfs-vs-easy.ron"))
        .unwrap();
    let without = text.replace("        backfill: None,\n", "");
    assert_ne!(without, text, "the scenario sets backfill: None");
    let default = run_str("fcfs-vs-easy-default.ron", &without, &[]);
    let strict = run_str("fcfs-vs-easy.ron", &text, &[]);
    let backfilled = |r: &RunResult| r.jobs.iter().filter(|j| j.backfilled).count();
    assert_eq!(backfilled(&strict), 0);
    assert_eq!(
        backfilled(&default),
        4,
        "as the scenario's EASY/conservative notes"
    );
    let deadlock =
        std::fs::read_to_string(crate::support::path("scenarios/teaching/gang-deadlock.ron"))
            .unwrap();
    assert!(!deadlock.contains("backfill:") && deadlock.contains("gang: false"));
    let result = run_str("gang-deadlock.ron", &deadlock, &[]);
    assert_eq!(result.summary.stop_reason, StopReason::Deadlock);
}
