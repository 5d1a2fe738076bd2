//! The analytic cost model: NCCL's own.
//!
//! A collective of `M` bytes takes `latency + M / algorithm_bandwidth`.
//! This module follows the structure of NCCL's tuner (`src/graph/tuning.cc`,
//! `ncclTopoTuneModel` and `ncclTopoGetAlgoTime`, NCCL 2.27.7): the same
//! algorithms (Ring, Tree, CollNet Direct and Chain, NVLS, NVLS Tree, PAT),
//! the same rules for which one may carry which operation on which
//! topology, NCCL's latency constants (`baseLat`, `hwLat`), its protocol
//! refinements (LL at half the bus rate under `llMaxBws`, LL128 at 0.92,
//! trees at 0.92 with their per-size correction) and its bus-to-algorithm
//! bandwidth conversions. [`estimate`] with no forced choice picks the
//! fastest (algorithm, protocol), as the tuner does.
//!
//! Where NCCL's tuner reads bandwidths from its topology search
//! (`bwIntra`, `bwInter`, channel counts), this model derives them from
//! the hardware ([`Links`]) with efficiencies calibrated on published
//! measurements ([`Params::default`] says which); NVLS's channel count
//! and per-channel speed follow NCCL's search (`search.cc`: one NVLS
//! channel per GPU, at most 32, at the fastest speed of NCCL's speed table
//! the GPU's NVLink can carry), which is why NVLS loses to the ring on 4
//! GPUs of an 8-GPU H100 node and wins on 8. Choosing and costing are
//! kept apart, as in NCCL: the tuner chooses on its own figures (the
//! speeds of its search tables, NVLink at NCCL's per-link rate), and the
//! chosen pair then takes what the calibrated hardware figures give.
//!
//! All-to-all and send/recv are NCCL point-to-point operations (no tuner):
//! their cost is the slowest of the NVLink and network volumes, and
//! across nodes on a rail-optimized fabric PXN (NCCL's default) moves a
//! message through NVLink to the GPU on the destination's rail so that it
//! stays under one leaf; without PXN (`NCCL_PXN_DISABLE=1`,
//! `NCCL_P2P_PXN_LEVEL=0`) a message between rails crosses the spine.
//!
//! A "node" here is an NVLink domain: the GPUs that reach each other over
//! NVLink (one 8-GPU server, or the 72 GPUs of a GB200 NVL72 rack, which
//! NCCL treats as one node through MNNVL).
//!
//! Invariants: times are finite and positive for two or more ranks, zero
//! for one; for a fixed algorithm and protocol, time grows with size; an
//! algorithm that NCCL would not run on a group is never chosen.

use crate::fabric::Fabric;
use crate::hardware::{GpuModel, NodeGroup, NodeModel};

use super::{Algorithm, CollectiveOp, Estimate, GroupShape, Protocol};

mod nccl;
mod p2p;

pub use nccl::Arch;
use nccl::{Hop, base_latency_us, hop_latency_us, tree_correction, tuner_protocol_factor};

/// The hardware under a group, as data rates per direction.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Links {
    /// GPU-to-GPU rate inside a node per GPU and direction: half the
    /// NVLink figure NVIDIA quotes (both directions summed), or PCIe.
    pub intra_bytes_per_s: f64,
    /// Whether `intra_bytes_per_s` is NVLink (else PCIe, with PCIe's
    /// latencies and no in-switch reduction).
    pub nvlink: bool,
    /// NVLink SHARP (in-switch reduction): the GPU model's catalog
    /// property `nvlink_sharp`.
    pub nvls: bool,
    /// The GPU generation, for NCCL's per-architecture constants.
    pub arch: Arch,
    /// GPUs per node, a node being an NVLink domain (one server, or the
    /// 18 trays of an NVL72 rack): the physical count, whatever the group
    /// uses.
    pub gpus_per_node: u32,
    /// Compute NICs per node (NVLink domain) and the data rate of each.
    pub nics_per_node: u32,
    pub nic_bytes_per_s: f64,
    /// What the fabric leaves of the NIC rate between the group's nodes:
    /// 1 on a non-blocking fabric or under one leaf, less when the group
    /// crosses oversubscribed uplinks.
    pub fabric_factor: f64,
    /// One-way latency the fabric adds per network step (switch hops and
    /// cables), in seconds: NCCL's `latencyInter`.
    pub fabric_latency_s: f64,
    /// The fabric's switches reduce in the network (SHARP): NCCL's CollNet
    /// algorithms may run (`NCCL_COLLNET_ENABLE=1` with the SHARP plugin).
    pub collnet: bool,
    /// Point-to-point messages between rails go through PXN (NCCL's
    /// default, `NCCL_P2P_PXN_LEVEL=2`); false as with
    /// `NCCL_PXN_DISABLE=1`.
    pub pxn: bool,
    /// What a rail-optimized fabric leaves of the NIC rate for a message
    /// that changes rails without PXN (it crosses the spine), and the
    /// latency that adds; 1 and 0 on other fabrics, where every message
    /// takes the same path.
    pub cross_rail_factor: f64,
    pub cross_rail_latency_s: f64,
}

/// PCIe Gen4 x16 per direction, for GPUs without NVLink (L40S, RTX 4090
/// are Gen4 cards): 16 GT/s × 16 lanes × 128/130 ≈ 31.5 GB/s.
pub const PCIE_GEN4_X16_BYTES_PER_S: f64 = 31.5e9;

impl Links {
    /// The links of one node group's nodes on a non-blocking fabric.
    pub fn for_node_group(group: &NodeGroup) -> Links {
        Links::for_models(&group.gpu_model, &group.node_model, group.gpus_per_node)
    }

    /// The links of `node` servers holding `gpus_per_node` `gpu`s each, on
    /// a non-blocking fabric. Servers that share an NVLink domain
    /// ([`NodeModel::nvlink_domain_nodes`]) count as one node of the
    /// domain's GPUs and NICs.
    pub fn for_models(gpu: &GpuModel, node: &NodeModel, gpus_per_node: u32) -> Links {
        let nvlink = gpu.nvlink_bandwidth.filter(|b| b.bytes_per_s_f64() > 0.0);
        let domain = if nvlink.is_some() {
            node.nvlink_domain_nodes.max(1)
        } else {
            1
        };
        Links {
            intra_bytes_per_s: nvlink
                .map_or(PCIE_GEN4_X16_BYTES_PER_S, |b| b.bytes_per_s_f64() / 2.0),
            nvlink: nvlink.is_some(),
            nvls: supports_nvls(gpu),
            arch: Arch::of(gpu),
            gpus_per_node: gpus_per_node * domain,
            nics_per_node: node.compute_nics * domain,
            nic_bytes_per_s: node.nic_bandwidth.bytes_per_s_f64(),
            fabric_factor: 1.0,
            fabric_latency_s: 0.0,
            collnet: false,
            pxn: true,
            cross_rail_factor: 1.0,
            cross_rail_latency_s: 0.0,
        }
    }
}

impl Links {
    /// These links on `fabric`, for a group whose nodes sit under
    /// `leaf_switches` leaf switches: NICs run at the slower of their rate
    /// and the fabric's links; a group across leaves meets the fabric's
    /// worst oversubscription and two more switches per network step (up
    /// to a spine and down). On a rail-optimized fabric (a node's NICs on
    /// different leaves) a point-to-point message that changes rails
    /// without PXN meets the same.
    pub fn on_fabric(self, fabric: &Fabric, leaf_switches: u32) -> Links {
        let oversubscription = fabric.oversubscription().worst().max(1.0);
        let spine_s = 2.0 * fabric.preset().switch_latency_ns as f64 * 1e-9;
        let across = leaf_switches > 1;
        let rails = fabric.node_count() > 0
            && fabric.nics_of(0) > 1
            && fabric.leaf_of_nic(fabric.nic(0, 0)) != fabric.leaf_of_nic(fabric.nic(0, 1));
        Links {
            nic_bytes_per_s: self.nic_bytes_per_s.min(fabric.preset().bytes_per_s()),
            fabric_factor: if across { 1.0 / oversubscription } else { 1.0 },
            fabric_latency_s: if across { spine_s } else { 0.0 },
            cross_rail_factor: if rails { 1.0 / oversubscription } else { 1.0 },
            cross_rail_latency_s: if rails { spine_s } else { 0.0 },
            ..self
        }
    }
}

/// The analytic model on one set of links: what a training job's step
/// asks of its collectives. The tuner chooses, unless `forced` names an
/// algorithm or protocol (a scenario's `NCCL_ALGO`/`NCCL_PROTO`); a forced
/// choice that cannot carry an operation (a tree for an all-gather) falls
/// back to the tuner for that operation, as NCCL does.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Nccl {
    pub links: Links,
    pub params: Params,
    pub forced: Choice,
}

impl Nccl {
    pub fn new(links: Links) -> Nccl {
        Nccl {
            links,
            params: Params::default(),
            forced: Choice::default(),
        }
    }

    /// The algorithm and protocol this collective runs with, and its time.
    pub fn estimate(
        &self,
        op: CollectiveOp,
        size_bytes: f64,
        shape: GroupShape,
    ) -> Option<Estimate> {
        // A forced algorithm that cannot run this call falls back to the tuner.
        let with = |choice| estimate(op, size_bytes, shape, &self.links, &self.params, choice);
        with(self.forced).or_else(|| with(Choice::default()))
    }

    pub fn time_s(&self, op: CollectiveOp, size_bytes: f64, shape: GroupShape) -> f64 {
        self.estimate(op, size_bytes, shape)
            .map_or(0.0, |e| e.time_s)
    }
}

/// NVLink SHARP is a property of the NVSwitch generation the GPU model
/// ships with (third-generation NVSwitch, Hopper, and later, including
/// the H800's 400 GB/s NVLink), recorded in the catalog as
/// `nvlink_sharp`; a GPU without NVLink never has it.
pub fn supports_nvls(gpu: &GpuModel) -> bool {
    gpu.nvlink_sharp && gpu.nvlink_bandwidth.is_some()
}

/// Efficiencies of the model, each calibrated on one published
/// measurement (the validation points are elsewhere: see
/// `docs/validation.md`). NCCL's own constants (latencies, protocol
/// factors) are in the functions that use them.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Params {
    /// Fraction of the NVLink line rate a ring achieves with the Simple
    /// protocol. Calibrated: nccl-tests issue #212 (S. Jeaugey, NVIDIA,
    /// 2024-05-06): 8×H100 ring all-reduce reaches a busbw of about
    /// 370 GB/s of the 450 GB/s line rate, "protocol overhead ~20%"
    /// (and NCCL's own figure: 18 NVLinks × `SM90_NVLINK_BW` 20.6 GB/s).
    pub nvlink_efficiency: f64,
    /// Fraction of a NIC's line rate NCCL achieves across nodes.
    /// Calibrated: NCCL issue #812 (D. Addison, NVIDIA, 2023-03-31): a
    /// DGX-A100 with 8×200 Gb/s InfiniBand measures 192 GB/s all-reduce
    /// busbw across nodes, 0.96 of 8 × 25 GB/s.
    pub nic_efficiency: f64,
    /// NVLS all-reduce algorithm bandwidth inside one node as a fraction
    /// of the NVLink rate per direction, on Hopper (Blackwell's is lower
    /// in NCCL's own ratio, 0.74/0.85). Calibrated: nccl-tests issue
    /// #212: 8×H100 with NVLink SHARP peak at algbw ≈ 275 GB/s, of
    /// 450 GB/s.
    pub nvls_efficiency: f64,
    /// NVLS Tree's algorithm bandwidth across nodes as a fraction of its
    /// bottleneck (the NVLink inside, the NICs across). NCCL's tuner
    /// uses 5/6 (`tuning.cc`); calibrated: see [`Params::default`].
    pub nvls_tree_efficiency: f64,
    /// PCIe efficiency for GPUs without NVLink (an estimate: the usual
    /// 80% of line rate after TLP overhead).
    pub pcie_efficiency: f64,
    /// Ring channels per NIC across nodes: NCCL's search finds one ring
    /// per NIC and duplicates them (`ncclTopoPostset`), so 2 by default;
    /// `NCCL_MIN_NCHANNELS` / `NCCL_MIN_CTAS` raise it.
    pub channels_per_nic: u32,
    /// What one ring channel (one CTA and its network proxy) moves
    /// through a NIC on Hopper, bytes per second; Blackwell's is twice it
    /// (NCCL's SM100 search tables top at 96 GB/s where SM90's top at
    /// 48). Calibrated: 4 × 8 H100 on 8 × 400G NDR InfiniBand,
    /// all-reduce busbw 330.93 GB/s at 8 GiB with NCCL 2.24.3 (Voltage
    /// Park benchmark, github.com/ZiyanIshani/vpbenchmarking,
    /// results/nccl/nccl_multinode/nccl_allreduce_20260224_225706.txt):
    /// 16 channels, 20.7 GB/s each.
    pub net_channel_bytes_per_s: f64,
}

impl Params {
    /// NVLS all-reduce algorithm bandwidth inside one node as a fraction
    /// of the NVLink rate per direction, for this GPU generation.
    pub fn nvls_algbw_fraction(&self, links: &Links) -> f64 {
        self.nvls_efficiency * links.arch.nvls_relative_efficiency()
    }

    /// What one NIC delivers to a ring across nodes: its line rate times
    /// the NIC efficiency, or what its channels move, whichever is less.
    pub fn per_nic_bytes_per_s(&self, links: &Links) -> f64 {
        let channels = f64::from(self.channels_per_nic.max(1))
            * self.net_channel_bytes_per_s
            * links.arch.channel_speed_scale();
        (links.nic_bytes_per_s * self.nic_efficiency).min(channels)
    }
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nvlink_efficiency: 370.0 / 450.0,
            nic_efficiency: 192.0 / 200.0,
            nvls_efficiency: 275.0 / 450.0,
            // 2 × 8 H100, 8 × 400G per node, NVLS on: all-reduce busbw
            // "~430" GB/s (NCCL issue #1221, 2024-03-13, NCCL 2.19.3): an
            // algbw of 430 × 16/30 on the NICs' 330.93 GB/s (what the
            // calibrated channels give a node's 8 NICs).
            nvls_tree_efficiency: 430.0 * 16.0 / 30.0 / 330.93,
            pcie_efficiency: 0.8,
            channels_per_nic: 2,
            net_channel_bytes_per_s: 330.93e9 / 16.0,
        }
    }
}

/// The share of a link's rate a protocol delivers on the hardware: LL
/// moves 8-byte lines of which 4 are flags, LL128 128-byte lines of which
/// 8 are flags (120/128), Simple all of it. NCCL's tuner rates LL128 at
/// 0.92.
pub fn protocol_factor(protocol: Protocol) -> f64 {
    match protocol {
        Protocol::Ll => 0.5,
        Protocol::Ll128 => 120.0 / 128.0,
        Protocol::Simple => 1.0,
    }
}

/// A forced algorithm or protocol; `None` lets the tuner choose.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    pub algorithm: Option<Algorithm>,
    pub protocol: Option<Protocol>,
}

/// Whether NCCL would run `algorithm` for `op` on this group and
/// hardware (tuning.cc's per-function filters and its enable rules;
/// enqueue.cc's support checks):
/// - broadcast runs Ring only; all-gather and reduce-scatter Ring, PAT,
///   NVLS and CollNet Direct; all-reduce everything but PAT;
/// - Tree is all-reduce; NVLS Tree needs several nodes;
/// - NVLS needs NVLink SHARP and more than two GPUs on the node, and
///   across nodes CollNet (SHARP switches) as well;
/// - PAT needs one GPU per node;
/// - CollNet needs SHARP switches and several nodes; CollNet Direct an
///   NVSwitch node (NVLink) with at most 8 GPUs, and for all-gather and
///   reduce-scatter one NIC per GPU;
/// - all-to-all and send/recv are point-to-point: Ring stands for them.
pub fn applies(op: CollectiveOp, algorithm: Algorithm, shape: GroupShape, links: &Links) -> bool {
    use Algorithm::*;
    use CollectiveOp::*;
    let nodes = shape.nodes();
    let ppn = shape.ranks_per_node.min(shape.ranks).max(1);
    let op_allows = match op {
        AllReduce => algorithm != Pat,
        AllGather | ReduceScatter => matches!(algorithm, Ring | Pat | Nvls | CollNetDirect),
        Broadcast | AllToAll | SendRecv => algorithm == Ring,
    };
    op_allows
        && match algorithm {
            Ring | Tree => true,
            NvlsTree => links.nvls && nodes > 1 && ppn > 2,
            Nvls => links.nvls && ppn > 2 && (nodes == 1 || links.collnet),
            Pat => nodes == shape.ranks && nodes > 1,
            CollNetDirect => {
                links.collnet
                    && nodes > 1
                    && links.nvlink
                    && ppn <= 8
                    && (op == AllReduce || ppn <= links.nics_per_node.max(1))
            }
            CollNetChain => links.collnet && nodes > 1,
        }
}

/// Whether NCCL enables LL128 by default here: on NVLink nodes only
/// (tuning.cc: the intra-node path must be NVLink, `typeIntra <=
/// PATH_NVB`).
fn ll128_enabled(links: &Links) -> bool {
    links.nvlink
}

/// The (algorithm, protocol) NCCL's tuner would pick for this collective
/// (the fastest on its own figures), or the forced one, with the time it
/// takes on the hardware. `None` when a forced algorithm does not apply.
pub fn estimate(
    op: CollectiveOp,
    size_bytes: f64,
    shape: GroupShape,
    links: &Links,
    params: &Params,
    choice: Choice,
) -> Option<Estimate> {
    if shape.ranks <= 1 {
        return Some(Estimate {
            time_s: 0.0,
            algorithm: choice.algorithm.unwrap_or(Algorithm::Ring),
            protocol: choice.protocol.unwrap_or(Protocol::Simple),
        });
    }
    let mut best: Option<(f64, (Algorithm, Protocol))> = None;
    for algorithm in Algorithm::ALL {
        if choice.algorithm.is_some_and(|a| a != algorithm) || !applies(op, algorithm, shape, links)
        {
            continue;
        }
        for protocol in Protocol::ALL {
            if choice.protocol.is_some_and(|p| p != protocol) || !runs_with(algorithm, protocol) {
                continue;
            }
            // LL128 off by default where NCCL disables it; forcing it
            // (NCCL_PROTO=LL128) turns it on, as in NCCL.
            if protocol == Protocol::Ll128 && choice.protocol.is_none() && !ll128_enabled(links) {
                continue;
            }
            let tuner_s = time_in(
                View::Tuner,
                op,
                algorithm,
                protocol,
                size_bytes,
                shape,
                links,
                params,
            );
            if best.is_none_or(|(b, _)| tuner_s < b) {
                best = Some((tuner_s, (algorithm, protocol)));
            }
        }
    }
    best.map(|(_, (algorithm, protocol))| Estimate {
        time_s: time_in(
            View::Hardware,
            op,
            algorithm,
            protocol,
            size_bytes,
            shape,
            links,
            params,
        ),
        algorithm,
        protocol,
    })
}

/// NVLS, NVLS Tree, PAT and CollNet run the Simple protocol only.
fn runs_with(algorithm: Algorithm, protocol: Protocol) -> bool {
    matches!(algorithm, Algorithm::Ring | Algorithm::Tree) || protocol == Protocol::Simple
}

/// The tuner's choice, as seconds. Every op has at least the ring.
pub fn time_s(
    op: CollectiveOp,
    size_bytes: f64,
    shape: GroupShape,
    links: &Links,
    params: &Params,
) -> f64 {
    estimate(op, size_bytes, shape, links, params, Choice::default()).map_or(0.0, |e| e.time_s)
}

/// The latency term of one (algorithm, protocol) pair: its time for an
/// empty buffer. Flow mode adds it to the flows' time.
pub fn latency_s(
    op: CollectiveOp,
    algorithm: Algorithm,
    protocol: Protocol,
    shape: GroupShape,
    links: &Links,
    params: &Params,
) -> f64 {
    if shape.ranks <= 1 {
        return 0.0;
    }
    time_in(
        View::Hardware,
        op,
        algorithm,
        protocol,
        0.0,
        shape,
        links,
        params,
    )
}

/// Which bandwidths a cost is computed from.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(super) enum View {
    /// As NCCL's tuner sees them: its topology search's graph
    /// bandwidths (NVLink at NCCL's per-link figure, NICs and NVLS
    /// channels at the speeds of its search tables). The tuner chooses on
    /// these.
    Tuner,
    /// As the hardware delivers them (the calibrated efficiencies): what
    /// the chosen algorithm then takes.
    Hardware,
}

/// Bus rates of one group on its links, bytes per second.
pub(super) struct Figures {
    /// A ring's bus rate inside the node (NCCL's nChannels × bwIntra).
    intra: f64,
    /// Per GPU off the node: its share of the node's NICs.
    gpu_net: f64,
    /// This collective's share of the node's NICs (NCCL's nChannels ×
    /// bwInter).
    node_net: f64,
    /// NVLS: the channels' capacity, and the share of it that becomes
    /// all-reduce algorithm bandwidth inside one node and, for NVLS Tree,
    /// of its bottleneck across nodes.
    nvls_capacity: f64,
    nvls_conversion: f64,
    nvls_tree_conversion: f64,
}

/// NCCL's search speed for a NIC of `nic_gbytes` GB/s: the fastest entry
/// of its inter-node table at or below the NIC's rate.
fn search_speed_gbytes(arch: Arch, with_nics: bool, at_most_gbytes: f64) -> f64 {
    let speeds = arch.speeds_gbytes(with_nics);
    speeds
        .iter()
        .copied()
        .find(|&s| s <= at_most_gbytes)
        .unwrap_or(speeds[speeds.len() - 1].min(at_most_gbytes))
}

pub(super) fn figures(view: View, shape: GroupShape, links: &Links, params: &Params) -> Figures {
    let intra = links.intra_bytes_per_s
        * if links.nvlink {
            params.nvlink_efficiency
        } else {
            params.pcie_efficiency
        };
    let nic_line = links.nic_bytes_per_s;
    let per_nic = match view {
        View::Tuner => search_speed_gbytes(links.arch, true, nic_line / 1e9) * 1e9,
        View::Hardware => params.per_nic_bytes_per_s(links),
    } * links.fabric_factor;
    // GPUs of a node talking off-node at once share its NICs; one GPU
    // never gets more than one NIC (its rail).
    let nics = f64::from(links.nics_per_node.max(1));
    let talkers = f64::from((shape.ranks_per_node * shape.concurrent_per_node).max(1));
    let gpu_net = per_nic * nics / talkers.max(nics);
    let ppn = shape.ranks_per_node.min(shape.ranks).max(1);
    let (nvls_capacity, nvls_conversion, nvls_tree_conversion) = match view {
        View::Tuner => (
            nvls_capacity_bytes_per_s(ppn, links, params),
            5.0 / 6.0,
            5.0 / 6.0,
        ),
        View::Hardware => (
            links.intra_bytes_per_s,
            params.nvls_algbw_fraction(links),
            params.nvls_tree_efficiency,
        ),
    };
    Figures {
        intra,
        gpu_net,
        node_net: gpu_net * f64::from(shape.ranks_per_node.max(1)),
        nvls_capacity,
        nvls_conversion,
        nvls_tree_conversion,
    }
}

/// The NVLS channels' capacity as NCCL's search finds it on a node where
/// `gpus` of the group take part, bytes per second: one channel per GPU
/// (at most `NCCL_MAX_NVLS_ARITY`, 32, all of them: the search is forced
/// to pull evenly from every GPU) at the fastest speed of its intra-node
/// table that fits the GPU's NVLink, which must carry
/// `channels × speed × (g-1)/g` (`search.cc`, `ncclTopoCompute`). With
/// few GPUs the channels are few, which is why NCCL keeps the ring on 4
/// GPUs of an 8-GPU H100 node and moves to NVLS from 5 (NCCL issue
/// #1455). NCCL searches NVLS with its inter-node table when the node has
/// NICs; the measured switch-over matches the intra-node one, used here.
pub fn nvls_capacity_bytes_per_s(gpus: u32, links: &Links, params: &Params) -> f64 {
    let g = f64::from(gpus.max(2));
    let channels = f64::from(gpus.clamp(1, 32));
    let nvlink_gbytes = links.intra_bytes_per_s * params.nvlink_efficiency / 1e9;
    let total_gbytes = nvlink_gbytes * g / (g - 1.0);
    let speeds = links.arch.speeds_gbytes(false);
    let speed = speeds
        .iter()
        .copied()
        .find(|&s| s <= nvlink_gbytes && s * channels <= total_gbytes)
        .unwrap_or(speeds[speeds.len() - 1]);
    channels * speed * 1e9
}

/// NCCL's `latency + size / bandwidth` with its bandwidth refinements, on
/// the figures of `view`, for a pair that must apply.
#[allow(clippy::too_many_arguments)]
fn time_in(
    view: View,
    op: CollectiveOp,
    algorithm: Algorithm,
    protocol: Protocol,
    size_bytes: f64,
    shape: GroupShape,
    links: &Links,
    params: &Params,
) -> f64 {
    use Algorithm::*;
    if matches!(op, CollectiveOp::AllToAll | CollectiveOp::SendRecv) {
        return p2p::point_to_point_s(op, protocol, size_bytes, shape, links, params);
    }
    let n = shape.ranks;
    let nodes = shape.nodes();
    let ppn = shape.ranks_per_node.min(n).max(1);
    let f = figures(view, shape, links, params);
    let m = size_bytes.max(0.0);

    // NCCL's bus rate of a ring. Its tuner rates a ring on two nodes on
    // the intra-node bandwidth and on more on the network's. On the
    // hardware, a ring across nodes leaves each node through one GPU per
    // channel and the channels' exits rotate over the GPUs, so each GPU
    // sends (ppn-1)/ppn of its ring traffic over NVLink and the rest
    // through its NIC.
    let k = f64::from(ppn);
    let ring_bus = match (nodes, view) {
        (1, _) => f.intra,
        (2, View::Tuner) if ppn > 1 => f.intra,
        (_, View::Tuner) => f.node_net,
        _ if ppn > 1 => (f.intra * k / (k - 1.0)).min(f.node_net),
        _ => f.node_net,
    };
    let protocol_share = match view {
        View::Tuner => tuner_protocol_factor(protocol),
        View::Hardware => protocol_factor(protocol),
    };
    // `llMaxBws`: one node by GPU generation; across nodes the x86 rows.
    let ll_max = if nodes == 1 {
        links.arch.ll_max_one_node_gbytes()
    } else if nodes == 2 {
        39.0
    } else {
        20.4
    } * 1e9;
    let nsteps = f64::from(match op {
        CollectiveOp::AllReduce => 2 * (n - 1),
        CollectiveOp::AllGather | CollectiveOp::ReduceScatter => n - 1,
        _ => n,
    });
    let algorithm_bandwidth = match algorithm {
        Ring => {
            let bus = match protocol {
                Protocol::Ll => (ring_bus * 0.5).min(ll_max),
                _ => ring_bus * protocol_share,
            };
            bus * f64::from(n) / nsteps
        }
        Tree => {
            // Double binary trees across nodes, chains inside: rated on
            // the intra-node bandwidth up to two nodes.
            let bw = if nodes <= 2 { f.intra } else { ring_bus };
            let mut bus = bw * 0.92;
            bus = match protocol {
                Protocol::Ll => (bus / 3.8).min(ll_max),
                Protocol::Ll128 => bus * if nodes == 1 { 7.0 / 9.0 } else { 120.0 / 128.0 },
                Protocol::Simple => bus,
            };
            bus * 0.5 * tree_correction(protocol, m)
        }
        Nvls => {
            let inside = f.nvls_capacity * f.nvls_conversion;
            match op {
                CollectiveOp::AllReduce if nodes > 1 => inside.min(f.node_net),
                CollectiveOp::AllReduce => inside,
                // All-gather and reduce-scatter: (ppn-1)/ppn of the
                // buffer crosses the switch, and no bus-to-algorithm
                // conversion (tuning.cc).
                _ => {
                    let k = f64::from(ppn);
                    let inside = f.nvls_capacity * (k - 1.0) / k;
                    if nodes > 1 {
                        inside.min(f.node_net * 0.9)
                    } else {
                        inside
                    }
                }
            }
        }
        NvlsTree => {
            let inter = if nodes <= 2 {
                f.node_net
            } else {
                f.node_net / 2.0
            };
            f.nvls_capacity.min(inter) * f.nvls_tree_conversion
        }
        Pat => ring_bus * 0.75,
        CollNetDirect => {
            // In-network reduction: each node's data crosses its NICs
            // once each way; inside, a direct reduce over NVLink. NCCL
            // discounts Hopper and later by 0.85 and a GPU/NIC ratio above
            // one by half of it (tuning.cc).
            let heads = f64::from(links.nics_per_node.max(1)).min(f64::from(ppn));
            let ratio = f64::from(ppn) / heads;
            let ratio = ratio - (ratio - 1.0) / 2.0;
            let hopper = if links.arch == Arch::Ampere {
                1.0
            } else {
                0.85
            };
            match op {
                CollectiveOp::AllReduce => f.intra.min(f.node_net) / ratio * hopper,
                _ => f64::from(ppn) * (f.intra / f64::from(ppn)).min(f.gpu_net * 0.9),
            }
        }
        CollNetChain => f.intra.min(f.node_net),
    };

    // Latency: NCCL's per-algorithm step counts.
    let intra_hop = if links.nvlink { Hop::NvLink } else { Hop::Pci };
    let fabric_us = links.fabric_latency_s * 1e6;
    let inter_row = if ppn == 1 { Tree } else { algorithm };
    let mut inter_lat = hop_latency_us(Hop::Net, inter_row, protocol) + fabric_us;
    if protocol == Protocol::Simple {
        inter_lat += fabric_us; // NCCL's flush
    }
    let intra_lat = hop_latency_us(intra_hop, algorithm, protocol);
    let log2_nodes = f64::from(nodes.max(1)).log2().floor();
    let base = base_latency_us(algorithm, protocol);
    let latency_us = match algorithm {
        Ring if op == CollectiveOp::Broadcast => {
            if nodes == 1 {
                base + hop_latency_us(intra_hop, Ring, protocol)
            } else {
                // Chunk latency per step (tuning.cc, rings whose channels
                // differ across nodes).
                let row = if protocol == Protocol::Simple {
                    Tree
                } else {
                    Ring
                };
                base + nsteps * (hop_latency_us(Hop::Net, row, protocol) + fabric_us)
            }
        }
        Ring => {
            let overhead = match (nodes > 1, protocol) {
                (false, _) => 0.0,
                (true, Protocol::Simple) => 3.0,
                (true, _) => 1.0,
            };
            let inter_steps = f64::from(match (nodes, op) {
                (1, _) => 0,
                (_, CollectiveOp::AllReduce) => 2 * (nodes - 1),
                _ => nodes - 1,
            });
            let mut lat =
                base + (nsteps - inter_steps) * intra_lat.max(overhead) + inter_steps * inter_lat;
            // NCCL's "plateau effect of ring" for multi-node all-reduces.
            let channels = f64::from(params.channels_per_nic * ppn.min(links.nics_per_node.max(1)));
            if protocol == Protocol::Simple
                && nodes > 1
                && op == CollectiveOp::AllReduce
                && m / (channels.max(1.0) * f64::from(n)) >= 64.0
            {
                lat *= 1.4;
            }
            lat
        }
        Tree => base + 2.0 * ((k - 1.0) * intra_lat + log2_nodes * inter_lat),
        CollNetDirect => {
            base + 2.0 * ((k - 1.0).min(1.0) * intra_lat + (k - 1.0) * 0.4) + inter_lat
        }
        CollNetChain => base + 2.0 * (k - 1.0) * intra_lat + inter_lat,
        Nvls => intra_lat + if nodes > 1 { inter_lat } else { 0.0 },
        NvlsTree => base + intra_lat + 2.0 * log2_nodes * inter_lat,
        Pat => 8.0 + log2_nodes * (inter_lat / 3.5) + f64::from(n) * 2.8,
    };
    latency_us * 1e-6 + m / algorithm_bandwidth
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h100() -> Links {
        Links {
            intra_bytes_per_s: 450e9,
            nvlink: true,
            nvls: true,
            arch: Arch::Hopper,
            gpus_per_node: 8,
            nics_per_node: 8,
            nic_bytes_per_s: 50e9,
            fabric_factor: 1.0,
            fabric_latency_s: 0.0,
            collnet: false,
            pxn: true,
            cross_rail_factor: 1.0,
            cross_rail_latency_s: 0.0,
        }
    }

    #[test]
    fn one_rank_costs_nothing() {
        let shape = GroupShape::whole_nodes(1, 1);
        let t = time_s(
            CollectiveOp::AllReduce,
            1e9,
            shape,
            &h100(),
            &Params::default(),
        );
        assert_eq!(t, 0.0);
    }

    #[test]
    fn forced_ring_matches_the_closed_form_at_large_sizes() {
        // 2(n-1)/n · M / B plus the latency term, B = 0.822 × 450 GB/s.
        let p = Params::default();
        let shape = GroupShape::whole_nodes(1, 8);
        let m = 8e9;
        let choice = Choice {
            algorithm: Some(Algorithm::Ring),
            protocol: Some(Protocol::Simple),
        };
        let e = estimate(CollectiveOp::AllReduce, m, shape, &h100(), &p, choice).unwrap();
        let b = 450e9 * p.nvlink_efficiency;
        let latency = (8.4 + 14.0 * 3.4) * 1e-6;
        let expected = 2.0 * 7.0 / 8.0 * m / b + latency;
        assert!((e.time_s - expected).abs() / expected < 1e-9);
    }

    #[test]
    fn tuner_prefers_low_latency_protocols_for_small_and_simple_for_large() {
        let p = Params::default();
        let shape = GroupShape::whole_nodes(4, 8);
        let small = estimate(
            CollectiveOp::AllReduce,
            1024.0,
            shape,
            &h100(),
            &p,
            Choice::default(),
        )
        .unwrap();
        let large = estimate(
            CollectiveOp::AllReduce,
            8e9,
            shape,
            &h100(),
            &p,
            Choice::default(),
        )
        .unwrap();
        assert_ne!(small.protocol, Protocol::Simple);
        assert_eq!(large.protocol, Protocol::Simple);
    }

    #[test]
    fn nvls_needs_nvlink_sharp_and_follows_nccls_rules() {
        let mut links = h100();
        let shape = GroupShape::whole_nodes(1, 8);
        assert!(applies(
            CollectiveOp::AllReduce,
            Algorithm::Nvls,
            shape,
            &links
        ));
        // NCCL runs NVLS for all-gather inside a node (tuning.cc), never
        // for a broadcast, and across nodes only with CollNet.
        assert!(applies(
            CollectiveOp::AllGather,
            Algorithm::Nvls,
            shape,
            &links
        ));
        assert!(!applies(
            CollectiveOp::Broadcast,
            Algorithm::Nvls,
            shape,
            &links
        ));
        let two = GroupShape::whole_nodes(2, 8);
        assert!(!applies(
            CollectiveOp::AllReduce,
            Algorithm::Nvls,
            two,
            &links
        ));
        assert!(applies(
            CollectiveOp::AllReduce,
            Algorithm::NvlsTree,
            two,
            &links
        ));
        let collnet = Links {
            collnet: true,
            ..links
        };
        assert!(applies(
            CollectiveOp::AllReduce,
            Algorithm::Nvls,
            two,
            &collnet
        ));
        links.nvls = false;
        assert!(!applies(
            CollectiveOp::AllReduce,
            Algorithm::Nvls,
            shape,
            &links
        ));
    }

    #[test]
    fn rail_groups_get_one_nic_each() {
        let p = Params::default();
        // 8 concurrent DP groups, one rank per node: each rides one NIC.
        let rail = GroupShape {
            ranks: 4,
            ranks_per_node: 1,
            concurrent_per_node: 8,
        };
        let per_nic = p.per_nic_bytes_per_s(&h100());
        let r = figures(View::Hardware, rail, &h100(), &p);
        assert!((r.gpu_net - per_nic).abs() < 1.0);
        // A lone GPU per node also gets just its own NIC.
        let lone = GroupShape {
            concurrent_per_node: 1,
            ..rail
        };
        assert!((figures(View::Hardware, lone, &h100(), &p).node_net - per_nic).abs() < 1.0);
    }

    #[test]
    fn time_grows_with_size_for_every_pair() {
        let p = Params::default();
        let shape = GroupShape::whole_nodes(4, 8);
        for op in CollectiveOp::ALL {
            for a in Algorithm::ALL {
                if !applies(op, a, shape, &h100()) {
                    continue;
                }
                for pr in Protocol::ALL {
                    let choice = Choice {
                        algorithm: Some(a),
                        protocol: Some(pr),
                    };
                    let mut last = 0.0;
                    for exp in 0..34 {
                        let Some(e) = estimate(op, 2f64.powi(exp), shape, &h100(), &p, choice)
                        else {
                            continue; // NVLS runs Simple only
                        };
                        assert!(e.time_s.is_finite() && e.time_s > 0.0);
                        assert!(e.time_s >= last, "{op} {a} {pr} at 2^{exp}");
                        last = e.time_s;
                    }
                }
            }
        }
    }
}
