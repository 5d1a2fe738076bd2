//! Cables and switches of the fabric failing and coming back: routes
//! avoid what is down, nodes behind a dead leaf are cut off, and flows are
//! moved and re-solved (rates computed by hand on a two-leaf, two-spine
//! fabric of 400 Gb/s links, 50 GB/s per direction).

use proptest::prelude::*;
use sim_core::engine::SimTime;
use sim_core::fabric::builders::{explicit, fat_tree_hosts};
use sim_core::fabric::{
    CableId, ExplicitConfig, ExplicitLink, ExplicitSwitch, Fabric, FatTreeConfig, FlowModel,
    LinkPreset, LostFlow, SwitchId, VertexId,
};
use sim_core::hardware::{Catalog, Cluster, NodeGroup};

const GB: f64 = 1e9;

fn secs(s: f64) -> SimTime {
    SimTime::from_ns((s * 1e9) as u64)
}

/// Four DGX H100 nodes with one 400G NIC each: nodes 0 and 1 under
/// `leaf0`, 2 and 3 under `leaf1`, each leaf with one cable to `spine0`
/// and one to `spine1`.
fn two_by_two(preset: LinkPreset) -> Fabric {
    let catalog = Catalog::builtin();
    let mut node_model = catalog.node("DGX-H100").unwrap().clone();
    node_model.compute_nics = 1;
    let gpu_model = catalog.gpu(&node_model.gpu_model).unwrap().clone();
    let cluster = Cluster::from_groups(vec![NodeGroup {
        name: "n".into(),
        gpus_per_node: node_model.gpus_per_node,
        node_model,
        gpu_model,
        first_node: 0,
        node_count: 4,
    }]);
    let switch = |name: &str| ExplicitSwitch {
        name: name.into(),
        tier: None,
    };
    let link = |a: &str, b: &str| ExplicitLink {
        a: a.into(),
        b: b.into(),
        count: 1,
        bandwidth: None,
    };
    let names: Vec<String> = cluster.nodes.iter().map(|n| n.name.clone()).collect();
    explicit(
        &cluster,
        &ExplicitConfig {
            switches: ["leaf0", "leaf1", "spine0", "spine1"].map(switch).to_vec(),
            links: vec![
                link("leaf0", "spine0"),
                link("leaf0", "spine1"),
                link("leaf1", "spine0"),
                link("leaf1", "spine1"),
                link(&names[0], "leaf0"),
                link(&names[1], "leaf0"),
                link(&names[2], "leaf1"),
                link(&names[3], "leaf1"),
            ],
            preset,
            ..ExplicitConfig::default()
        },
    )
    .unwrap()
}

/// The cable between two named switches.
fn cable(f: &Fabric, a: &str, b: &str) -> CableId {
    let name = |v: VertexId| f.vertex(v).switch_name().unwrap_or("").to_string();
    *f.cables()
        .iter()
        .find(|&&c| {
            let (x, y) = f.cable_ends(c);
            let (x, y) = (name(x), name(y));
            (x == a && y == b) || (x == b && y == a)
        })
        .unwrap_or_else(|| panic!("no cable {a}-{b}"))
}

fn switch(f: &Fabric, name: &str) -> SwitchId {
    (0..f.switch_vertices().len() as u32)
        .map(SwitchId)
        .find(|&s| f.switch_name(s) == name)
        .unwrap()
}

/// The spine a cross-leaf path climbs to.
fn spine_of(f: &Fabric, path: &[sim_core::fabric::LinkId]) -> String {
    f.vertex(f.link(path[1]).dst)
        .switch_name()
        .unwrap()
        .to_string()
}

#[test]
fn components_are_counted_per_target() {
    let f = two_by_two(LinkPreset::IB_NDR);
    assert_eq!(f.cables().len(), 4, "the four leaf-spine cables");
    let names = |s: &[SwitchId]| s.iter().map(|&s| f.switch_name(s)).collect::<Vec<_>>();
    assert_eq!(names(f.leaf_switches()), ["leaf0", "leaf1"]);
    assert_eq!(names(f.spine_switches()), ["spine0", "spine1"]);
    assert_eq!(f.nodes_under(switch(&f, "leaf0")), [0, 1]);
    assert_eq!(f.nodes_under(switch(&f, "leaf1")), [2, 3]);
    assert!(f.nodes_under(switch(&f, "spine0")).is_empty());
    // A k = 4 fat-tree: 16 edge-aggregation and 16 aggregation-core
    // cables, 8 edge switches, 8 aggregation + 4 core above them, two
    // hosts per edge switch.
    let t = fat_tree_hosts(&FatTreeConfig {
        k: 4,
        ..FatTreeConfig::default()
    })
    .unwrap();
    assert_eq!(t.cables().len(), 32);
    assert_eq!(t.leaf_switches().len(), 8);
    assert_eq!(t.spine_switches().len(), 12);
    assert_eq!(t.nodes_under(t.leaf_switches()[3]), [6, 7]);
}

#[test]
fn a_failed_uplink_moves_routes_to_the_other_spine_and_back() {
    for preset in [LinkPreset::IB_NDR, LinkPreset::ROCE_400G] {
        let mut f = two_by_two(preset.clone());
        let (h0, h2) = (f.nic(0, 0), f.nic(2, 0));
        let before: Vec<_> = (0..64).map(|salt| f.route_vec(h0, h2, salt)).collect();
        let dead = cable(&f, "leaf0", "spine0");
        f.set_cable_up(dead, false);
        assert!(!f.is_healthy());
        let (a, b) = dead.links();
        assert_eq!(f.down_links(), [a, b]);
        for salt in 0..64 {
            let path = f.route_vec(h0, h2, salt);
            assert_eq!(spine_of(&f, &path), "spine1", "{}", preset.name);
            assert!(path.iter().all(|&l| f.is_link_up(l)));
            for w in path.windows(2) {
                assert_eq!(f.link(w[0]).dst, f.link(w[1]).src, "a path is connected");
            }
        }
        // Traffic inside a leaf never used the spines.
        assert_eq!(f.route_vec(h0, f.nic(1, 0), 0).len(), 2);
        f.set_cable_up(dead, true);
        assert!(f.is_healthy() && f.down_links().is_empty());
        let after: Vec<_> = (0..64).map(|salt| f.route_vec(h0, h2, salt)).collect();
        assert_eq!(before, after, "repaired: the routes as built");
    }
}

#[test]
fn a_leaf_that_loses_all_uplinks_isolates_its_nodes() {
    let mut f = two_by_two(LinkPreset::IB_NDR);
    f.set_cable_up(cable(&f, "leaf0", "spine0"), false);
    assert!(!f.is_isolated(0), "one uplink left");
    f.set_cable_up(cable(&f, "leaf0", "spine1"), false);
    for node in [0, 1] {
        assert!(f.is_isolated(node) && !f.is_fully_connected(node));
    }
    // leaf1 keeps its uplinks: its nodes are not isolated, but they no
    // longer reach leaf0's.
    assert!(!f.is_isolated(2) && f.is_fully_connected(3));
    assert!(!f.connects(&[0, 2]));
    assert!(f.connects(&[0, 1]), "a job under one leaf keeps running");
    assert!(f.connects(&[2, 3]));
    let mut path = vec![sim_core::fabric::LinkId(7)];
    assert!(!f.route(f.nic(0, 0), f.nic(2, 0), 0, &mut path));
    assert!(path.is_empty(), "no path, reported, not a panic");
    assert!(f.route(f.nic(0, 0), f.nic(1, 0), 0, &mut path));
    // A GPU of node 0 to a GPU of node 3: none either.
    assert!(f.route_vec(f.gpu(0, 0), f.gpu(3, 5), 0).is_empty());
    f.set_cable_up(cable(&f, "leaf0", "spine1"), true);
    assert!(!f.is_isolated(0) && f.connects(&[0, 1, 2, 3]));
}

#[test]
fn a_switch_failure_takes_its_cables_and_a_repaired_cable_waits_for_it() {
    let mut f = two_by_two(LinkPreset::IB_NDR);
    let leaf0 = switch(&f, "leaf0");
    f.set_switch_up(leaf0, false);
    // Its two uplinks and two host cables: 8 directed links.
    assert_eq!(f.down_links().len(), 8);
    assert!(f.is_isolated(0) && f.is_isolated(1));
    assert!(!f.connects(&[0, 1]), "the leaf itself is gone");
    assert!(f.route_vec(f.nic(0, 0), f.nic(1, 0), 0).is_empty());
    // A cable of the dead switch fails and is repaired meanwhile: it stays
    // down until the switch returns.
    let up0 = cable(&f, "leaf0", "spine0");
    f.set_cable_up(up0, false);
    f.set_cable_up(up0, true);
    assert!(!f.is_link_up(up0.links().0));
    f.set_switch_up(leaf0, true);
    assert!(f.is_healthy());
    // A spine down: everything still reaches everything over the other.
    let spine0 = switch(&f, "spine0");
    f.set_switch_up(spine0, false);
    assert!(f.connects(&[0, 1, 2, 3]));
    assert!((0..4).all(|n| !f.is_isolated(n)));
    for salt in 0..16 {
        assert_eq!(
            spine_of(&f, &f.route_vec(f.nic(1, 0), f.nic(3, 0), salt)),
            "spine1"
        );
    }
    // Both spines down: every node is cut off.
    f.set_switch_up(switch(&f, "spine1"), false);
    assert!((0..4).all(|n| f.is_isolated(n)));
}

#[test]
fn fat_tree_routes_around_a_dead_core_switch_and_aggregation_cable() {
    // k = 4: from pod 0 to pod 2, one path per core switch. D-mod-k sends
    // the four hosts of pod 2 through four different cores; with core0
    // down, the host that used it goes through another, and nothing
    // crosses core0.
    for preset in [LinkPreset::IB_NDR, LinkPreset::ROCE_400G] {
        let mut f = fat_tree_hosts(&FatTreeConfig {
            k: 4,
            preset: preset.clone(),
            ..FatTreeConfig::default()
        })
        .unwrap();
        let pairs: Vec<(VertexId, VertexId, u64)> = (0..4)
            .flat_map(|s| (8..12).map(move |d| (s, d)))
            .flat_map(|(s, d)| (0..8).map(move |salt| (s, d, salt)))
            .map(|(s, d, salt)| (f.nic(s, 0), f.nic(d, 0), salt))
            .collect();
        let before: Vec<_> = pairs
            .iter()
            .map(|&(s, d, salt)| f.route_vec(s, d, salt))
            .collect();
        let core0 = switch(&f, "core0");
        f.set_switch_up(core0, false);
        let core0_vertex = f.switch_vertices()[core0.0 as usize];
        for (&(s, d, salt), old) in pairs.iter().zip(&before) {
            let path = f.route_vec(s, d, salt);
            assert_eq!(path.len(), 6, "still host-edge-agg-core-agg-edge-host");
            assert!(path.iter().all(|&l| f.is_link_up(l)));
            assert!(path.iter().all(|&l| f.link(l).dst != core0_vertex));
            let used_core0 = old.iter().any(|&l| f.link(l).dst == core0_vertex);
            if !used_core0 {
                assert_eq!(&path, old, "paths clear of core0 stay as they were");
            }
        }
        assert!(f.connects(&(0..16).collect::<Vec<_>>()));
        // An edge switch's two uplinks gone: its two hosts are isolated,
        // the rest of the pod is not.
        let edge = f.leaf_switches()[0];
        let agg0 = switch(&f, "pod0-agg0");
        let agg1 = switch(&f, "pod0-agg1");
        let ups = [agg0, agg1].map(|a| {
            *f.cables()
                .iter()
                .find(|&&c| {
                    let (x, y) = f.cable_ends(c);
                    let v = |s: SwitchId| f.switch_vertices()[s.0 as usize];
                    (x == v(edge) && y == v(a)) || (x == v(a) && y == v(edge))
                })
                .unwrap()
        });
        for c in ups {
            f.set_cable_up(c, false);
        }
        assert!(f.is_isolated(0) && f.is_isolated(1));
        assert!(!f.is_isolated(2));
        assert!(f.route_vec(f.nic(0, 0), f.nic(2, 0), 0).is_empty());
        assert!(f.connects(&[2, 3, 8, 15]));
        // Everything back: the routes as built.
        for c in ups {
            f.set_cable_up(c, true);
        }
        f.set_switch_up(core0, true);
        let after: Vec<_> = pairs
            .iter()
            .map(|&(s, d, salt)| f.route_vec(s, d, salt))
            .collect();
        assert_eq!(before, after, "{}", preset.name);
    }
}

#[test]
fn the_same_failures_give_the_same_routes() {
    let build = || {
        let mut f = fat_tree_hosts(&FatTreeConfig {
            k: 8,
            preset: LinkPreset::ROCE_400G,
            ..FatTreeConfig::default()
        })
        .unwrap();
        for &c in f.cables().to_vec().iter().step_by(7) {
            f.set_cable_up(c, false);
        }
        f.set_switch_up(switch(&f, "core5"), false);
        f
    };
    let (a, b) = (build(), build());
    let hosts = a.node_count() as u32;
    let mut routed = 0;
    for s in (0..hosts).step_by(5) {
        for d in (0..hosts).step_by(3) {
            let (x, y) = (
                a.route_vec(a.nic(s, 0), a.nic(d, 0), u64::from(s ^ d)),
                b.route_vec(b.nic(s, 0), b.nic(d, 0), u64::from(s ^ d)),
            );
            assert_eq!(x, y);
            assert!(x.iter().all(|&l| a.is_link_up(l)));
            routed += usize::from(!x.is_empty());
        }
    }
    assert!(routed > 1000, "most pairs still have a path: {routed}");
}

#[test]
fn a_failed_uplink_halves_the_flows_that_used_it_and_repair_restores_them() {
    // A: node 0 to node 2, B: node 1 to node 3, 100 GB each from t = 0,
    // on different spines (D-mod-k: destination NIC 2 takes port 0, NIC 3
    // port 1; on RoCE, a salt for B that hashes onto the other spine):
    // alone on their paths, 50 GB/s each.
    for preset in [LinkPreset::IB_NDR, LinkPreset::ROCE_400G] {
        let mut f = two_by_two(preset.clone());
        let (h0, h1, h2, h3) = (f.nic(0, 0), f.nic(1, 0), f.nic(2, 0), f.nic(3, 0));
        let spine_a = spine_of(&f, &f.route_vec(h0, h2, 0));
        let salt_b = (0..64)
            .find(|&salt| spine_of(&f, &f.route_vec(h1, h3, salt)) != spine_a)
            .unwrap();
        let mut m = FlowModel::new(&f);
        let a = m
            .add_routed_flow(secs(0.0), &f, (h0, h2), 0, 100.0 * GB, 1)
            .unwrap();
        let b = m
            .add_routed_flow(secs(0.0), &f, (h1, h3), salt_b, 100.0 * GB, 2)
            .unwrap();
        m.recompute(secs(0.0));
        let (path_a, path_b) = (m.path(a).to_vec(), m.path(b).to_vec());
        let rates = |m: &FlowModel| [m.rate_bytes_per_s(a), m.rate_bytes_per_s(b)];
        let healthy = rates(&m);
        assert_eq!(healthy, [50.0 * GB; 2]);
        assert_eq!(m.finish_time(a), Some(secs(2.0)));

        // At 1 s A's uplink fails: A (50 GB left) joins B on the other
        // spine; they share its uplink and downlink, 25 GB/s each, and
        // both end at 1 + 50/25 = 3 s.
        let dead = cable(&f, "leaf0", &spine_a);
        f.set_cable_up(dead, false);
        let mut lost = Vec::new();
        m.reroute(secs(1.0), &f, &mut lost);
        assert!(lost.is_empty());
        assert_ne!(spine_of(&f, m.path(a)), spine_a);
        assert_eq!(m.path(b), path_b, "B's path was clear: it stays");
        assert!(m.path(a).iter().all(|&l| f.is_link_up(l)));
        assert_eq!(rates(&m), [25.0 * GB; 2], "{}", preset.name);
        assert_eq!(m.remaining_bytes(a, secs(1.0)), 50.0 * GB);
        assert_eq!(m.finish_time(a), Some(secs(3.0)));
        assert_eq!(m.finish_time(b), Some(secs(3.0)));
        assert_eq!(m.detoured_flows(), 1);

        // Repaired at 2 s: A goes back, the rates are those before, to the
        // bit; A has 50 - 25 = 25 GB left, done at 2.5 s.
        f.set_cable_up(dead, true);
        m.reroute(secs(2.0), &f, &mut lost);
        assert!(lost.is_empty());
        assert_eq!((m.path(a), m.path(b)), (&path_a[..], &path_b[..]));
        assert_eq!(rates(&m).map(f64::to_bits), healthy.map(f64::to_bits));
        assert_eq!(m.finish_time(a), Some(secs(2.5)));
        assert_eq!(m.detoured_flows(), 0);
    }
}

#[test]
fn flows_of_an_isolated_leaf_are_reported_and_the_rest_speed_up() {
    // A: node 0 to node 2 (across), C: node 0 to node 1 (inside leaf0),
    // D: node 1 to node 3 added with a bare path. A and C share node 0's
    // port: 25 GB/s each.
    let mut f = two_by_two(LinkPreset::IB_NDR);
    let (h0, h1, h2, h3) = (f.nic(0, 0), f.nic(1, 0), f.nic(2, 0), f.nic(3, 0));
    let mut m = FlowModel::new(&f);
    let t0 = secs(0.0);
    let a = m
        .add_routed_flow(t0, &f, (h0, h2), 0, 100.0 * GB, 1)
        .unwrap();
    let c = m
        .add_routed_flow(t0, &f, (h0, h1), 0, 100.0 * GB, 3)
        .unwrap();
    let d = m.add_flow(t0, &f.route_vec(h1, h3, 0), 100.0 * GB, 4);
    m.recompute(t0);
    assert_eq!(m.rate_bytes_per_s(a), 25.0 * GB);
    assert_eq!(m.rate_bytes_per_s(c), 25.0 * GB);
    // D (via the other spine) has its links to itself: 50 GB/s. Both
    // uplinks of leaf0 fail at 1 s: A (100 - 25 = 75 GB left) and D
    // (100 - 50 = 50 GB left) have no path any more and are lost.
    f.set_cable_up(cable(&f, "leaf0", "spine0"), false);
    f.set_cable_up(cable(&f, "leaf0", "spine1"), false);
    let mut lost: Vec<LostFlow> = Vec::new();
    m.reroute(secs(1.0), &f, &mut lost);
    lost.sort_by_key(|l| l.tag);
    assert_eq!(
        lost.iter()
            .map(|l| (l.id, l.tag, l.remaining_bytes))
            .collect::<Vec<_>>(),
        [(a, 1, 75.0 * GB), (d, 4, 50.0 * GB)]
    );
    assert!(!m.is_active(a) && !m.is_active(d));
    assert_eq!(
        m.remove_flow(secs(1.0), a),
        None,
        "a lost flow's id is stale"
    );
    // C stays inside leaf0 and has node 0's port to itself.
    assert_eq!(m.rate_bytes_per_s(c), 50.0 * GB);
    // No path at all for a new flow across; fine inside the leaf.
    assert_eq!(m.add_routed_flow(secs(1.0), &f, (h1, h2), 0, GB, 5), None);
    assert!(
        m.add_routed_flow(secs(1.0), &f, (h1, h0), 0, GB, 6)
            .is_some()
    );
}

#[test]
fn fat_tree_flows_move_off_a_dead_core_and_back() {
    // k = 4, D-mod-k, hosts 0-3 of pod 0 to hosts 8-11 of pod 2: a shift
    // permutation, one core each (8: agg0 core0, 9: agg1 core2, 10: agg0
    // core1, 11: agg1 core3), 50 GB/s each. core0 down: 0->8 goes from
    // pod0-agg0 to core1, which 2->10 uses: those two share pod0-agg0's
    // link to core1 and core1's to pod2-agg0, 25 GB/s each.
    let mut f = fat_tree_hosts(&FatTreeConfig {
        k: 4,
        ..FatTreeConfig::default()
    })
    .unwrap();
    let mut m = FlowModel::new(&f);
    let t0 = secs(0.0);
    let flows: Vec<_> = (0..4)
        .map(|s| {
            m.add_routed_flow(
                t0,
                &f,
                (f.nic(s, 0), f.nic(s + 8, 0)),
                0,
                100.0 * GB,
                u64::from(s),
            )
            .unwrap()
        })
        .collect();
    m.recompute(t0);
    let rates = |m: &FlowModel| {
        flows
            .iter()
            .map(|&x| m.rate_bytes_per_s(x))
            .collect::<Vec<_>>()
    };
    let healthy = rates(&m);
    assert_eq!(healthy, [50.0 * GB; 4]);
    let core0 = switch(&f, "core0");
    f.set_switch_up(core0, false);
    let mut lost = Vec::new();
    m.reroute(secs(1.0), &f, &mut lost);
    assert!(lost.is_empty());
    assert_eq!(rates(&m), [25.0, 50.0, 25.0, 50.0].map(|r| r * GB));
    let core0_vertex = f.switch_vertices()[core0.0 as usize];
    for &x in &flows {
        assert!(m.path(x).iter().all(|&l| f.link(l).dst != core0_vertex));
    }
    f.set_switch_up(core0, true);
    m.reroute(secs(2.0), &f, &mut lost);
    assert_eq!(
        rates(&m).iter().map(|r| r.to_bits()).collect::<Vec<_>>(),
        healthy.iter().map(|r| r.to_bits()).collect::<Vec<_>>()
    );
}

/// Hop distances between switches over every switch-to-switch link as
/// built (`None`: not a switch pair), by breadth-first search on the graph.
fn switch_distances(f: &Fabric) -> Vec<Vec<Option<u32>>> {
    let n = f.vertex_count();
    let is_switch = |v: VertexId| f.vertex(v).switch_name().is_some();
    let mut all = vec![vec![None; n]; n];
    for &s in f.switch_vertices() {
        let dist = &mut all[s.0 as usize];
        dist[s.0 as usize] = Some(0);
        let mut queue = vec![s];
        let mut head = 0;
        while head < queue.len() {
            let x = queue[head];
            head += 1;
            for l in f.links() {
                if l.src == x && is_switch(l.dst) && dist[l.dst.0 as usize].is_none() {
                    dist[l.dst.0 as usize] = Some(dist[x.0 as usize].unwrap() + 1);
                    queue.push(l.dst);
                }
            }
        }
    }
    all
}

/// Whether a shortest switch path (as built) from `a` to `b` has every
/// link up: the oracle for routes under failures, by brute force.
fn shortest_path_up(f: &Fabric, dist: &[Vec<Option<u32>>], a: VertexId, b: VertexId) -> bool {
    if a == b {
        return true;
    }
    let here = dist[a.0 as usize][b.0 as usize].unwrap();
    f.links().iter().enumerate().any(|(i, l)| {
        l.src == a
            && f.is_link_up(sim_core::fabric::LinkId(i as u32))
            && dist[l.dst.0 as usize][b.0 as usize] == Some(here - 1)
            && shortest_path_up(f, dist, l.dst, b)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random cables and switches of a k = 4 fat-tree down: a pair of hosts
    /// has a route exactly when a shortest path with every link up exists
    /// (brute force), the route is such a path, `connects` agrees; flows
    /// crossing what failed are moved or reported lost exactly when their
    /// ends have no route; after everything is repaired every flow is back
    /// on its path and rate.
    #[test]
    fn routes_and_flows_follow_random_failures(
        infiniband in any::<bool>(),
        cables in prop::collection::vec(0usize..32, 0..8),
        switches in prop::collection::vec(0usize..20, 0..3),
        flows in prop::collection::vec((0u32..16, 0u32..16, 0u64..4), 1..24),
    ) {
        let preset = if infiniband { LinkPreset::IB_NDR } else { LinkPreset::ROCE_400G };
        let mut f = fat_tree_hosts(&FatTreeConfig { k: 4, preset, ..FatTreeConfig::default() })
            .unwrap();
        let dist = switch_distances(&f);
        let mut m = FlowModel::new(&f);
        let t0 = secs(0.0);
        let ids: Vec<_> = flows
            .iter()
            .enumerate()
            .map(|(i, &(s, d, salt))| {
                m.add_routed_flow(t0, &f, (f.nic(s, 0), f.nic(d, 0)), salt, 1e12, i as u64)
                    .unwrap()
            })
            .collect();
        m.recompute(t0);
        let paths: Vec<Vec<_>> = ids.iter().map(|&x| m.path(x).to_vec()).collect();
        let rates: Vec<f64> = ids.iter().map(|&x| m.rate_bytes_per_s(x)).collect();

        let all_cables = f.cables().to_vec();
        let all_switches: Vec<SwitchId> =
            f.leaf_switches().iter().chain(f.spine_switches()).copied().collect();
        for &c in &cables {
            f.set_cable_up(all_cables[c], false);
        }
        for &s in &switches {
            f.set_switch_up(all_switches[s], false);
        }
        for a in 0..16 {
            for b in 0..16 {
                let (x, y) = (f.nic(a, 0), f.nic(b, 0));
                let (lx, ly) = (f.leaf_of_nic(x), f.leaf_of_nic(y));
                let leaf_up = |v: VertexId| {
                    let o = f.switch_vertices().iter().position(|&w| w == v).unwrap();
                    f.is_switch_up(SwitchId(o as u32))
                };
                let expect = a == b
                    || (leaf_up(lx) && leaf_up(ly) && shortest_path_up(&f, &dist, lx, ly));
                for salt in 0..3 {
                    let path = f.route_vec(x, y, salt);
                    prop_assert_eq!(!path.is_empty() || a == b, expect, "{} -> {}", a, b);
                    prop_assert!(path.iter().all(|&l| f.is_link_up(l)));
                    for w in path.windows(2) {
                        prop_assert_eq!(f.link(w[0]).dst, f.link(w[1]).src);
                    }
                    if !path.is_empty() {
                        prop_assert_eq!(
                            path.len() as u32,
                            dist[lx.0 as usize][ly.0 as usize].unwrap() + 2
                        );
                    }
                }
                // A node's NICs must be up even for it alone.
                prop_assert_eq!(f.connects(&[a, b]), expect && leaf_up(lx));
            }
        }

        let mut lost = Vec::new();
        m.reroute(secs(1.0), &f, &mut lost);
        let mut lost_tags: Vec<u64> = lost.iter().map(|l| l.tag).collect();
        lost_tags.sort_unstable();
        let expect_lost: Vec<u64> = flows
            .iter()
            .enumerate()
            .filter(|&(_, &(s, d, salt))| f.route_vec(f.nic(s, 0), f.nic(d, 0), salt).is_empty() && s != d)
            .map(|(i, _)| i as u64)
            .collect();
        prop_assert_eq!(&lost_tags, &expect_lost);
        for (i, &x) in ids.iter().enumerate() {
            if m.is_active(x) {
                let (s, d, salt) = flows[i];
                prop_assert_eq!(m.path(x), &f.route_vec(f.nic(s, 0), f.nic(d, 0), salt)[..]);
                prop_assert!(m.path(x).iter().all(|&l| f.is_link_up(l)));
            }
        }

        // Everything back: the flows still there return to their paths
        // and rates.
        for &c in &all_cables {
            f.set_cable_up(c, true);
        }
        for &s in &all_switches {
            f.set_switch_up(s, true);
        }
        prop_assert!(f.is_healthy());
        let lost_before = lost.len();
        m.reroute(secs(1.0), &f, &mut lost);
        prop_assert_eq!(lost.len(), lost_before, "a repair loses nothing");
        prop_assert_eq!(m.detoured_flows(), 0);
        let mut fresh = FlowModel::new(&f);
        let survivors: Vec<usize> = (0..ids.len()).filter(|&i| m.is_active(ids[i])).collect();
        let fresh_ids: Vec<_> = survivors
            .iter()
            .map(|&i| fresh.add_flow(t0, &paths[i], 1e12, 0))
            .collect();
        fresh.recompute(t0);
        for (&i, &g) in survivors.iter().zip(&fresh_ids) {
            prop_assert_eq!(m.path(ids[i]), &paths[i][..]);
            let (a, b) = (m.rate_bytes_per_s(ids[i]), fresh.rate_bytes_per_s(g));
            prop_assert!(a == b || (a - b).abs() <= 1e-9 * b.max(1.0), "{} vs {}", a, b);
        }
        if lost.is_empty() {
            // No flow lost: the same flows on the same paths as at t0.
            for (i, &x) in ids.iter().enumerate() {
                let r = m.rate_bytes_per_s(x);
                prop_assert!(r == rates[i] || (r - rates[i]).abs() <= 1e-9 * rates[i].max(1.0));
            }
        }
    }
}
