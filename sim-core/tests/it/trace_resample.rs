//! Trace replays replicated per seed (`workload.trace.resample`,
//! `estimate_noise`): the same seed gives the same run, another seed
//! another run; without them the seed changes nothing, as before; bad
//! values are refused at their line and column with a fix. A study
//! parses its trace once for all its points, and replicates a resampled
//! trace.

use std::fs;

use sim_core::scenario::{Location, load_file};
use sim_core::study::{self, RunOptions};
use sim_core::workload::trace::TraceCache;

use crate::support::{load, path, scratch, simulate};

const KTH: &str = "scenarios/traces/kth-sp2.ron";

/// What happened to every job of a KTH replay with `overrides` (the
/// summary would differ by its seed alone).
fn records(overrides: &[&str]) -> String {
    format!("{:?}", simulate(KTH, overrides).jobs)
}

#[test]
fn a_resampled_replay_is_the_same_for_a_seed_and_differs_between_seeds() {
    for option in [
        r#"workload.trace.resample=Blocks(length: "7d")"#,
        r#"workload.trace.resample=Jobs(window: "1d")"#,
        "workload.trace.estimate_noise=LogNormal(sigma: 0.5)",
    ] {
        let one = records(&[option, "seed=1"]);
        assert_eq!(one, records(&[option, "seed=1"]), "{option}");
        assert_ne!(one, records(&[option, "seed=2"]), "{option}");
    }
}

#[test]
fn without_a_resample_the_seed_changes_nothing() {
    assert!(load(KTH, &[]).workload.trace_replication.is_none());
    assert_eq!(records(&["seed=1"]), records(&["seed=2"]));
}

#[test]
fn a_window_bootstrap_submits_as_many_jobs_as_the_trace() {
    let recorded = simulate(KTH, &[]).summary;
    let resampled = simulate(KTH, &[r#"workload.trace.resample=Jobs(window: "1d")"#]).summary;
    assert_eq!(resampled.jobs.submitted, recorded.jobs.submitted);
    // Another mix of jobs: the same count, other waits.
    assert_ne!(resampled.wait_s.mean, recorded.wait_s.mean);
}

/// A scenario replaying the three-job toy trace (submits at 0, 1 and
/// 200 s) with `options` added to its trace section.
fn toy(options: &str) -> String {
    let trace = path("scripts/peer/toy/easy-head-waits.swf");
    format!(
        "Scenario(\n    name: \"toy\",\n    seed: 1,\n    \
         cluster: (node_groups: [(name: \"n\", count: 16, node_model: \"PCIe-8GPU\", gpus_per_node: 1)]),\n    \
         workload: (trace: (file: {trace:?}, format: Swf,\n        {options})),\n)\n"
    )
}

#[test]
fn bad_resample_values_are_refused_at_their_place_with_a_fix() {
    let dir = scratch("bad_resample_values");
    fs::create_dir_all(&dir).unwrap();
    for (options, value, says) in [
        (
            r#"resample: Blocks(length: "0s")"#,
            r#""0s""#,
            "longer than zero",
        ),
        (
            r#"resample: Jobs(window: "0s")"#,
            r#""0s""#,
            "longer than zero",
        ),
        (
            r#"resample: Jobs(window: "1 fortnight")"#,
            r#""1 fortnight""#,
            "invalid",
        ),
        (
            r#"resample: Blocks(length: "1h")"#,
            r#""1h""#,
            "a block longer than the trace",
        ),
        ("estimate_noise: LogNormal(sigma: -0.5)", "-0.5", "sigma"),
        ("estimate_noise: LogNormal(sigma: 9.0)", "9.0", "sigma"),
    ] {
        let text = toy(options);
        let file = dir.join("toy.ron");
        fs::write(&file, &text).unwrap();
        let err = load_file(&file, &[])
            .err()
            .unwrap_or_else(|| panic!("{options} is accepted"));
        let first = err.first();
        assert!(first.message.contains(says), "{options}: {err}");
        assert!(first.fix.is_some(), "{options}: {err}");
        match &first.location {
            Location::File {
                line, column, span, ..
            } => {
                assert_eq!(&text[span.clone()], value, "{options}: {err}");
                // The option sits on line 6, after 8 spaces.
                assert_eq!(*line, 6, "{err}");
                assert_eq!(*column, 9 + options.find(value).unwrap(), "{err}");
            }
            other => panic!("{options}: {other:?}"),
        }
    }
    // Blocks as long as the trace (200 s) are fine, and so are sigma 0 and
    // windows longer than the trace.
    for options in [
        r#"resample: Blocks(length: "200s")"#,
        r#"resample: Jobs(window: "1000d"), estimate_noise: LogNormal(sigma: 0.0)"#,
    ] {
        let file = dir.join("toy.ron");
        fs::write(&file, toy(options)).unwrap();
        if let Err(err) = load_file(&file, &[]) {
            panic!("{options}: {err}");
        }
    }
}

/// A study of KTH over `parameters`, two replications per point.
fn kth_study(dir: &std::path::Path, parameters: &str) -> std::path::PathBuf {
    fs::create_dir_all(dir).unwrap();
    let file = dir.join("kth-study.ron");
    let text = format!(
        "Study(\n    name: \"kth\",\n    scenario: {:?},\n    \
         parameters: [{parameters}],\n    \
         replications: Fixed(2),\n    metrics: [\"wait_s.mean\", \"jobs.submitted\"],\n)\n",
        path(KTH).display().to_string()
    );
    fs::write(&file, text).unwrap();
    file
}

/// Three points that differ in an option applied after parsing.
const SCALES: &str = r#"(path: "workload.trace.interarrival_scale", values: [0.8, 1.0, 1.2])"#;

#[test]
fn a_study_parses_its_trace_once_for_all_its_points() {
    let dir = scratch("study_parses_its_trace_once");
    let file = kth_study(&dir, SCALES);
    let traces = TraceCache::new();
    let loaded = study::load_sharing(&file, &traces).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.scenarios.len(), 3);
    assert_eq!(traces.files_read(), 1);
    // Each point's scenario is the one loaded on its own, without sharing.
    for (scenario, scale) in loaded.scenarios.iter().zip(["0.8", "1.0", "1.2"]) {
        let alone = load(
            KTH,
            &[&format!("workload.trace.interarrival_scale={scale}")],
        );
        assert_eq!(format!("{:?}", **scenario), format!("{alone:?}"), "{scale}");
    }
    // Loading again with the same cache reads nothing.
    study::load_sharing(&file, &traces).unwrap();
    assert_eq!(traces.files_read(), 1);
}

#[test]
fn a_study_of_a_resampled_trace_replicates_it() {
    let dir = scratch("study_of_a_resampled_trace");
    let file = kth_study(
        &dir,
        r#"(path: "scheduler.backfill", values: ["None", "Easy", "Conservative"]),
           (path: "workload.trace.resample", values: ["Blocks(length: \"7d\")"])"#,
    );
    let loaded = study::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions::quiet(1);
    let rows = study::run(&loaded, &options)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .rows;
    assert_eq!(rows.len(), 6);
    for point in 0..3 {
        let reps: Vec<_> = rows.iter().filter(|r| r.point == point).collect();
        // Two replications, two workloads: other waits and job counts.
        assert_ne!(reps[0].metrics, reps[1].metrics, "point {point}");
    }
    // Common random numbers: replication r draws the same weeks under
    // every policy, so it submits the same number of jobs.
    for replication in 0..2 {
        let counts: Vec<_> = (rows.iter())
            .filter(|r| r.replication == replication)
            .map(|r| r.metrics[1])
            .collect();
        assert!(counts.iter().all(|c| *c == counts[0]), "{counts:?}");
    }
}
