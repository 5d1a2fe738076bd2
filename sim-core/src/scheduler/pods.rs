//! Placement without gang scheduling (`gang: false`): a job is a set of
//! pods placed one at a time, as the Kubernetes default scheduler does.
//!
//! A pass places one pod per job per round, round-robin over the queue in
//! order, until a round places nothing; a job starts once all its pods are
//! placed. Placed pods hold their GPUs while the job's other pods wait,
//! which is how partial allocations deadlock: two jobs each holding part
//! of the cluster, neither able to complete ([`Scheduler::held_gpus`]
//! reports what they hold).
//!
//! Invariants:
//! - a pod is one node of a `Nodes` request, or a full node's worth of
//!   GPUs (the last pod the rest) of a `Gpus` request larger than a node;
//! - a job starts only once all its pods are placed, with their GPUs as
//!   its allocation; a placed pod is never taken back;
//! - under a power cap the gate applies when the last pod is placed: a job
//!   it refuses keeps its pods and is tried again first at every pass, in
//!   queue order (`power_cap.rs`).

use super::{Decision, STARTED, Scheduler};
use crate::engine::SimTime;
use crate::workload::JobRequest;

impl Scheduler {
    /// Without gang scheduling: one pod per job per round, round-robin in
    /// queue order, until a round places nothing.
    pub(super) fn place_pods(&mut self, now: SimTime, out: &mut Vec<Decision>) {
        // Jobs whose pods were all placed but the power cap refused.
        if self.power.budget.is_some() {
            for i in 0..self.queue.len() {
                let q = &self.queue[i];
                let (pods, _) = pods_of(q.ticket.request, self.max_node_gpus);
                if pods > 0 && q.pods_placed == pods && self.within_limits(&q.ticket) {
                    self.commit_pods(i, now, out);
                }
            }
        }
        loop {
            let mut placed_any = false;
            for i in 0..self.queue.len() {
                let q = &self.queue[i];
                if self.share_of(&q.ticket).is_shared() {
                    // One pod on a shared GPU (`sharing.rs`): it starts
                    // when placed.
                    if self.queue_gpus[i] != STARTED
                        && self.within_limits(&q.ticket)
                        && self.try_start_shared(i, now, false, out).started()
                    {
                        placed_any = true;
                    }
                    continue;
                }
                let (pods, _) = pods_of(q.ticket.request, self.max_node_gpus);
                // All pods placed means started, or refused by the power
                // cap (tried once per pass, above).
                if q.pods_placed == pods || !self.within_limits(&q.ticket) {
                    continue;
                }
                let pod = pod_request(q.ticket.request, self.max_node_gpus, q.pods_placed);
                let ticket = q.ticket;
                self.prepare_placement_set(&ticket);
                let set =
                    super::placement_set(&self.config, &self.gpu_types, &self.scratch_set, &ticket);
                if !self
                    .pool
                    .try_allocate_in(pod, Some(set), &mut self.scratch_alloc)
                {
                    continue;
                }
                placed_any = true;
                let q = &mut self.queue[i];
                q.held.extend_from_slice(&self.scratch_alloc);
                q.pods_placed += 1;
                if q.pods_placed == pods {
                    self.commit_pods(i, now, out);
                }
            }
            if !placed_any {
                return;
            }
        }
    }

    /// Queue entry `i` has all its pods placed: it starts on them if the
    /// power cap allows, else keeps holding them.
    fn commit_pods(&mut self, i: usize, now: SimTime, out: &mut Vec<Decision>) {
        debug_assert_ne!(self.queue_gpus[i], STARTED);
        let held = std::mem::take(&mut self.queue[i].held);
        match self.power_gate(i, &held) {
            Ok(power_mw) => {
                let slot = self.take_slot();
                self.occupy(i, slot, held, power_mw, now, false, out);
            }
            Err(_) => self.queue[i].held = held,
        }
    }
}

/// Without gang scheduling a job is a set of pods: one per node for a
/// `Nodes` request, one per full node's worth of GPUs (and the rest) for
/// a `Gpus` request larger than a node. Returns (pods, GPUs per full pod).
fn pods_of(request: JobRequest, max_node_gpus: u32) -> (u32, u32) {
    match request {
        JobRequest::Nodes {
            count,
            gpus_per_node,
        } => (count, gpus_per_node),
        JobRequest::Gpus(n) if n <= max_node_gpus => (1, n),
        JobRequest::Gpus(n) => (n.div_ceil(max_node_gpus), max_node_gpus),
    }
}

/// The request of pod `k` of a job.
fn pod_request(request: JobRequest, max_node_gpus: u32, k: u32) -> JobRequest {
    let (pods, per_pod) = pods_of(request, max_node_gpus);
    match request {
        JobRequest::Nodes { gpus_per_node, .. } => JobRequest::Nodes {
            count: 1,
            gpus_per_node,
        },
        JobRequest::Gpus(n) if k + 1 == pods => JobRequest::Gpus(n - per_pod * (pods - 1)),
        JobRequest::Gpus(_) => JobRequest::Gpus(per_pod),
    }
}
