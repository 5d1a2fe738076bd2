//! The network as a graph: GPUs, NVLink domains, NICs and switches joined
//! by directed links with a bandwidth and a latency; deterministic ECMP
//! routing over it ([`routing`]); and a max-min fair flow model that shares
//! link bandwidth between concurrent transfers ([`flow`]).
//!
//! A [`Fabric`] is built once per run by one of the [`builders`] (single
//! switch, leaf-spine, k-ary fat-tree, rail-optimized scalable units, or an
//! explicit list of switches and links) from the cluster's nodes and a
//! [`LinkPreset`] (InfiniBand HDR/NDR/XDR, RoCE 200G/400G).
//!
//! Inside a node, every GPU has a link to the node's hub (its NVSwitch, or
//! a PCIe host bridge for GPUs without NVLink) and a PCIe link to its NIC;
//! each NIC has one port on one switch (its *leaf*). The nodes of an NVLink
//! domain larger than a node (the 18 compute trays of a GB200 NVL72 rack,
//! `hardware::NodeModel::nvlink_domain_nodes`) share one NVSwitch hub, so
//! GPU traffic between them stays on NVLink and never touches a NIC. A full-duplex cable is
//! two directed links, one per direction, each with the full per-direction
//! rate.
//!
//! Cables and switches can fail and be repaired ([`state`]): what is down
//! leaves routing until it is back, and [`FlowModel::reroute`] moves the
//! flows that crossed it.
//!
//! Invariants:
//! - vertex and link ids are dense (`0..vertex_count`, `0..link_count`) and
//!   never change after the build, so they index flat arrays; links come
//!   in pairs, the two directions of one cable ([`CableId`]);
//! - every NIC is attached to exactly one switch, and every leaf can reach
//!   every other leaf as built (the build refuses a disconnected fabric);
//! - routing tables are computed once at build time, and which switches
//!   still reach which leaves after every change of state; routing a flow
//!   allocates nothing and depends only on (source, destination, salt)
//!   and what is down; with nothing down, routes are those of the build;
//! - nothing here iterates a hash map to decide anything.

pub mod builders;
pub mod flow;
pub mod presets;
pub mod routing;
pub mod state;

use std::fmt;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};

pub use builders::{
    ExplicitConfig, ExplicitLink, ExplicitSwitch, FatTreeConfig, HostLinks, LeafSpineConfig,
    MAX_EXPLICIT_CABLES, MAX_FABRIC_ENDPOINTS, MAX_FAT_TREE_K, MAX_SWITCH_RADIX, PcieGen,
    RailOptimizedConfig, SingleSwitchConfig,
};
pub use flow::{FlowId, FlowModel, LostFlow};
pub use presets::{LinkPreset, PresetRouting};
pub use state::{CableId, SwitchId};

/// Dense index of a vertex of a [`Fabric`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VertexId(pub u32);

/// Dense index of a directed link of a [`Fabric`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u32);

impl VertexId {
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl LinkId {
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a vertex of the fabric is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Vertex {
    /// GPU `local` of node `node`.
    Gpu { node: u32, local: u32 },
    /// The NVLink domain of a node (its NVSwitches, as one vertex); for a
    /// domain of several nodes (an NVL72 rack's NVLink switch trays),
    /// `node` is its first node.
    NvSwitch { node: u32 },
    /// The PCIe host bridge joining the GPUs of a node without NVLink.
    HostBridge { node: u32 },
    /// Compute NIC `index` of node `node`. Bare hosts (no GPUs, for
    /// benchmarks and tests) are a single NIC each.
    Nic { node: u32, index: u32 },
    /// A network switch. Tier 0 holds the leaves (edge switches: the ones
    /// NICs attach to), tier 1 the spines (aggregation), tier 2 the core.
    Switch { tier: u8, index: u32, name: String },
}

impl Vertex {
    /// A switch's name; `None` for other vertices.
    pub fn switch_name(&self) -> Option<&str> {
        match self {
            Vertex::Switch { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// What a link carries, for reports and the viewer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// GPU to or from its node's NVSwitch.
    NvLink,
    /// GPU to or from its NIC or its node's host bridge.
    Pcie,
    /// NIC to or from its switch port.
    Host,
    /// Switch to switch.
    Fabric,
}

/// One direction of a cable.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub src: VertexId,
    pub dst: VertexId,
    /// Capacity in this direction.
    pub bandwidth_bytes_per_s: f64,
    /// Time for a byte to cross the link, including the forwarding delay of
    /// the device it enters (a switch's port-to-port latency, a NIC's
    /// processing), so a path's latency is the sum over its links.
    pub latency_ns: u64,
    pub kind: LinkKind,
}

/// Nodes whose NICs share a leaf switch (for rail-optimized fabrics, the
/// leaves of one scalable unit): traffic between them never climbs above
/// the leaf tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafGroup {
    /// The leaf's name, or the scalable unit's (`"su0"`).
    pub name: String,
    /// Node ids, ascending.
    pub nodes: Vec<u32>,
}

/// Bandwidth facing down (towards hosts) and up (towards the next tier) of
/// all switches of one tier, as built.
#[derive(Clone, Debug, PartialEq)]
pub struct TierLoad {
    pub tier: u8,
    pub switches: u32,
    pub down_bytes_per_s: f64,
    pub up_bytes_per_s: f64,
}

impl TierLoad {
    /// Down over up: 1.0 is non-blocking, 2.0 is 2:1 oversubscribed.
    pub fn ratio(&self) -> f64 {
        self.down_bytes_per_s / self.up_bytes_per_s
    }
}

/// Oversubscription of each tier that has uplinks, for reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Oversubscription {
    pub tiers: Vec<TierLoad>,
}

impl Oversubscription {
    /// The largest ratio of any tier (1.0 for a single switch).
    pub fn worst(&self) -> f64 {
        self.tiers.iter().map(TierLoad::ratio).fold(1.0, f64::max)
    }
}

impl fmt::Display for Oversubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tiers.is_empty() {
            return f.write_str("single tier (non-blocking)");
        }
        for (i, t) in self.tiers.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {:.2}:1", tier_name(t.tier), t.ratio())?;
        }
        Ok(())
    }
}

fn tier_name(tier: u8) -> &'static str {
    match tier {
        0 => "leaf",
        1 => "spine",
        2 => "core",
        _ => "tier 3+",
    }
}

/// Which item of a builder's config an error is about, so the scenario
/// layer can point at its line and column.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorItem {
    /// A switch of an [`ExplicitConfig`].
    Switch(usize),
    /// A link of an [`ExplicitConfig`].
    Link(usize),
    /// A setting of the topology, by its field name (`radix`).
    Setting(&'static str),
}

/// A fabric that cannot be built, and what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FabricError {
    pub message: String,
    pub fix: String,
    pub item: Option<ErrorItem>,
}

impl FabricError {
    pub(crate) fn new(message: impl Into<String>, fix: impl Into<String>) -> Self {
        FabricError {
            message: message.into(),
            fix: fix.into(),
            item: None,
        }
    }

    pub(crate) fn at(mut self, item: ErrorItem) -> Self {
        self.item = Some(item);
        self
    }
}

impl fmt::Display for FabricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if !self.fix.is_empty() {
            write!(f, "; {}", self.fix)?;
        }
        Ok(())
    }
}

impl std::error::Error for FabricError {}

/// Marks a link not (yet) set.
pub(crate) const NO_LINK: LinkId = LinkId(u32::MAX);

/// Per node: where its GPUs and NICs sit in the flat tables.
#[derive(Clone, Debug)]
pub(crate) struct NodeAttach {
    pub name: String,
    pub first_gpu: u32,
    pub gpu_count: u32,
    pub first_nic: u32,
    pub nic_count: u32,
}

/// Per GPU: its vertex, its NIC (flat index) and its four links.
#[derive(Clone, Debug)]
pub(crate) struct GpuAttach {
    pub vertex: VertexId,
    /// Its node (routing now asks `hub`; kept for the flow model's and
    /// reports' use).
    #[allow(dead_code)]
    pub node: u32,
    /// Its hub's vertex: GPUs with the same hub (one node, or one
    /// multi-node NVLink domain) talk through it.
    pub hub: VertexId,
    pub nic: u32,
    pub to_hub: LinkId,
    pub from_hub: LinkId,
    pub to_nic: LinkId,
    pub from_nic: LinkId,
}

/// Per NIC: its vertex, its leaf switch (switch ordinal) and its port links.
#[derive(Clone, Debug)]
pub(crate) struct NicAttach {
    pub vertex: VertexId,
    pub node: u32,
    pub leaf: u32,
    pub up: LinkId,
    pub down: LinkId,
}

/// What a vertex is, as an index into the flat tables.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Gpu(u32),
    Nic(u32),
    Switch(u32),
    Hub,
}

/// The network of a cluster. See the module documentation.
#[derive(Clone)]
pub struct Fabric {
    /// Vertex index = [`VertexId`], edge index = [`LinkId`] (never removed).
    graph: DiGraph<Vertex, Link, u32>,
    pub(crate) links: Vec<Link>,
    pub(crate) roles: Vec<Role>,
    pub(crate) nodes: Vec<NodeAttach>,
    pub(crate) gpus: Vec<GpuAttach>,
    pub(crate) nics: Vec<NicAttach>,
    /// Switch ordinal to vertex.
    pub(crate) switches: Vec<VertexId>,
    pub(crate) routing: routing::Routing,
    /// Which cables and switches are up ([`state`]).
    pub(crate) health: state::Health,
    leaf_groups: Vec<LeafGroup>,
    preset: LinkPreset,
}

impl fmt::Debug for Fabric {
    /// A summary: the tables run to megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fabric")
            .field("preset", &self.preset.name)
            .field("nodes", &self.nodes.len())
            .field("vertices", &self.graph.node_count())
            .field("switches", &self.switches.len())
            .field("links", &self.links.len())
            .finish_non_exhaustive()
    }
}

impl Fabric {
    /// The graph, for algorithms and drawing. Node index = [`VertexId`],
    /// edge index = [`LinkId`].
    pub fn graph(&self) -> &DiGraph<Vertex, Link, u32> {
        &self.graph
    }

    /// The link preset switch-to-switch links were built with.
    pub fn preset(&self) -> &LinkPreset {
        &self.preset
    }

    /// Cluster nodes (or bare hosts) attached.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Name of a node (`"dgx-007"`, or `"host-00042"` for bare hosts).
    pub fn node_name(&self, node: u32) -> &str {
        &self.nodes[node as usize].name
    }

    pub fn gpus_of(&self, node: u32) -> u32 {
        self.nodes[node as usize].gpu_count
    }

    pub fn nics_of(&self, node: u32) -> u32 {
        self.nodes[node as usize].nic_count
    }

    /// The vertex of GPU `local` of `node`. Panics if either is out of range.
    pub fn gpu(&self, node: u32, local: u32) -> VertexId {
        let n = &self.nodes[node as usize];
        assert!(local < n.gpu_count, "node {node} has no GPU {local}");
        self.gpus[(n.first_gpu + local) as usize].vertex
    }

    /// The vertex of NIC `k` of `node`. Panics if either is out of range.
    pub fn nic(&self, node: u32, k: u32) -> VertexId {
        let n = &self.nodes[node as usize];
        assert!(k < n.nic_count, "node {node} has no NIC {k}");
        self.nics[(n.first_nic + k) as usize].vertex
    }

    /// The NIC a GPU sends through (GPU `i` of a node with `g` GPUs and
    /// `n` NICs uses NIC `i * n / g`).
    pub fn nic_of_gpu(&self, node: u32, local: u32) -> VertexId {
        let n = &self.nodes[node as usize];
        assert!(local < n.gpu_count, "node {node} has no GPU {local}");
        let nic = self.gpus[(n.first_gpu + local) as usize].nic;
        self.nics[nic as usize].vertex
    }

    /// The leaf switch a NIC is attached to.
    pub fn leaf_of_nic(&self, nic: VertexId) -> VertexId {
        match self.roles[nic.index()] {
            Role::Nic(k) => self.switches[self.nics[k as usize].leaf as usize],
            _ => panic!("vertex {} is not a NIC", nic.0),
        }
    }

    pub fn vertex(&self, v: VertexId) -> &Vertex {
        &self.graph[NodeIndex::new(v.index())]
    }

    pub fn vertex_count(&self) -> usize {
        self.graph.node_count()
    }

    /// All directed links; a [`LinkId`] indexes this slice.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    pub fn link(&self, id: LinkId) -> &Link {
        &self.links[id.index()]
    }

    pub fn link_count(&self) -> usize {
        self.links.len()
    }

    /// Switches, in build order (leaves first).
    pub fn switch_vertices(&self) -> &[VertexId] {
        &self.switches
    }

    /// Switches of one tier (0 = leaf/edge, 1 = spine/aggregation, 2 = core).
    pub fn switch_count(&self, tier: u8) -> usize {
        self.switches
            .iter()
            .filter(|&&v| matches!(self.vertex(v), Vertex::Switch { tier: t, .. } if *t == tier))
            .count()
    }

    /// Nodes grouped by shared leaf switches, in leaf order.
    pub fn leaf_groups(&self) -> Vec<LeafGroup> {
        self.leaf_groups.clone()
    }

    /// Down- versus up-facing bandwidth per switch tier, as built: a leaf
    /// with empty host ports counts only the ports in use.
    pub fn oversubscription(&self) -> Oversubscription {
        let mut tiers: Vec<TierLoad> = Vec::new();
        for &sw in &self.switches {
            let Vertex::Switch { tier, .. } = *self.vertex(sw) else {
                unreachable!("switch list holds a non-switch");
            };
            let (mut down, mut up) = (0.0, 0.0);
            for e in self
                .graph
                .edges_directed(NodeIndex::new(sw.index()), petgraph::Direction::Outgoing)
            {
                let link = e.weight();
                match self.vertex(link.dst) {
                    Vertex::Switch { tier: t, .. } if *t > tier => up += link.bandwidth_bytes_per_s,
                    Vertex::Switch { tier: t, .. } if *t == tier => {}
                    _ => down += link.bandwidth_bytes_per_s,
                }
            }
            let slot = match tiers.iter_mut().find(|t| t.tier == tier) {
                Some(slot) => slot,
                None => {
                    tiers.push(TierLoad {
                        tier,
                        switches: 0,
                        down_bytes_per_s: 0.0,
                        up_bytes_per_s: 0.0,
                    });
                    tiers.last_mut().expect("just pushed")
                }
            };
            slot.switches += 1;
            slot.down_bytes_per_s += down;
            slot.up_bytes_per_s += up;
        }
        tiers.retain(|t| t.up_bytes_per_s > 0.0 && t.down_bytes_per_s > 0.0);
        tiers.sort_by_key(|t| t.tier);
        Oversubscription { tiers }
    }

    /// Sum of the latencies of a path's links.
    pub fn path_latency_ns(&self, path: &[LinkId]) -> u64 {
        path.iter().map(|l| self.links[l.index()].latency_ns).sum()
    }
}

/// Assembles a [`Fabric`]; builders add vertices and links, then `finish`
/// checks the result and computes routing.
pub(crate) struct Assembly {
    graph: DiGraph<Vertex, Link, u32>,
    links: Vec<Link>,
    roles: Vec<Role>,
    nodes: Vec<NodeAttach>,
    gpus: Vec<GpuAttach>,
    nics: Vec<NicAttach>,
    switches: Vec<VertexId>,
    /// Per switch: the leaf-group label (`"su3"`), if not its own name.
    labels: Vec<Option<String>>,
    /// Switches added so far per tier, for [`Vertex::Switch::index`].
    per_tier: Vec<u32>,
    preset: LinkPreset,
    /// The NVSwitch hub of the multi-node NVLink domain being added: its
    /// caller's domain key and vertex.
    open_domain: Option<(u64, VertexId)>,
}

impl Assembly {
    pub(crate) fn new(preset: LinkPreset) -> Self {
        Assembly {
            graph: DiGraph::default(),
            links: Vec::new(),
            roles: Vec::new(),
            nodes: Vec::new(),
            gpus: Vec::new(),
            nics: Vec::new(),
            switches: Vec::new(),
            labels: Vec::new(),
            per_tier: Vec::new(),
            preset,
            open_domain: None,
        }
    }

    pub(crate) fn preset(&self) -> &LinkPreset {
        &self.preset
    }

    fn add_vertex(&mut self, v: Vertex, role: Role) -> VertexId {
        let id = self.graph.add_node(v);
        self.roles.push(role);
        VertexId(id.index() as u32)
    }

    /// One cable: two directed links. Returns (a→b, b→a).
    pub(crate) fn add_duplex(
        &mut self,
        a: VertexId,
        b: VertexId,
        bandwidth_bytes_per_s: f64,
        latency_ab_ns: u64,
        latency_ba_ns: u64,
        kind: LinkKind,
    ) -> (LinkId, LinkId) {
        let mut one = |src: VertexId, dst: VertexId, latency_ns: u64| {
            let link = Link {
                src,
                dst,
                bandwidth_bytes_per_s,
                latency_ns,
                kind,
            };
            self.links.push(link.clone());
            let e: EdgeIndex<u32> = self.graph.add_edge(
                NodeIndex::new(src.index()),
                NodeIndex::new(dst.index()),
                link,
            );
            LinkId(e.index() as u32)
        };
        let ab = one(a, b, latency_ab_ns);
        let ba = one(b, a, latency_ba_ns);
        (ab, ba)
    }

    /// Adds a node: its GPUs, its hub (NVSwitch or host bridge) and its
    /// NICs, wired inside the node; the NICs are attached to switches later.
    /// `nvlink_bytes_per_s` is per direction; `None` means no NVLink.
    pub(crate) fn add_node(
        &mut self,
        name: String,
        gpus: u32,
        nics: u32,
        nvlink_bytes_per_s: Option<f64>,
        host: &HostLinks,
        pcie_bytes_per_s: f64,
    ) {
        self.add_node_in_domain(
            name,
            gpus,
            nics,
            nvlink_bytes_per_s,
            host,
            pcie_bytes_per_s,
            None,
        );
    }

    /// [`Assembly::add_node`] for a node of a multi-node NVLink domain:
    /// consecutive nodes with NVLink and the same `domain` key share the
    /// first one's NVSwitch hub (`None`: a hub of its own).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_node_in_domain(
        &mut self,
        name: String,
        gpus: u32,
        nics: u32,
        nvlink_bytes_per_s: Option<f64>,
        host: &HostLinks,
        pcie_bytes_per_s: f64,
        domain: Option<u64>,
    ) {
        let node = self.nodes.len() as u32;
        let first_gpu = self.gpus.len() as u32;
        let first_nic = self.nics.len() as u32;
        for index in 0..nics {
            let k = self.nics.len() as u32;
            let vertex = self.add_vertex(Vertex::Nic { node, index }, Role::Nic(k));
            self.nics.push(NicAttach {
                vertex,
                node,
                leaf: u32::MAX,
                up: NO_LINK,
                down: NO_LINK,
            });
        }
        if gpus > 0 {
            let (hub_vertex, hub_bytes_per_s, hub_kind, hub_latency_ns) = match nvlink_bytes_per_s {
                Some(bw) => (
                    Vertex::NvSwitch { node },
                    bw,
                    LinkKind::NvLink,
                    host.nvlink_latency_ns,
                ),
                None => (
                    Vertex::HostBridge { node },
                    pcie_bytes_per_s,
                    LinkKind::Pcie,
                    host.pcie_latency_ns,
                ),
            };
            let shared = match (domain, self.open_domain, nvlink_bytes_per_s) {
                (Some(key), Some((open, hub)), Some(_)) if key == open => Some(hub),
                _ => None,
            };
            let hub = match shared {
                Some(hub) => hub,
                None => {
                    let hub = self.add_vertex(hub_vertex, Role::Hub);
                    self.open_domain = match (domain, nvlink_bytes_per_s) {
                        (Some(key), Some(_)) => Some((key, hub)),
                        _ => None,
                    };
                    hub
                }
            };
            for local in 0..gpus {
                let g = self.gpus.len() as u32;
                let vertex = self.add_vertex(Vertex::Gpu { node, local }, Role::Gpu(g));
                let (to_hub, from_hub) = self.add_duplex(
                    vertex,
                    hub,
                    hub_bytes_per_s,
                    hub_latency_ns,
                    hub_latency_ns,
                    hub_kind,
                );
                let (to_nic, from_nic) = if nics > 0 {
                    let nic = first_nic + local * nics / gpus;
                    let nic_vertex = self.nics[nic as usize].vertex;
                    self.add_duplex(
                        vertex,
                        nic_vertex,
                        pcie_bytes_per_s,
                        host.pcie_latency_ns,
                        host.pcie_latency_ns,
                        LinkKind::Pcie,
                    )
                } else {
                    (NO_LINK, NO_LINK)
                };
                self.gpus.push(GpuAttach {
                    vertex,
                    node,
                    hub,
                    nic: if nics > 0 {
                        first_nic + local * nics / gpus
                    } else {
                        u32::MAX
                    },
                    to_hub,
                    from_hub,
                    to_nic,
                    from_nic,
                });
            }
        }
        self.nodes.push(NodeAttach {
            name,
            first_gpu,
            gpu_count: gpus,
            first_nic,
            nic_count: nics,
        });
    }

    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn node_name(&self, node: u32) -> &str {
        &self.nodes[node as usize].name
    }

    pub(crate) fn nic_count_of(&self, node: u32) -> u32 {
        self.nodes[node as usize].nic_count
    }

    /// Flat NIC index of NIC `k` of `node`.
    pub(crate) fn nic_index(&self, node: u32, k: u32) -> u32 {
        self.nodes[node as usize].first_nic + k
    }

    /// Adds a switch; returns its ordinal. `label` names its leaf group
    /// when that is not the switch's own name (a scalable unit).
    pub(crate) fn add_switch(&mut self, tier: u8, name: String, label: Option<String>) -> u32 {
        let ordinal = self.switches.len() as u32;
        if self.per_tier.len() <= usize::from(tier) {
            self.per_tier.resize(usize::from(tier) + 1, 0);
        }
        let index = self.per_tier[usize::from(tier)];
        self.per_tier[usize::from(tier)] += 1;
        let v = self.add_vertex(Vertex::Switch { tier, index, name }, Role::Switch(ordinal));
        self.switches.push(v);
        self.labels.push(label);
        ordinal
    }

    /// Connects a NIC (flat index) to a switch port at `bandwidth_bytes_per_s`.
    /// The NIC's latency is charged on entering and leaving the fabric.
    pub(crate) fn attach_nic(&mut self, nic: u32, switch: u32, bandwidth_bytes_per_s: f64) {
        let nic_vertex = self.nics[nic as usize].vertex;
        let sw = self.switches[switch as usize];
        let nic_ns = self.preset.nic_latency_ns;
        let switch_ns = self.preset.switch_latency_ns;
        // NIC→switch: the sending NIC's processing plus the switch's
        // forwarding; switch→NIC: the receiving NIC's processing.
        let (up, down) = self.add_duplex(
            nic_vertex,
            sw,
            bandwidth_bytes_per_s,
            nic_ns + switch_ns,
            nic_ns,
            LinkKind::Host,
        );
        let attach = &mut self.nics[nic as usize];
        attach.leaf = switch;
        attach.up = up;
        attach.down = down;
    }

    /// `count` parallel cables between two switches at the preset's rate.
    pub(crate) fn connect_switches(&mut self, a: u32, b: u32, count: u32, bytes_per_s: f64) {
        let (va, vb) = (self.switches[a as usize], self.switches[b as usize]);
        let ns = self.preset.switch_latency_ns;
        for _ in 0..count {
            self.add_duplex(va, vb, bytes_per_s, ns, ns, LinkKind::Fabric);
        }
    }

    /// Checks every NIC is attached, computes routing and leaf groups.
    pub(crate) fn finish(self) -> Result<Fabric, FabricError> {
        if let Some(nic) = self.nics.iter().find(|n| n.leaf == u32::MAX) {
            let node = &self.nodes[nic.node as usize];
            let k = self
                .nics
                .iter()
                .position(|n| n.vertex == nic.vertex)
                .expect("nic is in the list") as u32
                - node.first_nic;
            return Err(FabricError::new(
                format!("NIC {}:nic{k} is not connected to any switch", node.name),
                format!(
                    "add a link from \"{}:nic{k}\" (or the whole node \"{}\") to a leaf switch",
                    node.name, node.name
                ),
            ));
        }
        let routing = routing::Routing::build(
            &self.graph,
            &self.links,
            &self.roles,
            &self.switches,
            &self.nics,
        )?;
        let leaf_groups = leaf_groups(&self);
        let tiers: Vec<u8> = (self.switches.iter())
            .map(|&v| match &self.graph[NodeIndex::new(v.index())] {
                Vertex::Switch { tier, .. } => *tier,
                _ => unreachable!("switch list holds a non-switch"),
            })
            .collect();
        let health = state::Health::new(&self.links, &self.roles, &tiers, &self.nics);
        Ok(Fabric {
            graph: self.graph,
            links: self.links,
            roles: self.roles,
            nodes: self.nodes,
            gpus: self.gpus,
            nics: self.nics,
            switches: self.switches,
            routing,
            health,
            leaf_groups,
            preset: self.preset,
        })
    }
}

/// Leaves that share a node are one group (a rail-optimized scalable
/// unit); groups are ordered by their first leaf, nodes ascending.
fn leaf_groups(a: &Assembly) -> Vec<LeafGroup> {
    let s = a.switches.len();
    let mut parent: Vec<u32> = (0..s as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    for node in &a.nodes {
        let nics = &a.nics[node.first_nic as usize..(node.first_nic + node.nic_count) as usize];
        if let Some(first) = nics.first() {
            for nic in &nics[1..] {
                let (x, y) = (find(&mut parent, first.leaf), find(&mut parent, nic.leaf));
                // Union towards the smaller ordinal keeps roots = first leaf.
                let (lo, hi) = if x < y { (x, y) } else { (y, x) };
                parent[hi as usize] = lo;
            }
        }
    }
    let mut group_of_root: Vec<u32> = vec![u32::MAX; s];
    let mut groups: Vec<LeafGroup> = Vec::new();
    let mut has_nic = vec![false; s];
    for nic in &a.nics {
        has_nic[nic.leaf as usize] = true;
    }
    for leaf in 0..s as u32 {
        if !has_nic[leaf as usize] {
            continue;
        }
        let root = find(&mut parent, leaf);
        if group_of_root[root as usize] == u32::MAX {
            group_of_root[root as usize] = groups.len() as u32;
            let name = match &a.labels[root as usize] {
                Some(label) => label.clone(),
                None => match &a.graph[NodeIndex::new(a.switches[root as usize].index())] {
                    Vertex::Switch { name, .. } => name.clone(),
                    _ => unreachable!("switch list holds a non-switch"),
                },
            };
            groups.push(LeafGroup {
                name,
                nodes: Vec::new(),
            });
        }
    }
    for (n, node) in a.nodes.iter().enumerate() {
        if node.nic_count == 0 {
            continue;
        }
        let leaf = a.nics[node.first_nic as usize].leaf;
        let g = group_of_root[find(&mut parent, leaf) as usize];
        groups[g as usize].nodes.push(n as u32);
    }
    groups
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::hardware::{Catalog, Cluster, NodeGroup};
    use crate::units::Bandwidth;

    /// `count` nodes of a built-in node model.
    pub(crate) fn cluster(node_model: &str, count: u32) -> Cluster {
        let catalog = Catalog::builtin();
        let node_model = catalog.node(node_model).expect("built-in node").clone();
        let gpu_model = catalog.gpu(&node_model.gpu_model).expect("its GPU").clone();
        Cluster::from_groups(vec![NodeGroup {
            name: "n".into(),
            gpus_per_node: node_model.gpus_per_node,
            node_model,
            gpu_model,
            first_node: 0,
            node_count: count,
        }])
    }

    /// `count` DGX-H100-like nodes with `nics` NICs of `gbps` each.
    pub(crate) fn cluster_with_nics(count: u32, nics: u32, gbps: u64) -> Cluster {
        let mut c = cluster("DGX-H100", count);
        c.groups[0].node_model.compute_nics = nics;
        c.groups[0].node_model.nic_bandwidth = Bandwidth::gbps(gbps);
        c
    }
}
