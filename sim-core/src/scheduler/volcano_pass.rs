//! Volcano in the scheduler's pass: each pass is one Volcano session over
//! the queue and the running jobs (`volcano/`), placed by this scheduler's
//! GPU pool in Volcano's node order.
//!
//! Sessions run every [`SCHEDULE_PERIOD`] while jobs wait (Volcano's
//! `--schedule-period`, default 1 s), not on every event: a session sees
//! every job submitted since the last one, as Volcano's does.
//!
//! A session sees every queued job as a pending job of its Volcano queue
//! and every running job as holding its GPUs; an allocated job's gang was
//! placed when the engine asked (whole GPUs of a one-node request on the
//! first node of the configured node order, `binpack` or `spread`; larger
//! requests by the pool's own placement; fractions and MIG slices best
//! fit, `sharing.rs`) and starts at once. A reclaim eviction preempts the
//! running job with no grace, and it is requeued at once (Volcano's job
//! controller recreates evicted pods); the job the eviction was for
//! (`Pipeline`) is left to the next session, which runs at the same
//! instant once the victims have left, its queue then the most starved.
//!
//! Invariants: every allocation's gang was placed in full before the
//! engine was told so; a placement is the started job's allocation (none
//! is left over); the question "would it fit after these evictions" is
//! answered on copies of the pool and the shared GPUs, never on them.

use super::queueing::Placed;
use super::sharing::{SharePlace, Sharing};
use super::volcano::{NodeOrder, Placement, Volcano, VolcanoDecision, VolcanoJob};
use super::{Decision, GpuPool, NodeGpus, NodeSet, STARTED, Scheduler};
use crate::engine::{SimDuration, SimTime};
use crate::workload::{JobRequest, SubmittedJob};

/// How often Volcano opens a session: `--schedule-period`'s default
/// (cmd/scheduler/app/options: `defaultSchedulePeriod = time.Second`).
pub const SCHEDULE_PERIOD: SimDuration = SimDuration::from_secs(1);

/// What a session keeps between passes.
#[derive(Debug, Default)]
pub(super) struct VolcanoState {
    pub engine: Option<Volcano>,
    /// Volcano queue of each job queue index (`SubmittedJob::queue`).
    pub queue_of: Vec<u16>,
    pending: Vec<VolcanoJob>,
    running: Vec<VolcanoJob>,
    decisions: Vec<VolcanoDecision>,
    placed: Vec<(u32, Placed)>,
}

/// How a session places a job: the node order and where jobs may go.
struct Placer<'a> {
    config: &'a super::SchedulerConfig,
    gpu_types: &'a [NodeSet],
    order: NodeOrder,
    node_count: u32,
}

impl Placer<'_> {
    /// Places `t` on `pool` (and `sharing`) in the node order.
    fn place_on(
        &self,
        t: &SubmittedJob,
        pool: &mut GpuPool,
        sharing: &mut Sharing,
        scratch: &mut Vec<NodeGpus>,
    ) -> Option<Placed> {
        let all;
        let set = if t.gpu_type == 0 {
            all = NodeSet::all(self.node_count as usize);
            &all
        } else {
            &self.gpu_types[usize::from(t.gpu_type)]
        };
        let share = super::share_of(self.config, t);
        if share.is_shared() {
            let before = pool.free_gpus();
            let place = sharing.place(pool, share, set)?;
            return Some(Placed {
                allocation: place.gpu.into_iter().collect(),
                share: place,
                pool_gpus: before - pool.free_gpus(),
            });
        }
        let on_one_node = match t.request {
            JobRequest::Gpus(n) => n <= pool.max_node_gpus(),
            JobRequest::Nodes { count, .. } => count == 1,
        };
        let placed = if on_one_node {
            let gpus = t.request.total_gpus();
            let nodes: Vec<(u64, u64)> = (0..self.node_count)
                .map(|n| {
                    if set.contains(n) && pool.is_in_service(n) {
                        let free = u64::from(pool.free_on(n as usize)) * 1000;
                        (free, u64::from(pool.capacity_of(n)) * 1000)
                    } else {
                        (0, 0)
                    }
                })
                .collect();
            let best = self.order.rank(&nodes, gpus * 1000).first().copied();
            best.is_some_and(|n| {
                let mut member = vec![false; self.node_count as usize];
                member[n] = true;
                let one = NodeSet::from_members(member);
                pool.try_allocate_in(t.request, Some(&one), scratch)
            })
        } else {
            pool.try_allocate_in(t.request, Some(set), scratch)
        };
        placed.then(|| Placed {
            allocation: scratch.clone(),
            share: SharePlace::default(),
            pool_gpus: t.request.total_gpus(),
        })
    }
}

/// The pool as a session asks it.
struct PoolPlacement<'a> {
    pool: &'a mut GpuPool,
    sharing: &'a mut Sharing,
    placer: Placer<'a>,
    /// Tickets of the queued jobs, by job (sorted).
    queued: Vec<(u32, SubmittedJob)>,
    /// Allocations of the running jobs, by job (sorted).
    holding: Vec<(u32, Vec<NodeGpus>, SharePlace)>,
    placed: &'a mut Vec<(u32, Placed)>,
    scratch: Vec<NodeGpus>,
}

impl PoolPlacement<'_> {
    fn ticket(&self, job: u32) -> SubmittedJob {
        let at = (self.queued)
            .binary_search_by_key(&job, |(j, _)| *j)
            .expect("a pending Volcano job is queued");
        self.queued[at].1
    }
}

impl Placement for PoolPlacement<'_> {
    fn place(&mut self, job: &VolcanoJob) -> bool {
        let t = self.ticket(job.id);
        let placed = (self.placer).place_on(&t, self.pool, self.sharing, &mut self.scratch);
        match placed {
            Some(p) => {
                self.placed.push((job.id, p));
                true
            }
            None => false,
        }
    }

    fn fits_after_evicting(
        &mut self,
        job: &VolcanoJob,
        victims: &[u32],
        pipelined: &[u32],
    ) -> bool {
        let mut pool = self.pool.clone();
        let mut sharing = self.sharing.clone();
        for v in victims {
            if let Ok(at) = self.holding.binary_search_by_key(v, |(j, _, _)| *j) {
                let (_, allocation, share) = &self.holding[at];
                match share.gpu {
                    Some(gpu) => {
                        sharing.release(&mut pool, gpu, share.share, share.mig_start);
                    }
                    None => pool.release(allocation),
                }
            }
        }
        for p in pipelined {
            let t = self.ticket(*p);
            if (self.placer)
                .place_on(&t, &mut pool, &mut sharing, &mut self.scratch)
                .is_none()
            {
                return false;
            }
        }
        let t = self.ticket(job.id);
        (self.placer)
            .place_on(&t, &mut pool, &mut sharing, &mut self.scratch)
            .is_some()
    }
}

impl VolcanoState {
    /// The engine, with Volcano; empty without.
    pub fn new(config: Option<&super::volcano::VolcanoConfig>) -> Self {
        let Some(config) = config else {
            return VolcanoState::default();
        };
        let default = super::volcano::queue_index(config, super::volcano::DEFAULT_QUEUE)
            .expect("validation adds the default queue");
        VolcanoState {
            engine: Some(Volcano::new(config.clone())),
            queue_of: vec![default],
            ..VolcanoState::default()
        }
    }
}

impl Scheduler {
    /// One Volcano session: allocations start, reclaim evictions preempt.
    pub(super) fn volcano_pass(&mut self, now: SimTime, out: &mut Vec<Decision>) {
        let Some(mut engine) = self.volcano.engine.take() else {
            return;
        };
        let v = &mut self.volcano;
        v.pending.clear();
        let mut queued = Vec::with_capacity(self.queue.len());
        for (i, q) in self.queue.iter().enumerate() {
            if self.queue_gpus[i] != STARTED {
                let queue = v.queue_of[usize::from(q.ticket.queue)];
                v.pending.push(VolcanoJob::of(q.job, &q.ticket, queue));
                queued.push((q.job, q.ticket));
            }
        }
        queued.sort_unstable_by_key(|(j, _)| *j);
        v.running.clear();
        let mut holding = Vec::new();
        for r in self.running.iter().filter(|r| r.active && !r.preempting) {
            let queue = v.queue_of[usize::from(r.ticket.queue)];
            v.running.push(VolcanoJob::of(r.job, &r.ticket, queue));
            holding.push((r.job, r.allocation.clone(), r.share));
        }
        holding.sort_unstable_by_key(|(j, _, _)| *j);
        v.decisions.clear();
        v.placed.clear();
        let cluster_milli = (self.pool.total_gpus() - self.pool.held_gpus()) * 1000;
        let mut placement = PoolPlacement {
            pool: &mut self.pool,
            sharing: &mut self.sharing,
            placer: Placer {
                config: &self.config,
                gpu_types: &self.gpu_types,
                order: engine.node_order(),
                node_count: self.cluster_nodes,
            },
            queued,
            holding,
            placed: &mut v.placed,
            scratch: Vec::new(),
        };
        engine.session(
            cluster_milli,
            &v.pending,
            &v.running,
            &mut placement,
            &mut v.decisions,
        );
        let decisions = std::mem::take(&mut self.volcano.decisions);
        for &d in &decisions {
            match d {
                VolcanoDecision::Allocate { job } => {
                    let at = (self.volcano.placed.iter())
                        .position(|(j, _)| *j == job)
                        .expect("an allocated job was placed");
                    let (_, placed) = self.volcano.placed.swap_remove(at);
                    self.start_placed(job, placed, 0, now, out);
                }
                VolcanoDecision::Evict { job, .. } => self.evict_now(job, out),
                // Started by the next session, once its victims are gone.
                VolcanoDecision::Pipeline { .. } => {}
            }
        }
        self.volcano.decisions = decisions;
        debug_assert!(self.volcano.placed.is_empty(), "every placement started");
        self.volcano.engine = Some(engine);
    }

    /// Maps the queue names jobs carry to Volcano's queues (no name: the
    /// `default` queue).
    pub(super) fn set_volcano_queue_names(&mut self, names: &[String]) {
        if let (Some(config), Some(&default)) =
            (&self.config.volcano, self.volcano.queue_of.first())
        {
            self.volcano.queue_of = std::iter::once(default)
                .chain(names.iter().map(|n| {
                    super::volcano::queue_index(config, n).expect("the scenario checked job queues")
                }))
                .collect();
        }
    }
}
