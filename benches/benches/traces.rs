//! Trace replays against the targets of the scheduling issue: the full
//! SDSC-SP2 log (54,044 usable jobs, 128 processors) under EASY
//! backfilling, and the full HPC2N log (202,871 jobs, 240 processors) under
//! conservative backfilling. Measures the run only (the trace is imported
//! once, outside the loop); `clustersim run` reports the import time too.
//! The traces come from `../shared/data/swf` through `scenarios/traces/`.
//!
//! `trace_import` measures the import alone (read, gunzip, parse, filter:
//! `workload::trace::import_file`), and `trace_load` a whole scenario load
//! (the import plus validation and the conversion into submitted jobs):
//! a study pays these once per point.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::scenario::{SetArg, load_file};
use sim_core::simulation::run;
use sim_core::workload::trace::{ImportOptions, TraceFormat, import_file};

/// The SWF file of the bundled trace scenarios.
fn swf(file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/swf")
        .join(file)
}

fn import(c: &mut Criterion, file: &str, scenario: &str, label: &str) {
    let path = swf(file);
    let options = ImportOptions::default();
    let (jobs, report) = import_file(&path, TraceFormat::Swf, &options)
        .unwrap_or_else(|e| panic!("{} does not import: {e}", path.display()));
    let mut group = c.benchmark_group("trace_import");
    group.sample_size(10);
    group.throughput(Throughput::Elements(report.records_read));
    group.bench_function(label, |b| {
        b.iter(|| {
            let (imported, _) = import_file(&path, TraceFormat::Swf, &options).unwrap();
            assert_eq!(imported.len(), jobs.len());
            imported
        })
    });
    group.finish();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/traces")
        .join(scenario);
    let mut group = c.benchmark_group("trace_load");
    group.sample_size(10);
    group.throughput(Throughput::Elements(report.records_read));
    group.bench_function(label, |b| {
        b.iter(|| load_file(&scenario, &[]).unwrap().scenario)
    });
    group.finish();
}

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

fn bench_imports(c: &mut Criterion) {
    import(
        c,
        "SDSC-SP2-1998-4.2-cln.swf.gz",
        "sdsc-sp2.ron",
        "sdsc_sp2",
    );
    import(c, "HPC2N-2002-2.2-cln.swf.gz", "hpc2n.ron", "hpc2n");
}

fn bench_traces(c: &mut Criterion) {
    replay(c, "sdsc-sp2.ron", "Easy", "sdsc_sp2_easy");
    replay(c, "hpc2n.ron", "Conservative", "hpc2n_conservative");
}

criterion_group!(benches, bench_imports, bench_traces);
criterion_main!(benches);
