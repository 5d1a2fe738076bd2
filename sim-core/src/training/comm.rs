//! The seam between the training step and the collective layer: the
//! [`CommModel`] trait, and [`AlphaBeta`], a simple stand-in implementation
//! `clustersim plan` uses until `crate::collective`'s analytic model lands.
//!
//! Invariant: a group of one rank costs nothing; every time is finite and
//! non-negative for positive bandwidths.

use crate::collective::{CollectiveOp, GroupShape};
use crate::hardware::{GpuModel, NodeModel};

/// How long collectives take; `crate::collective` provides the real one.
pub trait CommModel {
    /// Seconds for one collective of `bytes` (nccl-tests' size convention,
    /// see crate::collective) over ranks laid out as `shape`.
    fn collective_s(&self, op: CollectiveOp, bytes: f64, shape: GroupShape) -> f64;
}

/// Ring/hierarchical alpha-beta costs: a phase inside the node over
/// NVLink, then a phase across nodes over the node's NICs, which the
/// `concurrent_per_node` groups of a node share.
///
/// Data moved per rank follows the ring algorithms (nccl-tests' bus
/// bandwidth factors): all-reduce 2(n−1)/n of the buffer, all-gather and
/// reduce-scatter (n−1)/n of the full buffer, all-to-all (n−1)/n of what a
/// rank sends, broadcast and send/recv the whole buffer. All-to-all's
/// NVLink and NIC traffic overlap; the other collectives' phases run one
/// after the other (reduce-scatter in the node, across, gather in the node).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct AlphaBeta {
    /// Achievable bytes/s per GPU, one direction, inside a node.
    pub intra_bytes_per_s: f64,
    /// Achievable bytes/s of all of a node's compute NICs together, one
    /// direction.
    pub node_nic_bytes_per_s: f64,
    /// Fixed cost of a collective inside a node.
    pub intra_latency_s: f64,
    /// Added per doubling of the node count (tree-like latency).
    pub inter_latency_s: f64,
}

impl AlphaBeta {
    /// Fraction of NVLink's one-way bandwidth NCCL achieves as bus
    /// bandwidth. An estimate: nccl-tests all-reduce on DGX A100 reaches
    /// about 230 GB/s of 300, on DGX H100 about 360-370 GB/s of 450
    /// without NVLink SHARP (NVIDIA's published nccl-tests results and
    /// user reports; not a measurement of ours).
    pub const NVLINK_EFFICIENCY: f64 = 0.8;
    /// Fraction of the NICs' line rate achieved as bus bandwidth across
    /// nodes. An estimate from the same kind of nccl-tests reports (about
    /// 180-190 GB/s per 8x200G HDR node, 8x400G NDR about 350-380 GB/s).
    pub const NIC_EFFICIENCY: f64 = 0.9;
    /// PCIe Gen4 x16 one-way, for GPUs without NVLink (an assumption:
    /// half of the 64 GB/s bidirectional figure, less protocol overhead).
    pub const PCIE_BYTES_PER_S: f64 = 25e9;
    /// Latency constants, estimates of NCCL's small-message times.
    pub const INTRA_LATENCY_S: f64 = 10e-6;
    pub const INTER_LATENCY_S: f64 = 10e-6;

    /// From the catalog: NVLink (both directions summed, as NVIDIA quotes
    /// it, so halved) and the node's compute NICs.
    pub fn from_catalog(gpu: &GpuModel, node: &NodeModel) -> Self {
        let intra = gpu.nvlink_bandwidth.map_or(Self::PCIE_BYTES_PER_S, |b| {
            b.bytes_per_s_f64() / 2.0 * Self::NVLINK_EFFICIENCY
        });
        let nic = node.nic_bandwidth.bytes_per_s_f64()
            * f64::from(node.compute_nics)
            * Self::NIC_EFFICIENCY;
        AlphaBeta {
            intra_bytes_per_s: intra,
            node_nic_bytes_per_s: nic,
            intra_latency_s: Self::INTRA_LATENCY_S,
            inter_latency_s: Self::INTER_LATENCY_S,
        }
    }
}

/// Share of the buffer each rank moves in a ring over `n` ranks.
fn ring_fraction(op: CollectiveOp, n: f64) -> f64 {
    match op {
        CollectiveOp::AllReduce => 2.0 * (n - 1.0) / n,
        CollectiveOp::AllGather | CollectiveOp::ReduceScatter | CollectiveOp::AllToAll => {
            (n - 1.0) / n
        }
        CollectiveOp::Broadcast | CollectiveOp::SendRecv => 1.0,
    }
}

impl CommModel for AlphaBeta {
    fn collective_s(&self, op: CollectiveOp, bytes: f64, shape: GroupShape) -> f64 {
        if shape.ranks <= 1 || bytes <= 0.0 {
            return 0.0;
        }
        let n = f64::from(shape.ranks);
        let r = f64::from(shape.ranks_per_node.clamp(1, shape.ranks));
        let k = f64::from(shape.nodes());
        let c = f64::from(shape.concurrent_per_node.max(1));
        let latency = self.intra_latency_s + self.inter_latency_s * k.log2().ceil().max(0.0);
        if k <= 1.0 {
            return ring_fraction(op, n) * bytes / self.intra_bytes_per_s + latency;
        }
        match op {
            CollectiveOp::AllToAll => {
                let intra = bytes * (r - 1.0) / n / self.intra_bytes_per_s;
                let inter = r * c * bytes * (n - r) / n / self.node_nic_bytes_per_s;
                intra.max(inter) + latency
            }
            CollectiveOp::SendRecv => r * c * bytes / self.node_nic_bytes_per_s + latency,
            _ => {
                let intra = if r > 1.0 {
                    ring_fraction(op, r) * bytes / self.intra_bytes_per_s
                } else {
                    0.0
                };
                let inter = ring_fraction(op, k) * bytes * c / self.node_nic_bytes_per_s;
                intra + inter + latency
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Catalog;

    fn dgx_h100() -> AlphaBeta {
        let c = Catalog::builtin();
        AlphaBeta::from_catalog(c.gpu("H100-SXM-80GB").unwrap(), c.node("DGX-H100").unwrap())
    }

    #[test]
    fn ring_all_reduce_inside_a_node_is_the_closed_form() {
        // Ring all-reduce: 2(n-1)/n · M / B + latency (Patarasuk & Yuan
        // 2009; nccl-tests' busbw factor).
        let ab = dgx_h100();
        let shape = GroupShape {
            ranks: 8,
            ranks_per_node: 8,
            concurrent_per_node: 1,
        };
        let m = 1e9;
        let t = ab.collective_s(CollectiveOp::AllReduce, m, shape);
        let b = 450e9 * AlphaBeta::NVLINK_EFFICIENCY;
        assert!((t - (2.0 * 7.0 / 8.0 * m / b + 10e-6)).abs() < 1e-12);
    }

    #[test]
    fn rail_groups_share_the_node_nics() {
        // TP8 on DGX H100: each DP group has one rank per node, 8 groups
        // per node, so each gets one 400G NIC's worth.
        let ab = dgx_h100();
        let shape = GroupShape {
            ranks: 4,
            ranks_per_node: 1,
            concurrent_per_node: 8,
        };
        let m = 1e9;
        let t = ab.collective_s(CollectiveOp::AllReduce, m, shape);
        let per_gpu = 50e9 * AlphaBeta::NIC_EFFICIENCY;
        let expected = 2.0 * 3.0 / 4.0 * m / per_gpu + 10e-6 + 2.0 * 10e-6;
        assert!((t - expected).abs() < 1e-9, "{t} vs {expected}");
        let single = GroupShape {
            ranks: 1,
            ranks_per_node: 1,
            concurrent_per_node: 8,
        };
        assert_eq!(ab.collective_s(CollectiveOp::AllReduce, m, single), 0.0);
    }
}
