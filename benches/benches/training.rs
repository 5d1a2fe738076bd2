//! One simulated day of a 1,024-GPU cluster (128 DGX H100, rail-optimized
//! NDR) running 60 LLM training jobs, from `benches/training-day-1024.ron`:
//! in analytic fidelity (each job's step costed once, on its placement)
//! and in flow fidelity (every step's gradient synchronisation as flows on
//! the fabric, sharing links with the other jobs).

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use sim_core::scenario::{SetArg, load_file};
use sim_core::simulation::run;

fn bench_training_day(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-day-1024.ron");
    let mut group = c.benchmark_group("training_day_1024_gpus");
    group.sample_size(10);
    for fidelity in ["Analytic", "Flow"] {
        let set = [SetArg::set(format!("fabric.collectives={fidelity}"))];
        let scenario = load_file(&path, &set)
            .expect("training-day-1024.ron loads")
            .scenario;
        group.bench_function(fidelity.to_ascii_lowercase(), |b| {
            b.iter(|| {
                let result = run(&scenario, &mut (), &mut |_| {});
                assert!(result.summary.training.len() >= 50);
                result.summary.events
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_training_day);
criterion_main!(benches);
