//! Max-min fair sharing of link bandwidth between flows, recomputed only
//! where flows changed.
//!
//! A flow is a transfer of some bytes along a fixed path of links. Its rate
//! is its max-min fair share, found by progressive filling (Bertsekas &
//! Gallager, *Data Networks*, 2nd ed., §6.5.2): raise all rates together
//! until some link is full; freeze the flows through it at that link's fair
//! share `remaining capacity / unfrozen flows`; repeat on the rest.
//!
//! Incremental: adding or removing a flow only marks it (or its links)
//! dirty; [`FlowModel::recompute`] re-solves the *component* of the dirty
//! flows: every flow transitively sharing a link with one. Max-min rates of
//! one component do not depend on any other, so flows elsewhere keep their
//! rates, and a flow whose finish time comes out unchanged keeps its
//! completion entry (only its rate and progress are updated).
//!
//! How a recompute runs, for speed (the model's per-link and per-flow data
//! are scattered heap allocations; chasing them during the filling was the
//! cost):
//! - gathering numbers the component's links and flows densely in the
//!   order reached and copies both adjacencies into flat local arrays
//!   ([`Local`]); the filling touches nothing else;
//! - a link crossed by a single flow is not numbered: it only caps that
//!   flow at its capacity (its share never changes), so the flow carries
//!   the least such cap as one *private* entry of the filling order. On a
//!   fat-tree with random pairs about half the links are such;
//! - the next bottleneck is the least key of a list sorted once by initial
//!   share, merged with a small heap of re-queued links: a link's share
//!   only grows as flows freeze below it, so a key is a lower bound, and a
//!   link whose share grew since is re-queued when reached rather than
//!   updated each time.
//!
//! Time is integer nanoseconds. A flow's progress is lazy: bytes remaining
//! at its last rate change plus the rate; its finish time is
//! `updated + ceil(remaining / rate)` in ns. Completions sit in a binary
//! heap of `(finish, slot, version)`; a change of finish time bumps the
//! version, so a popped entry whose version is stale is skipped.
//!
//! Failures (`flow/reroute.rs`): a flow added with its ends
//! ([`FlowModel::add_routed_flow`]) is moved when a link of its path goes
//! down, and back when what it went around returns; one whose ends have no
//! up path left is removed and reported.
//!
//! Invariants:
//! - after `recompute`, rates are max-min fair on every component and no
//!   link carries more than its capacity (up to float rounding);
//! - a flow on a path with a zero-capacity link gets rate 0 and never
//!   completes; it is counted by [`FlowModel::stalled_flows`], never
//!   looped on;
//! - the same calls in the same order give the same rates and finish
//!   times (slots are recycled LIFO, local numbering follows the order
//!   flows are reached, the filling order breaks ties on local index, ties
//!   in the completion heap break on slot then version);
//! - in the steady state (slots, link lists and scratch buffers at their
//!   high-water mark) no call allocates.

mod completions;
mod delta;
mod reroute;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use completions::Completions;

use crate::engine::{NS_PER_SEC, SimTime};

use super::{Fabric, LinkId, VertexId};

pub use reroute::LostFlow;

/// A flow of a [`FlowModel`]: a slot and its generation, so an id kept
/// after its flow ended is recognised as stale.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowId {
    index: u32,
    generation: u32,
}

impl FlowId {
    /// The slot, dense in `0..slots`; reused after the flow ends.
    pub fn slot(self) -> u32 {
        self.index
    }
}

/// A finished flow, as [`FlowModel::pop_completed`] returns it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Completed {
    pub id: FlowId,
    pub tag: u64,
    pub finish: SimTime,
}

const NEVER: u64 = u64::MAX;
/// No link: the bottleneck of a flow never solved, or of an empty path.
const NO_LINK: u32 = u32::MAX;
/// Rate of a flow added but not yet solved.
const UNSOLVED: f64 = -1.0;

/// Flows on a fabric's links; see the module documentation.
#[derive(Clone, Debug)]
pub struct FlowModel {
    // Per link.
    link_flows: Vec<Vec<u32>>,
    link_mark: Vec<LinkMark>,

    // Per flow slot.
    path: Vec<Vec<LinkId>>,
    /// Where the flow stands in each of its links' `link_flows` lists
    /// (parallel to `path`), so taking it out costs no search.
    link_pos: Vec<Vec<u32>>,
    /// The link whose saturation froze the flow at its rate in the last
    /// solve ([`NO_LINK`] before one): what [`FlowModel::recompute`]'s
    /// delta solve needs to know which flows a change can reach.
    bottleneck: Vec<u32>,
    remaining_bytes: Vec<f64>,
    updated_ns: Vec<u64>,
    rate: Vec<f64>,
    finish_ns: Vec<u64>,
    tag: Vec<u64>,
    generation: Vec<u32>,
    version: Vec<u32>,
    active: Vec<bool>,
    stamp: Vec<u32>,
    free: Vec<u32>,
    /// Ends and salt of a flow added by [`FlowModel::add_routed_flow`]
    /// ([`RouteKey::NONE`] for [`FlowModel::add_flow`]'s).
    route_key: Vec<RouteKey>,
    /// On a detour around something down (see `flow/reroute.rs`).
    detoured: Vec<bool>,

    active_count: usize,
    stalled_count: usize,
    dirty_flows: Vec<u32>,
    dirty_links: Vec<u32>,
    epoch: u32,
    completions: Completions,
    /// Slots of flows on a detour (some may have ended since; checked on
    /// use).
    detours: Vec<u32>,

    /// The next recompute solves whole components (set by
    /// [`FlowModel::recompute_all`]).
    full_next: bool,
    solver: Solver,
    // Scratch, reused by every recompute.
    local: Local,
    delta: delta::Delta,
    // Scratch of `reroute`.
    moving: Vec<u32>,
    route_buf: Vec<LinkId>,
}

/// How [`FlowModel::recompute`] solves (tests force one or the other).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Solver {
    /// Whole components when many flows changed, else the delta solve.
    Auto,
    #[cfg_attr(not(test), allow(dead_code))]
    Components,
    #[cfg_attr(not(test), allow(dead_code))]
    Delta,
}

/// Where a routed flow goes, to route it again.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct RouteKey {
    src: VertexId,
    dst: VertexId,
    salt: u64,
}

impl RouteKey {
    /// A flow added with a bare path.
    const NONE: RouteKey = RouteKey {
        src: VertexId(u32::MAX),
        dst: VertexId(u32::MAX),
        salt: 0,
    };
}

/// A link as the gathering sees it, in one record so a visit costs one
/// cache miss: its capacity, how many flows cross it, and where it stands
/// in the current recompute (`local` is meaningful only while `stamp`
/// equals the model's epoch).
#[derive(Copy, Clone, Debug, Default)]
struct LinkMark {
    capacity: f64,
    flows: u32,
    stamp: u32,
    local: u32,
}

/// Marks an entry of the filling order as a flow's private cap rather than
/// a link.
const PRIVATE: u32 = 1 << 31;

/// The component being re-solved, renumbered densely: flows `0..flows.len()`
/// in the order they were reached, links likewise. The filling then runs on
/// these small contiguous arrays instead of chasing per-slot and per-link
/// heap allocations all over the model.
#[derive(Clone, Debug, Default)]
struct Local {
    /// Local flow -> slot.
    flows: Vec<u32>,
    /// Local link -> global link.
    links: Vec<u32>,
    /// Flow -> local links (CSR): flow `i` crosses
    /// `path_links[path_start[i]..path_start[i + 1]]`.
    path_start: Vec<u32>,
    path_links: Vec<u32>,
    /// Link -> local flows (CSR), the transpose of the above.
    flow_start: Vec<u32>,
    link_flows: Vec<u32>,
    /// Per local link: capacity left for the unfrozen flows, and how many
    /// flows are still unfrozen.
    residual: Vec<f64>,
    unfrozen: Vec<u32>,
    /// Per local flow: its max-min rate once frozen, [`UNSOLVED`] before.
    rate: Vec<f64>,
    /// Per local flow: the least capacity of the links it has to itself
    /// (infinite if none), and which link that is. Such links are left out
    /// of the local links.
    private: Vec<f64>,
    private_link: Vec<u32>,
    /// Per local flow: the (global) link that froze it.
    bottleneck: Vec<u32>,
    /// Flows of the component with a non-empty path.
    to_solve: usize,
    order: Vec<(u64, u32)>,
    again: BinaryHeap<Reverse<(u64, u32)>>,
}

impl Local {
    /// Freezes local flow `f` at `share`, taking it out of its links.
    fn freeze(&mut self, f: usize, share: f64, bottleneck: u32) {
        self.rate[f] = share;
        self.bottleneck[f] = bottleneck;
        let (a, b) = (self.path_start[f] as usize, self.path_start[f + 1] as usize);
        for &l in &self.path_links[a..b] {
            self.residual[l as usize] -= share;
            self.unfrozen[l as usize] -= 1;
        }
    }
}

impl FlowModel {
    /// An empty model over the fabric's link capacities.
    pub fn new(fabric: &Fabric) -> FlowModel {
        FlowModel::with_capacities(fabric.links().iter().map(|l| l.bandwidth_bytes_per_s))
    }

    /// An empty model over bare link capacities (bytes/s), indexed by
    /// [`LinkId`]; for tests and for callers that derate links.
    pub fn with_capacities(capacities: impl IntoIterator<Item = f64>) -> FlowModel {
        let capacity: Vec<f64> = capacities
            .into_iter()
            .map(|c| if c.is_finite() && c > 0.0 { c } else { 0.0 })
            .collect();
        let n = capacity.len();
        FlowModel {
            link_flows: vec![Vec::new(); n],
            link_mark: capacity
                .into_iter()
                .map(|capacity| LinkMark {
                    capacity,
                    ..LinkMark::default()
                })
                .collect(),
            path: Vec::new(),
            link_pos: Vec::new(),
            bottleneck: Vec::new(),
            remaining_bytes: Vec::new(),
            updated_ns: Vec::new(),
            rate: Vec::new(),
            finish_ns: Vec::new(),
            tag: Vec::new(),
            generation: Vec::new(),
            version: Vec::new(),
            active: Vec::new(),
            stamp: Vec::new(),
            free: Vec::new(),
            route_key: Vec::new(),
            detoured: Vec::new(),
            active_count: 0,
            stalled_count: 0,
            dirty_flows: Vec::new(),
            dirty_links: Vec::new(),
            epoch: 0,
            completions: Completions::default(),
            detours: Vec::new(),
            full_next: false,
            solver: Solver::Auto,
            local: Local::default(),
            delta: delta::Delta::default(),
            moving: Vec::new(),
            route_buf: Vec::new(),
        }
    }

    /// Starts a flow of `bytes` along `path` at `now`. Its rate is set by
    /// the next [`FlowModel::recompute`]. An empty path (source = sink)
    /// completes at once; negative or NaN byte counts count as 0.
    pub fn add_flow(&mut self, now: SimTime, path: &[LinkId], bytes: f64, tag: u64) -> FlowId {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = self.path.len() as u32;
                self.path.push(Vec::new());
                self.link_pos.push(Vec::new());
                self.bottleneck.push(NO_LINK);
                self.remaining_bytes.push(0.0);
                self.updated_ns.push(0);
                self.rate.push(UNSOLVED);
                self.finish_ns.push(NEVER);
                self.tag.push(0);
                self.generation.push(0);
                self.version.push(0);
                self.active.push(false);
                self.stamp.push(0);
                self.route_key.push(RouteKey::NONE);
                self.detoured.push(false);
                i
            }
        };
        let i = index as usize;
        self.path[i].clear();
        self.path[i].extend_from_slice(path);
        self.link(index);
        self.remaining_bytes[i] = if bytes > 0.0 { bytes } else { 0.0 };
        self.updated_ns[i] = now.as_ns();
        self.rate[i] = UNSOLVED;
        self.finish_ns[i] = NEVER;
        self.tag[i] = tag;
        self.route_key[i] = RouteKey::NONE;
        self.active[i] = true;
        self.active_count += 1;
        self.dirty_flows.push(index);
        FlowId {
            index,
            generation: self.generation[i],
        }
    }

    /// Ends a flow early (cancelled, or its job died). Returns the bytes it
    /// had left at `now`, or `None` if the id is stale (the flow already
    /// completed or was removed). Marks its links dirty.
    pub fn remove_flow(&mut self, now: SimTime, id: FlowId) -> Option<f64> {
        if !self.is_active(id) {
            return None;
        }
        let left = self.remaining_at(id.index as usize, now.as_ns());
        self.release(id.index);
        Some(left)
    }

    /// Recomputes the rates of every component touched since the last call.
    pub fn recompute(&mut self, now: SimTime) {
        if self.dirty_flows.is_empty() && self.dirty_links.is_empty() {
            return;
        }
        self.next_epoch();
        // A few changes among many solved flows: grow from the change.
        // Many (a phase's flows starting, a first solve): solve their
        // components whole, which costs less per flow.
        let whole = match self.solver {
            Solver::Auto => 4 * self.dirty_flows.len() > self.active_count,
            Solver::Components => true,
            Solver::Delta => false,
        };
        if self.full_next || whole {
            self.collect_component();
            self.water_fill();
        } else {
            self.solve_delta();
        }
        self.full_next = false;
        self.apply(now.as_ns());
        self.dirty_flows.clear();
        self.dirty_links.clear();
        // Stale completion entries pile up as rates change; drop them when
        // they outnumber the live ones.
        if self.completions.len() > 2 * self.active_count + 1024 {
            let (active, version) = (&self.active, &self.version);
            self.completions
                .retain(|&(_, i, v)| active[i as usize] && version[i as usize] == v);
        }
    }

    /// A new epoch: no link or flow is stamped with it yet.
    fn next_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // Stamps wrapped: clear them so no old stamp equals a new epoch.
            self.link_mark.iter_mut().for_each(|s| s.stamp = 0);
            self.stamp.fill(0);
            self.epoch = 1;
        }
    }

    /// Removes every flow (their ids become stale) and forgets pending
    /// changes and completions.
    pub fn clear(&mut self) {
        for i in 0..self.path.len() {
            if self.active[i] {
                self.release(i as u32);
            }
        }
        self.dirty_flows.clear();
        self.dirty_links.clear();
        self.completions.clear();
    }

    /// Re-solves every flow, as if all were new (for benchmarks and checks;
    /// simulations call [`FlowModel::recompute`]).
    pub fn recompute_all(&mut self, now: SimTime) {
        for i in 0..self.path.len() {
            if self.active[i] {
                self.dirty_flows.push(i as u32);
            }
        }
        self.full_next = true;
        self.recompute(now);
    }

    /// The earliest scheduled completion, skipping stale entries. Flows not
    /// yet solved (added since the last recompute) are not included.
    pub fn next_completion(&mut self) -> Option<SimTime> {
        while let Some((t, i, v)) = self.completions.peek() {
            if self.active[i as usize] && self.version[i as usize] == v {
                return Some(SimTime::from_ns(t));
            }
            self.completions.pop();
        }
        None
    }

    /// A flow finished by `now`, removed from the model (its links become
    /// dirty: call [`FlowModel::recompute`] after popping all of an
    /// instant's completions). `None` when no flow has finished by `now`.
    pub fn pop_completed(&mut self, now: SimTime) -> Option<Completed> {
        while let Some((t, i, v)) = self.completions.peek() {
            if t > now.as_ns() {
                return None;
            }
            self.completions.pop();
            let s = i as usize;
            if !(self.active[s] && self.version[s] == v) {
                continue;
            }
            let done = Completed {
                id: FlowId {
                    index: i,
                    generation: self.generation[s],
                },
                tag: self.tag[s],
                finish: SimTime::from_ns(t),
            };
            self.release(i);
            return Some(done);
        }
        None
    }

    /// Runs the flows from `now` with nothing else happening: solves,
    /// takes out each instant's completions and solves again, until no
    /// flow is left to complete (stalled ones stay). Returns the last
    /// completion's instant (`now` if none).
    pub fn run_to_end(&mut self, now: SimTime) -> SimTime {
        let mut last = now;
        self.recompute(now);
        while let Some(at) = self.next_completion() {
            while self.pop_completed(at).is_some() {}
            last = at;
            self.recompute(at);
        }
        last
    }

    /// Whether the id names a flow still in the model.
    pub fn is_active(&self, id: FlowId) -> bool {
        let i = id.index as usize;
        i < self.active.len() && self.active[i] && self.generation[i] == id.generation
    }

    /// The flow's current rate; 0 before its first recompute or when
    /// stalled; infinite for an empty path. Panics on a stale id.
    pub fn rate_bytes_per_s(&self, id: FlowId) -> f64 {
        let i = self.live(id);
        self.rate[i].max(0.0)
    }

    /// Bytes the flow still has to move at `now` (at or after its last rate
    /// change). Panics on a stale id.
    pub fn remaining_bytes(&self, id: FlowId, now: SimTime) -> f64 {
        let i = self.live(id);
        self.remaining_at(i, now.as_ns())
    }

    /// The flow's scheduled completion; `None` before its first recompute
    /// or when stalled. Panics on a stale id.
    pub fn finish_time(&self, id: FlowId) -> Option<SimTime> {
        let i = self.live(id);
        (self.finish_ns[i] != NEVER).then(|| SimTime::from_ns(self.finish_ns[i]))
    }

    pub fn tag(&self, id: FlowId) -> u64 {
        self.tag[self.live(id)]
    }

    pub fn path(&self, id: FlowId) -> &[LinkId] {
        &self.path[self.live(id)]
    }

    pub fn active_flows(&self) -> usize {
        self.active_count
    }

    /// Flows solved to rate 0 (a zero-capacity link on their path): they
    /// will never complete unless removed.
    pub fn stalled_flows(&self) -> usize {
        self.stalled_count
    }

    /// Flows re-solved by the last [`FlowModel::recompute`] (the dirty
    /// components, or the delta solve's subproblem), for tests and
    /// profiling.
    pub fn last_component_flows(&self) -> usize {
        self.local.flows.len()
    }

    /// Flows crossing a link.
    pub fn flows_on_link(&self, link: LinkId) -> usize {
        self.link_flows[link.index()].len()
    }

    /// Sum of the rates of the solved flows crossing a link.
    pub fn link_load_bytes_per_s(&self, link: LinkId) -> f64 {
        self.link_flows[link.index()]
            .iter()
            .map(|&f| self.rate[f as usize].max(0.0))
            .sum()
    }

    pub fn link_capacity_bytes_per_s(&self, link: LinkId) -> f64 {
        self.link_mark[link.index()].capacity
    }

    fn live(&self, id: FlowId) -> usize {
        assert!(self.is_active(id), "flow {id:?} is not active");
        id.index as usize
    }

    fn remaining_at(&self, i: usize, now_ns: u64) -> f64 {
        let rate = self.rate[i];
        if rate <= 0.0 {
            return self.remaining_bytes[i];
        }
        if rate.is_infinite() {
            return 0.0;
        }
        let elapsed_s = now_ns.saturating_sub(self.updated_ns[i]) as f64 / NS_PER_SEC as f64;
        (self.remaining_bytes[i] - rate * elapsed_s).max(0.0)
    }

    /// Lists a flow on the links of its path.
    fn link(&mut self, index: u32) {
        let i = index as usize;
        let pos = &mut self.link_pos[i];
        pos.clear();
        for l in &self.path[i] {
            let list = &mut self.link_flows[l.index()];
            pos.push(list.len() as u32);
            list.push(index);
            self.link_mark[l.index()].flows += 1;
        }
    }

    /// Takes a flow out of its links, marking them dirty. The last flow of
    /// each list moves into the gap (the order `swap_remove` leaves).
    fn unlink(&mut self, index: u32) {
        let i = index as usize;
        for hop in 0..self.path[i].len() {
            let l = self.path[i][hop];
            let at = self.link_pos[i][hop];
            let list = &mut self.link_flows[l.index()];
            debug_assert_eq!(list[at as usize], index, "link_pos is where the flow is");
            list.swap_remove(at as usize);
            if let Some(&moved) = list.get(at as usize) {
                // `moved` was last, at `list.len()`: find that hop of its.
                let from = list.len() as u32;
                let m = moved as usize;
                let h = (self.path[m].iter().zip(&self.link_pos[m]))
                    .position(|(&ml, &mp)| ml == l && mp == from)
                    .expect("a listed flow has the link on its path");
                self.link_pos[m][h] = at;
            }
            self.link_mark[l.index()].flows -= 1;
            self.dirty_links.push(l.0);
        }
    }

    /// Takes a flow out of its links and frees its slot.
    fn release(&mut self, index: u32) {
        let i = index as usize;
        self.unlink(index);
        if self.rate[i] == 0.0 {
            self.stalled_count -= 1;
        }
        self.detoured[i] = false;
        self.active[i] = false;
        self.generation[i] = self.generation[i].wrapping_add(1);
        self.version[i] = self.version[i].wrapping_add(1);
        self.rate[i] = UNSOLVED;
        self.finish_ns[i] = NEVER;
        self.active_count -= 1;
        self.free.push(index);
    }

    /// Reaches flow `f` for the first time: gives it the next local index
    /// and records its path in local link indices, numbering links met for
    /// the first time.
    fn visit_flow(&mut self, f: u32) {
        let epoch = self.epoch;
        let fi = f as usize;
        self.stamp[fi] = epoch;
        let local = &mut self.local;
        local.flows.push(f);
        let (mut private, mut private_link) = (f64::INFINITY, NO_LINK);
        for l in &self.path[fi] {
            let mark = &mut self.link_mark[l.index()];
            if mark.flows == 1 {
                // This flow's alone here: the link caps it at its capacity
                // and nothing else. One number per flow instead of a link
                // to number, sort and update.
                if mark.capacity < private {
                    (private, private_link) = (mark.capacity, l.0);
                }
                continue;
            }
            if mark.stamp != epoch {
                mark.stamp = epoch;
                mark.local = local.links.len() as u32;
                local.links.push(l.0);
                local.residual.push(mark.capacity);
            }
            local.path_links.push(mark.local);
        }
        local.path_start.push(local.path_links.len() as u32);
        local.private.push(private);
        local.private_link.push(private_link);
        local.to_solve += usize::from(!self.path[fi].is_empty());
    }

    /// Gathers into [`Local`] every flow and link reachable from the dirty
    /// ones through shared links, with both adjacency directions.
    fn collect_component(&mut self) {
        let epoch = self.epoch;
        let local = &mut self.local;
        local.flows.clear();
        local.links.clear();
        local.path_links.clear();
        local.path_start.clear();
        local.path_start.push(0);
        local.residual.clear();
        local.private.clear();
        local.private_link.clear();
        local.to_solve = 0;
        for d in 0..self.dirty_flows.len() {
            let f = self.dirty_flows[d];
            let fi = f as usize;
            if self.active[fi] && self.stamp[fi] != epoch {
                self.visit_flow(f);
            }
        }
        // A removed flow's links reach the flows it shared them with; the
        // links themselves need no solving unless such a flow reaches them.
        for d in 0..self.dirty_links.len() {
            for k in 0..self.link_flows[self.dirty_links[d] as usize].len() {
                let f = self.link_flows[self.dirty_links[d] as usize][k];
                if self.stamp[f as usize] != epoch {
                    self.visit_flow(f);
                }
            }
        }
        // Breadth-first over links; stop early once every active flow is in
        // (a full recompute, or a component spanning the fabric).
        let mut next = 0;
        while next < self.local.links.len() && self.local.flows.len() < self.active_count {
            let l = self.local.links[next] as usize;
            next += 1;
            for k in 0..self.link_flows[l].len() {
                let f = self.link_flows[l][k];
                if self.stamp[f as usize] != epoch {
                    self.visit_flow(f);
                }
            }
        }
        // Transpose flow -> links into link -> flows.
        let local = &mut self.local;
        let n = local.links.len();
        local.flow_start.clear();
        local.flow_start.resize(n + 1, 0);
        for &l in &local.path_links {
            local.flow_start[l as usize + 1] += 1;
        }
        for i in 0..n {
            local.flow_start[i + 1] += local.flow_start[i];
        }
        // `unfrozen` doubles as the fill cursor, then holds the counts.
        local.unfrozen.clear();
        local.unfrozen.resize(n, 0);
        local.link_flows.clear();
        local.link_flows.resize(local.path_links.len(), 0);
        for f in 0..local.flows.len() {
            let (a, b) = (
                local.path_start[f] as usize,
                local.path_start[f + 1] as usize,
            );
            for &l in &local.path_links[a..b] {
                let l = l as usize;
                let at = local.flow_start[l] + local.unfrozen[l];
                local.link_flows[at as usize] = f as u32;
                local.unfrozen[l] += 1;
            }
        }
    }

    /// Progressive filling over the component; rates land in
    /// `local.rate`.
    fn water_fill(&mut self) {
        let local = &mut self.local;
        local.order.clear();
        for (l, (&cap, &n)) in local.residual.iter().zip(&local.unfrozen).enumerate() {
            // Every local link carries at least two flows of the component.
            // Shares are non-negative finite floats, whose bit patterns
            // order like the values.
            local.order.push(((cap / f64::from(n)).to_bits(), l as u32));
        }
        for (f, &cap) in local.private.iter().enumerate() {
            if cap.is_finite() {
                local.order.push((cap.to_bits(), PRIVATE | f as u32));
            }
        }
        local.order.sort_unstable();
        local.again.clear();
        let mut cursor = 0;
        local.rate.clear();
        local.rate.resize(local.flows.len(), UNSOLVED);
        local.bottleneck.clear();
        local.bottleneck.resize(local.flows.len(), NO_LINK);
        // Flows with an empty path are never frozen here.
        let mut left = local.to_solve;
        while left > 0 {
            let (key, l) = match local.again.peek() {
                Some(&Reverse(top)) if cursor == local.order.len() || top < local.order[cursor] => {
                    local.again.pop();
                    top
                }
                _ => {
                    cursor += 1;
                    local.order[cursor - 1]
                }
            };
            if l & PRIVATE != 0 {
                // The flow's private link: its share is its capacity, and
                // stays so, so the key is never stale.
                let fi = (l & !PRIVATE) as usize;
                if local.rate[fi] == UNSOLVED {
                    left -= 1;
                    let link = local.private_link[fi];
                    local.freeze(fi, f64::from_bits(key), link);
                }
                continue;
            }
            let li = l as usize;
            let unfrozen = local.unfrozen[li];
            if unfrozen == 0 {
                continue;
            }
            let share = local.residual[li].max(0.0) / f64::from(unfrozen);
            let bits = share.to_bits();
            if bits > key {
                // Flows elsewhere froze below this link's share since the
                // key was pushed: the key was a lower bound. Try again,
                // at once if the fresh key is still the least (what a push
                // and a pop would do, without the heap).
                let fresh = (bits, l);
                let least =
                    |q: Option<&Reverse<(u64, u32)>>| q.is_none_or(|&Reverse(top)| fresh < top);
                if !(least(local.again.peek())
                    && local.order.get(cursor).is_none_or(|&next| fresh < next))
                {
                    local.again.push(Reverse(fresh));
                    continue;
                }
            }
            let (a, b) = (
                local.flow_start[li] as usize,
                local.flow_start[li + 1] as usize,
            );
            for k in a..b {
                let fi = local.link_flows[k] as usize;
                if local.rate[fi] == UNSOLVED {
                    left -= 1;
                    local.freeze(fi, share, local.links[li]);
                }
            }
        }
    }

    /// Installs new rates. A flow whose rate changed but whose finish time
    /// did not keeps its completion entry: re-queuing it would only leave a
    /// stale entry behind.
    fn apply(&mut self, now_ns: u64) {
        for k in 0..self.local.flows.len() {
            let f = self.local.flows[k];
            let i = f as usize;
            let new = if self.path[i].is_empty() {
                f64::INFINITY
            } else {
                self.local.rate[k]
            };
            self.bottleneck[i] = self.local.bottleneck[k];
            let old = self.rate[i];
            if old.to_bits() == new.to_bits() {
                continue;
            }
            self.remaining_bytes[i] = self.remaining_at(i, now_ns);
            self.updated_ns[i] = now_ns;
            if old == 0.0 {
                self.stalled_count -= 1;
            }
            self.rate[i] = new;
            if new > 0.0 {
                let ns = (self.remaining_bytes[i] / new * NS_PER_SEC as f64).ceil();
                // `as` saturates: an absurdly long transfer ends at the end of time.
                let finish = now_ns.saturating_add(ns as u64);
                if finish != self.finish_ns[i] {
                    self.finish_ns[i] = finish;
                    self.version[i] = self.version[i].wrapping_add(1);
                    self.completions.push((finish, f, self.version[i]));
                }
            } else {
                self.stalled_count += 1;
                self.version[i] = self.version[i].wrapping_add(1);
                self.finish_ns[i] = NEVER;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GB: f64 = 1e9;

    fn t(ns: u64) -> SimTime {
        SimTime::from_ns(ns)
    }

    fn links(ids: &[u32]) -> Vec<LinkId> {
        ids.iter().map(|&l| LinkId(l)).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn one_flow_gets_the_link_and_finishes_in_bytes_over_bandwidth() {
        let mut m = FlowModel::with_capacities([50.0 * GB]);
        let f = m.add_flow(t(0), &links(&[0]), 100.0 * GB, 7);
        m.recompute(t(0));
        assert_eq!(m.rate_bytes_per_s(f), 50.0 * GB);
        // 100 GB at 50 GB/s: 2 s.
        assert_eq!(m.next_completion(), Some(t(2_000_000_000)));
        assert_eq!(m.pop_completed(t(1_999_999_999)), None);
        let done = m.pop_completed(t(2_000_000_000)).unwrap();
        assert_eq!((done.id, done.tag, done.finish), (f, 7, t(2_000_000_000)));
        assert_eq!(m.active_flows(), 0);
        assert!(!m.is_active(f));
    }

    #[test]
    fn two_flows_halve_a_link_and_the_survivor_speeds_up() {
        // Capacity 1 GB/s. A: 1 GB, B: 2 GB, both from t = 0 at 0.5 GB/s.
        // A ends at 1 / 0.5 = 2 s, when B has 2 - 1 = 1 GB left; alone at
        // 1 GB/s it ends 1 s later, at 3 s.
        let mut m = FlowModel::with_capacities([GB]);
        let a = m.add_flow(t(0), &links(&[0]), GB, 1);
        let b = m.add_flow(t(0), &links(&[0]), 2.0 * GB, 2);
        m.recompute(t(0));
        assert_eq!(m.rate_bytes_per_s(a), 0.5 * GB);
        assert_eq!(m.rate_bytes_per_s(b), 0.5 * GB);
        let first = m.next_completion().unwrap();
        assert_eq!(first, t(2_000_000_000));
        assert_eq!(m.pop_completed(first).unwrap().id, a);
        assert_eq!(m.pop_completed(first), None);
        m.recompute(first);
        assert_eq!(m.rate_bytes_per_s(b), GB);
        assert!(close(m.remaining_bytes(b, first), GB));
        assert_eq!(m.next_completion(), Some(t(3_000_000_000)));
        assert_eq!(m.pop_completed(t(3_000_000_000)).unwrap().id, b);
    }

    #[test]
    fn a_flow_joining_late_slows_the_first() {
        // Capacity 1 GB/s, A: 2 GB from 0; B: 0.5 GB from 1 s. At 1 s A
        // has 1 GB left; both at 0.5 GB/s, B ends at 1 + 1 = 2 s with A at
        // 0.5 GB left; A alone ends at 2.5 s.
        let mut m = FlowModel::with_capacities([GB]);
        let a = m.add_flow(t(0), &links(&[0]), 2.0 * GB, 1);
        m.recompute(t(0));
        let b = m.add_flow(t(1_000_000_000), &links(&[0]), 0.5 * GB, 2);
        m.recompute(t(1_000_000_000));
        assert_eq!(m.finish_time(b), Some(t(2_000_000_000)));
        assert_eq!(m.pop_completed(t(2_000_000_000)).unwrap().id, b);
        m.recompute(t(2_000_000_000));
        assert_eq!(m.finish_time(a), Some(t(2_500_000_000)));
    }

    #[test]
    fn textbook_max_min_examples() {
        // Links A (0) and B (1) of capacity 1; f1 over A and B, f2 over A,
        // f3 over B: every link has two flows, all get 1/2.
        let mut m = FlowModel::with_capacities([1.0, 1.0]);
        let f1 = m.add_flow(t(0), &links(&[0, 1]), 1.0, 0);
        let f2 = m.add_flow(t(0), &links(&[0]), 1.0, 0);
        let f3 = m.add_flow(t(0), &links(&[1]), 1.0, 0);
        m.recompute(t(0));
        for f in [f1, f2, f3] {
            assert_eq!(m.rate_bytes_per_s(f), 0.5);
        }
        // B of capacity 2: A is the bottleneck (share 1/2 < 2/2), f1 and
        // f2 freeze at 1/2; B has 2 - 1/2 = 3/2 left for f3 alone.
        let mut m = FlowModel::with_capacities([1.0, 2.0]);
        let f1 = m.add_flow(t(0), &links(&[0, 1]), 1.0, 0);
        let f2 = m.add_flow(t(0), &links(&[0]), 1.0, 0);
        let f3 = m.add_flow(t(0), &links(&[1]), 1.0, 0);
        m.recompute(t(0));
        assert_eq!(m.rate_bytes_per_s(f1), 0.5);
        assert_eq!(m.rate_bytes_per_s(f2), 0.5);
        assert_eq!(m.rate_bytes_per_s(f3), 1.5);
    }

    #[test]
    fn progressive_filling_on_three_links() {
        // Progressive filling as in Bertsekas & Gallager, Data Networks
        // (2nd ed.), §6.5.2, computed by hand. Links L1 = 10, L2 = 4,
        // L3 = 6; flows a: L1, b: L1+L2, c: L2, d: L2+L3, e: L3. Shares
        // 10/2, 4/3, 6/2: L2 saturates first, b = c = d = 4/3. Then L1 has
        // 10 - 4/3 = 26/3 for a, L3 has 6 - 4/3 = 14/3 for e.
        let mut m = FlowModel::with_capacities([10.0, 4.0, 6.0]);
        let a = m.add_flow(t(0), &links(&[0]), 1.0, 0);
        let b = m.add_flow(t(0), &links(&[0, 1]), 1.0, 0);
        let c = m.add_flow(t(0), &links(&[1]), 1.0, 0);
        let d = m.add_flow(t(0), &links(&[1, 2]), 1.0, 0);
        let e = m.add_flow(t(0), &links(&[2]), 1.0, 0);
        m.recompute(t(0));
        for (f, want) in [
            (a, 26.0 / 3.0),
            (b, 4.0 / 3.0),
            (c, 4.0 / 3.0),
            (d, 4.0 / 3.0),
            (e, 14.0 / 3.0),
        ] {
            assert!(
                close(m.rate_bytes_per_s(f), want),
                "{} vs {want}",
                m.rate_bytes_per_s(f)
            );
        }
        for l in 0..3 {
            assert!(
                m.link_load_bytes_per_s(LinkId(l))
                    <= m.link_capacity_bytes_per_s(LinkId(l)) * (1.0 + 1e-12)
            );
        }
    }

    #[test]
    fn a_link_a_flow_has_to_itself_can_be_its_bottleneck() {
        // Link 0 (10) is shared by a and b; link 1 (2) is a's alone and
        // caps it at 2, so b gets the other 8. Link 2 (1) is c's alone and
        // c crosses nothing else.
        let mut m = FlowModel::with_capacities([10.0, 2.0, 1.0]);
        let a = m.add_flow(t(0), &links(&[0, 1]), 1.0, 0);
        let b = m.add_flow(t(0), &links(&[0]), 1.0, 0);
        let c = m.add_flow(t(0), &links(&[2]), 1.0, 0);
        m.recompute(t(0));
        assert_eq!(m.rate_bytes_per_s(a), 2.0);
        assert_eq!(m.rate_bytes_per_s(b), 8.0);
        assert_eq!(m.rate_bytes_per_s(c), 1.0);
        // A second flow on link 1 makes it shared: 1 each, b gets 9.
        let d = m.add_flow(t(0), &links(&[1]), 1.0, 0);
        m.recompute(t(0));
        assert_eq!(m.rate_bytes_per_s(a), 1.0);
        assert_eq!(m.rate_bytes_per_s(d), 1.0);
        assert_eq!(m.rate_bytes_per_s(b), 9.0);
        // And back.
        m.remove_flow(t(0), d);
        m.recompute(t(0));
        assert_eq!(m.rate_bytes_per_s(a), 2.0);
        assert_eq!(m.rate_bytes_per_s(b), 8.0);
    }

    #[test]
    fn a_rate_change_that_keeps_the_finish_keeps_the_completion_entry() {
        // 1 byte at 3 B/ns ends after ceil(1/3) = 1 ns; halved to 1.5 B/ns
        // by a second flow it still ends after ceil(2/3) = 1 ns.
        let mut m = FlowModel::with_capacities([3e9]);
        let a = m.add_flow(t(0), &links(&[0]), 1.0, 1);
        m.recompute(t(0));
        assert_eq!(m.finish_time(a), Some(t(1)));
        let queued = m.completions.len();
        let b = m.add_flow(t(0), &links(&[0]), 1e9, 2);
        m.recompute(t(0));
        assert_eq!(m.rate_bytes_per_s(a), 1.5e9);
        assert_eq!(m.finish_time(a), Some(t(1)));
        // Only b's entry was added.
        assert_eq!(m.completions.len(), queued + 1);
        let done = m.pop_completed(t(1)).unwrap();
        assert_eq!((done.id, done.tag, done.finish), (a, 1, t(1)));
        m.recompute(t(1));
        assert_eq!(m.rate_bytes_per_s(b), 3e9);
    }

    #[test]
    fn only_the_touched_component_is_recomputed() {
        let mut m = FlowModel::with_capacities([GB, GB, GB]);
        m.solver = Solver::Components;
        let a = m.add_flow(t(0), &links(&[0]), GB, 0);
        let b = m.add_flow(t(0), &links(&[0, 1]), GB, 0);
        m.recompute(t(0));
        assert_eq!(m.last_component_flows(), 2);
        let a_finish = m.finish_time(a);
        // Link 2 shares nothing with a or b.
        let c = m.add_flow(t(10), &links(&[2]), GB, 0);
        m.recompute(t(10));
        assert_eq!(m.last_component_flows(), 1);
        assert_eq!(m.finish_time(a), a_finish);
        // Link 1 is b's: a, b and the new flow are one component.
        let _d = m.add_flow(t(20), &links(&[1]), GB, 0);
        m.recompute(t(20));
        assert_eq!(m.last_component_flows(), 3);
        assert_eq!(m.rate_bytes_per_s(c), GB);
        // Removing b frees link 0 for a.
        assert!(m.remove_flow(t(30), b).is_some());
        m.recompute(t(30));
        assert_eq!(m.rate_bytes_per_s(a), GB);
        assert_eq!(m.remove_flow(t(30), b), None, "stale id");
    }

    #[test]
    fn the_delta_solve_stops_where_rates_stop_changing() {
        // L0 (1): a and b, 1/2 each. L1 (10): b, c, d; b is held at 1/2 by
        // L0, so c and d share 10 - 1/2: 4.75 each.
        let mut m = FlowModel::with_capacities([1.0, 10.0]);
        m.solver = Solver::Delta;
        let a = m.add_flow(t(0), &links(&[0]), 1e9, 0);
        let b = m.add_flow(t(0), &links(&[0, 1]), 1e9, 0);
        let c = m.add_flow(t(0), &links(&[1]), 1e9, 0);
        let d = m.add_flow(t(0), &links(&[1]), 1e9, 0);
        m.recompute(t(0));
        assert_eq!(m.rate_bytes_per_s(c), 4.75);
        // e joins L1: c, d, e share 9.5. b enters with L1 but is capped by
        // its clean bottleneck L0 at 1/2, so L0 and a are never looked at:
        // four flows re-solved of five.
        let e = m.add_flow(t(1), &links(&[1]), 1e9, 0);
        m.recompute(t(1));
        assert_eq!(m.last_component_flows(), 4);
        assert_eq!(m.rate_bytes_per_s(a), 0.5);
        assert_eq!(m.rate_bytes_per_s(b), 0.5);
        for f in [c, d, e] {
            assert!(close(m.rate_bytes_per_s(f), 9.5 / 3.0));
        }
        // a leaves: L0 is b's alone and caps it at 1 (L1's fair share,
        // 10 / 4, is more); c, d and e share the other 9: 3 each.
        m.remove_flow(t(2), a);
        m.recompute(t(2));
        assert_eq!(m.rate_bytes_per_s(b), 1.0);
        for f in [c, d, e] {
            assert!(
                close(m.rate_bytes_per_s(f), 3.0),
                "{}",
                m.rate_bytes_per_s(f)
            );
        }
    }

    #[test]
    fn zero_capacity_stalls_without_looping() {
        let mut m = FlowModel::with_capacities([GB, 0.0]);
        let stuck = m.add_flow(t(0), &links(&[0, 1]), GB, 0);
        let ok = m.add_flow(t(0), &links(&[0]), GB, 0);
        m.recompute(t(0));
        assert_eq!(m.rate_bytes_per_s(stuck), 0.0);
        assert_eq!(m.stalled_flows(), 1);
        assert_eq!(m.finish_time(stuck), None);
        // The stalled flow takes nothing: the other gets the whole link.
        assert_eq!(m.rate_bytes_per_s(ok), GB);
        assert_eq!(m.next_completion(), Some(t(1_000_000_000)));
        m.pop_completed(t(1_000_000_000)).unwrap();
        m.recompute(t(1_000_000_000));
        assert_eq!(m.next_completion(), None);
        assert_eq!(m.remove_flow(t(5), stuck), Some(GB));
        assert_eq!(m.stalled_flows(), 0);
    }

    #[test]
    fn empty_paths_and_empty_flows_finish_at_once() {
        let mut m = FlowModel::with_capacities([GB]);
        let local = m.add_flow(t(5), &[], GB, 1);
        let nothing = m.add_flow(t(5), &links(&[0]), 0.0, 2);
        m.recompute(t(5));
        assert!(m.rate_bytes_per_s(local).is_infinite());
        assert_eq!(m.finish_time(local), Some(t(5)));
        assert_eq!(m.finish_time(nothing), Some(t(5)));
        let mut tags = vec![
            m.pop_completed(t(5)).unwrap().tag,
            m.pop_completed(t(5)).unwrap().tag,
        ];
        tags.sort_unstable();
        assert_eq!(tags, [1, 2]);
    }

    #[test]
    fn finish_times_round_up_to_the_nanosecond() {
        // 1 byte at 3 B/s: 333,333,333.3 ns, rounded up so the flow is
        // never reported done before its last byte.
        let mut m = FlowModel::with_capacities([3.0]);
        let f = m.add_flow(t(0), &links(&[0]), 1.0, 0);
        m.recompute(t(0));
        assert_eq!(m.finish_time(f), Some(t(333_333_334)));
    }

    #[test]
    fn slots_are_recycled_with_a_new_generation() {
        let mut m = FlowModel::with_capacities([GB]);
        let a = m.add_flow(t(0), &links(&[0]), GB, 0);
        m.remove_flow(t(0), a);
        let b = m.add_flow(t(0), &links(&[0]), GB, 0);
        assert_eq!(a.slot(), b.slot());
        assert_ne!(a, b);
        assert!(!m.is_active(a) && m.is_active(b));
    }

    #[test]
    fn stale_heap_entries_are_dropped_when_they_pile_up() {
        // A long flow whose rate changes every time a short one comes and
        // goes leaves one stale completion per change behind.
        let mut m = FlowModel::with_capacities([GB]);
        let long = m.add_flow(t(0), &links(&[0]), 1e6 * GB, 0);
        m.recompute(t(0));
        for i in 1..5000u64 {
            let short = m.add_flow(t(i), &links(&[0]), GB, 0);
            m.recompute(t(i));
            m.remove_flow(t(i), short);
            m.recompute(t(i));
        }
        assert!(m.completions.len() <= 2 * m.active_flows() + 1024 + 2);
        assert!(m.finish_time(long).is_some());
        assert_eq!(m.next_completion(), m.finish_time(long));
    }

    /// Max-min rates by the book (Bertsekas & Gallager §6.5.2), as plainly
    /// as possible: every round, the link with the least fair share
    /// `remaining capacity / unfrozen flows` freezes its unfrozen flows at
    /// that share.
    fn reference_rates(capacities: &[f64], paths: &[Vec<u32>]) -> Vec<f64> {
        let mut rate = vec![f64::NAN; paths.len()];
        let mut residual = capacities.to_vec();
        loop {
            let mut best: Option<(f64, usize)> = None;
            for (l, &cap) in residual.iter().enumerate() {
                let n = (0..paths.len())
                    .filter(|&f| rate[f].is_nan() && paths[f].contains(&(l as u32)))
                    .count();
                if n > 0 {
                    let share = cap.max(0.0) / n as f64;
                    if best.is_none_or(|(b, _)| share < b) {
                        best = Some((share, l));
                    }
                }
            }
            let Some((share, l)) = best else {
                return rate;
            };
            for f in 0..paths.len() {
                if rate[f].is_nan() && paths[f].contains(&(l as u32)) {
                    rate[f] = share;
                    for &k in &paths[f] {
                        residual[k as usize] -= share;
                    }
                }
            }
        }
    }

    /// A path: 1 to 4 distinct links of `links`.
    fn path_strategy(links: u32) -> impl Strategy<Value = Vec<u32>> {
        proptest::collection::btree_set(0..links, 1..=4usize.min(links as usize))
            .prop_map(|s| s.into_iter().collect())
    }

    proptest! {
        /// The solver (dense local numbering, private links, sorted order
        /// with re-queued keys, incremental components) gives the rates of
        /// the plain reference, after every batch of additions and
        /// removals. Capacities come from a few values so that ties, and
        /// sometimes a dead link, are common.
        #[test]
        fn rates_match_a_plain_progressive_filling(
            solver in prop_oneof![Just(Solver::Auto), Just(Solver::Components), Just(Solver::Delta)],
            capacities in proptest::collection::vec(
                prop_oneof![Just(0.0), Just(1.0), Just(2.0), Just(3.0), 0.5f64..10.0],
                1..10,
            ),
            batches in proptest::collection::vec(
                (proptest::collection::vec(path_strategy(10), 0..12), proptest::collection::vec(any::<prop::sample::Index>(), 0..6)),
                1..8,
            ),
        ) {
            let n = capacities.len() as u32;
            let mut m = FlowModel::with_capacities(capacities.iter().copied());
            m.solver = solver;
            let mut live: Vec<(FlowId, Vec<u32>)> = Vec::new();
            for (step, (adds, removes)) in batches.into_iter().enumerate() {
                let now = t(step as u64);
                for r in removes {
                    if !live.is_empty() {
                        let (id, _) = live.remove(r.index(live.len()));
                        prop_assert!(m.remove_flow(now, id).is_some());
                    }
                }
                for p in adds {
                    let p: Vec<u32> = p.into_iter().map(|l| l % n).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
                    let id = m.add_flow(now, &links(&p), 1e18, 0);
                    live.push((id, p));
                }
                m.recompute(now);
                let paths: Vec<Vec<u32>> = live.iter().map(|(_, p)| p.clone()).collect();
                let want = reference_rates(&capacities, &paths);
                for ((id, _), w) in live.iter().zip(&want) {
                    let got = m.rate_bytes_per_s(*id);
                    prop_assert!(
                        (got - w).abs() <= 1e-9 * w.abs().max(1.0),
                        "rate {} against the reference's {}", got, w
                    );
                }
            }
        }
    }
}
