//! Flows around failed links: moving the flows of a [`FlowModel`] when
//! cables or switches of the [`Fabric`] go down or come back.
//!
//! A flow added with its ends ([`FlowModel::add_routed_flow`]) remembers
//! (source, destination, salt). After the fabric's state changed,
//! [`FlowModel::reroute`] routes again the flows that cross a link now
//! down and those on a detour (a route that went around something down:
//! when that returns, they go back to their usual path); a flow whose
//! route changed is taken off its old links and put on the new ones with
//! the bytes it has left, and the components touched are re-solved as any
//! change is ([`FlowModel::recompute`]). A flow with no path left, or one
//! added with a bare path ([`FlowModel::add_flow`]) that crosses a link
//! now down, is removed and reported ([`LostFlow`]): its job has lost the
//! network.
//!
//! Invariants:
//! - after `reroute`, no flow crosses a link that is down;
//! - flows whose path is clear of what changed keep their path and, if
//!   nothing they share a link with moved, their rate and completion;
//! - with everything repaired, every routed flow is back on the path it
//!   had before the failures (routes as built), so the same flows get the
//!   same rates;
//! - the same calls give the same moves (flows are visited by down link
//!   in id order, then in the order they went on a detour);
//! - no allocation beyond the model's high-water marks and the caller's
//!   `lost` list.

use super::{FlowId, FlowModel, RouteKey};
use crate::engine::SimTime;
use crate::fabric::routing::Routed;
use crate::fabric::{Fabric, VertexId};

/// A flow [`FlowModel::reroute`] removed: no up path joins its ends any
/// more (or it was added with a bare path that crosses a link now down).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct LostFlow {
    /// Its id, now stale.
    pub id: FlowId,
    pub tag: u64,
    /// Bytes it had left to move.
    pub remaining_bytes: f64,
}

impl FlowModel {
    /// Starts a flow of `bytes` between `ends` (GPUs or NICs, source then
    /// destination) along `fabric.route(src, dst, salt)`, and remembers
    /// the three so
    /// [`FlowModel::reroute`] can move it. `None`, and nothing added, when
    /// no path joins them (a node without NICs talking off-node, or
    /// everything between them down). Otherwise as [`FlowModel::add_flow`].
    pub fn add_routed_flow(
        &mut self,
        now: SimTime,
        fabric: &Fabric,
        ends: (VertexId, VertexId),
        salt: u64,
        bytes: f64,
        tag: u64,
    ) -> Option<FlowId> {
        let (src, dst) = ends;
        let mut path = std::mem::take(&mut self.route_buf);
        let how = fabric.route_how(src, dst, salt, &mut path);
        let id = (how != Routed::NoPath).then(|| self.add_flow(now, &path, bytes, tag));
        self.route_buf = path;
        let id = id?;
        let i = id.slot() as usize;
        self.route_key[i] = RouteKey { src, dst, salt };
        if how == Routed::Detour {
            self.detoured[i] = true;
            self.detours.push(id.slot());
            if self.detours.len() > 2 * self.active_count + 1024 {
                self.prune_detours();
            }
        }
        Some(id)
    }

    /// After cables or switches of `fabric` went down or came back: moves
    /// the flows crossing a down link onto up paths, brings the flows on a
    /// detour back to their usual path where it is up again, re-solves the
    /// rates of what moved (as [`FlowModel::recompute`] at `now`), and
    /// appends to `lost` the flows left without a path, which are removed.
    /// Cheap when nothing is down and no flow is on a detour.
    pub fn reroute(&mut self, now: SimTime, fabric: &Fabric, lost: &mut Vec<LostFlow>) {
        let mut moving = std::mem::take(&mut self.moving);
        moving.clear();
        self.next_epoch();
        let epoch = self.epoch;
        for &l in fabric.down_links() {
            for &f in &self.link_flows[l.index()] {
                if self.stamp[f as usize] != epoch {
                    self.stamp[f as usize] = epoch;
                    moving.push(f);
                }
            }
        }
        for &f in &self.detours {
            let i = f as usize;
            if self.active[i] && self.detoured[i] && self.stamp[i] != epoch {
                self.stamp[i] = epoch;
                moving.push(f);
            }
        }
        self.detours.clear();
        let mut path = std::mem::take(&mut self.route_buf);
        let now_ns = now.as_ns();
        for &f in &moving {
            let i = f as usize;
            let key = self.route_key[i];
            let how = if key == RouteKey::NONE {
                Routed::NoPath
            } else {
                fabric.route_how(key.src, key.dst, key.salt, &mut path)
            };
            self.detoured[i] = how == Routed::Detour;
            if how == Routed::NoPath {
                lost.push(LostFlow {
                    id: FlowId {
                        index: f,
                        generation: self.generation[i],
                    },
                    tag: self.tag[i],
                    remaining_bytes: self.remaining_at(i, now_ns),
                });
                self.release(f);
                continue;
            }
            if how == Routed::Detour {
                self.detours.push(f);
            }
            if path != self.path[i] {
                // Progress so far at the old rate; the new one comes from
                // the recompute below.
                self.remaining_bytes[i] = self.remaining_at(i, now_ns);
                self.updated_ns[i] = now_ns;
                self.unlink(f);
                self.path[i].clear();
                self.path[i].extend_from_slice(&path);
                self.link(f);
                self.dirty_flows.push(f);
            }
        }
        self.route_buf = path;
        self.moving = moving;
        self.recompute(now);
    }

    /// Flows on a detour: how many (for tests and reports).
    pub fn detoured_flows(&self) -> usize {
        self.detoured.iter().filter(|&&d| d).count()
    }

    /// Drops from the detour list the flows that ended, and duplicates.
    fn prune_detours(&mut self) {
        self.next_epoch();
        let epoch = self.epoch;
        let (active, detoured, stamp) = (&self.active, &self.detoured, &mut self.stamp);
        self.detours.retain(|&f| {
            let i = f as usize;
            let keep = active[i] && detoured[i] && stamp[i] != epoch;
            stamp[i] = epoch;
            keep
        });
    }
}
