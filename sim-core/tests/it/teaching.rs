//! The teaching scenarios (`scenarios/teaching/`) show what they claim.
//!
//! Every expected number below was worked out by hand from the scenario's
//! job list and the scheduler's documented rules, not copied from a run.
//! All jobs there have runtime == time limit and backfill uses 1 s
//! resolution at every pass, so the scheduler's plan is exactly what
//! happens.

use sim_core::engine::SimTime;
use sim_core::metrics::{JobState, StopReason};
use sim_core::simulation::RunResult;

use crate::support::simulate;

const MIN: u64 = 60;
const HOUR: u64 = 3600;

fn run_with(name: &str, overrides: &[&str]) -> RunResult {
    simulate(&format!("scenarios/teaching/{name}"), overrides)
}

fn secs(t: Option<SimTime>) -> Option<u64> {
    t.map(|t| t.as_ns() / 1_000_000_000)
}

/// Start times in seconds, by job id (1-based, file order).
fn starts(result: &RunResult) -> Vec<Option<u64>> {
    result.jobs.iter().map(|j| secs(j.start)).collect()
}

fn ends(result: &RunResult) -> Vec<Option<u64>> {
    result.jobs.iter().map(|j| secs(j.end)).collect()
}

fn all_completed(result: &RunResult) -> bool {
    result.jobs.iter().all(|j| j.state == JobState::Completed)
}

#[test]
fn fcfs_blocks_small_jobs_and_easy_backfills_them() {
    // 32 GPUs. Job 1 (16 GPUs, 1h) runs 0..1h. Job 2 (32 GPUs, 2h, t=1m)
    // needs the whole cluster: it starts when job 1 ends, at 1h = 3600 s,
    // and ends at 3h = 10800 s.
    let fcfs = run_with("fcfs-vs-easy.ron", &[]);
    // FCFS: jobs 3-6 (4 GPUs, 40m, t=2m..5m) are behind job 2 and start
    // when it ends, at 3h = 10800 s, together (4 x 4 = 16 <= 32).
    let h3 = 3 * HOUR;
    assert_eq!(
        starts(&fcfs),
        [0, HOUR, h3, h3, h3, h3].map(Some).to_vec(),
        "FCFS starts"
    );
    // Waits 0, 59m, 178m, 177m, 176m, 175m: mean 765m / 6 = 7650 s.
    assert_eq!(fcfs.summary.wait_s.mean, Some(7650.0));
    assert_eq!(fcfs.summary.scheduling.backfilled_jobs, 0);
    // Makespan: 3h + 40m.
    assert_eq!(fcfs.summary.makespan_s, (3 * HOUR + 40 * MIN) as f64);

    // EASY: job 2 is reserved at 1h (job 1's limit). The 16 idle GPUs
    // take jobs 3-6 at submission (2m..5m); they end by 5m + 40m = 45m,
    // before the reservation, so each starts at its submit time.
    let easy = run_with("fcfs-vs-easy.ron", &["scheduler.backfill=Easy"]);
    assert_eq!(
        starts(&easy),
        [0, HOUR, 2 * MIN, 3 * MIN, 4 * MIN, 5 * MIN]
            .map(Some)
            .to_vec(),
        "EASY starts"
    );
    // The big job is not delayed: same start, 1h, both ways.
    assert_eq!(easy.jobs[1].start, fcfs.jobs[1].start);
    // Waits 0, 59m, 0, 0, 0, 0: mean 59m / 6 = 590 s.
    assert_eq!(easy.summary.wait_s.mean, Some(590.0));
    assert_eq!(easy.summary.scheduling.backfilled_jobs, 4);
    assert!(easy.jobs[2..].iter().all(|j| j.backfilled));
    assert_eq!(easy.summary.makespan_s, (3 * HOUR) as f64);
    assert!(all_completed(&fcfs) && all_completed(&easy));
}

#[test]
fn easy_delays_the_second_queued_job_and_conservative_does_not() {
    // 32 GPUs. Job 1 (24 GPUs, 1h) runs 0..1h, leaving 8 idle.
    // Job 2, the head (16 GPUs, 1h, t=1m): starts at 1h both ways.
    // Job 3, the second (32 GPUs, 1h, t=2m).
    // Job 4 (8 GPUs, 3h, t=3m).
    //
    // EASY plans only the head: job 4 fits the 8 idle GPUs now and, next
    // to the head's 16 GPUs, from 1h to 2h as well, so it starts at 3m
    // = 180 s and ends at 3h03m = 10980 s. Job 3 needs all 32 GPUs and
    // waits for job 4: start 10980 s.
    let easy = run_with("easy-vs-conservative.ron", &[]);
    assert_eq!(
        starts(&easy),
        [0, HOUR, 3 * HOUR + 3 * MIN, 3 * MIN].map(Some).to_vec(),
        "EASY starts"
    );
    assert!(easy.jobs[3].backfilled);
    assert_eq!(easy.summary.scheduling.backfilled_jobs, 1);

    // Conservative: job 3 is reserved right after the head, 2h..3h, over
    // the whole cluster; job 4 (3m..3h03m) would overlap it, so it waits
    // until job 3 ends: start 3h = 10800 s. Job 3 starts at 2h = 7200 s.
    let cons = run_with(
        "easy-vs-conservative.ron",
        &["scheduler.backfill=Conservative"],
    );
    assert_eq!(
        starts(&cons),
        [0, HOUR, 2 * HOUR, 3 * HOUR].map(Some).to_vec(),
        "conservative starts"
    );
    assert_eq!(cons.summary.scheduling.backfilled_jobs, 0);

    // The job the policies disagree on: the second queued job.
    assert_eq!(secs(easy.jobs[2].start), Some(10980));
    assert_eq!(secs(cons.jobs[2].start), Some(7200));
    // The head is protected under both.
    assert_eq!(easy.jobs[1].start, cons.jobs[1].start);
    // Mean waits: EASY (0 + 59 + 181 + 0) / 4 = 60m; conservative
    // (0 + 59 + 118 + 177) / 4 = 88.5m.
    assert_eq!(easy.summary.wait_s.mean, Some(3600.0));
    assert_eq!(cons.summary.wait_s.mean, Some(5310.0));
    assert!(all_completed(&easy) && all_completed(&cons));
}

/// Job ids in order of start (ties by id).
fn start_order(result: &RunResult) -> Vec<&str> {
    let mut jobs: Vec<_> = result
        .jobs
        .iter()
        .map(|j| (j.start.expect("every job starts"), j.id))
        .collect();
    jobs.sort();
    let names = ["A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2", "B3", "B4"];
    jobs.iter().map(|&(_, id)| names[id as usize - 1]).collect()
}

#[test]
fn fairshare_lets_the_steady_account_jump_ahead_for_as_long_as_decay_remembers() {
    // 16 GPUs; every job takes all of them for 1h, so one job runs per
    // hour and the start order is the whole story. alice (burst) submits
    // A1..A6 at 0; bob (steady) B1..B4 at 1h30m. A1, A2 run 0h..2h alone.
    //
    // FCFS: all of alice's jobs first; B1..B4 at 6h..9h.
    let fcfs = run_with("fairshare-decay.ron", &["scheduler.order=Fcfs"]);
    assert_eq!(
        start_order(&fcfs),
        ["A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2", "B3", "B4"]
    );

    // Half-life 7 days (almost no decay over 10h). At 2h alice has used
    // 32 GPU-h, bob 0: B1. At 3h alice 32 vs bob 16: B2. At 4h both ~32,
    // but alice's usage is older and so decayed a little more: A3. Then
    // alternation, bob always the lower: B3 5h, A4 6h, B4 7h, A5, A6.
    let long = run_with("fairshare-decay.ron", &[]);
    assert_eq!(
        start_order(&long),
        ["A1", "A2", "B1", "B2", "A3", "B3", "A4", "B4", "A5", "A6"]
    );
    // Bob's waits from 1h30m: 0.5h, 1.5h, 3.5h, 5.5h -> mean 2h45m.
    let bob_mean = |r: &RunResult| {
        r.jobs[6..]
            .iter()
            .map(|j| j.wait().unwrap().as_secs_f64())
            .sum::<f64>()
            / 4.0
    };
    assert_eq!(bob_mean(&long), 9900.0);

    // Half-life 10 minutes: at 3h alice's burst has decayed by 2^-6 and
    // is below bob's fresh hour: A3. From then on whoever ran last has the
    // larger (recent) usage, so they alternate.
    let short = run_with(
        "fairshare-decay.ron",
        &["scheduler.priority.decay_half_life=10m"],
    );
    assert_eq!(
        start_order(&short),
        ["A1", "A2", "B1", "A3", "B2", "A4", "B3", "A5", "B4", "A6"]
    );
    // Bob's waits: 0.5h, 2.5h, 4.5h, 6.5h -> mean 3h30m; FCFS: 6h.
    assert_eq!(bob_mean(&short), 12600.0);
    assert_eq!(bob_mean(&fcfs), 21600.0);

    // Everything runs in the end, so every policy delivers alice 6 x 16 =
    // 96 GPU-h and bob 64: shares 0.6 / 0.4 against 0.5 / 0.5 configured.
    // Jain's index over (1.2, 0.8): 2^2 / (2 x (1.44 + 0.64)) = 0.9615...
    for r in [&fcfs, &long, &short] {
        let fairness = r.summary.fairness.as_ref().expect("fairness summary");
        let share = |name: &str| {
            let a = fairness
                .accounts
                .iter()
                .find(|a| a.account == name)
                .unwrap();
            (a.configured_share, a.delivered_gpu_hours, a.delivered_share)
        };
        let (c, h, d) = share("burst");
        assert!((c - 0.5).abs() < 1e-9 && (h - 96.0).abs() < 1e-9 && (d - 0.6).abs() < 1e-9);
        let (c, h, d) = share("steady");
        assert!((c - 0.5).abs() < 1e-9 && (h - 64.0).abs() < 1e-9 && (d - 0.4).abs() < 1e-9);
        let jain = fairness.jain_index.unwrap();
        assert!((jain - 4.0 / 4.16).abs() < 1e-9, "Jain {jain}");
        assert!(all_completed(r));
    }
}

#[test]
fn partial_placement_deadlocks_and_gang_scheduling_does_not() {
    // 6 nodes; two jobs of 4 nodes x 8 GPUs at t=0. Pods go round-robin:
    // a1 b1 a2 b2 a3 b3; then no node is free and each job holds 3 of its
    // 4 nodes: 6 x 8 = 48 GPUs held, nothing runs, nothing ever ends.
    let split = run_with("gang-deadlock.ron", &[]);
    assert_eq!(split.summary.stop_reason, StopReason::Deadlock);
    assert_eq!(split.summary.scheduling.held_gpus_at_end, 48);
    assert!(
        split
            .jobs
            .iter()
            .all(|j| j.state == JobState::Pending && j.start.is_none())
    );
    assert_eq!(split.summary.jobs.pending_at_end, 2);
    assert_eq!(split.end, SimTime::ZERO);

    // Gang: job 1 takes 4 nodes at 0, job 2 waits for it: 1h..2h.
    let gang = run_with("gang-deadlock.ron", &["scheduler.gang=true"]);
    assert_eq!(gang.summary.stop_reason, StopReason::AllWorkDone);
    assert_eq!(gang.summary.scheduling.held_gpus_at_end, 0);
    assert!(all_completed(&gang));
    assert_eq!(starts(&gang), [Some(0), Some(HOUR)]);
    assert_eq!(ends(&gang), [Some(HOUR), Some(2 * HOUR)]);
}

/// The preemption scenario as computed by hand, under any queue order
/// that puts the `high` job first or keeps it there once it has
/// preempted: victims low-4 and low-3 (all four started at 0, ties to the
/// highest id), 5 minutes of grace, urgent runs 1h05m..2h05m.
fn check_requeue(r: &RunResult) {
    let grace_end = HOUR + 5 * MIN; // 3900 s
    // low-1, low-2 undisturbed: 0..4h. low-3, low-4 restart at 2h05m
    // (7500 s) when urgent ends, and run their full 4h: end 6h05m.
    let restart = grace_end + HOUR;
    assert_eq!(
        starts(r),
        [0, 0, restart, restart, grace_end].map(Some).to_vec(),
        "starts"
    );
    assert_eq!(
        ends(r),
        [
            4 * HOUR,
            4 * HOUR,
            restart + 4 * HOUR,
            restart + 4 * HOUR,
            grace_end + HOUR
        ]
        .map(Some)
        .to_vec(),
        "ends"
    );
    let s = &r.summary.scheduling;
    assert_eq!((s.preemptions, s.requeues), (2, 2));
    assert_eq!(
        r.jobs.iter().map(|j| j.requeues).collect::<Vec<_>>(),
        [0, 0, 1, 1, 0]
    );
    // Lost: 8 GPUs x (3900 s - 0) per victim.
    let lost_ns = 8 * u128::from(grace_end) * 1_000_000_000;
    assert_eq!(r.jobs[2].lost_gpu_ns, lost_ns);
    assert_eq!(r.jobs[3].lost_gpu_ns, lost_ns);
    // 2 x 8 x 3900 / 3600 = 17.333... GPU-hours.
    assert!((s.lost_gpu_hours - 2.0 * 8.0 * 3900.0 / 3600.0).abs() < 1e-9);
    assert!(all_completed(r));
}

#[test]
fn high_qos_preempts_and_requeues_low_jobs() {
    check_requeue(&run_with("preemption.ron", &[]));

    // Cancel: the same two victims stop at 1h05m for good.
    let cancel = run_with("preemption.ron", &["scheduler.preempt_mode=Cancel"]);
    let states: Vec<JobState> = cancel.jobs.iter().map(|j| j.state).collect();
    use JobState::{Completed, Preempted};
    assert_eq!(
        states,
        [Completed, Completed, Preempted, Preempted, Completed]
    );
    assert_eq!(
        ends(&cancel),
        [4 * HOUR, 4 * HOUR, 3900, 3900, 3900 + HOUR]
            .map(Some)
            .to_vec()
    );
    let s = &cancel.summary.scheduling;
    assert_eq!((s.preemptions, s.requeues), (2, 0));
    assert_eq!(cancel.summary.jobs.preempted, 2);
    assert!((s.lost_gpu_hours - 2.0 * 8.0 * 3900.0 / 3600.0).abs() < 1e-9);

    // No preemption: urgent waits for the low jobs to end at 4h.
    let none = run_with("preemption.ron", &["scheduler.preempt_type=None"]);
    assert_eq!(secs(none.jobs[4].start), Some(4 * HOUR));
    assert_eq!(none.summary.scheduling.preemptions, 0);
}

/// Under FCFS the requeued victims (submitted at 0) sort ahead of the
/// preemptor (submitted at 1h); the GPUs they free must still go to it,
/// or it would preempt them again every grace period.
#[test]
fn preemptor_gets_the_gpus_it_freed_under_fcfs_order() {
    // Same hand computation as the multifactor case: once urgent has
    // preempted low-3 and low-4, the GPUs they free at 1h05m are urgent's.
    check_requeue(&run_with("preemption.ron", &["scheduler.order=Fcfs"]));
}

#[test]
fn with_a_backfill_interval_small_jobs_wait_for_the_next_cycle() {
    // Slurm's bf_interval: backfilling runs on a timer, not at every event.
    // With bf_interval = 7m the first cycle after the small jobs arrive
    // (2m..5m) is at 7m = 420 s; the main scheduler alone cannot start them
    // (job 2 blocks the queue). At 420 s the 16 idle GPUs take all four:
    // they end at 420 s + 40m = 2820 s, before job 2's reservation at 1h.
    let r = run_with(
        "fcfs-vs-easy.ron",
        &["scheduler.backfill=Easy", "scheduler.bf_interval=7m"],
    );
    let seven = 7 * MIN;
    assert_eq!(
        starts(&r),
        [0, HOUR, seven, seven, seven, seven].map(Some).to_vec()
    );
    assert_eq!(r.summary.scheduling.backfilled_jobs, 4);
    assert!(all_completed(&r));
}
