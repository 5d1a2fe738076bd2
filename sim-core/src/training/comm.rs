//! The seam between the training step and the collective layer: the
//! [`CommModel`] trait. The analytic collective model
//! ([`crate::collective::analytic::Nccl`]) implements it; the simulation
//! binds it to each job's placement, and `clustersim plan` to a whole
//! non-blocking cluster.
//!
//! Invariant: a group of one rank costs nothing; every time is finite and
//! non-negative.

use crate::collective::analytic::Nccl;
use crate::collective::{CollectiveOp, GroupShape};

/// How long collectives take.
pub trait CommModel {
    /// Seconds for one collective of `bytes` (nccl-tests' size convention,
    /// see crate::collective) over ranks laid out as `shape`.
    fn collective_s(&self, op: CollectiveOp, bytes: f64, shape: GroupShape) -> f64;
}

impl CommModel for Nccl {
    fn collective_s(&self, op: CollectiveOp, bytes: f64, shape: GroupShape) -> f64 {
        if bytes <= 0.0 {
            return 0.0;
        }
        self.time_s(op, bytes, shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collective::analytic::{Links, Params};
    use crate::hardware::Catalog;

    fn dgx_h100() -> Nccl {
        let c = Catalog::builtin();
        Nccl::new(Links::for_models(
            c.gpu("H100-SXM-80GB").unwrap(),
            c.node("DGX-H100").unwrap(),
            8,
        ))
    }

    #[test]
    fn rail_groups_get_one_nic_each_and_single_ranks_cost_nothing() {
        // TP8 on DGX H100: each DP group has one rank per node, 8 groups
        // per node, so each rides one 400G NIC (at what its ring channels
        // move); a ring over 4 nodes moves 2·3/4 of the buffer through
        // it, plus NCCL's latency term.
        let comm = dgx_h100();
        let shape = GroupShape {
            ranks: 4,
            ranks_per_node: 1,
            concurrent_per_node: 8,
        };
        let m = 16e9;
        let t = comm.collective_s(CollectiveOp::AllReduce, m, shape);
        let per_gpu = Params::default().per_nic_bytes_per_s(&comm.links);
        let bandwidth_term = 2.0 * 3.0 / 4.0 * m / per_gpu;
        assert!(
            t > bandwidth_term && t < bandwidth_term * 1.01,
            "{t} vs {bandwidth_term}"
        );
        let single = GroupShape { ranks: 1, ..shape };
        assert_eq!(comm.collective_s(CollectiveOp::AllReduce, m, single), 0.0);
        assert_eq!(comm.collective_s(CollectiveOp::AllReduce, 0.0, shape), 0.0);
    }
}
