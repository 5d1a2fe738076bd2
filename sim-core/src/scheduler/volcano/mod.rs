//! Volcano's queueing model beyond gang scheduling: queues with weights,
//! capabilities and reclaim, as the `volcano-scheduler` runs them in a
//! session (`enqueue, allocate, backfill`, and `reclaim` when turned on).
//!
//! A pure, deterministic engine with a narrow API. The caller owns the GPU
//! pool and node choice; each scheduling pass it hands [`Volcano::session`]
//! the pending and running jobs and a [`Placement`] that answers "does this
//! gang fit now" (and "would it fit if these jobs were evicted"), and gets
//! back [`VolcanoDecision`]s. Nothing is kept between sessions but the
//! configuration and the last session's per-queue figures
//! ([`Volcano::queue`]), as Volcano rebuilds its plugins' state at every
//! `OnSessionOpen`: when a job ends, drop it from the next session's
//! `running`; nothing else is called.
//!
//! # What it follows
//!
//! Volcano's source (volcano-sh/volcano, `pkg/scheduler/`, read at
//! ed72c7c) and its documentation (<https://volcano.sh/en/docs/queue/>,
//! <https://volcano.sh/en/docs/plugins/>: proportion, drf, binpack):
//!
//! - **Deserved shares** ([`deserved`]) are `plugins/proportion`'s
//!   `OnSessionOpen` water-filling: only queues with jobs in the session
//!   take part; each round every queue not yet met gets
//!   `remaining * weight / total weight` more, capped by its
//!   `realCapability` (the cluster less every queue's guarantee, plus its
//!   own guarantee, capped by its `capability`) and by its request (its
//!   pending and running jobs), then raised to its guarantee; a queue is
//!   met when its request is covered or its share stopped growing; rounds
//!   end when nothing remains or nothing moved. The docs call `weight` a
//!   soft limit and `capability` a hard one: a queue may hold more than
//!   its weighted share when the others do not ask for it, because the
//!   water-filling hands their part to the queues that do.
//! - **Allocate** (`actions/allocate/allocate.go`): queues in
//!   `QueueOrderFn` order, the proportion plugin's share
//!   (`allocated / deserved`, lowest first; the queue's own `priority` is
//!   not modelled: all 0); an overused queue (`deserved <= allocated`,
//!   `AddOverusedFn`) is dropped for the rest of the session; otherwise its
//!   first job in `JobOrderFn` order is tried and the queue pushed back
//!   with its new share. Job order is the default tiers': `priority`
//!   (higher first), `gang` (all waiting jobs are equally not ready), `drf`
//!   (lower dominant share first), then creation time, then id
//!   (`Session::JobOrderFn`). A job is allocated when its queue stays
//!   within its deserved share (`allocated + job <= deserved`, the
//!   proportion plugin's `AddAllocatableFn`; a gang's tasks are checked
//!   one by one against a growing `allocated`, which comes to the same)
//!   and the caller can place the whole gang. A job that fails is dropped
//!   for the session, as Volcano pops it and does not push it back. So a
//!   queue never exceeds its deserved share in allocate; it exceeds its
//!   *weighted* share only through the water-filling.
//! - **Backfill** (`actions/backfill`) places best-effort pods, those that
//!   request no resources; every GPU job requests GPUs, so it never starts
//!   one here. It is why a scenario with Volcano refuses Slurm-style
//!   `backfill`.
//! - **Enqueue** (`actions/enqueue` with the proportion and overcommit
//!   plugins) is not modelled: every pending job is considered. (Its
//!   capability check is implied by allocate's: a deserved share never
//!   exceeds the capability.)
//! - **Reclaim** (`actions/reclaim/reclaim.go`, off in Volcano's default
//!   `actions: "enqueue, allocate, backfill"`, both the compiled-in
//!   `DefaultSchedulerConf` and the Helm chart's `volcano-scheduler.conf`;
//!   [`VolcanoConfig::reclaim`] turns it on): queues in share order,
//!   overused ones skipped; each job still waiting, in job order, whose
//!   queue can take it within its deserved share (`Preemptive`), takes
//!   running jobs of *other* queues that are `reclaimable` (default true)
//!   and overused: the proportion plugin's `AddReclaimableFn` admits a
//!   victim while its queue's allocation, less the victims already
//!   chosen, is still above its deserved share. Victims are taken in
//!   `BuildVictimsPriorityQueue` order (the job order reversed: lowest
//!   priority first, then the highest DRF share, then the newest), just
//!   enough for the gang to fit; if it cannot fit, nothing is evicted
//!   (the statement is discarded). A whole job is evicted: gang jobs here
//!   have `minAvailable` equal to their size, and Volcano's job controller
//!   restarts a gang that loses a pod. The reclaimer is then pipelined
//!   ([`VolcanoDecision::Pipeline`]).
//! - **DRF** (`plugins/drf/drf.go`): a dominant share over one resource,
//!   GPUs, is a GPU share. Volcano's current `drf` orders jobs by the
//!   job's *own* allocation over the cluster's total; a gang job waits
//!   whole, so every waiting job's own share is 0 and DRF would never
//!   reorder anything here. This model therefore takes the grouping of
//!   Volcano's namespace fair share (`drf` with `NamespaceOrderFn`, from
//!   "support fair share" 934469d, 2019, until 4ee689a, 2023), with the
//!   job's user as its namespace: a job's DRF share is the GPUs its user's
//!   running jobs hold over the cluster's GPUs. The hierarchical mode is
//!   not modelled.
//! - **Node order** ([`NodeOrder`]): `binpack` scores a node
//!   `(used + request) / allocatable` (higher first); the `nodeorder`
//!   plugin's `leastrequested` (Kubernetes' `NodeResourcesLeastAllocated`)
//!   scores `(allocatable - used - request) * 100 / allocatable`, integer,
//!   higher first. Volcano's compiled-in default conf enables `nodeorder`
//!   (least-requested weight 1, most-requested 0) and not `binpack`; the
//!   Helm chart's conf adds `binpack`, which scores only CPU and memory
//!   unless `binpack.resources: nvidia.com/gpu` is set. So the default
//!   here is [`NodeOrder::Spread`]. Volcano picks at random among nodes
//!   with the best score; this model takes the lowest index.
//!
//! # Resources
//!
//! One resource, GPUs, counted in GPU-milli so that fractional jobs add
//! exactly: a whole-GPU job counts 1000 per GPU, a `Fraction { milli }`
//! job its milli, a MIG slice its compute share ([`job_milli`]). Volcano
//! computes shares in `float64`; here `remaining * weight / total` is
//! rounded down to a milli, so a session may leave up to one milli per
//! queue unshared (Volcano would share thirds of a milli).
//!
//! # Invariants
//!
//! - deserved shares sum to at most the cluster's GPU-milli (when the
//!   guarantees do, which validation checks);
//! - a queue's allocation after allocate or pipeline never exceeds its
//!   deserved share, hence never its capability;
//! - reclaim evicts only running jobs of reclaimable queues other than the
//!   reclaimer's, each taken while its queue's allocation less the victims
//!   before it is above its deserved share: a queue is never reclaimed
//!   from once at or below its deserved share, and ends below it by less
//!   than its last victim (Volcano's rule; with jobs that divide the
//!   deserved share evenly, never below it);
//! - every order is total (ties by queue index, then job id) and nothing
//!   iterates a hash map: the same inputs give the same decisions.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::engine::SimTime;
use crate::workload::SubmittedJob;

#[cfg(test)]
mod tests;

/// GPU-milli in one whole GPU.
pub const MILLI_PER_GPU: u64 = 1000;

/// The queue Volcano creates at install (weight 1, reclaimable), where
/// jobs that name no queue go.
pub const DEFAULT_QUEUE: &str = "default";

/// A Volcano `Queue` (`scheduling.volcano.sh/v1beta1`), GPUs only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolcanoQueue {
    pub name: String,
    /// `spec.weight` (default 1, at least 1): its part of the cluster in
    /// the water-filling.
    pub weight: u32,
    /// `spec.capability` in GPU-milli: a hard limit on its allocation.
    /// `None`: the cluster.
    pub capability: Option<u64>,
    /// `spec.reclaimable` (default true): whether other queues may take
    /// back what it holds above its deserved share.
    pub reclaimable: bool,
    /// `spec.guarantee` in GPU-milli: a floor on its deserved share,
    /// withheld from every other queue's capability. `None`: 0.
    pub guarantee: Option<u64>,
}

impl VolcanoQueue {
    /// A queue with Volcano's defaults: weight 1, no capability,
    /// reclaimable, no guarantee.
    pub fn new(name: &str) -> Self {
        VolcanoQueue {
            name: name.to_string(),
            weight: 1,
            capability: None,
            reclaimable: true,
            guarantee: None,
        }
    }
}

/// Which way the caller orders candidate nodes for a job's pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NodeOrder {
    /// The `binpack` plugin (with `binpack.resources: nvidia.com/gpu`):
    /// the node left fullest first.
    Binpack,
    /// The `nodeorder` plugin's `leastrequested` (Volcano's default): the
    /// node left emptiest first.
    #[default]
    Spread,
}

impl NodeOrder {
    /// The nodes that can take `request` GPU-milli, best first.
    /// `nodes[i]` is node `i`'s `(free, allocatable)` GPU-milli. Ties go
    /// to the lower index (Volcano picks among them at random).
    pub fn rank(self, nodes: &[(u64, u64)], request: u64) -> Vec<usize> {
        let mut fit: Vec<usize> = (0..nodes.len())
            .filter(|&i| nodes[i].1 > 0 && nodes[i].0 >= request)
            .collect();
        match self {
            NodeOrder::Binpack => fit.sort_by(|&a, &b| {
                // (used + request) / allocatable, higher first, compared
                // exactly by cross-multiplying.
                let used = |i: usize| u128::from(nodes[i].1 - nodes[i].0 + request);
                let (ca, cb) = (u128::from(nodes[a].1), u128::from(nodes[b].1));
                (used(b) * ca).cmp(&(used(a) * cb)).then(a.cmp(&b))
            }),
            NodeOrder::Spread => fit.sort_by(|&a, &b| {
                let score = |i: usize| (nodes[i].0 - request) * 100 / nodes[i].1;
                score(b).cmp(&score(a)).then(a.cmp(&b))
            }),
        }
        fit
    }
}

/// Volcano's settings for a scenario: its queues and actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolcanoConfig {
    /// Never empty once built from a scenario: it always holds
    /// [`DEFAULT_QUEUE`]. Names are unique.
    pub queues: Vec<VolcanoQueue>,
    pub node_order: NodeOrder,
    /// Whether the `reclaim` action runs (after `allocate`). Off by
    /// default, as in Volcano's default `actions`.
    pub reclaim: bool,
}

impl Default for VolcanoConfig {
    fn default() -> Self {
        VolcanoConfig {
            queues: vec![VolcanoQueue::new(DEFAULT_QUEUE)],
            node_order: NodeOrder::default(),
            reclaim: false,
        }
    }
}

/// The index of the queue named `name` in `config.queues`, which is what
/// [`VolcanoJob::queue`] holds; `None` for a name Volcano does not know
/// (report it at the job's `queue` field). A job that names no queue
/// belongs to `queue_index(config, DEFAULT_QUEUE)`.
pub fn queue_index(config: &VolcanoConfig, name: &str) -> Option<u16> {
    config
        .queues
        .iter()
        .position(|q| q.name == name)
        .and_then(|i| u16::try_from(i).ok())
}

/// What a job asks for in GPU-milli: 1000 per whole GPU, a fraction's
/// milli, a MIG slice's compute share.
pub fn job_milli(job: &SubmittedJob) -> u64 {
    job.request.total_gpus() * u64::from(job.share.milli())
}

/// A job as the engine sees it, waiting or running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolcanoJob {
    /// The caller's id, returned in decisions; also the last tie-break.
    pub id: u32,
    /// Index into [`VolcanoConfig::queues`] ([`queue_index`]).
    pub queue: u16,
    /// Its PriorityClass value: higher goes first, is evicted last.
    pub priority: i32,
    /// Its GPU-milli ([`job_milli`]), all of which it holds when running.
    pub milli: u64,
    /// Its DRF group (the user, as Volcano's namespace).
    pub user: u32,
    /// When it was created (submitted): job order's tie-break, and the
    /// newest is evicted first.
    pub created: SimTime,
}

impl VolcanoJob {
    /// The engine's view of simulation job `id`, in Volcano queue `queue`
    /// (the caller maps the job's queue name with [`queue_index`]): its
    /// priority, GPU-milli, user and submission time.
    pub fn of(id: u32, job: &SubmittedJob, queue: u16) -> Self {
        VolcanoJob {
            id,
            queue,
            priority: job.priority,
            milli: job_milli(job),
            user: job.user.0,
            created: job.submit,
        }
    }
}

/// One thing the session decided, in the order decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolcanoDecision {
    /// Start `job`: [`Placement::place`] already placed it.
    Allocate { job: u32 },
    /// Evict running `job` (requeue it) so that `for_job` of queue
    /// `for_queue` can run (reclaim).
    Evict {
        job: u32,
        for_job: u32,
        for_queue: u16,
    },
    /// Start `job` once the evictions decided for it are done: it fits
    /// then ([`Placement::fits_after_evicting`] said so). Volcano binds a
    /// pipelined pod when its victims are gone; the caller may start it at
    /// once after evicting them.
    Pipeline { job: u32 },
}

/// The caller's GPU pool, as the session asks it.
pub trait Placement {
    /// Places the whole gang `job` now on free GPUs, node order and
    /// predicates the caller's, and returns true; or returns false and
    /// changes nothing. Placed GPUs are taken for the rest of the session.
    fn place(&mut self, job: &VolcanoJob) -> bool;

    /// Whether `job` would fit if the running jobs `victims` (ids) had
    /// given back their GPUs and the jobs `pipelined` (ids of waiting jobs
    /// already given freed GPUs this session) had taken theirs, on top of
    /// what [`place`](Self::place) took this session. Changes nothing.
    fn fits_after_evicting(&mut self, job: &VolcanoJob, victims: &[u32], pipelined: &[u32])
    -> bool;
}

/// One queue's figures in the last session, in GPU-milli.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueState {
    /// Held by its running jobs (and, after the session, by what it
    /// allocated and pipelined, less what was reclaimed from it).
    pub allocated: u64,
    /// Its pending and running jobs' GPU-milli.
    pub request: u64,
    /// Its deserved share ([`deserved`]).
    pub deserved: u64,
}

impl QueueState {
    /// The proportion plugin's `overused`: `deserved <= allocated`.
    pub fn overused(&self) -> bool {
        self.deserved <= self.allocated
    }

    /// `allocated / deserved` as a fraction (`helpers.Share`: 0 over 0 is
    /// 0, anything over 0 is 1).
    fn share(&self) -> (u64, u64) {
        match (self.allocated, self.deserved) {
            (0, 0) => (0, 1),
            (_, 0) => (1, 1),
            (a, d) => (a, d),
        }
    }
}

/// Compares two fractions exactly.
fn cmp_frac(a: (u64, u64), b: (u64, u64)) -> Ordering {
    (u128::from(a.0) * u128::from(b.1)).cmp(&(u128::from(b.0) * u128::from(a.1)))
}

/// A queue's input to the water-filling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FillQueue {
    pub weight: u32,
    /// Its jobs' GPU-milli; 0: no jobs in the session, so no share.
    pub request: u64,
    pub capability: Option<u64>,
    pub guarantee: u64,
}

/// The proportion plugin's deserved shares of `total` GPU-milli among
/// `queues` (see the module doc); one entry per queue, 0 for a queue with
/// no request. Guarantees are withheld from every queue's capability
/// whether or not it has jobs, as Volcano sums them over all queues.
pub fn deserved(total: u64, queues: &[FillQueue]) -> Vec<u64> {
    let total_guarantee: u64 = queues.iter().map(|q| q.guarantee).sum();
    let real_capability: Vec<u64> = queues
        .iter()
        .map(|q| {
            let real = total.saturating_sub(total_guarantee) + q.guarantee;
            q.capability.map_or(real, |c| real.min(c))
        })
        .collect();
    let mut deserved = vec![0u64; queues.len()];
    let mut met: Vec<bool> = queues.iter().map(|q| q.request == 0).collect();
    let mut remaining = total;
    loop {
        let total_weight: u64 = (queues.iter().zip(&met))
            .filter(|(_, m)| !**m)
            .map(|(q, _)| u64::from(q.weight))
            .sum();
        if total_weight == 0 {
            break;
        }
        let old_remaining = remaining;
        let (mut increased, mut decreased) = (0u64, 0u64);
        for (i, q) in queues.iter().enumerate() {
            if met[i] {
                continue;
            }
            let old = deserved[i];
            let part = u128::from(remaining) * u128::from(q.weight) / u128::from(total_weight);
            let mut d = old.saturating_add(part as u64);
            d = d.min(real_capability[i]).min(q.request).max(q.guarantee);
            deserved[i] = d;
            if q.request <= d || d == old {
                met[i] = true;
            }
            if d > old {
                increased += d - old;
            } else {
                decreased += old - d;
            }
        }
        remaining = (remaining + decreased).saturating_sub(increased);
        if remaining == 0 || remaining == old_remaining {
            break;
        }
    }
    deserved
}

/// Volcano's queues between sessions: the configuration and the last
/// session's figures.
#[derive(Clone, Debug)]
pub struct Volcano {
    config: VolcanoConfig,
    queues: Vec<QueueState>,
}

impl Volcano {
    pub fn new(config: VolcanoConfig) -> Self {
        let queues = vec![QueueState::default(); config.queues.len()];
        Volcano { config, queues }
    }

    pub fn config(&self) -> &VolcanoConfig {
        &self.config
    }

    /// Which way the caller should order nodes.
    pub fn node_order(&self) -> NodeOrder {
        self.config.node_order
    }

    /// Queue `q`'s figures as the last session left them.
    pub fn queue(&self, q: u16) -> QueueState {
        self.queues[usize::from(q)]
    }

    /// One scheduling session over a cluster of `cluster_milli` GPU-milli
    /// (in service): deserved shares from the queues' requests, allocate,
    /// then reclaim if on. Appends decisions to `out` (not cleared).
    /// `pending` and `running` may come in any order; each job's queue
    /// must index [`VolcanoConfig::queues`].
    pub fn session(
        &mut self,
        cluster_milli: u64,
        pending: &[VolcanoJob],
        running: &[VolcanoJob],
        placement: &mut dyn Placement,
        out: &mut Vec<VolcanoDecision>,
    ) {
        let n = self.config.queues.len();
        self.queues = vec![QueueState::default(); n];
        let mut users: BTreeMap<u32, u64> = BTreeMap::new();
        for job in running {
            let q = &mut self.queues[usize::from(job.queue)];
            q.allocated += job.milli;
            q.request += job.milli;
            *users.entry(job.user).or_default() += job.milli;
        }
        for job in pending {
            self.queues[usize::from(job.queue)].request += job.milli;
        }
        let fill: Vec<FillQueue> = (self.config.queues.iter().zip(&self.queues))
            .map(|(c, s)| FillQueue {
                weight: c.weight,
                request: s.request,
                capability: c.capability,
                guarantee: c.guarantee.unwrap_or(0),
            })
            .collect();
        for (s, d) in self.queues.iter_mut().zip(deserved(cluster_milli, &fill)) {
            s.deserved = d;
        }

        // allocate
        let mut waiting: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, job) in pending.iter().enumerate() {
            waiting[usize::from(job.queue)].push(i);
        }
        let mut active: Vec<usize> = (0..n).filter(|&q| !waiting[q].is_empty()).collect();
        let mut unplaced: Vec<usize> = Vec::new();
        while let Some(pos) = self.first_queue(&active) {
            let q = active[pos];
            if self.queues[q].overused() {
                unplaced.append(&mut waiting[q]);
                active.remove(pos);
                continue;
            }
            let at = first_job(&waiting[q], pending, &users, cluster_milli);
            let i = waiting[q].remove(at);
            let job = &pending[i];
            let state = &mut self.queues[q];
            if state.allocated + job.milli <= state.deserved && placement.place(job) {
                state.allocated += job.milli;
                *users.entry(job.user).or_default() += job.milli;
                out.push(VolcanoDecision::Allocate { job: job.id });
            } else {
                unplaced.push(i);
            }
            if waiting[q].is_empty() {
                active.remove(pos);
            }
        }

        if self.config.reclaim && !unplaced.is_empty() {
            self.reclaim(
                cluster_milli,
                pending,
                &unplaced,
                running,
                &mut users,
                placement,
                out,
            );
        }
    }

    /// The position in `active` of the queue with the lowest share, ties
    /// by index.
    fn first_queue(&self, active: &[usize]) -> Option<usize> {
        (0..active.len()).min_by(|&a, &b| {
            let (qa, qb) = (active[a], active[b]);
            cmp_frac(self.queues[qa].share(), self.queues[qb].share()).then(qa.cmp(&qb))
        })
    }

    /// The reclaim action over the jobs allocate left waiting.
    #[allow(clippy::too_many_arguments)]
    fn reclaim(
        &mut self,
        cluster_milli: u64,
        pending: &[VolcanoJob],
        unplaced: &[usize],
        running: &[VolcanoJob],
        users: &mut BTreeMap<u32, u64>,
        placement: &mut dyn Placement,
        out: &mut Vec<VolcanoDecision>,
    ) {
        let n = self.queues.len();
        let mut starving: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &i in unplaced {
            starving[usize::from(pending[i].queue)].push(i);
        }
        // Queue order at the start of the action, overused queues skipped
        // (checked again when each is reached).
        let mut order: Vec<usize> = (0..n).filter(|&q| !starving[q].is_empty()).collect();
        order.sort_by(|&a, &b| {
            cmp_frac(self.queues[a].share(), self.queues[b].share()).then(a.cmp(&b))
        });
        let mut evicted = vec![false; running.len()];
        let mut victims: Vec<u32> = Vec::new();
        let mut pipelined: Vec<u32> = Vec::new();
        for q in order {
            let mut jobs = std::mem::take(&mut starving[q]);
            while !jobs.is_empty() {
                if self.queues[q].overused() {
                    break;
                }
                let at = first_job(&jobs, pending, users, cluster_milli);
                let job = pending[jobs.remove(at)];
                if self.queues[q].allocated + job.milli > self.queues[q].deserved {
                    continue;
                }
                // Candidates: running, not yet evicted, other queues,
                // reclaimable; in victim order.
                let mut candidates: Vec<usize> = (0..running.len())
                    .filter(|&r| {
                        let v = &running[r];
                        !evicted[r]
                            && v.queue != job.queue
                            && self.config.queues[usize::from(v.queue)].reclaimable
                    })
                    .collect();
                candidates.sort_by(|&a, &b| victim_order(&running[a], &running[b], users));
                let mut left: Vec<u64> = self.queues.iter().map(|s| s.allocated).collect();
                let mut chosen: Vec<usize> = Vec::new();
                let mut all = victims.clone();
                let mut fits = placement.fits_after_evicting(&job, &all, &pipelined);
                for r in candidates {
                    if fits {
                        break;
                    }
                    let v = &running[r];
                    let vq = usize::from(v.queue);
                    if left[vq] <= self.queues[vq].deserved {
                        continue;
                    }
                    left[vq] = left[vq].saturating_sub(v.milli);
                    chosen.push(r);
                    all.push(v.id);
                    fits = placement.fits_after_evicting(&job, &all, &pipelined);
                }
                if !fits {
                    continue;
                }
                for r in chosen {
                    let v = &running[r];
                    evicted[r] = true;
                    victims.push(v.id);
                    let vq = &mut self.queues[usize::from(v.queue)];
                    vq.allocated = vq.allocated.saturating_sub(v.milli);
                    if let Some(u) = users.get_mut(&v.user) {
                        *u = u.saturating_sub(v.milli);
                    }
                    out.push(VolcanoDecision::Evict {
                        job: v.id,
                        for_job: job.id,
                        for_queue: job.queue,
                    });
                }
                self.queues[q].allocated += job.milli;
                *users.entry(job.user).or_default() += job.milli;
                pipelined.push(job.id);
                out.push(VolcanoDecision::Pipeline { job: job.id });
            }
        }
    }
}

/// A user's DRF share as a fraction of the cluster.
fn drf_share(users: &BTreeMap<u32, u64>, user: u32, cluster_milli: u64) -> (u64, u64) {
    (users.get(&user).copied().unwrap_or(0), cluster_milli.max(1))
}

/// Job order: priority (higher first), DRF share (lower first), creation
/// (earlier first), id.
fn job_order(
    a: &VolcanoJob,
    b: &VolcanoJob,
    users: &BTreeMap<u32, u64>,
    cluster_milli: u64,
) -> Ordering {
    b.priority
        .cmp(&a.priority)
        .then_with(|| {
            cmp_frac(
                drf_share(users, a.user, cluster_milli),
                drf_share(users, b.user, cluster_milli),
            )
        })
        .then(a.created.cmp(&b.created))
        .then(a.id.cmp(&b.id))
}

/// The position in `jobs` (indices into `pending`) of the first in job
/// order, with the DRF shares as they stand now.
fn first_job(
    jobs: &[usize],
    pending: &[VolcanoJob],
    users: &BTreeMap<u32, u64>,
    cluster_milli: u64,
) -> usize {
    (0..jobs.len())
        .min_by(|&a, &b| job_order(&pending[jobs[a]], &pending[jobs[b]], users, cluster_milli))
        .unwrap_or(0)
}

/// Victim order (`BuildVictimsPriorityQueue`: job order reversed): lowest
/// priority first, then the user with the highest DRF share, then the
/// newest, then the highest id.
fn victim_order(a: &VolcanoJob, b: &VolcanoJob, users: &BTreeMap<u32, u64>) -> Ordering {
    let held = |u: u32| users.get(&u).copied().unwrap_or(0);
    a.priority
        .cmp(&b.priority)
        .then(held(b.user).cmp(&held(a.user)))
        .then(b.created.cmp(&a.created))
        .then(b.id.cmp(&a.id))
}
