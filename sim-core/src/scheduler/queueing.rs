//! What the Kubernetes queueing passes share (`kueue_pass.rs`,
//! `volcano_pass.rs`): a job their engine admitted starts on the GPUs
//! placed for it, and a job their engine evicted is preempted at once.
//!
//! Invariants: a started job's allocation is exactly its placement (whole
//! GPUs, or a shared GPU and its share); an eviction preempts a running
//! job once, with no grace (`Decision::Preempt`), and a job already being
//! preempted is left alone.

use super::sharing::SharePlace;
use super::{Decision, NodeGpus, Scheduler, SlotRef};
use crate::engine::{SimDuration, SimTime};

/// Where an admitted job's pods went.
#[derive(Clone, Debug, Default)]
pub(super) struct Placed {
    pub allocation: Vec<NodeGpus>,
    pub share: SharePlace,
    /// Whole GPUs taken out of the pool for it (`RunningJob::pool_gpus`).
    pub pool_gpus: u64,
}

impl Scheduler {
    /// Starts queued job `job` on `placed` (admitted in Kueue flavor
    /// `flavor`; 0 for Volcano).
    pub(super) fn start_placed(
        &mut self,
        job: u32,
        placed: Placed,
        flavor: u16,
        now: SimTime,
        out: &mut Vec<Decision>,
    ) {
        let i = (self.queue.iter())
            .position(|q| q.job == job)
            .expect("an admitted job is queued");
        let slot = self.take_slot();
        let r = &mut self.running[slot as usize];
        r.share = placed.share;
        r.pool_gpus = placed.pool_gpus;
        r.kueue_flavor = flavor;
        self.occupy(i, slot, placed.allocation, 0, now, false, out);
    }

    /// Preempts running job `job` at once (its engine evicted it).
    pub(super) fn evict_now(&mut self, job: u32, out: &mut Vec<Decision>) {
        let Some(slot) =
            (self.running.iter()).position(|r| r.active && r.job == job && !r.preempting)
        else {
            return;
        };
        let r = &mut self.running[slot];
        r.preempting = true;
        self.stats.preemptions += 1;
        out.push(Decision::Preempt {
            slot: SlotRef {
                slot: slot as u32,
                generation: r.generation,
            },
            grace: SimDuration::ZERO,
        });
    }
}
