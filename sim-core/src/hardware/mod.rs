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
//! - node ids are dense `0..node_count` in group order, so they index arrays.

mod builtin;
pub mod hostlist;

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
    /// Board power limit (TDP / TGP).
    pub tdp_watts: u32,
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
    pub cpu_cores: u32,
    pub host_memory: Bytes,
    /// Maximum system power draw.
    pub max_power_watts: u32,
    /// An indicative purchase price of the whole system, where one is
    /// published or widely reported.
    pub purchase_price: Option<Usd>,
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
            gpus: builtin::gpus(),
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
        ] {
            assert!(catalog.gpu(gpu).is_some(), "missing GPU {gpu}");
        }
        for node in ["DGX-H100", "HGX-H200", "DGX-A100", "PCIe-8GPU"] {
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
}
