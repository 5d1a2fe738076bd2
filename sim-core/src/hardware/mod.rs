//! GPU and node models, and the cluster built from them.
//!
//! The [`Catalog`] holds the built-in models (numbers from vendor
//! datasheets, each cited in `builtin.rs`) plus whatever a scenario adds or
//! overrides. A [`Cluster`] is the concrete machine a run simulates: a list of
//! nodes, each with a GPU model and a GPU count, grouped as the scenario's
//! node groups were written.
//!
//! Invariants:
//! - model names are unique within a catalog;
//! - every node of a [`Cluster`] has between 1 and [`MAX_GPUS_PER_NODE`] GPUs
//!   and refers to a GPU model present in the catalog it was built from;
//! - node ids are dense `0..node_count` in group order, so they index arrays;
//! - NVLink domains: the nodes of a group are cut, in id order, into
//!   consecutive domains of [`NodeModel::nvlink_domain_nodes`] nodes (1 for
//!   8-GPU HGX/DGX servers, 18 compute trays for a GB200/GB300 NVL72 rack).
//!   When the group's node count is not a multiple, the last domain is a
//!   partial rack, a smaller domain of its own (scenario validation warns).
//!   A domain never spans two groups. See [`NodeGroup::nvlink_domain_of`],
//!   [`Cluster::nvlink_domain`] and [`Cluster::nvlink_domains`].

mod builtin;
mod builtin_older;
pub mod hostlist;
pub mod mig;

pub use mig::{MigGeometry, MigProfile};

use serde::Serialize;

use crate::units::{Bandwidth, Bytes, Usd};

/// GPUs in one node are tracked in a 64-bit mask.
pub const MAX_GPUS_PER_NODE: u32 = 64;

/// Largest number of compute NICs of a node model: one per GPU at most
/// ([`MAX_GPUS_PER_NODE`]); a fabric builds a vertex and a link per NIC.
pub const MAX_NICS_PER_NODE: u32 = MAX_GPUS_PER_NODE;

/// Largest number of nodes of a cluster, over all its groups: about 80 MB
/// of nodes, and five times the node count of the largest GPU clusters
/// and trace machines.
pub const MAX_TOTAL_NODES: u64 = 1_000_000;

/// Largest number of GPUs of a cluster, over all its groups: a million
/// 8-GPU nodes.
pub const MAX_TOTAL_GPUS: u64 = 8 * MAX_TOTAL_NODES;

/// Largest NVLink domain, in nodes: NVLink 5's switch system connects at
/// most 576 GPUs in one domain (NVIDIA, "NVLink and NVLink Switch",
/// nvidia.com/en-us/data-center/nvlink/), and a node has at least one GPU.
pub const MAX_NVLINK_DOMAIN_NODES: u32 = 576;

/// A GPU model. Throughputs are dense (no structured sparsity) peaks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GpuModel {
    /// Catalog key, e.g. `"H100-SXM-80GB"`.
    pub name: String,
    /// The vendor's product name.
    pub description: String,
    /// FP64 peak: the Tensor Core figure where the GPU has FP64 tensor
    /// cores (what HPL reaches for), else the vector figure.
    pub fp64_tflops: Option<f64>,
    /// TF32 Tensor Core, dense.
    pub tf32_tflops: Option<f64>,
    /// BF16 Tensor Core with FP32 accumulate, dense.
    pub bf16_tflops: Option<f64>,
    /// FP8 Tensor Core, dense. `None` where the GPU has no FP8.
    pub fp8_tflops: Option<f64>,
    /// On-package memory (HBM, or GDDR on PCIe cards).
    pub memory: Bytes,
    pub memory_bandwidth: Bandwidth,
    /// NVLink bandwidth per GPU, both directions summed, as NVIDIA quotes
    /// it. `None` for GPUs without NVLink.
    pub nvlink_bandwidth: Option<Bandwidth>,
    /// NVLink SHARP (NVLS): the NVSwitches this GPU is built with reduce
    /// in the switch (third-generation NVSwitch, Hopper HGX/DGX, and later).
    /// A property of the GPU's NVSwitch generation, not of its NVLink
    /// bandwidth: the H800 has it at 400 GB/s; A100/A800 and PCIe cards do
    /// not. `false` for a model a scenario adds without saying.
    pub nvlink_sharp: bool,
    /// CUDA compute capability × 10 (A100 80, L40S 89, H100 90, B200 100,
    /// GB300 103): which of NCCL's tuning tables apply (NCCL's rule: 100
    /// and up Blackwell's, 90 and up Hopper's, else Ampere's).
    pub compute_capability: u32,
    /// Board power limit (TDP / TGP): what the GPU draws busy at full
    /// activity (see `power`).
    pub tdp_watts: u32,
    /// Board power with nothing running (driver loaded, persistence mode
    /// on), as measured with nvidia-smi.
    pub idle_watts: u32,
    /// An indicative on-demand cloud price per GPU-hour.
    pub price_per_gpu_hour: Usd,
    /// The fraction of the dense peak (of the GEMM's precision) that a
    /// large GEMM of a transformer's linear layers sustains in training:
    /// the cap of `training::compute`'s roofline. Attention, norms,
    /// activations, the loss and the optimizer are costed apart (by their
    /// own efficiency or by memory bandwidth). A hardware (and
    /// software-stack) parameter, not an MFU: pipeline bubbles and
    /// communication are modelled apart. `builtin.rs` says which published
    /// point each value is calibrated on.
    pub matmul_efficiency: f64,
    /// The MIG profiles it can be cut into (`mig.rs`); `None` for GPUs
    /// without MIG and for models a scenario adds.
    pub mig: MigGeometry,
}

/// The `matmul_efficiency` of a GPU model a scenario adds without giving
/// one: the Hopper calibration (see `builtin.rs`), an assumption, not a
/// measurement of that GPU.
pub const DEFAULT_MATMUL_EFFICIENCY: f64 = builtin::HOPPER_MATMUL_EFFICIENCY;

/// A server model: how many GPUs of which kind, its NICs, power and price.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeModel {
    /// Catalog key, e.g. `"DGX-H100"`.
    pub name: String,
    pub description: String,
    /// The GPU model it ships with (a key into the GPU catalog).
    pub gpu_model: String,
    pub gpus_per_node: u32,
    /// NICs on the compute (east-west) fabric.
    pub compute_nics: u32,
    /// Data rate of each compute NIC.
    pub nic_bandwidth: Bandwidth,
    /// How many consecutive nodes of a group share one NVLink/NVSwitch
    /// domain: 1 for 8-GPU HGX/DGX servers (NVSwitches on the baseboard),
    /// 18 for the 4-GPU compute trays of a GB200/GB300 NVL72 rack (NVLink
    /// switch trays in the rack). 1..=[`MAX_NVLINK_DOMAIN_NODES`].
    pub nvlink_domain_nodes: u32,
    pub cpu_cores: u32,
    pub host_memory: Bytes,
    /// Maximum system power draw (every GPU at its limit).
    pub max_power_watts: u32,
    /// System power with nothing running, its GPUs' idle power included.
    pub idle_power_watts: u32,
    /// An indicative purchase price of the whole system, where one is
    /// published or widely reported.
    pub purchase_price: Option<Usd>,
    /// A cloud instance's on-demand price per hour (the whole instance,
    /// all its GPUs), for cloud instance types.
    pub instance_price_per_hour: Option<Usd>,
}

impl NodeModel {
    /// GPUs of one NVLink domain of this model: the node's GPUs times the
    /// nodes sharing the domain.
    pub fn nvlink_domain_gpus(&self) -> u32 {
        self.gpus_per_node * self.nvlink_domain_nodes.max(1)
    }
}

/// The models a scenario may refer to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Catalog {
    pub gpus: Vec<GpuModel>,
    pub nodes: Vec<NodeModel>,
}

impl Catalog {
    /// The models that ship with clustersim.
    pub fn builtin() -> Self {
        Catalog {
            gpus: [builtin::gpus(), builtin_older::gpus()].concat(),
            nodes: builtin::nodes(),
        }
    }

    pub fn gpu(&self, name: &str) -> Option<&GpuModel> {
        self.gpus.iter().find(|g| g.name == name)
    }

    pub fn node(&self, name: &str) -> Option<&NodeModel> {
        self.nodes.iter().find(|n| n.name == name)
    }

    pub fn gpu_names(&self) -> impl Iterator<Item = &str> {
        self.gpus.iter().map(|g| g.name.as_str())
    }

    pub fn node_names(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| n.name.as_str())
    }

    /// Replaces the GPU model of the same name, or appends a new one.
    pub fn upsert_gpu(&mut self, model: GpuModel) {
        match self.gpus.iter_mut().find(|g| g.name == model.name) {
            Some(slot) => *slot = model,
            None => self.gpus.push(model),
        }
    }

    /// Replaces the node model of the same name, or appends a new one.
    pub fn upsert_node(&mut self, model: NodeModel) {
        match self.nodes.iter_mut().find(|n| n.name == model.name) {
            Some(slot) => *slot = model,
            None => self.nodes.push(model),
        }
    }
}

/// Index of a node in a [`Cluster`].
pub type NodeId = u32;

/// One server of the simulated cluster.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    /// `"<group>-<index>"`, e.g. `"dgx-017"`.
    pub name: String,
    /// Index into [`Cluster::groups`].
    pub group: u32,
    pub gpus: u32,
}

/// A node group as the scenario declared it, resolved against the catalog.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeGroup {
    pub name: String,
    pub node_model: NodeModel,
    pub gpu_model: GpuModel,
    pub gpus_per_node: u32,
    pub first_node: NodeId,
    pub node_count: u32,
}

impl NodeGroup {
    /// Nodes per NVLink domain of this group (at least 1; the last domain
    /// of the group may hold fewer, see [`NodeGroup::nvlink_domain_len`]).
    /// 1 when the group's GPU has no NVLink (a GPU override can take it
    /// away): without NVLink there is no domain beyond the node.
    pub fn nvlink_domain_nodes(&self) -> u32 {
        if self.gpu_model.nvlink_bandwidth.is_none() {
            return 1;
        }
        self.node_model.nvlink_domain_nodes.max(1)
    }

    /// GPUs of a whole NVLink domain of this group: all of them reach each
    /// other over NVLink. 8 for an HGX/DGX server, 72 for an NVL72 rack.
    /// A parallel group (TP, EP) of at most this many GPUs placed in one
    /// domain is intra-domain (NVLink), however many nodes it spans.
    pub fn nvlink_domain_gpus(&self) -> u32 {
        self.nvlink_domain_nodes() * self.gpus_per_node
    }

    /// Number of NVLink domains of this group, a partial last one counted.
    pub fn nvlink_domain_count(&self) -> u32 {
        self.node_count.div_ceil(self.nvlink_domain_nodes())
    }

    /// The domain (0-based within this group) of `node`, a node of this
    /// group.
    pub fn nvlink_domain_of(&self, node: NodeId) -> u32 {
        debug_assert!(node >= self.first_node && node - self.first_node < self.node_count);
        (node - self.first_node) / self.nvlink_domain_nodes()
    }

    /// Nodes of domain `domain` of this group: [`Self::nvlink_domain_nodes`]
    /// except for a partial last rack.
    pub fn nvlink_domain_len(&self, domain: u32) -> u32 {
        let per = self.nvlink_domain_nodes();
        self.node_count.saturating_sub(domain * per).min(per)
    }

    /// Node ids of domain `domain` of this group.
    pub fn nvlink_domain_nodes_range(&self, domain: u32) -> std::ops::Range<NodeId> {
        let start = self.first_node + domain * self.nvlink_domain_nodes();
        start..start + self.nvlink_domain_len(domain)
    }
}

/// One NVLink domain of a cluster: a group and the domain's index in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NvlinkDomain {
    pub group: u32,
    pub index: u32,
}

/// The concrete machine a run simulates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    pub groups: Vec<NodeGroup>,
    pub nodes: Vec<Node>,
}

impl Cluster {
    /// Builds nodes group by group; ids are dense in declaration order.
    pub fn from_groups(groups: Vec<NodeGroup>) -> Self {
        let mut nodes = Vec::new();
        let mut resolved = Vec::with_capacity(groups.len());
        for (g, mut group) in groups.into_iter().enumerate() {
            group.first_node = nodes.len() as NodeId;
            let width = group
                .node_count
                .saturating_sub(1)
                .max(1)
                .to_string()
                .len()
                .max(3);
            for i in 0..group.node_count {
                nodes.push(Node {
                    name: format!("{}-{i:0width$}", group.name),
                    group: g as u32,
                    gpus: group.gpus_per_node,
                });
            }
            resolved.push(group);
        }
        Cluster {
            groups: resolved,
            nodes,
        }
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn total_gpus(&self) -> u64 {
        self.nodes.iter().map(|n| u64::from(n.gpus)).sum()
    }

    pub fn max_gpus_per_node(&self) -> u32 {
        self.nodes.iter().map(|n| n.gpus).max().unwrap_or(0)
    }

    pub fn group_of(&self, node: NodeId) -> &NodeGroup {
        &self.groups[self.nodes[node as usize].group as usize]
    }

    /// The NVLink domain `node` belongs to.
    pub fn nvlink_domain(&self, node: NodeId) -> NvlinkDomain {
        let group = self.nodes[node as usize].group;
        NvlinkDomain {
            group,
            index: self.groups[group as usize].nvlink_domain_of(node),
        }
    }

    /// Whether two nodes reach each other over NVLink (same domain).
    pub fn same_nvlink_domain(&self, a: NodeId, b: NodeId) -> bool {
        self.nvlink_domain(a) == self.nvlink_domain(b)
    }

    /// Whether any NVLink domain spans more than one node.
    pub fn has_multi_node_nvlink_domains(&self) -> bool {
        self.groups
            .iter()
            .any(|g| g.nvlink_domain_nodes() > 1 && g.node_count > 1)
    }

    /// Every NVLink domain's node ids, in id order (domains partition the
    /// nodes).
    pub fn nvlink_domains(&self) -> Vec<std::ops::Range<NodeId>> {
        self.groups
            .iter()
            .flat_map(|g| (0..g.nvlink_domain_count()).map(|d| g.nvlink_domain_nodes_range(d)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_has_the_required_models_with_unique_names() {
        let catalog = Catalog::builtin();
        for gpu in [
            "H100-SXM-80GB",
            "H200-SXM-141GB",
            "A100-SXM-80GB",
            "A100-SXM-40GB",
            "L40S",
            "B200",
            "RTX-4090",
            "GB200",
            "GB300",
            "H800-SXM-80GB",
            "H20-96GB",
            "A800-SXM-80GB",
        ] {
            assert!(catalog.gpu(gpu).is_some(), "missing GPU {gpu}");
        }
        for node in [
            "DGX-H100",
            "HGX-H200",
            "DGX-A100",
            "PCIe-8GPU",
            "DGX-B200",
            "HGX-B200",
            "GB200-NVL72-tray",
            "GB300-NVL72-tray",
            "HGX-H800",
            "HGX-H20",
            "HGX-A800",
        ] {
            let model = catalog
                .node(node)
                .unwrap_or_else(|| panic!("missing node {node}"));
            assert!(
                catalog.gpu(&model.gpu_model).is_some(),
                "{node} names an unknown GPU"
            );
        }
        let mut names: Vec<&str> = catalog.gpu_names().chain(catalog.node_names()).collect();
        let before = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), before, "duplicate model names");
    }

    #[test]
    fn datasheet_ratios_hold() {
        // Cross-checks that hold by architecture, independent of any one
        // datasheet line: FP8 is 2x BF16 on Hopper/Ada/Blackwell, BF16 is 2x
        // TF32 on every tensor-core GPU here, H200 has H100's compute.
        let c = Catalog::builtin();
        for gpu in &c.gpus {
            if let (Some(bf16), Some(tf32)) = (gpu.bf16_tflops, gpu.tf32_tflops) {
                let ratio = bf16 / tf32;
                assert!(
                    (1.9..=2.1).contains(&ratio),
                    "{}: BF16/TF32 = {ratio}",
                    gpu.name
                );
            }
            if let (Some(fp8), Some(bf16)) = (gpu.fp8_tflops, gpu.bf16_tflops) {
                let ratio = fp8 / bf16;
                assert!(
                    (1.9..=2.1).contains(&ratio),
                    "{}: FP8/BF16 = {ratio}",
                    gpu.name
                );
            }
            assert!(gpu.tdp_watts > 0 && gpu.memory.as_u64() > 0);
        }
        let h100 = c.gpu("H100-SXM-80GB").unwrap();
        let h200 = c.gpu("H200-SXM-141GB").unwrap();
        assert_eq!(h100.bf16_tflops, h200.bf16_tflops);
        assert!(h200.memory > h100.memory && h200.memory_bandwidth > h100.memory_bandwidth);
        assert!(c.gpu("A100-SXM-80GB").unwrap().fp8_tflops.is_none());
    }

    #[test]
    fn node_ids_are_dense_in_group_order() {
        let catalog = Catalog::builtin();
        let group = |name: &str, node: &str, count: u32| {
            let node_model = catalog.node(node).unwrap().clone();
            let gpu_model = catalog.gpu(&node_model.gpu_model).unwrap().clone();
            NodeGroup {
                name: name.into(),
                gpus_per_node: node_model.gpus_per_node,
                node_model,
                gpu_model,
                first_node: 0,
                node_count: count,
            }
        };
        let cluster =
            Cluster::from_groups(vec![group("a", "DGX-H100", 2), group("b", "DGX-A100", 3)]);
        assert_eq!(cluster.node_count(), 5);
        assert_eq!(cluster.groups[1].first_node, 2);
        assert_eq!(cluster.nodes[2].name, "b-000");
        assert_eq!(cluster.group_of(4).name, "b");
        assert_eq!(cluster.total_gpus(), 40);
    }

    /// A group of `count` nodes of 4 GPUs, `domain` nodes per NVLink domain.
    fn rack_group(name: &str, count: u32, domain: u32) -> NodeGroup {
        let catalog = Catalog::builtin();
        let mut node_model = catalog.node("DGX-H100").unwrap().clone();
        node_model.gpus_per_node = 4;
        node_model.nvlink_domain_nodes = domain;
        let gpu_model = catalog.gpu(&node_model.gpu_model).unwrap().clone();
        NodeGroup {
            name: name.into(),
            gpus_per_node: 4,
            node_model,
            gpu_model,
            first_node: 0,
            node_count: count,
        }
    }

    #[test]
    fn nvlink_domains_cut_a_group_into_consecutive_racks_with_a_partial_last() {
        // 8 single-node domains, then 40 trays of 18 per rack: 18 + 18 + 4.
        let cluster =
            Cluster::from_groups(vec![rack_group("hgx", 8, 1), rack_group("nvl", 40, 18)]);
        let nvl = &cluster.groups[1];
        assert_eq!(nvl.first_node, 8);
        assert_eq!(nvl.nvlink_domain_gpus(), 72);
        assert_eq!(nvl.nvlink_domain_count(), 3);
        assert_eq!(nvl.nvlink_domain_of(8), 0);
        assert_eq!(nvl.nvlink_domain_of(25), 0);
        assert_eq!(nvl.nvlink_domain_of(26), 1);
        assert_eq!(nvl.nvlink_domain_of(47), 2);
        assert_eq!(nvl.nvlink_domain_len(2), 4, "partial last rack");
        assert_eq!(nvl.nvlink_domain_nodes_range(1), 26..44);
        assert_eq!(cluster.groups[0].nvlink_domain_gpus(), 4);
        let domains = cluster.nvlink_domains();
        assert_eq!(domains.len(), 8 + 3);
        assert_eq!(domains[7], 7..8);
        assert_eq!(domains[8], 8..26);
        assert_eq!(domains[10], 44..48);
        // Domains partition the nodes.
        let covered: u32 = domains.iter().map(|r| r.end - r.start).sum();
        assert_eq!(covered as usize, cluster.node_count());
        assert!(cluster.same_nvlink_domain(8, 25));
        assert!(!cluster.same_nvlink_domain(25, 26));
        assert!(
            !cluster.same_nvlink_domain(7, 8),
            "a domain never spans groups"
        );
        assert_eq!(
            cluster.nvlink_domain(30),
            NvlinkDomain { group: 1, index: 1 }
        );
        assert!(cluster.has_multi_node_nvlink_domains());
        let hgx_only = Cluster::from_groups(vec![rack_group("hgx", 8, 1)]);
        assert!(!hgx_only.has_multi_node_nvlink_domains());
        // A GPU without NVLink has no domain beyond its node.
        let mut pcie = rack_group("pcie", 36, 18);
        pcie.gpu_model = Catalog::builtin().gpu("L40S").unwrap().clone();
        assert_eq!(
            (pcie.nvlink_domain_nodes(), pcie.nvlink_domain_gpus()),
            (1, 4)
        );
    }

    #[test]
    fn nvlink_sharp_is_a_catalog_property_not_a_bandwidth_threshold() {
        let c = Catalog::builtin();
        for (gpu, nvls) in [
            ("H100-SXM-80GB", true),
            ("H200-SXM-141GB", true),
            ("B200", true),
            ("A100-SXM-80GB", false),
            ("A100-SXM-40GB", false),
            ("L40S", false),
            ("RTX-4090", false),
            ("GB200", true),
            ("GB300", true),
            ("H800-SXM-80GB", true),
            ("H20-96GB", true),
            ("A800-SXM-80GB", false),
        ] {
            assert_eq!(c.gpu(gpu).unwrap().nvlink_sharp, nvls, "{gpu}");
        }
        for n in &c.nodes {
            assert!(n.nvlink_domain_nodes >= 1, "{}", n.name);
        }
        // No GPU claims NVLS without NVLink.
        for g in &c.gpus {
            assert!(
                !g.nvlink_sharp || g.nvlink_bandwidth.is_some(),
                "{}",
                g.name
            );
        }
    }
}
