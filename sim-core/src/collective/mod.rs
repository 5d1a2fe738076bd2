//! Collective operations (all-reduce, all-gather, ...) over a set of GPUs:
//! what they are, how they are carried out, and how long they take.
//!
//! Two fidelity modes share the vocabulary of this module:
//! - [`analytic`]: NCCL's own cost model (latency + bytes / bandwidth of
//!   the bottleneck), with the algorithm and protocol picked by size as
//!   NCCL's tuner picks them. Cheap enough to call for every step of every
//!   training job.
//! - [`flows`]: the collective becomes flows on the fabric, so it shares
//!   links with whatever else runs ([`crate::fabric::FlowModel`]).
//!
//! Sizes follow nccl-tests' `size` column: for all-reduce, broadcast and
//! send/recv the buffer each rank holds; for all-gather and reduce-scatter
//! the full (gathered) buffer; for all-to-all the whole buffer each rank
//! sends (its `n` slices together).
//!
//! Invariants:
//! - every time is finite and positive for a group of two or more ranks,
//!   and zero for a single rank (nothing moves);
//! - `bus_bandwidth = algorithm_bandwidth × bus_factor(op, n)` with
//!   nccl-tests' factors, so printed figures compare one to one with
//!   nccl-tests output.

pub mod analytic;
pub mod flows;
pub mod sweep;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A collective operation, named as NCCL names them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectiveOp {
    AllReduce,
    AllGather,
    ReduceScatter,
    AllToAll,
    Broadcast,
    SendRecv,
}

impl CollectiveOp {
    pub const ALL: [CollectiveOp; 6] = [
        CollectiveOp::AllReduce,
        CollectiveOp::AllGather,
        CollectiveOp::ReduceScatter,
        CollectiveOp::AllToAll,
        CollectiveOp::Broadcast,
        CollectiveOp::SendRecv,
    ];

    /// nccl-tests' name (`all_reduce`, ...), also the CLI spelling.
    pub fn name(self) -> &'static str {
        match self {
            CollectiveOp::AllReduce => "all_reduce",
            CollectiveOp::AllGather => "all_gather",
            CollectiveOp::ReduceScatter => "reduce_scatter",
            CollectiveOp::AllToAll => "all_to_all",
            CollectiveOp::Broadcast => "broadcast",
            CollectiveOp::SendRecv => "sendrecv",
        }
    }

    /// nccl-tests' busbw factor (doc/PERFORMANCE.md of nccl-tests): the
    /// ratio of bus bandwidth to algorithm bandwidth over `ranks` GPUs.
    /// All-reduce moves 2(n-1)/n of the buffer through each rank's link;
    /// all-gather, reduce-scatter and all-to-all (n-1)/n; broadcast and
    /// send/recv the buffer once.
    pub fn bus_factor(self, ranks: u32) -> f64 {
        let n = f64::from(ranks.max(1));
        match self {
            CollectiveOp::AllReduce => 2.0 * (n - 1.0) / n,
            CollectiveOp::AllGather | CollectiveOp::ReduceScatter | CollectiveOp::AllToAll => {
                (n - 1.0) / n
            }
            CollectiveOp::Broadcast | CollectiveOp::SendRecv => 1.0,
        }
    }
}

impl fmt::Display for CollectiveOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CollectiveOp {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let wanted = s.replace('-', "_").to_ascii_lowercase();
        CollectiveOp::ALL
            .into_iter()
            .find(|op| op.name() == wanted || op.name().replace('_', "") == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = CollectiveOp::ALL.iter().map(|op| op.name()).collect();
                format!("unknown collective `{s}`; use one of {}", names.join(", "))
            })
    }
}

/// How a run simulates training jobs' collectives.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fidelity {
    /// NCCL's cost model on the job's placement: cheap, no contention
    /// between jobs.
    Analytic,
    /// Flows on the fabric, max-min fair with every other job's flows.
    Flow,
}

/// How a collective is carried out: NCCL's algorithms (`NCCL_ALGO`
/// names them `Ring`, `Tree`, `CollnetDirect`, `CollnetChain`, `NVLS`,
/// `NVLSTree`, `PAT`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// A ring through every rank (NCCL's rings run inside a node over
    /// NVLink and leave it through one NIC per channel).
    Ring,
    /// NCCL's double binary tree across nodes, a chain inside each node;
    /// all-reduce only, latency logarithmic in the node count.
    Tree,
    /// In-network reduction (SHARP switches): each node's GPUs reduce
    /// directly over NVLink and one message per NIC goes up the switch
    /// tree; needs CollNet.
    CollNetDirect,
    /// CollNet with a chain inside the node.
    CollNetChain,
    /// NVLink SHARP: the NVSwitch reduces in the switch (Hopper and
    /// later); inside one NVLink domain (across nodes only with CollNet).
    Nvls,
    /// NVLS inside each node, a tree across nodes.
    NvlsTree,
    /// Parallel aggregated trees: all-gather and reduce-scatter with one
    /// GPU per node, latency logarithmic in the node count (NCCL 2.23+).
    Pat,
}

impl Algorithm {
    pub const ALL: [Algorithm; 7] = [
        Algorithm::Ring,
        Algorithm::Tree,
        Algorithm::CollNetDirect,
        Algorithm::CollNetChain,
        Algorithm::Nvls,
        Algorithm::NvlsTree,
        Algorithm::Pat,
    ];

    /// The CLI and output spelling: NCCL's `NCCL_ALGO` names, lower case.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Ring => "ring",
            Algorithm::Tree => "tree",
            Algorithm::CollNetDirect => "collnetdirect",
            Algorithm::CollNetChain => "collnetchain",
            Algorithm::Nvls => "nvls",
            Algorithm::NvlsTree => "nvlstree",
            Algorithm::Pat => "pat",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let wanted = s.replace(['_', '-'], "").to_ascii_lowercase();
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
                let hint = if wanted == "hierarchical" {
                    " (hierarchical is not an NCCL algorithm: NCCL's two-level all-reduce is nvlstree, or tree across nodes)"
                } else {
                    ""
                };
                format!("unknown algorithm `{s}`; use one of {}{hint}", names.join(", "))
            })
    }
}

/// NCCL's wire protocols: LL (8-byte stores with a 4-byte flag, lowest
/// latency, half the bandwidth), LL128 (128-byte lines with 8 bytes of
/// flags) and Simple (bulk copies with fences, full bandwidth, highest
/// latency).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    Ll,
    Ll128,
    Simple,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Ll, Protocol::Ll128, Protocol::Simple];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Ll => "LL",
            Protocol::Ll128 => "LL128",
            Protocol::Simple => "Simple",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown protocol `{s}`; use one of LL, LL128, Simple"))
    }
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
    /// `nodes` whole nodes of `gpus_per_node` GPUs each, one collective.
    pub fn whole_nodes(nodes: u32, gpus_per_node: u32) -> Self {
        GroupShape {
            ranks: nodes * gpus_per_node,
            ranks_per_node: gpus_per_node,
            concurrent_per_node: 1,
        }
    }

    /// Nodes the group spans.
    pub fn nodes(&self) -> u32 {
        self.ranks.div_ceil(self.ranks_per_node.max(1))
    }
}

/// One collective's cost and how it was carried out.
#[derive(Copy, Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub time_s: f64,
    pub algorithm: Algorithm,
    pub protocol: Protocol,
}

impl Estimate {
    /// nccl-tests' algbw: size / time, in bytes per second.
    pub fn algorithm_bandwidth(&self, size_bytes: f64) -> f64 {
        if self.time_s > 0.0 {
            size_bytes / self.time_s
        } else {
            0.0
        }
    }
}
