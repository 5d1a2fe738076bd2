//! Trace replays against the targets of the scheduling issue: the full
//! SDSC-SP2 log (54,044 usable jobs, 128 processors) under EASY
//! backfilling, and the full HPC2N log (202,871 jobs, 240 processors) under
//! conservative backfilling. Measures the run only (the trace is imported
//! once, outside the loop); `clustersim run` reports the import time too.
//! The traces come from `../shared/data/swf` through `scenarios/traces/`.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::scenario::{SetArg, load_file};
use sim_core::simulation::run;

fn replay(c: &mut Criterion, file: &str, backfill: &str, label: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/traces")
        .join(file);
    let overrides = [SetArg::set(format!("scheduler.backfill={backfill}"))];
    let scenario = load_file(&path, &overrides)
        .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()))
        .scenario;
    let jobs = scenario.workload.jobs.len() as u64;
    let mut group = c.benchmark_group("trace_replay");
    group.sample_size(10);
    group.throughput(Throughput::Elements(jobs));
    group.bench_function(label, |b| {
        b.iter(|| {
            let result = run(&scenario, &mut (), &mut |_| {});
            assert_eq!(result.summary.jobs.completed, jobs);
            result.summary.events
        })
    });
    group.finish();
}

fn bench_traces(c: &mut Criterion) {
    replay(c, "sdsc-sp2.ron", "Easy", "sdsc_sp2_easy");
    replay(c, "hpc2n.ron", "Conservative", "hpc2n_conservative");
}

criterion_group!(benches, bench_traces);
criterion_main!(benches);
