//! The fabric against closed forms and against itself.
//!
//! - Transfer times on a DGX H100 cluster: 400 Gb/s NICs (50 GB/s per
//!   direction, DGX H100 datasheet: 8 ConnectX-7 at 400 Gb/s) and NVLink at
//!   900 GB/s both directions (450 GB/s each way, H100 SXM datasheet), so
//!   a transfer of B bytes alone takes B / bandwidth, two sharing a link
//!   take twice as long.
//! - Incremental recomputation gives the rates a solve from scratch gives,
//!   and those rates are max-min fair: every flow crosses a saturated link
//!   on which no flow is faster (Bertsekas & Gallager, Data Networks, 2nd
//!   ed., §6.5.2: the bottleneck characterisation of max-min fairness).

use proptest::prelude::*;
use sim_core::engine::SimTime;
use sim_core::fabric::builders::{fat_tree_hosts, single_switch};
use sim_core::fabric::{Fabric, FatTreeConfig, FlowId, FlowModel, LinkId, SingleSwitchConfig};
use sim_core::hardware::{Catalog, Cluster, NodeGroup};

fn dgx_h100(nodes: u32) -> Cluster {
    let catalog = Catalog::builtin();
    let node_model = catalog.node("DGX-H100").unwrap().clone();
    let gpu_model = catalog.gpu(&node_model.gpu_model).unwrap().clone();
    Cluster::from_groups(vec![NodeGroup {
        name: "dgx".into(),
        gpus_per_node: node_model.gpus_per_node,
        node_model,
        gpu_model,
        first_node: 0,
        node_count: nodes,
    }])
}

const GB: f64 = 1e9;

#[test]
fn transfers_on_a_dgx_h100_pair_take_bytes_over_bandwidth() {
    let fabric = single_switch(&dgx_h100(2), &SingleSwitchConfig::default()).unwrap();
    let mut model = FlowModel::new(&fabric);
    let t0 = SimTime::ZERO;

    // GPU to GPU across nodes: the 400 Gb/s NIC (50 GB/s) is the
    // bottleneck, below PCIe Gen5 x16 (63 GB/s). 1 GB takes 20 ms.
    let across = fabric.route_vec(fabric.gpu(0, 0), fabric.gpu(1, 0), 0);
    let f = model.add_flow(t0, &across, GB, 1);
    model.recompute(t0);
    assert_eq!(model.rate_bytes_per_s(f), 50.0 * GB);
    assert_eq!(model.finish_time(f), Some(SimTime::from_ns(20_000_000)));

    // Inside a node over NVLink: 450 GB/s each way; 1 GB takes
    // 1/450 s = 2,222,222.2 ns, rounded up.
    let inside = fabric.route_vec(fabric.gpu(0, 1), fabric.gpu(0, 2), 0);
    let g = model.add_flow(t0, &inside, GB, 2);
    model.recompute(t0);
    assert_eq!(model.rate_bytes_per_s(g), 450.0 * GB);
    assert_eq!(model.finish_time(g), Some(SimTime::from_ns(2_222_223)));
    // The NVLink flow shares nothing with the first: its schedule stands.
    assert_eq!(model.finish_time(f), Some(SimTime::from_ns(20_000_000)));

    // A second flow out of GPU 0 of node 0 (to GPU 1 of node 1) shares
    // the GPU's PCIe link and NIC 0: both drop to 25 GB/s. At 10 ms the
    // first has 0.5 GB left, at 25 GB/s 20 ms more: done at 30 ms.
    let t10 = SimTime::from_ns(10_000_000);
    let second = fabric.route_vec(fabric.gpu(0, 0), fabric.gpu(1, 1), 0);
    let h = model.add_flow(t10, &second, GB, 3);
    model.recompute(t10);
    assert_eq!(model.rate_bytes_per_s(f), 25.0 * GB);
    assert_eq!(model.rate_bytes_per_s(h), 25.0 * GB);
    assert_eq!(model.finish_time(f), Some(SimTime::from_ns(30_000_000)));
    // The second then has 1 - 0.5 = 0.5 GB left, alone at 50 GB/s: 10 ms.
    let mut done = Vec::new();
    while let Some(t) = model.next_completion() {
        while let Some(c) = model.pop_completed(t) {
            done.push((c.tag, c.finish.as_ns()));
        }
        model.recompute(t);
    }
    assert_eq!(done, [(2, 2_222_223), (1, 30_000_000), (3, 40_000_000)]);
}

/// Max-min fairness by its bottleneck characterisation, and no link over
/// capacity.
fn assert_max_min(fabric: &Fabric, model: &FlowModel, flows: &[FlowId]) {
    let mut load = vec![0.0f64; fabric.link_count()];
    let mut fastest = vec![0.0f64; fabric.link_count()];
    for &f in flows {
        let r = model.rate_bytes_per_s(f);
        if r.is_infinite() {
            continue; // source = sink: no links
        }
        for l in model.path(f) {
            load[l.index()] += r;
            fastest[l.index()] = f64::max(fastest[l.index()], r);
        }
    }
    for (l, link) in fabric.links().iter().enumerate() {
        assert!(
            load[l] <= link.bandwidth_bytes_per_s * (1.0 + 1e-9),
            "link {l} over capacity"
        );
    }
    for &f in flows.iter().filter(|f| !model.path(**f).is_empty()) {
        let r = model.rate_bytes_per_s(f);
        let has_bottleneck = model.path(f).iter().any(|l| {
            let cap = fabric.link(*l).bandwidth_bytes_per_s;
            load[l.index()] >= cap * (1.0 - 1e-9) && r >= fastest[l.index()] * (1.0 - 1e-9)
        });
        assert!(has_bottleneck, "flow {f:?} at {r} has no bottleneck link");
    }
}

#[derive(Clone, Debug)]
enum Op {
    Add {
        src: u32,
        dst: u32,
        salt: u64,
        bytes: f64,
    },
    Remove(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u32..16, 0u32..16, any::<u64>(), 1e6f64..1e10)
            .prop_map(|(src, dst, salt, bytes)| Op::Add { src, dst, salt, bytes }),
        2 => any::<prop::sample::Index>().prop_map(|i| Op::Remove(i.index(1 << 20))),
        1 => (1u64..50_000_000).prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random adds, removals and completions on a k = 4 fat-tree (16
    /// hosts), recomputing incrementally after each step, give the rates
    /// of a fresh model solving the surviving flows from scratch, and
    /// those are max-min fair.
    #[test]
    fn incremental_equals_from_scratch(ops in prop::collection::vec(op(), 1..60)) {
        let fabric = fat_tree_hosts(&FatTreeConfig { k: 4, ..FatTreeConfig::default() }).unwrap();
        let mut model = FlowModel::new(&fabric);
        let mut live: Vec<(FlowId, Vec<LinkId>)> = Vec::new();
        let mut now = SimTime::ZERO;
        for op in ops {
            match op {
                Op::Add { src, dst, salt, bytes } => {
                    let path = fabric.route_vec(fabric.nic(src, 0), fabric.nic(dst, 0), salt);
                    let id = model.add_flow(now, &path, bytes, 0);
                    live.push((id, path));
                }
                Op::Remove(i) => {
                    if !live.is_empty() {
                        let (id, _) = live.swap_remove(i % live.len());
                        prop_assert!(model.remove_flow(now, id).is_some());
                    }
                }
                Op::Advance(ns) => {
                    now = SimTime::from_ns(now.as_ns() + ns);
                    while let Some(c) = model.pop_completed(now) {
                        live.retain(|(id, _)| *id != c.id);
                    }
                }
            }
            model.recompute(now);
        }
        prop_assert_eq!(model.active_flows(), live.len());
        let mut fresh = FlowModel::new(&fabric);
        let ids: Vec<FlowId> = live.iter().map(|(_, p)| fresh.add_flow(now, p, 1.0, 0)).collect();
        fresh.recompute(now);
        for ((id, _), fresh_id) in live.iter().zip(&ids) {
            let (a, b) = (model.rate_bytes_per_s(*id), fresh.rate_bytes_per_s(*fresh_id));
            // Source = sink gives an infinite rate in both.
            prop_assert!(a == b || (a - b).abs() <= 1e-9 * b.max(1.0), "{} vs {}", a, b);
        }
        let flows: Vec<FlowId> = live.iter().map(|(id, _)| *id).collect();
        assert_max_min(&fabric, &model, &flows);
    }
}

#[test]
fn routing_is_the_same_in_two_builds() {
    let a = fat_tree_hosts(&FatTreeConfig {
        k: 8,
        ..FatTreeConfig::default()
    })
    .unwrap();
    let b = fat_tree_hosts(&FatTreeConfig {
        k: 8,
        ..FatTreeConfig::default()
    })
    .unwrap();
    for (i, (src, dst)) in [(0u32, 127u32), (5, 64), (100, 3)].into_iter().enumerate() {
        for salt in 0..16 {
            let pa = a.route_vec(a.nic(src, 0), a.nic(dst, 0), salt + i as u64);
            let pb = b.route_vec(b.nic(src, 0), b.nic(dst, 0), salt + i as u64);
            assert_eq!(pa, pb);
        }
    }
}
