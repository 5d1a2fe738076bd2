//! Preemption: which running jobs make room for a blocked job.
//!
//! When the main phase finds a job that does not fit and the configuration
//! allows preemption (`PreemptType=preempt/qos`: the job's QOS lists the
//! victim's; `preempt/partition_prio`: the victim's partition has a lower
//! `PriorityTier`), the candidates are the running jobs holding GPUs in the
//! job's partition, ordered as Slurm orders them: lowest QOS priority (or
//! partition `PriorityTier`) first, then fewest nodes, "so we can preempt
//! smaller jobs rather than larger jobs" (`_gen_job_prio()` in Slurm's
//! `src/plugins/preempt/qos/preempt_qos.c` and
//! `preempt_partition_prio.c`, sorted by `_sort_by_prio()` in
//! `src/slurmctld/preempt.c`; 22.05 and later alike). Slurm's sort leaves
//! ties in no particular order; here the most recently started goes first
//! (it loses the least work), then the highest job index. As Slurm's
//! select plugin does (`_run_now()` in
//! `src/plugins/select/cons_common/job_test.c`), candidates are released
//! on a scratch pool in that order until the job fits, and of those only
//! the ones on a node of the job's allocation are preempted
//! (`job_overlap_and_running`): a candidate released on the way whose
//! nodes the job does not use keeps running. Each victim is asked to stop
//! after its grace time ([`Decision::Preempt`]), and the simulation ends
//! it then. A victim that ends sooner, its work done or its time limit
//! reached, is stopped then as a preempted job all the same
//! ([`RunningJob::is_being_preempted`]): Slurm cannot tell an exit caused
//! by the preemption signal from any other, and handles it according to
//! `PreemptMode` (preempt.html, GraceTime; since Slurm 24.05,
//! `GRACE_PREEMPT` in `_job_complete()`, `src/slurmctld/job_mgr.c`).
//!
//! Only GPUs in service count: a candidate holding GPUs of the
//! partition only on DRAINING nodes frees nothing the job could use, and
//! is not one; the scratch pool holds back GPUs released onto nodes out
//! of service as the real one does.
//!
//! Invariants:
//! - victims are chosen on a scratch copy of the pool: no GPU is released
//!   before the victim actually ends;
//! - a job being preempted is never chosen again, and a job waiting for
//!   its victims preempts nobody else meanwhile (`awaiting_victims`);
//! - a job that preempted others goes first at every pass until it starts
//!   (`preemptor`), so the GPUs it freed are not taken by jobs ahead of it
//!   in the queue order;
//! - preemption never goes along a cycle of QOS `Preempt` lists (`a`
//!   preempts `b` preempts `a`), which would have two requeued jobs take
//!   their GPUs back from each other forever: validation refuses such a
//!   cycle ([`super::preemption_cycle`]), and the scheduler, as a
//!   backstop, drops the entries on one (`qos_preempt`). Partition tiers
//!   are strictly ordered, so `partition_prio` has no cycle.

use super::{Decision, PreemptType, RunningJob, Scheduler, SlotRef};
use crate::workload::SubmittedJob;

impl Scheduler {
    fn can_preempt(&self, preemptor: &SubmittedJob, victim: &SubmittedJob) -> bool {
        match self.config.preempt_type {
            PreemptType::None => false,
            PreemptType::Qos => self.qos_preempt[preemptor.qos as usize].contains(&victim.qos),
            PreemptType::PartitionPriority => {
                self.config.partitions[victim.partition as usize].priority_tier
                    < self.config.partitions[preemptor.partition as usize].priority_tier
            }
        }
    }

    /// Picks running jobs whose GPUs would let queue entry `i` start, and
    /// asks for them to be stopped. Candidates go in order: lowest QOS
    /// priority (or partition tier) first, then fewest nodes, then the
    /// most recently started; those released before the job fits and on a
    /// node of its allocation are the victims.
    pub(super) fn try_preempt(&mut self, i: usize, out: &mut Vec<Decision>) {
        let ticket = self.queue[i].ticket;
        let set = &self.config.partitions[ticket.partition as usize].nodes;
        let mut victims = std::mem::take(&mut self.victims);
        victims.clear();
        victims.extend((0..self.running.len() as u32).filter(|&slot| {
            let r = &self.running[slot as usize];
            r.active
                && !r.preempting
                && self.can_preempt(&ticket, &r.ticket)
                && self.pool.gpus_in_service(&r.allocation, set) > 0
        }));
        let rank = |r: &RunningJob| {
            let class = match self.config.preempt_type {
                PreemptType::PartitionPriority => {
                    self.config.partitions[r.ticket.partition as usize].priority_tier
                }
                _ => self.config.qos[r.ticket.qos as usize].priority,
            };
            let nodes = r.allocation.len();
            (
                class,
                nodes,
                std::cmp::Reverse(r.start),
                std::cmp::Reverse(r.job),
            )
        };
        victims.sort_by_key(|&slot| rank(&self.running[slot as usize]));
        self.scratch_pool.clone_from(&self.pool);
        let mut needed = None;
        for (n, &slot) in victims.iter().enumerate() {
            self.scratch_pool
                .release(&self.running[slot as usize].allocation);
            if self
                .scratch_pool
                .try_allocate_in(ticket.request, Some(set), &mut self.scratch_alloc)
            {
                needed = Some(n + 1);
                break;
            }
        }
        if let Some(n) = needed {
            // Candidates released on the way whose nodes the allocation
            // does not touch are not needed.
            let chosen = &self.scratch_alloc;
            let running = &self.running;
            let on_chosen_nodes = |slot: &u32| {
                (running[*slot as usize].allocation.iter())
                    .any(|held| chosen.iter().any(|c| c.node == held.node))
            };
            victims.truncate(n);
            // (If the allocator placed the job clear of every victim, the
            // release order still made room: keep them all.)
            if victims.iter().any(on_chosen_nodes) {
                victims.retain(on_chosen_nodes);
            }
            let n = victims.len();
            let job = self.queue[i].job;
            for &slot in &victims {
                let r = &mut self.running[slot as usize];
                r.preempting = true;
                r.preempted_for = Some(job);
                let grace = match self.config.preempt_type {
                    PreemptType::PartitionPriority => {
                        self.config.partitions[r.ticket.partition as usize].grace_time
                    }
                    _ => self.config.qos[r.ticket.qos as usize].grace_time,
                };
                let slot = SlotRef {
                    slot,
                    generation: r.generation,
                };
                out.push(Decision::Preempt { slot, grace });
            }
            self.queue[i].awaiting_victims = n as u32;
            if !self.queue[i].preemptor {
                self.queue[i].preemptor = true;
                self.preemptors_waiting += 1;
            }
            self.stats.preemptions += n as u64;
        }
        self.victims = victims;
    }
}
