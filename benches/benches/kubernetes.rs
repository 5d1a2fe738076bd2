//! Kubernetes-style runs (issue 17): the full openb pod list (7,064 GPU
//! pods on the 1,213-node, 6,212-GPU openb cluster) with GPU sharing and
//! on whole GPUs (`scenarios/kubernetes/openb-sharing.ron`,
//! `openb-whole.ron`; the pod list from `../shared/data/gpu-traces`), and
//! Kueue admitting workloads of 8 ClusterQueues in one cohort
//! (`benches/kueue-10k.ron`). Measures the run only (the scenario is
//! loaded once, outside the loop).
//!
//! The Kueue bench runs the first 400 of kueue-10k.ron's workloads (50
//! a team, `--set workload.generators[i].count=50`): the full 10,000 take
//! more than 20 minutes a run (docs/kubernetes.md has the figures), too
//! long for criterion's samples; time them with `farm-bench` instead.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::scenario::{SetArg, load_file};
use sim_core::simulation::run;

fn bench_run(c: &mut Criterion, group: &str, file: &str, overrides: &[SetArg], label: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let scenario = load_file(&path, overrides)
        .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()))
        .scenario;
    let jobs = scenario
        .workload
        .known_job_count()
        .expect("a fixed job count");
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.throughput(Throughput::Elements(jobs));
    g.bench_function(label, |b| {
        b.iter(|| {
            let result = run(&scenario, &mut (), &mut |_| {});
            assert_eq!(result.summary.jobs.submitted, jobs);
            result.summary.events
        })
    });
    g.finish();
}

fn bench_openb(c: &mut Criterion) {
    let sharing = "../scenarios/kubernetes/openb-sharing.ron";
    let whole = "../scenarios/kubernetes/openb-whole.ron";
    bench_run(c, "openb", sharing, &[], "openb_7064_pods_sharing");
    bench_run(c, "openb", whole, &[], "openb_7064_pods_whole");
}

fn bench_kueue(c: &mut Criterion) {
    let counts: Vec<SetArg> = (0..8)
        .map(|i| SetArg::set(format!("workload.generators[{i}].count=50")))
        .collect();
    bench_run(
        c,
        "kueue",
        "kueue-10k.ron",
        &counts,
        "kueue_400_workloads_8_cqs",
    );
}

criterion_group!(benches, bench_openb, bench_kueue);
criterion_main!(benches);
