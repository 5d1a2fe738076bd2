//! Hand-computed cases for the scheduling passes: backfilling rules,
//! priority orders, preemption and non-gang placement. Each case builds a
//! small cluster, starts a few jobs, queues others, and checks exactly
//! which decisions one pass makes.
//!
//! Backfilling rules as stated by Lifka (1995) and Mu'alem & Feitelson,
//! "Utilization, predictability, workloads, and user runtime estimates in
//! scheduling the IBM SP2 with backfilling", IEEE TPDS 12(6), 2001, §2.

use super::*;
use crate::hardware::{Catalog, NodeGroup};
use crate::workload::JobRequest;

/// `nodes` DGX H100 nodes with `gpus_per_node` GPUs each: the cluster
/// every scheduler unit test builds (also used by `cons_tres` and
/// `slurm_backfill`'s tests).
pub(crate) fn cluster(nodes: u32, gpus_per_node: u32) -> Cluster {
    let catalog = Catalog::builtin();
    let node_model = catalog.node("DGX-H100").unwrap().clone();
    let gpu_model = catalog.gpu(&node_model.gpu_model).unwrap().clone();
    Cluster::from_groups(vec![NodeGroup {
        name: "n".into(),
        node_model,
        gpu_model,
        gpus_per_node,
        first_node: 0,
        node_count: nodes,
    }])
}

const NONE: [JobIndex; 0] = [];

pub(super) fn s(secs: u64) -> SimDuration {
    SimDuration::from_secs(secs)
}

pub(super) fn at(secs: u64) -> SimTime {
    SimTime::ZERO + s(secs)
}

pub(super) fn job(gpus: u32, time_limit_s: u64) -> SubmittedJob {
    SubmittedJob {
        request: JobRequest::Gpus(gpus),
        runtime: s(time_limit_s),
        time_limit: s(time_limit_s),
        ..SubmittedJob::default()
    }
}

/// One user in one account.
pub(super) fn directory() -> Directory {
    Directory {
        users: vec!["user".into()],
        accounts: vec!["default".into()],
        job_names: vec!["job".into()],
    }
}

/// The directory's only (account, user) pair.
const ONE_ASSOCIATION: [(AccountId, UserId); 1] = [(AccountId(0), UserId(0))];

/// A QOS without limits.
fn qos(name: &str, priority: u32, preempt: Vec<u16>, grace_time: SimDuration) -> Qos {
    Qos {
        name: name.into(),
        priority,
        max_gpus_per_user: None,
        grp_gpus: None,
        preempt,
        grace_time,
    }
}

/// A scheduler over `nodes` one-GPU nodes (so any GPU count fits by
/// count, as in the trace-replay literature), exact times.
fn scheduler(nodes: u32, backfill: Backfill) -> Scheduler {
    let mut config = SchedulerConfig::fcfs(nodes as usize);
    config.backfill = backfill;
    config.backfill_params.interval = SimDuration::ZERO;
    config.backfill_params.resolution = s(1);
    config.backfill_params.window = s(1_000_000);
    Scheduler::new(config, &cluster(nodes, 1), &directory(), &ONE_ASSOCIATION)
}

/// Queues `jobs` (indices from `first`) at `now` and runs one pass;
/// returns the indices of the jobs started.
fn pass(sched: &mut Scheduler, now: SimTime, first: u32, jobs: &[SubmittedJob]) -> Vec<JobIndex> {
    for (k, j) in jobs.iter().enumerate() {
        sched.enqueue(first + k as u32, *j, now);
    }
    let mut out = Vec::new();
    sched.schedule(now, false, &mut out);
    out.iter()
        .filter_map(|d| match *d {
            Decision::Start { slot } => Some(sched.running(slot).job),
            Decision::Preempt { .. } => None,
        })
        .collect()
}

/// Ten GPUs; job 0 holds 6 until t = 100. The head (job 1) needs 8: it
/// is reserved at the shadow time 100, when 10 will be free, leaving
/// 10 - 8 = 2 "extra" GPUs.
fn easy_setup(backfill: Backfill) -> Scheduler {
    let mut sched = scheduler(10, backfill);
    assert_eq!(pass(&mut sched, at(0), 0, &[job(6, 100)]), [0]);
    sched
}

#[test]
fn easy_backfills_jobs_that_end_before_the_shadow_time_or_use_only_extra_gpus() {
    let mut sched = easy_setup(Backfill::Easy);
    let started = pass(
        &mut sched,
        at(0),
        1,
        &[
            job(8, 50),  // 1: the head, blocked (4 free)
            job(2, 500), // 2: runs past the shadow time on the 2 extra GPUs: starts
            job(2, 500), // 3: would need 2 more extra GPUs, none left: held
            job(2, 90),  // 4: ends at 90 < 100, before the shadow time: starts
            job(1, 10),  // 5: no GPU free any more (6 + 2 + 2 = 10): waits
        ],
    );
    assert_eq!(started, [2, 4]);
    assert_eq!(sched.stats().backfilled_jobs, 2);
}

#[test]
fn a_job_that_would_delay_the_head_is_held_even_when_gpus_are_free() {
    let mut sched = easy_setup(Backfill::Easy);
    // 4 GPUs are free now, but a 3-GPU job for 200 s would leave only
    // 10 - 3 = 7 < 8 at the shadow time: it must wait.
    assert_eq!(pass(&mut sched, at(0), 1, &[job(8, 50), job(3, 200)]), NONE);
    // Shorter, it ends at 100 = the shadow time exactly: no delay.
    assert_eq!(pass(&mut sched, at(0), 3, &[job(3, 100)]), [3]);
}

#[test]
fn without_backfill_the_head_blocks_everything() {
    let mut sched = easy_setup(Backfill::None);
    assert_eq!(pass(&mut sched, at(0), 1, &[job(8, 50), job(1, 1)]), NONE);
}

/// Ten GPUs; job 0 holds 4 until 100 and job 1 holds 4 until 300, so 2
/// are free. Queue: job 2 (4 GPUs, 100 s), job 3 (6 GPUs, 100 s), job 4
/// (2 GPUs, 250 s).
/// - EASY reserves only job 2, at [100, 200) (6 free then, 4 taken). Job 4
///   over [0, 250) sees 2 free in [0, 100), 6 - 4 = 2 in [100, 200) and 6
///   in [200, 250): it starts now, and so delays job 3, which needs 6 GPUs
///   at 200 but finds only 4 until job 4 ends at 250.
/// - Conservative also reserves job 3, at [200, 300) (6 free after job 2's
///   reservation), leaving 0 there: job 4 would delay it, and waits.
fn divergent(backfill: Backfill) -> Vec<JobIndex> {
    let mut sched = scheduler(10, backfill);
    assert_eq!(
        pass(&mut sched, at(0), 0, &[job(4, 100), job(4, 300)]),
        [0, 1]
    );
    pass(
        &mut sched,
        at(0),
        2,
        &[job(4, 100), job(6, 100), job(2, 250)],
    )
}

#[test]
fn easy_and_conservative_differ_when_only_the_second_job_would_be_delayed() {
    assert_eq!(divergent(Backfill::Easy), [4]);
    assert_eq!(divergent(Backfill::Conservative), NONE);
}

#[test]
fn reservations_use_time_limits_not_run_times() {
    // Job 0 really runs 10 s but asked for 100 s: the profile must assume
    // it holds its 6 GPUs until 100, so the 3-GPU job for 200 s is held
    // exactly as in the previous case.
    let mut sched = scheduler(10, Backfill::Easy);
    let mut short = job(6, 100);
    short.runtime = s(10);
    assert_eq!(pass(&mut sched, at(0), 0, &[short]), [0]);
    assert_eq!(pass(&mut sched, at(0), 1, &[job(8, 50), job(3, 200)]), NONE);
}

#[test]
fn the_backfill_window_limits_how_far_ahead_the_head_is_protected() {
    // With bf_window = 50 s, the head's start at 100 is beyond the
    // window: it gets no reservation, and the long 3-GPU job starts.
    let mut sched = easy_setup(Backfill::Easy);
    sched.config.backfill_params.window = s(50);
    assert_eq!(pass(&mut sched, at(0), 1, &[job(8, 50), job(3, 200)]), [2]);
}

#[test]
fn bf_max_job_test_bounds_the_jobs_tested_per_cycle() {
    let mut sched = easy_setup(Backfill::Easy);
    sched.config.backfill_params.max_job_test = 2;
    // Tested: the head and job 2 (too long for the extra GPUs); job 3,
    // which would fit, is not reached in this cycle.
    assert_eq!(
        pass(&mut sched, at(0), 1, &[job(8, 50), job(3, 200), job(1, 10)]),
        NONE
    );
    // Without bf_continue every cycle starts over at the top: same result.
    assert_eq!(pass(&mut sched, at(0), 4, &[]), NONE);
    // With bf_continue the next cycle resumes after job 2 and finds job 3.
    sched.config.backfill_params.continue_after_limit = true;
    assert_eq!(pass(&mut sched, at(0), 4, &[]), [3]);
}

#[test]
fn sjf_orders_by_requested_time() {
    let mut sched = scheduler(4, Backfill::None);
    sched.config.order = QueueOrder::Sjf;
    assert_eq!(pass(&mut sched, at(0), 0, &[job(4, 100)]), [0]);
    for (k, limit) in [(1, 300), (2, 100), (3, 200)] {
        sched.enqueue(k, job(4, limit), at(0));
    }
    let order: Vec<JobIndex> = sched.queue.iter().map(|q| q.job).collect();
    assert_eq!(order, [2, 3, 1]);
}

#[test]
fn multifactor_puts_the_higher_qos_first_and_fcfs_does_not() {
    // Slurm priority/multifactor: with only PriorityWeightQOS = 1000, a
    // job in QOS `high` (Priority 100 = the largest) gets 1000 * 100/100 =
    // 1000, one in `normal` (Priority 0) gets 0, floored at 1.
    fn order(queue_order: QueueOrder) -> Vec<JobIndex> {
        let mut config = SchedulerConfig::fcfs(4);
        config.order = queue_order;
        config.priority.weights.qos = 1000;
        config
            .qos
            .push(qos("high", 100, Vec::new(), SimDuration::ZERO));
        let mut sched = Scheduler::new(config, &cluster(4, 1), &directory(), &ONE_ASSOCIATION);
        let mut high = job(4, 10);
        high.qos = 1;
        high.submit = at(5);
        sched.enqueue(0, job(4, 10), at(0));
        sched.enqueue(1, high, at(5));
        let priorities: Vec<u32> = sched.queue.iter().map(|q| q.priority).collect();
        if queue_order == QueueOrder::Multifactor {
            assert_eq!(priorities, [1000, 1]);
        }
        sched.queue.iter().map(|q| q.job).collect()
    }
    assert_eq!(order(QueueOrder::Fcfs), [0, 1]);
    assert_eq!(order(QueueOrder::Multifactor), [1, 0]);
}

#[test]
fn qos_preemption_picks_the_youngest_low_job_and_waits_for_it() {
    let mut config = SchedulerConfig::fcfs(4);
    config.preempt_type = PreemptType::Qos;
    config.qos = vec![
        qos("low", 0, Vec::new(), s(30)),
        qos("high", 10, vec![0], SimDuration::ZERO),
    ];
    let mut sched = Scheduler::new(config, &cluster(4, 1), &directory(), &ONE_ASSOCIATION);
    assert_eq!(pass(&mut sched, at(0), 0, &[job(2, 1000)]), [0]);
    assert_eq!(pass(&mut sched, at(10), 1, &[job(2, 1000)]), [1]);
    // A high job needing 2 GPUs: one victim suffices, the youngest (1).
    let mut high = job(2, 100);
    high.qos = 1;
    sched.enqueue(2, high, at(20));
    let mut out = Vec::new();
    sched.schedule(at(20), false, &mut out);
    assert_eq!(out.len(), 1);
    let Decision::Preempt { slot, grace } = out[0] else {
        panic!("expected a preemption, got {out:?}");
    };
    assert_eq!(sched.running(slot).job, 1);
    assert_eq!(grace, s(30), "the victim's QOS grace time");
    // While the victim drains, no second victim is chosen.
    out.clear();
    sched.schedule(at(25), false, &mut out);
    assert!(out.is_empty(), "{out:?}");
    // Once it is stopped, the high job starts on its GPUs.
    let ended = sched.end(slot, at(50));
    assert!(ended.was_preempted);
    sched.schedule(at(50), false, &mut out);
    assert!(matches!(out[..], [Decision::Start { slot }] if sched.running(slot).job == 2));
}

#[test]
fn without_gang_pods_are_placed_round_robin_and_can_deadlock() {
    // Six 8-GPU nodes; two jobs of 4 nodes each arrive together. Pods go
    // one per job per round: A1 B1 A2 B2 A3 B3, then nothing fits. Each
    // holds 3 nodes (24 GPUs) and neither can start.
    let mut config = SchedulerConfig::fcfs(6);
    config.gang = false;
    let four_nodes = SubmittedJob {
        request: JobRequest::Nodes {
            count: 4,
            gpus_per_node: 8,
        },
        runtime: s(100),
        time_limit: s(100),
        ..SubmittedJob::default()
    };
    let mut sched = Scheduler::new(
        config.clone(),
        &cluster(6, 8),
        &directory(),
        &ONE_ASSOCIATION,
    );
    assert_eq!(pass(&mut sched, at(0), 0, &[four_nodes, four_nodes]), NONE);
    assert_eq!(sched.held_gpus(), 48);
    // Gang scheduling starts the first and queues the second.
    config.gang = true;
    let mut sched = Scheduler::new(config, &cluster(6, 8), &directory(), &ONE_ASSOCIATION);
    assert_eq!(pass(&mut sched, at(0), 0, &[four_nodes, four_nodes]), [0]);
    assert_eq!(sched.held_gpus(), 0);
}

#[test]
fn partition_and_qos_limits_refuse_what_can_never_run() {
    let mut config = SchedulerConfig::fcfs(4);
    config.partitions[0].max_time = Some(s(3600));
    config.qos[0].max_gpus_per_user = Some(2);
    config.enforce_part_limits = EnforcePartLimits::All;
    let sched = Scheduler::new(config.clone(), &cluster(4, 1), &Directory::default(), &[]);
    assert_eq!(sched.admit(&job(2, 3600)), Ok(None));
    let err = sched.admit(&job(2, 3601)).unwrap_err();
    assert!(err.reason.contains("MaxTime"), "{}", err.reason);
    let err = sched.admit(&job(3, 60)).unwrap_err();
    assert!(err.reason.contains("MaxTRESPerUser"), "{}", err.reason);
    // Slurm's default, EnforcePartLimits=NO: admitted, pending for good.
    config.enforce_part_limits = EnforcePartLimits::No;
    let sched = Scheduler::new(config, &cluster(4, 1), &Directory::default(), &[]);
    assert_eq!(
        sched.admit(&job(2, 3601)),
        Ok(Some(PendingReason::PartitionTimeLimit))
    );
}

#[test]
fn partition_priority_preemption_uses_the_victims_partition_grace_time() {
    // Slurm PreemptType=preempt/partition_prio: a job of a partition with
    // a higher PriorityTier preempts jobs of lower tiers on shared nodes.
    let mut config = SchedulerConfig::fcfs(4);
    config.preempt_type = PreemptType::PartitionPriority;
    let mut high = config.partitions[0].clone();
    high.name = "urgent".into();
    high.priority_tier = 2;
    high.grace_time = s(1);
    config.partitions[0].grace_time = s(120);
    config.partitions.push(high);
    let mut sched = Scheduler::new(config, &cluster(4, 1), &directory(), &ONE_ASSOCIATION);
    assert_eq!(pass(&mut sched, at(0), 0, &[job(2, 1000)]), [0]);
    assert_eq!(pass(&mut sched, at(10), 1, &[job(2, 1000)]), [1]);
    let mut urgent = job(2, 100);
    urgent.partition = 1;
    sched.enqueue(2, urgent, at(20));
    let mut out = Vec::new();
    sched.schedule(at(20), false, &mut out);
    let [Decision::Preempt { slot, grace }] = out[..] else {
        panic!("expected one preemption, got {out:?}");
    };
    assert_eq!(sched.running(slot).job, 1, "the youngest low-tier job");
    assert_eq!(grace, s(120), "the victim's partition GraceTime");
    // A job of the same tier preempts nobody.
    let mut sched = Scheduler::new(
        {
            let mut c = SchedulerConfig::fcfs(4);
            c.preempt_type = PreemptType::PartitionPriority;
            c
        },
        &cluster(4, 1),
        &directory(),
        &ONE_ASSOCIATION,
    );
    assert_eq!(pass(&mut sched, at(0), 0, &[job(4, 1000)]), [0]);
    out.clear();
    sched.enqueue(1, job(2, 100), at(5));
    sched.schedule(at(5), false, &mut out);
    assert!(out.is_empty(), "{out:?}");
}

/// A job whose (account, user) pair the scheduler was not built with used
/// to be charged, and prioritised, as association 0: someone else's.
/// Queueing it is now an error.
#[test]
#[should_panic(expected = "not among the associations the scheduler was built with")]
fn a_job_of_an_unknown_association_is_an_error_not_association_zero() {
    let mut config = SchedulerConfig::fcfs(4);
    config.order = QueueOrder::Multifactor;
    let mut directory = directory();
    directory.accounts.push("other".into());
    let mut sched = Scheduler::new(config, &cluster(4, 1), &directory, &ONE_ASSOCIATION);
    sched.enqueue(0, job(1, 10), at(0));
    let mut stranger = job(1, 10);
    stranger.account = AccountId(1);
    sched.enqueue(1, stranger, at(0));
}

/// Two GB200 NVL72 racks (36 trays of 4 GPUs): the scheduler places a
/// multi-node job inside one rack's NVLink domain (Slurm topology/block,
/// a block per rack), even when a flat best fit would split it.
#[test]
fn multi_node_jobs_land_in_one_nvlink_domain() {
    let racks = crate::fabric::test_support::cluster("GB200-NVL72-tray", 36);
    let mut config = SchedulerConfig::fcfs(36);
    config.backfill = Backfill::None;
    let mut sched = Scheduler::new(config, &racks, &directory(), &ONE_ASSOCIATION);
    let nodes = |count| SubmittedJob {
        request: JobRequest::Nodes {
            count,
            gpus_per_node: 4,
        },
        runtime: s(100),
        time_limit: s(100),
        ..SubmittedJob::default()
    };
    // 12 trays, then 12 more: rack 0 keeps 6 free, so the second job
    // goes whole to rack 1 rather than 6 + 6.
    let mut out = Vec::new();
    for (k, count) in [12, 12].into_iter().enumerate() {
        sched.enqueue(k as u32, nodes(count), at(0));
    }
    sched.schedule(at(0), false, &mut out);
    let racks_of = |d: &Decision| match *d {
        Decision::Start { slot } => {
            let mut r: Vec<u32> = (sched.running(slot).allocation.iter())
                .map(|p| p.node / 18)
                .collect();
            r.dedup();
            r
        }
        Decision::Preempt { .. } => unreachable!(),
    };
    assert_eq!(out.len(), 2);
    assert_eq!(racks_of(&out[0]), [0]);
    assert_eq!(racks_of(&out[1]), [1]);
}
