//! Hand-computed admission sequences against what Kueue's documentation
//! says; each test cites its page.

use super::*;
use crate::workload::SubmittedJob;

const GPU: u64 = MILLI;

fn flavor(name: &str) -> ResourceFlavor {
    ResourceFlavor {
        name: name.into(),
        gpu_type: None,
    }
}

fn quotas(flavor: FlavorId, nominal: u64) -> FlavorQuotas {
    FlavorQuotas {
        flavor,
        nominal_quota: nominal * GPU,
        borrowing_limit: None,
        lending_limit: None,
    }
}

fn cq(name: &str, cohort: Option<u16>, flavors: Vec<FlavorQuotas>) -> ClusterQueue {
    ClusterQueue {
        name: name.into(),
        cohort,
        queueing_strategy: QueueingStrategy::BestEffortFifo,
        flavors,
        preemption: ClusterQueuePreemption::default(),
        flavor_fungibility: FlavorFungibility::default(),
    }
}

/// One LocalQueue per ClusterQueue, with the same index.
fn config(flavors: Vec<ResourceFlavor>, cqs: Vec<ClusterQueue>) -> KueueConfig {
    let cohorts = if cqs.iter().any(|q| q.cohort.is_some()) {
        vec!["research".to_string()]
    } else {
        Vec::new()
    };
    KueueConfig {
        local_queues: (cqs.iter().enumerate())
            .map(|(i, q)| LocalQueue {
                name: q.name.clone(),
                namespace: q.name.clone(),
                cluster_queue: i as ClusterQueueId,
            })
            .collect(),
        flavors,
        cluster_queues: cqs,
        cohorts,
    }
}

/// Two ClusterQueues `team-a` (0) and `team-b` (1) in one cohort, one
/// flavor, nominal quotas in GPUs.
fn two_teams(a: FlavorQuotas, b: FlavorQuotas) -> (ClusterQueue, ClusterQueue) {
    (
        cq("team-a", Some(0), vec![a]),
        cq("team-b", Some(0), vec![b]),
    )
}

/// The caller's side, as the scheduler will do it: pending and admitted
/// workloads, decisions applied after each cycle, cycles until nothing
/// moves. Every submission is one second after the previous one.
struct Harness {
    kueue: Kueue,
    pending: Vec<PendingWorkload>,
    admitted: Vec<AdmittedWorkload>,
    now: u64,
    next_id: u32,
    /// Flavors whose nodes have no room.
    full: Vec<FlavorId>,
}

impl Harness {
    fn new(config: KueueConfig) -> Self {
        Harness {
            kueue: Kueue::new(config),
            pending: Vec::new(),
            admitted: Vec::new(),
            now: 0,
            next_id: 1,
            full: Vec::new(),
        }
    }

    fn tick(&mut self) -> SimTime {
        self.now += 1;
        SimTime::from_ns(self.now * 1_000_000_000)
    }

    /// A workload of `gpus` GPUs in LocalQueue `queue`; its id.
    fn submit(&mut self, queue: LocalQueueId, priority: i32, gpus: u64) -> u32 {
        let created = self.tick();
        self.submit_created(queue, priority, gpus, created)
    }

    fn submit_created(
        &mut self,
        queue: LocalQueueId,
        priority: i32,
        gpus: u64,
        created: SimTime,
    ) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.push(PendingWorkload {
            id,
            queue,
            priority,
            created,
            gpu_milli: gpus * GPU,
        });
        id
    }

    /// One cycle, its decisions applied.
    fn cycle(&mut self) -> (Vec<KueueDecision>, CycleOutcome) {
        let mut out = Vec::new();
        let full = self.full.clone();
        let mut nodes = |_: &PendingWorkload, f: FlavorId| !full.contains(&f);
        let outcome = (self.kueue).cycle(&self.pending, &self.admitted, &mut nodes, &mut out);
        let at = self.tick();
        for d in &out {
            match *d {
                KueueDecision::Admit {
                    workload, flavor, ..
                } => {
                    let i = self.pending.iter().position(|w| w.id == workload).unwrap();
                    let w = self.pending.remove(i);
                    self.admitted.push(AdmittedWorkload {
                        id: w.id,
                        queue: w.queue,
                        priority: w.priority,
                        created: w.created,
                        gpu_milli: w.gpu_milli,
                        flavor,
                        admitted: at,
                    });
                }
                KueueDecision::Evict { workload, .. } => {
                    let w = self.end(workload);
                    self.pending.push(PendingWorkload {
                        id: w.id,
                        queue: w.queue,
                        priority: w.priority,
                        created: w.created,
                        gpu_milli: w.gpu_milli,
                    });
                }
            }
        }
        (out, outcome)
    }

    /// Cycles until one decides nothing new; every decision, in order.
    fn run(&mut self) -> Vec<KueueDecision> {
        let mut all = Vec::new();
        for _ in 0..100 {
            let (out, outcome) = self.cycle();
            all.extend(out);
            if !outcome.progress() {
                return all;
            }
        }
        eprintln!("{:#?}", self.kueue.config.cluster_queues);
        eprintln!("pending {:?}", self.pending);
        eprintln!("admitted {:?}", self.admitted);
        for _ in 0..2 {
            let (out, _) = self.cycle();
            eprintln!("cycle {out:?}");
            eprintln!("pending {:?}", self.pending);
            eprintln!("admitted {:?}", self.admitted);
        }
        panic!("no quiescence after 100 cycles: {:?}", &all[..4]);
    }

    /// The admitted workload `id` ends.
    fn end(&mut self, id: u32) -> AdmittedWorkload {
        let i = self.admitted.iter().position(|w| w.id == id).unwrap();
        let w = self.admitted.remove(i);
        self.kueue.release(&w);
        w
    }

    fn usage(&self, cq: ClusterQueueId, f: FlavorId) -> u64 {
        (self.admitted.iter())
            .filter(|w| self.kueue.config().cluster_queue_of(w.queue) == cq && w.flavor == f)
            .map(|w| w.gpu_milli)
            .sum::<u64>()
            / GPU
    }

    fn is_pending(&self, id: u32) -> bool {
        self.pending.iter().any(|w| w.id == id)
    }
}

fn admit(workload: u32, flavor: FlavorId, borrows: bool) -> KueueDecision {
    KueueDecision::Admit {
        workload,
        flavor,
        borrows,
    }
}

fn evict(workload: u32, by: u32, reason: EvictReason) -> KueueDecision {
    KueueDecision::Evict {
        workload,
        by,
        reason,
    }
}

/// cohort/ ("ClusterQueues in a cohort can borrow unused quota from each
/// other") and preemption/ ("reclaimWithinCohort: Any: ... preempt any
/// Workload in the cohort that is using more than its nominal quota"):
/// team A borrows B's idle 4 GPUs; when B wants its nominal 8 back,
/// `reclaimWithinCohort: Any` evicts A's most recently admitted borrowing
/// workload, and B is admitted in the next cycle.
#[test]
fn a_borrows_idle_quota_and_reclaim_any_gives_b_its_nominal_back() {
    let (a, mut b) = two_teams(quotas(0, 8), quotas(0, 8));
    b.preemption.reclaim_within_cohort = PreemptionPolicy::Any;
    let mut h = Harness::new(config(vec![flavor("h100")], vec![a, b]));
    let (a1, a2, a3) = (h.submit(0, 0, 4), h.submit(0, 0, 4), h.submit(0, 0, 4));
    // One head per ClusterQueue per cycle: three cycles, the third
    // admission borrows (usage 12 > nominal 8).
    assert_eq!(
        h.run(),
        [admit(a1, 0, false), admit(a2, 0, false), admit(a3, 0, true)]
    );
    assert_eq!(h.usage(0, 0), 12);
    let gauges: Vec<FlavorGauges> = h.kueue.flavor_gauges(0).collect();
    assert_eq!(gauges[0].usage, 12 * GPU);
    assert_eq!(gauges[0].borrowed, 4 * GPU);
    assert_eq!(h.kueue.queue_gauges(0).admitted, 3);

    let b1 = h.submit(1, 0, 8);
    // B has 4 available (16 - 12) and would not borrow: it reclaims. The
    // victim is A's most recently admitted workload, a3; the preemptor is
    // admitted in the next cycle; a3, requeued, no longer fits (A's
    // nominal 8 is used and the cohort's 16 too) and is set aside.
    assert_eq!(
        h.run(),
        [
            evict(a3, b1, EvictReason::InCohortReclamation),
            admit(b1, 0, false)
        ]
    );
    assert_eq!((h.usage(0, 0), h.usage(1, 0)), (8, 8));
    assert!(h.is_pending(a3));
    assert!(h.kueue.is_inadmissible(0, a3));
    assert_eq!(
        h.kueue.queue_gauges(0),
        QueueGauges {
            pending: 1,
            inadmissible: 1,
            admitted: 2
        }
    );
}

/// preemption/ ("reclaimWithinCohort: Never (default)"): the same, but B
/// does not reclaim: it waits until A gives back quota.
#[test]
fn with_reclaim_never_b_waits_for_a_to_finish() {
    let (a, b) = two_teams(quotas(0, 8), quotas(0, 8));
    let mut h = Harness::new(config(vec![flavor("h100")], vec![a, b]));
    let (a1, a2, a3) = (h.submit(0, 0, 4), h.submit(0, 0, 4), h.submit(0, 0, 4));
    h.run();
    let b1 = h.submit(1, 0, 8);
    assert_eq!(h.run(), []);
    assert!(h.kueue.is_inadmissible(1, b1));
    // A's borrowing workload ends: B fits (16 - 8 = 8).
    h.end(a3);
    assert_eq!(h.run(), [admit(b1, 0, false)]);
    assert_eq!((h.usage(0, 0), h.usage(1, 0)), (8, 8));
    let _ = (a1, a2);
}

/// cluster_queue/ ("lendingLimit: the maximum amount of unused quota a
/// ClusterQueue can lend to other ClusterQueues in the same cohort"): B
/// lends at most 2 of its 8, so A admits at most 8 + 2 = 10.
#[test]
fn a_lending_limit_caps_what_others_borrow() {
    let mut lender = quotas(0, 8);
    lender.lending_limit = Some(2 * GPU);
    let (a, b) = two_teams(quotas(0, 8), lender);
    let mut h = Harness::new(config(vec![flavor("h100")], vec![a, b]));
    let (a1, a2, a3) = (h.submit(0, 0, 4), h.submit(0, 0, 4), h.submit(0, 0, 4));
    let a4 = h.submit(0, 0, 2);
    // a3 would take A to 12 > 10: set aside; BestEffortFIFO tries a4.
    assert_eq!(
        h.run(),
        [admit(a1, 0, false), admit(a2, 0, false), admit(a4, 0, true)]
    );
    assert_eq!(h.usage(0, 0), 10);
    assert!(h.kueue.is_inadmissible(0, a3));
    // B's guaranteed 6 (8 - lending limit 2) stays B's, whatever A does.
    let b1 = h.submit(1, 0, 6);
    assert_eq!(h.run(), [admit(b1, 0, false)]);
}

/// cluster_queue/ ("borrowingLimit: the maximum amount of quota that the
/// ClusterQueue can borrow from other ClusterQueues in the same cohort"):
/// A borrows at most 2 even though B lends all of its idle 8.
#[test]
fn a_borrowing_limit_caps_what_a_borrows() {
    let mut borrower = quotas(0, 8);
    borrower.borrowing_limit = Some(2 * GPU);
    let (a, b) = two_teams(borrower, quotas(0, 8));
    let mut h = Harness::new(config(vec![flavor("h100")], vec![a, b]));
    let (a1, a2, a3) = (h.submit(0, 0, 4), h.submit(0, 0, 4), h.submit(0, 0, 4));
    let (a4, a5) = (h.submit(0, 0, 2), h.submit(0, 0, 1));
    assert_eq!(
        h.run(),
        [admit(a1, 0, false), admit(a2, 0, false), admit(a4, 0, true)]
    );
    assert_eq!(h.usage(0, 0), 10);
    assert!(h.kueue.is_inadmissible(0, a3));
    assert!(h.kueue.is_inadmissible(0, a5));
    let g = h.kueue.flavor_gauges(0).next().unwrap();
    assert_eq!((g.borrowed, g.borrowing_limit), (2 * GPU, Some(2 * GPU)));
}

/// A ClusterQueue of 8 GPUs, no cohort, with `withinClusterQueue`.
fn solo(within: PreemptionPolicy) -> Harness {
    let mut q = cq("solo", None, vec![quotas(0, 8)]);
    q.preemption.within_cluster_queue = within;
    Harness::new(config(vec![flavor("h100")], vec![q]))
}

/// preemption/ ("withinClusterQueue: LowerPriority: ... preempt Workloads
/// in the ClusterQueue that have lower priority"): a higher priority
/// preempts a lower one, never an equal one.
#[test]
fn lower_priority_preempts_lower_never_equal() {
    let mut h = solo(PreemptionPolicy::LowerPriority);
    let low = h.submit(0, 0, 8);
    assert_eq!(h.run(), [admit(low, 0, false)]);
    let equal = h.submit(0, 0, 8);
    assert_eq!(h.run(), []);
    assert!(h.kueue.is_inadmissible(0, equal));
    let high = h.submit(0, 10, 8);
    assert_eq!(
        h.run(),
        [
            evict(low, high, EvictReason::InClusterQueue),
            admit(high, 0, false)
        ]
    );
    // Even an older equal-priority workload does not preempt under
    // LowerPriority.
    let mut h = solo(PreemptionPolicy::LowerPriority);
    let newer = h.submit_created(0, 0, 8, SimTime::from_ns(5_000_000_000));
    h.run();
    let older = h.submit_created(0, 0, 8, SimTime::from_ns(1_000_000_000));
    assert_eq!(h.run(), []);
    assert!(h.is_pending(older));
    let _ = newer;
}

/// preemption/ ("LowerOrNewerEqualPriority: ... also preempt Workloads
/// with the same priority that are newer"): an older equal-priority
/// workload (say, one that was preempted and requeued) takes the place
/// of a newer one; a newer one does not preempt an older one.
#[test]
fn lower_or_newer_equal_priority_takes_a_newer_equal_one() {
    let mut h = solo(PreemptionPolicy::LowerOrNewerEqualPriority);
    let newer = h.submit_created(0, 0, 8, SimTime::from_ns(5_000_000_000));
    assert_eq!(h.run(), [admit(newer, 0, false)]);
    let newest = h.submit_created(0, 0, 8, SimTime::from_ns(9_000_000_000));
    assert_eq!(h.run(), []);
    assert!(h.is_pending(newest));
    let older = h.submit_created(0, 0, 8, SimTime::from_ns(1_000_000_000));
    assert_eq!(
        h.run(),
        [
            evict(newer, older, EvictReason::InClusterQueue),
            admit(older, 0, false)
        ]
    );
}

/// cluster_queue/ ("queueingStrategy: StrictFIFO: ... An older workload
/// that can't be admitted will block newer workloads ... BestEffortFIFO:
/// older workloads that can't be admitted will not block newer
/// workloads that fit").
#[test]
fn strict_fifo_blocks_where_best_effort_admits_the_next() {
    for (strategy, expect_small) in [
        (QueueingStrategy::StrictFifo, false),
        (QueueingStrategy::BestEffortFifo, true),
    ] {
        let mut q = cq("solo", None, vec![quotas(0, 8)]);
        q.queueing_strategy = strategy;
        let mut h = Harness::new(config(vec![flavor("h100")], vec![q]));
        let running = h.submit(0, 0, 4);
        assert_eq!(h.run(), [admit(running, 0, false)]);
        let big = h.submit(0, 0, 8);
        let small = h.submit(0, 0, 2);
        let expected: Vec<KueueDecision> = if expect_small {
            vec![admit(small, 0, false)]
        } else {
            vec![]
        };
        assert_eq!(h.run(), expected, "{strategy:?}");
        assert!(h.is_pending(big));
        // Once the running one ends, the big one is admitted either way
        // (behind the small one under BestEffortFIFO: 2 + 8 > 8).
        h.end(running);
        let after = h.run();
        if expect_small {
            assert_eq!(after, []);
            h.end(small);
            assert_eq!(h.run(), [admit(big, 0, false)]);
        } else {
            assert_eq!(after, [admit(big, 0, false)]);
            // small waited behind it and still does: 8 + 2 > 8.
            assert!(h.is_pending(small));
        }
    }
}

/// scheduler.go's entry ordering ("1. Request under nominal quota. 2.
/// Higher priority first. 3. FIFO"), workload/ ("Kueue ... admits
/// workloads that fit within the nominal quota before those that
/// borrow"): in one cycle, B's non-borrowing low-priority head goes
/// before A's borrowing high-priority head, and takes the quota.
#[test]
fn a_non_borrowing_entry_goes_before_a_borrowing_one_of_higher_priority() {
    let (a, b) = two_teams(quotas(0, 2), quotas(0, 4));
    let mut h = Harness::new(config(vec![flavor("h100")], vec![a, b]));
    let high = h.submit(0, 100, 4); // A: 4 > nominal 2, borrows
    let low = h.submit(1, 0, 4); // B: within its nominal 4
    let (first, _) = h.cycle();
    assert_eq!(first, [admit(low, 0, false)]);
    // A's head no longer fits (6 - 4 = 2 left), and would borrow, so it
    // may not preempt: set aside.
    assert_eq!(h.run(), []);
    assert!(h.kueue.is_inadmissible(0, high));
    // Without borrowing, the higher priority goes first.
    let (a, b) = two_teams(quotas(0, 4), quotas(0, 4));
    let mut h = Harness::new(config(vec![flavor("h100")], vec![a, b]));
    let low = h.submit(0, 0, 4);
    let high = h.submit(1, 100, 4);
    let (first, _) = h.cycle();
    assert_eq!(first, [admit(high, 0, false), admit(low, 0, false)]);
}

/// cluster_queue/ ("flavorFungibility: whenCanBorrow: Borrow (default):
/// ... stop looking for flavors when the workload can borrow ...
/// TryNextFlavor: try the next flavor"): A's first flavor (h100, nominal
/// 4) needs borrowing for 8 GPUs, its second (a100, nominal 8) does not.
#[test]
fn when_can_borrow_decides_between_borrowing_and_the_next_flavor() {
    for (policy, expected) in [
        (FungibilityPolicy::MayStopSearch, admit(1, 0, true)),
        (FungibilityPolicy::TryNextFlavor, admit(1, 1, false)),
    ] {
        let mut a = cq("team-a", Some(0), vec![quotas(0, 4), quotas(1, 8)]);
        a.flavor_fungibility.when_can_borrow = policy;
        let b = cq("team-b", Some(0), vec![quotas(0, 8)]);
        let mut h = Harness::new(config(vec![flavor("h100"), flavor("a100")], vec![a, b]));
        h.submit(0, 0, 8);
        assert_eq!(h.run(), [expected], "{policy:?}");
    }
}

/// resource_flavor/ and the module doc: a flavor whose quota fits but
/// whose nodes have no room is passed over for the next flavor; with no
/// flavor left the workload waits (set aside) until room is released.
#[test]
fn no_room_on_a_flavor_tries_the_next_and_then_waits() {
    let q = cq("solo", None, vec![quotas(0, 8), quotas(1, 8)]);
    let mut h = Harness::new(config(vec![flavor("h100"), flavor("a100")], vec![q]));
    h.full = vec![0];
    let w = h.submit(0, 0, 4);
    assert_eq!(h.run(), [admit(w, 1, false)]);
    h.full = vec![0, 1];
    let v = h.submit(0, 0, 4);
    assert_eq!(h.run(), []);
    assert!(h.kueue.is_inadmissible(0, v));
    h.full = vec![];
    h.end(w);
    assert_eq!(h.run(), [admit(v, 0, false)]);
}

/// preemption/ ("borrowWithinCohort: ... policy: LowerPriority: allow
/// preemption of lower-priority workloads from other ClusterQueues even if
/// the preempting workload will borrow; maxPriorityThreshold: only
/// workloads with priority less than or equal to it can be preempted in
/// that case"). A (nominal 2) wants 4 at priority 10 and so must borrow;
/// B (nominal 6) runs b1 (4 GPUs, priority 0) and b2 (4, priority 5), 2
/// over its nominal.
#[test]
fn borrow_within_cohort_preempts_up_to_its_threshold() {
    let run = |bwc: BorrowWithinCohort| {
        let (mut a, b) = two_teams(quotas(0, 2), quotas(0, 6));
        a.preemption.reclaim_within_cohort = PreemptionPolicy::LowerPriority;
        a.preemption.borrow_within_cohort = bwc;
        let mut h = Harness::new(config(vec![flavor("h100")], vec![a, b]));
        let b1 = h.submit(1, 0, 4);
        let b2 = h.submit(1, 5, 4);
        // b2 first (higher priority), then b1 borrows.
        assert_eq!(h.run(), [admit(b2, 0, false), admit(b1, 0, true)]);
        let a1 = h.submit(0, 10, 4);
        (h.run(), b1, a1)
    };
    // Never (default): A would borrow, so it may not preempt.
    let (never, ..) = run(BorrowWithinCohort::default());
    assert_eq!(never, []);
    // LowerPriority, threshold 0: b1 (priority 0 <= 0) is the victim
    // (lowest priority first), and A is admitted, borrowing 2.
    let (at_zero, b1, a1) = run(BorrowWithinCohort {
        policy: BorrowWithinCohortPolicy::LowerPriority,
        max_priority_threshold: Some(0),
    });
    assert_eq!(
        at_zero,
        [
            evict(b1, a1, EvictReason::InCohortReclaimWhileBorrowing),
            admit(a1, 0, true)
        ]
    );
    // Threshold -1: both of B's are above it; nothing is preempted.
    let (below, ..) = run(BorrowWithinCohort {
        policy: BorrowWithinCohortPolicy::LowerPriority,
        max_priority_threshold: Some(-1),
    });
    assert_eq!(below, []);
    // No threshold: any lower priority; b1 (priority 0) goes first.
    let (any, b1, a1) = run(BorrowWithinCohort {
        policy: BorrowWithinCohortPolicy::LowerPriority,
        max_priority_threshold: None,
    });
    assert_eq!(
        any,
        [
            evict(b1, a1, EvictReason::InCohortReclaimWhileBorrowing),
            admit(a1, 0, true)
        ]
    );
}

/// preemption/ ("Kueue ... preempts the minimal set"): with victims of 2,
/// 2 and 4 GPUs in the way of 4, only what is needed goes; the ordering
/// takes the most recently admitted first, and a victim not needed once
/// a later one is taken is given back.
#[test]
fn victims_are_a_minimal_set_most_recent_first() {
    let mut h = solo(PreemptionPolicy::LowerPriority);
    let x = h.submit(0, 0, 4);
    let y = h.submit(0, 0, 2);
    let z = h.submit(0, 0, 2);
    assert_eq!(
        h.run(),
        [admit(x, 0, false), admit(y, 0, false), admit(z, 0, false)]
    );
    // Needs 4: z (latest) then y free 4: enough; z is not given back
    // (only victims before the last are), y neither.
    let p = h.submit(0, 1, 4);
    let out = h.run();
    assert_eq!(
        out,
        [
            evict(z, p, EvictReason::InClusterQueue),
            evict(y, p, EvictReason::InClusterQueue),
            admit(p, 0, false)
        ]
    );
    assert!(h.admitted.iter().any(|w| w.id == x));
    // Now x (4, priority 0, admitted first) and p (4, priority 1): for a
    // priority-2 request of 4, lower priority goes before recency: x.
    let q = h.submit(0, 2, 4);
    assert_eq!(
        h.run()[..2],
        [evict(x, q, EvictReason::InClusterQueue), admit(q, 0, false)]
    );
}

#[test]
fn queue_index_names_local_queues() {
    let c = config(
        vec![flavor("h100")],
        vec![cq("a", None, vec![quotas(0, 1)])],
    );
    assert_eq!(c.queue_index("a"), Some(0));
    assert_eq!(c.queue_index("b"), None);
}

#[test]
fn request_milli_counts_fractions_exactly() {
    let mut job = SubmittedJob {
        request: crate::workload::JobRequest::Gpus(3),
        ..SubmittedJob::default()
    };
    assert_eq!(request_milli(&job), 3000);
    job.request = crate::workload::JobRequest::Gpus(1);
    job.share = crate::workload::GpuShare::Fraction { milli: 250 };
    assert_eq!(request_milli(&job), 250);
}

/// scheduler.go's `reserveCapacityForUnreclaimablePreempt`: a head that
/// needs preemption but has no candidate (and whose queue cannot always
/// reclaim) holds the quota it waits for against the entries after it in
/// the cycle. A (nominal 4) wants 4 of the 2 left: under StrictFIFO it
/// stays the head and B's borrowing head never gets those 2; under
/// BestEffortFIFO it is set aside and B's head is admitted next cycle.
#[test]
fn a_head_waiting_for_quota_holds_it_against_later_entries() {
    for strategy in [
        QueueingStrategy::StrictFifo,
        QueueingStrategy::BestEffortFifo,
    ] {
        let (mut a, b) = two_teams(quotas(0, 4), quotas(0, 4));
        a.queueing_strategy = strategy;
        let mut h = Harness::new(config(vec![flavor("h100")], vec![a, b]));
        let b1 = h.submit(1, 0, 4);
        let b2 = h.submit(1, 0, 2);
        assert_eq!(h.run(), [admit(b1, 0, false), admit(b2, 0, true)]);
        let a1 = h.submit(0, 0, 4);
        let b3 = h.submit(1, 0, 2);
        let (first, _) = h.cycle();
        assert_eq!(first, [], "{strategy:?}");
        let rest = h.run();
        if strategy == QueueingStrategy::StrictFifo {
            assert_eq!(rest, []);
        } else {
            assert_eq!(rest, [admit(b3, 0, true)]);
        }
        assert!(h.is_pending(a1));
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % n
    }
}

/// The module's invariants over random configurations and workloads:
/// every run of cycles settles, no ClusterQueue uses more than its nominal
/// quota plus its borrowing limit, no cohort lends more than its members
/// let it, every admission is in a flavor of the workload's queue, and the
/// same inputs give the same decisions.
#[test]
fn random_workloads_keep_the_quota_invariants() {
    let policies = [
        PreemptionPolicy::Never,
        PreemptionPolicy::LowerPriority,
        PreemptionPolicy::LowerOrNewerEqualPriority,
    ];
    for seed in 1..=60u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut cqs = Vec::new();
        for i in 0..4u16 {
            let cohort = (i < 3).then_some(0);
            let mut flavors = Vec::new();
            for f in 0..2u16 {
                if rng.below(4) == 0 {
                    continue;
                }
                let nominal = rng.below(9);
                let mut fq = quotas(f, nominal);
                if cohort.is_some() && rng.below(2) == 0 {
                    fq.borrowing_limit = Some(rng.below(5) * GPU);
                }
                if cohort.is_some() && rng.below(2) == 0 {
                    fq.lending_limit = Some(rng.below(nominal + 1) * GPU);
                }
                flavors.push(fq);
            }
            let mut q = cq(&format!("q{i}"), cohort, flavors);
            if rng.below(2) == 0 {
                q.queueing_strategy = QueueingStrategy::StrictFifo;
            }
            q.preemption.within_cluster_queue = policies[rng.below(3) as usize];
            q.preemption.reclaim_within_cohort = [
                PreemptionPolicy::Never,
                PreemptionPolicy::LowerPriority,
                PreemptionPolicy::Any,
            ][rng.below(3) as usize];
            if rng.below(2) == 0 {
                q.preemption.borrow_within_cohort = BorrowWithinCohort {
                    policy: BorrowWithinCohortPolicy::LowerPriority,
                    max_priority_threshold: (rng.below(2) == 0).then(|| rng.below(3) as i32),
                };
            }
            if rng.below(2) == 0 {
                q.flavor_fungibility.when_can_borrow = FungibilityPolicy::TryNextFlavor;
            }
            if rng.below(2) == 0 {
                q.flavor_fungibility.when_can_preempt = FungibilityPolicy::MayStopSearch;
            }
            cqs.push(q);
        }
        let config = config(vec![flavor("h100"), flavor("a100")], cqs);
        let check = |h: &Harness| {
            let q = &h.kueue.quotas;
            for f in 0..2u16 {
                let (mut lent, mut used) = (0i64, 0i64);
                for c in 0..4u16 {
                    let usage = (h.usage(c, f) * GPU) as i64;
                    let quota = q.q(c, f);
                    if !quota.listed {
                        assert_eq!(usage, 0, "seed {seed}: unlisted flavor used");
                        continue;
                    }
                    let most = match (c < 3, quota.borrowing_limit) {
                        (false, _) => quota.nominal,
                        (true, Some(b)) => quota.nominal + b,
                        (true, None) => i64::MAX,
                    };
                    assert!(
                        usage <= most,
                        "seed {seed}: queue {c} uses {usage} > {most}"
                    );
                    if c < 3 {
                        lent += quota.nominal - quota.guaranteed;
                        used += (usage - quota.guaranteed).max(0);
                    }
                }
                assert!(used <= lent, "seed {seed}: cohort lends {used} > {lent}");
            }
        };
        let mut decisions = Vec::new();
        for round in 0..2 {
            let mut h = Harness::new(config.clone());
            let mut rng = Rng(seed);
            let mut all = Vec::new();
            for _ in 0..150 {
                match rng.below(3) {
                    0 | 1 => {
                        let queue = rng.below(4) as u16;
                        let priority = rng.below(3) as i32;
                        let gpus = 1 + rng.below(5);
                        h.submit(queue, priority, gpus);
                    }
                    _ if !h.admitted.is_empty() => {
                        let i = rng.below(h.admitted.len() as u64) as usize;
                        let id = h.admitted[i].id;
                        h.end(id);
                    }
                    _ => {}
                }
                all.extend(h.run());
                check(&h);
            }
            if round == 0 {
                decisions = all;
            } else {
                assert_eq!(all, decisions, "seed {seed}: not deterministic");
            }
        }
    }
}
