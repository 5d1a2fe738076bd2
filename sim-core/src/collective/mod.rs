//! Collective operations (all-reduce, all-gather, ...) over a set of GPUs:
//! what they are, how big they are, and how long they take.
//!
//! Sizes follow nccl-tests' `size` column: for all-reduce, broadcast and
//! send/recv the buffer each rank holds; for all-gather and reduce-scatter
//! the full (gathered) buffer; for all-to-all the whole buffer each rank
//! sends (its `n` slices together).

use serde::{Deserialize, Serialize};

/// A collective operation, named as NCCL names them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectiveOp {
    AllReduce,
    AllGather,
    ReduceScatter,
    AllToAll,
    Broadcast,
    SendRecv,
}

/// Where a collective's ranks sit, as far as its cost is concerned.
///
/// `ranks` GPUs take part, `ranks_per_node` of them on each node they
/// span (the same on every node). `concurrent_per_node` says how many
/// collectives of the same shape run at the same time on each node and
/// so share its NICs: the 8 data-parallel groups of a TP-8 job (one per
/// rail) are 8 concurrent collectives with one rank per node each.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupShape {
    pub ranks: u32,
    pub ranks_per_node: u32,
    pub concurrent_per_node: u32,
}

impl GroupShape {
    /// Nodes the group spans.
    pub fn nodes(&self) -> u32 {
        self.ranks.div_ceil(self.ranks_per_node.max(1))
    }
}
