//! Topology builders: from the cluster's nodes (or bare hosts) and a small
//! config to a [`Fabric`].
//!
//! Every builder wires the inside of each node the same way (see
//! [`HostLinks`]; the nodes of a multi-node NVLink domain, such as the
//! trays of an NVL72 rack, share one NVSwitch hub) and differs only in the
//! switches: one switch; a two-tier
//! leaf-spine; a three-tier k-ary fat-tree (Al-Fares, Loukissas, Vahdat, "A
//! Scalable, Commodity Data Center Network Architecture", SIGCOMM 2008);
//! NVIDIA's rail-optimized scalable units; or an explicit list.
//!
//! Invariants: nodes are placed on leaves in id order and all NICs of a
//! node land on one leaf (except rail-optimized, where NIC `k` goes to rail
//! leaf `k` of the node's unit); a builder refuses (never panics on) a
//! config it cannot build, saying what to change; and it refuses one
//! larger than the limits below before allocating anything, so what it
//! allocates is bounded whatever it is asked: [`MAX_FABRIC_ENDPOINTS`]
//! GPUs and NICs, switches of at most [`MAX_SWITCH_RADIX`] ports (which
//! bounds the cables a built topology adds per NIC), a fat-tree of
//! `k <=` [`MAX_FAT_TREE_K`], and [`MAX_EXPLICIT_CABLES`] cables between
//! the switches of an explicit fabric.

use std::collections::BTreeMap;

use crate::hardware::{Cluster, GpuModel};
use crate::text::did_you_mean;
use crate::units::Bandwidth;

use super::{Assembly, ErrorItem, Fabric, FabricError, LinkPreset};

/// PCIe generation of a GPU's x16 link to its NIC (and, without NVLink, to
/// the other GPUs).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PcieGen {
    Gen4,
    Gen5,
}

impl PcieGen {
    /// Per-direction bandwidth of an x16 link: 16 lanes at 16 GT/s (Gen4)
    /// or 32 GT/s (Gen5) with 128b/130b encoding (PCI Express Base
    /// Specification 4.0 and 5.0): 31.5 and 63.0 GB/s. Protocol (TLP)
    /// overhead is not deducted.
    pub fn x16_bytes_per_s(self) -> f64 {
        let gt_per_s = match self {
            PcieGen::Gen4 => 16e9,
            PcieGen::Gen5 => 32e9,
        };
        gt_per_s * 16.0 * (128.0 / 130.0) / 8.0
    }

    /// The host interface of a GPU model: PCIe Gen4 for Ampere and Ada
    /// (A100, L40S, RTX 4090 datasheets), Gen5 for Hopper and Blackwell
    /// (H100, H200, B200). Unknown names get Gen5. A heuristic on the
    /// catalog name; set [`HostLinks::pcie`] to override.
    pub fn for_gpu(gpu: &GpuModel) -> PcieGen {
        let name = gpu.name.to_ascii_uppercase();
        if [
            "A100", "A10", "A30", "A40", "L40", "L4", "RTX-4090", "RTX-3090", "V100",
        ]
        .iter()
        .any(|p| name.starts_with(p))
        {
            PcieGen::Gen4
        } else {
            PcieGen::Gen5
        }
    }
}

/// How the inside of a node is wired.
#[derive(Clone, Debug, PartialEq)]
pub struct HostLinks {
    /// PCIe generation of GPU-NIC links; `None` picks by GPU model
    /// ([`PcieGen::for_gpu`]).
    pub pcie: Option<PcieGen>,
    /// Latency of one GPU-NVSwitch link. Estimate: NVLink GPU-to-GPU
    /// latency through NVSwitch is below 1 µs; 250 ns per link.
    pub nvlink_latency_ns: u64,
    /// Latency of one PCIe link (GPU-NIC, GPU-host bridge). Estimate: a
    /// PCIe switch hop plus the link, 250 ns.
    pub pcie_latency_ns: u64,
}

impl Default for HostLinks {
    fn default() -> Self {
        HostLinks {
            pcie: None,
            nvlink_latency_ns: 250,
            pcie_latency_ns: 250,
        }
    }
}

/// Every NIC on one switch: an ideal non-blocking crossbar (a director
/// switch), whatever the port count.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SingleSwitchConfig {
    pub preset: LinkPreset,
    pub host: HostLinks,
}

/// Two tiers: leaves with host ports and uplinks, spines above.
#[derive(Clone, Debug, PartialEq)]
pub struct LeafSpineConfig {
    /// Ports per switch (leaf and spine).
    pub radix: u32,
    /// Host ports over uplinks per leaf: 1.0 is 1:1, 2.0 is 2:1.
    pub oversubscription: f64,
    pub preset: LinkPreset,
    pub host: HostLinks,
}

impl Default for LeafSpineConfig {
    /// 64-port NDR switches (QM9700), 1:1.
    fn default() -> Self {
        LeafSpineConfig {
            radix: 64,
            oversubscription: 1.0,
            preset: LinkPreset::IB_NDR,
            host: HostLinks::default(),
        }
    }
}

/// A three-tier k-ary fat-tree: `k` pods of `k/2` edge and `k/2`
/// aggregation switches, `(k/2)^2` core switches.
///
/// Oversubscription is taken at the edge by giving each edge switch more
/// host ports: `round(oversubscription * k/2)` hosts over its `k/2`
/// uplinks, all ports at the preset's rate (the edge switch then has more
/// than `k` ports; aggregation and core are the paper's k-port switches).
/// At 1.0 this is the paper's tree with `k^3/4` hosts.
#[derive(Clone, Debug, PartialEq)]
pub struct FatTreeConfig {
    pub k: u32,
    pub oversubscription: f64,
    pub preset: LinkPreset,
    pub host: HostLinks,
}

impl Default for FatTreeConfig {
    fn default() -> Self {
        FatTreeConfig {
            k: 16,
            oversubscription: 1.0,
            preset: LinkPreset::IB_NDR,
            host: HostLinks::default(),
        }
    }
}

/// NVIDIA DGX SuperPOD's rail-optimized compute fabric: scalable units
/// (SUs) of `nodes_per_unit` nodes; NIC `k` of every node of a unit goes to
/// leaf `k` (rail `k`) of that unit; each leaf has `nodes_per_unit` host
/// ports and as many uplinks to a spine tier shared by all units.
///
/// Source: NVIDIA DGX SuperPOD Reference Architecture (DGX H100 / B200),
/// "DGX SuperPOD Architecture", table of component counts: 2 SUs (64
/// nodes) use 16 leaf and 8 spine switches, 4 SUs (128 nodes) 32 and 16,
/// 8 SUs (256 nodes) 64 and 32, all with as many leaf-spine cables as
/// node-leaf cables (1:1); 16 SUs and more add a core tier
/// (<https://docs.nvidia.com/dgx-superpod/reference-architecture-scalable-infrastructure-b200/latest/dgx-superpod-architecture.html>).
#[derive(Clone, Debug, PartialEq)]
pub struct RailOptimizedConfig {
    pub nodes_per_unit: u32,
    /// Ports per switch (QM9700: 64).
    pub radix: u32,
    /// Host ports over uplinks per rail leaf (1.0: as many uplinks as
    /// nodes; more thins the spine tier that cross-rail traffic needs).
    pub oversubscription: f64,
    pub preset: LinkPreset,
    pub host: HostLinks,
}

impl Default for RailOptimizedConfig {
    fn default() -> Self {
        RailOptimizedConfig {
            nodes_per_unit: 32,
            radix: 64,
            oversubscription: 1.0,
            preset: LinkPreset::IB_NDR,
            host: HostLinks::default(),
        }
    }
}

/// A switch of an explicit fabric.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplicitSwitch {
    /// Unique; may not contain `:` or equal a node's name.
    pub name: String,
    /// 0 = leaf; `None` = distance in hops from the nearest switch with
    /// NICs attached.
    pub tier: Option<u8>,
}

/// A cable (or `count` parallel cables) of an explicit fabric.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplicitLink {
    /// Endpoint names: a switch (`"leaf3"`), a NIC (`"dgx-000:nic0"`) or a
    /// whole node (`"dgx-000"`: each of its NICs to the other end, which
    /// must then be a switch).
    pub a: String,
    pub b: String,
    /// Parallel cables between two switches (1 for NIC links).
    pub count: u32,
    /// Per-direction rate; `None` = the NIC's rate for host links, the
    /// preset's for switch links.
    pub bandwidth: Option<Bandwidth>,
}

/// Switches and links given as lists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExplicitConfig {
    pub switches: Vec<ExplicitSwitch>,
    pub links: Vec<ExplicitLink>,
    pub preset: LinkPreset,
    pub host: HostLinks,
}

/// Adds every node of the cluster; returns each node's NIC rate: the
/// slower of the NIC and the fabric's links (a 400G NIC on a 200G RoCE
/// fabric negotiates 200G).
fn add_cluster(asm: &mut Assembly, cluster: &Cluster, host: &HostLinks) -> Vec<f64> {
    let fabric_rate = asm.preset().bytes_per_s();
    let mut nic_rates = Vec::with_capacity(cluster.node_count());
    for (id, node) in cluster.nodes.iter().enumerate() {
        let group = cluster.group_of(id as u32);
        let pcie = host
            .pcie
            .unwrap_or_else(|| PcieGen::for_gpu(&group.gpu_model))
            .x16_bytes_per_s();
        // NVIDIA quotes NVLink both directions summed (H100: 900 GB/s =
        // 450 GB/s each way); a link carries one direction.
        let nvlink = group
            .gpu_model
            .nvlink_bandwidth
            .map(|b| b.bytes_per_s_f64() / 2.0);
        // A multi-node NVLink domain (an NVL72 rack) shares one hub; a
        // domain of one node keeps its own, as before.
        let domain = (group.nvlink_domain_nodes() > 1).then(|| {
            let d = cluster.nvlink_domain(id as u32);
            u64::from(d.group) << 32 | u64::from(d.index)
        });
        asm.add_node_in_domain(
            node.name.clone(),
            node.gpus,
            group.node_model.compute_nics,
            nvlink,
            host,
            pcie,
            domain,
        );
        nic_rates.push(
            group
                .node_model
                .nic_bandwidth
                .bytes_per_s_f64()
                .min(fabric_rate),
        );
    }
    nic_rates
}

/// Adds `hosts` bare hosts (one NIC, no GPUs) at the preset's rate.
fn add_bare_hosts(asm: &mut Assembly, hosts: u32) -> Vec<f64> {
    let rate = asm.preset().bytes_per_s();
    let host = HostLinks::default();
    for i in 0..hosts {
        asm.add_node(format!("host-{i:05}"), 0, 1, None, &host, 0.0);
    }
    vec![rate; hosts as usize]
}

/// Largest switch radix (ports per switch) of a leaf-spine or
/// rail-optimized fabric, and largest bundle of parallel cables in an
/// explicit one: the largest director switches have about 2,000 ports
/// (64 for an NDR QM9700).
pub const MAX_SWITCH_RADIX: u32 = 2048;

/// Largest number of GPUs and NICs a fabric wires, over all nodes: about
/// 300 MB of graph; five times the largest GPU clusters built (200,000
/// GPUs and as many NICs).
pub const MAX_FABRIC_ENDPOINTS: u64 = 1 << 20;

/// Largest number of switch-to-switch cables (the sum of `count`) of an
/// explicit fabric.
pub const MAX_EXPLICIT_CABLES: u64 = 1 << 20;

/// Refuses a radix above [`MAX_SWITCH_RADIX`], before anything is built.
fn check_radix(radix: u32) -> Result<(), FabricError> {
    if radix > MAX_SWITCH_RADIX {
        return Err(FabricError::new(
            format!("a switch radix of {radix} ports is more than {MAX_SWITCH_RADIX}"),
            format!(
                "give the ports of one switch, at most {MAX_SWITCH_RADIX} (64 for an NDR QM9700, 128 for a 400G Tomahawk 5)"
            ),
        )
        .at(ErrorItem::Setting("radix")));
    }
    Ok(())
}

/// Refuses a cluster with more GPUs and NICs than [`MAX_FABRIC_ENDPOINTS`],
/// before anything is built.
fn check_endpoints(cluster: &Cluster) -> Result<(), FabricError> {
    let endpoints: u64 = (cluster.groups.iter())
        .map(|g| {
            u64::from(g.node_count)
                * (u64::from(g.gpus_per_node) + u64::from(g.node_model.compute_nics))
        })
        .sum();
    if endpoints > MAX_FABRIC_ENDPOINTS {
        return Err(FabricError::new(
            format!(
                "the cluster's {endpoints} GPUs and NICs are more than a fabric may wire ({MAX_FABRIC_ENDPOINTS})"
            ),
            format!(
                "simulate the network of part of the cluster (at most {MAX_FABRIC_ENDPOINTS} GPUs and NICs), or leave `fabric` out"
            ),
        ));
    }
    Ok(())
}

fn check_ratio(oversubscription: f64) -> Result<(), FabricError> {
    if !(oversubscription.is_finite() && oversubscription > 0.0) {
        return Err(FabricError::new(
            format!("oversubscription {oversubscription} is not a positive number"),
            "write 1.0 for 1:1 (non-blocking), 2.0 for 2:1",
        ));
    }
    Ok(())
}

/// Places nodes in id order on leaves with `ports` host ports each, all
/// NICs of a node on one leaf. Returns the node ids of each leaf.
fn pack_nodes(asm: &Assembly, ports: u32, what: &str) -> Result<Vec<Vec<u32>>, FabricError> {
    let mut leaves: Vec<Vec<u32>> = Vec::new();
    let mut used = ports; // forces a first leaf
    for node in 0..asm.node_count() as u32 {
        let nics = asm.nic_count_of(node);
        if nics > ports {
            return Err(FabricError::new(
                format!(
                    "node {} has {nics} NICs but a {what} has only {ports} host ports",
                    asm.node_name(node)
                ),
                "raise the switch radix or lower the oversubscription",
            ));
        }
        if used + nics > ports {
            leaves.push(Vec::new());
            used = 0;
        }
        used += nics;
        leaves.last_mut().expect("a leaf exists").push(node);
    }
    Ok(leaves)
}

/// The number of spines for `leaves` leaves with `up` uplinks each on
/// `radix`-port spines: the fewest that divide `up` (so each leaf has the
/// same number of parallel cables to every spine) and leave no spine with
/// more than `radix` cables.
fn spine_count(leaves: u32, up: u32, radix: u32) -> Option<u32> {
    let least = (u64::from(leaves) * u64::from(up))
        .div_ceil(u64::from(radix))
        .max(1) as u32;
    (least..=up).find(|&s| {
        up.is_multiple_of(s) && u64::from(leaves) * u64::from(up / s) <= u64::from(radix)
    })
}

/// Host ports and uplinks of a leaf with `radix` ports at `oversubscription`.
fn leaf_ports(radix: u32, oversubscription: f64) -> Result<(u32, u32), FabricError> {
    check_ratio(oversubscription)?;
    let down = (f64::from(radix) * oversubscription / (1.0 + oversubscription)).floor() as u32;
    let up = (f64::from(down) / oversubscription).ceil() as u32;
    if down == 0 || up == 0 || down + up > radix {
        return Err(FabricError::new(
            format!(
                "a {radix}-port leaf cannot split its ports {oversubscription}:1 between hosts and uplinks"
            ),
            "use a radix of at least 2 and an oversubscription between 1/radix and radix",
        ));
    }
    Ok((down, up))
}

/// Every NIC of the cluster on one switch.
pub fn single_switch(
    cluster: &Cluster,
    config: &SingleSwitchConfig,
) -> Result<Fabric, FabricError> {
    check_endpoints(cluster)?;
    let mut asm = Assembly::new(config.preset.clone());
    let rates = add_cluster(&mut asm, cluster, &config.host);
    let sw = asm.add_switch(0, "switch0".into(), None);
    for node in 0..asm.node_count() as u32 {
        for k in 0..asm.nic_count_of(node) {
            let nic = asm.nic_index(node, k);
            asm.attach_nic(nic, sw, rates[node as usize]);
        }
    }
    asm.finish()
}

/// Two tiers. A leaf has `down = floor(radix * o / (1 + o))` host ports and
/// `up = ceil(down / o)` uplinks (64 ports at 1:1: 32 and 32; at 2:1: 42
/// and 21), spread evenly over the fewest spines that take them all.
pub fn leaf_spine(cluster: &Cluster, config: &LeafSpineConfig) -> Result<Fabric, FabricError> {
    check_radix(config.radix)?;
    check_endpoints(cluster)?;
    let mut asm = Assembly::new(config.preset.clone());
    let rates = add_cluster(&mut asm, cluster, &config.host);
    build_leaf_spine(asm, &rates, config.radix, config.oversubscription)
}

fn build_leaf_spine(
    mut asm: Assembly,
    rates: &[f64],
    radix: u32,
    oversubscription: f64,
) -> Result<Fabric, FabricError> {
    let (down, up) = leaf_ports(radix, oversubscription)?;
    let placement = pack_nodes(&asm, down, "leaf")?;
    let leaves = placement.len() as u32;
    let spines = spine_count(leaves, up, radix).ok_or_else(|| {
        FabricError::new(
            format!(
                "{leaves} leaves with {up} uplinks each do not fit on {radix}-port spines (a two-tier leaf-spine holds at most {radix} leaves)"
            ),
            "use a fat_tree (three tiers), a higher radix, or fewer nodes",
        )
    })?;
    let rate = asm.preset().bytes_per_s();
    let leaf_ids: Vec<u32> = (0..leaves)
        .map(|l| asm.add_switch(0, format!("leaf{l}"), None))
        .collect();
    let spine_ids: Vec<u32> = (0..spines)
        .map(|s| asm.add_switch(1, format!("spine{s}"), None))
        .collect();
    for (leaf, nodes) in leaf_ids.iter().zip(&placement) {
        for &node in nodes {
            for k in 0..asm.nic_count_of(node) {
                let nic = asm.nic_index(node, k);
                asm.attach_nic(nic, *leaf, rates[node as usize]);
            }
        }
        for &spine in &spine_ids {
            asm.connect_switches(*leaf, spine, up / spines, rate);
        }
    }
    asm.finish()
}

/// The k-ary fat-tree over the cluster's nodes (see [`FatTreeConfig`]).
pub fn fat_tree(cluster: &Cluster, config: &FatTreeConfig) -> Result<Fabric, FabricError> {
    check_endpoints(cluster)?;
    let mut asm = Assembly::new(config.preset.clone());
    let rates = add_cluster(&mut asm, cluster, &config.host);
    build_fat_tree(asm, &rates, config.k, config.oversubscription)
}

/// The k-ary fat-tree with every host port used by a bare host (one NIC at
/// the preset's rate, no GPUs): `k^3/4` hosts at 1:1. For benchmarks and
/// tests of the network alone.
pub fn fat_tree_hosts(config: &FatTreeConfig) -> Result<Fabric, FabricError> {
    let hosts_per_edge = fat_tree_hosts_per_edge(config.k, config.oversubscription)?;
    let hosts = u64::from(config.k * config.k / 2) * u64::from(hosts_per_edge);
    if hosts > MAX_FABRIC_ENDPOINTS {
        return Err(FabricError::new(
            format!("{hosts} hosts are more than a fabric may wire ({MAX_FABRIC_ENDPOINTS})"),
            "use a smaller k or a lower oversubscription",
        ));
    }
    let mut asm = Assembly::new(config.preset.clone());
    let rates = add_bare_hosts(&mut asm, hosts as u32);
    build_fat_tree(asm, &rates, config.k, config.oversubscription)
}

/// Largest k accepted: k = 64 has 65,536 host ports and 5,120 switches.
pub const MAX_FAT_TREE_K: u32 = 64;

fn fat_tree_hosts_per_edge(k: u32, oversubscription: f64) -> Result<u32, FabricError> {
    if k < 2 || !k.is_multiple_of(2) || k > MAX_FAT_TREE_K {
        return Err(FabricError::new(
            format!("fat-tree k = {k} is not an even number between 2 and {MAX_FAT_TREE_K}"),
            "k is the switch port count of the k-ary fat-tree: use an even number such as 8, 16, 32 or 64",
        ));
    }
    check_ratio(oversubscription)?;
    let hosts = (oversubscription * f64::from(k / 2)).round() as u32;
    if hosts == 0 {
        return Err(FabricError::new(
            format!(
                "oversubscription {oversubscription} leaves no host port on a k = {k} edge switch"
            ),
            "use an oversubscription of at least 1.0",
        ));
    }
    Ok(hosts)
}

fn build_fat_tree(
    mut asm: Assembly,
    rates: &[f64],
    k: u32,
    oversubscription: f64,
) -> Result<Fabric, FabricError> {
    let hosts_per_edge = fat_tree_hosts_per_edge(k, oversubscription)?;
    let half = k / 2;
    let edges_total = k * half;
    let placement = pack_nodes(&asm, hosts_per_edge, "fat-tree edge switch")?;
    if placement.len() as u32 > edges_total {
        return Err(FabricError::new(
            format!(
                "{} nodes need {} edge switches but a k = {k} fat-tree has {edges_total} ({} host ports)",
                asm.node_count(),
                placement.len(),
                edges_total * hosts_per_edge
            ),
            format!("use a larger k (k = {} or more)", k + 2),
        ));
    }
    let rate = asm.preset().bytes_per_s();
    // Ordinals: edges 0..k*half, aggregations next, cores last.
    for p in 0..k {
        for e in 0..half {
            asm.add_switch(0, format!("pod{p}-edge{e}"), None);
        }
    }
    for p in 0..k {
        for a in 0..half {
            asm.add_switch(1, format!("pod{p}-agg{a}"), None);
        }
    }
    let first_core = 2 * edges_total;
    for c in 0..half * half {
        asm.add_switch(2, format!("core{c}"), None);
    }
    for (edge, nodes) in placement.iter().enumerate() {
        for &node in nodes {
            for n in 0..asm.nic_count_of(node) {
                let nic = asm.nic_index(node, n);
                asm.attach_nic(nic, edge as u32, rates[node as usize]);
            }
        }
    }
    for p in 0..k {
        for e in 0..half {
            for a in 0..half {
                asm.connect_switches(p * half + e, edges_total + p * half + a, 1, rate);
            }
        }
        // Aggregation switch a of every pod reaches cores a*half..a*half+half.
        for a in 0..half {
            for c in 0..half {
                asm.connect_switches(
                    edges_total + p * half + a,
                    first_core + a * half + c,
                    1,
                    rate,
                );
            }
        }
    }
    asm.finish()
}

/// NVIDIA's rail-optimized scalable units (see [`RailOptimizedConfig`]).
pub fn rail_optimized(
    cluster: &Cluster,
    config: &RailOptimizedConfig,
) -> Result<Fabric, FabricError> {
    check_radix(config.radix)?;
    check_endpoints(cluster)?;
    let npu = config.nodes_per_unit;
    if npu == 0 || u64::from(npu) * 2 > u64::from(config.radix) {
        return Err(FabricError::new(
            format!(
                "a rail leaf needs {npu} host ports and {npu} uplinks but has {} ports",
                config.radix
            ),
            format!(
                "use at most {} nodes per unit or a larger radix",
                config.radix / 2
            ),
        ));
    }
    let mut asm = Assembly::new(config.preset.clone());
    let rates = add_cluster(&mut asm, cluster, &config.host);
    let nodes = asm.node_count() as u32;
    let rails = (0..nodes).map(|n| asm.nic_count_of(n)).max().unwrap_or(0);
    if rails == 0 {
        return Err(FabricError::new(
            "no node has a compute NIC",
            "give the node model compute_nics > 0",
        ));
    }
    let units = nodes.div_ceil(npu);
    let leaves = units * rails;
    let spines = spine_count(leaves, npu, config.radix).ok_or_else(|| {
        FabricError::new(
            format!(
                "{units} scalable units ({leaves} rail leaves) do not fit under one tier of {}-port spines",
                config.radix
            ),
            "larger SuperPODs add a core tier: describe it with an explicit fabric, or use fewer nodes",
        )
    })?;
    let rate = asm.preset().bytes_per_s();
    for su in 0..units {
        for r in 0..rails {
            asm.add_switch(0, format!("su{su}-leaf{r}"), Some(format!("su{su}")));
        }
    }
    for s in 0..spines {
        asm.add_switch(1, format!("spine{s}"), None);
    }
    for node in 0..nodes {
        let su = node / npu;
        for r in 0..asm.nic_count_of(node) {
            let nic = asm.nic_index(node, r);
            asm.attach_nic(nic, su * rails + r, rates[node as usize]);
        }
    }
    // Each leaf's uplinks, spread evenly over the spines; a thinner tier
    // keeps at least one cable per (leaf, spine).
    let per_spine =
        ((f64::from(npu / spines) / config.oversubscription.max(1.0)).round() as u32).max(1);
    for leaf in 0..leaves {
        for s in 0..spines {
            asm.connect_switches(leaf, leaves + s, per_spine, rate);
        }
    }
    asm.finish()
}

/// An endpoint of an explicit link, resolved.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum End {
    Switch(u32),
    Nic { node: u32, k: u32 },
    Node(u32),
}

/// Switches and links as listed (see [`ExplicitConfig`]).
pub fn explicit(cluster: &Cluster, config: &ExplicitConfig) -> Result<Fabric, FabricError> {
    check_endpoints(cluster)?;
    // Cables between switches, before any is made.
    if let Some(i) = (config.links.iter()).position(|l| l.count > MAX_SWITCH_RADIX) {
        return Err(FabricError::new(
            format!(
                "{} parallel cables are more than a switch has ports ({MAX_SWITCH_RADIX})",
                config.links[i].count
            ),
            format!("give the cables between these two switches, at most {MAX_SWITCH_RADIX}"),
        )
        .at(ErrorItem::Link(i)));
    }
    let cables: u64 = config.links.iter().map(|l| u64::from(l.count)).sum();
    if cables > MAX_EXPLICIT_CABLES {
        return Err(FabricError::new(
            format!(
                "the links hold {cables} cables, more than an explicit fabric may ({MAX_EXPLICIT_CABLES})"
            ),
            "lower the links' `count`, or model part of the fabric",
        ));
    }
    let mut asm = Assembly::new(config.preset.clone());
    let rates = add_cluster(&mut asm, cluster, &config.host);

    // Names: switches first (checked), then nodes, in one ordered map.
    let mut names: BTreeMap<String, End> = BTreeMap::new();
    for node in 0..asm.node_count() as u32 {
        names.insert(asm.node_name(node).to_string(), End::Node(node));
    }
    for (i, sw) in config.switches.iter().enumerate() {
        let item = ErrorItem::Switch(i);
        if sw.name.is_empty() || sw.name.contains(':') || sw.name.contains(char::is_whitespace) {
            return Err(FabricError::new(
                format!(
                    "switch name `{}` is empty or contains `:` or spaces",
                    sw.name
                ),
                "name switches like \"leaf0\" or \"spine-a\"",
            )
            .at(item));
        }
        match names.get(&sw.name) {
            Some(End::Switch(_)) => {
                return Err(FabricError::new(
                    format!("switch `{}` is declared twice", sw.name),
                    "give every switch a unique name",
                )
                .at(item));
            }
            Some(_) => {
                return Err(FabricError::new(
                    format!("switch `{}` has the name of a node", sw.name),
                    "rename the switch",
                )
                .at(item));
            }
            None => {
                names.insert(sw.name.clone(), End::Switch(i as u32));
            }
        }
    }

    let resolve = |name: &str, item: ErrorItem| -> Result<End, FabricError> {
        if let Some(&end) = names.get(name) {
            return Ok(end);
        }
        if let Some((node_name, nic)) = name.split_once(':')
            && let Some(&End::Node(node)) = names.get(node_name)
        {
            let count = asm.nic_count_of(node);
            return match nic.strip_prefix("nic").and_then(|k| k.parse::<u32>().ok()) {
                Some(k) if k < count => Ok(End::Nic { node, k }),
                _ => Err(FabricError::new(
                    format!("`{name}`: node {node_name} has no NIC `{nic}`"),
                    format!(
                        "use {node_name}:nic0 to {node_name}:nic{}",
                        count.saturating_sub(1)
                    ),
                )
                .at(item)),
            };
        }
        let fix = match did_you_mean(name, names.keys().map(String::as_str)) {
            Some(candidate) => format!("did you mean `{candidate}`?"),
            None => {
                "name a declared switch, a node (\"dgx-000\") or a NIC (\"dgx-000:nic0\")".into()
            }
        };
        Err(FabricError::new(format!("unknown endpoint `{name}`"), fix).at(item))
    };

    // Resolve and check every link before building anything.
    let s = config.switches.len();
    let mut switch_links: Vec<(u32, u32, u32, f64)> = Vec::new();
    let mut host_links: Vec<(u32, u32, f64)> = Vec::new(); // (flat nic, switch, rate)
    let mut nic_link: Vec<Option<usize>> = vec![
        None;
        (0..asm.node_count() as u32)
            .map(|n| asm.nic_count_of(n) as usize)
            .sum()
    ];
    for (i, link) in config.links.iter().enumerate() {
        let item = ErrorItem::Link(i);
        let a = resolve(&link.a, item)?;
        let b = resolve(&link.b, item)?;
        if link.count == 0 {
            return Err(FabricError::new("link count is 0", "use 1 or more cables").at(item));
        }
        let rate = link.bandwidth.map(|b| b.bytes_per_s_f64());
        if rate.is_some_and(|r| r <= 0.0) {
            return Err(FabricError::new(
                "link bandwidth is zero",
                "give a positive rate such as \"400Gbps\"",
            )
            .at(item));
        }
        let (sw, host) = match (a, b) {
            (End::Switch(x), End::Switch(y)) => {
                if x == y {
                    return Err(FabricError::new(
                        format!("link joins switch `{}` to itself", link.a),
                        "connect two different switches",
                    )
                    .at(item));
                }
                switch_links.push((
                    x,
                    y,
                    link.count,
                    rate.unwrap_or(config.preset.bytes_per_s()),
                ));
                continue;
            }
            (End::Switch(x), other) | (other, End::Switch(x)) => (x, other),
            _ => {
                return Err(FabricError::new(
                    format!("link `{}` - `{}` joins two hosts", link.a, link.b),
                    "every link needs a switch on at least one end",
                )
                .at(item));
            }
        };
        if link.count != 1 {
            return Err(FabricError::new(
                "a NIC has one port: a host link's count must be 1",
                "remove `count` or set it to 1",
            )
            .at(item));
        }
        let nics: Vec<(u32, u32)> = match host {
            End::Nic { node, k } => vec![(node, k)],
            End::Node(node) => (0..asm.nic_count_of(node)).map(|k| (node, k)).collect(),
            End::Switch(_) => unreachable!("handled above"),
        };
        for (node, k) in nics {
            let flat = asm.nic_index(node, k) as usize;
            if let Some(previous) = nic_link[flat] {
                return Err(FabricError::new(
                    format!(
                        "{}:nic{k} is already connected (by link {previous})",
                        asm.node_name(node)
                    ),
                    "a NIC has one port: connect it once",
                )
                .at(item));
            }
            nic_link[flat] = Some(i);
            host_links.push((flat as u32, sw, rate.unwrap_or(rates[node as usize])));
        }
    }

    // Tiers: given, or hops from the nearest switch with NICs.
    let mut tier: Vec<u32> = vec![u32::MAX; s];
    let mut queue: Vec<u32> = Vec::new();
    for &(_, sw, _) in &host_links {
        if tier[sw as usize] == u32::MAX {
            tier[sw as usize] = 0;
            queue.push(sw);
        }
    }
    let mut head = 0;
    while head < queue.len() {
        let x = queue[head];
        head += 1;
        for &(a, b, _, _) in &switch_links {
            let y = if a == x {
                b
            } else if b == x {
                a
            } else {
                continue;
            };
            if tier[y as usize] == u32::MAX {
                tier[y as usize] = tier[x as usize] + 1;
                queue.push(y);
            }
        }
    }
    for (i, sw) in config.switches.iter().enumerate() {
        let t = match sw.tier {
            Some(t) => t,
            None => tier[i].min(u32::from(u8::MAX)) as u8,
        };
        asm.add_switch(t, sw.name.clone(), None);
    }
    for (a, b, count, rate) in switch_links {
        asm.connect_switches(a, b, count, rate);
    }
    for (nic, sw, rate) in host_links {
        asm.attach_nic(nic, sw, rate);
    }
    asm.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fabric::test_support::{cluster, cluster_with_nics};
    use crate::fabric::{LinkKind, Vertex, VertexId};

    fn count_links(f: &Fabric, kind: LinkKind) -> usize {
        f.links().iter().filter(|l| l.kind == kind).count()
    }

    #[test]
    fn fat_tree_counts_match_al_fares() {
        // k^3/4 hosts, k/2 edge + k/2 aggregation per pod, (k/2)^2 core:
        // 5k^2/4 switches (Al-Fares et al., SIGCOMM 2008, §3).
        for k in [4u32, 32] {
            let f = fat_tree_hosts(&FatTreeConfig {
                k,
                ..FatTreeConfig::default()
            })
            .unwrap();
            assert_eq!(f.node_count() as u32, k * k * k / 4);
            assert_eq!(f.switch_count(0) as u32, k * k / 2);
            assert_eq!(f.switch_count(1) as u32, k * k / 2);
            assert_eq!(f.switch_count(2) as u32, k * k / 4);
            assert_eq!(f.switch_vertices().len() as u32, 5 * k * k / 4);
            // Cables: one per host, k/2 up from every edge and every
            // aggregation switch; two directed links each.
            assert_eq!(count_links(&f, LinkKind::Host) as u32, 2 * k * k * k / 4);
            assert_eq!(
                count_links(&f, LinkKind::Fabric) as u32,
                2 * 2 * (k * k / 2) * (k / 2)
            );
            assert_eq!(f.oversubscription().worst(), 1.0);
            assert_eq!(f.leaf_groups().len() as u32, k * k / 2);
        }
    }

    #[test]
    fn fat_tree_oversubscription_adds_hosts_per_edge() {
        let f = fat_tree_hosts(&FatTreeConfig {
            k: 8,
            oversubscription: 2.0,
            ..FatTreeConfig::default()
        })
        .unwrap();
        // 8 hosts on each of the 32 edge switches, 4 uplinks each.
        assert_eq!(f.node_count(), 256);
        let o = f.oversubscription();
        assert_eq!(o.tiers[0].ratio(), 2.0);
        assert_eq!(o.tiers[1].ratio(), 1.0);
        assert_eq!(o.to_string(), "leaf 2.00:1, spine 1.00:1");
    }

    #[test]
    fn fat_tree_refuses_odd_k_and_too_many_nodes() {
        let odd = FatTreeConfig {
            k: 5,
            ..FatTreeConfig::default()
        };
        assert!(fat_tree_hosts(&odd).unwrap_err().message.contains("k = 5"));
        // k = 4: 8 edges of 2 host ports; a DGX has 8 NICs.
        let small = FatTreeConfig {
            k: 4,
            ..FatTreeConfig::default()
        };
        let err = fat_tree(&cluster("DGX-H100", 1), &small).unwrap_err();
        assert!(err.message.contains("8 NICs"), "{err}");
        // k = 8: 32 edges of 4 ports hold 128 one-NIC nodes, not 129.
        let k8 = FatTreeConfig {
            k: 8,
            ..FatTreeConfig::default()
        };
        assert!(fat_tree(&cluster_with_nics(128, 1, 400), &k8).is_ok());
        let err = fat_tree(&cluster_with_nics(129, 1, 400), &k8).unwrap_err();
        assert!(err.fix.contains("larger k"), "{err}");
    }

    #[test]
    fn sizes_past_the_limits_are_refused_before_anything_is_built() {
        let huge = LeafSpineConfig {
            radix: 1_000_000_000,
            ..LeafSpineConfig::default()
        };
        let err = leaf_spine(&cluster("DGX-H100", 2), &huge).unwrap_err();
        assert_eq!(err.item, Some(ErrorItem::Setting("radix")));
        assert!(err.message.contains("2048"), "{err}");
        // 4 billion bare hosts would overflow a u32 count.
        let flooded = FatTreeConfig {
            k: 64,
            oversubscription: 1e9,
            ..FatTreeConfig::default()
        };
        assert!(
            fat_tree_hosts(&flooded)
                .unwrap_err()
                .message
                .contains("hosts")
        );
        let err = single_switch(
            &cluster_with_nics(120_000, 1, 400),
            &SingleSwitchConfig::default(),
        )
        .unwrap_err();
        assert!(
            err.message.contains(&MAX_FABRIC_ENDPOINTS.to_string()),
            "{err}"
        );
    }

    #[test]
    fn leaf_spine_splits_ports_by_oversubscription() {
        // 64 ports at 2:1: 42 host ports and 21 uplinks per leaf. One-NIC
        // nodes fill 42 ports exactly, so the as-built ratio is 2.
        let two_to_one = LeafSpineConfig {
            oversubscription: 2.0,
            ..LeafSpineConfig::default()
        };
        let f = leaf_spine(&cluster_with_nics(84, 1, 400), &two_to_one).unwrap();
        assert_eq!(f.switch_count(0), 2);
        let leaf = f.switch_vertices()[0];
        let uplinks = f
            .links()
            .iter()
            .filter(|l| l.src == leaf && l.kind == LinkKind::Fabric)
            .count();
        assert_eq!(uplinks, 21);
        assert_eq!(f.oversubscription().worst(), 2.0);
        // 1:1: 32 and 32; 64 one-NIC nodes on two leaves, one spine with
        // 32 cables from each (64 ports, full).
        let f = leaf_spine(&cluster_with_nics(64, 1, 400), &LeafSpineConfig::default()).unwrap();
        assert_eq!((f.switch_count(0), f.switch_count(1)), (2, 1));
        assert_eq!(f.oversubscription().worst(), 1.0);
        // DGX nodes keep their 8 NICs on one leaf: 4 per 32-port leaf.
        let f = leaf_spine(&cluster("DGX-H100", 9), &LeafSpineConfig::default()).unwrap();
        let groups = f.leaf_groups();
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].nodes, [0, 1, 2, 3]);
        assert_eq!(groups[2].nodes, [8]);
    }

    #[test]
    fn leaf_spine_refuses_more_leaves_than_a_spine_has_ports() {
        // 65 leaves of 32 one-NIC nodes cannot hang off 64-port spines.
        let err = leaf_spine(
            &cluster_with_nics(65 * 32, 1, 400),
            &LeafSpineConfig::default(),
        )
        .unwrap_err();
        assert!(err.fix.contains("fat_tree"), "{err}");
        let bad = LeafSpineConfig {
            oversubscription: f64::NAN,
            ..LeafSpineConfig::default()
        };
        assert!(leaf_spine(&cluster("DGX-H100", 2), &bad).is_err());
    }

    #[test]
    fn rail_optimized_superpod_counts() {
        // DGX SuperPOD RA component table: 4 SUs = 128 nodes, 32 leaves,
        // 16 spines, 1,024 node-leaf and 1,024 leaf-spine cables; 2 SUs:
        // 16 and 8; 8 SUs: 64 and 32.
        for (nodes, leaves, spines) in [(64u32, 16usize, 8usize), (128, 32, 16), (256, 64, 32)] {
            let f = rail_optimized(&cluster("DGX-H100", nodes), &RailOptimizedConfig::default())
                .unwrap();
            assert_eq!(f.switch_count(0), leaves, "{nodes} nodes");
            assert_eq!(f.switch_count(1), spines, "{nodes} nodes");
            assert_eq!(count_links(&f, LinkKind::Host) as u32, 2 * nodes * 8);
            assert_eq!(count_links(&f, LinkKind::Fabric) as u32, 2 * nodes * 8);
            assert_eq!(f.oversubscription().worst(), 1.0);
        }
        let f = rail_optimized(&cluster("DGX-H100", 128), &RailOptimizedConfig::default()).unwrap();
        let groups = f.leaf_groups();
        assert_eq!(groups.len(), 4);
        assert_eq!(groups[1].name, "su1");
        assert_eq!(groups[1].nodes, (32..64).collect::<Vec<u32>>());
        // NIC k of node 40 (SU 1) sits on leaf k of SU 1.
        let leaf = f.leaf_of_nic(f.nic(40, 3));
        assert_eq!(f.vertex(leaf).switch_name(), Some("su1-leaf3"));
        // 16 SUs need a core tier.
        assert!(
            rail_optimized(&cluster("DGX-H100", 512), &RailOptimizedConfig::default()).is_err()
        );
    }

    #[test]
    fn nodes_are_wired_inside_by_nvlink_or_pcie() {
        let f = single_switch(&cluster("DGX-H100", 2), &SingleSwitchConfig::default()).unwrap();
        assert_eq!(f.gpus_of(1), 8);
        assert_eq!(f.nics_of(1), 8);
        let g = f.gpu(1, 5);
        assert_eq!(f.vertex(g), &Vertex::Gpu { node: 1, local: 5 });
        assert_eq!(f.nic_of_gpu(1, 5), f.nic(1, 5));
        let out: Vec<_> = f.links().iter().filter(|l| l.src == g).collect();
        // H100: 900 GB/s both directions = 450 GB/s each way; Gen5 x16 to the NIC.
        assert!(
            out.iter()
                .any(|l| l.kind == LinkKind::NvLink && l.bandwidth_bytes_per_s == 450e9)
        );
        assert!(
            out.iter()
                .any(|l| l.kind == LinkKind::Pcie
                    && (l.bandwidth_bytes_per_s - 63.015e9).abs() < 1e7)
        );
        // L40S nodes: no NVLink, a host bridge over PCIe Gen4; 4 NICs for
        // 8 GPUs, so GPUs 6 and 7 share NIC 3.
        let f = single_switch(&cluster("PCIe-8GPU", 1), &SingleSwitchConfig::default()).unwrap();
        assert_eq!(f.nic_of_gpu(0, 6), f.nic(0, 3));
        assert_eq!(f.nic_of_gpu(0, 7), f.nic(0, 3));
        let g = f.gpu(0, 0);
        assert!(
            f.links()
                .iter()
                .any(|l| l.src == g && matches!(f.vertex(l.dst), Vertex::HostBridge { .. }))
        );
        assert!(f.links().iter().all(|l| l.kind != LinkKind::NvLink));
    }

    #[test]
    fn trays_of_an_nvl72_rack_share_one_nvswitch_hub() {
        // 40 GB200 trays: racks of 18, 18 and a partial 4; 4 GPUs each.
        let c = cluster("GB200-NVL72-tray", 40);
        let f = leaf_spine(&c, &LeafSpineConfig::default()).unwrap();
        let hubs = (0..f.vertex_count() as u32)
            .filter(|&v| matches!(f.vertex(VertexId(v)), Vertex::NvSwitch { .. }))
            .count();
        assert_eq!(hubs, 3, "one NVSwitch domain per rack");
        // GPU 3 of tray 0 to GPU 1 of tray 17: the same rack, over NVLink
        // only (GB200: 1.8 TB/s both ways = 900 GB/s each way).
        let rack = f.route_vec(f.gpu(0, 3), f.gpu(17, 1), 5);
        assert_eq!(rack.len(), 2);
        for &l in &rack {
            assert_eq!(f.link(l).kind, LinkKind::NvLink);
            assert_eq!(f.link(l).bandwidth_bytes_per_s, 900e9);
        }
        assert_eq!(
            f.vertex(f.link(rack[0]).dst),
            &Vertex::NvSwitch { node: 0 },
            "the rack's hub is named after its first tray"
        );
        // Tray 17 to tray 18: the next rack, through the NICs.
        let across = f.route_vec(f.gpu(17, 0), f.gpu(18, 0), 5);
        assert_eq!(f.link(across[0]).kind, LinkKind::Pcie);
        assert!(across.iter().any(|&l| f.link(l).kind == LinkKind::Host));
        // The partial last rack is a domain of its own.
        let partial = f.route_vec(f.gpu(36, 0), f.gpu(39, 3), 5);
        assert_eq!(partial.len(), 2);
        assert_eq!(
            f.vertex(f.link(partial[0]).dst),
            &Vertex::NvSwitch { node: 36 }
        );
        // HGX nodes keep a hub each, as before.
        let hgx = leaf_spine(&cluster("DGX-B200", 3), &LeafSpineConfig::default()).unwrap();
        let hubs = (0..hgx.vertex_count() as u32)
            .filter(|&v| matches!(hgx.vertex(VertexId(v)), Vertex::NvSwitch { .. }))
            .count();
        assert_eq!(hubs, 3);
    }

    fn two_leaves() -> ExplicitConfig {
        let sw = |name: &str| ExplicitSwitch {
            name: name.into(),
            tier: None,
        };
        let link = |a: &str, b: &str| ExplicitLink {
            a: a.into(),
            b: b.into(),
            count: 1,
            bandwidth: None,
        };
        ExplicitConfig {
            switches: vec![sw("leaf0"), sw("leaf1"), sw("spine0")],
            links: vec![
                link("n-000", "leaf0"),
                link("n-001:nic0", "leaf1"),
                link("leaf0", "spine0"),
                ExplicitLink {
                    count: 2,
                    ..link("spine0", "leaf1")
                },
            ],
            ..ExplicitConfig::default()
        }
    }

    #[test]
    fn explicit_fabric_builds_and_infers_tiers() {
        let f = explicit(&cluster_with_nics(2, 1, 400), &two_leaves()).unwrap();
        assert_eq!((f.switch_count(0), f.switch_count(1)), (2, 1));
        assert_eq!(count_links(&f, LinkKind::Fabric), 6);
        let groups = f.leaf_groups();
        assert_eq!(groups[0].name, "leaf0");
        assert_eq!(groups[1].nodes, [1]);
    }

    #[test]
    fn explicit_fabric_errors_say_what_to_fix() {
        let c = cluster_with_nics(2, 1, 400);
        let mut typo = two_leaves();
        typo.links[2].b = "spien0".into();
        let err = explicit(&c, &typo).unwrap_err();
        assert_eq!(err.item, Some(ErrorItem::Link(2)));
        assert!(err.fix.contains("spine0"), "{err}");

        let mut twice = two_leaves();
        twice.links.push(ExplicitLink {
            a: "n-000:nic0".into(),
            b: "leaf1".into(),
            count: 1,
            bandwidth: None,
        });
        let err = explicit(&c, &twice).unwrap_err();
        assert!(err.message.contains("already connected"), "{err}");

        let mut loose = two_leaves();
        loose.links.remove(1);
        let err = explicit(&c, &loose).unwrap_err();
        assert!(err.message.contains("n-001:nic0"), "{err}");

        let mut cut = two_leaves();
        cut.links.truncate(3);
        let err = explicit(&c, &cut).unwrap_err();
        assert!(err.message.contains("cannot reach"), "{err}");

        let mut dup = two_leaves();
        dup.switches.push(ExplicitSwitch {
            name: "leaf1".into(),
            tier: None,
        });
        assert_eq!(
            explicit(&c, &dup).unwrap_err().item,
            Some(ErrorItem::Switch(3))
        );

        let mut bad_nic = two_leaves();
        bad_nic.links[1].a = "n-001:nic4".into();
        assert!(
            explicit(&c, &bad_nic)
                .unwrap_err()
                .fix
                .contains("n-001:nic0")
        );
    }
}
