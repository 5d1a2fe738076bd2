//! Network outages in one run: a cable, a leaf or a spine switch fails,
//! is noticed, and is repaired.
//!
//! Jobs under a failed leaf hang from the failure (their progress stops,
//! as on a failed node); everything else happens when the failure is
//! noticed (the class's detection delay after it; node health checks do
//! not watch the network): until then traffic still crosses a failed
//! cable or spine as if it were up.
//! - `Link` and `SpineSwitch`: the part leaves routing on the run's copy
//!   of the fabric ([`super::training::Training::change_fabric`]). With
//!   flow fidelity the flows crossing it move to the remaining paths
//!   (ECMP spreads them) and the flow model re-solves; a job whose flows
//!   lost every path is cut off. Then every running multi-node job whose
//!   nodes no longer reach each other ([`crate::fabric::Fabric::connects`]:
//!   a leaf that lost all its uplinks, a fabric split) is cut off; a job
//!   wholly under one leaf keeps running.
//! - `LeafSwitch` (of the fabric, or of the scheduler topology without
//!   one): every node under it is cut off: its jobs are interrupted and it
//!   is DOWN, with the class as cause, until the switch is repaired.
//! - A cut-off job leaves its nodes (requeued, or NODE_FAIL): no spare is
//!   swapped in and no elastic job shrinks, since its nodes are not the
//!   problem (`Hit::CutOff`).
//! - Repair: the part returns to routing, flows on detours go back to their
//!   usual paths, and the nodes a leaf held DOWN return unless something
//!   else still holds them (a node failure of their own, maintenance,
//!   another outage: `Faults::cut` counts the outages).
//!
//! Not modelled: the scheduler has no notion of connectivity, so while a
//! leaf is cut off from the spines (its nodes are up) new multi-node jobs
//! may be placed across it; they run until the next network change checks
//! them. A job starting on a fabric already degraded is not checked.
//!
//! Invariants: a node held DOWN by an outage carries no job; a part down
//! is not struck again before its repair; a change costs the flows it
//! moves and one pass over the running multi-node jobs, nothing when no
//! class strikes the network.

use crate::engine::{Engine, SimTime};
use crate::fabric::{Fabric, LostFlow};
use crate::hardware::NodeId;
use crate::metrics::TraceEvent;
use crate::reliability::Target;
use crate::scheduler::SlotRef;

use super::faults::Health;
use super::{ClusterSim, Event};

impl ClusterSim<'_> {
    /// The failure of part `part` of network class `class` is noticed.
    pub(super) fn on_part_noticed(&mut self, class: u16, part: u32, engine: &mut Engine<Event>) {
        let now = engine.now();
        let ttr = self.rel().faults.part_down_for(class);
        engine.schedule_at(now + ttr, Event::PartRepaired { class, part });
        let target = self.rel().faults.class(class).target;
        if target == Target::LeafSwitch {
            for node in self.leaf_nodes(part) {
                self.cut_off(node, class, engine);
            }
        }
        self.set_part(target, part, false, class, engine);
    }

    /// Part `part` of network class `class` is repaired.
    pub(super) fn on_part_repaired(&mut self, class: u16, part: u32, engine: &mut Engine<Event>) {
        let now = engine.now();
        self.rel().faults.part_repaired(class, part, now);
        let target = self.rel().faults.class(class).target;
        self.set_part(target, part, true, class, engine);
        if target == Target::LeafSwitch {
            for node in self.leaf_nodes(part) {
                self.restore(node, now, engine);
            }
        }
    }

    /// The nodes under leaf `part`: the fabric's, or the scheduler
    /// topology's.
    pub(super) fn leaf_nodes(&self, part: u32) -> Vec<NodeId> {
        let scenario = (self.reliability.as_ref())
            .expect("outages need the reliability model")
            .scenario;
        match scenario.network.fabric.as_ref() {
            Some(f) => f.nodes_under(f.leaf_switches()[part as usize]).to_vec(),
            None => scenario.scheduler.topology[part as usize].nodes.clone(),
        }
    }

    /// Takes the fabric part down or brings it back, moves the flows, and
    /// cuts off the jobs the change leaves without a network.
    fn set_part(
        &mut self,
        target: Target,
        part: u32,
        up: bool,
        class: u16,
        engine: &mut Engine<Event>,
    ) {
        let change = |f: &mut Fabric| match target {
            Target::Link => f.set_cable_up(f.cables()[part as usize], up),
            Target::LeafSwitch => f.set_switch_up(f.leaf_switches()[part as usize], up),
            Target::SpineSwitch => f.set_switch_up(f.spine_switches()[part as usize], up),
            _ => unreachable!("network classes only"),
        };
        let mut lost: Vec<LostFlow> = Vec::new();
        self.training.change_fabric(change, &mut lost, engine);
        if up || self.training.fabric().is_none() {
            return;
        }
        let mut slots: Vec<SlotRef> = lost.iter().map(|l| SlotRef::from_bits(l.tag)).collect();
        slots.sort_unstable_by_key(|s| s.to_bits());
        slots.dedup();
        for &slot in &slots {
            if self.scheduler.is_current(slot) {
                self.interrupt_cut_off(slot, class, engine);
            }
        }
        slots.clear();
        self.scheduler.multi_node_jobs(&mut slots);
        let mut nodes: Vec<NodeId> = Vec::new();
        for &slot in &slots {
            if !self.scheduler.is_current(slot) {
                continue;
            }
            nodes.clear();
            nodes.extend(
                self.scheduler
                    .running(slot)
                    .allocation
                    .iter()
                    .map(|p| p.node),
            );
            let fabric = self.training.fabric().expect("checked above");
            if !fabric.connects(&nodes) {
                self.interrupt_cut_off(slot, class, engine);
            }
        }
    }

    /// A leaf outage of `class` cuts `node` off: its jobs are interrupted
    /// and it is DOWN (unless another outage already holds it).
    fn cut_off(&mut self, node: NodeId, class: u16, engine: &mut Engine<Event>) {
        let now = engine.now();
        let faults = &mut self.rel().faults;
        faults.cut[node as usize] += 1;
        if faults.cut[node as usize] > 1 {
            return;
        }
        let health = faults.health[node as usize];
        let mut slots = Vec::new();
        self.scheduler.jobs_on(node, &mut slots);
        for &slot in &slots {
            if self.scheduler.is_current(slot) {
                self.interrupt_cut_off(slot, class, engine);
            }
        }
        // A node already DOWN (or retired) stays as it is; one failed but
        // not noticed, or draining, goes DOWN with the switch.
        if matches!(health, Health::Down { .. } | Health::Retired) {
            return;
        }
        self.scheduler.set_down(node);
        let cause = self.rel().faults.class_name(class);
        self.trace.record(&TraceEvent::NodeDown {
            time: now,
            node,
            cause,
        });
    }

    /// A leaf outage holding `node` is over: back in service when nothing
    /// else holds it.
    fn restore(&mut self, node: NodeId, now: SimTime, engine: &mut Engine<Event>) {
        let faults = &mut self.rel().faults;
        faults.cut[node as usize] -= 1;
        if faults.cut[node as usize] > 0 {
            return;
        }
        match faults.health[node as usize] {
            Health::Up => {
                self.scheduler.resume(node);
                self.trace.record(&TraceEvent::NodeUp { time: now, node });
            }
            Health::Draining { class } => {
                // Its maintenance was waiting: it begins now (the node is
                // empty).
                if self.scheduler.drain(node) {
                    self.begin_maintenance(node, class, engine);
                }
            }
            // Its own repair brings it back.
            Health::Failed { .. } | Health::Down { .. } | Health::Retired => {}
        }
    }
}
