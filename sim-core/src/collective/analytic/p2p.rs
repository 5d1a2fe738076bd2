//! All-to-all and send/recv: NCCL's point-to-point operations, costed
//! without the tuner, and PXN.
//!
//! PXN (NCCL 2.12+): a message to a GPU on another node whose NIC sits on
//! another rail is first copied over NVLink to the GPU of the sender's
//! node on the destination's rail, which sends it from its own NIC, so
//! that on a rail-optimized fabric it stays under one leaf (and NCCL
//! aggregates the messages of all local GPUs to one destination).
//! Without it (`NCCL_PXN_DISABLE=1`, `NCCL_P2P_PXN_LEVEL=0`) the message
//! leaves by the sender's NIC and crosses the spine. Levels 1 and 2 of
//! `NCCL_P2P_PXN_LEVEL` differ on nodes whose NICs share PCIe switches
//! with several GPUs, which the catalog does not model: both are PXN
//! here.
//!
//! Invariant: with one node, or one GPU per node, PXN changes nothing.

use crate::collective::{Algorithm, CollectiveOp, GroupShape, Protocol};

use super::nccl::{Hop, hop_latency_us};
use super::{Links, Params, View, figures, protocol_factor};

/// All-to-all and send/recv: NCCL's point-to-point operations, each
/// rank's messages to every peer at once (NCCL's `p2p` schedule; no
/// tuner). Each rank sends (n-1)/n of its all-to-all buffer: (ppn-1)/n of
/// it over NVLink, (n-ppn)/n through the NICs, which the node's ppn ranks
/// share. Across a rail-optimized fabric a message to another rail
/// either goes through PXN (an extra NVLink hop to the GPU on the
/// destination's rail, then under one leaf) or crosses the spine (at
/// `cross_rail_factor` of the NIC rate, with `cross_rail_latency_s`
/// more).
pub(super) fn point_to_point_s(
    op: CollectiveOp,
    protocol: Protocol,
    m: f64,
    shape: GroupShape,
    links: &Links,
    params: &Params,
) -> f64 {
    let n = shape.ranks;
    let nodes = shape.nodes();
    let ppn = shape.ranks_per_node.min(n).max(1);
    let r = figures(View::Hardware, shape, links, params);
    let factor = protocol_factor(protocol);
    let intra_hop = if links.nvlink { Hop::NvLink } else { Hop::Pci };
    let intra_lat = hop_latency_us(intra_hop, Algorithm::Ring, protocol);
    let net_lat =
        hop_latency_us(Hop::Net, Algorithm::Ring, protocol) + links.fabric_latency_s * 1e6;
    let m = m.max(0.0);
    // The share of a rank's off-node messages that go to another rail.
    let k = f64::from(ppn);
    let cross = if nodes > 1 { (k - 1.0) / k } else { 0.0 };
    let pxn = links.pxn && cross > 0.0;
    let (cross_factor, cross_lat) = if pxn {
        (1.0, intra_lat)
    } else {
        (links.cross_rail_factor, links.cross_rail_latency_s * 1e6)
    };
    match op {
        CollectiveOp::SendRecv => {
            if nodes > 1 {
                // Two GPUs on two nodes, on one rail (nccl-tests pairs
                // GPUs of one index).
                net_lat * 1e-6 + m / (r.gpu_net * factor)
            } else {
                intra_lat * 1e-6 + m / (r.intra * factor)
            }
        }
        _ => {
            let nf = f64::from(n);
            let intra_bytes = (k - 1.0) / nf * m;
            let inter_bytes = if nodes > 1 {
                k * (nf - k) / nf * m
            } else {
                0.0
            };
            // PXN: the cross-rail share also crosses NVLink once at the
            // source (its aggregation is what NCCL gains in messages).
            let nvlink_bytes = intra_bytes + if pxn { inter_bytes / k * cross } else { 0.0 };
            let intra = nvlink_bytes / (r.intra * factor);
            let net_rate = r.node_net * factor;
            let inter = if nodes > 1 {
                inter_bytes * (1.0 - cross) / net_rate
                    + inter_bytes * cross / (net_rate * cross_factor)
            } else {
                0.0
            };
            let latency = if nodes > 1 {
                net_lat + cross * cross_lat
            } else {
                intra_lat
            };
            latency * 1e-6 + intra.max(inter)
        }
    }
}
