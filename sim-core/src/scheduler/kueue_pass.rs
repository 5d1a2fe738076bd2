//! Kueue in the scheduler's pass: the queue's jobs are Kueue workloads,
//! admitted by the engine of `kueue/` and placed by this scheduler's GPU
//! pool.
//!
//! A pass runs Kueue cycles until one decides nothing new (at most
//! [`MAX_CYCLES`]): each cycle sees every queued job as a pending workload
//! (its LocalQueue, priority, submission as creation time, GPUs in
//! thousandths) and every running job as an admitted one (its flavor and
//! start). A flavor fits a workload when its pods can be placed now on the
//! flavor's nodes (of the job's GPU type, if it names one); an admission
//! places them at once, so later answers in the cycle see them; admitted
//! jobs start. An eviction preempts the running job at once (no grace);
//! it is requeued immediately, keeping its creation time (Kueue requeues an
//! evicted workload; `Scheduler::requeue`), and its quota is released when
//! it has left its GPUs (`Scheduler::end`), after which its preemptor is
//! admitted.
//!
//! Invariants: a job holds quota (is admitted) exactly while it runs;
//! every admission's pods were placed when the engine was told they fit;
//! a placement made for a cycle's admission is the job's allocation (none
//! is left over); the pass's order is the engine's, which is a function of
//! the queue and the running jobs, so runs are deterministic.

use super::kueue::{AdmittedWorkload, FlavorId, Kueue, KueueDecision, Nodes, PendingWorkload};
use super::queueing::Placed;
use super::sharing::{SharePlace, Sharing};
use super::{Decision, GpuPool, NodeGpus, NodeSet, STARTED, Scheduler};
use crate::engine::SimTime;
use crate::hardware::Cluster;
use crate::workload::SubmittedJob;

/// The most Kueue cycles one pass runs (each admits, evicts or sets aside
/// at least one workload, so a pass over a long BestEffortFIFO queue takes
/// many; the bound keeps a pass finite whatever the engine does).
pub const MAX_CYCLES: usize = 100_000;

/// What a pass keeps between cycles.
#[derive(Debug, Default)]
pub(super) struct KueueState {
    pub engine: Option<Kueue>,
    /// LocalQueue of each job queue index (`SubmittedJob::queue`).
    pub local_queue_of: Vec<u16>,
    /// Nodes of each flavor.
    pub flavor_nodes: Vec<NodeSet>,
    pending: Vec<PendingWorkload>,
    /// (job, queue position) of `pending`, sorted by job.
    position: Vec<(u32, usize)>,
    admitted: Vec<AdmittedWorkload>,
    decisions: Vec<KueueDecision>,
    /// Placeds made for this cycle's admissions: (job, placement).
    placed: Vec<(u32, Placed)>,
}

impl KueueState {
    /// The placement made for `job`'s admission this cycle.
    fn take_placed(&mut self, job: u32) -> Placed {
        let at = (self.placed.iter())
            .position(|(j, _)| *j == job)
            .expect("an admitted job was placed");
        self.placed.swap_remove(at).1
    }

    /// The engine and the flavors' nodes, with Kueue; empty without.
    pub fn new(config: Option<&super::kueue::KueueConfig>, cluster: &Cluster) -> Self {
        let Some(config) = config else {
            return KueueState::default();
        };
        let flavor_nodes = (config.flavors.iter())
            .map(|f| {
                NodeSet::from_members(
                    (cluster.nodes.iter())
                        .map(|n| {
                            f.gpu_type.as_ref().is_none_or(|t| {
                                cluster.groups[n.group as usize].gpu_model.name == *t
                            })
                        })
                        .collect(),
                )
            })
            .collect();
        KueueState {
            engine: Some(Kueue::new(config.clone())),
            local_queue_of: vec![0],
            flavor_nodes,
            ..KueueState::default()
        }
    }
}

/// The node side of a cycle: the scheduler's pool, placing on a flavor's
/// nodes.
struct PoolNodes<'a> {
    pool: &'a mut GpuPool,
    sharing: &'a mut Sharing,
    flavor_nodes: &'a [NodeSet],
    gpu_types: &'a [NodeSet],
    position: &'a [(u32, usize)],
    tickets: &'a dyn Fn(usize) -> SubmittedJob,
    config: &'a super::SchedulerConfig,
    node_count: u32,
    placed: &'a mut Vec<(u32, Placed)>,
    scratch_set: NodeSet,
    scratch_alloc: Vec<NodeGpus>,
}

impl PoolNodes<'_> {
    fn ticket(&self, job: u32) -> SubmittedJob {
        let at = (self.position)
            .binary_search_by_key(&job, |&(j, _)| j)
            .expect("a pending workload is a queued job");
        (self.tickets)(self.position[at].1)
    }

    /// Places `ticket` on `flavor`'s nodes; `None` if it does not fit.
    fn place(&mut self, ticket: &SubmittedJob, flavor: FlavorId) -> Option<Placed> {
        let nodes = &self.flavor_nodes[usize::from(flavor)];
        let set = if ticket.gpu_type == 0 {
            nodes
        } else {
            let of_type = &self.gpu_types[usize::from(ticket.gpu_type)];
            let member = (0..self.node_count)
                .map(|n| nodes.contains(n) && of_type.contains(n))
                .collect();
            self.scratch_set = NodeSet::from_members(member);
            &self.scratch_set
        };
        let share = super::share_of(self.config, ticket);
        if share.is_shared() {
            let before = self.pool.free_gpus();
            let place = self.sharing.place(self.pool, share, set)?;
            return Some(Placed {
                allocation: place.gpu.into_iter().collect(),
                share: place,
                pool_gpus: before - self.pool.free_gpus(),
            });
        }
        if !(self.pool).try_allocate_in(ticket.request, Some(set), &mut self.scratch_alloc) {
            return None;
        }
        Some(Placed {
            allocation: self.scratch_alloc.clone(),
            share: SharePlace::default(),
            pool_gpus: ticket.request.total_gpus(),
        })
    }

    /// Gives a placement's GPUs back.
    fn unplace(&mut self, p: &Placed) {
        match p.share.gpu {
            Some(gpu) => {
                self.sharing
                    .release(self.pool, gpu, p.share.share, p.share.mig_start);
            }
            None => self.pool.release(&p.allocation),
        }
    }
}

impl Nodes for PoolNodes<'_> {
    fn fits(&mut self, workload: &PendingWorkload, flavor: FlavorId) -> bool {
        let ticket = self.ticket(workload.id);
        match self.place(&ticket, flavor) {
            Some(p) => {
                self.unplace(&p);
                true
            }
            None => false,
        }
    }

    fn admitted(&mut self, workload: &PendingWorkload, flavor: FlavorId) {
        let ticket = self.ticket(workload.id);
        let p = self
            .place(&ticket, flavor)
            .expect("the engine admits only where it fits");
        self.placed.push((workload.id, p));
    }
}

impl Scheduler {
    /// Kueue cycles until nothing new is decided; admitted jobs start and
    /// evicted ones are preempted.
    pub(super) fn kueue_pass(&mut self, now: SimTime, out: &mut Vec<Decision>) {
        let Some(mut engine) = self.kueue.engine.take() else {
            return;
        };
        for _ in 0..MAX_CYCLES {
            self.kueue_inputs();
            let k = &mut self.kueue;
            k.decisions.clear();
            k.placed.clear();
            let queue = &self.queue;
            let tickets = |i: usize| queue[i].ticket;
            let mut nodes = PoolNodes {
                pool: &mut self.pool,
                sharing: &mut self.sharing,
                flavor_nodes: &k.flavor_nodes,
                gpu_types: &self.gpu_types,
                position: &k.position,
                tickets: &tickets,
                config: &self.config,
                node_count: self.cluster_nodes,
                placed: &mut k.placed,
                scratch_set: NodeSet::default(),
                scratch_alloc: Vec::new(),
            };
            let outcome = engine.cycle(&k.pending, &k.admitted, &mut nodes, &mut k.decisions);
            let decisions = std::mem::take(&mut self.kueue.decisions);
            for &d in &decisions {
                match d {
                    KueueDecision::Admit {
                        workload, flavor, ..
                    } => {
                        let placed = self.kueue.take_placed(workload);
                        self.start_placed(workload, placed, flavor, now, out);
                    }
                    KueueDecision::Evict { workload, .. } => self.evict_now(workload, out),
                }
            }
            self.kueue.decisions = decisions;
            debug_assert!(self.kueue.placed.is_empty(), "every placement started");
            // Victims hold their quota until they have left their GPUs
            // (`Scheduler::end` releases it), and their preemptors are
            // admitted in the next pass: another cycle now would only
            // choose the same victims again.
            if !outcome.progress() || outcome.evicted > 0 {
                break;
            }
        }
        self.kueue.engine = Some(engine);
    }

    /// The pending and admitted workloads of the next cycle.
    fn kueue_inputs(&mut self) {
        let k = &mut self.kueue;
        k.pending.clear();
        k.position.clear();
        for (i, q) in self.queue.iter().enumerate() {
            if self.queue_gpus[i] == STARTED {
                continue;
            }
            k.pending.push(PendingWorkload {
                id: q.job,
                queue: k.local_queue_of[usize::from(q.ticket.queue)],
                priority: q.ticket.priority,
                created: q.ticket.submit,
                gpu_milli: super::kueue::request_milli(&q.ticket),
            });
            k.position.push((q.job, i));
        }
        k.position.sort_unstable();
        k.admitted.clear();
        for r in self.running.iter().filter(|r| r.active) {
            k.admitted.push(admitted_workload(&k.local_queue_of, r));
        }
    }

    /// A running job under Kueue leaves its GPUs: its quota goes back.
    pub(super) fn kueue_release(&mut self, r_slot: u32) {
        let Some(engine) = self.kueue.engine.as_mut() else {
            return;
        };
        let r = &self.running[r_slot as usize];
        engine.release(&admitted_workload(&self.kueue.local_queue_of, r));
    }
}

/// What a running job holds in Kueue's terms.
fn admitted_workload(local_queue_of: &[u16], r: &super::RunningJob) -> AdmittedWorkload {
    AdmittedWorkload {
        id: r.job,
        queue: local_queue_of[usize::from(r.ticket.queue)],
        priority: r.ticket.priority,
        created: r.ticket.submit,
        gpu_milli: super::kueue::request_milli(&r.ticket),
        flavor: r.kueue_flavor,
        admitted: r.start,
    }
}
