//! The study runner in-process: 20 replications of the quickstart
//! scenario (`benches/studies/quickstart-20.ron`) on one worker and on
//! two, against the same 20 runs made directly with `simulation::run` (a
//! clone of the scenario, its seed set, the run: what `clustersim run`
//! does once the scenario is loaded). The study's time over the direct
//! runs' is the runner's overhead per replication (the summary JSON a
//! row is read from, the row, the pool); threads 1 over threads 2 is its
//! parallel speed-up. The same at 200 replications (one worker) shows the
//! per-replication overhead with the per-study costs amortized.
//! Throughput is in replications.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::simulation::run;
use sim_core::study::{self, Rule, RunOptions};

fn bench_study(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("studies/quickstart-20.ron");
    let mut loaded = study::load(&path).expect("quickstart-20.ron loads");
    assert_eq!(loaded.study.points.len(), 1);
    assert_eq!(loaded.study.rule, Rule::Fixed(20));
    // 20 replications as the file says, then 200: what the runner costs
    // once per study (its worker pool, the first run's metric check)
    // weighs ten times less in the second.
    for replications in [20, 200] {
        loaded.study.rule = Rule::Fixed(replications);
        let base = loaded.scenarios[0].clone();
        let seeds: Vec<u64> = (0..replications)
            .map(|r| loaded.study.seeds.seed(0, r))
            .collect();
        let mut group = c.benchmark_group(format!("study_quickstart_{replications}"));
        group.sample_size(if replications > 20 { 10 } else { 20 });
        group.throughput(Throughput::Elements(replications));
        group.bench_function("direct_runs", |b| {
            b.iter(|| {
                let mut events = 0;
                for &seed in &seeds {
                    let mut scenario = (*base).clone();
                    scenario.seed = seed;
                    events += run(&scenario, &mut (), &mut |_| {}).summary.events;
                }
                events
            })
        });
        let threads: &[usize] = if replications > 20 { &[1] } else { &[1, 2] };
        for &threads in threads {
            group.bench_function(format!("study_threads_{threads}"), |b| {
                b.iter(|| {
                    let finished =
                        study::run(&loaded, &RunOptions::quiet(threads)).expect("the study runs");
                    assert_eq!(finished.rows.len() as u64, replications);
                    finished.rows.len()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_study);
criterion_main!(benches);
