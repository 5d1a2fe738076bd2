//! Failures at fleet scale: one simulated year of 2,048 DGX H100 (16,384
//! GPUs) at the `llama3-h100` preset's failure rates, about 7,000 jobs a
//! day and six checkpointing training jobs of up to 8,192 GPUs, under EASY
//! backfill, from `benches/reliability-year-2048.ron`; and the same year
//! with nothing failing (`--set reliability=()`: no failure classes, no
//! spares, so no checkpoints either), so that what failures cost shows as
//! the difference. Throughput is in events.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::metrics::StopReason;
use sim_core::scenario::{SetArg, load_file};
use sim_core::simulation::run;

fn bench_reliability_year(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("reliability-year-2048.ron");
    let mut group = c.benchmark_group("reliability_year_2048_nodes");
    group.sample_size(10);
    for (name, set) in [
        ("llama3_h100_failures", vec![]),
        ("no_failures", vec![SetArg::set("reliability=()")]),
    ] {
        let scenario = load_file(&path, &set)
            .expect("reliability-year-2048.ron loads")
            .scenario;
        // One run outside the timing: the run is deterministic, so its
        // event count is every sample's, and it is checked once here.
        let first = run(&scenario, &mut (), &mut |_| {}).summary;
        assert_eq!(first.stop_reason, StopReason::Horizon, "{name}");
        assert!(first.jobs.completed > 2_500_000, "{name}: {:?}", first.jobs);
        assert_eq!(first.training.len(), 6, "{name}");
        let failures = first.reliability.as_ref().map_or(0, |r| r.failures);
        if set.is_empty() {
            // 419 in 54 days on as many GPUs: about 2,830 a year.
            assert!((2_500..3_200).contains(&failures), "{failures} failures");
        } else {
            assert_eq!(failures, 0);
        }
        let events = first.events;
        group.throughput(Throughput::Elements(events));
        group.bench_function(name, |b| {
            b.iter(|| {
                let result = run(&scenario, &mut (), &mut |_| {});
                assert_eq!(result.summary.events, events);
                result.summary.events
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_reliability_year);
criterion_main!(benches);
