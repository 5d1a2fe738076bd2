//! The collective cost model against closed forms and published nccl-tests
//! measurements.
//!
//! Calibration (three points, one per efficiency in
//! `collective::analytic::Params`):
//! - NVLink ring efficiency: 8×H100 ring all-reduce busbw ≈ 370 GB/s
//!   (nccl-tests issue #212, S. Jeaugey, NVIDIA, 2024-05-06);
//! - NVLS efficiency: 8×H100 NVLS all-reduce busbw ≈ 480 GB/s, algbw
//!   ≈ 275 GB/s (same comment);
//! - NIC efficiency: DGX-A100 with 8×200 Gb/s InfiniBand, 192 GB/s
//!   all-reduce busbw across nodes (NCCL issue #812, D. Addison, NVIDIA,
//!   2023-03-31).
//!
//! Everything else here is validation: the model was not fitted to it.

use sim_core::collective::analytic::{self, Choice, Links, Params};
use sim_core::collective::{Algorithm, CollectiveOp, GroupShape, Protocol};
use sim_core::hardware::{Catalog, NodeGroup};

fn group(node_model: &str, nodes: u32) -> NodeGroup {
    let catalog = Catalog::builtin();
    let node = catalog.node(node_model).unwrap().clone();
    let gpu = catalog.gpu(&node.gpu_model).unwrap().clone();
    NodeGroup {
        name: "g".into(),
        gpus_per_node: node.gpus_per_node,
        node_model: node,
        gpu_model: gpu,
        first_node: 0,
        node_count: nodes,
    }
}

/// busbw in GB/s of `op` at `size` bytes, as nccl-tests prints it.
fn busbw(
    node_model: &str,
    op: CollectiveOp,
    nodes: u32,
    gpus_per_node: u32,
    size: f64,
    algorithm: Option<Algorithm>,
) -> f64 {
    let links = Links::for_node_group(&group(node_model, nodes));
    let shape = GroupShape::whole_nodes(nodes, gpus_per_node);
    let choice = Choice {
        algorithm,
        protocol: None,
    };
    let e = analytic::estimate(op, size, shape, &links, &Params::default(), choice).unwrap();
    e.algorithm_bandwidth(size) * op.bus_factor(shape.ranks) / 1e9
}

fn assert_within(measured: f64, published: f64, tolerance: f64, what: &str) {
    let error = (measured - published) / published;
    assert!(
        error.abs() <= tolerance,
        "{what}: model {measured:.1} GB/s vs published {published:.1} GB/s ({:+.1}%)",
        error * 100.0
    );
}

const LARGE: f64 = 16.0 * (1u64 << 30) as f64;

#[test]
fn calibration_points_are_reproduced() {
    let ring = busbw(
        "DGX-H100",
        CollectiveOp::AllReduce,
        1,
        8,
        LARGE,
        Some(Algorithm::Ring),
    );
    assert_within(ring, 370.0, 0.01, "8xH100 ring");
    let nvls = busbw("DGX-H100", CollectiveOp::AllReduce, 1, 8, LARGE, None);
    assert_within(nvls, 480.0, 0.01, "8xH100 NVLS (tuner's choice)");
    let a100 = busbw(
        "DGX-A100",
        CollectiveOp::AllReduce,
        4,
        8,
        LARGE,
        Some(Algorithm::Ring),
    );
    assert_within(a100, 192.0, 0.01, "DGX-A100 ring across 4 nodes");
}

/// nccl-tests issue #149 (S. Jeaugey, 2023-07-05): 8×A100 NVLink ring,
/// "effective bandwidth should be 240 GB/s on A100, but some other
/// bottlenecks on the GPUs limit it to ~230 GB/s".
#[test]
fn a100_single_node_ring_matches_nccl_tests_issue_149() {
    let ring = busbw("DGX-A100", CollectiveOp::AllReduce, 1, 8, LARGE, None);
    assert_within(ring, 230.0, 0.10, "8xA100 all_reduce");
}

/// NCCL issue #1455 (2024-09-19): 8×H100 SXM, `NCCL_ALGO=NVLS`, busbw 420,
/// 440, 460 GB/s on 5, 6, 7 GPUs; `NCCL_ALGO=RING` 365-370 GB/s on 2 to 8.
#[test]
fn h100_nvls_and_ring_over_fewer_gpus_match_nccl_issue_1455() {
    for (gpus, published) in [(5, 420.0), (6, 440.0), (7, 460.0)] {
        let nvls = busbw(
            "DGX-H100",
            CollectiveOp::AllReduce,
            1,
            gpus,
            LARGE,
            Some(Algorithm::Nvls),
        );
        assert_within(nvls, published, 0.10, &format!("NVLS on {gpus} H100"));
    }
    for gpus in 2..=8 {
        let ring = busbw(
            "DGX-H100",
            CollectiveOp::AllReduce,
            1,
            gpus,
            LARGE,
            Some(Algorithm::Ring),
        );
        assert_within(ring, 367.5, 0.10, &format!("ring on {gpus} H100"));
    }
}

/// nccl-tests issue #290 (D. Addison, NVIDIA, 2025-03-03): across H100
/// nodes with NDR 400 Gb/s, "you should see 46-48 GB/s per NIC" with
/// `NCCL_ALGO=RING`; with 8 NICs per node that is 368-384 GB/s busbw.
#[test]
fn h100_multi_node_ring_over_8x400g_matches_nccl_tests_issue_290() {
    for nodes in [2, 4, 8, 16] {
        let ring = busbw(
            "DGX-H100",
            CollectiveOp::AllReduce,
            nodes,
            8,
            LARGE,
            Some(Algorithm::Ring),
        );
        assert_within(ring, 376.0, 0.10, &format!("ring over {nodes} DGX-H100"));
    }
}

/// nccl-tests issue #283 (2025-01-18): 248 HGX-H200 nodes (1,984 GPUs),
/// 8×400G InfiniBand, default algorithm, 512 MB all-reduce: "typically
/// around 350G, but occasionally dropping below 300G". The model picks the
/// tree and gives about 314 GB/s, inside the reported band but 10% under
/// its typical value: at 1,984 ranks NCCL's latency constants (2·7 network
/// steps of 14 µs) weigh on a 512 MB message. The tolerance is 15% here,
/// the only point above 10%.
#[test]
fn h200_at_248_nodes_matches_nccl_tests_issue_283() {
    let size = 512.0 * (1u64 << 20) as f64;
    let bus = busbw("HGX-H200", CollectiveOp::AllReduce, 248, 8, size, None);
    assert_within(bus, 350.0, 0.15, "all_reduce on 248 HGX-H200");
    assert!(bus > 300.0, "inside the band the issue reports");
}

/// Closed forms: a forced ring costs exactly 2(n-1)/n·M/B (all-reduce) or
/// (n-1)/n·M/B (all-gather, reduce-scatter) plus NCCL's latency term
/// (`tuning.cc`: base 8.4 µs for Simple, then 3.4 µs per NVLink step, at
/// least 3 µs of network posting per step on several nodes, 14 µs per
/// network step), with B the bottleneck: NVLink inside a node, the node's
/// NICs across.
#[test]
fn ring_times_follow_the_closed_forms() {
    let p = Params::default();
    let links = Links::for_node_group(&group("DGX-H100", 4));
    let m = 16e9;
    let ring_simple = Choice {
        algorithm: Some(Algorithm::Ring),
        protocol: Some(Protocol::Simple),
    };
    let b_nvlink = 450e9 * p.nvlink_efficiency;
    let b_nics = 8.0 * 50e9 * p.nic_efficiency;
    for (nodes, b) in [(1u32, b_nvlink), (4, b_nvlink.min(b_nics))] {
        let shape = GroupShape::whole_nodes(nodes, 8);
        let n = f64::from(shape.ranks);
        let intra_step_us = if nodes > 1 { 3.4f64.max(3.0) } else { 3.4 };
        for (op, volume, steps) in [
            (
                CollectiveOp::AllReduce,
                2.0 * (n - 1.0) / n,
                2 * (shape.ranks - 1),
            ),
            (CollectiveOp::AllGather, (n - 1.0) / n, shape.ranks - 1),
            (CollectiveOp::ReduceScatter, (n - 1.0) / n, shape.ranks - 1),
        ] {
            let inter_steps = if op == CollectiveOp::AllReduce {
                2 * (nodes - 1)
            } else {
                nodes - 1
            };
            let latency_s = (8.4
                + f64::from(steps - inter_steps) * intra_step_us
                + f64::from(inter_steps) * 14.0)
                * 1e-6;
            let expected = volume * m / b + latency_s;
            let e = analytic::estimate(op, m, shape, &links, &p, ring_simple).unwrap();
            assert!(
                (e.time_s - expected).abs() / expected < 1e-9,
                "{op} on {nodes} nodes: {} s vs {expected} s",
                e.time_s
            );
            assert!(
                latency_s / expected < 0.01,
                "the bandwidth term dominates at 16 GB"
            );
        }
    }
}

// ---- Flow mode: the same collectives as flows on a fabric. ----

use sim_core::collective::flows::{self, FlowPlan, Rank};
use sim_core::fabric::{self, Fabric, LeafSpineConfig, SingleSwitchConfig};
use sim_core::hardware::Cluster;

fn cluster(node_model: &str, nodes: u32) -> Cluster {
    Cluster::from_groups(vec![group(node_model, nodes)])
}

fn ring_plan(op: CollectiveOp, m: f64, ranks: &[Rank], fabric: &Fabric, links: &Links) -> FlowPlan {
    flows::plan(
        flows::Call {
            op,
            algorithm: Algorithm::Ring,
            protocol: Protocol::Simple,
            size_bytes: m,
        },
        ranks,
        fabric,
        links,
        &Params::default(),
    )
}

/// An uncontended ring in flow mode takes the closed form: 2(n-1)/n·M/B
/// (all-reduce) or (n-1)/n·M/B (all-gather, reduce-scatter) plus NCCL's
/// latency term, within 1%, with B the bottleneck link after protocol
/// efficiency: one NIC for one GPU per node across a switch, NVLink inside
/// a node (Patarasuk & Yuan, "Bandwidth optimal all-reduce algorithms for
/// clusters of workstations", JPDC 2009; nccl-tests' bus bandwidth).
#[test]
fn flow_mode_rings_take_the_closed_form_time() {
    let p = Params::default();
    let c = cluster("DGX-H100", 8);
    let fabric = fabric::builders::single_switch(&c, &SingleSwitchConfig::default()).unwrap();
    let links = Links::for_node_group(&c.groups[0]);
    let m = 1e9;
    let across: Vec<Rank> = (0..8).map(|n| (n, 0)).collect();
    let inside: Vec<Rank> = (0..8).map(|g| (0, g)).collect();
    for (ranks, b) in [
        (&across, 50e9 * p.nic_efficiency),
        (&inside, 450e9 * p.nvlink_efficiency),
    ] {
        let n = ranks.len() as f64;
        for (op, volume) in [
            (CollectiveOp::AllReduce, 2.0 * (n - 1.0) / n),
            (CollectiveOp::AllGather, (n - 1.0) / n),
            (CollectiveOp::ReduceScatter, (n - 1.0) / n),
        ] {
            let plan = ring_plan(op, m, ranks, &fabric, &links);
            let t = flows::time_alone(&plan, &fabric, 0);
            let expected = volume * m / b + plan.latency_s;
            assert!(
                (t - expected).abs() / expected < 0.01,
                "{op} over {} ranks: flow {t} s vs closed form {expected} s",
                ranks.len()
            );
        }
    }
}

/// Flow mode agrees with the analytic model on a whole-node ring across
/// DGX H100 nodes, up to the GPU whose channel leaves the node over PCIe
/// rather than NVLink (under 5%).
#[test]
fn flow_mode_agrees_with_the_analytic_model_on_an_idle_fabric() {
    let c = cluster("DGX-H100", 4);
    let fabric = fabric::builders::single_switch(&c, &SingleSwitchConfig::default()).unwrap();
    let links = Links::for_node_group(&c.groups[0]);
    let ranks: Vec<Rank> = (0..4).flat_map(|n| (0..8).map(move |g| (n, g))).collect();
    let m = 4e9;
    let plan = ring_plan(CollectiveOp::AllReduce, m, &ranks, &fabric, &links);
    let flow = flows::time_alone(&plan, &fabric, 0);
    let choice = Choice {
        algorithm: Some(Algorithm::Ring),
        protocol: Some(Protocol::Simple),
    };
    let shape = GroupShape::whole_nodes(4, 8);
    let analytic = analytic::estimate(
        CollectiveOp::AllReduce,
        m,
        shape,
        &links,
        &Params::default(),
        choice,
    )
    .unwrap()
    .time_s;
    assert!(
        (flow - analytic).abs() / analytic < 0.05,
        "flow {flow} s vs analytic {analytic} s"
    );
}

/// A 2:1 leaf-spine of 64-port switches: 42 host ports and 21 uplinks per
/// leaf, so five DGX H100 nodes (8 NICs each) per leaf; 20 nodes on 4
/// leaves.
fn two_to_one_fabric() -> (Fabric, Links) {
    let c = cluster("DGX-H100", 20);
    let config = LeafSpineConfig {
        oversubscription: 2.0,
        ..LeafSpineConfig::default()
    };
    let fabric = fabric::builders::leaf_spine(&c, &config).unwrap();
    assert_eq!(fabric.leaf_groups().len(), 4, "five nodes per leaf");
    (fabric, Links::for_node_group(&c.groups[0]))
}

/// Every GPU of the given DGX nodes, node by node.
fn whole(nodes: &[u32]) -> Vec<Rank> {
    nodes
        .iter()
        .flat_map(|&n| (0..8).map(move |g| (n, g)))
        .collect()
}

/// On [`two_to_one_fabric`], job A all-reduces over 5 nodes while job B, on the other 15
/// nodes, does the same. Packed under one leaf, A's ring never leaves it;
/// spread over the four leaves, its ring crosses the oversubscribed
/// uplinks that B also uses.
#[test]
fn a_job_spread_over_leaves_of_a_2_to_1_fabric_is_slower_than_packed() {
    let (fabric, links) = two_to_one_fabric();
    let leaves = fabric.leaf_groups();
    let m = 2e9;
    let packed_a = leaves[0].nodes.clone();
    let mut spread_a: Vec<u32> = leaves.iter().map(|l| l.nodes[0]).collect();
    spread_a.push(leaves[0].nodes[1]);
    spread_a.sort_unstable();
    let time_of_a = |a: &[u32]| {
        let b: Vec<u32> = (0..20).filter(|n| !a.contains(n)).collect();
        let plans = [
            ring_plan(CollectiveOp::AllReduce, m, &whole(a), &fabric, &links),
            ring_plan(CollectiveOp::AllReduce, m, &whole(&b), &fabric, &links),
        ];
        flows::time_together(&plans, &fabric, 7)[0]
    };
    let packed = time_of_a(&packed_a);
    let spread = time_of_a(&spread_a);
    println!(
        "job A packed {packed:.4} s, spread {spread:.4} s ({:.2}x)",
        spread / packed
    );
    assert!(
        spread > packed * 1.2,
        "spread {spread:.4} s should be well above packed {packed:.4} s"
    );
}

/// On [`two_to_one_fabric`] again: job A's ring
/// all-reduce over one or two nodes of every leaf slows down when a
/// neighbour on the other fifteen nodes runs an all-to-all, because both
/// cross the leaves' oversubscribed uplinks. (On a 1:1 InfiniBand fabric
/// D-mod-k routing keeps the two apart: no slowdown there, as a
/// non-blocking fabric promises.)
#[test]
fn a_neighbours_all_to_all_slows_a_job_down() {
    let (fabric, links) = two_to_one_fabric();
    let leaves = fabric.leaf_groups();
    let mut a: Vec<u32> = leaves.iter().map(|l| l.nodes[0]).collect();
    a.push(leaves[0].nodes[1]);
    a.sort_unstable();
    let b: Vec<u32> = (0..20).filter(|n| !a.contains(n)).collect();
    let m = 2e9;
    let ring_a = ring_plan(CollectiveOp::AllReduce, m, &whole(&a), &fabric, &links);
    let alone = flows::time_alone(&ring_a, &fabric, 3);
    let a2a_b = flows::plan(
        flows::Call {
            op: CollectiveOp::AllToAll,
            algorithm: Algorithm::Ring,
            protocol: Protocol::Simple,
            size_bytes: 8.0 * m,
        },
        &whole(&b),
        &fabric,
        &links,
        &Params::default(),
    );
    let together = flows::time_together(&[ring_a, a2a_b], &fabric, 3)[0];
    println!(
        "ring alone {alone:.4} s, beside an all-to-all {together:.4} s ({:.2}x)",
        together / alone
    );
    assert!(
        together > alone * 1.1,
        "with the all-to-all {together:.4} s vs alone {alone:.4} s"
    );
}
