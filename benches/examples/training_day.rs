//! One run of `benches/training-day-1024.ron` in a given fidelity, timed:
//! the flow-fidelity day takes tens of seconds, too long for criterion's
//! ten samples on a shared machine.
//!
//! `cargo run --profile bench -p clustersim-benches --example training_day -- [Flow|Analytic] [runs]`

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::time::Instant;

use sim_core::scenario::{SetArg, load_file};
use sim_core::simulation::run;

fn main() {
    let mut args = std::env::args().skip(1);
    let fidelity = args.next().unwrap_or_else(|| "Flow".to_string());
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(1);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-day-1024.ron");
    let set = [SetArg::set(format!("fabric.collectives={fidelity}"))];
    let scenario = load_file(&path, &set)
        .expect("training-day-1024.ron loads")
        .scenario;
    for _ in 0..runs {
        let start = Instant::now();
        let cpu_start = cpu_s();
        let result = run(&scenario, &mut (), &mut |_| {});
        let took = start.elapsed().as_secs_f64();
        let cpu = cpu_s().map(|c| c - cpu_start.unwrap_or(0.0));
        // A fingerprint of everything the run reports, to check that a
        // faster model gives the same results.
        let mut hash = DefaultHasher::new();
        format!("{:?}", result.summary).hash(&mut hash);
        println!(
            "training_day_1024_gpus/{}: {took:.3} s wall, {} s on CPU, {} events, {} training jobs, {} steps, summary {:016x}",
            fidelity.to_ascii_lowercase(),
            cpu.map_or("?".to_string(), |c| format!("{c:.3}")),
            result.summary.events,
            result.summary.training.len(),
            result
                .summary
                .training
                .iter()
                .map(|t| t.steps_done)
                .sum::<u64>(),
            hash.finish(),
        );
    }
}

/// Time this process spent on a CPU (Linux: `/proc/self/schedstat`), to
/// compare runs on a machine other work shares; `None` elsewhere.
fn cpu_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}
