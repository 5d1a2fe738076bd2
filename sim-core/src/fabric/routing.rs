//! Deterministic ECMP over shortest paths.
//!
//! At build time, a breadth-first search from every leaf that has NICs
//! (over the switch-to-switch links, backwards) gives every switch its hop
//! distance to that leaf; the switch's equal-cost next hops towards it are
//! its links to neighbours one hop closer. Identical next-hop sets are
//! stored once, so a table entry is one `u32` per (switch, destination
//! leaf): 2.6 MB for the 1,280 switches and 512 leaves of a k = 32
//! fat-tree. Hosts hang off one leaf each, so no per-host table is needed.
//!
//! A flow's path: source GPU to its NIC (PCIe), NIC to its leaf, switch by
//! switch to the destination's leaf, down to the NIC and its GPU. At each
//! switch with several next hops the choice is a hash (splitmix64) of
//! (source, destination, salt, switch): the same inputs always give the
//! same path, different salts spread flows of one pair over the equal-cost
//! paths, and no `RandomState` is involved. That is Ethernet's ECMP, which
//! RoCE fabrics use. InfiniBand fabrics are routed per destination by the
//! subnet manager instead: its fat-tree routing engines spread
//! destinations over the up-ports ("D-mod-K": at the i-th tier climbed,
//! the port is the i-th base-k digit of the destination's number; Zahavi,
//! "D-Mod-K Routing Providing Non-Blocking Traffic for Shift
//! Permutations on Real Life Fat Trees", 2010), so a permutation such as a
//! ring's neighbour exchange does not collide on uplinks. Fabrics built
//! from an InfiniBand preset route that way and ignore the salt. Two GPUs
//! of one node talk over their NVSwitch (or host bridge) and never touch
//! the network.
//!
//! Failures ([`super::state`]): routes never cross a link that is down.
//! Every change of state refreshes, per destination leaf, which switches
//! still reach it over up links along the build-time next hops (work in
//! proportion to what is down, per destination leaf). At a
//! switch whose usual next hop is down or leads nowhere, the route takes
//! another of its next hops that still reaches the destination:
//! - hashed ECMP rehashes over those only (the rest of the hash), as
//!   switches with resilient hashing do: flows whose hop is up keep it;
//! - D-mod-k takes among them by the destination's next base-k digit, so
//!   the destinations of a dead port spread over the live ones and the
//!   others keep their ports. A real subnet manager (OpenSM) re-sweeps the
//!   fabric and recomputes every switch's forwarding table with its
//!   routing engine, which may also move destinations whose port is alive;
//!   this keeps them, an approximation.
//!
//! Paths stay on the build-time shortest (up/down) paths: a pair whose
//! every such path is broken has no route (`route` returns false), even
//! if a longer detour through another leaf exists. That is what Clos
//! fabrics do (up*/down* routing forbids the valley; BGP's AS-path check
//! in RFC 7938 designs likewise).
//!
//! Invariants: every leaf with NICs reaches every other as built (the
//! build fails otherwise); with nothing down routes are those of the
//! build; routing allocates nothing beyond growing the caller's path
//! buffer.

use std::collections::HashMap;

use petgraph::graph::DiGraph;

use super::{Fabric, FabricError, Link, LinkId, NicAttach, Role, Vertex, VertexId};
use crate::engine::splitmix64;

const NONE: u32 = u32::MAX;

/// Next-hop tables; see the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct Routing {
    /// Switch ordinal to destination index (leaves with NICs), or NONE.
    dest_of_switch: Vec<u32>,
    dests: usize,
    /// `[switch * dests + dest]`: next-hop set id, NONE at the leaf itself.
    table: Vec<u32>,
    /// Set id to its range in `set_links` (`set_start[id]..set_start[id+1]`).
    set_start: Vec<u32>,
    set_links: Vec<LinkId>,
    /// Switch a link enters, for following a path (NONE if not a switch).
    link_dst_switch: Vec<u32>,
    /// Switch a link leaves (NONE if not a switch).
    link_src_switch: Vec<u32>,
    /// Destination index to leaf ordinal.
    dest_leaves: Vec<u32>,
    /// Switch-to-switch links backwards (CSR): the switches with a link
    /// into switch `x` are `in_from[in_start[x]..in_start[x + 1]]` (once
    /// per parallel cable).
    in_start: Vec<u32>,
    in_from: Vec<u32>,
    /// `[switch * dests + dest]`: the switch reaches the destination leaf
    /// over up links. Empty while nothing is down (everything reaches).
    alive: Vec<bool>,
}

/// How [`Fabric::route`] found a path.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Routed {
    /// No path over up links.
    NoPath,
    /// The path of the fabric as built.
    Usual,
    /// Around something down: a switch took another next hop.
    Detour,
}

impl Routing {
    pub(crate) fn build(
        graph: &DiGraph<Vertex, Link, u32>,
        links: &[Link],
        roles: &[Role],
        switches: &[VertexId],
        nics: &[NicAttach],
    ) -> Result<Routing, FabricError> {
        let s = switches.len();
        let switch_of = |v: VertexId| match roles[v.index()] {
            Role::Switch(o) => Some(o),
            _ => None,
        };
        let link_dst_switch: Vec<u32> = links
            .iter()
            .map(|l| switch_of(l.dst).unwrap_or(NONE))
            .collect();
        // Switch-to-switch adjacency as flat arrays (CSR), in link id order.
        let mut out_start = vec![0u32; s + 1];
        let mut in_start = vec![0u32; s + 1];
        for l in links {
            if let (Some(a), Some(b)) = (switch_of(l.src), switch_of(l.dst)) {
                out_start[a as usize + 1] += 1;
                in_start[b as usize + 1] += 1;
            }
        }
        for i in 0..s {
            out_start[i + 1] += out_start[i];
            in_start[i + 1] += in_start[i];
        }
        let mut out_links = vec![(LinkId(0), 0u32); out_start[s] as usize];
        let mut in_from = vec![0u32; in_start[s] as usize];
        let (mut out_fill, mut in_fill) = (out_start.clone(), in_start.clone());
        for (id, l) in links.iter().enumerate() {
            if let (Some(a), Some(b)) = (switch_of(l.src), switch_of(l.dst)) {
                out_links[out_fill[a as usize] as usize] = (LinkId(id as u32), b);
                out_fill[a as usize] += 1;
                in_from[in_fill[b as usize] as usize] = a;
                in_fill[b as usize] += 1;
            }
        }

        let mut dest_of_switch = vec![NONE; s];
        let mut dest_leaves: Vec<u32> = Vec::new();
        for nic in nics {
            if dest_of_switch[nic.leaf as usize] == NONE {
                dest_of_switch[nic.leaf as usize] = 0; // mark; numbered below
            }
        }
        for (o, d) in dest_of_switch.iter_mut().enumerate() {
            if *d != NONE {
                *d = dest_leaves.len() as u32;
                dest_leaves.push(o as u32);
            }
        }
        let dests = dest_leaves.len();
        let mut table = vec![NONE; s * dests];
        let mut set_start: Vec<u32> = vec![0];
        let mut set_links: Vec<LinkId> = Vec::new();
        // Interning by content; looked up, never iterated.
        let mut interned: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut scratch: Vec<u32> = Vec::new();
        let mut dist = vec![NONE; s];
        let mut queue: Vec<u32> = Vec::with_capacity(s);
        for (d, &leaf) in dest_leaves.iter().enumerate() {
            dist.fill(NONE);
            queue.clear();
            dist[leaf as usize] = 0;
            queue.push(leaf);
            let mut head = 0;
            while head < queue.len() {
                let x = queue[head] as usize;
                head += 1;
                for &y in &in_from[in_start[x] as usize..in_start[x + 1] as usize] {
                    if dist[y as usize] == NONE {
                        dist[y as usize] = dist[x] + 1;
                        queue.push(y);
                    }
                }
            }
            if let Some(&cut) = dest_leaves.iter().find(|&&l| dist[l as usize] == NONE) {
                let name = |o: u32| {
                    graph[petgraph::graph::NodeIndex::new(switches[o as usize].index())]
                        .switch_name()
                        .unwrap_or("?")
                        .to_string()
                };
                return Err(FabricError::new(
                    format!(
                        "switch `{}` cannot reach switch `{}`: the hosts under them cannot talk",
                        name(cut),
                        name(leaf)
                    ),
                    "add links so that every leaf switch reaches every other",
                ));
            }
            for sw in 0..s {
                let here = dist[sw];
                if here == NONE || here == 0 {
                    continue;
                }
                scratch.clear();
                for &(link, t) in &out_links[out_start[sw] as usize..out_start[sw + 1] as usize] {
                    if dist[t as usize] + 1 == here {
                        scratch.push(link.0);
                    }
                }
                let id = match interned.get(scratch.as_slice()) {
                    Some(&id) => id,
                    None => {
                        let id = (set_start.len() - 1) as u32;
                        set_links.extend(scratch.iter().map(|&l| LinkId(l)));
                        set_start.push(set_links.len() as u32);
                        interned.insert(scratch.clone(), id);
                        id
                    }
                };
                table[sw * dests + d] = id;
            }
        }
        Ok(Routing {
            dest_of_switch,
            dests,
            table,
            set_start,
            set_links,
            link_dst_switch,
            link_src_switch: links
                .iter()
                .map(|l| switch_of(l.src).unwrap_or(NONE))
                .collect(),
            dest_leaves,
            in_start,
            in_from,
            alive: Vec::new(),
        })
    }

    /// Equal-cost next hops from switch `sw` towards leaf `dest_leaf`
    /// (switch ordinals); empty at the leaf itself.
    fn next_hops(&self, sw: u32, dest_leaf: u32) -> &[LinkId] {
        self.hops_to(sw, self.dest_of_switch[dest_leaf as usize] as usize)
    }

    /// [`Routing::next_hops`] by destination index.
    fn hops_to(&self, sw: u32, d: usize) -> &[LinkId] {
        let id = self.table[sw as usize * self.dests + d];
        if id == NONE {
            return &[];
        }
        &self.set_links
            [self.set_start[id as usize] as usize..self.set_start[id as usize + 1] as usize]
    }

    /// Recomputes which switches reach which leaves after a change of
    /// state. Per destination leaf, everything reaches it but what the
    /// failures take away: a switch whose down link was one of its next
    /// hops, left with no next hop that is up and reaches, no longer
    /// reaches; the switches with a link into it are checked in turn. The
    /// next hops form a DAG towards the leaf, so this gives the one answer
    /// a pass in hop order would, for work in proportion to what is down.
    pub(crate) fn refresh(&mut self, link_up: &[bool], switch_down: &[bool], down: &[LinkId]) {
        let mut alive = std::mem::take(&mut self.alive);
        alive.clear();
        if down.is_empty() {
            self.alive = alive;
            return;
        }
        let dests = self.dests;
        alive.resize(self.dest_of_switch.len() * dests, true);
        let mut stack: Vec<u32> = Vec::new();
        // Whether switch `x` still has a next hop towards `d` that is up
        // and reaches it.
        let keeps = |alive: &[bool], x: u32, d: usize| {
            self.hops_to(x, d).iter().any(|l| {
                link_up[l.index()] && alive[self.link_dst_switch[l.index()] as usize * dests + d]
            })
        };
        for (d, &leaf) in self.dest_leaves.iter().enumerate() {
            stack.clear();
            if switch_down[leaf as usize] {
                alive[leaf as usize * dests + d] = false;
                stack.push(leaf);
            }
            for &l in down {
                let x = self.link_src_switch[l.index()];
                if x == NONE || x == leaf || !alive[x as usize * dests + d] {
                    continue;
                }
                if !keeps(&alive, x, d) {
                    alive[x as usize * dests + d] = false;
                    stack.push(x);
                }
            }
            while let Some(z) = stack.pop() {
                let z = z as usize;
                for &y in &self.in_from[self.in_start[z] as usize..self.in_start[z + 1] as usize] {
                    if y != leaf && alive[y as usize * dests + d] && !keeps(&alive, y, d) {
                        alive[y as usize * dests + d] = false;
                        stack.push(y);
                    }
                }
            }
        }
        self.alive = alive;
    }

    /// Switch `sw` reaches leaf `leaf` (which has NICs) over up links.
    pub(crate) fn reaches(&self, sw: u32, leaf: u32) -> bool {
        self.alive.is_empty()
            || self.alive[sw as usize * self.dests + self.dest_of_switch[leaf as usize] as usize]
    }
}

impl Fabric {
    /// Writes into `out` (cleared first) the links of the path from `src`
    /// to `dst`, two GPUs or NICs. Among equal-cost next hops the choice
    /// hashes (src, dst, salt, switch). Returns false, with `out` empty,
    /// when no path exists: a GPU of a node without compute NICs talking
    /// off its node, or every path crossing something down
    /// ([`Fabric::set_cable_up`], [`Fabric::set_switch_up`]). `src == dst`
    /// gives an empty path and true.
    ///
    /// Panics if `src` or `dst` is a switch or a node's hub: only GPUs and
    /// NICs send and receive.
    pub fn route(&self, src: VertexId, dst: VertexId, salt: u64, out: &mut Vec<LinkId>) -> bool {
        self.route_how(src, dst, salt, out) != Routed::NoPath
    }

    /// [`Fabric::route`], saying whether the path is the usual one or a
    /// detour around something down.
    pub(crate) fn route_how(
        &self,
        src: VertexId,
        dst: VertexId,
        salt: u64,
        out: &mut Vec<LinkId>,
    ) -> Routed {
        out.clear();
        if src == dst {
            return Routed::Usual;
        }
        let degraded = !self.health.is_healthy();
        let up = |l: LinkId| !degraded || self.health.is_link_up(l);
        let (src_gpu, src_nic) = self.endpoint(src);
        let (dst_gpu, dst_nic) = self.endpoint(dst);
        if let (Some(a), Some(b)) = (src_gpu, dst_gpu) {
            let (a, b) = (&self.gpus[a as usize], &self.gpus[b as usize]);
            // Same node, or nodes of one NVLink domain: through the hub.
            if a.hub == b.hub {
                if !(up(a.to_hub) && up(b.from_hub)) {
                    return Routed::NoPath;
                }
                out.push(a.to_hub);
                out.push(b.from_hub);
                return Routed::Usual;
            }
        }
        if src_nic == u32::MAX || dst_nic == u32::MAX {
            return Routed::NoPath;
        }
        let mut how = Routed::Usual;
        if let Some(g) = src_gpu {
            out.push(self.gpus[g as usize].to_nic);
        }
        if src_nic != dst_nic {
            let (from, to) = (&self.nics[src_nic as usize], &self.nics[dst_nic as usize]);
            if degraded && !(up(from.up) && up(to.down) && self.routing.reaches(from.leaf, to.leaf))
            {
                out.clear();
                return Routed::NoPath;
            }
            out.push(from.up);
            let key = splitmix64((u64::from(src.0) << 32 | u64::from(dst.0)) ^ salt);
            let destination_routed = self.preset().is_destination_routed();
            let mut divisor = 1u64;
            let mut sw = from.leaf;
            // A next hop that is up and still leads to the destination.
            let usable = |l: &LinkId| {
                up(*l)
                    && self
                        .routing
                        .reaches(self.routing.link_dst_switch[l.index()], to.leaf)
            };
            while sw != to.leaf {
                let hops = self.routing.next_hops(sw, to.leaf);
                debug_assert!(!hops.is_empty(), "build checked leaves reach each other");
                let len = hops.len() as u64;
                // The usual choice, and a second number to choose among
                // the usable hops when it is not one of them.
                let (pick, again) = if hops.len() == 1 {
                    (0, 0)
                } else if destination_routed {
                    // D-mod-k: climbing, the port is a digit of the
                    // destination's number, one digit per tier; going down
                    // over parallel cables, its number modulo their count.
                    // Around a dead port: the next digit.
                    let climbing = self.switch_tier(self.routing.link_dst_switch[hops[0].index()])
                        > self.switch_tier(sw);
                    if climbing {
                        let d = (u64::from(dst_nic) / divisor) % len;
                        divisor = divisor.saturating_mul(len);
                        (d, u64::from(dst_nic) / divisor)
                    } else {
                        (u64::from(dst_nic) % len, u64::from(dst_nic) / len)
                    }
                } else {
                    let h = splitmix64(key ^ u64::from(sw));
                    // Multiply-shift maps the hash onto 0..len without a
                    // division; the low half rehashes over the usable hops.
                    ((((h >> 32) * len) >> 32), h & 0xFFFF_FFFF)
                };
                let mut link = hops[pick as usize];
                if degraded && !usable(&link) {
                    let m = hops.iter().filter(|l| usable(l)).count() as u64;
                    if m == 0 {
                        // Unreachable: `sw` was entered because it reaches.
                        out.clear();
                        return Routed::NoPath;
                    }
                    let k = if destination_routed {
                        again % m
                    } else {
                        (again * m) >> 32
                    };
                    link = *hops
                        .iter()
                        .filter(|l| usable(l))
                        .nth(k as usize)
                        .expect("k < m usable hops");
                    how = Routed::Detour;
                }
                out.push(link);
                sw = self.routing.link_dst_switch[link.index()];
            }
            out.push(to.down);
        }
        if let Some(g) = dst_gpu {
            out.push(self.gpus[g as usize].from_nic);
        }
        if degraded && !out.iter().all(|&l| up(l)) {
            // A GPU's own PCIe link to its NIC is down.
            out.clear();
            return Routed::NoPath;
        }
        how
    }

    /// The tier of switch ordinal `sw` (0 = leaf).
    fn switch_tier(&self, sw: u32) -> u8 {
        match self.vertex(self.switches[sw as usize]) {
            Vertex::Switch { tier, .. } => *tier,
            _ => 0,
        }
    }

    /// [`Fabric::route`] into a new vector (allocates; for tests and tools).
    pub fn route_vec(&self, src: VertexId, dst: VertexId, salt: u64) -> Vec<LinkId> {
        let mut out = Vec::new();
        self.route(src, dst, salt, &mut out);
        out
    }

    /// (GPU index, NIC index) of an endpoint; NIC is `u32::MAX` for a GPU
    /// without one.
    fn endpoint(&self, v: VertexId) -> (Option<u32>, u32) {
        match self.roles[v.index()] {
            Role::Gpu(g) => (Some(g), self.gpus[g as usize].nic),
            Role::Nic(k) => (None, k),
            Role::Switch(_) | Role::Hub => {
                panic!("vertex {} is not a GPU or NIC and cannot send", v.0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fabric::builders::{
        FatTreeConfig, LeafSpineConfig, RailOptimizedConfig, fat_tree_hosts, leaf_spine,
        rail_optimized,
    };
    use crate::fabric::test_support::cluster;
    use crate::fabric::{LinkKind, Vertex};

    #[test]
    fn ecmp_uses_every_core_path_between_pods_deterministically() {
        // k = 4: between pods, 2 aggregation choices x 2 cores each = 4
        // paths, one per core switch. RoCE: hashed ECMP.
        let f = fat_tree_hosts(&FatTreeConfig {
            k: 4,
            preset: crate::fabric::LinkPreset::ROCE_400G,
            ..FatTreeConfig::default()
        })
        .unwrap();
        let (src, dst) = (f.nic(0, 0), f.nic(8, 0)); // pod 0, pod 2
        let mut seen: Vec<(Vec<super::LinkId>, u32)> = Vec::new();
        for salt in 0..256 {
            let path = f.route_vec(src, dst, salt);
            assert_eq!(path.len(), 6, "host-edge-agg-core-agg-edge-host");
            assert_eq!(path, f.route_vec(src, dst, salt), "same input, same path");
            match seen.iter_mut().find(|(p, _)| *p == path) {
                Some((_, n)) => *n += 1,
                None => seen.push((path, 1)),
            }
        }
        assert_eq!(seen.len(), 4);
        let mut cores: Vec<_> = seen
            .iter()
            .map(|(p, _)| {
                f.vertex(f.link(p[2]).dst)
                    .switch_name()
                    .unwrap()
                    .to_string()
            })
            .collect();
        cores.sort();
        assert_eq!(cores, ["core0", "core1", "core2", "core3"]);
        // Spread: no path takes fewer than 1/8 of 256 salts.
        assert!(
            seen.iter().all(|&(_, n)| n >= 32),
            "{:?}",
            seen.iter().map(|s| s.1).collect::<Vec<_>>()
        );
        // Within a pod: up to one of 2 aggregations and down, 4 links.
        assert_eq!(f.route_vec(f.nic(0, 0), f.nic(2, 0), 0).len(), 4);
        // Same edge switch: 2 links.
        assert_eq!(f.route_vec(f.nic(0, 0), f.nic(1, 0), 0).len(), 2);
    }

    #[test]
    fn infiniband_routes_by_destination_over_every_core() {
        // D-mod-k on a k = 4 fat-tree (16 hosts, 4 cores): the salt does
        // not matter, and the four hosts of pod 2 are reached from pod 0
        // through four different core switches (base-2 digits of the
        // destination pick the aggregation, then the core).
        let f = fat_tree_hosts(&FatTreeConfig {
            k: 4,
            ..FatTreeConfig::default()
        })
        .unwrap();
        let src = f.nic(0, 0);
        let mut cores: Vec<String> = (8..12)
            .map(|host| {
                let dst = f.nic(host, 0);
                let path = f.route_vec(src, dst, 0);
                assert_eq!(path, f.route_vec(src, dst, 12345), "salt ignored");
                f.vertex(f.link(path[2]).dst)
                    .switch_name()
                    .unwrap()
                    .to_string()
            })
            .collect();
        cores.sort();
        assert_eq!(cores, ["core0", "core1", "core2", "core3"]);
    }

    #[test]
    fn gpu_paths_use_nvswitch_inside_and_nics_across() {
        let f = leaf_spine(&cluster("DGX-H100", 8), &LeafSpineConfig::default()).unwrap();
        let inside = f.route_vec(f.gpu(0, 0), f.gpu(0, 3), 9);
        assert_eq!(inside.len(), 2);
        assert!(inside.iter().all(|&l| f.link(l).kind == LinkKind::NvLink));
        assert_eq!(f.link(inside[0]).dst, f.link(inside[1]).src);
        assert!(matches!(
            f.vertex(f.link(inside[0]).dst),
            Vertex::NvSwitch { node: 0 }
        ));
        assert_eq!(f.path_latency_ns(&inside), 500);

        // Nodes 0 and 1 share leaf0: GPU, NIC, leaf, NIC, GPU.
        let near = f.route_vec(f.gpu(0, 2), f.gpu(1, 2), 0);
        let kinds: Vec<_> = near.iter().map(|&l| f.link(l).kind).collect();
        assert_eq!(
            kinds,
            [
                LinkKind::Pcie,
                LinkKind::Host,
                LinkKind::Host,
                LinkKind::Pcie
            ]
        );
        assert_eq!(f.link(near[0]).dst, f.nic(0, 2));
        assert_eq!(f.link(near[3]).src, f.nic(1, 2));
        // PCIe 250 + NIC 500 + switch 130 + NIC 500 + PCIe 250.
        assert_eq!(f.path_latency_ns(&near), 1630);

        // Node 4 is on leaf1: up through a spine, 6 links.
        let far = f.route_vec(f.gpu(0, 2), f.gpu(4, 5), 0);
        assert_eq!(far.len(), 6);
        assert_eq!(f.link(far[5]).dst, f.gpu(4, 5));
        assert!(matches!(
            f.vertex(f.link(far[2]).dst),
            Vertex::Switch { tier: 1, .. }
        ));
        for w in far.windows(2) {
            assert_eq!(f.link(w[0]).dst, f.link(w[1]).src, "a path is connected");
        }
    }

    #[test]
    fn rail_traffic_stays_on_its_leaf() {
        let f = rail_optimized(&cluster("DGX-H100", 64), &RailOptimizedConfig::default()).unwrap();
        // Same rail, same SU: one leaf.
        assert_eq!(f.route_vec(f.gpu(0, 3), f.gpu(31, 3), 0).len(), 4);
        // Same rail, other SU: through a spine.
        assert_eq!(f.route_vec(f.gpu(0, 3), f.gpu(32, 3), 0).len(), 6);
        // Other rail (no PXN): through a spine too.
        assert_eq!(f.route_vec(f.gpu(0, 3), f.gpu(1, 4), 0).len(), 6);
    }
}
