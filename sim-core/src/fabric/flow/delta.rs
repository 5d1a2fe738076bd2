//! The delta solve: re-solving only the flows a change can reach.
//!
//! After a few flows are added or removed, most max-min rates do not move
//! (on a k = 32 fat-tree with 10,000 random flows, a removal and an
//! addition change the rates of 6 other flows at the median, 52 at most
//! over 200 changes), yet the component of the change is nearly every
//! flow. This solve runs progressive filling over a subproblem that grows
//! only as far as the change does, using the last solution for the rest:
//!
//! - a link is *clean* while every flow on it has, below the current
//!   level, done what it did in the last solve; a flow whose links were
//!   all clean up to its old rate froze at that rate again, untouched;
//! - the subproblem starts with the links of the removed and added flows
//!   (their fair shares differ from level 0) and every flow on them. A flow
//!   enters with its old rate `ρ` as a cap while the link that froze it
//!   last time (its *bottleneck*) is clean: that link saturates at `ρ`
//!   again. Once its bottleneck is in the subproblem the cap goes, and a
//!   *check* at `ρ` brings in its other links if it is still unfrozen there
//!   (it did not freeze where it used to, so their shares differ);
//! - a flow frozen at a rate other than its old one brings in its links at
//!   that level (their residual capacity differs from then on);
//! - a link entering at level `x` counts the flows on it that froze below
//!   `x` outside the subproblem at their old rates (they are final) and
//!   takes in the others.
//!
//! Events (a link's share, a flow's caps, a check) are taken in level
//! order from a heap; a link's key is a lower bound of its share (shares
//! only grow as flows freeze), re-queued when stale, as in the component
//! solve. The flows outside the subproblem keep their rates and
//! bottlenecks, which stay a max-min solution with the new ones: the
//! proptest in `flow.rs` checks every solve against a plain progressive
//! filling.
//!
//! Invariants: needs the last solve's rates and bottlenecks for every flow
//! not in `dirty_flows`; leaves the subproblem in [`super::Local`] (flows,
//! rates, bottlenecks) for `apply`; deterministic (events tie on kind, then
//! local index, which follows the order things enter); no allocation past
//! the scratch's high-water marks.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{FlowModel, NO_LINK, UNSOLVED};

/// Event kinds, in the order they are taken at one level: caps and shares
/// freeze flows before a check asks whether a flow froze.
const PRIVATE_CAP: u8 = 0;
const OLD_CAP: u8 = 1;
const SHARE: u8 = 2;
const CHECK: u8 = 3;

/// The local index of a link in the subproblem that carries one flow (it
/// has no share of its own: it is that flow's private cap).
const NO_LOCAL: u32 = u32::MAX;

/// The delta solve's scratch (besides [`super::Local`]'s).
#[derive(Clone, Debug, Default)]
pub(super) struct Delta {
    /// Per local flow: its rate in the last solve (NaN: none, it is new or
    /// moved), and whether that rate still caps it.
    old: Vec<f64>,
    capped: Vec<bool>,
    /// Per local flow: the link it is alone on with the least capacity.
    private_link: Vec<u32>,
    /// Per slot: its local index while stamped with the epoch.
    local_of: Vec<u32>,
    events: BinaryHeap<Reverse<(u64, u8, u32)>>,
}

impl FlowModel {
    /// Solves the change since the last solve by growing the subproblem
    /// from it (see the module documentation).
    pub(super) fn solve_delta(&mut self) {
        let epoch = self.epoch;
        let local = &mut self.local;
        local.flows.clear();
        local.links.clear();
        local.residual.clear();
        local.unfrozen.clear();
        local.rate.clear();
        local.bottleneck.clear();
        let delta = &mut self.delta;
        delta.old.clear();
        delta.capped.clear();
        delta.private_link.clear();
        delta.events.clear();
        if delta.local_of.len() < self.path.len() {
            delta.local_of.resize(self.path.len(), 0);
        }
        // New and moved flows, then the links they and the removed flows
        // are on, all from level 0.
        for d in 0..self.dirty_flows.len() {
            let f = self.dirty_flows[d];
            if self.active[f as usize] && self.stamp[f as usize] != epoch {
                self.enter_flow(f, true);
            }
        }
        for d in 0..self.dirty_flows.len() {
            let f = self.dirty_flows[d] as usize;
            if !self.active[f] {
                continue;
            }
            for h in 0..self.path[f].len() {
                let l = self.path[f][h].0;
                self.enter_link(l, 0);
            }
        }
        for d in 0..self.dirty_links.len() {
            let l = self.dirty_links[d];
            self.enter_link(l, 0);
        }
        while let Some(Reverse((key, kind, i))) = self.delta.events.pop() {
            let i = i as usize;
            match kind {
                PRIVATE_CAP => {
                    if self.local.rate[i] == UNSOLVED {
                        let link = self.delta.private_link[i];
                        self.freeze_delta(i, f64::from_bits(key), link, key);
                    }
                }
                OLD_CAP => {
                    if self.local.rate[i] == UNSOLVED && self.delta.capped[i] {
                        let slot = self.local.flows[i] as usize;
                        let link = self.bottleneck[slot];
                        self.freeze_delta(i, f64::from_bits(key), link, key);
                    }
                }
                SHARE => {
                    let unfrozen = self.local.unfrozen[i];
                    if unfrozen == 0 {
                        continue;
                    }
                    let share = self.local.residual[i].max(0.0) / f64::from(unfrozen);
                    let bits = share.to_bits();
                    if bits > key {
                        self.delta.events.push(Reverse((bits, SHARE, i as u32)));
                        continue;
                    }
                    let link = self.local.links[i];
                    for k in 0..self.link_flows[link as usize].len() {
                        let g = self.link_flows[link as usize][k] as usize;
                        if self.stamp[g] == epoch {
                            let j = self.delta.local_of[g] as usize;
                            if self.local.rate[j] == UNSOLVED {
                                self.freeze_delta(j, share, link, bits);
                            }
                        }
                    }
                }
                _ => {
                    // CHECK: unfrozen past its old rate, so its links'
                    // shares differ from here on.
                    if self.local.rate[i] == UNSOLVED {
                        let slot = self.local.flows[i] as usize;
                        for h in 0..self.path[slot].len() {
                            let l = self.path[slot][h].0;
                            self.enter_link(l, key);
                        }
                    }
                }
            }
        }
        debug_assert!(
            (0..self.local.flows.len()).all(|i| self.local.rate[i] != UNSOLVED
                || self.path[self.local.flows[i] as usize].is_empty()),
            "every flow of the subproblem is frozen"
        );
    }

    /// Flow `f` joins the subproblem, unfrozen: `fresh` (new or moved) with
    /// no old rate, else capped by its old rate while its bottleneck is
    /// clean, or checked at it.
    fn enter_flow(&mut self, f: u32, fresh: bool) {
        let fi = f as usize;
        self.stamp[fi] = self.epoch;
        let i = self.local.flows.len() as u32;
        self.delta.local_of[fi] = i;
        self.local.flows.push(f);
        self.local.rate.push(UNSOLVED);
        self.local.bottleneck.push(NO_LINK);
        let (mut private, mut private_link) = (f64::INFINITY, NO_LINK);
        for l in &self.path[fi] {
            let mark = &self.link_mark[l.index()];
            if mark.flows == 1 && mark.capacity < private {
                (private, private_link) = (mark.capacity, l.0);
            }
        }
        self.delta.private_link.push(private_link);
        if private.is_finite() {
            (self.delta.events).push(Reverse((private.to_bits(), PRIVATE_CAP, i)));
        }
        let old = if fresh { f64::NAN } else { self.rate[fi] };
        self.delta.old.push(old);
        let bottleneck = self.bottleneck[fi];
        let clean = !fresh
            && bottleneck != NO_LINK
            && self.link_mark[bottleneck as usize].stamp != self.epoch;
        self.delta.capped.push(clean);
        if clean {
            (self.delta.events).push(Reverse((old.to_bits(), OLD_CAP, i)));
        } else if !fresh {
            (self.delta.events).push(Reverse((old.to_bits(), CHECK, i)));
        }
    }

    /// Link `l` joins the subproblem at level `level` (bits), if it is not
    /// in yet: its residual capacity counts what froze on it below the
    /// level, and the flows still to freeze on it join too. A link left
    /// with one flow only marks that flow's bottleneck unclean (its private
    /// cap, the link's capacity, takes over).
    fn enter_link(&mut self, l: u32, level: u64) {
        let epoch = self.epoch;
        let li = l as usize;
        let mark = &mut self.link_mark[li];
        if mark.stamp == epoch {
            return;
        }
        mark.stamp = epoch;
        if mark.flows < 2 {
            mark.local = NO_LOCAL;
            if let Some(&g) = self.link_flows[li].first() {
                if self.stamp[g as usize] != epoch {
                    self.enter_flow(g, false);
                } else {
                    self.uncap(g, l);
                }
            }
            return;
        }
        let local_link = self.local.links.len() as u32;
        mark.local = local_link;
        self.local.links.push(l);
        let mut residual = mark.capacity;
        let mut unfrozen = 0u32;
        for k in 0..self.link_flows[li].len() {
            let g = self.link_flows[li][k];
            let gi = g as usize;
            if self.stamp[gi] == epoch {
                let j = self.delta.local_of[gi] as usize;
                let rate = self.local.rate[j];
                if rate != UNSOLVED {
                    residual -= rate;
                } else {
                    unfrozen += 1;
                    self.uncap(g, l);
                }
            } else if self.rate[gi].to_bits() < level {
                // Froze below the level, outside the subproblem: final.
                residual -= self.rate[gi];
            } else {
                self.enter_flow(g, false);
                unfrozen += 1;
            }
        }
        self.local.residual.push(residual);
        self.local.unfrozen.push(unfrozen);
        if unfrozen > 0 {
            let share = (residual.max(0.0) / f64::from(unfrozen)).to_bits();
            (self.delta.events).push(Reverse((share, SHARE, local_link)));
        }
    }

    /// Link `l` joined the subproblem: a flow of it still capped by its old
    /// rate because `l` was its clean bottleneck is capped no more, and is
    /// checked at that rate instead.
    fn uncap(&mut self, g: u32, l: u32) {
        let j = self.delta.local_of[g as usize] as usize;
        if self.local.rate[j] == UNSOLVED
            && self.delta.capped[j]
            && self.bottleneck[g as usize] == l
        {
            self.delta.capped[j] = false;
            let old = self.delta.old[j].to_bits();
            (self.delta.events).push(Reverse((old, CHECK, j as u32)));
        }
    }

    /// Freezes local flow `i` at `share` (level `level`, in bits) by
    /// `link`; at a rate it did not have, its links join at this level.
    fn freeze_delta(&mut self, i: usize, share: f64, link: u32, level: u64) {
        self.local.rate[i] = share;
        self.local.bottleneck[i] = link;
        let slot = self.local.flows[i] as usize;
        let changed = share.to_bits() != self.delta.old[i].to_bits();
        for h in 0..self.path[slot].len() {
            let l = self.path[slot][h].0 as usize;
            let mark = &self.link_mark[l];
            if mark.stamp == self.epoch {
                if mark.local != NO_LOCAL {
                    let j = mark.local as usize;
                    self.local.residual[j] -= share;
                    self.local.unfrozen[j] -= 1;
                }
            } else if changed {
                // Joins with this flow frozen at its new rate.
                self.enter_link(l as u32, level);
            }
        }
    }
}
