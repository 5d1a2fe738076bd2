//! Kueue's admission model: ResourceFlavors, ClusterQueues in cohorts,
//! LocalQueues, quota, borrowing and lending, and preemption, as a pure,
//! deterministic engine the scheduler calls.
//!
//! Kueue (kueue.sigs.k8s.io) decides *whether* a Kubernetes workload may
//! start (it "admits" it by reserving quota); the kube-scheduler then
//! decides *where* its pods go. Here the caller (the scheduler, which owns
//! the GPU pool) answers the "where" through [`Nodes`], and this module
//! answers the "whether" with Kueue's rules, read from Kueue's source
//! (`pkg/scheduler/scheduler.go`, `pkg/scheduler/flavorassigner/`,
//! `pkg/cache/scheduler/resource_node.go`,
//! `pkg/scheduler/preemption/`) and documentation:
//!
//! - ClusterQueue: <https://kueue.sigs.k8s.io/docs/concepts/cluster_queue/>
//! - Cohort: <https://kueue.sigs.k8s.io/docs/concepts/cohort/>
//! - Preemption: <https://kueue.sigs.k8s.io/docs/concepts/preemption/>
//! - Workload: <https://kueue.sigs.k8s.io/docs/concepts/workload/>
//! - ResourceFlavor: <https://kueue.sigs.k8s.io/docs/concepts/resource_flavor/>
//! - LocalQueue: <https://kueue.sigs.k8s.io/docs/concepts/local_queue/>
//!
//! Field names are Kueue's, in snake case (`nominalQuota` is
//! `nominal_quota`), each with Kueue's default in its doc comment.
//!
//! # What is modelled
//!
//! - **One resource, `nvidia.com/gpu`, counted in GPU-milli** (thousandths
//!   of a GPU), so that fractional workloads add exactly: a whole-GPU job
//!   of `n` GPUs uses `1000 n`, a fraction its `milli`, a MIG slice its
//!   share of the GPU's compute ([`request_milli`]). Quotas are written in
//!   whole GPUs (extended resources are integers in Kubernetes) and held
//!   in milli. (Kueue counts a MIG slice as its own resource,
//!   `nvidia.com/mig-1g.10gb`; one resource is a simplification.)
//! - **A workload has one pod set** (the job's GPUs), admitted all or
//!   nothing in one flavor.
//! - **A ResourceFlavor is a set of nodes**: those whose GPU model is the
//!   flavor's `gpu_type` (Kueue's `nodeLabels`, here the
//!   `nvidia.com/gpu.product` label), or every node without one (Kueue's
//!   empty "default flavor").
//! - **A ClusterQueue has one resource group**: its flavors in order, each
//!   with `nominalQuota`, `borrowingLimit` and `lendingLimit`.
//! - **Cohorts are flat**: a cohort is a name ClusterQueues share; Kueue's
//!   hierarchical Cohort objects (cohorts with their own quota and parent)
//!   and fair sharing are not modelled.
//! - **Quota arithmetic** is `resource_node.go`'s for a one-level tree: a
//!   ClusterQueue's *guaranteed* quota is `nominalQuota - lendingLimit`
//!   (0 without a lending limit); the cohort holds what its members lend
//!   (`nominalQuota` minus the guaranteed part) and counts the usage each
//!   member has beyond its guaranteed part. `Available` is what is left of
//!   the guaranteed part plus what the cohort has left, the latter capped
//!   by `borrowingLimit`; `PotentialAvailable` the same with no usage.
//! - **A scheduling cycle** ([`Kueue::cycle`]) is `scheduler.go`'s
//!   `schedule()`: one head per ClusterQueue (StrictFIFO: the first
//!   workload by priority then creation time; BestEffortFIFO: the first
//!   one not set aside as inadmissible), a flavor assignment for each
//!   (`flavorassigner.go`), the entries ordered (non-borrowing first, then
//!   higher priority, then earlier creation, then the caller's id), and
//!   processed in that order against quota that each admission (and each
//!   preemption's reservation) in the cycle has already taken.
//! - **BestEffortFIFO's requeueing**: a head that can neither fit nor
//!   preempt (`NoFit`, or preemption with no candidates) is set aside as
//!   inadmissible (Kueue's `inadmissibleWorkloads`), so the next workload
//!   of its queue becomes the head; inadmissible workloads come back when
//!   quota or room is freed ([`Kueue::release`] puts every one back,
//!   where Kueue puts back those of the freed queue's cohort; the
//!   simulator's nodes are shared across cohorts), except by an eviction
//!   this engine decided: that quota goes to the preemptor. Under
//!   StrictFIFO the head stays and blocks its queue. A head that needs
//!   preemption but finds no candidate holds the quota it waits for until
//!   the end of the cycle, unless its `reclaimWithinCohort` is `Any`
//!   (`reserveCapacityForUnreclaimablePreempt`).
//! - **Preemption** is `preemption.go`'s classical algorithm: candidates
//!   in the same ClusterQueue by `withinClusterQueue`, in borrowing
//!   ClusterQueues of the cohort by `reclaimWithinCohort` (with the
//!   hierarchical advantage of a preemptor that would not borrow, and
//!   `borrowWithinCohort` with its `maxPriorityThreshold` for one that
//!   would), ordered other queues before the preemptor's, lower priority
//!   first, most recently admitted first; removed one by one until the
//!   preemptor fits, then every victim but the last that can be given
//!   back is (the minimal set). The preemptor is not admitted in the cycle
//!   that evicts: it reserves its quota for the rest of the cycle and is
//!   admitted in a later cycle, once the caller has released its victims.
//! - **Node room**: quota alone does not start pods. A flavor whose quota
//!   fits but whose nodes cannot hold the pods now ([`Nodes::fits`]) is
//!   treated as not fitting, and the next flavor is tried; an entry whose
//!   room is gone when its turn comes in the cycle is not admitted. This
//!   approximates Kueue with TopologyAwareScheduling (which admits only
//!   with a node placement) or `waitForPodsReady` (which would evict a
//!   workload whose pods cannot be scheduled); plain Kueue would admit on
//!   quota and leave the pods Pending.
//!
//! Not modelled: admission checks, partial admission, fair sharing,
//! `namespaceSelector` (every namespace may use every ClusterQueue),
//! `stopPolicy`, `LastAssignment` (each assignment starts again from the
//! first flavor), `FlavorFungibility.preference` (Kueue's default,
//! BorrowingOverPreemption, is used), eviction grace: victims free their
//! quota when the caller releases them.
//!
//! # Invariants
//!
//! - a ClusterQueue's usage of a flavor never exceeds its
//!   `PotentialAvailable`: `nominalQuota + borrowingLimit`, and never
//!   what its cohort has;
//! - a ClusterQueue's usage beyond its guaranteed quota never exceeds what
//!   the cohort's members lend (the sum of their `nominalQuota -
//!   guaranteed`), so a lender's guaranteed part is never borrowed;
//! - admission is all or nothing: an `Admit` decision carries the whole
//!   request in one flavor;
//! - determinism: every order is total (ties by the caller's workload id),
//!   nothing iterates a hash map, and a cycle allocates nothing once its
//!   scratch buffers have grown to the workload's size.
//!
//! # Use
//!
//! ```text
//! loop {
//!     out.clear();
//!     let outcome = kueue.cycle(&pending, &admitted, &mut nodes, &mut out);
//!     for d in &out { apply it: Admit -> start the job, move it from pending
//!                     to admitted; Evict -> stop the job, kueue.release(&it),
//!                     move it back to pending (it keeps its creation time) }
//!     if !outcome.progress() { break }
//! }
//! ```
//!
//! Call it whenever something changed (a submission, a workload ending
//! and released): like Kueue's scheduler, which runs cycles while heads
//! exist, a call of one cycle considers one head per ClusterQueue.

mod config;
mod quotas;
#[cfg(test)]
mod tests;

pub use config::*;
use quotas::{Quota, Quotas};

use crate::engine::SimTime;

/// A workload waiting for admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingWorkload {
    /// The caller's id (a job index): unique, and the last tie-breaker.
    pub id: u32,
    /// Its LocalQueue: a valid index into [`KueueConfig::local_queues`].
    pub queue: LocalQueueId,
    /// Its WorkloadPriorityClass value.
    pub priority: i32,
    /// Its creation time, the FIFO order (a preempted workload keeps it).
    pub created: SimTime,
    /// Its request, GPU-milli ([`request_milli`]); more than 0.
    pub gpu_milli: u64,
}

/// A workload holding quota (admitted and not yet finished or evicted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdmittedWorkload {
    pub id: u32,
    pub queue: LocalQueueId,
    pub priority: i32,
    pub created: SimTime,
    pub gpu_milli: u64,
    /// The flavor it was admitted in.
    pub flavor: FlavorId,
    /// When its quota was reserved (victims: most recent first).
    pub admitted: SimTime,
}

/// Why a workload is evicted (Kueue's preemption reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictReason {
    /// `InClusterQueue`: by a workload of its own ClusterQueue.
    InClusterQueue,
    /// `InCohortReclamation`: its ClusterQueue was borrowing and the
    /// preemptor's ClusterQueue takes back quota.
    InCohortReclamation,
    /// `InCohortReclaimWhileBorrowing`: reclaimed by a preemptor that
    /// itself borrows (`borrowWithinCohort`).
    InCohortReclaimWhileBorrowing,
}

/// What a cycle decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KueueDecision {
    /// Reserve quota for the pending workload `workload` (an id) in
    /// `flavor`; `borrows` when it uses quota beyond its ClusterQueue's
    /// nominal quota.
    Admit {
        workload: u32,
        flavor: FlavorId,
        borrows: bool,
    },
    /// Evict the admitted workload `workload` (an id) so that `by` (a
    /// pending workload's id) can be admitted in a later cycle.
    Evict {
        workload: u32,
        by: u32,
        reason: EvictReason,
    },
}

/// The node side of admission: the caller's GPU pool.
pub trait Nodes {
    /// Whether the workload's pods can be placed on the flavor's nodes now
    /// (counting the workloads this cycle admitted before it).
    fn fits(&mut self, workload: &PendingWorkload, flavor: FlavorId) -> bool;
    /// The cycle admitted `workload` in `flavor`: hold its room for the
    /// rest of the cycle (the default holds nothing).
    fn admitted(&mut self, _workload: &PendingWorkload, _flavor: FlavorId) {}
}

/// Any closure answers `fits` (and holds nothing).
impl<F: FnMut(&PendingWorkload, FlavorId) -> bool> Nodes for F {
    fn fits(&mut self, workload: &PendingWorkload, flavor: FlavorId) -> bool {
        self(workload, flavor)
    }
}

/// What one cycle did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CycleOutcome {
    pub admitted: u32,
    pub evicted: u32,
    /// Heads set aside as inadmissible (BestEffortFIFO).
    pub set_aside: u32,
}

impl CycleOutcome {
    /// Whether another cycle now could decide something new.
    pub fn progress(&self) -> bool {
        self.admitted + self.evicted + self.set_aside > 0
    }
}

/// A ClusterQueue's counts, as Kueue's metrics have them
/// (`kueue_pending_workloads`, `kueue_admitted_active_workloads`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueGauges {
    /// Pending workloads, active and inadmissible, at the last cycle.
    pub pending: u32,
    /// Of those, set aside as inadmissible (BestEffortFIFO).
    pub inadmissible: u32,
    /// Workloads holding quota.
    pub admitted: u32,
}

/// A ClusterQueue's use of one flavor, GPU-milli
/// (`kueue_cluster_queue_resource_usage`,
/// `kueue_cluster_queue_nominal_quota`,
/// `kueue_cluster_queue_borrowing_limit`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlavorGauges {
    pub flavor: FlavorId,
    pub usage: u64,
    pub nominal_quota: u64,
    /// Usage beyond the nominal quota.
    pub borrowed: u64,
    pub borrowing_limit: Option<u64>,
    pub lending_limit: Option<u64>,
}

/// How a flavor can take a workload (`flavorassigner.go`'s
/// `preemptionMode`, worst first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    NoFit,
    /// Preemption would be needed, but nothing can be preempted.
    NoCandidates,
    /// Preemption with a victim in the preemptor's own ClusterQueue.
    Preempt,
    /// Preemption of other ClusterQueues' workloads only.
    Reclaim,
    Fit,
}

impl Mode {
    fn preempts(self) -> bool {
        matches!(self, Mode::Preempt | Mode::Reclaim)
    }
}

/// A flavor's mode and whether it borrows (`granularMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Granular {
    mode: Mode,
    borrows: bool,
}

impl Granular {
    const WORST: Granular = Granular {
        mode: Mode::NoFit,
        borrows: true,
    };

    /// `isPreferred` with Kueue's default preference,
    /// BorrowingOverPreemption: a flavor with candidates over one without,
    /// then the better mode, then not borrowing.
    fn preferred_to(self, other: Granular) -> bool {
        if self.mode == Mode::NoFit {
            return false;
        }
        if other.mode == Mode::NoFit {
            return true;
        }
        let (a, b) = (
            self.mode == Mode::NoCandidates,
            other.mode == Mode::NoCandidates,
        );
        if a != b {
            return !a;
        }
        if self.mode != other.mode {
            return self.mode > other.mode;
        }
        !self.borrows && other.borrows
    }

    /// `shouldTryNextFlavor`.
    fn try_next(self, f: FlavorFungibility) -> bool {
        matches!(self.mode, Mode::NoFit | Mode::NoCandidates)
            || (self.mode.preempts() && f.when_can_preempt == FungibilityPolicy::TryNextFlavor)
            || (self.borrows && f.when_can_borrow == FungibilityPolicy::TryNextFlavor)
    }
}

/// How a candidate victim may be preempted (`preemptionVariant`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    WithinCq,
    HierarchicalReclaim,
    ReclaimWithoutBorrowing,
    ReclaimWhileBorrowing,
}

impl Variant {
    fn reason(self) -> EvictReason {
        match self {
            Variant::WithinCq => EvictReason::InClusterQueue,
            Variant::HierarchicalReclaim | Variant::ReclaimWithoutBorrowing => {
                EvictReason::InCohortReclamation
            }
            Variant::ReclaimWhileBorrowing => EvictReason::InCohortReclaimWhileBorrowing,
        }
    }
}

/// A candidate victim: an index into the admitted workloads.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    admitted: u32,
    /// 0: hierarchical reclaim, 1: by priority, 2: same ClusterQueue
    /// (the order `NewCandidateIterator` concatenates them in).
    list: u8,
    variant: Variant,
}

/// A victim chosen for an entry.
#[derive(Clone, Copy, Debug)]
struct Target {
    admitted: u32,
    reason: EvictReason,
}

/// A head of a ClusterQueue with its flavor assignment.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Index into the pending workloads.
    pending: u32,
    cq: ClusterQueueId,
    flavor: FlavorId,
    mode: Mode,
    borrows: bool,
    /// Its victims: `targets[start..end]` of the cycle's scratch.
    targets: (u32, u32),
}

/// Buffers a cycle reuses.
#[derive(Clone, Debug, Default)]
struct Scratch {
    /// Pending indices in queue order (ClusterQueue, priority, creation).
    order: Vec<u32>,
    /// The ClusterQueue of each pending workload.
    cq_of: Vec<ClusterQueueId>,
    /// The ClusterQueue of each admitted workload.
    admitted_cq: Vec<ClusterQueueId>,
    entries: Vec<Entry>,
    /// Usage as the cycle goes (admissions and reservations added).
    usage: Vec<i64>,
    /// Usage with simulated removals, for preemption.
    sim: Vec<i64>,
    candidates: Vec<Candidate>,
    tried: Vec<Target>,
    best: Vec<Target>,
    targets: Vec<Target>,
    /// Admitted indices preempted in this cycle, sorted.
    preempted: Vec<u32>,
}

/// Kueue's state: the configuration, usage and inadmissible workloads.
#[derive(Clone, Debug)]
pub struct Kueue {
    config: KueueConfig,
    quotas: Quotas,
    /// Usage per (ClusterQueue, flavor), GPU-milli, as of the last cycle,
    /// its admissions and the releases since.
    usage: Vec<i64>,
    /// Per ClusterQueue: ids of workloads set aside as inadmissible,
    /// sorted.
    inadmissible: Vec<Vec<u32>>,
    gauges: Vec<QueueGauges>,
    /// Ids of workloads a cycle evicted and the caller has not released
    /// yet, sorted.
    evicting: Vec<u32>,
    scratch: Scratch,
}

impl Kueue {
    pub fn new(config: KueueConfig) -> Self {
        let quotas = Quotas::new(&config);
        let queues = config.cluster_queues.len();
        Kueue {
            usage: vec![0; quotas.quota.len()],
            quotas,
            inadmissible: vec![Vec::new(); queues],
            gauges: vec![QueueGauges::default(); queues],
            evicting: Vec::new(),
            config,
            scratch: Scratch::default(),
        }
    }

    pub fn config(&self) -> &KueueConfig {
        &self.config
    }

    /// One scheduling cycle over `pending` (every workload waiting, in
    /// any order) and `admitted` (every workload holding quota): the
    /// decisions go to `out` (appended), Admit and Evict in the order
    /// Kueue makes them. See the module doc for what the caller does with
    /// them.
    pub fn cycle(
        &mut self,
        pending: &[PendingWorkload],
        admitted: &[AdmittedWorkload],
        nodes: &mut dyn Nodes,
        out: &mut Vec<KueueDecision>,
    ) -> CycleOutcome {
        let config = &self.config;
        let q = &self.quotas;
        let s = &mut self.scratch;
        let mut outcome = CycleOutcome::default();

        // The snapshot: usage from what holds quota.
        self.usage.iter_mut().for_each(|u| *u = 0);
        s.admitted_cq.clear();
        for g in &mut self.gauges {
            *g = QueueGauges::default();
        }
        for w in admitted {
            let cq = config.cluster_queue_of(w.queue);
            s.admitted_cq.push(cq);
            self.usage[q.at(cq, w.flavor)] += w.gpu_milli as i64;
            self.gauges[usize::from(cq)].admitted += 1;
        }

        // The heads: one per ClusterQueue.
        s.cq_of.clear();
        s.cq_of
            .extend(pending.iter().map(|w| config.cluster_queue_of(w.queue)));
        s.order.clear();
        s.order.extend(0..pending.len() as u32);
        {
            let cq_of = &s.cq_of;
            s.order.sort_unstable_by(|&a, &b| {
                let (wa, wb) = (&pending[a as usize], &pending[b as usize]);
                (cq_of[a as usize].cmp(&cq_of[b as usize]))
                    .then(wb.priority.cmp(&wa.priority))
                    .then(wa.created.cmp(&wb.created))
                    .then(wa.id.cmp(&wb.id))
            });
        }
        s.entries.clear();
        s.targets.clear();
        s.preempted.clear();
        let mut head_of: Option<ClusterQueueId> = None;
        for &p in &s.order {
            let w = &pending[p as usize];
            let cq = s.cq_of[p as usize];
            let gauge = &mut self.gauges[usize::from(cq)];
            gauge.pending += 1;
            let aside = self.inadmissible[usize::from(cq)]
                .binary_search(&w.id)
                .is_ok();
            if aside {
                gauge.inadmissible += 1;
            }
            if head_of == Some(cq) {
                continue;
            }
            let strict = config.cluster_queues[usize::from(cq)].queueing_strategy
                == QueueingStrategy::StrictFifo;
            if aside && !strict {
                continue;
            }
            head_of = Some(cq);
            let entry = assign(
                config,
                q,
                &self.usage,
                admitted,
                &s.admitted_cq,
                w,
                p,
                cq,
                nodes,
                &mut s.sim,
                &mut s.candidates,
                &mut s.tried,
                &mut s.best,
                &mut s.targets,
            );
            s.entries.push(entry);
        }

        // Non-borrowing first, then higher priority, then FIFO.
        s.entries.sort_unstable_by(|a, b| {
            let (wa, wb) = (&pending[a.pending as usize], &pending[b.pending as usize]);
            (a.borrows.cmp(&b.borrows))
                .then(wb.priority.cmp(&wa.priority))
                .then(wa.created.cmp(&wb.created))
                .then(wa.id.cmp(&wb.id))
        });

        s.usage.clear();
        s.usage.extend_from_slice(&self.usage);
        for e in &s.entries {
            let w = &pending[e.pending as usize];
            let r = w.gpu_milli as i64;
            let cq = e.cq;
            let set_aside = match e.mode {
                Mode::NoFit => true,
                Mode::NoCandidates => {
                    // `reserveCapacityForUnreclaimablePreempt`: unless its
                    // queue can always reclaim, hold the quota it waits
                    // for, so later entries of the cycle do not take it.
                    let queue = &config.cluster_queues[usize::from(cq)];
                    if queue.preemption.reclaim_within_cohort != PreemptionPolicy::Any {
                        let at = q.at(cq, e.flavor);
                        s.usage[at] += reserve(q.q(cq, e.flavor), s.usage[at], r, e.borrows);
                    }
                    true
                }
                Mode::Preempt | Mode::Reclaim => {
                    let victims = &s.targets[e.targets.0 as usize..e.targets.1 as usize];
                    if (victims.iter()).any(|t| s.preempted.binary_search(&t.admitted).is_ok()) {
                        false // overlapping targets: skipped
                    } else {
                        // Fits once this cycle's victims and its own are gone?
                        s.sim.clear();
                        s.sim.extend_from_slice(&s.usage);
                        let removed = s.preempted.iter().copied();
                        for a in removed.chain(victims.iter().map(|t| t.admitted)) {
                            let v = &admitted[a as usize];
                            s.sim[q.at(s.admitted_cq[a as usize], v.flavor)] -= v.gpu_milli as i64;
                        }
                        if r <= q.available(&s.sim, cq, e.flavor) {
                            for t in victims {
                                let at = s.preempted.binary_search(&t.admitted).unwrap_err();
                                s.preempted.insert(at, t.admitted);
                                let id = admitted[t.admitted as usize].id;
                                if let Err(at) = self.evicting.binary_search(&id) {
                                    self.evicting.insert(at, id);
                                }
                                out.push(KueueDecision::Evict {
                                    workload: id,
                                    by: w.id,
                                    reason: t.reason,
                                });
                                outcome.evicted += 1;
                            }
                            let at = q.at(cq, e.flavor);
                            s.usage[at] += reserve(q.q(cq, e.flavor), s.usage[at], r, e.borrows);
                        }
                        false
                    }
                }
                Mode::Fit => {
                    // The quota, with this cycle's admissions, and the room.
                    s.sim.clear();
                    s.sim.extend_from_slice(&s.usage);
                    for &a in &s.preempted {
                        let v = &admitted[a as usize];
                        s.sim[q.at(s.admitted_cq[a as usize], v.flavor)] -= v.gpu_milli as i64;
                    }
                    if r <= q.available(&s.sim, cq, e.flavor) && nodes.fits(w, e.flavor) {
                        s.usage[q.at(cq, e.flavor)] += r;
                        self.usage[q.at(cq, e.flavor)] += r;
                        nodes.admitted(w, e.flavor);
                        out.push(KueueDecision::Admit {
                            workload: w.id,
                            flavor: e.flavor,
                            borrows: e.borrows,
                        });
                        outcome.admitted += 1;
                        let g = &mut self.gauges[usize::from(cq)];
                        g.admitted += 1;
                        g.pending -= 1;
                    }
                    false
                }
            };
            let strict = config.cluster_queues[usize::from(cq)].queueing_strategy
                == QueueingStrategy::StrictFifo;
            let list = &mut self.inadmissible[usize::from(cq)];
            if set_aside
                && !strict
                && let Err(at) = list.binary_search(&w.id)
            {
                list.insert(at, w.id);
                outcome.set_aside += 1;
                self.gauges[usize::from(cq)].inadmissible += 1;
            }
        }
        outcome
    }

    /// A workload stopped holding quota (it finished, failed, or was
    /// evicted): its usage is given back, and every workload set aside as
    /// inadmissible is tried again, unless a cycle evicted it: quota
    /// freed by a preemption goes to its preemptor, which was not set
    /// aside (else a set-aside head of higher priority could come back
    /// and let the victim in again, for ever; Kueue's
    /// `PrioritizePreemptorWorkloads` has the same aim).
    pub fn release(&mut self, w: &AdmittedWorkload) {
        let cq = self.config.cluster_queue_of(w.queue);
        let i = self.quotas.at(cq, w.flavor);
        self.usage[i] = (self.usage[i] - w.gpu_milli as i64).max(0);
        let g = &mut self.gauges[usize::from(cq)];
        g.admitted = g.admitted.saturating_sub(1);
        match self.evicting.binary_search(&w.id) {
            Ok(at) => {
                self.evicting.remove(at);
            }
            Err(_) => self.requeue_inadmissible(),
        }
    }

    /// Every workload set aside as inadmissible becomes a candidate head
    /// again (Kueue's `QueueInadmissibleWorkloads`).
    pub fn requeue_inadmissible(&mut self) {
        for (list, g) in self.inadmissible.iter_mut().zip(&mut self.gauges) {
            list.clear();
            g.inadmissible = 0;
        }
    }

    /// Whether the pending workload `id` of `cq` is set aside as
    /// inadmissible.
    pub fn is_inadmissible(&self, cq: ClusterQueueId, id: u32) -> bool {
        self.inadmissible[usize::from(cq)]
            .binary_search(&id)
            .is_ok()
    }

    /// A ClusterQueue's counts.
    pub fn queue_gauges(&self, cq: ClusterQueueId) -> QueueGauges {
        self.gauges[usize::from(cq)]
    }

    /// A ClusterQueue's use of each of its flavors, in its order.
    pub fn flavor_gauges(&self, cq: ClusterQueueId) -> impl Iterator<Item = FlavorGauges> + '_ {
        let queue = &self.config.cluster_queues[usize::from(cq)];
        queue.flavors.iter().map(move |fq| {
            let usage = self.usage[self.quotas.at(cq, fq.flavor)].max(0) as u64;
            FlavorGauges {
                flavor: fq.flavor,
                usage,
                nominal_quota: fq.nominal_quota,
                borrowed: usage.saturating_sub(fq.nominal_quota),
                borrowing_limit: queue.cohort.and(fq.borrowing_limit),
                lending_limit: queue.cohort.and(fq.lending_limit),
            }
        })
    }
}

/// The flavor assignment of a head (`findFlavorForPodSets`): the flavors
/// of its ClusterQueue in order, each fitting, needing preemption (with
/// its victims) or not fitting, stopping as `flavorFungibility` says.
#[allow(clippy::too_many_arguments)]
fn assign(
    config: &KueueConfig,
    q: &Quotas,
    usage: &[i64],
    admitted: &[AdmittedWorkload],
    admitted_cq: &[ClusterQueueId],
    w: &PendingWorkload,
    pending: u32,
    cq: ClusterQueueId,
    nodes: &mut dyn Nodes,
    sim: &mut Vec<i64>,
    candidates: &mut Vec<Candidate>,
    tried: &mut Vec<Target>,
    best_targets: &mut Vec<Target>,
    targets: &mut Vec<Target>,
) -> Entry {
    let queue = &config.cluster_queues[usize::from(cq)];
    let r = w.gpu_milli as i64;
    let mut best = Granular::WORST;
    let mut best_flavor = queue.flavors.first().map_or(0, |f| f.flavor);
    best_targets.clear();
    for fq in &queue.flavors {
        let f = fq.flavor;
        tried.clear();
        let quota = q.q(cq, f);
        let borrows = q.borrowing_with(usage, cq, f, r);
        let mode = if r > q.potential(cq, f) {
            Granular {
                mode: Mode::NoFit,
                borrows: false,
            }
        } else if r <= q.available(usage, cq, f) {
            // Quota fits; the nodes must too (see the module doc).
            Granular {
                mode: if nodes.fits(w, f) {
                    Mode::Fit
                } else {
                    Mode::NoFit
                },
                borrows,
            }
        } else {
            let in_cohort = q.cohort_of[usize::from(cq)].is_some();
            let may_reclaim = in_cohort && !borrows;
            let preempt_while_borrowing =
                queue.preemption.borrow_within_cohort.policy != BorrowWithinCohortPolicy::Never;
            if quota.nominal >= r || may_reclaim || preempt_while_borrowing {
                preemption_targets(
                    config,
                    q,
                    usage,
                    admitted,
                    admitted_cq,
                    w,
                    cq,
                    f,
                    sim,
                    candidates,
                    tried,
                );
                if tried.is_empty() {
                    Granular {
                        mode: Mode::NoCandidates,
                        borrows,
                    }
                } else {
                    sim.clear();
                    sim.extend_from_slice(usage);
                    for t in tried.iter() {
                        let v = &admitted[t.admitted as usize];
                        sim[q.at(admitted_cq[t.admitted as usize], v.flavor)] -= v.gpu_milli as i64;
                    }
                    let own = tried.iter().any(|t| admitted_cq[t.admitted as usize] == cq);
                    Granular {
                        mode: if own { Mode::Preempt } else { Mode::Reclaim },
                        borrows: q.borrowing_with(sim, cq, f, r),
                    }
                }
            } else {
                Granular {
                    mode: Mode::NoFit,
                    borrows,
                }
            }
        };
        let stop = !mode.try_next(queue.flavor_fungibility);
        if stop || mode.preferred_to(best) {
            best = mode;
            best_flavor = f;
            best_targets.clear();
            best_targets.extend_from_slice(tried);
        }
        if stop {
            break;
        }
    }
    let start = targets.len() as u32;
    targets.extend_from_slice(best_targets);
    Entry {
        pending,
        cq,
        flavor: best_flavor,
        mode: best.mode,
        borrows: best.borrows,
        targets: (start, targets.len() as u32),
    }
}

/// What an entry that waits for preemption holds of the quota for the
/// rest of its cycle (`quotaResourcesToReserve`): while borrowing, its
/// request up to the borrowing limit; otherwise what is left of the
/// nominal quota, up to its request.
fn reserve(quota: &Quota, used: i64, r: i64, borrows: bool) -> i64 {
    if borrows {
        (quota.borrowing_limit).map_or(r, |b| r.min(quota.nominal + b - used))
    } else {
        r.min(quota.nominal - used)
    }
    .max(0)
}

/// `SatisfiesPreemptionPolicy`.
fn satisfies(policy: PreemptionPolicy, preemptor: &PendingWorkload, v: &AdmittedWorkload) -> bool {
    let lower = preemptor.priority > v.priority;
    match policy {
        PreemptionPolicy::Never => false,
        PreemptionPolicy::LowerPriority => lower,
        PreemptionPolicy::LowerOrNewerEqualPriority => {
            lower || (preemptor.priority == v.priority && preemptor.created < v.created)
        }
        PreemptionPolicy::Any => true,
    }
}

/// The victims that let `w` fit in flavor `f` of `cq`
/// (`classicalPreemptions`), into `out`; none if there is no such set.
#[allow(clippy::too_many_arguments)]
fn preemption_targets(
    config: &KueueConfig,
    q: &Quotas,
    usage: &[i64],
    admitted: &[AdmittedWorkload],
    admitted_cq: &[ClusterQueueId],
    w: &PendingWorkload,
    cq: ClusterQueueId,
    f: FlavorId,
    sim: &mut Vec<i64>,
    candidates: &mut Vec<Candidate>,
    out: &mut Vec<Target>,
) {
    let queue = &config.cluster_queues[usize::from(cq)];
    let p = queue.preemption;
    let r = w.gpu_milli as i64;
    let cohort = q.cohort_of[usize::from(cq)];
    let nominal = |c: ClusterQueueId| q.q(c, f).nominal;
    // The preemptor would not borrow: it has the hierarchical advantage.
    let advantage = usage[q.at(cq, f)] + r <= nominal(cq);
    let forbidden = p.borrow_within_cohort.policy == BorrowWithinCohortPolicy::Never;
    candidates.clear();
    for (a, v) in admitted.iter().enumerate() {
        let vcq = admitted_cq[a];
        if v.flavor != f {
            continue;
        }
        let (list, variant) = if vcq == cq {
            if !satisfies(p.within_cluster_queue, w, v) {
                continue;
            }
            (2, Variant::WithinCq)
        } else {
            // Other ClusterQueues of the cohort over their nominal quota.
            if cohort.is_none()
                || q.cohort_of[usize::from(vcq)] != cohort
                || !q.q(vcq, f).listed
                || usage[q.at(vcq, f)] <= nominal(vcq)
                || !satisfies(p.reclaim_within_cohort, w, v)
            {
                continue;
            }
            if advantage {
                (0, Variant::HierarchicalReclaim)
            } else if forbidden
                || v.priority >= w.priority
                || (p.borrow_within_cohort.max_priority_threshold).is_some_and(|t| v.priority > t)
            {
                (1, Variant::ReclaimWithoutBorrowing)
            } else {
                (1, Variant::ReclaimWhileBorrowing)
            }
        };
        candidates.push(Candidate {
            admitted: a as u32,
            list,
            variant,
        });
    }
    // `CandidatesOrdering` within each list: lower priority, then the
    // most recently admitted, then the id.
    candidates.sort_unstable_by(|x, y| {
        let (vx, vy) = (
            &admitted[x.admitted as usize],
            &admitted[y.admitted as usize],
        );
        (x.list.cmp(&y.list))
            .then(vx.priority.cmp(&vy.priority))
            .then(vy.admitted.cmp(&vx.admitted))
            .then(vx.id.cmp(&vy.id))
    });
    let from_others = candidates.iter().any(|c| c.list < 2);
    let hierarchical = candidates.iter().any(|c| c.list == 0);
    let under_nominal = nominal(cq) > usage[q.at(cq, f)];
    let attempts: &[bool] = if !from_others || (forbidden && !under_nominal) {
        &[true]
    } else if forbidden && !hierarchical {
        &[false, true]
    } else {
        &[true, false]
    };
    let fits = |sim: &[i64], borrowing: bool| {
        (borrowing || !q.borrowing_with(sim, cq, f, r)) && r <= q.available(sim, cq, f)
    };
    for &borrowing in attempts {
        out.clear();
        sim.clear();
        sim.extend_from_slice(usage);
        for c in candidates.iter() {
            let vcq = admitted_cq[c.admitted as usize];
            if vcq != cq {
                if borrowing && c.variant == Variant::ReclaimWithoutBorrowing {
                    continue;
                }
                // No longer borrowing after earlier removals.
                if sim[q.at(vcq, f)] <= nominal(vcq) {
                    continue;
                }
            }
            let v = &admitted[c.admitted as usize];
            sim[q.at(vcq, f)] -= v.gpu_milli as i64;
            out.push(Target {
                admitted: c.admitted,
                reason: c.variant.reason(),
            });
            if fits(sim, borrowing) {
                // `fillBackWorkloads`: give back every victim but the last
                // that is not needed, latest first.
                let mut i = out.len() - 1;
                while i > 0 {
                    i -= 1;
                    let t = out[i];
                    let v = &admitted[t.admitted as usize];
                    let at = q.at(admitted_cq[t.admitted as usize], f);
                    sim[at] += v.gpu_milli as i64;
                    if fits(sim, borrowing) {
                        out.swap_remove(i);
                    } else {
                        sim[at] -= v.gpu_milli as i64;
                    }
                }
                return;
            }
        }
    }
    out.clear();
}
