//! NCCL's own constants, as `src/graph/tuning.cc` and `search.cc` of NCCL
//! 2.27.7 hold them: latencies per algorithm, protocol and hop
//! (`baseLat`, `hwLat`), the tree's per-size correction, LL's bandwidth
//! caps (`llMaxBws`), and the speeds its topology search tries per
//! channel. Nothing here is fitted: every number is NCCL's.
//!
//! Invariant: every table is indexed the way NCCL's is (an algorithm, a
//! protocol, a hop kind, a GPU generation), so a line here can be checked
//! against the line of NCCL it copies.

use crate::collective::{Algorithm, Protocol};
use crate::hardware::GpuModel;

/// The GPU generation, for NCCL's per-architecture constants (NCCL's
/// compute-capability index: Volta, Ampere, Hopper, Blackwell; Ada cards
/// use Ampere's row, as NCCL does for compute capability 8.9).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Arch {
    Ampere,
    Hopper,
    Blackwell,
}

impl Arch {
    /// The tables NCCL uses for a GPU, by its compute capability as NCCL
    /// picks them (`tuning.cc`: 100 and up Blackwell, 90 and up Hopper,
    /// else Ampere; Ada, 89, takes Ampere's).
    pub fn of(gpu: &GpuModel) -> Arch {
        match gpu.compute_capability {
            c if c >= 100 => Arch::Blackwell,
            c if c >= 90 => Arch::Hopper,
            _ => Arch::Ampere,
        }
    }

    /// NCCL's `llMaxBws` for one node (GB/s of bus bandwidth).
    pub(super) fn ll_max_one_node_gbytes(self) -> f64 {
        match self {
            Arch::Ampere => 87.7,
            Arch::Hopper => 141.0,
            Arch::Blackwell => 2.0 * 141.0,
        }
    }

    /// NVLS efficiency relative to Hopper's: NCCL's `nvlsEfficiency`
    /// ratio (NCCL 2.28+: Blackwell 0.74, Hopper 0.85).
    pub(super) fn nvls_relative_efficiency(self) -> f64 {
        match self {
            Arch::Blackwell => 0.74 / 0.85,
            _ => 1.0,
        }
    }

    /// A network channel's speed relative to Hopper's: the ratio of the
    /// tops of NCCL's inter-node search tables (SM100 96 GB/s, SM90 and
    /// earlier 48).
    pub(super) fn channel_speed_scale(self) -> f64 {
        match self {
            Arch::Blackwell => 2.0,
            _ => 1.0,
        }
    }

    /// The speeds NCCL's search tries per channel, fastest first
    /// (`search.cc`: `sm90SpeedArrayInter`, `sm100SpeedArrayInter`, and
    /// the `Intra` arrays for a system without NICs), GB/s.
    pub(super) fn speeds_gbytes(self, with_nics: bool) -> &'static [f64] {
        match (self, with_nics) {
            (Arch::Ampere, false) => &[40.0, 30.0, 20.0, 18.0, 15.0, 12.0, 10.0],
            (Arch::Ampere, true) => &[48.0, 30.0, 28.0, 24.0, 20.0, 18.0, 15.0, 12.0],
            (Arch::Hopper, false) => &[60.0, 50.0, 40.0, 30.0, 24.0, 20.0, 15.0, 12.0],
            (Arch::Hopper, true) => &[48.0, 45.0, 42.0, 40.0, 30.0, 24.0, 22.0, 20.0],
            (Arch::Blackwell, false) => &[90.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0],
            (Arch::Blackwell, true) => &[96.0, 48.0, 45.1, 42.0, 40.0, 30.0, 24.0],
        }
    }
}

/// What the latency of a pipeline step is charged to: NCCL's `hwLat` rows.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(super) enum Hop {
    NvLink,
    Pci,
    Net,
}

/// NCCL's `baseLat[algorithm][protocol]`, µs (tuning.cc, 2.27).
pub(super) fn base_latency_us(algorithm: Algorithm, protocol: Protocol) -> f64 {
    use Algorithm::*;
    match (algorithm, protocol) {
        (Tree, Protocol::Ll) => 6.8,
        (Ring, Protocol::Ll) => 6.6,
        (Tree | Ring, Protocol::Ll128) => 14.0,
        (Tree | Ring, Protocol::Simple) => 8.4,
        (Pat, _) => 8.0,
        (CollNetDirect | CollNetChain | Nvls | NvlsTree, _) => 0.0,
    }
}

/// NCCL's `hwLat[hop][algorithm][protocol]`, µs (tuning.cc, 2.27; PAT's
/// row from 2.23, where PAT arrived).
pub(super) fn hop_latency_us(hop: Hop, algorithm: Algorithm, protocol: Protocol) -> f64 {
    use Algorithm::*;
    let p = match protocol {
        Protocol::Ll => 0,
        Protocol::Ll128 => 1,
        Protocol::Simple => 2,
    };
    let row: [f64; 3] = match (hop, algorithm) {
        (Hop::NvLink, Tree) => [0.6, 1.25, 4.0],
        (Hop::NvLink, Ring) => [0.6, 1.9, 3.4],
        (Hop::NvLink, CollNetDirect) => [0.0, 0.0, 3.7],
        (Hop::NvLink, CollNetChain) => [0.0, 0.0, 2.8],
        (Hop::NvLink, Nvls | NvlsTree) => [0.0, 0.0, 25.0],
        (Hop::NvLink, Pat) => [0.0, 0.0, 4.0],
        (Hop::Pci, Tree) => [1.0, 1.9, 4.0],
        (Hop::Pci, Ring) => [1.0, 2.5, 5.7],
        (Hop::Pci, CollNetDirect) => [0.0, 0.0, 3.7],
        (Hop::Pci, CollNetChain) => [0.0, 0.0, 2.8],
        (Hop::Pci, Nvls | NvlsTree) => [0.0, 0.0, 0.0],
        (Hop::Pci, Pat) => [0.0, 0.0, 4.0],
        (Hop::Net, Tree) => [5.0, 8.5, 14.0],
        (Hop::Net, Ring) => [2.7, 4.0, 14.0],
        (Hop::Net, CollNetDirect) => [0.0, 0.0, 31.0],
        (Hop::Net, CollNetChain) => [0.0, 0.0, 30.0],
        (Hop::Net, Nvls) => [0.0, 0.0, 18.0],
        (Hop::Net, NvlsTree) => [0.0, 0.0, 14.0],
        (Hop::Net, Pat) => [0.0, 0.0, 14.0],
    };
    row[p]
}

/// The protocol factors of NCCL's tuner (tuning.cc: `busBw * .5` for LL,
/// `busBw * 0.92` for LL128 rings).
pub(super) fn tuner_protocol_factor(protocol: Protocol) -> f64 {
    match protocol {
        Protocol::Ll128 => 0.92,
        Protocol::Ll => 0.5,
        Protocol::Simple => 1.0,
    }
}

/// NCCL's `treeCorrectionFactor[protocol][log2(size / 64)]`: trees fall
/// short of their model at medium sizes (tuning.cc).
pub(super) fn tree_correction(protocol: Protocol, size_bytes: f64) -> f64 {
    const LL: [f64; 23] = [
        1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 0.7, 0.7, 0.7, 0.7, 0.6, 0.5, 0.4, 0.4, 0.5, 0.6, 0.7, 0.8,
        0.9, 1.0, 1.0, 1.0, 1.0,
    ];
    const LL128: [f64; 23] = [
        1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.8, 0.9,
        0.9, 0.9, 0.9, 1.0, 1.0,
    ];
    const SIMPLE: [f64; 23] = [
        0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.7, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0.6, 0.7, 0.8,
        0.7, 0.7, 0.8, 0.9, 0.9,
    ];
    let chunks = (size_bytes / 64.0).floor();
    if chunks < 1.0 {
        return 1.0;
    }
    let log = chunks.log2().floor() as usize;
    let table = match protocol {
        Protocol::Ll => &LL,
        Protocol::Ll128 => &LL128,
        Protocol::Simple => &SIMPLE,
    };
    table.get(log).copied().unwrap_or(1.0)
}
