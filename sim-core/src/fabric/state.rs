//! Failed and repaired parts of the fabric: which cables and switches are
//! up, and what the rest can still reach.
//!
//! A *cable* is both directions of one physical link: the builders make
//! every link as a pair ([`Fabric`]'s links `2c` and `2c + 1` are cable
//! `c`, one per direction), so a [`CableId`] needs no table. A *switch* is
//! named by its ordinal ([`SwitchId`], build order, leaves first). The
//! failure model strikes cables between switches ([`Fabric::cables`]),
//! leaf switches ([`Fabric::leaf_switches`]: tier 0, where NICs attach)
//! and the switches above them ([`Fabric::spine_switches`]).
//!
//! A link is *up* when its cable is up and neither end is a switch that
//! is down, so repairing a cable of a switch still down leaves it out, and
//! a switch coming back brings back only its cables that are not broken
//! themselves. After every change the routing's reachability is refreshed
//! ([`super::routing`]): routes never cross a down link, and a pair with no
//! up path is reported as such.
//!
//! A NIC is *cut off* when its own cable is down (or its leaf is) or when
//! its leaf lost all its cables to other switches (a single-switch fabric
//! has none to lose); a node is *isolated* when all its NICs are cut off.
//! Whether a set of nodes can still talk ([`Fabric::connects`]) is the
//! routing's reachability, which also sees a fabric split higher up.
//!
//! Invariants:
//! - with nothing down, routes are exactly those of the fabric as built;
//! - the state depends only on the calls made, not on their order
//!   (down is down until set up again, whoever set it);
//! - nothing here iterates a hash map.

use petgraph::visit::EdgeRef;

use crate::hardware::NodeId;

use super::{Fabric, LinkId, LinkKind, Role, VertexId};

/// A cable: both directions of one link of a [`Fabric`] (links `2c` and
/// `2c + 1`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CableId(pub u32);

impl CableId {
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// Its two directed links.
    pub const fn links(self) -> (LinkId, LinkId) {
        (LinkId(2 * self.0), LinkId(2 * self.0 + 1))
    }

    /// The cable a directed link belongs to.
    pub const fn of_link(link: LinkId) -> CableId {
        CableId(link.0 / 2)
    }
}

/// A switch of a [`Fabric`], by ordinal (build order, leaves first);
/// [`Fabric::switch_vertices`] maps it to its vertex.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SwitchId(pub u32);

impl SwitchId {
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Up and down state of cables and switches, and what it leaves connected.
#[derive(Clone, Debug)]
pub(crate) struct Health {
    /// Switch-to-switch cables, ascending.
    cables: Vec<CableId>,
    leaves: Vec<SwitchId>,
    spines: Vec<SwitchId>,
    /// Nodes with a NIC on each switch (CSR over switch ordinals).
    under_start: Vec<u32>,
    under_nodes: Vec<NodeId>,
    cable_down: Vec<bool>,
    switch_down: Vec<bool>,
    /// Per link: its cable is up and no end is a switch that is down.
    link_up: Vec<bool>,
    /// Links not up, ascending.
    down_links: Vec<LinkId>,
    /// Per switch: its links to other switches, as built.
    switch_links: Vec<u32>,
    /// Per switch: it had links to other switches and has none up.
    leaf_cut: Vec<bool>,
}

impl Health {
    /// Everything up, for a fabric as built.
    pub(crate) fn new(
        links: &[super::Link],
        roles: &[Role],
        switch_tiers: &[u8],
        nics: &[super::NicAttach],
    ) -> Health {
        debug_assert!(
            links.len().is_multiple_of(2)
                && links
                    .chunks(2)
                    .all(|p| p[0].src == p[1].dst && p[0].dst == p[1].src),
            "links come in pairs, one per direction of a cable"
        );
        let cables: Vec<CableId> = (0..links.len() / 2)
            .filter(|&c| links[2 * c].kind == LinkKind::Fabric)
            .map(|c| CableId(c as u32))
            .collect();
        let tier = |leaf: bool| -> Vec<SwitchId> {
            (0..switch_tiers.len() as u32)
                .filter(|&s| (switch_tiers[s as usize] == 0) == leaf)
                .map(SwitchId)
                .collect()
        };
        let s = switch_tiers.len();
        let switch_of: Vec<u32> = (roles.iter())
            .map(|r| match r {
                Role::Switch(o) => *o,
                _ => u32::MAX,
            })
            .collect();
        let mut under_start = vec![0u32; s + 1];
        // NICs are numbered node by node, so remembering the last node
        // seen on each switch counts every node once per switch.
        let mut last: Vec<Option<NodeId>> = vec![None; s];
        for nic in nics {
            if last[nic.leaf as usize] != Some(nic.node) {
                last[nic.leaf as usize] = Some(nic.node);
                under_start[nic.leaf as usize + 1] += 1;
            }
        }
        for i in 0..s {
            under_start[i + 1] += under_start[i];
        }
        let mut under_nodes = vec![0; under_start[s] as usize];
        let mut fill = under_start.clone();
        last.fill(None);
        for nic in nics {
            let l = nic.leaf as usize;
            if last[l] != Some(nic.node) {
                last[l] = Some(nic.node);
                under_nodes[fill[l] as usize] = nic.node;
                fill[l] += 1;
            }
        }
        let mut switch_links = vec![0u32; s];
        for &c in &cables {
            let (a, b) = c.links();
            for l in [a, b] {
                switch_links[switch_of[links[l.index()].src.index()] as usize] += 1;
            }
        }
        Health {
            cables,
            leaves: tier(true),
            spines: tier(false),
            under_start,
            under_nodes,
            cable_down: vec![false; links.len() / 2],
            switch_down: vec![false; s],
            link_up: vec![true; links.len()],
            down_links: Vec::new(),
            switch_links,
            leaf_cut: vec![false; s],
        }
    }

    /// Nothing is down.
    pub(crate) fn is_healthy(&self) -> bool {
        self.down_links.is_empty()
    }

    pub(crate) fn is_link_up(&self, link: LinkId) -> bool {
        self.link_up[link.index()]
    }
}

impl Fabric {
    /// The cables between switches, ascending: the components a failure
    /// class striking a `Link` draws over. (A NIC's own cable is not in
    /// the list: losing it is losing the NIC.)
    pub fn cables(&self) -> &[CableId] {
        &self.health.cables
    }

    /// All cables of the fabric, inside nodes and NIC ports included
    /// (`0..cable_count()` are valid [`CableId`]s).
    pub fn cable_count(&self) -> usize {
        self.links.len() / 2
    }

    /// Tier-0 switches (the leaves, or edge switches of a fat-tree: where
    /// NICs attach), ascending.
    pub fn leaf_switches(&self) -> &[SwitchId] {
        &self.health.leaves
    }

    /// Switches above the leaves (spines, fat-tree aggregation and core),
    /// ascending.
    pub fn spine_switches(&self) -> &[SwitchId] {
        &self.health.spines
    }

    /// The nodes with a NIC on `switch`, ascending (empty above the
    /// leaves). On a rail-optimized fabric a node is under one leaf per
    /// rail.
    pub fn nodes_under(&self, switch: SwitchId) -> &[NodeId] {
        let h = &self.health;
        let (a, b) = (
            h.under_start[switch.index()] as usize,
            h.under_start[switch.index() + 1] as usize,
        );
        &h.under_nodes[a..b]
    }

    /// The switch's name (`"leaf3"`, `"pod1-agg0"`).
    pub fn switch_name(&self, switch: SwitchId) -> &str {
        self.vertex(self.switches[switch.index()])
            .switch_name()
            .expect("the switch list holds switches")
    }

    /// The two ends of a cable (the vertices of its first direction):
    /// `vertex(v).switch_name()` names a switch end, for reports.
    pub fn cable_ends(&self, cable: CableId) -> (VertexId, VertexId) {
        let link = &self.links[cable.links().0.index()];
        (link.src, link.dst)
    }

    /// Takes a cable out of routing (`false`) or puts it back (`true`).
    /// Call [`super::FlowModel::reroute`] afterwards to move the flows.
    /// Panics if the cable is out of range.
    pub fn set_cable_up(&mut self, cable: CableId, up: bool) {
        assert!(cable.index() < self.cable_count(), "no cable {}", cable.0);
        if self.health.cable_down[cable.index()] != up {
            return;
        }
        self.health.cable_down[cable.index()] = !up;
        let (a, b) = cable.links();
        self.update_link(a);
        self.update_link(b);
        self.refresh();
    }

    /// Takes a switch and all its cables out of routing (`false`) or puts
    /// them back (`true`; a cable that is down itself stays down). A leaf
    /// down cuts off every NIC on it. Panics if the switch is out of range.
    pub fn set_switch_up(&mut self, switch: SwitchId, up: bool) {
        assert!(
            switch.index() < self.switches.len(),
            "no switch {}",
            switch.0
        );
        if self.health.switch_down[switch.index()] != up {
            return;
        }
        self.health.switch_down[switch.index()] = !up;
        let v = petgraph::graph::NodeIndex::new(self.switches[switch.index()].index());
        let touched: Vec<LinkId> = self
            .graph
            .edges_directed(v, petgraph::Direction::Outgoing)
            .chain(self.graph.edges_directed(v, petgraph::Direction::Incoming))
            .map(|e| LinkId(e.id().index() as u32))
            .collect();
        for l in touched {
            self.update_link(l);
        }
        self.refresh();
    }

    pub fn is_cable_up(&self, cable: CableId) -> bool {
        !self.health.cable_down[cable.index()]
    }

    pub fn is_switch_up(&self, switch: SwitchId) -> bool {
        !self.health.switch_down[switch.index()]
    }

    /// Whether a directed link may carry traffic: its cable is up and no
    /// end is a switch that is down.
    pub fn is_link_up(&self, link: LinkId) -> bool {
        self.health.is_link_up(link)
    }

    /// The directed links not up, ascending (empty when nothing failed).
    pub fn down_links(&self) -> &[LinkId] {
        &self.health.down_links
    }

    /// No cable or switch is down.
    pub fn is_healthy(&self) -> bool {
        self.health.is_healthy()
    }

    /// Every NIC of the node is cut off: its cable or leaf is down, or its
    /// leaf lost all its cables to other switches. A node without
    /// compute NICs is never isolated (it has no fabric to lose).
    pub fn is_isolated(&self, node: NodeId) -> bool {
        let n = &self.nodes[node as usize];
        n.nic_count > 0 && (n.first_nic..n.first_nic + n.nic_count).all(|k| self.nic_cut(k))
    }

    /// No NIC of the node is cut off. A job whose traffic uses every NIC of
    /// its nodes (NCCL does) needs this of each of its nodes.
    pub fn is_fully_connected(&self, node: NodeId) -> bool {
        let n = &self.nodes[node as usize];
        !(n.first_nic..n.first_nic + n.nic_count).any(|k| self.nic_cut(k))
    }

    /// Whether every NIC of every listed node has an up path to every NIC
    /// of the others: what a multi-node job needs to keep running. A job
    /// wholly under one leaf keeps running when that leaf loses its
    /// uplinks. Allocates a little when something is down.
    pub fn connects(&self, nodes: &[NodeId]) -> bool {
        let mut leaves: Vec<u32> = Vec::new();
        for &node in nodes {
            let n = &self.nodes[node as usize];
            for k in n.first_nic..n.first_nic + n.nic_count {
                let nic = &self.nics[k as usize];
                if !(self.health.is_link_up(nic.up) && self.health.is_link_up(nic.down)) {
                    return false;
                }
                leaves.push(nic.leaf);
            }
        }
        if self.health.is_healthy() {
            return true;
        }
        leaves.sort_unstable();
        leaves.dedup();
        leaves
            .iter()
            .all(|&a| leaves.iter().all(|&b| a == b || self.routing.reaches(a, b)))
    }

    /// A NIC (flat index) has no way out: its cable or leaf is down, or
    /// its leaf lost all its cables to other switches.
    fn nic_cut(&self, k: u32) -> bool {
        let nic = &self.nics[k as usize];
        !(self.health.is_link_up(nic.up) && self.health.is_link_up(nic.down))
            || self.health.leaf_cut[nic.leaf as usize]
    }

    /// Recomputes whether a link is up from its cable and its ends.
    fn update_link(&mut self, l: LinkId) {
        let link = &self.links[l.index()];
        let switch_down = |v: VertexId| match self.roles[v.index()] {
            Role::Switch(o) => self.health.switch_down[o as usize],
            _ => false,
        };
        let up = !self.health.cable_down[CableId::of_link(l).index()]
            && !switch_down(link.src)
            && !switch_down(link.dst);
        self.health.link_up[l.index()] = up;
    }

    /// After a change: the list of down links, the routing's reachability
    /// and the leaves cut off.
    fn refresh(&mut self) {
        let h = &mut self.health;
        h.down_links.clear();
        h.down_links.extend(
            (h.link_up.iter().enumerate())
                .filter(|(_, up)| !**up)
                .map(|(l, _)| LinkId(l as u32)),
        );
        self.routing
            .refresh(&h.link_up, &h.switch_down, &h.down_links);
        // Count each switch's up links to switches in `leaf_cut`'s place:
        // cut = had some, has none up.
        h.leaf_cut.fill(true);
        for &c in &h.cables {
            let (a, b) = c.links();
            for l in [a, b] {
                if h.link_up[l.index()]
                    && let Role::Switch(o) = self.roles[self.links[l.index()].src.index()]
                {
                    h.leaf_cut[o as usize] = false;
                }
            }
        }
        for (cut, &built) in h.leaf_cut.iter_mut().zip(&h.switch_links) {
            *cut &= built > 0;
        }
    }
}
