//! Whole-simulator throughput: one million jobs through strict FCFS on a
//! 1,024-GPU cluster (128 nodes x 8), from `benches/fcfs-1m.ron`. Measures
//! the run (generation, scheduling, allocation, metrics, summary) without
//! writing files; the trace goes to a null sink.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::scenario::load_file;
use sim_core::simulation::run;

fn bench_fcfs(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fcfs-1m.ron");
    let scenario = load_file(&path, &[]).expect("fcfs-1m.ron loads").scenario;
    let jobs = scenario
        .workload
        .known_job_count()
        .expect("a fixed job count");
    let mut group = c.benchmark_group("scenario");
    group.sample_size(10);
    group.throughput(Throughput::Elements(jobs));
    group.bench_function("fcfs_1m_jobs_1024_gpus", |b| {
        b.iter(|| {
            let result = run(&scenario, &mut (), &mut |_| {});
            assert_eq!(
                result.summary.jobs.completed + result.summary.jobs.killed,
                jobs
            );
            result.summary.events
        })
    });
    group.finish();
}

criterion_group!(benches, bench_fcfs);
criterion_main!(benches);
