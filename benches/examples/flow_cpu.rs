//! The two `fabric` benchmarks (benches/benches/fabric.rs: a k = 32
//! fat-tree with 10,000 flows; a full recompute, and one flow removed,
//! one added and a recompute) timed in CPU time of this thread rather
//! than wall time, for a machine other work shares: prints, per round,
//! the mean CPU time of each operation over many, then the medians.
//!
//! `cargo run --profile bench -p clustersim-benches --example flow_cpu -- [rounds]`

use sim_core::engine::SimTime;
use sim_core::fabric::FatTreeConfig;
use sim_core::fabric::builders::fat_tree_hosts;

use clustersim_benches::{BYTES, FLOWS, SPARE_PATHS, loaded, random_paths};

/// This thread's CPU time; the example is Linux only.
fn cpu_ns() -> u64 {
    clustersim_benches::cpu_ns().expect("error: /proc/thread-self/schedstat is Linux only")
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let fabric = fat_tree_hosts(&FatTreeConfig {
        k: 32,
        ..FatTreeConfig::default()
    })
    .expect("k = 32 builds");
    let paths = random_paths(&fabric, FLOWS, "bench.fabric.flows");
    let spare = random_paths(&fabric, SPARE_PATHS, "bench.fabric.spare");
    let (mut model, mut ids) = loaded(&fabric, &paths);
    // The full solve always on the benchmark's flows (the incremental
    // rounds swap them for spare paths).
    let mut fixed = model.clone();
    let (mut full, mut incremental) = (Vec::new(), Vec::new());
    let (mut step, mut now_ns) = (0usize, 0u64);
    for _ in 0..rounds {
        let n = 200;
        let start = cpu_ns();
        for _ in 0..n {
            fixed.recompute_all(SimTime::ZERO);
        }
        full.push((cpu_ns() - start) as f64 / n as f64 / 1e6);
        // A change costs tens of microseconds: many, for the CPU clock's
        // granularity.
        let changes = 20_000;
        let start = cpu_ns();
        for _ in 0..changes {
            now_ns += 1_000;
            let now = SimTime::from_ns(now_ns);
            let slot = step % FLOWS;
            model.remove_flow(now, ids[slot]);
            ids[slot] = model.add_flow(now, &spare[step % SPARE_PATHS], BYTES, step as u64);
            model.recompute(now);
            step += 1;
        }
        incremental.push((cpu_ns() - start) as f64 / changes as f64 / 1e6);
        println!(
            "round: full {:.3} ms, incremental {:.4} ms (CPU)",
            full.last().unwrap(),
            incremental.last().unwrap()
        );
    }
    let (a, m, b) = median(full);
    println!("fabric/full_recompute_10k: median {m:.3} ms CPU ({a:.3}-{b:.3})");
    let (a, m, b) = median(incremental);
    println!("fabric/incremental_change_10k: median {m:.4} ms CPU ({a:.4}-{b:.4})");
}
