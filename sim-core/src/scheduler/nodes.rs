//! Node states as Slurm names them (`sinfo`'s IDLE, MIXED, ALLOCATED,
//! DRAINING, DRAINED, DOWN), hot spares, and the changes failures make to
//! running jobs' allocations (swap in a spare, shrink, grow, restart in
//! place).
//!
//! The simulation decides when a node fails, is drained or comes back;
//! this file keeps what the scheduler must know of it. A node is in one of
//! four services:
//! - in service: its idle GPUs are free (IDLE, MIXED or ALLOCATED, from
//!   how many of its GPUs jobs hold);
//! - a hot spare: idle (IDLE to `sinfo`), held back from ordinary jobs,
//!   handed out only by [`Scheduler::swap_in_spare`];
//! - draining: the jobs on it run on, nothing new is placed on it
//!   (DRAINING while a job holds a GPU of it, DRAINED once empty, Slurm's
//!   `node_state_string()` in `src/common/slurm_protocol_defs.c`);
//! - down: no job holds a GPU of it.
//!
//! Every node not in service is out of service in the [`GpuPool`]: its
//! idle GPUs are held, never free, so every placement, profile and
//! node-space map ignores it (see `allocator.rs`). Spares are the last
//! nodes of the cluster (highest ids): placement breaks ties towards the
//! lowest ids (the allocator's best fit, `cons_tres`' first block), so the
//! highest ids are the nodes ordinary jobs would take last, and holding
//! them back changes the placement of everything else the least (and, on a
//! topology, keeps the spares together under the last leaf switches, as a
//! spare rack is).
//!
//! A job that cannot run on the in-service nodes of its partition, even
//! idle, is never started and gets no reservation (its earliest start in
//! a profile or node-space map does not exist), and backfilling plans
//! around it. In the main phase it blocks its partition only while some
//! node of the partition is busy, as in Slurm: `_pick_best_nodes()`
//! (`src/slurmctld/node_scheduler.c`) returns `ESLURM_NODES_BUSY` (reason
//! Resources) then and `ESLURM_NODE_NOT_AVAIL` (reason ReqNodeNotAvail)
//! when nothing is busy, and `schedule()` (`src/slurmctld/job_scheduler.c`)
//! stops the partition (`fail_by_part`) only for the former.
//!
//! Invariants:
//! - a node's service and the pool's in-service bit agree: in service
//!   there iff in service here;
//! - no running job holds a GPU of a DOWN node; nothing is newly placed
//!   on a node out of service (the pool never frees its GPUs);
//! - `down_gpus` is the installed GPUs of DOWN nodes, `spare_gpus` those
//!   of the spares, so held GPUs split into down, spare and draining-idle
//!   ones, and busy + down + draining idle + idle (free and spare) is the
//!   cluster's GPUs at every instant;
//! - a running job's GPU count ([`RunningJob::gpus`]) is the bits of its
//!   allocation, and QOS usage and fair-share charges follow it;
//! - with nothing out of service, no function here costs anything on the
//!   scheduling path: callers test [`GpuPool::out_of_service`] first.

use super::{Backfill, GpuPool, Partition, RunningJob, Scheduler, SlotRef, allocator};
use crate::engine::SimTime;
use crate::hardware::NodeId;
use crate::workload::JobRequest;

/// Slurm's node states (sinfo's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    /// In service, no job on it (hot spares too).
    Idle,
    /// In service, some of its GPUs held by jobs.
    Mixed,
    /// In service, all its GPUs held by jobs.
    Allocated,
    /// Drained while jobs still run on it.
    Draining,
    /// Drained and empty.
    Drained,
    /// Failed: no job runs on it until it is resumed.
    Down,
}

impl NodeState {
    /// `sinfo`'s spelling, `"IDLE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Idle => "IDLE",
            NodeState::Mixed => "MIXED",
            NodeState::Allocated => "ALLOCATED",
            NodeState::Draining => "DRAINING",
            NodeState::Drained => "DRAINED",
            NodeState::Down => "DOWN",
        }
    }
}

/// What a node is for, as far as scheduling goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Service {
    /// In service.
    Up,
    Spare,
    Draining,
    Down,
}

/// The node states of a scheduler.
#[derive(Clone, Debug, Default)]
pub(super) struct NodeStates {
    service: Vec<Service>,
    /// Idle spares, by id.
    spares: Vec<NodeId>,
    spares_wanted: u32,
    spare_gpus: u64,
    down_gpus: u64,
    /// Draining nodes whose last job ended since the last
    /// [`Scheduler::take_newly_drained`].
    newly_drained: Vec<NodeId>,
    /// Per partition: installed GPUs of its nodes in service, and its
    /// nodes in service by installed GPU count.
    partition_gpus: Vec<u64>,
    partition_nodes_by_gpus: Vec<Vec<u32>>,
}

impl NodeStates {
    pub fn new(pool: &GpuPool, partitions: &[Partition], max_node_gpus: u32) -> Self {
        let nodes = pool.node_count();
        let mut states = NodeStates {
            service: vec![Service::Up; nodes],
            partition_gpus: vec![0; partitions.len()],
            partition_nodes_by_gpus: vec![vec![0; max_node_gpus as usize + 1]; partitions.len()],
            ..NodeStates::default()
        };
        for node in 0..nodes as NodeId {
            states.count(pool, partitions, node, true);
        }
        states
    }

    /// Adds `node` to (or removes it from) its partitions' in-service
    /// capacity.
    fn count(&mut self, pool: &GpuPool, partitions: &[Partition], node: NodeId, add: bool) {
        let gpus = pool.capacity_of(node);
        for (p, partition) in partitions.iter().enumerate() {
            if partition.nodes.contains(node) {
                let by_gpus = &mut self.partition_nodes_by_gpus[p][gpus as usize];
                if add {
                    self.partition_gpus[p] += u64::from(gpus);
                    *by_gpus += 1;
                } else {
                    self.partition_gpus[p] -= u64::from(gpus);
                    *by_gpus -= 1;
                }
            }
        }
    }

    /// Notes the nodes of `released` (GPUs just given back) that a drain
    /// has now emptied.
    pub(super) fn note_drained(&mut self, pool: &GpuPool, released: &[allocator::NodeGpus]) {
        for part in released {
            let node = part.node;
            if self.service[node as usize] == Service::Draining
                && pool.idle_on(node) == pool.capacity_of(node)
            {
                self.newly_drained.push(node);
            }
        }
    }

    fn forget_drained(&mut self, node: NodeId) {
        self.newly_drained.retain(|&n| n != node);
    }

    fn remove_spare(&mut self, pool: &GpuPool, node: NodeId) {
        self.spares.retain(|&n| n != node);
        self.spare_gpus -= u64::from(pool.capacity_of(node));
    }
}

impl Scheduler {
    /// The node's state as `sinfo` shows it.
    pub fn node_state(&self, node: NodeId) -> NodeState {
        let (idle, capacity) = (self.pool.idle_on(node), self.pool.capacity_of(node));
        match self.nodes.service[node as usize] {
            Service::Down => NodeState::Down,
            Service::Spare => NodeState::Idle,
            Service::Draining if idle == capacity => NodeState::Drained,
            Service::Draining => NodeState::Draining,
            Service::Up if idle == capacity => NodeState::Idle,
            Service::Up if idle == 0 => NodeState::Allocated,
            Service::Up => NodeState::Mixed,
        }
    }

    /// Running jobs holding GPUs of `node`, appended to `out` in slot
    /// order.
    pub fn jobs_on(&self, node: NodeId, out: &mut Vec<SlotRef>) {
        for (slot, r) in self.running.iter().enumerate() {
            if r.active && r.allocation.iter().any(|p| p.node == node) {
                out.push(SlotRef {
                    slot: slot as u32,
                    generation: r.generation,
                });
            }
        }
    }

    /// Running jobs holding GPUs on more than one node, appended to `out`
    /// in slot order.
    pub fn multi_node_jobs(&self, out: &mut Vec<SlotRef>) {
        for (slot, r) in self.running.iter().enumerate() {
            if r.active && r.allocation.len() > 1 {
                out.push(SlotRef {
                    slot: slot as u32,
                    generation: r.generation,
                });
            }
        }
    }

    /// DOWN: no GPU of it is handed out until [`Scheduler::resume`]. The
    /// caller has already ended every job on it. Pods that queued jobs
    /// (without gang scheduling) hold on it are given back, those jobs
    /// starting their placement over.
    pub fn set_down(&mut self, node: NodeId) {
        debug_assert!(
            (self.running.iter()).all(|r| !r.active || r.allocation.iter().all(|p| p.node != node)),
            "node {node} set down with a job still on it"
        );
        let service = self.nodes.service[node as usize];
        match service {
            Service::Down => return,
            Service::Spare => self.nodes.remove_spare(&self.pool, node),
            Service::Draining => self.nodes.forget_drained(node),
            Service::Up => self.drop_pods_on(node),
        }
        self.nodes.service[node as usize] = Service::Down;
        self.nodes.down_gpus += u64::from(self.pool.capacity_of(node));
        self.set_in_service(node, false);
    }

    /// DRAINING while jobs run on it, DRAINED once empty; returns true
    /// when it is DRAINED now. A DOWN node drained is DRAINED (Slurm shows
    /// DOWN+DRAIN as `drained`, `node_state_string()`); a spare drained
    /// leaves the spares.
    pub fn drain(&mut self, node: NodeId) -> bool {
        let capacity = self.pool.capacity_of(node);
        match self.nodes.service[node as usize] {
            Service::Draining => return self.pool.idle_on(node) == capacity,
            Service::Down => self.nodes.down_gpus -= u64::from(capacity),
            Service::Spare => self.nodes.remove_spare(&self.pool, node),
            Service::Up => self.drop_pods_on(node),
        }
        self.nodes.service[node as usize] = Service::Draining;
        self.set_in_service(node, false);
        self.pool.idle_on(node) == capacity
    }

    /// Draining nodes whose last job has just ended (now DRAINED),
    /// appended to `out` and forgotten (so the simulation can start
    /// maintenance on them).
    pub fn take_newly_drained(&mut self, out: &mut Vec<NodeId>) {
        out.append(&mut self.nodes.newly_drained);
    }

    /// Back in service (from DOWN, DRAINING or DRAINED): IDLE, or MIXED or
    /// ALLOCATED if it was draining with jobs. If the node is needed as a
    /// hot spare (fewer spares than configured) and idle, it becomes a
    /// spare instead, and the call returns true. A node in service or a
    /// spare is left as it is.
    pub fn resume(&mut self, node: NodeId) -> bool {
        let capacity = self.pool.capacity_of(node);
        match self.nodes.service[node as usize] {
            Service::Up | Service::Spare => return false,
            Service::Down => self.nodes.down_gpus -= u64::from(capacity),
            Service::Draining => self.nodes.forget_drained(node),
        }
        if (self.nodes.spares.len() as u32) < self.nodes.spares_wanted
            && self.pool.idle_on(node) == capacity
        {
            self.nodes.service[node as usize] = Service::Spare;
            let at = self.nodes.spares.partition_point(|&n| n < node);
            self.nodes.spares.insert(at, node);
            self.nodes.spare_gpus += u64::from(capacity);
            return true;
        }
        self.nodes.service[node as usize] = Service::Up;
        self.set_in_service(node, true);
        false
    }

    /// Installed GPUs of DOWN nodes.
    pub fn down_gpus(&self) -> u64 {
        self.nodes.down_gpus
    }

    /// Idle GPUs of DRAINING and DRAINED nodes (DOWN ones not counted):
    /// with [`Scheduler::down_gpus`], the GPUs jobs hold, the free GPUs
    /// and the spares' GPUs, they make up the cluster, always.
    pub fn draining_idle_gpus(&self) -> u64 {
        self.pool.held_gpus() - self.nodes.down_gpus - self.nodes.spare_gpus
    }

    /// Idle GPUs in service: free ones and the hot spares'.
    pub fn idle_gpus(&self) -> u64 {
        self.pool.free_gpus() + self.nodes.spare_gpus
    }

    /// Holds the last `n` nodes of the cluster (highest ids; see the
    /// module's comment) as hot spares: idle, never given to ordinary
    /// jobs, and out of every partition's capacity for reservations (but
    /// not for the never-fits admission check). Call once, after `new`,
    /// before any job starts.
    ///
    /// # Panics
    ///
    /// If `n` exceeds the cluster's nodes (validation refuses that).
    pub fn set_spares(&mut self, n: u32) {
        let nodes = self.pool.node_count() as u32;
        assert!(
            n <= nodes,
            "{n} hot spares asked of a cluster of {nodes} nodes"
        );
        self.nodes.spares_wanted = n;
        for node in nodes - n..nodes {
            let capacity = self.pool.capacity_of(node);
            debug_assert_eq!(
                self.pool.idle_on(node),
                capacity,
                "spares are set before jobs start"
            );
            if self.nodes.service[node as usize] == Service::Up {
                self.nodes.service[node as usize] = Service::Spare;
                self.nodes.spares.push(node);
                self.nodes.spare_gpus += u64::from(capacity);
                self.set_in_service(node, false);
            }
        }
    }

    /// Puts every idle spare in service, for a job requeued after a
    /// failure (spares are held for those): nodes repaired later refill
    /// the spares up to the number configured.
    pub fn release_spares(&mut self) {
        for node in std::mem::take(&mut self.nodes.spares) {
            self.nodes.spare_gpus -= u64::from(self.pool.capacity_of(node));
            self.nodes.service[node as usize] = Service::Up;
            self.set_in_service(node, true);
        }
    }

    /// Spares idle, ready for [`Scheduler::swap_in_spare`].
    pub fn spares_idle(&self) -> u32 {
        self.nodes.spares.len() as u32
    }

    /// Redundant recovery: a spare replaces `failed` in the running job's
    /// allocation (the same GPU mask bits where the spare has that many
    /// GPUs, else its lowest ones; the job keeps its slot and handle). The
    /// spare is the lowest-id idle one with enough GPUs, whatever its
    /// partition. Returns it, or `None` (nothing changed) when no spare is
    /// idle or `failed` is not in the allocation, or when the spare draws
    /// more power than the failed node and the power cap has no room for
    /// the difference (`power_cap.rs`: the job's budget is reserved at its
    /// start, so a spare of the same node group needs none). The failed
    /// node's GPUs are released from the job (the caller then calls
    /// [`Scheduler::set_down`] on it).
    pub fn swap_in_spare(&mut self, slot: SlotRef, failed: NodeId) -> Option<NodeId> {
        assert!(self.is_current(slot), "{slot:?} is stale");
        let r = &self.running[slot.slot as usize];
        let at = r.allocation.iter().position(|p| p.node == failed)?;
        let old = r.allocation[at];
        let gpus = old.gpu_count();
        let pick = (self.nodes.spares.iter()).position(|&n| self.pool.capacity_of(n) >= gpus)?;
        let spare = self.nodes.spares[pick];
        let fits = old.mask & !allocator::full_mask(self.pool.capacity_of(spare)) == 0;
        let mask = if fits {
            old.mask
        } else {
            allocator::full_mask(gpus)
        };
        if self.power.budget.is_some() {
            let swapped = allocator::NodeGpus { node: spare, mask };
            let parts = (r.allocation.iter().enumerate())
                .map(|(k, &p)| if k == at { swapped } else { p })
                .collect::<Vec<_>>();
            if !self.power_regrow(slot.slot, parts) {
                return None;
            }
        }
        self.nodes.remove_spare(&self.pool, spare);
        self.nodes.service[spare as usize] = Service::Up;
        self.set_in_service(spare, true);
        let new = self.pool.take_mask(spare, mask);
        let r = &mut self.running[slot.slot as usize];
        r.allocation[at] = new;
        r.leaf_switches = self.pool.leaves_spanned(&r.allocation);
        self.pool.release(&[old]);
        self.nodes.note_drained(&self.pool, &[old]);
        Some(spare)
    }

    /// Elastic recovery: drops `node` from the running job's allocation
    /// (its GPUs released; usage charged at the old count up to `now`);
    /// returns the nodes the job still holds. Its power budget stays
    /// reserved at its full size (`power_cap.rs`).
    pub fn shrink(&mut self, slot: SlotRef, node: NodeId, now: SimTime) -> u32 {
        assert!(self.is_current(slot), "{slot:?} is stale");
        let r = &self.running[slot.slot as usize];
        let Some(at) = r.allocation.iter().position(|p| p.node == node) else {
            debug_assert!(false, "{slot:?} holds no GPU of node {node}");
            return r.allocation.len() as u32;
        };
        self.charge_held(slot.slot, now);
        let r = &mut self.running[slot.slot as usize];
        let part = r.allocation.remove(at);
        r.leaf_switches = self.pool.leaves_spanned(&r.allocation);
        let nodes = r.allocation.len() as u32;
        self.pool.release(&[part]);
        self.nodes.note_drained(&self.pool, &[part]);
        self.add_held(slot.slot, -i64::from(part.gpu_count()));
        nodes
    }

    /// Elastic regrowth: gives the running job one whole free in-service
    /// node of its partition (the smallest that suffices, then the lowest
    /// id), with as many GPUs as it has per node (its `gpus_per_node`, or
    /// the most it holds on one node), if there is one; returns it. Usage
    /// is charged at the old count up to `now`. Like a start by the main
    /// phase, it takes free GPUs regardless of backfill reservations and
    /// QOS limits. Under a power cap the job's budget, reserved at its
    /// start, covers a grow back to its original size on nodes of the
    /// same group; a node that would take it above its budget needs the
    /// difference from the headroom, and without it there is no grow
    /// (`None`; `power_cap.rs`).
    pub fn grow(&mut self, slot: SlotRef, now: SimTime) -> Option<NodeId> {
        assert!(self.is_current(slot), "{slot:?} is stale");
        let r = &self.running[slot.slot as usize];
        let per_node = match r.ticket.request {
            JobRequest::Nodes { gpus_per_node, .. } => gpus_per_node,
            JobRequest::Gpus(n) => (r.allocation.iter().map(|p| p.gpu_count()).max())
                .unwrap_or(n.min(self.max_node_gpus)),
        };
        let set = &self.config.partitions[r.ticket.partition as usize].nodes;
        let node = self.pool.whole_free_node(per_node, set)?;
        if self.power.budget.is_some() {
            let added = allocator::NodeGpus {
                node,
                mask: allocator::full_mask(per_node),
            };
            let parts = r.allocation.iter().copied().chain([added]);
            let parts = parts.collect::<Vec<_>>();
            if !self.power_regrow(slot.slot, parts) {
                return None;
            }
        }
        self.charge_held(slot.slot, now);
        let r = &mut self.running[slot.slot as usize];
        self.pool
            .take_on(node as usize, per_node, &mut r.allocation);
        r.leaf_switches = self.pool.leaves_spanned(&r.allocation);
        self.add_held(slot.slot, i64::from(per_node));
        Some(node)
    }

    /// The job restarts in place (same allocation): bumps the slot's
    /// generation so events planned for the old attempt are stale
    /// ([`Scheduler::is_current`] false), and returns the new handle.
    /// `start` becomes `now`, and backfilling plans its end from there. A
    /// preemption under way is called off (its stop event is stale now);
    /// the preemptor may pick victims again.
    pub fn renew(&mut self, slot: SlotRef, now: SimTime) -> SlotRef {
        assert!(self.is_current(slot), "{slot:?} is stale");
        let s = slot.slot;
        let r = &mut self.running[s as usize];
        r.generation = r.generation.wrapping_add(1);
        r.start = now;
        r.preempting = false;
        let (job, old_end, limit) = (r.job, r.planned_end, r.ticket.time_limit);
        let generation = r.generation;
        if let Some(waiting) = r.preempted_for.take()
            && let Some(q) = self.queue.iter_mut().find(|q| q.job == waiting)
        {
            q.awaiting_victims = q.awaiting_victims.saturating_sub(1);
        }
        let planned = self.planned_for(limit);
        let new_end = if self.config.backfill == Backfill::Slurm {
            self.slurm.remove_running(old_end, job, s);
            let end =
                super::slurm_backfill::round_down(now, crate::engine::SimDuration::from_secs(1))
                    + planned;
            self.slurm.add_running(end, job, s);
            end
        } else if old_end != SimTime::MAX {
            if let Ok(at) = self.planned_ends.binary_search(&(old_end, s)) {
                self.planned_ends.remove(at);
            }
            let end = now + planned;
            let at = self.planned_ends.partition_point(|&e| e < (end, s));
            self.planned_ends.insert(at, (end, s));
            end
        } else {
            old_end
        };
        self.running[s as usize].planned_end = new_end;
        SlotRef {
            slot: s,
            generation,
        }
    }

    /// Puts `node` in or out of service in the pool and in its
    /// partitions' in-service capacity.
    fn set_in_service(&mut self, node: NodeId, in_service: bool) {
        if self.pool.is_in_service(node) != in_service {
            self.pool.set_in_service(node, in_service);
            (self.nodes).count(&self.pool, &self.config.partitions, node, in_service);
        }
    }

    /// Gives back the pods queued jobs (without gang scheduling) hold on
    /// `node`: each such job starts its placement over.
    fn drop_pods_on(&mut self, node: NodeId) {
        for q in &mut self.queue {
            if q.held.iter().any(|p| p.node == node) {
                self.pool.release(&q.held);
                q.held.clear();
                q.pods_placed = 0;
            }
        }
    }

    /// Charges the job in `slot` up to `now` at the GPUs it holds.
    fn charge_held(&mut self, slot: u32, now: SimTime) {
        let r = &self.running[slot as usize];
        let (assoc, gpus, from) = (r.assoc, r.gpus, r.charged_until);
        self.charge(assoc, gpus, from, now);
        self.running[slot as usize].charged_until = now;
    }

    /// The job in `slot` holds `delta` GPUs more: its count and its QOS
    /// usage follow.
    fn add_held(&mut self, slot: u32, delta: i64) {
        let r = &mut self.running[slot as usize];
        r.gpus = r.gpus.checked_add_signed(delta).expect("GPU count");
        let (qos, user) = (r.ticket.qos, r.ticket.user);
        let q = &mut self.qos_gpus[qos as usize];
        *q = q.checked_add_signed(delta).expect("QOS usage");
        if let Some(held) = self.user_qos_gpus.get_mut(&(qos, user)) {
            *held = held.checked_add_signed(delta).expect("QOS usage");
        }
    }

    /// After queue entry `i` failed to start in the main phase: whether
    /// it blocks its partition. It does unless it cannot run on the
    /// partition's nodes in service even idle while none of them is busy
    /// (Slurm's ReqNodeNotAvail; see the module's comment). Only asked
    /// while some node is out of service.
    pub(super) fn blocks_partition(&self, i: usize) -> bool {
        let ticket = self.queue[i].ticket;
        let p = ticket.partition as usize;
        let by_gpus = &self.nodes.partition_nodes_by_gpus[p];
        let nodes_with =
            |k: u32| -> u64 { by_gpus.iter().skip(k as usize).map(|&c| u64::from(c)).sum() };
        let fits = match ticket.request {
            JobRequest::Gpus(n)
                if n <= self.max_node_gpus && self.config.backfill != Backfill::Slurm =>
            {
                nodes_with(n) >= 1
            }
            JobRequest::Gpus(n) => self.nodes.partition_gpus[p] >= u64::from(n),
            JobRequest::Nodes {
                count,
                gpus_per_node,
            } => nodes_with(gpus_per_node) >= u64::from(count),
        };
        if fits {
            return true;
        }
        let set = &self.config.partitions[p].nodes;
        if set.is_all() {
            self.pool.total_gpus() > self.pool.free_gpus() + self.pool.held_gpus()
        } else {
            (0..self.pool.node_count() as NodeId)
                .any(|n| set.contains(n) && self.pool.idle_on(n) < self.pool.capacity_of(n))
        }
    }
}

impl RunningJob {
    /// GPUs it holds now (its request, until a shrink or grow).
    pub fn gpus(&self) -> u64 {
        self.gpus
    }
}
