//! Hand-computed cases against Volcano's documented and coded behaviour;
//! each cites where the rule comes from (paths in volcano-sh/volcano at
//! ed72c7c).

use super::*;

const G: u64 = MILLI_PER_GPU;

fn queue(name: &str, weight: u32) -> VolcanoQueue {
    VolcanoQueue {
        weight,
        ..VolcanoQueue::new(name)
    }
}

fn config(queues: Vec<VolcanoQueue>, reclaim: bool) -> VolcanoConfig {
    VolcanoConfig {
        queues,
        node_order: NodeOrder::Spread,
        reclaim,
    }
}

fn job(id: u32, queue: u16, gpus: u64, priority: i32, user: u32, created_s: u64) -> VolcanoJob {
    VolcanoJob {
        id,
        queue,
        priority,
        milli: gpus * G,
        user,
        created: SimTime::from_ns(created_s * 1_000_000_000),
    }
}

/// A pool that counts free GPU-milli (one big node): enough to check the
/// engine's decisions, which never look inside the pool.
struct Pool {
    free: u64,
    milli: BTreeMap<u32, u64>,
}

impl Pool {
    fn new(free_gpus: u64, pending: &[VolcanoJob], running: &[VolcanoJob]) -> Self {
        let milli = pending
            .iter()
            .chain(running)
            .map(|j| (j.id, j.milli))
            .collect();
        Pool {
            free: free_gpus * G,
            milli,
        }
    }
}

impl Placement for Pool {
    fn place(&mut self, job: &VolcanoJob) -> bool {
        if job.milli <= self.free {
            self.free -= job.milli;
            true
        } else {
            false
        }
    }

    fn fits_after_evicting(
        &mut self,
        job: &VolcanoJob,
        victims: &[u32],
        pipelined: &[u32],
    ) -> bool {
        let freed: u64 = victims.iter().map(|v| self.milli[v]).sum();
        let taken: u64 = pipelined.iter().map(|p| self.milli[p]).sum();
        (self.free + freed).saturating_sub(taken) >= job.milli
    }
}

fn run(
    config: VolcanoConfig,
    cluster_gpus: u64,
    pending: &[VolcanoJob],
    running: &[VolcanoJob],
) -> (Vec<VolcanoDecision>, Volcano) {
    let used: u64 = running.iter().map(|j| j.milli).sum::<u64>() / G;
    let mut pool = Pool::new(cluster_gpus - used, pending, running);
    let mut volcano = Volcano::new(config);
    let mut out = Vec::new();
    volcano.session(cluster_gpus * G, pending, running, &mut pool, &mut out);
    (out, volcano)
}

fn fill(weight: u32, request_gpus: u64, capability_gpus: Option<u64>) -> FillQueue {
    FillQueue {
        weight,
        request: request_gpus * G,
        capability: capability_gpus.map(|c| c * G),
        guarantee: 0,
    }
}

fn allocs(ids: &[u32]) -> Vec<VolcanoDecision> {
    ids.iter()
        .map(|&job| VolcanoDecision::Allocate { job })
        .collect()
}

/// (1) proportion.go `OnSessionOpen`: deserved += remaining * weight /
/// totalWeight; the docs (volcano.sh/en/docs/queue/): a queue's share is
/// weight / total weight of the cluster. 12 GPUs, weights 1:2:3, every
/// queue asking for more than the cluster: 2 / 4 / 6 in one round.
#[test]
fn volcano_deserved_follows_weights() {
    let queues = [fill(1, 100, None), fill(2, 100, None), fill(3, 100, None)];
    assert_eq!(deserved(12 * G, &queues), vec![2 * G, 4 * G, 6 * G]);
}

/// (2) proportion.go: `deserved.MinDimensionResource(request)` caps a
/// queue at its request, which marks it met, and the next round shares
/// what it left among the others. 12 GPUs, weights 1:1:1, requests
/// 2 / 10 / 10: round 1 gives 4 each, the first capped to 2 (2 left);
/// round 2 gives 1 each to the others: 2 / 5 / 5.
#[test]
fn volcano_deserved_water_fills_unused_shares() {
    let queues = [fill(1, 2, None), fill(1, 10, None), fill(1, 10, None)];
    assert_eq!(deserved(12 * G, &queues), vec![2 * G, 5 * G, 5 * G]);
}

/// (3) proportion.go: `deserved.MinDimensionResource(realCapability)`;
/// a queue whose deserved stops growing is met "cause of the capability".
/// 12 GPUs, weights 1:1:3, the third capped at 3 GPUs. Round 1: 2.4,
/// 2.4, 7.2 capped to 3 (4.2 left); round 2 (the capped queue not yet
/// met): 0.84, 0.84, 2.52 capped (no change: met; 2.52 left); round 3:
/// 1.26 each: 4.5 / 4.5 / 3.
#[test]
fn volcano_capability_caps_a_queue_and_the_rest_is_shared() {
    let queues = [
        fill(1, 100, None),
        fill(1, 100, None),
        fill(3, 100, Some(3)),
    ];
    assert_eq!(deserved(12 * G, &queues), vec![4500, 4500, 3 * G]);
}

/// proportion.go builds `queueOpts` from the session's jobs only: a queue
/// with no job takes no share, and its weight does not count. A guarantee
/// (`Max(deserved, guarantee)`) is withheld from the others'
/// `realCapability` even when its queue is idle.
#[test]
fn volcano_idle_queues_take_no_share_but_guarantees_are_withheld() {
    let queues = [fill(1, 100, None), fill(5, 0, None)];
    assert_eq!(deserved(12 * G, &queues), vec![12 * G, 0]);
    let mut guarded = [fill(1, 100, None), fill(1, 0, None)];
    guarded[1].guarantee = 4 * G;
    assert_eq!(deserved(12 * G, &guarded), vec![8 * G, 0]);
}

/// Invariants over many configurations: shares sum to at most the
/// cluster, never exceed a capability or a request.
#[test]
fn volcano_deserved_invariants_hold() {
    let mut seed: u64 = 7;
    let mut next = |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    for _ in 0..2000 {
        let total = (1 + next(64)) * G + next(1000);
        let queues: Vec<FillQueue> = (0..1 + next(6))
            .map(|_| FillQueue {
                weight: 1 + next(10) as u32,
                request: next(80) * 500,
                capability: (next(2) == 0).then(|| (1 + next(40)) * G),
                guarantee: 0,
            })
            .collect();
        let d = deserved(total, &queues);
        assert!(d.iter().sum::<u64>() <= total, "{queues:?} {d:?}");
        for (q, d) in queues.iter().zip(&d) {
            assert!(*d <= q.request && *d <= q.capability.unwrap_or(u64::MAX));
        }
    }
}

/// (4) allocate.go `allocateResources` + proportion.go
/// `AddAllocatableFn` (`allocated + request <= deserved`) and
/// `AddOverusedFn` (`deserved <= allocated`): two queues of weight 1 on
/// 12 GPUs, A with 12 one-GPU jobs, B with 6: deserved 6 / 6; the queue
/// with the lower share goes first (ties by index), so A and B alternate
/// and A stops at 6 while B has demand. Alone, A's deserved is its
/// request (12, the water-filling hands it B's part): it takes all 12.
#[test]
fn volcano_allocation_stops_at_deserved_and_exceeds_weight_when_alone() {
    let cfg = || config(vec![queue("a", 1), queue("b", 1)], false);
    let a: Vec<VolcanoJob> = (0..12).map(|i| job(i, 0, 1, 0, 1, u64::from(i))).collect();
    let b: Vec<VolcanoJob> = (100..106)
        .map(|i| job(i, 1, 1, 0, 2, u64::from(i)))
        .collect();
    let both: Vec<VolcanoJob> = a.iter().chain(&b).copied().collect();
    let (out, volcano) = run(cfg(), 12, &both, &[]);
    assert_eq!(
        out,
        allocs(&[0, 100, 1, 101, 2, 102, 3, 103, 4, 104, 5, 105])
    );
    assert_eq!(
        volcano.queue(0),
        QueueState {
            allocated: 6 * G,
            request: 12 * G,
            deserved: 6 * G
        }
    );

    let (out, volcano) = run(cfg(), 12, &a, &[]);
    assert_eq!(out, allocs(&(0..12).collect::<Vec<_>>()));
    assert_eq!(volcano.queue(0).deserved, 12 * G);

    // B's one job of 8 GPUs is above its deserved 6: it is not
    // allocatable, and A still stops at its deserved 6 (4 GPUs stay
    // idle), as proportion's allocatable check has it.
    let big = job(200, 1, 8, 0, 2, 0);
    let with_big: Vec<VolcanoJob> = a.iter().copied().chain([big]).collect();
    let (out, _) = run(cfg(), 12, &with_big, &[]);
    assert_eq!(out, allocs(&[0, 1, 2, 3, 4, 5]));
}

/// Fractions add exactly in GPU-milli: four quarter-GPU jobs fill one
/// GPU's deserved share.
#[test]
fn volcano_fractions_count_in_milli() {
    let cfg = config(vec![queue("a", 1), queue("b", 1)], false);
    let quarter = |id: u32, q: u16| VolcanoJob {
        milli: 250,
        ..job(id, q, 0, 0, 1, u64::from(id))
    };
    let pending: Vec<VolcanoJob> = (0..6)
        .map(|i| quarter(i, 0))
        .chain([job(9, 1, 1, 0, 2, 9)])
        .collect();
    // 2 GPUs: B asks 1000, A 1500: one round gives 1000 each.
    let (out, volcano) = run(cfg, 2, &pending, &[]);
    assert_eq!(out, allocs(&[0, 9, 1, 2, 3]));
    assert_eq!(volcano.queue(0).allocated, 1000);
}

/// (5) Job order within a queue (`Session::JobOrderFn` over the default
/// tiers): `priority` (higher first), then `drf` (lower share first, here
/// the user's GPUs over the cluster's, see the module doc), then creation
/// time. User 1 already runs 4 GPUs; job 12 (user 1, priority 5) goes
/// first, then job 11 (user 2, share 0) before the older job 10 (user 1).
#[test]
fn volcano_job_order_is_priority_then_drf_then_creation() {
    let cfg = || config(vec![queue("a", 1)], false);
    let running = [job(1, 0, 4, 0, 1, 0)];
    let pending = [
        job(10, 0, 1, 0, 1, 10),
        job(11, 0, 1, 0, 2, 20),
        job(12, 0, 1, 5, 1, 30),
    ];
    let (out, _) = run(cfg(), 12, &pending, &running);
    assert_eq!(out, allocs(&[12, 11, 10]));

    // Shares move as jobs are allocated: users 1 and 2 start equal, job
    // 20 (the oldest) goes, then user 2's job before user 1's second.
    let pending = [
        job(20, 0, 2, 0, 1, 1),
        job(21, 0, 2, 0, 1, 2),
        job(22, 0, 2, 0, 2, 3),
    ];
    let (out, _) = run(cfg(), 12, &pending, &[]);
    assert_eq!(out, allocs(&[20, 22, 21]));
}

/// (6) reclaim.go + proportion.go `AddReclaimableFn` +
/// `BuildVictimsPriorityQueue`. Queues A and B (weight 1) on 12 GPUs; B
/// was idle and A took all 12 with six 2-GPU jobs. B submits 6 GPUs:
/// deserved 6 / 6, A overused. Allocate cannot place B's job (no free
/// GPU); reclaim takes A's jobs lowest priority first, newest first
/// (6, 4, 2: priority 0 ones from the newest), just enough for 6 GPUs,
/// leaving A at its deserved 6, and pipelines B's job.
#[test]
fn volcano_reclaim_evicts_just_enough_lowest_priority_newest_first() {
    let running = [
        job(1, 0, 2, 0, 1, 1),
        job(2, 0, 2, 0, 1, 2),
        job(3, 0, 2, 1, 1, 3),
        job(4, 0, 2, 0, 1, 4),
        job(5, 0, 2, 1, 1, 5),
        job(6, 0, 2, 0, 1, 6),
    ];
    let pending = [job(100, 1, 6, 0, 2, 10)];
    let (out, volcano) = run(
        config(vec![queue("a", 1), queue("b", 1)], true),
        12,
        &pending,
        &running,
    );
    let evict = |job| VolcanoDecision::Evict {
        job,
        for_job: 100,
        for_queue: 1,
    };
    assert_eq!(
        out,
        vec![
            evict(6),
            evict(4),
            evict(2),
            VolcanoDecision::Pipeline { job: 100 }
        ]
    );
    assert_eq!(volcano.queue(0).allocated, 6 * G);
    assert_eq!(volcano.queue(1).allocated, 6 * G);

    // `reclaimable: false` on A: reclaim.go skips its tasks.
    let mut a = queue("a", 1);
    a.reclaimable = false;
    let (out, _) = run(config(vec![a, queue("b", 1)], true), 12, &pending, &running);
    assert_eq!(out, vec![]);

    // Reclaim is not in Volcano's default actions: nothing is evicted.
    let (out, _) = run(
        config(vec![queue("a", 1), queue("b", 1)], false),
        12,
        &pending,
        &running,
    );
    assert_eq!(out, vec![]);
}

/// Two reclaimers in one session: the second counts the GPUs the first
/// was pipelined onto (`fits_after_evicting`'s `pipelined`) and the
/// victims already chosen. A holds 12 GPUs in six 2-GPU jobs, B asks two
/// 3-GPU jobs (deserved 6 / 6): job 100 takes jobs 6 and 5 (4 GPUs
/// freed, 3 used), job 101 finds 1 free and takes job 4, leaving A at 6.
#[test]
fn volcano_reclaim_counts_earlier_reclaimers() {
    let running: Vec<VolcanoJob> = (1..=6).map(|i| job(i, 0, 2, 0, 1, u64::from(i))).collect();
    let pending = [job(100, 1, 3, 0, 2, 10), job(101, 1, 3, 0, 2, 11)];
    let (out, volcano) = run(
        config(vec![queue("a", 1), queue("b", 1)], true),
        12,
        &pending,
        &running,
    );
    let evict = |job, for_job| VolcanoDecision::Evict {
        job,
        for_job,
        for_queue: 1,
    };
    assert_eq!(
        out,
        vec![
            evict(6, 100),
            evict(5, 100),
            VolcanoDecision::Pipeline { job: 100 },
            evict(4, 101),
            VolcanoDecision::Pipeline { job: 101 },
        ]
    );
    assert_eq!(volcano.queue(0).allocated, 6 * G);
    assert_eq!(volcano.queue(1).allocated, 6 * G);
}

/// proportion.go's reclaimable check admits a victim while its queue's
/// allocation less the victims before it is above deserved, so with
/// 4-GPU jobs A (12 held, deserved 6) loses two (12 > 6, then 8 > 6) and
/// ends at 4: below its deserved share by less than one victim. A third
/// would not be taken (4 <= 6).
#[test]
fn volcano_reclaim_may_end_below_deserved_by_less_than_a_victim() {
    let running = [
        job(1, 0, 4, 0, 1, 1),
        job(2, 0, 4, 0, 1, 2),
        job(3, 0, 4, 0, 1, 3),
    ];
    let pending = [job(100, 1, 6, 0, 2, 10)];
    let (out, volcano) = run(
        config(vec![queue("a", 1), queue("b", 1)], true),
        12,
        &pending,
        &running,
    );
    let evict = |job| VolcanoDecision::Evict {
        job,
        for_job: 100,
        for_queue: 1,
    };
    assert_eq!(
        out,
        vec![evict(3), evict(2), VolcanoDecision::Pipeline { job: 100 }]
    );
    assert_eq!(volcano.queue(0).allocated, 4 * G);

    // B asking 10 GPUs: deserved 6 / 6, its job above its deserved share
    // is not `Preemptive`: nothing is evicted.
    let (out, _) = run(
        config(vec![queue("a", 1), queue("b", 1)], true),
        12,
        &[job(100, 1, 10, 0, 2, 10)],
        &running,
    );
    assert_eq!(out, vec![]);
}

/// (7) binpack.go `BinPackingScore` ((used + request) / allocatable,
/// higher first) and the nodeorder plugin's least-requested score
/// ((allocatable - used - request) * 100 / allocatable, higher first);
/// nodes that cannot hold the request are left out; ties by index.
#[test]
fn volcano_node_order_binpack_and_spread() {
    let nodes = [(8 * G, 8 * G), (2 * G, 8 * G), (5 * G, 8 * G), (G, 8 * G)];
    assert_eq!(NodeOrder::Binpack.rank(&nodes, 2 * G), vec![1, 2, 0]);
    assert_eq!(NodeOrder::Spread.rank(&nodes, 2 * G), vec![0, 2, 1]);
    // Mixed sizes: a full 4-GPU node beats a half-full 8-GPU one for
    // binpack; spread prefers the 8-GPU node's 50 to 0.
    let mixed = [(2 * G, 4 * G), (6 * G, 8 * G)];
    assert_eq!(NodeOrder::Binpack.rank(&mixed, 2 * G), vec![0, 1]);
    assert_eq!(NodeOrder::Spread.rank(&mixed, 2 * G), vec![1, 0]);
    // Equal scores: lower index first.
    let same = [(4 * G, 8 * G), (4 * G, 8 * G)];
    assert_eq!(NodeOrder::Binpack.rank(&same, G), vec![0, 1]);
    assert_eq!(NodeOrder::Spread.rank(&same, G), vec![0, 1]);
    assert_eq!(NodeOrder::default(), NodeOrder::Spread);
}

#[test]
fn volcano_queue_index_and_defaults() {
    let cfg = config(vec![queue("a", 3), VolcanoQueue::new(DEFAULT_QUEUE)], false);
    assert_eq!(queue_index(&cfg, "a"), Some(0));
    assert_eq!(queue_index(&cfg, DEFAULT_QUEUE), Some(1));
    assert_eq!(queue_index(&cfg, "nope"), None);
    let d = VolcanoConfig::default();
    assert_eq!(queue_index(&d, DEFAULT_QUEUE), Some(0));
    assert!(!d.reclaim && d.queues[0].reclaimable && d.queues[0].weight == 1);
}

/// GPU-milli of a submitted job: 1000 per whole GPU, a fraction's milli,
/// a MIG slice's compute share (`GpuShare::milli`).
#[test]
fn volcano_jobs_count_gpu_milli() {
    use crate::workload::{GpuShare, JobRequest, UserId};
    let whole = SubmittedJob {
        request: JobRequest::Nodes {
            count: 2,
            gpus_per_node: 8,
        },
        user: UserId(7),
        priority: 3,
        submit: SimTime::from_ns(5),
        ..SubmittedJob::default()
    };
    assert_eq!(
        VolcanoJob::of(42, &whole, 1),
        VolcanoJob {
            id: 42,
            queue: 1,
            priority: 3,
            milli: 16 * G,
            user: 7,
            created: SimTime::from_ns(5),
        }
    );
    let fraction = SubmittedJob {
        request: JobRequest::Gpus(1),
        share: GpuShare::Fraction { milli: 250 },
        ..SubmittedJob::default()
    };
    assert_eq!(job_milli(&fraction), 250);
    let profile = crate::hardware::mig::name_index("3g.40gb").unwrap();
    let mig = SubmittedJob {
        request: JobRequest::Gpus(1),
        share: GpuShare::Mig { profile },
        ..SubmittedJob::default()
    };
    // 3 of a 7-slice GPU's compute slices.
    assert_eq!(job_milli(&mig), 428);
}
