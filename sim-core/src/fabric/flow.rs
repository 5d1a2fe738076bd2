//! Max-min fair sharing of link bandwidth between flows, recomputed only
//! where flows changed.
//!
//! A flow is a transfer of some bytes along a fixed path of links. Its rate
//! is its max-min fair share, found by progressive filling (Bertsekas &
//! Gallager, *Data Networks*, 2nd ed., §6.5.2): raise all rates together
//! until some link is full; freeze the flows through it at that link's fair
//! share `remaining capacity / unfrozen flows`; repeat on the rest. A
//! heap of links keyed by fair share finds the next bottleneck; since a
//! link's share only grows as other flows freeze below it, a stale key is a
//! lower bound and is re-pushed when popped rather than updated each time.
//!
//! Incremental: adding or removing a flow only marks it (or its links)
//! dirty; [`FlowModel::recompute`] re-solves the *component* of the dirty
//! flows: every flow transitively sharing a link with one. Max-min rates of
//! one component do not depend on any other, so flows elsewhere keep their
//! rates, and a flow whose rate comes out bit-identical keeps its scheduled
//! completion.
//!
//! Time is integer nanoseconds. A flow's progress is lazy: bytes remaining
//! at its last rate change plus the rate; its finish time is
//! `updated + ceil(remaining / rate)` in ns. Completions sit in a binary
//! heap of `(finish, slot, version)`; a rate change bumps the version, so a
//! popped entry whose version is stale is skipped.
//!
//! Invariants:
//! - after `recompute`, rates are max-min fair on every component and no
//!   link carries more than its capacity (up to float rounding);
//! - a flow on a path with a zero-capacity link gets rate 0 and never
//!   completes; it is counted by [`FlowModel::stalled_flows`], never
//!   looped on;
//! - the same calls in the same order give the same rates and finish
//!   times (slots are recycled LIFO, ties in the heap break on slot then
//!   version);
//! - in the steady state (slots, link lists and scratch buffers at their
//!   high-water mark) no call allocates.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::{NS_PER_SEC, SimTime};

use super::{Fabric, LinkId};

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
/// Rate of a flow added but not yet solved.
const UNSOLVED: f64 = -1.0;

/// Flows on a fabric's links; see the module documentation.
#[derive(Clone, Debug)]
pub struct FlowModel {
    // Per link.
    capacity: Vec<f64>,
    link_flows: Vec<Vec<u32>>,
    link_stamp: Vec<u32>,
    residual: Vec<f64>,
    unfrozen: Vec<u32>,

    // Per flow slot.
    path: Vec<Vec<LinkId>>,
    remaining_bytes: Vec<f64>,
    updated_ns: Vec<u64>,
    rate: Vec<f64>,
    new_rate: Vec<f64>,
    finish_ns: Vec<u64>,
    tag: Vec<u64>,
    generation: Vec<u32>,
    version: Vec<u32>,
    active: Vec<bool>,
    stamp: Vec<u32>,
    frozen: Vec<u32>,
    free: Vec<u32>,

    active_count: usize,
    stalled_count: usize,
    dirty_flows: Vec<u32>,
    dirty_links: Vec<u32>,
    epoch: u32,
    completions: BinaryHeap<Reverse<(u64, u32, u32)>>,

    // Scratch, reused by every recompute.
    comp_links: Vec<u32>,
    comp_flows: Vec<u32>,
    fill: BinaryHeap<Reverse<(u64, u32)>>,
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
            capacity,
            link_flows: vec![Vec::new(); n],
            link_stamp: vec![0; n],
            residual: vec![0.0; n],
            unfrozen: vec![0; n],
            path: Vec::new(),
            remaining_bytes: Vec::new(),
            updated_ns: Vec::new(),
            rate: Vec::new(),
            new_rate: Vec::new(),
            finish_ns: Vec::new(),
            tag: Vec::new(),
            generation: Vec::new(),
            version: Vec::new(),
            active: Vec::new(),
            stamp: Vec::new(),
            frozen: Vec::new(),
            free: Vec::new(),
            active_count: 0,
            stalled_count: 0,
            dirty_flows: Vec::new(),
            dirty_links: Vec::new(),
            epoch: 0,
            completions: BinaryHeap::new(),
            comp_links: Vec::new(),
            comp_flows: Vec::new(),
            fill: BinaryHeap::new(),
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
                self.remaining_bytes.push(0.0);
                self.updated_ns.push(0);
                self.rate.push(UNSOLVED);
                self.new_rate.push(0.0);
                self.finish_ns.push(NEVER);
                self.tag.push(0);
                self.generation.push(0);
                self.version.push(0);
                self.active.push(false);
                self.stamp.push(0);
                self.frozen.push(0);
                i
            }
        };
        let i = index as usize;
        self.path[i].clear();
        self.path[i].extend_from_slice(path);
        for l in path {
            self.link_flows[l.index()].push(index);
        }
        self.remaining_bytes[i] = if bytes > 0.0 { bytes } else { 0.0 };
        self.updated_ns[i] = now.as_ns();
        self.rate[i] = UNSOLVED;
        self.finish_ns[i] = NEVER;
        self.tag[i] = tag;
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
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // Stamps wrapped: clear them so no old stamp equals a new epoch.
            self.link_stamp.fill(0);
            self.stamp.fill(0);
            self.frozen.fill(0);
            self.epoch = 1;
        }
        self.collect_component();
        self.water_fill();
        self.apply(now.as_ns());
        self.dirty_flows.clear();
        self.dirty_links.clear();
        // Stale completion entries pile up as rates change; drop them when
        // they outnumber the live ones.
        if self.completions.len() > 2 * self.active_count + 1024 {
            let (active, version) = (&self.active, &self.version);
            self.completions
                .retain(|Reverse((_, i, v))| active[*i as usize] && version[*i as usize] == *v);
        }
    }

    /// Re-solves every flow, as if all were new (for benchmarks and checks;
    /// simulations call [`FlowModel::recompute`]).
    pub fn recompute_all(&mut self, now: SimTime) {
        for i in 0..self.path.len() {
            if self.active[i] {
                self.dirty_flows.push(i as u32);
            }
        }
        self.recompute(now);
    }

    /// The earliest scheduled completion, skipping stale entries. Flows not
    /// yet solved (added since the last recompute) are not included.
    pub fn next_completion(&mut self) -> Option<SimTime> {
        while let Some(&Reverse((t, i, v))) = self.completions.peek() {
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
        while let Some(&Reverse((t, i, v))) = self.completions.peek() {
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
        self.capacity[link.index()]
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

    /// Takes a flow out of its links and frees its slot.
    fn release(&mut self, index: u32) {
        let i = index as usize;
        for l in &self.path[i] {
            let list = &mut self.link_flows[l.index()];
            let at = list
                .iter()
                .position(|&f| f == index)
                .expect("a flow is listed on every link of its path");
            list.swap_remove(at);
            self.dirty_links.push(l.0);
        }
        if self.rate[i] == 0.0 {
            self.stalled_count -= 1;
        }
        self.active[i] = false;
        self.generation[i] = self.generation[i].wrapping_add(1);
        self.version[i] = self.version[i].wrapping_add(1);
        self.rate[i] = UNSOLVED;
        self.finish_ns[i] = NEVER;
        self.active_count -= 1;
        self.free.push(index);
    }

    /// Gathers into `comp_flows`/`comp_links` every flow and link reachable
    /// from the dirty ones through shared links.
    fn collect_component(&mut self) {
        let epoch = self.epoch;
        self.comp_links.clear();
        self.comp_flows.clear();
        for &f in &self.dirty_flows {
            let fi = f as usize;
            if !self.active[fi] || self.stamp[fi] == epoch {
                continue;
            }
            self.stamp[fi] = epoch;
            self.comp_flows.push(f);
            for l in &self.path[fi] {
                if self.link_stamp[l.index()] != epoch {
                    self.link_stamp[l.index()] = epoch;
                    self.comp_links.push(l.0);
                }
            }
        }
        for &l in &self.dirty_links {
            if self.link_stamp[l as usize] != epoch {
                self.link_stamp[l as usize] = epoch;
                self.comp_links.push(l);
            }
        }
        let mut next = 0;
        while next < self.comp_links.len() {
            let l = self.comp_links[next] as usize;
            next += 1;
            for &f in &self.link_flows[l] {
                let fi = f as usize;
                if self.stamp[fi] == epoch {
                    continue;
                }
                self.stamp[fi] = epoch;
                self.comp_flows.push(f);
                for l2 in &self.path[fi] {
                    if self.link_stamp[l2.index()] != epoch {
                        self.link_stamp[l2.index()] = epoch;
                        self.comp_links.push(l2.0);
                    }
                }
            }
        }
    }

    /// Progressive filling over the component; rates land in `new_rate`.
    fn water_fill(&mut self) {
        let epoch = self.epoch;
        let mut heap = std::mem::take(&mut self.fill).into_vec();
        heap.clear();
        for &l in &self.comp_links {
            let li = l as usize;
            let n = self.link_flows[li].len() as u32;
            self.residual[li] = self.capacity[li];
            self.unfrozen[li] = n;
            if n > 0 {
                heap.push(Reverse(((self.capacity[li] / f64::from(n)).to_bits(), l)));
            }
        }
        // Shares are non-negative finite floats, whose bit patterns order
        // like the values.
        let mut heap = BinaryHeap::from(heap);
        while let Some(Reverse((key, l))) = heap.pop() {
            let li = l as usize;
            let n = self.unfrozen[li];
            if n == 0 {
                continue;
            }
            let share = self.residual[li].max(0.0) / f64::from(n);
            let bits = share.to_bits();
            if bits > key {
                // Flows elsewhere froze below this link's share since the
                // key was pushed: the key was a lower bound. Try again.
                heap.push(Reverse((bits, l)));
                continue;
            }
            for &f in &self.link_flows[li] {
                let fi = f as usize;
                if self.frozen[fi] == epoch {
                    continue;
                }
                self.frozen[fi] = epoch;
                self.new_rate[fi] = share;
                for l2 in &self.path[fi] {
                    self.residual[l2.index()] -= share;
                    self.unfrozen[l2.index()] -= 1;
                }
            }
        }
        self.fill = heap;
    }

    /// Installs new rates; reschedules the flows whose rate changed.
    fn apply(&mut self, now_ns: u64) {
        for &f in &self.comp_flows {
            let i = f as usize;
            let new = if self.path[i].is_empty() {
                f64::INFINITY
            } else {
                self.new_rate[i]
            };
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
            self.version[i] = self.version[i].wrapping_add(1);
            if new > 0.0 {
                let ns = (self.remaining_bytes[i] / new * NS_PER_SEC as f64).ceil();
                // `as` saturates: an absurdly long transfer ends at the end of time.
                let finish = now_ns.saturating_add(ns as u64);
                self.finish_ns[i] = finish;
                self.completions.push(Reverse((finish, f, self.version[i])));
            } else {
                self.stalled_count += 1;
                self.finish_ns[i] = NEVER;
            }
        }
    }
}
