//! Flow mode: a collective as transfers between GPUs on the fabric.
//!
//! [`plan`] turns a collective over concrete GPUs into phases of
//! transfers (source GPU, destination GPU, bytes), the way NCCL moves the
//! data: rings run one channel per NIC, each channel's ring visiting the
//! GPUs of a node in a rotated order and leaving it through the last
//! GPU's NIC; trees exchange half the buffer per tree edge across nodes on
//! every rail; NVLS sends each GPU's buffer to the NVSwitch and back
//! (NVLS Tree adds the trees across nodes); CollNet reduces inside each
//! node and runs the trees across nodes in the switches' stead; PAT moves
//! a ring's bytes. Transfers of a phase run at the same time; a phase ends when its
//! last transfer ends. Bytes are inflated by the protocol efficiency of
//! the link they are bound by (see [`analytic::Params`]), so an
//! uncontended collective in flow mode takes what the analytic model says
//! up to where the two models differ in structure (the GPU whose ring
//! channel leaves the node sends over PCIe, not NVLink).
//!
//! The fixed latency term (NCCL's per-step latencies) is not a flow: it
//! is [`FlowPlan::latency_s`], added once by whoever runs the plan.
//!
//! Invariants: every transfer has distinct endpoints and positive bytes;
//! the plan depends only on its inputs (no randomness, no hash order).

use crate::engine::SimTime;
use crate::fabric::{Fabric, FlowModel, LinkId, VertexId};

use super::analytic::{self, Links, Params};
use super::{Algorithm, CollectiveOp, GroupShape, Protocol};

/// One transfer of a phase.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Transfer {
    pub src: VertexId,
    pub dst: VertexId,
    pub bytes: f64,
    /// PXN: the GPU of the sender's node on the destination's rail, which
    /// the message reaches over NVLink and leaves from by its own NIC; the
    /// two legs run as two flows of the same bytes at once.
    pub via: Option<VertexId>,
}

/// A collective as flows: phases run one after the other.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowPlan {
    pub phases: Vec<Vec<Transfer>>,
    pub latency_s: f64,
}

/// A rank: GPU `local` of node `node`.
pub type Rank = (u32, u32);

/// The ranks grouped by node, in order; ranks of one node must be
/// contiguous in `ranks`.
fn by_node(ranks: &[Rank]) -> Vec<Vec<Rank>> {
    let mut nodes: Vec<Vec<Rank>> = Vec::new();
    for &r in ranks {
        match nodes.last_mut() {
            Some(last) if last[0].0 == r.0 => last.push(r),
            _ => nodes.push(vec![r]),
        }
    }
    nodes
}

/// The shape of `ranks` for the latency term.
pub fn shape_of(ranks: &[Rank]) -> GroupShape {
    let nodes = by_node(ranks);
    GroupShape {
        ranks: ranks.len() as u32,
        ranks_per_node: nodes.iter().map(Vec::len).max().unwrap_or(1) as u32,
        concurrent_per_node: 1,
    }
}

/// One collective call: what, how, and how big (nccl-tests' size).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Call {
    pub op: CollectiveOp,
    pub algorithm: Algorithm,
    pub protocol: Protocol,
    pub size_bytes: f64,
}

/// Plans `call` over `ranks`. Its algorithm must apply
/// ([`analytic::applies`]).
pub fn plan(
    call: Call,
    ranks: &[Rank],
    fabric: &Fabric,
    links: &Links,
    params: &Params,
) -> FlowPlan {
    let Call {
        op,
        algorithm,
        protocol,
        size_bytes,
    } = call;
    let shape = shape_of(ranks);
    let latency_s = analytic::latency_s(op, algorithm, protocol, shape, links, params);
    let mut planner = Planner {
        fabric,
        params,
        protocol,
        nvlink: links.nvlink,
        net_efficiency: params.per_nic_bytes_per_s(links) / links.nic_bytes_per_s.max(1.0),
        pxn: links.pxn,
        phases: Vec::new(),
    };
    if ranks.len() > 1 {
        let nodes = by_node(ranks);
        match (op, algorithm) {
            (CollectiveOp::AllToAll, _) => planner.all_to_all(ranks, size_bytes),
            (CollectiveOp::SendRecv, _) => {
                let phase = vec![planner.message(ranks[0], ranks[1], size_bytes)];
                planner.phases.push(phase);
            }
            (_, Algorithm::Ring) => {
                let volume = match op {
                    CollectiveOp::AllReduce => op.bus_factor(shape.ranks),
                    CollectiveOp::AllGather | CollectiveOp::ReduceScatter => {
                        op.bus_factor(shape.ranks)
                    }
                    _ => 1.0,
                };
                planner.ring(&nodes, volume * size_bytes);
            }
            (_, Algorithm::Tree) => planner.tree(&nodes, size_bytes),
            (_, Algorithm::Nvls | Algorithm::NvlsTree) => {
                planner.nvls(&nodes, size_bytes, links);
                if nodes.len() > 1 {
                    planner.tree_across(&nodes, size_bytes / nodes[0].len() as f64);
                }
            }
            // CollNet: the node's share reduced inside it (over NVLink),
            // then up and down the switches' reduction tree, drawn as the
            // trees across nodes on every rail.
            (_, Algorithm::CollNetDirect | Algorithm::CollNetChain) => {
                for n in &nodes {
                    planner.ring(std::slice::from_ref(n), size_bytes);
                }
                let merged: Vec<Transfer> = planner.phases.drain(..).flatten().collect();
                planner.phases.push(merged);
                planner.tree_across(&nodes, size_bytes / nodes[0].len() as f64);
            }
            // PAT (one GPU per node): the same bytes per rank as a ring.
            (_, Algorithm::Pat) => planner.ring(&nodes, op.bus_factor(shape.ranks) * size_bytes),
        }
    }
    FlowPlan {
        phases: planner
            .phases
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect(),
        latency_s,
    }
}

struct Planner<'a> {
    fabric: &'a Fabric,
    params: &'a Params,
    protocol: Protocol,
    nvlink: bool,
    /// What the hardware delivers of a NIC's line rate to a ring
    /// ([`Params::per_nic_bytes_per_s`]).
    net_efficiency: f64,
    /// Point-to-point messages between rails go through PXN.
    pxn: bool,
    phases: Vec<Vec<Transfer>>,
}

impl Planner<'_> {
    /// A transfer of `payload` bytes, inflated by the efficiency of the
    /// link that binds it: the NIC across nodes, NVLink (or PCIe) inside.
    fn transfer(&self, from: Rank, to: Rank, payload: f64) -> Transfer {
        let efficiency = if from.0 != to.0 {
            self.net_efficiency
        } else if self.nvlink {
            self.params.nvlink_efficiency
        } else {
            self.params.pcie_efficiency
        };
        let protocol = analytic::protocol_factor(self.protocol);
        Transfer {
            src: self.fabric.gpu(from.0, from.1),
            dst: self.fabric.gpu(to.0, to.1),
            bytes: payload / (efficiency * protocol),
            via: None,
        }
    }

    /// A point-to-point message: across nodes and rails, with PXN, it
    /// goes through the GPU of the sender's node on the destination's
    /// rail (when that node has such a GPU).
    fn message(&self, from: Rank, to: Rank, payload: f64) -> Transfer {
        let mut t = self.transfer(from, to, payload);
        if self.pxn && from.0 != to.0 && from.1 != to.1 && to.1 < self.fabric.gpus_of(from.0) {
            t.via = Some(self.fabric.gpu(from.0, to.1));
        }
        t
    }

    /// Ring channels: one per NIC the group's GPUs can use on a node (one
    /// on a single node); each moves `per_rank_bytes / channels` along
    /// every edge of its ring.
    fn ring(&mut self, nodes: &[Vec<Rank>], per_rank_bytes: f64) {
        let ppn = nodes[0].len();
        let channels = if nodes.len() > 1 {
            let nics = self.fabric.nics_of(nodes[0][0].0) as usize;
            ppn.min(nics).max(1)
        } else {
            1
        };
        let share = per_rank_bytes / channels as f64;
        let mut phase = Vec::new();
        for c in 0..channels {
            // Channel c enters even nodes at their c-th GPU and walks them
            // forward, odd nodes backward, so every hop between nodes
            // joins two GPUs of one rail (NIC k to NIC k) as NCCL's rings
            // on rail-optimized fabrics do; with an odd node count the
            // hop closing the ring changes rail.
            let order: Vec<Rank> = nodes
                .iter()
                .enumerate()
                .flat_map(|(i, n)| {
                    let len = n.len();
                    (0..len).map(move |j| {
                        let step = if i % 2 == 0 { j + c } else { c + len - 1 - j };
                        n[step % len]
                    })
                })
                .collect();
            for i in 0..order.len() {
                let next = order[(i + 1) % order.len()];
                if next != order[i] {
                    phase.push(self.transfer(order[i], next, share));
                }
            }
        }
        self.phases.push(phase);
    }

    /// NCCL's double binary tree over nodes, each tree carrying half the
    /// buffer up (reduce) and down (broadcast) every edge, spread over the
    /// node's rails; inside each node a chain carries the whole buffer
    /// both ways.
    fn tree(&mut self, nodes: &[Vec<Rank>], size: f64) {
        let mut phase = Vec::new();
        for n in nodes {
            for w in n.windows(2) {
                phase.push(self.transfer(w[0], w[1], size));
                phase.push(self.transfer(w[1], w[0], size));
            }
        }
        self.phases.push(phase);
        self.tree_across(nodes, size);
    }

    /// The two trees across nodes, on every rail at once.
    fn tree_across(&mut self, nodes: &[Vec<Rank>], size: f64) {
        let count = nodes.len();
        if count < 2 {
            return;
        }
        let rails = nodes[0].len();
        let mut phase = Vec::new();
        for tree in 0..2 {
            for (child, parent) in binary_tree_edges(count, tree) {
                for rail in 0..rails {
                    let a = nodes[child][rail % nodes[child].len()];
                    let b = nodes[parent][rail % nodes[parent].len()];
                    let half = size / 2.0 / rails as f64;
                    phase.push(self.transfer(a, b, half));
                    phase.push(self.transfer(b, a, half));
                }
            }
        }
        self.phases.push(phase);
    }

    /// NVLink SHARP: every GPU sends its buffer to the NVSwitch, which
    /// reduces and multicasts the result back. Modelled as a ring-free
    /// exchange whose per-GPU volume gives NVLS's algorithm bandwidth.
    fn nvls(&mut self, nodes: &[Vec<Rank>], size: f64, links: &Links) {
        let mut phase = Vec::new();
        // The NVSwitch is not an endpoint of a transfer; a GPU's buffer
        // reaching all its peers at the NVLS rate is the same load on its
        // NVLink as one transfer of size / nvls_efficiency to a neighbour.
        let scale = self.params.nvlink_efficiency / self.params.nvls_algbw_fraction(links);
        for n in nodes {
            for i in 0..n.len() {
                let next = n[(i + 1) % n.len()];
                if next != n[i] {
                    phase.push(self.transfer(n[i], next, size * scale));
                }
            }
        }
        self.phases.push(phase);
    }

    /// Every rank sends 1/n of its buffer to every other rank.
    fn all_to_all(&mut self, ranks: &[Rank], size: f64) {
        let slice = size / ranks.len() as f64;
        let mut phase = Vec::with_capacity(ranks.len() * ranks.len());
        for &a in ranks {
            for &b in ranks {
                if a != b {
                    phase.push(self.message(a, b, slice));
                }
            }
        }
        self.phases.push(phase);
    }
}

/// Edges (child, parent) of NCCL-style double binary trees over `n`
/// nodes: tree 0 is the in-order binary tree over 0..n, tree 1 the same
/// tree shifted by one node (NCCL's "mirrored/shifted" second tree), so
/// most nodes are interior in one tree and a leaf in the other.
pub fn binary_tree_edges(n: usize, tree: usize) -> Vec<(usize, usize)> {
    fn build(lo: usize, hi: usize, parent: Option<usize>, out: &mut Vec<(usize, usize)>) {
        if lo >= hi {
            return;
        }
        let mid = lo + (hi - lo) / 2;
        if let Some(p) = parent {
            out.push((mid, p));
        }
        build(lo, mid, Some(mid), out);
        build(mid + 1, hi, Some(mid), out);
    }
    let mut edges = Vec::with_capacity(n);
    build(0, n, None, &mut edges);
    if tree == 1 {
        for e in &mut edges {
            *e = ((e.0 + 1) % n, (e.1 + 1) % n);
        }
    }
    edges
}

/// Adds a phase's transfers to `model` at `now` as flows tagged `tag`,
/// routed with ECMP salts derived from `salt`. Returns how many flows were
/// added (transfers with no route are skipped: the caller's plan only
/// holds GPUs with NICs when it crosses nodes).
pub fn start_phase(
    model: &mut FlowModel,
    fabric: &Fabric,
    phase: &[Transfer],
    now: SimTime,
    salt: u64,
    tag: u64,
    path: &mut Vec<LinkId>,
) -> usize {
    let mut added = 0;
    for (i, t) in phase.iter().enumerate() {
        let salt = salt.wrapping_add(i as u64);
        // PXN: the NVLink leg and the network leg run at once (NCCL
        // pipelines the message through the peer GPU).
        let legs = match t.via {
            None => [Some((t.src, t.dst)), None],
            Some(via) => [Some((t.src, via)), Some((via, t.dst))],
        };
        for (src, dst) in legs.into_iter().flatten() {
            if fabric.route(src, dst, salt, path) {
                model.add_flow(now, path, t.bytes, tag);
                added += 1;
            }
        }
    }
    added
}

/// Runs a plan alone on an idle fabric: phases one after the other, each
/// ending with its last flow. Returns seconds, latency term included.
pub fn time_alone(plan: &FlowPlan, fabric: &Fabric, salt: u64) -> f64 {
    time_together(std::slice::from_ref(plan), fabric, salt)[0]
}

/// Runs plans at the same time on an idle fabric, all starting at zero,
/// each going through its own phases; their flows share links max-min
/// fairly. Returns each plan's time in seconds, latency term included
/// (`f64::INFINITY` for a plan with a flow stalled on a zero-capacity
/// link).
pub fn time_together(plans: &[FlowPlan], fabric: &Fabric, salt: u64) -> Vec<f64> {
    let mut model = FlowModel::new(fabric);
    let mut path = Vec::new();
    let mut phase = vec![0usize; plans.len()];
    let mut left = vec![0usize; plans.len()];
    let mut done = vec![f64::INFINITY; plans.len()];
    let mut now = SimTime::ZERO;
    // Starts plan `i`'s next non-empty phase, or records its end.
    let advance = |i: usize,
                   now: SimTime,
                   model: &mut FlowModel,
                   path: &mut Vec<LinkId>,
                   phase: &mut [usize],
                   left: &mut [usize],
                   done: &mut [f64]| {
        while phase[i] < plans[i].phases.len() {
            let p = phase[i];
            phase[i] += 1;
            let salt = salt ^ ((i as u64) << 40) ^ ((p as u64) << 20);
            left[i] = start_phase(
                model,
                fabric,
                &plans[i].phases[p],
                now,
                salt,
                i as u64,
                path,
            );
            if left[i] > 0 {
                return;
            }
        }
        done[i] = now.as_secs_f64() + plans[i].latency_s;
    };
    for i in 0..plans.len() {
        advance(
            i, now, &mut model, &mut path, &mut phase, &mut left, &mut done,
        );
    }
    model.recompute(now);
    while let Some(at) = model.next_completion() {
        now = at;
        let mut finished = Vec::new();
        while let Some(c) = model.pop_completed(now) {
            let i = c.tag as usize;
            left[i] -= 1;
            if left[i] == 0 {
                finished.push(i);
            }
        }
        for i in finished {
            advance(
                i, now, &mut model, &mut path, &mut phase, &mut left, &mut done,
            );
        }
        model.recompute(now);
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_binary_trees_span_every_node_once() {
        for n in 2..40 {
            for tree in 0..2 {
                let edges = binary_tree_edges(n, tree);
                assert_eq!(edges.len(), n - 1, "a tree over {n} nodes");
                let mut children: Vec<usize> = edges.iter().map(|e| e.0).collect();
                children.sort_unstable();
                children.dedup();
                assert_eq!(children.len(), n - 1, "each node has one parent");
            }
        }
    }
}
