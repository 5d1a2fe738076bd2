//! What the benchmarks and the timing examples share: the fabric
//! benchmark's flows (so that `examples/flow_cpu` and `examples/flow_dump`,
//! which feeds the SimGrid check, time and dump exactly the flows
//! `benches/fabric.rs` measures) and a thread's CPU time.
//!
//! Invariant: `random_paths(fabric, n, stream)` depends only on its
//! arguments (the engine's named random streams, seed 1).

use rand::RngExt;
use sim_core::engine::{RngStreams, SimTime};
use sim_core::fabric::{Fabric, FlowId, FlowModel, LinkId};

/// Flows of the fabric benchmark.
pub const FLOWS: usize = 10_000;

/// Spare paths the incremental benchmark swaps flows onto.
pub const SPARE_PATHS: usize = 4096;

/// `n` ECMP paths between random distinct host pairs (host NIC 0 to host
/// NIC 0), drawn from the named stream `stream` with seed 1; flow `i`
/// hashes with salt `i`.
pub fn random_paths(fabric: &Fabric, n: usize, stream: &str) -> Vec<Vec<LinkId>> {
    let mut rng = RngStreams::new(1).stream(stream);
    let hosts = fabric.node_count() as u32;
    (0..n)
        .map(|i| {
            let src = rng.random_range(0..hosts);
            let mut dst = rng.random_range(0..hosts - 1);
            if dst >= src {
                dst += 1;
            }
            fabric.route_vec(fabric.nic(src, 0), fabric.nic(dst, 0), i as u64)
        })
        .collect()
}

/// Bytes of each benchmark flow: long enough that none completes while
/// the benchmarks run.
pub const BYTES: f64 = 1e15;

/// A model over `fabric` with a flow of [`BYTES`] on each path (flow `i`
/// tagged `i`), solved at time zero.
pub fn loaded(fabric: &Fabric, paths: &[Vec<LinkId>]) -> (FlowModel, Vec<FlowId>) {
    let mut model = FlowModel::new(fabric);
    let ids = (paths.iter().enumerate())
        .map(|(i, p)| model.add_flow(SimTime::ZERO, p, BYTES, i as u64))
        .collect();
    model.recompute(SimTime::ZERO);
    (model, ids)
}

/// Nanoseconds this thread spent on a CPU (`/proc/thread-self/schedstat`,
/// Linux); `None` elsewhere.
pub fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
