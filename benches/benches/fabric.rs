//! The flow model at scale: a k = 32 fat-tree (8,192 hosts, 1,280
//! switches, 49,152 directed links) carrying 10,000 concurrent flows
//! between random host pairs, ECMP-routed.
//!
//! Two measurements (issue target: under 1 ms per recomputation):
//! - `full_recompute_10k`: one max-min solve of all 10,000 flows;
//! - `incremental_change_10k`: remove one flow, add another between a new
//!   random pair, recompute, with 10,000 flows active. Random pairs on a
//!   fat-tree share links transitively, so the change's component is most
//!   of the flows, but few rates move: the delta solve re-solves the flows
//!   the change reaches (about 15). The steady state of a busy fabric.

use criterion::{Criterion, criterion_group, criterion_main};
use sim_core::engine::SimTime;
use sim_core::fabric::FatTreeConfig;
use sim_core::fabric::builders::fat_tree_hosts;

use clustersim_benches::{BYTES, FLOWS, SPARE_PATHS, loaded, random_paths};

fn bench_fabric(c: &mut Criterion) {
    let fabric = fat_tree_hosts(&FatTreeConfig {
        k: 32,
        ..FatTreeConfig::default()
    })
    .expect("k = 32 builds");
    let paths = random_paths(&fabric, FLOWS, "bench.fabric.flows");
    let spare = random_paths(&fabric, SPARE_PATHS, "bench.fabric.spare");
    let (mut model, mut ids) = loaded(&fabric, &paths);
    eprintln!(
        "fabric: {} hosts, {} links, {} flows",
        fabric.node_count(),
        fabric.link_count(),
        model.active_flows()
    );

    let mut group = c.benchmark_group("fabric");
    group.bench_function("full_recompute_10k", |b| {
        b.iter(|| model.recompute_all(SimTime::ZERO))
    });

    let mut step: usize = 0;
    let mut now_ns: u64 = 0;
    let mut component = 0usize;
    group.bench_function("incremental_change_10k", |b| {
        b.iter(|| {
            now_ns += 1_000;
            let now = SimTime::from_ns(now_ns);
            let slot = step % FLOWS;
            model.remove_flow(now, ids[slot]);
            ids[slot] = model.add_flow(now, &spare[step % SPARE_PATHS], BYTES, step as u64);
            model.recompute(now);
            component = model.last_component_flows();
            step += 1;
        })
    });
    group.finish();
    eprintln!("fabric: last incremental change re-solved {component} flows");
}

criterion_group!(benches, bench_fabric);
criterion_main!(benches);
