//! Cloud node groups that grow and shrink with the queue, as Kubernetes'
//! cluster autoscaler and Slurm's power saving (cloud nodes) do.
//!
//! A group with `autoscale` holds its `min` nodes from the start; the
//! others are released (not in service, not billed, drawing nothing).
//! When queued jobs have waited at least `wait` and the GPUs they ask for
//! exceed the free GPUs in service and those being provisioned, nodes are
//! provisioned (lowest ids first, up to `max`): billed from then, in
//! service `provision` later. A held node above `min` that has stayed idle
//! for `release_after` is released.
//!
//! Checks are event-driven: one at each job's eligibility plus `wait`
//! (`ScaleCheck`), and one `Release` per node that goes idle, so nothing
//! ticks while nothing can change.
//!
//! Invariants: a group never holds more than `max` or (once scaled) fewer
//! than `min` nodes; a released node has no job; billing starts at
//! provisioning and stops at release; draws depend on nothing but the run.

use crate::cost::Autoscale;
use crate::engine::{SimDuration, SimTime};
use crate::hardware::{Cluster, NodeId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Not held: not in service, not billed.
    Released,
    /// Billed, in service at the given time.
    Provisioning,
    /// In service; idle since (when no job holds it).
    Held { idle_since: Option<SimTime> },
    /// Not autoscaled: always held.
    Fixed,
}

#[derive(Clone, Debug)]
struct Group {
    rule: Autoscale,
    first: NodeId,
    count: u32,
    gpus_per_node: u64,
    /// Nodes held or provisioning.
    held: u32,
}

pub(super) struct Autoscaler {
    groups: Vec<Group>,
    group_of: Vec<Option<u16>>,
    pub(super) state: Vec<State>,
    /// GPUs being provisioned.
    provisioning_gpus: u64,
    /// Shortest `wait` of any group: how long after eligibility a job
    /// counts as waiting.
    pub(super) wait: SimDuration,
}

impl Autoscaler {
    /// `None` unless some group autoscales.
    pub(super) fn new(rules: &[Option<Autoscale>], cluster: &Cluster) -> Option<Self> {
        if rules.iter().all(Option::is_none) {
            return None;
        }
        let mut groups = Vec::new();
        let mut group_of = vec![None; cluster.node_count()];
        let mut state = vec![State::Fixed; cluster.node_count()];
        for (g, rule) in cluster.groups.iter().zip(rules) {
            let Some(rule) = *rule else { continue };
            let index = groups.len() as u16;
            for n in 0..g.node_count {
                let node = g.first_node + n;
                group_of[node as usize] = Some(index);
                state[node as usize] = if n < rule.min {
                    State::Held {
                        idle_since: Some(SimTime::ZERO),
                    }
                } else {
                    State::Released
                };
            }
            groups.push(Group {
                rule,
                first: g.first_node,
                count: g.node_count,
                gpus_per_node: u64::from(g.gpus_per_node),
                held: rule.min.min(g.node_count),
            });
        }
        let wait = groups.iter().map(|g| g.rule.wait).min().unwrap_or_default();
        Some(Autoscaler {
            groups,
            group_of,
            state,
            provisioning_gpus: 0,
            wait,
        })
    }

    /// Nodes released at the start (the caller takes them out of service).
    pub(super) fn initially_released(&self) -> impl Iterator<Item = NodeId> + '_ {
        (self.state.iter().enumerate())
            .filter(|(_, s)| **s == State::Released)
            .map(|(n, _)| n as NodeId)
    }

    /// Whether `node` is held (in service or being provisioned).
    pub(super) fn held(&self, node: NodeId) -> bool {
        self.state[node as usize] != State::Released
    }

    pub(super) fn autoscaled(&self, node: NodeId) -> bool {
        self.group_of[node as usize].is_some()
    }

    /// Nodes to provision now for `demand` GPUs waiting beyond the free
    /// ones: appended to `out` with when each is in service.
    pub(super) fn scale_up(
        &mut self,
        demand: u64,
        free: u64,
        now: SimTime,
        out: &mut Vec<(NodeId, SimTime)>,
    ) {
        let mut missing = demand.saturating_sub(free + self.provisioning_gpus);
        for g in &mut self.groups {
            while missing > 0 && g.held < g.rule.max.min(g.count) {
                let Some(node) = (g.first..g.first + g.count)
                    .find(|&n| self.state[n as usize] == State::Released)
                else {
                    break;
                };
                self.state[node as usize] = State::Provisioning;
                g.held += 1;
                self.provisioning_gpus += g.gpus_per_node;
                missing = missing.saturating_sub(g.gpus_per_node);
                out.push((node, now + g.rule.provision));
            }
        }
    }

    /// `node` finished provisioning: in service, idle.
    pub(super) fn provisioned(&mut self, node: NodeId, now: SimTime) -> Option<SimDuration> {
        let g = &self.groups[self.group_of[node as usize]? as usize];
        self.provisioning_gpus -= g.gpus_per_node;
        self.state[node as usize] = State::Held {
            idle_since: Some(now),
        };
        Some(g.rule.release_after)
    }

    /// A job started on `node`.
    pub(super) fn busy(&mut self, node: NodeId) {
        if let State::Held { idle_since } = &mut self.state[node as usize] {
            *idle_since = None;
        }
    }

    /// `node` has no job from `now`: when to check it for release.
    pub(super) fn idle(&mut self, node: NodeId, now: SimTime) -> Option<SimTime> {
        let g = self.group_of[node as usize]?;
        match &mut self.state[node as usize] {
            State::Held { idle_since } => {
                *idle_since = Some(now);
                Some(now + self.groups[g as usize].rule.release_after)
            }
            _ => None,
        }
    }

    /// Whether `node`, checked at `now`, has been idle for its group's
    /// `release_after` and may go (its group above `min`); if so it is
    /// released.
    pub(super) fn try_release(&mut self, node: NodeId, now: SimTime) -> bool {
        let Some(g) = self.group_of[node as usize] else {
            return false;
        };
        let group = &mut self.groups[g as usize];
        match self.state[node as usize] {
            State::Held {
                idle_since: Some(since),
            } if since + group.rule.release_after <= now && group.held > group.rule.min => {
                self.state[node as usize] = State::Released;
                group.held -= 1;
                true
            }
            _ => false,
        }
    }

    /// `node` was lost (a spot interruption): released; the autoscaler
    /// provisions another when the queue needs it.
    pub(super) fn lost(&mut self, node: NodeId) {
        let Some(g) = self.group_of[node as usize] else {
            return;
        };
        let group = &mut self.groups[g as usize];
        match self.state[node as usize] {
            State::Released | State::Fixed => {}
            State::Provisioning => {
                self.provisioning_gpus -= group.gpus_per_node;
                group.held -= 1;
                self.state[node as usize] = State::Released;
            }
            State::Held { .. } => {
                group.held -= 1;
                self.state[node as usize] = State::Released;
            }
        }
    }
}

use super::{ClusterSim, Event};
use crate::engine::Engine;

impl ClusterSim<'_> {
    /// A job joined the queue: check for growth once it has waited long
    /// enough.
    pub(super) fn schedule_scale_check(&mut self, engine: &mut Engine<Event>) {
        if let Some(scaler) = self.autoscale.as_ref() {
            engine.schedule_at(engine.now() + scaler.wait, Event::ScaleCheck);
        }
    }

    /// Grows the autoscaled groups for the GPUs jobs have waited for.
    pub(super) fn scale_check(&mut self, engine: &mut Engine<Event>) {
        let now = engine.now();
        let Some(scaler) = self.autoscale.as_mut() else {
            return;
        };
        let since = SimTime::from_ns(now.as_ns().saturating_sub(scaler.wait.as_ns()));
        let demand = self.scheduler.gpus_waiting_since(since);
        if demand == 0 {
            return;
        }
        let mut out = std::mem::take(&mut self.scale_out);
        out.clear();
        scaler.scale_up(demand, self.scheduler.free_gpus(), now, &mut out);
        for &(node, at) in &out {
            // Billed (and drawing power) from the request.
            if let Some(ledger) = self.energy.as_mut() {
                ledger.node_up(node, now);
            }
            engine.schedule_at(at, Event::Provisioned { node });
            self.last_change = now;
        }
        self.scale_out = out;
    }

    /// A provisioned node goes into service.
    pub(super) fn on_provisioned(&mut self, node: u32, engine: &mut Engine<Event>) {
        let now = engine.now();
        let Some(scaler) = self.autoscale.as_mut() else {
            return;
        };
        if scaler.state[node as usize] != State::Provisioning {
            return; // lost while provisioning
        }
        if let Some(after) = scaler.provisioned(node, now) {
            engine.schedule_at(now + after, Event::Release { node });
        }
        self.scheduler.resume(node);
        self.last_change = now;
    }

    /// Releases `node` if it has stayed idle long enough.
    pub(super) fn on_release(&mut self, node: u32, now: SimTime) {
        let Some(scaler) = self.autoscale.as_mut() else {
            return;
        };
        if scaler.try_release(node, now) {
            self.scheduler.set_down(node);
            if let Some(ledger) = self.energy.as_mut() {
                ledger.node_down(node, now);
            }
            self.last_change = now;
        }
    }

    /// Nodes jobs left at this event that hold no job now start their
    /// idle time.
    pub(super) fn note_idle_nodes(&mut self, engine: &mut Engine<Event>) {
        let now = engine.now();
        let mut freed = std::mem::take(&mut self.freed_nodes);
        let mut slots = std::mem::take(&mut self.freed_slots);
        for &node in &freed {
            slots.clear();
            self.scheduler.jobs_on(node, &mut slots);
            if !slots.is_empty() {
                continue;
            }
            if let Some(at) = self.autoscale.as_mut().and_then(|a| a.idle(node, now)) {
                engine.schedule_at(at, Event::Release { node });
            }
        }
        freed.clear();
        self.freed_nodes = freed;
        self.freed_slots = slots;
    }
}
