//! The failure processes of one run: when each component of each failure
//! class fails next, which node that takes down, and when it is repaired.
//!
//! Each unexpected class keeps a min-heap of its components' next failure
//! times, and the run keeps one `Failure(class)` event per class for the
//! heap's top, so the event queue holds a handful of entries however many
//! GPUs there are. A component's k-th lifetime is drawn from its own
//! stream (`reliability::ClassStream`, keyed by the class name), so adding
//! a class, or a failure of another component, changes no other draw.
//!
//! Components fail only while their node is in service: a failure drawn
//! for a node that is already failed, down or in maintenance is dropped
//! and the component's next lifetime drawn from then (for the exponential
//! this is exactly a Poisson process over the node's up time; for the
//! Weibull the component keeps ageing).
//!
//! Classes striking the network (`Link`, `LeafSwitch`, `SpineSwitch`)
//! draw over parts that are not nodes: the fabric's switch-to-switch
//! cables, its leaf and spine switches, or without a fabric the scheduler
//! topology's leaves. Each part keeps its own up/down state: a failure
//! drawn for a part already down is dropped the same way. A node under a
//! failed leaf is *cut off* (`cut`, a count, so overlapping outages
//! compose): out of service until nothing holds it any more.
//!
//! Invariants:
//! - a node is in exactly one [`Health`] state, and in service only when
//!   it is `Up` and no switch outage cuts it off;
//! - every unexpected class with components has exactly one pending
//!   `Failure` event while the run has work (`armed`), none after;
//! - draws depend only on (seed, class name, component, draw index).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::{SimDuration, SimTime};
use crate::hardware::{Cluster, NodeId};
use crate::reliability::{
    ClassKind, ClassStream, FailureClass, Lifetime, Maintenance, NodeRange, ReliabilitySpec,
    RepairAction, Target,
};

/// Where a node is in its failure and repair cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Health {
    Up,
    /// Failed at `at` but not noticed yet: its jobs hang.
    Failed {
        class: u16,
        at: SimTime,
    },
    /// Noticed and under repair (or maintenance) since `since`.
    Down {
        class: u16,
        since: SimTime,
    },
    /// Draining for planned maintenance of `class`: DOWN once empty.
    Draining {
        class: u16,
    },
    /// Drained for good by the drain rule.
    Retired,
}

/// One unexpected class's components.
struct Process {
    class: u16,
    lifetime: Lifetime,
    stream: ClassStream,
    /// The next failure of each component, earliest first.
    heap: BinaryHeap<Reverse<(SimTime, u32)>>,
    /// Per component: its node, lifetimes drawn so far, and when it was
    /// last new (Weibull ageing).
    node_of: Vec<NodeId>,
    draws: Vec<u32>,
    born: Vec<SimTime>,
    /// Its node's frailty multiplier applies (node-level classes).
    frail: bool,
    /// Network classes: per part (cable or switch), it is down.
    part_down: Vec<bool>,
}

/// What a due failure struck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Struck {
    /// The component's node or part was already out of service: dropped.
    Nothing,
    Node(NodeId),
    /// Part `k` of a network class (index in the class's component list).
    Part(u32),
}

/// Counts per class, for the summary.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ClassCounts {
    pub failures: u64,
    pub interruptions: u64,
}

/// The failure processes, node health and repair draws of one run.
pub(super) struct Faults<'a> {
    spec: &'a ReliabilitySpec,
    processes: Vec<Process>,
    /// Indices of the classes striking jobs (software causes).
    job_classes: Vec<(u16, ClassStream)>,
    repair_streams: Vec<ClassStream>,
    repairs_drawn: Vec<u64>,
    pub health: Vec<Health>,
    /// Per node: switch outages cutting it off now.
    pub cut: Vec<u16>,
    frailty: Vec<f64>,
    /// Per node, the times of its recent failures (drain rule).
    recent: Vec<Vec<SimTime>>,
    pub counts: Vec<ClassCounts>,
    /// Per class: its `Failure` (or maintenance) event is pending.
    pub armed: Vec<bool>,
    /// Rolling maintenance: the next node to drain, per class.
    maintenance_cursor: Vec<u32>,
    pub repairs: u64,
    pub repair_time_total: SimDuration,
    pub drained_nodes: u64,
    node_count: u32,
}

impl<'a> Faults<'a> {
    /// `parts(target)`: how many parts a network class striking `target`
    /// draws over (cables, leaves or spines).
    pub(super) fn new(
        spec: &'a ReliabilitySpec,
        cluster: &Cluster,
        seed: u64,
        parts: impl Fn(Target) -> usize,
    ) -> Self {
        let nodes = cluster.node_count();
        let frailty: Vec<f64> = (0..nodes as u64)
            .map(|n| spec.frailty.multiplier(seed, n))
            .collect();
        let mut processes = Vec::new();
        let mut job_classes = Vec::new();
        for (index, class) in spec.classes.iter().enumerate() {
            let index = index as u16;
            let ClassKind::Unexpected { lifetime, .. } = class.kind else {
                continue;
            };
            let stream = ClassStream::new(seed, &class.name);
            if class.target == Target::Job {
                job_classes.push((index, stream));
                continue;
            }
            let network = class.target.is_network();
            let node_of = if network {
                Vec::new()
            } else {
                components(class.target, cluster, class.nodes)
            };
            let count = if network {
                parts(class.target)
            } else {
                node_of.len()
            };
            if count == 0 {
                continue;
            }
            let weibull = matches!(lifetime, Lifetime::Weibull { .. });
            processes.push(Process {
                class: index,
                lifetime,
                stream,
                heap: BinaryHeap::with_capacity(count),
                draws: vec![0; count],
                born: if weibull {
                    vec![SimTime::ZERO; count]
                } else {
                    Vec::new()
                },
                node_of,
                frail: !network,
                part_down: if network {
                    vec![false; count]
                } else {
                    Vec::new()
                },
            });
        }
        let mut faults = Faults {
            spec,
            repair_streams: (spec.classes.iter())
                .map(|c| ClassStream::new(seed, &format!("{}.repair", c.name)))
                .collect(),
            repairs_drawn: vec![0; spec.classes.len()],
            processes,
            job_classes,
            health: vec![Health::Up; nodes],
            cut: vec![0; nodes],
            frailty,
            recent: vec![Vec::new(); nodes],
            counts: vec![ClassCounts::default(); spec.classes.len()],
            armed: vec![false; spec.classes.len()],
            maintenance_cursor: vec![0; spec.classes.len()],
            repairs: 0,
            repair_time_total: SimDuration::ZERO,
            drained_nodes: 0,
            node_count: nodes as u32,
        };
        for p in 0..faults.processes.len() {
            for component in 0..faults.processes[p].draws.len() as u32 {
                let at = faults.next_failure(p, component, SimTime::ZERO);
                faults.processes[p].heap.push(Reverse((at, component)));
            }
        }
        faults
    }

    pub(super) fn class(&self, class: u16) -> &FailureClass {
        &self.spec.classes[usize::from(class)]
    }

    pub(super) fn class_name(&self, class: u16) -> &'a str {
        &self.spec.classes[usize::from(class)].name
    }

    /// The first instant of each unexpected class with components, and of
    /// each maintenance class: what the run schedules at its start.
    pub(super) fn first_events(&self, out: &mut Vec<(SimTime, u16)>) {
        for p in &self.processes {
            if let Some(&Reverse((at, _))) = p.heap.peek() {
                out.push((at, p.class));
            }
        }
        for (index, class) in self.spec.classes.iter().enumerate() {
            if let ClassKind::Planned(m) = class.kind
                && self.node_count > 0
            {
                out.push((SimTime::ZERO + m.first, index as u16));
            }
        }
    }

    /// The next failure of component `component` of process `p`, after
    /// `now` (the component has just been new, repaired or has just
    /// failed).
    fn next_failure(&mut self, p: usize, component: u32, now: SimTime) -> SimTime {
        let process = &mut self.processes[p];
        let c = component as usize;
        let draw = process.draws[c];
        process.draws[c] += 1;
        let u = process
            .stream
            .uniform(u64::from(component), u64::from(draw));
        let mut lifetime = process.lifetime;
        if process.frail {
            let m = self.frailty[process.node_of[c] as usize];
            if m != 1.0 {
                lifetime = lifetime.scaled(m);
            }
        }
        let age_ns = process
            .born
            .get(c)
            .map_or(0.0, |&born| now.saturating_since(born).as_ns() as f64);
        now + SimDuration::from_secs_f64(lifetime.residual_ns(u, age_ns) * 1e-9)
    }

    /// Process of `class` (an unexpected, component-striking class).
    fn process_of(&self, class: u16) -> Option<usize> {
        self.processes.iter().position(|p| p.class == class)
    }

    /// The failure of `class` due now: returns the struck node (or network
    /// part) when it was in service (the failure counts), else
    /// `Struck::Nothing` (dropped). Either way the component's next failure
    /// is drawn; returns also the class's next failure instant.
    pub(super) fn pop_failure(&mut self, class: u16, now: SimTime) -> (Struck, SimTime) {
        let p = self
            .process_of(class)
            .expect("a Failure event has a process");
        let Reverse((at, component)) = self.processes[p].heap.pop().expect("a pending failure");
        debug_assert_eq!(at, now);
        let next = self.next_failure(p, component, now);
        self.processes[p].heap.push(Reverse((next, component)));
        let top = self.processes[p].heap.peek().expect("just pushed").0.0;
        let c = component as usize;
        let struck = if self.processes[p].part_down.is_empty() {
            let node = self.processes[p].node_of[c];
            if self.in_service(node) {
                self.health[node as usize] = Health::Failed { class, at: now };
                Struck::Node(node)
            } else {
                Struck::Nothing
            }
        } else if self.processes[p].part_down[c] {
            Struck::Nothing
        } else {
            self.processes[p].part_down[c] = true;
            Struck::Part(component)
        };
        if struck != Struck::Nothing {
            self.counts[usize::from(class)].failures += 1;
        }
        (struck, top)
    }

    /// Part `part` of network class `class` is repaired: it may fail
    /// again (and is new again, for a Weibull lifetime).
    pub(super) fn part_repaired(&mut self, class: u16, part: u32, now: SimTime) {
        let p = self.process_of(class).expect("a network class");
        let process = &mut self.processes[p];
        process.part_down[part as usize] = false;
        if let Some(born) = process.born.get_mut(part as usize) {
            *born = now;
        }
    }

    /// A repair of `class` (a network part) starts now: its duration,
    /// counted in the mean time to repair.
    pub(super) fn part_down_for(&mut self, class: u16) -> SimDuration {
        let ttr = self.repair_time(class);
        self.repairs += 1;
        self.repair_time_total = self.repair_time_total + ttr;
        ttr
    }

    /// When a failure of `class` at `at` is noticed: after the class's
    /// detection delay, at the next health check for node-level causes
    /// (node health checks do not watch the network or jobs).
    pub(super) fn noticed_at(&self, class: u16, at: SimTime) -> SimTime {
        let c = self.class(class);
        let after = at + c.detection;
        match (c.target, self.spec.health_check_interval) {
            (Target::Job | Target::Link | Target::LeafSwitch | Target::SpineSwitch, _)
            | (_, None) => after,
            (_, Some(interval)) => {
                let p = interval.as_ns().max(1);
                let n = after.as_ns().div_ceil(p);
                SimTime::from_ns(n.saturating_mul(p))
            }
        }
    }

    /// The repair time of a failure of `class` noticed now.
    pub(super) fn repair_time(&mut self, class: u16) -> SimDuration {
        let ClassKind::Unexpected { repair, .. } = self.class(class).kind else {
            return SimDuration::ZERO;
        };
        let c = usize::from(class);
        let k = self.repairs_drawn[c];
        self.repairs_drawn[c] += 1;
        let stream = &self.repair_streams[c];
        repair
            .time
            .sample(stream.uniform(0, 2 * k), stream.uniform(0, 2 * k + 1))
    }

    /// A failure of `class` on `node` was noticed now: the node is DOWN
    /// until the returned instant. Records the failure for the drain
    /// rule; returns whether the rule retires the node at its repair.
    pub(super) fn take_down(&mut self, node: NodeId, class: u16, now: SimTime) -> (SimTime, bool) {
        self.health[node as usize] = Health::Down { class, since: now };
        let ttr = self.repair_time(class);
        self.repairs += 1;
        self.repair_time_total = self.repair_time_total + ttr;
        let retire = match self.spec.drain_rule {
            Some(rule) => {
                let recent = &mut self.recent[node as usize];
                recent.retain(|&t| now.saturating_since(t) < rule.window);
                recent.push(now);
                recent.len() as u32 >= rule.failures
            }
            None => false,
        };
        (now + ttr, retire)
    }

    /// `node`'s repair of a `class` failure is done: components replaced
    /// by the repair are new again. Returns whether it is back in service.
    pub(super) fn repaired(&mut self, node: NodeId, class: u16, now: SimTime, retire: bool) {
        if let ClassKind::Unexpected { repair, .. } = self.class(class).kind
            && repair.action == RepairAction::Replace
            && let Some(p) = self.process_of(class)
        {
            let process = &mut self.processes[p];
            if !process.born.is_empty() {
                for (c, &n) in process.node_of.iter().enumerate() {
                    if n == node {
                        process.born[c] = now;
                    }
                }
            }
        }
        self.health[node as usize] = if retire {
            self.drained_nodes += 1;
            Health::Retired
        } else {
            Health::Up
        };
    }

    /// Time until a software failure of a job holding `nodes` nodes, on
    /// its `attempt`-th run, and the class that causes it; `None` without
    /// job classes.
    pub(super) fn job_failure(
        &self,
        job: u64,
        attempt: u32,
        nodes: u32,
    ) -> Option<(SimDuration, u16)> {
        self.job_classes
            .iter()
            .filter_map(|&(class, stream)| {
                let ClassKind::Unexpected { lifetime, .. } = self.class(class).kind else {
                    return None;
                };
                let u = stream.uniform(job, u64::from(attempt));
                let ns = lifetime.scaled(f64::from(nodes.max(1))).residual_ns(u, 0.0);
                Some((SimDuration::from_secs_f64(ns * 1e-9), class))
            })
            .min_by_key(|&(d, class)| (d, class))
    }

    /// The next nodes a maintenance class drains, and when it ticks next.
    pub(super) fn maintenance_batch(&mut self, class: u16, out: &mut Vec<NodeId>) -> Maintenance {
        let ClassKind::Planned(m) = self.class(class).kind else {
            unreachable!("maintenance events belong to planned classes");
        };
        let cursor = &mut self.maintenance_cursor[usize::from(class)];
        for _ in 0..m.nodes_at_once.min(self.node_count) {
            out.push(*cursor);
            *cursor = (*cursor + 1) % self.node_count;
        }
        m
    }

    /// The node is in service: not failed, down, draining or retired, and
    /// no switch outage cuts it off.
    pub(super) fn in_service(&self, node: NodeId) -> bool {
        self.health[node as usize] == Health::Up && self.cut[node as usize] == 0
    }
}

/// The node of each component a class of `target` strikes.
fn components(target: Target, cluster: &Cluster, nodes: Option<NodeRange>) -> Vec<NodeId> {
    let mut out = Vec::new();
    let within = |node: NodeId| nodes.is_none_or(|r| node >= r.first && node - r.first < r.count);
    for group in &cluster.groups {
        let per_node = match target {
            Target::Gpu => group.gpus_per_node,
            Target::Nic => group.node_model.compute_nics.max(1),
            Target::Node => 1,
            // Network classes draw over parts, not nodes (`parts`); jobs
            // draw their failures when they start.
            Target::Link | Target::LeafSwitch | Target::SpineSwitch | Target::Job => 0,
        };
        for n in 0..group.node_count {
            if !within(group.first_node + n) {
                continue;
            }
            for _ in 0..per_node {
                out.push(group.first_node + n);
            }
        }
    }
    out
}
