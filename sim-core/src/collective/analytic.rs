//! The analytic cost model: NCCL's own.
//!
//! A collective of `M` bytes takes `latency + M / algorithm_bandwidth`,
//! where the latency is a base cost per launch plus a cost per pipeline
//! step (per hop inside the node, per hop across the network), and the
//! bandwidth is that of the bottleneck link times the protocol's
//! efficiency. This is the model NCCL's tuner uses to pick an algorithm
//! and a protocol (`src/graph/tuning.cc`, `ncclTopoTuneModel` and
//! `ncclTopoGetAlgoTime`, NCCL 2.2x); the latency constants below are
//! NCCL's. [`estimate`] with no forced choice picks the fastest pair, as
//! the tuner does.
//!
//! What the model knows about the hardware is a [`Links`]: the raw data
//! rates of NVLink (or PCIe) per GPU and of the node's NICs, and what the
//! fabric does to them. The efficiencies that turn raw rates into what
//! NCCL achieves are [`Params`], calibrated on three published
//! measurements (see [`Params::default`]) and validated on others in
//! `tests/validation_collective.rs`.
//!
//! Invariants: times are finite and positive for two or more ranks, zero
//! for one; for a fixed algorithm and protocol, time grows with size.

use crate::hardware::{GpuModel, NodeGroup, NodeModel};

use super::{Algorithm, CollectiveOp, Estimate, GroupShape, Protocol};

/// The hardware under a group, as data rates per direction.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Links {
    /// GPU-to-GPU rate inside a node per GPU and direction: half the
    /// NVLink figure NVIDIA quotes (both directions summed), or PCIe.
    pub intra_bytes_per_s: f64,
    /// Whether `intra_bytes_per_s` is NVLink (else PCIe, with PCIe's
    /// latencies and no in-switch reduction).
    pub nvlink: bool,
    /// NVLink SHARP (in-switch reduction, NVLink 4 and later).
    pub nvls: bool,
    /// GPUs per node (the physical count, whatever the group uses).
    pub gpus_per_node: u32,
    /// Compute NICs per node and the data rate of each.
    pub nics_per_node: u32,
    pub nic_bytes_per_s: f64,
    /// What the fabric leaves of the NIC rate between the group's nodes:
    /// 1 on a non-blocking fabric or under one leaf, less when the group
    /// crosses oversubscribed uplinks.
    pub fabric_factor: f64,
    /// One-way latency the fabric adds per network step (switch hops and
    /// cables), in seconds.
    pub fabric_latency_s: f64,
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
    /// a non-blocking fabric.
    pub fn for_models(gpu: &GpuModel, node: &NodeModel, gpus_per_node: u32) -> Links {
        let nvlink = gpu.nvlink_bandwidth.filter(|b| b.bytes_per_s_f64() > 0.0);
        Links {
            intra_bytes_per_s: nvlink
                .map_or(PCIE_GEN4_X16_BYTES_PER_S, |b| b.bytes_per_s_f64() / 2.0),
            nvlink: nvlink.is_some(),
            nvls: supports_nvls(gpu),
            gpus_per_node,
            nics_per_node: node.compute_nics,
            nic_bytes_per_s: node.nic_bandwidth.bytes_per_s_f64(),
            fabric_factor: 1.0,
            fabric_latency_s: 0.0,
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

/// NVLink SHARP needs third-generation NVSwitch (Hopper) or later, which
/// is where NVLink reached 900 GB/s per GPU; earlier NVLink generations
/// (A100: 600 GB/s) reduce on the GPUs.
pub fn supports_nvls(gpu: &GpuModel) -> bool {
    gpu.nvlink_bandwidth
        .is_some_and(|b| b.as_gbytes_per_s_f64() >= 900.0)
}

/// Efficiencies and latencies of the model. Latencies are NCCL's
/// (`tuning.cc`, NCCL 2.2x: `baseLat`, `hwLat`); the three efficiencies
/// are calibrated here.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Params {
    /// Fraction of the NVLink line rate a ring achieves with the Simple
    /// protocol. Calibrated: nccl-tests issue #212 (S. Jeaugey, NVIDIA,
    /// 2024-05-06): 8×H100 ring all-reduce reaches a busbw of about
    /// 370 GB/s of the 450 GB/s line rate, "protocol overhead ~20%".
    pub nvlink_efficiency: f64,
    /// Fraction of a NIC's line rate NCCL achieves across nodes.
    /// Calibrated: NCCL issue #812 (D. Addison, NVIDIA, 2023-03-31): a
    /// DGX-A100 with 8×200 Gb/s InfiniBand measures 192 GB/s all-reduce
    /// busbw across nodes, 0.96 of 8 × 25 GB/s.
    pub nic_efficiency: f64,
    /// NVLS all-reduce algorithm bandwidth as a fraction of the NVLink
    /// line rate. Calibrated: nccl-tests issue #212: 8×H100 with NVLink
    /// SHARP peak at busbw ≈ 480 GB/s, algbw ≈ 275 GB/s, of 450 GB/s.
    pub nvls_efficiency: f64,
    /// PCIe efficiency for GPUs without NVLink (an estimate: the usual
    /// 80% of line rate after TLP overhead).
    pub pcie_efficiency: f64,
    /// NCCL's refinements: LL moves 8-byte lines of which 4 are flags,
    /// LL128 128-byte lines of which 8 are flags, trees reach 0.92 of a
    /// ring's bandwidth (`tuning.cc`).
    pub ll_factor: f64,
    pub ll128_factor: f64,
    pub tree_factor: f64,
    /// NCCL caps LL's bus bandwidth (`llMaxBws`, Hopper, one node).
    pub ll_max_bus_bytes_per_s: f64,
    /// NVLS Tree across nodes converts bus to algorithm bandwidth with 5/6
    /// (`tuning.cc`).
    pub nvls_tree_factor: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nvlink_efficiency: 370.0 / 450.0,
            nic_efficiency: 192.0 / 200.0,
            nvls_efficiency: (480.0 / (2.0 * 7.0 / 8.0)) / 450.0,
            pcie_efficiency: 0.8,
            ll_factor: 0.5,
            ll128_factor: 120.0 / 128.0,
            tree_factor: 0.92,
            ll_max_bus_bytes_per_s: 38.7e9,
            nvls_tree_factor: 5.0 / 6.0,
        }
    }
}

/// Latency in microseconds: NCCL's `baseLat[algorithm][protocol]`.
fn base_latency_us(algorithm: Algorithm, protocol: Protocol) -> f64 {
    match (algorithm, protocol) {
        (Algorithm::Nvls, _) => 0.0,
        (Algorithm::Tree, Protocol::Ll) => 6.8,
        (_, Protocol::Ll) => 6.6,
        (_, Protocol::Ll128) => 14.0,
        (_, Protocol::Simple) => 8.4,
    }
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Hop {
    NvLink,
    Pci,
    Net,
}

/// Latency per pipeline step in microseconds: NCCL's `hwLat`.
fn hop_latency_us(hop: Hop, algorithm: Algorithm, protocol: Protocol) -> f64 {
    use Protocol::*;
    let tree = matches!(algorithm, Algorithm::Tree);
    match (hop, algorithm) {
        (Hop::NvLink, Algorithm::Nvls) => 25.0,
        (Hop::Net, Algorithm::Nvls) => 14.0,
        (Hop::Pci, Algorithm::Nvls) => 0.0,
        (Hop::NvLink, _) => match protocol {
            Ll => 0.6,
            Ll128 if tree => 1.25,
            Ll128 => 1.9,
            Simple if tree => 4.0,
            Simple => 3.4,
        },
        (Hop::Pci, _) => match protocol {
            Ll => 1.0,
            Ll128 if tree => 1.9,
            Ll128 => 2.5,
            Simple if tree => 4.0,
            Simple => 5.7,
        },
        (Hop::Net, _) => match protocol {
            Ll if tree => 5.0,
            Ll => 2.7,
            Ll128 if tree => 8.5,
            Ll128 => 4.0,
            Simple => 14.0,
        },
    }
}

/// A forced algorithm or protocol; `None` lets the tuner choose.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    pub algorithm: Option<Algorithm>,
    pub protocol: Option<Protocol>,
}

/// Whether `algorithm` can carry `op` on this group and hardware, as NCCL
/// allows: trees and NVLS are all-reduce only, NVLS needs NVLink SHARP,
/// hierarchical needs several nodes with several GPUs each.
pub fn applies(op: CollectiveOp, algorithm: Algorithm, shape: GroupShape, links: &Links) -> bool {
    let nodes = shape.nodes();
    match algorithm {
        Algorithm::Ring => true,
        Algorithm::Tree => op == CollectiveOp::AllReduce && nodes > 1,
        Algorithm::Nvls => op == CollectiveOp::AllReduce && links.nvls && shape.ranks_per_node > 1,
        Algorithm::Hierarchical => {
            matches!(
                op,
                CollectiveOp::AllReduce | CollectiveOp::AllGather | CollectiveOp::ReduceScatter
            ) && nodes > 1
                && shape.ranks_per_node > 1
        }
    }
}

/// The fastest applicable (algorithm, protocol) for this collective, or
/// the forced one. `None` when a forced algorithm does not apply.
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
    let mut best: Option<Estimate> = None;
    for algorithm in Algorithm::ALL {
        if choice.algorithm.is_some_and(|a| a != algorithm) || !applies(op, algorithm, shape, links)
        {
            continue;
        }
        for protocol in Protocol::ALL {
            if choice.protocol.is_some_and(|p| p != protocol)
                || (algorithm == Algorithm::Nvls && protocol != Protocol::Simple)
            {
                continue;
            }
            let time_s = time_of(op, algorithm, protocol, size_bytes, shape, links, params);
            if best.is_none_or(|b| time_s < b.time_s) {
                best = Some(Estimate {
                    time_s,
                    algorithm,
                    protocol,
                });
            }
        }
    }
    best
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
    time_of(op, algorithm, protocol, 0.0, shape, links, params)
}

/// Effective rates of one group on its links, after efficiencies.
struct Rates {
    /// Per GPU inside the node.
    intra: f64,
    /// Per GPU off the node: its share of the node's NICs.
    gpu_net: f64,
    /// This collective's share of the node's NICs.
    node_net: f64,
}

fn rates(shape: GroupShape, links: &Links, params: &Params) -> Rates {
    let intra = links.intra_bytes_per_s
        * if links.nvlink {
            params.nvlink_efficiency
        } else {
            params.pcie_efficiency
        };
    // GPUs of a node talking off-node at once share its NICs; one GPU
    // never gets more than one NIC (its rail).
    let nics = f64::from(links.nics_per_node.max(1));
    let talkers = f64::from((shape.ranks_per_node * shape.concurrent_per_node).max(1));
    let gpu_net = links.nic_bytes_per_s * nics / talkers.max(nics)
        * params.nic_efficiency
        * links.fabric_factor;
    Rates {
        intra,
        gpu_net,
        node_net: gpu_net * f64::from(shape.ranks_per_node.max(1)),
    }
}

fn protocol_factor(protocol: Protocol, params: &Params) -> f64 {
    match protocol {
        Protocol::Ll => params.ll_factor,
        Protocol::Ll128 => params.ll128_factor,
        Protocol::Simple => 1.0,
    }
}

/// Time of one (algorithm, protocol) pair, which must apply.
fn time_of(
    op: CollectiveOp,
    algorithm: Algorithm,
    protocol: Protocol,
    size_bytes: f64,
    shape: GroupShape,
    links: &Links,
    params: &Params,
) -> f64 {
    let n = shape.ranks;
    let nodes = shape.nodes();
    let ppn = shape.ranks_per_node.min(n).max(1);
    let r = rates(shape, links, params);
    let intra_hop = if links.nvlink { Hop::NvLink } else { Hop::Pci };
    let mut intra_lat = hop_latency_us(intra_hop, algorithm, protocol);
    let net_lat = hop_latency_us(Hop::Net, algorithm, protocol) + links.fabric_latency_s * 1e6;
    if nodes > 1 {
        // NCCL: inter-node rings post a network operation per step.
        let overhead = if protocol == Protocol::Simple {
            3.0
        } else {
            1.0
        };
        intra_lat = intra_lat.max(overhead);
    }
    let factor = protocol_factor(protocol, params);
    let cap = |bus: f64| {
        if protocol == Protocol::Ll {
            bus.min(params.ll_max_bus_bytes_per_s)
        } else {
            bus
        }
    };
    let base = base_latency_us(algorithm, protocol);
    let m = size_bytes.max(0.0);
    let log2_nodes = f64::from(nodes.max(1)).log2().floor();

    // The bus rate of a ring: NVLink inside each node, the node's NICs
    // (one per channel) across them.
    let ring_bus = if nodes > 1 {
        if ppn > 1 {
            r.intra.min(r.node_net)
        } else {
            r.node_net
        }
    } else {
        r.intra
    };
    let (latency_us, bandwidth_s) = match algorithm {
        Algorithm::Ring => ring_time(
            op,
            m,
            &RingTerms {
                n,
                nodes,
                ppn,
                rates: &r,
                ring_bus,
                factor,
                cap: &cap,
                intra_lat,
                net_lat,
            },
        ),
        Algorithm::Tree => {
            // NCCL's double binary tree: about half the bus rate as
            // algorithm bandwidth; on two nodes the intra-node rate bounds it.
            let bus = if nodes <= 2 { r.intra } else { ring_bus };
            let alg = cap(bus * params.tree_factor * factor) * 0.5;
            let lat = 2.0 * (f64::from(ppn - 1) * intra_lat + log2_nodes * net_lat);
            (lat, m / alg)
        }
        Algorithm::Nvls => {
            let nvls = links.intra_bytes_per_s * params.nvls_efficiency;
            if nodes == 1 {
                (intra_lat, m / nvls)
            } else {
                // NVLS Tree: in-switch reduction, then a tree across nodes.
                let inter = if nodes <= 2 {
                    r.node_net
                } else {
                    r.node_net * 0.5
                };
                let alg = nvls.min(inter) * params.nvls_tree_factor;
                (intra_lat + 2.0 * log2_nodes * net_lat, m / alg)
            }
        }
        Algorithm::Hierarchical => {
            // Sequential phases: inside the node over NVLink, then on each
            // GPU's rail across nodes with 1/ppn of the data.
            let k = f64::from(ppn);
            let nn = f64::from(nodes);
            let intra = cap(r.intra * factor);
            let net = cap(r.gpu_net * factor);
            let intra_part = (k - 1.0) / k * m / intra;
            let (intra_phases, inter_steps, inter_volume) = match op {
                CollectiveOp::AllReduce => (2.0, 2.0 * (nn - 1.0), 2.0 * (nn - 1.0) / nn),
                _ => (1.0, nn - 1.0, (nn - 1.0) / nn),
            };
            let lat = intra_phases * (k - 1.0) * intra_lat + inter_steps * net_lat;
            (
                lat,
                intra_phases * intra_part + inter_volume * (m / k) / net,
            )
        }
    };
    (base + latency_us) * 1e-6 + bandwidth_s
}

/// What [`ring_time`] needs of the group and the protocol, as
/// [`time_of`] works it out.
struct RingTerms<'a> {
    /// Ranks, nodes and ranks per node.
    n: u32,
    nodes: u32,
    ppn: u32,
    rates: &'a Rates,
    /// The ring's bus rate (NVLink inside nodes, NICs across them).
    ring_bus: f64,
    /// The protocol's share of the bus rate.
    factor: f64,
    /// The protocol's cap on a bus rate.
    cap: &'a dyn Fn(f64) -> f64,
    /// Per-step latencies inside a node and across nodes, in µs.
    intra_lat: f64,
    net_lat: f64,
}

/// Ring-family costs: the ring for all-reduce, all-gather, reduce-scatter
/// and broadcast, and NCCL's point-to-point schedules for all-to-all and
/// send/recv (which NCCL also runs on its ring channels). Returns the
/// latency in µs and the bandwidth term in seconds.
fn ring_time(op: CollectiveOp, m: f64, terms: &RingTerms<'_>) -> (f64, f64) {
    let &RingTerms {
        n,
        nodes,
        ppn,
        rates: r,
        ring_bus,
        factor,
        cap,
        intra_lat,
        net_lat,
    } = terms;
    let steps =
        |total: u32, inter: u32| f64::from(total - inter) * intra_lat + f64::from(inter) * net_lat;
    let nodes_minus_one = nodes - 1;
    match op {
        CollectiveOp::AllReduce => (
            steps(2 * (n - 1), 2 * nodes_minus_one),
            op.bus_factor(n) * m / cap(ring_bus * factor),
        ),
        CollectiveOp::AllGather | CollectiveOp::ReduceScatter => (
            steps(n - 1, nodes_minus_one),
            op.bus_factor(n) * m / cap(ring_bus * factor),
        ),
        CollectiveOp::Broadcast => (steps(n - 1, nodes_minus_one), m / cap(ring_bus * factor)),
        CollectiveOp::AllToAll => {
            // Each rank sends (n-1)/n of its buffer: (ppn-1)/n of it over
            // NVLink, (n-ppn)/n through the node's NICs, shared by the
            // node's ppn ranks.
            let nf = f64::from(n);
            let k = f64::from(ppn);
            let intra = (k - 1.0) / nf * m / cap(r.intra * factor);
            let inter = if nodes > 1 {
                k * (nf - k) / nf * m / cap(r.node_net * factor)
            } else {
                0.0
            };
            (steps(n - 1, nodes_minus_one), intra.max(inter))
        }
        CollectiveOp::SendRecv => {
            let (lat, rate) = if nodes > 1 {
                (net_lat, r.gpu_net)
            } else {
                (intra_lat, r.intra)
            };
            (lat, m / cap(rate * factor))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h100() -> Links {
        Links {
            intra_bytes_per_s: 450e9,
            nvlink: true,
            nvls: true,
            gpus_per_node: 8,
            nics_per_node: 8,
            nic_bytes_per_s: 50e9,
            fabric_factor: 1.0,
            fabric_latency_s: 0.0,
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
    fn nvls_needs_nvlink_sharp_and_all_reduce() {
        let mut links = h100();
        let shape = GroupShape::whole_nodes(1, 8);
        assert!(applies(
            CollectiveOp::AllReduce,
            Algorithm::Nvls,
            shape,
            &links
        ));
        assert!(!applies(
            CollectiveOp::AllGather,
            Algorithm::Nvls,
            shape,
            &links
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
        let r = rates(rail, &h100(), &p);
        assert!((r.gpu_net - 50e9 * p.nic_efficiency).abs() < 1.0);
        // A lone GPU per node also gets just its own NIC.
        let lone = GroupShape {
            concurrent_per_node: 1,
            ..rail
        };
        assert!((rates(lone, &h100(), &p).node_net - 50e9 * p.nic_efficiency).abs() < 1.0);
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
